"""GPT benchmark: microgpt's model trained one name per step, six engines and a floor, ONE run.

The engines, all from the same initial weights on the same names:

- ``reference``: ``benchmarks/gpt_reference.py``, a microgpt-style engine (a ``Value`` with
  ``__slots__ = (data, grad, _children, _local_grads)``, a recursive topological sort) and
  microgpt's model written once on top of it;
- ``chainrule (engine)``: that same model code on ``autograd.Value``, nothing else changed;
- ``chainrule (+linear)``: the same code with each dot product one ``autograd.linear`` node;
- ``nn.GPT``: ``nn.gpt.GPT`` (``linear``, ``softmax``, ``rms_scale`` and ``cross_entropy``
  nodes) trained with ``nn.optim.Adam`` and ``LinearLR``, ``model.loss(tokens).backward()``
  in a loop of your own; ``nn.GPT in nn.gpt.fit``: the same as ``nn.gpt.fit`` runs it, which
  pauses the cyclic collector around each step as ``nn.fit`` does (no graph of chainrule's
  holds a reference cycle, so nothing is left for it to find);
- ``compiled (autograd.compile)``: ``autograd.compile(model.loss)`` (compiled replay, numpy):
  the tokens are the step's arguments, so one trace serves every name of the same length;
  each length is traced once before the timed steps, and that first call is reported apart;
- ``floor (nn.GPT's graph)``: not an engine (``gpt_floor.py``): each name's ``nn.GPT`` graph
  replayed at the least cost an engine of one Python object per node can have (one object
  per node, a multiply-add per input, the marker sort; no ``exp``, no checks): reference /
  floor bounds the ratio any such engine can reach on this graph.

Each engine trains ``--steps`` steps (microgpt's Adam: betas 0.85/0.99, lr 0.01 decayed
linearly). Forward + backward of each step is timed with the collector on; the optimiser
step is not timed. ``gc.collect()`` runs before each engine's run (not timed), so no engine
pays for another's garbage, while each pays for its own within its run (the reference's
backward leaves every graph in a reference cycle, as microgpt's does, for the collector to
find). Times are CPU seconds of this process (``time.process_time``: steadier than the wall
clock while other programs run; both are printed). The run is repeated ``--repeats`` times,
engines in turn; the table gives the median over repeats of the mean ms per name, the spread
(min-max), and the ratio reference / engine of each repeat (median, min-max).

Correctness: every engine's per-step losses must equal the reference's to 1e-9 relative.
Memory: bytes the graph of one name holds after forward + backward (tracemalloc, a separate
pass), per step and per node, beside micrograd's bytes per node.

Run:  python benchmarks/gpt.py [--steps 20] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import autograd  # noqa: E402
from autograd import Value, linear, topological_order  # noqa: E402
from benchmarks.gpt_floor import GraphFloor  # noqa: E402
from benchmarks.gpt_reference import RefAdam, RefGPT, RefValue, init_weights  # noqa: E402
from nn import data  # noqa: E402
from nn.gpt import GPT, make_optimizer  # noqa: E402
from nn.tokenizer import CharTokenizer  # noqa: E402
from nn.train import collector_paused  # noqa: E402

TOLERANCE = 1e-9  # relative, per-step losses against the reference
FLOOR = "floor (nn.GPT's graph)"  # floor_run: not an engine; its losses are nn.GPT's
MICROGRAD_BYTES_PER_NODE = 584  # benchmarks/README.md (engine.py's chain graph, micrograd 0.1.0)


# ---- the engines: each gives (loss_and_backward(tokens) -> float, optimiser step) ------------


class Run:
    """One engine being trained: ``forward_backward(tokens)`` is timed, ``update()`` not."""

    def __init__(self, fb: Callable[[list[int]], float], update: Callable[[], None]) -> None:
        self.forward_backward, self.update = fb, update


def reference_run(weights: dict, n_head: int, steps: int, value: type, dot: Any = None) -> Run:
    model = (
        RefGPT(weights, n_head, value=value)
        if dot is None
        else RefGPT(weights, n_head, value=value, dot=dot)
    )
    opt = RefAdam(model.params, lr=0.01, steps=steps)

    def fb(tokens: list[int]) -> float:
        loss = model.loss(tokens)
        loss.backward()
        return loss.data

    return Run(fb, opt.step)


def gpt_run(weights: dict, n_head: int, steps: int, paused: bool = False) -> Run:
    model = GPT.from_microgpt(weights, n_head=n_head)
    opt, schedule = make_optimizer(model, steps)

    def fb(tokens: list[int]) -> float:
        with collector_paused() if paused else contextlib.nullcontext():
            loss = model.loss(tokens)
            loss.backward()
        return loss.data

    def update() -> None:
        with autograd.no_grad():
            opt.step()
        schedule.step()
        opt.zero_grad()

    return Run(fb, update)


def floor_run(weights: dict, n_head: int, docs: list[list[int]]) -> Run:
    """The floor (``gpt_floor.GraphFloor``): each name's ``nn.GPT`` graph, built before the
    timing, replayed at the least cost an engine of one object per node can have."""
    model = GPT.from_microgpt(weights, n_head=n_head)
    floors = {tuple(tokens): GraphFloor(model.loss(tokens)) for tokens in docs}
    return Run(lambda tokens: floors[tuple(tokens)].forward_backward(), lambda: None)


FIRST_CALLS: list[float] = []  # compiled: ms of each first call (trace and build), per length


def compiled_run(weights: dict, n_head: int, steps: int, docs: list[list[int]]) -> Run | None:
    compile_ = getattr(autograd, "compile", None)
    if compile_ is None:
        return None
    model = GPT.from_microgpt(weights, n_head=n_head)
    opt, schedule = make_optimizer(model, steps)
    step = compile_(model.loss)
    lengths = {len(tokens): tokens for tokens in docs}
    for tokens in lengths.values():  # one trace per length of name, before the timed steps
        start = time.process_time()
        step(tokens)
        FIRST_CALLS.append((time.process_time() - start) * 1e3)
    opt.zero_grad()

    def update() -> None:
        with autograd.no_grad():
            opt.step()
        schedule.step()
        opt.zero_grad()

    return Run(lambda tokens: float(step(tokens)), update)


def engines(
    weights: dict, n_head: int, steps: int, docs: list[list[int]]
) -> dict[str, Callable[[], Run | None]]:
    """Each engine's name and how to start a run of it (fresh weights every time)."""
    return {
        "reference": lambda: reference_run(weights, n_head, steps, RefValue),
        "chainrule (engine)": lambda: reference_run(weights, n_head, steps, Value),
        "chainrule (+linear)": lambda: reference_run(
            weights, n_head, steps, Value, dot=lambda ws, xs: linear(ws, xs)
        ),
        "nn.GPT": lambda: gpt_run(weights, n_head, steps),
        "nn.GPT in nn.gpt.fit": lambda: gpt_run(weights, n_head, steps, paused=True),
        "compiled (autograd.compile)": lambda: compiled_run(weights, n_head, steps, docs),
        FLOOR: lambda: floor_run(weights, n_head, docs),
    }


# ---- timing ----------------------------------------------------------------------------------


def train(run: Run, docs: list[list[int]]) -> tuple[list[float], float, float]:
    """(per-step losses, mean CPU ms per name, mean wall ms per name), forward + backward."""
    gc.collect()  # another engine's garbage is not this one's cost
    losses, cpu, wall = [], 0.0, 0.0
    for tokens in docs:
        c, w = time.process_time(), time.perf_counter()
        losses.append(run.forward_backward(tokens))
        cpu += time.process_time() - c
        wall += time.perf_counter() - w
        run.update()
    return losses, cpu / len(docs) * 1e3, wall / len(docs) * 1e3


def measure(makers: dict, docs: list[list[int]], repeats: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    names = list(makers)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order
            run = makers[name]()
            if run is None:
                continue
            losses, cpu, wall = train(run, docs)
            entry = results.setdefault(name, {"cpu": [], "wall": [], "losses": losses})
            entry["cpu"].append(cpu)
            entry["wall"].append(wall)
            del run
    return results


# ---- memory ----------------------------------------------------------------------------------


def graph_nodes(root: Any) -> int:
    if isinstance(root, Value):
        return len(topological_order(root))
    seen, stack = set(), [root]  # the reference's nodes: an explicit stack, no recursion
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node._children)
    return len(seen)


def memory(weights: dict, n_head: int, tokens: list[int]) -> dict[str, tuple[int, int]]:
    """Bytes held by one name's graph after forward + backward, and its node count."""
    models = {
        "reference": RefGPT(weights, n_head),
        "chainrule (engine)": RefGPT(weights, n_head, value=Value),
        "chainrule (+linear)": RefGPT(
            weights, n_head, value=Value, dot=lambda ws, xs: linear(ws, xs)
        ),
        "nn.GPT": GPT.from_microgpt(weights, n_head=n_head),
    }
    out = {}
    for name, model in models.items():
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            loss = model.loss(tokens)
            loss.backward()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        out[name] = (held, graph_nodes(loss))
        del loss
    return out


# ---- report ----------------------------------------------------------------------------------


def spread(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})"


def report(results: dict, mem: dict, steps: int) -> bool:
    ref = results["reference"]
    ref_losses = ref["losses"]
    print(f"\nforward + backward per name, mean over {steps} training steps, collector on")
    print(f"{'engine':<29}{'CPU ms/name':>22}{'wall ms/name':>24}{'x reference (CPU)':>26}")
    ok = True
    for name, entry in results.items():
        ratios = [a / b for a, b in zip(ref["cpu"], entry["cpu"])]
        print(
            f"{name:<29}{spread(entry['cpu']):>22}{spread(entry['wall']):>24}"
            f"{spread(ratios) + 'x':>26}"
        )
    print(f"\nper-step losses against the reference (tolerance {TOLERANCE:g} relative)")
    for name, entry in results.items():
        if name == FLOOR:
            print(f"{name:<29} (replays nn.GPT's graphs with their first-step weights)")
            continue
        worst = max(abs(a - b) / abs(b) for a, b in zip(entry["losses"], ref_losses))
        good = worst <= TOLERANCE
        ok &= good
        print(f"{name:<29} max relative difference {worst:.2e}  {'ok' if good else 'FAILED'}")
    print(f"first and last reference losses: {ref_losses[0]:.6f} ... {ref_losses[-1]:.6f}")
    print("\nmemory of one name's graph after forward + backward (tracemalloc)")
    print(f"{'engine':<29}{'bytes/step':>12}{'nodes':>9}{'bytes/node':>12}")
    for name, (held, nodes) in mem.items():
        print(f"{name:<29}{held:>12,}{nodes:>9,}{held / nodes:>12.0f}")
    print(f"(micrograd 0.1.0: {MICROGRAD_BYTES_PER_NODE} bytes per node, benchmarks/README.md)")
    if FIRST_CALLS:
        print(
            f"compiled: the first call for each length of name traces and builds its program: "
            f"median {statistics.median(FIRST_CALLS):.0f} ms ({min(FIRST_CALLS):.0f}-"
            f"{max(FIRST_CALLS):.0f}), done before the timed steps"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps (names) per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of every engine")
    parser.add_argument("--quick", action="store_true", help="2 steps, 1 repeat (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats = 2, 1
    if args.steps < 1 or args.repeats < 1:
        parser.error("--steps and --repeats must be >= 1")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 20_000))  # the reference recurses
    names = data.names(seed=42)
    tok = CharTokenizer.from_texts(names)
    docs = [tok.encode(name) for name in names[: args.steps]]
    weights = init_weights(tok.vocab_size, n_embd=16, n_layer=1, block_size=16, seed=42)
    print(
        f"microgpt's GPT: vocab {tok.vocab_size}, n_embd 16, n_head 4, n_layer 1, block 16; "
        f"{args.steps} names of {len(names)}; Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    makers = engines(weights, 4, args.steps, docs)
    if getattr(autograd, "compile", None) is None:
        print("compiled: this checkout has no autograd.compile (compiled replay): not measured")
    results = measure(makers, docs, args.repeats)
    mem = memory(weights, 4, docs[0])
    return 0 if report(results, mem, args.steps) else 1


if __name__ == "__main__":
    sys.exit(main())
