"""Figures for training: loss curves, decision boundaries, gradient flow, activations, searches.

Each function returns a matplotlib ``Figure`` and works headless (any backend, Agg included).
In Jupyter the figure shows once, whether the call ends the cell or not; in a script use
``fig.savefig("loss.png")`` or ``plt.show()`` (and ``plt.close(fig)`` in long loops, as with
any pyplot figure). Pass ``ax=`` to draw into an Axes of your own figure instead.
matplotlib is an optional extra: ``pip install "chainrule[plot]"``.
"""

from __future__ import annotations

import io
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd import Value, grad, no_grad

from .train import argmax

__all__ = [
    "plot_history",
    "plot_decision_boundary",
    "plot_gradient_flow",
    "plot_activation",
    "plot_search",
    "new_figure",
]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            'nn.plot needs matplotlib, an optional extra: pip install "chainrule[plot]"'
        ) from exc
    return plt


_FIGURE_CLASS: Any = None
_FILE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}  # never show figures


def _figure_class() -> Any:
    """A Figure that shows exactly once in Jupyter, whether or not it ends the cell."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is not None:
        return _FIGURE_CLASS
    from matplotlib.figure import Figure

    class PlotFigure(Figure):
        """A matplotlib Figure; in Jupyter it shows once (never twice) per cell."""

        def _ipython_display_(self) -> None:
            # Called both for a cell's result and by the inline backend's end-of-cell show of
            # open figures: draw it here and close it, so the other one finds nothing to draw.
            import matplotlib
            import matplotlib.pyplot as plt
            from matplotlib._pylab_helpers import Gcf

            is_open = any(m.canvas.figure is self for m in Gcf.get_all_fig_managers())
            backend = matplotlib.get_backend().lower()
            if is_open and "inline" not in backend and backend not in _FILE_BACKENDS:
                return  # a window or widget backend shows its open figures itself
            from IPython.display import Image, display

            buffer = io.BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight")
            display(Image(buffer.getvalue()))
            if is_open:
                plt.close(self)

    _FIGURE_CLASS = PlotFigure
    return PlotFigure


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots(nrows, ncols, **kwargs)`` for a figure that shows once in Jupyter.

    Every figure of nn is made here, so a missing matplotlib is reported one way (naming the
    ``plot`` extra) and no figure shows twice in a notebook.

    >>> fig, ax = new_figure(figsize=(3.0, 2.0))
    >>> type(fig).__name__, [round(x) for x in fig.get_size_inches()]
    ('PlotFigure', [3, 2])
    """
    plt = _pyplot()
    return plt.subplots(nrows, ncols, FigureClass=_figure_class(), **kwargs)


# ---- history ----------------------------------------------------------------------------


def _records(history: Any) -> list[Mapping[str, Any]]:
    """Per-epoch dicts from a History (``.records``), a list of dicts or a dict of columns."""
    if hasattr(history, "records"):
        history = history.records
    if isinstance(history, Mapping):  # {"loss": [...], "val_loss": [...]}
        columns = {k: list(v) for k, v in history.items()}
        n = max((len(v) for v in columns.values()), default=0)
        return [{k: v[i] for k, v in columns.items() if i < len(v)} for i in range(n)]
    records = list(history)
    for r in records:
        if not isinstance(r, Mapping):
            raise TypeError(
                f"plot_history: expected a History or a list of per-epoch dicts, "
                f"got an item of type {type(r).__name__}"
            )
    return records


def _column(records: list[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """(epochs, values) where ``key`` has a number: epochs without one are skipped."""
    xs, ys = [], []
    for i, r in enumerate(records):
        v = r.get(key)
        if isinstance(v, Value):
            v = v.data
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            xs.append(r.get("epoch", i + 1))
            ys.append(float(v))
    return xs, ys


def plot_history(history: Any, title: str | None = None) -> Any:
    """Training curves on a shared epoch axis: loss (train, val), accuracy (train, val), lr.

    ``history`` is what ``nn.train.fit`` returns (its ``.records``), a list of per-epoch
    dicts (keys ``epoch``, ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy``, ``lr``) or a
    dict of columns. A panel is drawn only for what was recorded; lr goes on a log axis when it
    changes more than tenfold.

    >>> records = [{"epoch": e, "loss": 1 / e, "accuracy": 1 - 1 / (e + 1)} for e in range(1, 6)]
    >>> fig = plot_history(records)
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    """
    records = _records(history)
    if not records:
        raise ValueError("plot_history: the history is empty (no epochs recorded)")
    panels = _history_panels(records)
    if not panels:
        raise ValueError(
            "plot_history: nothing to plot; expected per-epoch 'loss', 'accuracy' or 'lr', "
            f"got keys {sorted(records[0])}"
        )
    fig, axes = new_figure(
        len(panels), 1, sharex=True, figsize=(6.4, 2.2 * len(panels) + 0.6), squeeze=False
    )
    for ax, (name, series) in zip(axes[:, 0], panels):
        _history_panel(ax, name, series)
    axes[-1, 0].set_xlabel("epoch")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


Series = list[tuple[str, list[float], list[float]]]  # (key, epochs, values) per curve


def _history_panels(records: list[Mapping[str, Any]]) -> list[tuple[str, Series]]:
    """The panels with something to show: loss, accuracy, lr (unless it stayed constant)."""
    panels: list[tuple[str, Series]] = []
    for name, keys in (
        ("loss", ("loss", "val_loss")),
        ("accuracy", ("accuracy", "val_accuracy")),
        ("lr", ("lr",)),
    ):
        series = [(k, *_column(records, k)) for k in keys]
        series = [s for s in series if s[1]]
        if name == "lr" and series and len(set(series[0][2])) == 1 and len(panels) > 0:
            continue  # a constant learning rate says nothing: no panel for it
        if series:
            panels.append((name, series))
    return panels


_STYLES = {"loss": "C0", "val_loss": "C1", "accuracy": "C0", "val_accuracy": "C1", "lr": "C2"}
_LABELS = {"loss": "train", "val_loss": "validation", "accuracy": "train",
           "val_accuracy": "validation", "lr": "learning rate"}


def _history_panel(ax: Any, name: str, series: Series) -> None:
    """One panel of plot_history: its curves, on a log axis where they span a wide range."""
    for key, xs, ys in series:
        marker = "o" if len(xs) < 20 else None
        ax.plot(
            xs,
            ys,
            color=_STYLES[key],
            label=_LABELS[key],
            marker=marker,
            markersize=3,
            drawstyle="steps-post" if key == "lr" else "default",  # lr changes in steps
        )
    ax.set_ylabel(name)
    ax.grid(True, alpha=0.3)
    if name == "lr":
        lrs = [y for _, _, ys in series for y in ys if y > 0]
        if lrs and max(lrs) > 10 * min(lrs):
            ax.set_yscale("log")
    if name == "loss":
        losses = [y for _, _, ys in series for y in ys]
        if losses and min(losses) > 0 and max(losses) > 100 * min(losses):
            ax.set_yscale("log")  # losses that fall by orders of magnitude
    if len(series) > 1:
        ax.legend(loc="best", fontsize="small")


# ---- decision boundary ------------------------------------------------------------------


def plot_decision_boundary(
    model: Callable[[list[float]], Any],
    X: Sequence[Sequence[Any]],
    y: Sequence[Any],
    ax: Any = None,
    title: str | None = None,
    resolution: int = 80,
    threshold: float = 0.0,
    margin: float = 0.5,
) -> Any:
    """The regions a 2-D classifier assigns to each class, with the data points on top.

    The model is evaluated on a ``resolution`` x ``resolution`` grid under ``no_grad`` (and in
    eval mode, restored after). Each region is filled with its class's flat colour (light);
    the points are drawn in their label's colour, so a point in a region of another colour is
    misclassified. One output: the class is ``score > threshold`` (0 for a score or logit, as
    micrograd's demo; use 0.5 for a probability), with the line ``score = threshold`` drawn
    where it crosses the plot. A point is class 1 when its label is the larger of two labels
    (so -1/+1 and 0/1 both work); when y holds one label only, when that label is
    ``> threshold``. Several outputs: the class is the argmax, and label k is class k.

    >>> from nn.layers import MLP
    >>> model = MLP(2, [4, 1], seed=0)
    >>> fig = plot_decision_boundary(model, [[0, 0], [1, 1], [0, 1]], [-1, 1, 1], resolution=10)
    >>> len(fig.axes[0].collections) >= 2       # the regions and the points
    True
    """
    points, labels = _points_and_labels(X, y, resolution)
    x0s = [p[0] for p in points]
    x1s = [p[1] for p in points]
    lo0, hi0 = min(x0s) - margin, max(x0s) + margin
    lo1, hi1 = min(x1s) - margin, max(x1s) + margin
    g0 = [lo0 + (hi0 - lo0) * i / (resolution - 1) for i in range(resolution)]
    g1 = [lo1 + (hi1 - lo1) * j / (resolution - 1) for j in range(resolution)]
    outputs = _outputs_on_grid(model, g0, g1)
    classes = sorted(set(labels))
    first = outputs[0][0]
    multi = isinstance(first, (list, tuple)) and len(first) > 1
    region, score, n_regions = _regions(outputs, multi, len(classes), threshold)

    plt = _pyplot()
    from matplotlib.colors import ListedColormap

    own = ax is None
    fig, ax = new_figure(figsize=(5.2, 4.6)) if own else (ax.figure, ax)
    colors = [plt.get_cmap("tab10")(k % 10) for k in range(max(n_regions, len(classes)))]
    cmap = ListedColormap(colors[:n_regions])
    levels = [k - 0.5 for k in range(n_regions + 1)]
    ax.contourf(g0, g1, region, levels=levels, cmap=cmap, alpha=0.25)
    if score is not None and min(map(min, score)) < threshold < max(map(max, score)):
        ax.contour(g0, g1, score, levels=[threshold], colors="k", linewidths=1.0)
    point_class = _point_classes(labels, classes, multi, threshold)
    ax.scatter(
        x0s,
        x1s,
        c=[colors[k % len(colors)] for k in point_class],
        s=22,
        edgecolors="k",
        linewidths=0.5,
    )
    ax.set_xlim(lo0, hi0)
    ax.set_ylim(lo1, hi1)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    if title:
        ax.set_title(title)
    if own:
        fig.tight_layout()
    return fig


def _points_and_labels(
    X: Sequence[Sequence[Any]], y: Sequence[Any], resolution: Any  # noqa: N803
) -> tuple[list[list[float]], list[float]]:
    """The points and labels as floats, after plot_decision_boundary's checks."""
    points = [[float(a) for a in row] for row in X]
    labels = [float(t) for t in y]
    if not points or any(len(p) != 2 for p in points):
        raise ValueError("plot_decision_boundary: X must be a non-empty list of 2-D points")
    if len(labels) != len(points):
        raise ValueError(
            f"plot_decision_boundary: X has {len(points)} points but y has {len(labels)} labels"
        )
    if not (isinstance(resolution, int) and resolution >= 2):
        raise ValueError(
            f"plot_decision_boundary: resolution must be an int >= 2, got {resolution!r}"
        )
    return points, labels


def _outputs_on_grid(model: Callable[[list[float]], Any], g0: list[float], g1: list[float]) -> Any:
    """The model at every grid point (rows follow g1), under no_grad and in eval mode."""
    was_training = getattr(model, "training", None)
    if was_training and hasattr(model, "eval"):
        model.eval()  # dropout off while we look at what the model learned
    try:
        with no_grad():
            return [[model([a, b]) for a in g0] for b in g1]
    finally:
        if was_training and hasattr(model, "train"):
            model.train()


def _regions(
    outputs: Any, multi: bool, n_classes: int, threshold: float
) -> tuple[list[list[int]], list[list[float]] | None, int]:
    """(the class of each grid point, the score where there is one output, how many regions).

    Several outputs: the argmax, output k being class k. One output: class 1 where the score
    is above ``threshold``.
    """
    if multi:
        region = [[argmax([float(v) for v in o]) for o in row] for row in outputs]
        return region, None, max(len(outputs[0][0]), n_classes)
    score = [[float(o[0] if isinstance(o, (list, tuple)) else o) for o in row] for row in outputs]
    region = [[1 if s > threshold else 0 for s in row] for row in score]
    return region, score, 2


def _point_classes(labels: list[float], classes: list[float], multi: bool,
                   threshold: float) -> list[int]:
    """A point's colour is its class: for two classes, the larger label is the positive side;
    a single label is placed by the same rule as the regions, label > threshold."""
    if multi:
        return [int(t) for t in labels]
    if len(classes) == 1:
        return [1 if t > threshold else 0 for t in labels]
    return [1 if t == classes[-1] else 0 for t in labels]


# ---- gradient flow ----------------------------------------------------------------------


def _layer_of(name: str) -> str:
    """``layers.1.neurons.3.w.0`` -> ``layers.1``; other names: their first part."""
    parts = name.split(".")
    if len(parts) >= 2 and parts[0] == "layers":
        return ".".join(parts[:2])
    return parts[0] if len(parts) > 1 else "(model)"


def _flow_from_model(model: Any) -> dict[str, float]:
    """Mean |grad| of each layer's weights (biases left out, as fit's grad_flow does)."""
    layers = [
        (name, m)
        for name, m in model.named_modules()
        if name and callable(getattr(m, "weights", None))
    ]
    if layers:
        return {
            name: sum(abs(float(w.grad)) for w in m.weights()) / len(m.weights())
            for name, m in layers
            if m.weights()
        }
    sums: dict[str, list[float]] = {}  # no Layers: group parameters by name instead
    for name, p in model.named_parameters():
        sums.setdefault(_layer_of(name), []).append(abs(float(p.grad)))
    return {layer: sum(gs) / len(gs) for layer, gs in sums.items()}


def plot_gradient_flow(history_or_model: Any, ax: Any = None, title: str | None = None) -> Any:
    """Mean |grad| per layer on a log scale: the picture of vanishing or exploding gradients.

    From a model (after ``backward``): one bar per layer (``layers.0``, ``layers.1``, ...),
    the mean |grad| of its weights.
    From a History recorded with gradient flow (each record's ``grad_flow`` maps a layer name
    to ``{"grad": ..., "weight": ..., "dead": ...}``): one line per layer over the epochs.
    A layer whose bar sits orders of magnitude below the others learns orders of magnitude
    slower.

    >>> from nn.layers import MLP
    >>> model = MLP(2, [8, 8, 1], activation="sigmoid", seed=0)
    >>> model([0.5, -1.0]).backward()
    >>> fig = plot_gradient_flow(model)
    >>> len(fig.axes[0].patches), fig.axes[0].get_yscale()
    (3, 'log')
    """
    own = ax is None
    fig, ax = new_figure(figsize=(6.0, 3.8)) if own else (ax.figure, ax)
    if hasattr(history_or_model, "named_parameters"):
        _flow_bars(ax, history_or_model)
    else:
        _flow_lines(ax, history_or_model)
    ax.set_yscale("log")
    ax.set_ylabel("mean |grad|")
    ax.grid(True, which="both", axis="y", alpha=0.3)
    ax.set_axisbelow(True)  # grid lines behind the bars
    if title:
        ax.set_title(title)
    if own:
        fig.tight_layout()
    return fig


def _flow_bars(ax: Any, model: Any) -> None:
    """One bar per layer: the mean |grad| of its weights now (after backward)."""
    flow = _flow_from_model(model)
    if not flow:
        raise ValueError("plot_gradient_flow: the model has no parameters")
    layers = list(flow)
    values = [flow[k] for k in layers]
    positive = [v for v in values if v > 0 and math.isfinite(v)]
    floor = min(positive) / 10 if positive else 1e-12
    # a zero mean |grad| cannot sit on a log axis: draw it at the floor, marked "0"
    heights = [v if v > 0 and math.isfinite(v) else floor for v in values]
    bars = ax.bar(range(len(layers)), heights, color="C0")
    for bar, v in zip(bars, values):
        if not (v > 0 and math.isfinite(v)):
            bar.set_color("C3")
            ax.annotate(
                "0" if v == 0 else str(v),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
            )
    ax.set_xticks(range(len(layers)))
    ax.set_xticklabels(layers, rotation=30 if len(layers) > 6 else 0)
    ax.set_xlabel("layer (input side first)")


def _flow_lines(ax: Any, history: Any) -> None:
    """One line per layer: its mean |grad| at each epoch fit recorded it."""
    records = _records(history)
    flows = [(r.get("epoch", i + 1), r.get("grad_flow")) for i, r in enumerate(records)]
    flows = [(e, f) for e, f in flows if f]
    if not flows:
        raise ValueError(
            "plot_gradient_flow: this history has no 'grad_flow' entries; record them "
            "during training (fit(..., track_grad_flow=True)) or pass the model itself"
        )
    layers = []
    for _, f in flows:
        for name in f:
            if name not in layers:
                layers.append(name)
    for k, layer in enumerate(layers):
        xs = [e for e, f in flows if layer in f and f[layer].get("grad", 0) > 0]
        ys = [f[layer]["grad"] for e, f in flows if layer in f and f[layer].get("grad", 0) > 0]
        ax.plot(xs, ys, label=layer, color=f"C{k % 10}", marker="o" if len(xs) < 20 else None)
    ax.legend(loc="best", fontsize="small")
    ax.set_xlabel("epoch")


# ---- activations ------------------------------------------------------------------------

_ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": lambda v: v.relu(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "leaky_relu": lambda v: v.leaky_relu(0.01),
    "softplus": lambda v: v.softplus(),
    "linear": lambda v: v,
    "exp": lambda v: v.exp(),
    "sin": lambda v: v.sin(),
    "cos": lambda v: v.cos(),
    "abs": lambda v: abs(v),
}


def plot_activation(
    fn: str | Callable[[Value], Value],
    x_range: tuple[float, float] = (-4.0, 4.0),
    num: int = 401,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """An activation and its derivative, both computed by the engine (``autograd.grad``).

    ``fn`` is a name (relu, tanh, sigmoid, leaky_relu, softplus, linear, exp, sin, cos, abs) or a
    function of one Value. Where the derivative is near 0 (a saturated tanh or sigmoid, a
    ReLU for x < 0) gradients vanish.

    >>> fig = plot_activation("tanh")
    >>> [line.get_label() for line in fig.axes[0].get_lines()[:2]]
    ['tanh(x)', "tanh'(x)"]
    """
    if isinstance(fn, str):
        if fn not in _ACTIVATIONS:
            raise ValueError(
                f"plot_activation: unknown activation {fn!r}; choose one of "
                f"{', '.join(_ACTIVATIONS)}, or pass a function of a Value"
            )
        name, f = fn, _ACTIVATIONS[fn]
    elif callable(fn):
        name, f = getattr(fn, "__name__", "f"), fn
        if name == "<lambda>":
            name = "f"
    else:
        raise TypeError(
            f"plot_activation: fn must be a name or a callable, got {type(fn).__name__}"
        )
    lo, hi = x_range
    if not hi > lo:
        raise ValueError(
            f"plot_activation: x_range must be (low, high) with low < high, got {x_range}"
        )
    if not (isinstance(num, int) and num >= 2):
        raise ValueError(f"plot_activation: num must be an int >= 2, got {num!r}")
    xs = [lo + (hi - lo) * i / (num - 1) for i in range(num)]
    ys = [float(f(Value(x))) for x in xs]
    df = grad(f)
    dys = [float(df(x)) for x in xs]

    own = ax is None
    fig, ax = new_figure(figsize=(5.6, 3.6)) if own else (ax.figure, ax)
    ax.plot(xs, ys, color="C0", label=f"{name}(x)")
    ax.plot(xs, dys, color="C1", linestyle="--", label=f"{name}'(x)")
    ax.axhline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.6", linewidth=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.legend(loc="best")
    ax.grid(True, alpha=0.3)
    ax.set_title(title if title is not None else f"{name} and its derivative")
    if own:
        fig.tight_layout()
    return fig


# ---- search results ---------------------------------------------------------------------


def plot_search(result: Any) -> Any:
    """A search's mean score (bars: std over folds) against each parameter: ``result.plot()``.

    ``result`` is what ``nn.search.grid_search`` or ``random_search`` returns. One panel per
    parameter, every successful trial a point; the best is a red star. Numbers get a numeric
    axis (logarithmic when they span 100x or more, as learning rates do), anything else one
    tick per value.

    >>> from nn.search import SearchResult, Trial
    >>> r = SearchResult([Trial(0, {"lr": 0.1, "act": "relu"}, [0.6, 0.8]),
    ...                   Trial(1, {"lr": 0.01, "act": "tanh"}, [0.7, 0.7])])
    >>> fig = plot_search(r)
    >>> [ax.get_xlabel() for ax in fig.axes], fig.axes[0].get_ylabel()
    (['lr', 'act'], 'accuracy (higher is better)')
    """
    good = [t for t in result.trials if t.ok]
    if not good:
        raise ValueError("SearchResult.plot: no trial finished without an error")
    names = list(dict.fromkeys(name for t in good for name in t.params))
    if not names:
        raise ValueError("SearchResult.plot: the trials have no parameters to plot against")
    fig, axes = new_figure(1, len(names), figsize=(3.6 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        _score_against(ax, name, [t for t in good if name in t.params], result.best_trial)
    better = "higher" if result.greater_is_better else "lower"
    axes[0][0].set_ylabel(f"{result.scoring} ({better} is better)")
    fig.suptitle(f"{result.kind}: {len(result.trials)} trials, {result.n_splits} split(s)")
    fig.tight_layout()
    return fig


def _category_order(values: list[Any], texts: list[str]) -> list[str]:
    """The ticks of a parameter that is not a number, in the same order whichever trials were
    run (a grid and a random search agree): by value where the values compare (widths
    (4,) < (4, 4) < (16,), names a-z), else in the order they first appear.

    >>> _category_order([(16, 16), (4,), (16,), (4,)], ["16,16", "4", "16", "4"])
    ['4', '16', '16,16']
    """
    value_of = dict(zip(texts, values))
    try:
        return sorted(value_of, key=value_of.__getitem__)
    except TypeError:  # values of different kinds: (8,) and "auto"
        return list(value_of)


def _score_against(ax: Any, name: str, trials: list[Any], best: Any) -> None:
    """One panel of plot_search: each trial's mean score against its value of ``name``."""
    values = [t.params[name] for t in trials]
    numeric = all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
        for v in values
    )
    if numeric:
        xs = [float(v) for v in values]
        if min(xs) > 0 and max(xs) >= 100 * min(xs):
            ax.set_xscale("log")
    else:
        texts = [t.param_text(name) for t in trials]
        labels = _category_order(values, texts)
        xs = [float(labels.index(text)) for text in texts]
        ax.set_xticks(range(len(labels)), labels)
    ys = [t.mean_score for t in trials]
    ax.errorbar(xs, ys, yerr=[t.std_score for t in trials], fmt="o", alpha=0.7, capsize=3)
    for x, t in zip(xs, trials):
        if t is best:
            ax.plot([x], [t.mean_score], marker="*", color="red", markersize=14, ls="")
    ax.set_xlabel(name)
    ax.grid(alpha=0.3)
