"""Where batch runs are carried out: local processes keep the rules every executor keeps, and the
reach cache stays whole under concurrent writers (no Dask needed here)."""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest
from batch_scenarios import fail_with_input_error, sleep_and_report, store_reach_repeatedly
from click.testing import CliRunner

from optimizer.batch.executors import LocalProcesses, parse_memory, parse_scheduler
from optimizer.cli import main


def _kill_when_started(pid_file: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid_file.is_file() and pid_file.read_text():
            pid = int(pid_file.read_text())
            pid_file.unlink()
            os.kill(pid, signal.SIGKILL)
            return pid
        time.sleep(0.05)
    pytest.fail("the run never started")


def test_scheduler_and_memory_words_a_planner_types():
    """--scheduler: nothing (local processes), local, local:N or an address; sizes in Dask's units."""
    assert parse_scheduler(None).kind == "processes"
    assert parse_scheduler("local") == parse_scheduler("local").__class__("local", None, None)
    assert parse_scheduler("local:3").workers == 3
    assert parse_scheduler("tcp://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    for bad in ("locale", "local:0", "10.0.0.5:8786"):
        with pytest.raises(ValueError):
            parse_scheduler(bad)
    assert parse_memory("4GB") == 4 * 10**9 and parse_memory("512MiB") == 512 * 2**20 and parse_memory("2e9") == 2e9
    with pytest.raises(ValueError):
        parse_memory("4 lots")


def test_an_ordinary_failure_is_answered_once_and_not_retried():
    """A function that raises (bad input, infeasible...) fails the same way every time: one attempt, its message."""
    with LocalProcesses(jobs=2, retries=2) as ex:
        ex.submit("fine", abs, -3)
        ex.submit("bad", fail_with_input_error, "budgett is not a key")
        done = {d.key: d for d in ex.as_completed()}
    assert done["fine"].value == 3 and done["fine"].error is None and done["fine"].attempts == 1
    assert done["bad"].error == "ValueError: budgett is not a key"
    assert done["bad"].attempts == 1 and not done["bad"].lost


def test_a_killed_worker_process_is_started_again_and_then_given_up(tmp_path):
    """A run whose process is killed runs again (retries=1); killed on every attempt, it is recorded as lost
    while the run beside it, whose process died with the pool, still finishes."""
    pid_file = tmp_path / "pid"
    retried = []
    with LocalProcesses(jobs=1, retries=1, on_retry=lambda *a: retried.append(a)) as ex:
        ex.submit("long", sleep_and_report, str(pid_file), 1.5)
        killed = _kill_when_started(pid_file)
        done = list(ex.as_completed())
    assert len(done) == 1 and done[0].error is None and not done[0].lost
    assert done[0].attempts == 2 and done[0].value != killed
    assert retried == [("long", 2, "worker process died")]

    pid_file = tmp_path / "pid2"
    with LocalProcesses(jobs=2, retries=0) as ex:
        ex.submit("doomed", sleep_and_report, str(pid_file), 3)
        ex.submit("neighbour", abs, -1)
        first = next(ex.as_completed())  # the neighbour finishes before the kill
        _kill_when_started(pid_file)
        done = {d.key: d for d in [first, *ex.as_completed()]}
    assert done["doomed"].lost and done["doomed"].attempts == 1
    assert done["neighbour"].value == 1


def test_batch_options_that_need_dask_are_refused_without_a_scheduler(tmp_path, monkeypatch):
    """--worker-memory without --scheduler is a usage error (2); a scheduler address that makes no sense
    is a bad value (3); a missing Dask says how to install it."""
    from batch_scenarios import write_tiny_project

    batch = write_tiny_project(tmp_path)
    r = CliRunner().invoke(main, ["batch", str(batch), "--out", str(tmp_path / "o"), "--worker-memory", "4GB"])
    assert r.exit_code == 2 and "--worker-memory needs --scheduler" in r.output
    r = CliRunner().invoke(main, ["batch", str(batch), "--out", str(tmp_path / "o"), "--scheduler", "10.0.0.5"])
    assert r.exit_code == 3 and "tcp://host:8786" in r.output
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)  # as if not installed
    r = CliRunner().invoke(main, ["batch", str(batch), "--out", str(tmp_path / "o"), "--scheduler", "local:2"])
    assert r.exit_code == 2 and "pip install -e .[cluster]" in r.output
    assert not (tmp_path / "o").exists()  # nothing written


def test_reach_cache_entries_stay_whole_under_concurrent_writers(tmp_path):
    """Three processes store the same reach entry again and again while it is read: every read is whole."""
    from optimizer.reach.cache import ReachCache

    folder, key, pairs = tmp_path / ".reach-cache", "k" * 40, 200_000
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        jobs = [pool.apply_async(store_reach_repeatedly, (str(folder), key, pairs, 15)) for _ in range(3)]
        cache, reads = ReachCache(folder), 0
        while not all(j.ready() for j in jobs):
            reach = cache.load(key, 900.0)
            if reach is not None:
                assert reach.n_pairs == pairs and len(reach.target_index) == pairs
                reads += 1
        assert [j.get() for j in jobs] == [15, 15, 15]
    assert reads > 0
    # no temporary file left behind; the entry's lock file stays (a lock file is never deleted)
    assert sorted(p.name for p in folder.iterdir()) == [f"reach-{key}.lock", f"reach-{key}.npz"]
