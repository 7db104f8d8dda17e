"""Shared fixtures. ``tests/`` is on sys.path (rootdir conftest), so ``import tiny`` works."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Python's own default: compiled modules are kept in __pycache__ (git-ignored) and read back. An environment
# with PYTHONDONTWRITEBYTECODE=1 compiles every module of the checkout again in each of the suite's many
# processes (solvers in their own process, batch and Dask workers, the command line run as a program): about
# 0.45 s per process for optimizer's and solvers' modules, and the rewritten test modules once per worker.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = REPO / "scenarios" / "yuzhong-demo.yaml"
#: The demo solve's time limit: generous, so that a busy machine still proves it (HiGHS needs about 10-30 s).
DEMO_LIMIT_S = "900"


@pytest.fixture
def repo() -> Path:
    """The repository root."""
    return REPO


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests using it skip when it is not beside the checkout."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(scope="session")
def demo_scenario():
    """``scenarios/yuzhong-demo.yaml`` as the session's demo run solves it: reach cache off, a generous limit."""
    from optimizer.scenario import load_scenario

    return load_scenario(str(DEMO), ["reach.cache=false", f"solver.time_limit_s={DEMO_LIMIT_S}"])


@pytest.fixture(scope="session")
def demo_solved(demo_scenario, tmp_path_factory):
    """``scenarios/yuzhong-demo.yaml`` planned once per test run (read-only: tests must not change it).

    The reach cache is off (walking times computed afresh, nothing written beside the
    checkout) and the time limit generous; otherwise the scenario as shipped. Every test
    that needs the demo's plan reads it from here (the report, explain and shipped-scenario
    tests), so the default suite solves the demo once: the first worker that asks solves it,
    the other reads its pickle (``tests/run_wide.py``).
    """
    from run_wide import object_once_per_run

    def solve():
        from optimizer.pipeline import run_scenario

        return run_scenario(demo_scenario)

    return object_once_per_run(tmp_path_factory, "demo-solved", solve)


@pytest.fixture(scope="session")
def demo_run(demo_solved, tmp_path_factory) -> Path:
    """The run's demo plan written as a run folder the way ``lifecircle solve`` writes it, once per test run
    (read-only: a test that writes into a run folder copies it first, as ``run_dir`` of ``tests/report`` does)."""
    from run_wide import once_per_run

    def write(into: Path) -> None:
        from optimizer.outputs.writers import write_run

        (into / "path.txt").write_text(str(write_run(demo_solved, into)), encoding="utf-8")

    return Path((once_per_run(tmp_path_factory, "demo-run", write) / "path.txt").read_text(encoding="utf-8"))
