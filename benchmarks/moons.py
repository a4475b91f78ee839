"""micrograd's demo training step, timed for chainrule, micrograd 0.1.0 and PyTorch-as-scalars.

The workload (issue 8): MLP(2, [16, 16, 1]) on 100 two-moons points, hinge loss + 1e-4 * L2,
full batch, SGD with micrograd's learning-rate decay. Every engine starts from the same data
and the same initial weights, in ONE run, and the script prints the median ms per step, the
ratios, and the final losses (chainrule's must equal micrograd's to 1e-9).

Three chainrule tiers, and numpy:
- engine:   the user's own loop written with plain ops, exactly micrograd's demo code
- library:  ``nn.MLP`` trained by ``nn.fit`` (fused neurons, collector suspended per step)
- compiled: ``nn.MLP``'s loss compiled by ``autograd.compile`` (see compiled.py)
- numpy by hand: the same maths as numpy arrays (numpy_step.py), the compiled tier's yardstick

``--scale`` prints the compiled tier's ratios at 100 and 1,000 points and widths 16 and 64.

Run:  python benchmarks/moons.py [--steps 5] [--repeats 3] [--gc on|off|both] [--width 16]
      python benchmarks/moons.py --scale
micrograd and torch are benchmark-only: ``pip install micrograd==0.1.0 torch==2.13.0``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value  # noqa: E402
from autograd.engine import topological_order  # noqa: E402
from benchmarks import compiled  # noqa: E402


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles with labels -1/+1 (what micrograd's hinge loss wants)."""
    try:
        from nn.data import make_moons

        X, y = make_moons(n, noise=noise, seed=seed)
        return [list(map(float, row)) for row in X], [1 if t == 1 else -1 for t in y]
    except ImportError:  # before nn exists: the same construction inline
        rng = random.Random(seed)
        X, y = [], []
        for i in range(n):
            if i < n // 2:
                t = math.pi * i / (n // 2 - 1)
                X.append([math.cos(t), math.sin(t)])
                y.append(-1)
            else:
                t = math.pi * (i - n // 2) / (n - n // 2 - 1)
                X.append([1 - math.cos(t), 0.5 - math.sin(t)])
                y.append(1)
        X = [[a + rng.gauss(0, noise), b + rng.gauss(0, noise)] for a, b in X]
        return X, y


def initial_weights(sizes: list[int], seed: int = 1337) -> list[list[list[float]]]:
    """weights[layer][neuron] = [w0, ..., w_{nin-1}, b], micrograd's uniform(-1, 1), b = 0."""
    rng = random.Random(seed)
    return [
        [[rng.uniform(-1, 1) for _ in range(nin)] + [0.0] for _ in range(nout)]
        for nin, nout in zip(sizes[:-1], sizes[1:])
    ]


def mlp_from(weights: list):
    """nn.MLP with ``initial_weights``' numbers (per neuron: weights, then bias)."""
    import nn

    sizes = [len(weights[0][0]) - 1] + [len(layer) for layer in weights]
    model = nn.MLP(sizes[0], sizes[1:], seed=0)
    state = {}
    for li, layer in enumerate(weights):
        for ni, neuron in enumerate(layer):
            *w, b = neuron
            for wi, v in enumerate(w):
                state[f"layers.{li}.neurons.{ni}.w.{wi}"] = v
            state[f"layers.{li}.neurons.{ni}.b"] = b
    model.load_state_dict(state)
    return model


# ---- the demo written with plain ops, for any Value class (micrograd's nn, generalised) ----


class PlainMLP:
    def __init__(self, weights, make):
        self.layers = [[[make(w) for w in neuron] for neuron in layer] for layer in weights]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            out = []
            for neuron in layer:
                *w, b = neuron
                act = sum((wi * xi for wi, xi in zip(w, x)), b)  # micrograd's order
                out.append(act if last else act.relu())
            x = out
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for neuron in layer for p in neuron]


def demo_step(model, X, y, k, make, steps, backward, zero, update):
    """One of micrograd's demo steps: forward, hinge + L2, backward, SGD with decay."""
    inputs = [list(map(make, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    zero(model)
    backward(total)
    lr = 1.0 - 0.9 * k / steps
    update(model, lr)
    return total


@contextlib.contextmanager
def collector(on):
    """Run the block with Python's cyclic garbage collector on or off, then restore its state."""
    was = gc.isenabled()
    (gc.enable if on else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def run_plain(
    name, make, backward, zero, update, to_float, weights, X, y, steps, gc_on, make_input=None
):
    """Time each demo step; parameters are made by ``make``, inputs by ``make_input`` (or make)."""
    model = PlainMLP(weights, make)
    times, loss = [], None
    with collector(gc_on):
        for k in range(steps):
            t0 = time.perf_counter()
            total = demo_step(model, X, y, k, make_input or make, steps, backward, zero, update)
            times.append(time.perf_counter() - t0)
            loss = to_float(total)
            del total
    return times, loss


def sgd_update(model, lr):
    """micrograd's update, for chainrule's and micrograd's Values alike."""
    for p in model.parameters():
        p.data -= lr * p.grad


def chainrule_engine(weights, X, y, steps, gc_on):
    def zero(model):
        for p in model.parameters():
            p.grad = 0.0

    return run_plain(
        "chainrule",
        Value,
        lambda t: t.backward(),
        zero,
        sgd_update,
        lambda t: t.data,
        weights,
        X,
        y,
        steps,
        gc_on,
    )


def micrograd_engine(weights, X, y, steps, gc_on):
    from micrograd.engine import Value as MValue

    def zero(model):
        for p in model.parameters():
            p.grad = 0

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))  # micrograd's topological sort is recursive
    try:
        return run_plain(
            "micrograd",
            MValue,
            lambda t: t.backward(),
            zero,
            sgd_update,
            lambda t: t.data,
            weights,
            X,
            y,
            steps,
            gc_on,
        )
    finally:
        sys.setrecursionlimit(limit)


def torch_scalar_engine(weights, X, y, steps, gc_on):
    import torch

    torch.set_default_dtype(torch.float64)

    def make(v):
        return torch.tensor(float(v), requires_grad=True)

    def zero(model):
        for p in model.parameters():
            p.grad = None

    def update(model, lr):
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad

    def make_input(v):
        return torch.tensor(float(v))

    return run_plain(
        "torch",
        make,
        lambda t: t.backward(),
        zero,
        update,
        float,
        weights,
        X,
        y,
        steps,
        gc_on,
        make_input=make_input,
    )


def chainrule_library(weights, X, y, steps, gc_on):
    """nn.MLP (fused neurons) trained by nn.fit with the same weights, loss and schedule."""
    import nn
    from nn import losses, optim

    model = mlp_from(weights)
    opt = optim.SGD(model.parameters(), lr=1.0)
    # micrograd's decay lr = 1.0 - 0.9 k / steps is a linear schedule from 1.0 to 0.1
    sched = optim.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=steps)
    with collector(gc_on):
        history = nn.fit(
            model,
            X,
            y,
            loss=losses.hinge_loss,
            optimizer=opt,
            epochs=steps,
            scheduler=sched,
            l2=1e-4,
            progress=False,
            metrics=(),
        )
    times = list(history["time"])  # wall time of each epoch (= one full-batch step)
    return times, history["loss"][-1]


def count_nodes(weights, X, y) -> int:
    model = PlainMLP(weights, Value)
    inputs = [list(map(Value, row)) for row in X]
    scores = list(map(model, inputs))
    losses_ = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    total = sum(losses_) * (1.0 / len(losses_)) + 1e-4 * sum(p * p for p in model.parameters())
    return len(topological_order(total))


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5, help="training steps per run (default 5)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per engine; medians taken")
    ap.add_argument("--gc", choices=["on", "off", "both"], default="both")
    ap.add_argument("--width", type=int, default=16, help="hidden width (default 16)")
    ap.add_argument("--points", type=int, default=100, help="data points (default 100)")
    ap.add_argument(
        "--skip", default="", help="comma list of engines to skip: micrograd,torch,library,compiled"
    )
    ap.add_argument("--scale", action="store_true", help="the compiled tier's ratios by size")
    args = ap.parse_args(argv)
    if args.scale:
        return compiled.scale(args.steps)

    X, y = moons(args.points)
    sizes = [2, args.width, args.width, 1]
    weights = initial_weights(sizes)
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"chainrule moons benchmark: MLP(2, [{args.width}, {args.width}, 1]), "
        f"{args.points} points, "
        f"hinge + 1e-4 L2, full batch, {args.steps} steps x {args.repeats} repeats"
    )
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d')}; "
        f"graph nodes per step: {count_nodes(weights, X, y):,}"
    )

    engines = [("chainrule (engine)", chainrule_engine)]
    if "library" not in skip:
        engines.append(("chainrule (nn.fit)", chainrule_library))
    if "micrograd" not in skip:
        engines.append(("micrograd 0.1.0", micrograd_engine))
    if "torch" not in skip:
        engines.append(("PyTorch scalar", torch_scalar_engine))
    if "compiled" not in skip:
        engines.append(("chainrule (compiled)", compiled.chainrule_compiled))
        engines.append(("numpy by hand", compiled.numpy_by_hand))

    modes = {"on": [True], "off": [False], "both": [True, False]}[args.gc]
    for gc_on in modes:
        print(f"\n-- garbage collector {'ON (default)' if gc_on else 'OFF'} --")
        results = {}
        for name, fn in engines:
            try:
                all_times, loss = [], None
                for _ in range(args.repeats):
                    times, loss = fn(weights, X, y, args.steps, gc_on)
                    all_times += times
                results[name] = (median_ms(all_times), loss)
            except ImportError as exc:
                results[name] = (None, f"not installed ({exc.name})")
            except RecursionError:
                results[name] = (None, "RecursionError")
        print(f"{'engine':22} {'ms/step':>10} {'final loss':>22}")
        for name, (ms, loss) in results.items():
            ms_s = f"{'-':>10}" if ms is None else f"{ms:10.3f}" if ms < 10 else f"{ms:10.1f}"
            loss_s = f"{loss:22.15f}" if isinstance(loss, float) else f"{loss!s:>22}"
            print(f"{name:22} {ms_s} {loss_s}")
        base = results.get("micrograd 0.1.0", (None, None))
        ref_torch = results.get("PyTorch scalar", (None, None))
        for name in ("chainrule (engine)", "chainrule (nn.fit)"):
            if name not in results or results[name][0] is None:
                continue
            ms, loss = results[name]
            parts = []
            if base[0]:
                parts.append(f"{base[0] / ms:5.1f}x micrograd")
            if ref_torch[0]:
                parts.append(f"{ref_torch[0] / ms:5.1f}x PyTorch scalar")
            if isinstance(base[1], float) and isinstance(loss, float):
                parts.append(f"|loss - micrograd's| = {abs(loss - base[1]):.1e}")
            print(f"{name:22} " + ", ".join(parts))
        compiled.report(results, weights, X, y)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
