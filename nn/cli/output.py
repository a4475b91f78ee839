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

from ..module import save_target
from .common import PROG, CLIError

if TYPE_CHECKING:
    from .datasets import Dataset

CLI_KEY = "chainrule_cli"  # what the CLI adds to a model file: how to prepare data for it


class Output:
    """The output folder and the files written to it, with a one-line note for each.

    Files are written into a staging folder first and moved into the output folder by
    ``finish()``, so a run that fails or is interrupted part way (a --save that is refused, a
    diverged model, Ctrl-C) leaves the output folder as it was, not half old and half new.

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
        if self.folder.exists() and not self.folder.is_dir():
            raise CLIError(f"--out {folder}: exists and is not a folder")
        self.files: list[tuple[str, str]] = []
        self.skipped: list[str] = []
        self._staging: Path | None = None
        Output._open.append(self)

    def path(self, name: str) -> Path:
        """Where to write ``name`` until finish() moves it into the output folder."""
        if self._staging is None:
            # in the output folder, or the nearest folder above it that exists: the same
            # file system, so finish() can move each file with one atomic rename
            near = self.folder.absolute()
            while not near.is_dir():
                near = near.parent
            self._staging = Path(tempfile.mkdtemp(prefix=f".{PROG}-staging-", dir=near))
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
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._staging is not None:
            for staged in sorted(self._staging.iterdir()):
                os.replace(staged, self.folder / staged.name)
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


def check_save_path(path: str | None) -> None:
    """Refuse a --save path that cannot work before training, not after it.

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
    try:
        save_target(path, f"--save {path}")  # the checks Module.save makes, made before training
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
