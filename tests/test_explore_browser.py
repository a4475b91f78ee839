"""Tests for autograd.explore in a real browser: Debian's chromium, driven by Playwright.

The browser is the system one (``/usr/bin/chromium``); nothing is downloaded. Each test loads
a page from disk, fails on any console error or page error, and on any request that is not
for a local file.
"""

import json
import os
import shutil

import pytest
from _helpers import neuron, shared_and_fused

from autograd import backward_steps, topological_order
from autograd.explore import explore
from autograd.formatting import format_number
from autograd.graph import find_dot

CHROMIUM = "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright; the system chromium is used)"
    if not CHROMIUM:
        return "Debian's chromium is not installed (apt-get install chromium)"
    if find_dot() is None:
        return "Graphviz's dot is not installed (apt-get install graphviz)"
    return ""


pytestmark = pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh page; on teardown, fails if the page logged an error or asked the network."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors, requests = [], []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("request", lambda r: requests.append(r.url))
    yield pg
    context.close()
    assert errors == [], f"console errors: {errors}"
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests


def open_page(page, root, tmp_path, name="explorer.html"):
    path = explore(root).save(tmp_path / name)
    page.goto(path.as_uri())
    page.wait_for_selector(".cr-explorer[data-cr-ready]")
    return int(page.get_attribute('[data-cr="scrub"]', "max"))


def screenshot(page, path):
    page.wait_for_timeout(300)  # let the 0.2 s fade of the last step finish
    page.screenshot(path=str(path), full_page=True)


def frame(page, explorer=".cr-explorer"):
    return int(page.get_attribute(explorer, "data-cr-frame"))


def leaf_grads(page, explorer=".cr-explorer"):
    cells = page.query_selector_all(f"{explorer} [data-cr-leaf-grad]")
    return {c.get_attribute("data-cr-leaf-name"): c.inner_text() for c in cells}


def record_texts(page, index, explorer=".cr-explorer"):
    g = f'{explorer} g[data-cr-node="{index}"][data-cr-part="record"]'
    data = page.text_content(f'{g} text[data-cr-field="data"]')
    grad = page.text_content(f'{g} text[data-cr-field="grad"]')
    return data, grad


@pytest.mark.parametrize("make", [neuron, shared_and_fused])
def test_arrow_keys_step_to_the_end_where_leaf_grads_equal_backward(page, tmp_path, make):
    root, leaves = make()
    last = open_page(page, root, tmp_path)
    root.backward()  # explore left the grads alone: this is a fresh backward()
    order = topological_order(root)
    assert frame(page) == 0
    assert set(leaf_grads(page).values()) == {"\u2014"}  # no grads before the backward pass
    for k in range(1, last + 1):
        page.keyboard.press("ArrowRight")
        assert frame(page) == k
    page.keyboard.press("ArrowRight")  # at the end, stepping stays there
    assert frame(page) == last
    shown = leaf_grads(page)
    for leaf in leaves:
        assert float(shown[leaf.label]) == leaf.grad  # every digit of the engine's float
    for i, node in enumerate(order):  # and every record in the drawing
        want = (f"data {format_number(node.data)}", f"grad {format_number(node.grad)}")
        assert record_texts(page, i) == want
    assert "Done" in page.inner_text('[data-cr="phase"]')
    screenshot(page, tmp_path / "explorer-end.png")
    assert (tmp_path / "explorer-end.png").stat().st_size > 10_000


def test_buttons_step_back_and_jump(page, tmp_path):
    o, leaves = neuron()
    last = open_page(page, o, tmp_path)
    o.backward()
    for k in range(1, 4):
        page.click('[data-cr="step"]')
        assert frame(page) == k
    page.click('[data-cr="back"]')
    assert frame(page) == 2
    page.click('[data-cr="start"]')
    assert frame(page) == 0
    assert record_texts(page, 0) == ("data ?", "grad ?")  # nothing computed at the start
    assert page.is_disabled('[data-cr="back"]')
    page.click('[data-cr="end"]')
    assert frame(page) == last and page.is_disabled('[data-cr="step"]')
    shown = leaf_grads(page)
    assert all(float(shown[leaf.label]) == leaf.grad for leaf in leaves)
    page.keyboard.press("Home")
    assert frame(page) == 0
    page.keyboard.press("End")
    assert frame(page) == last
    page.keyboard.press("ArrowLeft")
    assert frame(page) == last - 1


def test_forward_pass_shows_values_node_by_node(page, tmp_path):
    o, leaves = neuron()
    open_page(page, o, tmp_path)
    order = topological_order(o)
    page.keyboard.press("ArrowRight")  # the leaves are given
    for i, node in enumerate(order):
        known = not node._children
        want = f"data {format_number(node.data)}" if known else "data ?"
        assert record_texts(page, i)[0] == want
    ops = [i for i, node in enumerate(order) if node._children]
    for i in ops:  # then one op node per step, in topological order
        page.keyboard.press("ArrowRight")
        assert record_texts(page, i)[0] == f"data {format_number(order[i].data)}"
        assert "cr-fwd" in page.get_attribute(
            f'g[data-cr-node="{i}"][data-cr-part="record"]', "class"
        )
        narration = page.inner_text('[data-cr="narration"]')
        assert f"{order[i].label or ''}" in narration and format_number(order[i].data) in narration
    screenshot(page, tmp_path / "explorer-forward-end.png")


def test_each_backward_step_shows_local_times_upstream_equals_contribution(page, tmp_path):
    root, _ = shared_and_fused()
    last = open_page(page, root, tmp_path)
    steps = list(backward_steps(root))
    first = last - len(steps)  # the seed frame: root.grad = 1
    page.keyboard.press("End")
    for _ in range(len(steps)):
        page.keyboard.press("ArrowLeft")
    assert frame(page) == first
    assert "grad 1.0000" in record_texts(page, len(topological_order(root)) - 1)[1]
    order = topological_order(root)
    for k, step in enumerate(steps):
        page.keyboard.press("ArrowRight")
        text = page.inner_text('[data-cr="narration"]')
        product = (
            f"{format_number(step.local)} \u00d7 {format_number(step.upstream)} = "
            f"{format_number(step.contribution)}"
        )
        assert "local derivative \u00d7 upstream grad = contribution" in text and product in text
        i_in, i_node = order.index(step.input), order.index(step.node)
        # the step's edges (input -> op, op -> node) light up, dashed in CSS
        lit = page.query_selector_all("g.edge.cr-bwd")
        ends = {(e.get_attribute("data-cr-from"), e.get_attribute("data-cr-to")) for e in lit}
        assert ends == {(str(i_in), str(i_node)), (str(i_node), str(i_node))}
        rec = f'g[data-cr-node="{i_in}"][data-cr-part="record"]'
        assert "cr-in" in page.get_attribute(rec, "class")
        assert record_texts(page, i_in)[1] == f"grad {format_number(step.input_grad)}"
        if k == 1:
            screenshot(page, tmp_path / "explorer-backward-step.png")


def test_hover_and_click_show_label_op_data_grad_and_formula(page, tmp_path):
    o, _ = neuron()
    open_page(page, o, tmp_path)
    page.keyboard.press("End")
    o.backward()
    order = topological_order(o)
    tanh = order.index(o)
    page.hover(f'g[data-cr-node="{tanh}"][data-cr-part="op"]')
    details = page.inner_text('[data-cr="details"]')
    assert "d tanh(x)/dx = 1 - tanh(x)^2" in details
    assert "label" in details and "tanh" in details
    assert repr(o.data) in details and repr(o.grad) in details
    screenshot(page, tmp_path / "explorer-hover.png")
    # a leaf: no local derivative, and its grad
    x1 = order.index(next(n for n in order if n.label == "x1"))
    page.hover(f'g[data-cr-node="{x1}"][data-cr-part="record"]')
    details = page.inner_text('[data-cr="details"]')
    assert "leaf" in details and repr(order[x1].grad) in details
    # a click pins the node: moving away keeps it shown
    page.click(f'g[data-cr-node="{tanh}"][data-cr-part="record"]')
    page.mouse.move(5, 5)
    assert "d tanh(x)/dx = 1 - tanh(x)^2" in page.inner_text('[data-cr="details"]')


def test_space_plays_and_pauses_even_with_a_button_focused(page, tmp_path):
    o, _ = neuron()
    last = open_page(page, o, tmp_path)
    page.select_option('[data-cr="speed"]', "250")
    page.keyboard.press(" ")
    assert page.get_attribute('[data-cr="play"]', "aria-pressed") == "true"
    page.wait_for_function("+document.querySelector('.cr-explorer').dataset.crFrame >= 2")
    page.keyboard.press(" ")
    assert page.get_attribute('[data-cr="play"]', "aria-pressed") == "false"
    paused_at = frame(page)
    page.wait_for_timeout(700)  # longer than a step at this speed
    assert frame(page) == paused_at < last
    # Space on a focused button toggles once (the button is not clicked a second time)
    page.focus('[data-cr="step"]')
    page.keyboard.press(" ")
    assert page.get_attribute('[data-cr="play"]', "aria-pressed") == "true"
    page.keyboard.press(" ")
    assert page.get_attribute('[data-cr="play"]', "aria-pressed") == "false"
    # playing runs to the end and stops there
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.click('[data-cr="play"]')
    page.wait_for_function(
        f"+document.querySelector('.cr-explorer').dataset.crFrame === {last}", timeout=20_000
    )
    assert page.get_attribute('[data-cr="play"]', "aria-pressed") == "false"


# A stand-in for a notebook: outputs inserted as HTML after the page has loaded, the way
# JupyterLab does (innerHTML, then each script re-created so it runs) and the way jQuery-based
# front ends do (the script evaluated before the output is attached to the page).
NOTEBOOK = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div id="cell1"></div><div id="cell2"></div>
<script>
var OUTPUTS = __OUTPUTS__;
window.notebookKeys = 0;
document.addEventListener("keydown", function () { window.notebookKeys++; });
function lab(target, html) {
  target.innerHTML = html;
  target.querySelectorAll("script").forEach(function (old) {
    var s = document.createElement("script");
    for (var i = 0; i < old.attributes.length; i++) {
      s.setAttribute(old.attributes[i].name, old.attributes[i].value);
    }
    s.textContent = old.textContent;
    old.replaceWith(s);
  });
}
function detachedThenAttached(target, html) {
  var holder = document.createElement("div");
  holder.innerHTML = html;
  holder.querySelectorAll("script:not([type])").forEach(function (s) { (0, eval)(s.textContent); });
  setTimeout(function () { target.appendChild(holder); }, 150);
}
lab(document.getElementById("cell1"), OUTPUTS[0]);
detachedThenAttached(document.getElementById("cell2"), OUTPUTS[1]);
</script></body></html>"""


def test_two_inline_outputs_on_one_page_step_independently(page, tmp_path):
    o, leaves = neuron()
    ex = explore(o)
    outputs = json.dumps([ex._repr_html_(), ex._repr_html_()]).replace("</", "<\\/")
    path = tmp_path / "notebook.html"
    path.write_text(NOTEBOOK.replace("__OUTPUTS__", outputs), encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_selector("#cell1 .cr-explorer[data-cr-ready]")
    page.wait_for_selector("#cell2 .cr-explorer[data-cr-ready]")
    first, second = "#cell1 .cr-explorer", "#cell2 .cr-explorer"
    assert page.get_attribute(first, "data-lm-suppress-shortcuts") == "true"
    page.click(f"{first} .cr-title")  # focus the first explorer, as a user would
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert frame(page, first) == 3 and frame(page, second) == 0
    # the explorer keeps its keys: the notebook's own shortcuts never see them
    assert page.evaluate("window.notebookKeys") == 0
    page.click(f'{second} [data-cr="end"]')
    assert frame(page, first) == 3
    o.backward()
    shown = leaf_grads(page, second)
    assert all(float(shown[leaf.label]) == leaf.grad for leaf in leaves)
    assert set(leaf_grads(page, first).values()) == {"\u2014"}
    screenshot(page, tmp_path / "notebook-two-outputs.png")


# ---- fitting the drawing to the page, and zooming ------------------------------------------------


def box_of(page, selector):
    return page.evaluate(
        "s => { const r = document.querySelector(s).getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; }",
        selector,
    )


def scrolls(page, selector):
    """Whether the element has more to show than its box: a scroll bar."""
    return page.evaluate(
        "s => { const g = document.querySelector(s);"
        " return g.scrollWidth > g.clientWidth || g.scrollHeight > g.clientHeight; }",
        selector,
    )


def inside(inner, outer):
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])


def wide_neuron():
    """A neuron of six inputs, labelled throughout: a drawing wider than any of the pages."""
    from autograd import Value

    xs = [Value(0.1 * i, label=f"input x{i}") for i in range(6)]
    ws = [Value(-0.2 * i, label=f"weight w{i}") for i in range(6)]
    total = xs[0] * ws[0]
    total.label = "running sum 0"
    for i in range(1, 6):
        total = total + xs[i] * ws[i]
        total.label = f"running sum {i}"
    out = total.tanh()
    out.label = "output o"
    return out


@pytest.mark.parametrize("width", [1200, 1300, 1400])
def test_the_drawing_fits_the_page_by_default_with_the_output_in_view(page, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    root = wide_neuron()
    open_page(page, root, tmp_path)
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "fit"
    natural = page.evaluate("() => document.querySelector('.cr-graph svg')"
                            ".getAttribute('width')")
    assert float(natural.removesuffix("pt")) * 4 / 3 > width  # wider than the page unfitted
    graph = '[data-cr="graph"]'
    assert not scrolls(page, graph)
    out = len(topological_order(root)) - 1
    record = f'g[data-cr-node="{out}"][data-cr-part="record"]'
    assert inside(box_of(page, record), box_of(page, graph))  # where backward starts
    zoom = page.inner_text('[data-cr="zoom"] option[value="fit"]')
    assert zoom.startswith("fit (") and zoom.endswith("%)")
    screenshot(page, tmp_path / f"explorer-fit-{width}.png")


def test_a_chosen_zoom_stays_while_stepping_and_the_step_scrolls_into_view(page, tmp_path):
    page.set_viewport_size({"width": 1300, "height": 900})
    root = wide_neuron()
    last = open_page(page, root, tmp_path)
    graph = '[data-cr="graph"]'
    page.select_option('[data-cr="zoom"]', "1")
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "1"
    assert scrolls(page, graph)
    steps = len(list(backward_steps(root)))
    page.click('[data-cr="end"]')
    for _ in range(steps):  # back to the seed frame: output.grad = 1
        page.keyboard.press("ArrowLeft")
    assert frame(page) == last - steps
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "1"  # kept while stepping
    out = len(topological_order(root)) - 1
    record = f'g[data-cr-node="{out}"][data-cr-part="record"]'
    assert inside(box_of(page, record), box_of(page, graph))  # scrolled to the output
    page.keyboard.press("-")
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "0.75"
    page.keyboard.press("+")
    page.keyboard.press("+")
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "1.5"
    page.select_option('[data-cr="zoom"]', "fit")
    assert page.get_attribute(".cr-explorer", "data-cr-zoom") == "fit"
    assert inside(box_of(page, record), box_of(page, graph))


def test_a_fitted_drawing_fits_again_when_the_page_narrows(page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 900})
    root = wide_neuron()
    open_page(page, root, tmp_path)
    wide = page.evaluate("document.querySelector('.cr-graph svg').getBoundingClientRect().width")
    page.set_viewport_size({"width": 800, "height": 900})
    page.wait_for_function(
        f"document.querySelector('.cr-graph svg').getBoundingClientRect().width < {wide} - 100"
    )
    graph = '[data-cr="graph"]'
    out = len(topological_order(root)) - 1
    record = f'g[data-cr-node="{out}"][data-cr-part="record"]'
    assert inside(box_of(page, record), box_of(page, graph))
