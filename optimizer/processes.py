"""Runs that stop cleanly and leave nothing behind: stop signals, owned folders, locks, workers that die with us.

A planner stops a long run with Ctrl-C, a scheduler with SIGTERM, a machine with SIGKILL. Whatever
stops it, a run must leave no process still solving and no half-written folder that a later run
will not clean. This module holds the pieces every command shares:

- :func:`install_stop_handlers` (called once by ``lifecircle``): SIGTERM and SIGHUP raise
  :class:`Stopped` in the main thread, as Ctrl-C raises ``KeyboardInterrupt``, so every ``finally``
  and every :func:`optimizer.outputs.writers.atomic_folder` cleanup runs and worker pools and
  Dask clusters are closed. A second signal while stopping is ignored.
- :func:`claim_folder`: a half-written folder records its owner (``.owner``: process id, host,
  start time) and holds an exclusive ``flock`` on that file for as long as it is being written.
  The kernel releases the lock when the owner dies, however it dies, so
  :func:`abandoned` tells a folder whose owner is dead (remove it) from one whose owner is alive
  (never touch it). :func:`remove_abandoned_partials` sweeps a folder's ``.<name>.partial`` folders.
- :func:`held_lock` / :func:`try_lock`: an exclusive ``flock`` on a lock file (one per batch run,
  one per reach-cache entry); the lock files themselves are never deleted (deleting a lock file
  someone waits on breaks the lock).
- :func:`die_with_parent`: called in every worker process (process pools, Dask workers): the
  kernel kills the worker when the process that started it dies (``PR_SET_PDEATHSIG``, Linux),
  and a watchdog thread checks the parent's id as well; a worker that gets SIGTERM removes the
  folders it was writing and exits at once.
- :func:`stop_processes`: SIGTERM, a short grace, then SIGKILL, for the worker processes a pool
  leaves when work is abandoned.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: The file inside a half-written folder that names its owner and carries its lock.
OWNER_FILE = ".owner"
#: Signals turned into a clean stop (SIGINT already raises ``KeyboardInterrupt``).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(SystemExit):
    """The process was asked to stop (SIGTERM, SIGHUP): unwinds like an error so every cleanup runs.

    A ``SystemExit`` (exit code 128 + the signal's number), so ``except Exception`` handlers do
    not swallow it and the command ends with the conventional code.
    """

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}"


# ----------------------------------------------------------------------------- names that cannot collide
def utc_stamp(now: dt.datetime | None = None) -> str:
    """``YYYYmmddTHHMMSS.mmmZ``: the UTC time to the millisecond, sortable as text."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S.") + f"{now.microsecond // 1000:03d}Z"


def process_tag() -> str:
    """``p<process id>-<4 random hex digits>``: tells apart two outputs of one millisecond."""
    return f"p{os.getpid()}-{secrets.token_hex(2)}"


# ----------------------------------------------------------------------------- locks
def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), which tells a reused id apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


#: ``flock`` errors of a file system without locks (some network file systems): work goes on unlocked.
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL)
_said_no_locks: set[str] = set()


def _locks_unsupported(exc: OSError, path: Path) -> bool:
    if exc.errno not in _NO_LOCKS:
        return False
    if str(path.parent) not in _said_no_locks:
        _said_no_locks.add(str(path.parent))
        log.warning("file locks are not supported in %s (%s): concurrent runs there are not kept apart", path.parent,
                    exc.strerror)
    return True


def try_lock(path: Path) -> int | None:
    """An exclusive ``flock`` on ``path`` (created when missing), not waiting: its descriptor, or ``None`` when held.

    On a file system without locks the descriptor is returned unlocked (with a warning).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError as exc:
        if _locks_unsupported(exc, path):
            return fd
        os.close(fd)
        raise
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def held_lock(path: Path, what: str, wait_s: float | None = None) -> Iterator[bool]:
    """Hold an exclusive lock on the lock file ``path`` for the block; waits for its holder, saying so once.

    Parameters
    ----------
    path
        The lock file (created when missing, never deleted).
    what
        What the lock guards, for the log ("run yuzhong-demo").
    wait_s
        Give up after this many seconds (``None``: wait as long as it takes).

    Yields
    ------
    bool
        True when the lock is held; False when ``wait_s`` ran out (the block then runs without it
        and must not write).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = try_lock(path)
    if fd is None:
        log.info("%s: waiting for another process that holds %s", what, path)
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while fd is None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.1)
            fd = try_lock(path)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)


# ----------------------------------------------------------------------------- owned folders
_owned: dict[Path, int] = {}


def claim_folder(folder: Path) -> int:
    """Make this process the owner of the half-written ``folder``: ``.owner`` written and locked.

    The owner file is written under a temporary name, locked, then renamed, so whoever sees
    ``.owner`` sees it locked while its writer lives. Returns the lock's descriptor.
    """
    tmp = folder / f".owner-{os.getpid()}-{secrets.token_hex(3)}"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            if not _locks_unsupported(exc, folder):
                raise
        record = {"pid": os.getpid(), "host": socket.gethostname(), "process_start": _process_start(os.getpid()),
                  "claimed_utc": utc_stamp(), "argv": sys.argv[:4]}
        os.write(fd, json.dumps(record).encode())
        os.replace(tmp, folder / OWNER_FILE)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    _owned[folder] = fd
    return fd


def move_claim(old: Path, new: Path) -> None:
    """``old`` (owned by this process) was renamed ``new``: the claim follows it."""
    _owned[new] = _owned.pop(old)


def release_folder(folder: Path, *, unlink: bool = True) -> None:
    """Give up ownership of ``folder``: its ``.owner`` removed (unless ``unlink`` is False) and the lock let go."""
    fd = _owned.pop(folder, None)
    if unlink:
        (folder / OWNER_FILE).unlink(missing_ok=True)
    if fd is not None:
        os.close(fd)


def abandoned(folder: Path) -> bool:
    """Whether the half-written ``folder`` has no living owner (its writer died), so it may be removed.

    Its ``.owner`` lock is free (the kernel freed it when the owner died), or it has no owner file
    at all (a partial folder is born with one, see :func:`new_partial_folder`: one without was left
    by an older lifecircle, or is not a lifecircle folder being written).
    """
    owner = folder / OWNER_FILE
    try:
        fd = os.open(owner, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError as exc:
        return exc.errno in _NO_LOCKS and _owner_gone(owner)
    finally:
        os.close(fd)


def _owner_gone(owner: Path) -> bool:
    """Without file locks: the owner recorded in ``owner`` ran on this machine and that process is gone."""
    try:
        record = json.loads(owner.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if record.get("host") != socket.gethostname():
        return False  # another machine's process: it cannot be checked from here
    pid = int(record.get("pid") or 0)
    return not alive(pid) or _process_start(pid) != record.get("process_start")


def new_partial_folder(tmp: Path) -> None:
    """Create the half-written folder ``tmp`` already owned by this process, or raise ``FileExistsError``.

    It is made under a temporary name (:func:`temp_name`), claimed (:func:`claim_folder`) and only
    then renamed ``tmp``, so a ``.partial`` folder never exists without its owner file.
    """
    birth = tmp.parent / temp_name(tmp.name)
    birth.mkdir()
    try:
        claim_folder(birth)
        if tmp.exists():
            raise FileExistsError(f"{tmp} exists")
        os.rename(birth, tmp)  # onto an existing partial folder (never empty: it has its owner file) it fails
    except BaseException:
        release_folder(birth, unlink=False)
        shutil.rmtree(birth, ignore_errors=True)
        raise
    move_claim(birth, tmp)


def partial_folders(parent: Path) -> list[Path]:
    """The half-written folders (``.<name>.partial``) directly in ``parent``."""
    try:
        return [p for p in parent.iterdir() if p.name.startswith(".") and p.name.endswith(".partial") and p.is_dir()]
    except OSError:
        return []


def remove_abandoned_partials(parent: Path) -> list[Path]:
    """Remove every half-written folder in ``parent`` whose owner is dead; never one whose owner lives.

    Also removes the folders of writers that died while creating one (``.<name>.partial.<pid>.<...>.tmp``).
    Returns the ``.partial`` folders removed.
    """
    removed = []
    for p in partial_folders(parent):
        if p in _owned or not abandoned(p):
            continue
        shutil.rmtree(p, ignore_errors=True)
        if not p.exists():
            log.info("removed %s, left half-written by a process that died", p)
            removed.append(p)
    try:
        births = [p for p in parent.iterdir() if p.name.startswith(".") and ".partial." in p.name
                  and p.name.endswith(".tmp") and p.is_dir()]
    except OSError:
        births = []
    for p in births:
        pid = pid_of_temp(p.name)
        if pid is not None and pid != os.getpid() and not alive(pid):
            shutil.rmtree(p, ignore_errors=True)
    return removed


def temp_name(base: str) -> str:
    """A temporary file name beside ``base``: ``.<base>.<process id>.<random>.tmp`` (see :func:`remove_dead_temps`)."""
    return f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def pid_of_temp(name: str) -> int | None:
    """The process id in a temporary file name made by :func:`temp_name`, if any."""
    parts = name.split(".")
    return int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None


def alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_temps(folder: Path, prefix: str) -> None:
    """Remove the temporary files (:func:`temp_name`) starting with ``prefix`` in ``folder`` whose writer is dead."""
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for p in names:
        pid = pid_of_temp(p.name)
        if pid is not None and pid != os.getpid() and not alive(pid):
            p.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- stop signals
_stopping = False


def _raise_stopped(signum: int, frame) -> None:  # noqa: ARG001 - the signal module's signature
    global _stopping
    if _stopping:
        log.warning("%s again: already stopping", signal.Signals(signum).name)
        return
    _stopping = True
    log.warning("%s: stopping; removing what was half written", signal.Signals(signum).name)
    raise Stopped(signum)


def install_stop_handlers() -> None:
    """SIGTERM and SIGHUP raise :class:`Stopped` in the main thread (the command line calls this once).

    Does nothing outside the main thread (signals can only be handled there).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stopped)


def _worker_stop(signum: int, frame) -> None:  # noqa: ARG001
    """In a worker: remove the folders it was writing and exit now (the pool would swallow an exception)."""
    for folder in list(_owned):
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(128 + signum)


_watched_parent: int | None = None


def _watch_parent(parent: int, every_s: float) -> None:
    while True:
        time.sleep(every_s)
        if os.getppid() != parent:
            _worker_stop(signal.SIGTERM, None)


def die_with_parent(every_s: float = 0.5) -> None:
    """Make this worker process die when the process that started it dies (idempotent).

    Linux: the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``). Everywhere: a
    daemon thread compares the parent's id every ``every_s`` seconds and exits when it changed.
    SIGTERM and SIGHUP remove the folders this worker was writing and exit at once; SIGINT is
    ignored (Ctrl-C in a terminal reaches the whole process group: the main process stops the
    workers itself).
    """
    global _watched_parent
    if _watched_parent is not None:
        return
    parent = os.getppid()
    _watched_parent = parent
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc
            log.debug("PR_SET_PDEATHSIG not available", exc_info=True)
    if os.getppid() != parent or parent == 1:  # the parent died before we asked
        os._exit(1)
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            signal.signal(sig, _worker_stop)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent, every_s), name="lifecircle-parent-watch",
                     daemon=True).start()


def stop_processes(pids: Iterable[int], grace_s: float = 3.0) -> None:
    """SIGTERM each process, wait up to ``grace_s`` for them to end, then SIGKILL those still there."""
    pids = [p for p in pids if p and p != os.getpid()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if _running(p)]
        if left:
            time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a child that ended but was not waited for yet)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return alive(pid)


def stop_pool(pool) -> None:
    """Stop a :class:`concurrent.futures.ProcessPoolExecutor` now: its workers stopped, queued work cancelled."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    stop_processes([w.pid for w in workers if w.pid])
    pool.shutdown(wait=True, cancel_futures=True)
