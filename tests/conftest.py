"""Shared fixtures. ``tests/`` is on sys.path (rootdir conftest), so ``import tiny`` works."""
from __future__ import annotations

from pathlib import Path

import pytest

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
def demo_solved():
    """``scenarios/yuzhong-demo.yaml`` planned once per test session (read-only: tests must not change it).

    The reach cache is off (walking times computed afresh, nothing written beside the
    checkout) and the time limit generous; otherwise the scenario as shipped. Every test
    that needs the demo's plan reads it from here (the report, explain and shipped-scenario
    tests), so the default suite solves the demo once instead of once per module.
    """
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    return run_scenario(load_scenario(str(DEMO), ["reach.cache=false", f"solver.time_limit_s={DEMO_LIMIT_S}"]))


@pytest.fixture(scope="session")
def demo_run(demo_solved, tmp_path_factory) -> Path:
    """The session's demo plan written as a run folder the way ``lifecircle solve`` writes it (read-only:
    a test that writes into a run folder copies it first, as ``run_dir`` of ``tests/report`` does)."""
    from optimizer.outputs.writers import write_run

    return write_run(demo_solved, tmp_path_factory.mktemp("runs"))

