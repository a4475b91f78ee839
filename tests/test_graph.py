"""Tests for autograd.graph: draw_dot, save, the text tree and backward_steps."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import (
    BackwardStep,
    DotNotFoundError,
    Value,
    backward_steps,
    detect_anomaly,
    draw_dot,
    find_dot,
    linear,
    palette,
    print_graph,
    save,
    tree_text,
)
from autograd import render as render_module
from autograd.engine import topological_order
from autograd.formatting import format_number

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(find_dot() is None, reason="no dot program to render with")


# ---- graphs used by several tests -------------------------------------------------------------


def micrograd_neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron example: o = tanh(x1*w1 + x2*w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n}


def mlp_and_loss(samples: int = 1):
    from nn.layers import MLP

    model = MLP(2, [16, 16, 1], seed=0)
    loss = Value(0.0)
    for i in range(samples):
        y = model([0.5 + 0.1 * i, -1.0])
        loss = loss + (y - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, loss


def node_attrs(source: str) -> dict[str, dict[str, str]]:
    """node id -> its attributes, from DOT text (the lines ``id [a=b c="d e"]``)."""
    nodes = {}
    for m in re.finditer(r"^\t(\w+) \[(.*)\]$", source, re.M):
        if m.group(1) in ("graph", "node", "edge"):  # default attributes, not nodes
            continue
        attrs = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|<<.*>>|\S+)', m.group(2)))
        nodes[m.group(1)] = {k: v.strip('"') for k, v in attrs.items()}
    return nodes


def edges(source: str) -> list[tuple[str, str, str]]:
    """(tail, head, attribute text) of every edge in DOT text."""
    return re.findall(r"^\t(\w+) -> (\w+)(?: \[(.*)\])?$", source, re.M)


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # must be well-formed XML
    return [t.text or "" for t in root.iter(f"{SVG}text")]


# ---- draw_dot: content -------------------------------------------------------------------------


@needs_dot
def test_svg_parses_and_shows_every_label_data_and_grad():
    o, _ = micrograd_neuron()
    svg = draw_dot(o).pipe(format="svg", encoding="utf-8")
    texts = svg_texts(svg)
    for node in topological_order(o):
        assert node.label in texts
        assert f"data {node.data:.4f}" in texts
        assert f"grad {node.grad:.4f}" in texts
    for op in ("*", "+", "tanh"):
        assert op in texts


def test_records_have_label_data_grad_fields_and_ops_are_small_nodes():
    o, _ = micrograd_neuron()
    source = draw_dot(o).source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in source
    assert "{ o | data 0.7071 | grad 1.0000 }" in source
    nodes = node_attrs(source)
    ops = sorted(a["label"] for a in nodes.values() if a.get("shape") == "oval")
    assert ops == ["*", "*", "+", "+", "tanh"]
    assert sum(a.get("shape") == "record" for a in nodes.values()) == 10


def test_show_data_and_show_grad_switch_fields_off():
    o, _ = micrograd_neuron()
    assert "data" not in draw_dot(o, show_data=False, legend=False).source
    source = draw_dot(o, show_grad=False, legend=False).source
    assert "grad" not in source and "{ o | data 0.7071 }" in source


def test_edges_follow_the_data_from_inputs_to_output():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    y.label = "y"
    source = draw_dot(y).source
    ids = {a["label"].split(" | ")[0].strip("{ "): n for n, a in node_attrs(source).items()}
    found = {(t, h) for t, h, _ in edges(source)}
    mul = next(n for n, a in node_attrs(source).items() if a.get("label") == "*")
    tanh = next(n for n, a in node_attrs(source).items() if a.get("label") == "tanh")
    product = next(t for t, h in found if h == tanh)
    assert (ids["x"], mul) in found and (ids["w"], mul) in found  # inputs -> op
    assert (mul, product) in found and (tanh, ids["y"]) in found  # op -> its result


def test_reused_input_draws_one_edge_per_use():
    x = Value(3.0, label="x")
    y = x * x
    es = edges(draw_dot(y).source)
    op = next(n for n, a in node_attrs(draw_dot(y).source).items() if a.get("label") == "*")
    assert sum(h == op for _, h, _ in es) == 2


def test_linear_is_one_node_with_edges_labelled_w_x_b():
    w = [Value(0.5, label="wa"), Value(-1.0, label="wb")]
    x = [Value(2.0, label="xa"), Value(3.0, label="xb")]
    y = linear(w, x, Value(0.1, label="bias"))
    y.backward()
    source = draw_dot(y).source
    assert source.count("label=linear") == 1
    labels = sorted(re.findall(r"label=(\w+)", " ".join(a for _, _, a in edges(source))))
    assert labels == ["b", "w0", "w1", "x0", "x1"]


def test_unlabeled_nodes_have_no_empty_label_field():
    y = Value(2.0) * 3
    assert "{ data 6.0000 | grad 0.0000 }" in draw_dot(y).source


def test_labels_with_record_characters_are_escaped():
    x = Value(1.0, label="a|b {c}")
    assert r"a\|b \{c\}" in draw_dot(x * 2).source


# ---- colours -----------------------------------------------------------------------------------


def fill_of(source: str, label_start: str) -> str:
    for attrs in node_attrs(source).values():
        if attrs.get("label", "").startswith("{ " + label_start + " "):
            return attrs["fillcolor"]
    raise AssertionError(f"no node labelled {label_start!r}")


def test_constants_made_from_numbers_are_grey():
    x = Value(1.5, label="x")
    y = (-((x * 2) ** 2)).leaky_relu(0.1)
    y.label = "y"
    source = draw_dot(y).source
    grey = palette.ROLE_COLORS["constant"]
    constants = [
        a for a in node_attrs(source).values() if a.get("fillcolor") == grey
    ]  # 2, the exponent 2, the -1 of negation, the leaky slope
    assert len(constants) == 4
    assert fill_of(source, "x") == palette.ROLE_COLORS["input"]
    assert fill_of(source, "y") == palette.ROLE_COLORS["output"]


def test_role_colours_on_an_mlp_graph():
    model, loss = mlp_and_loss()
    source = draw_dot(loss, params=model).source
    colors = palette.ROLE_COLORS
    nodes = node_attrs(source)
    params = {p.label for p in model.parameters()}
    seen = {"parameter": 0, "input": 0, "output": 0}
    for attrs in nodes.values():
        if attrs.get("shape") != "record":
            continue
        label = attrs["label"].strip("{} ").split(" | ")[0]
        if label in params:
            assert attrs["fillcolor"] == colors["parameter"], label
            seen["parameter"] += 1
        if attrs["fillcolor"] == colors["input"]:
            seen["input"] += 1
        if attrs["fillcolor"] == colors["output"]:
            seen["output"] += 1
    assert seen == {"parameter": 337, "input": 2, "output": 1}  # x0, x1 feed the first layer
    assert "parameter" in nodes["legend"]["label"] and "constant" in nodes["legend"]["label"]


def test_color_by_grad_follows_log_magnitude_with_a_legend():
    a, b, c = Value(1.0, label="a"), Value(1.0, label="b"), Value(1.0, label="c")
    y = a * 1e-3 + b * 1.0 + c * 0.0  # grads 1e-3, 1, 0
    y.label = "y"
    y.backward()
    source = draw_dot(y, color_by="grad").source
    assert fill_of(source, "a") == palette._viridis(0.0)  # smallest |grad|: dark end
    assert fill_of(source, "b") == palette._viridis(1.0)  # largest: yellow end
    assert fill_of(source, "c") == palette._ZERO_GRAD
    legend = node_attrs(source)["legend"]["label"]
    assert "|grad|" in legend and "log scale" in legend
    assert ">0.001<" in legend and ">1<" in legend and ">0<" in legend


def test_color_by_grad_marks_non_finite_gradients():
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.backward()  # d sqrt / dx at 0 is infinite
    source = draw_dot(y, color_by="grad").source
    assert fill_of(source, "x") == palette._BAD_GRAD
    assert "nan/inf" in node_attrs(source)["legend"]["label"]
    assert "grad inf" in source


def test_gradients_that_are_values_are_drawn_by_their_number():
    x = Value(1.5, label="x")
    y = x * x * x
    y.backward(create_graph=True)  # x.grad is a Value now
    assert "{ x | data 1.5000 | grad 6.7500 }" in draw_dot(y).source
    assert "x  data 1.5000  grad 6.7500" in tree_text(y)


def test_small_and_large_numbers_are_not_rounded_away():
    assert format_number(1e-7) == "1.000e-07"
    assert format_number(2.5e8) == "2.500e+08"
    assert format_number(-0.5) == "-0.5000"
    assert format_number(float("nan")) == "nan"


def tanh_neuron() -> tuple[Value, dict[str, Value]]:
    """tanh(x*w + b) at x=2, w=-3, b=1: a saturated tanh, so every gradient is below 1e-3."""
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(1.0, label="b")
    out = (x * w + b).tanh()
    out.label = "out"
    return out, {"x": x, "w": w, "b": b}


@pytest.mark.parametrize(
    "v, text",
    [
        (2.0, "2.0000"),  # the ordinary range keeps its 4 decimals
        (-0.98661, "-0.9866"),
        (1000.0, "1000.0000"),
        (0.0123, "0.0123"),
        (0.0, "0.0000"),  # exact zeros as before
        (-0.0, "-0.0000"),
        (-0.00054475, "-0.0005447"),  # small: 4 significant digits, not -0.0005
        (0.005, "0.005000"),
        (0.00999949, "0.009999"),
        (0.0099996, "0.0100"),  # rounds up into the ordinary range: its look
        (9.99996e-5, "0.0001000"),  # rounds up to 1e-4: fixed point
        (9.9994e-5, "9.999e-05"),
        (1.5e-7, "1.500e-07"),
    ],
)
def test_numbers_are_shown_with_four_significant_digits_at_any_size(v, text):
    assert format_number(v) == text


def test_every_shown_number_is_within_four_significant_digits_of_the_float():
    for k in range(-15, 9):
        for m in (1.0, 1.23456789, -2.7182818, 5.55555, -9.87654321):
            v = m * 10.0**k
            shown = float(format_number(v))
            error = abs(shown - v)
            if 0.0099 < abs(v) < 0.1:  # the ordinary look, 4 decimals, gives 3 digits here
                assert error <= 5e-5, (v, format_number(v))
            else:
                assert error <= 5e-4 * abs(v), (v, format_number(v))


def test_small_gradients_keep_four_digits_in_every_view(capsys):
    # chainrule graph "tanh(x*w+b)" --set x=2 w=-3 b=1 prints d/dx = -0.00054475: the
    # drawing, the tree and the steps must agree with it, not show -0.0005
    out, v = tanh_neuron()
    steps = list(backward_steps(out))
    assert "x  data 2.0000  grad -0.0005447" in tree_text(out)
    assert "w  data -3.0000  grad 0.0003632" in out.tree()
    print_graph(out)
    assert "b  data 1.0000  grad 0.0001816" in capsys.readouterr().out
    assert "{ x | data 2.0000 | grad -0.0005447 }" in draw_dot(out).source
    into_x = next(s for s in steps if s.input is v["x"])
    assert str(into_x).endswith(
        "local -3.0000 x upstream 0.0001816 = -0.0005447; x.grad is now -0.0005447"
    )
    red = [a for _, _, a in edges(draw_dot(out, highlight=into_x).source) if "local" in a]
    assert "local -3.0000 * upstream 0.0001816" in red[0] and "= -0.0005447" in red[0]
    # every number in the tree reads back to within 4 significant digits of the node's own
    for node in topological_order(out):
        shown = float(re.search(r"grad (\S+)", tree_text(node)).group(1))
        assert math.isclose(shown, node.grad, rel_tol=5e-4)


def test_color_by_grad_darkest_colours_get_white_text():
    scale = palette.GradScale([1e-6, 1.0])
    assert scale.font(1e-6) == "white" and scale.font(1.0) == "black"


def test_viridis_is_monotonic_in_lightness():
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [lightness(palette._viridis(t / 20)) for t in range(21)]
    assert values == sorted(values)


# ---- collapse ----------------------------------------------------------------------------------


def records(source: str) -> list[dict[str, str]]:
    return [a for a in node_attrs(source).values() if a.get("shape") == "record"]


def test_collapse_draws_each_neuron_as_one_box():
    model, loss = mlp_and_loss()
    source = draw_dot(loss, collapse=model).source
    boxes = [r for r in records(source) if "Neuron" in r["label"]]
    assert len(boxes) == 16 + 16 + 1
    names = {r["label"].strip("{ ").split(" | ")[0] for r in boxes}
    assert names == {name for name, _ in model.named_modules() if ".neurons." in name}
    assert sum("Neuron, 3 params" in r["label"] for r in boxes) == 16
    assert sum("Neuron, 17 params" in r["label"] for r in boxes) == 17
    out = next(r for r in boxes if r["label"].startswith("{ layers.2.neurons.0 "))
    y = next(v for v in topological_order(loss) if v.label == "layers.2.neurons.0")
    assert f"data {y.data:.4f}" in out["label"] and f"grad {y.grad:.4f}" in out["label"]
    assert ".w." not in source  # parameters are inside the boxes
    # the two data inputs, the loss's constants and interior nodes, and the loss itself
    others = [r for r in records(source) if "Neuron" not in r["label"]]
    assert len(others) == 2 + 3 + 2 + 1
    # every box of layer 1 is fed by all 16 boxes of layer 0
    ids = {r: n for n, a in node_attrs(source).items() for r in [a.get("label", "")]}
    box0 = {ids[r["label"]] for r in boxes if r["label"].startswith("{ layers.0.")}
    box1 = ids[next(r["label"] for r in boxes if r["label"].startswith("{ layers.1.neurons.5 "))]
    assert {t for t, h, _ in edges(source) if h == box1} == box0


def test_collapse_layer_level_draws_one_box_per_layer_call():
    model, loss = mlp_and_loss(samples=2)
    source = draw_dot(loss, collapse=model, collapse_level="layer").source
    boxes = [r["label"] for r in records(source) if "Layer" in r["label"]]
    assert len(boxes) == 6  # 3 layers x 2 samples
    assert sum("layers.1 | Layer, 272 params | 16 outputs" in b for b in boxes) == 2
    assert sum("layers.2 | Layer, 17 params | data" in b for b in boxes) == 2


def test_collapse_works_with_any_module_like_object():
    class Unit:  # duck-typed: named_modules() and parameters(), no nn import
        def __init__(self, name):
            self.name, self.w, self.b = name, Value(0.5), Value(0.1)

        def named_modules(self, prefix=""):
            yield prefix, self

        def parameters(self):
            return [self.w, self.b]

        def __call__(self, x):
            out = (self.w * x + self.b).tanh()
            out.label = self.name
            return out

    class Pair:
        def __init__(self):
            self.units = [Unit("units.0"), Unit("units.1")]

        def named_modules(self):
            yield "", self
            for i, u in enumerate(self.units):
                yield from u.named_modules(f"units.{i}")

        def parameters(self):
            return [p for u in self.units for p in u.parameters()]

    model = Pair()
    x = Value(2.0, label="x")
    y = model.units[1](model.units[0](x))
    source = draw_dot(y, collapse=model).source
    labels = [r["label"] for r in records(source)]
    assert len(labels) == 3
    assert any(lb.startswith("{ units.0 | Unit, 2 params") for lb in labels)


def test_unfused_neurons_inputs_are_data_not_constants():
    from nn.layers import MLP

    model = MLP(2, [3, 1], fused=False, seed=0)  # micrograd's w*x + ... graph
    y = model([0.5, -1.0])
    y.backward()
    source = draw_dot(y, params=model).source
    inputs = [r for r in records(source) if r["fillcolor"] == palette.ROLE_COLORS["input"]]
    assert sorted(r["label"].split(" | ")[0] for r in inputs) == ["{ data -1.0000", "{ data 0.5000"]
    constants = [
        r for r in records(source) if r["fillcolor"] == palette.ROLE_COLORS["constant"]
    ]
    assert constants == []
    collapsed = draw_dot(y, collapse=model).source
    assert len(records(collapsed)) == 4 + 2  # 4 neurons, the 2 inputs outside them


def test_collapse_a_layer_on_its_own_or_inside_an_mlp():
    from nn.layers import MLP, Layer

    layer = Layer(2, 3, seed=0)
    out = layer([0.5, -1.0])
    total = out[0] + out[1] + out[2]
    labels = [r["label"] for r in records(draw_dot(total, collapse=layer).source)]
    assert sum("Neuron, 3 params" in lb for lb in labels) == 3
    one = draw_dot(total, collapse=layer, collapse_level="layer").source
    assert sum("Layer, 9 params | 3 outputs" in r["label"] for r in records(one)) == 1
    model = MLP(2, [3, 1], seed=0)
    y = model([0.5, -1.0])
    labels = [r["label"] for r in records(draw_dot(y, collapse=model.layers[0]).source)]
    assert sum(lb.startswith("{ layers.0.neurons.") for lb in labels) == 3


def test_collapse_module_level_draws_each_module_once_for_all_its_calls():
    model, loss = mlp_and_loss(samples=2)
    source = draw_dot(loss, collapse=model, collapse_level="module").source
    boxes = [r["label"] for r in records(source) if "Neuron" in r["label"]]
    assert len(boxes) == 16 + 16 + 1  # one box per neuron, its two calls together
    assert sum("| 2 outputs" in b for b in boxes) == 33
    # a box giving one op several inputs is drawn with one edge that says how many
    from nn.layers import Layer

    layer = Layer(2, 3, seed=0)
    total = linear(layer([0.5, -1.0]), [1.0, 2.0, 3.0])
    collapsed = draw_dot(total, collapse=layer, collapse_level="layer").source
    into_total = [attrs for tail, head, attrs in edges(collapsed) if tail.startswith("g")]
    assert into_total == ['label="3 inputs"']


def test_collapse_needs_named_modules():
    with pytest.raises(TypeError, match="named_modules"):
        draw_dot(Value(1.0) * 2, collapse=object())


# ---- max_nodes ---------------------------------------------------------------------------------


def test_graphs_larger_than_max_nodes_are_refused_with_a_hint():
    x = Value(1.0, label="x")
    y = x
    for _ in range(300):
        y = y * 1.0001  # 2 new nodes per step
    with pytest.raises(ValueError, match=r"601 nodes.*max_nodes=500.*collapse="):
        draw_dot(y)
    assert draw_dot(y, max_nodes=601).source.count("shape=record") == 601


def test_a_batch_too_big_to_draw_fits_once_collapsed():
    model, loss = mlp_and_loss(samples=3)
    with pytest.raises(ValueError, match="collapse=model"):
        draw_dot(loss)
    draw_dot(loss, collapse=model)


def test_bad_arguments_are_named():
    y = Value(1.0) * 2
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="sideways")
    with pytest.raises(ValueError, match="color_by"):
        draw_dot(y, color_by="data")
    with pytest.raises(ValueError, match="collapse_level"):
        draw_dot(y, collapse_level="model")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(y, max_nodes=0)
    with pytest.raises(TypeError, match="Value"):
        draw_dot(2.0)
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(y, highlight="edge")


# ---- highlight ---------------------------------------------------------------------------------


def test_highlight_draws_the_step_edge_in_red_with_the_product():
    o, v = micrograd_neuron()
    step = next(s for s in backward_steps(o) if s.input is v["w1"])
    source = draw_dot(o, highlight=step).source
    red = [(t, h, a) for t, h, a in edges(source) if palette.HIGHLIGHT in a]
    assert len(red) == 1
    # d(x1*w1)/dw1 = x1 = 2, upstream d o/d(x1*w1) = 0.5
    assert "local 2.0000 * upstream 0.5000" in red[0][2] and "= 1.0000" in red[0][2]
    outlined = [a["label"] for a in node_attrs(source).values() if a.get("penwidth") == "2.5"]
    assert sorted(lb.split(" | ")[0] for lb in outlined) == ["{ w1", "{ x1*w1"]


def test_highlight_picks_the_right_slot_of_a_reused_input():
    x = Value(3.0, label="x")
    y = x * x
    first, second = list(backward_steps(y))
    for step in (first, second):
        es = edges(draw_dot(y, highlight=step).source)
        assert sum(palette.HIGHLIGHT in a for _, _, a in es) == 1
    assert draw_dot(y, highlight=first).source != draw_dot(y, highlight=second).source


def test_highlight_shows_the_numbers_of_the_steps_moment():
    x = Value(3.0, label="x")
    y = x * x
    first = next(backward_steps(y))  # the walk is left unfinished
    y.backward(grad=10.0)  # upstream is now 10 for a (node, input) pair
    step_label = [a for _, _, a in edges(draw_dot(y, highlight=first).source) if "local" in a]
    pair_label = [a for _, _, a in edges(draw_dot(y, highlight=(y, x)).source) if "local" in a]
    assert "upstream 1.0000" in step_label[0] and "upstream 10.0000" in pair_label[0]


def grey_grads(source: str) -> list[str]:
    """The labels of the Values whose grad a drawing shows grey and italic (not reached yet)."""
    return sorted(
        re.search(r"<TD[^>]*>([^<]*)</TD>", a["label"]).group(1)
        for a in node_attrs(source).values()
        if "<I>grad" in a.get("label", "")
    )


def test_highlight_step_greys_the_grads_backward_has_not_reached_yet():
    o, v = micrograd_neuron()
    labels = {node: node.label for node in topological_order(o)}
    reached = {"o"}
    for step in backward_steps(o):
        reached.add(step.input.label)
        source = draw_dot(o, highlight=step).source
        assert grey_grads(source) == sorted(set(labels.values()) - reached), step
    assert reached == set(labels.values())  # the last frame greys nothing


def test_highlight_step_draws_a_reached_zero_grad_as_a_plain_number():
    o, v = micrograd_neuron()
    last = list(backward_steps(o))[-1]
    assert last.input is v["w2"] and last.input_grad == 0.0  # x2 = 0: a true zero
    source = draw_dot(o, highlight=last).source
    assert "{ w2 | data 1.0000 | grad 0.0000 }" in source
    assert grey_grads(source) == []


def test_highlight_greys_nothing_for_a_pair_a_value_a_foreign_walk_or_no_grads():
    o, v = micrograd_neuron()
    n = v["n"]
    first = next(backward_steps(o))
    inner = next(backward_steps(n))  # a walk from n: in o's graph, but not o's walk
    for highlight in [(o, n), n, inner]:
        assert grey_grads(draw_dot(o, highlight=highlight).source) == []
    assert grey_grads(draw_dot(o, highlight=first, show_grad=False).source) == []
    assert "<I>grad" in draw_dot(o, highlight=first).source


def test_highlight_grey_grads_keep_the_roles_fill_and_escape_labels():
    x = Value(2.0, label="x<&>")
    y = (x * 3).tanh()
    y.label = "y"
    first = next(backward_steps(y))
    grey = {a["label"] for a in node_attrs(draw_dot(y, highlight=first).source).values()
            if "<I>grad" in a.get("label", "")}
    assert any("x&lt;&amp;&gt;" in lb and palette.ROLE_COLORS["input"] in lb for lb in grey)
    assert any(palette.ROLE_COLORS["constant"] in lb for lb in grey)  # the 3: its step comes


def test_highlight_never_greys_a_constant_and_counts_steps_past_it():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    fixed = Value(3.0, label="fixed", requires_grad=False)  # gets no step and no grad, ever
    xw = x * w
    xw.label = "xw"
    scaled = fixed * xw
    scaled.label = "scaled"
    y = scaled.tanh()
    y.label = "y"
    steps = list(backward_steps(y))
    assert [s.input.label for s in steps] == ["scaled", "xw", "x", "w"]  # none into fixed
    for k, step in enumerate(steps):
        waiting = {"x", "w", "xw", "scaled"} - {s.input.label for s in steps[: k + 1]}
        assert grey_grads(draw_dot(y, highlight=step).source) == sorted(waiting)


@needs_dot
def test_highlight_grey_grads_render_grey_and_italic_in_svg():
    o, v = micrograd_neuron()
    first = next(backward_steps(o))
    root = ET.fromstring(draw_dot(o, highlight=first).pipe(format="svg", encoding="utf-8"))
    texts = [t for t in root.iter(f"{SVG}text") if (t.text or "").startswith("grad")]
    grey = [t for t in texts if t.get("font-style") == "italic"]
    assert len(grey) == 8 and all(t.get("fill") == "#6e6e6e" for t in grey)  # all but o and n
    assert sum(t.get("font-style") != "italic" for t in texts) == 2


def test_highlight_of_a_step_from_another_graph_is_an_error_naming_it():
    o, _ = micrograd_neuron()
    twin, _ = micrograd_neuron()  # the same numbers, other Values
    step = next(s for s in backward_steps(twin) if s.input.label == "w1")
    where = re.escape(f"highlight step {step.index} (w1 <- x1*w1)")
    with pytest.raises(ValueError, match=where + ".*not found in the graph"):
        draw_dot(o, highlight=step)


def test_highlight_of_a_pair_that_is_not_an_edge_is_an_error_naming_it():
    o, v = micrograd_neuron()
    with pytest.raises(ValueError, match=r"\(o, w1\) is not an edge.*w1 is not an input of o"):
        draw_dot(o, highlight=(o, v["w1"]))
    stranger = Value(1.0, label="stranger")
    with pytest.raises(ValueError, match="highlight node stranger was not found"):
        draw_dot(o, highlight=(stranger, v["w1"]))
    with pytest.raises(ValueError, match="highlight node stranger was not found"):
        draw_dot(o, highlight=stranger)
    x = Value(3.0, label="x")
    y = x * Value(2.0, label="two")
    y.label = "y"
    with pytest.raises(ValueError, match=r"input 1 of y is two, not x"):
        draw_dot(y, highlight=(y, x, 1))
    with pytest.raises(ValueError, match=r"y has no input 2"):
        draw_dot(y, highlight=(y, x, 2))
    assert palette.HIGHLIGHT in draw_dot(y, highlight=(y, x, 0)).source


# ---- rendering, saving, no dot -----------------------------------------------------------------


@needs_dot
def test_save_writes_svg_and_png_by_extension(tmp_path):
    o, _ = micrograd_neuron()
    svg = save(o, tmp_path / "g.svg")
    ET.parse(svg)
    png = save(draw_dot(o), tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert draw_dot(o).save(tmp_path / "h.svg").stat().st_size > 1000


@needs_dot
def test_graphviz_render_and_save_work_as_graphviz_documents_them(tmp_path):
    o, _ = micrograd_neuron()
    graph = draw_dot(o)
    png = Path(graph.render(tmp_path / "g", format="png", cleanup=True))
    assert png.name == "g.png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (tmp_path / "g").exists()  # cleanup removed the DOT source
    svg = Path(graph.render(outfile=tmp_path / "out.svg"))
    ET.parse(svg)
    assert (tmp_path / "out.gv").read_text().startswith("digraph")  # render saved the source
    source = Path(graph.save(tmp_path / "plain"))  # no extension: the DOT source, as graphviz
    assert source.read_text() == graph.source
    assert Path(graph.save("g.gv", directory=tmp_path)).read_text() == graph.source


def test_save_dot_text_needs_no_dot_program(tmp_path):
    path = save(Value(2.0, label="x") * 3, tmp_path / "g.gv")
    assert path.read_text().startswith("digraph")
    with pytest.raises(ValueError, match="add .svg or .png"):
        save(Value(1.0) * 2, tmp_path / "noext")
    with pytest.raises(TypeError, match="only accepted with a Value"):
        save(draw_dot(Value(1.0) * 2), tmp_path / "g.gv", rankdir="TB")


@needs_dot
def test_jupyter_display_is_svg():
    o, _ = micrograd_neuron()
    bundle = draw_dot(o)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "data 0.7071" in svg_texts(bundle["image/svg+xml"])


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A machine without Graphviz: no dot on PATH, no graphviz-pure next to Python."""
    from graphviz.backend import dot_command

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(render_module, "_script_dirs", lambda: [str(tmp_path)])
    monkeypatch.setattr(dot_command, "DOT_BINARY", Path("dot"))


def test_without_dot_the_error_says_how_to_install_and_source_still_works(no_dot, tmp_path):
    o, _ = micrograd_neuron()
    assert find_dot() is None
    g = draw_dot(o)
    assert "{ o | data 0.7071 | grad 1.0000 }" in g.source
    for render in (lambda: g.pipe(format="svg"), lambda: save(g, tmp_path / "g.png")):
        with pytest.raises(DotNotFoundError) as err:
            render()
        message = str(err.value)
        assert "apt-get install graphviz" in message
        assert "brew install graphviz" in message
        assert "pip install graphviz-pure" in message
        assert "graph.source" in message
    # a notebook still shows something useful: the text tree and the same advice
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "o [tanh]  data 0.7071" in bundle["text/plain"]
    assert "apt-get install graphviz" in bundle["text/plain"]


def test_graphviz_pure_is_used_when_dot_is_missing(monkeypatch, tmp_path):
    import os
    import shutil

    from graphviz.backend import dot_command

    scripts = render_module._script_dirs()
    pure = shutil.which("graphviz-pure", path=os.pathsep.join(scripts))
    if pure is None:
        pytest.skip("graphviz-pure is not installed next to this Python")
    monkeypatch.setenv("PATH", str(tmp_path))  # hide the system's dot
    monkeypatch.setattr(dot_command, "DOT_BINARY", Path("dot"))
    assert find_dot() == pure
    assert str(dot_command.DOT_BINARY) == pure
    o, _ = micrograd_neuron()
    assert "data 0.7071" in svg_texts(draw_dot(o).pipe(format="svg", encoding="utf-8"))


# ---- text tree ---------------------------------------------------------------------------------


def test_tree_shows_shared_nodes_once_then_refers_to_them():
    a = Value(2.0, label="a")
    b = a * a + a
    b.backward()
    text = tree_text(b)
    assert text.count("a  data 2.0000  grad 5.0000  #1") == 1
    assert text.count("a  #1 (above)") == 2
    assert text.splitlines()[0] == "[+]  data 6.0000  grad 1.0000"


def test_value_tree_and_print_graph_give_the_same_text(capsys):
    o, _ = micrograd_neuron()
    print_graph(o)
    assert capsys.readouterr().out.rstrip("\n") == str(o.tree())
    assert repr(o.tree()) == str(o.tree())  # shows as text at the prompt
    assert "w1  data -3.0000  grad 1.0000" in o.tree()


def test_tree_marks_linear_slots():
    y = linear([Value(0.5, label="w")], [Value(2.0, label="x")], Value(0.1, label="b"))
    assert tree_text(y).splitlines()[1:] == [
        "├─ w0: w  data 0.5000  grad 0.0000",
        "├─ x0: x  data 2.0000  grad 0.0000",
        "└─ b: b  data 0.1000  grad 0.0000",
    ]


def test_tree_of_a_deep_chain_needs_no_recursion_and_stops_at_max_lines():
    y = Value(1.0)
    for _ in range(20_000):
        y = y + 1.0
    lines = tree_text(y, max_lines=50).splitlines()
    assert len(lines) == 51 and "max_lines=50" in lines[-1]


# ---- backward_steps ----------------------------------------------------------------------------


def graph_cases():
    """(name, build) pairs; build returns (root, leaves) of a fresh graph."""

    def neuron():
        o, v = micrograd_neuron()
        return o, list(v.values())

    def reused():
        a, b = Value(1.3, label="a"), Value(-0.7, label="b")
        c = a * b + a
        d = (c * c).tanh() + c.exp() * a - b / a
        return d**2, [a, b]

    def fused():
        w = [Value(0.3), Value(-1.1), Value(2.0)]
        x = [Value(0.5), Value(0.25), Value(-1.5)]
        h = linear(w, x, Value(0.1))
        return linear([h, h], [h.sigmoid(), w[0]], 1.0).softplus(), w + x

    def mlp():
        model, loss = mlp_and_loss(samples=2)
        return loss, model.parameters()

    def pow_and_max():
        a, b = Value(1.5), Value(0.5)
        return (a**b).max(b * 4) + abs(-a) + a.leaky_relu() * b.sqrt(), [a, b]

    return [neuron, reused, fused, mlp, pow_and_max]


@pytest.mark.parametrize("build", graph_cases(), ids=lambda f: f.__name__)
def test_backward_steps_give_exactly_backwards_gradients(build):
    root, _ = build()  # two identical graphs: one for backward, one for backward_steps
    root.backward()
    order = topological_order(root)
    expected = [node.grad for node in order]
    twin, _ = build()
    twin_order = topological_order(twin)
    steps = list(backward_steps(twin))
    assert [node.grad for node in twin_order] == expected  # bit for bit
    assert len(steps) == sum(len(node._children) for node in twin_order)
    assert [s.index for s in steps] == list(range(len(steps)))
    for s in steps:
        assert s.contribution == s.local * s.upstream
        assert s.input is s.node._children[s.slot]


def test_backward_steps_accumulate_into_leaves_and_restart_interior_nodes():
    a = Value(1.5, label="a")
    h = a * a
    y = h + a
    y.backward()
    list(backward_steps(y))
    assert a.grad == 2 * (2 * 1.5 + 1)  # leaves: twice one backward's worth
    assert h.grad == 1.0  # interior: this call's only


def test_backward_steps_walk_the_chain_rule_in_backward_order():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    steps = list(backward_steps(y))
    assert [(s.node, s.input, s.slot) for s in steps] == [(y, x, 0), (y, x, 1)]
    assert [s.input_grad for s in steps] == [3.0, 6.0]
    assert isinstance(steps[0], BackwardStep)
    assert str(steps[1]) == (
        "step 1: x <- y: local 3.0000 x upstream 1.0000 = 3.0000; x.grad is now 6.0000"
    )


def test_backward_steps_show_gradients_filling_in_during_the_walk():
    o, v = micrograd_neuron()
    for node in topological_order(o):
        node.grad = 0.0
    walk = backward_steps(o)
    first = next(walk)
    assert first.node is o and first.input is v["n"]
    assert v["n"].grad == first.contribution and v["x1"].grad == 0.0  # not reached yet
    for _ in walk:
        pass
    assert math.isclose(v["x1"].grad, -1.5)


def test_backward_steps_run_hooks_like_backward():
    def build():
        x = Value(2.0)
        h = x * 3
        h.register_hook(lambda g: g * 10)
        return h * h, x

    y1, x1 = build()
    y1.backward()
    y2, x2 = build()
    list(backward_steps(y2))
    assert x2.grad == x1.grad == 2 * 6.0 * 10 * 3


def test_backward_steps_with_a_seed_gradient():
    x = Value(2.0)
    y = x * x
    list(backward_steps(y, grad=0.5))
    assert x.grad == 2.0


def test_backward_steps_under_detect_anomaly_raise_like_backward():
    x = Value(0.0)
    y = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="sqrt"):
        list(backward_steps(y))


def test_backward_steps_of_a_leaf_yields_nothing_and_seeds_it():
    x = Value(1.0)
    assert list(backward_steps(x)) == []
    assert x.grad == 1.0
    assert math.isfinite(x.grad)


def test_backward_steps_under_detect_anomaly_catches_a_leaf_sum_that_overflows_like_backward():
    import pytest

    from autograd import Value, backward_steps, detect_anomaly

    x = Value(1.0, label="x")
    y = x * 1e308 + x * 1e308 + x * 1e308  # each use passes back a finite 1e308
    with detect_anomaly(), pytest.raises(FloatingPointError, match="summed"):
        list(backward_steps(y))


def test_a_backward_steps_walk_given_up_half_way_gives_the_leaves_their_grads_back():
    x = Value(2.0, label="x")
    x.grad = 10.0
    y = x * x
    walk = backward_steps(y)
    next(walk)
    assert x.grad == 12.0  # while it runs: the 10 held before plus this walk's 2 so far
    del walk  # given up: closed by the garbage collector
    assert x.grad == 10.0
    y.backward()
    assert x.grad == 14.0  # 10 held + 2x


def test_save_refuses_a_format_it_cannot_write_naming_the_extension(tmp_path):
    y = Value(2.0, label="x") * 3
    for name in ("g.txt", "g.html", "g.json", "g.bmp"):
        with pytest.raises(ValueError, match=r"save: cannot write \.\w+ files .*use one of \.svg"):
            save(y, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    source = Path(draw_dot(y).save(tmp_path / "g.txt"))  # the graph's own save: graphviz's
    assert source.read_text().startswith("digraph")


def test_save_explains_a_format_dot_cannot_write(tmp_path, monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise subprocess.CalledProcessError(1, ["dot"], stderr=b'Format: "pdf" not recognized.')

    graph = draw_dot(Value(2.0) * 3)
    monkeypatch.setattr(type(graph), "pipe", refuse)
    with pytest.raises(RuntimeError, match=r'save: dot could not write \.pdf .*"pdf" not recog'):
        save(graph, tmp_path / "g.pdf")
    assert not (tmp_path / "g.pdf").exists()


def test_backward_steps_after_a_backward_say_what_the_leaves_end_with():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()  # x.grad is 6
    steps = list(backward_steps(y))
    assert [s.input_grad for s in steps] == [9.0, 12.0]  # it accumulates, as backward does
    assert str(steps[-1]).endswith("x.grad is now 12.0000") and x.grad == 12.0
    drawn = draw_dot(y).source
    assert "grad 12.0000" in drawn and "grad 1.0000" in drawn  # x accumulated, y restarted


def test_backward_steps_end_bit_for_bit_where_backward_ends_after_earlier_grads():
    import random

    rng = random.Random(3)
    for _ in range(50):
        xs = [Value(rng.uniform(-2, 2)) for _ in range(3)]
        ws = [Value(rng.uniform(-2, 2)) for _ in range(3)]
        out = ((xs[0] * ws[0] + xs[1] * ws[1]).tanh() * xs[2] + ws[2] * xs[0]).sigmoid()
        leaves = xs + ws
        start = [rng.uniform(-1, 1) for _ in leaves]
        for leaf, g in zip(leaves, start):
            leaf.grad = g
        out.backward()
        by_backward = [leaf.grad for leaf in leaves]
        for leaf, g in zip(leaves, start):
            leaf.grad = g
        list(backward_steps(out))
        assert [leaf.grad for leaf in leaves] == by_backward
