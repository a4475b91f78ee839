"""What a command leaves behind: its output folder (all files or none), JSON and model files."""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import check_writable, save_target
from ..messages import shown, unquoted
from ..train import LOSSES
from .common import PROG, CLIError

if TYPE_CHECKING:
    from .datasets import Dataset

CLI_KEY = "chainrule_cli"  # what the CLI adds to a model file: how to prepare data for it


class Output:
    """The output folder and the files written to it, with a one-line note for each.

    Files are written into a staging folder first and moved into the output folder by
    ``finish()``, so a run that fails or is interrupted part way (a --save that is refused, a
    diverged model, Ctrl-C) leaves the output folder as it was, not half old and half new.
    The staging folder is made at once, so a folder that cannot be written is an error naming
    ``--out`` before any training; staging folders that a killed run left behind (their
    process is gone) are removed then.

    >>> import tempfile
    >>> out = Output(tempfile.mkdtemp() + "/results")
    >>> _ = out.path("notes.txt").write_text("hello")
    >>> out.wrote("notes.txt", "a greeting")
    >>> print(out.finish())  # doctest: +ELLIPSIS
    wrote to .../results/:
      notes.txt  a greeting
    """

    _open: list[Output] = []  # not finished yet: discard_unfinished() removes their staging

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.files: list[tuple[str, str]] = []
        self.skipped: list[str] = []
        self._staging: Path | None = None
        where = f"--out {unquoted(folder, 300)}"
        # in the output folder, or the nearest folder above it that exists: the same file
        # system, so finish() can move each file with one atomic rename
        near = self.folder.absolute()
        while not near.is_dir():
            if near.exists() or near.parent == near:
                raise CLIError(f"{where}: {str(near)!r} exists and is not a folder")
            near = near.parent
        _remove_stale_staging(near)
        try:
            self._staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{os.getpid()}-", dir=near))
        except OSError as exc:
            raise CLIError(f"{where}: cannot write in {str(near)!r} ({exc.strerror})") from None
        Output._open.append(self)

    def path(self, name: str) -> Path:
        """Where to write ``name`` until finish() moves it into the output folder."""
        if self._staging is None:
            raise CLIError(f"--out {self.folder}: already finished")
        return self._staging / name

    def wrote(self, name: str, note: str) -> None:
        """Record that ``name`` was written, with the note the final report shows for it."""
        self.files.append((name, note))

    def save_figure(self, fig: Any, name: str, note: str) -> None:
        """Save a matplotlib figure as ``name``, close it, and record it."""
        import matplotlib.pyplot as plt

        fig.savefig(self.path(name), dpi=120)
        plt.close(fig)
        self.wrote(name, note)

    def finish(self) -> str:
        """Move every file written into the output folder; returns the report of them."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self._staging is not None:
                for staged in sorted(self._staging.iterdir()):
                    os.replace(staged, self.folder / staged.name)
        except OSError as exc:
            raise CLIError(f"--out {self.folder}: {exc.strerror or exc}") from None
        self.discard()
        width = max((len(name) for name, _ in self.files), default=0)
        lines = [f"wrote to {self.folder}{os.sep}:"]
        lines += [f"  {name.ljust(width)}  {note}" for name, note in self.files]
        return "\n".join(lines)

    def discard(self) -> None:
        """Remove the staging folder and what is left in it (after finish: nothing)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        if self in Output._open:
            Output._open.remove(self)

    @classmethod
    def discard_unfinished(cls) -> None:
        """Discard every Output not finished: what a failed or interrupted run wrote."""
        for out in list(cls._open):
            out.discard()


_STAGING = f".{PROG}-staging-"  # + the pid of the run that writes it + a random part


def _remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders in ``folder`` that a run killed before finishing left: those
    whose process has gone (a run in progress keeps its own). On systems without POSIX process
    checks, those untouched for a day."""
    for staged in folder.glob(f"{_STAGING}*"):
        pid = staged.name[len(_STAGING):].split("-")[0]
        if staged.is_dir() and _abandoned(staged, int(pid) if pid.isdigit() else None):
            shutil.rmtree(staged, ignore_errors=True)


def _abandoned(staged: Path, pid: int | None) -> bool:
    if pid is None or os.name != "posix":  # a name from an older chainrule, or no os.kill(pid, 0)
        try:
            return time.time() - staged.stat().st_mtime > 24 * 3600
        except OSError:
            return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, owned by someone else
        return False
    return False


# ---- JSON: summary.json, search.json ------------------------------------------------------------


def _json_safe(x: Any) -> Any:
    """JSON has no NaN or infinity: a diverged run records them as the strings "nan", "inf"."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` as indented JSON, with NaN and infinities as "nan", "inf", "-inf".

    >>> import json, pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.json"
    >>> write_json(path, {"loss": [0.5, float("nan")]})
    >>> json.loads(path.read_text())
    {'loss': [0.5, 'nan']}
    """
    text = json.dumps(_json_safe(document), indent=2, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def versions() -> dict[str, Any]:
    """Python, the platform, the versions of chainrule and its extras, and the dot in use.

    >>> sorted(versions())
    ['chainrule', 'dot', 'graphviz', 'matplotlib', 'platform', 'python', 'tqdm']
    """
    from importlib import metadata

    out: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("chainrule", "matplotlib", "tqdm", "graphviz"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = None
    from autograd import graph

    out["dot"] = graph.find_dot()
    return out


def write_summary(out: Output, summary: dict[str, Any], train_time: float, started: float) -> None:
    """summary.json for demo and train, then the report of every file written.

    ``summary`` gets the wall times, the versions, the files written (this one included) and
    those skipped.

    >>> import tempfile, time
    >>> out = Output(tempfile.mkdtemp())
    >>> write_summary(out, {"command": "demo"}, 1.5, time.perf_counter())  # doctest: +ELLIPSIS
    wrote to .../:
      summary.json  config, seed, metrics, wall time and versions
    """
    summary["wall_time_s"] = {"train": train_time, "total": time.perf_counter() - started}
    summary["versions"] = versions()
    summary["files"] = [name for name, _ in out.files] + ["summary.json"]
    summary["skipped"] = out.skipped
    write_json(out.path("summary.json"), summary)
    out.wrote("summary.json", "config, seed, metrics, wall time and versions")
    print(out.finish())


# ---- model files --------------------------------------------------------------------------------


def check_save_path(path: str | None, flag: str = "--save") -> None:
    """Refuse a path to write (``--save``, ``-o``, ``--html``) that cannot work, before the
    work and not after it: a folder, a missing folder, a folder that cannot be written.

    >>> import tempfile
    >>> check_save_path(None), check_save_path(tempfile.mkdtemp() + "/model.json")
    (None, None)
    >>> check_save_path(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    nn.cli.common.CLIError: --save ...: is a folder; give a file name such as .../model.json
    """
    if path is None:
        return
    where = f"{flag} {unquoted(path, 300)}"
    try:
        target = save_target(path, where)  # the checks Module.save makes, made before the work
        if not os.path.exists(target) or os.path.isfile(target):  # a device is written through
            check_writable(os.path.dirname(target), where)
    except OSError as exc:
        raise CLIError(exc.strerror if exc.errno is not None else str(exc)) from None


def save_model(model: Any, path: str, ds: Dataset, loss: str) -> None:
    """``model.save(path)`` plus what evaluating it later needs (loss, classes, scaling).

    >>> import json, tempfile
    >>> from nn import MLP
    >>> from nn.cli.datasets import Dataset
    >>> ds = Dataset("toy", [[0.0], [1.0]], [0, 1], "binary", ["x"], [0, 1])
    >>> path = tempfile.mkdtemp() + "/m.json"
    >>> save_model(MLP(1, [1], seed=0), path, ds, "hinge")
    >>> json.load(open(path))[CLI_KEY]["loss"]
    'hinge'
    """
    evaluation = {
        "dataset": ds.name, "task": ds.task, "loss": loss, "classes": ds.classes,
        "features": ds.feature_names, "mean": ds.mean, "std": ds.std,
    }
    try:
        model.save(path, extra={CLI_KEY: evaluation})
    except OSError as exc:
        raise CLIError(f"--save {path}: {exc.strerror or exc}") from None


_TASKS = ("binary", "multiclass", "regression")


def cli_section(document: dict[str, Any], path: str) -> dict[str, Any]:
    """What ``save_model`` recorded in a model file (``{}`` for a file saved by a script),
    each field checked: a CLIError names the file and the field of a tampered one.

    >>> cli_section({CLI_KEY: {"loss": "mse", "mean": [0.0], "std": [2.0]}}, "m.json")["std"]
    [2.0]
    >>> cli_section({CLI_KEY: {"classes": 5}}, "m.json")
    Traceback (most recent call last):
    ...
    nn.cli.common.CLIError: --load m.json: chainrule_cli.classes must be a list of at least 2 \
distinct numbers, got 5
    """
    section = document.get(CLI_KEY)
    if section is None:
        return {}
    where = f"--load {unquoted(path, 300)}: {CLI_KEY}"
    if not isinstance(section, dict):
        raise CLIError(f"{where} must be an object, got {type(section).__name__}")
    checks = {
        "dataset": (lambda v: isinstance(v, str), "a name"),
        "task": (lambda v: v in _TASKS, f"one of {', '.join(_TASKS)}"),
        "loss": (lambda v: isinstance(v, str) and v in LOSSES, f"one of {', '.join(LOSSES)}"),
        "classes": (_distinct_numbers, "a list of at least 2 distinct numbers"),
        "features": (lambda v: isinstance(v, list) and all(isinstance(f, str) for f in v),
                     "a list of names"),
        "mean": (lambda v: _finite_numbers(v, positive=False), "a list of finite numbers"),
        "std": (lambda v: _finite_numbers(v, positive=True), "a list of numbers > 0"),
    }
    for key, (valid, what) in checks.items():
        value = section.get(key)
        if value is not None and value != [] and not valid(value):
            raise CLIError(f"{where}.{key} must be {what}, got {shown(value)}")
    mean, std = section.get("mean"), section.get("std")
    if (mean is None) != (std is None) or (mean is not None and len(mean) != len(std)):
        raise CLIError(f"{where}.mean and .std must both be there, with one number per feature")
    return section


def _numbers(values: Any) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )


def _distinct_numbers(values: Any) -> bool:
    return _numbers(values) and len(values) >= 2 and len(set(values)) == len(values)


def _finite_numbers(values: Any, positive: bool) -> bool:
    if not _numbers(values) or not values:
        return False
    try:
        return all(math.isfinite(float(v)) and (float(v) > 0 or not positive) for v in values)
    except OverflowError:  # an int beyond float's range
        return False
