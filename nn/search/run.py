"""grid_search and random_search: every candidate on every fold, here, in processes or on Dask."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
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
from typing import Any

from ..module import Module
from ..train import evaluate, fit, progress_bar
from .folds import cv_splits, trial_seed
from .results import SCORINGS, SearchResult, Trial
from .space import ParameterGrid, ParameterSampler

__all__ = ["grid_search", "random_search"]

Params = dict[str, Any]
Build = Callable[[Params], tuple[Module, Mapping[str, Any]]]


# ---- one fit: runs in the worker ----------------------------------------------------------------

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
    # never "fork": forking a process with threads can deadlock (see nn.search's docstring)
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
    """grid_search and random_search, once each has its list of candidates."""
    scoring_name, greater, seed = _check_search(kind, build, candidates, scoring, n_jobs,
                                                executor, seed)
    X, y = list(X), list(y)  # noqa: N806
    if len(X) != len(y):
        raise ValueError(f"{kind}: X has {len(X)} rows but y has {len(y)} targets")
    splits = cv_splits(len(X), cv, seed)
    bar = progress_bar(progress, len(candidates), kind, "trial")
    collector = _Collector(candidates, len(splits), greater, bar, on_trial)
    interrupted = False
    try:
        _run_folds(build, candidates, X, y, splits, scoring, seed, executor, n_jobs, collector)
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


def _check_search(
    kind: str, build: Any, candidates: list[Params], scoring: Any, n_jobs: Any, executor: Any,
    seed: Any,
) -> tuple[str, bool, int]:
    """The search's arguments checked: (the scoring's name, whether higher is better, the seed
    to use; a random one when ``seed`` is None, recorded in result.seed to rerun)."""
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
        seed = random.SystemRandom().randrange(2**32)
    elif isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"{kind}: seed must be an int or None, got {type(seed).__name__} {seed!r:.40}"
        )
    return scoring_name, greater, seed


def _run_folds(
    build: Build,
    candidates: list[Params],
    X: list[Any],  # noqa: N803
    y: list[Any],
    splits: list[tuple[list[int], list[int]]],
    scoring: Any,
    seed: int,
    executor: cf.Executor | None,
    n_jobs: int,
    collector: _Collector,
) -> None:
    """Every (candidate, fold) task, each result handed to ``collector`` as it comes in:
    one after another here, in a pool of n_jobs processes, or on ``executor``."""
    tasks = {  # (trial, fold) -> the arguments of _run_fold
        (t, f): (build, candidates[t], X, y, *splits[f], scoring, trial_seed(seed, t, f))
        for t in range(len(candidates))
        for f in range(len(splits))
    }
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    if executor is None and workers == 1:
        for (t, f), args in tasks.items():
            collector.add(t, f, _run_fold(*args))
        return
    if executor is None:
        _check_picklable(build, "build")
        if callable(scoring):
            _check_picklable(scoring, "scoring")
    pool = executor if executor is not None else _process_pool(min(workers, len(tasks)))
    futures: dict[cf.Future, tuple[int, int]] = {}
    try:
        for task, args in tasks.items():
            futures[pool.submit(_run_fold, *args)] = task
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
    - ``executor`` / ``n_jobs``: where trials run (sequential by default; see ``nn.search``'s
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
    >>> from nn.search import MLPBuilder
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
    >>> from nn.search import MLPBuilder, loguniform
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
