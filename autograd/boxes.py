"""Collapsing nn modules into boxes for ``draw_dot(collapse=model)``: one box per Neuron call,
per Layer call, or per module (all its calls together)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .engine import Value
from .fused import linear_parts

__all__ = ["Box", "collapse_boxes", "data_leaves", "consumers"]


def data_leaves(order: list[Value], params: set[Value]) -> set[Value]:
    """Unlabeled leaves that are data, not constants: the x's of a ``linear`` node, and
    leaves multiplied by a parameter (``w * x`` in micrograd's unfused neuron).

    >>> from autograd import linear
    >>> w, x = Value(2.0, label="w"), Value(3.0)
    >>> data_leaves([w, x, linear([w], [x])], {w}) == {x}
    True
    """
    found: set[Value] = set()
    for node in order:
        if node.op == "linear":
            for x in linear_parts(node.inputs)[1]:
                if x.is_leaf:
                    found.add(x)
        elif node.op == "*" and len(node.inputs) == 2:
            a, b = node.inputs
            if a in params and not b.inputs:
                found.add(b)
            elif b in params and not a.inputs:
                found.add(a)
    return found


class Box:
    """A group of nodes drawn as one box: the graph of one Neuron call (or of one Layer call, or
    of every call of one module): its name, the module's kind, its outputs and its members."""

    def __init__(self, name: str, kind: str, outputs: list[Value], members: set[Value]) -> None:
        self.name, self.kind, self.outputs, self.members = name, kind, outputs, members
        self.nparams = 0


def _natural_key(name: str) -> list[tuple[int, Any]]:
    # "layers.10" after "layers.9": numbers compare as numbers
    return [(0, int(p)) if p.isdigit() else (1, p) for p in name.split(".")]


def consumers(order: list[Value]) -> dict[Value, list[Value]]:
    """Each node of ``order`` with the nodes that take it as an input (once per use).

    >>> x = Value(2.0); y = x * x
    >>> len(consumers([x, y])[x])
    2
    """
    users: dict[Value, list[Value]] = {node: [] for node in order}
    for node in order:
        for child in node.inputs:
            users[child].append(node)
    return users


def _neuron_boxes(order: list[Value], model: Any) -> list[Box]:
    """One box per Value labelled with a module's qualified name (a Neuron's output).

    Members: walk back from that output through interior nodes, stopping at other boxes'
    outputs; of the leaves reached, the module's parameters and the constants used only
    inside are absorbed, while data (leaves entering a ``linear`` as an x, labelled leaves,
    leaves used elsewhere too) stays outside as the box's inputs.
    """
    modules = {name: m for name, m in _named_modules(model, order).items() if name}
    outputs = [node for node in order if node.label in modules and node.inputs]
    is_output = set(outputs)
    data = data_leaves(order, set(model.parameters()))
    users = consumers(order)
    boxes = []
    for out in outputs:
        module = modules[out.label]
        params = set(module.parameters())
        members = _members([out], is_output, params, data, users)
        box = Box(out.label, type(module).__name__, [out], members)
        box.nparams = len(params)
        boxes.append(box)
    return boxes


def _members(
    outputs: list[Value],
    is_output: set[Value],
    params: set[Value],
    data: set[Value],
    users: dict[Value, list[Value]],
) -> set[Value]:
    """What a box holds: ``outputs`` and every interior node behind them, back to other boxes'
    outputs and leaves; of the leaves, the module's parameters and the constants used only
    inside (data and named inputs stay outside, as the box's inputs)."""
    interior = set(outputs)
    stack = list(outputs)
    leaves = set()
    while stack:
        node = stack.pop()
        for child in node.inputs:
            if child in is_output or child in interior:
                continue
            if child.inputs:
                interior.add(child)
                stack.append(child)
            else:
                leaves.add(child)
    members = set(interior)
    for leaf in leaves:
        inside_only = all(u in interior for u in users[leaf])
        constant = not leaf.label and leaf not in data
        if leaf in params or (inside_only and constant):
            members.add(leaf)
    return members


def _module_boxes(order: list[Value], model: Any) -> list[Box]:
    """One box per module whose name labels op results, holding all of its calls; a result
    labelled with a submodule's name (``layers.0.attn.wq`` inside ``layers.0.attn``) is drawn
    inside the outer module's box."""
    modules = {name: m for name, m in _named_modules(model, order).items() if name}
    labels = {node.label for node in order if node.inputs and node.label in modules}
    outer = {n for n in labels if not any(n.startswith(o + ".") for o in labels)}
    outputs: dict[str, list[Value]] = {}
    for node in order:
        if node.inputs and node.label in outer:
            outputs.setdefault(node.label, []).append(node)
    is_output = {node for outs in outputs.values() for node in outs}
    data = data_leaves(order, set(model.parameters()))
    users = consumers(order)
    boxes = []
    for name, outs in outputs.items():
        params = set(modules[name].parameters())
        members = _members(outs, is_output, params, data, users)
        box = Box(name, type(modules[name]).__name__, outs, members)
        box.nparams = len(params)
        boxes.append(box)
    return boxes


def _layer_name(name: str, names: Iterable[str]) -> str:
    """The module a neuron belongs to: its deepest named ancestor ("" for the model itself).

    Lists of modules are not modules, so for ``layers.0.neurons.3`` this is ``layers.0``.
    """
    best = ""
    for other in names:
        if other and name.startswith(other + ".") and len(other) > len(best):
            best = other
    return best


def _named_modules(model: Any, order: list[Value]) -> dict[str, Any]:
    """``model.named_modules()`` as a dict, named the way the graph's labels name them."""
    if not hasattr(model, "named_modules"):
        raise TypeError(
            f"draw_dot: collapse= needs a module with named_modules() (an nn.Module), "
            f"got {type(model).__name__}"
        )
    labels = {node.label for node in order if node.inputs and node.label}
    best = dict(model.named_modules())
    # a module built inside another (a Layer of an MLP) may label its outputs with its
    # qualified name: try that name as the prefix too, and keep whichever names match
    prefix = getattr(model, "name", "")
    if prefix and isinstance(prefix, str):
        prefixed = dict(model.named_modules(prefix))
        if len(labels.intersection(prefixed)) > len(labels.intersection(best)):
            best = prefixed
    return best


def _layer_boxes(order: list[Value], model: Any) -> list[Box]:
    """Neuron boxes merged per layer call: same layer, sharing an input or a consumer."""
    neurons = _neuron_boxes(order, model)
    modules = _named_modules(model, order)
    neuron_names = {b.name for b in neurons}
    layer_names = [n for n in modules if n not in neuron_names]
    users = consumers(order)
    # union-find over neuron boxes: same layer and (a shared input or a shared consumer)
    parent = list(range(len(neurons)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    layer_of = [_layer_name(b.name, layer_names) for b in neurons]
    seen_at: dict[tuple[str, Value], int] = {}
    for i, box in enumerate(neurons):
        touching: set[Value] = set()
        for node in box.members:
            for child in node.inputs:
                if child not in box.members:
                    touching.add(child)  # an input of the box
        for out in box.outputs:
            touching.update(users[out])  # a consumer of the box
        for node in touching:
            key = (layer_of[i], node)
            if key in seen_at:
                parent[find(i)] = find(seen_at[key])
            else:
                seen_at[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(neurons)):
        groups.setdefault(find(i), []).append(i)
    boxes = []
    for idx in groups.values():
        name = layer_of[idx[0]]
        module = modules.get(name, model)
        outputs = [out for i in idx for out in neurons[i].outputs]
        members = set().union(*(neurons[i].members for i in idx))
        kind = type(module).__name__
        box = Box(name or kind, kind, outputs, members)
        box.nparams = len(list(module.parameters()))
        boxes.append(box)
    return boxes


def collapse_boxes(
    order: list[Value], collapse: Any, collapse_level: str
) -> tuple[list[Box], dict[Value, Box]]:
    """The boxes drawn in place of modules (none without ``collapse``), top to bottom in name
    order, and the box each hidden Value is drawn in (the first box that claims it).
    ``collapse_level``: "neuron", "layer" or "module" (see ``draw_dot``).

    >>> from autograd import topological_order
    >>> collapse_boxes(topological_order(Value(1.0) * 2), None, "neuron")  # nothing to collapse
    ([], {})
    """
    boxes: list[Box] = []
    if collapse is not None:
        level_boxes = {"neuron": _neuron_boxes, "layer": _layer_boxes, "module": _module_boxes}
        found = level_boxes[collapse_level](order, collapse)
        boxes = sorted(found, key=lambda box: _natural_key(box.name))
    owner: dict[Value, Box] = {}
    for box in boxes:
        for node in box.members:
            owner.setdefault(node, box)
    return boxes, owner


