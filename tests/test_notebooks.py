"""Tests for notebooks/: each runs top to bottom, uses only public names, and is listed."""

import ast
import importlib
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]

# The public surface a notebook may import from: each package's top level and the documented
# nn modules, each limited to its __all__ (and to documented submodules).
OUR_PACKAGES = {"autograd", "nn"}
DOCUMENTED_MODULES = ["autograd", "nn", "nn.data", "nn.init", "nn.losses", "nn.optim",
                      "nn.plot", "nn.search", "nn.gpt", "nn.tokenizer"]
# besides the standard library: plotting, display, and the optional Dask cluster
THIRD_PARTY = {"matplotlib", "numpy", "IPython", "distributed", "dask"}


def public_names(module_name):
    """What a notebook may take from one of our modules: its __all__ plus documented submodules."""
    module = importlib.import_module(module_name)
    names = set(module.__all__)
    names |= {m.rsplit(".", 1)[1] for m in DOCUMENTED_MODULES if m.startswith(module_name + ".")}
    return names


PUBLIC = {name: public_names(name) for name in DOCUMENTED_MODULES}


def code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def python_source(cell_source):
    """A cell's source without IPython magics and shell escapes (``%matplotlib inline``)."""
    lines = [line for line in cell_source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class PublicNameChecker(ast.NodeVisitor):
    """Collects uses of non-public names: imports, attributes, getattr strings."""

    def __init__(self):
        self.problems = []
        self.modules = {}  # a name bound in the notebook -> the module of ours it refers to

    def problem(self, node, message):
        self.problems.append(f"line {node.lineno}: {message}")

    def visit_Import(self, node):
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top in OUR_PACKAGES:
                if alias.name not in PUBLIC:
                    self.problem(node, f"import {alias.name}: not a documented module")
                elif alias.asname:
                    self.modules[alias.asname] = alias.name
                else:
                    self.modules[top] = top
            elif top not in sys.stdlib_module_names and top not in THIRD_PARTY:
                self.problem(node, f"import {alias.name}: not the standard library or allowed")

    def visit_ImportFrom(self, node):
        module = node.module or ""
        top = module.split(".")[0]
        if node.level:
            self.problem(node, "relative import")
        elif top in OUR_PACKAGES:
            if module not in PUBLIC:
                self.problem(node, f"from {module} import ...: not a documented module")
                return
            for alias in node.names:
                if alias.name == "*":
                    self.problem(node, f"from {module} import *")
                elif alias.name not in PUBLIC[module]:
                    self.problem(node, f"from {module} import {alias.name}: not public")
                elif f"{module}.{alias.name}" in PUBLIC:
                    self.modules[alias.asname or alias.name] = f"{module}.{alias.name}"
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY:
            self.problem(node, f"from {module} import ...: not the standard library or allowed")

    def visit_Attribute(self, node):
        if is_private(node.attr):
            self.problem(node, f".{node.attr}: a private name")
        elif isinstance(node.value, ast.Name) and node.value.id in self.modules:
            module = self.modules[node.value.id]
            if node.attr not in PUBLIC[module]:
                self.problem(node, f"{module}.{node.attr}: not public")
        self.generic_visit(node)

    def visit_Call(self, node):
        # getattr(v, "_children") reaches a private name without an attribute node
        is_attr_fn = isinstance(node.func, ast.Name) and node.func.id in (
            "getattr", "setattr", "hasattr", "delattr")
        if is_attr_fn and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                if is_private(name.value):
                    self.problem(node, f"{node.func.id}(..., {name.value!r}): a private name")
        self.generic_visit(node)


def private_uses(path):
    checker = PublicNameChecker()
    for index, cell in enumerate(code_cells(path)):
        before = len(checker.problems)
        checker.visit(ast.parse(python_source(cell.source)))
        checker.problems[before:] = [f"cell {index}, {p}" for p in checker.problems[before:]]
    return checker.problems


# ---- the checker itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "from autograd.engine import Value",
        "from autograd import backpropagate",
        "import nn.train",
        "from nn import layers",
        "from nn.search import _run_fold",
        "from nn.plot import *",
        "x = v._children",
        "import nn\nnn.train.accuracy([1], [1])",
        "from nn import search\nsearch.SCORINGS",
        "getattr(v, '_op')",
        "import requests",
    ],
)
def test_public_name_checker_flags_private_or_undocumented_use(source):
    checker = PublicNameChecker()
    checker.visit(ast.parse(source))
    assert checker.problems, source


@pytest.mark.parametrize(
    "source",
    [
        "from autograd import Value, draw_dot, explore\nx = Value(1.0).__class__.__name__",
        "import nn\nfrom nn import data, plot, search\nm = nn.MLP(2, [1])\nsearch.MLPBuilder(2)",
        "from nn.losses import cross_entropy\nimport math, time\nimport matplotlib.pyplot as plt",
        "from distributed import Client, LocalCluster\nX_test, _, _ = 1, 2, 3",
    ],
)
def test_public_name_checker_accepts_public_use(source):
    checker = PublicNameChecker()
    checker.visit(ast.parse(source))
    assert checker.problems == []


# ---- the committed notebooks ---------------------------------------------------------------------


def test_there_are_nine_numbered_notebooks():
    assert [path.stem[:2] for path in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 10)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_uses_only_public_names(path):
    assert private_uses(path) == []


def test_readme_lists_every_notebook_and_no_other():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((\d\d_\w+)\.ipynb\)", readme))
    assert linked == set(IDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_notebook_was_run_top_to_bottom_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    # saved outputs come from one fresh run, in order: counts 1, 2, 3, ...
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    errors = [out for cell in cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []


def test_notebook_outputs_stay_small():
    sizes = {path.name: path.stat().st_size for path in NOTEBOOKS}
    assert max(sizes.values()) < 1_000_000, sizes  # no giant SVGs: collapse large graphs
    assert sum(sizes.values()) < 3_000_000, sizes


# ---- running them --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel_name():
    pytest.importorskip("nbclient")
    from jupyter_client.kernelspec import KernelSpecManager

    if "python3" not in KernelSpecManager().find_kernel_specs():
        pytest.fail(
            "no Jupyter kernel named python3; install one into the venv with: "
            "python -m ipykernel install --sys-prefix --name python3"
        )
    return "python3"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom(path, kernel_name, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)  # an in-memory copy: the committed file is untouched
    client = NotebookClient(
        nb,
        timeout=300,  # per cell; each whole notebook takes well under a minute
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(tmp_path)}},  # files a notebook writes land here
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert errors == []
