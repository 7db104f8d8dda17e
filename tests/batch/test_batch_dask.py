"""``lifecircle batch`` on a Dask LocalCluster: the same answers as local processes, a killed worker's run
finished on another, a time-limited run kept with its incumbent, a killed batch resumed."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from batch_scenarios import DEMO, ROOT, fail_with_input_error, sleep_and_report, write_tiny_project

from optimizer.batch.executors import DaskCluster, parse_scheduler
from optimizer.batch.runs import BatchRun, _worker_init, plan_batch, run_batch
from optimizer.pipeline import run_scenario
from optimizer.scenario import load_scenario

pytest.importorskip("distributed")

COMPARED = ("name", "status", "proven", "objective", "cost", "sites")


@pytest.fixture(scope="module")
def cluster():
    """Two workers, one thread each, separate processes; each run asks for 1 GB of a worker's 3 GB; a run whose
    worker dies is submitted once more (retries=1)."""
    ex = DaskCluster(parse_scheduler("local:2"), retries=1, worker_memory="3GB", memory_per_run="1GB",
                     initializer=_worker_init)
    yield ex
    ex.close()


def _rows(table) -> list[dict]:
    """The compared columns, blanks as None (NaN is never equal to itself)."""
    return [{k: (None if v != v else v) for k, v in r.items()} for r in table[list(COMPARED)].to_dict("records")]


def _summary(out: Path) -> list[dict]:
    return json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))["runs"]


def test_a_batch_on_dask_solves_each_run_as_it_is_solved_in_process(tmp_path, cluster):
    """A solved and an infeasible what-if on the Dask workers: the same status and objective as the scenario
    planned in this process, and the run folder written under the batch's folder. (Four what-ifs against
    local processes: the slow test below.)"""
    write_tiny_project(tmp_path)
    runs = [r for r in plan_batch(str(tmp_path / "batch.yaml")) if r.name in ("tiny", "too-poor")]
    dask = run_batch(runs, tmp_path / "dask", executor=cluster)
    assert list(dask["status"]) == ["solved", "infeasible"] and list(dask["attempts"]) == [1, 1]
    here = run_scenario(load_scenario(runs[0].scenario, list(runs[0].sets)))
    assert dask["objective"][0] == pytest.approx(here.result.objective) and dask["proven"][0]
    assert Path(dask["run_folder"][0]).is_relative_to(tmp_path / "dask")
    assert (Path(dask["run_folder"][0]) / "run.json").is_file()


@pytest.mark.slow  # two local processes beside the two Dask workers; run with -m slow
def test_dask_batch_gives_the_same_rows_as_local_processes(tmp_path, cluster):
    """Four what-ifs of a small district: status, objective, cost and sites the same on both executors."""
    batch = write_tiny_project(tmp_path)
    runs = plan_batch(str(batch))
    local = run_batch(runs, tmp_path / "local", jobs=2)
    dask = run_batch(runs, tmp_path / "dask", executor=cluster)
    assert list(dask["status"]) == ["solved", "solved", "infeasible", "solved"]
    assert _rows(dask) == _rows(local)
    assert list(dask["attempts"]) == [1, 1, 1, 1]
    for folder in dask["run_folder"]:
        if folder:
            assert Path(folder).is_relative_to(tmp_path / "dask") and (Path(folder) / "run.json").is_file()


def test_an_ordinary_failure_on_dask_is_not_retried(cluster):
    """A function that raises is answered once with its message, as with local processes."""
    cluster.submit("bad", fail_with_input_error, "budgett is not a key")
    done = list(cluster.as_completed())
    assert [(d.key, d.error, d.attempts, d.lost) for d in done] == [
        ("bad", "ValueError: budgett is not a key", 1, False)]


@pytest.mark.slow  # end to end, a Dask cluster; run with -m slow
def test_a_time_limited_run_is_kept_with_its_incumbent_on_both_executors(tmp_path, cluster):
    """Stopped by its time limit, the demo's greedy-started plan is recorded as solved, not proven, with its
    objective and gap as run.json has them and the solver's reason in the message."""
    run = BatchRun("demo-half-second", str(DEMO), ("solver.time_limit_s=0.5", "solver.warm_start=greedy"))
    for label, kw in (("local", {"jobs": 1}), ("dask", {"executor": cluster})):
        row = run_batch([run], tmp_path / label, **kw).to_dict("records")[0]
        record = json.loads((Path(row["run_folder"]) / "run.json").read_text(encoding="utf-8"))
        assert row["status"] == "solved" and not row["proven"], (label, row)
        assert row["objective"] == record["objective"] and row["objective"] > 0
        gap = record["gap"]
        assert (row["gap"] is None and gap is None) or row["gap"] == pytest.approx(gap)
        assert "time limit" in row["message"] or "not proven" in row["message"], row["message"]


@pytest.mark.slow  # end to end, a Dask cluster; run with -m slow
def test_a_worker_killed_during_a_run_is_retried_and_the_run_finishes(tmp_path, cluster):
    """The worker running the demo is killed mid-run; the scheduler reports it lost, the run is submitted
    again and finishes (attempts 2, proven), no half-written folder is left, and a second batch skips it."""
    runs = [BatchRun("demo", str(DEMO))]
    killed: list[int] = []

    def kill_the_worker_running_it() -> None:
        client = cluster.client
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                time.sleep(1.0)  # well inside the run (loading inputs, reach, solve: several seconds)
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_worker_running_it)
    killer.start()
    try:
        row = run_batch(runs, tmp_path / "out", executor=cluster).to_dict("records")[0]
    finally:
        killer.join()
    assert killed
    assert row["status"] == "solved" and row["proven"] and row["attempts"] == 2, row
    assert not list((tmp_path / "out").glob("*/.*.partial"))
    again = run_batch(runs, tmp_path / "out", executor=cluster).to_dict("records")[0]
    assert again["resume"] == "skipped" and again["objective"] == row["objective"]


def test_dask_gives_up_on_a_run_whose_worker_dies_every_time(tmp_path, cluster):
    """retries=1: killed twice, the run is recorded as lost after 2 attempts (on the module's cluster: the
    nannies start the killed workers again)."""
    pid_file = tmp_path / "pid"
    cluster.submit("doomed", sleep_and_report, str(pid_file), 30)
    kills = 0

    def killer() -> None:
        nonlocal kills
        deadline = time.monotonic() + 60
        while kills < 2 and time.monotonic() < deadline:
            if pid_file.is_file() and pid_file.read_text():
                pid = int(pid_file.read_text())
                pid_file.unlink()
                os.kill(pid, signal.SIGKILL)
                kills += 1
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    done = list(cluster.as_completed())
    t.join()
    assert kills == 2 and len(done) == 1 and done[0].lost and done[0].attempts == 2


@pytest.mark.slow  # end to end, a Dask cluster; run with -m slow
def test_a_killed_dask_batch_resumes_without_redoing_finished_runs(tmp_path):
    """The whole batch (client and LocalCluster) is killed after its first finished run; started again on
    Dask it skips what was finished and completes the rest, each run once."""
    batch = write_tiny_project(tmp_path)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "optimizer.cli", "-q", "batch", str(batch), "--out", str(out),
           "--scheduler", "local:2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (out / "batch-summary.json").is_file() and any(r["status"] == "solved" for r in _summary(out)):
                break
            time.sleep(0.05)
        else:
            pytest.fail("no run finished within 90 s")
        os.killpg(proc.pid, signal.SIGKILL)  # the batch, its scheduler and its worker processes
    finally:
        proc.wait(timeout=30)
    first = {r["name"]: r for r in _summary(out)}
    assert len(first) < 4
    finished = {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("*/*/run.json")}

    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 1, result.stderr  # too-poor is infeasible, on purpose
    rows = {r["name"]: r for r in _summary(out)}
    assert sorted(rows) == sorted(r.name for r in plan_batch(str(batch)))
    for name, r in first.items():
        if r["status"] == "solved":
            assert rows[name]["resume"] == "skipped" and rows[name]["attempts"] == 0
    after = {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("*/*/run.json")}
    assert {k: v for k, v in after.items() if k in finished} == finished and len(after) == 3

