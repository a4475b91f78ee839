"""From the graph to steps: the nodes of one op at one depth become one array step, and the
weighted sums (``linear`` nodes) that share weight rows across samples a matrix product.

Nodes at one depth depend only on shallower ones, so a step never needs its own output.
Within a depth, nodes are grouped by op and by the arrays their inputs come from; each
group's lanes are ordered like its first input, so that input is usually read whole.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

import numpy as np

from ..tracing import DATA_SLOT, TracingError
from .graph import (
    INERT,
    PARTLY_DIFFERENTIABLE,
    Graph,
    depths,
    differentiable_slots,
    use_counts,
)
from .kernels import KERNELS
from .operands import CONST, Namespace, Operand, Tensor, resolve

__all__ = ["Step", "Plan", "make_plan"]

_data = DATA_SLOT.__get__


class Step:
    """One array operation covering ``nodes`` (node indices, in the output's lane order).

    ``kind``: "map" (an engine op, elementwise), "cmp" (a where's condition), "where",
    "matmul" (out[r, c] = X[r] . W[c] + b[c]), "dot" (one weighted sum per lane), "sum",
    "pick", or "scalar" (an op without an array form, run element by element).
    ``specs`` holds, per input, the node indices feeding it (shaped like the operand).
    """

    def __init__(self, kind: str, op: str, nodes: np.ndarray, shape: tuple[int, ...],
                 specs: list[np.ndarray], info: Any = None) -> None:
        self.kind, self.op, self.nodes, self.shape = kind, op, nodes, shape
        self.specs, self.info = specs, info
        self.out: Tensor | None = None
        self.operands: list[Operand] = []
        self.grads: list[bool] = []  # which inputs get a gradient contribution
        self.backward = False  # does any lane lie on a path from the root?
        self.mask: tuple[Operand, str, str] | None = None  # lanes a where may switch off

    def __repr__(self) -> str:
        return f"Step({self.kind} {self.op} {self.shape})"


class Plan:
    """The steps, the arrays, and where every node lives."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.steps: list[Step] = []
        self.tensors: list[Tensor] = []
        self.ns = Namespace(np=np)
        n = len(graph)
        self.tensor_of = [CONST] * n
        self.lane_of = [0] * n
        self.params: list[int] = []  # param leaves in the order of the P buffer
        self.to_param = [False] * n
        self.from_root = [False] * n

    def tensor(self, name: str, shape: tuple[int, ...], kind: str) -> Tensor:
        t = Tensor(len(self.tensors), name, shape, kind)
        self.tensors.append(t)
        if kind != "local":
            t.buffer = np.zeros(shape)
            self.ns[name] = t.buffer
            if kind == "params":
                t.grad = np.zeros(shape)
                self.ns["G" + name] = t.grad
        return t

    def place(self, nodes: np.ndarray | list[int], t: Tensor) -> None:
        tensor_of, lane_of = self.tensor_of, self.lane_of
        for lane, i in enumerate(np.asarray(nodes).reshape(-1).tolist()):
            tensor_of[i] = t.id
            lane_of[i] = lane


# ---- placing leaves ----------------------------------------------------------------------------


def _place_leaves(plan: Plan, arg_shapes: list[tuple[int, ...] | None], n_random: int) -> None:
    graph = plan.graph
    params = [i for i, op in enumerate(graph.op) if op in ("param", "frozen") and graph.uses[i]]
    plan.params = params
    plan.p = plan.tensor("P", (len(params),), "params")
    plan.place(params, plan.p)
    plan.args = [None if s is None else plan.tensor(f"A{k}", s, "input")
                 for k, s in enumerate(arg_shapes)]
    plan.r = plan.tensor("R", (n_random,), "random")
    for i, op in enumerate(graph.op):
        if op == "input":
            arg, pos = graph.info[i]
            plan.tensor_of[i], plan.lane_of[i] = plan.args[arg].id, pos
        elif op == "random":
            plan.tensor_of[i], plan.lane_of[i] = plan.r.id, graph.info[i]


def _place_detached(plan: Plan, depth: list[int], d: int) -> None:
    graph = plan.graph
    for i in plan.detached_at.get(d, ()):
        source = graph.info[i]
        plan.tensor_of[i], plan.lane_of[i] = plan.tensor_of[source], plan.lane_of[source]


# ---- grouping ------------------------------------------------------------------------------------


def _key(graph: Graph, tof: list[int], i: int) -> tuple:
    op, ins = graph.op[i], graph.inputs[i]
    if op == "linear":
        k = graph.info[i]
        return (op, k, tof[ins[0]], tof[ins[k]], tof[ins[-1]])
    if op in ("sum", "pick"):
        return (op, len(ins), tof[ins[0]], tof[ins[-1]])
    if op == "where":
        return (op, graph.info[i].sides, *map(tof.__getitem__, ins))
    if op == "cmp":
        return (op, graph.info[i], *map(tof.__getitem__, ins))
    return (op, *map(tof.__getitem__, ins))


def _order(plan: Plan, nodes: list[int], slot: int) -> list[int]:
    """Nodes sorted like the input in ``slot``, so that input reads in order."""
    ins, lanes = plan.graph.inputs, plan.lane_of
    return sorted(nodes, key=lambda i: lanes[ins[i][slot]])


def _lane_shape(plan: Plan, nodes: list[int], slot: int | None) -> tuple[int, ...]:
    """The shape of the input array in ``slot`` when the nodes read it whole, else (m,)."""
    m = len(nodes)
    if m == 1:
        return ()
    if slot is not None:
        first = plan.graph.inputs[nodes[0]][slot]
        t = plan.tensors[plan.tensor_of[first]] if plan.tensor_of[first] != CONST else None
        if t is not None and t.size == m:
            lanes = [plan.lane_of[plan.graph.inputs[i][slot]] for i in nodes]
            if lanes == list(range(m)):
                return t.shape
    return (m,)


def _spec(nodes: list[int], inputs: list[tuple[int, ...]], shape: tuple[int, ...]) -> list:
    arity = len(inputs[nodes[0]])
    return [np.array([inputs[i][s] for i in nodes]).reshape(shape) for s in range(arity)]


def _map_steps(plan: Plan, key: tuple, nodes: list[int]) -> list[Step]:
    graph = plan.graph
    op = key[0]
    sources = key[2:] if op in ("cmp", "where") else key[1:]
    local = [s for s, t in enumerate(sources) if t != CONST and plan.tensors[t].kind == "local"]
    data = [s for s, t in enumerate(sources) if t != CONST]
    slot = local[0] if local else data[0] if data else None  # the input the lanes follow
    if slot is not None:
        nodes = _order(plan, nodes, slot)
    shape = _lane_shape(plan, nodes, slot)
    kind = op if op in ("cmp", "where") else "map"
    if kind == "map" and op not in KERNELS:
        kind = "scalar"
        _check_scalar_op(graph, nodes[0])
    info = graph.info[nodes[0]] if kind in ("cmp", "where") else None
    return [Step(kind, op, np.array(nodes).reshape(shape), shape,
                 _spec(nodes, graph.inputs, shape), info)]


def _check_scalar_op(graph: Graph, i: int) -> None:
    from ..engine import RULES, Value

    op, arity = graph.op[i], len(graph.inputs[i])
    if op not in RULES or not callable(getattr(Value, op, None)) or arity > 2:
        raise TracingError(
            f"autograd.compile: op {op!r} has no array form (add a kernel for it in "
            "autograd/compiler/kernels.py)"
        )


def _sum_steps(plan: Plan, nodes: list[int]) -> list[Step]:
    nodes = _order(plan, nodes, 0)
    if len(nodes) == 1:  # one sum: its constant terms are added up now, once
        graph, i = plan.graph, nodes[0]
        fixed = [j for j in graph.inputs[i] if plan.tensor_of[j] == CONST]
        terms = [j for j in graph.inputs[i] if plan.tensor_of[j] != CONST] or fixed
        constant = sum(_data(graph.values[j]) for j in fixed) if len(terms) < len(
            graph.inputs[i]) else 0.0
        return [Step("sum", "sum", np.array(nodes).reshape(()), (), [np.array(terms)], constant)]
    terms = np.array([plan.graph.inputs[i] for i in nodes])
    return [Step("sum", "sum", np.array(nodes), (len(nodes),), [terms])]


def _pick_steps(plan: Plan, nodes: list[int]) -> list[Step]:
    nodes = _order(plan, nodes, len(plan.graph.inputs[nodes[0]]) - 1)
    rows = np.array([plan.graph.inputs[i] for i in nodes])
    shape = (len(nodes),)
    return [Step("pick", "pick", np.array(nodes), shape, [rows[:, :-1], rows[:, -1]])]


def _linear_steps(plan: Plan, k: int, nodes: list[int]) -> list[Step]:
    """Weighted sums as matrix products where they form a grid (every row of inputs meets
    every row of weights), the rest one dot product per lane."""
    inputs, lanes = plan.graph.inputs, plan.lane_of
    rows_of_col: dict[tuple, list] = defaultdict(list)
    for i in nodes:
        ins = inputs[i]
        rows_of_col[(*ins[:k], ins[-1])].append((ins[k : 2 * k], i))
    blocks: dict[tuple, list] = defaultdict(list)
    for col, members in rows_of_col.items():
        members.sort(key=lambda m: lanes[m[0][0]])
        blocks[tuple(r for r, _ in members)].append((col, members))
    steps, rest = [], []
    for rows, cols in blocks.items():
        if len(set(rows)) != len(rows) or len(rows) * len(cols) < 2:
            rest += [i for _, members in cols for _, i in members]
            continue
        cols.sort(key=lambda c: lanes[c[0][0]])
        grid = np.array([[i for _, i in members] for _, members in cols]).T  # (R, C)
        weights = np.array([c for c, _ in cols])  # (C, k + 1)
        steps.append(Step("matmul", "linear", grid, grid.shape,
                          [np.array(rows), weights[:, :k], weights[:, k]]))
    if rest:
        rest = _order(plan, rest, k)
        rows = np.array([inputs[i] for i in rest])
        shape = () if len(rest) == 1 else (len(rest),)
        squeeze = (lambda a: a[0]) if shape == () else (lambda a: a)
        steps.append(Step("dot", "linear", np.array(rest).reshape(shape), shape,
                          [squeeze(rows[:, :k]), squeeze(rows[:, k : 2 * k]),
                           rows[:, -1].reshape(shape)]))
    return steps


def _steps_at(plan: Plan, nodes: list[int]) -> list[Step]:
    graph, tof = plan.graph, plan.tensor_of
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for i in nodes:
        buckets[_key(graph, tof, i)].append(i)
    steps = []
    for key, members in sorted(buckets.items(), key=lambda kv: kv[0][0] != "cmp"):
        op = key[0]
        if op == "linear":
            steps += _linear_steps(plan, key[1], members)
        elif op == "sum":
            steps += _sum_steps(plan, members)
        elif op == "pick":
            steps += _pick_steps(plan, members)
        else:
            steps += _map_steps(plan, key, members)
    return steps


# ---- the plan ------------------------------------------------------------------------------------


def make_plan(graph: Graph, arg_shapes: list[tuple[int, ...] | None], n_random: int) -> Plan:
    """Steps in order, each with its output array placed and its inputs resolved."""
    plan = Plan(graph)
    depth = depths(graph)
    _place_leaves(plan, arg_shapes, n_random)
    by_depth: dict[int, list[int]] = defaultdict(list)
    plan.detached_at = defaultdict(list)
    for i, op in enumerate(graph.op):
        if graph.inputs[i] and op not in INERT:
            by_depth[depth[i]].append(i)
        elif op == "detach":
            plan.detached_at[depth[i]].append(i)
    _place_detached(plan, depth, 0)
    for d in sorted(by_depth):
        for step in _steps_at(plan, by_depth[d]):
            step.out = plan.tensor(f"t{len(plan.tensors)}", step.shape, "local")
            plan.place(step.nodes, step.out)
            plan.steps.append(step)
        _place_detached(plan, depth, d)
    _layout_params(plan)
    _gradient_paths(plan)
    _resolve(plan)
    return plan


def _layout_params(plan: Plan) -> None:
    """Order the parameter buffer so each matrix product's weights are one contiguous
    block (rows of W in order) and its biases another: they are read as plain views."""
    op, order, seen = plan.graph.op, [], set()
    for step in plan.steps:
        if step.kind != "matmul":
            continue
        for spec in step.specs[1:]:
            nodes = spec.reshape(-1).tolist()
            fresh = all(op[i] in ("param", "frozen") and i not in seen for i in nodes)
            if fresh and len(set(nodes)) == len(nodes):
                order += nodes
                seen.update(nodes)
    plan.params = order + [i for i in plan.params if i not in seen]
    plan.place(plan.params, plan.p)


def _gradient_paths(plan: Plan) -> None:
    """Which nodes lead to a parameter (``from_root``, which a gradient reaches from the
    root, was found with the live nodes)."""
    graph = plan.graph
    to_param, op, inputs = plan.to_param, graph.op, graph.inputs
    plan.from_root = graph.from_root
    for i, kind in enumerate(op):
        if kind == "param":
            to_param[i] = True
    at = to_param.__getitem__
    for i, ins in enumerate(inputs):
        if ins and op[i] not in INERT:
            if op[i] in PARTLY_DIFFERENTIABLE:
                ins = [ins[s] for s in differentiable_slots(graph, i)]
            to_param[i] = any(map(at, ins))


def _rename(ns: Namespace, operand: Operand, name: str) -> None:
    """Give a view of a buffer a name that says what it is (W1: layer 1's weights)."""
    if not operand.read.isidentifier() or name in ns:
        return
    ns[name] = ns.pop(operand.read)
    operand.read = name
    if operand.grad is not None:
        ns["g" + name] = ns.pop(operand.grad)
        operand.grad = "g" + name


def _sort_terms(step: Step, tensor_of: np.ndarray, lane_of: np.ndarray) -> None:
    """Put a weighted sum's terms in the order its weights lie in memory (the sum is the
    same up to rounding), so that p . p over all parameters reads the buffer whole."""
    ws, xs = step.specs[0], step.specs[1]
    order = np.lexsort((lane_of[ws], tensor_of[ws]))
    step.specs[0], step.specs[1] = ws[order], xs[order]


def _resolve(plan: Plan) -> None:
    graph = plan.graph
    tensor_of, lane_of = np.array(plan.tensor_of), np.array(plan.lane_of)
    plan.values = np.array([_data(v) for v in graph.values])
    to_param, from_root = np.array(plan.to_param), np.array(plan.from_root)
    args = (tensor_of, lane_of, plan.values, plan.tensors, plan.ns)
    products = 0
    for step in plan.steps:
        if step.kind == "dot" and step.shape == ():  # one weighted sum: any order of terms
            _sort_terms(step, tensor_of, lane_of)
        step.backward = bool(from_root[step.nodes].any())
        shape = step.shape
        for s, spec in enumerate(step.specs):
            if step.kind in ("matmul", "dot", "sum", "pick"):
                operand = resolve(spec, *args, shape=spec.shape)
            else:
                operand = resolve(spec, *args, shape=shape)
            if step.kind == "matmul" and s and operand.kind == "view":
                _rename(plan.ns, operand, f"{'Wb'[s - 1]}{products + 1}")
            step.operands.append(operand)
            slots = differentiable_slots(graph, int(step.nodes.flat[0]))
            needed = step.kind in ("matmul", "dot") or s in slots
            step.grads.append(bool(step.backward and needed and to_param[spec].any()))
        products += step.kind == "matmul"
    plan.tensor_of_array, plan.lane_of_array = tensor_of, lane_of
    plan.require_operands, checks = [], []
    for vals, test, message in graph.requires:
        positions = [k for k, v in enumerate(vals) if isinstance(v, int)]
        spec = np.array([vals[k] for k in positions])
        plan.require_operands.append(resolve(spec, *args, shape=spec.shape))
        checks.append((test, message, positions))
    plan.ns["requires"] = checks
    _masks(plan)


# ---- the lanes a where may switch off --------------------------------------------------------


def _exclusive(graph: Graph, uses: list[int], w: int, slot: int, window: tuple[int, int],
               positions: list[int]) -> list[int]:
    """Nodes made by one branch of where node w that nothing outside that branch uses."""
    first, last = bisect.bisect_left(positions, window[0]), bisect.bisect_left(positions, window[1])
    made = [i for _, i in graph.made_at[first:last] if graph.op[i] not in INERT]
    inside = defaultdict(int)
    inside[graph.inputs[w][slot]] += 1
    exclusive = []
    for i in sorted(made, reverse=True):
        if inside[i] == uses[i]:
            exclusive.append(i)
            for j in graph.inputs[i]:
                inside[j] += 1
    return exclusive


def _masks(plan: Plan) -> None:
    """For steps holding nodes that only one branch of a where uses: the lanes where that
    branch was not chosen, so their gradients (0 there) do not become 0 * inf = NaN."""
    graph = plan.graph
    wheres = [i for i, op in enumerate(graph.op) if op == "where"]
    if not wheres:
        return
    uses = use_counts(graph, live_only=True)
    positions = [p for p, _ in graph.made_at]
    mask_of: dict[int, tuple[int, bool]] = {}
    for w in wheres:
        info = graph.info[w]
        cmp = graph.inputs[w][-1]
        for slot, (side, window) in enumerate(zip(info.sides, info.windows)):
            for i in _exclusive(graph, uses, w, slot, window, positions):
                mask_of.setdefault(i, (cmp, side))
    tensor_of, lane_of = plan.tensor_of_array, plan.lane_of_array
    for step in plan.steps:
        lanes = step.nodes.reshape(-1).tolist()
        marks = [mask_of.get(i) for i in lanes]
        if not any(marks):
            continue
        some = next(m for m in marks if m)[0]
        preds = np.array([m[0] if m else some for m in marks])
        negate = np.array([bool(m) and not m[1] for m in marks])
        unmasked = np.array([not m for m in marks])
        pred = resolve(preds, tensor_of, lane_of, plan.values, plan.tensors, plan.ns,
                       shape=step.shape)
        shape = step.shape
        neg = plan.ns.add("c", negate.reshape(shape)) if negate.any() else "False"
        free = plan.ns.add("c", unmasked.reshape(shape)) if unmasked.any() else "False"
        step.mask = (pred, neg, free)
