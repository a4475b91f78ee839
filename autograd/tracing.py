"""Tracing: watch a function run once on Values, so ``autograd.compile`` can replay it as arrays.

While a function is traced (``autograd.compile`` does it on the first call), every new node is
recorded, and Python code that needs the *number* inside a traced Value (``if v > 0:``,
``float(v)``, ``v.data``, ``v.item()``) raises ``TracingError`` naming the line: the compiled
program is replayed with new numbers, so a decision taken on this call's numbers would be
silently wrong on the next one. The helpers below say what to do instead. Each works the same
way whether or not a function is being traced, so library code uses them unconditionally:

- ``where(x >= 0, a, b)``: choose by value, per element, on every replay too;
- ``v.detach()``: a constant with v's value (no gradient), recomputed on each replay;
- ``pick(values, index)``: ``values[index]`` where the index is data (a class target);
- ``require(values, test, message)``: a check on data, repeated on each replay;
- ``random_constant(draw)``: a constant drawn at random, drawn again on each replay (Dropout).

>>> x = Value(-2.0)
>>> where(x >= 0, lambda: x * 3, lambda: -x).data
2.0
"""

from __future__ import annotations

import numbers
import random
import sys
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from . import modes
from .engine import MANY, Value, make_node

__all__ = [
    "TracingError", "Comparison", "Trace", "tracing", "active_trace",
    "where", "pick", "require", "random_constant", "WhereInfo", "DATA_SLOT",
]  # fmt: skip

DATA_SLOT = Value.__dict__["data"]  # the slot itself: reads through it are never checked
_slot_get, _slot_set = DATA_SLOT.__get__, DATA_SLOT.__set__
_ACTIVE: list[Trace | None] = [None]


class TracingError(TypeError):
    """Python code needed a traced Value's number (``if v > 0``, ``float(v)``, ``v.data``...)
    while ``autograd.compile`` traced it; the message names the line and what to write instead."""


ADVICE = (
    "The compiled step traces this function once and replays the same array program with "
    "new numbers, so Python code cannot look at the numbers flowing through it: a branch "
    "taken, or a number copied out, on this call would be silently wrong on the next. "
    "Choose by value with ops instead: v.relu(), a.max(b), a.min(b), abs(v), or "
    "autograd.where(v > 0, a, b); v.detach() for a constant that follows v; or "
    "call this function without compiling it."
)


def refusal(what: str, advice: str = ADVICE) -> TracingError:
    """The error for a construct a compiled replay cannot reproduce, naming the user's line."""
    return TracingError(f"autograd.compile: {what}, at\n    {modes.user_line()}\n{advice}")


class Comparison:
    """What ``a > b`` gives while a function is traced: the comparison, kept for ``where``.

    Used as a bool (``if a > b:``) it raises ``TracingError``: the answer would be frozen into
    the compiled program. Outside tracing, comparisons of Values are plain bools.
    """

    __slots__ = ("left", "op", "right", "value")

    def __init__(self, left: Value, op: str, right: Any, value: bool) -> None:
        self.left, self.op, self.right, self.value = left, op, right, value

    def __bool__(self) -> bool:
        raise refusal(
            f"a comparison of a traced Value (`{self.op}`) was used as a bool (in `if`, "
            f"`and`/`or`, `not`, the builtins `max`/`min`/`sorted`, ...)"
        )

    def __repr__(self) -> str:
        return f"Comparison({self.left!r} {self.op} {self.right!r}: {self.value})"


class WhereInfo(NamedTuple):
    """How a ``where`` node recorded while tracing chooses: ``left op right`` (right a Value
    or a number), which branches it has (True, False, or both), and the nodes each made."""

    op: str
    right_number: float | None  # the right operand when it is a number, else None
    sides: tuple[bool, ...]  # the branches present among the node's inputs, in order
    windows: tuple[tuple[int, int], ...]  # the range of trace.nodes each branch made
    traced: bool  # the condition's value on the traced call


class Trace:
    """Everything one traced call made and met, for ``autograd.compile`` to turn into arrays."""

    def __init__(self) -> None:
        self.nodes: list[Value] = []  # every op's result, in the order made (topological)
        self.constants: dict[int, Value] = {}  # leaves made while tracing, by id: fixed numbers
        self.placeholders: dict[int, tuple[int, int]] = {}  # id -> (argument, flat position)
        self.aliases: dict[int, Value] = {}  # id of Value(placeholder) -> the placeholder
        self.detached: dict[int, Value] = {}  # id of detach(v)'s leaf -> v
        self.random: list[tuple[Value, Callable[[], Any]]] = []  # in the order drawn
        self.wheres: dict[int, WhereInfo] = {}  # id of a where node -> how it chooses
        self.requires: list[tuple[list[Any], Callable, Callable]] = []
        self.no_grad_lines: dict[int, str] = {}  # id of an op result made under no_grad -> line
        self.drawing = 0  # > 0 while random_constant draws (other draws are refused)

    # ---- what is static (a fixed number) and what is data ----------------------------------

    def is_static(self, v: Any) -> bool:
        """A number, or a leaf made while tracing from a number: the same on every replay."""
        return not isinstance(v, Value) or id(v) in self.constants

    def record(self, v: Value) -> Value:
        """engine.NODE_HOOK's last step while tracing: every new node and constant."""
        if v._op:
            if v._a is None:  # made under no_grad: its number is frozen if it is used
                self.no_grad_lines[id(v)] = modes.user_line()
            self.nodes.append(v)
        else:
            self.constants[id(v)] = v
        return v

    def new_leaf(self, v: Value, source: Any) -> None:
        """Value(x) was called while tracing: a constant, or an alias of a placeholder."""
        if isinstance(source, Value):
            self.aliases[id(v)] = source
        else:
            self.constants[id(v)] = v

    # ---- the helpers' records ---------------------------------------------------------------

    def mark_detached(self, leaf: Value, source: Value) -> None:
        if not self.is_static(source):
            self.constants.pop(id(leaf), None)
            self.detached[id(leaf)] = source

    def random_constant(self, draw: Callable[[], Any]) -> Value:
        self.drawing += 1
        try:
            leaf = Value(draw())
        finally:
            self.drawing -= 1
        self.constants.pop(id(leaf), None)
        self.random.append((leaf, draw))
        return leaf

    def where(self, cond: Comparison, if_true: Any, if_false: Any) -> Value:
        """Both branches are traced (the replay chooses per element); a branch that fails on
        this call's numbers is left out, and the replay traces again if it is ever needed."""
        values, sides, windows = [], [], []
        for side, branch in ((True, if_true), (False, if_false)):
            start = len(self.nodes)
            try:
                value = branch_value(branch)
            except (ArithmeticError, ValueError):
                if side == cond.value:
                    raise
                continue
            values.append(value)
            sides.append(side)
            windows.append((start, len(self.nodes)))
        chosen = values[sides.index(cond.value)]
        right = cond.right if isinstance(cond.right, Value) else None
        operands = (cond.left,) if right is None else (cond.left, right)
        node = make_node(_slot_get(chosen), (*values, *operands), MANY, "where")
        number = None if right is not None else float(cond.right)
        self.wheres[id(node)] = WhereInfo(cond.op, number, tuple(sides), tuple(windows), cond.value)
        return node

    def pick(self, values: list[Value], index: Value, chosen: Value) -> Value:
        return make_node(_slot_get(chosen), (*values, index), MANY, "pick")


def active_trace() -> Trace | None:
    """The trace being recorded, or None (no function is being compiled right now)."""
    return _ACTIVE[0]


# ---- what tracing changes while it runs ------------------------------------------------------


def _trusted_files() -> frozenset[str]:
    """The autograd package's own files: their reads of .data are the ops computing values."""
    files = set()
    for name, module in list(sys.modules.items()):
        if name == "autograd" or name.startswith("autograd."):
            path = getattr(module, "__file__", None)
            if path:
                files.add(path)
    return frozenset(files)


def _checked_data(trace: Trace) -> property:
    """``Value.data`` while tracing: the autograd package reads freely (its ops compute the
    values); other code may read constants, and raises on anything that is data."""
    trusted, frame = _trusted_files(), sys._getframe
    from . import engine  # (the module whose ops read most: checked first; fused.py, which
    # imports this module for pick and active_trace, is found among the trusted files)

    def get(v: Value, _get: Callable = _slot_get, _engine: dict = engine.__dict__) -> Any:
        caller = frame(1)
        if caller.f_globals is _engine or caller.f_code.co_filename in trusted:
            return _get(v)
        if id(v) in trace.constants:
            return _get(v)
        raise refusal("`.data` read the number inside a traced Value")

    return property(get, _slot_set)


def _compare(op: str) -> Callable[[Value, Any], Any]:
    plain = getattr(Value, {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}[op])

    def compare(self: Value, other: Any) -> Any:
        trace = _ACTIVE[0]
        value = plain(self, other)
        if trace is None or (trace.is_static(self) and trace.is_static(other)):
            return value
        return Comparison(self, op, other, value)

    return compare


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(self: Any, *args: Any) -> Any:
        raise refusal(what)

    return refuse


def _guarded_random(trace: Trace, draw: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any) -> Any:
        if not trace.drawing:
            raise refusal(
                "a random number was drawn while tracing",
                "It would be frozen into the compiled program and replayed every call. Draw "
                "it with autograd.random_constant(lambda: ...), which draws again on every "
                "replay (nn.Dropout does), or call this function without compiling it.",
            )
        return draw(*args)

    return guarded


class tracing:  # noqa: N801  (a context manager, like no_grad)
    """Record ``trace`` while the block runs; refuse what a replay cannot reproduce.

    Everything it changes (the node hook, ``Value.data``, the conversions and comparisons of
    Values, random draws) is put back on exit, even on error.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.saved: list[tuple[Any, str, Any]] = []

    def _patch(self, owner: Any, name: str, value: Any) -> None:
        self.saved.append((owner, name, owner.__dict__.get(name, _MISSING)))
        setattr(owner, name, value)

    def __enter__(self) -> Trace:
        if _ACTIVE[0] is not None:
            raise TracingError("autograd.compile: a compiled function was called while tracing")
        trace, plain_init, plain_detach = self.trace, Value.__init__, Value.detach

        def init(v: Value, data: Any, *args: Any, **kwargs: Any) -> None:
            alias = id(data) in trace.placeholders or id(data) in trace.aliases
            plain_init(v, _slot_get(data) if alias else data, *args, **kwargs)
            if v._a is not None:  # built by hand: micrograd's Value(3.0, (a, b), "+")
                raise refusal(
                    "a node built by hand, Value(data, children, op), holds a number the "
                    "replay would not recompute", "Build it with the op instead (a + b, "
                    "a * b, ...), or call this function without compiling it."
                )
            trace.new_leaf(v, data if alias else None)

        def detach(v: Value) -> Value:
            leaf = plain_detach(v)
            trace.mark_detached(leaf, v)
            return leaf

        self._patch(Value, "data", _checked_data(trace))
        self._patch(Value, "__init__", init)
        self._patch(Value, "detach", detach)
        number = "needs the number inside a traced Value"
        self._patch(Value, "__float__", _refuse(f"`float(v)` {number}"))
        self._patch(Value, "item", _refuse(f"`v.item()` {number}"))
        self._patch(Value, "__bool__", _refuse("`if v:` (bool(v)) tests a traced Value"))
        self._patch(Value, "backward", _refuse("`backward()` inside a compiled function (the "
                                               "compiled step runs backward itself)"))
        for op, name in (("<", "__lt__"), ("<=", "__le__"), (">", "__gt__"), (">=", "__ge__")):
            self._patch(Value, name, _compare(op))
        for name in ("random", "getrandbits"):
            self._patch(random.Random, name, _guarded_random(trace, getattr(random.Random, name)))
            self._patch(random, name, _guarded_random(trace, getattr(random, name)))
        _ACTIVE[0] = trace
        modes.set_tracer(trace.record)
        return trace

    def __exit__(self, *exc: object) -> None:
        modes.set_tracer(None)
        _ACTIVE[0] = None
        for owner, name, old in reversed(self.saved):
            if old is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, old)
        self.saved.clear()


_MISSING = object()


# ---- the helpers: the same meaning traced or not ---------------------------------------------


def branch_value(branch: Any) -> Value:
    """A branch of ``where``: a Value, a number (a constant), or a function returning one."""
    value = branch() if callable(branch) else branch
    if isinstance(value, Value):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Value(float(value))
    raise TypeError(f"where: a branch must give a Value or a number, got {type(value).__name__}")


def where(condition: Any, if_true: Any, if_false: Any) -> Value:
    """``if_true`` where the condition holds, else ``if_false``: a choice a compiled replay
    makes again, per element, for every new input (``np.where``, ``jnp.where``).

    ``condition`` is a comparison of Values (``x >= 0``, ``a < b``) or a bool. A branch is a
    Value, a number, or a function of no arguments returning one; a function is called only
    when its branch is chosen (while tracing, both are called, so the replay has both).
    Gradients flow to the chosen branch only; none flows through the condition.

    >>> x = Value(3.0)
    >>> y = where(x > 0, lambda: x * x, 0.0); y.data
    9.0
    >>> y.backward(); x.grad
    6.0
    """
    if isinstance(condition, Comparison):
        trace = _ACTIVE[0]
        if trace is not None:
            return trace.where(condition, if_true, if_false)
        condition = condition.value
    elif isinstance(condition, Value):
        raise TypeError("where: condition must be a comparison such as `x > 0`, or a bool")
    return branch_value(if_true if condition else if_false)


def _position(index: Any, n: int) -> int:
    i = index.data if isinstance(index, Value) else index
    if isinstance(i, bool) or not isinstance(i, numbers.Real) or not float(i).is_integer():
        raise TypeError(f"pick: index must be a whole number, got {i!r:.60}")
    if not 0 <= i < n:
        raise IndexError(f"pick: index {int(i)} is out of range for {n} values")
    return int(i)


def pick(values: Iterable[Any], index: Any) -> Value:
    """``values[index]``, where index is a whole number or a Value holding one (a class
    target): a compiled replay picks again with each call's index. Gradients flow to the
    picked value only.

    >>> v = [Value(1.0), Value(5.0), Value(7.0)]
    >>> pick(v, Value(2.0)).data, pick(v, 0) is v[0]
    (7.0, True)
    """
    vals = [x if isinstance(x, Value) else Value(float(x)) for x in values]
    chosen = vals[_position(index, len(vals))]
    trace = _ACTIVE[0]
    if trace is not None and not trace.is_static(index):
        return trace.pick(vals, index, chosen)
    return chosen


def require(
    values: Iterable[Any], test: Callable[[Any], Any], message: Callable[[int, Any], str]
) -> None:
    """Raise ``ValueError(message(i, x))`` for the first value x (a number, or a Value's data)
    where ``test(x)`` is false; a compiled replay checks each call's values again.

    ``test`` must also work elementwise on a numpy array: write it with comparisons and
    ``&``, ``|``, ``~`` (not ``and``/``or``/chained comparisons).

    >>> require([1.0, -1.0], lambda y: (y == 1) | (y == -1), lambda i, y: f"label {i} = {y}")
    >>> require([1.0, 0.0], lambda y: (y == 1) | (y == -1), lambda i, y: f"label {i} = {y}")
    Traceback (most recent call last):
    ...
    ValueError: label 1 = 0.0
    """
    vals = list(values)
    for i, v in enumerate(vals):
        x = v.data if isinstance(v, Value) else v
        if not test(x):
            raise ValueError(message(i, x))
    trace = _ACTIVE[0]
    if trace is not None and not all(map(trace.is_static, vals)):
        trace.requires.append((vals, test, message))


def random_constant(draw: Callable[[], Any]) -> Value:
    """A constant leaf with the value ``draw()`` returns; a compiled replay calls ``draw``
    again every time, in the same order, so random masks are fresh (and the same as
    uncompiled runs with the same seed). nn.Dropout draws its masks with it.

    >>> rng = random.Random(0)
    >>> random_constant(lambda: rng.random() < 0.5).data
    0.0
    """
    trace = _ACTIVE[0]
    if trace is None:
        return Value(draw())
    return trace.random_constant(draw)

