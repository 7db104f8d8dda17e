"""A run stopped at any moment (SIGTERM from a scheduler, SIGKILL from the machine) leaves no process behind,
and the next run of the same command in the same output folder leaves no half-written folder.

Each command runs as a subprocess of this worktree's code, marked in its environment
(:mod:`fault_harness`); the signal goes to the command's own process only, so its pool workers,
Dask workers and solver children must stop by themselves.
"""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_scenarios import write_tiny_district, write_tiny_project
from fault_harness import ROOT, leftovers, new_mark, orphans_after, partial_folders, run, start, stop, wait_for

from optimizer.processes import remove_abandoned_partials

#: Each command on the tiny district, and roughly how long it runs here (seconds), for random kill times.
COMMANDS: dict[str, tuple[list[str], float]] = {
    "solve": (["solve", "tiny.yaml", "--out", "out"], 7.0),
    "batch": (["batch", "batch.yaml", "--out", "out", "--jobs", "2"], 14.0),
    "frontier": (["frontier", "tiny.yaml", "--budgets", "5e6", "--out", "out"], 7.0),
    "plan": (["plan", "tiny.yaml", "--years", "2026-2027", "--out", "out"], 7.0),
    "city": (["city", "tiny.yaml", "--jobs", "2", "--out", "out"], 10.0),
    "batch-dask": (["batch", "batch.yaml", "--out", "out", "--scheduler", "local:2"], 20.0),
}


def _writing_or_done(out: Path, proc: subprocess.Popen, timeout: float, before: frozenset = frozenset()) -> bool:
    """Wait until a new half-written folder appears under ``out`` or the command ended."""
    return wait_for(lambda: set(partial_folders(out)) - before or proc.poll() is not None, timeout=timeout,
                    every=0.01)


def _finished_runs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) if folder.is_dir() else []


def test_a_folder_being_written_by_a_living_run_is_never_removed_and_an_abandoned_one_is(tmp_path):
    """Another run's half-written folder stays while its writer lives, whatever its age; once the writer
    is killed, the next writer into the same place removes it."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from optimizer.processes import claim_folder; "
        "p = Path(sys.argv[1]); p.mkdir(); claim_folder(p); print('held', flush=True); time.sleep(120)"),
        str(tmp_path / ".20260101T000000.000Z-x.partial")], env={"PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert remove_abandoned_partials(tmp_path) == []
        assert len(partial_folders(tmp_path)) == 1
    finally:
        holder.kill()
        holder.wait()
    assert [p.name for p in remove_abandoned_partials(tmp_path)] == [".20260101T000000.000Z-x.partial"]
    assert partial_folders(tmp_path) == []


def test_a_solve_stopped_while_writing_leaves_no_process_and_no_half_written_run(tmp_path):
    """Two solves stopped while their run folders are half written. SIGTERM: the folder is removed at once
    and the solve ends with 143. SIGKILL (no cleanup possible): the folder stays, owned by a dead process,
    and the next writer into the same place removes it. Neither leaves a process behind."""
    procs = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        folder = tmp_path / sig.name
        folder.mkdir()
        write_tiny_district(folder)
        mark = new_mark()
        procs[sig] = (folder / "out", mark, start(COMMANDS["solve"][0], folder, mark))
    for sig, (out, mark, proc) in procs.items():
        assert _writing_or_done(out, proc, timeout=120)
        code = stop(proc, sig)
        assert orphans_after(mark) == []
        if code == 0:
            continue  # finished before the signal: nothing to look at
        assert code == (143 if sig == signal.SIGTERM else -9)
        if sig == signal.SIGTERM:
            assert leftovers(out) == []
        else:
            left = partial_folders(out)
            assert len(left) == 1
            assert remove_abandoned_partials(out / "tiny") == left
            assert leftovers(out) == []
        assert _finished_runs(out / "tiny") == []


#: Two runs of the tiny district: a batch long enough to be killed while it writes.
TWO_RUNS = """runs:
  - {scenario: tiny.yaml}
  - {scenario: tiny.yaml, set: ["budget.total=1e7"], name: ten-million}
"""


@pytest.mark.slow  # a batch process killed and run again; default: a solve stopped while writing, above
def test_a_killed_batch_leaves_no_worker_solving_and_its_resumption_writes_each_run_once(tmp_path):
    """SIGKILL to a batch while a run is being written: its worker processes die with it (none goes on
    solving or writing behind the summary's back); run again, the batch redoes the half-written run,
    every run has exactly one folder, the one the summary names, and nothing half-written is left."""
    write_tiny_project(tmp_path, TWO_RUNS)
    out, mark = tmp_path / "out", new_mark()
    args = COMMANDS["batch"][0]
    proc = start(args, tmp_path, mark)
    assert _writing_or_done(out, proc, timeout=180)
    stop(proc, signal.SIGKILL)
    assert orphans_after(mark) == []
    time.sleep(0.5)  # what a leftover worker would write, it would write now
    again = run(args, tmp_path, mark)
    assert again.returncode == 0, again.stderr[-2000:]
    assert orphans_after(mark) == []
    rows = json.loads((out / "batch-summary.json").read_text(encoding="utf-8"))["runs"]
    assert [r["status"] for r in rows] == ["solved", "solved"]
    for r in rows:
        runs = _finished_runs(out / r["name"])
        assert len(runs) == 1, (r["name"], runs)
        assert (tmp_path / r["run_folder"]).resolve() == runs[0].resolve()
    assert leftovers(out) == []


# ----------------------------------------------------------------------------- the randomised sweep
def _sweep(tmp_path: Path, command: str, kills: int, seed: int) -> dict:
    """``kills`` runs of ``command`` stopped at seeded random moments, then one run to its end.

    Half the stops come at a random time within the command's usual duration, half at a random
    moment just after its first half-written folder appears (the moment that matters most).
    """
    write_tiny_project(tmp_path, TWO_RUNS)
    args, duration = COMMANDS[command]
    rng = random.Random(seed)
    out = tmp_path / "out"
    figures = {"command": command, "kills": 0, "while_writing": 0, "finished_first": 0, "orphans": 0}
    for _ in range(kills):
        mark = new_mark()
        sig = rng.choice([signal.SIGTERM, signal.SIGKILL])
        writing = rng.random() < 0.5
        delay = rng.uniform(0.0, 0.5) if writing else rng.uniform(0.2, duration)
        before = frozenset(partial_folders(out))
        proc = start(args, tmp_path, mark)
        if writing:
            _writing_or_done(out, proc, timeout=180, before=before)
        try:
            proc.wait(timeout=delay)
            figures["finished_first"] += 1
        except subprocess.TimeoutExpired:
            stop(proc, sig)
            figures["kills"] += 1
            figures["while_writing"] += writing
        figures["orphans"] += len(orphans_after(mark))
    mark = new_mark()
    last = run(args, tmp_path, mark)
    figures["last_exit"] = last.returncode
    figures["orphans"] += len(orphans_after(mark))
    figures["stale"] = [str(p.relative_to(out)) for p in leftovers(out)]
    return figures


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_randomly_killed_runs_leave_no_process_and_no_half_written_folder(tmp_path, command):
    """Seven runs of each command stopped by SIGTERM or SIGKILL at seeded random moments: no process left
    after any of them, and after one more run to its end, no half-written folder or temporary file."""
    if command == "batch-dask":
        pytest.importorskip("distributed")
    figures = _sweep(tmp_path, command, kills=7, seed=16)
    print(json.dumps(figures))
    assert figures["last_exit"] == 0
    assert figures["orphans"] == 0
    assert figures["stale"] == []
