"""Engine benchmark: ns per node (forward, backward) and bytes per node, chainrule vs micrograd.

Two graphs, each at several sizes (the size is the number of nodes, i.e. Values, that the
forward pass creates):

- chain: ``y = y * 1.0001 + 0.1`` repeated; every step makes 4 nodes (two constants, ``*`` and
  ``+``) and the graph is as deep as it is large;
- sum:   ``sum(xs)`` over n - 1 leaves made beforehand: n - 1 ``+`` nodes and the constant 0.

For each graph, size and engine it reports the best of ``--repeats`` runs of the forward pass and
of ``backward()``, with the garbage collector on (the interpreter's default) and off, and the
bytes per node that the live graph holds after the forward pass (tracemalloc, a separate run).
It then prints micrograd's time / chainrule's time for forward + backward.

A third engine, ``floor`` (benchmarks/floor.py), is the least work an engine with one Python
object per node can do (+ and * only, no checks); micrograd / floor is the best ratio any such
engine can reach, so it shows which targets the interpreter allows.

micrograd 0.1.0 is benchmark-only (``pip install micrograd==0.1.0``); without it only chainrule
is measured. micrograd's topological sort is recursive, so the recursion limit is raised around
its ``backward()`` only (the whole benchmark runs in a thread with a large stack for that);
sizes where it still fails show ``RecursionError``.

Run:  python benchmarks/engine.py [--sizes 1000 10000 100000 1000000] [--repeats 3]
      [--gc both|on|off] [--quick]
The full run takes a few minutes; ``--quick`` takes about a second.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, use_fast_path  # noqa: E402
from benchmarks.floor import FloorValue  # noqa: E402

TARGETS = "targets: >= 5x micrograd with gc on, >= 2x with gc off, <= 250 bytes/node"


def load_micrograd() -> type | None:
    """micrograd's Value, or None (with a message) when it is not installed."""
    try:
        from micrograd.engine import Value as MValue
    except ImportError:
        print(
            "micrograd is not installed, so only chainrule is measured; for the comparison:\n"
            "    pip install micrograd==0.1.0   (benchmark-only, not a chainrule dependency)\n",
            file=sys.stderr,
        )
        return None
    return MValue


# ---- the two graphs ----------------------------------------------------------------------------


def chain_inputs(cls: type, nodes: int) -> list[Any]:
    return [cls(1.0)]


def chain_forward(inputs: list[Any], nodes: int) -> Any:
    y = inputs[0]
    for _ in range(nodes // 4):  # 4 nodes per step: 1.0001, y * 1.0001, 0.1, ... + 0.1
        y = y * 1.0001 + 0.1
    return y


def sum_inputs(cls: type, nodes: int) -> list[Any]:
    return [cls(float(i % 7) - 3.0) for i in range(nodes - 1)]


def sum_forward(inputs: list[Any], nodes: int) -> Any:
    return sum(inputs)  # 0 + x0 + x1 + ...: the constant 0 and one + node per leaf


GRAPHS: dict[str, tuple[Callable[..., list[Any]], Callable[..., Any], Callable[[int], int]]] = {
    # name: (make the inputs, the forward pass, how many nodes the forward pass creates)
    "chain": (chain_inputs, chain_forward, lambda n: 4 * (n // 4)),
    "sum": (sum_inputs, sum_forward, lambda n: n),
}


# ---- measuring ---------------------------------------------------------------------------------


def backward(engine: str, root: Any, depth: int) -> None:
    if engine != "micrograd":
        root.backward()
        return
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(max(saved, depth + 10_000))  # micrograd's build_topo recurses
    try:
        root.backward()
    finally:
        sys.setrecursionlimit(saved)


def time_once(engine: str, cls: type, graph: str, size: int, gc_on: bool) -> tuple[float, float]:
    """Seconds for one forward pass and one backward pass on a fresh graph."""
    if engine == "reference":  # chainrule on engine.py's plain path
        use_fast_path(False)
        try:
            return time_once("chainrule", cls, graph, size, gc_on)
        finally:
            use_fast_path(True)
    make_inputs, forward, _ = GRAPHS[graph]
    inputs = make_inputs(cls, size)
    gc.collect()  # start clean: no garbage left by the previous run
    if not gc_on:
        gc.disable()
    try:
        t0 = time.perf_counter()
        root = forward(inputs, size)
        t1 = time.perf_counter()
        backward(engine, root, size)
        t2 = time.perf_counter()
    finally:
        gc.enable()
    del root, inputs
    gc.collect()  # micrograd's graphs are reference cycles: free them outside the timing
    return t1 - t0, t2 - t1


def bytes_retained(cls: type, graph: str, size: int) -> float:
    """Bytes the live graph holds after the forward pass (the inputs excluded), per node."""
    make_inputs, forward, count = GRAPHS[graph]
    inputs = make_inputs(cls, size)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = forward(inputs, size)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del root, inputs
    gc.collect()
    return held / count(size)


def measure(engines: dict[str, type], sizes: list[int], repeats: int, gc_modes: list[bool]):
    """Every measurement, as rows of dicts; engines alternate inside each repeat."""
    rows = []
    for graph in GRAPHS:
        count = GRAPHS[graph][2]
        for size in sizes:
            nodes = count(size)
            memory = {name: bytes_retained(cls, graph, size) for name, cls in engines.items()}
            for gc_on in gc_modes:
                best: dict[str, Any] = {name: None for name in engines}
                for _ in range(repeats):
                    for name, cls in engines.items():
                        if best[name] == "RecursionError":
                            continue
                        try:
                            fwd, bwd = time_once(name, cls, graph, size, gc_on)
                        except RecursionError:
                            best[name] = "RecursionError"
                            gc.collect()
                            continue
                        old = best[name]
                        if old is not None:
                            fwd, bwd = min(old[0], fwd), min(old[1], bwd)
                        best[name] = (fwd, bwd)
                for name in engines:
                    rows.append(
                        {
                            "graph": graph,
                            "nodes": nodes,
                            "gc": "on" if gc_on else "off",
                            "engine": name,
                            "times": best[name],
                            "bytes": memory[name],
                        }
                    )
                print(f"  measured {graph} {nodes:,} nodes, gc {'on' if gc_on else 'off'}",
                      file=sys.stderr, flush=True)  # fmt: skip
    return rows


# ---- printing ----------------------------------------------------------------------------------


def ns(seconds: float, nodes: int) -> str:
    return f"{seconds / nodes * 1e9:,.0f}"


def print_tables(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'graph':<6} {'nodes':>10} {'gc':>3} {'engine':<10} "
        f"{'fwd ns/node':>12} {'bwd ns/node':>12} {'total ns/node':>14} {'bytes/node':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        t = r["times"]
        if isinstance(t, tuple):
            n = r["nodes"]
            fwd, bwd, total = ns(t[0], n), ns(t[1], n), ns(t[0] + t[1], n)
        else:
            fwd = bwd = total = str(t)
        print(
            f"{r['graph']:<6} {r['nodes']:>10,} {r['gc']:>3} {r['engine']:<10} "
            f"{fwd:>12} {bwd:>12} {total:>14} {r['bytes']:>11.0f}"
        )

    ours = {(r["graph"], r["nodes"], r["gc"]): r for r in rows if r["engine"] == "chainrule"}
    theirs = {(r["graph"], r["nodes"], r["gc"]): r for r in rows if r["engine"] == "micrograd"}
    floor = {(r["graph"], r["nodes"], r["gc"]): r for r in rows if r["engine"] == "floor"}
    if not theirs:
        print_paths(rows)
        return
    print()
    header = (
        f"{'graph':<6} {'nodes':>10} {'gc':>3} {'micrograd/chainrule: fwd':>25} "
        f"{'bwd':>6} {'fwd+bwd':>8} {'bytes':>6} {'micrograd/floor':>16}"
    )
    print(header)
    print("-" * len(header))
    for key, mine in ours.items():
        other = theirs[key]
        a, b = mine["times"], other["times"]
        if isinstance(a, tuple) and isinstance(b, tuple):
            fwd, bwd = f"{b[0] / a[0]:.2f}x", f"{b[1] / a[1]:.2f}x"
            total = f"{sum(b) / sum(a):.2f}x"
        else:
            fwd = bwd = total = "n/a"
        f = floor[key]["times"] if key in floor else None
        best = f"{sum(b) / sum(f):.2f}x" if isinstance(f, tuple) and isinstance(b, tuple) else "n/a"
        print(
            f"{key[0]:<6} {key[1]:>10,} {key[2]:>3} {fwd:>25} {bwd:>6} {total:>8} "
            f"{other['bytes'] / mine['bytes']:>5.2f}x {best:>16}"
        )
    print(TARGETS)
    print("micrograd/floor: the ratio of the leanest one-object-per-node engine (floor.py)")
    print_paths(rows)


def print_paths(rows: list[dict[str, Any]]) -> None:
    """The fast path against the reference path, where both were timed (--reference)."""
    def times(engine: str) -> dict[tuple, Any]:
        keyed = [((r["graph"], r["nodes"], r["gc"]), r) for r in rows]
        return {key: r["times"] for key, r in keyed if r["engine"] == engine}

    fast, ref = times("chainrule"), times("reference")
    if not ref:
        return
    print()
    print(f"{'graph':<6} {'nodes':>10} {'gc':>3} {'reference/fast: fwd':>20} {'bwd':>6} {'all':>6}")
    for key, a in fast.items():
        b = ref[key]
        print(
            f"{key[0]:<6} {key[1]:>10,} {key[2]:>3} {b[0] / a[0]:>19.2f}x {b[1] / a[1]:>5.2f}x "
            f"{sum(b) / sum(a):>7.2f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000],
        help="graph sizes in nodes (default: 1000 10000 100000 1000000)",
    )  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="runs per cell; the best counts")
    parser.add_argument("--gc", choices=["both", "on", "off"], default="both")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (smoke test)")
    parser.add_argument(
        "--reference", action="store_true",
        help="also time chainrule's plain reference path (engine.py) beside its fast path",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats = [100, 1_000], 1
    if args.repeats < 1 or min(args.sizes) < 4:
        parser.error(f"--repeats must be >= 1 and --sizes >= 4, got {args.repeats}, {args.sizes}")
    gc_modes = {"both": [True, False], "on": [True], "off": [False]}[args.gc]

    engines: dict[str, type] = {"chainrule": Value}
    if args.reference:
        engines["reference"] = Value
    mvalue = load_micrograd()
    if mvalue is not None:
        engines["micrograd"] = mvalue
    engines["floor"] = FloorValue
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"gc thresholds {gc.get_threshold()}, best of {args.repeats}, "
        f"engines: {', '.join(engines)}"
    )

    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["rows"] = measure(engines, args.sizes, args.repeats, gc_modes)
        except BaseException as exc:  # re-raised in the main thread
            result["error"] = exc

    # micrograd's recursion needs a deep C stack on Python < 3.11: run in a thread that has one
    try:
        threading.stack_size(1 << 30)
    except (ValueError, RuntimeError):
        pass  # the platform's default; sizes too deep for it show RecursionError
    worker = threading.Thread(target=run, name="benchmark")
    worker.start()
    worker.join()
    if "error" in result:
        raise result["error"]
    print_tables(result["rows"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
