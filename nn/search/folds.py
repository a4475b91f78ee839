"""Folds and seeds: the cross-validation splits of a search, and the seed of each of its fits."""

from __future__ import annotations

import hashlib
import math
import numbers
import random
from collections.abc import Iterable
from typing import Any

__all__ = ["cv_splits", "trial_seed"]


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
        return _given_splits(cv, n_samples)
    raise TypeError(
        f"cv must be an int (folds), a float (validation fraction) or a list of "
        f"(train, validation) index pairs, got {type(cv).__name__} {cv!r:.40}"
    )


def _given_splits(cv: Iterable[Any], n_samples: int) -> list[Split]:
    """``cv`` as given, each pair checked: non-empty lists of row indices in range."""
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
