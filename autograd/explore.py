"""The backprop explorer: one self-contained HTML page that replays forward and backward passes."""

from __future__ import annotations

import functools
import html
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

from .engine import RULES, Value, topological_order
from .formatting import format_number
from .fused import describe_inputs, linear_parts
from .steps import grads_set_aside, local_derivatives

__all__ = ["explore", "Explorer", "local_derivative_formulas"]

DEFAULT_MAX_NODES = 200
"""Graphs with more Values than this are refused: a step-through of thousands of steps teaches
nothing, and laying them out would freeze the notebook."""

# ---- what each op computes and the formula of its local derivatives: from engine.RULES --------


def _rule_parts(written: str) -> tuple[tuple[str, ...], str]:
    """The letters naming an op's inputs in how it is written, and that text as a template:
    "a + b" -> (("a", "b"), "{0} + {1}")."""
    letters = tuple(dict.fromkeys(_LETTER.findall(written)))
    return letters, _LETTER.sub(lambda m: f"{{{letters.index(m.group())}}}", written)


_LETTER = re.compile(r"\b[a-z]\b")


def _linear_parts(n: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The letters, expression and formulas of ``linear`` with n weights: b + sum_i w_i x_i."""
    ws = tuple(f"w{i}" for i in range(n))
    xs = tuple(f"x{i}" for i in range(n))
    letters = (*ws, *xs, "b")
    terms = [f"{{{i}}} * {{{n + i}}}" for i in range(n)]
    expr = " + ".join([f"{{{2 * n}}}", *terms])
    total = RULES["linear"].written
    formulas = (
        *(f"d({total})/dw{i} = x{i}" for i in range(n)),
        *(f"d({total})/dx{i} = w{i}" for i in range(n)),
        f"d({total})/db = 1",
    )
    return letters, expr, formulas


def _op_parts(node: Value) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    k = len(node.inputs)
    if node.op == "linear":
        return _linear_parts(len(linear_parts(node.inputs)[0]))
    many = describe_inputs(node.op, k)  # softmax, cross_entropy, rms_scale: a whole vector in
    if many is not None:
        return many
    rule = RULES.get(node.op)
    if rule is not None and rule.derivative is not None:
        letters, template = _rule_parts(rule.written)
        if len(letters) == k == len(rule.formulas):
            return letters, template, rule.formulas
    # an op the table does not know: still say where its derivative comes from
    letters = tuple(f"u{i}" for i in range(k))
    expr = f"{node.op}(" + ", ".join(f"{{{i}}}" for i in range(k)) + ")"
    formulas = tuple(f"d {node.op}/d{u}: RULES[{node.op!r}]" for u in letters)
    return letters, expr, formulas


def local_derivative_formulas(node: Value) -> list[str]:
    """The formula of ``node``'s local derivative with respect to each of its inputs.

    A leaf (no inputs) has none.

    >>> from autograd import Value
    >>> local_derivative_formulas(Value(0.5).tanh())
    ['d tanh(x)/dx = 1 - tanh(x)^2']
    >>> local_derivative_formulas(Value(2.0) * Value(3.0))
    ['d(a * b)/da = b', 'd(a * b)/db = a']
    """
    if not node.inputs:
        return []
    return list(_op_parts(node)[2])


# ---- numbers as text (the short form is format_number, as in every view) ---------------------


def _float(x: Any) -> float:
    """A gradient may be a Value (after create_graph=True): show its number."""
    return float(x.data) if isinstance(x, Value) else float(x)


def _full(x: Any) -> str:
    """Every digit: the same text Python prints, so it round-trips to the same float."""
    return "None" if x is None else repr(_float(x))  # None: a constant's grad


def _json_number(x: Any) -> float | None:
    """JSON has no NaN or infinity: those travel as null (their text says which)."""
    if x is None:  # a constant's grad
        return None
    v = _float(x)
    return v if math.isfinite(v) else None


# ---- the explorer -------------------------------------------------------------------------------


class Explorer:
    """A backprop explorer page: ``.html`` (a whole page), ``.save(path)``, inline in Jupyter.

    Made by :func:`explore`. ``data`` holds what the page replays (the forward pass, the
    backward steps, every node's final value and gradient); ``svg`` is the annotated drawing.

    >>> from autograd import Value
    >>> ex = explore(Value(3.0, label="x").exp())
    >>> ex.html.startswith("<!DOCTYPE html>"), "http" in ex.html
    (True, False)
    """

    def __init__(self, data: dict[str, Any], svg: str) -> None:
        self.data = data
        self.svg = svg
        self._json = _script_json(data)
        import hashlib  # (the page's own imports are made when a page is made)

        digest = hashlib.sha256((self._json + svg).encode("utf-8")).hexdigest()[:12]
        self._page_id = f"cr-explorer-{digest}"

    @property
    def title(self) -> str:
        """The heading shown above the graph."""
        return str(self.data["title"])

    def fragment(self, element_id: str | None = None) -> str:
        """The explorer as an HTML fragment (one ``<div>``), its ids prefixed by ``element_id``.

        Each notebook output gets a fresh ``element_id`` so several explorers on one page, or
        the same one shown twice, never share an id.
        """
        import uuid

        uid = element_id or f"cr-explorer-{uuid.uuid4().hex[:12]}"
        if not re.fullmatch(r"[A-Za-z][\w-]*", uid):
            raise ValueError(f"explore: element_id must be letters, digits, - or _, got {uid!r}")
        return _fragment(uid, self.title, _prefix_svg_ids(self.svg, uid), self._json, False)

    @property
    def html(self) -> str:
        """The whole page: one self-contained HTML document (no network, no server)."""
        uid = self._page_id
        body = _fragment(uid, self.title, _prefix_svg_ids(self.svg, uid), self._json, True)
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n"
            "<style>body{margin:16px;background:#fff;}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n"
        )

    def _repr_html_(self) -> str:
        # a fresh id per display (the same explorer shown in two cells must not share ids),
        # numbered rather than random, so a re-run notebook saves the same output
        return self.fragment(f"{self._page_id}-{next(_DISPLAYS)}")

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path.

        >>> import os, tempfile
        >>> from autograd import Value
        >>> path = explore(Value(1.0).exp()).save(os.path.join(tempfile.mkdtemp(), "e.html"))
        >>> path.name, path.read_text(encoding="utf-8").count("<svg")
        ('e.html', 1)
        """
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return (
            f"<Explorer {self.title!r}: {len(self.data['nodes'])} nodes, "
            f"{len(self.data['backward'])} backward steps>"
        )


_DISPLAYS = itertools.count(1)  # numbers the inline displays of this process


def explore(
    root: Value,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    rankdir: str = "LR",
    params: Any = None,
) -> Explorer:
    """Build a step-by-step backprop explorer for the graph that produced ``root``.

    The page replays the forward pass (values appear node by node, in topological order) and
    then the backward pass, one chain-rule step at a time: the edge lights up and the page shows
    ``local derivative x upstream grad = contribution`` and the input's grad growing. Hover or
    click a node for its label, op, data, grad and the formula of its local derivative. Keys:
    left/right arrows step, space plays or pauses, Home/End jump, + and - zoom. The drawing
    is fitted to the page (output included) until you choose a zoom level, which then stays
    while you step, the current step scrolled into view.

    Gradients: the steps come from ``backward_steps(root)``, which applies the chain rule to
    the graph exactly like ``root.backward()`` starting from zero gradients; the final grads
    shown are therefore ``backward()``'s. Afterwards every ``.grad`` in the graph is put back
    to what it was before the call, so exploring never changes your gradients.

    ``params`` (a model or a list of Values) colours those leaves as parameters, as in
    ``draw_dot``. Graphs with more than ``max_nodes`` Values raise ``ValueError``: explore one
    neuron or a small expression, and draw big models with ``draw_dot`` instead.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x")
    >>> y = (x * 2).tanh(); y.label = "y"
    >>> ex = explore(y)              # then ex.save("explorer.html"), or show ex in Jupyter
    >>> ex
    <Explorer 'Backprop explorer: y': 4 nodes, 3 backward steps>
    >>> x.grad                       # your gradients are left as they were
    0.0
    """
    if not isinstance(root, Value):
        raise TypeError(f"explore: root must be a Value, got {type(root).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"explore: max_nodes must be a positive int, got {max_nodes!r}")
    order = topological_order(root)
    if len(order) > max_nodes:
        raise ValueError(
            f"explore: the graph has {len(order)} nodes, more than max_nodes={max_nodes}. "
            "Stepping through that many chain-rule steps is not readable: explore a smaller "
            "piece (one neuron, or a model with fewer units), raise max_nodes, or draw the "
            "whole model with draw_dot(root, collapse=...) for a static picture."
        )
    from .graph import draw_dot
    from .steps import backward_steps

    # start from zero, as a fresh backward() would; the user's gradients come back afterwards
    with grads_set_aside(order):
        steps = list(backward_steps(root))
        data = _record(root, order, steps, title)
        # drawn with the final grads so every record is wide enough for its longest text
        graph = draw_dot(root, rankdir=rankdir, max_nodes=max_nodes, params=params)
        svg = graph.pipe(format="svg").decode("utf-8")
    return Explorer(data, _annotate_svg(svg, _svg_names(order), data["nodes"]))


# ---- what the page replays ----------------------------------------------------------------------


_INFIX = ("+", "*", "**", "pow", "linear", "softmax", "cross_entropy", "rms_scale")


def _display_names(order: list[Value]) -> list[str]:
    """What the page calls each node: its label; else what it computes, while that is short.

    An unlabeled leaf is a constant made from a number (the 3 of ``x * 3``): its value. An
    unlabeled op result is its expression, ``(x * x)`` or ``tanh(x * x)``, or ``#5 (*)`` when
    that is too long (the page highlights the node wherever it names it).
    """
    names: list[str] = []
    inner: list[str] = []  # an (a + b) name without its brackets, to put inside f(...)
    numbered: set[int] = set()  # nodes named #i: too long to spell out
    index = {node: i for i, node in enumerate(order)}
    for i, node in enumerate(order):
        name = node.label
        if not name and not node.inputs:
            name = f"{_float(node.data):.4g}"
        bare = name
        if not name:
            kids = [index[c] for c in node.inputs]
            template = _op_parts(node)[1]
            if node.op in _INFIX:  # (a + b): brackets, so the name reads as one thing
                bare = template.format(*(names[k] for k in kids))
                name = f"({bare})"
            else:  # tanh(a + b): the call's own brackets are enough
                name = bare = template.format(*(inner[k] for k in kids))
            if len(name) > 24 or any(k in numbered for k in kids):
                name = bare = f"#{i} ({node.op})"
                numbered.add(i)
        names.append(name)
        inner.append(bare)
    return names


def _default_title(root: Value) -> str:
    return f"Backprop explorer: {root.label}" if root.label else "Backprop explorer"


def _record(root: Value, order: list[Value], steps: list[Any], title: str | None) -> dict:
    """The forward pass, the backward steps and each node's facts, as JSON-able data."""
    index = {node: i for i, node in enumerate(order)}
    return {
        "title": title if title is not None else _default_title(root),
        "root": index[root],
        "nodes": _node_facts(order, index),
        "forward": list(range(len(order))),  # topological order: inputs before outputs
        "backward": [_step_facts(step, index) for step in steps],
        "seed_full": _full(1.0),
        "seed_short": format_number(1.0),
        "zero_full": _full(0.0),
        "zero_short": format_number(0.0),
    }


def _node_facts(order: list[Value], index: dict[Value, int]) -> list[dict[str, Any]]:
    """Each node's name, op, inputs, numbers (full and short) and local derivative formulas."""
    names = _display_names(order)
    nodes: list[dict[str, Any]] = []
    for i, node in enumerate(order):
        letters, template, formulas = _op_parts(node) if node.inputs else ((), "", ())
        kids = [index[c] for c in node.inputs]
        nodes.append(
            {
                "name": names[i],
                "label": node.label,
                "op": node.op,
                "leaf": not node.inputs,
                "children": kids,
                "data": _json_number(node.data),
                "data_full": _full(node.data),
                "data_short": format_number(node.data),
                "grad": _json_number(node.grad),
                "grad_full": _full(node.grad),
                "grad_short": format_number(node.grad),
                "letters": list(letters),
                "expr": template.format(*letters) if template else "",
                "expr_names": template.format(*(names[k] for k in kids)) if template else "",
                "expr_values": (
                    template.format(*(nodes[k]["data_short"] for k in kids)) if template else ""
                ),
                "formulas": list(formulas),
                "locals": [format_number(g) for g in local_derivatives(node)],
            }
        )
    return nodes


def _step_facts(step: Any, index: dict[Value, int]) -> dict[str, Any]:
    """One chain-rule step (a BackwardStep): which edge, its numbers, the input's grad after."""
    after = step.input_grad
    before = _float(after) - _float(step.contribution)
    return {
        "node": index[step.node],
        "input": index[step.input],
        "slot": step.slot,
        "local": _json_number(step.local),
        "upstream": _json_number(step.upstream),
        "contribution": _json_number(step.contribution),
        "grad_after": _json_number(after),
        "local_short": format_number(step.local),
        "upstream_short": format_number(step.upstream),
        "contribution_short": format_number(step.contribution),
        "before_short": format_number(before),
        "after_short": format_number(after),
        "after_full": _full(after),
    }


def _svg_names(order: list[Value]) -> dict[str, tuple[int, str]]:
    """draw_dot's node names -> (index of the Value, "record" or "op").

    draw_dot names the record of the i-th Value of ``topological_order(root)`` ``v{i}`` and
    its op oval ``v{i}op``; ``_annotate_svg`` checks that every Value was found.
    """
    names: dict[str, tuple[int, str]] = {}
    for i, node in enumerate(order):
        names[f"v{i}"] = (i, "record")
        if node.op:
            names[f"v{i}op"] = (i, "op")
    return names


# ---- the SVG: tag nodes and edges with the Values they show -------------------------------------

_SVG = "{http://www.w3.org/2000/svg}"


def _endpoint(name: str) -> str:
    # an edge end may carry a record port, "name:port"
    return name.split(":", 1)[0]


def _annotate_svg(svg: str, names: dict[str, tuple[int, str]], nodes: list[dict]) -> str:
    """Mark each node and edge of draw_dot's SVG with the index of its Value.

    Graphviz writes each node as ``<g class="node"><title>NAME</title>...`` and each edge as
    ``<g class="edge"><title>TAIL->HEAD</title>...``; the page finds them by these marks, and
    the record's "data ..." and "grad ..." texts, which it rewrites at each step.
    """
    import xml.etree.ElementTree as ET  # noqa: N817

    ET.register_namespace("", _SVG[1:-1])
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    tree = ET.fromstring(svg)
    display = [n["name"] for n in nodes]
    found: set[int] = set()
    for g in tree.iter(f"{_SVG}g"):
        kind = g.get("class")
        title = g.find(f"{_SVG}title")
        if title is None or kind not in ("node", "edge"):
            continue
        text = title.text or ""
        if kind == "node" and text in names:
            i, part = names[text]
            g.set("data-cr-node", str(i))
            g.set("data-cr-part", part)
            title.text = display[i]
            if part == "record":
                found.add(i)
                # the last match: a label may itself read like "data 1.0000"
                expected = {
                    "data": "data " + nodes[i]["data_short"],
                    "grad": "grad " + nodes[i]["grad_short"],
                }
                for field, want in expected.items():
                    hits = [t for t in g.iter(f"{_SVG}text") if (t.text or "").strip() == want]
                    if hits:
                        hits[-1].set("data-cr-field", field)
        elif kind == "edge" and "->" in text:
            tail, head = (_endpoint(s) for s in text.split("->", 1))
            if tail in names and head in names:
                g.set("data-cr-from", str(names[tail][0]))
                g.set("data-cr-to", str(names[head][0]))
                title.text = f"{display[names[tail][0]]} -> {display[names[head][0]]}"
    missing = [display[i] for i in range(len(display)) if i not in found]
    if missing:
        raise RuntimeError(f"explore: draw_dot's SVG has no node for {missing[:5]}")
    out = ET.tostring(tree, encoding="unicode")
    # inline SVG in HTML needs no namespace declarations (and the page names no URL at all)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", out)


def _prefix_svg_ids(svg: str, uid: str) -> str:
    """Graphviz ids (node1, edge1, ...) repeat between drawings: make them unique per page."""
    svg = re.sub(r'\bid="([^"]*)"', lambda m: f'id="{uid}-{m.group(1)}"', svg)
    return re.sub(r"url\(#([^)]*)\)", lambda m: f"url(#{uid}-{m.group(1)})", svg)


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside <script>: no '</script>' can end it early, no NaN breaks JSON.parse."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _fragment(uid: str, title: str, svg: str, data_json: str, standalone: bool) -> str:
    """The explorer's <div>: explorer.html with its styles, drawing, data and script filled in."""
    from string import Template  # (imported here: importing autograd stays quick)

    return Template(_asset("explorer.html")).substitute(
        uid=uid,
        uid_json=json.dumps(uid),
        standalone=1 if standalone else 0,
        title=html.escape(title),
        css=_asset("explorer.css"),
        svg=svg,
        data_json=data_json,
        js=_asset("explorer.js"),
    )


@functools.cache
def _asset(name: str) -> str:
    """A file of autograd/explorer/ (package data: the page's markup, styles and script), read
    once, without the line break that ends the file: the page puts its own line breaks."""
    from importlib import resources  # (imported here: importing autograd stays quick)

    path = resources.files(__package__) / "explorer" / name
    return path.read_text(encoding="utf-8").removesuffix("\n")
