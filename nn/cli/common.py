"""What every subcommand shares: the program's name, its error, warnings and optional extras."""

from __future__ import annotations

import importlib
import importlib.util
import sys

PROG = "chainrule"

NO_DOT = (
    "Graphviz's dot program was not found (install it: apt-get install graphviz, "
    "brew install graphviz, or pip install graphviz-pure)"
)


class CLIError(Exception):
    """A runtime error that the command reports as one line: ``chainrule: error: <message>``.

    >>> str(CLIError("--data x.csv: no such file"))
    '--data x.csv: no such file'
    """


def warn(message: str) -> None:
    """Print ``chainrule: warning: <message>`` on stderr (so nothing shows below).

    >>> warn("set but not used in the expression: y")
    """
    print(f"{PROG}: warning: {terminal_text(message)}", file=sys.stderr)


MAX_MESSAGE = 1000  # characters of one error or warning the command prints


def terminal_text(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message as it is safe to print: control and format characters escaped (a terminal
    escape sequence or a right-to-left override shows as text and does nothing), line breaks
    kept, and at most ``limit`` characters. Each message cuts what it echoes first; this is
    the last guard.

    >>> print(terminal_text("bad cell '\\x1b[2J' at\\nline 2"))
    bad cell '\\x1b[2J' at
    line 2
    >>> len(terminal_text("x" * 5000))
    1018
    """
    lines = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in line)
             for line in message[: limit * 2].split("\n")]
    text = "\n".join(lines)
    return text if len(text) <= limit else text[:limit] + " ... (message cut)"


def percent(x: float | None) -> str:
    """A fraction as a percentage with one decimal; None (no accuracy) is "n/a".

    >>> percent(0.5), percent(1.0), percent(None)
    ('50.0%', '100.0%', 'n/a')
    """
    return "n/a" if x is None else f"{100 * x:.1f}%"


# ---- optional dependencies --------------------------------------------------------------------


def require_matplotlib(command: str) -> None:
    """Check that matplotlib is installed (a CLIError naming the extra if not); draw to files.

    >>> require_matplotlib("demo")  # quiet when matplotlib is there
    """
    _require("matplotlib", f'{command} draws its plots with matplotlib: pip install '
             '"chainrule[plot]"')
    import matplotlib

    matplotlib.use("Agg")  # files only: no window, works without a display


def require_tqdm(command: str) -> None:
    """Check that tqdm is installed for the progress bar (a CLIError naming the extra if not).

    >>> require_tqdm("demo")  # quiet when tqdm is there
    """
    _require("tqdm", f'{command} shows a progress bar with tqdm: pip install '
             '"chainrule[progress]" (or pass --no-progress)')


def _require(module: str, message: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        raise CLIError(message) from None


def have_dot() -> bool:
    """True when Graphviz's ``dot`` (or the graphviz-pure wheel) is there to render drawings.

    >>> have_dot() in (True, False)
    True
    """
    from autograd import graph

    return graph.find_dot() is not None


def compiled_steps(args: object) -> bool:
    """Whether demo and train compile their training steps (autograd.compile): yes unless
    --no-compile, --grad-flow (which counts ReLUs number by number) or numpy is missing.

    >>> import argparse
    >>> compiled_steps(argparse.Namespace(no_compile=True))
    False
    """
    if getattr(args, "no_compile", False) or getattr(args, "grad_flow", False):
        return False
    return importlib.util.find_spec("numpy") is not None
