"""Where independent runs are carried out: local processes or a Dask cluster, behind one interface.

A batch (and any other code with many independent, picklable pieces of work, such as a city
cut into parts) hands its work to a :class:`RunExecutor` and reads the outcomes back as they
finish; the loop is the same whichever executor does the work::

    from optimizer.batch.executors import open_executor

    with open_executor(scheduler=None, jobs=2) as ex:      # or scheduler="local:2", "tcp://host:8786"
        for part in parts:
            ex.submit(part.name, solve_part, part)           # key, module-level function, picklable args
        for done in ex.as_completed():                       # every key exactly once, as they finish
            if done.lost: ...                                # the worker died on every attempt
            elif done.error: ...                             # the function raised: its own answer, not retried
            else: use(done.value)

The interface
-------------
``submit(key, fn, *args)``
    Queue ``fn(*args)`` under ``key`` (any hashable, unique among the pending work). ``fn``
    must be a module-level function and ``args`` picklable; both run in another process,
    perhaps on another machine (then every path in ``args`` must be valid there: give absolute
    paths on a shared file system). ``submit`` may be called while iterating ``as_completed``;
    the new work is then waited for too.
``as_completed()``
    Yields one :class:`Done` per submitted key, in finishing order, until nothing is pending.
``close()``
    Stops the workers this executor started (a remote cluster is left running). Executors are
    context managers that close on exit.
``description``
    One line saying where the work runs, for progress output and records.

Faults
------
- ``fn`` raising an exception is an ordinary outcome: ``Done.error`` holds
  ``"<type>: <message>"`` and the work is **not** retried (an input error or an infeasible
  scenario fails the same way every time). :func:`optimizer.batch.runs.execute_run` never raises:
  it returns its failures as summary rows.
- A worker lost while running ``fn`` (process killed, out of memory, machine gone) is retried
  on a fresh worker up to ``retries`` times (default 2); ``on_retry(key, attempt, reason)`` is
  called before each retry. After the last, ``Done.lost`` is True. ``Done.attempts`` counts
  the times the work was started.
- :class:`LocalProcesses`: a process that dies breaks Python's whole process pool; every piece
  of work that had started in it (it or a neighbour may be the cause) counts one lost attempt
  and is run again in a fresh pool, work that had not started is sent again uncounted.
- Workers die with the process that started them (:func:`optimizer.processes.die_with_parent`,
  in every local process and, before each piece of work, in every Dask worker; the workers of a
  ``LocalCluster`` from their start): a killed batch leaves no worker solving on its own.
  ``close()`` with work still pending (an error, Ctrl-C, SIGTERM) stops the local worker
  processes at once instead of waiting for their runs to finish.
- :class:`DaskCluster`: Dask's own ``retries=`` on ``submit`` re-runs work that *raised*, which
  is exactly what must not be retried, so it is not used. A worker's death is counted by the
  scheduler instead (``distributed.scheduler.allowed-failures``; past it the work fails with
  ``KilledWorker``), and this executor re-submits such work itself, ``retries`` times. The
  ``LocalCluster`` it starts has ``allowed-failures: 0``, so ``retries`` is exact; a remote
  scheduler re-runs the work itself up to its own ``allowed-failures`` (Dask's default 3)
  before each of these retries.

Memory and threads
------------------
- ``LocalCluster``: ``worker_memory`` (e.g. ``"4GB"``) is each worker's ``memory_limit``
  (default: the machine's memory shared equally); Dask's nanny restarts a worker that goes
  past 95 % of it, which is then a lost worker as above.
- ``memory_per_run`` (e.g. ``"2GB"``): each piece of work is submitted with Dask
  ``resources={"MEMORY": bytes}``, so a worker runs only as many at once as its ``MEMORY``
  resource allows. Workers of a remote cluster must be started with it, e.g.
  ``dask worker tcp://host:8786 --nthreads 1 --memory-limit 8GB --resources MEMORY=8e9``;
  work is refused up front when no worker has enough. The ``LocalCluster`` gives each worker
  ``MEMORY`` = its memory limit. Without ``memory_per_run`` work goes to any free thread.
- Threads: one piece of work runs per worker thread (``LocalCluster``: 1 thread per worker,
  ``jobs`` workers; local processes: ``jobs`` processes). Inside it the solver uses the
  scenario's ``solver.threads`` (unset: the solver's own default). Keep workers x solver
  threads at or below the cores of each machine (``--set solver.threads=1`` for many small
  runs); Dask's workers also start with ``OMP_NUM_THREADS=1`` and the like, which numpy and
  the linear algebra libraries follow, not HiGHS.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from optimizer.errors import ClusterUnavailable

log = logging.getLogger(__name__)

#: what a missing Dask says
INSTALL_HINT = "Dask is not installed: pip install -e .[cluster]  (or: pip install 'dask[distributed]')"

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_memory(text: str | int | float) -> int:
    """Bytes of a memory size such as ``"4GB"``, ``"512MiB"``, ``"2e9"`` (Dask's units: GB = 10^9).

    Raises
    ------
    ValueError
        When ``text`` is not a positive size.
    """
    if isinstance(text, (int, float)):
        value, unit = float(text), ""
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(f"not a memory size: {text!r} (e.g. 4GB, 512MiB, 2e9)")
        value, unit = float(m.group(1)), m.group(2).lower()
    size = int(value * _UNITS[unit])
    if size <= 0:
        raise ValueError(f"memory size must be positive, got {text!r}")
    return size


@dataclass(frozen=True)
class SchedulerChoice:
    """Where to run, as parsed from ``--scheduler``: ``kind`` is ``processes``, ``local`` or ``remote``."""

    kind: str
    address: str | None = None
    workers: int | None = None


def parse_scheduler(text: str | None) -> SchedulerChoice:
    """``None`` (local processes), ``local``/``local:N`` (a Dask LocalCluster) or ``tcp://host:port``.

    Raises
    ------
    ValueError
        For anything else.
    """
    if text is None or text == "":
        return SchedulerChoice("processes")
    t = text.strip()
    m = re.fullmatch(r"local(?::(\d+))?", t)
    if m:
        n = int(m.group(1)) if m.group(1) else None
        if n is not None and n < 1:
            raise ValueError(f"local:N needs N >= 1, got {text!r}")
        return SchedulerChoice("local", workers=n)
    if re.fullmatch(r"(tcp|tls|ws|wss|inproc|ucx)://\S+", t):
        return SchedulerChoice("remote", address=t)
    raise ValueError(f"--scheduler must be local, local:N or a scheduler address such as tcp://host:8786, "
                     f"got {text!r}")


@dataclass(frozen=True)
class Done:
    """The outcome of one submitted piece of work.

    Attributes
    ----------
    key
        The key it was submitted under.
    value
        What the function returned (None on error or loss).
    error
        ``"<type>: <message>"`` when the function raised (not retried), else None.
    lost
        True when its worker died on every attempt.
    attempts
        Times it was started (1 unless a worker was lost).
    """

    key: Hashable
    value: Any = None
    error: str | None = None
    lost: bool = False
    attempts: int = 1


OnRetry = Callable[[Hashable, int, str], None]


class RunExecutor(Protocol):
    """Submit work, read outcomes as they finish (see the module docstring)."""

    description: str

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` under ``key``."""

    def as_completed(self) -> Iterator[Done]:
        """Every submitted run, as it finishes."""

    def close(self) -> None:
        """Stop the workers; runs not finished are cancelled."""

    def __enter__(self) -> RunExecutor: ...

    def __exit__(self, *exc: object) -> None: ...


@dataclass
class _Task:
    key: Hashable
    fn: Callable[..., Any]
    args: tuple
    started: int = 0
    token: str = ""


class _Closing:
    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - overridden
        pass


def _tell_retry(on_retry: OnRetry | None, key: Hashable, attempt: int, of: int, reason: str) -> None:
    if on_retry is not None:
        on_retry(key, attempt, reason)
    else:
        log.warning("%s: %s; starting it again (attempt %d of %d)", key, reason, attempt, of)


# ----------------------------------------------------------------------------- local processes
def _start_worker(initializer: Callable[[], None] | None) -> None:
    """A new worker process: it dies with the process that started it, then ``initializer`` runs."""
    from optimizer.processes import die_with_parent

    die_with_parent()
    if initializer is not None:
        initializer()


def _marked(marker: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` in a pool worker after leaving a mark that it started (and where)."""
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    return fn(*args)


@dataclass
class LocalProcesses(_Closing):
    """Work in ``jobs`` spawned processes on this machine (no Dask needed).

    Parameters
    ----------
    jobs
        Processes at a time.
    retries
        Times work is run again after its process died.
    initializer
        Called once in each new process (module-level, picklable).
    on_retry
        ``on_retry(key, attempt, reason)`` before work is run again.
    """

    jobs: int = 1
    retries: int = 2
    initializer: Callable[[], None] | None = None
    on_retry: OnRetry | None = None
    _pool: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)
    _pending: dict = field(default_factory=dict, init=False, repr=False)
    _marks: Path | None = field(default=None, init=False, repr=False)

    @property
    def description(self) -> str:
        """Where runs execute, in words."""
        return f"local processes ({self.jobs} at a time)"

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(self.initializer,))
        if self._marks is None:
            self._marks = Path(tempfile.mkdtemp(prefix="lifecircle-started-"))
        return self._pool

    def _send(self, task: _Task) -> None:
        pool = self._executor()
        task.token = uuid.uuid4().hex
        fut = pool.submit(_marked, str(self._marks / task.token), task.fn, *task.args)
        self._pending[fut] = task

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` under ``key``."""
        self._send(_Task(key, fn, tuple(args)))

    def as_completed(self) -> Iterator[Done]:
        """Every submitted run, as it finishes; a run whose process died is started again."""
        while self._pending:
            finished, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
            broken: list[_Task] = []
            for fut in finished:
                task = self._pending.pop(fut)
                started = (self._marks / task.token).exists()
                task.started += started
                try:
                    value = fut.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except Exception as exc:  # noqa: BLE001 - the function's own failure, not retried
                    yield Done(task.key, error=f"{type(exc).__name__}: {exc}", attempts=max(1, task.started))
                    continue
                yield Done(task.key, value=value, attempts=max(1, task.started))
            if not broken:
                continue
            # the pool is dead: every other piece of work in it fails too, at once
            rest, _ = wait(list(self._pending))
            for fut in rest:
                task = self._pending.pop(fut)
                task.started += (self._marks / task.token).exists()
                try:
                    value = fut.result()
                except BrokenProcessPool:
                    broken.append(task)
                    continue
                except Exception as exc:  # noqa: BLE001 - as above
                    yield Done(task.key, error=f"{type(exc).__name__}: {exc}", attempts=max(1, task.started))
                    continue
                yield Done(task.key, value=value, attempts=max(1, task.started))
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            for task in broken:
                ran = (self._marks / task.token).exists()
                if ran and task.started > self.retries:
                    yield Done(task.key, lost=True, attempts=task.started)
                    continue
                if ran:
                    _tell_retry(self.on_retry, task.key, task.started + 1, self.retries + 1, "worker process died")
                self._send(task)

    def close(self) -> None:
        """Shut the process pool down, cancelling runs not started.

        With work still pending (the loop was left by an error, Ctrl-C or SIGTERM) the worker
        processes are stopped at once (SIGTERM: they remove what they were writing; SIGKILL after
        a short grace), not waited for.
        """
        if self._pool is not None:
            if self._pending:
                from optimizer.processes import stop_pool

                log.info("stopping %d worker process(es) with work pending", len(self._pool._processes or {}))
                stop_pool(self._pool)
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._pending.clear()
        if self._marks is not None:
            shutil.rmtree(self._marks, ignore_errors=True)
            self._marks = None


# ----------------------------------------------------------------------------- Dask
def _call(initializer: Callable[[], None] | None, fn: Callable[..., Any], *args: Any) -> Any:
    from optimizer.processes import die_with_parent

    die_with_parent()
    if initializer is not None:
        initializer()
    return fn(*args)


def _die_with_parent_plugin(distributed):
    """A Dask worker plugin: each worker of a ``LocalCluster`` dies with this process, from its start."""

    class DieWithParent(distributed.WorkerPlugin):
        name = "lifecircle-die-with-parent"

        def setup(self, worker) -> None:  # noqa: ARG002 - Dask's signature
            from optimizer.processes import die_with_parent

            die_with_parent()

    return DieWithParent()


def _import_distributed():
    try:
        import dask
        import distributed
    except ImportError as exc:
        raise ClusterUnavailable(f"{INSTALL_HINT} ({exc})") from None
    return dask, distributed


class DaskCluster(_Closing):
    """Work on a Dask cluster: a ``LocalCluster`` started here, or an existing scheduler.

    Parameters
    ----------
    choice
        From :func:`parse_scheduler` (kind ``local`` or ``remote``).
    jobs
        Workers of a ``LocalCluster`` when ``choice`` names none.
    retries
        Times work is re-submitted after its worker died.
    worker_memory
        ``LocalCluster`` only: each worker's memory limit (``"4GB"``).
    memory_per_run
        Submit each piece of work with ``resources={"MEMORY": bytes}``.
    initializer
        Called in the worker before each piece of work (cheap, idempotent).
    on_retry
        ``on_retry(key, attempt, reason)`` before work is re-submitted.
    connect_timeout
        Seconds to wait for a remote scheduler.
    """

    def __init__(self, choice: SchedulerChoice, jobs: int = 1, retries: int = 2, worker_memory: str | None = None,
                 memory_per_run: str | None = None, initializer: Callable[[], None] | None = None,
                 on_retry: OnRetry | None = None, connect_timeout: float = 10.0):
        dask, distributed = _import_distributed()
        self.retries = retries
        self.initializer = initializer
        self.on_retry = on_retry
        self.cluster = None
        self._pending: dict = {}
        self._ac = None
        self.memory_per_run = parse_memory(memory_per_run) if memory_per_run else None
        if choice.kind == "local":
            n = choice.workers or jobs
            limit = (parse_memory(worker_memory) if worker_memory
                     else int(distributed.system.MEMORY_LIMIT / max(1, n)))
            if self.memory_per_run and self.memory_per_run > limit:
                raise ClusterUnavailable(f"--memory-per-run {memory_per_run} is more than a worker's memory "
                                         f"({limit / 1e9:.2f} GB): no run could ever start")
            resources = {"MEMORY": limit} if self.memory_per_run else None
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self.cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                        memory_limit=limit, resources=resources,
                                                        dashboard_address=None,
                                                        # its HTTP server on any free port, not 8787
                                                        scheduler_kwargs={"dashboard_address": ":0",
                                                                          "dashboard": False})
            self.client = distributed.Client(self.cluster)
            try:
                self.client.register_plugin(_die_with_parent_plugin(distributed))
            except Exception:  # noqa: BLE001 - each piece of work still calls die_with_parent itself
                log.debug("could not register the die-with-parent plugin", exc_info=True)
            self.description = (f"Dask LocalCluster ({n} worker{'s' if n != 1 else ''} x 1 thread, "
                                f"{limit / 1e9:.1f} GB each)")
        else:
            if worker_memory:
                raise ClusterUnavailable("--worker-memory applies to --scheduler local only; a remote cluster's "
                                         "workers set their own --memory-limit")
            try:
                self.client = distributed.Client(choice.address, timeout=connect_timeout)
            except (OSError, TimeoutError) as exc:
                raise ClusterUnavailable(f"cannot reach the Dask scheduler at {choice.address}: {exc}") from None
            workers = self.client.scheduler_info().get("workers", {})
            self.description = f"Dask scheduler {choice.address} ({len(workers)} workers now)"
            if self.memory_per_run:
                most = max((w.get("resources", {}).get("MEMORY", 0) for w in workers.values()), default=0)
                if most < self.memory_per_run:
                    self.client.close()
                    raise ClusterUnavailable(
                        f"no worker of {choice.address} offers MEMORY >= {self.memory_per_run:,} bytes "
                        f"(largest: {int(most):,}); start workers with --resources MEMORY=<bytes>, "
                        f"e.g. dask worker {choice.address} --nthreads 1 --resources MEMORY=8e9")
        self._distributed = distributed

    def _send(self, task: _Task) -> None:
        task.started += 1
        kwargs = {"resources": {"MEMORY": self.memory_per_run}} if self.memory_per_run else {}
        key = f"lifecircle-{str(task.key)[:60]}-{uuid.uuid4().hex[:12]}"
        fut = self.client.submit(_call, self.initializer, task.fn, *task.args, key=key, pure=False, **kwargs)
        self._pending[fut.key] = (fut, task)
        if self._ac is not None:
            self._ac.add(fut)

    def submit(self, key: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` under ``key``."""
        self._send(_Task(key, fn, tuple(args)))

    def as_completed(self) -> Iterator[Done]:
        """Every submitted run, as it finishes; a run whose worker was lost is started again."""
        KilledWorker = self._distributed.KilledWorker  # noqa: N806 - Dask's class
        self._ac = self._distributed.as_completed([f for f, _ in self._pending.values()])
        try:
            for fut in self._ac:
                _, task = self._pending.pop(fut.key)
                reason = None
                if fut.status == "finished":
                    try:
                        value = fut.result()
                    except Exception as exc:  # noqa: BLE001 - e.g. the result could not be read back
                        yield Done(task.key, error=f"{type(exc).__name__}: {exc}", attempts=task.started)
                        continue
                    yield Done(task.key, value=value, attempts=task.started)
                    continue
                if fut.status == "cancelled":
                    reason = "cancelled by the scheduler"
                else:
                    exc = fut.exception()
                    if isinstance(exc, KilledWorker):
                        reason = "worker died"
                    else:
                        yield Done(task.key, error=f"{type(exc).__name__}: {exc}", attempts=task.started)
                        continue
                fut.release()
                if task.started > self.retries:
                    yield Done(task.key, lost=True, attempts=task.started)
                    continue
                _tell_retry(self.on_retry, task.key, task.started + 1, self.retries + 1, reason)
                self._send(task)
        finally:
            self._ac = None

    def close(self) -> None:
        """Cancel what is pending and close the cluster this executor started."""
        for fut, _ in self._pending.values():
            fut.cancel()
        self._pending.clear()
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                cluster, self.cluster = self.cluster, None
                cluster.close()


def open_executor(scheduler: str | None = None, jobs: int = 1, retries: int = 2, worker_memory: str | None = None,
                  memory_per_run: str | None = None, initializer: Callable[[], None] | None = None,
                  on_retry: OnRetry | None = None) -> RunExecutor:
    """The executor for ``--scheduler`` (see :func:`parse_scheduler`); Dask is imported only when asked.

    Raises
    ------
    ValueError
        A scheduler text, memory size or combination that makes no sense (a usage error).
    ClusterUnavailable
        Dask missing, or the scheduler unreachable.
    """
    choice = parse_scheduler(scheduler)
    if retries < 0:
        raise ValueError(f"--retries must be >= 0, got {retries}")
    for label, value in (("--worker-memory", worker_memory), ("--memory-per-run", memory_per_run)):
        if value:
            try:
                parse_memory(value)
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
            if choice.kind == "processes":
                raise ValueError(f"{label} needs --scheduler (local, local:N or tcp://host:port)")
    if worker_memory and choice.kind == "remote":
        raise ValueError("--worker-memory applies to --scheduler local only; a remote cluster's workers set "
                         "their own --memory-limit (and --resources MEMORY=<bytes> for --memory-per-run)")
    if choice.kind == "processes":
        return LocalProcesses(jobs=jobs, retries=retries, initializer=initializer, on_retry=on_retry)
    return DaskCluster(choice, jobs=jobs, retries=retries, worker_memory=worker_memory,
                       memory_per_run=memory_per_run, initializer=initializer, on_retry=on_retry)
