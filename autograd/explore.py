"""The backprop explorer: one self-contained HTML page that replays forward and backward passes."""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .engine import Value, topological_order
from .steps import grads_set_aside, local_derivatives
from .text import format_number as _num

__all__ = ["explore", "Explorer", "local_derivative_formulas"]

DEFAULT_MAX_NODES = 200
"""Graphs with more Values than this are refused: a step-through of thousands of steps teaches
nothing, and laying them out would freeze the notebook."""

# ---- what each op computes and the formula of its local derivatives -----------------------------
# op -> (letters naming its inputs, forward expression as a template over the inputs,
#        d out / d input for each input, written with those letters)
_OPS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "+": (("a", "b"), "{0} + {1}", ("d(a + b)/da = 1", "d(a + b)/db = 1")),
    "*": (("a", "b"), "{0} * {1}", ("d(a * b)/da = b", "d(a * b)/db = a")),
    "**": (
        ("a", "n"),
        "{0} ** {1}",
        ("d(a^n)/da = n * a^(n-1)", "d(a^n)/dn = 0 (n is a constant exponent)"),
    ),
    "pow": (("a", "b"), "{0} ** {1}", ("d(a^b)/da = b * a^(b-1)", "d(a^b)/db = a^b * log(a)")),
    "exp": (("x",), "exp({0})", ("d exp(x)/dx = exp(x)",)),
    "log": (("x",), "log({0})", ("d log(x)/dx = 1/x",)),
    "sqrt": (("x",), "sqrt({0})", ("d sqrt(x)/dx = 1 / (2 sqrt(x))",)),
    "tanh": (("x",), "tanh({0})", ("d tanh(x)/dx = 1 - tanh(x)^2",)),
    "sigmoid": (("x",), "sigmoid({0})", ("d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))",)),
    "softplus": (("x",), "softplus({0})", ("d softplus(x)/dx = sigmoid(x)",)),
    "relu": (("x",), "relu({0})", ("d relu(x)/dx = 1 if x > 0 else 0",)),
    "leaky_relu": (
        ("x", "s"),
        "leaky_relu({0}, {1})",
        (
            "d leaky_relu(x, s)/dx = 1 if x > 0 else s",
            "d leaky_relu(x, s)/ds = 0 (s is a constant)",
        ),
    ),
    "abs": (("x",), "|{0}|", ("d|x|/dx = sign(x) (0 at x = 0)",)),
    "sin": (("x",), "sin({0})", ("d sin(x)/dx = cos(x)",)),
    "cos": (("x",), "cos({0})", ("d cos(x)/dx = -sin(x)",)),
    "max": (
        ("a", "b"),
        "max({0}, {1})",
        (
            "d max(a, b)/da = 1 if a > b, 0 if a < b, 1/2 on a tie",
            "d max(a, b)/db = 1 if b > a, 0 if b < a, 1/2 on a tie",
        ),
    ),
}


def _linear_parts(n: int) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """The letters, expression and formulas of ``linear`` with n weights: b + sum_i w_i x_i."""
    ws = tuple(f"w{i}" for i in range(n))
    xs = tuple(f"x{i}" for i in range(n))
    letters = (*ws, *xs, "b")
    terms = [f"{{{i}}} * {{{n + i}}}" for i in range(n)]
    expr = " + ".join([f"{{{2 * n}}}", *terms])
    total = "b + sum_j w_j * x_j"
    formulas = (
        *(f"d({total})/dw{i} = x{i}" for i in range(n)),
        *(f"d({total})/dx{i} = w{i}" for i in range(n)),
        f"d({total})/db = 1",
    )
    return letters, expr, formulas


def _op_parts(node: Value) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    k = len(node._children)
    if node._op == "linear":
        return _linear_parts((k - 1) // 2)
    if node._op in _OPS and len(_OPS[node._op][0]) == k:
        return _OPS[node._op]
    # an op this table does not know: still say where its derivative comes from
    letters = tuple(f"u{i}" for i in range(k))
    expr = f"{node._op}(" + ", ".join(f"{{{i}}}" for i in range(k)) + ")"
    formulas = tuple(f"d {node._op}/d{u}: RULES[{node._op!r}]" for u in letters)
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
    if not node._children:
        return []
    return list(_op_parts(node)[2])


# ---- numbers as text ----------------------------------------------------------------------------


def _float(x: Any) -> float:
    """A gradient may be a Value (after create_graph=True): show its number."""
    return float(x.data) if isinstance(x, Value) else float(x)


def _full(x: Any) -> str:
    """Every digit: the same text Python prints, so it round-trips to the same float."""
    return repr(_float(x))


def _short(x: Any) -> str:
    """A number as draw_dot writes it in a record: ``graph._num``, the one helper of all views."""
    return _num(_float(x))


def _json_number(x: Any) -> float | None:
    """JSON has no NaN or infinity: those travel as null (their text says which)."""
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
    left/right arrows step, space plays or pauses, Home/End jump.

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


_INFIX = ("+", "*", "**", "pow", "linear")


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
        if not name and not node._children:
            name = f"{_float(node.data):.4g}"
        bare = name
        if not name:
            kids = [index[c] for c in node._children]
            template = _op_parts(node)[1]
            if node._op in _INFIX:  # (a + b): brackets, so the name reads as one thing
                bare = template.format(*(names[k] for k in kids))
                name = f"({bare})"
            else:  # tanh(a + b): the call's own brackets are enough
                name = bare = template.format(*(inner[k] for k in kids))
            if len(name) > 24 or any(k in numbered for k in kids):
                name = bare = f"#{i} ({node._op})"
                numbered.add(i)
        names.append(name)
        inner.append(bare)
    return names


def _default_title(root: Value) -> str:
    return f"Backprop explorer: {root.label}" if root.label else "Backprop explorer"


def _record(root: Value, order: list[Value], steps: list[Any], title: str | None) -> dict:
    """The forward pass, the backward steps and each node's facts, as JSON-able data."""
    index = {node: i for i, node in enumerate(order)}
    names = _display_names(order)
    nodes = []
    for i, node in enumerate(order):
        letters, template, formulas = _op_parts(node) if node._children else ((), "", ())
        kids = [index[c] for c in node._children]
        nodes.append(
            {
                "name": names[i],
                "label": node.label,
                "op": node._op,
                "leaf": not node._children,
                "children": kids,
                "data": _json_number(node.data),
                "data_full": _full(node.data),
                "data_short": _short(node.data),
                "grad": _json_number(node.grad),
                "grad_full": _full(node.grad),
                "grad_short": _short(node.grad),
                "letters": list(letters),
                "expr": template.format(*letters) if template else "",
                "expr_names": template.format(*(names[k] for k in kids)) if template else "",
                "expr_values": (
                    template.format(*(nodes[k]["data_short"] for k in kids)) if template else ""
                ),
                "formulas": list(formulas),
                "locals": [_short(g) for g in local_derivatives(node)],
            }
        )
    backward = []
    for step in steps:
        n, c = index[step.node], index[step.input]
        after = step.input_grad
        before = _float(after) - _float(step.contribution)
        backward.append(
            {
                "node": n,
                "input": c,
                "slot": step.slot,
                "local": _json_number(step.local),
                "upstream": _json_number(step.upstream),
                "contribution": _json_number(step.contribution),
                "grad_after": _json_number(after),
                "local_short": _short(step.local),
                "upstream_short": _short(step.upstream),
                "contribution_short": _short(step.contribution),
                "before_short": _short(before),
                "after_short": _short(after),
                "after_full": _full(after),
            }
        )
    return {
        "title": title if title is not None else _default_title(root),
        "root": index[root],
        "nodes": nodes,
        "forward": list(range(len(order))),  # topological order: inputs before outputs
        "backward": backward,
        "seed_full": _full(1.0),
        "seed_short": _short(1.0),
        "zero_full": _full(0.0),
        "zero_short": _short(0.0),
    }


def _svg_names(order: list[Value]) -> dict[str, tuple[int, str]]:
    """draw_dot's node names -> (index of the Value, "record" or "op").

    draw_dot names the record of the i-th Value of ``topological_order(root)`` ``v{i}`` and
    its op oval ``v{i}op``; ``_annotate_svg`` checks that every Value was found.
    """
    names: dict[str, tuple[int, str]] = {}
    for i, node in enumerate(order):
        names[f"v{i}"] = (i, "record")
        if node._op:
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
    return (
        f'<div class="cr-explorer" id="{uid}" tabindex="0" data-lm-suppress-shortcuts="true" '
        f'data-cr-standalone="{1 if standalone else 0}" role="group" '
        f'aria-label="{html.escape(title)}: a step-by-step backprop explorer">\n'
        f"<style>{_CSS}</style>\n"
        f'<div class="cr-head"><div class="cr-title" role="heading" aria-level="2">'
        f"{html.escape(title)}</div>"
        '<span class="cr-keys">Keys: &larr; &rarr; step &middot; Space play/pause &middot; '
        "Home/End jump &middot; hover or click a node for details</span></div>\n"
        f"{_CONTROLS}\n"
        '<div class="cr-narration" data-cr="narration" aria-live="polite"></div>\n'
        f'<div class="cr-graph" data-cr="graph">{svg}</div>\n'
        f"{_PANELS}\n"
        '<p class="cr-noscript" data-cr="noscript">The buttons need JavaScript. In Jupyter, '
        "trust the notebook (File &gt; Trust Notebook) and run the cell again.</p>\n"
        f'<script type="application/json" data-cr="data">{data_json}</script>\n'
        f"<script>{_JS}({json.dumps(uid)});</script>\n"
        "</div>"
    )


_CONTROLS = """<div class="cr-controls" role="toolbar" aria-label="Explorer controls">
<button type="button" data-cr="start" title="Jump to the start (Home)">
&#x25C0;&#x25C0; Start</button>
<button type="button" data-cr="back" title="Step back (Left arrow)">&#x25C0; Back</button>
<button type="button" data-cr="play" aria-pressed="false" title="Play or pause (Space)">
&#x25B6; Play</button>
<button type="button" data-cr="step" title="Step forward (Right arrow)">Step &#x25B6;</button>
<button type="button" data-cr="end" title="Jump to the end (End)">End &#x25B6;&#x25B6;</button>
<label class="cr-speed">Speed <select data-cr="speed">
<option value="1500">slow</option><option value="700" selected>normal</option>
<option value="250">fast</option></select></label>
<label class="cr-fit"><input type="checkbox" data-cr="fit"> fit width</label>
<input type="range" class="cr-scrub" data-cr="scrub" min="0" max="0" value="0" aria-label="Step">
<span class="cr-phase" data-cr="phase">Start</span>
<span class="cr-counter" data-cr="counter"></span>
</div>"""

_PANELS = """<div class="cr-panels">
<div class="cr-details" data-cr="details" aria-live="polite"></div>
<div class="cr-side">
<div class="cr-leaves-box"><table class="cr-leaves">
<caption>Leaves (inputs, parameters, constants)</caption>
<thead><tr><th scope="col">leaf</th><th scope="col">data</th><th scope="col">grad</th></tr></thead>
<tbody data-cr="leaves"></tbody></table></div>
<div class="cr-legend">
<span><i class="cr-key-fwd"></i> forward: the value being computed (blue, solid)</span>
<span><i class="cr-key-bwd"></i> backward: gradient flowing back (orange, dashed)</span>
<span><i class="cr-key-in"></i> the input receiving the contribution (thick outline)</span>
<span><i class="cr-key-pending"></i> not computed yet (faded)</span>
</div>
</div>
</div>"""

# Colours from the Okabe-Ito palette (blue #0072B2, vermillion #D55E00): they stay distinct for
# the common colour-vision deficiencies, and each is paired with a cue that is not a colour
# (solid vs dashed strokes, thick outlines, faded pending nodes, the words in the narration).
# Every rule starts with .cr-explorer, so nothing leaks into the notebook around it.
_CSS = """
.cr-explorer{--cr-blue:#0072B2;--cr-blue-bg:#DCEEFA;--cr-orange:#D55E00;--cr-orange-bg:#FDE6CF;
 --cr-mono:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1b1b1b;background:#fff;border:1px solid #c8c8c8;border-radius:6px;padding:10px 12px;
 margin:4px 0;max-width:100%;box-sizing:border-box;text-align:left;}
.cr-explorer *{box-sizing:border-box;}
.cr-explorer:focus{outline:none;}
.cr-explorer:focus-visible{outline:2px dashed var(--cr-blue);outline-offset:2px;}
.cr-explorer .cr-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px;
 margin-bottom:6px;}
.cr-explorer .cr-title{font-size:17px;font-weight:600;margin:0;padding:0;border:0;color:#1b1b1b;}
.cr-explorer .cr-keys{color:#555;font-size:13px;}
.cr-explorer .cr-controls{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:4px 0 8px;}
.cr-explorer button{font:inherit;font-size:14px;min-height:32px;padding:3px 10px;color:#1b1b1b;
 background:#f3f3f3;border:1px solid #6b6b6b;border-radius:4px;cursor:pointer;}
.cr-explorer button:hover{background:#e4e4e4;}
.cr-explorer button:disabled{color:#8a8a8a;border-color:#bbb;cursor:default;background:#f7f7f7;}
.cr-explorer button[aria-pressed="true"]{background:var(--cr-blue-bg);
 border:2px solid var(--cr-blue);}
.cr-explorer button:focus-visible,.cr-explorer select:focus-visible,
.cr-explorer input:focus-visible,.cr-explorer g.node:focus-visible{outline:3px solid var(--cr-blue);
 outline-offset:2px;}
.cr-explorer select{font:inherit;font-size:14px;min-height:30px;color:#1b1b1b;background:#fff;}
.cr-explorer label{color:#333;font-size:13px;white-space:nowrap;}
.cr-explorer .cr-scrub{flex:1 1 160px;min-width:120px;accent-color:var(--cr-blue);}
.cr-explorer .cr-phase{font-weight:600;padding:1px 8px;border-radius:10px;border:2px solid #888;}
.cr-explorer .cr-phase.cr-ph-forward{border-color:var(--cr-blue);background:var(--cr-blue-bg);}
.cr-explorer .cr-phase.cr-ph-backward{border:2px dashed var(--cr-orange);
 background:var(--cr-orange-bg);}
.cr-explorer .cr-phase.cr-ph-done{border-width:3px;border-style:double;border-color:#1b1b1b;}
.cr-explorer .cr-counter{color:#333;font-variant-numeric:tabular-nums;min-width:7em;}
.cr-explorer .cr-narration{min-height:8.2em;padding:6px 10px;margin-bottom:8px;border-radius:4px;
 background:#f6f6f6;border-left:5px solid #888;}
.cr-explorer .cr-narration.cr-ph-forward{border-left:5px solid var(--cr-blue);}
.cr-explorer .cr-narration.cr-ph-backward{border-left:5px dashed var(--cr-orange);}
.cr-explorer .cr-narration .cr-line{margin:1px 0;}
.cr-explorer .cr-narration .cr-big{font-size:16px;font-weight:600;}
.cr-explorer .cr-mono{font-family:var(--cr-mono);font-size:13.5px;}
.cr-explorer .cr-graph{overflow:auto;max-height:75vh;border:1px solid #ddd;border-radius:4px;
 background:#fff;padding:4px;}
.cr-explorer .cr-graph svg{display:block;max-width:none;height:auto;}
.cr-explorer .cr-graph.cr-fitted svg{max-width:100%;}
.cr-explorer g.node{cursor:pointer;}
.cr-explorer g.node,.cr-explorer g.edge{transition:opacity .2s;}
@media (prefers-reduced-motion:reduce){.cr-explorer g.node,.cr-explorer g.edge{transition:none;}}
.cr-explorer g.cr-pending{opacity:.3;}
.cr-explorer g.node.cr-fwd>polygon,.cr-explorer g.node.cr-fwd>ellipse{stroke:var(--cr-blue);
 stroke-width:4px;}
.cr-explorer g.node.cr-up>polygon,.cr-explorer g.node.cr-up>ellipse{stroke:var(--cr-orange);
 stroke-width:3px;stroke-dasharray:7 4;}
.cr-explorer g.node.cr-in>polygon,.cr-explorer g.node.cr-in>ellipse{stroke:var(--cr-orange);
 stroke-width:5px;}
.cr-explorer g.node.cr-sel>polygon,.cr-explorer g.node.cr-sel>ellipse{stroke:#1b1b1b;
 stroke-width:3px;}
.cr-explorer g.node.cr-hover>polygon,.cr-explorer g.node.cr-hover>ellipse{stroke-width:3px;}
.cr-explorer g.edge.cr-fwd path{stroke:var(--cr-blue);stroke-width:3.5px;}
.cr-explorer g.edge.cr-fwd polygon{stroke:var(--cr-blue);fill:var(--cr-blue);stroke-width:2px;}
.cr-explorer g.edge.cr-bwd path{stroke:var(--cr-orange);stroke-width:4px;stroke-dasharray:9 5;}
.cr-explorer g.edge.cr-bwd polygon{stroke:var(--cr-orange);fill:var(--cr-orange);
 stroke-width:2px;}
.cr-explorer text.cr-untouched{fill:#6e6e6e;font-style:italic;}
.cr-explorer text.cr-changed{font-weight:700;}
.cr-explorer .cr-panels{display:flex;flex-wrap:wrap;gap:10px;margin-top:8px;}
.cr-explorer .cr-details{flex:1 1 320px;min-height:7em;padding:6px 10px;border:1px solid #ddd;
 border-radius:4px;}
.cr-explorer .cr-details .cr-h3{font-size:15px;font-weight:600;margin:0 0 4px;color:#1b1b1b;}
.cr-explorer .cr-details dl{display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;
 margin:0 0 4px;}
.cr-explorer .cr-details dt{color:#444;font-weight:600;white-space:nowrap;}
.cr-explorer .cr-details dd{margin:0;overflow-wrap:anywhere;}
.cr-explorer .cr-details ul{margin:2px 0 0 18px;padding:0;}
.cr-explorer .cr-side{flex:1 1 320px;}
.cr-explorer .cr-leaves-box{max-height:24em;overflow:auto;}
.cr-explorer table.cr-leaves thead th{position:sticky;top:0;background:#f3f3f3;}
.cr-explorer table.cr-leaves{border-collapse:collapse;table-layout:auto;width:100%;margin:0;
 font-size:13.5px;}
.cr-explorer table.cr-leaves caption{text-align:left;font-weight:600;padding-bottom:3px;
 color:#1b1b1b;}
.cr-explorer table.cr-leaves th,.cr-explorer table.cr-leaves td{border:1px solid #ddd;
 padding:2px 6px;text-align:left;color:#1b1b1b;background:#fff;}
.cr-explorer table.cr-leaves td.cr-num{font-family:var(--cr-mono);
 font-variant-numeric:tabular-nums;overflow-wrap:anywhere;}
.cr-explorer table.cr-leaves tr.cr-in td{background:var(--cr-orange-bg);font-weight:700;}
.cr-explorer .cr-legend{display:flex;flex-direction:column;gap:2px;margin-top:8px;font-size:13px;
 color:#333;}
.cr-explorer .cr-legend i{display:inline-block;width:28px;height:0;vertical-align:middle;
 margin-right:4px;}
.cr-explorer .cr-key-fwd{border-top:4px solid var(--cr-blue);}
.cr-explorer .cr-key-bwd{border-top:4px dashed var(--cr-orange);}
.cr-explorer .cr-legend .cr-key-in{height:12px;border:4px solid var(--cr-orange);}
.cr-explorer .cr-legend .cr-key-pending{height:12px;border:1px solid #000;opacity:.3;}
.cr-explorer .cr-noscript{color:#555;font-size:13px;margin:6px 0 0;}
"""

# The page's script: plain ES5, so older notebook front ends run it too. It finds its own
# <div> by id (a notebook may attach the output to the page after running the script, so it
# retries for a few seconds), reads the JSON, and redraws each frame by replaying the frames
# before it: stepping back needs no undo.
_JS = r"""(function (uid) {
"use strict";
var tries = 0;
function boot() {
  var root = document.getElementById(uid);
  if (!root) {
    if (++tries < 400) { setTimeout(boot, 25); }
    return;
  }
  if (root.getAttribute("data-cr-ready")) { return; }
  root.setAttribute("data-cr-ready", "1");
  start(root);
}

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined && text !== null) { e.textContent = text; }
  return e;
}

function setClass(e, cls, on) {
  // SVG elements have no plain-string className: use classList
  if (on) { e.classList.add(cls); } else { e.classList.remove(cls); }
}

function start(root) {
  function q(name) { return root.querySelector('[data-cr="' + name + '"]'); }
  // a front end that re-creates script elements may drop their data-cr attribute
  var json = q("data") || root.querySelector('script[type="application/json"]');
  var D = JSON.parse(json.textContent);
  var nodes = D.nodes, steps = D.backward, N = nodes.length, R = D.root;
  var standalone = root.getAttribute("data-cr-standalone") === "1";
  var noscript = q("noscript");
  if (noscript) { noscript.parentNode.removeChild(noscript); }
  var i, k;

  // ---- frames: start, the leaves, each op node, the seed, each chain-rule step ----
  var frames = [{t: "start"}], leaves = [];
  for (i = 0; i < D.forward.length; i++) {
    if (nodes[D.forward[i]].leaf) { leaves.push(D.forward[i]); }
  }
  if (leaves.length) { frames.push({t: "leaves", nodes: leaves}); }
  for (i = 0; i < D.forward.length; i++) {
    if (!nodes[D.forward[i]].leaf) { frames.push({t: "fwd", node: D.forward[i]}); }
  }
  var firstBackward = frames.length;
  frames.push({t: "seed"});
  for (k = 0; k < steps.length; k++) { frames.push({t: "bwd", k: k}); }
  var last = frames.length - 1, nFwd = firstBackward - 1;

  // ---- the SVG pieces of each node: its record, its op oval, its data and grad texts ----
  var graph = q("graph");
  var parts = [], datas = [], grads = [], edges = [];
  for (i = 0; i < N; i++) { parts.push([]); datas.push([]); grads.push([]); }
  var gs = graph.querySelectorAll("g[data-cr-node]");
  for (i = 0; i < gs.length; i++) {
    var idx = +gs[i].getAttribute("data-cr-node"), nd = nodes[idx];
    parts[idx].push(gs[i]);
    gs[i].setAttribute("tabindex", "0");
    gs[i].setAttribute("role", "button");
    gs[i].setAttribute("aria-label", nd.name + (nd.op ? " (" + nd.op + ")" : ""));
    var ts = gs[i].querySelectorAll("text[data-cr-field]");
    for (k = 0; k < ts.length; k++) {
      (ts[k].getAttribute("data-cr-field") === "data" ? datas : grads)[idx].push(ts[k]);
    }
  }
  var es = graph.querySelectorAll("g[data-cr-to]");
  for (i = 0; i < es.length; i++) {
    edges.push({g: es[i], from: +es[i].getAttribute("data-cr-from"),
                to: +es[i].getAttribute("data-cr-to")});
  }

  // ---- the table of leaves ----
  var leafRows = {};
  for (i = 0; i < leaves.length; i++) {
    var n0 = nodes[leaves[i]], tr = el("tr");
    var tdData = el("td", "cr-num"), tdGrad = el("td", "cr-num");
    tdGrad.setAttribute("data-cr-leaf-grad", String(leaves[i]));
    tdGrad.setAttribute("data-cr-leaf-name", n0.name);
    tr.appendChild(el("td", null, n0.name));
    tr.appendChild(tdData);
    tr.appendChild(tdGrad);
    q("leaves").appendChild(tr);
    leafRows[leaves[i]] = {tr: tr, data: tdData, grad: tdGrad};
  }

  // ---- what is known at frame f: replay the frames up to it ----
  function stateAt(f) {
    var s = {known: [], grad: [], gradFull: [], touched: [], backward: false}, j;
    for (j = 0; j < N; j++) {
      s.known.push(false); s.grad.push(null); s.gradFull.push(null); s.touched.push(false);
    }
    for (var g = 1; g <= f; g++) {
      var fr = frames[g];
      if (fr.t === "leaves") {
        for (j = 0; j < fr.nodes.length; j++) { s.known[fr.nodes[j]] = true; }
      } else if (fr.t === "fwd") {
        s.known[fr.node] = true;
      } else if (fr.t === "seed") {
        // backward() starts every grad at 0 and the output's at 1
        s.backward = true;
        for (j = 0; j < N; j++) {
          s.known[j] = true; s.grad[j] = D.zero_short; s.gradFull[j] = D.zero_full;
        }
        s.grad[R] = D.seed_short; s.gradFull[R] = D.seed_full; s.touched[R] = true;
      } else if (fr.t === "bwd") {
        var st = steps[fr.k];
        s.grad[st.input] = st.after_short; s.gradFull[st.input] = st.after_full;
        s.touched[st.input] = true;
      }
    }
    return s;
  }

  var frame = 0, state = stateAt(0), timer = null, selected = null, hovered = null;
  var revealed = -1;

  function narrate(fr) {
    var box = q("narration"), phase = "start";
    box.textContent = "";
    function line(text, cls) {
      var p = el("div", "cr-line" + (cls ? " " + cls : ""), text);
      box.appendChild(p);
      return p;
    }
    if (fr.t === "start") {
      line("Start: nothing is computed yet.", "cr-big");
      line("Step forward to run the forward pass: each node's value is computed from its " +
           "inputs, in topological order.");
      line("Then the backward pass applies the chain rule one edge at a time: " +
           "grad(input) += local derivative \u00d7 upstream grad.");
    } else if (fr.t === "leaves") {
      phase = "forward";
      line("Forward pass: the leaves are given (inputs, parameters, constants).", "cr-big");
      var given = [];
      for (var j = 0; j < fr.nodes.length && j < 12; j++) {
        given.push(nodes[fr.nodes[j]].name + " = " + nodes[fr.nodes[j]].data_short);
      }
      if (fr.nodes.length > 12) { given.push("\u2026 (" + (fr.nodes.length - 12) + " more)"); }
      line(given.join(",  "), "cr-mono");
    } else if (fr.t === "fwd") {
      phase = "forward";
      var n = nodes[fr.node];
      line("Forward pass: compute " + n.name + " with the op " + n.op, "cr-big");
      if (n.label) {
        line(n.name + " = " + n.expr_names, "cr-mono");
        line("    = " + n.expr_values + " = " + n.data_short, "cr-mono");
      } else {  // its name is already the expression
        line(n.expr_names + " = " + n.expr_values + " = " + n.data_short, "cr-mono");
      }
    } else if (fr.t === "seed") {
      phase = steps.length ? "backward" : "done";
      var r = nodes[R].name;
      line("Backward pass starts: every grad is set to 0, then " + r + ".grad = 1", "cr-big");
      line("d " + r + " / d " + r + " = 1: the output's gradient with respect to itself.");
      line("From here, each step sends gradient from a node back to one of its inputs.");
    } else if (fr.t === "bwd") {
      phase = "backward";
      var st = steps[fr.k], out = nodes[st.node], inp = nodes[st.input], where = [];
      line("Chain rule: gradient flows from " + out.name + " back to its input " + inp.name,
           "cr-big");
      var formula = out.formulas[st.slot];
      for (var c = 0; c < out.children.length; c++) {
        // name only the inputs this formula mentions (a linear node has many)
        if (new RegExp("\\b" + out.letters[c] + "\\b").test(formula)) {
          where.push(out.letters[c] + " = " + nodes[out.children[c]].name);
        }
      }
      line("local derivative: " + formula + "    where " + where.join(", "), "cr-mono");
      line("local derivative \u00d7 upstream grad = contribution:  " + st.local_short +
           " \u00d7 " + st.upstream_short + " = " + st.contribution_short, "cr-mono cr-big");
      line(inp.name + ".grad += contribution:  " + st.before_short + " + " +
           st.contribution_short + " = " + st.after_short, "cr-mono");
      if (fr.k === steps.length - 1) {
        phase = "done";
        line("Done: every grad now equals what " + nodes[R].name + ".backward() computes.",
             "cr-big");
      }
    }
    box.className = "cr-narration cr-ph-" + phase;
    var ph = q("phase");
    ph.className = "cr-phase cr-ph-" + phase;
    ph.textContent = {start: "Start", forward: "Forward pass", backward: "Backward pass",
                      done: "Done"}[phase];
  }

  function render() {
    state = stateAt(frame);
    var fr = frames[frame], st = fr.t === "bwd" ? steps[fr.k] : null;
    var fwd = {}, j, p;
    if (fr.t === "leaves") { for (j = 0; j < fr.nodes.length; j++) { fwd[fr.nodes[j]] = true; } }
    if (fr.t === "fwd") { fwd[fr.node] = true; }
    for (var i = 0; i < N; i++) {
      var n = nodes[i];
      for (p = 0; p < parts[i].length; p++) {
        var g = parts[i][p];
        setClass(g, "cr-pending", !state.known[i]);
        setClass(g, "cr-fwd", !!fwd[i]);
        setClass(g, "cr-up", !!st && st.node === i);
        // the input's record receives the grad; its own op oval plays no part in this step
        var rec = g.getAttribute("data-cr-part") === "record";
        setClass(g, "cr-in", rec && ((!!st && st.input === i) || (fr.t === "seed" && i === R)));
        setClass(g, "cr-sel", selected === i);
        setClass(g, "cr-hover", hovered === i);
      }
      for (p = 0; p < datas[i].length; p++) {
        datas[i][p].textContent = "data " + (state.known[i] ? n.data_short : "?");
      }
      for (p = 0; p < grads[i].length; p++) {
        var t = grads[i][p];
        t.textContent = "grad " + (state.grad[i] === null ? "?" : state.grad[i]);
        setClass(t, "cr-untouched", state.backward && !state.touched[i]);
        setClass(t, "cr-changed", !!st && st.input === i);
      }
      if (leafRows[i]) {
        leafRows[i].data.textContent = state.known[i] ? n.data_full : "?";
        leafRows[i].grad.textContent = state.gradFull[i] === null ? "\u2014" : state.gradFull[i];
        setClass(leafRows[i].tr, "cr-in", !!st && st.input === i);
      }
    }
    for (var e = 0; e < edges.length; e++) {
      var E = edges[e];
      setClass(E.g, "cr-pending", !state.known[E.to]);
      setClass(E.g, "cr-fwd", fr.t === "fwd" && E.to === fr.node);
      // the step's two edges: input -> op oval, and op oval -> the node's record
      setClass(E.g, "cr-bwd", !!st && E.to === st.node &&
               (E.from === st.input || E.from === st.node));
    }
    narrate(fr);
    var where = frame === 0 ? "" : frame < firstBackward ?
      "  (forward " + frame + "/" + nFwd + ")" :
      "  (backward " + (frame - firstBackward) + "/" + steps.length + ")";
    q("counter").textContent = "step " + frame + " / " + last + where;
    var scrub = q("scrub");
    scrub.max = String(last);
    scrub.value = String(frame);
    scrub.setAttribute("aria-valuetext", "step " + frame + " of " + last);
    q("start").disabled = frame === 0;
    q("back").disabled = frame === 0;
    q("step").disabled = frame === last;
    q("end").disabled = frame === last;
    var play = q("play");
    play.setAttribute("aria-pressed", timer ? "true" : "false");
    play.textContent = timer ? "\u25AE\u25AE Pause" : "\u25B6 Play";
    root.setAttribute("data-cr-frame", String(frame));
    showDetails();
    if (frame !== revealed) {  // only a new step scrolls: hovering must not move the drawing
      revealed = frame;
      reveal(graph.querySelectorAll("g.cr-fwd, g.cr-up, g.cr-in"));
    }
  }

  // scroll the drawing (not the page) so that the highlighted nodes are in view
  function reveal(list) {
    var wide = graph.scrollWidth > graph.clientWidth;
    var tall = graph.scrollHeight > graph.clientHeight;
    if (!list.length || !(wide || tall)) { return; }
    var box = graph.getBoundingClientRect(), pad = 30;
    var l = Infinity, t = Infinity, r = -Infinity, b = -Infinity;
    for (var j = 0; j < list.length; j++) {
      var rc = list[j].getBoundingClientRect();
      l = Math.min(l, rc.left); t = Math.min(t, rc.top);
      r = Math.max(r, rc.right); b = Math.max(b, rc.bottom);
    }
    if (l < box.left + pad || r > box.right - pad) {
      graph.scrollLeft += (l + r) / 2 - (box.left + box.right) / 2;
    }
    if (t < box.top + pad || b > box.bottom - pad) {
      graph.scrollTop += (t + b) / 2 - (box.top + box.bottom) / 2;
    }
  }

  function heading(text) {
    // not an <h3>: JupyterLab would add it to the notebook's table of contents
    var h = el("div", "cr-h3", text);
    h.setAttribute("role", "heading");
    h.setAttribute("aria-level", "3");
    return h;
  }

  function showDetails() {
    var box = q("details"), i = hovered !== null ? hovered : selected, c;
    box.textContent = "";
    box.setAttribute("data-cr-shown", i === null ? "" : String(i));
    if (i === null) {
      box.appendChild(heading("Node details"));
      box.appendChild(el("div", null, "Hover over or click a node in the graph (or Tab to it) " +
        "to see its label, op, data, grad and the formula of its local derivative."));
      return;
    }
    var n = nodes[i], dl = el("dl");
    box.appendChild(heading(n.name + (n.leaf ? "  (leaf)" : "  (" + n.op + ")")));
    function row(key, value, cls) {
      dl.appendChild(el("dt", null, key));
      dl.appendChild(el("dd", cls, value));
    }
    row("label", n.label ? n.label : "(none)");
    row("op", n.leaf ? "none: a leaf (input, parameter or constant)" :
        n.op + ":  " + n.name + " = " + n.expr_names);
    row("data", state.known[i] ? n.data_full : "not computed yet (step forward)", "cr-mono");
    var g = state.gradFull[i];
    row("grad", g === null ? "not computed yet (the backward pass comes after the forward pass)" :
        g + (state.backward && !state.touched[i] ? "  (no contribution yet)" : ""), "cr-mono");
    row("final grad", n.grad_full + "  (what backward() gives)", "cr-mono");
    box.appendChild(dl);
    var out = nodes[R].name;
    if (n.leaf) {
      box.appendChild(el("div", null, "A leaf has no inputs, so no local derivative. Its grad " +
        "is d " + out + " / d " + n.name + ", summed over every path to " + out + "."));
      return;
    }
    var where = [];
    for (c = 0; c < n.children.length; c++) {
      where.push(n.letters[c] + " = " + nodes[n.children[c]].name);
    }
    box.appendChild(el("div", null, "Local derivatives of " + n.name + " = " + n.expr +
      ",  where " + where.join(", ") + ":"));
    var ul = el("ul");
    for (c = 0; c < n.children.length; c++) {
      var li = el("li", "cr-mono", n.formulas[c] + (state.known[i] ? "  = " + n.locals[c] : ""));
      li.setAttribute("data-cr-formula", String(c));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }

  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
  }
  function go(f) {
    frame = Math.max(0, Math.min(last, f));
    if (frame === last) { stop(); }
    render();
  }
  function play() {
    if (timer) { return; }
    if (frame === last) { frame = 0; }
    timer = setInterval(function () { go(frame + 1); }, +q("speed").value || 700);
    render();
  }
  function toggle() {
    if (timer) { stop(); render(); } else { play(); }
  }

  function on(name, type, fn) { q(name).addEventListener(type, fn); }
  on("start", "click", function () { stop(); go(0); });
  on("back", "click", function () { stop(); go(frame - 1); });
  on("step", "click", function () { stop(); go(frame + 1); });
  on("end", "click", function () { stop(); go(last); });
  on("play", "click", toggle);
  on("scrub", "input", function () { stop(); go(+q("scrub").value); });
  on("speed", "change", function () { if (timer) { stop(); play(); } });
  on("fit", "change", function () { setClass(graph, "cr-fitted", q("fit").checked); });

  function nodeOf(target) {
    for (; target && target !== graph; target = target.parentNode) {
      if (target.getAttribute && target.getAttribute("data-cr-node") !== null) {
        return +target.getAttribute("data-cr-node");
      }
    }
    return null;
  }
  graph.addEventListener("mouseover", function (ev) {
    var i = nodeOf(ev.target);
    if (i !== hovered) { hovered = i; render(); }
  });
  graph.addEventListener("mouseleave", function () {
    if (hovered !== null) { hovered = null; render(); }
  });
  graph.addEventListener("click", function (ev) {
    var i = nodeOf(ev.target);
    selected = i;  // pins the node's details; a click on the background (or Escape) unpins
    render();
  });
  graph.addEventListener("focusin", function (ev) {
    var i = nodeOf(ev.target);
    if (i !== null) { selected = i; render(); }
  });

  // Keys go to the explorer itself inside a notebook (which has shortcuts of its own), and to
  // the whole page when the explorer is the page.
  var keyTarget = standalone ? document : root;
  keyTarget.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    var key = ev.key, tgt = ev.target, handled = true;
    if (key === "ArrowRight") { stop(); go(frame + 1); }
    else if (key === "ArrowLeft") { stop(); go(frame - 1); }
    else if (key === " " || key === "Spacebar") { toggle(); }
    else if (key === "Home") { stop(); go(0); }
    else if (key === "End") { stop(); go(last); }
    else if (key === "Escape") { selected = null; hovered = null; render(); }
    else if (key === "Enter" && tgt && tgt.getAttribute && tgt.getAttribute("data-cr-node")) {
      selected = +tgt.getAttribute("data-cr-node");
      render();
    } else { handled = false; }
    if (handled) { ev.preventDefault(); ev.stopPropagation(); }
  });
  // without this, Space released on a focused button would click it after the toggle above
  keyTarget.addEventListener("keyup", function (ev) {
    if (ev.key === " " || ev.key === "Spacebar") { ev.preventDefault(); }
  });
  root.addEventListener("mousedown", function (ev) {
    var tag = ev.target.tagName;
    if (tag !== "BUTTON" && tag !== "SELECT" && tag !== "INPUT" && tag !== "OPTION") {
      root.focus({preventScroll: true});
    }
  });

  // Fit the drawing to the width when its text stays readable (scale >= 0.8); otherwise keep
  // 100% and scroll: render() scrolls the current step into view.
  var svg = graph.querySelector("svg");
  if (svg && graph.clientWidth > 0) {
    var natural = svg.getBoundingClientRect().width;
    if (natural > graph.clientWidth && graph.clientWidth / natural >= 0.8) {
      q("fit").checked = true;
      setClass(graph, "cr-fitted", true);
    }
  }
  render();
}

boot();
})"""
