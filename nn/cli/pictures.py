"""The pictures demo and train leave: one neuron's graph and explorer page, the model's fit."""

from __future__ import annotations

from typing import Any

from autograd import Value

from ..plot import new_figure, plot_decision_boundary
from ..train import predict
from .common import NO_DOT, have_dot, warn
from .datasets import Dataset
from .output import Output


def neuron_pictures(model: Any, X: list[list[float]], names: list[str], out: Output) -> str:
    """neuron.svg and explorer.html: the first hidden neuron on one sample, after backward.

    Drawn unfused (every w_i * x_i is its own node) on the first sample where the neuron is
    active (a ReLU that outputs 0 passes no gradient back, so its picture would show only
    zeros). Its weights are labelled w0, w1, ... and b while drawing. The gradients are those
    of a backward started at the neuron's own output (d neuron / d node), not the training
    loss's, and the picture's title says so. A neuron with too many inputs to draw readably
    is drawn fused (its weighted sum as one node), or skipped with a warning: pictures are
    optional. Without Graphviz's dot it writes neuron.dot instead and warns. Returns a
    one-line description of what was drawn.

    >>> import tempfile
    >>> from nn import MLP
    >>> out = Output(tempfile.mkdtemp())
    >>> neuron_pictures(MLP(2, [3, 1], seed=0), [[1.0, 2.0]], ["x0", "x1"], out)
    'layers.0.neurons.0 on sample 0'
    >>> out.discard()
    """
    neuron = model.layers[0].neurons[0]
    params = neuron.parameters()
    labels = [p.label for p in params]
    was_fused = neuron.fused
    try:
        for i, w in enumerate(neuron.w):
            w.label = f"w{i}"
        if neuron.b is not None:
            neuron.b.label = "b"
        from autograd.explore import DEFAULT_MAX_NODES

        drawn = _neuron_graph(neuron, X, names, DEFAULT_MAX_NODES)
        if drawn is None:
            out.skipped += ["neuron.svg", "explorer.html"]
            warn(f"skipped neuron.svg and explorer.html: the first hidden neuron has {neuron.nin} "
                 f"inputs, too many to draw readably (at most {DEFAULT_MAX_NODES} nodes)")
            return f"none ({neuron.name} has {neuron.nin} inputs, too many to draw)"
        root, what = drawn
        try:
            _write_neuron_pictures(root, params, what, out)
        except (RuntimeError, ValueError) as exc:  # dot failed: the rest of the run stands
            out.skipped += [n for n in ("neuron.svg", "explorer.html") if n not in dict(out.files)]
            warn(f"skipped the neuron's pictures: {str(exc).splitlines()[0] if str(exc) else exc}")
        return what
    finally:
        neuron.fused = was_fused
        for p, label in zip(params, labels):
            p.label = label


def _neuron_graph(
    neuron: Any, X: list[list[float]], names: list[str], max_nodes: int  # noqa: N803
) -> tuple[Value, str] | None:
    """The neuron's graph on its first active sample, after backward from its output, and what
    it shows; unfused if it has at most max_nodes nodes, else fused if that does, else None."""
    from autograd import topological_order

    for fused in (False, True):  # micrograd's graph first: the multiplies a learner expects
        neuron.fused = fused
        chosen, root = 0, None
        for i, row in enumerate(X):
            root = neuron([Value(v, label=names[j]) for j, v in enumerate(row)])
            if root.data != 0.0 or neuron.activation != "relu":
                chosen = i
                break
        else:  # a dead ReLU: show it anyway, its zero gradients are the lesson
            root = neuron([Value(v, label=names[j]) for j, v in enumerate(X[0])])
        if len(topological_order(root)) > max_nodes:
            continue
        for p in neuron.parameters():
            p.grad = 0.0
        root.backward()  # grads: d neuron / d each input and parameter, on this one sample
        what = f"{neuron.name} on sample {chosen}"
        if root.data == 0.0 and neuron.activation == "relu":
            what += " (inactive on every sample: a dead ReLU)"
        return root, what + (" (its weighted sum as one node)" if fused else "")
    return None


def _write_neuron_pictures(root: Value, params: list[Value], what: str, out: Output) -> None:
    """neuron.svg and explorer.html (or neuron.dot without dot), titled with what they show."""
    from autograd import draw_dot
    from autograd.graph import save

    title = f"{what}: grad = d(neuron output) / d(node), from backward() at the neuron's output"
    graph = draw_dot(root, params=params)
    graph.attr(label=f"{title}\\n(not the training loss's gradients)", labelloc="t",
               fontname="Helvetica", fontsize="12")
    if not have_dot():
        out.path("neuron.dot").write_text(graph.source, encoding="utf-8")
        out.wrote("neuron.dot", f"the DOT text of {what} (no dot to render it)")
        out.skipped += ["neuron.svg", "explorer.html"]
        warn(f"{NO_DOT}: skipped neuron.svg and explorer.html, wrote neuron.dot")
        return
    save(graph, out.path("neuron.svg"))
    out.wrote("neuron.svg", f"computation graph of {what}, data and d(neuron)/d(node)")
    from autograd.explore import explore

    page = explore(root, title=f"One neuron of the trained network, {title}", params=params)
    page.save(out.path("explorer.html"))
    out.wrote("explorer.html", "step through its forward and backward pass in a browser")


def outcome_plots(model: Any, ds: Dataset, X_val: list, y_val: list, out: Output) -> None:  # noqa: N803
    """fit.png for a regression, decision_boundary.png for a classifier of 2-D points.

    >>> import tempfile
    >>> from nn import MLP
    >>> ds = Dataset("toy", [[0.0, 1.0], [1.0, 0.0]], [0, 1], "binary", ["x0", "x1"], [0, 1])
    >>> out = Output(tempfile.mkdtemp())
    >>> outcome_plots(MLP(2, [4, 1], seed=0), ds, [], [], out)
    >>> [name for name, _ in out.files]
    ['decision_boundary.png']
    >>> out.discard()
    """
    if ds.task == "regression":
        out.save_figure(_plot_fit(model, ds, X_val, y_val), "fit.png",
                        "the model's predictions against the data")
    elif len(ds.X[0]) == 2:
        threshold = 0.5 if model.output_activation == "sigmoid" else 0.0
        fig = plot_decision_boundary(model, ds.X, ds.y, threshold=threshold, resolution=120,
                                     title=f"{ds.name}: decision regions")
        out.save_figure(fig, "decision_boundary.png", "the regions each class gets, data on top")


def _plot_fit(model: Any, ds: Dataset, X_val: list, y_val: list) -> Any:  # noqa: N803
    """A regression's fit: the curve over the data (1 feature) or predicted vs actual."""
    fig, ax = new_figure(figsize=(6.0, 4.2))
    val_ids = {id(x) for x in X_val}  # train_test_split hands back the same row objects
    X_train = [x for x in ds.X if id(x) not in val_ids]  # noqa: N806
    if len(ds.X[0]) == 1:
        xs = [row[0] for row in ds.X]
        lo, hi = min(xs), max(xs)
        grid = [lo + (hi - lo) * i / 199 for i in range(200)]
        ax.scatter([r[0] for r in X_train], _match(ds, X_train), s=14, color="C0", label="train")
        if X_val:
            ax.scatter([r[0] for r in X_val], y_val, s=14, color="C1", label="validation")
        ax.plot(grid, predict(model, [[g] for g in grid]), color="k", lw=2, label="model")
        ax.set_xlabel(ds.feature_names[0])
        ax.set_ylabel("y")
    else:
        preds = predict(model, ds.X)
        ax.scatter(ds.y, preds, s=14, color="C0")
        lo, hi = min(ds.y + preds), max(ds.y + preds)
        ax.plot([lo, hi], [lo, hi], color="k", lw=1, label="perfect")
        ax.set_xlabel("actual")
        ax.set_ylabel("predicted")
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    ax.set_title(f"{ds.name}: the model's fit")
    fig.tight_layout()
    return fig


def _match(ds: Dataset, rows: list) -> list:
    """The targets of ``rows`` (the same row objects as in ds.X)."""
    lookup = {id(x): t for x, t in zip(ds.X, ds.y)}
    return [lookup[id(x)] for x in rows]
