"""Tests for nn.data: the toy generators, Iris, splitting, batching and standardising."""

import math
import random
from pathlib import Path

import pytest

from nn import data

ROOT = Path(__file__).resolve().parent.parent


# ---- generators ---------------------------------------------------------------------------------


GENERATORS = {  # each dataset generator, 50 samples, as a function of the seed
    "moons": lambda s: data.make_moons(50, noise=0.1, seed=s),
    "circles": lambda s: data.make_circles(50, noise=0.05, seed=s),
    "spirals": lambda s: data.make_spirals(50, n_classes=3, seed=s),
    "xor": lambda s: data.make_xor(50, noise=0.1, seed=s),
    "blobs": lambda s: data.make_blobs(50, centers=3, seed=s),
    "regression": lambda s: data.make_regression(50, noise=0.1, seed=s),
}


@pytest.mark.parametrize("make", GENERATORS.values(), ids=GENERATORS.keys())
def test_generators_are_deterministic_with_a_seed_and_plain_python(make):
    X1, y1 = make(3)
    X2, y2 = make(3)
    X3, _ = make(4)
    assert (X1, y1) == (X2, y2)
    assert X1 != X3
    assert len(X1) == len(y1) == 50
    assert all(type(v) is float for row in X1 for v in row)
    assert isinstance(X1, list) and isinstance(X1[0], list) and isinstance(y1, list)


def test_random_instance_works_as_seed():
    assert data.make_moons(10, noise=0.1, seed=random.Random(2)) == data.make_moons(
        10, noise=0.1, seed=2
    )


def test_moons_without_noise_lie_on_the_two_half_circles():
    X, y = data.make_moons(101, seed=0)
    assert y.count(0) == 50 and y.count(1) == 51
    for (a, b), t in zip(X, y):
        if t == 0:  # upper moon: unit circle, y >= 0
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower moon: circle of radius 1 around (1, 0.5), below its centre
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_spread():
    X0, y0 = data.make_moons(2000, seed=5)
    Xn, yn = data.make_moons(2000, noise=0.1, seed=5)
    assert y0 == yn  # noise is added after the shuffle, as scikit-learn does
    diffs = [b - a for r0, rn in zip(X0, Xn) for a, b in zip(r0, rn)]
    mean = sum(diffs) / len(diffs)
    std = math.sqrt(sum((d - mean) ** 2 for d in diffs) / len(diffs))
    assert std == pytest.approx(0.1, rel=0.05)


def test_unshuffled_moons_keep_class_order():
    _, y = data.make_moons(6, shuffle=False)
    assert y == [0, 0, 0, 1, 1, 1]


def test_circles_radii_and_factor():
    X, y = data.make_circles(40, factor=0.3, seed=0)
    for (a, b), t in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if t == 0 else 0.3)
    with pytest.raises(ValueError, match="factor must be in"):
        data.make_circles(10, factor=1.0)


def test_spirals_balanced_classes_and_radius_at_most_one():
    X, y = data.make_spirals(100, n_classes=3, noise=0.0, seed=0)
    assert [y.count(c) for c in range(3)] == [34, 33, 33]
    assert all(math.hypot(a, b) <= 1 + 1e-12 for a, b in X)


def test_xor_labels_follow_the_quadrants():
    X, y = data.make_xor(300, seed=1)
    assert all(t == int((a > 0) != (b > 0)) for (a, b), t in zip(X, y))
    assert 0.3 < sum(y) / len(y) < 0.7


def test_blobs_cluster_around_their_centers():
    centers = [[-5.0, 0.0], [5.0, 0.0]]
    X, y = data.make_blobs(400, centers=centers, cluster_std=0.5, seed=0)
    for c, center in enumerate(centers):
        rows = [x for x, t in zip(X, y) if t == c]
        assert len(rows) == 200
        mean = [sum(r[j] for r in rows) / len(rows) for j in range(2)]
        assert mean == pytest.approx(center, abs=0.1)


def test_blobs_random_centers_have_n_features():
    X, y = data.make_blobs(30, centers=4, n_features=3, seed=0)
    assert len(X[0]) == 3 and sorted(set(y)) == [0, 1, 2, 3]


def test_regression_is_a_sine_in_range():
    X, y = data.make_regression(200, seed=0)
    assert all(-math.pi <= row[0] <= math.pi and len(row) == 1 for row in X)
    assert all(t == math.sin(row[0]) for row, t in zip(X, y))
    X2, y2 = data.make_regression(20, x_range=(0.0, 1.0), seed=0)
    assert all(0.0 <= row[0] <= 1.0 for row in X2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.make_moons(0), "n_samples must be an int >= 2"),
        (lambda: data.make_moons(10, noise=-0.1), "noise must be a number >= 0"),
        (lambda: data.make_circles(1.5), "n_samples must be an int"),
        (lambda: data.make_spirals(10, n_classes=0), "n_classes must be an int >= 1"),
        (lambda: data.make_xor(-1), "n_samples must be an int >= 1"),
        (lambda: data.make_blobs(10, cluster_std=-1), "cluster_std must be >= 0"),
        (lambda: data.make_blobs(10, centers=[]), "centers must be non-empty"),
        (lambda: data.make_regression(10, x_range=(1, 1)), "low < high"),
    ],
)
def test_bad_generator_arguments_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- iris ---------------------------------------------------------------------------------------


def test_iris_has_fishers_150_rows():
    X, y = data.load_iris()
    assert len(X) == 150 and all(len(row) == 4 for row in X)
    assert [y.count(c) for c in range(3)] == [50, 50, 50]
    assert y == [0] * 50 + [1] * 50 + [2] * 50
    # column sums of R's iris (Fisher's data): an independent check of every value
    sums = [round(sum(row[j] for row in X), 6) for j in range(4)]
    assert sums == [876.5, 458.6, 563.7, 179.9]
    assert X[0] == [5.1, 3.5, 1.4, 0.2] and X[-1] == [5.9, 3.0, 5.1, 1.8]
    # the two rows the UCI copy gets wrong, as in Fisher's paper
    assert X[34] == [4.9, 3.1, 1.5, 0.2] and X[37] == [4.9, 3.6, 1.4, 0.1]


def test_iris_file_cites_its_source_and_ships_as_package_data():
    text = (ROOT / "nn" / "datasets" / "iris.csv").read_text()
    assert "Fisher" in text and "1936" in text and "UCI" in text
    assert '"datasets/*.csv"' in (ROOT / "pyproject.toml").read_text()  # shipped in the wheel
    assert data.IRIS_TARGET_NAMES == ["setosa", "versicolor", "virginica"]


# ---- train_test_split ---------------------------------------------------------------------------


def test_split_sizes_disjoint_and_complete():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_size=0.25, seed=0)
    assert len(Xte) == 3 and len(Xtr) == 7  # ceil(0.25 * 10) = 3, as scikit-learn
    assert sorted(ytr + yte) == y
    assert [row[0] for row in Xtr] == [float(t) for t in ytr]  # rows stay with their labels


def test_split_with_a_count_and_determinism():
    X, y = data.make_moons(30, seed=0)
    a = data.train_test_split(X, y, test_size=5, seed=1)
    assert a == data.train_test_split(X, y, test_size=5, seed=1)
    assert len(a[1]) == 5


def test_split_without_shuffle_keeps_order():
    _, _, ytr, yte = data.train_test_split([[0]] * 4, [0, 1, 2, 3], test_size=1, shuffle=False)
    assert yte == [0] and ytr == [1, 2, 3]


def test_stratified_split_keeps_class_proportions():
    X, y = data.make_blobs(100, centers=[[0.0], [1.0]], seed=0)
    y = [0] * 80 + [1] * 20
    _, _, ytr, yte = data.train_test_split(X, y, test_size=0.25, seed=3, stratify=y)
    assert yte.count(1) == 5 and yte.count(0) == 20
    assert ytr.count(1) == 15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"test_size": 0.0}, "test_size must be in"),
        ({"test_size": 1.0}, "test_size must be in"),
        ({"test_size": 10}, "both parts must be non-empty"),
        ({"test_size": "a"}, "test_size must be a fraction or a count"),
        ({"stratify": [0, 1]}, "stratify has 2 labels for 10 rows"),
    ],
)
def test_bad_split_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.train_test_split([[0.0]] * 10, [0] * 10, **kwargs)


def test_split_length_mismatch():
    with pytest.raises(ValueError, match="X has 2 rows but y has 3"):
        data.train_test_split([[0], [1]], [0, 1, 2])


# ---- batches ------------------------------------------------------------------------------------


def test_batches_cover_every_row_once_in_order_without_shuffle():
    X = [[i] for i in range(7)]
    out = list(data.batches(X, list(range(7)), 3, shuffle=False))
    assert [len(yb) for _, yb in out] == [3, 3, 1]
    assert [t for _, yb in out for t in yb] == list(range(7))


def test_shuffled_batches_are_a_seeded_permutation():
    X, y = [[i] for i in range(20)], list(range(20))
    a = [yb for _, yb in data.batches(X, y, 6, seed=1)]
    b = [yb for _, yb in data.batches(X, y, 6, seed=1)]
    assert a == b
    assert sorted(t for yb in a for t in yb) == y
    assert [t for yb in a for t in yb] != y
    assert all(xb == [[t] for t in yb] for xb, yb in data.batches(X, y, 6, seed=2))


@pytest.mark.parametrize("size", [0, -1, 2.0, None])
def test_bad_batch_size(size):
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        list(data.batches([[0]], [0], size))


# ---- standardize --------------------------------------------------------------------------------


def test_standardize_gives_mean_zero_std_one():
    X, _ = data.load_iris()
    Xs, mean, std = data.standardize(X)
    for j in range(4):
        col = [row[j] for row in Xs]
        assert sum(col) / len(col) == pytest.approx(0.0, abs=1e-12)
        assert math.sqrt(sum(v * v for v in col) / len(col)) == pytest.approx(1.0)
    assert mean[0] == pytest.approx(876.5 / 150)


def test_standardize_applies_given_statistics_and_handles_constants():
    Xs, mean, std = data.standardize([[1.0, 2.0], [3.0, 2.0]])
    assert std == [1.0, 1.0] and mean == [2.0, 2.0]
    assert data.standardize([[4.0, 3.0]], mean, std)[0] == [[2.0, 1.0]]


@pytest.mark.parametrize(
    "args, message",
    [
        (([],), "X is empty"),
        (([[1.0], [1.0, 2.0]],), "same number of features"),
        (([[1.0]], [0.0]), "pass both mean and std"),
        (([[1.0]], [0.0], [0.0]), "every std must be > 0"),
        (([[1.0, 2.0]], [0.0], [1.0]), "X has 2 features"),
    ],
)
def test_bad_standardize_arguments(args, message):
    with pytest.raises(ValueError, match=message):
        data.standardize(*args)


# ---- numpy integers as seeds and counts ---------------------------------------------------------


SEEDED = {
    **GENERATORS,
    "split": lambda s: data.train_test_split(
        [[float(i)] for i in range(9)], list(range(9)), seed=s
    ),
    "batches": lambda s: list(data.batches([[0], [1], [2]], [0, 1, 2], 2, seed=s)),
}


@pytest.mark.parametrize("make", SEEDED.values(), ids=SEEDED.keys())
def test_numpy_integer_seed_gives_the_same_data_as_an_int(make):
    np = pytest.importorskip("numpy")
    for kind in (np.int64, np.int32, np.uint8):
        assert make(kind(5)) == make(5)


@pytest.mark.parametrize("seed", [5.0, True])
def test_float_and_bool_seeds_are_still_refused(seed):
    with pytest.raises(TypeError, match="rng/seed must be a random.Random, an int or None"):
        data.make_moons(10, seed=seed)


def test_numpy_integer_test_size_is_a_count():
    np = pytest.importorskip("numpy")
    X, y = data.make_moons(30, seed=0)
    split = data.train_test_split(X, y, test_size=np.int64(5), seed=1)
    assert split == data.train_test_split(X, y, test_size=5, seed=1)
    assert len(split[1]) == 5
    with pytest.raises(ValueError, match="test_size=30 gives 30 test rows of 30"):
        data.train_test_split(X, y, test_size=np.int64(30))


@pytest.mark.parametrize("test_size", [True, "5"])
def test_bool_and_non_number_test_sizes_are_still_refused(test_size):
    with pytest.raises(ValueError, match="test_size must be a fraction or a count"):
        data.train_test_split([[0.0]] * 10, [0] * 10, test_size=test_size)


def test_read_csv_without_header_names_columns_and_skips_comments(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("\ufeff# made by hand\n1, 2.5, 0\n\n-1,1e-3,1\n")  # a BOM, spaces, blanks
    X, y, names = data.read_csv(path)
    assert X == [[1.0, 2.5], [-1.0, 0.001]] and y == [0.0, 1.0]
    assert names == ["x0", "x1", "target"]
