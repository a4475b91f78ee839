"""Shared test set-up: the PyTorch oracle is required when CHAINRULE_REQUIRE_TORCH=1 (make test)."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")  # plots render headless in tests

REQUIRE_TORCH = os.environ.get("CHAINRULE_REQUIRE_TORCH") == "1"
# CHAINRULE_BACKWARD_PATH=reference runs the whole suite on engine.py's reference path
FAST_BY_DEFAULT = os.environ.get("CHAINRULE_BACKWARD_PATH", "fast") != "reference"


def pytest_configure(config):
    from autograd import use_fast_path

    use_fast_path(FAST_BY_DEFAULT)
    if REQUIRE_TORCH:
        try:
            import torch  # noqa: F401
        except ImportError as exc:  # pragma: no cover - only on a broken set-up
            raise pytest.UsageError(
                "CHAINRULE_REQUIRE_TORCH=1 but torch is not importable; "
                "install the oracle with: pip install torch==2.13.0"
            ) from exc


_torch_skips = []


def pytest_runtest_logreport(report):
    if REQUIRE_TORCH and report.skipped and "torch" in str(report.longrepr).lower():
        _torch_skips.append(report.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_sessionfinish(session, exitstatus):
    """With the oracle required, any test skipped for want of torch fails the run."""
    if _torch_skips:
        session.exitstatus = 1
    yield
    if _torch_skips:
        print(f"\nERROR: {len(_torch_skips)} PyTorch-oracle tests were skipped: {_torch_skips[:5]}")


@pytest.fixture
def torch():
    """The PyTorch oracle in float64; skips (and fails CI) when absent."""
    t = pytest.importorskip("torch")
    t.set_default_dtype(t.float64)
    return t


@pytest.fixture(params=["reference", "fast"])
def backward_path(request):
    """Run the test on engine.py's reference path and on backward.py's fast path."""
    from autograd import use_fast_path

    use_fast_path(request.param == "fast")
    yield request.param
    use_fast_path(FAST_BY_DEFAULT)
