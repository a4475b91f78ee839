"""MLPBuilder: a ready-made, picklable ``build`` that turns a parameter dict into an MLP."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from ..layers import MLP
from ..messages import shown
from ..train import LOSSES, OPTIMIZERS

__all__ = ["MLPBuilder"]

Params = dict[str, Any]


class MLPBuilder:
    """A picklable ``build`` for searches: a parameter dict -> ``(nn.MLP, fit kwargs)``.

    The constructor's arguments are the defaults; a candidate's parameters override them.
    Model parameters: ``hidden`` (an int or a list of hidden-layer sizes; ``()`` or 0 for
    none), ``activation``, ``init``, ``dropout``, ``seed`` (the weights' seed: the same for
    every candidate by default, so candidates differ only by their parameters). fit
    parameters: ``loss`` (default ``"bce_with_logits"`` for one output, ``"cross_entropy"``
    for several), ``optimizer``, ``lr``, ``epochs``, ``batch_size``, ``l2``,
    ``clip_grad_norm``. Any other name is an error listing these; so is a value that cannot
    work (``lr=-1``, ``epochs=0``, an unknown optimizer), before any training.

    >>> build = MLPBuilder(2, hidden=8, epochs=5)
    >>> model, kwargs = build({"lr": 0.1, "hidden": (16, 16)})
    >>> model.nouts, kwargs["lr"], kwargs["epochs"], kwargs["loss"]
    ([16, 16, 1], 0.1, 5, 'bce_with_logits')
    """

    MODEL_KEYS = ("hidden", "activation", "init", "dropout", "seed")
    FIT_KEYS = ("loss", "optimizer", "lr", "epochs", "batch_size", "l2", "clip_grad_norm")

    def __init__(
        self,
        nin: int,
        nout: int = 1,
        *,
        hidden: int | Sequence[int] = (16, 16),
        activation: str = "relu",
        init: str = "uniform",
        dropout: float = 0.0,
        seed: int | None = 0,
        loss: str | None = None,
        optimizer: str = "adam",
        lr: float | None = None,
        epochs: int = 50,
        batch_size: int | None = None,
        l2: float = 0.0,
        clip_grad_norm: float | None = None,
    ) -> None:
        self.nin, self.nout = nin, nout
        if loss is None:
            loss = "bce_with_logits" if nout == 1 else "cross_entropy"
        self.defaults: dict[str, Any] = {
            "hidden": hidden, "activation": activation, "init": init, "dropout": dropout,
            "seed": seed, "loss": loss, "optimizer": optimizer, "lr": lr, "epochs": epochs,
            "batch_size": batch_size, "l2": l2, "clip_grad_norm": clip_grad_norm,
        }

    def __call__(self, params: Params) -> tuple[MLP, dict[str, Any]]:
        unknown = [k for k in params if k not in self.defaults]
        if unknown:
            raise ValueError(
                f"MLPBuilder: unknown hyperparameter {unknown[0]!r}; known: "
                f"{', '.join(self.MODEL_KEYS + self.FIT_KEYS)}"
            )
        p = {**self.defaults, **params}
        _check_fit_values(p)
        hidden = p["hidden"]
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            sizes = [int(hidden)] if hidden else []
        elif isinstance(hidden, Sequence) and not isinstance(hidden, str):
            sizes = list(hidden)
        else:
            raise ValueError(f"MLPBuilder: hidden must be an int or a list of ints, got {hidden!r}")
        model = MLP(
            self.nin, [*sizes, self.nout], activation=p["activation"], init=p["init"],
            dropout=p["dropout"], seed=p["seed"],
        )
        return model, {k: p[k] for k in self.FIT_KEYS}

    def __repr__(self) -> str:
        return f"MLPBuilder(nin={self.nin}, nout={self.nout}, defaults={self.defaults})"


def _check_fit_values(p: Params) -> None:
    """The values ``nn.fit`` will get, checked now: a ValueError names the first bad one."""
    if not callable(p["loss"]) and p["loss"] not in LOSSES:
        raise ValueError(f"MLPBuilder: loss must be one of {', '.join(LOSSES)}, "
                         f"got {shown(p['loss'])}")
    if p["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {shown(p['optimizer'])}; choose one of "
                         f"{', '.join(OPTIMIZERS)}")
    checks = [("lr", 0.0, True, True), ("l2", 0.0, False, False),
              ("clip_grad_norm", 0.0, True, True)]
    for name, low, open_low, none_ok in checks:
        value = p[name]
        if value is None and none_ok:
            continue
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not math.isfinite(value) or (value <= low if open_low else value < low)):
            bound = f"> {low:g}" if open_low else f">= {low:g}"
            raise ValueError(f"MLPBuilder: {name} must be a finite number {bound}"
                             f"{' or None' if none_ok else ''}, got {shown(value)}")
    for name, none_ok in (("epochs", False), ("batch_size", True)):
        value = p[name]
        if value is None and none_ok:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"MLPBuilder: {name} must be an int >= 1"
                             f"{' or None' if none_ok else ''}, got {shown(value)}")
