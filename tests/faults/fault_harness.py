"""Run ``lifecircle`` commands as marked subprocesses, stop them at chosen moments, and look for what they left.

Every process a test starts carries ``LIFECIRCLE_FAULT_MARK=<unique mark>`` in its environment,
which its children (pool workers, Dask workers, CBC) inherit: :func:`marked_processes` finds every
one of them still alive by scanning ``/proc``, whoever its parent is now.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARK = "LIFECIRCLE_FAULT_MARK"
#: Names a finished output folder must not hold, and an output root must not keep after a later run.
LEFTOVER_SUFFIXES = (".partial", ".tmp", "-journal", "-wal")


def new_mark() -> str:
    """A mark no other test uses."""
    return uuid.uuid4().hex


def start(args: list[str], cwd: Path, mark: str, log: Path | None = None) -> subprocess.Popen:
    """``python -m optimizer.cli -q ARGS`` in ``cwd`` with this worktree's code, marked, in its own session."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), MARK: mark}
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    try:
        return subprocess.Popen([sys.executable, "-m", "optimizer.cli", "-q", *args], cwd=cwd, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True)
    finally:
        if log is not None:
            out.close()


def run(args: list[str], cwd: Path, mark: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run a command to its end (marked); its output captured."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), MARK: mark}
    return subprocess.run([sys.executable, "-m", "optimizer.cli", "-q", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, start_new_session=True)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def marked_processes(mark: str) -> list[int]:
    """Ids of the living processes (zombies aside) whose environment carries ``mark``."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0") and _state(int(entry.name)) not in "ZX":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def orphans_after(mark: str, wait_s: float = 10.0) -> list[int]:
    """The marked processes still alive after waiting up to ``wait_s`` for them to end; those are then killed
    (they are this test's own) so that a failing test leaks nothing."""
    deadline = time.monotonic() + wait_s
    left = marked_processes(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = marked_processes(mark)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def leftovers(out: Path) -> list[Path]:
    """Half-written folders, temporary files and SQLite side files anywhere under ``out``."""
    if not out.exists():
        return []
    return sorted(p for p in out.rglob("*") if p.name.endswith(LEFTOVER_SUFFIXES) or p.name.startswith(".owner"))


def wait_for(predicate, timeout: float, every: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def partial_folders(out: Path) -> list[Path]:
    """Half-written output folders under ``out``."""
    return [p for p in out.rglob(".*.partial")] if out.exists() else []


def stop(proc: subprocess.Popen, sig: int, timeout: float = 60) -> int:
    """Send ``sig`` to the command's own process (not its group: its children must follow it by themselves)."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
    return proc.wait(timeout=timeout)
