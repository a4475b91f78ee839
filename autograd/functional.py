"""Functional helpers: grad and value_and_grad over Python functions, no_grad, detect_anomaly."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .engine import MODES, Value, backpropagate, grads_set_aside, set_modes, topological_order

__all__ = ["no_grad", "enable_grad", "detect_anomaly", "grad", "value_and_grad", "gradients"]

F = TypeVar("F", bound=Callable[..., Any])


class _ModeContext:
    """Base of the mode context managers: restores the previous modes on exit, even on error.

    Also works as a decorator, with or without parentheses (``@no_grad()``, ``@no_grad``).
    """

    recording: bool | None = None
    anomaly: bool | None = None

    def __new__(cls, fn: Any = None) -> Any:
        self = super().__new__(cls)
        if fn is None:
            return self
        if not callable(fn):
            raise TypeError(f"{cls.__name__}() takes no arguments, got {fn!r:.60}")
        self.__init__()
        return self(fn)  # @no_grad without parentheses: the wrapped function

    def __init__(self, fn: Any = None) -> None:
        self._saved: list[tuple[bool, bool]] = []  # a stack: one instance may be entered twice

    def __enter__(self) -> _ModeContext:
        self._saved.append((MODES.recording, MODES.anomaly))
        recording = MODES.recording if self.recording is None else self.recording
        anomaly = MODES.anomaly if self.anomaly is None else self.anomaly
        set_modes(recording, anomaly)
        return self

    def __exit__(self, *exc: object) -> None:
        set_modes(*self._saved.pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_ModeContext):  # noqa: N801  (named like torch.no_grad)
    """Inside this context (or a function decorated with it) ops record no graph.

    Use it for evaluation and for optimiser updates: it saves time and memory.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y._children
    (4.0, ())
    >>> @no_grad()
    ... def predict(v):
    ...     return v * 3
    >>> predict(x)._children
    ()
    """

    recording = False


class enable_grad(_ModeContext):  # noqa: N801
    """Turn recording back on inside a ``no_grad`` block.

    >>> with no_grad():
    ...     with enable_grad():
    ...         y = Value(1.0) + 1
    >>> len(y._children)
    2
    """

    recording = True


class detect_anomaly(_ModeContext):  # noqa: N801
    """Raise at the first op whose result, forward or backward, is NaN or infinite.

    The error names the op, its inputs and the line of your code that created the node.
    Slower than normal; use it to find where a NaN comes from.

    >>> x = Value(0.0)
    >>> with detect_anomaly():
    ...     y = x.sqrt()          # fine forward: sqrt(0) = 0
    ...     y.backward()          # but its slope at 0 is infinite
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: op 'sqrt' produced gradient inf in the backward pass ...
    """

    anomaly = True


def gradients(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> list[Any]:
    """d output / d each input, without touching any ``.grad`` (like ``torch.autograd.grad``).

    >>> x, y = Value(2.0), Value(3.0)
    >>> gradients(x * y, [x, y])
    [3.0, 2.0]
    >>> x.grad, y.grad
    (0.0, 0.0)
    """
    order = topological_order(output)
    # every grad of the graph is set aside and put back, so even when a hook calls this in the
    # middle of a backward pass, the plain backward (not the nested one) is the right one
    in_hooks, MODES.in_hooks = MODES.in_hooks, 0
    try:
        with grads_set_aside(order):  # leaves hold only this call's gradient
            backpropagate(output, 1.0, create_graph)
            in_graph = set(order)
            return [node.grad if node in in_graph else 0.0 for node in inputs]
    finally:
        MODES.in_hooks = in_hooks


_RUNNING = [0]  # how many value_and_grad calls are evaluating their f right now


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Return a function giving ``(f(*args), gradient of f with respect to args[argnums])``.

    Arguments may be floats or Values. With float arguments the results are floats; when an
    argument is a Value, the gradient is a Value too, so calls nest: ``grad(grad(f))``.
    With a tuple ``argnums`` the gradient is a tuple.

    >>> value_and_grad(lambda x, y: x * y + y, argnums=(0, 1))(2.0, 3.0)
    (9.0, (3.0, 3.0))
    """
    many = not isinstance(argnums, int)
    positions = tuple(argnums) if many else (argnums,)  # type: ignore[arg-type]

    @enable_grad()  # as torch.func.grad: an outer no_grad does not turn gradients into 0
    def wrapped(*args: Any) -> tuple[Any, Any]:
        for i in positions:
            if not -len(args) <= i < len(args):
                raise IndexError(
                    f"value_and_grad: argnums {i} is out of range for {len(args)} arguments"
                )
        args_list = list(args)
        # inside another grad's f (mixed partials, closures over its arguments) results must
        # stay differentiable too, even when this call's own arguments are plain floats
        nested = _RUNNING[0] > 0 or any(isinstance(args[i], Value) for i in positions)
        leaves = []
        for i in positions:
            a = args_list[i]
            # A Value argument gets a node of its own (a + 0), and the gradient is taken with
            # respect to that node: only f's uses of this argument count, not uses of the same
            # Value that f captured from outside (grad(lambda x: grad(lambda y: x * y)(x))
            # is 1, not 2), while the outer grad still reaches a through the + node.
            leaf = a + 0.0 if isinstance(a, Value) else Value(a, label=f"arg{i}")
            args_list[i] = leaf
            leaves.append(leaf)
        _RUNNING[0] += 1
        try:
            out = f(*args_list)
        finally:
            _RUNNING[0] -= 1
        if isinstance(out, Value):
            grads = gradients(out, leaves, create_graph=nested)
        elif isinstance(out, (int, float)):
            grads = [0.0 for _ in leaves]  # a constant function
        else:
            raise TypeError(
                f"value_and_grad: f must return a scalar Value or number, got {type(out).__name__}"
            )
        if not nested:
            out = out.data if isinstance(out, Value) else float(out)
            grads = [g.data if isinstance(g, Value) else g for g in grads]
        return out, (tuple(grads) if many else grads[0])

    return wrapped


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing the derivative of ``f`` with respect to ``args[argnums]``.

    Composable: ``grad(grad(f))`` is the second derivative.

    >>> import math
    >>> df = grad(lambda v: v.sin() * v)
    >>> round(df(0.8), 6) == round(math.sin(0.8) + 0.8 * math.cos(0.8), 6)
    True
    >>> round(grad(grad(lambda v: v ** 3))(2.0), 6)      # 6x
    12.0
    """
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return vg(*args)[1]

    return wrapped
