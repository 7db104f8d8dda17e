"""``lifecircle batch``: every run recorded with its outcome, skipped when finished, resumable after a kill."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from batch_scenarios import write_tiny_project
from click.testing import CliRunner

from optimizer.batch.runs import plan_batch
from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[2]


#: five runs: two solved, one infeasible (too poor for a forced site), one with a typo, one smaller plan
RUNS = """runs:
  - {scenario: tiny.yaml}
  - {scenario: tiny.yaml, set: ["budget.total=5e6"]}
  - {scenario: tiny.yaml, set: ["budget.total=100", "decisions.force_in=[S1]"], name: too-poor}
  - {scenario: tiny.yaml, set: ["budgett.total=1"], name: typo}
  - {scenario: tiny.yaml, set: ["budget.total=1e7"], name: ten-million}
"""


@pytest.fixture
def batch_project(tmp_path):
    return tmp_path, write_tiny_project(tmp_path, RUNS)


def _summary(out: Path) -> list[dict]:
    return json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))["runs"]


def _finished(out: Path) -> dict[str, float]:
    """Every run.json under out, with its mtime."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("*/*/run.json")}


def test_names_never_collide_and_bad_batch_files_are_refused(batch_project):
    folder, batch = batch_project
    names = [r.name for r in plan_batch(str(batch))]
    assert names[0] == "tiny" and names[1].startswith("tiny-") and len(set(names)) == len(names)
    assert names[2:] == ["too-poor", "typo", "ten-million"]
    assert plan_batch(str(batch), ("solver.threads=1",))[0].name != "tiny"  # batch-wide --set is hashed too
    (folder / "dup.yaml").write_text("runs:\n  - {scenario: tiny.yaml}\n  - {scenario: tiny.yaml}\n")
    result = CliRunner().invoke(main, ["batch", str(folder / "dup.yaml"), "--out", str(folder / "o")])
    assert result.exit_code == 3 and "more than one run" in result.output
    result = CliRunner().invoke(main, ["batch", str(folder / "nothing-*.yaml"), "--out", str(folder / "o")])
    assert result.exit_code == 3 and "no scenario file matches" in result.output


#: three runs, one of each outcome: solved, infeasible, input error
SMALL_RUNS = """runs:
  - {scenario: tiny.yaml}
  - {scenario: tiny.yaml, set: ["budget.total=100", "decisions.force_in=[S1]"], name: too-poor}
  - {scenario: tiny.yaml, set: ["budgett.total=1"], name: typo}
"""


def test_batch_records_each_outcome_and_a_second_batch_skips_the_finished(tmp_path):
    """One process: the solved run is written and proven, the infeasible and the mistyped runs are recorded with
    their reasons; run again, the solved run is skipped and nothing is rewritten. (Five runs on two processes,
    and other overrides solved anew: the slow test below.)"""
    batch = write_tiny_project(tmp_path, SMALL_RUNS)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out)])
    assert result.exit_code == 1, result.output  # two runs failed, on purpose
    rows = {r["name"]: r for r in _summary(out)}
    assert rows["too-poor"]["status"] == "infeasible" and "budget" in rows["too-poor"]["message"]
    assert rows["typo"]["status"] == "input error" and "budgett" in rows["typo"]["message"]
    assert rows["tiny"]["status"] == "solved" and rows["tiny"]["proven"]
    assert (Path(rows["tiny"]["run_folder"]) / "run.json").is_file()
    csv = pd.read_csv(out / "batch-summary.csv", encoding="utf-8-sig")
    assert list(csv["name"]) == ["tiny", "too-poor", "typo"]
    assert "[3/3]" in result.output
    before = _finished(out)
    assert len(before) == 1

    again = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out)])
    assert again.exit_code == 1, again.output
    assert {r["name"]: r["resume"] for r in _summary(out)}["tiny"] == "skipped"
    assert _finished(out) == before  # nothing rewritten, no new run folder


@pytest.mark.slow  # five runs on two worker processes, then again, then with other overrides; run with -m slow
def test_batch_records_every_run_and_a_second_batch_skips_the_finished(batch_project):
    folder, batch = batch_project
    out = folder / "out"
    result = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 1, result.output  # two runs failed, on purpose
    rows = {r["name"]: r for r in _summary(out)}
    assert len(rows) == 5
    assert rows["too-poor"]["status"] == "infeasible" and "budget" in rows["too-poor"]["message"]
    assert rows["typo"]["status"] == "input error" and "budgett" in rows["typo"]["message"]
    solved = [r for r in rows.values() if r["status"] == "solved"]
    assert len(solved) == 3 and all(r["proven"] for r in solved)
    for r in solved:
        assert (Path(r["run_folder"]) / "run.json").is_file() and Path(r["run_folder"]).parent.name == r["name"]
    csv = pd.read_csv(out / "batch-summary.csv", encoding="utf-8-sig")
    assert list(csv["name"]) == [r.name for r in plan_batch(str(batch))]
    assert "[5/5]" in result.output
    before = _finished(out)
    assert len(before) == 3

    again = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out)])
    assert again.exit_code == 1, again.output
    rows = {r["name"]: r for r in _summary(out)}
    assert [r["resume"] for r in rows.values() if r["status"] == "solved"] == ["skipped"] * 3
    assert _finished(out) == before  # nothing rewritten, no new run folder

    changed = CliRunner().invoke(main, ["batch", str(batch), "--out", str(out), "--set", "solver.threads=1"])
    assert len(_finished(out)) == 6, changed.output  # other overrides: other names, solved anew


@pytest.mark.slow  # end to end, a whole solve or generation; run with -m slow
def test_killed_batch_resumes_without_redoing_finished_runs(batch_project):
    folder, batch = batch_project
    out = folder / "out"
    cmd = [sys.executable, "-m", "optimizer.cli", "-q", "batch", str(batch), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "batch-summary.json").is_file() and any(r["status"] == "solved" for r in _summary(out)):
                break
            time.sleep(0.05)
        else:
            pytest.fail("no run finished within 60 s")
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its worker processes
    finally:
        proc.wait(timeout=30)
    first = {r["name"]: r for r in _summary(out)}
    assert len(first) < 5  # killed before the end
    finished_before = _finished(out)
    assert finished_before
    half = out / "ten-million" / ".20260101T000000Z-deadbeef.partial"
    if "ten-million" not in first:  # a writer killed mid-run leaves this behind
        half.mkdir(parents=True, exist_ok=True)
        (half / "plan_sites.csv").write_text("half", encoding="utf-8")

    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    rows = _summary(out)
    assert sorted(r["name"] for r in rows) == sorted(r.name for r in plan_batch(str(batch)))  # each once
    for name, r in first.items():
        if r["status"] == "solved":
            assert next(x for x in rows if x["name"] == name)["resume"] == "skipped"
    after = _finished(out)
    assert {k: v for k, v in after.items() if k in finished_before} == finished_before  # not redone
    assert len(after) == 3
    assert not list(out.glob("*/.*.partial"))
    if "ten-million" not in first:
        assert next(x for x in rows if x["name"] == "ten-million")["resume"] == "redone"
