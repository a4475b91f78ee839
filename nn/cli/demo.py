"""``chainrule demo``: micrograd's demo network trained on two moons, with its pictures."""

from __future__ import annotations

import argparse
import time
from typing import Any

from .. import data, optim
from ..layers import MLP
from ..losses import l2_penalty
from ..plot import plot_decision_boundary, plot_history
from ..train import evaluate, fit
from .common import PROG, compiled_steps, percent, require_matplotlib, require_tqdm
from .output import Output, write_summary
from .pictures import neuron_pictures

HELP = """\
Train micrograd's demo network, MLP(2, [16, 16, 1]) with ReLU, on 100 two-moons points:
hinge loss + 1e-4 L2, plain SGD with the learning rate falling linearly from 1.0 to 0.1
over 100 full-batch steps. It prints the final loss and accuracy (100% with the default
seed) and writes to --out (./chainrule-out/):

  loss.png               loss, accuracy and learning rate at each step
  decision_boundary.png  the regions the network assigns to each moon, the points on top
  neuron.svg             the computation graph of one neuron (the first hidden one, on one
                         sample) after a backward from its output: every multiply, add and
                         relu with its data and grad, d(neuron)/d(node) (not the loss's)
  explorer.html          the same neuron in the backprop explorer: step through the forward
                         and backward pass in a browser (no network needed)
  summary.json           config, seed, final metrics and history, wall time, versions

Takes a few seconds; each training step runs as numpy array programs (autograd.compile)
when numpy is installed, --no-compile runs it on the scalar engine: the same numbers, about
30 times slower. The same --seed gives the same metrics. Needs matplotlib (and tqdm for
the progress bar): pip install "chainrule[plot,progress]". Without Graphviz's dot program the
rest is still written, neuron.svg and explorer.html are skipped with a warning, and
neuron.dot (the DOT text) is written instead.

examples:
  chainrule demo
  chainrule demo --out results --seed 7 --no-progress
"""

SAMPLES, ALPHA = 100, 1e-4  # micrograd's demo: 100 points, hinge loss + 1e-4 * sum(p^2)


def run(args: argparse.Namespace) -> int:
    """micrograd's demo: MLP(2, [16, 16, 1]) on two moons, hinge loss, SGD with a decaying rate.

    >>> import tempfile
    >>> from nn.cli.parser import build_parser
    >>> flags = ["demo", "--epochs", "1", "--no-progress", "--out", tempfile.mkdtemp()]
    >>> run(build_parser().parse_args(flags))  # doctest: +ELLIPSIS
    chainrule demo: MLP(2, [16, 16, 1]) (337 parameters) on 100 two-moons points; ...
    final: loss ...
    wrote to ...
    0
    """
    started = time.perf_counter()
    require_matplotlib("demo")
    if not args.no_progress:
        require_tqdm("demo")
    out = Output(args.out)
    seed, epochs = args.seed, args.epochs
    X, labels = data.make_moons(SAMPLES, noise=0.1, seed=seed)
    y = [2.0 * t - 1.0 for t in labels]  # hinge loss labels: -1 and +1
    model = MLP(2, [16, 16, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=1.0)
    # micrograd: lr = 1.0 - 0.9 * k / 100 at step k, i.e. linearly from 1.0 to 0.1
    sched = optim.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=epochs)
    print(
        f"{PROG} demo: MLP(2, [16, 16, 1]) ({len(model.parameters())} parameters) on {SAMPLES} "
        f"two-moons points; hinge loss + {ALPHA:g} L2, SGD with lr 1.0 -> 0.1 over {epochs} "
        f"steps, seed {seed}",
        flush=True,
    )
    t0 = time.perf_counter()
    history = fit(
        model, X, y, loss="hinge", optimizer=opt, scheduler=sched, epochs=epochs, l2=ALPHA,
        progress=not args.no_progress, seed=seed, compile=compiled_steps(args),
    )
    train_time = time.perf_counter() - t0
    metrics = _final_metrics(model, X, y, history)
    print(
        f"final: loss {metrics['loss']:.4f} (hinge {metrics['data_loss']:.4f} + L2 "
        f"{metrics['l2_loss']:.4f}), accuracy {percent(metrics['accuracy'])} "
        f"({round(metrics['accuracy'] * SAMPLES)}/{SAMPLES}); trained in {train_time:.1f} s"
    )
    drawn = _pictures(model, X, y, history, metrics, out)
    summary = {"command": "demo", "config": _config(epochs, drawn), "seed": seed,
               "metrics": metrics}
    write_summary(out, summary, train_time, started)
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _final_metrics(model: Any, X: list, y: list, history: Any) -> dict[str, Any]:
    """Loss (hinge + L2), accuracy and the history, as summary.json records them."""
    final = evaluate(model, X, y, loss="hinge")
    reg = l2_penalty(model.parameters(), ALPHA).data
    return {
        "loss": final["loss"] + reg, "data_loss": final["loss"], "l2_loss": reg,
        "accuracy": final["accuracy"], "epochs": len(history),
        "history": {k: history[k] for k in ("loss", "accuracy", "lr", "grad_norm")},
    }


def _pictures(model: Any, X: list, y: list, history: Any, metrics: dict, out: Output) -> str:
    """loss.png, decision_boundary.png, and the neuron's pictures; returns what was drawn."""
    out.save_figure(
        plot_history(history, title="micrograd's demo: two moons"),
        "loss.png", "loss and accuracy at each step (and the learning rate)",
    )
    out.save_figure(
        plot_decision_boundary(
            model, X, y, resolution=120,
            title=f"decision boundary: {percent(metrics['accuracy'])} correct",
        ),
        "decision_boundary.png", "the two classes the network carves out, the points on top",
    )
    return neuron_pictures(model, X, ["x0", "x1"], out)


def _config(epochs: int, drawn: str) -> dict[str, Any]:
    return {
        "dataset": "moons", "samples": SAMPLES, "noise": 0.1, "model": "MLP(2, [16, 16, 1])",
        "activation": "relu", "loss": "hinge", "l2": ALPHA, "optimizer": "sgd",
        "lr": {"start": 1.0, "end": 0.1, "schedule": "linear"}, "epochs": epochs,
        "batch_size": None, "neuron_drawn": drawn,
    }
