"""Where a step's inputs come from: a whole array made before, a slice of one, a gather, a
constant, or one number; and how a gradient goes back the same way.

Every node has a place: an array (a ``Tensor``) and a position in it. A step's input for
one slot is the nodes feeding that slot, lane by lane; if those are exactly an earlier array
in order, the step reads that array (no copy), else a slice, else ``np.take``. Arrays filled
on each call (parameters, arguments, random draws) are persistent buffers, so any regular
pattern in them is a view made once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["Tensor", "Operand", "Namespace", "resolve", "literal", "element", "CONST"]

CONST = -1  # the "tensor" of constant leaves


class Tensor:
    """One array of the program: a step's output (``local``) or a buffer filled per call."""

    def __init__(self, tid: int, name: str, shape: tuple[int, ...], kind: str) -> None:
        self.id, self.name, self.shape, self.kind = tid, name, shape, kind
        self.size = math.prod(shape)
        self.buffer: np.ndarray | None = None  # persistent kinds: params, input, random
        self.grad: np.ndarray | None = None  # the params' gradient buffer

    @property
    def persistent(self) -> bool:
        return self.buffer is not None

    def __repr__(self) -> str:
        return f"{self.name}{self.shape}"


class Namespace(dict):
    """The names the generated program reads: views, index arrays, constants, helpers."""

    def add(self, prefix: str, obj: Any) -> str:
        name = f"{prefix}{len(self)}"
        self[name] = obj
        return name


class Operand:
    """One input of a step: how to read it forward, and where its gradient goes.

    ``kind``: "const" (``read`` is a literal or a constant array), "scalar" (one element of
    ``tensor`` at flat position ``index``, broadcast), "whole" (the tensor itself, reshaped
    to ``shape``), "view" (a slice or strided view: ``read``/``grad`` name the views),
    "gather" (``np.take`` with an index array; ``unique`` says no position repeats), or
    "multi" (elements from several tensors: ``parts`` lists (operand, lane positions)).
    """

    def __init__(self, kind: str, read: str, shape: tuple[int, ...], tensor: Tensor | None = None,
                 index: Any = None, unique: bool = True, grad: str | None = None) -> None:
        self.kind, self.read, self.shape, self.tensor = kind, read, shape, tensor
        self.index, self.unique, self.grad = index, unique, grad
        self.parts: list[tuple[Operand, str]] = []

    def __repr__(self) -> str:
        return f"Operand({self.kind}: {self.read})"


def literal(x: float, ns: Namespace) -> str:
    """Python text for a number: a literal, or a name in ns for inf and NaN."""
    if math.isfinite(x):
        return repr(float(x))
    return ns.add("k", float(x))


def _affine(lanes: np.ndarray) -> tuple[int, tuple[int, ...]] | None:
    """(start, strides) when lanes[i, j, ...] = start + i*s0 + j*s1 + ..., else None."""
    start = int(lanes.flat[0])
    strides = []
    for axis, n in enumerate(lanes.shape):
        if n == 1:
            strides.append(0)
            continue
        step = np.diff(lanes, axis=axis)
        s = int(step.flat[0])
        if not (step == s).all():
            return None
        strides.append(s)
    return start, tuple(strides)


def _persistent_view(t: Tensor, lanes: np.ndarray, shape: tuple[int, ...], ns: Namespace,
                     affine: tuple[int, tuple[int, ...]]) -> Operand:
    start, strides = affine
    item = t.buffer.itemsize
    flat = t.buffer.reshape(-1)
    view = np.lib.stride_tricks.as_strided(
        flat[start:], lanes.shape, tuple(s * item for s in strides), writeable=True
    ).reshape(shape)
    op = Operand("view", ns.add("v", view), shape, t, lanes)
    if t.grad is not None:
        gflat = t.grad.reshape(-1)
        gview = np.lib.stride_tricks.as_strided(
            gflat[start:], lanes.shape, tuple(s * item for s in strides), writeable=True
        ).reshape(shape)
        op.grad = ns.add("gv", gview)
    return op


def _local_slice(t: Tensor, lanes: np.ndarray,
                 affine: tuple[int, tuple[int, ...]]) -> tuple[str, tuple[int, ...]] | None:
    """(suffix, shape): ``t.name + suffix`` is a slice of a local tensor holding exactly
    ``lanes`` (a strided run of the flat array, or a block of rows and columns)."""
    start, strides = affine
    if lanes.ndim == 1 and strides[0] > 0:
        stop = start + strides[0] * (lanes.size - 1) + 1
        base = "" if len(t.shape) == 1 else ".reshape(-1)"
        step = "" if strides[0] == 1 else f":{strides[0]}"
        return f"{base}[{start}:{stop}{step}]", lanes.shape
    if lanes.ndim == 2 and len(t.shape) == 2 and strides[1] == 1:
        cols = t.shape[1]
        r0, c0 = divmod(start, cols)
        if strides[0] % cols == 0 and strides[0] > 0 and c0 + lanes.shape[1] <= cols:
            step = strides[0] // cols
            r1 = r0 + step * (lanes.shape[0] - 1) + 1
            rows = f"{r0}:{r1}" if step == 1 else f"{r0}:{r1}:{step}"
            return f"[{rows}, {c0}:{c0 + lanes.shape[1]}]", lanes.shape
    return None


def resolve(spec: np.ndarray, tensor_of: np.ndarray, lane_of: np.ndarray, values: np.ndarray,
            tensors: list[Tensor], ns: Namespace, shape: tuple[int, ...] | None = None) -> Operand:
    """The operand for the nodes ``spec`` (an array of node indices, one per lane)."""
    shape = spec.shape if shape is None else shape
    ts, lanes = tensor_of[spec], lane_of[spec]
    t0 = int(ts.flat[0])
    if (ts == t0).all():
        if t0 == CONST:
            vals = values[spec]
            if (vals == vals.flat[0]).all() and not np.isnan(vals.flat[0]):
                return Operand("const", literal(vals.flat[0], ns), ())
            return Operand("const", ns.add("c", vals.reshape(shape).copy()), shape)
        return _one_tensor(tensors[t0], lanes.reshape(shape), shape, ns)
    return _multi(spec.reshape(shape), ts.reshape(shape), lane_of, tensors, ns, values)


def _one_tensor(t: Tensor, lanes: np.ndarray, shape: tuple[int, ...], ns: Namespace) -> Operand:
    first = int(lanes.flat[0])
    whole = lanes.size == t.size and (lanes.reshape(-1) == np.arange(t.size)).all()
    if (shape == () or lanes.size > 1 and (lanes == first).all()) and not (
        whole and shape == t.shape
    ):
        return Operand("scalar", element(t, first), (), t, first)
    if whole:
        if t.persistent and shape != t.shape:
            return _persistent_view(t, lanes, shape, ns, (0, _contiguous_strides(lanes.shape)))
        read = t.name if shape == t.shape else f"{t.name}.reshape({shape})"
        return Operand("whole", read, shape, t)
    unique = _distinct(lanes)
    affine = _affine(lanes) if unique else None
    if affine is not None:
        if t.persistent:
            return _persistent_view(t, lanes, shape, ns, affine)
        found = _local_slice(t, lanes, affine)
        if found is not None:
            suffix, natural = found
            read = f"{t.name}{suffix}"
            if natural != shape:
                read = f"np.reshape({read}, {shape})"
            return Operand("view", read, shape, t, (suffix, natural))
    index = ns.add("i", lanes.reshape(shape).astype(np.intp))
    return Operand("gather", f"np.take({t.name}, {index})", shape, t, index, unique)


def element(t: Tensor, flat: int) -> str:
    """Python text reading one element of t (a numpy scalar) by its flat position."""
    where = tuple(int(i) for i in np.unravel_index(flat, t.shape)) if t.shape else ()
    return f"{t.name}[{where[0] if len(where) == 1 else where}]"


def _distinct(lanes: np.ndarray) -> bool:
    """No position repeats (np.unique would import numpy.ma, slow the first time)."""
    ordered = np.sort(lanes, axis=None)
    return bool((ordered[1:] != ordered[:-1]).all())


def _contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def _multi(spec: np.ndarray, ts: np.ndarray, lane_of: np.ndarray, tensors: list[Tensor],
           ns: Namespace, values: np.ndarray) -> Operand:
    """Lanes from several tensors: each part gathered, then placed into one array."""
    shape = spec.shape
    flat_ts, flat_spec = ts.reshape(-1), spec.reshape(-1)
    op = Operand("multi", "", shape)
    pieces = []
    for t in sorted(set(flat_ts.tolist())):
        where = np.nonzero(flat_ts == t)[0]
        part = resolve_part(flat_spec[where], int(t), lane_of, values, tensors, ns)
        positions = ns.add("i", where.astype(np.intp))
        op.parts.append((part, positions))
        pieces.append(f"({positions}, {part.read})")
    op.read = f"assemble({shape}, {', '.join(pieces)})"
    return op


def resolve_part(spec: np.ndarray, t: int, lane_of: np.ndarray, values: np.ndarray,
                 tensors: list[Tensor], ns: Namespace) -> Operand:
    """One tensor's share of a multi operand, as a 1-D operand."""
    if t == CONST:
        vals = values[spec]
        return Operand("const", ns.add("c", vals.copy()), vals.shape)
    return _one_tensor(tensors[t], lane_of[spec], spec.shape, ns)
