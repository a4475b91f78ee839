"""What users of other engines expect of a Value: micrograd's ``_prev`` and ``_backward()``,
PyTorch's ``item()``, ``detach()`` and ``f"{loss:.4f}"``; defined here, beside engine.py, so
the file learners read keeps to the ideas."""

from __future__ import annotations

from .engine import Value
from .steps import chain_rule_step

__all__ = ["item", "detach"]


def _format(self: Value, spec: str) -> str:  # f"{loss:.4f}" formats the data, as torch does
    return format(self.data, spec) if spec else repr(self)


def item(self: Value) -> float:
    """``Value.item()``: the float inside, as ``tensor.item()``: ``loss.item()``.

    >>> Value(2.5).item()
    2.5
    """
    return self.data


def detach(self: Value) -> Value:
    """``Value.detach()``: a new constant with the same data, as ``tensor.detach()``.

    No gradient flows back through it, and its own ``grad`` stays None.

    >>> x = Value(2.0); y = x.detach() * x; y.backward(); x.grad, y.inputs[0].grad
    (2.0, None)
    """
    return Value(self.data, label=self.label, requires_grad=False)


def _backward(self: Value) -> None:
    """micrograd's ``node._backward()``: this node's step of the chain rule, by hand (see
    ``autograd.chain_rule_step``, which also returns the steps).

    >>> a, b = Value(2.0), Value(3.0); c = a * b; c.grad = 1.0
    >>> c._backward(); a.grad, b.grad
    (3.0, 2.0)
    """
    chain_rule_step(self)


Value.__format__ = _format  # type: ignore[method-assign]
Value.item = item  # type: ignore[attr-defined]
Value.detach = detach  # type: ignore[attr-defined]
Value._children = Value.inputs  # type: ignore[attr-defined]  (the name of earlier versions)
Value._prev = property(lambda self: set(self.inputs))  # type: ignore[attr-defined]  (micrograd)
Value._backward = _backward  # type: ignore[attr-defined]  (micrograd's step by hand)
