"""Tests for nn.search: parameter grids and samplers, folds, grid/random search on any executor."""

import concurrent.futures as cf
import math
import pickle
import random
import sys
import types
import warnings

import pytest

from nn import MLP, data, evaluate
from nn.search import (
    Choice,
    LogUniform,
    MLPBuilder,
    ParameterGrid,
    ParameterSampler,
    SearchResult,
    Trial,
    choice,
    cv_splits,
    format_table,
    grid_search,
    loguniform,
    random_search,
    trial_seed,
)

X, Y = data.make_moons(40, noise=0.1, seed=0)
BUILD = MLPBuilder(2, hidden=4, epochs=5)
# 8 candidates; the 4 with optimizer "nope" fail inside fit
GRID = {"lr": [0.1, 0.01], "hidden": [4, (4, 4)], "optimizer": ["adam", "nope"]}


def scores_of(result):
    return [(t.index, t.params, t.scores, t.error) for t in result.trials]


# module-level builds, so that process pools can import them -----------------------------------


def build_unseeded(params):
    """Weights from Python's global random (seed=None): the search seeds it per fit."""
    return MLP(2, [params["hidden"], 1]), {"loss": "bce_with_logits", "epochs": 3}


def build_failing_for_large_hidden(params):
    if params["hidden"] > 4:
        raise RuntimeError(f"no room for {params['hidden']} neurons")
    return MLP(2, [params["hidden"], 1], seed=0), {"loss": "bce_with_logits", "epochs": 3}


def build_warning(params):
    warnings.warn("build says hello", UserWarning, stacklevel=1)
    return MLP(2, [2, 1], seed=0), {"loss": "bce_with_logits", "epochs": 2}


def build_not_a_pair(params):
    return MLP(2, [2, 1], seed=0)


def negative_mse(model, X_val, y_val):  # noqa: N803
    return -evaluate(model, X_val, y_val, loss="bce_with_logits", metrics=())["loss"]


# ---- ParameterGrid: scikit-learn's order ----------------------------------------------------
# Expected lists follow sklearn.model_selection.ParameterGrid: names sorted, the last one
# varying fastest (itertools.product), dicts of a list visited in turn, {} is one candidate.

GRID_CASES = [
    (
        {"a": [1, 2], "b": [True, False]},  # sklearn's docstring example
        [{"a": 1, "b": True}, {"a": 1, "b": False}, {"a": 2, "b": True}, {"a": 2, "b": False}],
    ),
    (
        [{"kernel": ["linear"]}, {"kernel": ["rbf"], "gamma": [1, 10]}],  # sklearn's second
        [{"kernel": "linear"}, {"gamma": 1, "kernel": "rbf"}, {"gamma": 10, "kernel": "rbf"}],
    ),
    (
        {"lr": [0.1, 0.01], "hidden": [8, 16], "act": ["relu", "tanh"]},  # typed unsorted
        [
            {"act": "relu", "hidden": 8, "lr": 0.1},
            {"act": "relu", "hidden": 8, "lr": 0.01},
            {"act": "relu", "hidden": 16, "lr": 0.1},
            {"act": "relu", "hidden": 16, "lr": 0.01},
            {"act": "tanh", "hidden": 8, "lr": 0.1},
            {"act": "tanh", "hidden": 8, "lr": 0.01},
            {"act": "tanh", "hidden": 16, "lr": 0.1},
            {"act": "tanh", "hidden": 16, "lr": 0.01},
        ],
    ),
    ({}, [{}]),
    ([{}, {"a": [1, 2]}], [{}, {"a": 1}, {"a": 2}]),
    ({"z": (3,), "y": range(2)}, [{"y": 0, "z": 3}, {"y": 1, "z": 3}]),
    ([], []),
]


@pytest.mark.parametrize("param_grid, expected", GRID_CASES)
def test_parameter_grid_order_and_size_match_sklearn(param_grid, expected):
    grid = ParameterGrid(param_grid)
    assert list(grid) == expected
    assert len(grid) == len(expected)
    assert [list(p) for p in grid] == [sorted(p) for p in expected]  # keys in sorted order


@pytest.mark.parametrize("param_grid, expected", GRID_CASES)
def test_parameter_grid_indexing_equals_iteration(param_grid, expected):
    grid = ParameterGrid(param_grid)
    assert [grid[i] for i in range(len(grid))] == expected
    assert [grid[i - len(grid)] for i in range(len(grid))] == expected
    with pytest.raises(IndexError, match="out of range"):
        grid[len(grid)]


@pytest.mark.parametrize(
    "param_grid, error, message",
    [
        ({"lr": 0.1}, TypeError, r"'lr' must be a list.*\[0.1\]"),
        ({"act": "relu"}, TypeError, "'act' must be a list"),
        ({"lr": []}, ValueError, "non-empty"),
        ({"lr": loguniform(0.01, 0.1)}, TypeError, "distribution"),
        ([{"a": [1]}, 3], TypeError, "dict or a list of dicts"),
        ("lr=0.1", TypeError, "dict or a list of dicts"),
        ({1: [2]}, TypeError, "names must be strings"),
    ],
)
def test_parameter_grid_rejects_bad_grids_with_the_culprit(param_grid, error, message):
    with pytest.raises(error, match=message):
        ParameterGrid(param_grid)


# ---- ParameterSampler, loguniform, choice ---------------------------------------------------


def test_sampler_same_seed_same_candidates_and_iterating_twice_repeats():
    space = {"lr": loguniform(1e-4, 1e-1), "hidden": [4, 8, 16], "act": choice(["relu", "tanh"])}
    first = list(ParameterSampler(space, 6, seed=7))
    assert first == list(ParameterSampler(space, 6, seed=7))
    sampler = ParameterSampler(space, 6, seed=7)
    assert list(sampler) == list(sampler) == first
    assert first != list(ParameterSampler(space, 6, seed=8))
    assert all(list(p) == ["act", "hidden", "lr"] for p in first)  # sorted names, as sklearn


def test_sampler_with_only_lists_draws_distinct_grid_points():
    space = {"a": [1, 2, 3], "b": ["x", "y"], "c": [True, False]}  # 12 grid points
    grid = list(ParameterGrid(space))
    some = list(ParameterSampler(space, 7, seed=0))
    assert len(some) == 7
    assert len({tuple(p.items()) for p in some}) == 7  # without replacement
    assert all(p in grid for p in some)
    every = list(ParameterSampler(space, 12, seed=1))
    assert sorted(map(str, every)) == sorted(map(str, grid))


def test_sampler_asking_for_more_than_the_grid_warns_and_returns_the_grid():
    sampler = ParameterSampler({"a": [1, 2], "b": [3]}, 5, seed=0)
    assert len(sampler) == 2
    with pytest.warns(UserWarning, match="only 2 points"):
        got = list(sampler)
    assert sorted(p["a"] for p in got) == [1, 2]


def test_sampler_with_a_distribution_draws_n_iter_with_replacement():
    sampler = ParameterSampler({"a": [1, 2], "lr": loguniform(0.01, 1.0)}, 20, seed=0)
    got = list(sampler)
    assert len(sampler) == len(got) == 20
    assert {p["a"] for p in got} == {1, 2}
    assert all(0.01 <= p["lr"] <= 1.0 for p in got)


def test_sampler_list_of_dicts_picks_one_dict_per_candidate():
    space = [{"opt": ["sgd"], "momentum": [0.0, 0.9]}, {"opt": ["adam"], "lr": loguniform(1e-3, 1)}]
    got = list(ParameterSampler(space, 30, seed=3))
    kinds = {tuple(sorted(p)) for p in got}
    assert kinds == {("momentum", "opt"), ("lr", "opt")}
    assert all((p["opt"] == "sgd") == ("momentum" in p) for p in got)


class FakeScipyDist:
    """Anything with .rvs(random_state=...) is a distribution; scipy's take an int seed."""

    def __init__(self):
        self.seeds = []

    def rvs(self, random_state=None):
        self.seeds.append(random_state)
        return random.Random(random_state).random()


def test_sampler_passes_distributions_an_int_seed_scipy_accepts():
    dist = FakeScipyDist()
    got = list(ParameterSampler({"x": dist}, 3, seed=0))
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in dist.seeds)
    assert [p["x"] for p in got] == [random.Random(s).random() for s in dist.seeds]


def test_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_iter must be an int >= 1, got 0"):
        ParameterSampler({"a": [1]}, 0)
    with pytest.raises(TypeError, match="list of values or a distribution"):
        ParameterSampler({"a": 3}, 2)
    with pytest.raises(TypeError, match="random_state must be"):
        ParameterSampler({"a": [1]}, 2, seed="zero")


def test_loguniform_is_uniform_in_log_space_and_reproducible():
    dist = loguniform(1e-3, 1e-1)
    rng = random.Random(0)
    xs = [dist.rvs(random_state=rng) for _ in range(4000)]
    assert all(1e-3 <= x <= 1e-1 for x in xs)
    low_decade = sum(x < 1e-2 for x in xs) / len(xs)  # half the log-range: half the samples
    assert 0.46 < low_decade < 0.54
    assert dist.rvs(random_state=5) == dist.rvs(random_state=5)
    assert isinstance(dist, LogUniform)


@pytest.mark.parametrize("a, b", [(0, 1), (-1, 1), (1, 1), (2, 1), (1, math.inf), ("1", 2)])
def test_loguniform_rejects_bad_bounds(a, b):
    with pytest.raises(ValueError, match="loguniform"):
        loguniform(a, b)


def test_choice_draws_every_option_and_obeys_weights():
    c = choice([(8,), (16, 16), 32])
    assert isinstance(c, Choice)
    rng = random.Random(1)
    assert {c.rvs(random_state=rng) for _ in range(100)} == {(8,), (16, 16), 32}
    weighted = choice(["a", "b"], weights=[0, 3])
    assert {weighted.rvs(random_state=rng) for _ in range(50)} == {"b"}
    assert c.rvs(random_state=4) == c.rvs(random_state=4)


@pytest.mark.parametrize(
    "options, weights, message",
    [([], None, "non-empty"), ("ab", None, "non-empty list"), ([1, 2], [1], "2 options"),
     ([1, 2], [1, -1], ">= 0"), ([1, 2], [0, 0], "not all be 0")],
)
def test_choice_rejects_bad_options(options, weights, message):
    with pytest.raises(ValueError, match=message):
        choice(options, weights)


# ---- folds and seeds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n, k, sizes", [(10, 3, [4, 3, 3]), (40, 3, [14, 13, 13]), (5, 5, [1] * 5)]
)
def test_kfold_partitions_the_rows_with_sklearn_fold_sizes(n, k, sizes):
    splits = cv_splits(n, k, seed=0)
    assert [len(val) for _, val in splits] == sizes
    assert sorted(i for _, val in splits for i in val) == list(range(n))
    for train, val in splits:
        assert sorted(train + val) == list(range(n))
        assert train == sorted(train) and val == sorted(val)


def test_folds_depend_only_on_the_seed():
    assert cv_splits(30, 3, seed=1) == cv_splits(30, 3, seed=1)
    assert cv_splits(30, 3, seed=1) != cv_splits(30, 3, seed=2)


def test_validation_fraction_holds_out_ceil_of_the_fraction():
    [(train, val)] = cv_splits(10, 0.25, seed=0)
    assert len(val) == 3 and len(train) == 7 and sorted(train + val) == list(range(10))


def test_explicit_splits_are_used_as_given():
    assert cv_splits(4, [([0, 1], [2, 3])]) == [([0, 1], [2, 3])]


@pytest.mark.parametrize(
    "cv, error, message",
    [(1, ValueError, "between 2 and"), (11, ValueError, "between 2 and"),
     (1.0, ValueError, r"in \(0, 1\)"), (0.99, ValueError, "none to train"),
     ([([0], [])], ValueError, "validation indices"), ([([0], [10])], ValueError, r"\[0, 10\)"),
     ([], ValueError, "empty"), ("3", TypeError, "cv must be"), (True, TypeError, "cv must be")],
)
def test_bad_cv_is_rejected(cv, error, message):
    with pytest.raises(error, match=message):
        cv_splits(10, cv)


def test_trial_seeds_are_stable_and_distinct():
    seeds = {trial_seed(0, t, f) for t in range(20) for f in range(-1, 5)}
    assert len(seeds) == 20 * 6
    assert trial_seed(3, 1, 2) == trial_seed(3, 1, 2)
    assert trial_seed(3, 1, 2) != trial_seed(4, 1, 2)


# ---- grid_search / random_search ------------------------------------------------------------


@pytest.fixture(scope="module")
def sequential():
    """The reference run, shared by the tests that compare executors with it."""
    return grid_search(BUILD, GRID, X, Y, progress=False)


def test_grid_search_tries_every_candidate_in_grid_order(sequential):
    assert [t.params for t in sequential.trials] == list(ParameterGrid(GRID))
    assert [t.index for t in sequential.trials] == list(range(8))
    assert sequential.n_splits == 3 and not sequential.interrupted
    for t in sequential.trials:
        assert (t.error is None) == (t.params["optimizer"] == "adam")
        assert len(t.scores) == (3 if t.ok else 0)
        assert t.fit_time >= 0


def test_failing_trial_is_recorded_and_the_others_finish(sequential):
    failed = [t for t in sequential.trials if t.error is not None]
    assert len(failed) == 4
    for t in failed:
        assert t.error.startswith("fold 0: ValueError: unknown optimizer 'nope'")
        assert "Traceback" in t.traceback and "unknown optimizer" in t.traceback
        assert math.isnan(t.mean_score) and math.isnan(t.std_score) and not t.ok
        assert t.rank == 5  # after the 4 good ones
    assert all(t.ok for t in sequential.trials if t.params["optimizer"] == "adam")


def test_best_is_the_highest_mean_accuracy_and_rows_are_ranked(sequential):
    good = [t for t in sequential.trials if t.ok]
    top = max(t.mean_score for t in good)
    assert sequential.best_score == top
    first_best = min(t.index for t in good if t.mean_score == top)
    assert sequential.best_index == first_best
    assert sequential.best_params == sequential.trials[first_best].params
    rows = sequential.to_rows()
    means = [r["mean_score"] for r in rows if r["error"] is None]
    assert means == sorted(means, reverse=True)
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert rows[0]["rank"] == 1 and rows[-1]["error"] is not None
    for t in good:
        assert t.mean_score == pytest.approx(sum(t.scores) / 3)
        var = sum((s - t.mean_score) ** 2 for s in t.scores) / 3
        assert t.std_score == pytest.approx(math.sqrt(var))


def test_best_model_is_the_best_params_refit_on_all_data(sequential):
    model, kwargs = BUILD(sequential.best_params)
    from nn import fit

    fit(model, X, Y, **kwargs, seed=trial_seed(0, sequential.best_index, -1), progress=False)
    assert sequential.best_model.state_dict() == model.state_dict()
    assert sequential.best_model.nouts == model.nouts
    # the refit model scores as a trained model on the data it was fitted on
    acc = evaluate(sequential.best_model, X, Y, loss="bce_with_logits")["accuracy"]
    assert acc == evaluate(model, X, Y, loss="bce_with_logits")["accuracy"]


def test_identical_scores_on_a_two_process_pool(sequential):
    pooled = grid_search(BUILD, GRID, X, Y, n_jobs=2, progress=False)
    assert scores_of(pooled) == scores_of(sequential)
    assert pooled.best_model.state_dict() == sequential.best_model.state_dict()


def test_identical_scores_on_a_thread_pool_because_fits_take_turns(sequential):
    # no_grad is process-wide in the engine: concurrent fits in threads would corrupt each other
    with cf.ThreadPoolExecutor(2) as pool:
        threaded = grid_search(BUILD, GRID, X, Y, executor=pool, progress=False)
    assert scores_of(threaded) == scores_of(sequential)


def test_unseeded_builds_are_reproducible_across_executors_and_keep_global_random():
    grid = {"hidden": [2, 3]}
    random.seed(123)
    state = random.getstate()
    alone = grid_search(build_unseeded, grid, X, Y, cv=2, progress=False)
    assert random.getstate() == state  # the search restores Python's global random
    random.seed(999)  # whatever the caller's global state, the trials are the same
    again = grid_search(build_unseeded, grid, X, Y, cv=2, progress=False)
    pooled = grid_search(build_unseeded, grid, X, Y, cv=2, n_jobs=2, progress=False)
    assert scores_of(alone) == scores_of(again) == scores_of(pooled)


@pytest.fixture(scope="module")
def dask_executor():
    """A real two-worker Dask cluster on the loopback interface, closed after the tests."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client.get_executor()
    finally:
        client.close()
        cluster.close()


@pytest.mark.slow
def test_identical_scores_on_a_dask_cluster(sequential, dask_executor):
    on_dask = grid_search(BUILD, GRID, X, Y, executor=dask_executor, progress=False)
    assert scores_of(on_dask) == scores_of(sequential)
    assert on_dask.best_model.state_dict() == sequential.best_model.state_dict()


def test_loss_scoring_ranks_lower_first():
    result = grid_search(BUILD, {"lr": [0.1, 0.001]}, X, Y, cv=2, scoring="loss", progress=False)
    assert result.scoring == "loss" and not result.greater_is_better
    assert result.best_score == min(t.mean_score for t in result.trials)
    means = [r["mean_score"] for r in result.to_rows()]
    assert means == sorted(means)
    assert "(lower is better)" in result.plot().axes[0].get_ylabel()


def test_callable_scoring_is_maximised():
    result = grid_search(BUILD, {"lr": [0.1, 0.001]}, X, Y, cv=2, scoring=negative_mse,
                         progress=False)
    assert result.scoring == "negative_mse" and result.greater_is_better
    assert result.best_score == max(t.mean_score for t in result.trials)
    assert all(t.mean_score < 0 for t in result.trials)


def test_validation_fraction_gives_one_split():
    result = grid_search(BUILD, {"lr": [0.1]}, X, Y, cv=0.25, progress=False)
    assert result.n_splits == 1 and len(result.trials[0].scores) == 1
    assert result.trials[0].error is None


def test_build_errors_are_recorded_per_trial_with_the_fold():
    result = grid_search(build_failing_for_large_hidden, {"hidden": [2, 8]}, X, Y, cv=2,
                         progress=False)
    ok, bad = result.trials
    assert ok.ok and bad.error == "fold 0: RuntimeError: no room for 8 neurons"
    assert result.best_params == {"hidden": 2}


def test_build_must_return_model_and_kwargs():
    with pytest.warns(RuntimeWarning, match="all 1 trials failed"):
        result = grid_search(build_not_a_pair, {"x": [1]}, X, Y, cv=2, progress=False)
    assert "must return (model, fit_kwargs)" in result.trials[0].error
    assert result.best_params is None and result.best_model is None
    assert math.isnan(result.best_score)


def test_trial_warnings_are_collected_not_printed(recwarn):
    result = grid_search(build_warning, {"x": [1]}, X, Y, cv=2, progress=False, refit=False)
    assert result.trials[0].warnings == ["UserWarning: build says hello"]
    assert not [w for w in recwarn if "hello" in str(w.message)]


def test_accuracy_scoring_of_a_regression_is_an_error_naming_loss():
    y_reg = [float(x[0]) for x in X]
    build = MLPBuilder(2, hidden=2, epochs=2, loss="mse")
    with pytest.warns(RuntimeWarning, match="failed"):
        result = grid_search(build, {"lr": [0.1]}, X, y_reg, cv=2, progress=False)
    assert "use scoring='loss'" in result.trials[0].error
    by_loss = grid_search(build, {"lr": [0.1]}, X, y_reg, cv=2, scoring="loss", progress=False)
    assert by_loss.trials[0].ok


def interrupt_after(n):
    seen = []

    def on_trial(trial):
        seen.append(trial.index)
        if len(seen) == n:
            raise KeyboardInterrupt

    return on_trial, seen


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_cancels_pending_trials_and_returns_the_finished(n_jobs):
    on_trial, seen = interrupt_after(2)
    grid = {"hidden": [2, 3, 4, 5, 6, 7]}
    with pytest.warns(RuntimeWarning, match="interrupted: 2 of 6 trials finished"):
        result = grid_search(MLPBuilder(2, epochs=2), grid, X, Y, cv=2, n_jobs=n_jobs,
                             on_trial=on_trial, progress=False)
    assert result.interrupted and len(result.trials) == 2
    assert sorted(t.index for t in result.trials) == sorted(seen)
    assert result.best_model is None and result.best_params is not None
    assert "(interrupted: 2 of 6 trials finished)" in format_table(result)
    if n_jobs == 1:  # sequential: nothing ran after the interrupt
        assert [t.index for t in result.trials] == [0, 1]


def test_an_error_in_on_trial_propagates():
    def on_trial(trial):
        raise ValueError("callback bug")

    with pytest.raises(ValueError, match="callback bug"):
        grid_search(BUILD, {"lr": [0.1, 0.2]}, X, Y, cv=2, on_trial=on_trial, progress=False)


def test_progress_bar_shows_best_so_far(capsys):
    grid_search(BUILD, {"lr": [0.1, 0.01]}, X, Y, cv=2, progress=True)
    err = capsys.readouterr().err
    assert "grid_search" in err and "2/2" in err and "best=" in err
    grid_search(BUILD, {"lr": [0.1]}, X, Y, cv=2, progress=False)
    assert capsys.readouterr().err == ""  # fit's own bar is off inside trials too


def test_no_seed_picks_one_that_reruns_identically():
    result = grid_search(BUILD, {"lr": [0.1]}, X, Y, seed=None, progress=False)
    assert isinstance(result.seed, int)
    again = grid_search(BUILD, {"lr": [0.1]}, X, Y, seed=result.seed, progress=False)
    assert scores_of(again) == scores_of(result)


class FailsOnCall:
    """A build that raises on its n-th call (sequential searches call it in a known order)."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, params):
        self.calls += 1
        if self.calls == self.n:
            raise MemoryError("out of memory on the full data")
        return BUILD(params)


def test_a_failed_refit_warns_and_keeps_the_trials():
    build = FailsOnCall(2 * 2 + 1)  # 2 candidates x 2 folds, then the refit
    with pytest.warns(RuntimeWarning, match="refitting .* failed .*MemoryError"):
        result = grid_search(build, {"lr": [0.1, 0.01]}, X, Y, cv=2, progress=False)
    assert result.best_model is None and all(t.ok for t in result.trials)
    assert build.calls == 5


def test_refit_false_keeps_no_model():
    result = grid_search(BUILD, {"lr": [0.1]}, X, Y, cv=2, refit=False, progress=False)
    assert result.best_model is None and result.best_params == {"lr": 0.1}


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"scoring": "f1"}, ValueError, "unknown scoring 'f1'"),
        ({"scoring": 3}, TypeError, "scoring must be"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be an int >= 1"),
        ({"n_jobs": 2, "executor": cf.ThreadPoolExecutor(1)}, ValueError, "not both"),
        ({"executor": object()}, TypeError, "concurrent.futures.Executor"),
        ({"seed": 1.5}, TypeError, "seed must be an int"),
        ({"cv": 50}, ValueError, "between 2 and the 40 samples"),
    ],
)
def test_grid_search_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        grid_search(BUILD, {"lr": [0.1]}, X, Y, progress=False, **kwargs)


def test_grid_search_rejects_mismatched_data_and_empty_grids():
    with pytest.raises(ValueError, match="40 rows but y has 39"):
        grid_search(BUILD, {"lr": [0.1]}, X, Y[:-1], progress=False)
    with pytest.raises(ValueError, match="no candidates"):
        grid_search(BUILD, [], X, Y, progress=False)


def test_process_pool_needs_a_picklable_build():
    with pytest.raises(TypeError, match="must pickle: define it at module level"):
        grid_search(lambda p: BUILD(p), {"lr": [0.1]}, X, Y, n_jobs=2, progress=False)


def test_process_pool_refuses_a_build_typed_interactively(monkeypatch):
    # a notebook's or a prompt's __main__ has no file, so workers cannot import its functions
    def build(params):
        return BUILD(params)

    build.__module__, build.__qualname__ = "__main__", "build"
    fake_main = types.ModuleType("__main__")
    fake_main.build = build
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    with pytest.raises(TypeError, match="defined interactively"):
        grid_search(build, {"lr": [0.1]}, X, Y, n_jobs=2, progress=False)


def test_random_search_tries_the_sampler_candidates_reproducibly():
    space = {"lr": loguniform(1e-3, 1e-1), "hidden": [2, 4]}
    result = random_search(BUILD, space, X, Y, n_iter=3, cv=2, seed=5, progress=False)
    assert [t.params for t in result.trials] == list(ParameterSampler(space, 3, seed=5))
    again = random_search(BUILD, space, X, Y, n_iter=3, cv=2, seed=5, progress=False)
    assert scores_of(again) == scores_of(result)
    assert result.kind == "random_search" and result.best_model is not None


# ---- SearchResult, plot, table ---------------------------------------------------------------


def test_ties_share_the_better_rank_and_keep_candidate_order():
    trials = [Trial(0, {"a": 0}, [0.5]), Trial(1, {"a": 1}, [0.9]), Trial(2, {"a": 2}, [0.9]),
              Trial(3, {"a": 3}, [math.nan]), Trial(4, {"a": 4}, [], error="E: x")]
    result = SearchResult(trials)
    assert [(t.index, t.rank) for t in result.ranked()] == [(1, 1), (2, 1), (0, 3), (3, 4), (4, 4)]
    assert result.best_index == 1


def test_to_rows_prefixes_parameters_named_like_columns():
    row = SearchResult([Trial(0, {"rank": 3, "lr": 0.1}, [0.5])]).to_rows()[0]
    assert row["rank"] == 1 and row["param_rank"] == 3 and row["lr"] == 0.1


def test_plot_has_one_panel_per_parameter_with_a_log_axis_for_wide_ranges():
    trials = [
        Trial(0, {"lr": 0.1, "hidden": (8,)}, [0.6, 0.8]),
        Trial(1, {"lr": 0.001, "hidden": (16, 16)}, [0.7, 0.7]),
        Trial(2, {"lr": 0.01, "hidden": (8,), "only_failed": 1}, [], error="E: x"),
    ]
    fig = SearchResult(trials).plot()
    lr_ax, hidden_ax = fig.axes  # no panel for a parameter only failed trials had
    assert lr_ax.get_xlabel() == "lr" and lr_ax.get_xscale() == "log"
    assert [t.get_text() for t in hidden_ax.get_xticklabels()] == ["8", "16,16"]
    assert "(higher is better)" in lr_ax.get_ylabel()
    star = [line for line in hidden_ax.get_lines() if line.get_marker() == "*"]
    assert len(star) == 1 and list(star[0].get_xdata()) == [0.0]  # the best: hidden (8,)


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[plot\]"'):
        SearchResult([Trial(0, {"lr": 0.1}, [0.5])]).plot()


def test_plot_of_only_failed_trials_says_so():
    with pytest.raises(ValueError, match="no trial finished"):
        SearchResult([Trial(0, {"lr": 0.1}, [], error="E: x")]).plot()


def test_format_table_lists_ranked_trials_with_their_errors(sequential):
    lines = format_table(sequential).splitlines()
    assert lines[0].split() == ["rank", "hidden", "lr", "optimizer", "accuracy", "std",
                                "time_s", "error"]
    assert set(lines[1]) <= {"-", " "}
    assert len(lines) == 2 + 8
    assert lines[2].split()[0] == "1"
    assert "unknown optimizer" in lines[-1] and lines[-1].endswith("...")
    assert all(len(line) < 160 for line in lines)


# ---- MLPBuilder ---------------------------------------------------------------------------------


def test_mlp_builder_maps_parameters_to_model_and_fit_arguments():
    build = MLPBuilder(2, 3, hidden=(5,), epochs=7)
    model, kwargs = build({"hidden": 0, "lr": 0.2, "activation": "tanh"})
    assert model.nouts == [3] and model.nin == 2
    assert kwargs == {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.2, "epochs": 7,
                      "batch_size": None, "l2": 0.0, "clip_grad_norm": None}
    model, _ = build({"hidden": (4, 6), "activation": "tanh"})
    assert model.nouts == [4, 6, 3] and model.activation == "tanh"
    assert BUILD({})[0].state_dict() == BUILD({})[0].state_dict()  # seeded weights
    assert pickle.loads(pickle.dumps(build))({"hidden": 2})[0].nouts == [2, 3]


def test_mlp_builder_rejects_unknown_parameters_listing_the_known():
    with pytest.raises(ValueError, match="unknown hyperparameter 'momentum'; known: hidden"):
        BUILD({"momentum": 0.9})
    with pytest.raises(ValueError, match="hidden must be"):
        BUILD({"hidden": "8"})


def test_plot_orders_categories_by_value_so_grid_and_random_searches_agree():
    def ticks(hiddens):
        trials = [Trial(i, {"hidden": h}, [0.5]) for i, h in enumerate(hiddens)]
        axis = SearchResult(trials).plot().axes[0]
        return [t.get_text() for t in axis.get_xticklabels()]

    grid_order = ticks([(4,), (16,), (4, 4), (16, 16)])
    random_order = ticks([(16, 16), (4,), (4, 4), (16,), (4,)])
    assert grid_order == random_order == ["4", "4,4", "16", "16,16"]
    assert ticks(["tanh", "relu"]) == ["relu", "tanh"]
    assert ticks([(8,), "auto"]) == ["8", "auto"]  # cannot compare: first seen, first drawn
