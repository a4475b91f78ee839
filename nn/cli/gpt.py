"""``chainrule gpt``: train microgpt's GPT on first names, one name per step, and sample some."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from .. import data
from ..gpt import GPT, fit
from ..module import load_model
from ..tokenizer import CharTokenizer
from .common import PROG, CLIError, require_tqdm
from .output import check_save_path

HELP = """\
Train microgpt's GPT (one layer, 16-wide embeddings, 4 attention heads, a context of 16
characters; 4,192 parameters) on the 5,163 first names shipped with chainrule, one name per
step with Adam (betas 0.85, 0.99; lr decayed linearly to 0), as microgpt does; then print
the loss curve's end and sample new names.

The same --seed gives the same run: the names' order, the initial weights and the samples.
--save writes the model (JSON, never pickle) with its tokenizer; --load starts from a saved
model (with no --steps, it only samples). 1000 steps take about half a minute.

examples:
  chainrule gpt
  chainrule gpt --steps 300 --samples 5 --temperature 0.8
  chainrule gpt --steps 1000 --save names.json
  chainrule gpt --load names.json --samples 20 --seed 7
"""

TOKENIZER_KEY = "tokenizer"  # where --save keeps the tokenizer in the model file


def run(args: argparse.Namespace) -> int:
    """Train (unless --load with no --steps), print the loss curve's end and sampled names.

    >>> from nn.cli.parser import build_parser
    >>> flags = ["gpt", "--steps", "3", "--samples", "2", "--no-progress"]
    >>> run(build_parser().parse_args(flags))  # doctest: +ELLIPSIS
    chainrule gpt: GPT(vocab 27, n_embd 16, n_head 4, n_layer 1, block 16), 4,192 parameters...
    loss, mean of each tenth of the steps: ...
    final: step 3, loss ...
    2 names sampled at temperature 0.5 (seed 42):
    ...
    0
    """
    check_save_path(args.save)
    names = data.names(seed=args.seed)  # microgpt shuffles its names once, with its seed
    model, tok = _model_and_tokenizer(args, names)
    steps = args.steps if args.steps is not None else (0 if args.load else 1000)
    if steps and not args.no_progress:
        require_tqdm("gpt")
    arch = model.architecture()
    print(
        f"{PROG} gpt: GPT(vocab {arch['vocab_size']}, n_embd {arch['n_embd']}, "
        f"n_head {arch['n_head']}, n_layer {arch['n_layer']}, block {arch['block_size']}), "
        f"{len(model.parameters()):,} parameters"
        + (f"; {len(names):,} names, {steps} steps (one name each), Adam lr {args.lr:g} "
           f"decayed to 0, seed {args.seed}" if steps else f"; loaded from {args.load}"),
        flush=True,
    )  # fmt: skip
    if steps:
        _train(model, tok, names, steps, args)
    print(f"{args.samples} names sampled at temperature {args.temperature:g} (seed {args.seed}):")
    for name in model.sample(tok, n=args.samples, temperature=args.temperature, seed=args.seed):
        print(f"  {name}")
    if args.save is not None:
        try:
            model.save(args.save, extra={TOKENIZER_KEY: tok.to_dict()})
        except OSError as exc:
            raise CLIError(f"--save {args.save}: {exc.strerror or exc}") from None
        print(f"saved the model to {args.save} (sample again: {PROG} gpt --load {args.save})")
    return 0


def _model_and_tokenizer(args: argparse.Namespace, names: list[str]) -> tuple[GPT, Any]:
    """A new GPT for the names' characters, or the model and tokenizer --load names."""
    if args.load is None:
        tok = CharTokenizer.from_texts(names)
        return GPT(tok.vocab_size, seed=args.seed), tok
    where = f"--load {args.load}"
    try:
        model = load_model(args.load)
        with open(args.load, encoding="utf-8") as f:
            record = json.load(f).get(TOKENIZER_KEY)
    except (OSError, ValueError) as exc:
        raise CLIError(f"{where}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(model, GPT):
        raise CLIError(f"{where}: the file holds a {type(model).__name__}, not a GPT")
    try:
        tok = CharTokenizer.from_dict(record)
    except ValueError:
        raise CLIError(f"{where}: the file has no tokenizer (save it with chainrule gpt)") from None
    if tok.vocab_size != model.vocab_size:
        raise CLIError(f"{where}: its tokenizer does not match the model's vocabulary")
    return model, tok


def _train(model: GPT, tok: Any, names: list[str], steps: int, args: argparse.Namespace) -> None:
    """nn.gpt.fit for --steps steps; print the loss curve's end."""
    try:
        docs = [tok.encode(name) for name in names]
    except ValueError as exc:
        raise CLIError(f"--load {args.load}: the names do not fit its tokenizer ({exc})") from None
    start = time.perf_counter()
    history = fit(model, docs, steps=steps, lr=args.lr, progress=not args.no_progress)
    seconds = time.perf_counter() - start
    losses = history["loss"]
    print("loss, mean of each tenth of the steps: " + " ".join(
        f"{sum(part) / len(part):.2f}" for part in _tenths(losses)
    ))  # fmt: skip
    last = losses[-100:]
    print(
        f"final: step {len(losses)}, loss {losses[-1]:.4f} (mean of the last {len(last)} "
        f"steps {sum(last) / len(last):.4f}); trained in {seconds:.1f} s"
    )


def _tenths(xs: list[float]) -> list[list[float]]:
    """``xs`` cut into (at most) ten consecutive parts of nearly equal length.

    >>> [len(p) for p in _tenths(list(range(25)))]
    [2, 3, 2, 3, 2, 3, 2, 3, 2, 3]
    """
    parts = min(10, len(xs))
    bounds = [i * len(xs) // parts for i in range(parts + 1)]
    return [xs[a:b] for a, b in zip(bounds, bounds[1:])]
