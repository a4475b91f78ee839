"""Ops of many inputs as ONE node: ``linear`` (a neuron's weighted sum), ``softmax``,
``cross_entropy`` and ``rms_scale`` (the ideas a transformer is built from).

A node like this is a primitive like any other (a forward value and one rule in ``RULES``),
but it keeps its inputs as one tuple, so a neuron with n inputs costs one node, not 2n.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from typing import Any

from .engine import MANY, RULES, Rule, Scalar, Value, make_node
from .tracing import active_trace, pick

__all__ = [
    "linear", "matvec", "linear_parts", "softmax", "cross_entropy", "rms_scale", "rmsnorm",
    "describe_inputs",
]  # fmt: skip


def linear(weights: Sequence[Value], inputs: Sequence[Scalar], bias: Scalar = 0.0) -> Value:
    """``bias + w0*x0 + w1*x1 + ...`` as ONE node: a neuron's weighted sum.

    The same number as summing the products one by one in that order (so results match
    micrograd's ``sum((wi*xi for ...), b)`` bit for bit), but one node instead of 2n, which
    makes training several times faster. ``draw_dot`` shows it as one ``linear`` node.

    >>> w, b = [Value(2.0), Value(-1.0)], Value(0.5)
    >>> y = linear(w, [3.0, 4.0], b); y.data
    2.5
    >>> y.backward(); [wi.grad for wi in w], b.grad
    ([3.0, 4.0], 1.0)
    """
    if not isinstance(weights, (list, tuple)):
        weights = list(weights)
    if not isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
    b = bias if isinstance(bias, Value) else Value(bias)
    if len(weights) != len(inputs):
        raise ValueError(f"linear: {len(weights)} weights but {len(inputs)} inputs")
    try:  # the common case: all Values (a layer's weights and inputs)
        out = b.data
        for w, x in zip(weights, inputs):
            out += w.data * x.data
    except (AttributeError, TypeError):  # numbers among them (numpy's have a .data too)
        out = None
    if type(out) is not float:  # so make every number a constant Value (or a TypeError)
        ws = [w if isinstance(w, Value) else Value(w) for w in weights]
        return linear(ws, [x if isinstance(x, Value) else Value(x) for x in inputs], b)
    return make_node(out, (*weights, *inputs, b), MANY, "linear")


def matvec(
    rows: Sequence[Sequence[Value]], inputs: Sequence[Scalar], bias: Scalar = 0.0
) -> list[Value]:
    """``[linear(row, inputs, bias) for row in rows]``: a matrix times a vector, one ``linear``
    node per row, the same nodes and the same floats.

    Faster than calling ``linear`` per row (the GPT's matrices have 16 to 64 rows): the
    inputs are checked, and their data read, once for all the rows.

    >>> W = [[Value(1.0), Value(2.0)], [Value(0.0), Value(-1.0)]]
    >>> [y.data for y in matvec(W, [Value(3.0), Value(4.0)])]
    [11.0, -4.0]
    """
    if not isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
    xs = [x if isinstance(x, Value) else Value(x) for x in inputs]
    b = bias if isinstance(bias, Value) else Value(bias)
    data = [x.data for x in xs]
    tail = (*xs, b)  # every row's node takes these inputs after its weights
    out = []
    for row in rows:
        if len(row) != len(xs):
            raise ValueError(f"matvec: a row has {len(row)} weights but there are {len(xs)} inputs")
        total = b.data
        try:
            for w, x in zip(row, data):
                total += w.data * x
        except AttributeError:
            raise TypeError("matvec: every row must be a list of Values") from None
        out.append(make_node(total, (*row, *tail), MANY, "linear"))
    return out


def linear_parts(args: Sequence[Any]) -> tuple[Sequence[Any], Sequence[Any], Any]:
    """Split a ``linear`` node's inputs w0..wn-1, x0..xn-1, b into (weights, inputs, bias).

    >>> w = Value(2.0)
    >>> weights, inputs, bias = linear_parts(linear([w], [3.0], 0.5).inputs)
    >>> weights == (w,), inputs[0].data, bias.data
    (True, 3.0, 0.5)
    """
    n = (len(args) - 1) // 2
    return args[:n], args[n : 2 * n], args[-1]


def _d_linear(out: Any, *args: Any) -> tuple[Any, ...]:
    ws, xs, _ = linear_parts(args)
    return (*xs, *ws, 1.0)  # d/dw_j = x_j, d/dx_j = w_j, d/db = 1


RULES["linear"] = Rule(
    "b + sum_j w_j * x_j", _d_linear, ("d/dw_j = x_j", "d/dx_j = w_j", "d/db = 1")
)


# ---- softmax, cross-entropy and the RMS scale: the ideas of a transformer, one node each --------
# Each output of these ops takes a whole vector as its inputs. Where one entry plays a part of
# its own (the z_i whose probability this is, the logit of the target class), it comes first as
# ``a`` and again among all the entries: softmax_i = exp(a) / sum_j exp(z_j) with a = z_i. The
# rule then needs no index: d/da is the entry's own part, d/dz_j the part it has through the
# sum, and the chain rule adds the two for z_i, as for any input used twice.
#
# While autograd.compile traces a function, each of these ops records its definition in
# primitive ops instead (exp, log, **, linear, a detached max, pick), which the compiler turns
# into arrays: the same values to rounding, the same gradients.


def _minus_max(zs: list[Value]) -> Value:
    """-max(z) as a constant (no gradient) that a compiled replay finds again each call."""
    return (-functools.reduce(Value.max, zs)).detach()  # type: ignore[attr-defined]


def _total(values: list[Value]) -> Value:
    return linear(values, [1.0] * len(values))


def _as_values(xs: Sequence[Scalar], where: str) -> list[Value]:
    if not isinstance(xs, (list, tuple)):
        xs = list(xs)
    if not xs:
        raise ValueError(f"{where}: needs at least one value, got an empty list")
    return [x if isinstance(x, Value) else Value(x) for x in xs]


def _softmax_floats(zs: Sequence[float]) -> list[float]:
    top = max(zs)  # exp(z - top) <= 1: no overflow, and the result does not depend on top
    exps = [math.exp(z - top) for z in zs]
    total = 0.0
    for e in exps:
        total += e
    return [e / total for e in exps]


def _softmax_of(zs: Sequence[Any]) -> list[Any]:
    """softmax on floats, or on Values (recorded: the rules below run on Values too)."""
    if isinstance(zs[0], Value):
        return softmax(zs)
    return _softmax_floats(zs)


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """``exp(z_i) / sum_j exp(z_j)`` for each i: n nodes, each taking all n logits.

    Computed with the largest logit subtracted first (the result is the same, and nothing
    overflows). Each output is one ``softmax`` node whose inputs are its own logit (``a``)
    and then all of them (``z0, z1, ...``); ``draw_dot`` labels the edges so.

    >>> z = [Value(1.0), Value(2.0), Value(3.0)]
    >>> p = softmax(z); [round(v.data, 4) for v in p]
    [0.09, 0.2447, 0.6652]
    >>> p[2].backward(); [round(v.grad, 4) for v in z]     # s_2 (delta_2j - s_j)
    [-0.0599, -0.1628, 0.2227]
    """
    zs = _as_values(logits, "softmax")
    if active_trace() is not None:  # compiled: in primitive ops (see above)
        exps = [(z + _minus_max(zs)).exp() for z in zs]
        inverse = _total(exps) ** -1
        return [e * inverse for e in exps]
    probs = _softmax_floats([z.data for z in zs])
    return [make_node(p, (z, *zs), MANY, "softmax") for z, p in zip(zs, probs)]


def _d_softmax(out: Any, a: Any, *zs: Any) -> tuple[Any, ...]:
    minus_out = -out
    return (out, *[minus_out * s for s in _softmax_of(zs)])  # d/da = s, d/dz_j = -s * s_j


def cross_entropy(logits: Sequence[Scalar], target: int | Value) -> Value:
    """``-log softmax(z)[target] = log(sum_j exp(z_j)) - z_target`` as ONE node.

    The loss of a classifier for one sample, with logits ``z`` and the index of the right
    class (an int, or a Value holding one, as a compiled function sees its targets). Its
    inputs are the target's logit (``a``) and then all the logits; the gradient toward logit
    j is ``softmax(z)_j - [j == target]``.

    >>> z = [Value(1.0), Value(-2.0), Value(0.5)]
    >>> loss = cross_entropy(z, 2); round(loss.data, 6)
    1.004597
    >>> loss.backward(); [round(v.grad, 4) for v in z]
    [0.6037, 0.0301, -0.6338]
    """
    zs = _as_values(logits, "cross_entropy")
    if not isinstance(target, Value):
        target = _class_index(target, len(zs))
    if active_trace() is not None:  # compiled: in primitive ops (see above)
        shifted = [z + _minus_max(zs) for z in zs]
        return _total([z.exp() for z in shifted]).log() - pick(shifted, target)
    a = pick(zs, target)  # the target's logit (a Value target is checked as pick checks it)
    data = [z.data for z in zs]
    top = max(data)
    total = 0.0
    for d in data:
        total += math.exp(d - top)
    loss = math.log(total) - (a.data - top)  # log-sum-exp, shifted by the max
    return make_node(loss, (a, *zs), MANY, "cross_entropy")


def _class_index(target: Any, n: int) -> int:
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise TypeError(f"cross_entropy: target must be an int class index, got {target!r:.60}")
    if not 0 <= target < n:
        raise ValueError(f"cross_entropy: target must be a class index in [0, {n}), got {target!r}")
    return int(target)


def _d_cross_entropy(out: Any, a: Any, *zs: Any) -> tuple[Any, ...]:
    return (-1.0, *_softmax_of(zs))  # d/da = -1, d/dz_j = softmax(z)_j


def rms_scale(xs: Sequence[Scalar], eps: float = 1e-5) -> Value:
    """``r = 1 / sqrt(mean_j x_j^2 + eps)``, RMSNorm's scale, as ONE node.

    Its inputs are the n values and then ``eps`` (a constant). ``rmsnorm`` multiplies each
    value by it. The gradient toward x_j is ``-r^3 x_j / n``.

    >>> xs = [Value(3.0), Value(4.0)]
    >>> r = rms_scale(xs, eps=0.0); r.data                 # 1 / sqrt((9 + 16) / 2)
    0.282842712474619
    >>> r.backward(); [round(x.grad, 6) for x in xs]
    [-0.033941, -0.045255]
    """
    values = _as_values(xs, "rms_scale")
    if isinstance(eps, Value) or not (isinstance(eps, (int, float)) and eps >= 0):
        raise ValueError(f"rms_scale: eps must be a number >= 0, got {eps!r}")
    e = Value(eps)  # a constant leaf, like the slope of leaky_relu
    if active_trace() is not None:  # compiled: in primitive ops (see above)
        return (linear(values, values) * (1 / len(values)) + e) ** -0.5
    squares = 0.0
    for x in values:
        squares += x.data * x.data
    total = squares / len(values) + e.data
    if total == 0:
        raise ZeroDivisionError("rms_scale: mean square + eps is 0 (every value 0 and eps 0)")
    return make_node(total**-0.5, (*values, e), MANY, "rms_scale")


def _d_rms_scale(out: Any, *args: Any) -> tuple[Any, ...]:
    xs = args[:-1]
    r_cubed = out * out * out
    slope = -r_cubed / len(xs)
    return (*[slope * x for x in xs], -0.5 * r_cubed)  # d/dx_j = -r^3 x_j / n, d/deps = -r^3/2


def rmsnorm(xs: Sequence[Scalar], eps: float = 1e-5) -> list[Value]:
    """``x_i / sqrt(mean_j x_j^2 + eps)`` for each i: each x_i times one ``rms_scale`` node.

    A derived op: n products sharing one scale node, so the graph has n + 1 nodes and
    backward costs O(n), not the O(n^2) of n nodes that each take all n values.

    >>> [round(v.data, 4) for v in rmsnorm([3.0, 4.0], eps=0.0)]
    [0.8485, 1.1314]
    """
    values = _as_values(xs, "rmsnorm")
    r = rms_scale(values, eps)
    return [x * r for x in values]


RULES["softmax"] = Rule(
    "exp(a) / sum_j exp(z_j)",
    _d_softmax,
    ("d/da = s (the output)", "d/dz_j = -s * softmax(z)_j"),
)
RULES["cross_entropy"] = Rule(
    "log(sum_j exp(z_j)) - a", _d_cross_entropy, ("d/da = -1", "d/dz_j = softmax(z)_j")
)
RULES["rms_scale"] = Rule(
    "(mean_j x_j^2 + eps)^(-1/2)",
    _d_rms_scale,
    ("d/dx_j = -r^3 * x_j / n (r: the output)", "d/deps = -r^3 / 2"),
)


# ---- how the views (draw_dot's edge labels, the explorer, the text tree) name the inputs ------


def _exp_sum_names(k: int) -> tuple[tuple[str, ...], str]:
    """softmax's and cross_entropy's input names (a, z0, z1, ...) and their sum of exps."""
    return ("a", *(f"z{j}" for j in range(k - 1))), " + ".join(
        f"exp({{{j + 1}}})" for j in range(k - 1)
    )


def _softmax_view(k: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    names, total = _exp_sum_names(k)
    d = f"d({RULES['softmax'].written})"
    formulas = (f"{d}/da = s", *(f"{d}/dz{j} = -s * softmax(z)_{j}" for j in range(k - 1)))
    return names, f"exp({{0}}) / ({total})", formulas


def _cross_entropy_view(k: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    names, total = _exp_sum_names(k)
    d = f"d({RULES['cross_entropy'].written})"
    formulas = (f"{d}/da = -1", *(f"{d}/dz{j} = softmax(z)_{j}" for j in range(k - 1)))
    return names, f"log({total}) - {{0}}", formulas


def _rms_scale_view(k: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    n = k - 1
    xs = tuple(f"x{j}" for j in range(n))
    squares = " + ".join(f"{{{j}}}^2" for j in range(n))
    d = f"d({RULES['rms_scale'].written})"
    formulas = (*(f"{d}/dx{j} = -r^3 * x{j} / {n}" for j in range(n)), f"{d}/deps = -r^3 / 2")
    return (*xs, "eps"), f"(({squares}) / {n} + {{{n}}})^(-1/2)", formulas


_VIEWS = {
    "softmax": _softmax_view,
    "cross_entropy": _cross_entropy_view,
    "rms_scale": _rms_scale_view,
}


def describe_inputs(op: str, count: int) -> tuple[tuple[str, ...], str, tuple[str, ...]] | None:
    """For a node of ``softmax``, ``cross_entropy`` or ``rms_scale`` with ``count`` inputs:
    the name of each input, the expression as a template over them, and each input's local
    derivative as a formula; None for other ops (``linear`` has its own, ``linear_parts``).

    >>> names, expr, formulas = describe_inputs("softmax", 3)
    >>> names, expr.format(*names)
    (('a', 'z0', 'z1'), 'exp(a) / (exp(z0) + exp(z1))')
    >>> formulas[2]
    'd(exp(a) / sum_j exp(z_j))/dz1 = -s * softmax(z)_1'
    """
    view = _VIEWS.get(op)
    return view(count) if view is not None else None
