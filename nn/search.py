"""Hyperparameter search: grid and random search with cross-validation, locally or on Dask.

``build(params) -> (model, fit_kwargs)`` turns one parameter dict into a fresh model and the
keyword arguments for ``nn.fit``; the search trains it on each cross-validation fold, scores it
on the held-out part and ranks the candidates. ``MLPBuilder`` is a ready-made ``build``.

Where the trials run (the scores are identical in all three):

- sequentially (the default);
- ``n_jobs=2``: a local process pool. ``build`` (and a callable ``scoring``) must pickle:
  define it at module level in a ``.py`` file (not a lambda, a nested function or a function
  typed into a notebook) or use ``MLPBuilder``. Workers are started with "forkserver" (or
  "spawn" where that is missing), never "fork": forking a process that runs threads (tqdm's
  monitor, a Dask client, Jupyter) can deadlock, and Python 3.14 no longer forks by default;
- ``executor=``: any ``concurrent.futures.Executor``, e.g. a Dask cluster's
  ``distributed.Client("tcp://host:8786").get_executor()`` (``pip install "chainrule[dask]"``);
  Dask pickles with cloudpickle, so lambdas work there. Within one process fits take turns
  (the engine's ``no_grad`` is process-wide, and threads cannot speed up pure Python anyway),
  so give Dask workers one thread each (``threads_per_worker=1``) and more processes.

Every fit is seeded from ``trial_seed(seed, trial, fold)``, a hash of the search seed, the
trial's index and the fold, so no result depends on which worker ran it or in which order.

>>> from nn import data
>>> X, y = data.make_moons(40, noise=0.1, seed=0)
>>> result = grid_search(MLPBuilder(2, hidden=4, epochs=5), {"lr": [0.1, 0.01]}, X, y,
...                      cv=2, progress=False)
>>> len(result.trials), sorted(result.best_params)
(2, ['lr'])
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import itertools
import math
import multiprocessing
import numbers
import os
import pickle
import random
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .init import make_rng
from .layers import MLP
from .module import Module
from .train import evaluate, fit, progress_bar

__all__ = [
    "ParameterGrid",
    "ParameterSampler",
    "LogUniform",
    "Choice",
    "loguniform",
    "choice",
    "grid_search",
    "random_search",
    "SearchResult",
    "Trial",
    "MLPBuilder",
    "cv_splits",
    "trial_seed",
    "format_table",
]

Params = dict[str, Any]
Build = Callable[[Params], tuple[Module, Mapping[str, Any]]]


# ---- parameter spaces ---------------------------------------------------------------------------


def _grids(params: Any, where: str) -> list[dict[str, Any]]:
    """A dict or a list of dicts, as a list of dicts with string keys."""
    if isinstance(params, Mapping):
        grids = [params]
    elif isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"{where}: expected a dict or a list of dicts, got {type(params).__name__}")
    else:
        grids = list(params)
    for grid in grids:
        if not isinstance(grid, Mapping):
            raise TypeError(
                f"{where}: expected a dict or a list of dicts, got an item {grid!r:.60}"
            )
        for key in grid:
            if not isinstance(key, str):
                raise TypeError(f"{where}: parameter names must be strings, got {key!r}")
    return [dict(grid) for grid in grids]


def _is_value_list(values: Any) -> bool:
    return (
        not isinstance(values, (str, bytes, Mapping))
        and hasattr(values, "__len__")
        and hasattr(values, "__getitem__")
    )


def _check_values(where: str, key: str, values: Any, allow_rvs: bool) -> None:
    if allow_rvs and hasattr(values, "rvs"):
        return
    if hasattr(values, "rvs"):
        raise TypeError(
            f"{where}: {key!r} is a distribution ({values!r:.60}); a grid needs a list of "
            "values (sample distributions with ParameterSampler or random_search)"
        )
    if not _is_value_list(values):
        what = "a list of values or a distribution with .rvs()" if allow_rvs else "a list"
        raise TypeError(
            f"{where}: the values of {key!r} must be {what}, got {type(values).__name__} "
            f"{values!r:.60} (wrap a single value in a list: [{values!r:.40}])"
        )
    if len(values) == 0:
        raise ValueError(f"{where}: the values of {key!r} must be a non-empty list, got {values!r}")


class ParameterGrid:
    """Every combination of parameter values, in scikit-learn's order.

    ``param_grid`` is a dict mapping names to lists of values, or a list of such dicts (the
    grids are visited one after another; an empty dict is one candidate with no parameters).
    Within a dict the names are sorted and the last name varies fastest
    (``itertools.product`` over the sorted names), exactly as ``sklearn.model_selection.
    ParameterGrid``. ``grid[i] == list(grid)[i]`` without building the list.

    >>> grid = ParameterGrid({"lr": [0.1, 0.01], "hidden": [8, 16]})
    >>> len(grid)
    4
    >>> list(grid)  # doctest: +NORMALIZE_WHITESPACE
    [{'hidden': 8, 'lr': 0.1}, {'hidden': 8, 'lr': 0.01},
     {'hidden': 16, 'lr': 0.1}, {'hidden': 16, 'lr': 0.01}]
    >>> ParameterGrid([{"opt": ["sgd"]}, {"opt": ["adam"], "lr": [1, 2]}])[2]
    {'lr': 2, 'opt': 'adam'}
    """

    def __init__(self, param_grid: Mapping[str, Sequence[Any]] | Iterable[Mapping[str, Any]]):
        grids = _grids(param_grid, "ParameterGrid")
        for grid in grids:
            for key, values in grid.items():
                _check_values("ParameterGrid", key, values, allow_rvs=False)
        self.param_grid = grids

    def __iter__(self) -> Iterator[Params]:
        for grid in self.param_grid:
            keys = sorted(grid)  # sorted names: the order does not depend on how the dict was typed
            for combo in itertools.product(*(grid[k] for k in keys)):
                yield dict(zip(keys, combo))

    def __len__(self) -> int:
        return sum(math.prod(len(v) for v in grid.values()) for grid in self.param_grid)

    def __getitem__(self, index: int) -> Params:
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ParameterGrid indices must be integers, got {type(index).__name__}")
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"ParameterGrid index {index} out of range for a grid of {n}")
        for grid in self.param_grid:
            size = math.prod(len(v) for v in grid.values())
            if index >= size:
                index -= size
                continue
            keys = sorted(grid)
            picked: Params = {}
            # mixed-radix digits of index, the last name being the fastest-varying digit
            for key in reversed(keys):
                index, offset = divmod(index, len(grid[key]))
                picked[key] = grid[key][offset]
            return {key: picked[key] for key in keys}
        raise IndexError("ParameterGrid index out of range")  # pragma: no cover - checked above

    def __repr__(self) -> str:
        return f"ParameterGrid({self.param_grid!r})"


class LogUniform:
    """A log-uniform distribution on [a, b]: ``log(x)`` is uniform, so each decade is as likely.

    The usual prior for learning rates and L2 strengths. ``rvs(random_state)`` takes an int
    seed, a ``random.Random`` or None (the global ``random`` module), like scipy's ``.rvs``.

    >>> dist = LogUniform(1e-3, 1e-1)
    >>> x = dist.rvs(random_state=0)
    >>> 1e-3 <= x <= 1e-1, x == dist.rvs(random_state=0)
    (True, True)
    """

    def __init__(self, a: float, b: float) -> None:
        for name, v in (("a", a), ("b", b)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 < v < math.inf:
                raise ValueError(f"loguniform: {name} must be a finite number > 0, got {v!r}")
        if not a < b:
            raise ValueError(f"loguniform: need a < b, got a={a!r}, b={b!r}")
        self.a, self.b = float(a), float(b)

    def rvs(self, random_state: Any = None) -> float:
        """One sample: ``exp(u)`` with ``u`` uniform on [log a, log b]."""
        gen = make_rng(random_state, "loguniform.rvs: random_state")
        x = math.exp(gen.uniform(math.log(self.a), math.log(self.b)))
        return min(max(x, self.a), self.b)  # exp(log(b)) may round just past b

    def __repr__(self) -> str:
        return f"loguniform({self.a!r}, {self.b!r})"


class Choice:
    """A uniform (or weighted) choice among ``options``, sampled with replacement.

    In a ``ParameterSampler`` a plain list is also sampled uniformly, but as soon as every
    value is a list the sampler draws grid points *without* replacement; a ``Choice`` is a
    distribution, so it always draws independently.

    >>> Choice(["relu", "tanh"]).rvs(random_state=3) in ("relu", "tanh")
    True
    >>> Choice([8, 16], weights=[0, 1]).rvs(random_state=0)
    16
    """

    def __init__(self, options: Sequence[Any], weights: Sequence[float] | None = None) -> None:
        if not _is_value_list(options) or len(options) == 0:
            raise ValueError(f"choice: options must be a non-empty list, got {options!r:.60}")
        self.options = list(options)
        self.weights = None
        if weights is not None:
            ws = list(weights)
            if len(ws) != len(self.options):
                raise ValueError(
                    f"choice: {len(ws)} weights for {len(self.options)} options; give one each"
                )
            for w in ws:
                if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 <= w < math.inf:
                    raise ValueError(f"choice: weights must be finite numbers >= 0, got {w!r}")
            if sum(ws) <= 0:
                raise ValueError(f"choice: the weights must not all be 0, got {ws}")
            self.weights = [float(w) for w in ws]

    def rvs(self, random_state: Any = None) -> Any:
        """One option, drawn uniformly or by ``weights``."""
        gen = make_rng(random_state, "choice.rvs: random_state")
        if self.weights is None:
            return self.options[gen.randrange(len(self.options))]
        return gen.choices(self.options, weights=self.weights)[0]

    def __repr__(self) -> str:
        extra = "" if self.weights is None else f", weights={self.weights!r}"
        return f"choice({self.options!r}{extra})"


def loguniform(a: float, b: float) -> LogUniform:
    """A log-uniform distribution on [a, b], for ``random_search`` (no scipy needed).

    >>> loguniform(1e-4, 1e-1)
    loguniform(0.0001, 0.1)
    """
    return LogUniform(a, b)


def choice(options: Sequence[Any], weights: Sequence[float] | None = None) -> Choice:
    """A choice among ``options`` (with replacement), for ``random_search``.

    >>> choice([(8,), (16, 16)]).rvs(random_state=1) in [(8,), (16, 16)]
    True
    """
    return Choice(options, weights)


class ParameterSampler:
    """``n_iter`` random candidates from lists and distributions, as scikit-learn's.

    ``param_distributions`` is a dict (or a list of dicts; each candidate first picks one of
    them uniformly) mapping names to lists or to anything with ``.rvs(random_state)`` (our
    ``loguniform``/``choice``, or scipy.stats distributions). When *every* value is a list the
    candidates are distinct grid points drawn uniformly without replacement (at most the size of
    the grid, with a warning); otherwise each name is drawn independently: a list uniformly, a
    distribution by ``.rvs(random_state=<a 32-bit int seed from our generator>)``.
    ``seed`` (an int) makes the candidates reproducible: iterating twice gives the same list.

    >>> sampler = ParameterSampler({"lr": loguniform(1e-3, 1e-1), "hidden": [8, 16]}, 3, seed=0)
    >>> len(sampler), list(sampler) == list(sampler)
    (3, True)
    >>> grid_points = list(ParameterSampler({"a": [1, 2], "b": [3, 4]}, 4, seed=0))
    >>> sorted((p["a"], p["b"]) for p in grid_points)
    [(1, 3), (1, 4), (2, 3), (2, 4)]
    """

    def __init__(
        self,
        param_distributions: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        n_iter: int,
        *,
        seed: int | random.Random | None = None,
    ) -> None:
        grids = _grids(param_distributions, "ParameterSampler")
        if not grids:
            raise ValueError("ParameterSampler: param_distributions is an empty list")
        for grid in grids:
            for key, values in grid.items():
                _check_values("ParameterSampler", key, values, allow_rvs=True)
        if isinstance(n_iter, bool) or not isinstance(n_iter, numbers.Integral) or n_iter < 1:
            raise ValueError(f"ParameterSampler: n_iter must be an int >= 1, got {n_iter!r}")
        # check the type now, not at the first iteration
        make_rng(seed, "ParameterSampler: random_state")
        self.param_distributions = grids
        self.n_iter = int(n_iter)
        self.seed = seed

    def _all_lists(self) -> bool:
        grids = self.param_distributions
        return all(not hasattr(v, "rvs") for grid in grids for v in grid.values())

    def __len__(self) -> int:
        if self._all_lists():
            return min(self.n_iter, len(ParameterGrid(self.param_distributions)))
        return self.n_iter

    def __iter__(self) -> Iterator[Params]:
        rng = random.Random() if self.seed is None else make_rng(self.seed)
        if self._all_lists():
            grid = ParameterGrid(self.param_distributions)
            n = self.n_iter
            if len(grid) < n:
                warnings.warn(
                    f"ParameterSampler: the grid has only {len(grid)} points, fewer than "
                    f"n_iter={n}; returning all {len(grid)} (grid_search does this exhaustively)",
                    UserWarning,
                    stacklevel=2,
                )
                n = len(grid)
            # distinct grid indices; random.sample on a range never builds the grid
            for i in rng.sample(range(len(grid)), n):
                yield grid[i]
            return
        for _ in range(self.n_iter):
            dist = self.param_distributions[rng.randrange(len(self.param_distributions))]
            params: Params = {}
            for key in sorted(dist):
                values = dist[key]
                if hasattr(values, "rvs"):
                    # an int seed suits both our distributions and scipy's
                    params[key] = values.rvs(random_state=rng.getrandbits(32))
                else:
                    params[key] = values[rng.randrange(len(values))]
            yield params

    def __repr__(self) -> str:
        return (
            f"ParameterSampler({self.param_distributions!r}, n_iter={self.n_iter}, "
            f"seed={self.seed!r})"
        )


# ---- folds and seeds ----------------------------------------------------------------------------


def trial_seed(seed: int, trial: int, fold: int) -> int:
    """The seed of one fit in a search: a hash of (search seed, trial index, fold); -1 is the refit.

    Hashing (rather than ``seed + trial``) gives unrelated streams for neighbouring seeds and
    trials, and it is the same in every process, so a trial's result does not depend on the
    worker that ran it.

    >>> trial_seed(0, 3, 1) == trial_seed(0, 3, 1), trial_seed(0, 3, 1) == trial_seed(0, 3, 2)
    (True, False)
    """
    digest = hashlib.sha256(f"chainrule.search:{seed}:{trial}:{fold}".encode()).digest()
    return int.from_bytes(digest[:4], "big")  # 32 bits: a valid seed for any generator


Split = tuple[list[int], list[int]]


def cv_splits(n_samples: int, cv: Any = 3, seed: int = 0) -> list[Split]:
    """Cross-validation splits as ``(train_indices, validation_indices)`` pairs.

    - ``cv`` an int k >= 2: k-fold. The row indices are shuffled with ``random.Random(seed)``
      and cut into k folds; the first ``n % k`` folds get one extra row (scikit-learn's
      ``KFold(shuffle=True)`` sizes). Each fold is the validation set once.
    - ``cv`` a float in (0, 1): one split holding out ``ceil(cv * n)`` shuffled rows.
    - ``cv`` a list of ``(train_indices, validation_indices)`` pairs: used as given.

    Indices within each part are sorted.

    >>> cv_splits(5, 2, seed=0)
    [([3, 4], [0, 1, 2]), ([0, 1, 2], [3, 4])]
    >>> [len(val) for _, val in cv_splits(10, 0.3)]
    [3]
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
        raise ValueError(f"cv_splits: need at least 2 samples, got {n_samples!r}")
    order = list(range(n_samples))
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        k = int(cv)
        if not 2 <= k <= n_samples:
            raise ValueError(
                f"cv: the number of folds must be between 2 and the {n_samples} samples, got {k}"
            )
        random.Random(seed).shuffle(order)
        splits, start = [], 0
        for j in range(k):
            stop = start + n_samples // k + (1 if j < n_samples % k else 0)
            val = sorted(order[start:stop])
            train = sorted(order[:start] + order[stop:])
            splits.append((train, val))
            start = stop
        return splits
    if isinstance(cv, float):
        if not 0.0 < cv < 1.0:
            raise ValueError(f"cv: a validation fraction must be in (0, 1), got {cv!r}")
        n_val = math.ceil(cv * n_samples)
        if n_val >= n_samples:
            raise ValueError(
                f"cv: holding out {n_val} of {n_samples} samples leaves none to train on"
            )
        random.Random(seed).shuffle(order)
        return [(sorted(order[n_val:]), sorted(order[:n_val]))]
    if isinstance(cv, Iterable) and not isinstance(cv, (str, bytes)):
        splits = []
        for pair in cv:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(
                    f"cv: expected (train_indices, validation_indices), got {pair!r:.60}"
                )
            parts = []
            for name, part in zip(("train", "validation"), pair):
                idx = list(part)
                bad = [i for i in idx if isinstance(i, bool) or not isinstance(i, int)
                       or not 0 <= i < n_samples]
                if not idx or bad:
                    raise ValueError(
                        f"cv: {name} indices must be a non-empty list of ints in "
                        f"[0, {n_samples}), got {idx!r:.60}"
                    )
                parts.append(idx)
            splits.append((parts[0], parts[1]))
        if not splits:
            raise ValueError("cv: the list of splits is empty")
        return splits
    raise TypeError(
        f"cv must be an int (folds), a float (validation fraction) or a list of "
        f"(train, validation) index pairs, got {type(cv).__name__} {cv!r:.40}"
    )


# ---- one fit: runs in the worker ----------------------------------------------------------------

SCORINGS = {"accuracy": True, "loss": False}
"""Named scorings and whether higher is better (accuracy: yes; validation loss: lower wins)."""


def _score(scoring: Any, model: Module, X: list[Any], y: list[Any], loss: Any) -> float:  # noqa: N803
    if scoring == "accuracy":
        result = evaluate(model, X, y, loss=loss, metrics=("accuracy",))
        if "accuracy" not in result:
            raise ValueError(
                f"scoring='accuracy': loss {loss!r} with these targets is not a classification, "
                "so there is no accuracy; use scoring='loss'"
            )
        return float(result["accuracy"])
    if scoring == "loss":
        return float(evaluate(model, X, y, loss=loss, metrics=())["loss"])
    value = scoring(model, X, y)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"scoring must return a number, got {type(value).__name__} {value!r:.40}"
        )
    return float(value)


def _call_build(build: Build, params: Params) -> tuple[Module, dict[str, Any]]:
    out = build(dict(params))  # a copy: build may pop from it
    if (
        not isinstance(out, tuple)
        or len(out) != 2
        or not isinstance(out[0], Module)
        or not isinstance(out[1], Mapping)
    ):
        raise TypeError(
            "build(params) must return (model, fit_kwargs): an nn.Module and a dict of "
            f"fit() arguments (use {{}} for none), got {type(out).__name__} {out!r:.60}"
        )
    return out[0], dict(out[1])


def _build_and_fit(build: Build, params: Params, X: list, y: list, seed: int) -> tuple[Module, Any]:  # noqa: N803
    """build(params) then fit, with fit(seed=seed) unless build chose one, and no progress bar."""
    model, kwargs = _call_build(build, params)
    kwargs.setdefault("seed", seed)
    kwargs["progress"] = False  # the search has its own bar; workers have no terminal
    fit(model, X, y, **kwargs)
    return model, kwargs.get("loss", "mse")


_FIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _isolated(seed: int) -> Iterator[None]:
    """Run one build-and-fit alone in this process, with the global ``random`` seeded by ``seed``.

    Alone: no_grad, the global random, the warnings filter and fit's garbage-collector pause
    are process-wide, so two fits on threads of one process (a thread pool, a Dask worker with
    several threads) would corrupt each other; pure Python gains nothing from threads anyway.
    Seeded: a build that uses ``seed=None`` is reproducible too. The state is restored after.
    """
    with _FIT_LOCK:
        state = random.getstate()
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(state)


def _run_fold(
    build: Build,
    params: Params,
    X: list[Any],  # noqa: N803
    y: list[Any],
    train_idx: list[int],
    val_idx: list[int],
    scoring: Any,
    seed: int,
) -> dict[str, Any]:
    """Fit on one fold's training rows and score on its validation rows; never raises Exception."""
    start = time.perf_counter()
    out: dict[str, Any] = {"score": None, "error": None, "traceback": None, "warnings": []}
    with _isolated(seed), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            X_train, y_train = [X[i] for i in train_idx], [y[i] for i in train_idx]  # noqa: N806
            model, loss = _build_and_fit(build, params, X_train, y_train, seed)
            out["fit_time"] = time.perf_counter() - start
            X_val, y_val = [X[i] for i in val_idx], [y[i] for i in val_idx]  # noqa: N806
            out["score"] = _score(scoring, model, X_val, y_val, loss)
        except Exception as exc:  # kept with the trial: one bad candidate must not end a search
            out["fit_time"] = time.perf_counter() - start
            out["error"] = f"{type(exc).__name__}: {exc}"
            out["traceback"] = traceback.format_exc()
    out["warnings"] = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    return out


# ---- results ------------------------------------------------------------------------------------


@dataclass
class Trial:
    """One candidate of a search: its parameters and how it scored on each fold.

    ``scores`` holds one validation score per fold; ``mean_score`` and ``std_score`` (population
    standard deviation, ddof=0, as scikit-learn) summarise them and are NaN when the trial
    failed. ``fit_time`` is the seconds spent building and fitting, summed over folds.
    ``error`` is ``"ValueError: ..."`` when a fold raised (``traceback`` has the details);
    ``warnings`` are the distinct warnings its fits issued. ``rank`` is 1 for the best.

    >>> t = Trial(0, {"lr": 0.1}, [0.75, 0.85], fit_time=0.2)
    >>> round(t.mean_score, 6), round(t.std_score, 6), t.ok
    (0.8, 0.05, True)
    """

    index: int
    params: Params
    scores: list[float]
    fit_time: float = 0.0
    error: str | None = None
    traceback: str | None = None
    warnings: list[str] = field(default_factory=list)
    rank: int | None = None

    def param_text(self, name: str) -> str:
        """The value of parameter ``name`` as tables and plots show it ("" when not set).

        >>> t = Trial(0, {"lr": 0.1234567, "hidden": (16, 16), "act": "relu"}, [0.9])
        >>> t.param_text("lr"), t.param_text("hidden"), t.param_text("act"), t.param_text("l2")
        ('0.1235', '16,16', 'relu', '')
        """
        return _text(self.params.get(name))

    @property
    def ok(self) -> bool:
        """True when every fold fitted and scored without an error and the mean is a number."""
        return self.error is None and not math.isnan(self.mean_score)

    @property
    def mean_score(self) -> float:
        if self.error is not None or not self.scores:
            return math.nan
        return math.fsum(self.scores) / len(self.scores)

    @property
    def std_score(self) -> float:
        mean = self.mean_score
        if math.isnan(mean):
            return math.nan
        return math.sqrt(math.fsum((s - mean) ** 2 for s in self.scores) / len(self.scores))


class SearchResult:
    """What a search found: every trial, the best one and the best model refit on all the data.

    ``trials`` are in candidate order (``trials[i].index == i`` unless interrupted).
    Ranking: for ``scoring="accuracy"`` and callables higher is better; for ``scoring="loss"``
    (validation loss) lower is better. Ties share the better rank and keep candidate order;
    failed trials (an error, or a NaN score) rank last. ``best_model`` is
    ``build(best_params)`` fitted on all of X, y with ``fit(seed=trial_seed(seed, best_index,
    -1))``; it is None with ``refit=False``, after Ctrl-C or when every trial failed.
    ``interrupted`` is True when Ctrl-C stopped the search (``trials`` then holds the ones that
    finished).

    >>> r = SearchResult([Trial(0, {"lr": 0.1}, [0.5]), Trial(1, {"lr": 0.2}, [0.9])], "loss")
    >>> r.best_params, r.best_score, [row["rank"] for row in r.to_rows()]
    ({'lr': 0.1}, 0.5, [1, 2])
    """

    def __init__(
        self,
        trials: list[Trial],
        scoring: str = "accuracy",
        *,
        greater_is_better: bool | None = None,
        n_splits: int = 1,
        n_candidates: int | None = None,
        seed: int = 0,
        interrupted: bool = False,
        kind: str = "search",
    ) -> None:
        self.trials = list(trials)
        self.scoring = scoring
        if greater_is_better is None:
            greater_is_better = SCORINGS.get(scoring, True)
        self.greater_is_better = greater_is_better
        self.n_splits = n_splits
        self.n_candidates = len(self.trials) if n_candidates is None else n_candidates
        self.seed = seed
        self.interrupted = interrupted
        self.kind = kind
        self.best_model: Module | None = None
        self._rank()

    def _rank(self) -> None:
        good = [t for t in self.trials if t.ok]
        sign = -1.0 if self.greater_is_better else 1.0
        good.sort(key=lambda t: (sign * t.mean_score, t.index))
        previous = None
        for position, t in enumerate(good, start=1):
            tied = previous is not None and t.mean_score == previous.mean_score
            t.rank = previous.rank if tied else position
            previous = t
        bad = [t for t in self.trials if not t.ok]
        for t in bad:
            t.rank = len(good) + 1
        self._ranked = good + bad

    def ranked(self) -> list[Trial]:
        """The trials best first (failed ones last).

        >>> r = SearchResult([Trial(0, {}, [0.2]), Trial(1, {}, [0.7])])
        >>> [t.index for t in r.ranked()]
        [1, 0]
        """
        return list(self._ranked)

    @property
    def best_trial(self) -> Trial | None:
        """The best trial, or None when no trial succeeded."""
        return self._ranked[0] if self._ranked and self._ranked[0].ok else None

    @property
    def best_index(self) -> int | None:
        best = self.best_trial
        return None if best is None else best.index

    @property
    def best_params(self) -> Params | None:
        best = self.best_trial
        return None if best is None else dict(best.params)

    @property
    def best_score(self) -> float:
        best = self.best_trial
        return math.nan if best is None else best.mean_score

    def param_names(self) -> list[str]:
        """Every parameter name in the trials, in first-seen order.

        >>> SearchResult([Trial(0, {"b": 1, "a": 2}, [1.0])]).param_names()
        ['b', 'a']
        """
        seen: dict[str, None] = {}
        for t in self.trials:
            seen.update(dict.fromkeys(t.params))
        return list(seen)

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per trial, best first: rank, the parameters, mean_score, std_score, fit_time,
        error. A parameter named like one of those columns is prefixed with ``param_``.

        >>> r = SearchResult([Trial(0, {"lr": 0.1}, [0.5, 0.7])])
        >>> r.to_rows()[0]["mean_score"], sorted(r.to_rows()[0])
        (0.6, ['error', 'fit_time', 'lr', 'mean_score', 'rank', 'std_score'])
        """
        reserved = {"rank", "mean_score", "std_score", "fit_time", "error"}
        rows = []
        for t in self._ranked:
            row: dict[str, Any] = {"rank": t.rank}
            for key, value in t.params.items():
                row[f"param_{key}" if key in reserved else key] = value
            row.update(
                mean_score=t.mean_score, std_score=t.std_score, fit_time=t.fit_time, error=t.error
            )
            rows.append(row)
        return rows

    def plot(self) -> Any:
        """A matplotlib Figure: mean score (bars: std over folds) against each parameter.

        One panel per parameter, every successful trial a point; the best is a red star.
        Numbers get a numeric axis (logarithmic when they span 100x or more, as learning
        rates do), anything else one tick per value. Drawn by ``nn.plot.plot_search``; needs
        ``pip install "chainrule[plot]"``.

        >>> r = SearchResult([Trial(0, {"lr": 0.1, "act": "relu"}, [0.6, 0.8]),
        ...                   Trial(1, {"lr": 0.01, "act": "tanh"}, [0.7, 0.7])])
        >>> fig = r.plot()
        >>> [ax.get_xlabel() for ax in fig.axes]
        ['lr', 'act']
        """
        from .plot import plot_search  # matplotlib is imported there, with the install hint

        return plot_search(self)

    def __repr__(self) -> str:
        done = f"{len(self.trials)} trials"
        if self.interrupted:
            done = f"{len(self.trials)} of {self.n_candidates} trials (interrupted)"
        best = (
            "no successful trial"
            if self.best_trial is None
            else f"best {self.scoring}={self.best_score:.4g} with {self.best_params}"
        )
        return f"SearchResult({self.kind}, {done}, {self.n_splits} split(s), {best})"


# ---- the search ---------------------------------------------------------------------------------


class _Collector:
    """Gathers fold results (in any order) into Trials; updates the bar and calls on_trial."""

    def __init__(
        self,
        candidates: list[Params],
        n_folds: int,
        greater: bool,
        bar: Any,
        on_trial: Callable[[Trial], Any] | None,
    ) -> None:
        self.candidates, self.n_folds, self.greater = candidates, n_folds, greater
        self.bar, self.on_trial = bar, on_trial
        self.folds: dict[int, dict[int, dict[str, Any]]] = {}
        self.done: dict[int, Trial] = {}
        self.best: float | None = None
        self.failed = 0

    def add(self, trial: int, fold: int, out: dict[str, Any]) -> None:
        folds = self.folds.setdefault(trial, {})
        folds[fold] = out
        if len(folds) < self.n_folds:
            return
        del self.folds[trial]
        outs = [folds[f] for f in range(self.n_folds)]
        error = details = None
        failed = [(f, o) for f, o in enumerate(outs) if o["error"] is not None]
        if failed:  # the first failing fold speaks for the trial
            f, o = failed[0]
            error = o["error"] if self.n_folds == 1 else f"fold {f}: {o['error']}"
            details = o["traceback"]
        t = Trial(
            index=trial,
            params=dict(self.candidates[trial]),
            scores=[o["score"] for o in outs if o["error"] is None],
            fit_time=math.fsum(o.get("fit_time", 0.0) for o in outs),
            error=error,
            traceback=details,
            warnings=list(dict.fromkeys(w for o in outs for w in o["warnings"])),
        )
        self.done[trial] = t
        if t.ok:
            score = t.mean_score
            if self.best is None or (score > self.best if self.greater else score < self.best):
                self.best = score
        else:
            self.failed += 1
        if self.bar is not None:
            postfix = {"best": "-" if self.best is None else f"{self.best:.4f}"}
            if self.failed:
                postfix["failed"] = str(self.failed)
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)
        if self.on_trial is not None:
            self.on_trial(t)


def _executor_failure(exc: BaseException) -> dict[str, Any]:
    """A fold result for a task the executor itself lost (dead worker, unpicklable argument)."""
    return {
        "score": None,
        "fit_time": 0.0,
        "error": f"{type(exc).__name__}: {exc}",
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        "warnings": [],
    }


def _process_pool(n_workers: int) -> cf.ProcessPoolExecutor:
    # never "fork": forking a process with threads can deadlock (see the module docstring)
    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    return cf.ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context(method))


def _check_picklable(obj: Any, name: str) -> None:
    advice = (
        f"n_jobs > 1 runs trials in other processes, so {name} must pickle: define it at "
        "module level in a .py file (not a lambda, a nested function or a notebook cell), "
        "or use nn.search.MLPBuilder"
    )
    try:
        pickle.dumps(obj)
    except Exception as exc:
        raise TypeError(f"{advice}; pickling {obj!r:.60} failed with: {exc}") from None
    # functions pickle by name; one typed at the prompt or in a notebook (a __main__ without a
    # file) cannot be found by name in a fresh worker process
    module = getattr(obj, "__module__", None) or type(obj).__module__
    main = sys.modules.get("__main__")
    if module == "__main__" and not getattr(main, "__file__", None):
        raise TypeError(f"{advice}; {obj!r:.60} was defined interactively")


def _search(
    kind: str,
    build: Build,
    candidates: list[Params],
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    *,
    cv: Any,
    scoring: Any,
    executor: cf.Executor | None,
    n_jobs: int,
    seed: int | None,
    progress: bool | None,
    refit: bool,
    on_trial: Callable[[Trial], Any] | None,
) -> SearchResult:
    if not callable(build):
        raise TypeError(
            f"{kind}: build must be a function params -> (model, fit_kwargs), got {build!r:.60}"
        )
    if not candidates:
        raise ValueError(f"{kind}: there are no candidates to try")
    if isinstance(scoring, str):
        if scoring not in SCORINGS:
            raise ValueError(
                f"{kind}: unknown scoring {scoring!r}; use 'accuracy', 'loss' or a "
                "callable(model, X, y) -> float (higher is better)"
            )
        scoring_name, greater = scoring, SCORINGS[scoring]
    elif callable(scoring):
        scoring_name, greater = getattr(scoring, "__name__", "score"), True
    else:
        raise TypeError(f"{kind}: scoring must be a name or a callable, got {scoring!r:.60}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or not (n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"{kind}: n_jobs must be an int >= 1, or -1 for every CPU, got {n_jobs!r}")
    if executor is not None and n_jobs != 1:
        raise ValueError(f"{kind}: pass either executor or n_jobs, not both (got n_jobs={n_jobs})")
    if executor is not None and not hasattr(executor, "submit"):
        raise TypeError(
            f"{kind}: executor must be a concurrent.futures.Executor, got {type(executor).__name__}"
        )
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)  # recorded in result.seed, to rerun
    elif isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"{kind}: seed must be an int or None, got {type(seed).__name__} {seed!r:.40}"
        )
    X, y = list(X), list(y)  # noqa: N806
    if len(X) != len(y):
        raise ValueError(f"{kind}: X has {len(X)} rows but y has {len(y)} targets")
    splits = cv_splits(len(X), cv, seed)
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    tasks = [(t, f) for t in range(len(candidates)) for f in range(len(splits))]

    bar = progress_bar(progress, len(candidates), kind, "trial")
    collector = _Collector(candidates, len(splits), greater, bar, on_trial)
    interrupted = False
    try:
        if executor is None and workers == 1:
            for t, f in tasks:
                train, val = splits[f]
                fold_seed = trial_seed(seed, t, f)
                out = _run_fold(build, candidates[t], X, y, train, val, scoring, fold_seed)
                collector.add(t, f, out)
        else:
            if executor is None:
                _check_picklable(build, "build")
                if callable(scoring):
                    _check_picklable(scoring, "scoring")
            pool = executor if executor is not None else _process_pool(min(workers, len(tasks)))
            futures: dict[cf.Future, tuple[int, int]] = {}
            try:
                for t, f in tasks:
                    train, val = splits[f]
                    args = (build, candidates[t], X, y, train, val, scoring, trial_seed(seed, t, f))
                    futures[pool.submit(_run_fold, *args)] = (t, f)
                for future in cf.as_completed(futures):
                    try:
                        out = future.result()
                    except Exception as exc:  # the executor failed, not the trial's code
                        out = _executor_failure(exc)
                    collector.add(*futures[future], out)
            finally:  # on Ctrl-C or an error in on_trial: drop what has not started
                for future in futures:
                    future.cancel()
                if executor is None:
                    pool.shutdown(wait=True, cancel_futures=True)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()

    trials = [collector.done[t] for t in sorted(collector.done)]
    result = SearchResult(
        trials,
        scoring_name,
        greater_is_better=greater,
        n_splits=len(splits),
        n_candidates=len(candidates),
        seed=seed,
        interrupted=interrupted,
        kind=kind,
    )
    if interrupted:
        warnings.warn(
            f"{kind} interrupted: {len(trials)} of {len(candidates)} trials finished; "
            "the best model was not refit",
            RuntimeWarning,
            stacklevel=3,
        )
        return result
    if result.best_trial is None:
        first = trials[0].error if trials and trials[0].error else "NaN scores"
        warnings.warn(
            f"{kind}: all {len(trials)} trials failed; the first: {first}",
            RuntimeWarning,
            stacklevel=3,
        )
        return result
    if refit:
        result.best_model = _refit(kind, build, result, X, y)
    return result


def _refit(kind: str, build: Build, result: SearchResult, X: list, y: list) -> Module | None:  # noqa: N803
    """build(best_params) fitted on all the data, seeded like a trial with fold -1."""
    seed = trial_seed(result.seed, result.best_index, -1)
    try:
        with _isolated(seed):
            model, _ = _build_and_fit(build, result.best_params, X, y, seed)
        return model
    except KeyboardInterrupt:
        warnings.warn(
            f"{kind}: refit interrupted; best_model is None", RuntimeWarning, stacklevel=4
        )
    except Exception as exc:
        warnings.warn(
            f"{kind}: refitting the best parameters on all the data failed "
            f"({type(exc).__name__}: {exc}); best_model is None",
            RuntimeWarning,
            stacklevel=4,
        )
    return None


def grid_search(
    build: Build,
    params: Mapping[str, Sequence[Any]] | Iterable[Mapping[str, Any]] | ParameterGrid,
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    *,
    cv: Any = 3,
    scoring: str | Callable[[Module, list, list], float] = "accuracy",
    executor: cf.Executor | None = None,
    n_jobs: int = 1,
    seed: int | None = 0,
    progress: bool | None = None,
    refit: bool = True,
    on_trial: Callable[[Trial], Any] | None = None,
) -> SearchResult:
    """Try every combination in ``params`` (a ``ParameterGrid``) with cross-validation.

    - ``build(params) -> (model, fit_kwargs)``: a fresh model and the ``nn.fit`` arguments for
      one candidate (``MLPBuilder`` is one). It runs once per fold, in the worker. For
      ``n_jobs > 1`` it must pickle (a module-level function or ``MLPBuilder``). ``fit`` is
      called with ``seed=trial_seed(seed, trial, fold)`` unless the kwargs set one, and
      ``progress=False``.
    - ``cv``: folds (int, default 3), a validation fraction (float) or explicit index pairs;
      see ``cv_splits``. The folds are the same for every candidate.
    - ``scoring``: ``"accuracy"`` (higher is better), ``"loss"`` (the fit loss on the
      validation rows; lower is better) or ``scoring(model, X_val, y_val) -> float`` (higher
      is better; return minus an error to minimise it).
    - ``executor`` / ``n_jobs``: where trials run (sequential by default; see the module
      docstring). Each (candidate, fold) is one task. The scores do not depend on this choice.
    - ``seed``: folds and every fit's seed derive from it; None picks one (``result.seed``).
    - ``progress``: a tqdm bar over trials with the best score so far; None (default) shows it
      when tqdm is installed, True requires it, False hides it.
    - ``refit``: fit ``build(best_params)`` on all the data as ``result.best_model``.
    - ``on_trial(trial)``: called in this process as each trial finishes.

    A trial whose build, fit or scoring raises is recorded with its error and ranked last; the
    others go on. Ctrl-C cancels the pending trials and returns the finished ones
    (``result.interrupted``), without a refit.

    >>> from nn import data
    >>> X, y = data.make_moons(40, noise=0.1, seed=0)
    >>> build = MLPBuilder(2, epochs=8)
    >>> result = grid_search(build, {"hidden": [4, 8], "lr": [0.1, 0.01]}, X, y, progress=False)
    >>> len(result.trials), result.trials[1].params, result.best_model is not None
    (4, {'hidden': 4, 'lr': 0.01}, True)
    """
    grid = params if isinstance(params, ParameterGrid) else ParameterGrid(params)
    return _search(
        "grid_search", build, list(grid), X, y, cv=cv, scoring=scoring, executor=executor,
        n_jobs=n_jobs, seed=seed, progress=progress, refit=refit, on_trial=on_trial,
    )


def random_search(
    build: Build,
    params: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    *,
    n_iter: int = 10,
    cv: Any = 3,
    scoring: str | Callable[[Module, list, list], float] = "accuracy",
    executor: cf.Executor | None = None,
    n_jobs: int = 1,
    seed: int | None = 0,
    progress: bool | None = None,
    refit: bool = True,
    on_trial: Callable[[Trial], Any] | None = None,
) -> SearchResult:
    """Try ``n_iter`` candidates drawn by ``ParameterSampler(params, n_iter, seed=seed)``.

    ``params`` maps names to lists or distributions (``loguniform``, ``choice``, scipy's);
    with lists only, the candidates are distinct grid points. Everything else is as in
    ``grid_search``.

    >>> from nn import data
    >>> X, y = data.make_moons(40, noise=0.1, seed=0)
    >>> space = {"lr": loguniform(1e-3, 1e-1), "hidden": [4, 8]}
    >>> result = random_search(MLPBuilder(2, epochs=5), space, X, y, n_iter=3, cv=2,
    ...                        progress=False)
    >>> len(result.trials), 1e-3 <= result.best_params["lr"] <= 1e-1
    (3, True)
    """
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    candidates = list(ParameterSampler(params, n_iter, seed=seed))
    return _search(
        "random_search", build, candidates, X, y, cv=cv, scoring=scoring, executor=executor,
        n_jobs=n_jobs, seed=seed, progress=progress, refit=refit, on_trial=on_trial,
    )


# ---- a ready-made build and the table of results ---------------------------------------------


class MLPBuilder:
    """A picklable ``build`` for searches: a parameter dict -> ``(nn.MLP, fit kwargs)``.

    The constructor's arguments are the defaults; a candidate's parameters override them.
    Model parameters: ``hidden`` (an int or a list of hidden-layer sizes; ``()`` or 0 for
    none), ``activation``, ``init``, ``dropout``, ``seed`` (the weights' seed: the same for
    every candidate by default, so candidates differ only by their parameters). fit
    parameters: ``loss`` (default ``"bce_with_logits"`` for one output, ``"cross_entropy"``
    for several), ``optimizer``, ``lr``, ``epochs``, ``batch_size``, ``l2``,
    ``clip_grad_norm``. Any other name is an error listing these.

    >>> build = MLPBuilder(2, hidden=8, epochs=5)
    >>> model, kwargs = build({"lr": 0.1, "hidden": (16, 16)})
    >>> model.nouts, kwargs["lr"], kwargs["epochs"], kwargs["loss"]
    ([16, 16, 1], 0.1, 5, 'bce_with_logits')
    """

    MODEL_KEYS = ("hidden", "activation", "init", "dropout", "seed")
    FIT_KEYS = ("loss", "optimizer", "lr", "epochs", "batch_size", "l2", "clip_grad_norm")

    def __init__(
        self,
        nin: int,
        nout: int = 1,
        *,
        hidden: int | Sequence[int] = (16, 16),
        activation: str = "relu",
        init: str = "uniform",
        dropout: float = 0.0,
        seed: int | None = 0,
        loss: str | None = None,
        optimizer: str = "adam",
        lr: float | None = None,
        epochs: int = 50,
        batch_size: int | None = None,
        l2: float = 0.0,
        clip_grad_norm: float | None = None,
    ) -> None:
        self.nin, self.nout = nin, nout
        if loss is None:
            loss = "bce_with_logits" if nout == 1 else "cross_entropy"
        self.defaults: dict[str, Any] = {
            "hidden": hidden, "activation": activation, "init": init, "dropout": dropout,
            "seed": seed, "loss": loss, "optimizer": optimizer, "lr": lr, "epochs": epochs,
            "batch_size": batch_size, "l2": l2, "clip_grad_norm": clip_grad_norm,
        }

    def __call__(self, params: Params) -> tuple[MLP, dict[str, Any]]:
        unknown = [k for k in params if k not in self.defaults]
        if unknown:
            raise ValueError(
                f"MLPBuilder: unknown hyperparameter {unknown[0]!r}; known: "
                f"{', '.join(self.MODEL_KEYS + self.FIT_KEYS)}"
            )
        p = {**self.defaults, **params}
        hidden = p["hidden"]
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            sizes = [int(hidden)] if hidden else []
        elif isinstance(hidden, Sequence) and not isinstance(hidden, str):
            sizes = list(hidden)
        else:
            raise ValueError(f"MLPBuilder: hidden must be an int or a list of ints, got {hidden!r}")
        model = MLP(
            self.nin, [*sizes, self.nout], activation=p["activation"], init=p["init"],
            dropout=p["dropout"], seed=p["seed"],
        )
        return model, {k: p[k] for k in self.FIT_KEYS}

    def __repr__(self) -> str:
        return f"MLPBuilder(nin={self.nin}, nout={self.nout}, defaults={self.defaults})"


def _text(value: Any) -> str:
    """A parameter value in a few characters: 0.1235, 16,16, relu; None is ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return ",".join(_text(v) for v in value)
    return str(value)


def format_table(result: SearchResult, max_error: int = 60) -> str:
    """The ranked trials as a plain-text table (for the CLI and for printing).

    Columns: rank, each parameter, the mean score (headed by the scoring's name), its std over
    folds, the fit seconds and, when a trial failed, its error (first line, cut to
    ``max_error`` characters). A note follows when the search was interrupted.

    >>> r = SearchResult([Trial(0, {"lr": 0.1, "hidden": (16, 16)}, [0.8, 0.9], fit_time=1.25),
    ...                   Trial(1, {"lr": 0.01, "hidden": (8,)}, [0.7, 0.7], fit_time=0.5)])
    >>> print(format_table(r))
    rank    lr  hidden  accuracy     std  time_s
    ----  ----  ------  --------  ------  ------
       1   0.1   16,16    0.8500  0.0500    1.25
       2  0.01       8    0.7000  0.0000    0.50
    """
    names = result.param_names()
    header = ["rank", *names, result.scoring, "std", "time_s"]
    any_error = any(t.error is not None for t in result.trials)
    if any_error:
        header.append("error")
    body = []
    for t in result.ranked():
        row = [str(t.rank), *(t.param_text(n) for n in names)]
        row += ["nan" if math.isnan(t.mean_score) else f"{t.mean_score:.4f}"]
        row += ["nan" if math.isnan(t.std_score) else f"{t.std_score:.4f}", f"{t.fit_time:.2f}"]
        if any_error:
            error = (t.error or "").splitlines()[0] if t.error else ""
            row.append(error if len(error) <= max_error else error[: max_error - 3] + "...")
        body.append(row)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    last = len(header) - 1 if any_error else None  # the error column is left-aligned, unpadded

    def line(cells: list[str]) -> str:
        out = [
            c.ljust(w) if i == last else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ]
        return "  ".join(out).rstrip()

    lines = [line(header), line(["-" * w for w in widths]), *(line(r) for r in body)]
    if result.interrupted:
        done = f"{len(result.trials)} of {result.n_candidates}"
        lines.append(f"(interrupted: {done} trials finished)")
    return "\n".join(lines)
