"""Ops of many inputs as ONE node: ``linear``, a neuron's weighted sum.

A node like this is a primitive like any other (a forward value and one rule in ``RULES``),
but it keeps its inputs as one tuple, so a neuron with n inputs costs one node, not 2n.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .engine import MANY, RULES, Rule, Scalar, Value, make_node

__all__ = ["linear", "linear_parts"]


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
