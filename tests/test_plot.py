"""Tests for nn.plot: each figure's axes, lines and data, drawn headless (Agg)."""

from __future__ import annotations

import math
import sys

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from autograd import Value  # noqa: E402
from nn.layers import MLP  # noqa: E402
from nn.plot import (  # noqa: E402
    plot_activation,
    plot_decision_boundary,
    plot_gradient_flow,
    plot_history,
)
from nn.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def epochs(n: int = 6, val: bool = True, flow: bool = False) -> list[dict]:
    records = []
    for e in range(1, n + 1):
        r = {"epoch": e, "loss": 1.0 / e, "accuracy": 1 - 0.5 / e, "lr": 0.1 * 0.5 ** (e // 3)}
        if val:
            r.update(val_loss=1.2 / e, val_accuracy=1 - 0.6 / e)
        if flow:
            r["grad_flow"] = {
                f"layers.{i}": {"grad": 10.0**-i / e, "weight": 0.5, "dead": 0.0} for i in range(3)
            }
        records.append(r)
    return records


def labelled_lines(ax) -> list:
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


# ---- plot_history ------------------------------------------------------------------------------


def test_history_has_loss_accuracy_and_lr_panels_on_a_shared_epoch_axis():
    fig = plot_history(epochs(), title="run")
    loss, acc, lr = fig.axes
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy", "lr"]
    assert [len(labelled_lines(ax)) for ax in fig.axes] == [2, 2, 1]
    assert loss.get_shared_x_axes().joined(loss, lr)
    assert list(labelled_lines(loss)[1].get_ydata()) == [1.2 / e for e in range(1, 7)]
    assert list(labelled_lines(acc)[0].get_xdata()) == [1, 2, 3, 4, 5, 6]
    assert fig._suptitle.get_text() == "run"


def test_history_from_fit_history_object_and_dict_of_columns():
    h = History()
    h.records += epochs(4, val=False)
    fig = plot_history(h)
    assert [len(labelled_lines(ax)) for ax in fig.axes] == [1, 1, 1]  # no validation lines
    fig = plot_history({"loss": [3.0, 2.0, 1.0]})
    assert len(fig.axes) == 1 and list(fig.axes[0].get_lines()[0].get_ydata()) == [3.0, 2.0, 1.0]


def test_history_skips_epochs_without_a_value():
    records = epochs(4)
    records[0]["val_loss"] = None
    fig = plot_history(records)
    assert list(labelled_lines(fig.axes[0])[1].get_xdata()) == [2, 3, 4]


def test_history_uses_log_axes_when_values_span_decades():
    records = [{"epoch": e, "loss": 10.0**-e, "lr": 10.0**-e} for e in range(1, 6)]
    fig = plot_history(records)
    assert [ax.get_yscale() for ax in fig.axes] == ["log", "log"]


def test_history_errors_name_the_problem():
    with pytest.raises(ValueError, match="empty"):
        plot_history([])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_history([{"epoch": 1, "time": 0.1}])
    with pytest.raises(TypeError, match="per-epoch dicts"):
        plot_history([1.0, 2.0])


def test_a_figure_shows_once_in_jupyter_and_then_leaves_pyplot(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = plot_activation("relu", num=11)
    assert fig.number in plt.get_fignums()  # open, so plt.show() works in a script
    fig._ipython_display_()  # a cell's result, or the backend's end-of-cell show
    assert len(shown) == 1 and shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert fig.number not in plt.get_fignums()  # closed: not drawn a second time
    fig._ipython_display_()  # showing it again later still works
    assert len(shown) == 2


# ---- plot_decision_boundary ------------------------------------------------------------------


def test_decision_boundary_of_a_known_rule_is_where_the_score_changes_sign():
    def model(x):  # score x0 - 0.3: the boundary is the vertical line x0 = 0.3
        return x[0] - 0.3

    X = [[-1.0, -1.0], [1.0, 1.0], [0.0, 1.0], [1.0, -1.0]]
    fig = plot_decision_boundary(model, X, [-1, 1, -1, 1], resolution=41, margin=0.0)
    ax = fig.axes[0]
    line = ax.collections[1]  # [0] the regions, [1] the boundary, [2] the points
    xs = [v[0] for path in line.get_paths() for v in path.vertices]
    assert xs and all(abs(x - 0.3) < 0.06 for x in xs)
    points = ax.collections[-1]
    assert len(points.get_offsets()) == 4
    colours = [tuple(c) for c in points.get_facecolors()]
    assert colours[0] == colours[2] != colours[1] == colours[3]  # by class


def point_colours(fig) -> list[tuple]:
    return [tuple(c) for c in fig.axes[0].collections[-1].get_facecolors()]


@pytest.mark.parametrize(
    "labels, threshold, side",
    [
        ([1, 1], 0.0, 1),  # +1 labels: the positive side, whichever classes y happens to hold
        ([-1, -1], 0.0, 0),
        ([0, 0], 0.0, 0),
        ([1.0, 1.0], 0.5, 1),  # probabilities against 0.5
        ([0.0, 0.0], 0.5, 0),
    ],
)
def test_decision_boundary_with_one_class_colours_points_by_their_label(labels, threshold, side):
    def model(x):  # score x0 - 0.3: the boundary is the vertical line x0 = 0.3
        return x[0] - 0.3

    X = [[-1.0, 0.0], [1.0, 0.0]]
    both = point_colours(plot_decision_boundary(model, X, [-1, 1], resolution=5))
    negative, positive = both  # the two-class colours: class 0, class 1
    one = point_colours(plot_decision_boundary(model, X, labels, resolution=5, threshold=threshold))
    assert one == [positive if side else negative] * 2


def test_decision_boundary_docstring_says_what_it_draws():
    doc = plot_decision_boundary.__doc__
    assert "shaded by the score" not in doc and "flat colour" in doc


def test_decision_boundary_of_an_mlp_runs_in_eval_mode_without_a_graph():
    from nn.layers import Dropout

    calls = []

    class Probe(MLP):
        def forward(self, x):
            calls.append((self.training, isinstance(x[0], Value)))
            out = super().forward(x)
            assert not out._children  # no_grad: nothing recorded
            return out

    model = Probe(2, [4, 1], seed=0)
    model.dropout = Dropout(0.5, seed=0)
    plot_decision_boundary(model, [[0, 0], [1, 1]], [0, 1], resolution=5)
    assert len(calls) == 25 and not any(training for training, _ in calls)
    assert model.training  # restored


def test_decision_boundary_for_several_classes_takes_the_argmax():
    def model(x):  # class 0 left, 1 middle, 2 right
        return [Value(-x[0]), Value(0.5 - abs(x[0])), Value(x[0])]

    X = [[-2.0, 0.0], [0.0, 0.0], [2.0, 0.0]]
    fig = plot_decision_boundary(model, X, [0, 1, 2], resolution=30, title="three")
    ax = fig.axes[0]
    regions = ax.collections[0]
    assert len(regions.get_paths()) == 3 and all(len(p.vertices) for p in regions.get_paths())
    assert len({tuple(c) for c in ax.collections[-1].get_facecolors()}) == 3
    assert ax.get_title() == "three"


def test_decision_boundary_draws_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    out = plot_decision_boundary(lambda x: x[1], [[0, 0], [1, 1]], [0, 1], ax=right, resolution=5)
    assert out is fig and right.collections and not left.collections


def test_decision_boundary_rejects_bad_data():
    with pytest.raises(ValueError, match="2-D points"):
        plot_decision_boundary(lambda x: x[0], [[0, 0, 0]], [1])
    with pytest.raises(ValueError, match="2 points but y has 1"):
        plot_decision_boundary(lambda x: x[0], [[0, 0], [1, 1]], [1])


# ---- plot_gradient_flow ------------------------------------------------------------------------


def test_gradient_flow_of_a_model_is_each_layers_mean_abs_weight_grad():
    model = MLP(2, [8, 8, 8, 1], activation="sigmoid", seed=0)
    model([0.5, -1.0]).backward()
    fig = plot_gradient_flow(model, title="sigmoid")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    heights = [bar.get_height() for bar in ax.patches]
    expected = [
        sum(abs(w.grad) for w in layer.weights()) / len(layer.weights()) for layer in model.layers
    ]
    assert heights == pytest.approx(expected, rel=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"layers.{i}" for i in range(4)]
    assert heights[0] < heights[-1]  # sigmoid layers shrink gradients going back


def test_gradient_flow_marks_layers_with_zero_gradient():
    model = MLP(2, [3, 1], seed=0)
    model([0.5, -1.0]).backward()
    for w in model.layers[0].weights():
        w.grad = 0.0
    ax = plot_gradient_flow(model).axes[0]
    assert ax.patches[0].get_height() > 0  # drawn at a floor, since log(0) is undefined
    assert [t.get_text() for t in ax.texts] == ["0"]


def test_gradient_flow_from_a_history_draws_one_line_per_layer():
    fig = plot_gradient_flow(epochs(5, flow=True))
    ax = fig.axes[0]
    lines = labelled_lines(ax)
    assert [ln.get_label() for ln in lines] == ["layers.0", "layers.1", "layers.2"]
    assert list(lines[2].get_ydata()) == [0.01 / e for e in range(1, 6)]
    assert ax.get_yscale() == "log"


def test_gradient_flow_from_a_history_without_it_says_how_to_record_it():
    with pytest.raises(ValueError, match="track_grad_flow=True"):
        plot_gradient_flow(epochs(3))


# ---- plot_activation ---------------------------------------------------------------------------


def test_activation_and_its_derivative_come_from_the_engine():
    fig = plot_activation("tanh", x_range=(-3, 3), num=61)
    ax = fig.axes[0]
    f, df = labelled_lines(ax)
    assert (f.get_label(), df.get_label()) == ("tanh(x)", "tanh'(x)")
    for x, y, dy in zip(f.get_xdata(), f.get_ydata(), df.get_ydata()):
        assert y == pytest.approx(math.tanh(x), abs=1e-15)
        assert dy == pytest.approx(1 - math.tanh(x) ** 2, abs=1e-15)


def test_activation_from_a_callable_and_relus_derivative():
    fig = plot_activation(lambda v: v * v.sigmoid(), num=11, title="swish")
    assert fig.axes[0].get_title() == "swish"
    assert labelled_lines(fig.axes[0])[0].get_label() == "f(x)"
    relu = labelled_lines(plot_activation("relu", x_range=(-1, 1), num=5).axes[0])[1]
    assert list(relu.get_ydata()) == [0.0, 0.0, 0.0, 1.0, 1.0]  # 0 at 0, as PyTorch


def test_activation_errors_name_the_bad_value():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        plot_activation("gelu")
    with pytest.raises(ValueError, match="x_range"):
        plot_activation("relu", x_range=(1, -1))
    with pytest.raises(TypeError, match="name or a callable"):
        plot_activation(3)


# ---- without matplotlib ------------------------------------------------------------------------


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import now fails
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        plot_history(epochs())


def test_plot_history_draws_no_panel_for_a_constant_learning_rate():
    from nn.plot import plot_history

    constant = [{"epoch": e, "loss": 1 / e, "lr": 0.1} for e in range(1, 6)]
    decaying = [{"epoch": e, "loss": 1 / e, "lr": 0.1 / e} for e in range(1, 6)]
    assert [ax.get_ylabel() for ax in plot_history(constant).axes] == ["loss"]
    assert [ax.get_ylabel() for ax in plot_history(decaying).axes] == ["loss", "lr"]
