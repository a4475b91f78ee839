"""Every code block of README.md runs as written, and prints what the README says it prints.

The README's fenced blocks are found by their language tag, so a block added later is tested
without touching this file:

- ``python``: run as a script in a fresh folder, each block on its own (a reader pastes one
  block at a time); a block that trains is marked slow. A block followed by the word "prints"
  and an untagged block must print exactly that, except times ("2.0 s"), which match any
  number. A block that is not a whole program (a method and a table row quoted from the
  engine, as "Adding an op" shows) does not compile; then each of its code lines must be a
  line of the package's source, so the quote cannot drift from the code.
- ``sh``: each line is a command. ``make TARGET`` is checked with ``make -n`` (a dry run: the
  real targets create a virtualenv). ``chainrule ...`` is parsed exactly as written by the
  command's own parser (every flag and value checked, a --help-level dry run), then run with
  short settings (--epochs 2, 30 samples, 2 folds, one process, hidden layer 4, 2 GPT steps) in a
  temporary folder, where a small points.csv stands for the user's CSV. The demo line the
  README quotes ("It prints `final: ...`") comes from a full ``chainrule demo`` run (slow).
- ``text``: not code (the layout); any other untagged block must be an expected output.
"""

import contextlib
import io
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```\n", re.S | re.M)
TIME = r"\d+(?:\.\d+)? s\b"  # "trained in 2.0 s": any time matches


def blocks():
    """(tag, code, the prose before it, the expected output or None) for each fenced block."""
    text = README.read_text(encoding="utf-8")
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]
    out = []
    for i, (tag, code, start, end) in enumerate(found):
        before = text[found[i - 1][3] if i else 0 : start]
        after = found[i + 1] if i + 1 < len(found) else None
        expected = None
        if after and not after[0] and text[end : after[2]].strip() == "prints":
            expected = after[1]
        out.append((tag, code, before, expected))
    return out


def block_id(block):
    tag, code, _, _ = block
    return f"{tag or 'untagged'}: {code.strip().splitlines()[0][:50]}"


BLOCKS = blocks()
PYTHON = [b for b in BLOCKS if b[0] == "python"]
SHELL = [b for b in BLOCKS if b[0] in ("sh", "bash", "shell")]


def loosely(expected):
    """A regex of ``expected`` where times match any number."""
    parts = re.split(TIME, expected)
    return TIME.join(re.escape(p) for p in parts)


def test_every_block_is_tagged_or_is_an_expected_output():
    known = {"python", "sh", "bash", "shell", "text"}
    for i, (tag, code, before, _) in enumerate(BLOCKS):
        if tag:
            assert tag in known, f"README block {i} has the unknown tag {tag!r}: {code[:60]!r}"
        else:
            assert before.strip().endswith("prints"), (
                f"README block {i} has no tag: tag code ```python or ```sh (it is then run by "
                f"this test), layouts ```text: {code[:60]!r}"
            )
    assert PYTHON and SHELL


# ---- python blocks --------------------------------------------------------------------------


def _compiles(code):
    try:
        compile(code, "README block", "exec")
    except SyntaxError:
        return False
    return True


def _source_lines():
    lines = set()
    for package in ("autograd", "nn"):
        for path in (ROOT / package).rglob("*.py"):
            lines |= {ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()}
    return lines


@pytest.mark.parametrize(
    "block",  # a block that trains (fit) takes seconds: marked slow
    [pytest.param(b, marks=[pytest.mark.slow] if "fit(" in b[1] else []) for b in PYTHON],
    ids=[block_id(b) for b in PYTHON],
)
def test_python_block_runs_as_written_and_prints_what_the_readme_says(block, tmp_path,
                                                                       monkeypatch):
    _, code, _, expected = block
    if not _compiles(code):  # a quote from the source (a method, a row of a table)
        source = _source_lines()
        code_lines = [ln.strip() for ln in code.splitlines()
                      if ln.strip() and not ln.strip().startswith("#")]
        missing = [ln for ln in code_lines if ln not in source]
        assert not missing, f"quoted lines not in autograd/ or nn/: {missing}"
        return
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        runpy.run_path(str(script), run_name="__main__")
    if expected is not None:
        assert re.fullmatch(loosely(expected), stdout.getvalue()), stdout.getvalue()


# ---- shell blocks ---------------------------------------------------------------------------

SHORT = {"--epochs": "2", "--samples": "30", "--cv": "2", "--jobs": "1", "--hidden": "4",
         "--steps": "2"}
COMMANDS = [
    shlex.split(line.split(" #")[0])
    for b in SHELL
    for line in b[1].splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def _shortened(argv):
    """The command with quick settings: SHORT's values replace or join the flags it takes."""
    from nn.cli import build_parser

    command, args = argv[0], list(argv[1:])
    takes = {"demo": ["--epochs"], "train": ["--epochs", "--samples", "--hidden"],
             "search": ["--epochs", "--samples", "--cv", "--jobs", "--hidden"],
             "gpt": ["--steps"]}.get(command, [])
    for flag in takes:
        if flag in args:
            args[args.index(flag) + 1] = SHORT[flag]
        else:
            args += [flag, SHORT[flag]]
    if takes:
        args.append("--no-progress")
    build_parser().parse_args([command, *args])  # the short settings are valid too
    return [command, *args]


def _points_csv(folder):
    rows = ["x0,x1,label"] + [f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{i % 2}" for i in range(30)]
    (folder / "points.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a)[:60] for a in COMMANDS])
def test_shell_command_parses_as_written_and_runs_with_short_settings(argv, tmp_path,
                                                                      monkeypatch):
    if argv[0] == "make":
        if shutil.which("make") is None:
            pytest.skip("make is not installed")
        dry = subprocess.run(["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
        assert {"demo": "chainrule demo", "test": "pytest"}[argv[1]] in dry.stdout
        return
    assert argv[0] == "chainrule", f"README commands are make or chainrule, got {argv}"
    from nn.cli import build_parser, main

    build_parser().parse_args(argv[1:])  # exactly as written: a usage error exits here
    if "--scheduler" in argv:
        pytest.skip("needs a Dask scheduler")
    monkeypatch.chdir(tmp_path)
    _points_csv(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(_shortened(argv[1:]))
    assert code == 0, err.getvalue()
    assert "warning" not in err.getvalue(), err.getvalue()


@pytest.mark.slow
def test_the_demo_prints_the_final_line_the_readme_quotes(tmp_path):
    """The README's "It prints `final: ...`": a full `chainrule demo` (what `make demo` runs)."""
    text = README.read_text(encoding="utf-8")
    quoted = re.search(r"It prints `(final: [^`]*)`", text).group(1)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "nn", "demo", "--no-progress"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("final:")]
    assert len(lines) == 1 and re.fullmatch(loosely(quoted), lines[0]), (quoted, lines)
    said = [ln for ln in result.stderr.splitlines()
            if not ln.startswith("Matplotlib is building the font cache")]  # a first run's
    assert said == []  # quiet: no font warnings from dot, nothing else
