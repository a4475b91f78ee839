"""GPT: microgpt's transformer as a Module, its loss, its cache, sampling, and its weights.

One position at a time, as microgpt does it::

    x = norm(wte[token] + wpe[position])                      (embed)
    for each layer:   x = x + attn(norm(x));   x = x + mlp(norm(x))
    logits = lm_head x;   loss at the position = -log softmax(logits)[next token]

Each attention layer appends the position's key and value to a ``KVCache``, so position t
attends to positions 0..t only: the model is causal by construction. Training and sampling
run the same code; sampling just feeds each sampled token back in.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from typing import Any

from autograd import Value, cross_entropy, linear, no_grad, softmax

from ..module import Module
from .layers import INIT_STD, Block, InputEmbedding, Linear, check_size, name_parts, pick_rng

__all__ = ["GPT", "KVCache", "probabilities"]

Weights = dict[str, list[list[float]]]


class KVCache:
    """The keys and values each attention layer has seen, one entry per position so far.

    ``record=True`` also keeps every head's attention weights (floats) in ``attention``:
    ``attention[layer][position][head]`` lists the weights over positions 0..position.

    >>> cache = KVCache(n_layer=2); len(cache), len(cache.keys)
    (0, 2)
    """

    def __init__(self, n_layer: int, record: bool = False) -> None:
        self.keys: list[list[list[Value]]] = [[] for _ in range(n_layer)]
        self.values: list[list[list[Value]]] = [[] for _ in range(n_layer)]
        self.attention: list[list[Any]] | None = [[] for _ in range(n_layer)] if record else None

    def __len__(self) -> int:
        """How many positions have been run through the model."""
        return len(self.keys[0]) if self.keys else 0


def probabilities(logits: Sequence[Any], temperature: float = 1.0) -> list[float]:
    """softmax(logits / temperature) as floats: what sampling draws from.

    A temperature below 1 sharpens the distribution (0.5 is microgpt's), above 1 flattens it.

    >>> [round(p, 3) for p in probabilities([1.0, 2.0], temperature=0.5)]
    [0.119, 0.881]
    """
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature must be a number > 0, got {temperature!r}")
    if not (temperature > 0 and math.isfinite(temperature)):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    scaled = [float(z) / temperature for z in logits]
    with no_grad():
        return [p.data for p in softmax(scaled)]


class GPT(Module):
    """A GPT over ``vocab_size`` tokens: microgpt's model, with its sizes as defaults.

    ``GPT(vocab_size, n_embd=16, n_head=4, n_layer=1, block_size=16)``; weights start from
    Gaussian(0, 0.08) draws in microgpt's order (wte, wpe, lm_head, then each layer's
    wq, wk, wv, wo, fc1, fc2), from ``seed`` or ``rng``. Token ``vocab_size - 1`` is BOS,
    as ``CharTokenizer`` numbers it.

    - ``model.loss(tokens)``: microgpt's loss for one sequence (a list of ids that starts
      with BOS): the mean over positions of -log softmax(logits)[next token], a Value.
    - ``model(tokens)``: the logits at every position; ``model.step(token, cache)``: one.
    - ``model.generate(seed=...)``: sample a sequence; ``GPT.from_microgpt(weights)`` and
      ``model.to_microgpt()``: microgpt's weight layout.
    - ``autograd.compile(model.loss)``: the loss replayed as array programs; the tokens are
      its arguments (Values holding ints, picked), so one trace serves every name of a length.

    >>> model = GPT(vocab_size=5, n_embd=8, n_head=2, seed=0)
    >>> loss = model.loss([4, 0, 1, 4])
    >>> loss.backward()
    >>> round(loss.data, 4), len(model.parameters())
    (1.5627, 976)
    >>> model.generate(seed=0) == model.generate(seed=0)
    True
    """

    def __init__(
        self,
        vocab_size: int,
        n_embd: int = 16,
        n_head: int = 4,
        n_layer: int = 1,
        block_size: int = 16,
        *,
        std: float = INIT_STD,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.vocab_size = check_size("GPT: vocab_size", vocab_size)
        if vocab_size < 2:
            raise ValueError(f"GPT: vocab_size must be >= 2 (a token and BOS), got {vocab_size}")
        self.n_embd = check_size("GPT: n_embd", n_embd)
        self.n_head = check_size("GPT: n_head", n_head)
        self.n_layer = check_size("GPT: n_layer", n_layer)
        self.block_size = check_size("GPT: block_size", block_size)
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd ({n_embd}) must be a multiple of n_head ({n_head})")
        gen = pick_rng(seed, rng)
        embed = InputEmbedding(vocab_size, block_size, n_embd, std=std, rng=gen)
        lm_head = Linear(n_embd, vocab_size, std=std, rng=gen)  # drawn before the layers
        layers = [Block(n_embd, n_head, std=std, rng=gen) for _ in range(n_layer)]
        self.embed, self.layers, self.lm_head = embed, layers, lm_head  # in forward order
        name_parts(self)

    @property
    def bos(self) -> int:
        """The id of the BOS token: the last one."""
        return self.vocab_size - 1

    # ---- running the model ----------------------------------------------------------------

    def new_cache(self, record: bool = False) -> KVCache:
        """An empty cache for a new sequence (``record=True`` keeps attention weights)."""
        return KVCache(self.n_layer, record)

    def step(self, token: int, cache: KVCache) -> list[Value]:
        """The logits of the next token after ``token``, at position ``len(cache)``; the
        cache grows by one position.

        >>> model = GPT(5, n_embd=8, n_head=2, seed=0)
        >>> cache = model.new_cache()
        >>> logits = model.step(4, cache)
        >>> len(logits), len(cache)
        (5, 1)
        """
        pos = len(cache)
        if pos >= self.block_size:
            raise ValueError(
                f"GPT.step: the cache holds {pos} positions, block_size is {self.block_size}"
            )
        x = self.embed(token, pos)
        recorded = cache.attention
        for i, block in enumerate(self.layers):
            attention = recorded[i] if recorded is not None else None
            x = block(x, cache.keys[i], cache.values[i], attention)
        return self.lm_head(x)

    def forward(self, tokens: Sequence[int]) -> list[list[Value]]:
        """The logits at each of the first ``block_size`` positions of ``tokens``."""
        tokens = self._check_tokens(tokens, 1, "GPT")
        cache = self.new_cache()
        return [self.step(t, cache) for t in tokens[: self.block_size]]

    def losses(self, tokens: Sequence[int]) -> list[Value]:
        """-log softmax(logits)[next token] at each position: one ``cross_entropy`` node each.

        Positions 0 .. n-1 with n = min(block_size, len(tokens) - 1), as microgpt.

        >>> [t.op for t in GPT(5, n_embd=8, n_head=2, seed=0).losses([4, 0, 1, 4])]
        ['cross_entropy', 'cross_entropy', 'cross_entropy']
        """
        tokens = self._check_tokens(tokens, 2, "GPT.losses")
        cache = self.new_cache()
        n = min(self.block_size, len(tokens) - 1)
        return [cross_entropy(self.step(tokens[p], cache), tokens[p + 1]) for p in range(n)]

    def loss(self, tokens: Sequence[int]) -> Value:
        """microgpt's loss for one sequence: the mean of ``losses(tokens)``, one Value."""
        terms = self.losses(tokens)
        mean = Value(1.0 / len(terms))
        return linear([mean] * len(terms), terms)  # (1/n) l_0 + (1/n) l_1 + ...: one node

    def _check_tokens(self, tokens: Any, least: int, where: str) -> list[int]:
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise TypeError(
                f"{where}: tokens must be a list of token ids (CharTokenizer.encode gives "
                f"one), got {type(tokens).__name__}"
            )
        if len(tokens) < least:
            raise ValueError(f"{where}: needs at least {least} tokens, got {len(tokens)}")
        for t in tokens:  # (a Value, as compile passes tokens, is checked where it is picked)
            if isinstance(t, Value):
                continue
            if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.vocab_size:
                raise ValueError(f"{where}: {t!r} is not a token id (0 .. {self.vocab_size - 1})")
        return list(tokens)

    # ---- sampling and looking inside ----------------------------------------------------

    def generate(
        self,
        temperature: float = 0.5,
        seed: int | None = None,
        rng: random.Random | None = None,
        prompt: Sequence[int] = (),
        max_tokens: int | None = None,
    ) -> list[int]:
        """Sample one sequence after BOS (and ``prompt``), stopping at BOS or the block size.

        Each token is drawn from ``probabilities(logits, temperature)`` with ``seed`` or
        ``rng``; the result (without BOS, prompt included) is the same for the same seed.
        Runs under ``no_grad``: no graph is kept.

        >>> model = GPT(5, n_embd=8, n_head=2, seed=0)
        >>> tokens = model.generate(seed=3, prompt=[2])
        >>> tokens[0], model.bos in tokens, tokens == model.generate(seed=3, prompt=[2])
        (2, False, True)
        """
        gen = pick_rng(seed, rng)
        tokens = self._check_tokens([self.bos, *prompt], 1, "GPT.generate")
        limit = self.block_size if max_tokens is None else min(max_tokens, self.block_size)
        choices = range(self.vocab_size)
        out = tokens[1:]
        with no_grad():
            cache = self.new_cache()
            for t in tokens[:-1]:
                self.step(t, cache)
            token = tokens[-1]
            while len(cache) < self.block_size and len(out) < limit:
                logits = self.step(token, cache)
                token = gen.choices(choices, weights=probabilities(logits, temperature))[0]
                if token == self.bos:
                    break
                out.append(token)
        return out

    def sample(
        self,
        tokenizer: Any,
        n: int = 10,
        temperature: float = 0.5,
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> list[str]:
        """``n`` sequences from ``generate``, decoded by ``tokenizer`` (a ``CharTokenizer``):
        new names, after training on names. The same seed gives the same names.

        >>> from nn.tokenizer import CharTokenizer
        >>> tok = CharTokenizer("abcd")
        >>> model = GPT(tok.vocab_size, n_embd=8, n_head=2, seed=0)
        >>> model.sample(tok, n=3, seed=1) == model.sample(tok, n=3, seed=1)
        True
        """
        if getattr(tokenizer, "vocab_size", self.vocab_size) != self.vocab_size:
            raise ValueError(
                f"sample: the tokenizer has {tokenizer.vocab_size} tokens, the model "
                f"{self.vocab_size}"
            )
        gen = pick_rng(seed, rng)
        return [tokenizer.decode(self.generate(temperature, rng=gen)) for _ in range(n)]

    def attention_maps(self, tokens: Sequence[int], layer: int = 0) -> list[list[list[float]]]:
        """Each head's attention weights in ``layer`` for ``tokens``: ``maps[head][t][s]``
        is how much position t attends to position s (0 for s > t: the future).

        >>> maps = GPT(5, n_embd=8, n_head=2, seed=0).attention_maps([4, 0, 1])
        >>> len(maps), [round(sum(row), 6) for row in maps[0]], maps[0][0][1:]
        (2, [1.0, 1.0, 1.0], [0.0, 0.0])
        """
        if not (isinstance(layer, int) and 0 <= layer < self.n_layer):
            raise ValueError(f"attention_maps: layer must be in 0 .. {self.n_layer - 1}")
        tokens = self._check_tokens(tokens, 1, "GPT.attention_maps")[: self.block_size]
        cache = self.new_cache(record=True)
        with no_grad():
            for t in tokens:
                self.step(t, cache)
        assert cache.attention is not None
        rows = cache.attention[layer]  # rows[t][head]: the weights over positions 0..t
        n = len(tokens)
        return [[rows[t][h] + [0.0] * (n - 1 - t) for t in range(n)] for h in range(self.n_head)]

    # ---- description and saving ----------------------------------------------------------

    def extra_repr(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.architecture().items())
        return f"{sizes}, parameters={len(self.parameters())}"

    def architecture(self) -> dict[str, Any]:
        """The sizes that define the model: what ``save`` records and ``load`` checks."""
        return {
            "vocab_size": self.vocab_size,
            "n_embd": self.n_embd,
            "n_head": self.n_head,
            "n_layer": self.n_layer,
            "block_size": self.block_size,
        }

    @classmethod
    def from_architecture(cls, arch: dict[str, Any]) -> GPT:
        """A new GPT (weights zero) with the architecture ``save`` recorded."""
        return cls(**{k: arch[k] for k in cls._SIZES}, std=0.0)

    _SIZES = ("vocab_size", "n_embd", "n_head", "n_layer", "block_size")

    # ---- microgpt's weight layout -------------------------------------------------------

    def _matrices(self) -> dict[str, Any]:
        """Each of microgpt's weight names with the module holding that matrix."""
        found: dict[str, Any] = {
            "wte": self.embed.wte,
            "wpe": self.embed.wpe,
            "lm_head": self.lm_head,
        }
        for i, block in enumerate(self.layers):
            attn, mlp = block.attn, block.mlp
            for name, part in (("wq", attn.wq), ("wk", attn.wk), ("wv", attn.wv), ("wo", attn.wo)):
                found[f"layer{i}.attn_{name}"] = part
            found[f"layer{i}.mlp_fc1"] = mlp.fc1
            found[f"layer{i}.mlp_fc2"] = mlp.fc2
        return found

    def to_microgpt(self, grad: bool = False) -> Weights:
        """The weights in microgpt's layout: a dict of lists of rows of floats, keyed
        ``wte``, ``wpe``, ``lm_head``, ``layer{i}.attn_wq|wk|wv|wo``, ``layer{i}.mlp_fc1|fc2``
        (``grad=True``: their gradients, laid out the same way).

        >>> w = GPT(5, n_embd=8, n_head=2, seed=0).to_microgpt()
        >>> list(w)[:4], len(w["wte"]), len(w["layer0.mlp_fc1"][0])
        (['wte', 'wpe', 'lm_head', 'layer0.attn_wq'], 5, 8)
        """
        return {
            name: [[float(p.grad) if grad else p.data for p in row] for row in part.rows()]
            for name, part in self._matrices().items()
        }

    @classmethod
    def from_microgpt(cls, weights: Weights, n_head: int = 4) -> GPT:
        """A GPT holding microgpt's weights (the layout ``to_microgpt`` gives); the sizes come
        from the matrices, ``n_head`` from you. Every shape is checked before any is used.

        >>> w = GPT(5, n_embd=8, n_head=2, seed=0).to_microgpt()
        >>> GPT.from_microgpt(w, n_head=2).to_microgpt() == w
        True
        """
        if not isinstance(weights, dict) or "wte" not in weights or "wpe" not in weights:
            raise ValueError("from_microgpt: expected a dict with 'wte', 'wpe', 'lm_head', ...")
        n_layer = sum(1 for k in weights if k.startswith("layer") and k.endswith(".attn_wq"))
        model = cls(
            vocab_size=len(weights["wte"]),
            n_embd=len(weights["wte"][0]) if weights["wte"] else 0,
            n_head=n_head,
            n_layer=n_layer,
            block_size=len(weights["wpe"]),
            std=0.0,
        )
        matrices = model._matrices()
        extra = sorted(set(weights) - set(matrices))
        missing = sorted(set(matrices) - set(weights))
        if extra or missing:
            raise ValueError(f"from_microgpt: missing keys {missing}, unexpected keys {extra}")
        updates = []
        for name, part in matrices.items():
            rows = part.rows()
            given = weights[name]
            shape = (len(rows), len(rows[0]))
            if len(given) != shape[0] or any(len(r) != shape[1] for r in given):
                raise ValueError(f"from_microgpt: {name} must be {shape[0]} x {shape[1]}")
            updates += [(p, float(x)) for row, new in zip(rows, given) for p, x in zip(row, new)]
        for p, x in updates:
            p.data = x
        return model
