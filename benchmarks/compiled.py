"""The compiled tier of the moons benchmark: ``autograd.compile`` against micrograd and against
the same maths written by hand in numpy (``numpy_step.py``), in the same run.

``moons.py`` adds two rows to its table ("chainrule (compiled)", "numpy by hand": whole
training steps with micrograd's SGD update) and prints, from this module:

- compiled step vs micrograd's step (the issue's target: >= 1000x);
- the compiled forward + backward vs numpy's forward + backward, timed alternately call by
  call so both see the same machine load (target: within 3x);
- the first call (tracing and building the program; the median of three new compiled
  steps) in nn.fit steps (target: <= 5).

``python benchmarks/moons.py --scale`` prints the same ratios at 100 and 1,000 points and at
hidden widths 16 and 64, and beside them the floor of any compiled step that keeps the
parameters in Values (``move_parameters``: reading every ``.data`` out and adding every
gradient back, timed in the same loop): "floor vs numpy" is (that + numpy) / numpy, the best
"vs numpy" such a step could reach if its array program cost no more than numpy's.
"""

from __future__ import annotations

import statistics
import time
from operator import attrgetter
from typing import Any

import numpy as np

import autograd
import nn
from nn import losses

from . import numpy_step  # type: ignore[attr-defined]

LAST: dict[str, Any] = {}  # details of the last runs, for the report
_get_data = attrgetter("data")


def mlp_from(weights: list) -> nn.MLP:
    """nn.MLP with ``moons.initial_weights``' numbers (``moons.mlp_from``)."""
    from benchmarks.moons import mlp_from as made  # (moons imports this module)

    return made(weights)


def loss_function(model: nn.MLP):
    """micrograd's demo loss on nn.MLP: hinge (mean) + 1e-4 * L2."""
    params = model.parameters()

    def loss_fn(X, y):
        return losses.hinge_loss([model(x) for x in X], y) + losses.l2_penalty(params, 1e-4)

    return loss_fn


def chainrule_compiled(weights, X, y, steps, gc_on):
    """Training steps of the compiled loss, with micrograd's SGD and learning-rate decay."""
    from benchmarks.moons import collector  # (moons imports this module)

    model = mlp_from(weights)
    params = model.parameters()
    warm_up()
    step = autograd.compile(loss_function(model))
    times, loss = [], None
    with collector(gc_on):
        for k in range(steps):
            t0 = time.perf_counter()
            for p in params:
                p.grad = 0.0
            loss = step(X, y)
            lr = 1.0 - 0.9 * k / steps
            for p in params:
                p.data -= lr * p.grad
            times.append(time.perf_counter() - t0)
        firsts = [times[0]] + [first_call(weights, X, y) for _ in range(2)]
    LAST["first_call"] = statistics.median(firsts)  # tracing and building, then one replay
    return times[1:] if len(times) > 1 else times, loss


def first_call(weights, X, y) -> float:
    """Seconds of a new compiled step's first call: trace, build the program, run it."""
    step = autograd.compile(loss_function(mlp_from(weights)))
    start = time.perf_counter()
    step(X, y)
    return time.perf_counter() - start


def warm_up() -> None:
    """Import the compiler's modules once (a one-time cost of the process, not of tracing:
    with bytecode caching off, compiling their source takes tens of milliseconds)."""
    w = autograd.Value(1.0)
    autograd.compile(lambda xs: (w * xs[0]).relu())([1.0])


def numpy_by_hand(weights, X, y, steps, gc_on):
    """The same steps in hand-written numpy (arrays made once, outside the timing)."""
    from benchmarks.moons import collector

    layers = numpy_step.layers_from(weights)
    Xa, ya = np.array(X, dtype=float), np.array(y, dtype=float)
    times, loss = [], None
    with collector(gc_on):
        for k in range(steps):
            t0 = time.perf_counter()
            loss, grads = numpy_step.forward_backward(layers, Xa, ya, 1e-4)
            numpy_step.sgd(layers, grads, 1.0 - 0.9 * k / steps)
            times.append(time.perf_counter() - t0)
    return times, loss


def numpy_matches_chainrule(weights, X, y) -> float:
    """The largest relative difference between numpy's and chainrule's loss and grads."""
    model = mlp_from(weights)
    loss = loss_function(model)(X, y)
    loss.backward()
    want = [loss.data] + [p.grad for p in model.parameters()]
    got_loss, grads = numpy_step.forward_backward(
        numpy_step.layers_from(weights), np.array(X, float), np.array(y, float), 1e-4
    )
    got = [got_loss] + numpy_step.flat_grads(grads)
    return max(abs(g - w) / (abs(w) + 1e-300) if w else abs(g) for g, w in zip(got, want))


def forward_backward_times(weights, X, y, calls: int = 400) -> tuple[float, ...]:
    """Median seconds of one compiled call with the data as lists (as the demo passes it),
    with it as numpy arrays, of one numpy forward + backward, and of ``move_parameters``
    alone: called in turn, so all four see the same machine load."""
    model = mlp_from(weights)
    step = autograd.compile(loss_function(model))
    layers = numpy_step.layers_from(weights)
    Xa, ya = np.array(X, dtype=float), np.array(y, dtype=float)
    step(X, y), step(Xa, ya)
    spare = mlp_from(weights).parameters()  # (their grads take the floor's additions)
    grads = np.zeros(len(spare))
    lists, arrays, theirs, moves = [], [], [], []
    clock = time.perf_counter
    for _ in range(calls):
        t0 = clock()
        step(X, y)
        t1 = clock()
        step(Xa, ya)
        t2 = clock()
        numpy_step.forward_backward(layers, Xa, ya, 1e-4)
        t3 = clock()
        move_parameters(spare, grads)
        t4 = clock()
        lists.append(t1 - t0)
        arrays.append(t2 - t1)
        theirs.append(t3 - t2)
        moves.append(t4 - t3)
    return tuple(statistics.median(t) for t in (lists, arrays, theirs, moves))


def move_parameters(params: list, grads: np.ndarray) -> np.ndarray:
    """The floor of any compiled step that leaves parameters in Values: read every ``.data``
    into an array and add a gradient array into every ``.grad`` (the fastest ways found in
    CPython: ``np.fromiter`` over ``attrgetter``, and a zip loop; ``map(setattr, ...)`` is
    no faster)."""
    data = np.fromiter(map(_get_data, params), float, len(params))
    for p, g in zip(params, grads.tolist()):
        p.grad += g
    return data


def report(results: dict[str, tuple], weights, X, y) -> None:
    """The compiled tier's ratios, after moons.py's table."""
    compiled_ms = results.get("chainrule (compiled)", (None,))[0]
    if compiled_ms is None:
        return
    micrograd_ms = results.get("micrograd 0.1.0", (None,))[0]
    fit_ms = results.get("chainrule (nn.fit)", (None,))[0]
    lists, arrays, theirs, _ = forward_backward_times(weights, X, y)
    parts = [f"{micrograd_ms / compiled_ms:,.0f}x micrograd"] if micrograd_ms else []
    loss, base = results["chainrule (compiled)"][1], results.get("micrograd 0.1.0", (0, None))[1]
    if isinstance(loss, float) and isinstance(base, float):
        parts.append(f"|loss - micrograd's| = {abs(loss - base):.1e}")
    parts.append(f"forward+backward {lists * 1e3:.3f} ms = {lists / theirs:.2f}x numpy by hand "
                 f"({theirs * 1e3:.3f} ms; data as arrays: {arrays * 1e3:.3f} ms = "
                 f"{arrays / theirs:.2f}x)")
    first = LAST.get("first_call")
    if first and fit_ms:
        parts.append(f"first call (trace + build) {first * 1e3:.0f} ms = "
                     f"{first * 1e3 / fit_ms:.1f} nn.fit steps")
    print(f"{'chainrule (compiled)':22} " + ", ".join(parts))
    print(f"{'numpy by hand':22} loss and grads equal chainrule's to "
          f"{numpy_matches_chainrule(weights, X, y):.1e} relative")


def scale(steps: int = 2, sizes=((100, 16), (1000, 16), (100, 64), (1000, 64))) -> int:
    """The compiled tier's ratios as the problem grows (collector on, as users run it)."""
    from benchmarks import moons

    print("compiled tier by size: MLP(2, [w, w, 1]), hinge + 1e-4 L2, collector on; "
          f"{steps} steps per engine (micrograd: 1)")
    header = (f"{'points':>6} {'width':>5} {'nodes':>9} {'micrograd ms':>12} {'compiled ms':>11} "
              f"{'vs micrograd':>12} {'fwd+bwd ms':>10} {'(arrays)':>8} {'numpy ms':>8} "
              f"{'vs numpy':>8} {'(arrays)':>8} {'first call':>10} {'nn.fit ms':>9} "
              f"{'in steps':>8} {'params in/out ms':>16} {'floor vs numpy':>14}")
    print(header)
    for points, width in sizes:
        X, y = moons.moons(points)
        weights = moons.initial_weights([2, width, width, 1])
        nodes = moons.count_nodes(weights, X, y)
        small = nodes < 2_000_000  # (micrograd's 600 bytes a node: 9 GB at 1,000 x 64)
        micro = _median_ms(moons.micrograd_engine, weights, X, y, 1) if small else None
        compiled_times, _ = chainrule_compiled(weights, X, y, steps + 1, True)
        compiled_ms = statistics.median(compiled_times) * 1e3
        first_ms = LAST["first_call"] * 1e3
        fit = _median_ms(moons.chainrule_library, weights, X, y, steps)
        lists, arrays, theirs, moves = forward_backward_times(weights, X, y, calls=300)
        micro_s = f"{micro:12,.0f}" if micro else f"{'-':>12}"
        vs = f"{micro / compiled_ms:11,.0f}x" if micro else f"{'-':>12}"
        print(f"{points:6} {width:5} {nodes:9,} {micro_s} {compiled_ms:11.3f} {vs} "
              f"{lists * 1e3:10.3f} {arrays * 1e3:8.3f} {theirs * 1e3:8.3f} "
              f"{lists / theirs:7.2f}x {arrays / theirs:7.2f}x "
              f"{first_ms:8.0f}ms {fit:9.1f} {first_ms / fit:8.1f} {moves * 1e3:16.3f} "
              f"{(moves + theirs) / theirs:13.2f}x")
    return 0


def _median_ms(engine, weights, X, y, steps) -> float | None:
    try:
        times, _ = engine(weights, X, y, steps, True)
    except ImportError:
        return None
    return statistics.median(times) * 1e3
