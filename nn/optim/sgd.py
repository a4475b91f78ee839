"""SGD: stochastic gradient descent with momentum, Nesterov and weight decay, as in PyTorch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, check_bool, check_number, float_grad, run_closure

__all__ = ["SGD"]


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
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"])
        check_number("SGD", "weight_decay", group["weight_decay"])
        check_bool("SGD", "nesterov", group["nesterov"])
        check_bool("SGD", "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter (the rule is in the class docstring)."""
        loss = run_closure(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                g = float_grad(p)
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
