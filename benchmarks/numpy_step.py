"""The moons benchmark's step written by hand in numpy: the yardstick for ``autograd.compile``.

MLP(2, [h, h, 1]) with ReLU hidden layers and a linear output; hinge loss, the mean of
relu(1 - y s), plus alpha times the sum of every parameter squared (micrograd's demo). The
forward and backward passes are about 30 numpy calls on float64 arrays that already hold the
weights and the data: the least work the same maths can take in numpy. ``moons.py`` times it
beside the compiled step and checks it against chainrule's loss and gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def layers_from(weights: list[list[list[float]]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """``moons.initial_weights`` (per layer, per neuron: weights then bias) as (W, b) arrays."""
    out = []
    for layer in weights:
        rows = np.array(layer, dtype=float)
        out.append((rows[:, :-1].copy(), rows[:, -1].copy()))
    return out


def forward_backward(
    layers: list[tuple[np.ndarray, np.ndarray]], X: np.ndarray, y: np.ndarray, alpha: float
) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
    """The loss and d loss / d (W, b) of every layer."""
    acts, pre = [X], []
    for i, (W, b) in enumerate(layers):
        z = acts[-1] @ W.T + b
        pre.append(z)
        acts.append(np.maximum(z, 0.0) if i < len(layers) - 1 else z)
    s = acts[-1][:, 0]
    margin = 1.0 - y * s
    n = len(y)
    reg = sum(float(np.dot(W.ravel(), W.ravel()) + np.dot(b, b)) for W, b in layers)
    loss = float(np.maximum(margin, 0.0).sum()) / n + alpha * reg
    g = ((margin > 0) * (-y / n))[:, None]  # d loss / d s
    grads = []
    for i in range(len(layers) - 1, -1, -1):
        W, b = layers[i]
        if i < len(layers) - 1:
            g = g * (pre[i] > 0)
        grads.append((g.T @ acts[i] + 2 * alpha * W, g.sum(axis=0) + 2 * alpha * b))
        if i:
            g = g @ W
    return loss, grads[::-1]


def sgd(layers: list[tuple[np.ndarray, np.ndarray]], grads: list[Any], lr: float) -> None:
    """micrograd's update, p -= lr * grad, in place."""
    for (W, b), (dW, db) in zip(layers, grads):
        W -= lr * dW
        b -= lr * db


def flat_grads(grads: list[tuple[np.ndarray, np.ndarray]]) -> list[float]:
    """The gradients in nn.MLP's parameter order (per neuron: weights, then bias)."""
    return [g for dW, db in grads for row, gb in zip(dW.tolist(), db.tolist()) for g in (*row, gb)]
