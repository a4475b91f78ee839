"""The parts of a GPT: Linear, Embedding, RMSNorm, CausalSelfAttention, FeedForward, Block
and InputEmbedding.

Every part works on lists of Values, one list per position. Weight matrices are stored row by
row in ONE flat list of Values (``weight``, row i is ``weight[i * cols:(i + 1) * cols]``), so
``parameters()``, ``state_dict`` and ``save``/``load`` work as for every Module; parameter
names end in the flat index (``wq.weight.17`` is row 1, column 1 of a 16-column matrix).
Weights start from Gaussian(0, ``std``) draws, microgpt's initialisation (std 0.08).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from autograd import Value, matvec, pick, rmsnorm, softmax

from ..init import make_rng
from ..module import Module

__all__ = [
    "Linear",
    "Embedding",
    "RMSNorm",
    "CausalSelfAttention",
    "FeedForward",
    "Block",
    "InputEmbedding",
    "INIT_STD",
    "check_size",
    "pick_rng",
    "name_parts",
]

INIT_STD = 0.08
"""The standard deviation of microgpt's initial weights."""


# ---- helpers shared by the parts -------------------------------------------------------------


def check_size(what: str, n: Any) -> int:
    """``n`` if it is an int >= 1, else a ValueError naming ``what``.

    >>> check_size("GPT: n_embd", 16)
    16
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be an int >= 1, got {n!r}")
    return n


def pick_rng(seed: Any, rng: Any) -> Any:
    """The generator of ``seed`` or ``rng`` (one of them; neither: Python's global random).

    >>> pick_rng(7, None).random() == pick_rng(None, random.Random(7)).random()
    True
    """
    if seed is not None and rng is not None:
        raise ValueError("pass either seed or rng, not both")
    return make_rng(rng if rng is not None else seed)


def name_parts(module: Module) -> None:
    """Give every submodule its qualified name and every parameter its name as a label, so a
    drawing says ``layers.0.attn.wq.weight.17`` where the state dict does.

    >>> mlp = FeedForward(2, 4, seed=0)     # (its constructor calls name_parts)
    >>> mlp.fc2.name, mlp.fc2.weight[5].label
    ('fc2', 'fc2.weight.5')
    """
    for name, sub in module.named_modules(prefix=module.name):
        if sub is not module:
            sub.name = name
    for name, p in module.named_parameters(prefix=module.name):
        p.label = name


def _gauss(count: int, std: float, gen: Any) -> list[Value]:
    if isinstance(std, bool) or not isinstance(std, (int, float)) or not std >= 0:
        raise ValueError(f"std must be a number >= 0, got {std!r}")
    return [Value(gen.gauss(0.0, std)) for _ in range(count)]


def _rows(flat: list[Value], cols: int) -> list[list[Value]]:
    return [flat[i : i + cols] for i in range(0, len(flat), cols)]


def _check_width(who: str, x: Sequence[Any], n: int) -> None:
    if len(x) != n:
        raise ValueError(f"{who}: expected {n} values, got {len(x)}")


def _label(values: list[Value], name: str) -> list[Value]:
    if name:
        for v in values:
            v.label = name
    return values


# ---- Linear, Embedding, RMSNorm --------------------------------------------------------------


class _Matrix(Module):
    """What Linear and Embedding share: a matrix of parameters from Gaussian(0, ``std``)
    draws, kept in ``weight`` and row by row in ``_rows``; its two sizes are the
    constructor's first two arguments, named in ``_sizes`` (``_width``: the row length)."""

    _repr_children = False
    _sizes: tuple[str, str]
    _width: str

    def __init__(self, sizes: tuple[int, int], std: float, seed: Any, rng: Any) -> None:
        super().__init__()
        kind = type(self).__name__
        for name, n in zip(self._sizes, sizes):
            setattr(self, name, check_size(f"{kind}: {name}", n))
        self.weight = _gauss(sizes[0] * sizes[1], std, pick_rng(seed, rng))
        self._rows = _rows(self.weight, getattr(self, self._width))

    def rows(self) -> list[list[Value]]:
        """The matrix as a list of rows of parameters."""
        return [list(row) for row in self._rows]

    def architecture(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._sizes}

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> Any:
        return cls(*(arch[name] for name in cls._sizes), std=0.0)


class Linear(_Matrix):
    """``y_i = sum_j W_ij x_j``, no bias: one ``linear`` node per output (microgpt's matmul).

    ``weight`` holds W row by row (``out_features`` rows of ``in_features``), as PyTorch's
    ``nn.Linear(in_features, out_features, bias=False)``. Outputs carry the layer's name as
    their label.

    >>> layer = Linear(3, 2, seed=0)
    >>> y = layer([Value(1.0), Value(2.0), Value(3.0)])
    >>> len(y), y[0].op, len(layer.parameters())
    (2, 'linear', 6)
    """

    _sizes, _width = ("in_features", "out_features"), "in_features"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__((in_features, out_features), std, seed, rng)
        name_parts(self)

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """W x, as a list of ``out_features`` Values."""
        _check_width(f"Linear {self.name!r}", x, self.in_features)
        zero = Value(0.0)  # the bias slot of every row's node: one constant per call
        return _label(matvec(self._rows, x, zero), self.name)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias=False"


class Embedding(_Matrix):
    """A table of ``num_embeddings`` vectors of ``embedding_dim`` parameters; ``emb(i)`` is
    row i (the parameters themselves: gradients flow into the rows that were used).

    >>> emb = Embedding(5, 3, seed=0)
    >>> row = emb(2)
    >>> row[0] is emb.weight[6], len(row)
    (True, 3)
    """

    _sizes, _width = ("num_embeddings", "embedding_dim"), "embedding_dim"

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__((num_embeddings, embedding_dim), std, seed, rng)
        self._columns = [list(column) for column in zip(*self._rows)]
        name_parts(self)

    def forward(self, index: int | Value) -> list[Value]:
        """Row ``index`` of the table (a new list of the parameter Values). ``index`` may be a
        Value holding an int, as a compiled function sees its tokens: each entry of the row is
        then ``pick(column, index)``, which a compiled replay picks again for each call."""
        if isinstance(index, Value):
            return [pick(column, index) for column in self._columns]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"Embedding {self.name!r}: index must be an int, got {index!r:.40}")
        if not 0 <= index < self.num_embeddings:
            raise IndexError(
                f"Embedding {self.name!r}: index {index} is out of range "
                f"(0 .. {self.num_embeddings - 1})"
            )
        return list(self._rows[index])

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class RMSNorm(Module):
    """``x_i / sqrt(mean_j x_j^2 + eps)``: microgpt's norm, with no learned gain.

    Each output is ``x_i * r``, where ``r`` is one ``rms_scale`` node over the whole vector.

    >>> [round(v.data, 4) for v in RMSNorm(2)([Value(3.0), Value(4.0)])]
    [0.8485, 1.1314]
    """

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.dim = check_size("RMSNorm: dim", dim)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"RMSNorm: eps must be a number > 0, got {eps!r}")
        self.eps = float(eps)

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """x scaled to a root mean square of about 1."""
        _check_width(f"RMSNorm {self.name!r}", x, self.dim)
        return rmsnorm(x, self.eps)

    def extra_repr(self) -> str:
        return f"{self.dim}" + (f", eps={self.eps}" if self.eps != 1e-5 else "")


# ---- attention and the block ----------------------------------------------------------------


class CausalSelfAttention(Module):
    """Multi-head causal self-attention over a growing list of keys and values.

    Called once per position with that position's vector ``x``: it appends the position's
    key and value to ``keys`` and ``values`` (the cache of the positions so far), and each
    head h attends over all of them::

        q, k, v = wq x, wk x, wv x               (n_embd each; head h owns a slice of head_dim)
        w_t = softmax_t(q_h . k_h,t / sqrt(head_dim))       over the cached positions t
        head_h = sum_t w_t v_h,t;   out = wo [head_0, ..., head_(n_head-1)]

    No mask is needed: a position only ever sees the keys cached before it (and its own).
    ``attention``, a list, receives each head's weights as floats, for pictures.

    >>> attn = CausalSelfAttention(4, n_head=2, seed=0)
    >>> keys, values = [], []
    >>> out = attn([Value(1.0)] * 4, keys, values)
    >>> out = attn([Value(0.5)] * 4, keys, values)
    >>> len(out), len(keys), len(attn.parameters())
    (4, 2, 64)
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.n_embd = check_size("CausalSelfAttention: n_embd", n_embd)
        self.n_head = check_size("CausalSelfAttention: n_head", n_head)
        if n_embd % n_head:
            raise ValueError(
                f"CausalSelfAttention: n_embd ({n_embd}) must be a multiple of n_head ({n_head})"
            )
        self.head_dim = n_embd // n_head
        gen = pick_rng(seed, rng)
        self.wq = Linear(n_embd, n_embd, std=std, rng=gen)  # microgpt's order: q, k, v, o
        self.wk = Linear(n_embd, n_embd, std=std, rng=gen)
        self.wv = Linear(n_embd, n_embd, std=std, rng=gen)
        self.wo = Linear(n_embd, n_embd, std=std, rng=gen)
        name_parts(self)

    def forward(
        self,
        x: Sequence[Value],
        keys: list[list[Value]],
        values: list[list[Value]],
        attention: list[Any] | None = None,
    ) -> list[Value]:
        """The attention output at this position (``keys``/``values`` grow by one)."""
        q = self.wq(x)
        keys.append(self.wk(x))
        values.append(self.wv(x))
        scale, hd = self.head_dim**-0.5, self.head_dim
        zero = Value(0.0)
        heads: list[Value] = []
        weights_of_heads = []
        for lo in range(0, self.n_embd, hd):
            q_h = [qi * scale for qi in q[lo : lo + hd]]
            scores = matvec([k[lo : lo + hd] for k in keys], q_h, zero)  # q_h . k_h,t
            weights = softmax(scores)
            weights_of_heads.append(weights)
            columns = [[v[j] for v in values] for j in range(lo, lo + hd)]
            heads += matvec(columns, weights, zero)  # sum_t w_t v_t[j]
        if attention is not None:
            attention.append([[w.data for w in ws] for ws in weights_of_heads])
        return self.wo(heads)

    def extra_repr(self) -> str:
        return f"n_embd={self.n_embd}, n_head={self.n_head}"

    def architecture(self) -> dict[str, Any]:
        return {"n_embd": self.n_embd, "n_head": self.n_head}

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> CausalSelfAttention:
        return cls(arch["n_embd"], arch["n_head"], std=0.0)


class FeedForward(Module):
    """microgpt's MLP: ``fc2(relu(fc1(x)))``, from n_embd to ``hidden`` and back, no biases.

    >>> mlp = FeedForward(4, 16, seed=0)
    >>> len(mlp([Value(1.0)] * 4)), len(mlp.parameters())
    (4, 128)
    """

    def __init__(
        self,
        n_embd: int,
        hidden: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        gen = pick_rng(seed, rng)
        self.fc1 = Linear(n_embd, hidden, std=std, rng=gen)
        self.fc2 = Linear(hidden, n_embd, std=std, rng=gen)
        name_parts(self)

    def forward(self, x: Sequence[Value]) -> list[Value]:
        """fc2(relu(fc1(x)))."""
        return self.fc2([h.relu() for h in self.fc1(x)])

    def architecture(self) -> dict[str, Any]:
        return {"n_embd": self.fc1.in_features, "hidden": self.fc1.out_features}

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> FeedForward:
        return cls(arch["n_embd"], arch["hidden"], std=0.0)


class Block(Module):
    """One transformer layer: ``x <- x + attn(norm(x))``, then ``x <- x + mlp(norm(x))``.

    The two sums are microgpt's two sub-blocks. Each is labelled with its module's name
    (``layers.0.attn``, ``layers.0.mlp``), so ``draw_dot(loss, collapse=model,
    collapse_level="module")`` draws each sub-block, norm and residual included, as one box.

    >>> block = Block(4, n_head=2, seed=0)
    >>> keys, values = [], []
    >>> y = block([Value(1.0)] * 4, keys, values)
    >>> [v.label for v in y][:2], len(block.parameters())
    (['mlp', 'mlp'], 192)
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        gen = pick_rng(seed, rng)
        self.attn_norm = RMSNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, std=std, rng=gen)
        self.mlp_norm = RMSNorm(n_embd)
        self.mlp = FeedForward(n_embd, 4 * n_embd, std=std, rng=gen)
        name_parts(self)

    def forward(
        self,
        x: Sequence[Value],
        keys: list[list[Value]],
        values: list[list[Value]],
        attention: list[Any] | None = None,
    ) -> list[Value]:
        """The layer's output at this position (the attention's cache grows by one)."""
        a = self.attn(self.attn_norm(x), keys, values, attention)
        x = _label([xi + ai for xi, ai in zip(x, a)], self.attn.name)
        m = self.mlp(self.mlp_norm(x))
        return _label([xi + mi for xi, mi in zip(x, m)], self.mlp.name)

    def architecture(self) -> dict[str, Any]:
        return self.attn.architecture()

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> Block:
        return cls(arch["n_embd"], arch["n_head"], std=0.0)


class InputEmbedding(Module):
    """What a position starts from: ``norm(wte[token] + wpe[position])``.

    microgpt normalises the sum before the first layer too. The outputs are labelled with
    this module's name (``embed`` in a GPT).

    >>> emb = InputEmbedding(5, 4, 3, seed=0)
    >>> len(emb(token=2, position=1)), len(emb.parameters())
    (3, 27)
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_embd: int,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        gen = pick_rng(seed, rng)
        self.wte = Embedding(vocab_size, n_embd, std=std, rng=gen)  # token embeddings
        self.wpe = Embedding(block_size, n_embd, std=std, rng=gen)  # position embeddings
        self.norm = RMSNorm(n_embd)
        name_parts(self)

    def forward(self, token: int, position: int) -> list[Value]:
        """The normalised sum of the token's and the position's vectors."""
        x = [t + p for t, p in zip(self.wte(token), self.wpe(position))]
        return _label(self.norm(x), self.name)
