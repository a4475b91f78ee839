"""Each engine op as numpy: its forward formula and its local derivatives, as program text.

A kernel is written with ``{0}``, ``{1}`` for the op's input arrays and ``{out}`` for its
output, the same formulas as ``engine.RULES`` (the tests run every op both ways). Where
Python's float arithmetic and numpy's are the same IEEE operation (``+ - * /``, comparisons,
``abs``, ``sqrt``) the results are the same bits; ``exp``, ``log``, ``tanh``, ``sin``... may
differ from ``math``'s in the last bit.

``checked`` ops are those whose engine method raises on some inputs (``log(0)``,
``exp(1000)``, ``(-8) ** 0.5``, ``sin(inf)``): numpy returns inf or NaN there instead, so the
program looks for non-finite results and asks the engine's own op whether it would raise.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "Kernel", "KERNELS", "power_slope_array", "pow_exponent_slope", "sigmoid_array", "scalar_check",
]  # fmt: skip


class Kernel(NamedTuple):
    forward: str  # the output, from the inputs {0}, {1}
    local: tuple[str | None, ...]  # d out / d input, per input (None: no gradient; "1": g)
    checked: bool = False  # the engine op raises on some inputs: check non-finite results


KERNELS: dict[str, Kernel] = {
    "+": Kernel("{0} + {1}", ("1", "1")),
    "sub": Kernel("{0} - {1}", ("1", "-1")),  # a + (b * -1), found in the graph
    "*": Kernel("{0} * {1}", ("{1}", "{0}")),
    "**": Kernel("np.power({0}, {1})", ("power_slope_array({0}, {1})", None), checked=True),
    "pow": Kernel("np.power({0}, {1})",
                  ("power_slope_array({0}, {1})", "pow_exponent_slope({out}, {0})"), checked=True),
    "exp": Kernel("np.exp({0})", ("{out}",), checked=True),
    "log": Kernel("np.log({0})", ("1.0 / {0}",), checked=True),
    "sqrt": Kernel("np.sqrt({0})", ("np.where({out} != 0, 0.5 / {out}, np.inf)",), checked=True),
    "tanh": Kernel("np.tanh({0})", ("1 - {out} * {out}",)),
    "sigmoid": Kernel("sigmoid_array({0})", ("{out} * (1 - {out})",)),
    "softplus": Kernel("np.maximum({0}, 0.0) + np.log1p(np.exp(-np.abs({0})))",
                       ("sigmoid_array({0})",)),
    "relu": Kernel("np.maximum({0}, 0.0)", ("{0} > 0",)),  # NaN stays NaN; -0.0 gives 0.0
    "leaky_relu": Kernel("np.where({0} > 0, {0}, {1} * {0})",
                         ("np.where({0} > 0, 1.0, {1})", None)),
    "abs": Kernel("np.abs({0})", ("np.subtract({0} > 0, {0} < 0, dtype=float)",)),
    "sin": Kernel("np.sin({0})", ("np.cos({0})",), checked=True),
    "cos": Kernel("np.cos({0})", ("-np.sin({0})",), checked=True),
    "max": Kernel("np.where({0} >= {1}, {0}, np.where({1} > {0}, {1}, {0} + {1}))",
                  ("np.where({0} > {1}, 1.0, np.where({0} < {1}, 0.0, 0.5))",
                   "np.where({0} > {1}, 0.0, np.where({0} < {1}, 1.0, 0.5))")),
}  # fmt: skip
"""Kernels by op name; ``linear``, ``sum``, ``where`` and ``pick`` are steps of their own."""


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """floats.sigmoid on an array: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def power_slope_array(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """floats.power_slope on arrays: n * a^(n-1), inf at a = 0 for 0 < n < 1, 0 for n = 0."""
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    slope = n * np.power(a, n - 1)
    at_zero = (a == 0) & (n < 1)
    if at_zero.any():
        slope = np.where(at_zero, np.where(n > 0, np.inf, 0.0), slope)
    return slope


def pow_exponent_slope(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    """d(a^b)/db = a^b log(a) for a > 0, 0 at a = 0, NaN below (as engine's rule)."""
    safe = np.where(a > 0, a, 1.0)
    return np.where(a > 0, out * np.log(safe), np.where(a == 0, 0.0, np.nan))


def scalar_check(op: str, args: tuple[float, ...]) -> None:
    """Run the engine's op on one element's inputs: it raises where the engine would."""
    from ..engine import Value

    values = [Value(x) for x in args]
    if op in ("**", "pow"):
        values[0] ** (values[1] if op == "pow" else args[1])
    else:
        getattr(values[0], op)()

