"""Helpers the generated programs call: checks that raise as the engine would, a pick by
index, ops without an array form run one element at a time, and gathers from several arrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import RULES, Value
from .kernels import scalar_check

__all__ = [
    "Retrace", "check_domain", "check_require", "pick_rows", "pick_grad", "assemble",
    "scalar_forward", "scalar_backward",
]  # fmt: skip


class Retrace(Exception):
    """A where chose, for some element, a branch that failed on the traced numbers and so is
    not in the program: the compiled function traces again with this call's numbers."""


def check_domain(op: str, out: np.ndarray, inputs: tuple[Any, ...], mask: Any = None) -> None:
    """Where ``out`` is not finite, run the engine's op on that element: it raises where the
    engine raises (log of 0, exp overflow, a negative base to a fractional power...)."""
    bad = ~np.isfinite(out)
    if mask is not None:
        bad &= np.broadcast_to(mask, bad.shape)
    arrays = [np.broadcast_to(np.asarray(x, dtype=float), bad.shape) for x in inputs]
    for flat in np.flatnonzero(bad)[:20].tolist():  # (the first few: one that raises is enough)
        scalar_check(op, tuple(float(a.reshape(-1)[flat]) for a in arrays))


def check_require(checks: list[tuple[Any, Any, list[int]]], k: int, values: Any) -> None:
    """Repeat a ``require`` on this call's values: the first failing one raises its message."""
    test, message, positions = checks[k]
    ok = test(values)
    if ok is True or ok.all():
        return
    values = np.reshape(values, -1)
    ok = np.broadcast_to(np.asarray(ok, dtype=bool).reshape(-1), values.shape)
    if not ok.all():
        lane = int(np.argmin(ok))
        raise ValueError(message(positions[lane], values[lane].item()))


def pick_rows(candidates: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """candidates[r, index[r]] for each row r, checking each index as ``pick`` does."""
    index = np.asarray(index, dtype=float)
    n = candidates.shape[1]
    whole = np.floor(index) == index
    if not (whole & (index >= 0) & (index < n)).all():
        from ..tracing import pick

        lane = int(np.argmin(whole & (index >= 0) & (index < n)))
        pick([0.0] * n, index.reshape(-1)[lane].item())  # raises pick's own error
    rows = index.astype(np.intp)
    return candidates[np.arange(len(rows)), rows], rows


def pick_grad(g: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The gradient of pick_rows: g at each row's picked column, zero elsewhere."""
    out = np.zeros((len(rows), n))
    out[np.arange(len(rows)), rows] = g
    return out


def assemble(shape: tuple[int, ...], *parts: tuple[np.ndarray, Any]) -> np.ndarray:
    """One array from pieces of several: ``parts`` are (flat positions, values)."""
    out = np.empty(math.prod(shape))
    for positions, values in parts:
        out[positions] = values
    return out.reshape(shape)


def _lanes(shape: tuple[int, ...], inputs: tuple[Any, ...]) -> list[list[float]]:
    arrays = [np.broadcast_to(np.asarray(x, dtype=float), shape).reshape(-1).tolist()
              for x in inputs]
    return [list(column) for column in zip(*arrays)]


def scalar_forward(op: str, shape: tuple[int, ...], *inputs: Any) -> np.ndarray:
    """An op without a kernel, element by element through the engine's own method."""
    out = []
    for args in _lanes(shape, inputs):
        values = [Value(x) for x in args]
        out.append(getattr(values[0], op)(*values[1:]).data)
    return np.array(out).reshape(shape)


def scalar_backward(op: str, out: np.ndarray, g: np.ndarray, *inputs: Any) -> list[np.ndarray]:
    """Its gradient, element by element through ``RULES[op]``."""
    shape = np.shape(out)
    outs = np.reshape(out, -1).tolist()
    gs = np.broadcast_to(g, shape).reshape(-1).tolist()
    rows = [[gk * float(d) for d in RULES[op](o, *args)]
            for o, gk, args in zip(outs, gs, _lanes(shape, inputs))]
    return [np.array(column).reshape(shape) for column in zip(*rows)]
