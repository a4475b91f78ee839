"""Optimisers (SGD, Adam, AdamW), learning-rate schedules and gradient clipping, as in PyTorch."""

from __future__ import annotations

import copy
import math
import numbers
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "LinearWarmup",
    "clip_grad_norm_",
    "clip_grad_value_",
]


# ---- small checks shared by everything here ------------------------------------------------


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _check_number(where: str, name: str, x: Any, low: float = 0.0, below: float | None = None):
    """``x`` must be a finite real number with low <= x (< below, when given)."""
    if not _is_real(x):
        raise TypeError(f"{where}: {name} must be a real number, got {type(x).__name__} {x!r:.60}")
    if not math.isfinite(x) or x < low or (below is not None and x >= below):
        bound = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"{where}: {name} must be a finite number {bound}, got {x!r}")


def _check_int(where: str, name: str, x: Any, low: int) -> None:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int, got {type(x).__name__} {x!r:.60}")
    if x < low:
        raise ValueError(f"{where}: {name} must be >= {low}, got {x!r}")


def _check_bool(where: str, name: str, x: Any) -> None:
    if not isinstance(x, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {x!r:.60}")


def _check_keys(where: str, state_dict: Any, keys: set[str]) -> None:
    """A state dict must be a dict with exactly ``keys``."""
    if not isinstance(state_dict, dict):
        raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
    missing, unexpected = keys - set(state_dict), set(state_dict) - keys
    if missing or unexpected:
        raise ValueError(
            f"{where}: missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
        )


def _grad(p: Value) -> float:
    """A parameter's gradient as a float (a Value gradient from create_graph gives its data)."""
    g = p.grad
    return g.data if isinstance(g, Value) else float(g)


def _param_list(params: Any, where: str) -> list[Value]:
    if isinstance(params, Value):
        return [params]
    if isinstance(params, (str, bytes, dict)) or not isinstance(params, Iterable):
        raise TypeError(
            f"{where}: params must be an iterable of Values, got {type(params).__name__}"
        )
    out = list(params)
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}")
    return out


# ---- the optimiser base class --------------------------------------------------------------


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``zero_grad``, ``state_dict``.

    ``params`` is an iterable of Values, or of dicts (parameter groups) each holding
    ``"params"`` and any settings that differ from the defaults, e.g.
    ``[{"params": layer1, "lr": 0.1}, {"params": layer2}]``. Each group in
    ``param_groups`` is a dict of all its settings: change ``group["lr"]`` to change the
    learning rate, as schedules do. ``state`` maps each parameter to its own buffers
    (momentum, Adam's moments). Subclasses define ``defaults``, ``_check_group`` and
    ``step``. Updates set ``p.data`` directly, so they build no graph.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = SGD([{"params": [w], "lr": 0.5}], lr=0.1)
    >>> opt.param_groups[0]["lr"], opt.defaults["lr"]
    (0.5, 0.1)
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        self._check_group(defaults)
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Value, dict[str, Any]] = {}
        if (
            isinstance(params, Value)
            or isinstance(params, (str, bytes, dict))
            or not isinstance(params, Iterable)
        ):
            raise TypeError(
                f"{name}: params must be an iterable of Values or of dicts (parameter groups), "
                f"got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list (an exhausted generator?)")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise a clear error for any bad setting in ``group`` (subclasses define this)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own settings (missing ones come from defaults).

        >>> from autograd import Value
        >>> opt = SGD([Value(1.0)], lr=0.1)
        >>> opt.add_param_group({"params": [Value(2.0)], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a parameter group must be a dict, got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        group = dict(param_group)
        group["params"] = _param_list(group["params"], f"{name}: parameter group")
        if not group["params"]:
            raise ValueError(f"{name}: a parameter group has an empty 'params' list")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids) or seen.intersection(ids):
            raise ValueError(
                f"{name}: some parameters appear more than once (in one or two groups)"
            )
        self.param_groups.append(group)

    def parameters(self) -> list[Value]:
        """Every parameter, group by group."""
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (gradients accumulate until you do).

        >>> from autograd import Value
        >>> w = Value(1.0); w.grad = 3.0
        >>> opt = SGD([w], lr=0.1); opt.zero_grad(); w.grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter once from its ``.grad``; return ``closure()`` if given."""
        raise NotImplementedError

    # ---- saving and restoring ----

    _state_keys: tuple[str, ...] = ()  # the per-parameter buffers a subclass keeps
    _required_state_keys: tuple[str, ...] = ()  # ... and those a non-empty state must have

    def state_dict(self) -> dict[str, Any]:
        """The settings and buffers as plain data (JSON-able): parameters become indices.

        ``{"state": {index: {buffer: float, ...}}, "param_groups": [{setting: value, ...,
        "params": [index, ...]}]}``, with parameters numbered across groups, as in PyTorch.

        >>> from autograd import Value
        >>> w = Value(1.0); w.grad = 2.0
        >>> opt = SGD([w], lr=0.1, momentum=0.9); opt.step()
        >>> opt.state_dict()["state"]
        {0: {'momentum_buffer': 2.0}}
        """
        index = {}
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = []
            for p in group["params"]:
                index[p] = len(index)
                saved["params"].append(index[p])
            groups.append(saved)
        state = {index[p]: dict(s) for p, s in self.state.items() if p in index and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and buffers saved by ``state_dict`` (also after a JSON round trip).

        Everything is checked first (group count and sizes, every setting as the constructor
        checks it, every buffer); on any error nothing changes.

        >>> from autograd import Value
        >>> w = Value(1.0)
        >>> opt = SGD([w], lr=0.1)
        >>> opt.load_state_dict({"state": {}, "param_groups": [{**opt.defaults, "lr": 0.2,
        ...                      "params": [0]}]})
        >>> opt.param_groups[0]["lr"]
        0.2
        """
        name = f"{type(self).__name__}.load_state_dict"
        _check_keys(name, state_dict, {"state", "param_groups"})
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, list) or len(saved_groups) != len(self.param_groups):
            count = len(saved_groups) if isinstance(saved_groups, list) else saved_groups
            raise ValueError(
                f"{name}: the optimizer has {len(self.param_groups)} parameter groups, "
                f"the state dict has {count!r:.60}"
            )
        new_groups = []
        param_of_index: dict[int, Value] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict):
                raise TypeError(f"{name}: param_groups[{i}] must be a dict")
            missing = (set(self.defaults) | {"params"}) - set(saved)
            if missing:
                raise ValueError(f"{name}: param_groups[{i}] is missing {sorted(missing)}")
            indices = saved["params"]
            if not isinstance(indices, list) or len(indices) != len(group["params"]):
                size = len(indices) if isinstance(indices, list) else indices
                raise ValueError(
                    f"{name}: param_groups[{i}] has {len(group['params'])} parameters, "
                    f"the state dict has {size!r:.60}"
                )
            for j, (k, p) in enumerate(zip(indices, group["params"])):
                if isinstance(k, bool) or not isinstance(k, int) or k in param_of_index:
                    raise ValueError(f"{name}: param_groups[{i}]['params'][{j}] = {k!r} is bad")
                param_of_index[k] = p
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            if "betas" in new and isinstance(new["betas"], list):
                new["betas"] = tuple(new["betas"])  # JSON turns the tuple into a list
            if "initial_lr" in new:
                _check_number(name, f"param_groups[{i}]['initial_lr']", new["initial_lr"])
            self._check_group(new)
            new["params"] = group["params"]
            new_groups.append(new)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, dict):
            raise TypeError(f"{name}: 'state' must be a dict, got {type(saved_state).__name__}")
        new_state: dict[Value, dict[str, Any]] = {}
        for key, buffers in saved_state.items():
            k = int(key) if isinstance(key, str) and key.isdigit() else key  # JSON keys are str
            if k not in param_of_index:
                raise ValueError(f"{name}: state for parameter {key!r}, which no group lists")
            new_state[param_of_index[k]] = self._checked_state(buffers, f"{name}: state[{key!r}]")
        self.param_groups = new_groups
        self.state = new_state

    def _checked_state(self, buffers: Any, where: str) -> dict[str, Any]:
        if not isinstance(buffers, dict):
            raise TypeError(f"{where} must be a dict, got {type(buffers).__name__}")
        unexpected = set(buffers) - set(self._state_keys)
        missing = set(self._required_state_keys) - set(buffers) if buffers else set()
        if unexpected or missing:
            raise ValueError(
                f"{where}: unexpected entries {sorted(unexpected)}, missing {sorted(missing)} "
                f"(a {type(self).__name__} parameter keeps {list(self._state_keys)})"
            )
        out = {}
        for key, value in buffers.items():
            if key == "step":
                _check_int(where, "step", value, 0)
            elif not _is_real(value):
                raise TypeError(f"{where}: {key} must be a number, got {value!r:.60}")
            out[key] = value if key == "step" else float(value)
        return out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
            lines.append(f"    params: {len(group['params'])} Values")
        lines.append(")")
        return "\n".join(lines)


def _run_closure(closure: Callable[[], Any] | None) -> Any:
    return closure() if closure is not None else None


# ---- SGD -----------------------------------------------------------------------------------


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    For each parameter p with gradient g (step t = 1, 2, ...)::

        g <- -g                              if maximize
        g <- g + weight_decay * p            if weight_decay != 0
        if momentum != 0:
            b <- g                                          at t = 1
            b <- momentum * b + (1 - dampening) * g         after
            g <- g + momentum * b    if nesterov    else    g <- b
        p <- p - lr * g

    Nesterov needs momentum > 0 and dampening = 0. A step also moves parameters whose
    gradient is 0 (momentum, weight decay): unlike PyTorch there is no "no gradient" (None).

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); w.grad = 1.0; opt.step()
    >>> round(w.data, 10)          # 1 - 0.1 * 1 - 0.1 * (0.9 + 1)
    0.71
    """

    _state_keys = _required_state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: Any,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        _check_number("SGD", "lr", group["lr"])
        _check_number("SGD", "momentum", group["momentum"])
        _check_number("SGD", "dampening", group["dampening"])
        _check_number("SGD", "weight_decay", group["weight_decay"])
        _check_bool("SGD", "nesterov", group["nesterov"])
        _check_bool("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter (the rule is in the class docstring)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                g = _grad(p)
                if group["maximize"]:
                    g = -g
                if weight_decay != 0:
                    g = g + weight_decay * p.data
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    if "momentum_buffer" not in state:
                        buf = g  # the first step starts the buffer at the gradient
                    else:
                        buf = state["momentum_buffer"] * momentum + (1 - dampening) * g
                    state["momentum_buffer"] = buf
                    g = g + momentum * buf if nesterov else buf
                p.data = p.data - lr * g
        return loss


# ---- Adam and AdamW ------------------------------------------------------------------------


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: momentum plus a per-parameter step size.

    For each parameter p with gradient g, at step t = 1, 2, ... (m = v = 0 at the start)::

        g <- -g                                    if maximize
        g <- g + weight_decay * p                  if weight_decay != 0  (L2, coupled)
        m <- m + (1 - beta1) * (g - m)             (= beta1 m + (1 - beta1) g, as torch.lerp)
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)                     if amsgrad, and v_max is used for v below
        m_hat = m / (1 - beta1^t);   v_hat = v / (1 - beta2^t)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    computed in PyTorch's order: ``p - (lr / (1 - beta1^t)) * m / (sqrt(v) /
    sqrt(1 - beta2^t) + eps)``. A step also moves parameters whose gradient is 0.

    >>> from autograd import Value
    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> w.grad = 5.0; opt.step()
    >>> round(w.data, 6)           # the first step moves by about lr, whatever the gradient
    0.9
    """

    _state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    _required_state_keys = ("step", "exp_avg", "exp_avg_sq")
    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        _check_number(name, "lr", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r:.60}")
        _check_number(name, "betas[0]", betas[0], 0.0, 1.0)
        _check_number(name, "betas[1]", betas[1], 0.0, 1.0)
        _check_number(name, "eps", group["eps"])
        _check_number(name, "weight_decay", group["weight_decay"])
        _check_bool(name, "amsgrad", group["amsgrad"])
        _check_bool(name, "maximize", group["maximize"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter (the rule is in the class docstring)."""
        loss = _run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = _grad(p)
                if group["maximize"]:
                    g = -g
                state = self.state.setdefault(p, {})
                if not state:
                    state.update(step=0, exp_avg=0.0, exp_avg_sq=0.0)
                if group["amsgrad"]:
                    state.setdefault("max_exp_avg_sq", 0.0)
                state["step"] += 1
                t = state["step"]
                if weight_decay != 0:
                    if self._decoupled_weight_decay:
                        p.data = p.data * (1 - lr * weight_decay)  # AdamW: shrink p itself
                    else:
                        g = g + weight_decay * p.data  # Adam: add the L2 gradient
                m = _lerp(state["exp_avg"], g, 1 - beta1)
                v = state["exp_avg_sq"] * beta2 + (1 - beta2) * g * g
                state["exp_avg"], state["exp_avg_sq"] = m, v
                if group["amsgrad"]:
                    v = max(state["max_exp_avg_sq"], v)
                    state["max_exp_avg_sq"] = v
                step_size = lr / (1 - beta1**t)  # lr / bias correction of m
                denom = math.sqrt(v) / (1 - beta2**t) ** 0.5 + eps  # sqrt(v_hat) + eps
                p.data = p.data + (-step_size) * (m / denom)
        return loss


def _lerp(start: float, end: float, weight: float) -> float:
    """start + weight * (end - start), in the two forms torch.lerp uses (exact at weight 1)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    The same update as ``Adam`` except the decay: instead of adding ``weight_decay * p``
    to the gradient (where Adam's scaling would shrink it), each step first shrinks the
    parameter itself, ``p <- p * (1 - lr * weight_decay)``, then applies
    ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)``. Default ``weight_decay = 1e-2``.

    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = 0.0; opt.step(); round(w.data, 6)     # 2 * (1 - 0.1 * 0.5), no gradient
    1.9
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)


# ---- learning-rate schedules ---------------------------------------------------------------


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
        _check_keys(where, state_dict, set(mine))
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
        ok = _is_real(value)
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
    >>> sched = StepLR(SGD([Value(1.0)], lr=1.0), step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        _check_int("StepLR", "step_size", step_size, 1)
        _check_number("StepLR", "gamma", gamma)
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
    >>> sched = ExponentialLR(SGD([Value(1.0)], lr=0.1), gamma=0.5)
    >>> sched.step(); sched.step(); sched.get_last_lr()
    [0.025]
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        _check_number("ExponentialLR", "gamma", gamma)
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
    >>> sched = CosineAnnealingLR(SGD([Value(1.0)], lr=1.0), T_max=4)
    >>> lrs = []
    >>> for _ in range(8):
    ...     sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0, 0.1464, 0.5, 0.8536, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        _check_int("CosineAnnealingLR", "T_max", T_max, 1)
        _check_number("CosineAnnealingLR", "eta_min", eta_min)
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
        _check_number("LinearLR", "start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        _check_number("LinearLR", "end_factor", end_factor)
        if not end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_int("LinearLR", "total_iters", total_iters, 1)
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
            _check_int(name, f"milestones[{i}]", m, 1)
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
        _check_int("LinearWarmup", "warmup_steps", warmup_steps, 1)
        _check_optimizer("LinearWarmup", optimizer)
        if after is not None and not isinstance(after, LRScheduler):
            raise TypeError(
                f"LinearWarmup: after must be a schedule or None, got {type(after).__name__}"
            )
        _check_number("LinearWarmup", "start_factor", start_factor)
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearWarmup: start_factor must be in (0, 1], got {start_factor!r}")
        warmup = LinearLR(optimizer, start_factor, 1.0, warmup_steps)
        self.warmup_steps, self.start_factor = warmup_steps, start_factor
        if after is None:
            super().__init__(optimizer, [warmup], [])
        else:
            super().__init__(optimizer, [warmup, after], [warmup_steps])


# ---- gradient clipping ---------------------------------------------------------------------


def clip_grad_norm_(
    parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients together so their joint norm is at most ``max_norm``; return the norm.

    The gradients are treated as one vector: total = (sum |g|^p)^(1/p) (max |g| for
    ``norm_type=inf``); every gradient is multiplied by min(1, max_norm / (total + 1e-6)),
    as ``torch.nn.utils.clip_grad_norm_`` does, so the direction is kept. Returns the norm
    *before* clipping (useful to log). A non-finite norm raises only with
    ``error_if_nonfinite=True``.

    >>> from autograd import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, 4.0
    >>> clip_grad_norm_([a, b], max_norm=1.0)
    5.0
    >>> round(a.grad, 6), round(b.grad, 6)
    (0.6, 0.8)
    """
    where = "clip_grad_norm_"
    params = _param_list(parameters, where)
    if not _is_real(max_norm) or not max_norm >= 0:  # inf is allowed: measure, never clip
        raise ValueError(f"{where}: max_norm must be a number >= 0, got {max_norm!r:.60}")
    if isinstance(norm_type, str):
        norm_type = float(norm_type)  # PyTorch accepts 'inf'
    if not _is_real(norm_type) or not norm_type > 0:
        raise ValueError(f"{where}: norm_type must be a number > 0 or inf, got {norm_type!r}")
    grads = [_grad(p) for p in params]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        total = max(abs(g) for g in grads)
    elif norm_type == 2.0:
        total = math.sqrt(sum(g * g for g in grads))
    else:
        total = sum(abs(g) ** norm_type for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{where}: the total norm of order {norm_type} of the gradients is {total}, so "
            f"they cannot be clipped; pass error_if_nonfinite=False to scale them anyway"
        )
    clip_coef = min(max_norm / (total + 1e-6), 1.0)  # never scales gradients up
    for p, g in zip(params, grads):
        p.grad = g * clip_coef
    return total


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value], as PyTorch's ``clip_grad_value_``.

    >>> from autograd import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, -0.5
    >>> clip_grad_value_([a, b], 1.0); a.grad, b.grad
    (1.0, -0.5)
    """
    where = "clip_grad_value_"
    params = _param_list(parameters, where)
    _check_number(where, "clip_value", clip_value)
    for p in params:
        g = _grad(p)
        if g > clip_value:
            g = float(clip_value)
        elif g < -clip_value:
            g = -float(clip_value)
        p.grad = g  # NaN stays NaN
