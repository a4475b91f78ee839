"""Bad inputs to the ``chainrule`` command, each a row with the exit code and message it must
give (issue 14): one ``chainrule: error:`` line naming the input (exit 1), or argparse's
usage error (exit 2), before any training where the input can be checked before it.

The command runs in this process (``nn.cli.main``), in a temporary folder. A read-only
folder is simulated by making ``os.open``/``os.mkdir`` refuse inside it as the kernel does
for users other than root (as root, permission bits do not bind), a device by a patched
``fstat``; no test touches a real device. Below the tables: inputs that used to lose work or
draw the wrong thing and must now work.
"""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nn import MLP, files
from nn.cli import main
from nn.cli.datasets import Dataset
from nn.cli.output import CLI_KEY, save_model

ROOT = Path(__file__).resolve().parent.parent
QUICK = ["--samples", "30", "--epochs", "1", "--hidden", "2", "--no-progress"]


def cli(*args):
    """Run ``chainrule ARGS`` here; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def error_line(stderr):
    lines = [ln for ln in stderr.splitlines() if re.match(r"chainrule( \w+)?: error: ", ln)]
    assert len(lines) == 1, stderr
    return lines[0]


# ---- what the rows need -----------------------------------------------------------------------


def _model_file(tmp, edit):
    """A model file as `train --save` writes it (moons, 2 inputs), changed by ``edit``."""
    path = tmp / "m.json"
    ds = Dataset("moons", [[0.0, 1.0], [1.0, 0.0]], [0, 1], "binary", ["x0", "x1"], [0, 1])
    save_model(MLP(2, [2, 1], seed=0), str(path), ds, "bce_with_logits")
    document = json.loads(path.read_text())
    text = edit(document)
    path.write_text(text if isinstance(text, str) else json.dumps(document))
    return path


def _section(**changes):
    return lambda d: d[CLI_KEY].update(changes)


def _csv(tmp, text, name="data.csv"):
    (tmp / name).write_text(text, encoding="utf-8")
    return name


def _wide_csv(tmp, columns, name):
    rows = [",".join(f"{(i * 7 + j * 3) % 11 / 11:.3f}" for j in range(columns)) + f",{i % 2}"
            for i in range(30)]
    return _csv(tmp, "\n".join(rows) + "\n", name)


def _as_device(monkeypatch):
    real = os.fstat
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result(
        (0o020666,) + tuple(real(fd))[1:]))  # S_IFCHR: what a zero device reports


def _read_only(folder, monkeypatch):
    """``folder`` cannot be written: chmod 555, and as root the refusal the kernel gives others."""
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    real_open, real_mkdir = os.open, os.mkdir
    inside = str(folder.resolve())

    def refuse(path):
        if os.path.abspath(os.fspath(path)).startswith(inside + os.sep):
            raise PermissionError(13, "Permission denied", os.fspath(path))

    def open_(path, flags, mode=0o777, **kw):
        if flags & os.O_CREAT:
            refuse(path)
        return real_open(path, flags, mode, **kw)

    def mkdir_(path, mode=0o777, **kw):
        refuse(path)
        return real_mkdir(path, mode, **kw)

    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "mkdir", mkdir_)


HUGE = "v" * 100_000

# ---- the table: (what, setup(tmp, monkeypatch) -> argv, exit code, words of the message) -----

ROWS = [
    # chainrule graph: nesting, numbers, echoes, output paths
    ("graph: 300 parentheses", lambda t, m: ["graph", "(" * 300 + "x" + ")" * 300, "--set", "x=1"],
     1, ["nested too deeply (more than 100 levels) at column 101"]),
    ("graph: 300 exp(", lambda t, m: ["graph", "exp(" * 300 + "x" + ")" * 300, "--set", "x=1"],
     1, ["nested too deeply", "at column 401"]),
    ("graph: 300 unary minus", lambda t, m: ["graph", "--set", "x=1", "--", "-" * 300 + "x"],
     1, ["nested too deeply", "at column 101"]),
    ("graph: 300 powers", lambda t, m: ["graph", "**".join(["x"] * 300), "--set", "x=1.0"],
     1, ["nested too deeply"]),
    ("graph: sin(1e400)", lambda t, m: ["graph", "sin(1e400)"],
     1, ["the number '1e400' is too large for a float (it must be finite) at column 5"]),
    ("graph: x*1e400", lambda t, m: ["graph", "x*1e400", "--set", "x=1"],
     1, ["'1e400' is too large for a float", "at column 3"]),
    ("graph: sin of an overflow", lambda t, m: ["graph", "sin(x*1e300*1e300)", "--set", "x=1"],
     1, ["sin: operand must be finite, got inf at column 1"]),
    ("graph: variable of 100,000 characters", lambda t, m: ["graph", HUGE],
     1, ["unknown variable 'vvvv", "(100,000 characters)", "at column 1"]),
    ("graph: --set name of 100,000 characters", lambda t, m: ["graph", "y", "--set", f"{HUGE}=1"],
     1, ["unknown variable 'y'", "set: vvvvvvvv"]),
    ("graph: ESC in the expression", lambda t, m: ["graph", "x\x1b[31m", "--set", "x=1"],
     1, ["unexpected character '\\x1b' at column 2", "x\\x1b[31m"]),
    ("graph: U+202E in a --set value", lambda t, m: ["graph", "x", "--set", "x=1\u202e"],
     2, ["'1\\u202e' is not a number"]),
    ("graph: -o in a missing folder", lambda t, m: ["graph", "x", "--set", "x=1", "-o",
                                                    "missing/g.svg"],
     1, ["-o missing/g.svg: no such folder 'missing'"]),
    ("graph: --html in a missing folder", lambda t, m: ["graph", "x", "--set", "x=1", "--html",
                                                        "missing/e.html"],
     1, ["--html missing/e.html: no such folder 'missing'"]),
    ("graph: -o in a read-only folder",
     lambda t, m: (_read_only(t / "ro", m), ["graph", "x", "--set", "x=1", "-o", "ro/g.svg"])[1],
     1, ["-o ro/g.svg: cannot write in", "Permission denied"]),
    # chainrule train --load: a tampered model file
    ("--load: classes 5", lambda t, m: ["train", "--load", _model_file(t, _section(classes=5))],
     1, ["m.json: chainrule_cli.classes must be a list of at least 2 distinct numbers, got 5"]),
    ("--load: the section a string",
     lambda t, m: ["train", "--load", _model_file(t, lambda d: d.update({CLI_KEY: "hello"}))],
     1, ["m.json: chainrule_cli must be an object, got str"]),
    ("--load: mean a string",
     lambda t, m: ["train", "--load", _model_file(t, _section(mean="abc"))],
     1, ["chainrule_cli.mean must be a list of finite numbers, got 'abc'"]),
    ("--load: std of zeros",
     lambda t, m: ["train", "--load", _model_file(t, _section(mean=[0, 0], std=[0, 1]))],
     1, ["chainrule_cli.std must be a list of numbers > 0, got [0, 1]"]),
    ("--load: mean without std", lambda t, m: ["train", "--load", _model_file(t, _section(
        mean=[0.0, 0.0]))], 1, ["chainrule_cli.mean and .std must both be there"]),
    ("--load: loss unknown", lambda t, m: ["train", "--load", _model_file(t, _section(loss="zz"))],
     1, ["chainrule_cli.loss must be one of hinge, bce_with_logits"]),
    ("--load: dataset a list", lambda t, m: ["train", "--load", _model_file(t, _section(
        dataset=[1]))], 1, ["chainrule_cli.dataset must be a name, got [1]"]),
    ("--load: task unknown", lambda t, m: ["train", "--load", _model_file(t, _section(task=3))],
     1, ["chainrule_cli.task must be one of binary, multiclass, regression, got 3"]),
    ("--load: version 0", lambda t, m: ["train", "--load", _model_file(
        t, lambda d: d.update(version=0))], 1, ["m.json", "'version' must be >= 1", "got 0"]),
    ("--load: version -5", lambda t, m: ["train", "--load", _model_file(
        t, lambda d: d.update(version=-5))], 1, ["m.json", "'version' must be >= 1", "got -5"]),
    ("--load: no nin", lambda t, m: ["train", "--load", _model_file(
        t, lambda d: d["architecture"].pop("nin"))], 1, ["m.json", "'nin' is missing"]),
    ("--load: declares 2,002,000 parameters", lambda t, m: ["train", "--load", _model_file(
        t, lambda d: d["architecture"].update(nin=1000, nouts=[1000, 1000]))],
     1, ["m.json", "declares 2002000 parameters but the file has 9 weights"]),
    ("--load: JSON nested 100,000 deep", lambda t, m: ["train", "--load", _model_file(
        t, lambda d: "[" * 100_000 + "]" * 100_000)], 1, ["m.json", "not a valid model file"]),
    ("--load: a device", lambda t, m: (_as_device(m), ["train", "--load", _model_file(
        t, lambda d: None)])[1], 1, ["m.json", "is a device, not a file"]),
    # chainrule train --data: the file and its values
    ("--data: a device", lambda t, m: (_as_device(m), ["train", "--data", _csv(t, "1,0\n")])[1],
     1, ["data.csv: is a device, not a file"]),
    ("--data: larger than the limit", lambda t, m: (
        m.setattr(files, "MAX_CSV_BYTES", 50), m.setattr("nn.data.MAX_CSV_BYTES", 50),
        ["train", "--data", _csv(t, "1,2,0\n" * 20)])[2], 1, ["data.csv", "larger than 50 bytes"]),
    ("--data: ';' and decimal commas", lambda t, m: ["train", "--data", _csv(
        t, "a;b;c\n1,5;2;0\n3;4;1\n")], 1, ["line 2", "seem separated by ';'"]),
    ("--data: a cell of 100 KB", lambda t, m: ["train", "--data", _csv(t, f"a,b\n1,{HUGE}\n")],
     1, ["line 2, column 2 ('b')", "(100,000 characters) is not a number"]),
    ("--data: ESC and U+202E in a cell", lambda t, m: ["train", "--data", _csv(
        t, "a,b\n1,red\x1b[31m\u202e\n")], 1, ["'red\\x1b[31m\\u202e' is not a number"]),
    ("--data: values near 1e200, not standardised", lambda t, m: ["train", "--data", _csv(
        t, "1e200,2,0\n-1e200,3,1\n1e200,4,0\n-1e200,5,1\n"), "--no-standardize", *QUICK],
     1, ["--data data.csv: row 1, column 1 (x0) is 1e+200, too large to train on",
         "pass --standardize"]),
    ("--dataset moons --noise 1e308", lambda t, m: ["train", "--dataset", "moons", "--noise",
                                                    "1e308", *QUICK],
     1, ["--dataset moons --noise 1e+308: row 1, column 1 (x0) is", "pass a smaller --noise"]),
    ("--dataset sine --noise 1e200, its targets", lambda t, m: [
        "train", "--dataset", "sine", "--noise", "1e200", "--standardize", *QUICK],
     1, ["--noise 1e+200: row 1, the target is", "too large to train on"]),
    # --save and --out that cannot be written: refused before training
    ("--save in a read-only folder", lambda t, m: (_read_only(t / "ro", m), [
        "train", "--dataset", "moons", "--save", "ro/m.json", *QUICK])[1],
     1, ["--save ro/m.json: cannot write in", "Permission denied"]),
    ("--out in a read-only folder", lambda t, m: (_read_only(t / "ro", m), [
        "train", "--dataset", "moons", "--out", "ro/out", *QUICK])[1],
     1, ["--out ro/out: cannot write in", "Permission denied"]),
    ("--out below a read-only folder", lambda t, m: (_read_only(t / "ro", m), [
        "demo", "--epochs", "1", "--no-progress", "--out", "ro/a/b"])[1],
     1, ["--out ro/a/b: cannot write in"]),
    ("search --out in a read-only folder", lambda t, m: (_read_only(t / "ro", m), [
        "search", "--grid", "lr=0.1", "--out", "ro/s", *QUICK])[1], 1, ["--out ro/s: cannot"]),
    ("--save in a missing folder", lambda t, m: ["train", "--save", "nowhere/m.json", *QUICK],
     1, ["--save nowhere/m.json: no such folder 'nowhere'"]),
    # chainrule search --grid: every value checked before any trial (usage errors)
    ("search --grid lr=abc", lambda t, m: ["search", "--grid", "lr=abc", *QUICK],
     2, ["--grid lr=abc: lr must be a finite number > 0", "got 'abc'"]),
    ("search --grid lr=-1", lambda t, m: ["search", "--grid", "lr=0.1,-1", *QUICK],
     2, ["--grid lr=-1: lr must be a finite number > 0", "got -1"]),
    ("search --grid epochs=0", lambda t, m: ["search", "--grid", "epochs=0", *QUICK],
     2, ["--grid epochs=0: epochs must be an int >= 1, got 0"]),
    ("search --grid optimizer=lbfgs", lambda t, m: ["search", "--grid", "optimizer=adam,lbfgs",
                                                    *QUICK],
     2, ["--grid optimizer=lbfgs: unknown optimizer 'lbfgs'; choose one of sgd, adam, adamw"]),
    ("search --grid loss=zz", lambda t, m: ["search", "--grid", "loss=zz", *QUICK],
     2, ["--grid loss=zz: not a loss; use one of"]),
    ("search --grid hidden=8;0", lambda t, m: ["search", "--grid", "hidden=8;0", *QUICK],
     2, ["--grid hidden=0:"]),
    ("search --grid batch_size=0", lambda t, m: ["search", "--grid", "batch_size=0", *QUICK],
     2, ["--grid batch_size=0: batch_size must be an int >= 1"]),
    ("search --grid of 100 KB", lambda t, m: ["search", "--grid", f"lr={HUGE}", *QUICK],
     2, ["--grid lr=vvvv", "got 'vvvv"]),
]


@pytest.mark.parametrize("what, setup, code, words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_gives_one_line_naming_it(what, setup, code, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = setup(tmp_path, monkeypatch)
    exit_code, stdout, stderr = cli(*argv)
    assert exit_code == code, stderr
    assert "Traceback" not in stderr
    line = error_line(stderr)  # (an expression's error adds the expression and a caret below)
    for word in words:
        assert word in line or word in stderr.split("\n", 2)[1], f"{word!r} not in {stderr!r}"
    assert len(stderr) < 1500, f"{len(stderr)} characters"
    assert "\x1b" not in stderr and "\u202e" not in stderr
    assert ".chainrule-staging" not in line and ".tmp" not in line
    assert "chainrule train:" not in stdout  # refused before any training
    assert not list(tmp_path.glob("**/.chainrule-staging-*"))  # nothing left behind


# ---- inputs that must now work ----------------------------------------------------------------


@pytest.mark.parametrize("columns, drawn", [(50, "its weighted sum as one node"), (130, None)],
                         ids=["50 columns: drawn fused", "130 columns: pictures skipped"])
def test_wide_data_trains_saves_the_model_and_never_loses_it_for_a_picture(
        tmp_path, monkeypatch, columns, drawn):
    monkeypatch.chdir(tmp_path)
    name = _wide_csv(tmp_path, columns, "wide.csv")
    code, stdout, stderr = cli("train", "--data", name, "--save", "m.json", *QUICK)
    assert code == 0, stderr
    assert json.loads((tmp_path / "m.json").read_text())["architecture"]["nin"] == columns
    summary = json.loads((tmp_path / "chainrule-out" / "summary.json").read_text())
    if drawn:
        assert drawn in summary["config"]["neuron_drawn"]
        assert (tmp_path / "chainrule-out" / "neuron.svg").exists()
        assert (tmp_path / "chainrule-out" / "explorer.html").exists()
    else:
        assert summary["skipped"] == ["neuron.svg", "explorer.html"]
        assert f"has {columns} inputs, too many to draw readably" in stderr


def test_a_semicolon_separated_csv_trains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = "\n".join(f"{i / 30:.3f};{(i * 7) % 30 / 30:.3f};{i % 2}" for i in range(30))
    code, stdout, stderr = cli("train", "--data", _csv(tmp_path, "a;b;label\n" + rows + "\n"),
                               *QUICK)
    assert code == 0, stderr
    assert "(2-class classification" in stdout


def _dead_pid():
    for pid in range(99999, 4_000_000, 7919):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    pytest.skip("no free process id found")


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked with POSIX os.kill")
def test_staging_folders_of_a_killed_run_are_removed_by_the_next_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "chainrule-out"
    out.mkdir()
    killed = out / f".chainrule-staging-{_dead_pid()}-abc"  # its process is gone
    running = out / f".chainrule-staging-{os.getppid()}-def"  # a run still going: kept
    old = out / ".chainrule-staging-xyz"  # an older chainrule's name, untouched for two days
    for folder in (killed, running, old):
        folder.mkdir()
        (folder / "loss.png").write_bytes(b"half")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    code, _, stderr = cli("train", "--dataset", "xor", *QUICK)
    assert code == 0, stderr
    assert not killed.exists() and not old.exists()
    assert running.exists()


def test_the_neuron_picture_says_which_gradients_it_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = cli("train", "--dataset", "moons", *QUICK)
    assert code == 0, stderr
    svg = (tmp_path / "chainrule-out" / "neuron.svg").read_text()
    assert "grad = d(neuron output) / d(node), from backward() at the neuron&#39;s output" in svg
    assert "(not the training loss&#39;s gradients)" in svg
    page = (tmp_path / "chainrule-out" / "explorer.html").read_text()
    assert "grad = d(neuron output) / d(node)" in page


def _without_dot(tmp_path):
    """A PATH with no `dot`: the graphviz-pure wheel beside this Python is the fallback."""
    folder = tmp_path / "bin"
    folder.mkdir()
    pure = shutil.which("graphviz-pure") or shutil.which(
        "graphviz-pure", path=os.path.dirname(sys.executable))
    if pure is None:
        pytest.skip("graphviz-pure is not installed")
    return str(folder)


def test_renders_are_quiet_with_the_graphviz_pure_fallback(tmp_path):
    env = dict(os.environ, PATH=_without_dot(tmp_path), PYTHONPATH=str(ROOT))
    script = (
        "import contextlib, io, sys\n"
        "import nn\n"
        "from autograd import Value, backward_steps, draw_dot\n"
        "x = Value(2.0, label='x'); y = (x * x).tanh(); y.backward()\n"
        "draw_dot(y)._repr_mimebundle_()\n"  # what a notebook shows
        # our own labels need no silencing: fonts and characters graphviz-pure can measure
        "m = nn.MLP(2, [3, 1], seed=0); loss = m([1.0, 2.0]) * 2; loss.backward()\n"
        "said = io.StringIO()\n"
        "with contextlib.redirect_stderr(said):\n"
        "    step = list(backward_steps(y))[0]\n"
        "    for g in (draw_dot(loss, collapse=m), draw_dot(y, highlight=step),\n"
        "              draw_dot(y, color_by='grad')):\n"
        "        g.pipe(format='svg', quiet=False)\n"
        "assert said.getvalue() == '', said.getvalue()\n"
        "from nn.cli import main\n"
        "main(['graph', 'tanh(x*w + b)', '--set', 'x=1', 'w=-3', 'b=2', '-o', 'g.png',"
        " '--html', 'e.html'])\n"
        "from autograd.graph import find_dot; assert 'graphviz-pure' in find_dot()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    said = [ln for ln in result.stderr.splitlines()
            if not ln.startswith("Matplotlib is building the font cache")]  # a first run's
    assert said == []  # no "Warning: no hard-coded metrics", no width warnings
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
