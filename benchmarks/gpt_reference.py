"""The reference for the GPT benchmark: a microgpt-style engine and model, written once here.

Not part of chainrule and not for use. It is built the way the best-known scalar GPT lesson
builds it, so that ``benchmarks/gpt.py`` can time ``nn.GPT`` against it and check that both
compute the same losses from the same weights:

- ``RefValue``: ``__slots__ = ("data", "grad", "_children", "_local_grads")``; every op stores
  its local derivatives as numbers when it runs, and ``backward()`` orders the graph with a
  *recursive* depth-first search over a ``set`` of visited nodes, then applies
  ``child.grad += local * node.grad`` from the output back.
- the model: plain functions over lists of RefValues (a weighted sum is ``sum(w * x)``, so two
  nodes per term), one position at a time with a growing key/value list, as the lesson does.

Weights are a dict of lists of rows of floats (microgpt's layout: ``wte``, ``wpe``,
``lm_head``, ``layer{i}.attn_wq|wk|wv|wo``, ``layer{i}.mlp_fc1|fc2``).

>>> weights = init_weights(vocab_size=5, n_embd=8, n_layer=1, block_size=4, seed=0)
>>> model = RefGPT(weights, n_head=2)
>>> loss = model.loss([4, 0, 1, 4])
>>> loss.backward()
>>> round(loss.data, 6) > 0, all(p.grad != 0 for p in model.params[:8])
(True, True)
"""

from __future__ import annotations

import math
import random
from typing import Any


class RefValue:
    """A scalar that stores its inputs and the local derivative toward each, as numbers."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data: float, children: tuple = (), local_grads: tuple = ()) -> None:
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other: Any) -> RefValue:
        other = other if isinstance(other, RefValue) else RefValue(other)
        return RefValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other: Any) -> RefValue:
        other = other if isinstance(other, RefValue) else RefValue(other)
        return RefValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> RefValue:  # a constant exponent only
        return RefValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> RefValue:
        return RefValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> RefValue:
        e = math.exp(self.data)
        return RefValue(e, (self,), (e,))

    def relu(self) -> RefValue:
        return RefValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> RefValue:
        return self * -1

    def __radd__(self, other: Any) -> RefValue:
        return self + other

    def __sub__(self, other: Any) -> RefValue:
        return self + (-other)

    def __rsub__(self, other: Any) -> RefValue:
        return other + (-self)

    def __rmul__(self, other: Any) -> RefValue:
        return self * other

    def __truediv__(self, other: Any) -> RefValue:
        return self * other**-1

    def __rtruediv__(self, other: Any) -> RefValue:
        return other * self**-1

    def backward(self) -> None:
        order: list[RefValue] = []
        visited: set[RefValue] = set()

        def visit(node: RefValue) -> None:  # recursive, as the lesson writes it
            if node not in visited:
                visited.add(node)
                for child in node._children:
                    visit(child)
                order.append(node)

        visit(self)
        self.grad = 1
        for node in reversed(order):
            for child, local in zip(node._children, node._local_grads):
                child.grad += local * node.grad


# ---- the model ------------------------------------------------------------------------------


def init_weights(
    vocab_size: int, n_embd: int = 16, n_layer: int = 1, block_size: int = 16, seed: Any = 42
) -> dict[str, list[list[float]]]:
    """Gaussian(0, 0.08) weights in microgpt's order and layout (``seed``: an int or a Random)."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)

    def matrix(rows: int, cols: int) -> list[list[float]]:
        return [[rng.gauss(0, 0.08) for _ in range(cols)] for _ in range(rows)]

    weights = {
        "wte": matrix(vocab_size, n_embd),
        "wpe": matrix(block_size, n_embd),
        "lm_head": matrix(vocab_size, n_embd),
    }
    for i in range(n_layer):
        for name in ("attn_wq", "attn_wk", "attn_wv", "attn_wo"):
            weights[f"layer{i}.{name}"] = matrix(n_embd, n_embd)
        weights[f"layer{i}.mlp_fc1"] = matrix(4 * n_embd, n_embd)
        weights[f"layer{i}.mlp_fc2"] = matrix(n_embd, 4 * n_embd)
    return weights


def dot(ws: list[Any], xs: list[Any]) -> Any:
    """w0 * x0 + w1 * x1 + ...: two nodes per term, as ``sum`` of products makes it."""
    return sum(wi * xi for wi, xi in zip(ws, xs))


def softmax(logits: list[RefValue]) -> list[RefValue]:
    top = max(v.data for v in logits)
    exps = [(v - top).exp() for v in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x: list[RefValue]) -> list[RefValue]:
    mean_square = sum(xi * xi for xi in x) / len(x)
    scale = (mean_square + 1e-5) ** -0.5
    return [xi * scale for xi in x]


class RefGPT:
    """microgpt's model on RefValues: ``loss(tokens)`` for one sequence, ``params`` to train."""

    def __init__(
        self,
        weights: dict[str, list[list[float]]],
        n_head: int = 4,
        value: type = RefValue,
        dot: Any = dot,
    ) -> None:
        # value: the scalar class (any micrograd-like Value runs this same code); dot: how a
        # weighted sum is made (chainrule's linear makes it one node)
        self.w = {k: [[value(x) for x in row] for row in rows] for k, rows in weights.items()}
        self.dot = dot
        self.params = [p for rows in self.w.values() for row in rows for p in row]
        self.n_embd = len(self.w["wte"][0])
        self.n_head = n_head
        self.n_layer = sum(1 for k in self.w if k.endswith(".attn_wq"))
        self.block_size = len(self.w["wpe"])

    def weights(self) -> dict[str, list[list[float]]]:
        """The current weights as plain floats, in the layout ``init_weights`` gives."""
        return {k: [[p.data for p in row] for row in rows] for k, rows in self.w.items()}

    def linear(self, x: list[Any], w: list[list[Any]]) -> list[Any]:
        return [self.dot(row, x) for row in w]

    def forward(self, token: int, pos: int, keys: list, values: list) -> list[RefValue]:
        """The logits of the next token at position ``pos``; appends to keys and values."""
        w, head_dim, linear, dot = self.w, self.n_embd // self.n_head, self.linear, self.dot
        x = [t + p for t, p in zip(w["wte"][token], w["wpe"][pos])]
        x = rmsnorm(x)
        for i in range(self.n_layer):
            residual = x
            x = rmsnorm(x)
            q = linear(x, w[f"layer{i}.attn_wq"])
            k = linear(x, w[f"layer{i}.attn_wk"])
            v = linear(x, w[f"layer{i}.attn_wv"])
            keys[i].append(k)
            values[i].append(v)
            heads = []
            for h in range(self.n_head):
                lo = h * head_dim
                q_h = q[lo : lo + head_dim]
                k_h = [kt[lo : lo + head_dim] for kt in keys[i]]
                v_h = [vt[lo : lo + head_dim] for vt in values[i]]
                scores = [dot(q_h, kt) / head_dim**0.5 for kt in k_h]
                weights = softmax(scores)
                heads += [dot(weights, [vt[j] for vt in v_h]) for j in range(head_dim)]
            x = linear(heads, w[f"layer{i}.attn_wo"])
            x = [a + b for a, b in zip(x, residual)]
            residual = x
            x = rmsnorm(x)
            x = linear(x, w[f"layer{i}.mlp_fc1"])
            x = [xi.relu() for xi in x]
            x = linear(x, w[f"layer{i}.mlp_fc2"])
            x = [a + b for a, b in zip(x, residual)]
        return linear(x, w["lm_head"])

    def loss(self, tokens: list[int]) -> RefValue:
        """Mean over positions of -log softmax(logits)[next token]."""
        n = min(self.block_size, len(tokens) - 1)
        keys: list[list] = [[] for _ in range(self.n_layer)]
        values: list[list] = [[] for _ in range(self.n_layer)]
        losses = []
        for pos in range(n):
            probs = softmax(self.forward(tokens[pos], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)


class RefAdam:
    """microgpt's Adam: betas (0.85, 0.99), eps 1e-8, lr decayed linearly to 0 over ``steps``."""

    def __init__(self, params: list[RefValue], lr: float = 0.01, steps: int = 1000) -> None:
        self.params, self.lr, self.steps = params, lr, steps
        self.beta1, self.beta2, self.eps = 0.85, 0.99, 1e-8
        self.m = [0.0] * len(params)
        self.v = [0.0] * len(params)
        self.t = 0

    def step(self) -> None:
        lr = self.lr * (1 - self.t / self.steps)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for i, p in enumerate(self.params):
            self.m[i] = b1 * self.m[i] + (1 - b1) * p.grad
            self.v[i] = b2 * self.v[i] + (1 - b2) * p.grad**2
            m_hat = self.m[i] / (1 - b1**self.t)
            v_hat = self.v[i] / (1 - b2**self.t)
            p.data -= lr * m_hat / (v_hat**0.5 + self.eps)
            p.grad = 0
