"""Training a GPT as microgpt does: one sequence per step, Adam, a linearly decaying rate.

Each step, for the next sequence (``docs[step % len(docs)]``)::

    zero_grad();  loss = model.loss(tokens);  loss.backward()
    adam.step()          # betas (0.85, 0.99), eps 1e-8, under no_grad
    schedule.step()      # lr_t = lr * (1 - t / steps): from lr down to 0

``fit`` records a ``History`` (one record per step), shows a progress bar, and pauses the
cyclic garbage collector around each step as ``nn.fit`` does (a step's graph holds no
reference cycles, so reference counting frees it).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from autograd import no_grad

from .. import optim
from ..callbacks import History
from ..train import collector_paused, progress_bar
from .model import GPT

__all__ = ["fit", "make_optimizer"]


def make_optimizer(
    model: GPT,
    steps: int,
    lr: float = 0.01,
    betas: tuple[float, float] = (0.85, 0.99),
    eps: float = 1e-8,
) -> tuple[optim.Adam, optim.LinearLR]:
    """microgpt's optimiser: Adam with its betas, and lr decayed linearly to 0 over ``steps``.

    >>> opt, schedule = make_optimizer(GPT(5, n_embd=8, n_head=2, seed=0), steps=4)
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(opt.param_groups[0]["lr"]); schedule.step()
    >>> [round(r, 4) for r in rates], opt.param_groups[0]["lr"]
    ([0.01, 0.0075, 0.005, 0.0025], 0.0)
    """
    opt = optim.Adam(model.parameters(), lr=lr, betas=betas, eps=eps)
    return opt, optim.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=steps)


def fit(
    model: GPT,
    docs: Sequence[Sequence[int]],
    steps: int = 1000,
    lr: float = 0.01,
    betas: tuple[float, float] = (0.85, 0.99),
    eps: float = 1e-8,
    progress: bool | None = None,
    callback: Callable[[int, dict[str, Any], GPT], Any] | None = None,
) -> History:
    """Train ``model`` for ``steps`` steps, one sequence of ``docs`` per step; a ``History``.

    ``docs`` are token-id lists (``CharTokenizer.encode`` of each name), used in order and
    cycled. Each record holds ``step``, ``loss`` (the sequence's loss before the update),
    ``lr`` and ``time``. ``callback(step, record, model)`` runs after each step; returning
    True stops training. ``progress`` as in ``nn.fit`` (None: a bar if tqdm is installed).
    Training stops with a RuntimeWarning if the loss stops being finite.

    >>> from nn.tokenizer import CharTokenizer
    >>> tok = CharTokenizer.from_texts(["ann", "bob"])
    >>> model = GPT(tok.vocab_size, n_embd=8, n_head=2, seed=0)
    >>> h = fit(model, [tok.encode("ann"), tok.encode("bob")], steps=3, progress=False)
    >>> h["step"], h["loss"][0] > h["loss"][2]
    ([1, 2, 3], True)
    """
    if not isinstance(model, GPT):
        raise TypeError(f"fit: model must be an nn.gpt.GPT, got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"fit: steps must be an int >= 1, got {steps!r}")
    if not docs:
        raise ValueError("fit: docs is empty; pass a list of token-id lists")
    opt, schedule = make_optimizer(model, steps, lr, betas, eps)
    history = History()
    bar = progress_bar(progress, steps, "nn.gpt.fit", "step")
    try:
        for step in range(steps):
            record = _step(model, docs[step % len(docs)], opt, schedule)
            record["step"] = step + 1
            history.records.append(record)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
            if not math.isfinite(record["loss"]):
                warnings.warn(
                    f"fit: the loss became {record['loss']} at step {step + 1}; training "
                    "stopped (lower lr)",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            if callback is not None and callback(step + 1, record, model):
                history.stopped_early = step + 1 < steps
                break
    finally:
        if bar is not None:
            bar.close()
    return history


def _step(model: GPT, tokens: Sequence[int], opt: optim.Adam, schedule: Any) -> dict[str, Any]:
    """One step; only floats leave it, so the step's graph is freed on return."""
    start = time.perf_counter()
    lr = opt.param_groups[0]["lr"]
    with collector_paused():
        opt.zero_grad()
        loss = model.loss(tokens)
        loss.backward()
        with no_grad():
            opt.step()
        schedule.step()
    return {"loss": loss.data, "lr": lr, "time": time.perf_counter() - start}
