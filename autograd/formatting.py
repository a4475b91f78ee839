"""How every view writes numbers and inputs: the drawing, the text tree, the steps, the explorer."""

from __future__ import annotations

import math
from typing import Any

from .fused import describe_inputs, linear_parts

__all__ = ["format_number", "input_name"]


def format_number(v: Any) -> str:
    """A number as every view shows it, with at least 4 significant digits.

    Numbers in [0.01, 1e6) keep 4 decimals; smaller ones keep 4 significant digits, in fixed
    point down to 1e-4 and scientific below (so -3 x 0.0001816 = -0.0005447 checks by hand,
    where 4 decimals would show -3 x 0.0002 = -0.0005); 1e6 and above are scientific. A Value
    (a gradient under ``create_graph=True``) shows its data.

    >>> [format_number(v) for v in (2.0, -0.98661, 0.0, -0.00054475, 0.005, 1.5e-7, 2.5e8)]
    ['2.0000', '-0.9866', '0.0000', '-0.0005447', '0.005000', '1.500e-07', '2.500e+08']
    >>> from autograd import Value
    >>> format_number(Value(-1.5)), format_number(None)    # None: a constant's grad
    ('-1.5000', 'None')
    """
    if v is None:
        return "None"
    v = float(v)  # a Value gives its data (a gradient under create_graph=True is a Value)
    if not math.isfinite(v):
        return str(v)  # nan, inf, -inf
    size = abs(float(f"{v:.3e}"))  # |v| rounded to 4 significant digits picks the form
    if v == 0 or (1e-2 <= size and abs(v) < 1e6):
        return f"{v:.4f}"
    if 1e-4 <= size < 1e-2:
        return f"{v:#.4g}"  # fixed point with 4 significant digits ("#" keeps trailing zeros)
    return f"{v:.3e}"


def input_name(node: Any, slot: int) -> str:
    """How input ``slot`` enters its op: 'w2', 'x2' or 'b' for ``linear``; 'a', 'z0', ... for
    ``softmax`` and ``cross_entropy``; 'x0', ..., 'eps' for ``rms_scale``; else ''.

    >>> from autograd import Value, linear, softmax
    >>> y = linear([Value(1.0)], [Value(2.0)], 0.5)
    >>> [input_name(y, i) for i in range(3)], input_name(Value(1.0) * 2, 0)
    (['w0', 'x0', 'b'], '')
    >>> p = softmax([1.0, 2.0])[1]; [input_name(p, i) for i in range(3)]
    ['a', 'z0', 'z1']
    """
    if node.op != "linear":
        view = describe_inputs(node.op, len(node.inputs))
        return view[0][slot] if view is not None else ""
    ws, xs, _ = linear_parts(range(len(node.inputs)))  # the positions of w's, x's and b
    return f"w{slot}" if slot in ws else f"x{slot - len(ws)}" if slot in xs else "b"
