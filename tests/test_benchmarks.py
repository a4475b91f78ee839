"""Smoke tests for the benchmark scripts: they run and print their tables (no timing asserts)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE_BENCHMARK = ROOT / "benchmarks" / "engine.py"

HEADER = ["graph", "nodes", "gc", "engine", "fwd ns/node", "bwd ns/node", "bytes/node"]


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", code] if code else [sys.executable, str(ENGINE_BENCHMARK)]
    return subprocess.run([*command, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def table_rows(stdout: str, engine: str) -> list[str]:
    """The lines of the first table for one engine: graph, nodes, gc, engine and 4 numbers."""
    rows = []
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) == 8 and fields[0] in ("chain", "sum") and fields[3] == engine:
            rows.append(line)
    return rows


def test_engine_benchmark_quick_run_prints_the_table():
    result = run("--quick")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert all(word in out for word in HEADER)
    rows = table_rows(out, "chainrule")
    # two graphs x two sizes x gc on and off
    assert len(rows) == 8
    assert {row.split()[0] for row in rows} == {"chain", "sum"}
    assert {row.split()[2] for row in rows} == {"on", "off"}
    for row in rows:
        fields = row.split()
        assert all(float(f.replace(",", "")) > 0 for f in fields[4:8]), row
    assert len(table_rows(out, "floor")) == 8
    if importlib.util.find_spec("micrograd") is not None:
        assert len(table_rows(out, "micrograd")) == 8
        assert "micrograd/chainrule" in out and "fwd+bwd" in out and "micrograd/floor" in out
        assert "targets:" in out


def test_floor_engine_computes_the_same_numbers_as_chainrule():
    """The floor is a real engine doing the benchmark's work, not a stand-in that skips it."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.engine import GRAPHS
        from benchmarks.floor import FloorValue
    finally:
        sys.path.remove(str(ROOT))
    from autograd import Value

    for graph, (make_inputs, forward, _) in GRAPHS.items():
        results = []
        for cls in (Value, FloorValue):
            inputs = make_inputs(cls, 400)
            root = forward(inputs, 400)
            root.backward()
            results.append((root.data, [x.grad for x in inputs]))
        assert results[0] == results[1], graph


def test_engine_benchmark_without_micrograd_measures_chainrule_alone():
    code = (
        "import runpy, sys\n"
        "sys.modules['micrograd'] = None  # makes `import micrograd` fail\n"
        "sys.modules['micrograd.engine'] = None\n"
        f"sys.argv = [{str(ENGINE_BENCHMARK)!r}, '--quick', '--gc', 'on']\n"
        f"runpy.run_path({str(ENGINE_BENCHMARK)!r}, run_name='__main__')\n"
    )
    result = run(code=code)
    assert result.returncode == 0, result.stderr
    assert "pip install micrograd==0.1.0" in result.stderr
    assert len(table_rows(result.stdout, "chainrule")) == 4
    assert "micrograd/chainrule" not in result.stdout


def test_engine_benchmark_rejects_bad_arguments():
    result = run("--repeats", "0")
    assert result.returncode == 2
    assert "--repeats must be >= 1" in result.stderr


MOONS_BENCHMARK = ROOT / "benchmarks" / "moons.py"


def test_moons_benchmark_tiny_run_prints_both_chainrule_tiers_and_equal_losses():
    result = subprocess.run(
        [
            sys.executable,
            str(MOONS_BENCHMARK),
            "--steps",
            "2",
            "--points",
            "12",
            "--width",
            "4",
            "--gc",
            "on",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "graph nodes per step" in out
    losses = {}
    for line in out.splitlines():
        for name in (
            "chainrule (engine)",
            "chainrule (nn.fit)",
            "micrograd 0.1.0",
            "PyTorch scalar",
        ):
            if line.startswith(name) and "ms/step" not in line and "x " not in line:
                fields = line[len(name) :].split()
                if len(fields) == 2:
                    losses[name] = float(fields[1])
    assert "chainrule (engine)" in losses and "chainrule (nn.fit)" in losses, out
    # the library tier trains the same weights with the same loss: the same final loss
    assert abs(losses["chainrule (engine)"] - losses["chainrule (nn.fit)"]) < 1e-9
    if "PyTorch scalar" in losses:
        assert abs(losses["chainrule (engine)"] - losses["PyTorch scalar"]) < 1e-9


def test_compiled_scale_table_prints_the_parameter_floor_beside_numpy():
    pytest.importorskip("numpy")
    code = (
        "from benchmarks import compiled; from autograd import Value; import numpy as np\n"
        "ps = [Value(1.5), Value(-2.0)]; ps[0].grad = 1.0\n"
        "data = compiled.move_parameters(ps, np.array([0.25, 3.0]))\n"
        "print(data.tolist(), [p.grad for p in ps])\n"
        "compiled.scale(1, ((12, 4),))\n"
    )
    result = run(code=code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # the floor reads every .data and adds into every .grad, as a compiled step must
    assert lines[0] == "[1.5, -2.0] [1.25, 3.0]"
    header = next(line for line in lines if line.lstrip().startswith("points"))
    assert header.rstrip().endswith("params in/out ms floor vs numpy")
    row = next(line for line in lines if line.split()[:2] == ["12", "4"])
    floor_ratio = row.split()[-1]
    assert floor_ratio.endswith("x") and float(floor_ratio[:-1]) > 1.0, row
