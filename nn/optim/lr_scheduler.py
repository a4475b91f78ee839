"""Learning-rate schedules: each ``step()`` sets every group's ``lr`` by a rule, as in PyTorch."""

from __future__ import annotations

import copy
import math
import numbers
from bisect import bisect_right
from typing import Any

from .optimizer import Optimizer, check_int, check_keys, check_number, is_real

__all__ = [
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "LinearWarmup",
]


def _check_optimizer(where: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{where}: optimizer must be an Optimizer (SGD, Adam, ...), "
            f"got {type(optimizer).__name__}"
        )


class LRScheduler:
    """Base class of learning-rate schedules: each ``step()`` updates every ``group["lr"]``.

    Call ``sched.step()`` once per epoch (or per batch), after ``opt.step()``; ``last_epoch``
    counts those calls. As in PyTorch, a step applies the schedule's rule to the rate each
    group holds *now* (the chainable form: multiply by gamma, by a cosine ratio, ...), not a
    formula of t alone. So a rate set by hand in ``opt.param_groups[i]["lr"]`` is scheduled
    from at the next step, and two schedules stepped together on one optimizer compose (their
    factors multiply). Used alone, a schedule follows the closed form in its docstring, with
    PyTorch's exact values (the same rounding).

    ``base_lrs`` are the groups' starting rates, ``group["initial_lr"]`` (set by the first
    schedule made for the optimizer, as in PyTorch); only closed-form steps use them (a
    ``SequentialLR`` phase starting at its milestone, cosine's first step up from eta_min).
    Creating a schedule performs epoch 0 (most keep the current rates; ``LinearLR``
    multiplies them by ``start_factor``). A group added with ``add_param_group`` later is
    scheduled from its own rate by the chainable rules, as in PyTorch; a closed-form step
    needs its base rate, which it lacks, so that ``step()`` raises a ValueError (PyTorch fails
    there too). Subclasses define ``get_lr`` (the rule) and ``_closed_form_lr``.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(1.0)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr(), sched.last_epoch
    ([0.125], 3)
    >>> opt.param_groups[0]["lr"] = 1.0        # set by hand: the schedule goes on from here
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr: list[float] = []
        self._initial_step()

    def _initial_step(self) -> None:
        """Epoch 0: the rule at t = 0 applied to the current rates (PyTorch's initial step)."""
        self._apply(self.get_lr())

    def get_lr(self) -> list[float]:
        """Each group's rate at ``last_epoch``, computed from its current ``group["lr"]``.

        ``step()`` calls this after advancing ``last_epoch``. Calling it yourself applies the
        rule once more to the current rates; read the rates with ``get_last_lr()`` instead.
        """
        raise NotImplementedError

    def _closed_form_lr(self, base_lr: float, t: int) -> float:
        """The rate at epoch t of a group that started at ``base_lr`` and was left alone."""
        raise NotImplementedError

    def _base_lr(self, i: int) -> float:
        """Group i's starting rate, for a closed-form step; a clear error for a newer group."""
        if i >= len(self.base_lrs):
            raise ValueError(
                f"{type(self).__name__}: parameter group {i} was added (add_param_group) after "
                f"this schedule was made, so it has no base_lr for the closed form needed at "
                f"epoch {self.last_epoch}; make the schedule after adding every group"
            )
        return self.base_lrs[i]

    def _restart(self) -> None:
        """Go to epoch 0 by the closed form (how ``SequentialLR`` starts a phase, as PyTorch)."""
        count = len(self.optimizer.param_groups)
        lrs = [self._closed_form_lr(self._base_lr(i), 0) for i in range(count)]
        self.last_epoch = 0
        self._apply(lrs)

    def _apply(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def step(self) -> None:
        """Advance one epoch (or batch) and update every group's ``lr`` by the rule."""
        self.last_epoch += 1
        try:
            lrs = self.get_lr()
        except ValueError:
            self.last_epoch -= 1  # a refused step leaves the schedule where it was
            raise
        self._apply(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rate of each parameter group set by the last ``step()``."""
        return list(self._last_lr)

    # ---- saving and restoring ----

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain data (JSON-able).

        >>> from autograd import Value
        >>> from nn.optim import SGD
        >>> sched = StepLR(SGD([Value(1.0)], lr=0.1), step_size=2)
        >>> sorted(sched.state_dict())
        ['_last_lr', 'base_lrs', 'gamma', 'last_epoch', 'step_size']
        """
        return {k: copy.deepcopy(v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``; checks names and types first and changes nothing on error.

        Like PyTorch, this does not touch the optimizer's rates, and the next ``step()``
        goes on from them: load the optimizer's own state dict too (it holds the rates).
        """
        self._check_state_dict(state_dict, f"{type(self).__name__}.load_state_dict")
        self._apply_state_dict(state_dict)

    def _check_state_dict(self, state_dict: Any, where: str) -> None:
        mine = self.state_dict()
        check_keys(where, state_dict, set(mine))
        for key, current in mine.items():
            _check_like(where, key, state_dict[key], current)

    def _apply_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key, value in state_dict.items():
            setattr(self, key, copy.deepcopy(value))


def _check_like(where: str, key: str, value: Any, current: Any) -> None:
    """``value`` must have the same shape of data as ``current`` (numbers, lists of numbers)."""
    if isinstance(current, bool) or isinstance(current, numbers.Integral):
        ok = type(value) is type(current)
    elif isinstance(current, float):
        ok = is_real(value)
    elif isinstance(current, (list, tuple)):
        ok = isinstance(value, (list, tuple)) and len(value) == len(current)
        if ok:
            for i, (v, c) in enumerate(zip(value, current)):
                _check_like(where, f"{key}[{i}]", v, c)
    else:
        ok = isinstance(value, type(current))
    if not ok:
        raise ValueError(f"{where}: {key} should be like {current!r:.60}, got {value!r:.60}")


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs, as PyTorch's.

    At step t: lr <- lr * gamma when t is a multiple of step_size, else lr is kept.
    Used alone: lr_t = base_lr * gamma ** (t // step_size).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = StepLR(SGD([Value(1.0)], lr=1.0), step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        check_int("StepLR", "step_size", step_size, 1)
        check_number("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t == 0 or t % self.step_size != 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch, as PyTorch's.

    At step t: lr <- lr * gamma. Used alone: lr_t = base_lr * gamma ** t.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = ExponentialLR(SGD([Value(1.0)], lr=0.1), gamma=0.5)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.025]
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        check_number("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _closed_form_lr(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma**t


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs.

    At step t, PyTorch's recursive form (c_t = 1 + cos(pi * t / T_max))::

        lr <- eta_min + (lr - eta_min) * c_t / c_(t-1)
        lr <- lr + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2    where c_(t-1) = 0

    (c_(t-1) = 0 at t = T_max + 1, 3 T_max + 1, ..., where lr is at eta_min.) Used alone:
    lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, and past T_max the
    cosine rises again (period 2 T_max); stop stepping (or use ``SequentialLR``) to stay at
    eta_min.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = CosineAnnealingLR(SGD([Value(1.0)], lr=1.0), T_max=4)
    >>> lrs = []
    >>> for _ in range(8):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0, 0.1464, 0.5, 0.8536, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        check_int("CosineAnnealingLR", "T_max", T_max, 1)
        check_number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] for group in groups]
        if (t - 1 - T) % (2 * T) == 0:  # c_(t-1) = 1 + cos(pi) = 0: rise by the closed form
            lrs = []
            for i, group in enumerate(groups):
                step_up = (self._base_lr(i) - eta_min) * (1 - math.cos(math.pi / T)) / 2
                lrs.append(group["lr"] + step_up)
            return lrs
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (group["lr"] - eta_min) + eta_min for group in groups]

    def _closed_form_lr(self, base_lr: float, t: int) -> float:
        return (
            self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
        )


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor``, as PyTorch's.

    With f_t = start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters:
    creating the schedule does lr <- lr * start_factor (= f_0), then step t does
    lr <- lr * f_t / f_(t-1), i.e. nothing after ``total_iters``. Used alone:
    lr_t = base_lr * f_t.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> sched = LinearLR(SGD([Value(1.0)], lr=1.0), start_factor=0.25, total_iters=3)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        check_number("LinearLR", "start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        check_number("LinearLR", "end_factor", end_factor)
        if not end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        check_int("LinearLR", "total_iters", total_iters, 1)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t, n = self.last_epoch, self.total_iters
        start, change = self.start_factor, self.end_factor - self.start_factor
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] * start for group in groups]
        if t > n:
            return [group["lr"] for group in groups]
        # f_t / f_(t-1) = 1 + change / (n * start + (t - 1) * change), PyTorch's form
        ratio = 1.0 + change / (n * start + (t - 1) * change)
        return [group["lr"] * ratio for group in groups]

    def _closed_form_lr(self, base_lr: float, t: int) -> float:
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(LRScheduler):
    """Run schedules one after another, switching at the given epochs, as PyTorch's.

    ``schedulers[0]`` runs for epochs 0 .. milestones[0] - 1, then ``schedulers[1]`` starts
    from its own epoch 0, and so on; there is one milestone fewer than schedules. All must
    drive the same optimizer. Each ``step()`` steps only the schedule in charge. Creating
    this sets every rate back to ``initial_lr`` and starts ``schedulers[0]``; at a milestone
    the next schedule starts by its closed form at epoch 0 (from ``base_lrs``), as in PyTorch,
    so a rate set by hand (or another schedule's factor) does not carry across a milestone.
    Schedules can nest (a SequentialLR inside another; PyTorch fails on that).

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(1.0)], lr=1.0)
    >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, [warm, decay], milestones=[2])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int]
    ) -> None:
        name = type(self).__name__
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers:
            raise ValueError(f"{name}: needs at least one scheduler, got none")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise TypeError(
                    f"{name}: schedulers[{i}] must be a schedule, got {type(s).__name__}"
                )
            if s.optimizer is not optimizer:
                raise ValueError(
                    f"{name}: schedulers[{i}] ({type(s).__name__}) drives another optimizer; "
                    f"all must drive the one given"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"{name}: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones, "
                f"got {len(milestones)}: {milestones}"
            )
        for i, m in enumerate(milestones):
            check_int(name, f"milestones[{i}]", m, 1)
            if i and m <= milestones[i - 1]:
                raise ValueError(f"{name}: milestones must increase, got {milestones}")
        self._schedulers = schedulers
        self.milestones = milestones
        super().__init__(optimizer)

    def _initial_step(self) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        first = self._schedulers[0]
        first.last_epoch = 0
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _restart(self) -> None:
        self._schedulers[0]._restart()
        self.last_epoch = 0
        self._last_lr = self._schedulers[0].get_last_lr()

    def _in_charge(self, t: int) -> tuple[LRScheduler, bool]:
        """The schedule running at epoch t, and whether it starts there."""
        i = bisect_right(self.milestones, t)
        return self._schedulers[i], i > 0 and self.milestones[i - 1] == t

    def get_lr(self) -> list[float]:
        """The rule of the schedule in charge at ``last_epoch`` applied to the current rates."""
        return self._in_charge(self.last_epoch)[0].get_lr()

    def step(self) -> None:
        """Advance one epoch: step the schedule in charge, or start the next at its milestone."""
        current, starts = self._in_charge(self.last_epoch + 1)
        if starts:
            current._restart()
        else:
            current.step()
        self.last_epoch += 1
        self._last_lr = current.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """Its own state plus each scheduler's (under ``"_schedulers"``)."""
        state = {
            k: copy.deepcopy(v)
            for k, v in vars(self).items()
            if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def _check_state_dict(self, state_dict: Any, where: str) -> None:
        super()._check_state_dict(state_dict, where)
        for i, (s, saved) in enumerate(zip(self._schedulers, state_dict["_schedulers"])):
            s._check_state_dict(saved, f"{where}: _schedulers[{i}]")

    def _apply_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key, value in state_dict.items():
            if key != "_schedulers":
                setattr(self, key, copy.deepcopy(value))
        for s, saved in zip(self._schedulers, state_dict["_schedulers"]):
            s._apply_state_dict(saved)


class LinearWarmup(SequentialLR):
    """Linear warm-up for ``warmup_steps`` epochs, then hand over to ``after`` (if given).

    The rate rises linearly from ``start_factor * base_lr`` (epoch 0) to ``base_lr`` (epoch
    ``warmup_steps``); then ``after`` runs from its own epoch 0, or the rate stays at
    ``base_lr``. Exactly PyTorch's ``SequentialLR(opt, [LinearLR(opt, start_factor,
    total_iters=warmup_steps), after], milestones=[warmup_steps])``.

    >>> from autograd import Value
    >>> from nn.optim import SGD
    >>> opt = SGD([Value(1.0)], lr=1.0)
    >>> sched = LinearWarmup(opt, warmup_steps=2, start_factor=0.5,
    ...                      after=CosineAnnealingLR(opt, T_max=2))
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
    >>> lrs
    [0.5, 0.75, 1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        start_factor: float = 0.1,
        after: LRScheduler | None = None,
    ) -> None:
        check_int("LinearWarmup", "warmup_steps", warmup_steps, 1)
        _check_optimizer("LinearWarmup", optimizer)
        if after is not None and not isinstance(after, LRScheduler):
            raise TypeError(
                f"LinearWarmup: after must be a schedule or None, got {type(after).__name__}"
            )
        check_number("LinearWarmup", "start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearWarmup: start_factor must be in (0, 1], got {start_factor!r}")
        warmup = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
        self.warmup_steps, self.start_factor = warmup_steps, start_factor
        if after is None:
            super().__init__(optimizer, [warmup], [])
        else:
            super().__init__(optimizer, [warmup, after], [warmup_steps])
