"""``chainrule graph``: differentiate an expression like tanh(x*w + b) and draw its graph."""

from __future__ import annotations

import argparse
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from ..messages import shown, unquoted
from .common import NO_DOT, CLIError, have_dot, warn
from .expression import FUNCTIONS, parse_expression
from .output import check_save_path

HELP = textwrap.fill(  # the functions as the expression parser knows them
    "Build a small expression out of Values, run backward, print d(expression)/d(variable) "
    "for every variable, and draw the graph. Numbers, variables, + - * / **, unary minus, "
    f"parentheses, pi, e and the engine's functions: {' '.join(FUNCTIONS)}. Parsed by a real "
    "parser (never Python's eval); a mistake is reported with a caret under its column.",
    width=90,
) + """

-o picks the format by extension: .svg .png .pdf .jpg, or .dot/.gv for the DOT text.
Drawing needs Graphviz's dot program (apt-get install graphviz, brew install graphviz, or pip
install graphviz-pure); without it, .dot still works and other formats are an error (the
gradients are printed first). Without -o or --html the graph is printed as a text tree.

examples:
  chainrule graph "tanh(x*w + b)" --set x=1 w=-3 b=2 -o graph.svg
  chainrule graph "x**2 + 3*x" --set x=2
  chainrule graph "sigmoid(a*b) / (1 + c)" --set a=0.5 b=-1 c=2 --html explorer.html
  chainrule graph --set x=3 -- "-x**2"      (an expression starting with - goes after --)
"""

GRAPH_FORMATS = ("svg", "png", "pdf", "jpg", "jpeg", "dot", "gv")


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["x=1", "w=-3"]`` -> ``{"x": 1.0, "w": -3.0}``; a ValueError names a bad item.

    >>> parse_assignments(["x=1", "w=-3", "b=2.5e-1"])
    {'x': 1.0, 'w': -3.0, 'b': 0.25}
    >>> parse_assignments(["x=abc"])
    Traceback (most recent call last):
    ...
    ValueError: --set x=abc: 'abc' is not a number
    """
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        name = name.strip()
        where = f"--set {unquoted(item)}"
        if not eq:
            raise ValueError(f"{where}: expected NAME=VALUE, like x=1.5")
        if not name.isidentifier():
            raise ValueError(f"{where}: {shown(name)} is not a variable name")
        if name in values:
            raise ValueError(f"--set: {unquoted(name)} is set twice")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: {shown(text.strip())} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: the value must be finite")
        values[name] = value
    return values


def run(args: argparse.Namespace) -> int:
    """Differentiate the expression; print the gradients, then the tree or the files written.

    >>> from nn.cli.parser import build_parser
    >>> run(build_parser().parse_args(["graph", "x*y", "--set", "x=3", "y=4"]))
    x*y = 12
      d/dx = 4
      d/dy = 3
    out [*]  data 12.0000  grad 1.0000
    ├─ x  data 3.0000  grad 4.0000
    └─ y  data 4.0000  grad 3.0000
    (draw it with -o graph.svg, or step through it with --html explorer.html)
    0
    """
    from autograd.graph import draw_dot, save, tree_text

    values = _check_flags(args, args.subparser)
    check_save_path(args.output, "-o")  # a missing or read-only folder: say so before the work
    check_save_path(args.html, "--html")
    out, used = parse_expression(args.expression, values)  # ExpressionError: exit 1, with caret
    if out._children and not out.label:
        out.label = "out"
    out.backward()
    print(f"{unquoted(args.expression.strip(), 200)} = {out.data:.6g}")
    for name, v in used.items():
        print(f"  d/d{name} = {v.grad:.6g}")
    unused = [unquoted(name, 40) for name in values if name not in used]
    if unused:
        warn(f"set but not used in the expression: {', '.join(unused[:10])}"
             + (f" and {len(unused) - 10} more" if len(unused) > 10 else ""))
    if args.output is None and args.html is None:
        print(tree_text(out))
        print("(draw it with -o graph.svg, or step through it with --html explorer.html)")
        return 0
    ext = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    needs_dot = args.html is not None or ext not in ("dot", "gv", "")
    if needs_dot and not have_dot():
        raise CLIError(f"{NO_DOT}; or write the DOT text with -o graph.dot")
    if args.output is not None:
        graph = draw_dot(out, rankdir=args.rankdir, color_by="grad" if args.color_grad else None)
        save(graph, args.output)
        print(f"wrote {args.output}")
    if args.html is not None:
        from autograd.explore import explore

        explore(out, title=f"Backprop explorer: {args.expression.strip()}",
                rankdir=args.rankdir).save(args.html)
        print(f"wrote {args.html} (open it in a browser; arrow keys step, space plays)")
    return 0


def _check_flags(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, float]:
    """The --set values, after the usage checks (exit 2) of the expression and file names."""
    if args.expression is None:  # `--set x=1 "x*x"`: --set took the expression as a value
        loose = [item for item in args.set if "=" not in item]
        if len(loose) != 1:
            parser.error("the following arguments are required: expression")
        args.expression = loose[0]
        args.set = [item for item in args.set if "=" in item]
    try:
        values = parse_assignments(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    for target, flag in ((args.output, "-o"), (args.html, "--html")):
        if target is None:
            continue
        ext = Path(target).suffix.lower().lstrip(".")
        if flag == "-o" and ext not in GRAPH_FORMATS:
            parser.error(f"-o {unquoted(target)}: the extension picks the format; use one of "
                         f"{', '.join('.' + f for f in GRAPH_FORMATS)}")
        if flag == "--html" and ext not in ("html", "htm"):
            parser.error(f"--html {unquoted(target)}: expected a file name ending in .html")
    return values
