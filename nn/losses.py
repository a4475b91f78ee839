"""Loss functions on lists of Values or floats, matching torch.nn.functional's definitions."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from autograd import Value, linear, pick, require, where

__all__ = [
    "mse_loss",
    "l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "l2_penalty",
    "softmax",
    "log_softmax",
]

Scalar = Value | float | int
Scalars = Scalar | Sequence[Scalar]
Loss = Value | list[Value]

REDUCTIONS = ("mean", "sum", "none")
LOG_CLAMP = -100.0  # binary_cross_entropy clamps each log at -100, as PyTorch does


def _least_unclamped(bound: float) -> float:
    """The least float p with math.log(p) >= bound: x >= it says whether log(x) is clamped."""
    p = math.exp(bound)
    while math.log(p) < bound:
        p = math.nextafter(p, math.inf)
    while math.log(math.nextafter(p, 0.0)) >= bound:
        p = math.nextafter(p, 0.0)
    return p


LEAST_UNCLAMPED = _least_unclamped(LOG_CLAMP)

# The checks and choices below that depend on the numbers use autograd's require, where and
# pick, and Value.detach, so that a loss compiled by autograd.compile makes them again on
# each call.


# ---- input checking and reduction ----------------------------------------------------------


def _check_reduction(reduction: Any, where: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _term(x: Any, where: str) -> Value | float:
    """A Value stays a Value (gradients flow to it); a real number becomes a float."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{where} must be a Value or a real number, got {type(x).__name__} {x!r:.60}")


def _as_list(xs: Any, name: str, where: str) -> list[Value | float]:
    """A list of Values/floats from a list, tuple or single Value/number."""
    if isinstance(xs, (Value, numbers.Real)):
        return [_term(xs, f"{where}: {name}")]
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Iterable):
        raise TypeError(
            f"{where}: {name} must be a list of Values or numbers, got {type(xs).__name__}"
        )
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, (list, tuple)):
            raise TypeError(
                f"{where}: {name}[{i}] is a {type(x).__name__}; pass a flat list of Values or "
                f"numbers (flatten multi-output predictions first)"
            )
        out.append(_term(x, f"{where}: {name}[{i}]"))
    return out


def _pairs(pred: Any, target: Any, where: str, names: tuple[str, str] = ("input", "target")):
    """Check and align an elementwise loss's two inputs: same length, not empty."""
    xs = _as_list(pred, names[0], where)
    ts = _as_list(target, names[1], where)
    if len(xs) != len(ts):
        raise ValueError(
            f"{where}: {names[0]} has {len(xs)} elements but {names[1]} has {len(ts)}; "
            f"they must match"
        )
    if not xs:
        raise ValueError(f"{where}: {names[0]} is empty; a loss needs at least one element")
    return xs, ts


def _value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _total(terms: Sequence[Value | float]) -> Value:
    """t0 + t1 + ... as one node (``linear`` with weights 1): one node instead of n."""
    return linear([_value(t) for t in terms], [1.0] * len(terms))


def _reduce(terms: list[Value | float], reduction: str) -> Loss:
    """'none' -> the list of per-element losses, 'sum' -> their sum, 'mean' -> sum / n."""
    if reduction == "none":
        return [_value(t) for t in terms]
    total = _total(terms)
    if reduction == "sum":
        return total
    return total * (1.0 / len(terms))


# ---- regression losses ---------------------------------------------------------------------


def mse_loss(input: Scalars, target: Scalars, reduction: str = "mean") -> Loss:
    """Mean squared error: mean over i of (input_i - target_i)^2, as ``F.mse_loss``.

    ``input`` and ``target`` are lists of Values or numbers of the same length (or one of each).
    ``reduction``: "mean" (default), "sum", or "none" for the list of per-element losses.

    >>> from autograd import Value
    >>> p = [Value(1.0), Value(2.0)]
    >>> loss = mse_loss(p, [0.0, 4.0]); loss.data         # (1 + 4) / 2
    2.5
    >>> loss.backward(); [v.grad for v in p]              # 2 (p - t) / n
    [1.0, -2.0]
    """
    _check_reduction(reduction, "mse_loss")
    xs, ts = _pairs(input, target, "mse_loss")
    terms = []
    for x, t in zip(xs, ts):
        d = _value(x) - t
        terms.append(d * d)
    return _reduce(terms, reduction)


def l1_loss(input: Scalars, target: Scalars, reduction: str = "mean") -> Loss:
    """Mean absolute error: mean over i of |input_i - target_i|, as ``F.l1_loss``.

    The gradient of |d| at d = 0 is 0, as in PyTorch.

    >>> from autograd import Value
    >>> p = [Value(1.0), Value(2.0)]
    >>> loss = l1_loss(p, [0.0, 4.0]); loss.data          # (1 + 2) / 2
    1.5
    >>> loss.backward(); [v.grad for v in p]              # sign(p - t) / n
    [0.5, -0.5]
    """
    _check_reduction(reduction, "l1_loss")
    xs, ts = _pairs(input, target, "l1_loss")
    return _reduce([abs(_value(x) - t) for x, t in zip(xs, ts)], reduction)


# ---- binary classification -----------------------------------------------------------------


def _in_unit_interval(x: Any) -> Any:
    return (0.0 <= x) & (x <= 1.0)  # False for NaN; elementwise on arrays too


def _check_unit_interval(values: list[Value | float], name: str, where: str) -> None:
    require(values, _in_unit_interval, lambda i, x: (
        f"{where}: {name}[{i}] = {x!r} is outside [0, 1]"
    ))


def _clamped_log(x: Value) -> Value | float:
    """log(x) clamped below at -100 (so log 0 = -100): PyTorch's guard in binary_cross_entropy.

    Where the clamp bites, the result is the constant -100, whose gradient is 0.
    """
    return where(x >= LEAST_UNCLAMPED, x.log, LOG_CLAMP)


def binary_cross_entropy(input: Scalars, target: Scalars, reduction: str = "mean") -> Loss:
    """Binary cross-entropy on probabilities, as ``F.binary_cross_entropy``.

    loss_i = -(t_i * log(p_i) + (1 - t_i) * log(1 - p_i)), each log clamped to >= -100 as in
    PyTorch, so p = 0 or 1 gives a finite loss (at most 100) instead of infinity. Every p_i and
    t_i must lie in [0, 1] (a ValueError names the first one that does not). Prefer
    ``binary_cross_entropy_with_logits`` on raw scores: it is exact where sigmoid saturates.

    Gradient: (p - t) / (p (1 - p)) wherever 1e-12 < p < 1 - 1e-12 (the same as PyTorch to
    rounding). Nearer to 0 or 1 this is the exact derivative of the formula above (0 through a
    clamped log), while PyTorch's hand-written backward divides by max(p (1 - p), 1e-12).

    >>> from autograd import Value
    >>> p = Value(0.8)
    >>> loss = binary_cross_entropy([p], [1.0]); round(loss.data, 6)   # -log 0.8
    0.223144
    >>> loss.backward(); p.grad                                         # -1 / 0.8
    -1.25
    >>> binary_cross_entropy([0.0], [1.0]).data                         # clamped: log 0 -> -100
    100.0
    """
    where = "binary_cross_entropy"
    _check_reduction(reduction, where)
    ps, ts = _pairs(input, target, where)
    _check_unit_interval(ps, "input", where)
    _check_unit_interval(ts, "target", where)
    terms = []
    for p, t in zip(ps, ts):
        p = _value(p)
        log_p, log_1mp = _clamped_log(p), _clamped_log(1.0 - p)
        terms.append(-(t * log_p + (1.0 - t) * log_1mp))
    return _reduce(terms, reduction)


def binary_cross_entropy_with_logits(
    input: Scalars, target: Scalars, reduction: str = "mean"
) -> Loss:
    """Binary cross-entropy on logits (sigmoid + BCE in one stable step), as PyTorch's.

    loss_i = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))), which simplifies to
    ``softplus(x) - t x`` = ``max(x, 0) - t x + log(1 + exp(-|x|))``. It is computed as
    ``(1 - t) x + softplus(-x)`` for x >= 0 and ``softplus(x) - t x`` for x < 0 (equal by
    softplus(x) = x + softplus(-x)): both parts are >= 0, so nothing cancels or overflows,
    even at x = +-1000. The gradient is sigmoid(x) - t. Targets must lie in [0, 1].

    >>> from autograd import Value
    >>> x = Value(0.0)
    >>> loss = binary_cross_entropy_with_logits([x], [1.0]); round(loss.data, 6)   # log 2
    0.693147
    >>> loss.backward(); x.grad                                                   # 0.5 - 1
    -0.5
    >>> binary_cross_entropy_with_logits([1000.0], [0.0]).data
    1000.0
    """
    where = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, where)
    xs, ts = _pairs(input, target, where)
    _check_unit_interval(ts, "target", where)
    terms = [_logit_term(_value(x), t) for x, t in zip(xs, ts)]
    return _reduce(terms, reduction)


def _logit_term(x: Value, t: Value | float) -> Value:
    """(1 - t) x + softplus(-x) for x >= 0, softplus(x) - t x below: both parts >= 0."""
    return where(x >= 0, lambda: (1.0 - t) * x + (-x).softplus(), lambda: x.softplus() - t * x)


def _is_label(y: Any) -> Any:
    return (y == 1.0) | (y == -1.0)


def hinge_loss(scores: Scalars, targets: Scalars, reduction: str = "mean") -> Loss:
    """Hinge (max-margin) loss, as in micrograd's demo: mean over i of relu(1 - y_i * s_i).

    ``targets`` are labels in {-1, +1} (a ValueError names any other label; for 0/1 labels
    use ``2 * y - 1``). A sample stops contributing once it is classified with margin 1.

    >>> from autograd import Value
    >>> s = [Value(2.0), Value(0.5), Value(-0.5)]
    >>> loss = hinge_loss(s, [1, 1, 1]); loss.data        # (0 + 0.5 + 1.5) / 3
    0.6666666666666666
    >>> loss.backward(); [round(v.grad, 4) for v in s]
    [0.0, -0.3333, -0.3333]
    """
    where = "hinge_loss"
    _check_reduction(reduction, where)
    ss, ys = _pairs(scores, targets, where, ("scores", "targets"))
    require(ys, _is_label, lambda i, y: (
        f"{where}: targets[{i}] = {y!r}; labels must be -1 or +1 (for 0/1 labels pass 2 * y - 1)"
    ))
    terms = [(1.0 - y * _value(s)).relu() for s, y in zip(ss, ys)]
    return _reduce(terms, reduction)


# ---- multi-class classification ------------------------------------------------------------


def _logit_row(logits: Any, where: str) -> list[Value | float]:
    row = _as_list(logits, "logits", where)
    if not row:
        raise ValueError(f"{where}: logits is empty; pass one logit per class")
    return row


def _shifted(row: list[Value | float]) -> list[Value]:
    """z - m for each logit z, with m = max(z) a constant (no gradient): every exp(z - m) <= 1.

    m is ``detach``ed from the max of the row's Values, so a compiled loss finds each call's
    max again.
    """
    values = [_value(z) for z in row]
    minus_max = (-functools.reduce(Value.max, values)).detach()
    return [z + minus_max for z in values]


def log_softmax(logits: Scalars) -> list[Value]:
    """log softmax(z)_i = z_i - m - log(sum_j exp(z_j - m)), with m = max(z) (log-sum-exp).

    Subtracting the max m (a constant: the result does not depend on it) keeps every exp
    at most 1, so logits of +-1000 are fine.

    >>> [round(v.data, 4) for v in log_softmax([1000.0, 0.0, -1000.0])]
    [0.0, -1000.0, -2000.0]
    """
    shifted = _shifted(_logit_row(logits, "log_softmax"))
    log_total = _total([z.exp() for z in shifted]).log()  # the sum is >= 1: log is safe
    return [z - log_total for z in shifted]


def softmax(logits: Scalars) -> list[Value]:
    """softmax(z)_i = exp(z_i - m) / sum_j exp(z_j - m), with m = max(z); sums to 1.

    >>> [round(v.data, 4) for v in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    >>> [v.data for v in softmax([1000.0, -1000.0])]
    [1.0, 0.0]
    """
    exps = [z.exp() for z in _shifted(_logit_row(logits, "softmax"))]
    inv_total = _total(exps) ** -1  # one reciprocal shared by every class
    return [e * inv_total for e in exps]


def _class_index(target: Any, n_classes: int, where: str) -> int | Value:
    if isinstance(target, Value):  # (as a compiled loss sees its targets) checked on each call
        require([target], lambda t: (t % 1 == 0) & (t >= 0) & (t < n_classes), lambda i, t: (
            f"{where} = {t!r} is not a class index: an int in [0, {n_classes})"
        ))
        return target
    if isinstance(target, bool) or not isinstance(target, numbers.Real):
        raise TypeError(
            f"{where} must be an int class index, got {type(target).__name__} {target!r:.60}"
        )
    if not float(target).is_integer():
        raise ValueError(f"{where} must be an int class index, got {target!r}")
    index = int(target)
    if not 0 <= index < n_classes:
        raise ValueError(f"{where} = {index} is out of range for {n_classes} classes")
    return index


def _one_cross_entropy(logits: list[Value | float], target: int | Value) -> Value:
    # -log softmax(z)_t = log(sum_j exp(z_j - m)) - (z_t - m)
    shifted = _shifted(logits)
    log_total = _total([z.exp() for z in shifted]).log()
    return log_total - pick(shifted, target)


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Loss:
    """Softmax cross-entropy from raw logits and class indices, as ``F.cross_entropy``.

    One sample: ``logits`` is a list of C Values/numbers and ``target`` an int in [0, C);
    the result is -log softmax(logits)[target] (a Value, whatever the reduction). A batch:
    ``logits`` is a list of N such lists and ``target`` a list of N ints; ``reduction`` is
    "mean" (default), "sum" or "none" (the list of N losses). Softmax goes through
    log-sum-exp with the max subtracted, so logits of +-1000 are exact. The gradient with
    respect to logit j is softmax_j - [j == target].

    >>> from autograd import Value
    >>> z = [Value(1.0), Value(-2.0), Value(0.5)]
    >>> loss = cross_entropy(z, 2); round(loss.data, 6)
    1.004597
    >>> loss.backward(); [round(v.grad, 4) for v in z]
    [0.6037, 0.0301, -0.6338]
    >>> cross_entropy([[1000.0, 0.0], [0.0, 1000.0]], [1, 1], reduction="none")[0].data
    1000.0
    """
    where = "cross_entropy"
    _check_reduction(reduction, where)
    if isinstance(logits, (Value, numbers.Real)) or isinstance(logits, (str, bytes)):
        raise TypeError(
            f"{where}: logits must be a list of C logits (one sample) or a list of such "
            f"lists (a batch), got {type(logits).__name__}"
        )
    rows = list(logits)
    if not rows:
        raise ValueError(f"{where}: logits is empty")
    if not isinstance(rows[0], (list, tuple)):  # one sample
        row = _logit_row(rows, where)
        if isinstance(target, (list, tuple)):
            raise TypeError(
                f"{where}: for one sample (a flat list of logits) target must be an int class "
                f"index, got a {type(target).__name__}; for a batch pass a list of logit lists"
            )
        return _one_cross_entropy(row, _class_index(target, len(row), f"{where}: target"))
    if isinstance(target, (str, bytes)) or not isinstance(target, Iterable):
        raise TypeError(
            f"{where}: for a batch of {len(rows)} logit lists, target must be a list of "
            f"{len(rows)} class indices, got {type(target).__name__}"
        )
    targets = list(target)
    if len(targets) != len(rows):
        raise ValueError(
            f"{where}: logits has {len(rows)} samples but target has {len(targets)}; "
            f"they must match"
        )
    n_classes = None
    losses = []
    for i, (row, t) in enumerate(zip(rows, targets)):
        if not isinstance(row, (list, tuple)):
            raise TypeError(f"{where}: logits[{i}] must be a list of logits, got {row!r:.60}")
        row = _logit_row(row, f"{where}: logits[{i}]")
        if n_classes is None:
            n_classes = len(row)
        elif len(row) != n_classes:
            raise ValueError(
                f"{where}: logits[{i}] has {len(row)} classes but logits[0] has {n_classes}"
            )
        losses.append(_one_cross_entropy(row, _class_index(t, n_classes, f"{where}: target[{i}]")))
    return _reduce(losses, reduction)


# ---- regularisation ------------------------------------------------------------------------


def l2_penalty(params: Any, alpha: float = 1e-4) -> Value:
    """alpha * sum of p^2 over ``params``: L2 regularisation added to a loss.

    ``params`` is an iterable of Values (``model.parameters()``) or a module with a
    ``parameters()`` method. micrograd's demo uses ``alpha = 1e-4`` (the default here) with
    the hinge loss. Its gradient is 2 alpha p, which is what ``weight_decay = 2 alpha`` does in
    SGD. Computed as one ``linear`` node (p . p) for speed.

    >>> from autograd import Value
    >>> w = [Value(3.0), Value(-4.0)]
    >>> reg = l2_penalty(w, alpha=0.5); reg.data          # 0.5 * (9 + 16)
    12.5
    >>> reg.backward(); [v.grad for v in w]               # 2 * 0.5 * p
    [3.0, -4.0]
    """
    where = "l2_penalty"
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{where}: alpha must be a real number, got {type(alpha).__name__}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"{where}: alpha must be a finite number >= 0, got {alpha!r}")
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value):
        params = [params]
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{where}: params must be an iterable of Values, got {type(params).__name__}"
        )
    ps = list(params)
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}")
    if not ps:
        raise ValueError(f"{where}: params is empty (an exhausted generator?)")
    return linear(ps, ps) * alpha  # d(p . p)/dp = 2p
