"""Value: a float that remembers how it was made, and the chain rule that runs it backwards.

Read this file top to bottom:

1. ``Value`` holds one float (``data``), its gradient (``grad``), the Values it was made from
   (``inputs``) and the name of the operation that made it (``op``).
2. Each *primitive* op (``+``, ``*``, ``**``, ``exp``, ``tanh``, ...) is a method computing the
   forward value; its local derivatives (d output / d each input) are one row of ``RULES``,
   with the formula a learner would write beside the code.
3. *Derived* ops (``-``, ``/``, ``min``, ...) are built from primitives: no derivative code.
4. ``backward()`` puts the graph in topological order (inputs before the Values made from
   them) and, from the output back, adds ``local derivative * upstream gradient`` into each
   input's gradient: the chain rule. No node holds a closure, so graphs have no reference
   cycles and are freed as soon as the last reference to their output goes.

>>> x = Value(2.0, label="x")
>>> y = (x * 3 + 1).tanh()
>>> y.backward()
>>> round(y.data, 6), round(x.grad, 8)
(0.999998, 9.98e-06)
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple, Union

from .floats import accumulate, as_float, cos, power, power_slope, sigmoid, sin

Scalar = Union["Value", int, float]  # noqa: UP007  (a string forward reference needs Union)

__all__ = ["Value", "RULES", "Rule", "topological_order", "chain_rule", "set_grads",
           "backpropagate"]  # fmt: skip


class Value:
    """A scalar that records the operations applied to it, so gradients can flow back.

    ``Value(data, label="")``: ``data`` is a float (ints, bools and other real numbers are
    converted; anything else is a TypeError). Ops with Values or numbers on either side return
    new Values; ``backward()`` fills in ``grad`` on every Value in the graph. A constant
    (``requires_grad=False``) keeps ``grad`` None; ``Value(3.0, (a, b), "+")`` is a node by hand.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a.sin() / 2          # db/da = 2a + cos(a) / 2
    >>> b.backward()
    >>> round(b.data, 4), round(a.grad, 4), [round(f(a).data, 4) for f in (Value.log, Value.tanh)]
    (4.4546, 3.7919, [0.6931, 0.964])
    """

    # _a, _b: the op's inputs (read them as ``inputs``); _op: its name, "" for a leaf
    __slots__ = ("data", "grad", "label", "_a", "_b", "_op", "__weakref__")

    def __init__(self, data: Any, _children: Any = (), _op: str = "", label: str = "", *,
                 requires_grad: bool = True) -> None:  # fmt: skip
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r:.60}")
        self.data = data if type(data) is float else as_float(data)
        self.grad: Any = 0.0 if requires_grad else None
        self.label = label
        self._a: Any = None  # a leaf: made by the user, not by an op
        self._b: Any = None if requires_grad else CONSTANT
        self._op = ""
        if _children:  # built by hand: micrograd's lecture writes Value(3.0, (a, b), "+")
            self._a, self._b, self._op = *_hand_built(_children, _op), _op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was made from, in order; empty for a leaf. (Two slots hold them;
        many inputs are a tuple in ``_a``, with ``_b`` set to ``MANY``.)

        >>> x = Value(2.0); y = x * 3
        >>> y.inputs[0] is x, x.inputs, y.op, x.is_leaf, y.is_leaf, x.requires_grad
        (True, (), '*', True, False, True)
        """
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        return a if b is MANY else (a, b)

    @property
    def is_leaf(self) -> bool:
        """Made by the user (or under no_grad), not from other Values: gradients stop here."""
        return self._a is None

    @property
    def op(self) -> str:
        """The name of the op that made this Value, a key of ``RULES`` ("" for a leaf)."""
        return self._op

    @property
    def requires_grad(self) -> bool:
        """False for a constant (``Value(1.0, requires_grad=False)``): it gets no gradient."""
        return self._b is not CONSTANT

    # ---- primitives: the forward value here, the local derivatives in RULES ----------------

    def __add__(self, other: Scalar) -> Value:
        other = as_value(other, "+")
        return make_node(self.data + other.data, self, other, "+")

    def __mul__(self, other: Scalar) -> Value:
        other = as_value(other, "*")
        return make_node(self.data * other.data, self, other, "*")

    def __pow__(self, other: Scalar) -> Value:
        if isinstance(other, Value):  # a Value exponent is differentiated too
            return make_node(power(self.data, other.data), self, other, "pow")
        n = as_value(other, "**")  # a constant exponent: a constant leaf, so the graph shows it
        return make_node(power(self.data, n.data), self, n, "**")

    def exp(self) -> Value:
        """e ** self; above 709.78 the result is too large for a float (a ValueError)."""
        try:
            return make_node(math.exp(self.data), self, None, "exp")
        except OverflowError:
            raise ValueError(
                f"exp: overflow, exp({self.data!r}) is larger than the largest float "
                f"(inputs above 709.78 overflow)"
            ) from None

    def log(self) -> Value:
        """Natural logarithm; the operand must be > 0 (NaN gives NaN, as in PyTorch)."""
        if self.data <= 0:  # (a NaN passes: it came from upstream, and stays visible)
            raise ValueError(f"log: operand must be > 0, got {self.data!r}")
        return make_node(math.log(self.data), self, None, "log")

    def sqrt(self) -> Value:
        """Square root; the operand must be >= 0."""
        if self.data < 0:
            raise ValueError(f"sqrt: operand must be >= 0, got {self.data!r}")
        return make_node(math.sqrt(self.data), self, None, "sqrt")

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return make_node(math.tanh(self.data), self, None, "tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), without overflow for any input."""
        return make_node(sigmoid(self.data), self, None, "sigmoid")

    def softplus(self) -> Value:
        """log(1 + e ** self), computed as max(x, 0) + log(1 + e^-|x|): no overflow."""
        x = self.data
        return make_node(max(x, 0.0) + math.log1p(math.exp(-abs(x))), self, None, "softplus")

    def relu(self) -> Value:
        """max(0, self); the derivative at 0 is 0, and NaN stays NaN, as in PyTorch."""
        return make_node(0.0 if self.data <= 0 else self.data, self, None, "relu")

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """self if self > 0 else negative_slope * self."""
        s = Value(negative_slope)  # a constant leaf, like a constant exponent
        x = self.data
        return make_node(x if x > 0 else s.data * x, self, s, "leaky_relu")

    def abs(self) -> Value:
        """|self|, also as ``abs(v)``; the derivative at 0 is 0, as in PyTorch."""
        return make_node(abs(self.data), self, None, "abs")

    __abs__ = abs

    def sin(self) -> Value:
        """Sine."""
        return make_node(sin(self.data), self, None, "sin")

    def cos(self) -> Value:
        """Cosine."""
        return make_node(cos(self.data), self, None, "cos")

    def max(self, other: Scalar) -> Value:
        """The larger of two; on a tie the gradient is split in half, as torch.maximum does."""
        other = as_value(other, "max")
        a, b = self.data, other.data
        out = a if a >= b else b if b > a else a + b  # a + b: NaN spreads, as in torch.maximum
        return make_node(out, self, other, "max")

    # ---- derived ops: built from primitives, no derivative code -----------------------------

    def __neg__(self) -> Value: return self * -1.0

    def __sub__(self, other: Scalar) -> Value:
        if isinstance(other, Value):
            return self + (-other)
        return self + -as_float(other, "-", "the other operand")

    def __truediv__(self, other: Scalar) -> Value:
        other = as_value(other, "/")
        if other.data == 0:
            raise ZeroDivisionError(f"/: division by zero ({self.data!r} / {other.data!r})")
        return self * other**-1

    # a number on the left (2 + x, 2 - x, 2 * x, 2 / x, 2 ** x) becomes a constant Value
    def __radd__(self, other: Scalar) -> Value: return as_value(other, "+") + self
    def __rsub__(self, other: Scalar) -> Value: return as_value(other, "-") + (-self)
    def __rmul__(self, other: Scalar) -> Value: return as_value(other, "*") * self
    def __rtruediv__(self, other: Scalar) -> Value: return as_value(other, "/") / self
    def __rpow__(self, other: Scalar) -> Value: return as_value(other, "**") ** self

    def min(self, other: Scalar) -> Value:
        """The smaller of two: -max(-a, -b)."""
        return -((-self).max(-as_value(other, "min")))

    # ---- comparisons and conversions: plain Python values of .data --------------------------
    # __eq__ is deliberately NOT defined: Values stay hashable by identity (sets, dict keys).

    def __lt__(self, other: Scalar) -> bool: return self.data < _data(other)
    def __le__(self, other: Scalar) -> bool: return self.data <= _data(other)
    def __gt__(self, other: Scalar) -> bool: return self.data > _data(other)
    def __ge__(self, other: Scalar) -> bool: return self.data >= _data(other)
    def __bool__(self) -> bool: return self.data != 0.0
    def __float__(self) -> float: return self.data

    def __repr__(self) -> str:
        grad = self.grad if not isinstance(self.grad, Value) else f"Value({self.grad.data!r})"
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={grad}{label})"

    # ---- gradients ------------------------------------------------------------------------

    def backward(
        self, grad: Scalar = 1.0, create_graph: bool = False, retain_graph: bool | None = None
    ) -> None:
        """Fill in ``.grad`` of every Value this one depends on, by the chain rule.

        Leaves *accumulate* across calls, as in PyTorch; interior nodes restart. With
        ``create_graph=True`` gradients are Values: differentiable again. ``retain_graph`` is
        accepted for PyTorch code (graphs are always kept).

        >>> x = Value(3.0); y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad       # leaves accumulate: zero_grad() between steps
        12.0
        """
        PASSES.backward(self, grad, create_graph)

    def zero_grad(self) -> None:
        """Set this Value's gradient to 0.0 (None for a constant)."""
        self.grad = 0.0 if self.requires_grad else None


MANY = object()  # in Value._b: all the inputs are in _a, as a tuple
CONSTANT = object()  # in a leaf's _b: requires_grad=False
HOOKS: weakref.WeakKeyDictionary[Value, list[Callable]] = weakref.WeakKeyDictionary()
# node -> the hooks backward runs on its gradient (modes.register_hook); weak: graphs still go


def _hand_built(kids: Any, op: str) -> tuple[Any, Any]:  # the slots of Value(3.0, (a, b), "+")
    if not isinstance(kids, (tuple, list, set)) or not all(isinstance(v, Value) for v in kids):
        raise TypeError(f"Value: _children must be a tuple of Values, got {kids!r:.60}; a label "
                        "is Value(2.0, label='x')")  # fmt: skip
    arity = len(RULES[op].formulas) if op in RULES and op != "linear" else len(kids)
    if len(kids) != arity:  # (the rule of a known op expects its inputs)
        raise TypeError(f"Value: op {op!r} takes {arity} inputs, got {len(kids)}: {kids!r:.80}")
    return (tuple(kids), MANY) if len(kids) > 2 or op == "linear" else (*kids, None)[:2]


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else as_float(x, "comparison")


def make_node(data: float, a: Any, b: Any, op: str) -> Value:
    """The Value an op returns: its data, inputs (``b`` None for one input) and op name."""
    v = object.__new__(Value)  # (ops hand over a float: no need for __init__'s checks)
    v.data, v.grad, v.label = data, 0.0, ""
    v._a, v._b, v._op = a, b, op
    return v if NODE_HOOK is None else NODE_HOOK(v)


NODE_HOOK: Callable[[Value], Value] | None = None  # no_grad's and detect_anomaly's (modes.py)


def as_value(x: Any, op: str) -> Value:
    """A Value as it is; a plain number used in ``op`` becomes a leaf (drawn as a constant)."""
    if type(x) is float:  # (the commonest case first)
        return make_node(x, None, None, "")
    if isinstance(x, Value):
        return x
    return make_node(as_float(x, op, "the other operand"), None, None, "")


# ---- the rules: each primitive's local derivatives ----------------------------------------
# A rule gets the node's output and inputs and returns d output / d input for each input.
# backward() calls it with floats; backward(create_graph=True) calls the very same rule with
# Values, so the derivative is itself recorded in a graph: that is how second derivatives
# work. Rules run during backward, from the nodes' current data, as micrograd's do.


def _apply(name: str, x: Any) -> Any:
    """A primitive by name, on a Value (recorded in the graph) or on a float."""
    if isinstance(x, Value):
        return getattr(x, name)()
    return {"log": math.log, "sin": sin, "cos": cos, "sigmoid": sigmoid}[name](x)


def _d_pow(out: Any, a: Any, b: Any) -> tuple[Any, ...]:  # d(a^b)/db = a^b log(a), or
    a0 = float(a)  # 0 at a = 0 (as PyTorch) and NaN for a < 0, where log(a) is not real
    return (power_slope(a, b), out * _apply("log", a) if a0 > 0 else 0.0 if a0 == 0 else math.nan)


class Rule(NamedTuple):
    """One op: how it is written, its local derivatives as code and as formulas to read.
    Calling it runs ``derivative``: ``RULES["tanh"](out, x)`` is ``(1 - out * out,)``."""

    written: str  # the op applied to its inputs, named by letters
    derivative: Callable[..., tuple[Any, ...]] | None  # None: derived from other ops
    formulas: tuple[str, ...]  # d output / d each input, as a learner writes it

    def __call__(self, out: Any, *inputs: Any) -> tuple[Any, ...]:
        if self.derivative is None:
            raise ValueError(f"backward: {self.written} is derived from other ops, with no rule")
        return self.derivative(out, *inputs)


class _Rules(dict):
    def __missing__(self, op: str) -> Rule:  # a node built by hand with an op of no rule
        raise ValueError(f"backward: no rule for op {op!r}; the ops with rules: {', '.join(self)}")


RULES: dict[str, Rule] = _Rules({
    "+": Rule("a + b", lambda out, a, b: (1.0, 1.0), ("d(a + b)/da = 1", "d(a + b)/db = 1")),
    "*": Rule("a * b", lambda out, a, b: (b, a), ("d(a * b)/da = b", "d(a * b)/db = a")),
    "**": Rule("a ** n", lambda out, a, n: (power_slope(a, float(n)), 0.0),
               ("d(a^n)/da = n * a^(n-1)", "d(a^n)/dn = 0 (n is a constant exponent)")),
    "pow": Rule("a ** b", _d_pow, ("d(a^b)/da = b * a^(b-1)", "d(a^b)/db = a^b * log(a)")),
    "exp": Rule("exp(x)", lambda out, x: (out,), ("d exp(x)/dx = exp(x)",)),
    "log": Rule("log(x)", lambda out, x: (1.0 / x,), ("d log(x)/dx = 1/x",)),
    "sqrt": Rule("sqrt(x)", lambda out, x: (0.5 / out if float(out) != 0 else math.inf,),
                 ("d sqrt(x)/dx = 1 / (2 sqrt(x))",)),  # infinite at 0
    "tanh": Rule("tanh(x)", lambda out, x: (1 - out * out,), ("d tanh(x)/dx = 1 - tanh(x)^2",)),
    "sigmoid": Rule("sigmoid(x)", lambda out, x: (out * (1 - out),),
                    ("d sigmoid(x)/dx = sigmoid(x) * (1 - sigmoid(x))",)),
    "softplus": Rule("softplus(x)", lambda out, x: (_apply("sigmoid", x),),
                     ("d softplus(x)/dx = sigmoid(x)",)),
    "relu": Rule("relu(x)", lambda out, x: (1.0 if x > 0 else 0.0,),
                 ("d relu(x)/dx = 1 if x > 0 else 0",)),
    "leaky_relu": Rule("leaky_relu(x, s)", lambda out, x, s: (1.0 if x > 0 else float(s), 0.0),
                       ("d leaky_relu(x, s)/dx = 1 if x > 0 else s",
                        "d leaky_relu(x, s)/ds = 0 (s is a constant)")),
    "abs": Rule("|x|", lambda out, x: (1.0 if x > 0 else -1.0 if x < 0 else 0.0,),
                ("d|x|/dx = sign(x) (0 at x = 0)",)),
    "sin": Rule("sin(x)", lambda out, x: (_apply("cos", x),), ("d sin(x)/dx = cos(x)",)),
    "cos": Rule("cos(x)", lambda out, x: (-_apply("sin", x),), ("d cos(x)/dx = -sin(x)",)),
    "max": Rule("max(a, b)", lambda out, a, b: (1.0, 0.0) if a > b else (0.0, 1.0) if a < b
                else (0.5, 0.5),  # a tie: split
                ("d max(a, b)/da = 1 if a > b, 0 if a < b, 1/2 on a tie",
                 "d max(a, b)/db = 1 if b > a, 0 if b < a, 1/2 on a tie")),
    "min": Rule("min(a, b)", None, ()),  # derived: -max(-a, -b)
})  # fmt: skip
"""Every op by the name its nodes record: how it is written and its local derivatives."""


# ---- backward -----------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on, each after all of its inputs. An explicit stack, not
    recursion, so a chain of a million nodes works at Python's default recursion limit.

    >>> a = Value(1.0, label="a"); b = a * 2; c = b + a
    >>> [v.label or v.op for v in topological_order(c)]
    ['a', '', '*', '+']
    """
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: root must be a Value, got {root!r:.60}")
    order: list[Value] = []
    done: set[Value] = set()
    stack = [(root, False)]
    while stack:
        node, inputs_placed = stack.pop()
        if inputs_placed:  # everything it was made from is in the order: it can follow
            order.append(node)
        elif node not in done:
            done.add(node)
            stack.append((node, True))
            for v in node.inputs:
                if v not in done:
                    if v.is_leaf:  # a leaf needs nothing before it: place it now
                        done.add(v)
                        order.append(v)
                    else:
                        stack.append((v, False))
    return order


def chain_rule(root: Value, grad: Any = 1.0, create_graph: bool = False) -> dict[Value, Any]:
    """d root / d node for every node of root's graph, by the chain rule; no ``.grad`` changes.

    >>> x = Value(3.0); y = x * x
    >>> chain_rule(y)[x], x.grad
    (6.0, 0.0)
    """
    seed = grad if isinstance(grad, Value) else Value(as_float(grad, "backward(grad=...)"))
    grads = {root: seed if create_graph else seed.data}  # each node's gradient, summed over uses
    for node in reversed(topological_order(root)):  # every use of a node comes before it
        for hook in list(HOOKS.get(node, ())) if HOOKS else ():
            replaced = hook(grads[node])
            if replaced is not None:
                grads[node] = replaced
        if node.is_leaf:  # nothing further back
            continue
        g, inputs = grads[node], node.inputs
        if create_graph:  # the rules on Values: each derivative is recorded in a graph too
            g = g if isinstance(g, Value) else Value(g)
            locals_ = RULES[node.op](node, *inputs)
        else:
            locals_ = RULES[node.op](node.data, *[v.data for v in inputs])
        for v, local in zip(inputs, locals_):  # d root/d v += d node/d v * d root/d node
            if create_graph:  # (a local derivative of 1 passes g on: no "* 1" node)
                term = g if local == 1.0 else g * local
                grads[v] = grads[v] + term if v in grads else term
            else:
                grads[v] = grads.get(v, 0.0) + g * local
    return grads


def set_grads(grads: dict[Value, Any]) -> None:
    """Set each ``.grad`` from ``chain_rule``'s result: interior nodes restart at this call's
    gradient, leaves add it to what they held (None or 0.0: nothing), constants stay None.

    >>> x = Value(3.0); x.grad = 1.0; set_grads({x: 6.0}); x.grad
    7.0
    """
    for node, g in grads.items():
        if node.is_leaf:
            g = accumulate(node.grad, g) if node.requires_grad else None
        node.grad = g


def backpropagate(root: Value, grad: Any = 1.0, create_graph: bool = False) -> None:
    """What ``root.backward()`` runs on the reference path.

    >>> x = Value(3.0); backpropagate(x * x); x.grad
    6.0
    """
    set_grads(chain_rule(root, grad, create_graph))


class _Passes:  # what Value.backward runs: backpropagate, or backward.py's fast pass (the
    backward = staticmethod(backpropagate)  # same numbers, bit for bit); modes.py chooses


PASSES = _Passes()
