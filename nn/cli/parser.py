"""The ``chainrule`` argument parser: each subcommand's flags, with their checks and help."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..train import LOSSES, OPTIMIZERS, SCHEDULES
from . import demo, gpt, graph, search, train
from .common import PROG
from .datasets import DATASETS

_FORMATTER = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    """The ``chainrule`` argument parser, with its five subcommands.

    Each subcommand's namespace carries ``run`` (the function that runs it) and ``subparser``
    (for its usage errors).

    >>> args = build_parser().parse_args(["train", "--dataset", "iris", "--hidden", "8,8"])
    >>> args.command, args.dataset, args.hidden, args.epochs
    ('train', 'iris', [8, 8], 100)
    """
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_FORMATTER,
        description="chainrule: a scalar autograd engine and a small neural-network library, "
        "for learning backprop.",
        epilog="examples:\n  chainrule demo\n  chainrule train --dataset spirals --epochs 200\n"
        '  chainrule graph "tanh(x*w + b)" --set x=1 w=-3 b=2 -o graph.svg\n'
        '  chainrule search --dataset moons --grid "lr=0.1,0.01 hidden=8;16,16"\n'
        "  chainrule gpt --steps 1000 --save names.json\n\n"
        "Run chainrule COMMAND --help for each command's options.",
    )
    _add_debug(parser, top=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    _add_demo(sub)
    _add_train(sub)
    _add_graph(sub)
    _add_search(sub)
    _add_gpt(sub)
    return parser


def _subcommand(sub: Any, name: str, summary: str, module: Any) -> argparse.ArgumentParser:
    """A subcommand described by ``module.HELP`` and run by ``module.run``."""
    p = sub.add_parser(name, help=summary, description=module.HELP, formatter_class=_FORMATTER)
    p.set_defaults(run=module.run)
    return p


def _finish(p: argparse.ArgumentParser) -> None:
    _add_debug(p, top=False)
    p.set_defaults(subparser=p)


# ---- the subcommands ----------------------------------------------------------------------------


def _add_demo(sub: Any) -> None:
    p = _subcommand(sub, "demo", "train micrograd's demo and write its pictures (seconds)", demo)
    p.add_argument("--out", default="chainrule-out", metavar="DIR",
                   help="where to write the files (default: ./chainrule-out)")
    p.add_argument("--seed", type=int, default=1337,
                   help="seed of the data and the weights (default: 1337, as micrograd)")
    p.add_argument("--epochs", type=_int_at_least(1), default=100,
                   help="SGD steps on the whole set (default: 100)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-compile", action="store_true", help=NO_COMPILE)
    _finish(p)


def _add_train(sub: Any) -> None:
    p = _subcommand(sub, "train", "train an MLP on a toy set or a CSV, or evaluate a saved one",
                    train)
    _add_data_args(p)
    _add_model_args(p)
    g = p.add_argument_group("optimiser and schedule")
    g.add_argument("--momentum", type=_float_in(0.0, 1.0), default=None, help="SGD momentum")
    g.add_argument("--nesterov", action="store_true", help="Nesterov momentum (SGD)")
    g.add_argument("--weight-decay", type=_float_in(0.0), default=None,
                   help="the optimiser's weight decay (default: 0; adamw: 0.01)")
    g.add_argument("--schedule", choices=SCHEDULES, default="constant",
                   help="learning-rate schedule, stepped each epoch")
    g.add_argument("--gamma", type=_float_in(0.0, low_open=True), default=None,
                   help="step: factor every --step-size epochs (0.1); exponential: factor per "
                   "epoch (0.95); linear: final factor (0.1)")
    g.add_argument("--step-size", type=_int_at_least(1), default=None,
                   help="epochs between steps of --schedule step (default: a third)")
    g.add_argument("--warmup", type=_int_at_least(1), default=None,
                   help="warm the learning rate up linearly over this many epochs first")
    g = p.add_argument_group("evaluation and output")
    g.add_argument("--val-split", type=_float_in(0.0, 1.0), default=0.2,
                   help="fraction held out for validation (default: 0.2; 0 for none)")
    g.add_argument("--patience", type=_int_at_least(1), default=None,
                   help="stop when the validation loss has not improved for this many epochs")
    g.add_argument("--grad-flow", action="store_true",
                   help="record each layer's gradients and write grad_flow.png")
    g.add_argument("--save", metavar="MODEL.json", help="write the trained model here")
    g.add_argument("--load", metavar="MODEL.json",
                   help="evaluate this saved model on the data instead of training")
    g.add_argument("--out", default="chainrule-out", metavar="DIR",
                   help="where to write the files (default: ./chainrule-out)")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    g.add_argument("--no-compile", action="store_true", help=NO_COMPILE)
    _finish(p)


NO_COMPILE = ("run each training step on the scalar engine instead of compiling it to numpy "
              "array programs (autograd.compile: the same numbers, much faster; used when "
              "numpy is installed)")


def _add_graph(sub: Any) -> None:
    p = _subcommand(sub, "graph", "draw and differentiate an expression like tanh(x*w + b)",
                    graph)
    p.add_argument("expression", nargs="?", help='e.g. "tanh(x*w + b)" (quote it)')
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="the variables' values, e.g. --set x=1 w=-3 b=2")
    p.add_argument("-o", "--output", metavar="FILE", help="draw the graph to FILE (.svg, .png...)")
    p.add_argument("--html", metavar="FILE.html", help="write the backprop explorer page")
    p.add_argument("--rankdir", choices=("LR", "TB", "RL", "BT"), default="LR",
                   help="layout direction (default: LR, left to right)")
    p.add_argument("--color-grad", action="store_true",
                   help="colour the nodes by |grad| instead of by role")
    _finish(p)


def _add_search(sub: Any) -> None:
    p = _subcommand(sub, "search", "grid or random search of hyperparameters", search)
    p.add_argument("--grid", required=True, metavar='"NAME=V1,V2 ..."',
                   help='the values to try, e.g. "lr=0.1,0.01 hidden=8;16,16"')
    p.add_argument("--random", type=_int_at_least(1), default=None, metavar="N",
                   help="try N random grid points instead of all")
    p.add_argument("--cv", type=_int_at_least(2), default=3, help="folds (default: 3)")
    p.add_argument("--scoring", choices=("accuracy", "loss"), default=None,
                   help="rank by validation accuracy (default) or loss (regression)")
    p.add_argument("--jobs", type=_int_at_least(1), default=1,
                   help="local worker processes (default: 1)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the trials on this Dask scheduler")
    p.add_argument("--connect-timeout", type=_float_in(0.0, low_open=True), default=10.0,
                   help=argparse.SUPPRESS)
    _add_data_args(p)
    _add_model_args(p, search=True)
    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="DIR", default=None,
                   help="also write search.json and search.png here")
    g.add_argument("--save", metavar="MODEL.json",
                   help="refit the best candidate on all the data and save it")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _finish(p)


def _add_gpt(sub: Any) -> None:
    p = _subcommand(sub, "gpt", "train microgpt's GPT on first names and sample new ones", gpt)
    p.add_argument("--steps", type=_int_at_least(0), default=None,
                   help="training steps, one name each (default: 1000; with --load, 0)")
    p.add_argument("--lr", type=_float_in(0.0, low_open=True), default=0.01,
                   help="Adam's learning rate, decayed linearly to 0 (default: 0.01)")
    p.add_argument("--samples", type=_int_at_least(0), default=10,
                   help="names to sample after training (default: 10)")
    p.add_argument("--temperature", type=_float_in(0.0, low_open=True), default=0.5,
                   help="sampling temperature: lower is safer, higher wilder (default: 0.5)")
    p.add_argument("--seed", type=int, default=42,
                   help="seed of the names' order, the weights and the samples (default: 42)")
    p.add_argument("--save", metavar="MODEL.json", help="write the model and its tokenizer")
    p.add_argument("--load", metavar="MODEL.json", help="start from a model --save wrote")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _finish(p)


# ---- flags shared by train and search -----------------------------------------------------------


def _add_debug(p: argparse.ArgumentParser, top: bool) -> None:
    p.add_argument(
        "--debug", action="store_true", default=False if top else argparse.SUPPRESS,
        help="show the full traceback of an error",
    )


def _add_data_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    which = g.add_mutually_exclusive_group()
    which.add_argument("--dataset", choices=list(DATASETS), default=None,
                       help="a toy data set (default: moons; with --load, the model's)")
    which.add_argument("--data", metavar="FILE.csv",
                       help="train on your CSV instead (the last column is the target)")
    g.add_argument("--task", choices=("auto", "classification", "regression"), default="auto",
                   help="for --data: what the target is (default: auto)")
    g.add_argument("--samples", type=_int_at_least(2), default=200,
                   help="samples to generate (default: 200; iris has 150)")
    g.add_argument("--noise", type=_float_in(0.0), default=None,
                   help="noise of the toy set (default: its own)")
    g.add_argument("--classes", type=_int_at_least(2), default=None,
                   help="classes of spirals or blobs (default: 3)")
    g.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=None,
                   help="scale features to mean 0, std 1 (default: for iris and --data)")
    g.add_argument("--seed", type=int, default=0,
                   help="seed of the data, weights, shuffling and dropout (default: 0)")


def _add_model_args(p: argparse.ArgumentParser, search: bool = False) -> None:
    g = p.add_argument_group("model" + (" (defaults for the grid)" if search else ""))
    g.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="SIZES",
                   help="hidden layer sizes, e.g. 16,16 (0 for none; default: 16,16)")
    g.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu", "softplus"),
                   default=None, help="hidden activation (default: relu)")
    g.add_argument("--init", default=None,
                   choices=("uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform",
                            "kaiming_normal"),
                   help="weight initialisation (default: uniform, micrograd's U(-1, 1))")
    g.add_argument("--dropout", type=_float_in(0.0, 1.0), default=None,
                   help="dropout after each hidden layer while training (default: 0)")
    g = p.add_argument_group("training" + (" (defaults for the grid)" if search else ""))
    g.add_argument("--loss", choices=list(LOSSES), default=None,
                   help="default: bce_with_logits (2 classes), cross_entropy (more), mse")
    g.add_argument("--optimizer", choices=list(OPTIMIZERS), default="adam",
                   help="default: adam")
    g.add_argument("--lr", type=_float_in(0.0, low_open=True), default=None,
                   help=f"learning rate (default: {_default_lrs()})")
    g.add_argument("--epochs", type=_int_at_least(1), default=30 if search else 100,
                   help=f"passes over the data (default: {30 if search else 100})")
    g.add_argument("--batch-size", type=_int_at_least(1), default=None,
                   help="samples per step (default: all of them, one step per epoch)")
    g.add_argument("--l2", type=_float_in(0.0), default=0.0,
                   help="add l2 * sum(p^2) to the loss (micrograd's demo: 1e-4)")
    g.add_argument("--clip-grad-norm", type=_float_in(0.0, low_open=True), default=None,
                   help="clip the gradients' total norm to this before each step")


def _default_lrs() -> str:
    """The default learning rates of ``OPTIMIZERS``: "0.1 for sgd, 0.01 for adam/adamw"."""
    names: dict[float, list[str]] = {}
    for name, (_, lr) in OPTIMIZERS.items():
        names.setdefault(lr, []).append(name)
    return ", ".join(f"{lr:g} for {'/'.join(group)}" for lr, group in names.items())


def _version() -> str:
    from autograd import __version__

    return __version__


# ---- argument types: a bad value is a usage error (exit 2) --------------------------------------


def _int_at_least(least: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be >= {least}, got {value}")
        return value

    parse.__name__ = "int"  # argparse names the type in its messages
    return parse


def _float_in(low: float, high: float | None = None, low_open: bool = False) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or (high is not None and value >= high):
            bound = f"> {low:g}" if low_open else f">= {low:g}"
            if high is not None:
                bound += f" and < {high:g}"
            raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text}")
        return value

    parse.__name__ = "float"
    return parse


def _hidden_sizes(text: str) -> list[int]:
    """``"16,16"`` -> [16, 16]; ``"0"`` or ``"none"`` -> [] (no hidden layer)."""
    if text.strip().lower() in ("0", "none", ""):
        return []
    sizes = []
    for part in text.split(","):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected layer sizes like 16,16 (or 0 for none), got {text!r}"
            ) from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"each layer size must be >= 1, got {n} in {text!r}")
        sizes.append(n)
    return sizes
