"""gradcheck: compare backward()'s gradients with central finite differences."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .engine import Value
from .functional import gradients
from .modes import enable_grad, no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_gradient"]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck`` when analytic and numeric gradients disagree."""


def _caller(f: Callable[..., Any]) -> Callable[[list[Value]], Any]:
    """Call ``f(*inputs)``, or ``f()`` when f takes no arguments (a closure over a model)."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature
        return lambda leaves: f(*leaves)
    takes_args = any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )
    return (lambda leaves: f(*leaves)) if takes_args else (lambda leaves: f())


def _check_tolerance(where: str, name: str, value: Any, positive: bool) -> None:
    """eps (> 0), atol and rtol (>= 0): finite real numbers, refused with the bad value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        what = f"{type(value).__name__} {value!r:.60}"
        raise TypeError(f"{where}: {name} must be a number, got {what}")
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{where}: {name} must be a finite number {bound}, got {value!r}")


def _check_inputs(f: Any, inputs: Any, where: str) -> list[Any]:
    """f callable and inputs a list (or tuple) of numbers or Values, as a list."""
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__} {f!r:.60}")
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            f"{where}: inputs must be a list of numbers or Values, got "
            f"{type(inputs).__name__} {inputs!r:.60}"
        )
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, (Value, numbers.Real)):
            what = f"{type(x).__name__} {x!r:.60}"
            raise TypeError(f"{where}: inputs[{i}] must be a number or a Value, got {what}")
    return inputs


def _as_number(out: Any, where: str) -> float:
    if isinstance(out, Value):
        return out.data
    if isinstance(out, (int, float)):
        return float(out)
    raise TypeError(f"{where}: f must return a scalar Value or number, got {type(out).__name__}")


def numerical_gradient(
    f: Callable[..., Any], inputs: Sequence[Value], eps: float = 1e-6
) -> list[float]:
    """Central differences ``(f(x + eps) - f(x - eps)) / (2 eps)`` for each input in turn.

    Each input's ``.data`` is nudged in place and always restored.

    >>> x = Value(3.0)
    >>> [round(g, 6) for g in numerical_gradient(lambda v: v * v, [x])]
    [6.0]
    """
    leaves = _check_inputs(f, inputs, "numerical_gradient")
    for i, leaf in enumerate(leaves):
        if not isinstance(leaf, Value):
            raise TypeError(
                f"numerical_gradient: inputs[{i}] must be a Value (it is nudged in place), got "
                f"{leaf!r:.60}; gradcheck takes numbers"
            )
    _check_tolerance("numerical_gradient", "eps", eps, positive=True)
    call = _caller(f)
    result = []
    with no_grad():
        for leaf in leaves:
            original = leaf.data
            try:
                leaf.data = original + eps
                plus = _as_number(call(leaves), "numerical_gradient")
                leaf.data = original - eps
                minus = _as_number(call(leaves), "numerical_gradient")
            finally:
                leaf.data = original
            result.append((plus - minus) / (2 * eps))
    return result


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    raise_exception: bool = True,
) -> bool:
    """Check backward()'s gradient of ``f`` at ``inputs`` against central finite differences.

    ``inputs`` are numbers or Values; ``f`` is called as ``f(*inputs)``. For a model, pass its
    parameters and a function of no arguments that computes the loss: each parameter is nudged
    in place. Passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` for every input;
    otherwise raises ``GradcheckError`` listing "analytic: ... numeric: ..." per bad input
    (or returns False with ``raise_exception=False``). No ``.grad`` is changed.

    >>> gradcheck(lambda x, y: (x * y).tanh() + x.exp(), [0.3, -1.2])
    True
    >>> w = Value(0.7, label="w")
    >>> gradcheck(lambda: (w * 2.0 - 1).relu() + w * w, [w])
    True
    """
    inputs = _check_inputs(f, inputs, "gradcheck")
    for name, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        _check_tolerance("gradcheck", name, value, positive=name == "eps")
    leaves = [
        x if isinstance(x, Value) else Value(x, label=f"input {i}") for i, x in enumerate(inputs)
    ]
    if not leaves:
        raise ValueError("gradcheck: inputs is empty; pass the numbers or Values to check")
    call = _caller(f)
    with enable_grad():  # an outer no_grad would make every analytic gradient 0
        out = call(leaves)
    _as_number(out, "gradcheck")
    analytic = gradients(out, leaves) if isinstance(out, Value) else [0.0] * len(leaves)
    numeric = numerical_gradient(f, leaves, eps)
    problems = []
    for i, (leaf, a, n) in enumerate(zip(leaves, analytic, numeric)):
        a = a.data if isinstance(a, Value) else a
        if not abs(a - n) <= atol + rtol * abs(n):
            name = f" ({leaf.label})" if leaf.label and leaf.label != f"input {i}" else ""
            problems.append(f"input {i}{name}: analytic: {a!r} numeric: {n!r}")
    if problems:
        if raise_exception:
            raise GradcheckError(
                f"gradcheck failed for {len(problems)} of {len(leaves)} inputs "
                f"(eps={eps}, atol={atol}, rtol={rtol}):\n  " + "\n  ".join(problems)
            )
        return False
    return True
