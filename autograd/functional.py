"""Derivatives of Python functions: grad, value_and_grad, and gradients of a graph."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .engine import Value, chain_rule
from .modes import enable_grad

__all__ = ["grad", "value_and_grad", "gradients"]

F = TypeVar("F", bound=Callable[..., Any])


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
    if create_graph:
        with enable_grad():  # as in PyTorch: create_graph records, even under no_grad
            grads = chain_rule(output, 1.0, True)
    else:
        grads = chain_rule(output, 1.0)
    return [grads.get(node, 0.0) for node in inputs]


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
