"""The traced graph by index: the nodes the outputs need, what each leaf is, the sums and
weighted sums hidden in chains of ``+`` and ``*``, and each node's depth.

Leaves are of six kinds: ``param`` (a Value the function read from outside: it receives a
gradient), ``frozen`` (one with ``requires_grad=False``: read on each call, no gradient),
``input`` (a number of an argument), ``const`` (a number fixed in the code), ``random``
(drawn again on each call) and ``detach`` (a copy of another node's value).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import Any

from ..engine import CONSTANT, HOOKS, MANY, Value
from ..tracing import DATA_SLOT, Trace, TracingError

__all__ = [
    "Graph", "build_graph", "LEAF_KINDS", "INERT", "use_counts", "depths", "differentiable_slots",
    "PARTLY_DIFFERENTIABLE",
]  # fmt: skip

LEAF_KINDS = ("param", "frozen", "input", "const", "random", "detach")
_data = DATA_SLOT.__get__


class Graph:
    """Nodes by index, inputs before the nodes made from them (a topological order)."""

    def __init__(self) -> None:
        self.values: list[Value] = []  # the traced Value of each index
        self.op: list[str] = []  # the op ("+", "linear", "sum", ...) or a leaf kind
        self.inputs: list[tuple[int, ...]] = []
        self.info: dict[int, Any] = {}  # per node: a where's WhereInfo, an input's (arg, pos),
        # a random leaf's draw number, a detach leaf's source, a linear node's fan-in
        self.root = -1
        self.aux: list[int] = []  # other outputs whose values are returned as floats
        self.requires: list[tuple[list[int | float], Any, Any]] = []
        self.made_at: list[tuple[int, int]] = []  # (position in trace.nodes, index) of op nodes
        self.uses: list[int] = []  # how many live nodes (and outputs) use each node
        self.from_root: list[bool] = []  # does a gradient flow to it from the root?

    def __len__(self) -> int:
        return len(self.op)

    def add(self, value: Value, op: str, inputs: tuple[int, ...] = ()) -> int:
        self.values.append(value)
        self.op.append(op)
        self.inputs.append(inputs)
        return len(self.op) - 1

    def is_leaf(self, i: int) -> bool:
        return not self.inputs[i] and self.op[i] in LEAF_KINDS


def _inputs_of(v: Value) -> tuple[Value, ...]:
    a, b = v._a, v._b
    if a is None:
        return ()
    if b is None:
        return (a,)
    return a if b is MANY else (a, b)


class _Indexer:
    """Gives each needed Value an index, classifying leaves as they are met."""

    def __init__(self, trace: Trace, graph: Graph) -> None:
        self.trace, self.graph = trace, graph
        self.index: dict[Value, int] = {}  # (Values hash by identity: no id() calls)
        self.made = set(map(id, trace.nodes))
        self.random_order = {id(leaf): k for k, (leaf, _) in enumerate(trace.random)}

    def leaf(self, u: Value) -> int:
        trace, graph, key = self.trace, self.graph, id(u)
        if key in trace.aliases:
            i = self.of(trace.aliases[key])
        elif key in trace.placeholders:
            i = graph.add(u, "input")
            graph.info[i] = trace.placeholders[key]
        elif key in trace.no_grad_lines:  # an error, if the result needs it
            i = graph.add(u, "refused")
            graph.info[i] = (
                f"autograd.compile: a Value made under no_grad() inside the compiled "
                f"function is used by its result, at\n    {trace.no_grad_lines[key]}\n"
                "Its number would be frozen into the compiled program. Use "
                "v.detach() for a value without gradient that follows v."
            )
        elif key in trace.constants:
            i = graph.add(u, "const")
        elif key in self.random_order:
            i = graph.add(u, "random")
            graph.info[i] = self.random_order[key]
        elif key in trace.detached:
            source = self.of(trace.detached[key])
            i = graph.add(u, "detach")
            graph.info[i] = source
        elif u._a is not None and key not in self.made:
            i = graph.add(u, "refused")
            label = f", label {u.label!r}" if u.label else ""
            graph.info[i] = (
                f"autograd.compile: the function uses a Value computed outside it "
                f"(op {u._op!r}, data {_data(u)!r}{label}); a replay could not recompute it. "
                "Compute it inside the function, or pass a leaf (a parameter) instead."
            )
        else:  # read from outside: a parameter, or a constant (requires_grad=False)
            i = graph.add(u, "param" if u._b is not CONSTANT else "frozen")
        self.index[u] = i
        return i

    def of(self, u: Value) -> int:
        i = self.index.get(u)
        return self.leaf(u) if i is None else i


def build_graph(trace: Trace, root: Value, aux: list[Value]) -> Graph:
    """The graph of what ``root``, the ``aux`` outputs and the recorded checks need."""
    graph = Graph()
    indexer = _Indexer(trace, graph)
    index, of, wheres = indexer.index, indexer.of, trace.wheres
    lookup, values, ops, inputs = index.get, graph.values, graph.op, graph.inputs
    made_at = graph.made_at
    for position, v in enumerate(trace.nodes):
        a, b = v._a, v._b
        if a is None:  # an op's result made under no_grad: refused if it is used
            of(v)
            continue
        vs = a if b is MANY else (a,) if b is None else (a, b)
        ins = tuple(map(lookup, vs))
        if None in ins:  # leaves met for the first time
            ins = tuple(of(u) if i is None else i for u, i in zip(vs, ins))
        key = id(v)
        if key in wheres:
            ins = _where_inputs(graph, v, wheres[key], ins)
        index[v] = len(ops)
        made_at.append((position, len(ops)))
        values.append(v)
        ops.append(v._op)
        inputs.append(ins)
        if v._op == "linear":
            graph.info[len(ops) - 1] = (len(ins) - 1) // 2
    graph.root = of(root)
    graph.aux = [of(v) for v in aux]
    for vals, test, message in trace.requires:
        graph.requires.append(
            ([of(v) if isinstance(v, Value) else float(v) for v in vals], test, message)
        )
    graph.uses = _live(graph)
    _refuse_hooks(graph)
    find_sums(graph)
    return graph


INERT = ("absorbed", "dead")  # nodes the program skips: folded into a sum, or not needed


def _live(graph: Graph) -> list[int]:
    """Mark the nodes no output needs "dead" and count each node's uses by live nodes
    (and by the outputs); raise for a refused Value that is used. Also finds the nodes a
    gradient reaches from the root (``graph.from_root``)."""
    n = len(graph)
    uses = _output_uses(graph, [0] * n)
    from_root = graph.from_root = [False] * n
    from_root[graph.root] = True
    op, inputs, info = graph.op, graph.inputs, graph.info
    for i in range(n - 1, -1, -1):
        if not uses[i]:
            if inputs[i]:
                op[i] = "dead"
            continue
        kind = op[i]
        if kind == "refused":
            raise TracingError(info[i])
        if kind == "detach":
            uses[info[i]] += 1
        ins = inputs[i]
        for j in ins:
            uses[j] += 1
        if from_root[i]:
            if kind in PARTLY_DIFFERENTIABLE:
                ins = [ins[s] for s in differentiable_slots(graph, i)]
            for j in ins:
                from_root[j] = True
    return uses


PARTLY_DIFFERENTIABLE = ("**", "leaky_relu", "where", "pick", "cmp")


def differentiable_slots(graph: Graph, i: int) -> range | tuple[int, ...]:
    """The inputs of node i that a gradient flows into."""
    op = graph.op[i]
    if op in ("**", "leaky_relu"):  # the exponent and the slope are constants
        return (0,)
    if op == "where":
        return range(len(graph.info[i].sides))
    if op == "pick":
        return range(len(graph.inputs[i]) - 1)
    if op == "cmp":
        return ()
    return range(len(graph.inputs[i]))


def _refuse_hooks(graph: Graph) -> None:
    if not HOOKS:
        return
    for v in graph.values:
        if v in HOOKS:
            name = f"{v.label!r}" if v.label else f"a Value (data {_data(v)!r})"
            raise TracingError(
                f"autograd.compile: {name} has a hook (register_hook), which the array "
                "program cannot run; remove the hook or call the function uncompiled"
            )


def _where_inputs(graph: Graph, v: Value, info: Any, ins: tuple[int, ...]) -> tuple[int, ...]:
    """A where's condition becomes a node of its own ("cmp"), made before the where."""
    branches = len(info.sides)
    cmp = graph.add(v, "cmp", ins[branches:])
    graph.info[cmp] = (info.op, info.right_number)
    graph.info[cmp + 1] = info  # the where itself comes next
    return (*ins[:branches], cmp)


# ---- sums and weighted sums ------------------------------------------------------------------


def _output_uses(graph: Graph, uses: list[int]) -> list[int]:
    """``uses`` plus one for each use outside the graph's nodes: as the root, as an extra
    output, or as a value a ``require`` check reads."""
    for j in (graph.root, *graph.aux):
        uses[j] += 1
    for vals, _, _ in graph.requires:
        for j in vals:
            if isinstance(j, int):
                uses[j] += 1
    return uses


def use_counts(graph: Graph, live_only: bool = False) -> list[int]:
    """How many times each node is used: as an input, or as an output of the graph
    (``live_only``: not counting uses by links absorbed into sums)."""
    inputs = graph.inputs
    if live_only:
        inputs = [ins for ins, op in zip(inputs, graph.op) if op not in INERT]
    counts = Counter(chain.from_iterable(inputs))
    uses = _output_uses(graph, [counts.get(i, 0) for i in range(len(graph))])
    for i, op in enumerate(graph.op):
        if op == "detach":
            uses[graph.info[i]] += 1
    return uses


def find_sums(graph: Graph) -> None:
    """Turn chains of ``+`` into ``sum`` nodes, and sums of products into ``linear`` nodes.

    ``((b + w0*x0) + w1*x1) + ...`` is what micrograd's neuron builds; as one ``linear`` node
    it adds the same numbers in the same order, and a layer of them becomes a matrix product.
    A link of a chain is absorbed only when nothing else uses it.
    """
    uses = graph.uses
    op, inputs = graph.op, graph.inputs
    terms: dict[int, list[int]] = {}
    for i in range(len(op)):
        if op[i] != "+":
            continue
        parts: list[int] = []
        for j in inputs[i]:
            if j in terms and uses[j] == 1:
                parts += terms.pop(j)
                op[j] = "absorbed"
            else:
                parts.append(j)
        terms[i] = parts
    for i, parts in terms.items():
        if len(parts) == 2:
            _subtraction(graph, uses, i)
        if len(parts) <= 2:
            continue
        products = parts[1:]
        if all(op[p] == "*" and uses[p] == 1 for p in products):
            ws = [inputs[p][0] for p in products]
            xs = [inputs[p][1] for p in products]
            for p in products:
                op[p] = "absorbed"
            op[i], inputs[i] = "linear", (*ws, *xs, parts[0])
            graph.info[i] = len(products)
        else:
            op[i], inputs[i] = "sum", tuple(parts)


def _subtraction(graph: Graph, uses: list[int], i: int) -> None:
    """a + (b * -1), what ``a - b`` records, as one ``sub`` node (the same float)."""
    op, inputs = graph.op, graph.inputs
    for slot, j in enumerate(inputs[i]):
        if op[j] == "*" and uses[j] == 1:
            b, minus = inputs[j]
            if op[minus] == "const" and _data(graph.values[minus]) == -1.0:
                op[i], op[j] = "sub", "absorbed"
                inputs[i] = (inputs[i][1 - slot], b)
                return


def depths(graph: Graph) -> list[int]:
    """Each node's depth: 0 for leaves, else one more than its deepest input."""
    depth = [0] * len(graph)
    op, inputs, info = graph.op, graph.inputs, graph.info
    at = depth.__getitem__
    for i, ins in enumerate(inputs):
        if ins:
            depth[i] = 1 + max(map(at, ins))
        elif op[i] == "detach":
            depth[i] = depth[info[i]]
    return depth
