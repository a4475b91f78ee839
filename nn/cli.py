"""The ``chainrule`` command: train, draw and search from a terminal (demo, train, graph, search).

Exit codes: 0 success, 1 a runtime error (one line, ``chainrule: error: ...``; ``--debug``
shows the traceback), 2 a usage error (argparse), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd import Value

__all__ = ["main", "build_parser", "parse_assignments", "CLIError"]

PROG = "chainrule"


class CLIError(Exception):
    """A runtime error that the command reports as one line: ``chainrule: error: <message>``.

    >>> str(CLIError("--data x.csv: no such file"))
    '--data x.csv: no such file'
    """


# ---- argument types: a bad value is a usage error (exit 2) ------------------------------------


def _int_at_least(least: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its messages
    return parse


def _float_in(low: float, high: float | None = None, low_open: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or (high is not None and value >= high):
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            if high is not None:
                bound += f" and < {high:g}"
            raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text}")
        return value

    parse.__name__ = "float"
    return parse


def _hidden_sizes(text: str) -> list[int]:
    """``"16,16"`` -> [16, 16]; ``"0"`` or ``"none"`` -> [] (no hidden layer)."""
    if text.strip().lower() in ("0", "none", ""):
        return []
    sizes = []
    for part in text.split(","):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected layer sizes like 16,16 (or 0 for none), got {text!r}"
            ) from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"each layer size must be >= 1, got {n} in {text!r}")
        sizes.append(n)
    return sizes


# ---- data: toy sets and the user's CSV ---------------------------------------------------------

DATASETS = {
    # name: (task, default noise, what it is)
    "moons": ("binary", 0.1, "two interleaving half circles"),
    "circles": ("binary", 0.1, "a circle around a smaller one"),
    "spirals": ("multiclass", 0.2, "interleaved spiral arms (3 by default)"),
    "xor": ("binary", 0.0, "points in [-1, 1]^2, class 1 where exactly one coordinate is > 0"),
    "blobs": ("multiclass", 0.0, "Gaussian blobs (3 by default)"),
    "iris": ("multiclass", 0.0, "Fisher's 150 flowers: 4 measurements, 3 species"),
    "sine": ("regression", 0.1, "y = sin(x) + noise on [-pi, pi]"),
}
LOSS_CHOICES = ("hinge", "bce_with_logits", "bce", "cross_entropy", "mse", "l1")
MAX_CLASSES = 20  # integer targets with more distinct values than this are a regression


@dataclass
class Dataset:
    """Features, targets and what kind of problem they pose, ready for training."""

    name: str
    X: list[list[float]]
    y: list[Any]  # class indices 0..k-1, or floats for a regression
    task: str  # "binary", "multiclass" or "regression"
    feature_names: list[str]
    classes: list[Any] = field(default_factory=list)  # the original label of each class index
    mean: list[float] | None = None  # standardisation applied to X, if any
    std: list[float] | None = None

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _read_csv(path: str) -> tuple[list[list[float]], list[float], list[str]]:
    """``data.read_csv``, a missing file or a folder named by its flag: ``--data x.csv: ...``."""
    from . import data

    try:
        return data.read_csv(path)
    except (FileNotFoundError, IsADirectoryError) as exc:
        if exc.errno is not None:  # the system's error, not read_csv's own message
            raise
        raise CLIError(f"--data {exc}") from None


def _csv_dataset(path: str, task: str) -> Dataset:
    X, targets, names = _read_csv(path)
    integral = all(t == int(t) for t in targets)
    distinct = sorted(set(targets))
    if task == "auto":
        task = "classification" if integral and len(distinct) <= MAX_CLASSES else "regression"
    if task == "regression":
        return Dataset(Path(path).name, X, targets, "regression", names[:-1])
    if len(distinct) < 2:
        raise CLIError(f"{path}: the target column has one value ({distinct[0]:g}); need 2 classes")
    if len(distinct) > MAX_CLASSES:
        raise CLIError(
            f"{path}: {len(distinct)} distinct targets is too many classes (at most "
            f"{MAX_CLASSES}); use --task regression"
        )
    index = {c: k for k, c in enumerate(distinct)}
    classes = [int(c) if c == int(c) else c for c in distinct]
    kind = "binary" if len(distinct) == 2 else "multiclass"
    return Dataset(Path(path).name, X, [index[t] for t in targets], kind, names[:-1], classes)


def _toy_dataset(args: argparse.Namespace) -> Dataset:
    from . import data

    name, n, seed = args.dataset or "moons", args.samples, args.seed
    task, default_noise, _ = DATASETS[name]
    noise = default_noise if args.noise is None else args.noise
    k = args.classes
    if k is not None and name not in ("spirals", "blobs"):
        raise CLIError(f"--classes applies to spirals and blobs, not {name}")
    if name == "moons":
        X, y = data.make_moons(n, noise=noise, seed=seed)
    elif name == "circles":
        X, y = data.make_circles(n, noise=noise, factor=0.5, seed=seed)
    elif name == "spirals":
        X, y = data.make_spirals(n, n_classes=k or 3, noise=noise, seed=seed)
    elif name == "xor":
        X, y = data.make_xor(n, noise=noise, seed=seed)
    elif name == "blobs":
        X, y = data.make_blobs(n, centers=k or 3, cluster_std=1.0 + noise, seed=seed)
    elif name == "iris":
        X, y = data.load_iris()
    else:
        X, y = data.make_regression(n, noise=noise, seed=seed)
    if task == "regression":
        return Dataset(name, X, y, task, ["x"])
    n_classes = max(y) + 1
    task = "binary" if n_classes == 2 else "multiclass"
    names = data.IRIS_FEATURE_NAMES if name == "iris" else [f"x{j}" for j in range(len(X[0]))]
    return Dataset(name, X, y, task, list(names), list(range(n_classes)))


def _load_data(args: argparse.Namespace, stats: dict[str, Any] | None = None) -> Dataset:
    """The data the flags name, standardised when asked (or as the saved model was)."""
    from . import data

    if args.data is not None:
        ds = _csv_dataset(args.data, args.task)
        if stats and stats.get("classes") and ds.task != "regression":
            ds = _relabel(ds, stats["classes"], args.data)
    else:
        ds = _toy_dataset(args)
    if stats is not None and stats.get("mean") is not None:
        if len(stats["mean"]) != len(ds.X[0]):
            raise CLIError(
                f"the model was trained on {len(stats['mean'])} features but {ds.name} has "
                f"{len(ds.X[0])} (another architecture)"
            )
        ds.X, ds.mean, ds.std = data.standardize(ds.X, stats["mean"], stats["std"])
        return ds
    standardize = args.standardize
    if standardize is None:  # features in their own units (cm, a user's columns): scale them
        standardize = stats is None and (args.data is not None or ds.name == "iris")
    if standardize:
        ds.X, ds.mean, ds.std = data.standardize(ds.X)
    return ds


def _relabel(ds: Dataset, classes: list[Any], path: str) -> Dataset:
    """Map a CSV's targets to the class indices a saved model was trained with."""
    index = {float(c): k for k, c in enumerate(classes)}
    unknown = sorted({ds.classes[t] for t in ds.y if float(ds.classes[t]) not in index})
    if unknown:
        raise CLIError(f"{path}: targets {unknown} are not among the model's classes {classes}")
    ds.y = [index[float(ds.classes[t])] for t in ds.y]
    ds.classes = list(classes)
    ds.task = "binary" if len(classes) == 2 else "multiclass"
    return ds


# ---- losses and targets ------------------------------------------------------------------------


def _default_loss(task: str) -> str:
    return {"binary": "bce_with_logits", "multiclass": "cross_entropy"}.get(task, "mse")


def _check_loss(loss: str, ds: Dataset) -> None:
    allowed = {
        "binary": ("hinge", "bce_with_logits", "bce", "cross_entropy", "mse", "l1"),
        "multiclass": ("cross_entropy", "mse", "l1"),
        "regression": ("mse", "l1"),
    }[ds.task]
    if loss not in allowed:
        raise CLIError(
            f"--loss {loss} does not fit {ds.name} ({_task_words(ds)}); use one of "
            f"{', '.join(allowed)}"
        )


def _task_words(ds: Dataset) -> str:
    if ds.task == "regression":
        return "a regression"
    return f"{ds.n_classes}-class classification"


def _n_outputs(loss: str, ds: Dataset) -> int:
    if ds.task == "regression":
        return 1
    if loss == "cross_entropy" or (loss in ("mse", "l1") and ds.n_classes > 2):
        return ds.n_classes
    return 1


def _targets(loss: str, ds: Dataset) -> list[Any]:
    """The targets each loss expects: -1/+1 for hinge, 0/1 for bce, indices, one-hot, floats."""
    if ds.task == "regression":
        return [float(t) for t in ds.y]
    if loss == "hinge":
        return [2.0 * t - 1.0 for t in ds.y]
    if loss == "cross_entropy":
        return list(ds.y)
    if loss in ("mse", "l1") and ds.n_classes > 2:
        return [[1.0 if k == t else 0.0 for k in range(ds.n_classes)] for t in ds.y]
    return [float(t) for t in ds.y]


# ---- optional dependencies --------------------------------------------------------------------


def _require_matplotlib(command: str) -> None:
    try:
        import matplotlib
    except ImportError:
        raise CLIError(
            f'{command} draws its plots with matplotlib: pip install "chainrule[plot]"'
        ) from None
    matplotlib.use("Agg")  # files only: no window, works without a display


def _require_tqdm(command: str) -> None:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        raise CLIError(
            f'{command} shows a progress bar with tqdm: pip install "chainrule[progress]" '
            "(or pass --no-progress)"
        ) from None


def _have_dot() -> bool:
    from autograd import graph

    return graph.find_dot() is not None


NO_DOT = (
    "Graphviz's dot program was not found (install it: apt-get install graphviz, "
    "brew install graphviz, or pip install graphviz-pure)"
)


# ---- writing results ---------------------------------------------------------------------------


class _Output:
    """The output folder and the files written to it, with a one-line note for each.

    Files are written into a staging folder first and moved into the output folder by
    ``finish()``, so a run that fails or is interrupted part way (a --save that is refused, a
    diverged model, Ctrl-C) leaves the output folder as it was, not half old and half new.
    """

    _open: list[_Output] = []  # not finished yet: main() removes their staging folders

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise CLIError(f"--out {folder}: exists and is not a folder")
        self.files: list[tuple[str, str]] = []
        self.skipped: list[str] = []
        self._staging: Path | None = None
        _Output._open.append(self)

    def path(self, name: str) -> Path:
        """Where to write ``name`` until finish() moves it into the output folder."""
        if self._staging is None:
            # in the output folder, or the nearest folder above it that exists: the same
            # file system, so finish() can move each file with one atomic rename
            near = self.folder.absolute()
            while not near.is_dir():
                near = near.parent
            self._staging = Path(tempfile.mkdtemp(prefix=f".{PROG}-staging-", dir=near))
        return self._staging / name

    def wrote(self, name: str, note: str) -> None:
        self.files.append((name, note))

    def save_figure(self, fig: Any, name: str, note: str) -> None:
        import matplotlib.pyplot as plt

        fig.savefig(self.path(name), dpi=120)
        plt.close(fig)
        self.wrote(name, note)

    def finish(self) -> str:
        """Move every file written into the output folder; returns the report of them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._staging is not None:
            for staged in sorted(self._staging.iterdir()):
                os.replace(staged, self.folder / staged.name)
        self.discard()
        width = max((len(name) for name, _ in self.files), default=0)
        lines = [f"wrote to {self.folder}{os.sep}:"]
        lines += [f"  {name.ljust(width)}  {note}" for name, note in self.files]
        return "\n".join(lines)

    def discard(self) -> None:
        """Remove the staging folder and what is left in it (after finish: nothing)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self in _Output._open:
            _Output._open.remove(self)


def _versions() -> dict[str, Any]:
    from importlib import metadata

    out: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("chainrule", "matplotlib", "tqdm", "graphviz"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    from autograd import graph

    out["dot"] = graph.find_dot()
    return out


def _json_safe(x: Any) -> Any:
    """JSON has no NaN or infinity: a diverged run records them as the strings "nan", "inf"."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def _write_json(path: Path, document: dict[str, Any]) -> None:
    text = json.dumps(_json_safe(document), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _write_summary(
    out: _Output, summary: dict[str, Any], train_time: float, started: float
) -> None:
    """summary.json for demo and train: ``summary``, then wall times, versions, the files
    written (this one included) and those skipped; then the report of every file written."""
    summary["wall_time_s"] = {"train": train_time, "total": time.perf_counter() - started}
    summary["versions"] = _versions()
    summary["files"] = [name for name, _ in out.files] + ["summary.json"]
    summary["skipped"] = out.skipped
    _write_json(out.path("summary.json"), summary)
    out.wrote("summary.json", "config, seed, metrics, wall time and versions")
    print(out.finish())


def _neuron_pictures(model: Any, X: list[list[float]], names: list[str], out: _Output) -> str:
    """neuron.svg and explorer.html: the first hidden neuron on one sample, after backward.

    Drawn unfused (every w_i * x_i is its own node) on the first sample where the neuron is
    active (a ReLU that outputs 0 passes no gradient back, so its picture would show only
    zeros). Its weights are labelled w0, w1, ... and b while drawing (the title names the
    neuron). Returns a one-line description of what was drawn.
    """
    from autograd import draw_dot
    from autograd.graph import save

    neuron = model.layers[0].neurons[0]
    params = neuron.parameters()
    labels = [p.label for p in params]
    was_fused = neuron.fused
    neuron.fused = False  # micrograd's graph: the multiplies a learner expects to see
    try:
        for i, w in enumerate(neuron.w):
            w.label = f"w{i}"
        if neuron.b is not None:
            neuron.b.label = "b"
        chosen, root = 0, None
        for i, row in enumerate(X):
            root = neuron([Value(v, label=names[j]) for j, v in enumerate(row)])
            if root.data != 0.0 or neuron.activation != "relu":
                chosen = i
                break
        else:  # a dead ReLU: show it anyway, its zero gradients are the lesson
            root = neuron([Value(v, label=names[j]) for j, v in enumerate(X[0])])
        model.zero_grad()
        root.backward()  # grads: d neuron / d each input and parameter, on this one sample
        what = f"{neuron.name} on sample {chosen}"
        if root.data == 0.0 and neuron.activation == "relu":
            what += " (inactive on every sample: a dead ReLU)"
        graph = draw_dot(root, params=params)
        if not _have_dot():
            out.path("neuron.dot").write_text(graph.source, encoding="utf-8")
            out.wrote("neuron.dot", f"the DOT text of {what} (no dot to render it)")
            out.skipped += ["neuron.svg", "explorer.html"]
            _warn(f"{NO_DOT}: skipped neuron.svg and explorer.html, wrote neuron.dot")
            return what
        save(graph, out.path("neuron.svg"))
        out.wrote("neuron.svg", f"computation graph of {what}, data and grads")
        from autograd.explore import explore

        page = explore(root, title=f"One neuron of the trained network: {what}", params=params)
        page.save(out.path("explorer.html"))
        out.wrote("explorer.html", "step through its forward and backward pass in a browser")
        return what
    finally:
        neuron.fused = was_fused
        for p, label in zip(params, labels):
            p.label = label


def _plot_fit(model: Any, ds: Dataset, X_val: list, y_val: list) -> Any:  # noqa: N803
    """A regression's fit: the curve over the data (1 feature) or predicted vs actual."""
    from .plot import new_figure
    from .train import predict

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


def _plot_records(history: Any) -> list[dict[str, Any]]:
    """The history for plot_history, without the learning-rate panel when the rate never moved."""
    records = history.to_list()
    if len({r.get("lr") for r in records}) <= 1:
        for r in records:
            r.pop("lr", None)
    return records


def _match(ds: Dataset, rows: list) -> list:
    lookup = {id(x): t for x, t in zip(ds.X, ds.y)}
    return [lookup[id(x)] for x in rows]


# ---- messages ----------------------------------------------------------------------------------


def _warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def _show_warning(message: Any, category: Any, filename: str, lineno: int, *rest: Any) -> None:
    _warn(str(message).splitlines()[0])


def _percent(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


# ---- demo ---------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    """micrograd's demo: MLP(2, [16, 16, 1]) on two moons, hinge loss, SGD with a decaying rate."""
    started = time.perf_counter()
    _require_matplotlib("demo")
    if not args.no_progress:
        _require_tqdm("demo")
    out = _Output(args.out)

    from . import data, optim
    from .layers import MLP
    from .losses import l2_penalty
    from .plot import plot_decision_boundary, plot_history
    from .train import evaluate, fit

    n, alpha, seed, epochs = 100, 1e-4, args.seed, args.epochs
    X, labels = data.make_moons(n, noise=0.1, seed=seed)
    y = [2.0 * t - 1.0 for t in labels]  # hinge loss labels: -1 and +1
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=1.0)
    # micrograd: lr = 1.0 - 0.9 * k / 100 at step k, i.e. linearly from 1.0 to 0.1
    sched = optim.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=epochs)
    print(
        f"{PROG} demo: MLP(2, [16, 16, 1]) ({len(model.parameters())} parameters) on {n} "
        f"two-moons points; hinge loss + {alpha:g} L2, SGD with lr 1.0 -> 0.1 over {epochs} "
        f"steps, seed {seed}",
        flush=True,
    )
    t0 = time.perf_counter()
    history = fit(
        model, X, y, loss="hinge", optimizer=opt, scheduler=sched, epochs=epochs, l2=alpha,
        progress=not args.no_progress, seed=seed,
    )
    train_time = time.perf_counter() - t0
    final = evaluate(model, X, y, loss="hinge")
    reg = l2_penalty(model.parameters(), alpha).data
    loss = final["loss"] + reg
    correct = round(final["accuracy"] * n)
    print(
        f"final: loss {loss:.4f} (hinge {final['loss']:.4f} + L2 {reg:.4f}), "
        f"accuracy {_percent(final['accuracy'])} ({correct}/{n}); trained in {train_time:.1f} s"
    )

    out.save_figure(
        plot_history(history, title="micrograd's demo: two moons"),
        "loss.png", "loss and accuracy at each step (and the learning rate)",
    )
    out.save_figure(
        plot_decision_boundary(
            model, X, y, resolution=120,
            title=f"decision boundary: {_percent(final['accuracy'])} correct",
        ),
        "decision_boundary.png", "the two classes the network carves out, the points on top",
    )
    drawn = _neuron_pictures(model, X, ["x0", "x1"], out)
    summary = {
        "command": "demo",
        "config": {
            "dataset": "moons", "samples": n, "noise": 0.1, "model": "MLP(2, [16, 16, 1])",
            "activation": "relu", "loss": "hinge", "l2": alpha, "optimizer": "sgd",
            "lr": {"start": 1.0, "end": 0.1, "schedule": "linear"}, "epochs": epochs,
            "batch_size": None, "neuron_drawn": drawn,
        },
        "seed": seed,
        "metrics": {
            "loss": loss, "data_loss": final["loss"], "l2_loss": reg,
            "accuracy": final["accuracy"], "epochs": len(history),
            "history": {k: history[k] for k in ("loss", "accuracy", "lr", "grad_norm")},
        },
    }
    _write_summary(out, summary, train_time, started)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


# ---- train --------------------------------------------------------------------------------------


def _make_optimizer(args: argparse.Namespace, params: list[Value]) -> Any:
    from . import optim

    name = args.optimizer
    if name != "sgd" and (args.momentum is not None or args.nesterov):
        raise CLIError(f"--momentum and --nesterov apply to --optimizer sgd, not {name}")
    lr = args.lr if args.lr is not None else {"sgd": 0.1, "adam": 0.05, "adamw": 0.05}[name]
    wd = args.weight_decay
    if name == "sgd":
        momentum = args.momentum or 0.0
        if args.nesterov and momentum == 0:
            raise CLIError("--nesterov needs --momentum > 0")
        return optim.SGD(params, lr=lr, momentum=momentum, nesterov=args.nesterov,
                         weight_decay=wd or 0.0)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd or 0.0)
    return optim.AdamW(params, lr=lr, weight_decay=0.01 if wd is None else wd)


def _make_scheduler(args: argparse.Namespace, opt: Any) -> Any:
    from . import optim

    kind, epochs = args.schedule, args.epochs
    after_warmup = max(1, epochs - (args.warmup or 0))
    sched = None
    if kind == "step":
        gamma = 0.1 if args.gamma is None else args.gamma
        sched = optim.StepLR(opt, step_size=args.step_size or max(1, after_warmup // 3),
                             gamma=gamma)
    elif kind == "exponential":
        sched = optim.ExponentialLR(opt, gamma=0.95 if args.gamma is None else args.gamma)
    elif kind == "cosine":
        sched = optim.CosineAnnealingLR(opt, T_max=after_warmup)
    elif kind == "linear":
        end = 0.1 if args.gamma is None else args.gamma
        if not 0 < end <= 1:
            raise CLIError(
                f"--schedule linear: --gamma (the final lr factor) must be in (0, 1], got {end}"
            )
        sched = optim.LinearLR(opt, start_factor=1.0, end_factor=end, total_iters=after_warmup)
    elif args.gamma is not None or args.step_size is not None:
        raise CLIError("--gamma and --step-size need --schedule step, exponential or linear")
    if args.warmup:
        sched = optim.LinearWarmup(opt, warmup_steps=args.warmup, after=sched)
    return sched


def _model_flags_given(args: argparse.Namespace) -> dict[str, Any]:
    return {
        k: getattr(args, k)
        for k in ("hidden", "activation", "init", "dropout")
        if getattr(args, k) is not None
    }


def _cmd_train(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _require_matplotlib("train")
    if not args.no_progress and args.load is None:
        _require_tqdm("train")
    if args.load is not None:
        return _evaluate_saved(args, started)
    _check_save_path(args.save)
    out = _Output(args.out)

    from . import data
    from .layers import MLP
    from .plot import plot_gradient_flow, plot_history
    from .train import EarlyStopping, evaluate, fit

    ds = _load_data(args)
    loss = args.loss or _default_loss(ds.task)
    _check_loss(loss, ds)
    targets = _targets(loss, ds)
    hidden = [16, 16] if args.hidden is None else args.hidden
    nout = _n_outputs(loss, ds)
    model = MLP(
        len(ds.X[0]), [*hidden, nout], activation=args.activation or "relu",
        output_activation="sigmoid" if loss == "bce" else None, init=args.init or "uniform",
        dropout=args.dropout or 0.0, seed=args.seed,
    )
    opt = _make_optimizer(args, model.parameters())
    sched = _make_scheduler(args, opt)

    X_tr, y_tr, val = ds.X, targets, None  # noqa: N806
    X_val: list = []  # noqa: N806
    y_val: list = []
    if args.val_split > 0:
        stratify = ds.y if ds.task != "regression" else None
        try:
            X_tr, X_val, y_tr, y_val = data.train_test_split(  # noqa: N806
                ds.X, targets, test_size=args.val_split, seed=args.seed, stratify=stratify
            )
        except ValueError as exc:
            raise CLIError(f"--val-split {args.val_split}: {exc}") from None
        val = (X_val, y_val)
    callbacks = []
    if args.patience is not None:
        if val is None:
            raise CLIError("--patience watches the validation loss: it needs --val-split > 0")
        callbacks.append(EarlyStopping("val_loss", patience=args.patience))
    opt_name = f"{args.optimizer} lr {opt.param_groups[0]['lr']:g}"
    split = f"{len(X_tr)} train / {len(X_val)} validation" if val else f"{len(X_tr)} train"
    print(
        f"{PROG} train: {ds.name} ({_task_words(ds)}, {split}), "
        f"MLP({len(ds.X[0])}, {[*hidden, nout]}) {args.activation or 'relu'}, "
        f"{len(model.parameters())} parameters; loss {loss}, {opt_name}, {args.epochs} epochs"
        + (f", batch {args.batch_size}" if args.batch_size else ""),
        flush=True,
    )
    t0 = time.perf_counter()
    history = fit(
        model, X_tr, y_tr, loss=loss, optimizer=opt, epochs=args.epochs,
        batch_size=args.batch_size, scheduler=sched, clip_grad_norm=args.clip_grad_norm,
        l2=args.l2, val_data=val, callbacks=callbacks, progress=not args.no_progress,
        seed=args.seed, track_grad_flow=args.grad_flow,
    )
    train_time = time.perf_counter() - t0
    train_metrics = evaluate(model, X_tr, y_tr, loss=loss)
    val_metrics = evaluate(model, X_val, y_val, loss=loss) if val else None
    stopped = f" (early stop at epoch {len(history)})" if history.stopped_early else ""
    print(f"final: {_metric_line('train', train_metrics)}"
          + (f"; {_metric_line('validation', val_metrics)}" if val_metrics else "")
          + f"; trained in {train_time:.1f} s{stopped}")

    out.save_figure(plot_history(_plot_records(history), title=f"{ds.name}: training"), "loss.png",
                    "loss (and accuracy) per epoch, train and validation")
    _outcome_plots(model, ds, X_val, y_val, out)
    if args.grad_flow:
        out.save_figure(plot_gradient_flow(history, title="gradient flow"), "grad_flow.png",
                        "mean |grad| of each layer's weights per epoch")
    drawn = _neuron_pictures(model, ds.X, ds.feature_names, out)
    config = _train_config(args, ds, loss, hidden, nout, opt)
    config["neuron_drawn"] = drawn
    if args.save is not None:
        _save_model(model, args.save, ds, loss)
    summary = {
        "command": "train",
        "config": config,
        "seed": args.seed,
        "metrics": {
            "train": train_metrics, "validation": val_metrics, "epochs": len(history),
            "stopped_early": history.stopped_early,
            "history": {k: history[k] for k in history.columns if k not in ("time", "grad_flow")},
        },
    }
    _write_summary(out, summary, train_time, started)
    if args.save is not None:
        again = f"--data {args.data} " if args.data else ""
        print(f"saved the model to {args.save} "
              f"(evaluate it: {PROG} train {again}--load {args.save})")
    return 0


def _metric_line(name: str, metrics: dict[str, float]) -> str:
    text = f"{name} loss {metrics['loss']:.4f}"
    if "accuracy" in metrics:
        text += f", accuracy {_percent(metrics['accuracy'])}"
    return text


def _outcome_plots(model: Any, ds: Dataset, X_val: list, y_val: list, out: _Output) -> None:  # noqa: N803
    from .plot import plot_decision_boundary

    if ds.task == "regression":
        out.save_figure(_plot_fit(model, ds, X_val, y_val), "fit.png",
                        "the model's predictions against the data")
    elif len(ds.X[0]) == 2:
        threshold = 0.5 if model.output_activation == "sigmoid" else 0.0
        fig = plot_decision_boundary(model, ds.X, ds.y, threshold=threshold, resolution=120,
                                     title=f"{ds.name}: decision regions")
        out.save_figure(fig, "decision_boundary.png", "the regions each class gets, data on top")


def _train_config(args: argparse.Namespace, ds: Dataset, loss: str, hidden: list[int],
                  nout: int, opt: Any) -> dict[str, Any]:
    return {
        "dataset": ds.name, "data": args.data, "samples": len(ds.X), "task": ds.task,
        "classes": ds.classes, "features": ds.feature_names,
        "noise": None if args.data else args.noise, "standardized": ds.mean is not None,
        "model": f"MLP({len(ds.X[0])}, {[*hidden, nout]})", "hidden": hidden,
        "activation": args.activation or "relu", "init": args.init or "uniform",
        "dropout": args.dropout or 0.0, "loss": loss, "optimizer": args.optimizer,
        "lr": opt.defaults["lr"], "momentum": args.momentum, "nesterov": args.nesterov,
        "weight_decay": opt.defaults.get("weight_decay"), "schedule": args.schedule,
        "warmup": args.warmup, "epochs": args.epochs, "batch_size": args.batch_size,
        "l2": args.l2, "clip_grad_norm": args.clip_grad_norm, "val_split": args.val_split,
        "patience": args.patience,
    }


CLI_KEY = "chainrule_cli"  # what the CLI adds to a model file: how to prepare data for it


def _check_save_path(path: str | None) -> None:
    """Refuse a --save path that cannot work before training, not after it."""
    from .module import save_target

    if path is None:
        return
    try:
        save_target(path, f"--save {path}")  # the checks Module.save makes, made before training
    except OSError as exc:
        raise CLIError(exc.strerror if exc.errno is not None else str(exc)) from None


def _save_model(model: Any, path: str, ds: Dataset, loss: str) -> None:
    """``model.save(path)`` plus what evaluating it later needs (loss, classes, scaling)."""
    evaluation = {
        "dataset": ds.name, "task": ds.task, "loss": loss, "classes": ds.classes,
        "features": ds.feature_names, "mean": ds.mean, "std": ds.std,
    }
    try:
        model.save(path, extra={CLI_KEY: evaluation})
    except OSError as exc:
        raise CLIError(f"--save {path}: {exc.strerror or exc}") from None


def _evaluate_saved(args: argparse.Namespace, started: float) -> int:
    """``train --load``: evaluate a saved model on the data the flags name; no training."""
    from .module import load_model
    from .train import evaluate

    path = args.load
    if not Path(path).exists():
        raise CLIError(f"--load {path}: no such file")
    model = load_model(path)  # ValueError with the file's problem, reported as one line
    if not hasattr(model, "layers"):
        raise CLIError(f"--load {path}: holds a {type(model).__name__}, expected an MLP")
    meta = json.loads(Path(path).read_text(encoding="utf-8")).get(CLI_KEY) or {}
    if args.dataset is None and args.data is None and meta.get("dataset") in DATASETS:
        args.dataset = meta["dataset"]  # evaluate on the toy set it was trained on
    arch = model.architecture()
    given = _model_flags_given(args)
    mismatch = []
    if "hidden" in given and given["hidden"] != arch["nouts"][:-1]:
        mismatch.append(f"--hidden {','.join(map(str, given['hidden'])) or 0} but the file has "
                        f"{arch['nouts'][:-1]}")
    if "activation" in given and given["activation"] != arch["activation"]:
        mismatch.append(f"--activation {given['activation']} but the file has "
                        f"{arch['activation']}")
    if mismatch:
        raise CLIError(f"--load {path}: another architecture: {'; '.join(mismatch)}")
    ds = _load_data(args, meta)
    loss = args.loss or meta.get("loss") or _default_loss(ds.task)
    try:
        _check_loss(loss, ds)
    except CLIError:
        if args.loss:
            raise
        trained = f"{meta.get('dataset')!r} ({meta.get('task')})" if meta else "another task"
        raise CLIError(
            f"--load {path}: the model was trained for {trained} with loss {loss}, which does "
            f"not fit {ds.name} ({_task_words(ds)}); pass --loss to evaluate it another way"
        ) from None
    if model.nin != len(ds.X[0]):
        raise CLIError(
            f"--load {path}: the model takes {model.nin} inputs but {ds.name} has "
            f"{len(ds.X[0])} features (another architecture)"
        )
    if model.nouts[-1] != _n_outputs(loss, ds):
        raise CLIError(
            f"--load {path}: the model has {model.nouts[-1]} outputs but {ds.name} with loss "
            f"{loss} needs {_n_outputs(loss, ds)} (another architecture)"
        )
    out = _Output(args.out)
    metrics = evaluate(model, ds.X, _targets(loss, ds), loss=loss)
    print(f"{PROG} train --load {path}: MLP({model.nin}, {model.nouts}) {arch['activation']}, "
          f"{len(model.parameters())} parameters")
    print(f"evaluated on {ds.name} ({len(ds.X)} samples): {_metric_line('loss', metrics)[5:]}")
    _outcome_plots(model, ds, [], [], out)
    summary = {
        "command": "train --load", "model": path, "seed": args.seed,
        "config": {"dataset": ds.name, "data": args.data, "samples": len(ds.X), "loss": loss,
                   "standardized": ds.mean is not None, "architecture": arch},
        "metrics": {"evaluation": metrics},
        "wall_time_s": {"total": time.perf_counter() - started},
        "versions": _versions(),
        "files": [name for name, _ in out.files] + ["summary.json"],
    }
    _write_json(out.path("summary.json"), summary)
    out.wrote("summary.json", "the evaluation's metrics")
    print(out.finish())
    return 0


# ---- graph --------------------------------------------------------------------------------------

GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "dot", "gv")


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["x=1", "w=-3"]`` -> ``{"x": 1.0, "w": -3.0}``; a ValueError names a bad item.

    >>> parse_assignments(["x=1", "w=-3", "b=2.5e-1"])
    {'x': 1.0, 'w': -3.0, 'b': 0.25}
    >>> parse_assignments(["x=abc"])
    Traceback (most recent call last):
    ...
    ValueError: --set x=abc: 'abc' is not a number
    """
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        if not eq:
            raise ValueError(f"--set {item}: expected NAME=VALUE, like x=1.5")
        if not name.isidentifier():
            raise ValueError(f"--set {item}: {name!r} is not a variable name")
        if name in values:
            raise ValueError(f"--set: {name} is set twice")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"--set {item}: {text.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"--set {item}: the value must be finite")
        values[name] = value
    return values


def _cmd_graph(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from autograd.graph import draw_dot, save, tree_text

    from .expression import parse_expression

    if args.expression is None:  # `--set x=1 "x*x"`: --set took the expression as a value
        loose = [item for item in args.set if "=" not in item]
        if len(loose) != 1:
            parser.error("the following arguments are required: expression")
        args.expression = loose[0]
        args.set = [item for item in args.set if "=" in item]
    try:
        values = parse_assignments(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    for target, flag in ((args.output, "-o"), (args.html, "--html")):
        if target is None:
            continue
        ext = Path(target).suffix.lower().lstrip(".")
        if flag == "-o" and ext not in GRAPH_FORMATS:
            parser.error(f"-o {target}: the extension picks the format; use one of "
                         f"{', '.join('.' + f for f in GRAPH_FORMATS)}")
        if flag == "--html" and ext not in ("html", "htm"):
            parser.error(f"--html {target}: expected a file name ending in .html")
    out, used = parse_expression(args.expression, values)  # ExpressionError: exit 1, with caret
    if out._children and not out.label:
        out.label = "out"
    out.backward()
    print(f"{args.expression.strip()} = {out.data:.6g}")
    for name, v in used.items():
        print(f"  d/d{name} = {v.grad:.6g}")
    unused = [name for name in values if name not in used]
    if unused:
        _warn(f"set but not used in the expression: {', '.join(unused)}")
    if args.output is None and args.html is None:
        print(tree_text(out))
        print("(draw it with -o graph.svg, or step through it with --html explorer.html)")
        return 0
    ext = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    needs_dot = args.html is not None or ext not in ("dot", "gv", "")
    if needs_dot and not _have_dot():
        raise CLIError(f"{NO_DOT}; or write the DOT text with -o graph.dot")
    if args.output is not None:
        graph = draw_dot(out, rankdir=args.rankdir, color_by="grad" if args.color_grad else None)
        save(graph, args.output)
        print(f"wrote {args.output}")
    if args.html is not None:
        from autograd.explore import explore

        explore(out, title=f"Backprop explorer: {args.expression.strip()}",
                rankdir=args.rankdir).save(args.html)
        print(f"wrote {args.html} (open it in a browser; arrow keys step, space plays)")
    return 0


# ---- search -------------------------------------------------------------------------------------


def _cmd_search(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .search import MLPBuilder, format_table, grid_search, parse_grid, random_search

    try:
        grid = parse_grid(args.grid)
    except ValueError as exc:
        parser.error(f"--grid: {exc}")
    if not args.no_progress:
        _require_tqdm("search")
    _check_save_path(args.save)
    ds = _load_data(args)
    loss = args.loss or _default_loss(ds.task)
    _check_loss(loss, ds)
    if "loss" in grid:
        for candidate in grid["loss"]:
            _check_loss(str(candidate), ds)
        if len({_targets_kind(str(c)) for c in grid["loss"]} | {_targets_kind(loss)}) > 1:
            raise CLIError("--grid loss=...: these losses need different targets; search "
                           "hinge separately from the others")
    scoring = args.scoring or ("loss" if ds.task == "regression" else "accuracy")
    if scoring == "accuracy" and ds.task == "regression":
        raise CLIError("--scoring accuracy needs a classification; use --scoring loss")
    build = MLPBuilder(
        len(ds.X[0]), _n_outputs(loss, ds), hidden=(16, 16) if args.hidden is None else args.hidden,
        activation=args.activation or "relu", init=args.init or "uniform",
        dropout=args.dropout or 0.0, seed=args.seed, loss=loss, optimizer=args.optimizer,
        lr=args.lr, epochs=args.epochs, batch_size=args.batch_size, l2=args.l2,
        clip_grad_norm=args.clip_grad_norm,
    )
    try:
        build(grid_first := {k: v[0] for k, v in grid.items()})
    except (ValueError, TypeError) as exc:
        parser.error(f"--grid: {exc}")
    del grid_first
    y = _targets(loss, ds)
    executor, client = None, None
    if args.scheduler is not None:
        try:
            import distributed
        except ImportError:
            raise CLIError('--scheduler needs Dask: pip install "chainrule[dask]"') from None
        try:
            client = distributed.Client(args.scheduler, timeout=args.connect_timeout)
        except OSError as exc:
            raise CLIError(f"--scheduler {args.scheduler}: cannot connect: {exc}") from None
        executor = client.get_executor()
    kind = f"random search ({args.random} of the grid)" if args.random else "grid search"
    where = (f"on the Dask cluster at {args.scheduler}" if client is not None
             else f"on {args.jobs} processes" if args.jobs > 1 else "sequentially")
    print(f"{PROG} search: {kind} on {ds.name} ({_task_words(ds)}, {len(ds.X)} samples), "
          f"{args.cv}-fold CV, {scoring}, {where}", flush=True)
    common = dict(cv=args.cv, scoring=scoring, executor=executor, n_jobs=args.jobs,
                  seed=args.seed, progress=not args.no_progress, refit=args.save is not None)
    t0 = time.perf_counter()
    try:
        if args.random:
            result = random_search(build, grid, ds.X, y, n_iter=args.random, **common)
        else:
            result = grid_search(build, grid, ds.X, y, **common)
    finally:
        if client is not None:
            client.close()
    print(format_table(result))
    best = result.best_trial
    if best is None:
        raise CLIError("every trial failed; see the error column")
    chosen = " ".join(f"{k}={best.param_text(k)}" for k in best.params)
    print(f"best: {chosen} ({scoring} {best.mean_score:.4f}); "
          f"searched in {time.perf_counter() - t0:.1f} s")
    if args.out is not None:
        out = _Output(args.out)
        _write_json(out.path("search.json"), {
            "command": "search", "grid": args.grid, "scoring": scoring, "seed": args.seed,
            "cv": args.cv, "dataset": ds.name, "best_params": best.params,
            "best_score": best.mean_score, "trials": _json_rows(result.to_rows()),
        })
        out.wrote("search.json", "every trial: parameters, mean and std score, fit time")
        _require_matplotlib("search --out")
        out.save_figure(result.plot(), "search.png", "score against each parameter")
        print(out.finish())
    if args.save is not None and result.best_model is not None:
        _save_model(result.best_model, args.save, ds, str(best.params.get("loss", loss)))
        print(f"saved the best model, refit on all the data, to {args.save}")
    return 0


def _targets_kind(loss: str) -> str:
    return {"hinge": "pm1", "cross_entropy": "index"}.get(loss, "01")


def _json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    clean = []
    for row in rows:
        clean.append({
            k: (None if isinstance(v, float) and not math.isfinite(v)
                else list(v) if isinstance(v, tuple) else v)
            for k, v in row.items()
        })
    return clean


# ---- the parser ---------------------------------------------------------------------------------

_FORMATTER = argparse.RawDescriptionHelpFormatter

DEMO_HELP = """\
Train micrograd's demo network, MLP(2, [16, 16, 1]) with ReLU, on 100 two-moons points:
hinge loss + 1e-4 L2, plain SGD with the learning rate falling linearly from 1.0 to 0.1
over 100 full-batch steps. It prints the final loss and accuracy (100% with the default
seed) and writes to --out (./chainrule-out/):

  loss.png               loss, accuracy and learning rate at each step
  decision_boundary.png  the regions the network assigns to each moon, the points on top
  neuron.svg             the computation graph of one neuron (the first hidden one, on one
                         sample) after backward: every multiply, add and relu with its data
                         and grad
  explorer.html          the same neuron in the backprop explorer: step through the forward
                         and backward pass in a browser (no network needed)
  summary.json           config, seed, final metrics and history, wall time, versions

Takes a few seconds. The same --seed gives the same metrics. Needs matplotlib (and tqdm for
the progress bar): pip install "chainrule[plot,progress]". Without Graphviz's dot program the
rest is still written, neuron.svg and explorer.html are skipped with a warning, and
neuron.dot (the DOT text) is written instead.

examples:
  chainrule demo
  chainrule demo --out results --seed 7 --no-progress
"""

TRAIN_HELP = """\
Train an MLP on a toy data set or your CSV, show progress, and write the same pictures as
the demo: loss.png, decision_boundary.png (2-D inputs), fit.png (regression), grad_flow.png
(--grad-flow), neuron.svg and explorer.html (the first hidden neuron), summary.json.

Default loss: bce_with_logits for two classes, cross_entropy for more, mse for regression.
Labels are converted for the loss (hinge: -1/+1). --val-split holds out part of the data,
reported each epoch. --save writes the model (JSON, never pickle) with what is needed to
evaluate it again: --load evaluates a saved model on the data the flags name (no training).

--data FILE.csv: numeric columns, the target in the last one, an optional header row; blank
lines and lines starting with # are skipped. Integer targets (at most 20 distinct) are
classes, anything else a regression (--task overrides). Features are standardised (the
model file keeps the mean and std).

examples:
  chainrule train --dataset moons --hidden 16,16 --epochs 100
  chainrule train --dataset spirals --hidden 32,32 --optimizer adam --lr 0.02 --epochs 200
  chainrule train --dataset iris --loss cross_entropy --save iris.json
  chainrule train --dataset iris --load iris.json
  chainrule train --dataset sine --activation tanh --loss mse --epochs 300
  chainrule train --data points.csv --optimizer sgd --lr 0.1 --momentum 0.9 --batch-size 32
"""

GRAPH_HELP = """\
Build a small expression out of Values, run backward, print d(expression)/d(variable) for
every variable, and draw the graph. Numbers, variables, + - * / **, unary minus,
parentheses, pi, e and the engine's functions: exp log sqrt tanh sigmoid relu leaky_relu
softplus sin cos abs max min. Parsed by a real parser (never Python's eval); a mistake is
reported with a caret under its column.

-o picks the format by extension: .svg .png .pdf .jpg, or .dot/.gv for the DOT text.
Drawing needs Graphviz's dot program (apt-get install graphviz, brew install graphviz, or pip
install graphviz-pure); without it, .dot still works and other formats are an error (the
gradients are printed first). Without -o or --html the graph is printed as a text tree.

examples:
  chainrule graph "tanh(x*w + b)" --set x=1 w=-3 b=2 -o graph.svg
  chainrule graph "x**2 + 3*x" --set x=2
  chainrule graph "sigmoid(a*b) / (1 + c)" --set a=0.5 b=-1 c=2 --html explorer.html
  chainrule graph --set x=3 -- "-x**2"      (an expression starting with - goes after --)
"""

SEARCH_HELP = """\
Grid or random search over MLP hyperparameters with cross-validation, printing the ranked
table. --grid takes space-separated name=values: commas separate values; with a ';' the
values are separated by ';' and each is a list (hidden=8;16,16 tries [8] and [16, 16]).
Names: hidden activation init dropout seed loss optimizer lr epochs batch_size l2
clip_grad_norm. The other flags are the defaults for what the grid does not set.

Trials run sequentially, on --jobs local processes, or on a Dask cluster (--scheduler, needs
pip install "chainrule[dask]"); the scores are the same everywhere. --random N tries N
distinct grid points instead of all of them.

examples:
  chainrule search --dataset moons --grid "lr=0.1,0.03,0.01 hidden=8;16,16" --cv 3 --jobs 2
  chainrule search --dataset iris --grid "activation=relu,tanh lr=0.1,0.01" --epochs 30
  chainrule search --dataset moons --grid "lr=0.3,0.1,0.03,0.01 hidden=4;8;16" --random 4
  chainrule search --dataset moons --grid "lr=0.1,0.01" --scheduler tcp://127.0.0.1:8786
"""


def _add_debug(p: argparse.ArgumentParser, top: bool) -> None:
    p.add_argument(
        "--debug", action="store_true", default=False if top else argparse.SUPPRESS,
        help="show the full traceback of an error",
    )


def _add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    which = g.add_mutually_exclusive_group()
    which.add_argument("--dataset", choices=list(DATASETS), default=None,
                       help="a toy data set (default: moons; with --load, the model's)")
    which.add_argument("--data", metavar="FILE.csv",
                       help="train on your CSV instead (the last column is the target)")
    g.add_argument("--task", choices=("auto", "classification", "regression"), default="auto",
                   help="for --data: what the target is (default: auto)")
    g.add_argument("--samples", type=_int_at_least(2), default=200,
                   help="samples to generate (default: 200; iris has 150)")
    g.add_argument("--noise", type=_float_in(0.0), default=None,
                   help="noise of the toy set (default: its own)")
    g.add_argument("--classes", type=_int_at_least(2), default=None,
                   help="classes of spirals or blobs (default: 3)")
    g.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="scale features to mean 0, std 1 (default: for iris and --data)")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the data, weights, shuffling and dropout (default: 0)")


def _add_model_args(p: argparse.ArgumentParser, search: bool = False) -> None:
    g = p.add_argument_group("model" + (" (defaults for the grid)" if search else ""))
    g.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="SIZES",
                   help="hidden layer sizes, e.g. 16,16 (0 for none; default: 16,16)")
    g.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu", "softplus"),
                   default=None, help="hidden activation (default: relu)")
    g.add_argument("--init", default=None,
                   choices=("uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                            "kaiming_normal"),
                   help="weight initialisation (default: uniform, micrograd's U(-1, 1))")
    g.add_argument("--dropout", type=_float_in(0.0, 1.0), default=None,
                   help="dropout after each hidden layer while training (default: 0)")
    g = p.add_argument_group("training" + (" (defaults for the grid)" if search else ""))
    g.add_argument("--loss", choices=LOSS_CHOICES, default=None,
                   help="default: bce_with_logits (2 classes), cross_entropy (more), mse")
    g.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="adam",
                   help="default: adam")
    g.add_argument("--lr", type=_float_in(0.0, low_open=True), default=None,
                   help="learning rate (default: 0.05 for adam/adamw, 0.1 for sgd)")
    g.add_argument("--epochs", type=_int_at_least(1), default=30 if search else 100,
                   help=f"passes over the data (default: {30 if search else 100})")
    g.add_argument("--batch-size", type=_int_at_least(1), default=None,
                   help="samples per step (default: all of them, one step per epoch)")
    g.add_argument("--l2", type=_float_in(0.0), default=0.0,
                   help="add l2 * sum(p^2) to the loss (micrograd's demo: 1e-4)")
    g.add_argument("--clip-grad-norm", type=_float_in(0.0, low_open=True), default=None,
                   help="clip the gradients' total norm to this before each step")


def build_parser() -> argparse.ArgumentParser:
    """The ``chainrule`` argument parser, with its four subcommands.

    >>> args = build_parser().parse_args(["train", "--dataset", "iris", "--hidden", "8,8"])
    >>> args.command, args.dataset, args.hidden, args.epochs
    ('train', 'iris', [8, 8], 100)
    """
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_FORMATTER,
        description="chainrule: a scalar autograd engine and a small neural-network library, "
        "for learning backprop.",
        epilog="examples:\n  chainrule demo\n  chainrule train --dataset spirals --epochs 200\n"
        '  chainrule graph "tanh(x*w + b)" --set x=1 w=-3 b=2 -o graph.svg\n'
        '  chainrule search --dataset moons --grid "lr=0.1,0.01 hidden=8;16,16"\n\n'
        "Run chainrule COMMAND --help for each command's options.",
    )
    _add_debug(parser, top=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("demo", help="train micrograd's demo and write its pictures (seconds)",
                       description=DEMO_HELP, formatter_class=_FORMATTER)
    p.add_argument("--out", default="chainrule-out", metavar="DIR",
                   help="where to write the files (default: ./chainrule-out)")
    p.add_argument("--seed", type=int, default=1337,
                   help="seed of the data and the weights (default: 1337, as micrograd)")
    p.add_argument("--epochs", type=_int_at_least(1), default=100,
                   help="SGD steps on the whole set (default: 100)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_debug(p, top=False)
    p.set_defaults(subparser=p)

    p = sub.add_parser("train", help="train an MLP on a toy set or a CSV, or evaluate a saved one",
                       description=TRAIN_HELP, formatter_class=_FORMATTER)
    _add_data_args(p)
    _add_model_args(p)
    g = p.add_argument_group("optimiser and schedule")
    g.add_argument("--momentum", type=_float_in(0.0, 1.0), default=None, help="SGD momentum")
    g.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD)")
    g.add_argument("--weight-decay", type=_float_in(0.0), default=None,
                   help="the optimiser's weight decay (default: 0; adamw: 0.01)")
    g.add_argument("--schedule", choices=("constant", "step", "exponential", "cosine", "linear"),
                   default="constant", help="learning-rate schedule, stepped each epoch")
    g.add_argument("--gamma", type=_float_in(0.0, low_open=True), default=None,
                   help="step: factor every --step-size epochs (0.1); exponential: factor per "
                   "epoch (0.95); linear: final factor (0.1)")
    g.add_argument("--step-size", type=_int_at_least(1), default=None,
                   help="epochs between steps of --schedule step (default: a third)")
    g.add_argument("--warmup", type=_int_at_least(1), default=None,
                   help="warm the learning rate up linearly over this many epochs first")
    g = p.add_argument_group("evaluation and output")
    g.add_argument("--val-split", type=_float_in(0.0, 1.0), default=0.2,
                   help="fraction held out for validation (default: 0.2; 0 for none)")
    g.add_argument("--patience", type=_int_at_least(1), default=None,
                   help="stop when the validation loss has not improved for this many epochs")
    g.add_argument("--grad-flow", action="store_true",
                   help="record each layer's gradients and write grad_flow.png")
    g.add_argument("--save", metavar="MODEL.json", help="write the trained model here")
    g.add_argument("--load", metavar="MODEL.json",
                   help="evaluate this saved model on the data instead of training")
    g.add_argument("--out", default="chainrule-out", metavar="DIR",
                   help="where to write the files (default: ./chainrule-out)")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_debug(p, top=False)
    p.set_defaults(subparser=p)

    p = sub.add_parser("graph", help="draw and differentiate an expression like tanh(x*w + b)",
                       description=GRAPH_HELP, formatter_class=_FORMATTER)
    p.add_argument("expression", nargs="?", help='e.g. "tanh(x*w + b)" (quote it)')
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="the variables' values, e.g. --set x=1 w=-3 b=2")
    p.add_argument("-o", "--output", metavar="FILE", help="draw the graph to FILE (.svg, .png...)")
    p.add_argument("--html", metavar="FILE.html", help="write the backprop explorer page")
    p.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                   help="layout direction (default: LR, left to right)")
    p.add_argument("--color-grad", action="store_true",
                   help="colour the nodes by |grad| instead of by role")
    _add_debug(p, top=False)
    p.set_defaults(subparser=p)

    p = sub.add_parser("search", help="grid or random search of hyperparameters",
                       description=SEARCH_HELP, formatter_class=_FORMATTER)
    p.add_argument("--grid", required=True, metavar='"NAME=V1,V2 ..."',
                   help='the values to try, e.g. "lr=0.1,0.01 hidden=8;16,16"')
    p.add_argument("--random", type=_int_at_least(1), default=None, metavar="N",
                   help="try N random grid points instead of all")
    p.add_argument("--cv", type=_int_at_least(2), default=3, help="folds (default: 3)")
    p.add_argument("--scoring", choices=("accuracy", "loss"), default=None,
                   help="rank by validation accuracy (default) or loss (regression)")
    p.add_argument("--jobs", type=_int_at_least(1), default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the trials on this Dask scheduler")
    p.add_argument("--connect-timeout", type=_float_in(0.0, low_open=True), default=10.0,
                   help=argparse.SUPPRESS)
    _add_data_args(p)
    _add_model_args(p, search=True)
    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="DIR", default=None,
                   help="also write search.json and search.png here")
    g.add_argument("--save", metavar="MODEL.json",
                   help="refit the best candidate on all the data and save it")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _add_debug(p, top=False)
    p.set_defaults(subparser=p)
    return parser


def _version() -> str:
    from autograd import __version__

    return __version__


# ---- main ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


def _one_line(exc: BaseException) -> str:
    """The message of an error as the command prints it."""
    from autograd import DotNotFoundError

    from .expression import ExpressionError

    if isinstance(exc, ExpressionError):
        return str(exc)  # its second and third lines show the expression and a caret
    if isinstance(exc, DotNotFoundError):
        return NO_DOT
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename}: no such file"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename or ''}: {exc.strerror}".lstrip(": ")
    text = str(exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    if isinstance(exc, OverflowError):
        return "a number overflowed: did training diverge? Lower --lr or pass --clip-grad-norm"
    if isinstance(exc, (CLIError, ValueError, ImportError)):
        return message
    return f"{type(exc).__name__}: {message} (run with --debug for the traceback)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    >>> main(["graph", "x*x + 3*x", "--set", "x=2"])
    x*x + 3*x = 10
      d/dx = 7
    out [+]  data 10.0000  grad 1.0000
    ├─ [*]  data 4.0000  grad 1.0000
    │  ├─ x  data 2.0000  grad 7.0000  #1
    │  └─ x  #1 (above)
    └─ [*]  data 6.0000  grad 1.0000
       ├─ const  data 3.0000  grad 2.0000
       └─ x  #1 (above)
    (draw it with -o graph.svg, or step through it with --html explorer.html)
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit with 2 here
    debug = getattr(args, "debug", False)
    try:
        return _run(args, debug)
    finally:  # a run that failed or was interrupted: its files never reach --out
        for out in list(_Output._open):
            out.discard()


def _run(args: argparse.Namespace, debug: bool) -> int:
    try:
        with _one_line_warnings():
            if args.command == "demo":
                return _cmd_demo(args)
            if args.command == "train":
                return _cmd_train(args)
            if args.command == "graph":
                return _cmd_graph(args, args.subparser)
            return _cmd_search(args, args.subparser)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule ... | head`: the reader left; stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
