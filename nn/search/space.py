"""What a search tries: every point of a grid, or random draws from lists and distributions."""

from __future__ import annotations

import itertools
import math
import numbers
import random
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..init import make_rng

__all__ = ["ParameterGrid", "ParameterSampler", "LogUniform", "Choice", "loguniform", "choice"]

Params = dict[str, Any]


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


