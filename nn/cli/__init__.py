"""The ``chainrule`` command: train, draw and search from a terminal (demo, train, graph,
search, gpt).

One file per subcommand (``demo``, ``train``, ``graph``, ``search``, ``gpt``: each has ``HELP`` and
``run(args)``), the argument parser in ``parser``, and what they share in ``common``,
``datasets``, ``output`` and ``pictures``. ``expression`` is the small parser behind
``chainrule graph``. Nothing in the library imports this package.

Exit codes: 0 success, 1 a runtime error (one line, ``chainrule: error: ...``; ``--debug``
shows the traceback), 2 a usage error (argparse), 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from .common import NO_DOT, PROG, CLIError, terminal_text, warn
from .expression import ExpressionError
from .graph import parse_assignments
from .output import Output
from .parser import build_parser

__all__ = ["main", "build_parser", "parse_assignments", "CLIError"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chainrule`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    >>> main(["graph", "x*x + 3*x", "--set", "x=2"])
    x*x + 3*x = 10
      d/dx = 7
    out [+]  data 10.0000  grad 1.0000
    ├─ [*]  data 4.0000  grad 1.0000
    │  ├─ x  data 2.0000  grad 7.0000  #1
    │  └─ x  #1 (above)
    └─ [*]  data 6.0000  grad 1.0000
       ├─ const  data 3.0000  grad 2.0000
       └─ x  #1 (above)
    (draw it with -o graph.svg, or step through it with --html explorer.html)
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit with 2 here
    debug = getattr(args, "debug", False)
    try:
        return _run(args, debug)
    finally:  # a run that failed or was interrupted: its files never reach --out
        Output.discard_unfinished()


def _run(args: argparse.Namespace, debug: bool) -> int:
    try:
        with _one_line_warnings():
            return args.run(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"\n{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule ... | head`: the reader left; stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        if debug:
            raise
        print(f"{PROG}: error: {terminal_text(_one_line(exc))}", file=sys.stderr)
        return 1


@contextlib.contextmanager
def _one_line_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


def _show_warning(message: Any, category: Any, filename: str, lineno: int, *rest: Any) -> None:
    warn(str(message).splitlines()[0])


def _one_line(exc: BaseException) -> str:
    """The message of an error as the command prints it."""
    from autograd import DotNotFoundError

    if isinstance(exc, ExpressionError):
        return str(exc)  # its second and third lines show the expression and a caret
    if isinstance(exc, DotNotFoundError):
        return NO_DOT
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        folder = os.path.dirname(os.fspath(exc.filename))
        if folder and not os.path.isdir(folder):
            return f"{exc.filename}: no such folder {folder!r}"
        return f"{exc.filename}: no such file"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename or ''}: {exc.strerror}".lstrip(": ")
    text = str(exc).strip().splitlines()
    message = text[0] if text else type(exc).__name__
    if isinstance(exc, OverflowError):
        return "a number overflowed: did training diverge? Lower --lr or pass --clip-grad-norm"
    if isinstance(exc, (CLIError, ValueError, ImportError)):
        return message
    return f"{type(exc).__name__}: {message} (run with --debug for the traceback)"
