"""Value: a float that remembers how it was made, and backward() that applies the chain rule.

Read this file top to bottom:

1. ``Value`` holds one float (``data``), its gradient (``grad``), the Values it was made from
   (``_a`` and ``_b``; ``_children`` lists them) and the name of the operation that made it
   (``_op``).
2. Each *primitive* operation (``+``, ``*``, ``**``, ``exp``, ``log``, ``tanh``, ...) is a method
   that computes the forward value, plus one derivative rule in ``RULES`` giving the local
   derivative of the output with respect to each input. A rule is written once and works on
   floats (plain backward) and on Values (``create_graph=True``: second derivatives).
3. *Derived* operations (``-``, ``/``, ``sqrt`` of a sum, ``min``, ...) are built from primitives
   and carry no derivative code of their own.
4. ``backward()`` puts the graph in topological order (without recursion) and, from the output
   back to the inputs, adds ``local derivative * upstream gradient`` into each input's grad.

No closures are stored on nodes, so a graph has no reference cycles and is freed as soon as
the last reference to its output goes.

>>> x = Value(2.0, label="x")
>>> y = (x * 3 + 1).tanh()
>>> y.backward()
>>> round(y.data, 6), round(x.grad, 8)
(0.999998, 9.98e-06)
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Union

Number = int | float
Scalar = Union["Value", int, float]  # noqa: UP007  (a string forward reference needs Union)

__all__ = ["Value", "RULES", "linear", "topological_order"]


def _as_float(data: Any, where: str = "Value", what: str = "data") -> float:
    """Convert ``data`` to a Python float, or raise TypeError naming its type."""
    if isinstance(data, float):
        return float(data)
    if isinstance(data, numbers.Real):  # int, bool, Fraction, numpy scalars
        try:
            return float(data)
        except OverflowError:  # an int beyond 1.8e308
            raise ValueError(f"{where}: {what} is too large for a float: {data!r:.60}") from None
    raise TypeError(
        f"{where}: {what} must be a real number (float, int or bool) or a Value, "
        f"got {type(data).__name__} {data!r:.60}"
    )


class Value:
    """A scalar that records the operations applied to it, so gradients can flow back.

    ``Value(data, label="")``: ``data`` is a float (ints, bools and other real numbers are
    converted; anything else is a TypeError). Operations with Values or plain numbers on
    either side return new Values; ``backward()`` fills in ``grad`` on every Value in the graph.

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a          # b = a^2 + a, so db/da = 2a + 1
    >>> b.backward()
    >>> a.grad
    5.0
    >>> a
    Value(data=2.0, grad=5.0, label='a')
    """

    # _a, _b: the inputs of the op that made this Value, None for a leaf (made by the user)
    # and _b None for a one-input op. The one op with more inputs (``linear``) keeps them all
    # in _a as a tuple, with _b = _MANY. Two slots rather than a tuple of inputs: one object
    # per node instead of two, so the forward pass is 15% faster, and a third faster at 1e5
    # nodes with the garbage collector on (benchmarks/engine.py).
    # (__weakref__: detect_anomaly remembers where nodes were made without keeping them alive)
    __slots__ = ("data", "grad", "label", "_a", "_b", "_op", "_hooks", "__weakref__")

    def __init__(self, data: Any, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r:.60}")
        self.data = data if type(data) is float else _as_float(data)
        self.grad: Any = 0.0
        self.label = label
        self._a: Any = None  # a leaf: made by the user, not by an op
        self._b: Any = None
        self._op = ""
        self._hooks: list[Callable[[Any], Any]] | None = None

    @property
    def _children(self) -> tuple[Value, ...]:
        """The Values this one was made from, in order (empty for a leaf).

        >>> x = Value(2.0); len((x * 3)._children), x._children
        (2, ())
        """
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        return a if b is _MANY else (a, b)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """d self / d each input, from this op's rule in RULES (empty for a leaf)."""
        children = self._children
        if not children:
            return ()
        return RULES[self._op](self.data, *[c.data for c in children])

    # ---- primitives: the forward value here, the local derivatives in RULES below ----------

    def __add__(self, other: Scalar) -> Value:
        if other.__class__ is not Value:  # (faster than isinstance; subclasses pass _constant)
            other = _constant(other, "+")
        # _node(self.data + other.data, self, other, "+"), written out: + and * make most
        # of every graph, and this makes them 15% faster. (So set_modes swaps these two.)
        v = _new(Value)
        v.data = self.data + other.data
        v.grad = 0.0
        v.label = ""
        v._a = self
        v._b = other
        v._op = "+"
        v._hooks = None
        return v

    def __mul__(self, other: Scalar) -> Value:
        if other.__class__ is not Value:
            other = _constant(other, "*")
        v = _new(Value)  # _node(self.data * other.data, self, other, "*"), written out
        v.data = self.data * other.data
        v.grad = 0.0
        v.label = ""
        v._a = self
        v._b = other
        v._op = "*"
        v._hooks = None
        return v

    def __pow__(self, other: Scalar) -> Value:
        if isinstance(other, Value):  # a Value exponent is differentiated too
            return _node(_power(self.data, other.data, "**"), self, other, "pow")
        # a constant exponent is kept as a constant leaf, so the graph shows it
        n = _constant(other, "**")
        return _node(_power(self.data, n.data, "**"), self, n, "**")

    def exp(self) -> Value:
        """e ** self.

        >>> round(Value(1.0).exp().data, 6)
        2.718282
        """
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise ValueError(
                f"exp: overflow, exp({self.data!r}) is larger than the largest float "
                f"(inputs above 709.78 overflow)"
            ) from None
        return _node(out, self, None, "exp")

    def log(self) -> Value:
        """Natural logarithm; the operand must be > 0 (NaN gives NaN, as in PyTorch).

        >>> Value(1.0).log().data
        0.0
        """
        if self.data <= 0:  # (a NaN passes: it came from upstream, and stays visible)
            raise ValueError(f"log: operand must be > 0, got {self.data!r}")
        return _node(math.log(self.data), self, None, "log")

    def sqrt(self) -> Value:
        """Square root; the operand must be >= 0.

        >>> Value(9.0).sqrt().data
        3.0
        """
        if self.data < 0:
            raise ValueError(f"sqrt: operand must be >= 0, got {self.data!r}")
        return _node(math.sqrt(self.data), self, None, "sqrt")

    def tanh(self) -> Value:
        """Hyperbolic tangent (stable for any input).

        >>> Value(0.0).tanh().data
        0.0
        """
        return _node(math.tanh(self.data), self, None, "tanh")

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), computed without overflow.

        >>> Value(0.0).sigmoid().data
        0.5
        """
        return _node(_sigmoid(self.data), self, None, "sigmoid")

    def softplus(self) -> Value:
        """log(1 + e ** self), computed without overflow.

        >>> Value(1000.0).softplus().data
        1000.0
        """
        x = self.data
        # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^-|x| <= 1 never overflows
        return _node(max(x, 0.0) + math.log1p(math.exp(-abs(x))), self, None, "softplus")

    def relu(self) -> Value:
        """max(0, self); the derivative at 0 is 0, and NaN stays NaN, as in PyTorch.

        >>> Value(-2.0).relu().data
        0.0
        """
        x = self.data
        return _node(0.0 if x <= 0 else x, self, None, "relu")

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """self if self > 0 else negative_slope * self.

        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        slope = Value(negative_slope)  # a constant leaf, like a constant exponent
        x = self.data
        return _node(x if x > 0 else slope.data * x, self, slope, "leaky_relu")

    def __abs__(self) -> Value:
        return _node(abs(self.data), self, None, "abs")

    def sin(self) -> Value:
        """Sine.

        >>> Value(0.0).sin().data
        0.0
        """
        return _node(math.sin(self.data), self, None, "sin")

    def cos(self) -> Value:
        """Cosine.

        >>> Value(0.0).cos().data
        1.0
        """
        return _node(math.cos(self.data), self, None, "cos")

    def max(self, other: Scalar) -> Value:
        """The larger of two; on a tie the gradient is split in half, as torch.maximum does.

        >>> a, b = Value(1.0), Value(3.0)
        >>> m = a.max(b); m.backward(); (m.data, a.grad, b.grad)
        (3.0, 0.0, 1.0)
        """
        other = other if isinstance(other, Value) else _constant(other, "max")
        a, b = self.data, other.data
        out = a if a >= b else b if b > a else a + b  # a + b: NaN spreads, as in torch.maximum
        return _node(out, self, other, "max")

    # ---- derived ops: built from primitives, no derivative code -----------------------------

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: Scalar) -> Value:
        if isinstance(other, Value):
            return self + (-other)
        return self + -_as_float(other, "-", "the other operand")

    def __truediv__(self, other: Scalar) -> Value:
        if not isinstance(other, Value):
            other = _constant(other, "/")
        if other.data == 0:
            raise ZeroDivisionError(f"/: division by zero ({self.data!r} / {other.data!r})")
        return self * other**-1

    def __radd__(self, other: Number) -> Value:
        return _constant(other, "+") + self

    def __rsub__(self, other: Number) -> Value:
        return _constant(other, "-") + (-self)

    def __rmul__(self, other: Number) -> Value:
        return _constant(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:
        return _constant(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        return _constant(other, "**") ** self

    def min(self, other: Scalar) -> Value:
        """The smaller of two: -max(-a, -b).

        >>> Value(1.0).min(3.0).data
        1.0
        """
        other = other if isinstance(other, Value) else _constant(other, "min")
        return -((-self).max(-other))

    # ---- comparisons: plain bools on .data, for sorting and `if` ----------------------------
    # __eq__ is deliberately NOT defined: Values stay hashable by identity (sets, dict keys).

    def __lt__(self, other: Scalar) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Scalar) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Scalar) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Scalar) -> bool:
        return self.data >= _data(other)

    def __bool__(self) -> bool:
        return self.data != 0.0

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The float inside, as ``tensor.item()``: ``loss.item()``.

        >>> Value(2.5).item()
        2.5
        """
        return self.data

    def __format__(self, spec: str) -> str:  # f"{loss:.4f}" formats the data, as torch does
        return format(self.data, spec) if spec else repr(self)

    def __repr__(self) -> str:
        grad = self.grad if not isinstance(self.grad, Value) else f"Value({self.grad.data!r})"
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={grad}{label})"

    # ---- backward ---------------------------------------------------------------------------

    def backward(
        self, grad: Scalar = 1.0, create_graph: bool = False, retain_graph: bool | None = None
    ) -> None:
        """Fill in ``.grad`` of every Value this one depends on, by the chain rule.

        Leaves (Values not made by an op) *accumulate* across calls, as in PyTorch: call
        ``zero_grad`` or set ``.grad = 0.0`` between steps. Interior nodes restart from zero on
        each call, so two calls give leaves exactly twice the gradient. With
        ``create_graph=True`` gradients are Values themselves, so they can be differentiated.
        ``retain_graph`` is accepted for PyTorch code and changes nothing: the graph is kept.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad       # leaves accumulate
        12.0
        """
        backpropagate(self, grad, create_graph)

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when this node's gradient is complete during backward.

        If the hook returns something other than None, that replaces the gradient passed on.

        >>> x = Value(2.0)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 3).backward(); x.grad
        30.0
        >>> h.remove()
        """
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        MODES.hooks += 1
        return RemovableHandle(self, hook)

    def zero_grad(self) -> None:
        """Set this Value's gradient to 0.0."""
        self.grad = 0.0

    def tree(self, **kwargs: Any) -> Any:
        """This Value's graph as an indented text tree (``autograd.graph.tree_text``).

        >>> x = Value(2.0, label="x"); y = x * 3; y.label = "y"
        >>> y.tree()
        y [*]  data 6.0000  grad 0.0000
        ├─ x  data 2.0000  grad 0.0000
        └─ const  data 3.0000  grad 0.0000
        """
        from .graph import tree_text  # imported here: the engine does not depend on drawing

        return tree_text(self, **kwargs)


_new = object.__new__


def _node(data: float, a: Any, b: Any, op: str) -> Value:
    """The Value an op returns: its data, its inputs (see ``Value._a``), and the op's name.

    (Filling the slots directly is 20% faster than going through ``Value.__init__``, and ops
    already hand over a float. While no_grad or detect_anomaly is on, ``set_modes`` swaps in
    ``_mode_node`` for this function.)
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._a = a
    v._b = b
    v._op = op
    v._hooks = None
    return v


def _constant(x: Any, op: str) -> Value:
    """A plain number used in op becomes a leaf Value (so the graph shows it)."""
    if type(x) is float:  # the common case, without Value.__init__'s checks: 25% faster
        return _FAST_NODE(x, None, None, "")
    if isinstance(x, Value):  # an instance of a subclass of Value: not a constant
        return x
    return _FAST_NODE(_as_float(x, op, "the other operand"), None, None, "")


_MANY = object()  # in Value._b: the inputs are all in _a, as a tuple (see Value.__slots__)


class RemovableHandle:
    """Returned by ``Value.register_hook``; ``.remove()`` unregisters the hook."""

    __slots__ = ("_node", "_hook")

    def __init__(self, node: Value, hook: Callable[[Any], Any]) -> None:
        self._node, self._hook = node, hook

    def remove(self) -> None:
        """Unregister the hook (calling it twice is harmless)."""
        hooks = self._node._hooks
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)
            MODES.hooks -= 1


def linear(weights: Sequence[Value], inputs: Sequence[Scalar], bias: Scalar = 0.0) -> Value:
    """``bias + w0*x0 + w1*x1 + ...`` as ONE node: a neuron's weighted sum.

    The same number as summing the products one by one in that order (so results match
    micrograd's ``sum((wi*xi for ...), b)`` bit for bit), but one node instead of 2n, which
    makes training several times faster. ``draw_dot`` shows it as one ``linear`` node.

    >>> w, b = [Value(2.0), Value(-1.0)], Value(0.5)
    >>> y = linear(w, [3.0, 4.0], b); y.data
    2.5
    >>> y.backward(); [wi.grad for wi in w], b.grad
    ([3.0, 4.0], 1.0)
    """
    if not isinstance(weights, (list, tuple)):
        weights = list(weights)
    if not isinstance(inputs, (list, tuple)):
        inputs = list(inputs)
    b = bias if isinstance(bias, Value) else Value(bias)
    if len(weights) != len(inputs):
        raise ValueError(f"linear: {len(weights)} weights but {len(inputs)} inputs")
    try:  # the common case: all Values (a layer's weights and inputs)
        out = b.data
        for w, x in zip(weights, inputs):
            out += w.data * x.data
    except (AttributeError, TypeError):  # numbers among them (numpy's have a .data too)
        out = None
    if type(out) is not float:  # so make every number a constant Value (or a TypeError)
        ws = [w if isinstance(w, Value) else Value(w) for w in weights]
        xs = [x if isinstance(x, Value) else Value(x) for x in inputs]
        return linear(ws, xs, b)
    return _node(out, (*weights, *inputs, b), _MANY, "linear")  # all inputs in _a


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else _as_float(x, "comparison")


# ---- forward helpers ------------------------------------------------------------------------


def _sigmoid(x: float) -> float:
    # two forms so exp never overflows: e^-x for x >= 0, e^x for x < 0
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _power(a: float, b: float, op: str) -> float:
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"{op}: 0.0 ** {b!r} is undefined (zero to a negative power)")
    if a < 0 and math.isfinite(b) and b != int(b):  # int() of inf or nan would raise
        raise ValueError(f"{op}: {a!r} ** {b!r} is not real (negative base, fractional power)")
    try:
        return a**b
    except OverflowError:
        raise ValueError(
            f"{op}: overflow, {a!r} ** {b!r} is larger than the largest float"
        ) from None


_FLOAT_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "sigmoid": _sigmoid,
}


def _generic(name: str, x: Any) -> Any:
    """Apply a primitive by name to a Value (recorded in the graph) or to a float."""
    if isinstance(x, Value):
        return getattr(x, name)()
    return _FLOAT_FUNCTIONS[name](x)


# ---- derivative rules ----------------------------------------------------------------------
# One rule per primitive: given the output and the inputs, return d output / d input for each
# input. backward() calls them with floats; under create_graph=True it calls them with Values,
# so the very same lines build the graph of the derivative (that is how second derivatives
# work). They are evaluated during backward, from the nodes' current data, like micrograd's.


def _d_add(out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return (1.0, 1.0)


def _d_mul(out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return (b, a)  # d(ab)/da = b, d(ab)/db = a


def _d_pow_const(out: Any, a: Any, n: Any) -> tuple[Any, ...]:
    n = _data(n)  # the exponent is a constant: it stays a plain number
    if n == 0:
        return (0.0, 0.0)
    if _data(a) == 0 and n < 1:  # on both paths: a ** (n - 1) would divide by zero
        return (math.inf if n > 0 else 0.0, 0.0)  # d/da a^n at 0 for 0 < n < 1 is infinite
    return (n * _slope_power(a, n - 1), 0.0)  # d(a^n)/da = n a^(n-1)


def _d_pow(out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    # d(a^b)/da = b a^(b-1);  d(a^b)/db = a^b log(a): 0 at a = 0 (as PyTorch), NaN for a < 0
    if _data(a) > 0:
        db = out * _generic("log", a)
    elif _data(a) == 0:
        db = 0.0
    else:
        db = math.nan
    if _data(a) == 0 and _data(b) < 1:
        da = 0.0 if _data(b) == 0 else math.inf
    else:
        da = b * _slope_power(a, b - 1)
    return (da, db)


def _slope_power(a: Any, e: Any) -> Any:
    """a ** e inside a derivative: on floats an overflow is +-inf (as for * and /), not an error."""
    if isinstance(a, Value):
        return a**e
    try:
        return a**e
    except OverflowError:  # e.g. d(x^-1)/dx = -x^-2 at x = 1e-200
        return -math.inf if a < 0 and e % 2 == 1 else math.inf


def _d_exp(out: Any, x: Any) -> tuple[Any, ...]:
    return (out,)  # d e^x/dx = e^x


def _d_log(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 / x,)  # d log(x)/dx = 1/x


def _d_sqrt(out: Any, x: Any) -> tuple[Any, ...]:
    if _data(out) == 0:
        return (math.inf,)  # the slope of sqrt at 0 is infinite
    return (0.5 / out,)  # d sqrt(x)/dx = 1 / (2 sqrt(x))


def _d_tanh(out: Any, x: Any) -> tuple[Any, ...]:
    return (1 - out * out,)  # d tanh(x)/dx = 1 - tanh(x)^2


def _d_sigmoid(out: Any, x: Any) -> tuple[Any, ...]:
    return (out * (1 - out),)  # d s(x)/dx = s(x)(1 - s(x))


def _d_softplus(out: Any, x: Any) -> tuple[Any, ...]:
    return (_generic("sigmoid", x),)  # d log(1 + e^x)/dx = sigmoid(x)


def _d_relu(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0 else 0.0,)


def _d_leaky_relu(out: Any, x: Any, slope: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0 else _data(slope), 0.0)


def _d_abs(out: Any, x: Any) -> tuple[Any, ...]:
    return (1.0 if x > 0 else -1.0 if x < 0 else 0.0,)  # sign(x), 0 at 0 as in PyTorch


def _d_sin(out: Any, x: Any) -> tuple[Any, ...]:
    return (_generic("cos", x),)


def _d_cos(out: Any, x: Any) -> tuple[Any, ...]:
    return (-_generic("sin", x),)


def _d_linear(out: Any, *args: Any) -> tuple[Any, ...]:
    n = (len(args) - 1) // 2  # args = w0..wn-1, x0..xn-1, b
    ws, xs = args[:n], args[n : 2 * n]
    return (*xs, *ws, 1.0)  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1


def _d_max(out: Any, a: Any, b: Any) -> tuple[Any, ...]:
    if a > b:
        return (1.0, 0.0)
    if a < b:
        return (0.0, 1.0)
    return (0.5, 0.5)  # a tie: split, as torch.maximum does


RULES: dict[str, Callable[..., tuple[Any, ...]]] = {
    "+": _d_add,
    "*": _d_mul,
    "**": _d_pow_const,
    "pow": _d_pow,
    "exp": _d_exp,
    "log": _d_log,
    "sqrt": _d_sqrt,
    "tanh": _d_tanh,
    "sigmoid": _d_sigmoid,
    "softplus": _d_softplus,
    "relu": _d_relu,
    "leaky_relu": _d_leaky_relu,
    "abs": _d_abs,
    "sin": _d_sin,
    "cos": _d_cos,
    "max": _d_max,
    "linear": _d_linear,
}
"""Derivative rule of each primitive op, by the op name a node records."""


# ---- backward -------------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every Value ``root`` depends on, each after all of its inputs (no recursion).

    An explicit stack instead of recursion, so a chain of a million nodes works at Python's
    default recursion limit.

    >>> a = Value(1.0, label="a"); b = a * 2; c = b + a
    >>> [v.label or v._op for v in topological_order(c)]
    ['a', '', '*', '+']
    """
    order: list[Value] = []
    done: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: everything pushed above it is in order, so its node
            order.append(stack.pop())  # (just below it) comes next
            continue
        if node in done:
            continue
        done.add(node)
        stack.append(node)
        stack.append(None)
        for child in node._children:
            if child not in done:
                if child._a is not None:
                    stack.append(child)
                else:  # a leaf needs nothing before it: place it at once
                    done.add(child)
                    order.append(child)
    # (a None marker rather than (node, flag) pairs, leaves placed directly: 1.6x faster
    # than the plain version on a 1e5-node chain. Any order with every node after its inputs
    # is right. backward() uses a faster form of this walk, _sort.)
    return order


def _sort(root: Value) -> tuple[list[Value], list[tuple[Value, Any]]]:
    """topological_order's walk and order, for backward: the order, and (leaf, grad) for
    every leaf whose grad is not 0.0. Every grad in the order is 0.0 afterwards.
    """
    # A node met once has its grad set to `seen`, a 0.0 made for this call alone (no other
    # float is the same object), rather than being put in a set; the grads are thereby
    # zeroed on the way, ready for the chain rule. With the inputs' code written out for _a
    # and _b, this is 1.35x (chain) to 1.6x (sum) faster than a set and a zeroing pass
    # (benchmarks/engine.py graphs, 1e3-1e5 nodes). A node left holding an older call's
    # marker (a backward_steps walk given up half way) just holds 0.0.
    seen = float("0.0")  # (float() of a string always makes a new object)
    order: list[Value] = []
    held: list[tuple[Value, Any]] = []
    stack: list[Any] = [root]
    push, pop, place, hold = stack.append, stack.pop, order.append, held.append
    try:
        while stack:
            node = pop()
            if node is None:  # the marker: its node (just below it) comes next
                place(pop())
                continue
            g = node.grad
            if g is seen:  # met before through another path
                continue
            node.grad = seen  # (an interior node's old grad is not kept: it restarts)
            a = node._a
            if a is None:  # a leaf (here only when the root is one) needs nothing before it
                if g != 0.0:  # (a Value grad is never == 0.0, so it is kept too)
                    hold((node, g))
                place(node)
                continue
            push(node)
            push(None)
            b = node._b
            if b is _MANY:  # linear: every input is in a (the same steps as for a and b below)
                for child in a:
                    if child.grad is not seen:
                        if child._a is None:
                            if child.grad != 0.0:
                                hold((child, child.grad))
                            child.grad = seen
                            place(child)
                        else:
                            push(child)
                continue
            if a.grad is not seen:
                if a._a is None:  # a leaf: place it at once, skipping the stack
                    if a.grad != 0.0:
                        hold((a, a.grad))
                    a.grad = seen
                    place(a)
                else:
                    push(a)
            if b is not None and b.grad is not seen:
                if b._a is None:
                    if b.grad != 0.0:
                        hold((b, b.grad))
                    b.grad = seen
                    place(b)
                else:
                    push(b)
    except BaseException:  # an interrupt (Ctrl-C): give the leaves their grads back
        restore_leaves(order, held)
        raise
    return order, held


def backpropagate(root: Value, grad: Scalar = 1.0, create_graph: bool = False) -> list[Value]:
    """The chain rule over the whole graph of ``root``; returns the topological order used.

    Every node's ``.grad`` is set to d root / d node for this call; leaves then add back what
    they held before (accumulation). Use ``Value.backward`` rather than this.
    """
    if create_graph and not MODES.recording:  # as in PyTorch: create_graph records, even
        set_modes(True, MODES.anomaly)  # under no_grad (else second derivatives would be 0)
        try:
            return backpropagate(root, grad, create_graph)
        finally:
            set_modes(False, MODES.anomaly)
    if create_graph:
        seed: Any = grad if isinstance(grad, Value) else Value(grad)
    else:
        seed = _as_float(grad.data if isinstance(grad, Value) else grad, "backward(grad=...)")
    if MODES.in_hooks:  # called by a hook, in the middle of another backward pass
        return _backpropagate_nested(root, seed, create_graph)
    order, held = start_backward(root, seed)
    try:
        if create_graph:
            _chain_rule_graph(order)
        else:
            _chain_rule(order)
        finish_backward(order, held)
    except BaseException:  # a hook raised, detect_anomaly, Ctrl-C: leaves keep their old grads
        restore_leaves(order, held)
        raise
    return order


def _backpropagate_nested(root: Value, seed: Any, create_graph: bool) -> list[Value]:
    """backward() run by a hook: the pass that called the hook must find its grads intact.

    Nodes shared with that pass hold its partial sums, so every grad of this graph is set
    aside: afterwards leaves get their old grad plus this call's (they accumulate), and
    interior nodes get back what the outer pass had summed so far.
    """
    order = topological_order(root)
    with grads_set_aside(order):  # every grad back as it was afterwards, even on an error
        root.grad = seed
        if create_graph:
            _chain_rule_graph(order)
        else:
            _chain_rule(order)
        finish_backward(order, [])
        found = [(node, node.grad) for node in order if node._a is None]
    for node, g in found:  # then the leaves accumulate this call's gradient
        node.grad = g if node.grad is None else node.grad + g
    return order


def start_backward(root: Value, seed: Any) -> tuple[list[Value], list[tuple[Value, Any]]]:
    """Order the graph, zero every grad in it and seed the root; returns the order and the
    leaves' old grads.

    Leaves accumulate across calls, interior nodes restart: ``finish_backward`` adds the old
    grads back. (Shared by backward() and graph.backward_steps.)
    """
    order, held = _sort(root)
    root.grad = seed
    return order, held


def finish_backward(order: list[Value], held: list[tuple[Value, Any]]) -> None:
    """After the chain rule: check the leaves under detect_anomaly, then add back old grads."""
    if MODES.anomaly:  # leaves are not checked inside the loop: check their sums here
        for node in order:
            if node._a is None and not math.isfinite(_data(node.grad)):
                _raise_summed(node, node.grad)
    for node, old in held:
        node.grad = node.grad if old is None else old + node.grad  # (None: torch's "no grad")


def restore_leaves(order: list[Value], held: list[tuple[Value, Any]]) -> None:
    """A backward pass stopped part way: give every leaf the grad it had before it."""
    for node in order:
        if node._a is None:
            node.grad = 0.0
    for node, old in held:
        node.grad = old


@contextmanager
def grads_set_aside(order: list[Value]) -> Iterator[None]:
    """Zero the grads of ``order`` for the block, then put every one back as it was.

    For computing gradients without changing the user's (``gradients``, ``explore``).
    """
    saved = [(node, node.grad) for node in order]
    try:
        for node in order:
            node.grad = 0.0
        yield
    finally:
        for node, g in saved:
            node.grad = g


def _nonzero(g: Any) -> bool:
    return not (type(g) is float and g == 0.0)


def _run_hooks(node: Value) -> None:
    MODES.in_hooks += 1  # a hook may call backward() itself (see _backpropagate_nested)
    try:
        for hook in list(node._hooks or ()):
            replaced = hook(node.grad)
            if replaced is not None:
                node.grad = replaced
    finally:
        MODES.in_hooks -= 1


def _chain_rule(order: list[Value]) -> None:
    # grad(input) += local derivative * grad(output), from the output back to the inputs.
    # Unrolled for one and two inputs (nearly every node): 1.7x faster than a zip loop on
    # micrograd's moons step (benchmarks/moons.py).
    check, hooks, rules = MODES.anomaly, MODES.hooks, RULES
    for node in reversed(order):
        if hooks and node._hooks:
            _run_hooks(node)
        a = node._a
        if a is None:  # a leaf
            continue
        g = node.grad
        op = node._op
        if check:
            _check_node(node, g)
        if op == "+":  # RULES["+"] and RULES["*"] inlined: a third of backward's time on sums
            a.grad += g
            node._b.grad += g
        elif op == "*":
            b = node._b
            a.grad += b.data * g
            b.grad += a.data * g
        else:
            b = node._b
            if b is None:
                (da,) = rules[op](node.data, a.data)
                a.grad += da * g
            elif b is _MANY:  # linear: every input is in a
                locals_ = rules[op](node.data, *[c.data for c in a])
                for child, local in zip(a, locals_):
                    child.grad += local * g
            else:
                da, db = rules[op](node.data, a.data, b.data)
                a.grad += da * g
                b.grad += db * g


def _chain_rule_graph(order: list[Value]) -> None:
    # the same loop, but local derivatives come from RULES applied to Values, so every
    # multiplication and sum here is itself recorded in the graph (create_graph=True)
    for node in reversed(order):
        if node._hooks:
            _run_hooks(node)
        children = node._children
        if not children:
            continue
        g = node.grad
        if not isinstance(g, Value):
            g = Value(g)
        if MODES.anomaly:
            _check_node(node, g)
        locals_ = RULES[node._op](node, *children)
        for child, local in zip(children, locals_):
            if isinstance(local, Value):
                term = local * g
            else:
                term = g if local == 1.0 else g * local
            child.grad = child.grad + term if _nonzero(child.grad) else term


# ---- modes: no_grad and detect_anomaly ------------------------------------------------------
# Both change what the constructor does. Rather than test a flag in every op, the constructor
# itself is swapped while a mode is on, so the normal path pays nothing for them.


class _Modes:
    recording = True  # False inside no_grad(): ops keep no inputs, so no graph is built
    anomaly = False  # True inside detect_anomaly(): non-finite results raise
    hooks = 0  # how many hooks are registered (backward skips looking for them when 0)
    in_hooks = 0  # > 0 while hooks run: a backward() then is nested in another
    # node -> the user's source line, recorded under anomaly; weak, so graphs still go away
    origins: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()


MODES = _Modes()
_FAST_NODE = _node
_PACKAGE_DIR = __file__.rsplit("/", 1)[0]


def _user_source_line() -> str:
    """'file:line: code' of the innermost caller outside the autograd package."""
    import linecache
    import sys

    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}: {code}" if code else f"{filename}:{lineno}"


def _mode_node(data: float, a: Any, b: Any, op: str) -> Value:
    if not MODES.recording:
        a = b = None
    v = _FAST_NODE(data, a, b, op)
    if MODES.anomaly:
        where = _user_source_line()
        children = v._children
        if not math.isfinite(data):
            inputs = ", ".join(repr(c.data) for c in children) or "(not recorded)"
            raise FloatingPointError(
                f"detect_anomaly: op '{op}' produced {data!r} in the forward pass "
                f"from inputs ({inputs}), at {where}"
            )
        if children:
            MODES.origins[v] = where
    return v


def set_modes(recording: bool, anomaly: bool) -> None:
    """Switch no_grad / detect_anomaly on or off (use the context managers, not this)."""
    MODES.recording, MODES.anomaly = recording, anomaly
    if not anomaly:
        MODES.origins.clear()
    global _node
    normal = recording and not anomaly
    _node = _FAST_NODE if normal else _mode_node
    Value.__add__ = _FAST_ADD if normal else _in_mode(_FAST_ADD)  # they do not call _node
    Value.__mul__ = _FAST_MUL if normal else _in_mode(_FAST_MUL)


def _in_mode(fast_op: Callable[[Value, Any], Value]) -> Callable[[Value, Any], Value]:
    """``fast_op``, its result made again by ``_mode_node`` (for + and *, see set_modes)."""

    def op(self: Value, other: Any) -> Value:
        v = fast_op(self, other)
        return _mode_node(v.data, v._a, v._b, v._op)

    op.__name__ = fast_op.__name__
    return op


_FAST_ADD, _FAST_MUL = Value.__add__, Value.__mul__


def _check_node(node: Value, g: Any) -> None:
    """Under detect_anomaly: raise if any gradient this node passes back is NaN or infinite."""
    if not math.isfinite(_data(g)):  # every contribution was finite: their sum overflowed
        _raise_summed(node, g)
    for local in node._local_grads:
        contribution = _data(local) * _data(g)
        if not math.isfinite(contribution):
            where = MODES.origins.get(node, "<created outside detect_anomaly>")
            inputs = ", ".join(repr(c.data) for c in node._children)
            raise FloatingPointError(
                f"detect_anomaly: op '{node._op}' produced gradient {contribution!r} in the "
                f"backward pass (local derivative {_data(local)!r} x upstream gradient "
                f"{_data(g)!r}), inputs ({inputs}), created at {where}"
            )


def _raise_summed(node: Value, g: Any) -> None:
    name = f"'{node.label}'" if node.label else f"the output of op '{node._op}'"
    if not node._children:
        name = f"leaf {node.label!r}" if node.label else f"leaf Value({node.data!r})"
    where = MODES.origins.get(node, "")
    raise FloatingPointError(
        f"detect_anomaly: the gradient of {name} became {_data(g)!r} when the finite "
        f"contributions of its uses were summed in the backward pass"
        + (f"; created at {where}" if where else "")
    )
