"""fit, evaluate and predict: the training loop, its metrics, gradient-flow checks and optimisers.

One epoch of ``fit`` is, for each batch (the whole data set when ``batch_size`` is None)::

    zero_grad(); loss = loss_fn([model(x) for x in X], y) + l2 * sum(p^2)
    loss.backward(); clip_grad_norm_(...)       # optional
    optimizer.step()                            # under no_grad
    scheduler.step()                            # once per epoch

What fit records (``History``) and whom it tells (``Callback``, ``EarlyStopping``) are in
``nn.callbacks``; ``make_optimizer`` and ``make_scheduler`` build optimisers and schedules by
name, for fit and for the ``chainrule`` command.

Speed: the engine creates no reference cycles, so a step's graph is freed by reference
counting alone and the cyclic garbage collector only wastes time scanning it (most of the
forward time with the collector on, benchmarks/moons.py). ``fit`` therefore suspends the
collector during each step and restores its previous state afterwards, even on error.
"""

from __future__ import annotations

import contextlib
import gc
import math
import numbers
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from autograd import Value, no_grad

from . import losses, optim
from .callbacks import Callback, EarlyStopping, History
from .data import batches
from .fit_step import forward_backward
from .init import make_rng
from .layers import Layer, Neuron
from .module import Module

__all__ = [
    "fit",
    "evaluate",
    "predict",
    "accuracy",
    "argmax",
    "progress_bar",
    "History",
    "Callback",
    "EarlyStopping",
    "GradientFlowWarning",
    "make_optimizer",
    "make_scheduler",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
]

LOSSES: dict[str, Callable[..., Any]] = {
    "hinge": losses.hinge_loss,
    "bce_with_logits": losses.binary_cross_entropy_with_logits,
    "bce": losses.binary_cross_entropy,
    "cross_entropy": losses.cross_entropy,
    "mse": losses.mse_loss,
    "l1": losses.l1_loss,
}
"""Loss functions by the name ``fit(loss=...)`` (and ``chainrule --loss``) accepts."""

OPTIMIZERS: dict[str, tuple[type, float]] = {
    "sgd": (optim.SGD, 0.1),
    "adam": (optim.Adam, 0.01),
    "adamw": (optim.AdamW, 0.01),
}
"""Optimisers by name, with the learning rate used when ``lr`` is not given."""

SCHEDULES = ("constant", "step", "exponential", "cosine", "linear")
"""Learning-rate schedules by name, for ``make_scheduler``."""

VANISHING, EXPLODING = 1e-6, 1e3  # a layer's gradient norm relative to the output layer's


class GradientFlowWarning(UserWarning):
    """A layer's gradients are vanishing or exploding relative to the output layer's, or are
    exactly zero (dead units: ReLUs that output 0 on every sample pass nothing back).

    ``fit`` issues it once per layer; filter it like any UserWarning.

    >>> issubclass(GradientFlowWarning, UserWarning)
    True
    """


# ---- metrics -------------------------------------------------------------------------------


def argmax(xs: Sequence[float]) -> int:
    """The index of the largest value, the first on a tie: the class a row of scores picks.

    ``accuracy`` and ``nn.plot``'s class regions both decide by it.

    >>> argmax([0.1, 2.0, 2.0, -1.0])
    1
    """
    best = 0
    for i, x in enumerate(xs):
        if x > xs[best]:
            best = i
    return best


def accuracy(preds: Sequence[Any], targets: Sequence[Any], loss: Any = None) -> float | None:
    """The fraction of correct predictions, by the rule that fits the loss; None for regression.

    ``preds`` are model outputs (floats or Values; lists of them for several outputs).
    Several outputs: argmax against the class index (or the argmax of a one-hot target).
    One output: ``"hinge"`` -> sign (labels -1/+1), ``"bce_with_logits"`` -> logit > 0,
    ``"bce"`` -> probability > 0.5; other losses: sign when the targets are all -1/+1,
    > 0.5 when they are all 0/1, else None (not a classification).

    >>> accuracy([2.0, -1.0, 0.5], [1, -1, -1], "hinge")
    0.6666666666666666
    >>> accuracy([[0.1, 2.0], [3.0, 0.0]], [1, 1])
    0.5
    >>> accuracy([0.3, 1.7], [0.31, 1.69], "mse") is None
    True
    """
    if len(preds) != len(targets):
        raise ValueError(f"accuracy: {len(preds)} predictions for {len(targets)} targets")
    if not preds:
        return None
    rows = [_as_floats(p) for p in preds]
    if isinstance(rows[0], list):
        correct = 0
        for row, t in zip(rows, targets):
            label = argmax([float(v) for v in t]) if isinstance(t, (list, tuple)) else int(t)
            correct += argmax(row) == label
        return correct / len(rows)
    ts = [float(t) for t in targets]
    name = loss if isinstance(loss, str) else None
    regression_loss = name is None or name in ("mse", "l1")
    if name == "hinge" or (regression_loss and set(ts) <= {-1.0, 1.0}):
        hits = [(p > 0) == (t > 0) for p, t in zip(rows, ts)]
    elif name == "bce_with_logits":
        hits = [(p > 0) == (t > 0.5) for p, t in zip(rows, ts)]
    elif name == "bce" or (regression_loss and set(ts) <= {0.0, 1.0}):
        hits = [(p > 0.5) == (t > 0.5) for p, t in zip(rows, ts)]
    else:
        return None
    return sum(hits) / len(hits)


def _as_floats(output: Any) -> Any:
    """A model's output as a float, or a list of floats for several outputs."""
    if isinstance(output, (list, tuple)):
        return [float(v) for v in output]
    return float(output)


# ---- optimisers and schedules by name (fit and the chainrule command build them here) ----------


def make_optimizer(name: str, params: Any, lr: float | None = None, **options: Any) -> Any:
    """The optimiser ``name`` ("sgd", "adam" or "adamw") on ``params``.

    ``lr`` defaults to the name's entry in ``OPTIMIZERS`` (0.1 for sgd, 0.01 for adam and
    adamw); ``options`` go to the optimiser as they are (``momentum``, ``nesterov``,
    ``weight_decay``, ``betas``, ...).

    >>> from autograd import Value
    >>> opt = make_optimizer("sgd", [Value(1.0)], momentum=0.9)
    >>> type(opt).__name__, opt.defaults["lr"], opt.defaults["momentum"]
    ('SGD', 0.1, 0.9)
    """
    if name not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)} "
            "or pass an optimizer instance"
        )
    cls, default_lr = OPTIMIZERS[name]
    return cls(params, lr=default_lr if lr is None else lr, **options)


def make_scheduler(
    name: str,
    opt: Any,
    epochs: int,
    *,
    gamma: float | None = None,
    step_size: int | None = None,
    warmup: int | None = None,
) -> Any:
    """The learning-rate schedule ``name`` (one of ``SCHEDULES``) for ``opt``, stepped once
    per epoch of ``epochs``; None for "constant" without a warm-up.

    - "step": lr <- lr * gamma (0.1) every ``step_size`` epochs (a third of them by default);
    - "exponential": lr <- lr * gamma (0.95) every epoch;
    - "cosine": from lr down to 0 along half a cosine;
    - "linear": from lr down to gamma * lr (gamma 0.1) in a straight line.

    ``warmup``: first raise the rate linearly over this many epochs (``optim.LinearWarmup``);
    the schedule then runs over the epochs left. A schedule ignores the options it has no use
    for.

    >>> from autograd import Value
    >>> opt = make_optimizer("sgd", [Value(1.0)], lr=1.0)
    >>> sched, lrs = make_scheduler("step", opt, epochs=6, gamma=0.5), []
    >>> for _ in range(6):
    ...     lrs.append(opt.param_groups[0]["lr"]); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    after_warmup = max(1, epochs - (warmup or 0))
    sched = None
    if name == "step":
        step_size = step_size or max(1, after_warmup // 3)
        sched = optim.StepLR(opt, step_size=step_size, gamma=0.1 if gamma is None else gamma)
    elif name == "exponential":
        sched = optim.ExponentialLR(opt, gamma=0.95 if gamma is None else gamma)
    elif name == "cosine":
        sched = optim.CosineAnnealingLR(opt, T_max=after_warmup)
    elif name == "linear":
        end = 0.1 if gamma is None else gamma
        sched = optim.LinearLR(opt, start_factor=1.0, end_factor=end, total_iters=after_warmup)
    if warmup:
        sched = optim.LinearWarmup(opt, warmup_steps=warmup, after=sched)
    return sched


# ---- argument checks ----------------------------------------------------------------------------


def _loss_function(loss: Any) -> tuple[str | None, Callable[..., Any]]:
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(
                f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} or pass a callable"
            )
        return loss, LOSSES[loss]
    if callable(loss):
        return None, loss
    raise TypeError(f"loss must be a name or a callable(preds, targets), got {type(loss).__name__}")


def _compute_loss(
    name: str | None, fn: Callable[..., Any], preds: list[Any], targets: Sequence[Any]
) -> Value:
    """The data loss of a batch: lists of outputs are flattened for element-wise losses."""
    if name in ("mse", "l1") and preds and isinstance(preds[0], list):
        flat_t = []
        for t, p in zip(targets, preds):
            if not isinstance(t, (list, tuple)) or len(t) != len(p):
                raise ValueError(
                    f"fit: loss {name!r} on a model with {len(p)} outputs needs targets that are "
                    f"lists of {len(p)} numbers, got {t!r:.60}"
                )
            flat_t.extend(t)
        return fn([v for p in preds for v in p], flat_t)
    if name in ("hinge", "bce", "bce_with_logits") and preds and isinstance(preds[0], list):
        raise ValueError(
            f"fit: loss {name!r} needs a model with one output, got {len(preds[0])} outputs "
            "(use cross_entropy for several classes)"
        )
    if name == "cross_entropy" and preds and not isinstance(preds[0], list):
        raise ValueError(
            "fit: cross_entropy needs one output (logit) per class; the model has one output "
            "(use bce_with_logits or hinge for two classes)"
        )
    out = fn(preds, list(targets))
    if not isinstance(out, Value):
        raise TypeError(f"fit: the loss must return a Value, got {type(out).__name__}")
    return out


def _fit_optimizer(model: Module, optimizer: Any, lr: float | None) -> Any:
    """fit's optimizer: built by make_optimizer from a name, or an instance checked."""
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, model.parameters(), lr)
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "param_groups")):
        raise TypeError(
            f"optimizer must be a name ({', '.join(OPTIMIZERS)}) or an optimizer from nn.optim, "
            f"got {type(optimizer).__name__}"
        )
    if lr is not None:
        raise ValueError(
            "fit: lr is used only with an optimizer name; set it on the optimizer instance"
        )
    return optimizer


def _fit_scheduler(scheduler: Any, opt: Any) -> Any:
    """fit's schedule: None, a schedule on ``opt``, or a function of ``opt`` returning one."""
    if scheduler is None:
        return None
    if not hasattr(scheduler, "step") and callable(scheduler):
        scheduler = scheduler(opt)  # a factory: lambda opt: optim.StepLR(opt, 10)
    if not hasattr(scheduler, "step"):
        raise TypeError(
            f"scheduler must be a schedule from nn.optim or a function of the optimizer "
            f"returning one, got {type(scheduler).__name__}"
        )
    if getattr(scheduler, "optimizer", opt) is not opt:
        raise ValueError(
            "fit: the scheduler was built for another optimizer; pass that optimizer as "
            "optimizer=..., or scheduler=lambda opt: optim.StepLR(opt, ...)"
        )
    return scheduler


def _check_data(X: Sequence[Any], y: Sequence[Any], where: str) -> None:
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} rows but y has {len(y)} targets")
    if len(X) == 0:
        raise ValueError(f"{where}: X is empty")


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"fit: {name} must be an int >= 1, got {value!r}")


def _metric_functions(metrics: Any) -> list[tuple[str, Callable[..., Any] | None]]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    out: list[tuple[str, Callable[..., Any] | None]] = []
    for m in metrics:
        if m == "accuracy":
            out.append(("accuracy", None))
        elif callable(m):
            out.append((getattr(m, "__name__", "metric"), m))
        else:
            raise ValueError(f"unknown metric {m!r}; use 'accuracy' or a callable(preds, targets)")
    return out


def progress_bar(progress: bool | None, total: int, desc: str, unit: str) -> Any:
    """A tqdm bar of ``total`` units for ``desc`` (fit, grid_search, ...), or None for no bar.

    ``progress``: False gives None, None gives a bar only when tqdm is there, True requires
    it (the ImportError names ``desc`` and the extra to install).

    >>> progress_bar(False, 10, "fit", "epoch") is None
    True
    """
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress is None:
            return None  # the default: a bar only when tqdm is there
        raise ImportError(
            f'{desc}(progress=True) needs tqdm: pip install "chainrule[progress]"'
        ) from None
    try:
        return tqdm(total=total, desc=desc, unit=unit, leave=True)
    except ImportError:  # a notebook without ipywidgets: a text bar instead
        from tqdm.std import tqdm as text_tqdm

        return text_tqdm(total=total, desc=desc, unit=unit, leave=True)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Suspend Python's cyclic garbage collector inside the block, then restore its state.

    Safe for our graphs: they hold no reference cycles, so reference counting frees them.

    >>> import gc
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---- gradient flow ------------------------------------------------------------------------------


def _layer_groups(model: Module) -> list[tuple[str, Module]]:
    """The layers whose gradient flow is watched: every Layer, or the whole model."""
    groups = [(name or m.name, m) for name, m in model.named_modules() if isinstance(m, Layer)]
    return groups or [(model.name if isinstance(model, Neuron) else "model", model)]


def _weights(module: Module) -> list[Value]:
    return module.weights() if isinstance(module, Layer) else module.parameters()


class _FlowMeter:
    """Accumulates per-layer gradient statistics over an epoch's steps."""

    def __init__(self, model: Module, track: bool) -> None:
        self.groups = _layer_groups(model)
        self.track = track
        self.neurons = {
            name: [m for m in module.modules() if isinstance(m, Neuron)]
            for name, module in self.groups
        }
        self.params = {name: module.parameters() for name, module in self.groups}
        self.weights = {name: _weights(module) for name, module in self.groups}
        self.warned: set[tuple[str, str]] = set()

    def start_epoch(self) -> None:
        self.steps = 0
        self.norm_sums = {name: 0.0 for name, _ in self.groups}
        self.abs_grad_sums = {name: 0.0 for name, _ in self.groups}
        if self.track:
            for neurons in self.neurons.values():
                for n in neurons:
                    n._activity = [0, 0]

    def after_backward(self) -> None:
        self.steps += 1
        for name, _ in self.groups:
            grads = [float(p.grad) for p in self.params[name]]
            self.norm_sums[name] += math.sqrt(sum(g * g for g in grads))
            if self.track:
                ws = self.weights[name]
                self.abs_grad_sums[name] += sum(abs(float(w.grad)) for w in ws) / len(ws)

    def end_epoch(self, epoch: int) -> dict[str, Any] | None:
        self._warn(epoch)
        if not self.track:
            return None
        flow = {}
        for name, _ in self.groups:
            ws = self.weights[name]
            neurons = self.neurons[name]
            relus = [n for n in neurons if n.activation == "relu"]
            dead = None
            if relus:  # a ReLU that never fired in the epoch passes no gradient at all
                dead = sum(n._activity is not None and n._activity[0] == 0 for n in relus) / len(
                    relus
                )
            flow[name] = {
                "grad": self.abs_grad_sums[name] / max(self.steps, 1),
                "weight": sum(abs(w.data) for w in ws) / len(ws),
                "dead": dead,
            }
        return flow

    def close(self) -> None:
        for neurons in self.neurons.values():
            for n in neurons:
                n._activity = None

    def _warn(self, epoch: int) -> None:
        if len(self.groups) < 2 or not self.steps:
            return
        out_name = self.groups[-1][0]
        out_norm = self.norm_sums[out_name] / self.steps
        if not out_norm > 0 or not math.isfinite(out_norm):
            return  # nothing to compare with
        names = [name for name, _ in self.groups[:-1]]
        for i, name in enumerate(names):
            ratio = self.norm_sums[name] / self.steps / out_norm
            kind = ("dead" if ratio == 0 else "vanishing" if ratio < VANISHING
                    else "exploding" if ratio > EXPLODING else None)
            if kind and (name, kind) not in self.warned:
                self.warned.add((name, kind))
                # no gradient at all: this layer's units are dead, or the last of the
                # zero-gradient layers right after it (nothing comes through them)
                alive = [n for n in names[i:] if self.norm_sums[n] != 0] + [out_name]
                culprit = names[names.index(alive[0]) - 1] if alive[0] in names else names[-1]
                warnings.warn(  # stacklevel: _warn <- end_epoch <- epoch <- fit <- its caller
                    _flow_message(kind, epoch, name, ratio, culprit), GradientFlowWarning,
                    stacklevel=5)


def _flow_message(kind: str, epoch: int, name: str, ratio: float, culprit: str) -> str:
    """What a GradientFlowWarning says, in plain words."""
    if kind == "dead":
        why = "its units" if culprit == name else f"the units of layer {culprit!r} after it"
        return (f"fit: dead units at epoch {epoch}: layer {name!r} gets no gradient at all "
                f"(every gradient exactly 0), because {why} pass nothing back: ReLUs that "
                "output 0 on every sample (dead units) stop learning for good. A learning rate "
                "too large often pushes them there: lower it, or try leaky_relu")
    size = f"layer {name!r} gets gradients {ratio:.2g} times the size of the output layer's"
    if kind == "vanishing":
        return (f"fit: vanishing gradients at epoch {epoch}: {size} (below {VANISHING:g}), too "
                "small for it to learn; try another init (kaiming for ReLU, xavier for tanh) "
                "or activation")
    return (f"fit: exploding gradients at epoch {epoch}: {size} (above {EXPLODING:g}), so its "
            "steps are far too large; lower the learning rate, clip the gradients "
            "(clip_grad_norm) or try another init")


# ---- fit --------------------------------------------------------------------------------------


def fit(
    model: Module, X: Sequence[Any], y: Sequence[Any],  # noqa: N803
    loss: str | Callable[..., Any] = "mse", optimizer: Any = "adam", lr: float | None = None,
    epochs: int = 100, batch_size: int | None = None, scheduler: Any = None,
    clip_grad_norm: float | None = None, l2: float = 0.0,
    val_data: tuple[Sequence[Any], Sequence[Any]] | None = None,
    metrics: Sequence[Any] = ("accuracy",), callbacks: Sequence[Any] = (),
    progress: bool | None = None, seed: Any = None, track_grad_flow: bool = False,
    compile: bool = False,  # noqa: A002  (the issue's name: fit(..., compile=True))
) -> History:
    """Train ``model`` on ``(X, y)`` and return the ``History`` of every epoch.

    - ``loss``: a name in ``LOSSES`` ("hinge", "bce_with_logits", "bce", "cross_entropy",
      "mse", "l1") or ``callable(preds, targets) -> Value``.
    - ``optimizer``: an optimizer from ``nn.optim`` built on ``model.parameters()``, or a
      name ("sgd", "adam", "adamw") with ``lr`` (default 0.1 for sgd, 0.01 for adam/adamw).
    - ``batch_size``: None trains on the whole set each epoch (one step per epoch); otherwise
      the data is reshuffled each epoch with ``seed``.
    - ``scheduler``: a schedule built on that optimizer, or ``lambda opt: optim.StepLR(opt, 10)``
      (needed when the optimizer is given by name); stepped once per epoch.
    - ``clip_grad_norm``: clip the gradients' total norm to this before each step.
    - ``l2``: adds ``l2 * sum(p^2)`` over all parameters (micrograd's demo uses 1e-4).
    - ``val_data``: ``(X_val, y_val)`` evaluated after each epoch (no dropout, no graph).
    - ``metrics``: "accuracy" (recorded for classification losses; see ``accuracy``) and/or
      callables ``metric(preds, targets) -> float`` on float predictions.
    - ``callbacks``: ``Callback`` objects (e.g. ``EarlyStopping``) or functions
      ``f(epoch, logs, model)``; returning True stops training.
    - ``progress``: a tqdm bar (terminal or notebook) showing loss and accuracy. None (default)
      shows it when tqdm is installed; True requires it (``pip install "chainrule[progress]"``);
      False hides it.
    - ``track_grad_flow``: record per layer mean |grad|, mean |weight| and the fraction of
      dead ReLUs (never positive during the epoch) in ``record["grad_flow"]``.
    - ``compile``: forward and backward as numpy array programs (``autograd.compile``).

    A ``GradientFlowWarning`` is issued once per layer when its gradient norm falls below
    1e-6 or rises above 1e3 times the output layer's, or is exactly 0 (dead units). Training
    stops with a RuntimeWarning if the loss becomes NaN or infinite. The same seed and
    arguments give the same history, bit for bit (except ``time``).

    >>> from nn import MLP, data
    >>> X, y = data.make_moons(30, noise=0.1, seed=0)
    >>> model = MLP(2, [8, 1], seed=0)
    >>> h = fit(model, X, y, loss="bce_with_logits", optimizer="adam", epochs=3, progress=False)
    >>> h["epoch"], h["lr"]
    ([1, 2, 3], [0.01, 0.01, 0.01])
    """
    _check_fit_arguments(model, X, y, epochs, batch_size, l2, clip_grad_norm, val_data)
    run = _Training(model, loss, metrics, optimizer, lr, scheduler, l2, clip_grad_norm, val_data,
                    track_grad_flow, compile)
    cbs = _checked_callbacks(callbacks)
    rng = make_rng(seed)
    history = History()
    bar = progress_bar(progress, epochs, "fit", "epoch")
    model.train()
    try:
        _notify(cbs, "on_train_begin", model)
        for epoch in range(1, epochs + 1):
            record = run.epoch(epoch, _epoch_batches(X, y, batch_size, rng))
            history.records.append(record)
            _show_progress(bar, record)
            if _should_stop(cbs, epoch, record, model):
                history.stopped_early = epoch < epochs
                break
        _notify(cbs, "on_train_end", model, history)
    finally:
        run.meter.close()
        if bar is not None:
            bar.close()
    return history


def _check_fit_arguments(
    model: Any, X: Sequence[Any], y: Sequence[Any], epochs: Any, batch_size: Any,  # noqa: N803
    l2: Any, clip_grad_norm: Any, val_data: Any,
) -> None:
    """fit's checks of its model, data and numbers, each error naming the bad value."""
    if not isinstance(model, Module):
        raise TypeError(f"fit: model must be an nn.Module, got {type(model).__name__}")
    _check_data(X, y, "fit")
    _check_positive_int("epochs", epochs)
    if batch_size is not None:
        _check_positive_int("batch_size", batch_size)
    if (
        isinstance(l2, bool)
        or not isinstance(l2, numbers.Real)
        or not (l2 >= 0 and math.isfinite(l2))
    ):
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if clip_grad_norm is not None and not (
        isinstance(clip_grad_norm, numbers.Real) and clip_grad_norm > 0
    ):
        raise ValueError(
            f"fit: clip_grad_norm must be a number > 0 or None, got {clip_grad_norm!r}"
        )
    if val_data is not None:
        if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
            raise ValueError("fit: val_data must be a pair (X_val, y_val)")
        _check_data(val_data[0], val_data[1], "fit: val_data")


def _checked_callbacks(callbacks: Sequence[Any]) -> list[Any]:
    cbs = list(callbacks)
    for cb in cbs:
        if not (hasattr(cb, "on_epoch_end") or callable(cb)):
            raise TypeError(f"fit: a callback must be a Callback or a function, got {cb!r:.60}")
    return cbs


def _epoch_batches(X: Sequence[Any], y: Sequence[Any], batch_size: int | None, rng: Any) -> Any:  # noqa: N803
    """The whole set as one batch, or shuffled batches of batch_size (reshuffled each epoch)."""
    if batch_size is None:
        return [(X, y)]
    return batches(X, y, batch_size, shuffle=True, seed=rng)


class _Training:
    """What every step of one fit uses, and the two things it does: a step, an epoch."""

    def __init__(self, model: Module, loss: Any, metrics: Any, optimizer: Any, lr: float | None,
                 scheduler: Any, l2: float, clip: float | None, val_data: Any,
                 track_grad_flow: bool, compiled: bool = False) -> None:
        """Check the loss and the metrics, then build the optimiser and the schedule, in the
        order fit reports the first bad argument."""
        self.model, self.params = model, model.parameters()
        self.loss, self.metrics = loss, metrics  # as fit got them: evaluate takes them too
        self.loss_name, self.loss_fn = _loss_function(loss)
        self.metric_fns = _metric_functions(metrics)
        self.opt = _fit_optimizer(model, optimizer, lr)
        self.sched = _fit_scheduler(scheduler, self.opt)
        self.l2, self.clip, self.val_data = l2, clip, val_data
        self.meter = _FlowMeter(model, track_grad_flow)
        self.forward_backward = forward_backward(  # (fit_step.py: scalar engine or compiled)
            model, self.params, lambda out, y: _compute_loss(self.loss_name, self.loss_fn, out, y),
            l2, compiled, track_grad_flow)

    def step(self, Xb: Sequence[Any], yb: Sequence[Any]) -> tuple[float, list[Any], float]:  # noqa: N803
        """One optimisation step; returns (loss, predictions as floats, gradient norm).

        Only floats leave this function, so returning drops the last reference to the step's
        graph and reference counting frees it (the collector is paused around the call).
        """
        self.opt.zero_grad()
        for p in self.params:  # also parameters the optimizer does not update: grad_norm is right
            p.grad = 0.0
        value, preds = self.forward_backward(Xb, yb)
        if self.clip is not None:
            norm = optim.clip_grad_norm_(self.params, self.clip)  # the norm before clipping
        else:
            grads = [float(p.grad) for p in self.params]
            norm = math.sqrt(sum(g * g for g in grads))  # g * g: inf, not OverflowError
        self.meter.after_backward()
        with no_grad():
            self.opt.step()
        return value, [_as_floats(p) for p in preds], norm

    def epoch(self, epoch: int, batch_list: Any) -> dict[str, Any]:
        """A step on each batch, then the epoch's record (see History) and a schedule step."""
        start = time.perf_counter()
        lr_now = self.opt.param_groups[0]["lr"]
        self.meter.start_epoch()
        batch_losses, norms, all_preds, all_targets = [], [], [], []
        for Xb, yb in batch_list:  # noqa: N806
            with collector_paused():
                value, preds, norm = self.step(Xb, yb)
            batch_losses.append((value, len(Xb)))
            norms.append(norm)
            all_preds += preds
            all_targets += list(yb)
        flow = self.meter.end_epoch(epoch)  # before validation, whose forward passes would count
        record: dict[str, Any] = {"epoch": epoch, "loss": _mean_loss(batch_losses)}
        record.update(_metric_values(self.metric_fns, all_preds, all_targets, self.loss_name, ""))
        if self.val_data is not None:
            val = evaluate(self.model, self.val_data[0], self.val_data[1], self.loss, self.metrics)
            record.update({f"val_{k}": v for k, v in val.items()})
        record["lr"] = lr_now
        record["grad_norm"] = sum(norms) / len(norms)
        if flow is not None:
            record["grad_flow"] = flow
        if self.sched is not None:
            self.sched.step()
        record["time"] = time.perf_counter() - start
        return record


def _mean_loss(batch_losses: list[tuple[float, int]]) -> float:
    """The epoch's loss: the batches' losses weighted by their sizes (exact for one batch)."""
    if len(batch_losses) == 1:
        return batch_losses[0][0]
    return sum(v * n for v, n in batch_losses) / sum(n for _, n in batch_losses)


def _notify(callbacks: list[Any], hook: str, *args: Any) -> None:
    """Call ``hook`` (on_train_begin or on_train_end) on each callback that has it."""
    for cb in callbacks:
        if hasattr(cb, hook):
            getattr(cb, hook)(*args)


def _should_stop(callbacks: list[Any], epoch: int, record: dict[str, Any], model: Module) -> bool:
    """Every callback sees the epoch (even after one says stop); a loss of NaN or inf stops."""
    stop = False
    for cb in callbacks:
        hook = cb.on_epoch_end if hasattr(cb, "on_epoch_end") else cb
        stop = bool(hook(epoch, record, model)) or stop
    if not math.isfinite(record["loss"]):
        warnings.warn(
            f"fit: the loss became {record['loss']} at epoch {epoch}; training stopped "
            "(lower lr, or use clip_grad_norm)",
            RuntimeWarning,
            stacklevel=3,  # warn <- _should_stop <- fit <- the caller of fit
        )
        stop = True
    return stop


def _show_progress(bar: Any, record: dict[str, Any]) -> None:
    """One more epoch on the bar, with the loss and accuracy (train and validation)."""
    if bar is None:
        return
    shown = {"loss": f"{record['loss']:.4f}"}
    for key, short in (("accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc")):
        if record.get(key) is not None:
            shown[short] = f"{record[key]:.4f}"
    bar.update(1)
    bar.set_postfix(shown, refresh=False)


def _metric_values(
    metric_fns: list[tuple[str, Callable[..., Any] | None]],
    preds: list[Any],
    targets: list[Any],
    loss_name: str | None,
    prefix: str,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, fn in metric_fns:
        value = accuracy(preds, targets, loss_name) if fn is None else fn(preds, targets)
        if value is not None:  # accuracy is None for regression: not recorded
            out[prefix + name] = value
    return out


# ---- evaluate / predict -------------------------------------------------------------------------


@contextlib.contextmanager
def _inference(model: Module) -> Iterator[None]:
    """no_grad and eval mode, restoring each module's mode afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        for m, mode in modes:
            m.training = mode


def predict(model: Module, X: Sequence[Any]) -> list[Any]:
    """The model's outputs for each row of X as floats (lists of floats for several outputs).

    Runs in eval mode (no dropout) under ``no_grad`` (no graph is built).

    >>> from nn import MLP
    >>> model = MLP(2, [4, 3], seed=0)
    >>> out = predict(model, [[0.5, -1.0], [1.0, 2.0]])
    >>> len(out), len(out[0]), type(out[0][0]).__name__
    (2, 3, 'float')
    """
    with _inference(model):
        return [_as_floats(model(x)) for x in X]


def evaluate(
    model: Module,
    X: Sequence[Any],  # noqa: N803
    y: Sequence[Any],
    loss: str | Callable[..., Any] = "mse",
    metrics: Sequence[Any] = ("accuracy",),
) -> dict[str, float]:
    """The loss (no L2 term) and metrics of ``model`` on ``(X, y)``, in eval mode under no_grad.

    >>> from nn import MLP
    >>> model = MLP(1, [1], seed=0)
    >>> model.layers[0].neurons[0].w[0].data = 2.0
    >>> evaluate(model, [[1.0], [2.0]], [2.0, 4.0], loss="mse")
    {'loss': 0.0}
    """
    _check_data(X, y, "evaluate")
    loss_name, loss_fn = _loss_function(loss)
    metric_fns = _metric_functions(metrics)
    with _inference(model):
        outputs = [model(x) for x in X]
        value = _compute_loss(loss_name, loss_fn, outputs, y).data
        preds = [_as_floats(p) for p in outputs]
    result = {"loss": value}
    result.update(_metric_values(metric_fns, preds, list(y), loss_name, ""))
    return result
