"""The float arithmetic under the ops: numbers checked on the way in, and the edge cases of
sigmoid, sine, cosine and powers (overflow, zero, negative bases, infinite angles) turned into
clear errors or into the infinities that IEEE arithmetic gives elsewhere."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["as_float", "sigmoid", "sin", "cos", "power", "power_slope", "accumulate"]


def as_float(data: Any, where: str = "Value", what: str = "data") -> float:
    """``data`` as a Python float, or an error naming where it was given and its type.

    ``where`` "Value" is ``Value(data)`` itself, which takes a number and not a Value.

    >>> as_float(3), as_float(True)
    (3.0, 1.0)
    >>> as_float("2", "+", "the other operand")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: +: the other operand must be a real number ... or a Value, got str '2'
    """
    if isinstance(data, numbers.Real) or _is_numpy_bool(data):  # int, bool, numpy scalars
        try:
            return float(data)
        except OverflowError:  # an int beyond 1.8e308
            raise ValueError(f"{where}: {what} is too large for a float: {data!r:.60}") from None
    allowed, hint = "a real number (float, int or bool)", ""
    if where != "Value":  # an operand, a seed: a Value is fine there
        allowed += " or a Value"
    elif hasattr(data, "inputs") and type(data).__name__ == "Value":  # Value(Value(2.0))
        hint = "; it is a Value already: use it as it is, or v.detach() for a new leaf"
    raise TypeError(
        f"{where}: {what} must be {allowed}, got {type(data).__name__} {data!r:.60}{hint}"
    )


def _is_numpy_bool(data: Any) -> bool:
    """numpy's bool (a comparison of arrays gives one) is not a numbers.Real, unlike bool."""
    return type(data).__module__ == "numpy" and type(data).__name__ in ("bool", "bool_")


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), in two forms so that exp never overflows.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sin(x: float) -> float:
    """``math.sin``, with an error naming the op and the operand where it has no value (+-inf).

    >>> sin(0.0), sin(float("nan"))
    (0.0, nan)
    >>> sin(float("inf"))
    Traceback (most recent call last):
    ...
    ValueError: sin: operand must be finite, got inf
    """
    if math.isinf(x):  # math.sin says only "math domain error"; NaN passes, as in PyTorch
        raise ValueError(f"sin: operand must be finite, got {x!r}")
    return math.sin(x)


def cos(x: float) -> float:
    """``math.cos``, with an error naming the op and the operand where it has no value (+-inf).

    >>> cos(0.0)
    1.0
    >>> cos(float("-inf"))
    Traceback (most recent call last):
    ...
    ValueError: cos: operand must be finite, got -inf
    """
    if math.isinf(x):
        raise ValueError(f"cos: operand must be finite, got {x!r}")
    return math.cos(x)


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
