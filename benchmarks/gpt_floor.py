"""A floor for the GPT benchmark: the least work any engine of one Python object per node does
on ``nn.GPT``'s graph of a name.

Not part of chainrule and not for use. ``GraphFloor(loss)`` takes a graph chainrule built (its
nodes, their ops and their inputs) and replays it at the least cost such an engine can have:

- forward: one object per node, with its inputs as a tuple; a ``linear`` node computes its
  weighted sum (one multiply-add per input; as ``matvec`` does, an input vector's data is read
  once for all the rows it meets, and a row of parameters is a tuple made once); every other
  node takes its value ready-made (no ``exp``, no ``sqrt``: less than any engine must do);
- backward: the marker sort of ``benchmarks/floor.py`` (one visit per input, leaves placed at
  once), then one pass in reverse order: for ``linear`` d/dw_j += x_j g and d/dx_j += w_j g,
  for every other op one multiply-add per input by a stand-in local derivative (so only the
  ``linear`` gradients are the true ones).

Leaves (the parameters, the constants) are made once, as a model's parameters are. So
``reference time / floor time`` bounds the ratio any engine that draws this graph with scalar
nodes can reach on the interpreter at hand; ``benchmarks/gpt.py`` times it beside the others.

>>> from autograd import Value, linear
>>> w, x = [Value(2.0), Value(-1.0)], [Value(3.0), Value(4.0)]
>>> floor = GraphFloor(linear(w, x, 0.5))
>>> floor.forward_backward()          # 0.5 + 2*3 - 1*4
2.5
>>> [p.grad for p in floor.leaves_of(w)]
[3.0, 4.0]
"""

from __future__ import annotations

from typing import Any

from autograd import Value, topological_order

_new = object.__new__
LINEAR, OTHER = 1, 2


class FloorNode:
    __slots__ = ("data", "grad", "inputs", "kind")

    def __init__(self, data: float) -> None:
        self.data, self.grad, self.inputs, self.kind = data, 0.0, None, 0


class GraphFloor:
    """The graph of ``root`` (a chainrule Value), ready to be replayed at the floor's cost."""

    def __init__(self, root: Value) -> None:
        order = topological_order(root)
        index = {id(v): i for i, v in enumerate(order)}
        self._index = index
        self.nodes: list[Any] = [None] * len(order)
        for i, v in enumerate(order):
            if v.is_leaf:
                self.nodes[i] = FloorNode(v.data)
        self.steps: list[tuple[Any, ...]] = []
        groups: dict[tuple[int, ...], int] = {}  # each input vector of linear rows: a number
        for i, v in enumerate(order):
            if v.is_leaf:
                continue
            idx = tuple(index[id(u)] for u in v.inputs)
            if v.op != "linear":
                self.steps.append((i, OTHER, idx, v.data))
                continue
            n = (len(idx) - 1) // 2
            ws = idx[:n]
            if all(self.nodes[j] is not None for j in ws):  # a row of parameters: as the
                ws = tuple(self.nodes[j] for j in ws)  # model keeps it, made once
            xi = idx[n : 2 * n]
            group = groups.setdefault(xi, len(groups))
            self.steps.append((i, LINEAR, (ws, xi, idx[-1], group), None))
        self.root = len(order) - 1
        self.groups = len(groups)

    def leaves_of(self, values: list[Value]) -> list[FloorNode]:
        """The floor's leaves standing for these leaf Values of the graph."""
        return [self.nodes[self._index[id(v)]] for v in values]

    def forward_backward(self) -> float:
        """One forward pass (new interior nodes) and backward pass; the root's value."""
        nodes = self.nodes[:]
        get = nodes.__getitem__
        vectors: list[Any] = [None] * self.groups
        for i, kind, idx, data in self.steps:
            v = _new(FloorNode)
            if kind == LINEAR:  # as matvec: an input vector's data read once for its rows
                ws, xi, bi, group = idx
                got = vectors[group]
                if got is None:
                    xs = tuple(map(get, xi))
                    got = vectors[group] = (xs, [x.data for x in xs])
                xs, xd = got
                if ws[0].__class__ is int:
                    ws = tuple(map(get, ws))
                b = nodes[bi]
                data = b.data
                for w, x in zip(ws, xd):
                    data += w.data * x
                ins = (*ws, *xs, b)
            else:
                ins = tuple(map(get, idx))
            v.data, v.grad, v.inputs, v.kind = data, 0.0, ins, kind
            nodes[i] = v
        root = nodes[self.root]
        order = _sort(root)
        root.grad = 1.0
        for node in reversed(order):
            ins = node.inputs
            if ins is None:
                continue
            g = node.grad
            if node.kind == LINEAR:
                xs = ins[len(ins) >> 1 : -1]
                for w, x in zip(ins, xs):
                    w.grad += x.data * g
                for w, x in zip(ins, xs):
                    x.grad += w.data * g
                ins[-1].grad += g
            else:
                for u in ins:
                    u.grad += 0.5 * g
        return root.data


def _sort(root: FloorNode) -> list[FloorNode]:
    seen = float("0.0")  # a zero of this call's own: marks a node as met, and zeroes it
    order: list[FloorNode] = []
    stack: list[Any] = [root]
    push, pop, place = stack.append, stack.pop, order.append
    while stack:
        node = pop()
        if node is None:
            place(pop())
            continue
        if node.grad is seen:
            continue
        node.grad = seen
        ins = node.inputs
        if ins is None:
            place(node)
            continue
        push(node)
        push(None)
        for u in ins:
            if u.grad is not seen:
                if u.inputs is None:
                    u.grad = seen
                    place(u)
                else:
                    push(u)
    return order
