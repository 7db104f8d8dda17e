"""The report tests' shared demo run: the demo scenario solved once per test session, and a private copy per test."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "yuzhong-demo.yaml"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The demo solved once and written as a run folder the way ``lifecircle solve`` writes it (read-only)."""
    from optimizer.outputs.writers import write_run
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    root = tmp_path_factory.mktemp("runs")
    sc = load_scenario(str(DEMO), ["reach.cache=false"])
    return write_run(run_scenario(sc), root)


@pytest.fixture
def run_dir(demo_run, tmp_path) -> Path:
    """A private copy of the demo run folder (tests may write into it or break it)."""
    return Path(shutil.copytree(demo_run, tmp_path / "run"))
