"""Tests for notebooks/: each runs top to bottom, uses only public names, and is listed; every
exercise's check passes with its answer and fails with a hint without it."""

import ast
import copy
import doctest
import importlib
import importlib.util
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
# besides the standard library: plotting, display, the optional Dask cluster, and PyTorch for
# the side-by-side notebook (which skips its torch cells with a note when torch is absent)
THIRD_PARTY = {"matplotlib", "numpy", "IPython", "distributed", "dask", "torch"}

# In notebooks/README.md but written on other branches of issue 18: drop a name once it lands.
ELSEWHERE: set[str] = set()
# Notebooks whose exercises are being added on another branch (issue 18): empty it once they land.
EXERCISES_ELSEWHERE: set[str] = set()


def load_exercises_module():
    """notebooks/exercises.py, the tool that writes learner copies (not part of a package)."""
    spec = importlib.util.spec_from_file_location("exercises", NOTEBOOK_DIR / "exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


exercises = load_exercises_module()


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


def test_notebooks_are_numbered_from_00_without_gaps_or_repeats():
    here = [path.stem[:2] for path in NOTEBOOKS]
    assert len(here) == len(set(here))
    numbers = sorted(set(here) | {name[:2] for name in ELSEWHERE})
    assert numbers == [f"{i:02d}" for i in range(len(numbers))]
    assert len(here) >= 11  # issue 18: the first edition's eight, 00, and the new topics


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_uses_only_public_names(path):
    assert private_uses(path) == []


def test_readme_lists_every_notebook_and_no_other():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\((\d\d_\w+)\.ipynb\)", readme))
    assert linked == set(IDS) | ELSEWHERE


def test_readme_table_gives_each_notebook_in_order_with_its_time():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \[(\d\d_\w+)\]\(\1\.ipynb\) \| (\d+) min \|", readme, re.M)
    names = [name for name, _ in rows]
    assert names == sorted(set(IDS) | ELSEWHERE)


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
    assert sum(sizes.values()) < 400_000 * len(sizes), sizes  # 400 kB each on average


# ---- exercises: a cell tagged "solution" holds one possible answer, the next one tagged "check"
# says whether it works; notebooks/exercises.py writes learner copies without the answers -------


def exercise_pairs(nb):
    """(solution cell, check cell) for each exercise, in order; fails if they are not paired."""
    cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    pairs = []
    for i, cell in enumerate(cells):
        following = cells[i + 1] if i + 1 < len(cells) else None
        if exercises.is_solution(cell):
            assert following is not None and exercises.is_check(following), (
                f"a solution cell must be followed by its check:\n{cell.source[:200]}")
            pairs.append((cell, following))
        elif exercises.is_check(cell):
            assert i > 0 and exercises.is_solution(cells[i - 1]), (
                f"a check cell must follow its solution cell:\n{cell.source[:200]}")
    return pairs


EXERCISED = [path for path in NOTEBOOKS if path.stem[:2] not in EXERCISES_ELSEWHERE]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_each_solution_cell_is_followed_by_its_check(path):
    nb = nbformat.read(path, as_version=4)
    for solution, _ in exercise_pairs(nb):
        exercises.strip_solution(solution.source)  # its BEGIN/END SOLUTION lines pair up


@pytest.mark.parametrize("path", EXERCISED, ids=[path.stem for path in EXERCISED])
def test_every_notebook_has_an_exercise_whose_check_passed_when_it_was_saved(path):
    nb = nbformat.read(path, as_version=4)
    pairs = exercise_pairs(nb)
    assert pairs, f"{path.name} has no exercise (a cell tagged 'solution' and its 'check')"
    for _, check in pairs:  # a check that passes says so
        printed = [out.text for out in check.outputs if out.output_type == "stream"]
        assert "".join(printed).strip(), f"a check that printed nothing:\n{check.source}"


def notebook_of(cells):
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    nb.cells = [copy.deepcopy(cell) for cell in cells]
    return nb


def test_strip_solution_keeps_the_frame_and_replaces_each_answer_at_its_indent():
    source = (
        'def f(x):\n    """Twice x."""\n    # BEGIN SOLUTION\n    y = 2 * x\n    return y\n'
        "    # END SOLUTION\n\n\ndef g():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION"
    )
    assert exercises.strip_solution(source) == (
        'def f(x):\n    """Twice x."""\n    ...  # your code here\n\n\ndef g():\n'
        "    ...  # your code here"
    )
    assert exercises.strip_solution("answer = 42\nprint(answer)") == "...  # your code here"


@pytest.mark.parametrize(
    "source",
    [
        "# BEGIN SOLUTION\nx = 1",
        "x = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\nx = 1\n# END SOLUTION",
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n# END SOLUTION",
    ],
)
def test_strip_solution_refuses_markers_that_do_not_pair_up(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        exercises.strip_solution(source)


def test_exercises_module_examples_run():
    assert doctest.testmod(exercises).failed == 0


def test_learner_copy_takes_out_answers_and_outputs_and_nothing_else():
    answer = nbformat.v4.new_code_cell(
        "def f():\n    # BEGIN SOLUTION\n    return 42\n    # END SOLUTION",
        metadata={"tags": ["solution"], "jupyter": {"source_hidden": True},
                  "execution": {"shell.execute_reply": "2026-01-01T00:00:00Z"}},
        outputs=[nbformat.v4.new_output("stream", text="42")], execution_count=2,
    )
    check = nbformat.v4.new_code_cell("check(f)", metadata={"tags": ["check"]}, execution_count=3,
                                      outputs=[nbformat.v4.new_output("stream", text="ok")])
    nb = notebook_of([nbformat.v4.new_markdown_cell("# Title"), answer, check])
    copied = exercises.learner_copy(nb)
    assert [cell.source for cell in copied.cells] == [
        "# Title", "def f():\n    ...  # your code here", "check(f)"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in copied.cells[1:])
    assert copied.cells[1].metadata == {"tags": ["solution"]}  # shown, still tagged
    assert nb.cells[1].source.endswith("# END SOLUTION") and nb.cells[2].outputs  # original kept


def test_exercises_script_writes_learner_copies_of_the_chosen_notebooks(tmp_path, capsys):
    assert exercises.main(["00", "--out", str(tmp_path)]) == 0
    [written] = tmp_path.iterdir()
    assert written.name.startswith("00_") and written.name in capsys.readouterr().out
    nb = nbformat.read(written, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert not any("BEGIN SOLUTION" in cell.source for cell in code)
    assert all(cell.outputs == [] for cell in code)
    with pytest.raises(SystemExit, match="no notebook starts with '99'"):
        exercises.main(["99", "--out", str(tmp_path)])


def practice_run(nb):
    """The notebook as a learner works through it, up to its last check. At each exercise: the
    learner's copy of the cell, then the check, which must FAIL with a hint; then the answer and
    the check again, which must pass. Cells after the last check are left out."""
    cells, last_check = [], max(i for i, c in enumerate(nb.cells) if exercises.is_check(c))
    for i, cell in enumerate(nb.cells[: last_check + 1]):
        if exercises.is_solution(cell):
            blank, check = copy.deepcopy(cell), copy.deepcopy(nb.cells[i + 1])
            blank.source = exercises.strip_solution(cell.source)
            check.metadata["practice"] = "must fail"
            cells += [blank, check]
        cells.append(cell)
    return notebook_of(cells)


def practice_problems(nb):
    """What went wrong in an executed practice run: a check that passed, or crashed, without its
    answer (a check's verdict is its own exception, not a built-in one, with a hint), or an error
    in any other cell."""
    import builtins

    problems = []
    for cell in nb.cells:
        errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        where = f"\n--- in:\n{cell.source[:300]}"
        if cell.metadata.get("practice") != "must fail":
            problems += [f"{e.ename}: {e.evalue}{where}" for e in errors]
        elif not errors:
            problems.append(f"this check passed with the answer taken out{where}")
        elif hasattr(builtins, errors[0].ename) or "hint" not in errors[0].evalue.lower():
            verdict = f"{errors[0].ename}: {errors[0].evalue}"
            problems.append(f"a crash, not a check's hint: {verdict}{where}")
    return problems


def test_practice_problems_tell_a_hint_from_a_crash():
    def ran(must_fail, *outputs):
        cell = nbformat.v4.new_code_cell("check(f)", outputs=list(outputs))
        if must_fail:
            cell.metadata["practice"] = "must fail"
        return cell

    def error(ename, evalue):
        return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])

    hint = error("NotYet", "f returned None.\nHint: return something.")
    assert practice_problems(notebook_of([ran(True, hint), ran(False)])) == []
    for bad in (ran(True), ran(True, error("NameError", "name 'f' is not defined")),
                ran(True, error("NotYet", "wrong")), ran(False, hint)):
        assert len(practice_problems(notebook_of([bad]))) == 1


def test_practice_run_puts_a_failing_check_before_each_answer():
    answer = nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION",
                                       metadata={"tags": ["solution"]})
    check = nbformat.v4.new_code_cell("check(x)", metadata={"tags": ["check"]})
    after = nbformat.v4.new_code_cell("train()")
    run = practice_run(notebook_of([nbformat.v4.new_code_cell("setup()"), answer, check, after]))
    assert [(c.source, c.metadata.get("practice")) for c in run.cells] == [
        ("setup()", None), ("...  # your code here", None), ("check(x)", "must fail"),
        (answer.source, None), ("check(x)", None)]


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


@pytest.mark.slow
@pytest.mark.parametrize("path", EXERCISED, ids=[path.stem for path in EXERCISED])
def test_each_check_fails_with_a_hint_without_its_answer_and_passes_with_it(
    path, kernel_name, tmp_path
):
    from nbclient import NotebookClient

    nb = practice_run(nbformat.read(path, as_version=4))
    if any("import torch" in cell.source for cell in nb.cells):
        pytest.importorskip("torch")  # its checks of PyTorch code say "skipped" without torch
    NotebookClient(nb, timeout=300, kernel_name=kernel_name, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert practice_problems(nb) == []


@pytest.mark.slow
def test_pytorch_notebook_runs_without_torch_and_says_what_it_skipped(kernel_name, tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK_DIR / "14_pytorch_side_by_side.ipynb", as_version=4)
    hide = "import sys\nsys.modules['torch'] = None  # from here on, import torch fails"
    nb.cells.insert(0, nbformat.v4.new_code_cell(hide))
    NotebookClient(nb, timeout=300, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    def printed(cell):
        return "".join(out.get("text", "") for out in cell.outputs)

    _, setup, *rest = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "PyTorch is not installed" in printed(setup)
    guarded = [cell for cell in rest if "if torch is None:" in cell.source]
    assert len(guarded) >= 4  # the neuron, second derivatives, to_torch's check, training
    for cell in guarded:  # (a torch cell without the guard fails the run above)
        assert "skipped" in printed(cell), cell.source[:200]
