"""The acceptance test of ``lifecircle explain``: on the demo, the objective a chosen site's absence costs after
re-planning is exactly what ``lifecircle solve --set decisions.force_out=[SITE]`` loses.

Three demo solves in all: the run (the session's ``demo_run`` of ``tests/conftest.py``, shared with the report
tests), explain's one re-solve, the forced-out solve.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.run_folder import read_run_folder

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scenarios" / "yuzhong-demo.yaml"
#: Generous limits, so that a busy machine still proves each solve (HiGHS needs about 10-30 s each).
LIMIT_S = "900"


@pytest.fixture
def demo_run(demo_run, tmp_path) -> Path:
    """A private copy of the session's demo run folder (``tests/conftest.py``; explain writes into it)."""
    run = read_run_folder(demo_run)
    assert run.record["proven_optimal"]  # HiGHS proves the demo; explain's figure is exact only then
    return Path(shutil.copytree(demo_run, tmp_path / "run"))


# slow: two demo re-solves; the same fact (the loss after re-planning is the optimum without the site) is
# checked in the default run on a small street by
# tests/explain/test_explain_tiny.py::test_loss_after_replanning_is_the_optimum_without_the_site
@pytest.mark.slow
def test_explain_gives_exactly_the_objective_lost_when_the_site_is_forced_out(demo_run, tmp_path):
    """For the chosen site that alone reaches the most people, explain's loss after re-planning equals the run's
    objective minus that of the demo solved with the site forced out (both proven optimal), to 1e-6 relative;
    and re-planning never loses more than dropping the site with nothing else changed."""
    folder = read_run_folder(demo_run)
    only = folder.facilities.groupby("site_id")["covered_only_here"].sum()
    site = str(only.idxmax())
    done = CliRunner().invoke(main, ["explain", str(demo_run), site, "--lang", "en", "--time-limit", LIMIT_S])
    assert done.exit_code == 0, done.output
    entry = json.loads((demo_run / "explain.json").read_text(encoding="utf-8"))["chosen"][0]
    assert entry["site_id"] == site
    replanned = entry["lost_after_replanning"]
    assert replanned["basis"] == "proven" and replanned["proven"]

    out = tmp_path / "forced-out"
    done = CliRunner().invoke(main, ["solve", str(DEMO), "--set", f"decisions.force_out=[{site}]",
                                     "--set", "reach.cache=false", "--set", f"solver.time_limit_s={LIMIT_S}",
                                     "--out", str(out)])
    assert done.exit_code == 0, done.output
    (forced_run,) = (out / "yuzhong-demo").iterdir()
    without = json.loads((forced_run / "run.json").read_text(encoding="utf-8"))
    assert without["proven_optimal"] and folder.record["proven_optimal"]
    lost = folder.record["objective"] - without["objective"]
    assert replanned["value"] == pytest.approx(lost, rel=1e-6)
    assert entry["lost_if_dropped_unchanged"]["value"] >= replanned["value"] - 1e-9
    assert entry["people_only_here_total"] == pytest.approx(float(only[site]))
