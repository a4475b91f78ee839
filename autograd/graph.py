"""Seeing the graph: draw_dot, a text tree, and backward one chain-rule step at a time."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from .boxes import Box, collapse_boxes, consumers, data_leaves
from .engine import Value, topological_order
from .formatting import format_number, input_name
from .palette import HIGHLIGHT, ROLE_COLORS, GradScale, role_legend
from .render import PICTURE_FORMATS, DotNotFoundError, computation_graph, find_dot, write_picture
from .steps import BackwardStep, backward_steps, local_derivatives

__all__ = [
    "draw_dot",
    "save",
    "print_graph",
    "tree_text",
    "TreeText",
    "backward_steps",
    "BackwardStep",
    "DotNotFoundError",
    "find_dot",
    "PICTURE_FORMATS",
]

# ---- roles and names -----------------------------------------------------------------------


def _roles(order: list[Value], root: Value, params: set[Value]) -> dict[Value, str]:
    """Each node's role: output, parameter, input, constant or (for op results) interior.

    Parameters are the Values passed as ``params``; constants are the leaves made with
    ``requires_grad=False`` and unlabeled leaves (the engine makes them from plain numbers: the
    2 of ``x * 2``, the exponent of ``x ** 2``, the -1 of ``-x``) other than data; every other
    leaf is an input.
    """
    data = data_leaves(order, params)
    roles: dict[Value, str] = {}
    for node in order:
        if node is root:
            roles[node] = "output"
        elif node.inputs:
            roles[node] = "interior"
        elif not node.requires_grad:  # Value(2.0, requires_grad=False), v.detach()
            roles[node] = "constant"
        elif node in params:
            roles[node] = "parameter"
        elif node.label or node in data:
            roles[node] = "input"
        else:
            roles[node] = "constant"
    return roles


def _param_set(params: Any) -> set[Value]:
    if params is None:
        return set()
    if hasattr(params, "parameters"):  # a module
        params = params.parameters()
    return set(params)


def _escape_record(text: str) -> str:
    # characters that structure a record label must be backslash-escaped to appear as text
    out = []
    for ch in text:
        if ch in '{}|<>"\\':
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# ---- draw_dot -------------------------------------------------------------------------------


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    max_nodes: int = 500,
    fmt: str = "svg",
    color_by: str | None = None,
    collapse: Any = None,
    collapse_level: str = "neuron",
    highlight: Any = None,
    params: Any = None,
    legend: bool = True,
    format: str | None = None,  # noqa: A002  (micrograd's name for fmt)
) -> Any:
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (shows inline in Jupyter).

    Each Value is a record ``{ label | data 2.0000 | grad -1.5000 }``, each op a small oval
    (``*``, ``tanh``, ``linear``, ...), and edges follow the data, from inputs to ``root``.
    Fill colours show each Value's role: input, parameter (pass ``params=model`` or a list of
    Values to mark them), constant (a leaf made from a plain number, like the 2 of ``x * 2``,
    or with ``requires_grad=False``) and output. Edges into ``linear`` are labelled w0.., x0.., b.

    - ``color_by="grad"``: fill by |grad| on a log scale (viridis: dark = small, yellow =
      large), with a legend: vanishing gradients show up as dark boxes.
    - ``collapse=model``: draw each Neuron call as one box (its name, output data and grad,
      parameter count); ``collapse_level="layer"`` draws one box per Layer call instead, and
      ``collapse_level="module"`` one box per module whose name labels results, all its calls
      together (a GPT's ``embed``, ``layers.0.attn``, ``layers.0.mlp``, ``lm_head``).
    - ``highlight=step``: a ``BackwardStep`` (from ``backward_steps``), or ``(node, input)``,
      draws that edge in red with ``local x upstream = contribution``; a Value outlines it.
      With a step of ``backward_steps(root)``, the grads backward has not reached yet are
      grey and italic (as in the explorer), so they do not read as true zeros.
      A step, edge or Value that is not in the graph of ``root`` is a ValueError.
    - Graphs of more than ``max_nodes`` Values are refused (a ValueError) rather than hanging
      the notebook; collapse them or draw one sample's graph.

    ``.source`` is the DOT text; ``save(graph, "g.png")`` or ``.render()`` write files (in
    ``fmt``), which needs Graphviz's ``dot`` (or ``pip install graphviz-pure``). micrograd's
    ``draw_dot(root, format="svg", rankdir="LR")`` works as written, positionally too.

    >>> x = Value(2.0, label="x"); w = Value(-3.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"; y.backward()
    >>> g = draw_dot(y, params=[w])
    >>> print(g.source.count("shape=record"), "values,", g.source.count("shape=oval"), "ops")
    4 values, 2 ops
    >>> "y | data -1.0000 | grad 1.0000" in g.source
    True
    """
    rankdir, show_data, fmt = _micrograd_options(rankdir, show_data, fmt, format)
    _check_draw_options(root, rankdir, color_by, collapse_level, max_nodes)
    order = topological_order(root)
    boxes, owner = collapse_boxes(order, collapse, collapse_level)
    shown = [node for node in order if node not in owner]
    count = len(shown) + len(boxes)
    _check_size(count, max_nodes, collapse, collapse_level)

    roles = _roles(order, root, _param_set(params) | _param_set(collapse))
    scale = None
    if color_by == "grad":  # over the grads drawn: the Values', and the boxes' outputs'
        scale = GradScale([_grad_of(v) for v in shown + [o for b in boxes for o in b.outputs]])
    mark = _parse_highlight(highlight)
    _check_highlight(set(order), mark)
    mark = mark._replace(reached=_reached(order, root, mark.step))

    # without dot, a notebook shows the text tree instead (if it is short enough to read)
    graph = _new_graph(fmt, rankdir, tree_text(root, max_lines=60) if count <= 200 else "")
    canvas = _Canvas(graph, _dot_names(order, boxes, owner), scale, mark, show_data, show_grad)
    for node in shown:
        _draw_value(canvas, node, roles[node])
    position = {node: i for i, node in enumerate(order)}
    for k, box in enumerate(boxes):
        _draw_box(canvas, box, f"g{k}", position)
    if legend:
        drawn_roles = {roles[node] for node in shown} | ({"module"} if boxes else set())
        _draw_legend(graph, scale, shown, drawn_roles)
    return graph


def _micrograd_options(rankdir: Any, show_data: Any, fmt: str, format_: Any) -> tuple[Any, ...]:
    """(rankdir, show_data, fmt) from ours or from micrograd's ``draw_dot(root, format, rankdir)``:
    ``format=`` is ``fmt=``, and a picture format in rankdir's place is micrograd's order."""
    if isinstance(rankdir, str) and rankdir.lower() in PICTURE_FORMATS:  # draw_dot(root, "svg")
        if format_ is not None:
            raise TypeError(f"draw_dot: got the format twice: {rankdir!r} and format={format_!r}")
        format_, rankdir = rankdir, show_data if isinstance(show_data, str) else "LR"
        show_data = True  # (micrograd's third argument is rankdir; ours is show_data)
    if format_ is not None:
        if fmt != "svg" and fmt != format_:
            raise TypeError(f"draw_dot: fmt={fmt!r} and format={format_!r} disagree; pass one")
        fmt = format_
    return rankdir, show_data, fmt


def _check_draw_options(
    root: Any, rankdir: str, color_by: str | None, collapse_level: str, max_nodes: Any
) -> None:
    """draw_dot's arguments, each refused with the bad value and what would be right."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    if color_by not in (None, "role", "grad"):
        raise ValueError(f"draw_dot: color_by must be None, 'role' or 'grad', got {color_by!r}")
    if collapse_level not in ("neuron", "layer", "module"):
        raise ValueError(
            "draw_dot: collapse_level must be 'neuron', 'layer' or 'module', "
            f"got {collapse_level!r}"
        )
    if not (isinstance(max_nodes, int) and max_nodes > 0):
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")


def _check_size(count: int, max_nodes: int, collapse: Any, collapse_level: str) -> None:
    """More than max_nodes nodes would hang dot and the notebook: refuse, saying what to do."""
    if count <= max_nodes:
        return
    hint = (
        "pass collapse=model to draw each Neuron as one box (collapse_level='layer' for one "
        "box per Layer), draw the graph of a single sample, or raise max_nodes"
        if collapse is None or collapse_level == "neuron"
        else "draw the graph of a single sample, or raise max_nodes"
    )
    raise ValueError(
        f"draw_dot: the graph has {count} nodes to draw, more than max_nodes={max_nodes}; {hint}"
    )


def _dot_names(order: list[Value], boxes: list[Box], owner: dict[Value, Box]) -> dict[Value, str]:
    """Each Value's node in the DOT text: ``v{i}`` for the i-th Value of ``order`` (its op oval is
    ``v{i}op``; explore finds the Values by these names), or its box's ``g{k}``."""
    box_names = {id(box): f"g{k}" for k, box in enumerate(boxes)}
    return {
        node: box_names[id(owner[node])] if node in owner else f"v{i}"
        for i, node in enumerate(order)
    }


def _new_graph(fmt: str, rankdir: str, text: str) -> Any:
    """An empty graph in draw_dot's look; ``text`` is what a notebook shows if dot is missing."""
    return computation_graph(
        fallback_text=text,
        format=fmt,
        graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35"},
        # Helvetica: a font both dot and graphviz-pure have metrics for (dot's SVG adds the
        # sans-serif fallback itself); labels are ASCII, which graphviz-pure can measure
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
    )


class _Highlight(NamedTuple):
    """What ``highlight=`` marks: the edge ``node <- input`` (at ``slot``, with the numbers of
    ``step`` if it came from a BackwardStep), or the Value ``node`` alone; all None: nothing."""

    node: Value | None = None
    input: Value | None = None
    slot: int | None = None
    step: BackwardStep | None = None
    reached: set[Value] | None = None  # the Values backward has reached by ``step``

    def outlines(self, v: Value) -> bool:
        return v is self.node or v is self.input

    def is_edge(self, node: Value, child: Value, slot: int) -> bool:
        return node is self.node and child is self.input and self.slot in (None, slot)


@dataclass
class _Canvas:
    """What the drawing helpers share: the graph being filled, and how to draw into it."""

    graph: Any
    names: dict[Value, str]  # each Value's DOT node (from _dot_names)
    scale: GradScale | None  # fills follow |grad| with color_by="grad", else the roles
    mark: _Highlight
    show_data: bool
    show_grad: bool

    def fill(self, role: str, g: float) -> dict[str, str]:
        if self.scale is not None:
            return {"fillcolor": self.scale.fill(g), "fontcolor": self.scale.font(g)}
        return {"fillcolor": ROLE_COLORS[role]}

    def numbers(self, node: Value) -> list[str]:
        """The record fields of a Value's numbers: "data ...", "grad ...", as asked."""
        fields = []
        if self.show_data:
            fields.append(f"data {format_number(node.data)}")
        if self.show_grad:
            fields.append(f"grad {format_number(node.grad)}")
        return fields


def _record(fields: list[str]) -> str:
    return "{ " + " | ".join(fields) + " }"


def _draw_value(canvas: _Canvas, node: Value, role: str) -> None:
    """A Value's record ``{ label | data | grad }``; for an op's result, its op and inputs too."""
    fields = [node.label] if node.label else []
    fields += canvas.numbers(node)
    attrs = {"shape": "record", "style": "filled", **canvas.fill(role, _grad_of(node))}
    if canvas.mark.outlines(node):
        attrs.update(color=HIGHLIGHT, penwidth="2.5")
    reached = canvas.mark.reached
    if canvas.show_grad and reached is not None and node not in reached:
        label = _grey_grad_record(fields, attrs)
    else:
        label = _record([_escape_record(f) for f in fields])
    canvas.graph.node(canvas.names[node], label=label, **attrs)
    if node.op:
        _draw_op(canvas, node)


_NOT_REACHED = "#6e6e6e"  # the explorer's grey for a grad backward has not reached yet


def _grey_grad_record(fields: list[str], attrs: dict[str, str]) -> str:
    """The record ``{ label | data | grad }`` as an HTML table (a record cannot colour one
    field) with its grad grey and italic; ``attrs`` become the table's (shape, fill, outline)."""
    import html

    grey = "#c8c8c8" if attrs.get("fontcolor") == "white" else _NOT_REACHED
    cells = [html.escape(f) for f in fields]
    cells[-1] = f'<FONT COLOR="{grey}"><I>{cells[-1]}</I></FONT>'
    border = "2" if "penwidth" in attrs else "1"
    table = (
        f'<TABLE BORDER="{border}" COLOR="{attrs.pop("color", "black")}" CELLBORDER="0" '
        f'CELLSPACING="0" CELLPADDING="8" BGCOLOR="{attrs.pop("fillcolor")}"><TR>'
    )
    attrs.update(shape="plain")
    for drawn_by_the_table in ("style", "penwidth"):
        attrs.pop(drawn_by_the_table, None)
    return "<" + table + "<VR/>".join(f'<TD HEIGHT="34">{c}</TD>' for c in cells) + "</TR></TABLE>>"


def _draw_op(canvas: _Canvas, node: Value) -> None:
    """The op's oval, an edge from it to its result, and an edge into it from each input (the
    edges into ``linear`` say w0.., x0.., b, those into the other ops of many inputs name their
    slots too); the highlighted edge gets its chain-rule numbers."""
    graph, op = canvas.graph, canvas.names[node] + "op"
    graph.node(op, label=node.op, shape="oval", margin="0.05,0.02", height="0.3")
    graph.edge(op, canvas.names[node])
    from_box = _inputs_per_box(node, canvas.names)
    for slot, child in enumerate(node.inputs):
        source = canvas.names[child]
        name = input_name(node, slot)  # w0.., x0.., b of linear; a, z0.. of softmax; ...
        edge = {"label": name} if name else {}
        if source in from_box:  # several inputs from one box: one edge, saying how many
            if from_box[source] == 0:
                continue
            edge = {"label": f"{from_box[source]} inputs"}
            from_box[source] = 0
        if canvas.mark.is_edge(node, child, slot):
            edge = _highlight_edge(node, slot, canvas.mark.step)
        graph.edge(source, op, **edge)


def _inputs_per_box(node: Value, names: dict[Value, str]) -> dict[str, int]:
    """How many inputs of ``node`` come from each box that gives it more than one Value."""
    values: dict[str, set[Value]] = {}
    slots: dict[str, int] = {}
    for child in node.inputs:
        source = names[child]
        values.setdefault(source, set()).add(child)
        slots[source] = slots.get(source, 0) + 1
    return {source: slots[source] for source, vs in values.items() if len(vs) > 1}


def _draw_box(canvas: _Canvas, box: Box, name: str, position: dict[Value, int]) -> None:
    """A collapsed module: one rounded record (its name, kind and parameter count, then its
    output's data and grad, or how many outputs it has), with an edge from each outside input."""
    fields = [_escape_record(box.name), f"{box.kind}, {box.nparams} params"]
    if len(box.outputs) == 1:
        fields += canvas.numbers(box.outputs[0])
    else:
        fields.append(f"{len(box.outputs)} outputs")
    g = max((abs(_grad_of(o)) for o in box.outputs), default=0.0)  # coloured by its largest
    attrs = {"shape": "record", "style": "filled,rounded", **canvas.fill("module", g)}
    if canvas.mark.node in box.members or canvas.mark.input in box.members:
        attrs.update(color=HIGHLIGHT, penwidth="2.5")
    canvas.graph.node(name, label=_record(fields), **attrs)
    for source in _box_inputs(box, name, canvas.names, position):
        canvas.graph.edge(source, name)


def _box_inputs(
    box: Box, name: str, names: dict[Value, str], position: dict[Value, int]
) -> list[str]:
    """What feeds a box from outside (Values or other boxes), once each, in topological order."""
    inputs: list[str] = []
    for node in sorted(box.members, key=position.__getitem__):
        for child in node.inputs:
            if child not in box.members:
                source = names[child]
                if source != name and source not in inputs:
                    inputs.append(source)
    return inputs


def _draw_legend(graph: Any, scale: GradScale | None, shown: list[Value], roles: set[str]) -> None:
    """The |grad| colour scale; or, coloured by role, the roles drawn (if more than one)."""
    if scale is not None:
        has_zero = any(_grad_of(n) == 0 for n in shown)
        has_bad = any(not math.isfinite(_grad_of(n)) for n in shown)
        graph.node("legend", label=scale.legend(has_zero, has_bad), shape="plaintext")
    elif len(roles - {"interior"}) > 1:
        graph.node("legend", label=role_legend(roles), shape="plaintext")


def _reached(order: list[Value], root: Value, step: BackwardStep | None) -> set[Value] | None:
    """The Values backward has reached once ``step`` is taken: the root and the inputs of
    steps 0 to ``step.index``, replayed in ``backward_steps``' order (reverse topological,
    inputs by slot). None without a step, or for a step of a walk from another root."""
    if step is None:
        return None
    reached, k = {root} | {v for v in order if not v.requires_grad}, 0  # constants: no grad
    for node in reversed(order):
        for slot, child in enumerate(node.inputs):
            if not child.requires_grad:  # no step into a constant, as in backward_steps
                continue
            reached.add(child)
            if k == step.index:
                same = node is step.node and child is step.input and slot == step.slot
                return reached if same else None
            k += 1
    return None


def _grad_of(node: Value) -> float:
    g = node.grad  # None: a constant's "no gradient", coloured as 0
    return 0.0 if g is None else float(g.data if isinstance(g, Value) else g)


def _parse_highlight(highlight: Any) -> _Highlight:
    if highlight is None:
        return _Highlight()
    if isinstance(highlight, BackwardStep):
        return _Highlight(highlight.node, highlight.input, highlight.slot, highlight)
    if isinstance(highlight, Value):
        return _Highlight(highlight)
    if isinstance(highlight, tuple) and len(highlight) in (2, 3):
        slot = highlight[2] if len(highlight) == 3 else None
        return _Highlight(highlight[0], highlight[1], slot)
    raise TypeError(
        "draw_dot: highlight must be a BackwardStep, a (node, input) tuple or a Value, "
        f"got {type(highlight).__name__}"
    )


def _who(v: Any) -> str:
    """A node as an error message names it: its label, else its op, else its number."""
    if not isinstance(v, Value):
        return repr(v)
    if v.label:
        return v.label
    return f"[{v.op}]" if v.op else f"the leaf {format_number(v.data)}"


def _check_highlight(nodes: set[Value], mark: _Highlight) -> None:
    """A highlight must name something in the drawing; drawing nothing would hide the mistake."""
    node, child, slot, step = mark.node, mark.input, mark.slot, mark.step
    if node is None:
        return
    if not isinstance(node, Value) or node not in nodes:
        if step is not None:
            raise ValueError(
                f"draw_dot: highlight step {step.index} ({_who(child)} <- {_who(node)}) was not "
                "found in the graph of root: was it made by backward_steps of another graph?"
            )
        raise ValueError(
            f"draw_dot: highlight node {_who(node)} was not found in the graph of root"
        )
    if child is None:
        return
    kids = node.inputs
    if slot is None:
        if not any(k is child for k in kids):
            raise ValueError(
                f"draw_dot: highlight ({_who(node)}, {_who(child)}) is not an edge of the graph: "
                f"{_who(child)} is not an input of {_who(node)}"
            )
    elif not (isinstance(slot, int) and 0 <= slot < len(kids)):
        raise ValueError(
            f"draw_dot: highlight ({_who(node)}, {_who(child)}, {slot!r}) is not an edge of the "
            f"graph: {_who(node)} has no input {slot!r} (it has {len(kids)})"
        )
    elif kids[slot] is not child:
        raise ValueError(
            f"draw_dot: highlight ({_who(node)}, {_who(child)}, {slot}) is not an edge of the "
            f"graph: input {slot} of {_who(node)} is {_who(kids[slot])}, not {_who(child)}"
        )


def _highlight_edge(node: Value, slot: int, step: BackwardStep | None) -> dict[str, str]:
    # a step carries the numbers of its moment; for a (node, input) pair, use today's
    if step is not None:
        local, upstream = step.local, step.upstream
    else:
        local, upstream = local_derivatives(node)[slot], _grad_of(node)
    name = input_name(node, slot)
    prefix = f"{name}: " if name else ""
    return {
        "color": HIGHLIGHT,
        "fontcolor": HIGHLIGHT,
        "penwidth": "3",
        "fontsize": "11",
        # "\\n" is DOT's line break (the DOT text itself stays one line per edge)
        "label": f"{prefix}local {format_number(local)} * upstream {format_number(upstream)}"
        f"\\n= {format_number(local * upstream)}",
    }


def save(graph_or_root: Any, path: str | os.PathLike[str], **draw_kwargs: Any) -> Path:
    """Write a graph (or ``draw_dot(root, **draw_kwargs)``) to ``path``; the extension picks
    the format: .svg, .png, .jpg, .pdf (system Graphviz only), or .dot/.gv for the DOT text.

    >>> import tempfile, os
    >>> x = Value(1.5, label="x"); y = x * x
    >>> path = save(y, os.path.join(tempfile.mkdtemp(), "graph.dot"))
    >>> path.read_text().startswith("digraph")
    True
    """
    graph = graph_or_root
    if isinstance(graph_or_root, Value):
        graph = draw_dot(graph_or_root, **draw_kwargs)
    elif not hasattr(graph_or_root, "pipe"):
        raise TypeError(
            "save: graph_or_root must be a Value or a graph from draw_dot, got "
            f"{type(graph_or_root).__name__} {graph_or_root!r:.60}"
        )
    elif draw_kwargs:
        raise TypeError("save: drawing options are only accepted with a Value, not a graph")
    return write_picture(graph, path)


# ---- text rendering -------------------------------------------------------------------------


class TreeText(str):
    """A text rendering of a graph; shows as itself (not as a quoted string) at the prompt."""

    def __repr__(self) -> str:
        return str(self)


def _describe(node: Value, role: str, show_data: bool, show_grad: bool) -> str:
    if node.inputs:
        name = f"{node.label} [{node.op}]" if node.label else f"[{node.op}]"
    elif node.label:
        name = node.label
    else:
        name = "const" if role == "constant" else "input"
    parts = [name]
    if show_data:
        parts.append(f"data {format_number(node.data)}")
    if show_grad:
        parts.append(f"grad {format_number(node.grad)}")
    return "  ".join(parts)


def tree_text(
    root: Value, show_data: bool = True, show_grad: bool = True, max_lines: int | None = 500
) -> TreeText:
    """The graph of ``root`` as an indented tree, output first; what ``Value.tree()`` returns.

    Ops are in brackets (``[*]``), unlabeled leaves are ``const`` (made from a number) or
    ``input``. A node used more than once is written out at its first appearance with a
    ``#k`` mark; later uses say ``#k (above)``. For edges into a ``linear`` node the slot
    (w0.., x0.., b) comes first.

    >>> a = Value(2.0, label="a"); b = a * a + 1; b.backward()
    >>> tree_text(b)
    [+]  data 5.0000  grad 1.0000
    ├─ [*]  data 4.0000  grad 1.0000
    │  ├─ a  data 2.0000  grad 4.0000  #1
    │  └─ a  #1 (above)
    └─ const  data 1.0000  grad 1.0000
    """
    _check_root(root, "tree_text")
    order = topological_order(root)
    roles = _roles(order, root, set())  # no params known: a leaf is labelled, data or const
    uses = consumers(order)
    shared: dict[Value, int] = {}  # node -> its #k mark, given at first appearance
    lines: list[str] = []
    # iterative depth-first walk (a million-node chain must not hit the recursion limit)
    stack: list[tuple[Value, str, str, str]] = [(root, "", "", "")]
    while stack:
        node, lead, prefix_next, slot = stack.pop()
        if max_lines is not None and len(lines) >= max_lines:
            lines.append(f"... (stopped at max_lines={max_lines})")
            break
        slot_tag = f"{slot}: " if slot else ""
        if node in shared:
            name = node.label or (f"[{node.op}]" if node.op else "const")
            lines.append(f"{lead}{slot_tag}{name}  #{shared[node]} (above)")
            continue
        text = _describe(node, roles[node], show_data, show_grad)
        if len(uses[node]) > 1:  # one entry per use, so x * x counts twice
            shared[node] = len(shared) + 1
            text += f"  #{shared[node]}"
        lines.append(f"{lead}{slot_tag}{text}")
        kids = node.inputs
        for i in reversed(range(len(kids))):
            last = i == len(kids) - 1
            stack.append(
                (
                    kids[i],
                    prefix_next + ("└─ " if last else "├─ "),
                    prefix_next + ("   " if last else "│  "),
                    input_name(node, i),
                )
            )
    return TreeText("\n".join(lines))


def print_graph(
    root: Value, show_data: bool = True, show_grad: bool = True, max_lines: int | None = 500
) -> None:
    """Print the graph of ``root`` as an indented tree (see ``tree_text``); for terminals.

    >>> x = Value(0.5, label="x"); y = x.tanh(); y.label = "y"; y.backward()
    >>> print_graph(y)
    y [tanh]  data 0.4621  grad 1.0000
    └─ x  data 0.5000  grad 0.7864
    """
    _check_root(root, "print_graph")
    print(tree_text(root, show_data, show_grad, max_lines))


def _check_root(root: Any, who: str) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"{who}: root must be a Value, got {type(root).__name__} {root!r:.60}")


def _tree(self: Value, **kwargs: Any) -> TreeText:
    """This Value's graph as an indented text tree (see ``tree_text``).

    >>> x = Value(2.0, label="x"); y = x * 3; y.label = "y"
    >>> y.tree()
    y [*]  data 6.0000  grad 0.0000
    ├─ x  data 2.0000  grad 0.0000
    └─ const  data 3.0000  grad 0.0000
    """
    return tree_text(self, **kwargs)


Value.tree = _tree  # type: ignore[attr-defined]  (a method, kept here with the drawing)
