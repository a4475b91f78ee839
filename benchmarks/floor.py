"""A floor for the engine benchmark: the least work a Python engine with one object per node does.

Not part of chainrule and not for use: ``+`` and ``*`` only, no type checks, no labels, hooks,
modes or error messages, no n-ary nodes. Its forward makes one object per node and its
backward walks the graph once to order it and once to apply the chain rule, as every
reverse-mode engine written in Python must; the ordering marks nodes in their grad slot, as
chainrule's does. ``benchmarks/engine.py`` times it beside chainrule and micrograd, so a run
shows how close chainrule is to the floor, and which speed targets no engine of this kind
can reach on the interpreter at hand.

>>> x = FloorValue(3.0)
>>> y = x * x + 1.0
>>> y.backward(); (y.data, x.grad)
(10.0, 6.0)
"""

from __future__ import annotations

from typing import Any

_new = object.__new__


class FloorValue:
    __slots__ = ("data", "grad", "_a", "_b", "_op")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self._a, self._b, self._op = float(data), 0.0, None, None, ""

    def __add__(self, other: Any) -> FloorValue:
        if other.__class__ is not FloorValue:
            other = FloorValue(other)
        v = _new(FloorValue)
        v.data = self.data + other.data
        v.grad = 0.0
        v._a = self
        v._b = other
        v._op = "+"
        return v

    __radd__ = __add__

    def __mul__(self, other: Any) -> FloorValue:
        if other.__class__ is not FloorValue:
            other = FloorValue(other)
        v = _new(FloorValue)
        v.data = self.data * other.data
        v.grad = 0.0
        v._a = self
        v._b = other
        v._op = "*"
        return v

    def backward(self) -> None:
        seen = float("0.0")  # a zero of this call's own: marks a node as met, and zeroes it
        order: list[FloorValue] = []
        stack: list[Any] = [self]
        push, pop, place = stack.append, stack.pop, order.append
        while stack:
            node = pop()
            if node is None:
                place(pop())
                continue
            if node.grad is seen:
                continue
            node.grad = seen
            a = node._a
            if a is None:
                place(node)
                continue
            push(node)
            push(None)
            if a.grad is not seen:  # the two inputs, written out (faster than a loop)
                if a._a is None:
                    a.grad = seen
                    place(a)
                else:
                    push(a)
            b = node._b
            if b.grad is not seen:
                if b._a is None:
                    b.grad = seen
                    place(b)
                else:
                    push(b)
        self.grad = 1.0
        for node in reversed(order):
            a = node._a
            if a is None:
                continue
            b, g = node._b, node.grad
            if node._op == "+":
                a.grad += g
                b.grad += g
            else:
                a.grad += b.data * g
                b.grad += a.data * g
