"""autograd.compile: trace a loss function once, then replay it as numpy array programs.

A training step builds the same graph every time; only the numbers change. ``compile(fn)``
runs ``fn`` once with the ordinary engine, recording its graph (``autograd.tracing``), and
turns the graph into a short program of numpy operations (``autograd.compiler``): the nodes
of one op at one depth become one array operation, and the weighted sums that share weight
rows across samples become a matrix product. Later calls with arguments of the same shapes
run that program on the new numbers and the parameters' current values.

Measured with ``benchmarks/moons.py`` (micrograd's demo step: MLP(2, [16, 16, 1]), 100 points,
hinge + L2; 2 shared cores, Python 3.11, collector on; medians of three runs):

=====================================================  ===========  ==================
what                                                   ms           ratio
=====================================================  ===========  ==================
micrograd 0.1.0, one step                              1,812
nn.fit on the scalar engine, one step                  33.7         55x micrograd
compiled step + micrograd's SGD update                 0.166        8,756x micrograd
compiled forward + backward / numpy by hand            0.164/0.080  2.1x numpy
first call: trace and build                            84           2.8 nn.fit steps
=====================================================  ===========  ==================

Where the rest of the time goes, and the 1,000-point and width-64 rows:
``benchmarks/README.md``.

>>> from autograd import Value
>>> w = Value(0.5)
>>> step = compile(lambda xs: sum((w * x - 1).relu() for x in xs))
>>> step([1.0, 4.0, 6.0]), w.grad         # relu(-0.5) + relu(1) + relu(2); d/dw = 4 + 6
(3.0, 10.0)
>>> step([3.0, 4.0, 5.0]), w.grad         # replayed: new numbers, gradients accumulate
(3.0, 22.0)
"""

from __future__ import annotations

import gc
import numbers
from collections.abc import Callable
from itertools import chain
from operator import attrgetter
from typing import Any

from .engine import Value
from .modes import MODES
from .tracing import Trace, tracing

__all__ = ["compile", "CompiledFunction"]

_get_data, _get_grad = attrgetter("data"), attrgetter("grad")


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ModuleNotFoundError(
            "autograd.compile needs numpy, which is not installed; install the extra: "
            'pip install "chainrule[compile]"'
        ) from None
    return numpy


def compile(fn: Callable[..., Any]) -> CompiledFunction:  # noqa: A001  (autograd.compile)
    """``fn``'s forward and backward as array programs: ``step = compile(fn)``.

    ``step(*args)`` returns what ``fn(*args).data`` would, and adds into the ``.grad`` of every
    leaf Value ``fn`` reads from outside (parameters) what ``fn(*args).backward()`` would.
    ``fn`` returns the loss (a Value), or a pair ``(loss, extra)`` where ``extra`` is a Value
    or a (nested) list of Values, returned as floats: ``loss, preds = step(X, y)``.

    Arguments are numbers and (nested) lists, tuples or numpy arrays of numbers; inside
    ``fn`` they arrive as Values in the same structure. Other arguments (strings, None, ...)
    are passed as they are and are part of the cache key. The first call with a given
    structure traces ``fn``; later calls replay; see ``CompiledFunction``.

    >>> from autograd import Value, linear
    >>> w, b = [Value(0.5), Value(-1.0)], Value(0.0)
    >>> step = compile(lambda X: sum(linear(w, x, b).relu() for x in X))
    >>> step([[2.0, 0.5], [1.0, -1.0]]), [p.grad for p in (*w, b)]   # relu(0.5) + relu(1.5)
    (2.0, [3.0, -0.5, 2.0])
    >>> print(step.program().splitlines()[4])  # doctest: +NORMALIZE_WHITESPACE
    t3 = A0 @ W1.T + b1  # (2, 1)  matrix product: 2 linear nodes = 2 rows x 1 weight row
    """
    if not callable(fn):
        raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
    _numpy()
    return CompiledFunction(fn)


class CompiledFunction:
    """A function compiled by ``autograd.compile``: call it like the function.

    - ``program()``: the array program of the last call, one numpy statement per line, each
      with the shape it makes and the scalar nodes it covers.
    - ``traces``: how many times ``fn`` was traced (once per argument structure).
    - ``clear()``: forget every program (say, after changing what ``fn`` does).

    Python code in ``fn`` runs only while tracing: values it reads from elsewhere (a module's
    training flag, which parameters it uses) are frozen into the program, like ``jax.jit``.
    Inside ``detect_anomaly()`` a call runs the ordinary engine, so errors name the op.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.traces = 0
        self._cache: dict[tuple, _Compiled] = {}
        self._last: _Compiled | None = None

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"CompiledFunction({name}, programs={len(self._cache)})"

    def clear(self) -> None:
        """Forget the compiled programs: the next call traces again."""
        self._cache.clear()
        self._last = None

    def __call__(self, *args: Any) -> Any:
        if MODES.anomaly:
            return _interpreted(self.fn, args)
        if not MODES.recording:
            raise RuntimeError(
                "autograd.compile: a compiled step computes gradients; call it outside "
                "no_grad() (for predictions without gradients, call the function itself)"
            )
        np = _numpy()
        key, arrays = _structure(args, np)
        compiled, drawn = self._cache.get(key), None
        if compiled is None:
            compiled, drawn = self._trace(args, arrays, key)
        from .compiler.runtime import Retrace

        try:
            result = compiled(arrays, drawn)
        except Retrace:  # a where needs a branch the trace could not build: trace again
            compiled, drawn = self._trace(args, arrays, key)
            result = compiled(arrays, drawn)
        self._last = compiled
        return result

    def _trace(self, args: tuple, arrays: list, key: tuple) -> tuple[_Compiled, list[float]]:
        """Trace fn with these arguments and compile it; also the random numbers the trace
        drew, which this call uses (drawing again would skip ahead of the uncompiled run)."""
        from .compiler import build_program

        trace = Trace()
        traced_args = [_placeholders(a, arr, k, trace)
                       for k, (a, arr) in enumerate(zip(args, arrays))]
        collecting = gc.isenabled()
        gc.disable()  # (the graph has no cycles: the collector would only rescan it)
        try:
            with tracing(trace):
                result = self.fn(*traced_args)
            root, aux = _outputs(result)
            shapes = [None if arr is None else arr.shape for arr in arrays]
            built = build_program(trace, root, [] if aux is None else _flat_aux(aux), shapes)
        finally:
            if collecting:
                gc.enable()
        compiled = _Compiled(built, aux)
        self.traces += 1
        self._cache[key] = compiled
        return compiled, [leaf.data for leaf, _ in trace.random]

    def program(self) -> str:
        """The array program of the last call, as numpy text with what each line covers."""
        if self._last is None:
            raise RuntimeError("program(): the compiled function has not been called yet")
        return self._last.listing()


def _interpreted(fn: Callable[..., Any], args: tuple) -> Any:
    """The ordinary engine, for detect_anomaly: the same results, errors naming ops."""
    root, aux = _outputs(fn(*args))
    root.backward()
    if aux is None:
        return root.data
    return root.data, _floats(aux)


def _floats(aux: Any) -> Any:
    if isinstance(aux, Value):
        return aux.data
    if isinstance(aux, (list, tuple)):
        return [_floats(a) for a in aux]
    return float(aux)


def _outputs(result: Any) -> tuple[Value, Any]:
    """The loss Value and the extra outputs (None) of what fn returned."""
    aux = None
    if isinstance(result, tuple) and len(result) == 2:
        result, aux = result
    if not isinstance(result, Value):
        raise TypeError(
            f"autograd.compile: the function must return a Value (the loss), or a pair "
            f"(loss, extra); it returned {type(result).__name__}"
        )
    return result, aux


# ---- arguments: their structure (the cache key) and their numbers -----------------------------


def _structure(args: tuple, np: Any) -> tuple[tuple, list]:
    """The cache key of the arguments and, per argument, its numbers as an array (None for
    an argument passed as it is)."""
    key, arrays = [], []
    for a in args:
        if isinstance(a, Value):
            raise TypeError(
                "autograd.compile: pass numbers, not Values, as arguments (the Values a "
                "function reads from outside, its parameters, are found by tracing)"
            )
        if isinstance(a, (list, tuple, np.ndarray)):
            try:
                arr = _rows(a, np) if type(a) is list else np.asarray(a, dtype=float)
            except (ValueError, TypeError):
                arr, shape = _ragged(a, np)
                key.append(("ragged", shape))
            else:
                key.append((type(a), arr.shape))
            arrays.append(arr)
        elif isinstance(a, numbers.Real):
            key.append((float, ()))
            arrays.append(np.asarray(float(a)))
        else:
            key.append(("static", a))
            arrays.append(None)
    return tuple(key), arrays


def _rows(a: list, np: Any) -> Any:
    """A list of numbers, or of equally long lists of numbers, as an array (fast paths of
    np.asarray for the common argument shapes)."""
    if a and type(a[0]) is list:
        n = len(a[0])
        if n and set(map(type, a)) == {list} and set(map(len, a)) == {n} and (
            type(a[0][0]) is not list
        ):
            return np.fromiter(chain.from_iterable(a), float, len(a) * n).reshape(len(a), n)
    elif a and type(a[0]) is not list and type(a[0]) is not tuple:
        return np.fromiter(a, float, len(a))
    return np.asarray(a, dtype=float)


def _ragged(a: Any, np: Any) -> tuple[Any, Any]:
    """Lists of different lengths: their numbers flat, and the nesting as the key."""
    flat: list[float] = []

    def walk(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return (type(x).__name__, tuple(walk(e) for e in x))
        if isinstance(x, numbers.Real) and not isinstance(x, Value):
            flat.append(float(x))
            return None
        raise TypeError(
            f"autograd.compile: arguments must be numbers or (nested) lists of numbers; "
            f"found {type(x).__name__} {x!r:.40}"
        )

    shape = walk(a)
    return np.array(flat, dtype=float), shape


def _placeholders(a: Any, arr: Any, k: int, trace: Trace) -> Any:
    """The argument as fn sees it while traced: the same structure, Values for numbers."""
    if arr is None:
        return a
    values = [Value(x) for x in arr.reshape(-1).tolist()]
    for pos, v in enumerate(values):
        trace.placeholders[id(v)] = (k, pos)
    if arr.ndim == 0 and not isinstance(a, (list, tuple)) and not hasattr(a, "ndim"):
        return values[0]
    it = iter(values)

    def rebuild(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return type(x)(rebuild(e) for e in x)
        if hasattr(x, "ndim") and x.ndim > 0:
            return [rebuild(e) for e in x]
        if isinstance(x, Value):
            raise TypeError("autograd.compile: pass numbers, not Values, as arguments")
        return next(it)

    return rebuild(a)


# ---- one compiled program --------------------------------------------------------------------


class _Compiled:
    """One argument structure's program: fills the buffers, runs, hands gradients back."""

    def __init__(self, built: Any, aux: Any) -> None:
        self.built = built
        plan = built.plan
        self.params = built.params
        gets_grad = [plan.from_root[i] and plan.to_param[i] for i in plan.params]
        self.grad_params = [v for v, g in zip(self.params, gets_grad) if g]
        self.grad_index = [k for k, g in enumerate(gets_grad) if g]
        self.all_grads = len(self.grad_index) == len(self.params)
        self.inputs = [(t.buffer, k) for k, t in enumerate(plan.args) if t is not None]
        self.p, self.gp, self.r = plan.p.buffer, plan.p.grad, plan.r.buffer
        self.draws = built.draws
        self.run = built.program.run
        self.aux_template = _template(aux)  # (not the traced Values: the graph is freed)

    def __call__(self, arrays: list, drawn: list[float] | None = None) -> Any:
        import numpy as np

        if self.params:
            self.p[:] = np.fromiter(map(_get_data, self.params), float, len(self.params))
        for buffer, k in self.inputs:
            buffer[...] = arrays[k]
        if self.draws:
            self.r[:] = [draw() for draw in self.draws] if drawn is None else drawn
        loss, aux = self.run()
        self._add_grads(np)
        if self.aux_template is None:
            return loss
        return loss, _rebuild(self.aux_template, iter(aux))

    def _add_grads(self, np: Any) -> None:
        """Leaves accumulate, as backward() does: p.grad += d loss / d p."""
        params = self.grad_params
        if not params:
            return
        grads = (self.gp if self.all_grads else self.gp[self.grad_index]).tolist()
        p = None
        try:
            for p, g in zip(params, grads):
                p.grad += g
        except TypeError:  # a grad of None (torch's "no grad yet"): from that one on
            k = next(k for k, q in enumerate(params) if q is p)
            for q, g in zip(params[k:], grads[k:]):
                q.grad = g if q.grad is None else q.grad + g

    def listing(self) -> str:
        return self.built.listing()


_SLOT = object()  # in an extra output's template: a Value's place


def _template(aux: Any) -> Any:
    if aux is None or isinstance(aux, Value):
        return aux if aux is None else _SLOT
    if isinstance(aux, (list, tuple)):
        return [_template(a) for a in aux]
    return aux


def _rebuild(template: Any, values: Any) -> Any:
    if template is _SLOT:
        return next(values)
    if isinstance(template, (list, tuple)):
        return [_rebuild(t, values) for t in template]
    return float(template)


def _flat_aux(aux: Any) -> list[Value]:
    """The Values of an extra output, in order (numbers in it are returned as they are)."""
    if isinstance(aux, Value):
        return [aux]
    if isinstance(aux, (list, tuple)):
        return [v for a in aux for v in _flat_aux(a)]
    if isinstance(aux, numbers.Real):
        return []
    raise TypeError(
        f"autograd.compile: the extra output must be Values or (nested) lists of Values, "
        f"found {type(aux).__name__}"
    )

