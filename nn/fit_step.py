"""A training step's forward and backward for ``fit``: on the scalar engine, or compiled.

``fit(..., compile=True)`` runs them through ``autograd.compile``: the model's forward, the
loss and its backward become numpy array programs, traced on the first batch (and again for
a smaller last batch) and replayed after. Either way the step gives the loss as a float, the
model's outputs, and leaves the gradients in each parameter's ``.grad`` (equal to 1e-12).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value
from autograd import compile as compile_steps

from .losses import l2_penalty

__all__ = ["forward_backward"]

Step = Callable[[Sequence[Any], Sequence[Any]], tuple[float, list[Any]]]


def forward_backward(model: Any, params: list[Value], loss: Callable[..., Value], l2: float,
                     compiled: bool = False, track_grad_flow: bool = False) -> Step:
    """``step(X, y) -> (loss, outputs)`` with the gradients in ``p.grad``: ``loss(outputs, y)``
    is the data loss, plus ``l2 * sum(p^2)`` over ``params``. Compiled, the outputs are floats
    (else Values); not with ``track_grad_flow``, which counts ReLUs number by number.

    >>> from nn import MLP
    >>> model = MLP(1, [1], seed=0)
    >>> step = forward_backward(model, model.parameters(), lambda p, y: (p[0] - y[0]) ** 2, 0.0)
    >>> value, outputs = step([[1.0]], [0.0]); value == outputs[0].data ** 2
    True
    """
    if compiled and track_grad_flow:
        raise ValueError("fit: track_grad_flow=True needs compile=False")

    def loss_and_outputs(X: Sequence[Any], y: Sequence[Any]) -> tuple[Value, list[Any]]:  # noqa: N803
        outputs = [model(x) for x in X]
        value = loss(outputs, y)
        return (value + l2_penalty(params, l2) if l2 else value), outputs

    if compiled:
        return compile_steps(loss_and_outputs)

    def step(X: Sequence[Any], y: Sequence[Any]) -> tuple[float, list[Any]]:  # noqa: N803
        value, outputs = loss_and_outputs(X, y)
        value.backward()
        return value.data, outputs

    return step
