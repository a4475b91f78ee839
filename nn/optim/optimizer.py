"""Optimizer: the base class of SGD, Adam and AdamW, and the argument checks nn.optim shares."""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

from autograd import Value

__all__ = [
    "Optimizer",
    "is_real",
    "check_number",
    "check_int",
    "check_bool",
    "check_keys",
    "float_grad",
    "param_list",
    "run_closure",
]


# ---- small checks shared by the optimisers, the schedules and clipping ----------------------


def is_real(x: Any) -> bool:
    """True for a real number (int, float, numpy scalar, ...) that is not a bool.

    >>> is_real(0.5), is_real(3), is_real(True), is_real("1")
    (True, True, False, False)
    """
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def check_number(where: str, name: str, x: Any, low: float = 0.0, below: float | None = None):
    """``x`` must be a finite real number with low <= x (< below, when given).

    >>> check_number("SGD", "lr", -0.1)
    Traceback (most recent call last):
    ValueError: SGD: lr must be a finite number >= 0.0, got -0.1
    """
    if not is_real(x):
        raise TypeError(f"{where}: {name} must be a real number, got {type(x).__name__} {x!r:.60}")
    if not math.isfinite(x) or x < low or (below is not None and x >= below):
        bound = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"{where}: {name} must be a finite number {bound}, got {x!r}")


def check_int(where: str, name: str, x: Any, low: int) -> None:
    """``x`` must be an int (not a bool) with x >= low.

    >>> check_int("StepLR", "step_size", 2.5, 1)
    Traceback (most recent call last):
    TypeError: StepLR: step_size must be an int, got float 2.5
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int, got {type(x).__name__} {x!r:.60}")
    if x < low:
        raise ValueError(f"{where}: {name} must be >= {low}, got {x!r}")


def check_bool(where: str, name: str, x: Any) -> None:
    """``x`` must be True or False (not 0, 1 or a string).

    >>> check_bool("Adam", "amsgrad", 1)
    Traceback (most recent call last):
    TypeError: Adam: amsgrad must be True or False, got 1
    """
    if not isinstance(x, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {x!r:.60}")


def check_keys(where: str, state_dict: Any, keys: set[str]) -> None:
    """A state dict must be a dict with exactly ``keys``.

    >>> check_keys("load_state_dict", {"state": {}, "extra": 1}, {"state", "param_groups"})
    Traceback (most recent call last):
    ValueError: load_state_dict: missing keys ['param_groups'], unexpected keys ['extra']
    """
    if not isinstance(state_dict, dict):
        raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
    missing, unexpected = keys - set(state_dict), set(state_dict) - keys
    if missing or unexpected:
        raise ValueError(
            f"{where}: missing keys {sorted(missing)}, unexpected keys {sorted(unexpected)}"
        )


def float_grad(p: Value) -> float:
    """A parameter's gradient as a float (a Value gradient from create_graph gives its data).

    >>> w = Value(2.0)
    >>> (w * w).backward(create_graph=True)
    >>> type(w.grad).__name__, float_grad(w)
    ('Value', 4.0)
    """
    g = p.grad
    return g.data if isinstance(g, Value) else float(g)


def param_list(params: Any, where: str) -> list[Value]:
    """``params`` (one Value or an iterable of them) as a list, checking each is a Value.

    >>> w = Value(1.0)
    >>> param_list(w, "clip_grad_norm_") == [w]
    True
    >>> param_list([w, 2.0], "clip_grad_norm_")
    Traceback (most recent call last):
    TypeError: clip_grad_norm_: params[1] must be a Value, got float
    """
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


def run_closure(closure: Callable[[], Any] | None) -> Any:
    """What ``step(closure)`` returns: ``closure()`` (run before the update), or None.

    >>> run_closure(lambda: 1.5), run_closure(None)
    (1.5, None)
    """
    return closure() if closure is not None else None


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
    >>> from nn.optim import SGD
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
        >>> from nn.optim import SGD
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
        group["params"] = param_list(group["params"], f"{name}: parameter group")
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
        >>> from nn.optim import SGD
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
        >>> from nn.optim import SGD
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
        >>> from nn.optim import SGD
        >>> w = Value(1.0)
        >>> opt = SGD([w], lr=0.1)
        >>> opt.load_state_dict({"state": {}, "param_groups": [{**opt.defaults, "lr": 0.2,
        ...                      "params": [0]}]})
        >>> opt.param_groups[0]["lr"]
        0.2
        """
        name = f"{type(self).__name__}.load_state_dict"
        check_keys(name, state_dict, {"state", "param_groups"})
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
                check_number(name, f"param_groups[{i}]['initial_lr']", new["initial_lr"])
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
                check_int(where, "step", value, 0)
            elif not is_real(value):
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
