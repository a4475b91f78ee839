"""Process-wide switches: no_grad, detect_anomaly, hooks, and which backward path runs.

``use_fast_path`` and the mode blocks all end in ``_install``, the ONE place that decides
which code makes nodes (``engine.NODE_HOOK``, ``Value.__add__``/``__mul__``) and which pass
``Value.backward`` runs (``engine.PASSES``). With every mode off, no flag is tested per node
on the fast path: ``+`` and ``*`` are backward.py's written-out ones; while a mode is on they
are engine.py's, which go through ``make_node`` and its hook. (A flag test inside the fast
``+`` and ``*`` instead of swapping them costs 4.1% of the chain graph's forward pass in
instructions, callgrind; ``make_node``, a function call anyway, tests ``NODE_HOOK``.)

Like the first wave's design, these are process-wide (PyTorch's are per thread): run one
training at a time per process.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import math
import sys
import weakref
from collections.abc import Callable, Generator
from typing import Any, TypeVar

from . import backward as fast
from . import engine
from .engine import (
    HOOKS,
    PASSES,
    RULES,
    Value,
    backpropagate,
    chain_rule,
    set_grads,
    topological_order,
)  # fmt: skip

__all__ = [
    "no_grad", "enable_grad", "detect_anomaly", "use_fast_path", "fast_path_on",
    "register_hook", "RemovableHandle", "MODES", "check_gradient", "raise_summed", "set_tracer",
]  # fmt: skip

F = TypeVar("F", bound=Callable[..., Any])


class _Modes:
    recording = True  # False inside no_grad(): ops keep no inputs, so no graph is built
    anomaly = False  # True inside detect_anomaly(): non-finite results raise
    fast_path = True  # backward.py's written-out + and * and its backward pass
    tracer: Callable[[Value], Value] | None = None  # sees every new node while compile traces
    # node -> the user's source line, recorded under anomaly; weak, so graphs still go away
    origins: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()


MODES = _Modes()
_PLAIN_ADD, _PLAIN_MUL = Value.__add__, Value.__mul__  # engine.py's, through make_node


def _install() -> None:
    """Make nodes and run backward as the switches say (the one place that chooses)."""
    normal = MODES.recording and not MODES.anomaly and MODES.tracer is None
    engine.NODE_HOOK = None if normal else _mode_node
    if MODES.recording and not MODES.anomaly and MODES.tracer is not None:
        engine.NODE_HOOK = MODES.tracer  # (tracing alone: straight to the recorder)
    fast_ops = MODES.fast_path and normal  # (the fast + and * do not call make_node)
    Value.__add__ = fast.add if fast_ops else _PLAIN_ADD  # type: ignore[method-assign]
    Value.__mul__ = fast.mul if fast_ops else _PLAIN_MUL  # type: ignore[method-assign]
    PASSES.backward = fast.backward if MODES.fast_path else backpropagate
    if not normal:
        PASSES.backward = _backward_in_mode


def use_fast_path(on: bool = True) -> None:
    """Run backward.py's fast path (the default) or engine.py's plain reference path.

    Both give the same gradients, bit for bit; the reference path is the one to read.

    >>> use_fast_path(False); fast_path_on()
    False
    >>> use_fast_path(True); fast_path_on()
    True
    """
    MODES.fast_path = bool(on)
    _install()


def fast_path_on() -> bool:
    """Whether ``Value.backward`` and ``+``/``*`` run the fast path (``use_fast_path``)."""
    return MODES.fast_path


def set_tracer(tracer: Callable[[Value], Value] | None) -> None:
    """Show every new node to ``tracer`` (autograd.compile's recorder), or stop (None)."""
    MODES.tracer = tracer
    _install()


def set_modes(recording: bool, anomaly: bool) -> None:
    """Switch no_grad / detect_anomaly on or off (use the context managers, not this)."""
    MODES.recording, MODES.anomaly = recording, anomaly
    if not anomaly:
        MODES.origins.clear()
    _install()


# ---- the mode blocks --------------------------------------------------------------------


class _ModeContext:
    """Base of the mode blocks: restores the previous modes on exit, even on error.

    Also a decorator, with or without parentheses (``@no_grad()``, ``@no_grad``). On a
    generator function it covers the generator's body each time it runs, as PyTorch's do;
    while the generator is paused at a ``yield``, its caller runs in its own mode.
    """

    recording: bool | None = None
    anomaly: bool | None = None

    def __new__(cls, fn: Any = None) -> Any:
        self = super().__new__(cls)
        if fn is None:
            return self
        if not callable(fn):
            raise TypeError(f"{cls.__name__}() takes no arguments, got {fn!r:.60}")
        self.__init__()
        return self(fn)  # @no_grad without parentheses: the wrapped function

    def __init__(self, fn: Any = None) -> None:
        self._saved: list[tuple[bool, bool]] = []  # a stack: one instance may be entered twice

    def __enter__(self) -> _ModeContext:
        self._saved.append((MODES.recording, MODES.anomaly))
        recording = MODES.recording if self.recording is None else self.recording
        anomaly = MODES.anomaly if self.anomaly is None else self.anomaly
        set_modes(recording, anomaly)
        return self

    def __exit__(self, *exc: object) -> None:
        set_modes(*self._saved.pop())

    def __call__(self, fn: F) -> F:
        mode = self.__class__
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                return (yield from _resumed_in_mode(mode, fn(*args, **kwargs)))

            return generator  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _resumed_in_mode(mode: type[_ModeContext], gen: Generator[Any, Any, Any]) -> Generator:
    """Run generator ``gen`` with ``mode`` on each time its body runs (sent values, thrown
    exceptions and close() passed through), and off while it is paused."""
    resume = functools.partial(gen.send, None)
    while True:
        try:
            with mode():
                out = resume()
        except StopIteration as stop:
            return stop.value
        try:
            sent = yield out
        except GeneratorExit:
            with mode():
                gen.close()
            raise
        except BaseException as exc:  # thrown in by the caller: into gen, in the mode
            resume = functools.partial(gen.throw, exc)
        else:
            resume = functools.partial(gen.send, sent)


class no_grad(_ModeContext):  # noqa: N801  (named like torch.no_grad)
    """Inside this block (or a function decorated with it) ops record no graph.

    Use it for evaluation and for optimiser updates: it saves time and memory.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y.inputs
    (4.0, ())
    >>> @no_grad()
    ... def predict(v):
    ...     return v * 3
    >>> predict(x).inputs
    ()
    """

    recording = False


class enable_grad(_ModeContext):  # noqa: N801
    """Turn recording back on inside a ``no_grad`` block.

    >>> with no_grad():
    ...     with enable_grad():
    ...         y = Value(1.0) + 1
    >>> len(y.inputs)
    2
    """

    recording = True


class detect_anomaly(_ModeContext):  # noqa: N801
    """Raise at the first op whose result, forward or backward, is NaN or infinite.

    The error names the op, its inputs and the line of your code that created the node.
    Slower than normal; use it to find where a NaN comes from. A backward that raises
    changes no gradient.

    >>> x = Value(0.0)
    >>> with detect_anomaly():
    ...     y = x.sqrt()          # fine forward: sqrt(0) = 0
    ...     y.backward()          # but its slope at 0 is infinite
    Traceback (most recent call last):
    ...
    FloatingPointError: detect_anomaly: op 'sqrt' produced gradient inf in the backward pass ...
    """

    anomaly = True


# ---- what no_grad and detect_anomaly do to each new node ---------------------------------

_PACKAGE_DIR = __file__.rsplit("/", 1)[0]


def user_line() -> str:
    """'file:line: code' of the innermost caller outside the autograd package (where a
    node was made, for detect_anomaly; where a traced Value was read, for compile)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}: {code}" if code else f"{filename}:{lineno}"


def _mode_node(v: Value) -> Value:
    """engine.NODE_HOOK while a mode is on: no_grad drops the inputs, detect_anomaly checks,
    and a tracer (autograd.compile) records."""
    if not MODES.recording:
        v._a = v._b = None
    if MODES.anomaly and v._op:  # (a constant is not an op's result)
        where = user_line()
        if not math.isfinite(v.data):
            inputs = ", ".join(repr(c.data) for c in v.inputs) or "(not recorded)"
            raise FloatingPointError(
                f"detect_anomaly: op '{v._op}' produced {v.data!r} in the forward pass "
                f"from inputs ({inputs}), at {where}"
            )
        if v._a is not None:
            MODES.origins[v] = where
    if MODES.tracer is not None:
        v = MODES.tracer(v)
    return v


# ---- backward under detect_anomaly --------------------------------------------------------


def _backward_in_mode(root: Value, grad: Any = 1.0, create_graph: bool = False) -> None:
    """backward() while a mode is on."""
    if create_graph and not MODES.recording:  # as in PyTorch: create_graph records anyway
        with enable_grad():
            return PASSES.backward(root, grad, create_graph)
    if MODES.anomaly:
        return _checked_backward(root, grad, create_graph)
    return (fast.backward if MODES.fast_path else backpropagate)(root, grad, create_graph)


def _checked_backward(root: Value, grad: Any = 1.0, create_graph: bool = False) -> None:
    """backward() while detect_anomaly is on: every gradient is checked before any is set."""
    engine.NODE_HOOK = None  # the derivative's own nodes are checked below, as gradients
    try:
        grads = chain_rule(root, grad, create_graph)
    finally:
        _install()
    leaves = []
    for node in reversed(topological_order(root)):  # nearest the output first, as it ran
        if node.is_leaf:
            leaves.append(node)
        else:
            check_gradient(node, grads[node])
    for leaf in leaves:  # a leaf is only summed: its contributions were checked above
        if not math.isfinite(_data(grads[leaf])):
            raise_summed(leaf, grads[leaf])
    set_grads(grads)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def check_gradient(node: Value, g: Any) -> None:
    """Under detect_anomaly: raise if ``node``'s gradient ``g``, or what it passes back to an
    input, is NaN or infinite (the message names the op, its inputs and where it was made)."""
    if not math.isfinite(_data(g)):  # every contribution was finite: their sum overflowed
        raise_summed(node, g)
    inputs = node.inputs
    for local in RULES[node.op](node.data, *[v.data for v in inputs]):
        contribution = _data(local) * _data(g)
        if not math.isfinite(contribution):
            where = MODES.origins.get(node, "<created outside detect_anomaly>")
            raise FloatingPointError(
                f"detect_anomaly: op '{node.op}' produced gradient {contribution!r} in the "
                f"backward pass (local derivative {_data(local)!r} x upstream gradient "
                f"{_data(g)!r}), inputs ({', '.join(repr(v.data) for v in inputs)}), "
                f"created at {where}"
            )


def raise_summed(node: Value, g: Any) -> None:
    """Raise: ``node``'s gradient ``g`` overflowed when the finite gradients of its uses were
    summed."""
    name = f"'{node.label}'" if node.label else f"the output of op '{node.op}'"
    if node.is_leaf:
        name = f"leaf {node.label!r}" if node.label else f"leaf Value({node.data!r})"
    where = MODES.origins.get(node, "")
    raise FloatingPointError(
        f"detect_anomaly: the gradient of {name} became {_data(g)!r} when the finite "
        f"contributions of its uses were summed in the backward pass"
        + (f"; created at {where}" if where else "")
    )


# ---- hooks ----------------------------------------------------------------------------------


class RemovableHandle:
    """What ``Value.register_hook`` returns: ``.remove()`` unregisters the hook (twice is fine)."""

    __slots__ = ("_node", "_hook")

    def __init__(self, node: Value, hook: Callable[[Any], Any]) -> None:
        self._node, self._hook = weakref.ref(node), hook

    def remove(self) -> None:
        """Unregister the hook."""
        node = self._node()
        hooks = HOOKS.get(node) if node is not None else None
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)
            if not hooks:  # (no hooks left anywhere: backward stops looking for them)
                del HOOKS[node]


def register_hook(self: Value, hook: Callable[[Any], Any]) -> RemovableHandle:
    """``Value.register_hook``: call ``hook(grad)`` when this node's gradient is complete in
    backward; a result other than None replaces the gradient passed on.

    >>> x = Value(2.0)
    >>> h = x.register_hook(lambda g: g * 10)
    >>> (x * 3).backward(); x.grad
    30.0
    >>> h.remove(); x.grad = 0.0; (x * 3).backward(); x.grad
    3.0
    """
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    HOOKS.setdefault(self, []).append(hook)
    return RemovableHandle(self, hook)


Value.register_hook = register_hook  # type: ignore[attr-defined]  (a method, kept with hooks)
_install()
