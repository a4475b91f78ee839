"""Learner copies of the notebooks: every exercise's answer taken out, every output cleared.

    python notebooks/exercises.py                     # every notebook, into ./exercises/
    python notebooks/exercises.py 00 12 --out mine    # notebooks 00 and 12, into ./mine/

An exercise is a code cell tagged ``solution`` (it holds one possible answer) followed by a
code cell tagged ``check`` (it says whether the answer works, or gives a hint). In a learner
copy the lines from ``# BEGIN SOLUTION`` to ``# END SOLUTION`` become ``...  # your code
here`` at the same indent, so the function's name and docstring stay and the check can still
call it; a solution cell without those lines is emptied to that one line. Nothing else changes.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
PLACEHOLDER = "...  # your code here"


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and "solution" in tags(cell)


def is_check(cell) -> bool:
    return cell.cell_type == "code" and "check" in tags(cell)


def strip_solution(source: str) -> str:
    """The cell as a learner gets it: each marked answer replaced by the placeholder.

    >>> cell = "def f(x):\\n    # BEGIN SOLUTION\\n    return 2 * x\\n    # END SOLUTION"
    >>> print(strip_solution(cell))
    def f(x):
        ...  # your code here
    >>> strip_solution("answer = 42")
    '...  # your code here'
    """
    lines = source.splitlines()
    if not any(line.strip() == BEGIN for line in lines):
        if any(line.strip() == END for line in lines):
            raise ValueError(f"{END!r} without {BEGIN!r} in:\n{source}")
        return PLACEHOLDER
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN!r} inside another answer in:\n{source}")
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + PLACEHOLDER)
        elif marker == END:
            if not inside:
                raise ValueError(f"line {number}: {END!r} without {BEGIN!r} in:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN!r} without {END!r} in:\n{source}")
    return "\n".join(out)


def learner_copy(nb):
    """A copy of the notebook with every answer taken out and every output cleared."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("execution", None)  # the timings of the run that saved the outputs
        if is_solution(cell):
            cell.source = strip_solution(cell.source)
            view = cell.metadata.pop("jupyter", {})
            view.pop("source_hidden", None)  # the learner writes here: shown, not collapsed
            if view:
                cell.metadata["jupyter"] = view
    return nb


def notebooks(selection: list[str]) -> list[Path]:
    """The numbered notebooks beside this file, or those whose names start with a selection."""
    every = sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    if not selection:
        return every
    chosen = [path for path in every if any(path.name.startswith(s) for s in selection)]
    missing = [s for s in selection if not any(p.name.startswith(s) for p in every)]
    if missing:
        names = ", ".join(path.stem for path in every)
        raise SystemExit(f"exercises.py: no notebook starts with {missing[0]!r}; there are {names}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", help="which ones, by number or name (all)")
    parser.add_argument("--out", default="exercises", help="where to write (./exercises)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in notebooks(args.notebooks):
        nb = nbformat.read(path, as_version=4)
        count = sum(map(is_solution, nb.cells))
        nbformat.write(learner_copy(nb), out / path.name)
        print(f"{out / path.name}: {count} exercise{'s' * (count != 1)} to do")
    return 0


if __name__ == "__main__":
    sys.exit(main())
