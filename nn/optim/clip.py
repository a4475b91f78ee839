"""Gradient clipping: scale gradients to a maximum joint norm, or clamp each to a range."""

from __future__ import annotations

import math
from typing import Any

from .optimizer import check_number, float_grad, is_real, param_list

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def clip_grad_norm_(
    parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> float:
    """Scale all gradients together so their joint norm is at most ``max_norm``; return the norm.

    The gradients are treated as one vector: total = (sum |g|^p)^(1/p) (max |g| for
    ``norm_type=inf``); every gradient is multiplied by min(1, max_norm / (total + 1e-6)),
    as ``torch.nn.utils.clip_grad_norm_`` does, so the direction is kept. Returns the norm
    *before* clipping (useful to log). A norm too large for a float is inf, as in PyTorch
    (the gradients are then scaled by 0); a non-finite norm raises only with
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
    params = param_list(parameters, where)
    if not is_real(max_norm) or not max_norm >= 0:  # inf is allowed: measure, never clip
        raise ValueError(f"{where}: max_norm must be a number >= 0, got {max_norm!r:.60}")
    if isinstance(norm_type, str):
        norm_type = float(norm_type)  # PyTorch accepts 'inf'
    if not is_real(norm_type) or not norm_type > 0:
        raise ValueError(f"{where}: norm_type must be a number > 0 or inf, got {norm_type!r}")
    grads = [float_grad(p) for p in params]
    if not grads:
        return 0.0
    total = _total_norm(grads, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"{where}: the total norm of order {norm_type} of the gradients is {total}, so "
            f"they cannot be clipped; pass error_if_nonfinite=False to scale them anyway"
        )
    clip_coef = min(max_norm / (total + 1e-6), 1.0)  # never scales gradients up
    for p, g in zip(params, grads):
        p.grad = g * clip_coef
    return total


def _total_norm(grads: list[float], norm_type: float) -> float:
    """(sum |g|^p)^(1/p), or max |g| for p = inf; inf where a power overflows, as PyTorch gives
    (Python's float ``**`` raises OverflowError there, where ``*`` gives inf)."""
    if norm_type == math.inf:
        return max(abs(g) for g in grads)
    if norm_type == 2.0:
        return math.sqrt(sum(g * g for g in grads))
    try:
        return sum(abs(g) ** norm_type for g in grads) ** (1.0 / norm_type)
    except OverflowError:  # e.g. (1e150)^3: the norm's float is inf
        return math.inf


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clamp every gradient into [-clip_value, clip_value], as PyTorch's ``clip_grad_value_``.

    >>> from autograd import Value
    >>> a, b = Value(0.0), Value(0.0)
    >>> a.grad, b.grad = 3.0, -0.5
    >>> clip_grad_value_([a, b], 1.0); a.grad, b.grad
    (1.0, -0.5)
    """
    where = "clip_grad_value_"
    params = param_list(parameters, where)
    check_number(where, "clip_value", clip_value)
    for p in params:
        g = float_grad(p)
        if g > clip_value:
            g = float(clip_value)
        elif g < -clip_value:
            g = -float(clip_value)
        p.grad = g  # NaN stays NaN
