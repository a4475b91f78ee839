"""Derivatives of Python functions: grad, value_and_grad, jacobian, hessian, elementwise_grad,
and gradients of a graph.

Each transform calls ``f`` with a fresh leaf Value for every argument it differentiates (the
argument is *traced*), then runs the chain rule back from what ``f`` returned. The names and
arguments are JAX's (``argnums``), with HIPS autograd's ``argnum`` accepted as well.
"""

from __future__ import annotations

import functools
import linecache
import numbers
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from .engine import Value, chain_rule
from .modes import enable_grad

__all__ = ["grad", "value_and_grad", "gradients", "jacobian", "hessian", "elementwise_grad"]

F = TypeVar("F", bound=Callable[..., Any])
Argnums = int | Sequence[int] | None


def gradients(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """d output / d each input, without touching any ``.grad`` (like ``torch.autograd.grad``).

    ``inputs`` is a list of Values (or one Value); the result is a list, in the same order.

    >>> x, y = Value(2.0), Value(3.0)
    >>> gradients(x * y, [x, y])
    [3.0, 2.0]
    >>> x.grad, y.grad
    (0.0, 0.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients: output must be a Value, got {_shown(output)}")
    inputs = _value_list(inputs)
    if create_graph:
        with enable_grad():  # as in PyTorch: create_graph records, even under no_grad
            grads = chain_rule(output, 1.0, True)
    else:
        grads = chain_rule(output, 1.0)
    return [grads.get(node, 0.0) for node in inputs]


def _value_list(inputs: Any) -> list[Value]:
    """gradients' inputs: one Value, or an iterable of Values (each checked)."""
    if isinstance(inputs, Value):
        return [inputs]
    if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"gradients: inputs must be a list of Values, got {_shown(inputs)}")
    inputs = list(inputs)
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"gradients: inputs[{i}] must be a Value, got {_shown(v)}")
    return inputs


def _shown(x: Any) -> str:
    return f"{type(x).__name__} {x!r:.60}"


# ---- checking the arguments of the transforms -------------------------------------------------


def _check_f(f: Any, who: str) -> None:
    if not callable(f):
        raise TypeError(f"{who}: f must be callable, got {_shown(f)}")


def _argnums(argnums: Any, argnum: Any, default: Any, who: str) -> Argnums:
    """``argnums`` (JAX's spelling) or ``argnum`` (HIPS autograd's), checked: an int, or a
    non-empty tuple of ints (or None where the transform allows "every argument")."""
    if argnum is not None:
        if argnums is not default and argnums != default:
            raise TypeError(
                f"{who}: got argnums={argnums!r} and argnum={argnum!r}; pass one "
                "(argnum is HIPS autograd's name for argnums)"
            )
        argnums = argnum
    if argnums is None and default is None:
        return None
    if _is_int(argnums):
        return argnums
    if isinstance(argnums, (tuple, list)) and argnums and all(_is_int(i) for i in argnums):
        return tuple(argnums)
    every = ", or None for every argument" if default is None else ""
    raise TypeError(
        f"{who}: argnums must be an int or a non-empty tuple of ints{every}, got "
        f"{_shown(argnums)}"
    )


def _is_int(i: Any) -> bool:
    return isinstance(i, int) and not isinstance(i, bool)


def _positions(argnums: Argnums, nargs: int, who: str) -> list[int]:
    """The argument positions ``argnums`` names, for a call with ``nargs`` arguments."""
    if argnums is None:
        return list(range(nargs))
    picked = [argnums] if isinstance(argnums, int) else list(argnums)
    for i in picked:
        if not -nargs <= i < nargs:
            raise IndexError(f"{who}: argnums {i} is out of range for {nargs} arguments")
    return [i % nargs for i in picked]


# ---- tracing: calling f with leaf Values ------------------------------------------------------

_TRACED: list[set[Value]] = []  # the traced Values of each transform evaluating its f right now


def _trace(
    f: Callable[..., Any], args: Sequence[Any], positions: list[int], who: str
) -> tuple[Any, list[Value], bool]:
    """Call ``f(*args)`` with a traced Value in each of ``positions``: (its result, the
    traced Values in the order of ``positions``, whether results must stay Values)."""
    # inside another transform's f (mixed partials, closures over its arguments) results
    # must stay differentiable too, even when this call's own arguments are plain floats
    nested = bool(_TRACED) or any(isinstance(args[i], Value) for i in positions)
    args_list = list(args)
    traced: dict[int, Value] = {}
    with enable_grad():  # as torch.func.grad: an outer no_grad does not turn gradients into 0
        for i in positions:
            if i not in traced:  # (a position named twice is one argument: one traced Value)
                traced[i] = args_list[i] = _traced_value(args[i], i, who)
        with _floats_refused(set(traced.values()), who):
            out = f(*args_list)
    return out, [traced[i] for i in positions], nested


def _traced_value(a: Any, i: int, who: str) -> Value:
    """The Value f gets for argument ``i``: a new leaf for a number. A Value argument gets a
    node of its own (a + 0), and the gradient is taken with respect to that node: only f's
    uses of this argument count, not uses of the same Value that f captured from outside
    (grad(lambda x: grad(lambda y: x * y)(x)) is 1, not 2), while an outer grad still reaches
    a through the + node."""
    if isinstance(a, Value):
        return a + 0.0
    if isinstance(a, numbers.Real):
        return Value(a, label=f"arg{i}")
    raise TypeError(f"{who}: argument {i} must be a number or a Value, got {_shown(a)}")


def _outputs(out: Any, who: str) -> tuple[list[Value | None], bool]:
    """f's result as a list of scalars (None for a plain number: a constant), and whether f
    returned a list (not one scalar)."""
    many = isinstance(out, (list, tuple))
    scalars = list(out) if many else [out]
    for y in scalars:
        if not isinstance(y, (Value, numbers.Real)):
            what = "a list of scalar Values or numbers" if many else "a scalar Value or number"
            raise TypeError(f"{who}: f must return {what}, got {type(y).__name__}")
    return [y if isinstance(y, Value) else None for y in scalars], many


def _valued(x: Any) -> Any:
    """Inside another transform every result is a Value: plain numbers (the 0.0 gradients
    gives for an input the output does not reach, a constant f's value) become Values; lists
    are walked."""
    if isinstance(x, (list, tuple)):
        return type(x)(_valued(v) for v in x)
    return x if isinstance(x, Value) else Value(x)


def _plain(x: Any) -> Any:
    """A Value's data, a plain number as a float; lists are walked."""
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x.data if isinstance(x, Value) else float(x)


# ---- a traced Value turned into a plain float -------------------------------------------------
# math.tanh(x) or float(x) gives x's data: a float that carries no gradient. Inside a transform
# that would silently differentiate a constant, so while f runs, Value.__float__ refuses a
# Value computed from a traced one. Outside the transforms float(v) is the plain method.


@contextmanager
def _floats_refused(traced: set[Value], who: str) -> Iterator[None]:
    if not _TRACED:
        _SAVED_FLOAT.append(Value.__float__)
        Value.__float__ = _checked_float  # type: ignore[method-assign]
    _TRACED.append(traced)
    _WHO.append(who)
    try:
        yield
    finally:
        _TRACED.pop()
        _WHO.pop()
        if not _TRACED:
            Value.__float__ = _SAVED_FLOAT.pop()  # type: ignore[method-assign]


_SAVED_FLOAT: list[Callable[[Value], float]] = []  # Value.__float__ before the outermost trace
_WHO: list[str] = []


def _checked_float(self: Value) -> float:
    """``Value.__float__`` while a transform runs f."""
    caller = sys._getframe(1)
    # chainrule's own code takes numbers out on purpose (a softmax's max shift, checks)
    ours = caller.f_globals.get("__name__", "").partition(".")[0] in ("autograd", "nn")
    if not ours and _depends_on_traced(self):
        code = linecache.getline(caller.f_code.co_filename, caller.f_lineno).strip()
        raise TypeError(
            f"{_WHO[-1]}: a Value computed from the argument being differentiated (data "
            f"{self.data!r}) was turned into a plain float (float(), math.*), which carries no "
            f"gradient, at {caller.f_code.co_filename}:{caller.f_lineno}: {code}; use the "
            "Value's own ops (x.tanh(), x.exp(), x.sin(), ...), or x.data to use its number "
            "as a constant"
        )
    return _SAVED_FLOAT[0](self)


def _depends_on_traced(v: Value) -> bool:
    traced = set().union(*_TRACED)
    seen: set[Value] = set()
    stack = [v]
    while stack:
        node = stack.pop()
        if node in traced:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(node.inputs)
    return False


# ---- the transforms ---------------------------------------------------------------------------


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, *, argnum: int | None = None
) -> Callable[..., tuple[Any, Any]]:
    """Return a function giving ``(f(*args), gradient of f with respect to args[argnums])``.

    Arguments may be floats or Values. With float arguments the results are floats; when an
    argument is a Value, the gradient is a Value too, so calls nest: ``grad(grad(f))``.
    With a tuple ``argnums`` the gradient is a tuple. ``argnum`` (HIPS autograd's name) is
    accepted for ``argnums``. Inside f, use the Value's ops: ``math.tanh(x)`` or ``float(x)``
    of a traced Value is a TypeError (the float would carry no gradient).

    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """
    return _value_and_grad(f, argnums, argnum, "value_and_grad")


def _value_and_grad(f: Any, argnums: Any, argnum: Any, who: str) -> Callable[..., Any]:
    _check_f(f, who)
    checked = _argnums(argnums, argnum, 0, who)

    def wrapped(*args: Any) -> tuple[Any, Any]:
        out, leaves, nested = _trace(f, args, _positions(checked, len(args), who), who)
        if isinstance(out, Value):
            grads = gradients(out, leaves, create_graph=nested)
        elif isinstance(out, numbers.Real):
            grads = [0.0 for _ in leaves]  # a constant function
        else:
            what = type(out).__name__
            raise TypeError(f"{who}: f must return a scalar Value or number, got {what}")
        out, grads = (_valued(out), _valued(grads)) if nested else (_plain(out), _plain(grads))
        return out, (tuple(grads) if not isinstance(checked, int) else grads[0])

    return wrapped


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, *, argnum: int | None = None
) -> Callable[..., Any]:
    """Return a function computing the derivative of ``f`` with respect to ``args[argnums]``.

    Composable: ``grad(grad(f))`` is the second derivative. ``argnum`` (HIPS autograd's
    name) is accepted for ``argnums``.

    >>> import math
    >>> df = grad(lambda v: v.sin() * v)
    >>> round(df(0.8), 6) == round(math.sin(0.8) + 0.8 * math.cos(0.8), 6)
    True
    >>> round(grad(grad(lambda v: v ** 3))(2.0), 6)      # 6x
    12.0
    >>> grad(lambda x, y: x * y, argnum=1)(2.0, 3.0)
    2.0
    """
    vg = _value_and_grad(f, argnums, argnum, "grad")

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    return wrapped


def jacobian(
    f: Callable[..., Any], argnums: int | Sequence[int] | None = None, *, argnum: int | None = None
) -> Callable[..., Any]:
    """Return a function giving the derivatives of every output of ``f`` with respect to the
    arguments ``argnums`` (default: every argument).

    ``f`` takes scalars and returns a scalar or a list of scalars. The result is shaped like
    JAX's with the arguments as one vector: a list with one row per output, each row one
    entry per argument; a scalar output gives the row alone, an int ``argnums`` one entry.
    ``J[i][j] = d f_i / d x_j``. Floats in, floats out; Values in (or inside another
    transform), Values out, so ``jacobian(jacobian(f))`` is the Hessian.

    >>> jacobian(lambda x, y: [x * y, x + 2 * y])(2.0, 3.0)
    [[3.0, 2.0], [1.0, 2.0]]
    >>> jacobian(lambda x, y: x * y)(2.0, 3.0)            # a scalar f: its gradient
    [3.0, 2.0]
    """
    return _jacobian(f, _argnums(argnums, argnum, None, "jacobian"), "jacobian")


def _jacobian(f: Any, checked: Argnums, who: str) -> Callable[..., Any]:
    _check_f(f, who)

    def wrapped(*args: Any) -> Any:
        out, leaves, nested = _trace(f, args, _positions(checked, len(args), who), who)
        outputs, many = _outputs(out, who)
        rows = [
            gradients(y, leaves, create_graph=nested) if y is not None else [0.0] * len(leaves)
            for y in outputs
        ]
        rows = [row[0] if isinstance(checked, int) else row for row in rows]
        rows = _valued(rows) if nested else _plain(rows)
        return rows if many else rows[0]

    return wrapped


def hessian(
    f: Callable[..., Any], argnums: int | Sequence[int] | None = None, *, argnum: int | None = None
) -> Callable[..., Any]:
    """Return a function giving the second derivatives of a scalar ``f`` with respect to the
    arguments ``argnums`` (default: every argument): ``H[i][j] = d2 f / dx_i dx_j``.

    It is ``jacobian(jacobian(f))``: the derivatives of the gradient. Newton's method steps
    by ``-H^-1 g``; the Hessian's signs say whether a point is a minimum, maximum or saddle.

    >>> hessian(lambda x, y: x ** 2 * y + y ** 3)(1.0, 2.0)        # [[2y, 2x], [2x, 6y]]
    [[4.0, 2.0], [2.0, 12.0]]
    >>> hessian(lambda x, y: x ** 2 * y, argnums=0)(1.0, 2.0)      # d2/dx2 only: 2y
    4.0
    """
    _check_f(f, "hessian")
    checked = _argnums(argnums, argnum, None, "hessian")
    return _jacobian(_jacobian(f, checked, "hessian"), checked, "hessian")


def elementwise_grad(
    f: Callable[..., Any], argnums: int = 0, *, argnum: int | None = None
) -> Callable[..., Any]:
    """Return a function giving ``f``'s derivative at each number of a list (HIPS autograd's
    ``elementwise_grad``, for a function of one scalar applied to each element).

    Argument ``argnums`` may be a list of numbers: the result is the list of derivatives
    there, ``[f'(x) for x in xs]``; a single number gives a single derivative. Composable:
    ``elementwise_grad(elementwise_grad(f))`` gives second derivatives, for plots of f, f', f''.

    >>> elementwise_grad(lambda x: x ** 2)([0.0, 1.0, 2.5])
    [0.0, 2.0, 5.0]
    >>> elementwise_grad(elementwise_grad(lambda x: x ** 3))([1.0, 2.0])     # 6x
    [6.0, 12.0]
    """
    _check_f(f, "elementwise_grad")
    position = _argnums(argnums, argnum, 0, "elementwise_grad")
    if not isinstance(position, int):
        raise TypeError(f"elementwise_grad: argnums must be one int, got {_shown(position)}")
    df = _value_and_grad(f, position, None, "elementwise_grad")

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        i = _positions(position, len(args), "elementwise_grad")[0]
        xs = args[i]
        if not isinstance(xs, (list, tuple)):
            return df(*args)[1]
        return [df(*args[:i], x, *args[i + 1 :])[1] for x in xs]

    return wrapped
