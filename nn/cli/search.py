"""``chainrule search``: grid or random search of MLP hyperparameters, and its --grid syntax."""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from ..messages import shown, unquoted
from ..search import MLPBuilder, SearchResult, format_table, grid_search, random_search
from ..train import LOSSES
from .common import PROG, CLIError, require_matplotlib, require_tqdm
from .datasets import (
    Dataset,
    check_loss,
    data_and_loss,
    losses_for,
    n_outputs,
    targets,
    task_words,
)
from .output import Output, check_save_path, save_model, write_json

HELP = """\
Grid or random search over MLP hyperparameters with cross-validation, printing the ranked
table. --grid takes space-separated name=values: commas separate values; with a ';' the
values are separated by ';' and each is a list (hidden=8;16,16 tries [8] and [16, 16]).
Names: hidden activation init dropout seed loss optimizer lr epochs batch_size l2
clip_grad_norm. The other flags are the defaults for what the grid does not set.

Trials run sequentially, on --jobs local processes, or on a Dask cluster (--scheduler, needs
pip install "chainrule[dask]"); the scores are the same everywhere. --random N tries N
distinct grid points instead of all of them.

examples:
  chainrule search --dataset moons --grid "lr=0.1,0.03,0.01 hidden=8;16,16" --cv 3 --jobs 2
  chainrule search --dataset iris --grid "activation=relu,tanh lr=0.1,0.01" --epochs 30
  chainrule search --dataset moons --grid "lr=0.3,0.1,0.03,0.01 hidden=4;8;16" --random 4
  chainrule search --dataset moons --grid "lr=0.1,0.01" --scheduler tcp://127.0.0.1:8786
"""


def run(args: argparse.Namespace) -> int:
    """Search the grid on the data the flags name; print the ranked table and the best trial.

    >>> from nn.cli.parser import build_parser
    >>> flags = ["search", "--dataset", "moons", "--samples", "30", "--grid", "lr=0.1,0.01",
    ...          "--cv", "2", "--epochs", "2", "--hidden", "2", "--no-progress"]
    >>> run(build_parser().parse_args(flags))  # doctest: +ELLIPSIS
    chainrule search: grid search on moons (2-class classification, 30 samples), 2-fold CV, ...
    rank    lr  accuracy     std  time_s
    ...
    best: lr=... (accuracy ...); searched in ... s
    0
    """
    grid = _grid(args)
    if not args.no_progress:
        require_tqdm("search")
    check_save_path(args.save)  # --save and --out are checked before searching, not after it
    if args.out is not None:
        require_matplotlib("search --out")
    out = Output(args.out) if args.out is not None else None
    ds, loss = data_and_loss(args)
    _check_grid_losses(args, loss, grid, ds)
    scoring = args.scoring or ("loss" if ds.task == "regression" else "accuracy")
    if scoring == "accuracy" and ds.task == "regression":
        raise CLIError("--scoring accuracy needs a classification; use --scoring loss")
    build = _builder(args, ds, loss, grid)
    result, t0 = _run_search(args, build, grid, ds, targets(loss, ds), scoring)
    print(format_table(result))
    best = result.best_trial
    if best is None:
        raise CLIError("every trial failed; see the error column")
    chosen = " ".join(f"{k}={best.param_text(k)}" for k in best.params)
    print(f"best: {chosen} ({scoring} {best.mean_score:.4f}); "
          f"searched in {time.perf_counter() - t0:.1f} s")
    if out is not None:
        _write_results(args, ds, scoring, result, out)
    if args.save is not None and result.best_model is not None:
        save_model(result.best_model, args.save, ds, str(best.params.get("loss", loss)))
        print(f"saved the best model, refit on all the data, to {args.save}")
    return 0


def _grid(args: argparse.Namespace) -> dict[str, list[Any]]:
    try:
        return parse_grid(args.grid)
    except ValueError as exc:
        args.subparser.error(f"--grid: {exc}")


def _check_grid_losses(args: argparse.Namespace, loss: str, grid: dict[str, list[Any]],
                       ds: Dataset) -> None:
    """Every loss in the grid fits the data and takes the same targets as ``loss`` (a usage
    error naming the value if not)."""
    if "loss" in grid:
        for candidate in grid["loss"]:
            try:
                check_loss(str(candidate), ds)
            except CLIError as exc:
                message = str(exc).removeprefix(f"--loss {candidate} ")
                if candidate not in LOSSES:
                    message = f"not a loss; use one of {', '.join(losses_for(ds.task))}"
                args.subparser.error(f"--grid loss={unquoted(str(candidate))}: {message}")
        if len({_targets_kind(str(c)) for c in grid["loss"]} | {_targets_kind(loss)}) > 1:
            args.subparser.error("--grid loss=...: these losses need different targets; search "
                                 "hinge separately from the others")


def _targets_kind(loss: str) -> str:
    return {"hinge": "pm1", "cross_entropy": "index"}.get(loss, "01")


def _builder(args: argparse.Namespace, ds: Dataset, loss: str,
             grid: dict[str, list[Any]]) -> MLPBuilder:
    """The MLPBuilder the flags describe, tried on every value of the grid before any trial
    runs: a value that cannot work (lr=abc, lr=-1, epochs=0, optimizer=lbfgs) is a usage
    error naming it, not a search where every trial fails."""
    build = MLPBuilder(
        len(ds.X[0]), n_outputs(loss, ds), hidden=(16, 16) if args.hidden is None else args.hidden,
        activation=args.activation or "relu", init=args.init or "uniform",
        dropout=args.dropout or 0.0, seed=args.seed, loss=loss, optimizer=args.optimizer,
        lr=args.lr, epochs=args.epochs, batch_size=args.batch_size, l2=args.l2,
        clip_grad_norm=args.clip_grad_norm,
    )
    for name, values in grid.items():
        for value in values:
            try:
                build({name: value})
            except (ValueError, TypeError) as exc:
                shown_value = ",".join(map(str, value)) if isinstance(value, tuple) else value
                message = str(exc).removeprefix("MLPBuilder: ")
                args.subparser.error(f"--grid {name}={unquoted(str(shown_value))}: {message}")
    return build


def _run_search(args: argparse.Namespace, build: MLPBuilder, grid: dict[str, list[Any]],
                ds: Dataset, y: list[Any], scoring: str) -> tuple[SearchResult, float]:
    """The search, on this machine or on the Dask cluster at --scheduler; and when it began."""
    executor, client = None, None
    if args.scheduler is not None:
        try:
            import distributed
        except ImportError:
            raise CLIError('--scheduler needs Dask: pip install "chainrule[dask]"') from None
        try:
            client = distributed.Client(args.scheduler, timeout=args.connect_timeout)
        except OSError as exc:
            raise CLIError(f"--scheduler {args.scheduler}: cannot connect: {exc}") from None
        executor = client.get_executor()
    kind = f"random search ({args.random} of the grid)" if args.random else "grid search"
    where = (f"on the Dask cluster at {args.scheduler}" if client is not None
             else f"on {args.jobs} processes" if args.jobs > 1 else "sequentially")
    print(f"{PROG} search: {kind} on {ds.name} ({task_words(ds)}, {len(ds.X)} samples), "
          f"{args.cv}-fold CV, {scoring}, {where}", flush=True)
    common = dict(cv=args.cv, scoring=scoring, executor=executor, n_jobs=args.jobs,
                  seed=args.seed, progress=not args.no_progress, refit=args.save is not None)
    t0 = time.perf_counter()
    try:
        if args.random:
            result = random_search(build, grid, ds.X, y, n_iter=args.random, **common)
        else:
            result = grid_search(build, grid, ds.X, y, **common)
    finally:
        if client is not None:
            client.close()
    return result, t0


def _write_results(args: argparse.Namespace, ds: Dataset, scoring: str,
                   result: SearchResult, out: Output) -> None:
    """search.json (every trial) and search.png (score against each parameter) in --out."""
    best = result.best_trial
    write_json(out.path("search.json"), {
        "command": "search", "grid": args.grid, "scoring": scoring, "seed": args.seed,
        "cv": args.cv, "dataset": ds.name, "best_params": best.params,
        "best_score": best.mean_score, "trials": _json_rows(result.to_rows()),
    })
    out.wrote("search.json", "every trial: parameters, mean and std score, fit time")
    out.save_figure(result.plot(), "search.png", "score against each parameter")
    print(out.finish())


def _json_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    clean = []
    for row in rows:
        clean.append({
            k: (None if isinstance(v, float) and not math.isfinite(v)
                else list(v) if isinstance(v, tuple) else v)
            for k, v in row.items()
        })
    return clean


# ---- the --grid syntax --------------------------------------------------------------------------


def _parse_item(item: str, token: str) -> Any:
    if not item:
        raise ValueError(f"parse_grid: empty value in {shown(token)}")
    for kind in (int, float):
        try:
            return kind(item)
        except ValueError:
            pass
    words = {"true": True, "false": False, "none": None}
    return words.get(item.lower(), item)


def parse_grid(text: str) -> dict[str, list[Any]]:
    """Read the command line's grid, ``"lr=0.1,0.03,0.01 hidden=8;16,16"``, into a dict.

    Space-separated ``name=values``. Values are separated by commas, unless the list contains a
    ``;``: then ``;`` separates the values and each is a tuple of its comma-separated items
    (``hidden=8;16,16`` tries ``(8,)`` and ``(16, 16)``; ``hidden=16,16;`` only ``(16, 16)``).
    Items read as int, float, ``true``/``false``, ``none``, or else stay strings.

    >>> parse_grid("lr=0.1,0.03,0.01 hidden=8;16,16")
    {'lr': [0.1, 0.03, 0.01], 'hidden': [(8,), (16, 16)]}
    >>> parse_grid("activation=relu,tanh epochs=20")
    {'activation': ['relu', 'tanh'], 'epochs': [20]}
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_grid: expected a string, got {type(text).__name__}")
    grid: dict[str, list[Any]] = {}
    for token in text.split():
        name, eq, values = token.partition("=")
        if not eq or not name:
            raise ValueError(
                f"parse_grid: expected name=value[,value...] (e.g. lr=0.1,0.01), got {shown(token)}"
            )
        if not name.isidentifier():
            raise ValueError(f"parse_grid: {shown(name)} in {shown(token)} is not a parameter name")
        if name in grid:
            raise ValueError(
                f"parse_grid: {shown(name)} is given twice; list all its values once ({name}=a,b)"
            )
        if not values:
            raise ValueError(f"parse_grid: no values for {shown(name)} in {shown(token)}")
        grid[name] = _parse_values(name, values, token)
    if not grid:
        raise ValueError("parse_grid: the grid is empty; expected e.g. \"lr=0.1,0.01 hidden=8;16\"")
    return grid


def _parse_values(name: str, values: str, token: str) -> list[Any]:
    """``0.1,0.01`` -> [0.1, 0.01]; ``8;16,16`` -> [(8,), (16, 16)]; no value twice."""
    if ";" in values:
        parts = values.split(";")
        if parts[-1] == "":
            parts.pop()  # a trailing ';' marks a single tuple: hidden=16,16;
        parsed = [tuple(_parse_item(i, token) for i in part.split(",")) for part in parts]
    else:
        parsed = [_parse_item(i, token) for i in values.split(",")]
    seen: list[Any] = []
    for v in parsed:
        if v in seen:
            hint = f" (for the single list write {name}={values};)" if ";" not in values else ""
            raise ValueError(
                f"parse_grid: {shown(name)} lists {shown(v)} twice in {shown(token)}{hint}"
            )
        seen.append(v)
    return parsed
