"""What fit records and whom it tells: the History of every epoch, Callback, EarlyStopping."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .module import Module

__all__ = ["History", "Callback", "EarlyStopping"]


# ---- History ------------------------------------------------------------------------------------


class History:
    """What ``fit`` recorded: one dict per epoch in ``records``.

    Keys: ``epoch`` (1, 2, ...), ``loss`` (the training objective, L2 term included, averaged
    over the epoch's batches), ``accuracy`` (from the same forward passes), ``val_loss`` and
    ``val_accuracy`` (with ``val_data``), ``lr`` (used during the epoch), ``grad_norm`` (the
    gradients' total norm before clipping, averaged over the epoch's steps), ``time`` (seconds)
    and, with ``track_grad_flow=True``, ``grad_flow``. ``history["loss"]`` is a column.

    >>> h = History()
    >>> h.records += [{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25}]
    >>> len(h), h["loss"], h[-1]
    (2, [0.5, 0.25], {'epoch': 2, 'loss': 0.25})
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.stopped_early = False  # True when a callback ended training before `epochs`

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, str):
            if not any(key in r for r in self.records):
                raise KeyError(f"History has no column {key!r}; columns: {', '.join(self.columns)}")
            return [r.get(key) for r in self.records]
        return self.records[key]

    @property
    def columns(self) -> list[str]:
        """The keys recorded, in first-seen order."""
        seen: dict[str, None] = {}
        for r in self.records:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def to_list(self) -> list[dict[str, Any]]:
        """A deep copy of ``records``: a list of plain dicts (JSON-able)."""
        return copy.deepcopy(self.records)

    def __repr__(self) -> str:
        if not self.records:
            return "History(epochs=0)"
        last = {k: v for k, v in self.records[-1].items() if isinstance(v, (int, float))}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if k != "epoch")
        return f"History(epochs={len(self.records)}, last: {shown})"


# ---- callbacks ----------------------------------------------------------------------------------


class Callback:
    """Base class for callbacks: override what you need. Return True from on_epoch_end to stop.

    A plain function ``f(epoch, logs, model)`` also works as a callback (its on_epoch_end).

    >>> class Print(Callback):
    ...     def on_epoch_end(self, epoch, logs, model):
    ...         print(epoch, round(logs["loss"], 3))
    """

    def on_train_begin(self, model: Module) -> None:
        """Called once before the first epoch."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any], model: Module) -> bool | None:
        """Called after each epoch with its record; return True to stop training."""
        return None

    def on_train_end(self, model: Module, history: History) -> None:
        """Called once after the last epoch (also after an early stop)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode``: "min", "max", or "auto" (max for names containing "acc", else min). With
    ``restore_best=True`` the model gets back the weights of its best epoch when training ends.
    ``best``, ``best_epoch`` and ``stopped_epoch`` tell what happened.

    >>> stopper = EarlyStopping(monitor="val_loss", patience=3)
    >>> stopper.mode
    'min'
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.restore_best = mode, restore_best
        self.on_train_begin(None)  # type: ignore[arg-type]

    def on_train_begin(self, model: Module) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_state: dict[str, float] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any], model: Module) -> bool:
        value = logs.get(self.monitor)
        if value is None:
            raise ValueError(
                f"EarlyStopping: {self.monitor!r} is not recorded (recorded: "
                f"{', '.join(k for k in logs if k != 'grad_flow')}); pass val_data= to fit "
                "or choose another monitor"
            )
        if self.best is None or (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        ):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best:
                self._best_state = model.state_dict()
            return False
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: Module, history: History) -> None:
        if self.restore_best and self._best_state is not None:
            model.load_state_dict(self._best_state)
