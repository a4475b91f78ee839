"""Tests for nn.losses: values and gradients against PyTorch (float64) and finite differences."""

import math
import random

import pytest
from _helpers import assert_all_close, close

from autograd import Value, gradcheck
from nn import losses


def weights_for(n):
    """Distinct weights, so reduction='none' gradients check each element separately."""
    return [(i + 1) / n for i in range(n)]


def values_then_backward(out):
    """The loss value(s) as floats, after backward from one Value (or a weighted sum of many)."""
    if isinstance(out, list):
        values = [o.data for o in out]
        total = sum(w * o for w, o in zip(weights_for(len(out)), out))
    else:
        values, total = [out.data], out
    total.backward()
    return values


def torch_values_then_backward(torch, out):
    """``values_then_backward`` for a PyTorch loss: a 0-d tensor, or one per element."""
    if out.dim() == 0:
        values, total = [out.item()], out
    else:
        values = out.tolist()
        total = (out * torch.tensor(weights_for(len(values)))).sum()
    total.backward()
    return values


def run_ours(fn, inputs, targets, grad_targets=False, **kwargs):
    """Loss value(s) and gradients w.r.t. inputs (and targets) with our engine."""
    xs = [Value(x) for x in inputs]
    ts = [Value(t) for t in targets] if grad_targets else list(targets)
    values = values_then_backward(fn(xs, ts, **kwargs))
    return values, [x.grad for x in xs], [t.grad for t in ts] if grad_targets else None


def run_torch(torch, fn, inputs, targets, grad_targets=False, **kwargs):
    x = torch.tensor(inputs, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(targets, dtype=torch.float64, requires_grad=grad_targets)
    values = torch_values_then_backward(torch, fn(x, t, **kwargs))
    return values, x.grad.tolist(), t.grad.tolist() if grad_targets else None


def hinge_torch(torch):
    def hinge(s, y, reduction="mean"):
        per = torch.relu(1 - y * s)
        return {"mean": per.mean, "sum": per.sum, "none": lambda: per}[reduction]()

    return hinge


rng = random.Random(1234)
N = 7
REGRESSION = ([rng.uniform(-3, 3) for _ in range(N)], [rng.uniform(-3, 3) for _ in range(N)])
PROBS = (
    [rng.uniform(0.02, 0.98) for _ in range(N)],
    [rng.choice([0.0, 1.0, 0.3]) for _ in range(N)],
)
LOGITS = ([rng.uniform(-6, 6) for _ in range(N)], [rng.choice([0.0, 1.0, 0.7]) for _ in range(N)])
HINGE = ([rng.uniform(-2, 2) for _ in range(N)], [rng.choice([-1.0, 1.0]) for _ in range(N)])

# name: (our loss, PyTorch's (given the torch module), data, targets also differentiable?)
ELEMENTWISE = {
    "mse_loss": (losses.mse_loss, lambda t: t.nn.functional.mse_loss, REGRESSION, True),
    "l1_loss": (losses.l1_loss, lambda t: t.nn.functional.l1_loss, REGRESSION, True),
    "binary_cross_entropy": (
        losses.binary_cross_entropy,
        lambda t: t.nn.functional.binary_cross_entropy,
        PROBS,
        True,
    ),
    "binary_cross_entropy_with_logits": (
        losses.binary_cross_entropy_with_logits,
        lambda t: t.nn.functional.binary_cross_entropy_with_logits,
        LOGITS,
        True,
    ),
    "hinge_loss": (losses.hinge_loss, hinge_torch, HINGE, False),
}


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_loss_value_and_gradients_equal_pytorch(torch, name, reduction):
    ours_fn, torch_fn, (inputs, targets), grad_targets = ELEMENTWISE[name]
    ours = run_ours(ours_fn, inputs, targets, grad_targets, reduction=reduction)
    theirs = run_torch(torch, torch_fn(torch), inputs, targets, grad_targets, reduction=reduction)
    assert_all_close(ours[0], theirs[0], f"{name} value")
    assert_all_close(ours[1], theirs[1], f"{name} input grad")
    if grad_targets:
        assert_all_close(ours[2], theirs[2], f"{name} target grad")


@pytest.mark.torch
def test_bce_with_logits_is_exact_at_extreme_logits(torch):
    inputs = [1000.0, -1000.0, 1000.0, -1000.0, 0.0, 40.0, -40.0, 700.0]
    targets = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.3, 0.5]
    F = torch.nn.functional
    for reduction in ("none", "sum"):
        ours = run_ours(
            losses.binary_cross_entropy_with_logits, inputs, targets, True, reduction=reduction
        )
        theirs = run_torch(
            torch, F.binary_cross_entropy_with_logits, inputs, targets, True, reduction=reduction
        )
        for a, b in zip(ours, theirs):
            assert_all_close(a, b, "bce_with_logits at +-1000")
    values = run_ours(
        losses.binary_cross_entropy_with_logits, inputs, targets, reduction="none"
    )[0]
    assert all(math.isfinite(v) for v in values)
    assert values[:4] == [0.0, 0.0, 1000.0, 1000.0]


def test_bce_with_logits_gradient_at_zero_is_half_minus_target():
    x = Value(0.0)
    losses.binary_cross_entropy_with_logits(x, 0.25).backward()
    assert x.grad == 0.25  # sigmoid(0) - t


@pytest.mark.torch
def test_binary_cross_entropy_clamps_log_like_pytorch(torch):
    F = torch.nn.functional
    inputs = [0.0, 1.0, 0.0, 1.0, 1e-50, 1.0 - 1e-17]
    targets = [1.0, 0.0, 0.0, 1.0, 1.0, 0.5]
    ours = losses.binary_cross_entropy(inputs, targets, reduction="none")
    theirs = F.binary_cross_entropy(torch.tensor(inputs), torch.tensor(targets), reduction="none")
    assert_all_close([v.data for v in ours], theirs.tolist(), "clamped bce")
    assert ours[0].data == 100.0 and ours[1].data == 100.0


def test_binary_cross_entropy_gradient_is_finite_at_zero_and_one():
    p = [Value(0.0), Value(1.0), Value(0.0)]
    losses.binary_cross_entropy(p, [1.0, 0.0, 0.0], reduction="sum").backward()
    # clamped logs are constants; the unclamped term log(1 - 0) has slope 1
    assert [v.grad for v in p] == [0.0, 0.0, 1.0]


# ---- cross-entropy and softmax ------------------------------------------------------------


def ce_ours(rows, targets, reduction="mean"):
    zs = [[Value(z) for z in row] for row in rows]
    values = values_then_backward(losses.cross_entropy(zs, targets, reduction=reduction))
    return values, [[z.grad for z in row] for row in zs]


def ce_torch(torch, rows, targets, reduction="mean"):
    z = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.cross_entropy(z, torch.tensor(targets), reduction=reduction)
    return torch_values_then_backward(torch, out), z.grad.tolist()


CE_BATCH = (
    [[rng.uniform(-4, 4) for _ in range(4)] for _ in range(6)],
    [rng.randrange(4) for _ in range(6)],
)
CE_EXTREME = (
    [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [1000.0, 1000.0, -1000.0], [0.0, 0.0, 0.0]],
    [1, 2, 0, 2],
)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("data", [CE_BATCH, CE_EXTREME], ids=["random", "extreme"])
def test_cross_entropy_batch_equals_pytorch(torch, data, reduction):
    rows, targets = data
    ours = ce_ours(rows, targets, reduction)
    theirs = ce_torch(torch, rows, targets, reduction)
    assert_all_close(ours[0], theirs[0], "cross_entropy value")
    for i, (a, b) in enumerate(zip(ours[1], theirs[1])):
        assert_all_close(a, b, f"cross_entropy grad row {i}")


@pytest.mark.torch
@pytest.mark.parametrize("row, target", [(CE_BATCH[0][0], 2), ([1000.0, -1000.0, 0.5], 1)])
def test_cross_entropy_single_sample_equals_pytorch(torch, row, target):
    zs = [Value(z) for z in row]
    loss = losses.cross_entropy(zs, target)
    loss.backward()
    z = torch.tensor(row, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(z, torch.tensor(target))
    expected.backward()
    assert close(loss.data, expected.item())
    assert_all_close([v.grad for v in zs], z.grad.tolist(), "single-sample grad")


@pytest.mark.torch
@pytest.mark.parametrize("row", [CE_BATCH[0][1], [1000.0, -1000.0, 999.5, 0.0]])
def test_softmax_and_log_softmax_equal_pytorch(torch, row):
    z = torch.tensor(row)
    assert_all_close([v.data for v in losses.softmax(row)], torch.softmax(z, 0).tolist(), "softmax")
    assert_all_close(
        [v.data for v in losses.log_softmax(row)], torch.log_softmax(z, 0).tolist(), "log_softmax"
    )


def test_softmax_gradient_matches_finite_differences():
    assert gradcheck(lambda a, b, c: losses.softmax([a, b, c])[1] * 3.0, [0.3, -1.2, 2.0])
    assert gradcheck(lambda a, b, c: losses.log_softmax([a, b, c])[0], [0.3, -1.2, 2.0])


def test_cross_entropy_accepts_plain_numbers_and_integral_float_targets():
    loss = losses.cross_entropy([2.0, 1.0], 0)
    assert isinstance(loss, Value)
    assert close(loss.data, math.log(1 + math.exp(-1.0)))
    assert losses.cross_entropy([[2.0, 1.0]], [0.0]).data == loss.data


def test_cross_entropy_single_sample_ignores_reduction_and_returns_a_value():
    assert isinstance(losses.cross_entropy([1.0, 2.0], 1, reduction="none"), Value)


# ---- l2 penalty ----------------------------------------------------------------------------


@pytest.mark.torch
def test_l2_penalty_equals_pytorch_sum_of_squares(torch):
    values = [rng.uniform(-2, 2) for _ in range(9)]
    ps = [Value(v) for v in values]
    reg = losses.l2_penalty(ps, alpha=1e-4)
    reg.backward()
    t = torch.tensor(values, requires_grad=True)
    expected = 1e-4 * (t**2).sum()
    expected.backward()
    assert close(reg.data, expected.item())
    assert_all_close([p.grad for p in ps], t.grad.tolist(), "l2 grad")


def test_l2_penalty_defaults_to_micrographs_alpha_and_takes_a_module():
    class Tiny:
        def parameters(self):
            return [Value(2.0), Value(1.0)]

    assert close(losses.l2_penalty(Tiny()).data, 1e-4 * 5)


# ---- finite differences --------------------------------------------------------------------

GRADCHECK_CASES = {
    "mse_loss": (losses.mse_loss, [0.3, -1.1, 2.0], [1.0, 0.5, -0.5]),
    "l1_loss": (losses.l1_loss, [0.3, -1.1, 2.0], [1.0, 0.5, -0.5]),
    "binary_cross_entropy": (losses.binary_cross_entropy, [0.2, 0.7, 0.95], [1.0, 0.0, 0.4]),
    "binary_cross_entropy_with_logits": (
        losses.binary_cross_entropy_with_logits,
        [0.3, -2.5, 4.0],
        [1.0, 0.0, 0.4],
    ),
    "hinge_loss": (losses.hinge_loss, [0.3, -1.7, 2.5], [1.0, 1.0, -1.0]),
}


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_loss_gradients_match_finite_differences(name, reduction):
    fn, inputs, targets = GRADCHECK_CASES[name]
    assert gradcheck(lambda *xs: fn(list(xs), targets, reduction=reduction), inputs)


def test_cross_entropy_and_l2_gradients_match_finite_differences():
    assert gradcheck(
        lambda a, b, c, d: losses.cross_entropy([[a, b], [c, d]], [1, 0]), [0.3, -1.2, 2.0, 0.1]
    )
    assert gradcheck(lambda a, b: losses.l2_penalty([a, b], alpha=0.3), [0.7, -1.5])


def test_second_derivative_of_mse_through_create_graph():
    x = Value(1.5)
    loss = losses.mse_loss([x], [0.5])
    loss.backward(create_graph=True)
    g = x.grad  # 2 (x - t)
    x.grad = 0.0
    g.backward()
    assert x.grad == 2.0


def test_losses_accept_a_single_value_or_number():
    p = Value(3.0)
    assert losses.mse_loss(p, 1.0).data == 4.0
    assert losses.l1_loss(3, 1).data == 2.0
    assert losses.hinge_loss(0.5, -1).data == 1.5


def test_reduction_none_returns_one_value_per_element():
    out = losses.mse_loss([1.0, 2.0, 3.0], [0.0, 0.0, 0.0], reduction="none")
    assert [v.data for v in out] == [1.0, 4.0, 9.0]


# ---- errors --------------------------------------------------------------------------------

ERROR_CASES = [
    # (call, exception, words the message must contain)
    (lambda: losses.mse_loss([1.0, 2.0], [1.0]), ValueError, ["mse_loss", "2", "1"]),
    (lambda: losses.l1_loss([], []), ValueError, ["l1_loss", "empty"]),
    (lambda: losses.mse_loss([1.0], [1.0], reduction="avg"), ValueError, ["mse_loss", "'avg'"]),
    (lambda: losses.hinge_loss([1.0], [1.0], reduction=None), ValueError, ["hinge_loss", "None"]),
    (lambda: losses.mse_loss(["a"], [1.0]), TypeError, ["mse_loss", "input[0]", "str"]),
    (lambda: losses.mse_loss("ab", "cd"), TypeError, ["mse_loss", "str"]),
    (lambda: losses.mse_loss([[1.0, 2.0]], [[1.0, 2.0]]), TypeError, ["flat"]),
    (
        lambda: losses.binary_cross_entropy([0.5, 1.5], [1, 0]),
        ValueError,
        ["input[1]", "1.5", "[0, 1]"],
    ),
    (lambda: losses.binary_cross_entropy([-0.1], [1]), ValueError, ["-0.1"]),
    (lambda: losses.binary_cross_entropy([math.nan], [1]), ValueError, ["nan"]),
    (lambda: losses.binary_cross_entropy([0.5], [2.0]), ValueError, ["target[0]", "2.0"]),
    (
        lambda: losses.binary_cross_entropy_with_logits([0.5], [-1.0]),
        ValueError,
        ["target[0]", "-1.0"],
    ),
    (lambda: losses.binary_cross_entropy([0.5], [1.0], reduction="max"), ValueError, ["'max'"]),
    (lambda: losses.hinge_loss([0.5, 0.2], [1, 0]), ValueError, ["targets[1]", "0.0", "-1 or +1"]),
    (lambda: losses.cross_entropy([1.0, 2.0], 2), ValueError, ["target", "2", "2 classes"]),
    (lambda: losses.cross_entropy([1.0, 2.0], -1), ValueError, ["-1"]),
    (lambda: losses.cross_entropy([1.0, 2.0], 0.5), ValueError, ["0.5"]),
    (lambda: losses.cross_entropy([1.0, 2.0], True), TypeError, ["bool"]),
    (lambda: losses.cross_entropy([1.0, 2.0], [0]), TypeError, ["int class index"]),
    (lambda: losses.cross_entropy([], 0), ValueError, ["empty"]),
    (lambda: losses.cross_entropy([[]], [0]), ValueError, ["empty"]),
    (lambda: losses.cross_entropy(1.0, 0), TypeError, ["list"]),
    (
        lambda: losses.cross_entropy([[1.0, 2.0], [1.0]], [0, 0]),
        ValueError,
        ["logits[1]", "1 classes"],
    ),
    (lambda: losses.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, ["1 samples", "2"]),
    (lambda: losses.cross_entropy([[1.0, 2.0]], 0), TypeError, ["list of 1 class indices"]),
    (lambda: losses.cross_entropy([[1.0, 2.0]], [0], reduction="mean "), ValueError, ["'mean '"]),
    (lambda: losses.softmax([]), ValueError, ["softmax", "empty"]),
    (lambda: losses.l2_penalty([Value(1.0)], alpha=-1.0), ValueError, ["alpha", "-1.0"]),
    (lambda: losses.l2_penalty([], alpha=1.0), ValueError, ["empty"]),
    (lambda: losses.l2_penalty([1.0]), TypeError, ["params[0]", "float"]),
]


@pytest.mark.parametrize(
    "call, exc, words", ERROR_CASES, ids=[str(i) for i in range(len(ERROR_CASES))]
)
def test_bad_arguments_raise_clear_errors(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {str(info.value)!r}"


def test_cross_entropy_of_nan_or_inf_logits_is_nan_like_torch(torch):
    for logits, target in (([math.nan, 1.0], 1), ([math.inf, 1.0], 0)):
        ours = losses.cross_entropy(logits, target).data
        theirs = torch.nn.functional.cross_entropy(
            torch.tensor([logits], dtype=torch.float64), torch.tensor([target])
        ).item()
        assert math.isnan(ours) and math.isnan(theirs)
