"""Rendering drawings with Graphviz's dot: finding the program, and writing picture files."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["DotNotFoundError", "find_dot", "computation_graph", "write_picture", "PICTURE_FORMATS"]


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed to render a graph and was not found."""


_INSTALL_HELP = """\
Graphviz's `dot` program was not found, so the graph cannot be rendered (looked for `dot` on
PATH and for the `graphviz-pure` program). Install one of them:
    Debian/Ubuntu:  sudo apt-get install graphviz
    macOS:          brew install graphviz
    pip (any OS):   pip install graphviz-pure
The DOT text is still available: graph.source (print it, or paste it into any Graphviz viewer)."""


def _script_dirs() -> list[str]:
    # where pip puts a wheel's programs: this interpreter's scripts folder, which a notebook
    # kernel started from a venv may not have on PATH
    import sysconfig

    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return [d for d in dirs if d]


def find_dot() -> str | None:
    """The program that renders graphs: ``dot`` on PATH, else the graphviz-pure wheel's, else None.

    When only graphviz-pure is found, the graphviz package is pointed at it
    (``graphviz.backend.dot_command.DOT_BINARY``), so ``.render()``, ``.pipe()`` and the
    inline Jupyter display use it.

    >>> find_dot() is None or isinstance(find_dot(), str)
    True
    """
    import shutil

    from graphviz.backend import dot_command

    current = str(dot_command.DOT_BINARY)
    if current != "dot":  # set by the user, or by an earlier call of ours
        found = shutil.which(current)
        if found:
            return found
    found = shutil.which("dot")
    if found:
        dot_command.DOT_BINARY = Path("dot")
        return found
    pure = shutil.which("graphviz-pure") or shutil.which(
        "graphviz-pure", path=os.pathsep.join(_script_dirs())
    )
    if pure:
        dot_command.DOT_BINARY = Path(pure)  # it takes dot's flags
        return pure
    return None


def _require_dot() -> None:
    if find_dot() is None:
        raise DotNotFoundError(_INSTALL_HELP)


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:  # pragma: no cover - graphviz is a dependency of chainrule
        raise ImportError(
            "draw_dot needs the graphviz Python package: pip install graphviz "
            "(it is a dependency of chainrule; reinstall with pip install chainrule)"
        ) from exc
    return graphviz


_GRAPH_CLASS: Any = None


def _graph_class() -> Any:
    """ComputationGraph: a graphviz.Digraph that explains how to get ``dot`` when it is missing."""
    global _GRAPH_CLASS
    if _GRAPH_CLASS is not None:
        return _GRAPH_CLASS
    graphviz = _import_graphviz()

    class ComputationGraph(graphviz.Digraph):  # type: ignore[misc, name-defined]
        """A graphviz.Digraph of a computation; renders inline in Jupyter as SVG."""

        _text: str = ""

        # quiet: dot's warnings (a font without metrics in graphviz-pure, a character it has
        # no width for) would print on every render, in a notebook as a red box; an error
        # still raises, with dot's message
        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            _require_dot()
            kwargs.setdefault("quiet", True)
            return super().pipe(*args, **kwargs)

        def render(self, *args: Any, **kwargs: Any) -> Any:
            _require_dot()
            kwargs.setdefault("quiet", True)
            return super().render(*args, **kwargs)

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> Any:
            # without dot, the notebook shows the text tree and how to install Graphviz
            if find_dot() is None:
                text = f"{self._text}\n\n" if self._text else ""
                return {"text/plain": text + _INSTALL_HELP}
            return super()._repr_mimebundle_(include, exclude, **kw)

        def save(
            self,
            filename: str | os.PathLike[str] | None = None,
            directory: str | os.PathLike[str] | None = None,
            *,
            skip_existing: bool | None = False,
        ) -> Any:
            """``save("graph.svg")`` writes the picture in the format its extension names
            (one of ``PICTURE_FORMATS``).

            Otherwise (another extension or none, or graphviz's own arguments, as ``render()``
            passes them) it is graphviz's ``Digraph.save``: the DOT source.
            """
            ext = Path(filename).suffix.lower() if filename is not None else ""
            picture = ext.lstrip(".") in PICTURE_FORMATS
            if picture and directory is None and skip_existing is False:
                return write_picture(self, filename)
            return super().save(filename, directory=directory, skip_existing=skip_existing)

        def __repr__(self) -> str:  # stable text (no memory address) in saved notebooks
            nodes = self.source.count("shape=record")
            return f"<computation graph: {nodes} value nodes; display it or .save(path)>"

    _GRAPH_CLASS = ComputationGraph
    return ComputationGraph


def computation_graph(fallback_text: str = "", **attrs: Any) -> Any:
    """A new, empty ComputationGraph: a ``graphviz.Digraph`` that renders with ``dot``.

    ``attrs`` are ``graphviz.Digraph``'s (``format``, ``graph_attr``, ...). Without ``dot``,
    rendering raises ``DotNotFoundError`` saying how to install it, and a notebook shows
    ``fallback_text`` (draw_dot passes the text tree) with that advice instead of the picture.

    >>> g = computation_graph(format="svg"); g.node("v0", label="x")
    >>> "v0 [label=x]" in g.source
    True
    """
    graph = _graph_class()(**attrs)
    graph._text = fallback_text
    return graph


def write_picture(graph: Any, path: str | os.PathLike[str]) -> Path:
    """Write a graphviz graph to ``path``; the extension picks the format: one of
    ``PICTURE_FORMATS`` (drawn by ``dot``), or .dot/.gv for the DOT text.

    >>> import tempfile, os
    >>> g = computation_graph(); g.node("v0", label="x")
    >>> path = write_picture(g, os.path.join(tempfile.mkdtemp(), "graph.gv"))
    >>> path.read_text().startswith("digraph")
    True
    """
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    if ext in ("dot", "gv"):
        path.write_text(graph.source, encoding="utf-8")
        return path
    if not ext:
        raise ValueError(f"save: cannot tell the format of {str(path)!r}: add .svg or .png")
    if ext not in PICTURE_FORMATS:
        raise ValueError(
            f"save: cannot write .{ext} files ({str(path)!r}); use one of "
            + ", ".join(f".{e}" for e in (*PICTURE_FORMATS, "dot", "gv"))
        )
    import subprocess  # (imported where used: importing autograd stays quick)

    try:
        data = graph.pipe(format=ext)
    except subprocess.CalledProcessError as exc:  # e.g. graphviz-pure has no .pdf
        said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"save: dot could not write .{ext} ({str(path)!r}): "
            f"{said[-1] if said else exc}; .svg and .png always work"
        ) from None
    path.write_bytes(data)
    return path


PICTURE_FORMATS = ("svg", "png", "jpg", "jpeg", "gif", "webp", "pdf", "ps")
"""The picture formats ``save`` writes (through ``dot``; .pdf and .ps need system Graphviz)."""
