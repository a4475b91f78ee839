"""autograd.compile: compiled steps equal the interpreted engine, and what cannot be replayed
is refused with a clear error."""

from __future__ import annotations

import math
import random

import pytest

np = pytest.importorskip("numpy")

import autograd  # noqa: E402
from autograd import RULES, Value, detect_anomaly, fused, linear, no_grad, where  # noqa: E402

RTOL, ATOL = 1e-12, 1e-14


def close(a: float, b: float) -> bool:
    if math.isnan(b):
        return math.isnan(a)
    if math.isinf(b):
        return a == b
    return abs(a - b) <= RTOL * abs(b) + ATOL


def interpreted(fn, params, args):
    """loss and grads as fn(*args).backward() gives them (grads from 0)."""
    for p in params:
        p.grad = 0.0
    out = fn(*args)
    out = out[0] if isinstance(out, tuple) else out
    out.backward()
    return out.data, [p.grad for p in params]


def compiled(step, params, args):
    for p in params:
        p.grad = 0.0
    out = step(*args)
    loss = out[0] if isinstance(out, tuple) else out
    return loss, [p.grad for p in params]


def assert_same(fn, params, calls, step=None):
    """The compiled function gives the interpreted loss and grads on every call."""
    step = step or autograd.compile(fn)
    for args in calls:
        want_loss, want = interpreted(fn, params, args)
        got_loss, got = compiled(step, params, args)
        assert close(got_loss, want_loss), (got_loss, want_loss, args)
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if not close(g, w)]
        assert not bad, bad[:5]
    return step


# ---- every op of the engine ------------------------------------------------------------------

# op -> (a function of one parameter w and one argument x, arguments to try)
UNARY_INPUTS = {
    "exp": [-2.0, 0.3, 1.5],
    "log": [0.2, 1.0, 3.5],
    "sqrt": [0.04, 1.0, 7.0],
    "tanh": [-2.0, 0.0, 0.7],
    "sigmoid": [-30.0, -1.0, 0.0, 2.0, 40.0],
    "softplus": [-40.0, -1.0, 0.0, 3.0, 50.0],
    "relu": [-1.0, 0.0, 2.0],
    "abs": [-1.5, 0.0, 2.0],
    "sin": [-2.0, 0.0, 1.0],
    "cos": [-2.0, 0.0, 1.0],
}


def _op_function(op):
    w = Value(0.7, label="w")
    if op in UNARY_INPUTS:
        def fn(xs):
            return sum(getattr(w * x, op)() * (k + 1) for k, x in enumerate(xs))
        xs = UNARY_INPUTS[op]
        return fn, [w], [([x / 0.7 for x in xs],), ([x / 0.5 for x in xs],)]
    b = Value(-0.4, label="b")
    binary = {
        "+": lambda p, x: p + x,
        "*": lambda p, x: p * x,
        "**": lambda p, x: (p * x) ** 3 + (p * x).abs() ** 0.5 + (p + 2) ** -1.5,
        "pow": lambda p, x: (p * p + 0.5) ** (x * b),
        "max": lambda p, x: (p * x).max(b) + b.max(p * x * 0.5) + (p * 0).max(b * 0),
        "min": lambda p, x: (p * x).min(b),
        "leaky_relu": lambda p, x: (p * x).leaky_relu(0.1) + (b * x).leaky_relu(),
        "linear": lambda p, x: linear([p, b], [x, x * x], p),
        # ops of many inputs that record their definition in primitives while traced (fused.py)
        "softmax": lambda p, x: fused.softmax([p * x, b, x * x])[0] * 3,
        "cross_entropy": lambda p, x: fused.cross_entropy([p * x, b, x], 1),
        "rms_scale": lambda p, x: fused.rms_scale([p * x, b, x]),
    }[op]

    def fn(xs):
        return sum(binary(w, x) for x in xs)

    return fn, [w, b], [([-1.5, 0.0, 2.0],), ([0.5, -3.0, 1.0],)]


@pytest.mark.parametrize("op", sorted(RULES))
def test_every_op_compiles_to_the_interpreted_loss_and_grads(op):
    fn, params, calls = _op_function(op)
    assert_same(fn, params, calls)


def test_the_op_table_is_covered():
    from autograd.compiler.kernels import KERNELS

    # a step of its own; a derived op; ops recorded as primitives while traced (fused.py)
    special = {"linear", "min", "softmax", "cross_entropy", "rms_scale"}
    assert set(RULES) - special <= set(KERNELS)


EDGE_VALUES = [0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("op", ["relu", "abs", "tanh", "sigmoid", "softplus", "max", "leaky_relu"])
def test_ops_agree_at_edge_values(op):
    xs = EDGE_VALUES

    def fn(vals):
        out = []
        for x in vals:
            v = x * 1.0
            if op == "max":
                out.append(v.max(0.0) + v.max(v))
            elif op == "leaky_relu":
                out.append(v.leaky_relu(0.2))
            else:
                out.append(getattr(v, op)())
        return out[0], out

    step = autograd.compile(fn)
    _, got = step(xs)
    want = [v.data for v in fn([Value(x) for x in xs])[1]]
    for g, w_ in zip(got, want):
        assert close(g, w_) and math.copysign(1, g) == math.copysign(1, w_) or math.isnan(w_)


# ---- graphs ---------------------------------------------------------------------------------


def _recipe(rng, n_leaves, n_nodes=25):
    """A random DAG as (kind, input a, input b) rows over earlier entries (shared nodes)."""
    return [(rng.random(), rng.randrange(n_leaves + k), rng.randrange(n_leaves + k))
            for k in range(n_nodes)]


def _build(recipe, params, xs):
    pool = list(params) + [x if isinstance(x, Value) else Value(x) for x in xs]
    for kind, i, j in recipe:
        a, b = pool[i], pool[j]
        if kind < 0.3:
            v = a + b
        elif kind < 0.55:
            v = a * b
        elif kind < 0.65:
            v = a.tanh()
        elif kind < 0.75:
            v = (a * 0.3).exp()
        elif kind < 0.85:
            v = a.relu() - b
        else:
            v = linear([a, b], [b, a], 0.5)
        pool.append(v)
    return sum(pool[-8:]) + pool[-1] * pool[-2]


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_compile_to_the_interpreted_result(seed):
    params = [Value(random.Random(seed + k).uniform(-1, 1)) for k in range(4)]
    recipe = _recipe(random.Random(seed), n_leaves=7)

    def fn(xs):
        return _build(recipe, params, xs)

    rng = random.Random(100 + seed)
    calls = [([rng.uniform(-1, 1) for _ in range(3)],) for _ in range(3)]
    assert_same(fn, params, calls)


def test_micrograd_style_code_compiles_and_finds_matrix_products():
    rng = random.Random(0)
    w1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
    b1 = [Value(0.0) for _ in range(4)]
    w2 = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    params = [p for row in w1 for p in row] + b1 + w2

    def fn(X, y):
        losses_ = []
        for xrow, yi in zip(X, y):
            x = [Value(xi) for xi in xrow]  # micrograd wraps its inputs; here they are traced
            h = [sum((wi * xi for wi, xi in zip(w, x)), b).relu() for w, b in zip(w1, b1)]
            s = sum((wi * hi for wi, hi in zip(w2, h)), Value(0.1))
            losses_.append((1 + -yi * s).relu())
        return sum(losses_) * (1.0 / len(losses_)) + 1e-4 * sum(p * p for p in params)

    rng = random.Random(1)
    calls = [([[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(10)],
              [rng.choice([-1, 1]) for _ in range(10)]) for _ in range(3)]
    step = assert_same(fn, params, calls)
    assert "matrix product" in step.program()


# ---- the library's losses and layers ---------------------------------------------------------

import nn  # noqa: E402
from nn import losses  # noqa: E402


def _moons(n, seed=0, labels="pm1"):
    X, y = nn.data.make_moons(n, noise=0.1, seed=seed)
    if labels == "pm1":
        y = [2 * t - 1 for t in y]
    return X, y


def _loss_function(name, reduction):
    """(model, fn(X, y) -> loss, targets kind) for each loss of nn.losses."""
    if name in ("cross_entropy", "softmax", "log_softmax"):
        model = nn.MLP(2, [5, 3], seed=1)
    elif name == "binary_cross_entropy":
        model = nn.MLP(2, [5, 1], output_activation="sigmoid", seed=1)
    else:
        model = nn.MLP(2, [5, 1], seed=1)

    def fn(X, y):
        preds = [model(x) for x in X]
        if name == "softmax":
            return sum(p for row in preds for p in losses.softmax(row)[:2]) * 0.5
        if name == "log_softmax":
            return sum(losses.log_softmax(row)[0] for row in preds)
        if name == "l2_penalty":
            return losses.l2_penalty(model, 0.01) + sum(preds)
        out = getattr(losses, name)(preds, y, reduction=reduction)
        return sum(out) if reduction == "none" else out

    return model, fn


LOSS_TARGETS = {
    "mse_loss": "float", "l1_loss": "float", "binary_cross_entropy": "01",
    "binary_cross_entropy_with_logits": "01", "hinge_loss": "pm1", "cross_entropy": "class",
    "softmax": "class", "log_softmax": "class", "l2_penalty": "float",
}  # fmt: skip


def _targets(kind, n, seed):
    rng = random.Random(seed)
    if kind == "float":
        return [rng.uniform(-1, 1) for _ in range(n)]
    if kind == "01":
        return [rng.choice([0, 1, 0.25]) for _ in range(n)]
    if kind == "pm1":
        return [rng.choice([-1, 1]) for _ in range(n)]
    return [rng.randrange(3) for _ in range(n)]


LOSS_CASES = [(name, reduction) for name in sorted(LOSS_TARGETS)
              for reduction in ("mean", "sum", "none")
              if reduction == "mean" or name not in ("softmax", "log_softmax", "l2_penalty")]


@pytest.mark.parametrize("name, reduction", LOSS_CASES)
def test_every_loss_compiles_to_the_interpreted_result(name, reduction):
    model, fn = _loss_function(name, reduction)
    calls = []
    for seed in range(3):  # new inputs and new targets each call: nothing is frozen
        X, _ = _moons(12, seed=seed)
        calls.append((X, _targets(LOSS_TARGETS[name], 12, seed)))
    step = assert_same(fn, model.parameters(), calls)
    assert step.traces == 1


def test_bce_with_saturated_probabilities_keeps_finite_gradients():
    """p = 1.0 exactly (a saturated sigmoid): log(1 - p) is clamped; the unused branch
    computes log(0) = -inf on the replay, and its gradient must not leak NaN."""
    w = Value(1.0)

    def fn(xs, ts):
        ps = [(w * x).sigmoid() for x in xs]
        return losses.binary_cross_entropy(ps, ts)

    assert_same(fn, [w], [([0.5, 2.0], [1.0, 0.0]), ([50.0, -800.0], [1.0, 0.0]),
                          ([40.0, 3.0], [0.0, 1.0])])


ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "softplus", "linear"]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_mlp_with_each_activation_compiles(activation, fused):
    model = nn.MLP(2, [6, 4, 1], activation=activation, output_activation="tanh", seed=2,
                   fused=fused)

    def fn(X, y):
        return losses.mse_loss([model(x) for x in X], y)

    calls = [(_moons(10, seed=s)[0], _targets("float", 10, s)) for s in range(3)]
    step = assert_same(fn, model.parameters(), calls)
    if fused or activation != "linear":
        assert "matrix product" in step.program()


def test_neuron_and_layer_compile():
    neuron, layer = nn.Neuron(3, activation="tanh", seed=0), nn.Layer(3, 2, seed=1)
    params = neuron.parameters() + layer.parameters()

    def fn(X):
        return sum(neuron(x) + sum(layer(x)) for x in X)

    rng = random.Random(0)
    calls = [([[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)],) for _ in range(2)]
    assert_same(fn, params, calls)


def test_dropout_is_drawn_again_on_every_call_like_the_interpreted_model():
    """Two models from one seed: the compiled one and the interpreted one draw the same
    masks, call after call (the mask is not frozen at the trace)."""
    a = nn.MLP(2, [8, 8, 1], dropout=0.5, seed=3)
    b = nn.MLP(2, [8, 8, 1], dropout=0.5, seed=3)
    step = autograd.compile(lambda X, y: losses.mse_loss([a(x) for x in X], y))
    seen = set()
    for s in range(4):
        X, y = _moons(6, seed=s)[0], _targets("float", 6, s)
        want_loss, want = interpreted(lambda X, y: losses.mse_loss([b(x) for x in X], y),
                                      b.parameters(), (X, y))
        got_loss, got = compiled(step, a.parameters(), (X, y))
        assert close(got_loss, want_loss) and all(map(close, got, want))
        seen.add(round(got_loss, 12))
    assert len(seen) == 4 and step.traces == 1


def test_dropout_in_eval_mode_compiles_as_the_identity():
    model = nn.MLP(2, [8, 1], dropout=0.5, seed=3).eval()
    fn = lambda X, y: losses.mse_loss([model(x) for x in X], y)  # noqa: E731
    assert_same(fn, model.parameters(), [(_moons(5)[0], [0.1] * 5)])


# ---- training ----------------------------------------------------------------------------------


def test_uneven_mini_batches_trace_once_per_size_and_match_every_step():
    model = nn.MLP(2, [8, 8, 1], seed=0)
    params = model.parameters()
    X, y = _moons(50)

    def fn(Xb, yb):
        return losses.hinge_loss([model(x) for x in Xb], yb) + losses.l2_penalty(params, 1e-4)

    step = autograd.compile(fn)
    opt = nn.optim.SGD(params, lr=0.05)
    for epoch in range(3):
        for Xb, yb in nn.data.batches(X, y, 16, seed=epoch):  # 16, 16, 16, 2
            want_loss, want = interpreted(fn, params, (Xb, yb))
            got_loss, got = compiled(step, params, (Xb, yb))
            assert close(got_loss, want_loss) and all(map(close, got, want))
            opt.step()
    assert step.traces == 2


def test_one_hundred_training_steps_match_the_interpreted_engine_every_step():
    """micrograd's demo: at every step the compiled loss and grads equal the interpreted
    ones at the same weights, and training with either ends at the same loss."""
    X, y = _moons(100)
    compiled_model, plain_model = nn.MLP(2, [16, 16, 1], seed=0), nn.MLP(2, [16, 16, 1], seed=0)

    def loss_of(model):
        return lambda X, y: (losses.hinge_loss([model(x) for x in X], y)
                             + losses.l2_penalty(model.parameters(), 1e-4))

    step = autograd.compile(loss_of(compiled_model))
    params, plain = compiled_model.parameters(), plain_model.parameters()
    for k in range(100):
        want_loss, want = interpreted(loss_of(compiled_model), params, (X, y))
        got_loss, got = compiled(step, params, (X, y))
        assert close(got_loss, want_loss), k
        assert all(map(close, got, want)), k
        plain_loss, _ = interpreted(loss_of(plain_model), plain, (X, y))
        lr = 1.0 - 0.9 * k / 100
        for p, q in zip(params, plain):
            p.data -= lr * p.grad
            q.data -= lr * q.grad
    assert abs(got_loss - plain_loss) < 1e-9
    assert step.traces == 1


# ---- what cannot be replayed is refused, naming the line --------------------------------------

W = Value(0.5, label="w")


def _refused(fn, *args):
    with pytest.raises(autograd.TracingError) as info:
        autograd.compile(fn)(*args)
    return str(info.value)


def _branch(xs):
    s = W * xs[0]
    if s > 0:  # control flow on a traced value
        return s
    return -s


def _float(xs):
    return W * float(W * xs[0])


def _data(xs):
    return W * (W * xs[0]).data


def _item(xs):
    return W * (W * xs[0]).item()


def _truth(xs):
    s = W * xs[0]
    return s if s else W


def _builtin_max(xs):
    return max(W * xs[0], W * xs[1])


def _math(xs):
    return W * math.exp(W * xs[0])


def _param_data(xs):
    return W * xs[0] if W.data > 0 else W


REFUSALS = {
    _branch: ("`>`) was used as a bool", "if s > 0:"),
    _float: ("`float(v)` needs the number", "float(W * xs[0])"),
    _data: ("`.data` read the number", "(W * xs[0]).data"),
    _item: ("`v.item()` needs the number", ".item()"),
    _truth: ("`if v:` (bool(v))", "return s if s else W"),
    _builtin_max: ("was used as a bool", "max(W * xs[0], W * xs[1])"),
    _math: ("`float(v)` needs the number", "math.exp(W * xs[0])"),
    _param_data: ("`.data` read the number", "W.data > 0"),
}


@pytest.mark.parametrize("fn", list(REFUSALS), ids=[f.__name__ for f in REFUSALS])
def test_python_control_flow_on_traced_numbers_is_refused_naming_the_line(fn):
    what, code = REFUSALS[fn]
    message = _refused(fn, [1.0, 2.0])
    assert what in message and code in message and "test_compile.py" in message
    assert "relu" in message and "autograd.where" in message  # what to write instead


def test_refusal_leaves_the_engine_as_it_was():
    _refused(_data, [1.0, 2.0])
    v = Value(2.0)
    assert v.data == 2.0 and float(v) == 2.0 and (v > 1) is True and bool(v)
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"


def test_random_draws_while_tracing_are_refused():
    rng = random.Random(0)
    message = _refused(lambda xs: W * xs[0] * rng.random(), [1.0])
    assert "random number was drawn while tracing" in message and "random_constant" in message
    assert "random number" in _refused(lambda xs: W * random.random(), [1.0])
    assert "random number" in _refused(lambda xs: W * random.uniform(0, 1), [1.0])
    assert "random number" in _refused(lambda xs: W * random.choice([1, 2]), [1.0])


def test_no_grad_values_used_by_the_result_are_refused():
    def fn(xs):
        with autograd.no_grad():
            frozen = W * xs[0]
        return W * frozen

    message = _refused(fn, [1.0])
    assert "no_grad()" in message and "frozen = W * xs[0]" in message and "detach" in message


def test_values_computed_outside_the_function_are_refused():
    outside = W * 3
    with pytest.raises(autograd.TracingError, match="computed outside"):
        autograd.compile(lambda xs: outside * xs[0])([1.0])


def test_hooks_are_refused():
    v = Value(1.0, label="hooked")
    handle = v.register_hook(lambda g: g * 2)
    try:
        with pytest.raises(autograd.TracingError, match="'hooked' has a hook"):
            autograd.compile(lambda xs: v * xs[0])([1.0])
    finally:
        handle.remove()


def test_backward_inside_the_function_is_refused():
    def fn(xs):
        loss = W * xs[0]
        loss.backward()
        return loss

    assert "`backward()` inside a compiled function" in _refused(fn, [1.0])


def test_bad_arguments_and_results_are_type_errors():
    step = autograd.compile(lambda xs: W * xs[0])
    with pytest.raises(TypeError, match="pass numbers, not Values"):
        step([Value(1.0)])
    with pytest.raises(TypeError, match="pass numbers, not Values"):
        step(Value(1.0))
    with pytest.raises(TypeError, match="must return a Value"):
        autograd.compile(lambda xs: 3.0)([1.0])
    with pytest.raises(TypeError, match="expected a function"):
        autograd.compile(3)


def test_a_compiled_step_is_refused_under_no_grad():
    step = autograd.compile(lambda xs: W * xs[0])
    with no_grad(), pytest.raises(RuntimeError, match="outside no_grad"):
        step([1.0])


# ---- what it does at replay -------------------------------------------------------------------


def test_domain_errors_at_replay_are_the_engine_errors():
    step = autograd.compile(lambda xs: sum((W * x).log() for x in xs))
    step([1.0, 2.0])
    with pytest.raises(ValueError, match=r"log: operand must be > 0, got -0.5"):
        step([1.0, -1.0])
    with pytest.raises(ValueError, match="exp: overflow"):
        autograd.compile(lambda xs: (W * xs[0]).exp())([2000.0])
    step = autograd.compile(lambda xs: (W * xs[0]) ** -1)
    step([1.0])
    with pytest.raises(ZeroDivisionError):
        step([0.0])


def test_require_is_checked_again_at_replay():
    step = autograd.compile(lambda X, y: losses.hinge_loss([W * x for x in X], y))
    step([1.0, 2.0], [1, -1])
    with pytest.raises(ValueError, match=r"hinge_loss: targets\[1\] = 0.0; labels must be -1 or"):
        step([1.0, 2.0], [1, 0])


def test_a_where_branch_missing_from_the_trace_is_traced_when_needed():
    def fn(xs):
        return sum(where(W * x >= 1e-3, lambda x=x: (W * x).log(), 0.0) for x in xs)

    step = autograd.compile(fn)
    assert_same(fn, [W], [([0.0, 0.0],), ([4.0, 0.0],), ([3.0, 5.0],)], step)
    # each lane's log branch fails on 0.0 while tracing and is traced again when first needed
    assert step.traces == 3


def test_detect_anomaly_runs_the_ordinary_engine():
    step = autograd.compile(lambda xs: (W * xs[0]).sqrt())
    with detect_anomaly():
        W.grad = 0.0
        assert step([2.0]) == 1.0 and W.grad == 1.0
        with pytest.raises(FloatingPointError, match="op 'sqrt'"):
            step([0.0])
    assert step.traces == 0


def test_extra_outputs_static_arguments_and_ragged_lists():
    def fn(rows, scale, mode):
        outs = [sum(W * x for x in row) * scale for row in rows]
        total = sum(outs)
        return (total, outs) if mode == "with outputs" else total

    step = autograd.compile(fn)
    loss, outs = step([[1.0], [2.0, 3.0]], 2, "with outputs")
    assert loss == 6.0 and outs == [1.0, 5.0] and isinstance(outs[0], float)
    assert step([[1.0], [2.0, 3.0]], 2, "plain") == 6.0 and step.traces == 2
    assert step([[1.0, 1.0], [2.0]], 1, "plain") == 2.0 and step.traces == 3


def test_leaves_accumulate_across_calls_like_backward():
    w = Value(1.0)
    step = autograd.compile(lambda xs: w * xs[0])
    w.grad = None
    step([2.0])
    assert w.grad == 2.0
    step([3.0])
    assert w.grad == 5.0


def test_program_lists_each_array_step_with_what_it_covers():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    step = autograd.compile(lambda X, y: losses.hinge_loss([model(x) for x in X], y))
    with pytest.raises(RuntimeError, match="not been called"):
        step.program()
    step(*_moons(20))
    listing = step.program()
    assert "(20, 16)  matrix product: 320 linear nodes = 20 rows x 16 weight rows" in listing
    assert "layers.0.neurons.{0..15}" in listing and "relu" in listing
    assert len(listing.splitlines()) < 80


def test_without_numpy_compile_says_which_extra_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "numpy", None)  # `import numpy` now raises ImportError
    with pytest.raises(ModuleNotFoundError, match=r'pip install "chainrule\[compile\]"'):
        autograd.compile(lambda xs: W * xs[0])


def test_import_autograd_does_not_import_numpy():
    import subprocess
    import sys

    code = "import sys, autograd, nn; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert out.stdout.strip() == "False", out.stderr


# ---- nn.fit and the chainrule command -----------------------------------------------------------


@pytest.mark.parametrize(
    "loss, batch_size, dropout, nout",
    [("hinge", None, 0.0, 1), ("bce_with_logits", 16, 0.0, 1), ("mse", 16, 0.0, 1),
     ("cross_entropy", 16, 0.3, 2), ("hinge", 16, 0.5, 1)],
)
def test_fit_compiled_records_the_interpreted_history(loss, batch_size, dropout, nout):
    X, y01 = nn.data.make_moons(40, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y01] if loss == "hinge" else y01

    def train(compiled):
        model = nn.MLP(2, [8, 8, nout], seed=0, dropout=dropout)
        opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=8, batch_size=batch_size,
                      l2=1e-4, progress=False, seed=1, compile=compiled), model

    (plain, a), (fast, b) = train(False), train(True)
    for key in ("loss", "grad_norm") + (("accuracy",) if "accuracy" in plain.columns else ()):
        assert all(map(close, fast[key], plain[key])), key
    assert all(close(p.data, q.data) for p, q in zip(b.parameters(), a.parameters()))


def test_fit_refuses_compile_with_track_grad_flow():
    with pytest.raises(ValueError, match="track_grad_flow=True needs compile=False"):
        nn.fit(nn.MLP(2, [2, 1]), [[0.0, 1.0]], [1.0], epochs=1, progress=False, compile=True,
               track_grad_flow=True)


def test_the_command_compiles_unless_told_not_to():
    from nn.cli.common import compiled_steps
    from nn.cli.parser import build_parser

    parse = build_parser().parse_args
    assert compiled_steps(parse(["demo"])) is True
    assert compiled_steps(parse(["demo", "--no-compile"])) is False
    assert compiled_steps(parse(["train", "--dataset", "xor"])) is True
    assert compiled_steps(parse(["train", "--dataset", "xor", "--grad-flow"])) is False


def test_the_moons_benchmark_prints_the_compiled_tier_and_numpy_by_hand():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "benchmarks/moons.py", "--steps", "3", "--points", "12", "--width", "4",
         "--gc", "on", "--skip", "torch,micrograd"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    losses_ = {}
    for line in out.stdout.splitlines():
        for name in ("chainrule (engine)", "chainrule (compiled)", "numpy by hand"):
            fields = line[len(name):].split()
            if line.startswith(name) and len(fields) == 2:
                losses_[name] = float(fields[1])
    assert len(losses_) == 3, out.stdout
    assert abs(losses_["chainrule (compiled)"] - losses_["chainrule (engine)"]) < 1e-12
    assert abs(losses_["numpy by hand"] - losses_["chainrule (engine)"]) < 1e-12
    assert "x numpy by hand" in out.stdout and "first call (trace + build)" in out.stdout


def test_nodes_built_by_hand_are_refused():
    message = _refused(lambda xs: Value(3.0, (W, W), "+") * xs[0], [1.0])
    assert "built by hand" in message and "Build it with the op" in message


def test_functions_without_parameters_scalar_arguments_and_nested_extras():
    step = autograd.compile(lambda x, pair: ((x * 2).exp(), [[x * pair[0]], (x + pair[1],)]))
    loss, extra = step(0.5, (2.0, 3.0))
    assert close(loss, math.exp(1.0)) and extra == [[1.0], [3.5]]
    assert step(1.0, (1.0, 1.0))[1] == [[1.0], [2.0]] and step.traces == 1


def test_a_compiled_step_keeps_its_parameters_but_not_the_traced_graph():
    import gc
    import weakref

    seen = []

    def fn(xs):
        nodes = [(W * x).tanh() for x in xs]
        seen.append(weakref.ref(nodes[0]))
        return sum(nodes), nodes

    step = autograd.compile(fn)
    step([1.0, 2.0])
    gc.collect()
    assert seen[0]() is None  # the graph went; the program and W stay
    assert step([1.0, 2.0])[1] == [math.tanh(0.5), math.tanh(1.0)]
