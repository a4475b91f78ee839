"""The chain rule one multiplication at a time: ``backward_steps`` walks a whole backward pass,
``chain_rule_step`` runs one node's step by hand, ``local_derivatives`` gives a node's rule."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .engine import HOOKS, RULES, Value, topological_order
from .floats import accumulate, as_float
from .formatting import format_number, input_name
from .modes import MODES, check_gradient, raise_summed

__all__ = [
    "BackwardStep", "backward_steps", "chain_rule_step", "local_derivatives", "grads_set_aside",
]  # fmt: skip


def local_derivatives(node: Value) -> tuple[float, ...]:
    """d node / d each of its inputs, from its op's rule, at the inputs' current data.

    >>> a, b = Value(2.0), Value(3.0)
    >>> local_derivatives(a * b), local_derivatives(a)
    ((3.0, 2.0), ())
    """
    if not isinstance(node, Value):
        raise TypeError(f"local_derivatives: node must be a Value, got {node!r:.60}")
    if node.is_leaf:
        return ()
    return RULES[node.op](node.data, *[v.data for v in node.inputs])


@dataclass(frozen=True)
class BackwardStep:
    """One use of the chain rule: ``input.grad += local * upstream``.

    ``node`` is the op's output and ``input`` its ``slot``-th input; ``local`` is
    d node / d input, ``upstream`` is d root / d node (``node.grad``), ``contribution`` their
    product, and ``input_grad`` the input's gradient right after this step (for leaves, this
    backward pass's share: a gradient they held before is added when the walk ends).

    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> for step in backward_steps(y):
    ...     print(step)
    step 0: x <- y: local 3.0000 x upstream 1.0000 = 3.0000; x.grad is now 3.0000
    step 1: x <- y: local 3.0000 x upstream 1.0000 = 3.0000; x.grad is now 6.0000
    """

    index: int
    node: Value
    input: Value
    slot: int
    local: float
    upstream: float
    contribution: float
    input_grad: float

    def __str__(self) -> str:
        into = self.input.label or ("const" if self.input.is_leaf else f"[{self.input.op}]")
        frm = self.node.label or f"[{self.node.op}]"
        name = input_name(self.node, self.slot)
        slot = f" ({name})" if name else ""
        return (
            f"step {self.index}: {into}{slot} <- {frm}: local {format_number(self.local)} "
            f"x upstream {format_number(self.upstream)} = {format_number(self.contribution)}; "
            f"{into}.grad is now {format_number(self.input_grad)}"
        )


def backward_steps(root: Value, grad: Any = 1.0) -> Iterator[BackwardStep]:
    """Run ``root.backward(grad)`` one chain-rule multiplication at a time, yielding each step.

    It sets ``.grad`` as ``backward()`` does, bit for bit (the same operations in the same
    order; hooks run as in backward): interior nodes restart from zero, and leaves
    accumulate, so after an earlier ``backward()`` a leaf's steps start from the gradient it
    already held (``zero_grad()`` first to watch one fresh pass). Each step's ``input_grad``
    is the input's ``.grad`` right after it, as a drawing made then shows it. A walk given up
    half way (closed, deleted, or an error) puts every leaf's grad back as it was, as a failed
    ``backward()`` does; interior nodes keep the partial grads of the steps taken. Pass a step
    to ``draw_dot(root, highlight=step)`` to see its edge. A constant (``requires_grad=False``)
    gets no step: its grad stays None.

    >>> x = Value(3.0, label="x"); y = x * x; y.label = "y"
    >>> for step in backward_steps(y):
    ...     print(step)
    step 0: x <- y: local 3.0000 x upstream 1.0000 = 3.0000; x.grad is now 3.0000
    step 1: x <- y: local 3.0000 x upstream 1.0000 = 3.0000; x.grad is now 6.0000
    >>> [str(step).split("; ")[1] for step in backward_steps(y)]   # leaves accumulate
    ['x.grad is now 9.0000', 'x.grad is now 12.0000']
    """
    if not isinstance(root, Value):
        what = f"{type(root).__name__} {root!r:.60}"
        raise TypeError(f"backward_steps: root must be a Value, got {what}")
    seed = as_float(grad.data if isinstance(grad, Value) else grad, "backward_steps(grad=...)")
    order = topological_order(root)
    earlier = {v: v.grad for v in order if v.is_leaf}  # what the leaves held before
    share = dict.fromkeys(earlier, 0.0)  # each leaf's gradient from this pass so far
    for v in order:
        if not v.is_leaf:
            v.grad = 0.0
    index = itertools.count()
    try:
        _set(root, seed, earlier, share)
        for node in reversed(order):
            for hook in list(HOOKS.get(node, ())) if HOOKS else ():
                replaced = hook(share[node] if node.is_leaf else node.grad)
                if replaced is not None:
                    _set(node, replaced, earlier, share)
            if node.is_leaf:
                if MODES.anomaly and not math.isfinite(float(share[node])):
                    raise_summed(node, share[node])  # only summed: its uses were checked
                continue
            g = node.grad
            if MODES.anomaly:
                check_gradient(node, g)
            for slot, (v, local) in enumerate(zip(node.inputs, local_derivatives(node))):
                if not v.requires_grad:  # a constant gets no gradient
                    continue
                contribution = g * local
                _set(v, (share[v] if v.is_leaf else v.grad) + contribution, earlier, share)
                yield BackwardStep(next(index), node, v, slot, local, g, contribution, v.grad)
    except BaseException:  # GeneratorExit when the walk is closed or deleted half way
        for leaf, old in earlier.items():
            leaf.grad = old
        raise


def _set(v: Value, g: Any, earlier: dict[Value, Any], share: dict[Value, Any]) -> None:
    """Give v its gradient so far; a leaf shows its earlier gradient plus this pass's share."""
    if not v.is_leaf:
        v.grad = g
        return
    share[v] = g
    v.grad = accumulate(earlier[v], g) if v.requires_grad else None


def chain_rule_step(node: Value) -> list[BackwardStep]:
    """One node's step of the chain rule, by hand: add ``local derivative x node.grad`` into
    the ``.grad`` of each of its inputs. What micrograd's ``node._backward()`` does (and
    ``node._backward()`` runs this).

    Set the output's grad to 1, then call it on every op's result from the output back to
    the inputs (a node after every node that uses it, as ``reversed(topological_order(o))``
    gives them); the leaves then hold what ``backward()`` gives, bit for bit. Unlike
    ``backward()`` nothing is zeroed first, no hook runs and ``detect_anomaly`` checks nothing:
    it is the bare step. Returns the steps made (a constant input gets none).

    >>> x = Value(3.0, label="x"); w = Value(-2.0, label="w"); y = x * w; y.label = "y"
    >>> y.grad = 1.0
    >>> for step in chain_rule_step(y):
    ...     print(step)
    step 0: x <- y: local -2.0000 x upstream 1.0000 = -2.0000; x.grad is now -2.0000
    step 1: w <- y: local 3.0000 x upstream 1.0000 = 3.0000; w.grad is now 3.0000
    """
    if not isinstance(node, Value):
        raise TypeError(f"chain_rule_step: node must be a Value, got {node!r:.60}")
    g = node.grad
    steps: list[BackwardStep] = []
    if g is None:  # a constant: no gradient to pass on
        return steps
    for slot, (v, local) in enumerate(zip(node.inputs, local_derivatives(node))):
        if not v.requires_grad:
            continue
        contribution = g * local
        v.grad = contribution if v.grad is None else v.grad + contribution
        steps.append(BackwardStep(len(steps), node, v, slot, local, g, contribution, v.grad))
    return steps


@contextmanager
def grads_set_aside(order: list[Value]) -> Iterator[None]:
    """Zero the grads of ``order`` for the block, then put every one back as it was: to show
    a backward pass without changing the user's gradients (``explore``).

    >>> x = Value(2.0); x.grad = 5.0
    >>> with grads_set_aside([x]):
    ...     (x * x).backward(); x.grad
    4.0
    >>> x.grad
    5.0
    """
    saved = [(node, node.grad) for node in order]
    try:
        for node in order:
            node.grad = 0.0
        yield
    finally:
        for node, g in saved:
            node.grad = g
