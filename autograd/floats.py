"""The float arithmetic under the ops: numbers checked on the way in, and the edge cases of
sigmoid and powers (overflow, zero, negative bases) turned into clear errors or into the
infinities that IEEE arithmetic gives elsewhere."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["as_float", "sigmoid", "power", "power_slope", "accumulate"]


def as_float(data: Any, where: str = "Value", what: str = "data") -> float:
    """``data`` as a Python float, or an error naming where it was given and its type.

    >>> as_float(3), as_float(True)
    (3.0, 1.0)
    >>> as_float("2", "+", "the other operand")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: +: the other operand must be a real number ... or a Value, got str '2'
    """
    if isinstance(data, numbers.Real):  # int, bool, Fraction, numpy scalars
        try:
            return float(data)
        except OverflowError:  # an int beyond 1.8e308
            raise ValueError(f"{where}: {what} is too large for a float: {data!r:.60}") from None
    raise TypeError(
        f"{where}: {what} must be a real number (float, int or bool) or a Value, "
        f"got {type(data).__name__} {data!r:.60}"
    )


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), in two forms so that exp never overflows.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def power(a: float, b: float) -> float:
    """``a ** b`` for the ``**`` op: a ValueError or ZeroDivisionError naming the operands
    where the result is not a real float.

    >>> power(2.0, 3.0)
    8.0
    >>> power(-8.0, 1 / 3)
    Traceback (most recent call last):
    ...
    ValueError: **: -8.0 ** 0.3333333333333333 is not real (negative base, fractional power)
    """
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"**: 0.0 ** {b!r} is undefined (zero to a negative power)")
    if a < 0 and math.isfinite(b) and b != int(b):  # int() of inf or nan would raise
        raise ValueError(f"**: {a!r} ** {b!r} is not real (negative base, fractional power)")
    try:
        return a**b
    except OverflowError:
        raise ValueError(f"**: overflow, {a!r} ** {b!r} is larger than the largest float") from None


def power_slope(a: Any, n: Any) -> Any:
    """d(a^n)/da = n * a^(n-1), on floats or on Values (then recorded in the graph), where
    the slope is infinite or overflows: +-inf, as ``*`` and ``/`` give, rather than an error.

    >>> power_slope(3.0, 2.0), power_slope(0.0, 0.5), power_slope(0.0, 0.0)
    (6.0, inf, 0.0)
    >>> power_slope(1e-200, -1.0)
    -inf
    """
    n0 = float(n)
    if float(a) == 0 and n0 < 1:  # 0^(n-1) would divide by zero: the slope is inf (0 for n = 0)
        return math.inf if n0 > 0 else 0.0
    try:
        return n * a ** (n - 1)
    except OverflowError:  # e.g. the slope of x^-1 at 1e-200: a^(n-1) is +-inf
        return n * (-math.inf if float(a) < 0 and (n0 - 1) % 2 == 1 else math.inf)


def accumulate(old: Any, new: Any) -> Any:
    """A leaf's gradient after a backward pass: what it held plus this pass's. None or 0.0
    held nothing (a Value, under create_graph, always counts: it has no ``==``).

    >>> accumulate(1.5, 2.0), accumulate(None, 2.0), accumulate(0.0, -0.0)
    (3.5, 2.0, -0.0)
    """
    return old + new if old is not None and old != 0.0 else new
