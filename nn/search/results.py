"""What a search found: each Trial, the ranked SearchResult, and its table for printing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..module import Module

__all__ = ["Trial", "SearchResult", "format_table", "SCORINGS"]

Params = dict[str, Any]

SCORINGS = {"accuracy": True, "loss": False}
"""Named scorings and whether higher is better (accuracy: yes; validation loss: lower wins)."""


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
        from ..plot import plot_search  # matplotlib is imported there, with the install hint

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


# ---- the table ----------------------------------------------------------------------------------


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
