"""Toy data sets (moons, circles, spirals, xor, blobs, sine, iris), CSV files, splits and
batches, and a list of first names for the GPT lesson (``names``).

Every generator returns ``(X, y)``: ``X`` a list of lists of floats (one row per sample), ``y``
a list of labels (ints ``0..k-1``) or of floats (``make_regression``). Randomness comes from
``seed``: an int, a ``random.Random``, or None for Python's global ``random``. The same seed
gives the same data. No scikit-learn needed; the shapes follow its conventions.

>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> len(X), len(X[0]), sorted(set(y))
(100, 2, [0, 1])
>>> y_pm = [2 * t - 1 for t in y]          # labels -1/+1, for hinge_loss
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from .files import MAX_CSV_BYTES, read_bounded
from .init import make_rng
from .messages import shown

__all__ = [
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "make_blobs",
    "make_regression",
    "load_iris",
    "names",
    "read_csv",
    "IRIS_FEATURE_NAMES",
    "IRIS_TARGET_NAMES",
    "train_test_split",
    "batches",
    "standardize",
]

Rows = list[list[float]]

IRIS_FEATURE_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_TARGET_NAMES = ["setosa", "versicolor", "virginica"]


def _check_n(n_samples: Any, least: int = 1) -> int:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < least:
        raise ValueError(f"n_samples must be an int >= {least}, got {n_samples!r}")
    return n_samples


def _check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [float(start)]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _finish(X: Rows, y: list[Any], noise: float, gen: Any, shuffle: bool) -> tuple[Rows, list]:
    """Shuffle rows (optional), then add N(0, noise^2) to every coordinate, as scikit-learn."""
    if shuffle:
        order = list(range(len(X)))
        gen.shuffle(order)
        X, y = [X[i] for i in order], [y[i] for i in order]
    if noise > 0:
        X = [[v + gen.gauss(0.0, noise) for v in row] for row in X]
    return X, y


def make_moons(
    n_samples: int = 100, noise: float = 0.0, seed: Any = None, shuffle: bool = True
) -> tuple[Rows, list[int]]:
    """Two interleaving half circles (scikit-learn's make_moons); labels 0 (upper) and 1 (lower).

    The upper moon is (cos t, sin t), the lower (1 - cos t, 0.5 - sin t), t in [0, pi].
    For the hinge loss (micrograd's demo) map labels to -1/+1 with ``2 * y - 1``.

    >>> X, y = make_moons(4, shuffle=False)
    >>> [[round(v, 3) for v in row] for row in X], y
    ([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [2.0, 0.5]], [0, 0, 1, 1])
    """
    _check_n(n_samples, 2)
    noise = _check_noise(noise)
    gen = make_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    X += [[1 - math.cos(t), 1 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    y = [0] * n_out + [1] * n_in
    return _finish(X, y, noise, gen, shuffle)


def make_circles(
    n_samples: int = 100,
    noise: float = 0.0,
    factor: float = 0.8,
    seed: Any = None,
    shuffle: bool = True,
) -> tuple[Rows, list[int]]:
    """A circle of radius 1 (label 0) around one of radius ``factor`` (label 1), as scikit-learn.

    >>> X, y = make_circles(4, factor=0.5, shuffle=False)
    >>> [[round(v, 3) + 0.0 for v in row] for row in X], y
    ([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.0], [-0.5, 0.0]], [0, 0, 1, 1])
    """
    _check_n(n_samples, 2)
    noise = _check_noise(noise)
    if not 0 <= factor < 1:
        raise ValueError(f"make_circles: factor must be in [0, 1), got {factor!r}")
    gen = make_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = _linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    inner = _linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    X = [[math.cos(t), math.sin(t)] for t in outer]
    X += [[factor * math.cos(t), factor * math.sin(t)] for t in inner]
    y = [0] * n_out + [1] * n_in
    return _finish(X, y, noise, gen, shuffle)


def _split_counts(n: int, k: int) -> list[int]:
    """n samples over k classes as evenly as possible; the first classes get the extra ones."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.2,
    turns: float = 1.0,
    seed: Any = None,
    shuffle: bool = True,
) -> tuple[Rows, list[int]]:
    """``n_classes`` interleaved spiral arms (the CS231n data set); labels 0..n_classes-1.

    Arm c: radius r from 0 to 1, angle theta = 2 pi (turns r + c / n_classes) plus
    N(0, noise^2) radians, point (r sin theta, r cos theta).

    >>> X, y = make_spirals(90, n_classes=3, seed=0)
    >>> len(X), [y.count(c) for c in range(3)]
    (90, [30, 30, 30])
    """
    _check_n(n_samples, 1)
    noise = _check_noise(noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"make_spirals: n_classes must be an int >= 1, got {n_classes!r}")
    gen = make_rng(seed)
    X: Rows = []
    y: list[int] = []
    for c, count in enumerate(_split_counts(n_samples, n_classes)):
        for r in _linspace(0.0, 1.0, count):
            theta = 2 * math.pi * (turns * r + c / n_classes)
            if noise > 0:
                theta += gen.gauss(0.0, noise)
            X.append([r * math.sin(theta), r * math.cos(theta)])
            y.append(c)
    return _finish(X, y, 0.0, gen, shuffle)


def make_xor(n_samples: int = 100, noise: float = 0.0, seed: Any = None) -> tuple[Rows, list[int]]:
    """Points uniform in [-1, 1]^2, label 1 when exactly one coordinate is positive (XOR).

    ``noise`` adds N(0, noise^2) to the coordinates after labelling.

    >>> X, y = make_xor(200, seed=0)
    >>> all((a > 0) != (b > 0) for (a, b), t in zip(X, y) if t == 1)
    True
    """
    _check_n(n_samples, 1)
    noise = _check_noise(noise)
    gen = make_rng(seed)
    X = [[gen.uniform(-1.0, 1.0), gen.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    y = [int((a > 0) != (b > 0)) for a, b in X]
    return _finish(X, y, noise, gen, shuffle=False)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    n_features: int = 2,
    cluster_std: float = 1.0,
    center_box: tuple[float, float] = (-10.0, 10.0),
    seed: Any = None,
    shuffle: bool = True,
) -> tuple[Rows, list[int]]:
    """Gaussian blobs (scikit-learn's make_blobs): label c for points around center c.

    ``centers`` is a number of centers (drawn uniformly in ``center_box``) or a list of points.

    >>> X, y = make_blobs(6, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.0, shuffle=False)
    >>> X, y
    ([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [5.0, 5.0], [5.0, 5.0]], [0, 0, 0, 1, 1, 1])
    """
    _check_n(n_samples, 1)
    if not cluster_std >= 0:
        raise ValueError(f"make_blobs: cluster_std must be >= 0, got {cluster_std!r}")
    gen = make_rng(seed)
    if isinstance(centers, int) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"make_blobs: centers must be >= 1, got {centers!r}")
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"make_blobs: n_features must be an int >= 1, got {n_features!r}")
        lo, hi = center_box
        points = [[gen.uniform(lo, hi) for _ in range(n_features)] for _ in range(centers)]
    else:
        points = [[float(v) for v in c] for c in centers]
        if not points or len({len(c) for c in points}) != 1 or not points[0]:
            raise ValueError(
                f"make_blobs: centers must be non-empty points of one dimension, got {centers!r}"
            )
    X: Rows = []
    y: list[int] = []
    for c, count in enumerate(_split_counts(n_samples, len(points))):
        for _ in range(count):
            X.append([v + gen.gauss(0.0, cluster_std) if cluster_std else v for v in points[c]])
            y.append(c)
    return _finish(X, y, 0.0, gen, shuffle)


def make_regression(
    n_samples: int = 100,
    noise: float = 0.0,
    x_range: tuple[float, float] = (-math.pi, math.pi),
    seed: Any = None,
) -> tuple[Rows, list[float]]:
    """A 1-D sine for regression demos: x uniform in ``x_range``, y = sin(x) + N(0, noise^2).

    X rows have one feature (``[[x0], [x1], ...]``); y is a list of floats (use ``mse_loss``).

    >>> X, y = make_regression(5, seed=0)
    >>> all(abs(t - math.sin(row[0])) < 1e-12 for row, t in zip(X, y))
    True
    """
    _check_n(n_samples, 1)
    noise = _check_noise(noise)
    lo, hi = x_range
    if not lo < hi:
        raise ValueError(
            f"make_regression: x_range must be (low, high) with low < high, got {x_range!r}"
        )
    gen = make_rng(seed)
    xs = [gen.uniform(lo, hi) for _ in range(n_samples)]
    y = [math.sin(x) + (gen.gauss(0.0, noise) if noise > 0 else 0.0) for x in xs]
    return [[x] for x in xs], y


def load_iris() -> tuple[Rows, list[int]]:
    """Fisher's Iris data (1936): 150 flowers, 4 measurements in cm, 3 species (50 each).

    Shipped with the package in ``nn/datasets/iris.csv`` (source: R. A. Fisher, "The use of
    multiple measurements in taxonomic problems", Annals of Eugenics 7 (1936); the UCI Machine
    Learning Repository's Iris data with its two transcription errors corrected, as in R and
    scikit-learn). Features in ``IRIS_FEATURE_NAMES``; labels 0, 1, 2 index
    ``IRIS_TARGET_NAMES`` (setosa, versicolor, virginica).

    >>> X, y = load_iris()
    >>> len(X), X[0], [y.count(c) for c in range(3)]
    (150, [5.1, 3.5, 1.4, 0.2], [50, 50, 50])
    """
    text = resources.files("nn").joinpath("datasets/iris.csv").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.reader(rows)
    header = next(reader)
    if header != [*IRIS_FEATURE_NAMES, "species"]:
        raise ValueError(f"load_iris: unexpected header in iris.csv: {header!r}")
    X: Rows = []
    y: list[int] = []
    for record in reader:
        X.append([float(v) for v in record[:4]])
        y.append(IRIS_TARGET_NAMES.index(record[4]))
    return X, y


def names(seed: Any = None) -> list[str]:
    """5,163 first names (lower case, a-z), the training data of the GPT lesson.

    Shipped with the package in ``nn/datasets/names.txt``: the 1990 US Census first-name
    lists (public domain), taken once from the ``names`` package (MIT licence); its source
    and licence are in ``nn/datasets/NAMES_SOURCE.md``. Nothing is downloaded. In the file's
    order (sorted), or shuffled with ``seed`` (an int or a ``random.Random``).

    >>> all_names = names()
    >>> len(all_names), all_names[:3], max(len(n) for n in all_names)
    (5163, ['aaron', 'abbey', 'abbie'], 11)
    >>> names(seed=42) == names(seed=42) != all_names
    True
    """
    text = resources.files("nn").joinpath("datasets/names.txt").read_text(encoding="utf-8")
    found = [line.strip() for line in text.splitlines() if line.strip()]
    if seed is not None:
        make_rng(seed).shuffle(found)
    return found


# ---- your own data -----------------------------------------------------------------------------


def read_csv(path: str | os.PathLike[str]) -> tuple[Rows, list[float], list[str]]:
    """Read a numeric CSV: ``(X, y, column_names)``; the last column is the target.

    An optional first row of names (no cell a number) is the header; blank lines and lines
    starting with ``#`` are skipped. Cells are separated by commas, or by ``;``, tabs or ``|``
    when those fit the first lines and commas do not (``_delimiter``). A missing file is a
    ``FileNotFoundError`` and a folder an ``IsADirectoryError``; the rest is a ``ValueError``
    naming the line and the column: an empty file, rows of different lengths, cells that are
    not finite numbers; also a device, or a file of more than ``MAX_CSV_BYTES``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "points.csv")
    >>> _ = open(path, "w").write("x0,x1,label\\n0.5,1.0,1\\n-0.5,2.0,0\\n")
    >>> read_csv(path)
    ([[0.5, 1.0], [-0.5, 2.0]], [1.0, 0.0], ['x0', 'x1', 'label'])
    >>> _ = open(path, "w").write("1,2,1\\n3,4\\n")
    >>> read_csv(path)
    Traceback (most recent call last):
    ...
    ValueError: ...points.csv, line 2: 2 columns, but line 1 has 3 (every row needs ...)
    """
    header: list[str] | None = None
    rows: Rows = []
    width = width_line = 0
    text = _read_text(path)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for raw in reader:
        line = reader.line_num
        cells = [c.strip() for c in raw]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if header is None and not rows and not any(_is_number(c) for c in cells):
            header, width, width_line = cells, len(cells), line
            continue
        if not width:
            width, width_line = len(cells), line
        elif len(cells) != width:
            raise ValueError(
                f"{path}, line {line}: {len(cells)} column{'s' * (len(cells) != 1)}, but line "
                f"{width_line} has {width} (every row needs the same number)"
                + _separator_hint(delimiter.join(raw), delimiter)
            )
        rows.append(_row_numbers(cells, header, f"{path}, line {line}", delimiter))
    if not rows:
        what = "has a header but no data rows" if header else "is empty"
        raise ValueError(f"{path} {what}; expected rows of numbers, the target last")
    if width < 2:
        raise ValueError(f"{path}: needs at least 2 columns (features..., target), found 1"
                         + _separator_hint(text[:200]))
    names = header or [f"x{j}" for j in range(width - 1)] + ["target"]
    return [r[:-1] for r in rows], [r[-1] for r in rows], names


def _read_text(path: str | os.PathLike[str]) -> str:
    """The text of a CSV file, or an error saying why there is none."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if p.is_dir():
        raise IsADirectoryError(f"{path}: is a folder, expected a CSV file")
    try:  # -sig: a BOM from Excel is not a header cell
        return read_bounded(p, MAX_CSV_BYTES, str(path)).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (expected UTF-8 CSV)") from None


_DELIMITERS = (",", ";", "\t", "|")


def _delimiter(text: str) -> str:
    """What separates the cells: the first of , ; tab | that splits the first data lines into
    the same number (at least 2) of numbers (a header row may hold names); "," if none does.

    >>> _delimiter("a;b;label\\n1;2,5;0\\n"), _delimiter("1\\t2\\n3\\t4\\n"), _delimiter("1,2\\n")
    (',', '\\t', ',')
    >>> _delimiter("a;b;label\\n1;2.5;0\\n")
    ';'
    """
    sample = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for delimiter in _DELIMITERS:
        rows = [[c.strip() for c in row] for row in csv.reader(sample[:10], delimiter=delimiter)]
        if not rows or len({len(r) for r in rows}) != 1 or len(rows[0]) < 2:
            continue
        data = rows if any(_is_number(c) for c in rows[0]) else rows[1:]
        if data and all(_is_number(c) for row in data for c in row):
            return delimiter
    return ","


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _row_numbers(
    cells: list[str], header: list[str] | None, where: str, delimiter: str = ","
) -> list[float]:
    """The cells of one row as finite floats; an error names the column (and its header)."""
    values = []
    for j, cell in enumerate(cells, start=1):
        name = f" ({shown(header[j - 1], 40)})" if header else ""
        try:
            v = float(cell)
        except ValueError:
            what = "an empty cell" if not cell else shown(cell, 40)
            raise ValueError(
                f"{where}, column {j}{name}: {what} is not a number"
                + _separator_hint(cell, delimiter)
            ) from None
        if not math.isfinite(v):
            raise ValueError(f"{where}, column {j}{name}: {shown(cell, 40)} is not a finite number")
        values.append(v)
    return values


def _separator_hint(cell: str, delimiter: str = ",") -> str:
    """What to say when a cell holds what looks like another separator, or a decimal comma."""
    others = [d for d in _DELIMITERS[1:] if d != delimiter and d in cell]
    if others:
        return (f"; the cells seem separated by {others[0]!r}: chainrule reads cells separated "
                "by commas, ';', tabs or '|', with '.' for decimals")
    if delimiter != "," and "," in cell:
        return "; a decimal comma? chainrule reads '.' for decimals"
    return ""


# ---- splitting, batching, scaling ------------------------------------------------------------


def _check_xy(X: Sequence[Any], y: Sequence[Any], where: str) -> None:
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} rows but y has {len(y)} labels")


def train_test_split(
    X: Sequence[Any],
    y: Sequence[Any],
    test_size: float | int = 0.25,
    seed: Any = None,
    stratify: Sequence[Any] | None = None,
    shuffle: bool = True,
) -> tuple[list, list, list, list]:
    """Split into ``(X_train, X_test, y_train, y_test)``, as scikit-learn.

    ``test_size``: a fraction in (0, 1) (the test set gets ceil(fraction * n) rows) or a count.
    ``stratify``: labels (usually ``y``) whose class proportions both parts keep.

    >>> X, y = load_iris()
    >>> Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, seed=0, stratify=y)
    >>> len(Xtr), len(Xte), [yte.count(c) for c in range(3)]
    (120, 30, [10, 10, 10])
    """
    _check_xy(X, y, "train_test_split")
    n = len(X)
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        test_size = int(test_size)  # a count, whatever integer type (np.int64) it came as
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)):
        raise ValueError(
            f"train_test_split: test_size must be a fraction or a count, got {test_size!r}"
        )
    if isinstance(test_size, float):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"train_test_split: test_size must be in (0, 1), got {test_size!r}")
        n_test = math.ceil(test_size * n)
    else:
        n_test = test_size
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} gives {n_test} test rows of {n}; "
            "both parts must be non-empty"
        )
    gen = make_rng(seed)
    if stratify is None:
        order = list(range(n))
        if shuffle:
            gen.shuffle(order)
        test_idx, train_idx = order[:n_test], order[n_test:]
    else:
        if not shuffle:
            raise ValueError("train_test_split: stratify needs shuffle=True")
        if len(stratify) != n:
            raise ValueError(f"train_test_split: stratify has {len(stratify)} labels for {n} rows")
        test_idx, train_idx = _stratified(list(stratify), n_test, gen)
        gen.shuffle(test_idx)
        gen.shuffle(train_idx)
    return (
        [X[i] for i in train_idx],
        [X[i] for i in test_idx],
        [y[i] for i in train_idx],
        [y[i] for i in test_idx],
    )


def _stratified(labels: list[Any], n_test: int, gen: Any) -> tuple[list[int], list[int]]:
    classes = sorted(set(labels), key=repr)
    members = {c: [i for i, t in enumerate(labels) if t == c] for c in classes}
    n = len(labels)
    # each class gets its share of the test rows; leftovers go to the largest remainders
    exact = {c: n_test * len(members[c]) / n for c in classes}
    take = {c: int(exact[c]) for c in classes}
    by_remainder = sorted(classes, key=lambda c: exact[c] - take[c], reverse=True)
    for c in by_remainder[: n_test - sum(take.values())]:
        take[c] += 1
    test_idx: list[int] = []
    train_idx: list[int] = []
    for c in classes:
        idx = members[c][:]
        gen.shuffle(idx)
        test_idx += idx[: take[c]]
        train_idx += idx[take[c] :]
    return test_idx, train_idx


def batches(
    X: Sequence[Any],
    y: Sequence[Any],
    batch_size: int,
    shuffle: bool = True,
    seed: Any = None,
) -> Iterator[tuple[list, list]]:
    """Yield ``(X_batch, y_batch)`` of ``batch_size`` rows (the last may be smaller).

    >>> [yb for _, yb in batches([[0], [1], [2], [3], [4]], [0, 1, 2, 3, 4], 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    _check_xy(X, y, "batches")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be an int >= 1, got {batch_size!r}")
    order = list(range(len(X)))
    if shuffle:
        make_rng(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield [X[i] for i in idx], [y[i] for i in idx]


def standardize(
    X: Sequence[Sequence[float]],
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
) -> tuple[Rows, list[float], list[float]]:
    """Scale each feature to mean 0 and standard deviation 1: ``(X_scaled, mean, std)``.

    Pass the training set's ``mean`` and ``std`` to scale a test set the same way. ``std`` is
    the population standard deviation (as scikit-learn's StandardScaler); a constant feature
    gets std 1 so nothing is divided by zero. Every value must be finite (a ValueError names
    the first that is not); values too large to square (around 1e154 and beyond) are scaled
    down first, so they standardise like any others.

    >>> Xs, mean, std = standardize([[1.0, 5.0], [3.0, 5.0]])
    >>> Xs, mean, std
    ([[-1.0, 0.0], [1.0, 0.0]], [2.0, 5.0], [1.0, 1.0])
    >>> standardize([[5.0, 5.0]], mean, std)[0]
    [[3.0, 0.0]]
    """
    rows = [list(map(float, row)) for row in X]
    if not rows:
        raise ValueError("standardize: X is empty")
    d = len(rows[0])
    if any(len(row) != d for row in rows):
        raise ValueError("standardize: every row of X must have the same number of features")
    if (mean is None) != (std is None):
        raise ValueError("standardize: pass both mean and std, or neither")
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if not math.isfinite(v):
                raise ValueError(f"standardize: X[{i}][{j}] is {v}; every value must be finite")
    if mean is None or std is None:
        stats = [_mean_and_std([row[j] for row in rows]) for j in range(d)]
        mean, std = [m for m, _ in stats], [s for _, s in stats]
    mean, std = [float(m) for m in mean], [float(s) for s in std]
    if len(mean) != d or len(std) != d:
        raise ValueError(
            f"standardize: X has {d} features but mean/std have {len(mean)}/{len(std)}"
        )
    if any(not s > 0 for s in std):
        raise ValueError(f"standardize: every std must be > 0, got {std!r}")
    scaled = [[_standard(row[j], mean[j], std[j]) for j in range(d)] for row in rows]
    return scaled, mean, std


def _mean_and_std(column: list[float]) -> tuple[float, float]:
    """The column's mean and population std (1.0 for a constant column). Where the plain sums
    overflow (values near 1e154 square to inf), they are taken on the column divided by its
    largest |value|, and scaled back."""
    n = len(column)
    try:
        mean = sum(column) / n
        var = sum((v - mean) ** 2 for v in column) / n
    except OverflowError:  # float ** overflows with an error, + and * with inf
        mean = var = math.inf
    if not (math.isfinite(mean) and math.isfinite(var)):
        scale = max(abs(v) for v in column)
        mean_s = sum(v / scale for v in column) / n
        var_s = sum((v / scale - mean_s) ** 2 for v in column) / n
        return mean_s * scale, math.sqrt(var_s) * scale if var_s > 0 else 1.0
    return mean, math.sqrt(var) if var > 0 else 1.0


def _standard(v: float, mean: float, std: float) -> float:
    """(v - mean) / std, by v / std - mean / std where v - mean overflows (|z| is at most
    sqrt(n) for the data the mean and std came from)."""
    z = (v - mean) / std
    return z if math.isfinite(z) else v / std - mean / std
