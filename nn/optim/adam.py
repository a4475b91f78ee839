"""Adam and AdamW: gradient descent with momentum and a per-parameter step size, as in PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, check_bool, check_number, float_grad, run_closure

__all__ = ["Adam", "AdamW"]


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
        check_number(name, "lr", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r:.60}")
        check_number(name, "betas[0]", betas[0], 0.0, 1.0)
        check_number(name, "betas[1]", betas[1], 0.0, 1.0)
        check_number(name, "eps", group["eps"])
        check_number(name, "weight_decay", group["weight_decay"])
        check_bool(name, "amsgrad", group["amsgrad"])
        check_bool(name, "maximize", group["maximize"])

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter (the rule is in the class docstring)."""
        loss = run_closure(closure)
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = float_grad(p)
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
    parameter itself. For each parameter p, at step t = 1, 2, ...::

        p <- p * (1 - lr * weight_decay)           if weight_decay != 0  (decoupled)
        m, v, m_hat, v_hat as in Adam              (g carries no weight_decay * p term)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Default ``weight_decay = 1e-2`` (Adam's is 0).

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
