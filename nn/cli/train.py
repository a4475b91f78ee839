"""``chainrule train``: train an MLP on a toy set or a CSV, or evaluate a saved one (--load)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from autograd import Value

from .. import data
from ..layers import MLP
from ..module import load_model, read_model_file
from ..plot import plot_gradient_flow, plot_history
from ..train import EarlyStopping, evaluate, fit, make_optimizer, make_scheduler
from .common import PROG, CLIError, compiled_steps, percent, require_matplotlib, require_tqdm
from .datasets import (
    DATASETS,
    Dataset,
    check_loss,
    data_and_loss,
    default_loss,
    load_data,
    n_outputs,
    targets,
    task_words,
)
from .output import (
    Output,
    check_save_path,
    cli_section,
    save_model,
    versions,
    write_json,
    write_summary,
)
from .pictures import neuron_pictures, outcome_plots

HELP = """\
Train an MLP on a toy data set or your CSV, show progress, and write the same pictures as
the demo: loss.png, decision_boundary.png (2-D inputs), fit.png (regression), grad_flow.png
(--grad-flow), neuron.svg and explorer.html (the first hidden neuron), summary.json.

Default loss: bce_with_logits for two classes, cross_entropy for more, mse for regression.
Labels are converted for the loss (hinge: -1/+1). --val-split holds out part of the data,
reported each epoch. --save writes the model (JSON, never pickle) with what is needed to
evaluate it again: --load evaluates a saved model on the data the flags name (no training).

--data FILE.csv: numeric columns, the target in the last one, an optional header row; blank
lines and lines starting with # are skipped. Integer targets (at most 20 distinct) are
classes, anything else a regression (--task overrides). Features are standardised (the
model file keeps the mean and std).

examples:
  chainrule train --dataset moons --hidden 16,16 --epochs 100
  chainrule train --dataset spirals --hidden 32,32 --optimizer adam --lr 0.02 --epochs 200
  chainrule train --dataset iris --loss cross_entropy --save iris.json
  chainrule train --dataset iris --load iris.json
  chainrule train --dataset sine --activation tanh --loss mse --epochs 300
  chainrule train --data points.csv --optimizer sgd --lr 0.1 --momentum 0.9 --batch-size 32
"""


def run(args: argparse.Namespace) -> int:
    """Train the MLP the flags describe and write its pictures and summary (or, with --load,
    evaluate a saved model).

    >>> import tempfile
    >>> from nn.cli.parser import build_parser
    >>> flags = ["train", "--dataset", "xor", "--samples", "20", "--epochs", "2", "--hidden",
    ...          "2", "--no-progress", "--out", tempfile.mkdtemp()]
    >>> run(build_parser().parse_args(flags))  # doctest: +ELLIPSIS
    chainrule train: xor (2-class classification, 16 train / 4 validation), MLP(2, [2, 1]) ...
    final: train loss ...
    0
    """
    started = time.perf_counter()
    require_matplotlib("train")
    if not args.no_progress and args.load is None:
        require_tqdm("train")
    if args.load is not None:
        return _evaluate_saved(args, started)
    check_save_path(args.save)  # --save and --out are checked before training, not after it
    out = Output(args.out)
    ds, loss = data_and_loss(args)
    hidden = [16, 16] if args.hidden is None else args.hidden
    model = MLP(
        len(ds.X[0]), [*hidden, n_outputs(loss, ds)], activation=args.activation or "relu",
        output_activation="sigmoid" if loss == "bce" else None, init=args.init or "uniform",
        dropout=args.dropout or 0.0, seed=args.seed,
    )
    opt = _make_optimizer(args, model.parameters())
    sched = _make_scheduler(args, opt)
    X_tr, y_tr, X_val, y_val = _split(args, ds, targets(loss, ds))  # noqa: N806
    val = (X_val, y_val) if args.val_split > 0 else None
    callbacks = _callbacks(args, val)
    _print_plan(args, ds, model, loss, opt, len(X_tr), len(X_val) if val else None)
    t0 = time.perf_counter()
    history = fit(
        model, X_tr, y_tr, loss=loss, optimizer=opt, epochs=args.epochs,
        batch_size=args.batch_size, scheduler=sched, clip_grad_norm=args.clip_grad_norm,
        l2=args.l2, val_data=val, callbacks=callbacks, progress=not args.no_progress,
        seed=args.seed, track_grad_flow=args.grad_flow, compile=compiled_steps(args),
    )
    train_time = time.perf_counter() - t0
    metrics = _final_metrics(model, loss, (X_tr, y_tr), val, history, train_time)
    config = _train_config(args, ds, loss, hidden, model.nouts[-1], opt)
    if args.save is not None:  # first: the trained model is never lost for a picture
        save_model(model, args.save, ds, loss)
    config["neuron_drawn"] = _pictures(args, model, ds, history, (X_val, y_val), out)
    summary = {"command": "train", "config": config, "seed": args.seed, "metrics": metrics}
    write_summary(out, summary, train_time, started)
    if args.save is not None:
        again = f"--data {args.data} " if args.data else ""
        print(f"saved the model to {args.save} "
              f"(evaluate it: {PROG} train {again}--load {args.save})")
    return 0


# ---- before training: optimiser, schedule, split, callbacks -------------------------------------


def _make_optimizer(args: argparse.Namespace, params: list[Value]) -> Any:
    """--optimizer with --lr, --momentum, --nesterov and --weight-decay; unset flags leave the
    optimiser's defaults (AdamW's weight decay is 0.01, the others' 0)."""
    name = args.optimizer
    if name != "sgd" and (args.momentum is not None or args.nesterov):
        raise CLIError(f"--momentum and --nesterov apply to --optimizer sgd, not {name}")
    if args.nesterov and not args.momentum:
        raise CLIError("--nesterov needs --momentum > 0")
    flags = {"momentum": args.momentum, "nesterov": args.nesterov or None,
             "weight_decay": args.weight_decay}
    options = {key: value for key, value in flags.items() if value is not None}
    return make_optimizer(name, params, args.lr, **options)


def _make_scheduler(args: argparse.Namespace, opt: Any) -> Any:
    """--schedule with --gamma, --step-size and --warmup, once the flags fit together."""
    gamma = args.gamma
    if args.schedule == "linear" and gamma is not None and not 0 < gamma <= 1:
        raise CLIError(
            f"--schedule linear: --gamma (the final lr factor) must be in (0, 1], got {gamma}"
        )
    if args.schedule == "constant" and (gamma is not None or args.step_size is not None):
        raise CLIError("--gamma and --step-size need --schedule step, exponential or linear")
    return make_scheduler(args.schedule, opt, args.epochs, gamma=gamma,
                          step_size=args.step_size, warmup=args.warmup)


def _split(args: argparse.Namespace, ds: Dataset, y: list) -> tuple[list, list, list, list]:
    """(X_train, y_train, X_val, y_val): --val-split of the data held out, stratified by class."""
    if not args.val_split > 0:
        return ds.X, y, [], []
    stratify = ds.y if ds.task != "regression" else None
    try:
        X_tr, X_val, y_tr, y_val = data.train_test_split(  # noqa: N806
            ds.X, y, test_size=args.val_split, seed=args.seed, stratify=stratify
        )
    except ValueError as exc:
        raise CLIError(f"--val-split {args.val_split}: {exc}") from None
    return X_tr, y_tr, X_val, y_val


def _callbacks(args: argparse.Namespace, val: tuple | None) -> list[Any]:
    if args.patience is None:
        return []
    if val is None:
        raise CLIError("--patience watches the validation loss: it needs --val-split > 0")
    return [EarlyStopping("val_loss", patience=args.patience)]


def _print_plan(args: argparse.Namespace, ds: Dataset, model: MLP, loss: str, opt: Any,
                n_train: int, n_val: int | None) -> None:
    opt_name = f"{args.optimizer} lr {opt.param_groups[0]['lr']:g}"
    split = f"{n_train} train / {n_val} validation" if n_val is not None else f"{n_train} train"
    print(
        f"{PROG} train: {ds.name} ({task_words(ds)}, {split}), "
        f"MLP({model.nin}, {model.nouts}) {args.activation or 'relu'}, "
        f"{len(model.parameters())} parameters; loss {loss}, {opt_name}, {args.epochs} epochs"
        + (f", batch {args.batch_size}" if args.batch_size else ""),
        flush=True,
    )


# ---- after training: metrics, pictures, summary -------------------------------------------------


def _final_metrics(model: MLP, loss: str, train: tuple, val: tuple | None, history: Any,
                   train_time: float) -> dict[str, Any]:
    """Print the final line; returns the metrics summary.json records."""
    train_metrics = evaluate(model, *train, loss=loss)
    val_metrics = evaluate(model, *val, loss=loss) if val else None
    stopped = f" (early stop at epoch {len(history)})" if history.stopped_early else ""
    print(f"final: {_metric_line('train', train_metrics)}"
          + (f"; {_metric_line('validation', val_metrics)}" if val_metrics else "")
          + f"; trained in {train_time:.1f} s{stopped}")
    return {
        "train": train_metrics, "validation": val_metrics, "epochs": len(history),
        "stopped_early": history.stopped_early,
        "history": {k: history[k] for k in history.columns if k not in ("time", "grad_flow")},
    }


def _metric_line(name: str, metrics: dict[str, float]) -> str:
    text = f"{name} loss {metrics['loss']:.4f}"
    if "accuracy" in metrics:
        text += f", accuracy {percent(metrics['accuracy'])}"
    return text


def _pictures(args: argparse.Namespace, model: MLP, ds: Dataset, history: Any,
              val: tuple[list, list], out: Output) -> str:
    """loss.png, the outcome plot, grad_flow.png, the neuron's pictures; returns what was drawn."""
    out.save_figure(plot_history(_plot_records(history), title=f"{ds.name}: training"), "loss.png",
                    "loss (and accuracy) per epoch, train and validation")
    outcome_plots(model, ds, *val, out)
    if args.grad_flow:
        out.save_figure(plot_gradient_flow(history, title="gradient flow"), "grad_flow.png",
                        "mean |grad| of each layer's weights per epoch")
    return neuron_pictures(model, ds.X, ds.feature_names, out)


def _plot_records(history: Any) -> list[dict[str, Any]]:
    """The history for plot_history, without the learning-rate panel when the rate never moved."""
    records = history.to_list()
    if len({r.get("lr") for r in records}) <= 1:
        for r in records:
            r.pop("lr", None)
    return records


def _train_config(args: argparse.Namespace, ds: Dataset, loss: str, hidden: list[int],
                  nout: int, opt: Any) -> dict[str, Any]:
    return {
        "dataset": ds.name, "data": args.data, "samples": len(ds.X), "task": ds.task,
        "classes": ds.classes, "features": ds.feature_names,
        "noise": None if args.data else args.noise, "standardized": ds.mean is not None,
        "model": f"MLP({len(ds.X[0])}, {[*hidden, nout]})", "hidden": hidden,
        "activation": args.activation or "relu", "init": args.init or "uniform",
        "dropout": args.dropout or 0.0, "loss": loss, "optimizer": args.optimizer,
        "lr": opt.defaults["lr"], "momentum": args.momentum, "nesterov": args.nesterov,
        "weight_decay": opt.defaults.get("weight_decay"), "schedule": args.schedule,
        "warmup": args.warmup, "epochs": args.epochs, "batch_size": args.batch_size,
        "l2": args.l2, "clip_grad_norm": args.clip_grad_norm, "val_split": args.val_split,
        "patience": args.patience,
    }


# ---- train --load -------------------------------------------------------------------------------


def _evaluate_saved(args: argparse.Namespace, started: float) -> int:
    """``train --load``: evaluate a saved model on the data the flags name; no training."""
    path = args.load
    model, meta = _read_model(path)
    if args.dataset is None and args.data is None and meta.get("dataset") in DATASETS:
        args.dataset = meta["dataset"]  # evaluate on the toy set it was trained on
    arch = model.architecture()
    _check_model_flags(args, arch, path)
    ds = load_data(args, meta)
    loss = _saved_loss(args, meta, ds, path)
    _check_model_fits(model, ds, loss, path)
    out = Output(args.out)
    metrics = evaluate(model, ds.X, targets(loss, ds), loss=loss)
    print(f"{PROG} train --load {path}: MLP({model.nin}, {model.nouts}) {arch['activation']}, "
          f"{len(model.parameters())} parameters")
    print(f"evaluated on {ds.name} ({len(ds.X)} samples): {_metric_line('loss', metrics)[5:]}")
    outcome_plots(model, ds, [], [], out)
    summary = {
        "command": "train --load", "model": path, "seed": args.seed,
        "config": {"dataset": ds.name, "data": args.data, "samples": len(ds.X), "loss": loss,
                   "standardized": ds.mean is not None, "architecture": arch},
        "metrics": {"evaluation": metrics},
        "wall_time_s": {"total": time.perf_counter() - started},
        "versions": versions(),
        "files": [name for name, _ in out.files] + ["summary.json"],
    }
    write_json(out.path("summary.json"), summary)
    out.wrote("summary.json", "the evaluation's metrics")
    print(out.finish())
    return 0


def _read_model(path: str) -> tuple[Any, dict[str, Any]]:
    """The saved MLP and what the CLI recorded with it (empty for a file saved by a script)."""
    if not Path(path).exists():
        raise CLIError(f"--load {path}: no such file")
    model = load_model(path)  # ValueError with the file's problem, reported as one line
    if not isinstance(model, MLP):
        raise CLIError(f"--load {path}: holds a {type(model).__name__}, expected an MLP")
    return model, cli_section(read_model_file(path), path)


def _check_model_flags(args: argparse.Namespace, arch: dict[str, Any], path: str) -> None:
    """--hidden and --activation, when given with --load, must be what the file holds."""
    mismatch = []
    if args.hidden is not None and args.hidden != arch["nouts"][:-1]:
        mismatch.append(f"--hidden {','.join(map(str, args.hidden)) or 0} but the file has "
                        f"{arch['nouts'][:-1]}")
    if args.activation is not None and args.activation != arch["activation"]:
        mismatch.append(f"--activation {args.activation} but the file has {arch['activation']}")
    if mismatch:
        raise CLIError(f"--load {path}: another architecture: {'; '.join(mismatch)}")


def _saved_loss(args: argparse.Namespace, meta: dict[str, Any], ds: Dataset, path: str) -> str:
    """--loss, else the loss the model was trained with, else the data's default."""
    loss = args.loss or meta.get("loss") or default_loss(ds.task)
    try:
        check_loss(loss, ds)
    except CLIError:
        if args.loss:
            raise
        trained = f"{meta.get('dataset')!r} ({meta.get('task')})" if meta else "another task"
        raise CLIError(
            f"--load {path}: the model was trained for {trained} with loss {loss}, which does "
            f"not fit {ds.name} ({task_words(ds)}); pass --loss to evaluate it another way"
        ) from None
    return loss


def _check_model_fits(model: MLP, ds: Dataset, loss: str, path: str) -> None:
    if model.nin != len(ds.X[0]):
        raise CLIError(
            f"--load {path}: the model takes {model.nin} inputs but {ds.name} has "
            f"{len(ds.X[0])} features (another architecture)"
        )
    if model.nouts[-1] != n_outputs(loss, ds):
        raise CLIError(
            f"--load {path}: the model has {model.nouts[-1]} outputs but {ds.name} with loss "
            f"{loss} needs {n_outputs(loss, ds)} (another architecture)"
        )
