"""Tests for autograd.explore: the page's content, its embedded steps, and its safety."""

import json
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from _helpers import neuron, shared_and_fused

from autograd import Value, backward_steps, cross_entropy, linear, rms_scale, softmax
from autograd.explore import Explorer, explore, local_derivative_formulas
from autograd.graph import find_dot

pytestmark = pytest.mark.skipif(find_dot() is None, reason="explore draws with Graphviz's dot")


def page_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" data-cr="data">(.*?)</script>', page, re.S)
    assert m, "the page embeds its steps as JSON"

    def no_nan(name):
        raise AssertionError(f"non-JSON constant {name} in the page")

    return json.loads(m.group(1), parse_constant=no_nan)


def page_svg(page: str) -> ET.Element:
    m = re.search(r"<svg\b.*?</svg>", page, re.S)
    assert m, "the page holds one inline SVG"
    svg = re.sub(r"<svg\b", '<svg xmlns="http://www.w3.org/2000/svg"', m.group(0), count=1)
    return ET.fromstring(svg)


class TagChecker(HTMLParser):
    """Every opened element is closed, in order (void elements excepted)."""

    VOID = {"meta", "input", "br", "hr", "img", "link", "source", "col", "area", "wbr"}
    # graphviz's SVG shapes are written as self-closing XML (<path ... />)
    SVG_EMPTY = {"path", "polygon", "polyline", "ellipse", "text", "stop", "rect", "circle"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_page_is_one_well_formed_document():
    o, _ = neuron()
    page = explore(o).html
    assert page.startswith("<!DOCTYPE html>")
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert page.count("<svg") == 1 and page.count("</svg>") == 1
    page_svg(page)  # the SVG part is XML


def test_page_refers_to_no_network_resource():
    o, _ = neuron()
    page = explore(o).html
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(link|iframe|img)\b", page)
    assert not re.search(r"\bsrc\s*=", page)  # no external script, image or frame
    assert "@import" not in page and "url(http" not in page


def test_embedded_forward_pass_lists_nodes_in_topological_order_with_values():
    o, _ = neuron()
    data = page_data(explore(o).html)
    nodes = data["nodes"]
    assert len(nodes) == 10 and data["forward"] == list(range(10))
    for i in data["forward"]:  # every input comes before the node that uses it
        assert all(c < i for c in nodes[i]["children"])
    assert nodes[data["root"]]["name"] == "o"
    assert nodes[data["root"]]["data"] == o.data
    by_name = {n["name"]: n for n in nodes}
    assert by_name["x1"]["data"] == 2.0 and by_name["x1"]["leaf"]
    assert by_name["o"]["expr_names"] == "tanh(n)"
    assert by_name["o"]["formulas"] == ["d tanh(x)/dx = 1 - tanh(x)^2"]


@pytest.mark.parametrize("make", [neuron, shared_and_fused])
def test_embedded_steps_equal_backward_steps(make):
    root, _ = make()
    data = page_data(explore(root).html)
    steps = list(backward_steps(root))
    assert len(data["backward"]) == len(steps) > 0
    index = {id(n): i for i, n in enumerate(_order(root))}
    for got, want in zip(data["backward"], steps):
        assert got["node"] == index[id(want.node)]
        assert got["input"] == index[id(want.input)]
        assert got["slot"] == want.slot
        assert got["local"] == want.local
        assert got["upstream"] == want.upstream
        assert got["contribution"] == want.contribution
        assert got["grad_after"] == want.input_grad
        assert float(got["after_full"]) == want.input_grad


@pytest.mark.parametrize("make", [neuron, shared_and_fused])
def test_final_grads_in_page_equal_backward_grads(make):
    root, leaves = make()
    data = page_data(explore(root).html)
    root.backward()
    order = _order(root)
    for node, shown in zip(order, data["nodes"]):
        assert float(shown["grad_full"]) == node.grad  # the exact float, every digit
    # the last step into each leaf leaves it at its final grad
    last = {}
    for step in data["backward"]:
        last[step["input"]] = step["after_full"]
    for leaf in leaves:
        assert float(last[order.index(leaf)]) == leaf.grad


def test_final_grads_match_pytorch(torch):
    o, (x1, x2, w1, w2, b) = neuron()
    data = page_data(explore(o).html)
    tx = {
        k: torch.tensor(v.data, requires_grad=True)
        for k, v in {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}.items()
    }
    t = torch.tanh(tx["x1"] * tx["w1"] + tx["x2"] * tx["w2"] + tx["b"])
    t.backward()
    shown = {n["name"]: float(n["grad_full"]) for n in data["nodes"]}
    for name, tensor in tx.items():
        assert math.isclose(shown[name], tensor.grad.item(), rel_tol=1e-12, abs_tol=1e-15)


def test_explore_leaves_every_grad_as_it_was():
    o, leaves = neuron()
    for k, leaf in enumerate(leaves):
        leaf.grad = 10.0 + k  # as if earlier backward calls had accumulated
    interior = o._children[0]
    interior.grad = -7.0
    explore(o)
    assert [leaf.grad for leaf in leaves] == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert interior.grad == -7.0 and o.grad == 0.0


def test_explore_shows_fresh_gradients_even_when_leaves_hold_old_ones():
    o, leaves = neuron()
    for leaf in leaves:
        leaf.grad = 100.0
    data = page_data(explore(o).html)
    shown = {n["name"]: float(n["grad_full"]) for n in data["nodes"]}
    for leaf in leaves:
        leaf.grad = 0.0
    o.backward()
    assert all(shown[leaf.label] == leaf.grad for leaf in leaves)


def test_explore_refuses_graphs_above_max_nodes():
    x = Value(0.1, label="x")
    y = x
    for _ in range(30):
        y = y * 1.01
    with pytest.raises(
        ValueError, match=r"explore: the graph has 61 nodes, more than max_nodes=50"
    ):
        explore(y, max_nodes=50)
    with pytest.raises(ValueError, match="collapse"):
        explore(y, max_nodes=50)
    assert isinstance(explore(y, max_nodes=61), Explorer)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_explore_rejects_a_bad_max_nodes(bad):
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        explore(Value(1.0).exp(), max_nodes=bad)


def test_explore_rejects_a_root_that_is_not_a_value():
    with pytest.raises(TypeError, match="explore: root must be a Value, got float"):
        explore(1.0)


def test_every_value_is_a_record_with_data_and_grad_fields_in_the_svg():
    root, _ = shared_and_fused()
    page = explore(root).html
    svg = page_svg(page)
    ns = "{http://www.w3.org/2000/svg}"
    records = {}
    for g in svg.iter(f"{ns}g"):
        if g.get("data-cr-part") == "record":
            fields = {t.get("data-cr-field"): t.text for t in g.iter(f"{ns}text")}
            records[int(g.get("data-cr-node"))] = fields
    data = page_data(page)
    assert sorted(records) == list(range(len(data["nodes"])))
    for i, node in enumerate(data["nodes"]):
        assert records[i]["data"] == "data " + node["data_short"]
        assert records[i]["grad"] == "grad " + node["grad_short"]
    # each step's two edges exist: input -> op oval -> node
    edges = {(g.get("data-cr-from"), g.get("data-cr-to")) for g in svg.iter(f"{ns}g")}
    for step in data["backward"]:
        assert (str(step["input"]), str(step["node"])) in edges
        assert (str(step["node"]), str(step["node"])) in edges


def test_node_used_twice_gets_one_step_per_use():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    data = page_data(explore(y).html)
    steps = data["backward"]
    assert [(s["slot"], s["after_full"]) for s in steps] == [(0, "3.0"), (1, "6.0")]


def test_each_display_gets_its_own_ids():
    o, _ = neuron()
    ex = explore(o)
    a, b = ex._repr_html_(), ex._repr_html_()
    id_a = re.search(r'class="cr-explorer" id="([^"]+)"', a).group(1)
    id_b = re.search(r'class="cr-explorer" id="([^"]+)"', b).group(1)
    assert id_a != id_b
    ids_a = set(re.findall(r'\bid="([^"]+)"', a))
    assert all(i.startswith(id_a) for i in ids_a)  # graphviz's node1, edge1... are prefixed
    assert not set(re.findall(r'\bid="([^"]+)"', b)) & ids_a
    assert ex.html == ex.html  # the saved page is the same every time
    assert "<!DOCTYPE" not in a and "<style>" in a and "<script>" in a


def test_labels_cannot_break_out_of_the_page():
    x = Value(1.0, label="</script><script>alert(1)</script>")
    y = x.exp()
    y.label = "<b>&amp;</b>"
    page = explore(y).html
    assert "<script>alert(1)" not in page and "<b>&amp;</b>" not in page
    names = [n["name"] for n in page_data(page)["nodes"]]
    assert names == ["</script><script>alert(1)</script>", "<b>&amp;</b>"]


def test_non_finite_numbers_travel_as_null_with_their_text():
    x = Value(0.0, label="x")
    y = x.sqrt()  # the slope of sqrt at 0 is infinite
    y.label = "y"
    data = page_data(explore(y).html)
    (step,) = data["backward"]
    assert step["local"] is None and step["local_short"] == "inf"
    assert step["contribution"] is None and data["nodes"][0]["grad_full"] == "inf"


def test_linear_node_names_weights_inputs_and_bias():
    w, b = [Value(2.0, label="w0"), Value(-1.0, label="w1")], Value(0.5, label="b")
    y = linear(w, [3.0, 4.0], b)
    y.label = "y"
    assert local_derivative_formulas(y) == [
        "d(b + sum_j w_j * x_j)/dw0 = x0",
        "d(b + sum_j w_j * x_j)/dw1 = x1",
        "d(b + sum_j w_j * x_j)/dx0 = w0",
        "d(b + sum_j w_j * x_j)/dx1 = w1",
        "d(b + sum_j w_j * x_j)/db = 1",
    ]
    node = page_data(explore(y).html)["nodes"][-1]
    assert node["expr"] == "b + w0 * x0 + w1 * x1"
    assert node["expr_names"] == "b + w0 * 3 + w1 * 4"
    assert node["expr_values"] == "0.5000 + 2.0000 * 3.0000 + -1.0000 * 4.0000"


def test_softmax_node_names_its_own_logit_and_all_logits():
    z = [Value(1.0, label="z0"), Value(2.0, label="z1")]
    p = softmax(z)[0]
    p.label = "p"
    assert local_derivative_formulas(p) == [
        "d(exp(a) / sum_j exp(z_j))/da = s",
        "d(exp(a) / sum_j exp(z_j))/dz0 = -s * softmax(z)_0",
        "d(exp(a) / sum_j exp(z_j))/dz1 = -s * softmax(z)_1",
    ]
    node = page_data(explore(p).html)["nodes"][-1]
    assert node["expr"] == "exp(a) / (exp(z0) + exp(z1))"
    assert node["expr_names"] == "exp(z0) / (exp(z0) + exp(z1))"


def test_cross_entropy_and_rms_scale_nodes_have_formulas_per_input():
    x, y = Value(0.5, label="x"), Value(-1.0, label="y")
    loss = cross_entropy([x, y], 1)
    assert local_derivative_formulas(loss)[0] == "d(log(sum_j exp(z_j)) - a)/da = -1"
    assert local_derivative_formulas(loss)[2] == "d(log(sum_j exp(z_j)) - a)/dz1 = softmax(z)_1"
    r = rms_scale([x, y])
    assert local_derivative_formulas(r) == [
        "d((mean_j x_j^2 + eps)^(-1/2))/dx0 = -r^3 * x0 / 2",
        "d((mean_j x_j^2 + eps)^(-1/2))/dx1 = -r^3 * x1 / 2",
        "d((mean_j x_j^2 + eps)^(-1/2))/deps = -r^3 / 2",
    ]


@pytest.mark.parametrize(
    "make, formula",
    [
        (lambda x: x.tanh(), "d tanh(x)/dx = 1 - tanh(x)^2"),
        (lambda x: x.exp(), "d exp(x)/dx = exp(x)"),
        (lambda x: x.log(), "d log(x)/dx = 1/x"),
        (lambda x: x.sigmoid(), "d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))"),
        (lambda x: x.relu(), "d relu(x)/dx = 1 if x > 0 else 0"),
        (lambda x: x**3, "d(a^n)/da = n * a^(n-1)"),
        (lambda x: x.sin(), "d sin(x)/dx = cos(x)"),
        (lambda x: abs(x), "d|x|/dx = sign(x) (0 at x = 0)"),
    ],
)
def test_local_derivative_formula_of_each_op(make, formula):
    assert local_derivative_formulas(make(Value(0.5)))[0] == formula


def test_every_engine_op_has_a_formula_of_its_own():
    from autograd import RULES

    x, y = Value(0.5), Value(1.5)
    made = {
        "+": x + y,
        "*": x * y,
        "**": x**2,
        "pow": x**y,
        "exp": x.exp(),
        "log": x.log(),
        "sqrt": x.sqrt(),
        "tanh": x.tanh(),
        "sigmoid": x.sigmoid(),
        "softplus": x.softplus(),
        "relu": x.relu(),
        "leaky_relu": x.leaky_relu(),
        "abs": abs(x),
        "sin": x.sin(),
        "cos": x.cos(),
        "max": x.max(y),
        "linear": linear([x], [y]),
        "softmax": softmax([x, y])[0],
        "cross_entropy": cross_entropy([x, y], 1),
        "rms_scale": rms_scale([x, y]),
    }
    assert set(made) == {name for name, rule in RULES.items() if rule.derivative is not None}
    for op, node in made.items():
        formulas = local_derivative_formulas(node)
        assert len(formulas) == len(node._children)
        assert not any("RULES" in f for f in formulas), op  # not the generic fallback


def test_unlabeled_nodes_are_named_by_what_they_compute():
    x = Value(3.0, label="x")
    y = (x * x + 2).tanh()
    names = [n["name"] for n in page_data(explore(y).html)["nodes"]]
    long = (y * y + y * 3).exp()  # too long to spell out: named by position and op
    assert page_data(explore(long).html)["nodes"][-1]["name"].startswith("#")
    # topological order: leaves come before the ops that use them (their exact place may vary)
    assert sorted(names[:2]) == ["2", "x"]
    assert names[2:] == ["(x * x)", "((x * x) + 2)", "tanh((x * x) + 2)"]
    assert explore(y).title == "Backprop explorer"


def test_a_lone_leaf_has_a_forward_pass_and_no_backward_steps():
    x = Value(3.0, label="x")
    data = page_data(explore(x).html)
    assert len(data["nodes"]) == 1 and data["backward"] == []
    assert data["nodes"][0]["grad_full"] == "1.0"  # d x / d x


def test_gradients_that_are_values_are_put_back_untouched():
    x = Value(0.5, label="x")
    y = x.tanh() * x
    y.backward(create_graph=True)  # x.grad is now a Value, part of a graph
    g = x.grad
    data = page_data(explore(y).html)
    assert x.grad is g
    assert float(data["nodes"][0]["grad_full"]) == g.data


def test_save_writes_the_page(tmp_path):
    o, _ = neuron()
    ex = explore(o, title="One neuron")
    path = ex.save(tmp_path / "explorer.html")
    assert path.read_text(encoding="utf-8") == ex.html
    assert "<title>One neuron</title>" in ex.html
    assert repr(ex) == "<Explorer 'One neuron': 10 nodes, 9 backward steps>"


def _order(root):
    from autograd import topological_order

    return topological_order(root)


def test_small_gradients_keep_four_significant_digits_on_the_page():
    # tanh(x*w + b) at x=2, w=-3, b=1: d/dx = -0.00054475, which used to read -0.0005
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(1.0, label="b")
    out = (x * w + b).tanh()
    out.label = "out"
    page = explore(out).html
    data = page_data(page)
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["x"]["grad_short"] == "-0.0005447"
    assert by_name["w"]["grad_short"] == "0.0003632"
    assert by_name["out"]["locals"] == ["0.0001816"]  # 1 - tanh(-5)^2
    into_x = next(s for s in data["backward"] if s["input"] == data["nodes"].index(by_name["x"]))
    shown = (into_x["local_short"], into_x["upstream_short"], into_x["contribution_short"])
    assert shown == ("-3.0000", "0.0001816", "-0.0005447")
    assert (into_x["before_short"], into_x["after_short"]) == ("0.0000", "-0.0005447")
    # the drawing's records say the same as the replayed text
    assert "grad -0.0005447" in [t.text for t in page_svg(page).iter() if t.text]
    for node in data["nodes"]:
        if node["grad"]:
            assert math.isclose(float(node["grad_short"]), node["grad"], rel_tol=5e-4)


def test_page_inlines_the_script_and_styles_of_the_package_data_files():
    from importlib import resources

    page = explore(neuron()[0]).html
    folder = resources.files("autograd") / "explorer"
    for name in ("explorer.css", "explorer.js"):
        text = (folder / name).read_text(encoding="utf-8")
        assert page.count(text.removesuffix("\n")) == 1, f"{name} is not inlined once, whole"


def test_every_explorer_file_is_declared_as_package_data():
    # a file missing from pyproject.toml would be missing from an installed wheel
    import fnmatch
    from pathlib import Path

    import autograd

    tomllib = pytest.importorskip("tomllib")
    root = Path(__file__).resolve().parent.parent
    declared = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = declared["tool"]["setuptools"]["package-data"]["autograd"]
    package = Path(autograd.__file__).parent
    files = [p.relative_to(package).as_posix() for p in (package / "explorer").iterdir()]
    assert sorted(files) == [f"explorer/explorer.{ext}" for ext in ("css", "html", "js")]
    for name in files:
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_page_offers_zoom_levels_and_fits_the_drawing_by_default():
    page = explore(neuron()[0]).html
    select = re.search(r'<select data-cr="zoom">(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="([^"]+)"( selected)?>', select)
    assert options[0] == ("fit", " selected")  # the whole drawing, output included
    assert [v for v, _ in options[1:]] == ["0.5", "0.75", "1", "1.5", "2"]
    assert "zoom" in re.search(r'<span class="cr-keys">(.*?)</span>', page).group(1)
