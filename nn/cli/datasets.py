"""The data a command trains on: a toy set or the user's CSV, and the targets each loss wants."""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import data
from ..train import LOSSES
from .common import CLIError

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
MAX_CLASSES = 20  # integer targets with more distinct values than this are a regression
LARGEST = 1e154  # beyond this a square (mse, L2, a weighted sum's growth) overflows to inf


@dataclass
class Dataset:
    """Features, targets and what kind of problem they pose, ready for training.

    >>> ds = Dataset("toy", [[0.0], [1.0], [2.0]], [0, 1, 2], "multiclass", ["x"], [0, 1, 2])
    >>> ds.n_classes
    3
    """

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
    try:
        return data.read_csv(path)
    except (FileNotFoundError, IsADirectoryError) as exc:
        if exc.errno is not None:  # the system's error, not read_csv's own message
            raise
        raise CLIError(f"--data {exc}") from None


def csv_dataset(path: str, task: str) -> Dataset:
    """The user's CSV as a Dataset: integer targets (at most 20) are classes unless ``task``
    says "regression"; the classes are the sorted distinct targets.

    >>> import tempfile
    >>> path = tempfile.mkdtemp() + "/points.csv"
    >>> _ = open(path, "w").write("u,v,label\\n0,1,2\\n1,0,5\\n")
    >>> ds = csv_dataset(path, "auto")
    >>> ds.task, ds.classes, ds.y, ds.feature_names
    ('binary', [2, 5], [0, 1], ['u', 'v'])
    """
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


def load_data(args: argparse.Namespace, stats: dict[str, Any] | None = None) -> Dataset:
    """The data the flags name, standardised when asked (or as the saved model was).

    ``stats`` is what a saved model's file recorded (its classes, mean and std), for --load.

    >>> from nn.cli.parser import build_parser
    >>> ds = load_data(build_parser().parse_args(["train", "--dataset", "iris"]))
    >>> ds.task, len(ds.X), ds.mean is not None   # iris is in cm: standardised by default
    ('multiclass', 150, True)
    """
    if args.data is not None:
        ds = csv_dataset(args.data, args.task)
        if stats and stats.get("classes") and ds.task != "regression":
            ds = _relabel(ds, stats["classes"], args.data)
    else:
        ds = _toy_dataset(args)
    check_values(ds, args, math.inf)  # every value finite, before scaling
    _scale(args, ds, stats)
    check_values(ds, args, LARGEST)  # and after it, none too large to train on
    return ds


def _scale(args: argparse.Namespace, ds: Dataset, stats: dict[str, Any] | None) -> None:
    """Standardise ds's features as the saved model's file says, or as the flags ask."""
    if stats is not None and stats.get("mean") is not None:
        if len(stats["mean"]) != len(ds.X[0]):
            raise CLIError(
                f"the model was trained on {len(stats['mean'])} features but {ds.name} has "
                f"{len(ds.X[0])} (another architecture)"
            )
        ds.X, ds.mean, ds.std = data.standardize(ds.X, stats["mean"], stats["std"])
        return
    standardize = args.standardize
    if standardize is None:  # features in their own units (cm, a user's columns): scale them
        standardize = stats is None and (args.data is not None or ds.name == "iris")
    if standardize:
        ds.X, ds.mean, ds.std = data.standardize(ds.X)


def check_values(ds: Dataset, args: argparse.Namespace, largest: float) -> None:
    """A CLIError naming the row and column of the first value that is not finite or is
    larger than ``largest`` (then training would overflow: say so before it starts).

    >>> from nn.cli.parser import build_parser
    >>> args = build_parser().parse_args(["train", "--dataset", "moons", "--noise", "1e300"])
    >>> check_values(Dataset("moons", [[0.5, 2e300]], [0], "binary", ["x0", "x1"]), args, LARGEST)
    Traceback (most recent call last):
    ...
    nn.cli.common.CLIError: --dataset moons --noise 1e+300: row 1, column 2 (x1) is 2e+300, \
too large to train on (beyond 1e+154 a square overflows); pass a smaller --noise, or pass \
--standardize
    """
    source = f"--data {args.data}" if args.data else f"--dataset {ds.name}" + (
        f" --noise {args.noise:g}" if args.noise is not None else "")
    fix = "scale that column down" if args.data else "pass a smaller --noise"
    for i, row in enumerate(ds.X):
        for j, v in enumerate(row):
            if not abs(v) <= largest:  # NaN too
                place = f"row {i + 1}, column {j + 1} ({ds.feature_names[j][:40]})"
                scaled = ds.mean is not None or not math.isfinite(v)
                more = "" if scaled else ", or pass --standardize"
                raise CLIError(_bad_value(source, place, v, largest, fix + more))
    if ds.task == "regression":
        for i, t in enumerate(ds.y):
            if not abs(t) <= largest:
                raise CLIError(_bad_value(source, f"row {i + 1}, the target", t, largest, fix))


def _bad_value(source: str, place: str, v: float, largest: float, fix: str) -> str:
    if not math.isfinite(v):
        return f"{source}: {place} is {v}, not a finite number; {fix}"
    return (f"{source}: {place} is {v:g}, too large to train on (beyond {largest:g} a square "
            f"overflows); {fix}")


def data_and_loss(args: argparse.Namespace) -> tuple[Dataset, str]:
    """The data the flags name and the loss to train on it: --loss, else the task's default
    (a CLIError when the loss does not fit the data).

    >>> from nn.cli.parser import build_parser
    >>> ds, loss = data_and_loss(build_parser().parse_args(["train", "--dataset", "sine"]))
    >>> ds.task, loss
    ('regression', 'mse')
    """
    ds = load_data(args)
    loss = args.loss or default_loss(ds.task)
    check_loss(loss, ds)
    return ds, loss


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


def default_loss(task: str) -> str:
    """The loss a task trains with unless --loss says otherwise.

    >>> default_loss("binary"), default_loss("multiclass"), default_loss("regression")
    ('bce_with_logits', 'cross_entropy', 'mse')
    """
    return {"binary": "bce_with_logits", "multiclass": "cross_entropy"}.get(task, "mse")


def check_loss(loss: str, ds: Dataset) -> None:
    """A CLIError when ``loss`` cannot train on ``ds`` (hinge on three classes, ...).

    >>> ds = Dataset("toy", [[0.0], [1.0], [2.0]], [0, 1, 2], "multiclass", ["x"], [0, 1, 2])
    >>> check_loss("hinge", ds)
    Traceback (most recent call last):
    ...
    nn.cli.common.CLIError: --loss hinge does not fit toy (3-class classification); use one of ...
    """
    allowed = losses_for(ds.task)
    if loss not in allowed:
        raise CLIError(
            f"--loss {loss} does not fit {ds.name} ({task_words(ds)}); use one of "
            f"{', '.join(allowed)}"
        )


def losses_for(task: str) -> list[str]:
    """The losses that can train on a task, in the order of ``nn.train.LOSSES``.

    A loss on one output (hinge, bce, bce_with_logits) separates two classes only; a
    regression has no classes to score, so mse or l1.

    >>> losses_for("multiclass"), losses_for("regression")
    (['cross_entropy', 'mse', 'l1'], ['mse', 'l1'])
    """
    if task == "regression":
        return [name for name in LOSSES if name in ("mse", "l1")]
    if task == "multiclass":
        return [name for name in LOSSES if name not in ("hinge", "bce", "bce_with_logits")]
    return list(LOSSES)


def task_words(ds: Dataset) -> str:
    """The task in words: "a regression" or "3-class classification".

    >>> task_words(Dataset("toy", [[0.0], [1.0]], [0, 1], "binary", ["x"], [0, 1]))
    '2-class classification'
    """
    if ds.task == "regression":
        return "a regression"
    return f"{ds.n_classes}-class classification"


def n_outputs(loss: str, ds: Dataset) -> int:
    """How many outputs the model needs: one per class for cross_entropy (and for mse/l1 on
    more than two classes), else one.

    >>> ds = Dataset("toy", [[0.0], [1.0], [2.0]], [0, 1, 2], "multiclass", ["x"], [0, 1, 2])
    >>> n_outputs("cross_entropy", ds), n_outputs("mse", ds)
    (3, 3)
    """
    if ds.task == "regression":
        return 1
    if loss == "cross_entropy" or (loss in ("mse", "l1") and ds.n_classes > 2):
        return ds.n_classes
    return 1


def targets(loss: str, ds: Dataset) -> list[Any]:
    """The targets each loss expects: -1/+1 for hinge, 0/1 for bce, indices, one-hot, floats.

    >>> ds = Dataset("toy", [[0.0], [1.0]], [0, 1], "binary", ["x"], [0, 1])
    >>> targets("hinge", ds), targets("bce_with_logits", ds), targets("cross_entropy", ds)
    ([-1.0, 1.0], [0.0, 1.0], [0, 1])
    """
    if ds.task == "regression":
        return [float(t) for t in ds.y]
    if loss == "hinge":
        return [2.0 * t - 1.0 for t in ds.y]
    if loss == "cross_entropy":
        return list(ds.y)
    if loss in ("mse", "l1") and ds.n_classes > 2:
        return [[1.0 if k == t else 0.0 for k in range(ds.n_classes)] for t in ds.y]
    return [float(t) for t in ds.y]
