"""The chainrule command, driven as a subprocess: outputs, errors, exit codes, determinism."""

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nn import data
from nn.cli import build_parser, datasets, output, parse_assignments
from nn.cli.search import parse_grid
from nn.search import MLPBuilder, grid_search

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "chainrule"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd, extra_path=None, script=False, timeout=240):
    """Run ``python -m nn ARGS`` (or the chainrule script) in ``cwd``; returns the result."""
    env = dict(os.environ)
    paths = [str(extra_path)] if extra_path else []
    paths.append(str(ROOT))  # the package under test, even where it is not installed
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("MPLBACKEND", None)
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "nn"]
    return subprocess.run(
        command + [str(a) for a in args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


def assert_one_line_error(result, *fragments):
    """Exit 1, no traceback, and one `chainrule: error:` line containing the fragments."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("chainrule: error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_MAGIC, path


def assert_svg(path):
    root = ET.fromstring(path.read_bytes())
    assert root.tag.endswith("svg"), root.tag


def explorer_data(path):
    """The steps the explorer page embeds (its <script type="application/json">)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" data-cr="data">(.*?)</script>', text, re.S)
    assert match, "no embedded steps"
    assert "http://" not in text and "https://" not in text  # self-contained: no network
    return json.loads(match.group(1))


@pytest.fixture
def hide(tmp_path):
    """A folder to put first on PYTHONPATH that makes optional dependencies disappear."""

    def make(*modules, dot=False):
        folder = tmp_path / "hidden"
        for name in modules:
            (folder / name).mkdir(parents=True, exist_ok=True)
            (folder / name / "__init__.py").write_text(
                f'raise ImportError("No module named {name!r} (hidden by the test)")\n'
            )
        folder.mkdir(exist_ok=True)
        if dot:  # Graphviz's dot (and graphviz-pure) cannot be found
            (folder / "sitecustomize.py").write_text(
                "import autograd.graph\nautograd.graph.find_dot = lambda: None\n"
            )
        return folder

    return make


# ---- help and usage -------------------------------------------------------------------------


@pytest.mark.parametrize("command", [None, "demo", "train", "graph", "search"])
def test_help_of_every_command_shows_examples(tmp_path, command):
    args = ["--help"] if command is None else [command, "--help"]
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "examples:" in result.stdout
    assert "chainrule" in result.stdout


def test_console_script_runs_the_same_command(tmp_path):
    if not SCRIPT.exists():
        pytest.skip("the chainrule script is not installed in this environment")
    result = run("graph", "x*y", "--set", "x=3", "y=4", cwd=tmp_path, script=True)
    assert result.returncode == 0, result.stderr
    assert "d/dx = 4" in result.stdout and "d/dy = 3" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "required"),
        (["fly"], "invalid choice"),
        (["train", "--lr", "-1"], "--lr"),
        (["train", "--hidden", "16,x"], "--hidden"),
        (["train", "--dataset", "mnist"], "invalid choice"),
        (["train", "--dataset", "moons", "--data", "a.csv"], "not allowed"),
        (["demo", "--epochs", "0"], "--epochs"),
        (["graph", "x", "--set", "x"], "NAME=VALUE"),
        (["graph", "x", "--set", "x=abc"], "not a number"),
        (["graph", "x", "--set", "x=1", "-o", "g.txt"], "extension"),
        (["search", "--dataset", "moons"], "--grid"),
        (["search", "--grid", "lr="], "no values"),
        (["search", "--grid", "lr=0.1 bogus=1"], "unknown hyperparameter"),
    ],
)
def test_usage_errors_exit_2_with_argparse_message(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "usage: chainrule" in result.stderr
    assert message in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback_of_a_runtime_error(tmp_path):
    plain = run("train", "--data", "missing.csv", cwd=tmp_path)
    assert_one_line_error(plain, "missing.csv", "no such file")
    debug = run("train", "--data", "missing.csv", "--debug", cwd=tmp_path)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "CLIError" in debug.stderr


# ---- demo -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_reaches_full_accuracy_and_writes_valid_files(tmp_path):
    result = run("demo", cwd=tmp_path)  # the default run, progress bar and all
    assert result.returncode == 0, result.stderr
    assert "accuracy 100.0% (100/100)" in result.stdout
    assert "fit:" in result.stderr and "100/100" in result.stderr  # tqdm's bar
    out = tmp_path / "chainrule-out"
    assert sorted(p.name for p in out.iterdir()) == [
        "decision_boundary.png", "explorer.html", "loss.png", "neuron.svg", "summary.json",
    ]
    assert_png(out / "loss.png")
    assert_png(out / "decision_boundary.png")
    assert_svg(out / "neuron.svg")
    svg = (out / "neuron.svg").read_text()
    assert ">w0<" in svg and ">x0<" in svg and ">relu<" in svg and "grad" in svg
    assert ">*<" in svg  # unfused: every multiply shows
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 1337 and summary["config"]["epochs"] == 100
    assert summary["metrics"]["accuracy"] == 1.0
    assert len(summary["metrics"]["history"]["loss"]) == 100
    assert summary["wall_time_s"]["total"] > 0 and summary["versions"]["python"]
    steps = explorer_data(out / "explorer.html")
    assert steps["backward"] and steps["nodes"]
    # an active ReLU neuron: d out/d w_i = x_i and d out/d x_i = w_i
    nodes = {n["label"]: n for n in steps["nodes"] if n["label"]}
    for i in (0, 1):
        assert nodes[f"w{i}"]["grad"] == nodes[f"x{i}"]["data"]
        assert nodes[f"x{i}"]["grad"] == nodes[f"w{i}"]["data"]
    assert nodes["b"]["grad"] == 1.0


@pytest.mark.slow
def test_demo_is_deterministic_for_a_seed(tmp_path):
    def metrics(seed, folder):
        result = run("demo", "--epochs", "8", "--seed", seed, "--no-progress", "--out", folder,
                     cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads((tmp_path / folder / "summary.json").read_text())["metrics"]

    first, again, other = metrics(3, "a"), metrics(3, "b"), metrics(4, "c")
    assert first == again
    assert first["history"]["loss"] != other["history"]["loss"]


def test_demo_without_matplotlib_names_the_extra(tmp_path, hide):
    result = run("demo", cwd=tmp_path, extra_path=hide("matplotlib"))
    assert_one_line_error(result, 'pip install "chainrule[plot]"')
    assert not (tmp_path / "chainrule-out").exists()  # failed before training


def test_demo_without_tqdm_names_the_extra_or_runs_with_no_progress(tmp_path, hide):
    folder = hide("tqdm")
    result = run("demo", cwd=tmp_path, extra_path=folder)
    assert_one_line_error(result, 'pip install "chainrule[progress]"', "--no-progress")
    result = run("demo", "--no-progress", "--epochs", "2", cwd=tmp_path, extra_path=folder)
    assert result.returncode == 0, result.stderr


def test_demo_without_dot_writes_the_rest_and_says_what_was_skipped(tmp_path, hide):
    result = run("demo", "--epochs", "3", "--no-progress", cwd=tmp_path,
                 extra_path=hide(dot=True))
    assert result.returncode == 0, result.stderr
    assert "skipped neuron.svg and explorer.html" in result.stderr
    assert "graphviz" in result.stderr.lower()
    out = tmp_path / "chainrule-out"
    assert sorted(p.name for p in out.iterdir()) == [
        "decision_boundary.png", "loss.png", "neuron.dot", "summary.json",
    ]
    assert (out / "neuron.dot").read_text().startswith("digraph")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["skipped"] == ["neuron.svg", "explorer.html"]


# ---- train ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dataset, picture, nout",
    [("moons", "decision_boundary.png", 1), ("spirals", "decision_boundary.png", 3),
     ("iris", None, 3), ("sine", "fit.png", 1)],
)
def test_train_writes_the_pictures_that_fit_the_data(tmp_path, dataset, picture, nout):
    result = run("train", "--dataset", dataset, "--samples", 40, "--epochs", 3, "--hidden", 4,
                 "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "chainrule-out"
    names = sorted(p.name for p in out.iterdir())
    expected = {"loss.png", "neuron.svg", "explorer.html", "summary.json"}
    if picture:
        expected.add(picture)
    assert set(names) == expected
    for name in names:
        if name.endswith(".png"):
            assert_png(out / name)
    assert_svg(out / "neuron.svg")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["hidden"] == [4]
    assert summary["config"]["model"].endswith(f"[4, {nout}])")
    assert summary["metrics"]["epochs"] == 3
    assert "validation" in result.stdout


def test_train_reaches_every_training_option(tmp_path):
    result = run(
        "train", "--dataset", "xor", "--samples", 60, "--epochs", 6, "--hidden", "8,8",
        "--activation", "tanh", "--init", "xavier_uniform", "--dropout", 0.1, "--loss", "hinge",
        "--optimizer", "sgd", "--lr", 0.1, "--momentum", 0.9, "--nesterov", "--weight-decay",
        1e-4, "--schedule", "cosine", "--warmup", 2, "--batch-size", 16, "--l2", 1e-4,
        "--clip-grad-norm", 1.0, "--patience", 10, "--grad-flow", "--no-progress",
        "--out", "o", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert_png(tmp_path / "o" / "grad_flow.png")
    config = json.loads((tmp_path / "o" / "summary.json").read_text())["config"]
    assert config["loss"] == "hinge" and config["momentum"] == 0.9 and config["nesterov"]
    assert config["schedule"] == "cosine" and config["batch_size"] == 16


def test_train_option_that_does_not_fit_is_a_one_line_error(tmp_path):
    result = run("train", "--optimizer", "adam", "--momentum", 0.9, cwd=tmp_path)
    assert_one_line_error(result, "--momentum", "sgd")
    result = run("train", "--dataset", "iris", "--loss", "hinge", cwd=tmp_path)
    assert_one_line_error(result, "--loss hinge", "3-class")


def test_train_save_then_load_gives_the_same_metrics(tmp_path):
    trained = run("train", "--dataset", "iris", "--epochs", 5, "--val-split", 0, "--seed", 2,
                  "--no-progress", "--save", "iris.json", "--out", "a", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    document = json.loads((tmp_path / "iris.json").read_text())
    assert document["format"] == "chainrule.model" and document["chainrule_cli"]["mean"]
    loaded = run("train", "--load", "iris.json", "--out", "b", cwd=tmp_path)  # iris from file
    assert loaded.returncode == 0, loaded.stderr
    assert "evaluated on iris (150 samples)" in loaded.stdout
    before = json.loads((tmp_path / "a" / "summary.json").read_text())["metrics"]["train"]
    after = json.loads((tmp_path / "b" / "summary.json").read_text())["metrics"]["evaluation"]
    assert after == pytest.approx(before, rel=1e-12)


def test_load_refuses_another_architecture(tmp_path):
    trained = run("train", "--dataset", "iris", "--epochs", 2, "--hidden", 4, "--no-progress",
                  "--save", "m.json", cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr
    result = run("train", "--load", "m.json", "--hidden", "8", cwd=tmp_path)
    assert_one_line_error(result, "another architecture", "--hidden 8", "[4]")
    result = run("train", "--load", "m.json", "--dataset", "moons", cwd=tmp_path)
    assert_one_line_error(result, "another architecture", "4 features", "moons has 2")
    result = run("train", "--load", "nothing.json", cwd=tmp_path)
    assert_one_line_error(result, "nothing.json", "no such file")
    (tmp_path / "bad.json").write_text("{not json")
    result = run("train", "--load", "bad.json", cwd=tmp_path)
    assert_one_line_error(result, "bad.json", "not a valid model file")


def test_train_on_a_csv_with_header_and_load_it_again(tmp_path):
    lines = ["# two clusters; label 1 or 2", "u,v,label"]
    for i in range(30):
        a = i / 30
        lines += [f"{10 + a},{20 - a},1", f"{-10 - a},{-20 + a},2"]
    (tmp_path / "points.csv").write_text("\n".join(lines) + "\n")
    result = run("train", "--data", "points.csv", "--epochs", 20, "--no-progress",
                 "--save", "p.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "chainrule-out" / "summary.json").read_text())
    assert summary["config"]["task"] == "binary" and summary["config"]["classes"] == [1, 2]
    assert summary["config"]["features"] == ["u", "v"] and summary["config"]["standardized"]
    assert summary["metrics"]["train"]["accuracy"] == 1.0
    assert_png(tmp_path / "chainrule-out" / "decision_boundary.png")
    again = run("train", "--data", "points.csv", "--load", "p.json", "--out", "b", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "accuracy 100.0%" in again.stdout


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("a,b,c\n1,2,0\n\n3,4\n", ["bad.csv, line 4", "2 columns", "line 1 has 3"]),
        ("1,2,0\n3,x,1\n", ["bad.csv, line 2, column 2", "'x' is not a number"]),
        ("a,b,c\n1,,0\n", ["line 2, column 2 ('b')", "empty cell"]),
        ("1,2,inf\n", ["line 1, column 3", "not a finite number"]),
        ("", ["bad.csv is empty"]),
        ("a,b,c\n", ["header but no data rows"]),
        ("1\n2\n", ["at least 2 columns"]),
    ],
)
def test_bad_csv_gives_a_one_line_error_naming_the_place(tmp_path, text, fragments):
    (tmp_path / "bad.csv").write_text(text)
    result = run("train", "--data", "bad.csv", cwd=tmp_path)
    assert_one_line_error(result, *fragments)


def test_missing_csv_is_named(tmp_path):
    result = run("train", "--data", "nowhere.csv", cwd=tmp_path)
    assert_one_line_error(result, "--data nowhere.csv: no such file")


# ---- graph ----------------------------------------------------------------------------------


def printed_grads(stdout):
    return {m[0]: float(m[1]) for m in re.findall(r"d/d(\w+) = (\S+)", stdout)}


def test_graph_prints_gradients_equal_to_torch_and_writes_svg_and_explorer(tmp_path, torch):
    result = run("graph", "tanh(x*w + b)", "--set", "x=1", "w=-3", "b=2", "-o", "graph.svg",
                 "--html", "explorer.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    x, w, b = (torch.tensor(v, requires_grad=True) for v in (1.0, -3.0, 2.0))
    out = torch.tanh(x * w + b)
    out.backward()
    assert f"= {out.item():.6g}" in result.stdout.splitlines()[0]
    grads = printed_grads(result.stdout)
    assert list(grads) == ["x", "w", "b"]  # in the order they appear
    for name, t in (("x", x), ("w", w), ("b", b)):
        assert grads[name] == pytest.approx(t.grad.item(), rel=1e-5)
    assert_svg(tmp_path / "graph.svg")
    steps = explorer_data(tmp_path / "explorer.html")
    final = {n["label"]: n["grad"] for n in steps["nodes"] if n["leaf"] and n["label"]}
    for name, t in (("x", x), ("w", w), ("b", b)):
        assert final[name] == pytest.approx(t.grad.item(), rel=1e-12)
    assert len(steps["backward"]) >= 4


def test_graph_picks_png_by_extension_and_prints_a_tree_without_output(tmp_path):
    result = run("graph", "x**2 + 3*x", "--set", "x=2", "-o", "g.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert printed_grads(result.stdout) == {"x": 7.0}
    assert_png(tmp_path / "g.png")
    result = run("graph", "x**2 + 3*x", "--set", "x=2", cwd=tmp_path)
    assert result.returncode == 0 and "x  data 2.0000  grad 7.0000" in result.stdout


def test_graph_bad_expression_points_at_the_column(tmp_path):
    result = run("graph", "tanh(x*w +* b)", "--set", "x=1", "w=2", "b=3", cwd=tmp_path)
    first = assert_one_line_error(result, "column 11")
    lines = result.stderr.splitlines()
    shown, caret = lines[lines.index(first) + 1], lines[lines.index(first) + 2]
    assert shown.strip() == "tanh(x*w +* b)"
    assert caret.index("^") == shown.index("*", shown.index("+"))  # under the stray *


def test_graph_unset_variable_is_named(tmp_path):
    result = run("graph", "x*w + b", "--set", "x=1", "w=2", cwd=tmp_path)
    assert_one_line_error(result, "unknown variable 'b'", "--set b=")
    assert not list(tmp_path.iterdir())


def test_graph_domain_error_is_reported_not_raised(tmp_path):
    result = run("graph", "log(x)", "--set", "x=-1", cwd=tmp_path)
    assert_one_line_error(result, "log", "-1")


def test_graph_without_dot_prints_gradients_then_fails_but_dot_text_works(tmp_path, hide):
    folder = hide(dot=True)
    result = run("graph", "x*y", "--set", "x=2", "y=5", "-o", "g.svg", cwd=tmp_path,
                 extra_path=folder)
    assert_one_line_error(result, "dot", "graphviz", "-o graph.dot")
    assert printed_grads(result.stdout) == {"x": 5.0, "y": 2.0}
    result = run("graph", "x*y", "--set", "x=2", "y=5", "-o", "g.dot", cwd=tmp_path,
                 extra_path=folder)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


# ---- search ---------------------------------------------------------------------------------


def table_scores(stdout):
    """(params..., mean, std) of each ranked row: everything but the timing column."""
    rows = [ln.split() for ln in stdout.splitlines() if re.match(r"\s+\d+\s", ln)]
    return [tuple(row[1:-1]) for row in rows]


SEARCH = ["search", "--dataset", "moons", "--samples", 40, "--grid", "lr=0.1,0.01 hidden=4;8",
          "--cv", 2, "--epochs", 3, "--no-progress"]


def test_search_prints_a_ranked_table_the_same_on_two_processes(tmp_path):
    result = run(*SEARCH, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(ln for ln in lines if ln.startswith("rank"))
    assert header.split() == ["rank", "hidden", "lr", "accuracy", "std", "time_s"]  # sorted
    rows = table_scores(result.stdout)
    assert len(rows) == 4
    scores = [float(r[2]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert re.search(r"^best: hidden=\S+ lr=\S+ \(accuracy", result.stdout, re.M)
    parallel = run(*SEARCH, "--jobs", 2, cwd=tmp_path)
    assert parallel.returncode == 0, parallel.stderr
    assert table_scores(parallel.stdout) == rows


def test_search_random_writes_results_and_saves_the_best_model(tmp_path):
    result = run(*SEARCH, "--random", 2, "--out", "s", "--save", "best.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(table_scores(result.stdout)) == 2
    found = json.loads((tmp_path / "s" / "search.json").read_text())
    assert len(found["trials"]) == 2 and found["best_params"]
    assert_png(tmp_path / "s" / "search.png")
    assert json.loads((tmp_path / "best.json").read_text())["class"] == "MLP"


def test_search_unreachable_scheduler_is_a_one_line_error(tmp_path):
    pytest.importorskip("distributed")
    result = run(*SEARCH, "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", 1,
                 cwd=tmp_path)
    assert_one_line_error(result, "--scheduler tcp://127.0.0.1:9", "cannot connect")


@pytest.mark.slow
def test_search_on_a_dask_cluster_matches_the_local_table(tmp_path):
    distributed = pytest.importorskip("distributed")
    local = run(*SEARCH, cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        result = run(*SEARCH, "--scheduler", cluster.scheduler_address, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Dask cluster" in result.stdout
    assert table_scores(result.stdout) == table_scores(local.stdout)


# ---- helpers, in process --------------------------------------------------------------------


def test_parse_grid_reads_numbers_words_and_layer_lists():
    assert parse_grid("lr=0.1,0.03,0.01 hidden=8;16,16") == {
        "lr": [0.1, 0.03, 0.01], "hidden": [(8,), (16, 16)]}
    assert parse_grid("  epochs=10  act=relu,tanh nesterov=true,false bs=none,8 ") == {
        "epochs": [10], "act": ["relu", "tanh"], "nesterov": [True, False], "bs": [None, 8]}
    assert parse_grid("hidden=16,16;") == {"hidden": [(16, 16)]}
    assert parse_grid("lr=1e-3") == {"lr": [0.001]}


def test_parse_grid_output_feeds_a_search():
    X, Y = data.make_moons(40, noise=0.1, seed=0)  # noqa: N806
    grid = parse_grid("lr=0.1,0.01 hidden=2;2,2")
    result = grid_search(MLPBuilder(2, epochs=2), grid, X, Y, cv=2, progress=False)
    assert [t.params["hidden"] for t in result.trials] == [(2,), (2,), (2, 2), (2, 2)]
    assert all(t.ok for t in result.trials)


@pytest.mark.parametrize(
    "text, error, message",
    [
        ("lr", ValueError, "expected name=value.*got 'lr'"),
        ("=0.1", ValueError, "expected name=value"),
        ("lr=", ValueError, "no values for 'lr'"),
        ("lr=0.1,,0.2", ValueError, "empty value in 'lr=0.1,,0.2'"),
        ("lr=0.1 lr=0.2", ValueError, "'lr' is given twice"),
        ("hidden=16,16", ValueError, r"lists 16 twice.*hidden=16,16;"),
        ("2x=1", ValueError, "not a parameter name"),
        ("   ", ValueError, "the grid is empty"),
        (None, TypeError, "expected a string"),
    ],
)
def test_parse_grid_errors_say_what_is_wrong(text, error, message):
    with pytest.raises(error, match=message):
        parse_grid(text)




@pytest.mark.parametrize(
    "targets, task, classes",
    [([0, 1, 1, 0], "binary", [0, 1]), ([3, 1, 2, 1], "multiclass", [1, 2, 3]),
     ([0.5, 1.25, 2.0, 0.1], "regression", [])],
)
def test_csv_targets_decide_classification_or_regression(tmp_path, targets, task, classes):
    path = tmp_path / "d.csv"
    path.write_text("".join(f"{i},{t}\n" for i, t in enumerate(targets)))
    ds = datasets.csv_dataset(str(path), "auto")
    assert ds.task == task and ds.classes == classes
    if classes:
        assert [classes[k] for k in ds.y] == targets


@pytest.mark.parametrize("name", list(datasets.DATASETS))
def test_every_dataset_gets_a_loss_that_fits_its_targets(name):
    args = build_parser().parse_args(["train", "--dataset", name, "--samples", "30"])
    ds = datasets.load_data(args)
    loss = datasets.default_loss(ds.task)
    datasets.check_loss(loss, ds)
    targets = datasets.targets(loss, ds)
    assert len(targets) == len(ds.X) and all(len(row) == len(ds.X[0]) for row in ds.X)
    assert all(isinstance(v, float) and math.isfinite(v) for row in ds.X for v in row)
    if loss == "bce_with_logits":
        assert set(targets) == {0.0, 1.0}
    if loss == "cross_entropy":
        assert set(targets) == set(range(ds.n_classes))
    if ds.task == "binary":
        assert set(datasets.targets("hinge", ds)) == {-1.0, 1.0}


def test_parse_assignments_rejects_duplicates_and_non_finite_values():
    with pytest.raises(ValueError, match="set twice"):
        parse_assignments(["x=1", "x=2"])
    with pytest.raises(ValueError, match="finite"):
        parse_assignments(["x=inf"])
    with pytest.raises(ValueError, match="not a variable name"):
        parse_assignments(["2x=1"])


def test_summary_json_records_non_finite_numbers_as_strings(tmp_path):
    output.write_json(tmp_path / "s.json", {"loss": [0.5, math.inf, math.nan], "ok": {"a": 1}})
    assert json.loads((tmp_path / "s.json").read_text()) == {
        "loss": [0.5, "inf", "nan"], "ok": {"a": 1},
    }


def test_failed_train_leaves_the_output_folder_as_it_was(tmp_path):
    first = run("train", "--dataset", "moons", "--epochs", "3", "--out", "res", "--no-progress",
                cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in (tmp_path / "res").iterdir()}
    # a --save that cannot work is refused before training, naming the folder
    nowhere = tmp_path / "nowhere" / "m.json"
    bad_save = run("train", "--dataset", "circles", "--epochs", "3", "--out", "res",
                   "--no-progress", "--save", nowhere, cwd=tmp_path)  # fmt: skip
    assert_one_line_error(bad_save, "--save", "no such folder")
    (tmp_path / "adir").mkdir()
    a_folder = run("train", "--dataset", "circles", "--epochs", "3", "--out", "res",
                   "--no-progress", "--save", "adir", cwd=tmp_path)  # fmt: skip
    assert_one_line_error(a_folder, "--save adir: is a folder", "adir/model.json")
    (tmp_path / "adir").rmdir()
    # a model that diverges cannot be saved: the pictures it made must not land in res/ either
    diverged = run("train", "--dataset", "circles", "--epochs", "5", "--lr", "1e308", "--out",
                   "res", "--no-progress", "--save", "m.json", cwd=tmp_path)  # fmt: skip
    assert diverged.returncode == 1, diverged.stderr
    after = {p.name: p.read_bytes() for p in (tmp_path / "res").iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no staging folder left


def test_failed_train_into_a_new_folder_creates_nothing(tmp_path):
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n3\n", encoding="utf-8")
    result = run("train", "--data", "bad.csv", "--out", "new/out", "--no-progress", cwd=tmp_path)
    assert result.returncode == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_load_on_data_its_loss_does_not_fit_names_the_model_not_a_flag(tmp_path):
    trained = run("train", "--dataset", "moons", "--epochs", 2, "--hidden", 4, "--no-progress",
                  "--save", "m.json", cwd=tmp_path)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    result = run("train", "--load", "m.json", "--dataset", "iris", cwd=tmp_path)
    assert_one_line_error(result, "m.json", "trained for 'moons'", "pass --loss")


def test_graph_takes_the_expression_after_set_too(tmp_path):
    result = run("graph", "--set", "x=1", "w=2", "x*w", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "d/dx = 2" in result.stdout and "d/dw = 1" in result.stdout
    missing = run("graph", "--set", "x=1", cwd=tmp_path)
    assert missing.returncode == 2 and "required: expression" in missing.stderr
