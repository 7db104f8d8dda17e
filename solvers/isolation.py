"""A time-limited in-process solve run in a child process, so that it stops within its limit plus the grace.

An in-process solver can only be *asked* to stop (:class:`~solvers.base.Watchdog`), and
HiGHS does not honour that request during presolve: on the 4x demo a 120 s solve once ran
248 s. When a time limit is set, :meth:`solvers.base.Backend.solve` therefore runs the
backend's ``_solve`` in a forked child (Linux) through :func:`solve_in_child`:

- the child streams to the parent, through a pipe, every improving plan (its value, the
  bound, the plan's values: :attr:`~solvers.result.SolverOptions.on_incumbent`), every
  progress record (passed on to the caller's
  :attr:`~solvers.result.SolverOptions.on_progress`, so the live line and the heartbeat
  keep working) and every log record (handled by the parent's own logging);
- the child's own watchdog asks the solver to stop at the end of the limit plus half the
  grace; a child still solving at the end of the limit plus the grace (less
  :data:`KILL_MARGIN_S`) gets SIGTERM, and SIGKILL :data:`KILL_MARGIN_S` later;
- a child that ends normally sends back its whole :class:`~solvers.result.SolveResult`; a
  stopped one leaves the last streamed plan, recomputed from its values and checked
  against every row, with the best bound streamed, termination ``KILLED`` (``ERROR`` when
  it died by itself, e.g. out of memory: the parent lives on);
- the child dies with the parent (``PR_SET_PDEATHSIG``), ignores Ctrl-C (the parent stops
  it), and an exception in the parent (Ctrl-C, SIGTERM) stops and reaps it.

Backends that plan the planning model in Python (the greedy: it checks its own clock in
its loops) and subprocess backends (CBC) are not forked.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import pickle
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from typing import Any, Protocol

import numpy as np

from solvers.problem import MatrixProblem, Sense
from solvers.result import SolveProgress, SolveResult, SolverOptions, Termination


class InProcessBackend(Protocol):
    """What this module needs of a :class:`solvers.base.Backend` (which imports this module, not the reverse)."""

    @property
    def name(self) -> str:
        """The backend's name."""

    @property
    def capabilities(self) -> Any:
        """Its :class:`solvers.base.Capabilities`."""

    @property
    def run_in_child(self) -> bool:
        """Whether a time-limited solve may run in a child."""

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        """The solve itself."""


#: Builds a result the way :func:`solvers.base.build_result` does, for the backend, problem and
#: options at hand: ``finish(termination=..., values=..., objective=..., bound=..., ...)``.
Finish = Callable[..., SolveResult]

logger = logging.getLogger(__name__)

__all__ = ["KILL_MARGIN_S", "MIN_NONZEROS_IN_CHILD", "forks_here", "in_solver_child", "should_isolate",
           "solve_in_child"]

#: Seconds between SIGTERM and SIGKILL of a child still solving at the end of its limit plus
#: the grace (at most a tenth of the grace); SIGTERM is sent this long before that end.
KILL_MARGIN_S = 0.5
#: Share of the grace after which the child's own watchdog asks its solver to stop, so that
#: a solver that honours the request still sends back its whole result.
CHILD_GRACE_SHARE = 0.5
#: A problem with fewer constraint nonzeros is solved in this process: a fork and a fresh HiGHS
#: cost about 35-70 ms (measured at load 6 on 2 cores), while HiGHS's presolve of such a
#: problem takes milliseconds. The demo has 65,551, the test-suite's models about a hundred.
MIN_NONZEROS_IN_CHILD = 10_000
#: ``result.extra`` key: the solver child's peak resident memory in kB (``ru_maxrss``), for callers
#: that report a solve's peak memory (``compare``, ``city``): the solve's memory is the child's.
CHILD_PEAK_KB = "child_peak_kb"

_in_child = False


def in_solver_child() -> bool:
    """True inside a solver child (a solve there is not forked again)."""
    return _in_child


def forks_here() -> bool:
    """True where a solve may be forked: Linux (``fork`` with ``PR_SET_PDEATHSIG``)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def should_isolate(backend: InProcessBackend, problem: MatrixProblem, options: SolverOptions) -> bool:
    """Whether ``backend``'s solve of ``problem`` under ``options`` runs in a child process.

    Yes for a time-limited solve of an in-process backend that does not plan the planning
    model itself, of a problem with at least :data:`MIN_NONZEROS_IN_CHILD` nonzeros, on
    Linux, unless this process is already a solver child.
    """
    caps = backend.capabilities
    return (options.time_limit_s is not None and caps.in_process and not caps.needs_planning_model
            and backend.run_in_child and problem.matrix.nnz >= MIN_NONZEROS_IN_CHILD and forks_here()
            and not _in_child)


# ----------------------------------------------------------------------------- the child
class _PipeLogHandler(logging.Handler):
    """In the child: every log record, its message formatted, sent to the parent once."""

    def __init__(self, send: Callable[[tuple], None]) -> None:
        super().__init__()
        self._send = send
        self._last: logging.LogRecord | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record is self._last:  # reached through several loggers' handlers
            return
        self._last = record
        try:
            plain = logging.makeLogRecord(record.__dict__)
            plain.msg, plain.args = record.getMessage(), None
            if record.exc_info:
                plain.exc_text = logging.Formatter().formatException(record.exc_info)
            plain.exc_info = None
            self._send(("log", plain))
        except Exception:  # a log line must never break the solve
            pass


def _route_logging_to(handler: logging.Handler) -> None:
    """Replace every handler of every logger in this (child) process by ``handler``."""
    loggers = [logging.getLogger()] + [v for v in logging.Logger.manager.loggerDict.values()
                                       if isinstance(v, logging.Logger)]
    for one in loggers:
        if one.handlers:
            one.handlers = [handler]


def _die_with_parent(parent: int) -> None:
    """SIGKILL when the parent dies (Linux); SIGTERM and SIGHUP end the child at once; Ctrl-C is the parent's."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no libc
        pass
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _child(backend: InProcessBackend, problem: MatrixProblem, options: SolverOptions, conn: Connection,
           parent: int) -> None:
    """The child's whole life: solve, streaming plans, progress and log lines, then send the result; never returns."""
    global _in_child
    code = 0
    try:
        _in_child = True
        _die_with_parent(parent)
        lock = threading.Lock()

        def send(message: tuple) -> None:
            with lock:
                conn.send(message)

        _route_logging_to(_PipeLogHandler(send))

        def on_incumbent(objective: float, bound: float | None, values: np.ndarray) -> None:
            send(("incumbent", float(objective), bound, np.asarray(values, dtype=np.float64)))

        def on_progress(progress: SolveProgress) -> None:
            send(("progress", progress))

        child_options = dataclasses.replace(
            options, grace_s=CHILD_GRACE_SHARE * options.grace, on_incumbent=on_incumbent,
            on_progress=on_progress if options.on_progress is not None else None)
        try:
            result = backend._solve(problem, child_options)
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            send(("error", _portable(exc)))
            code = 1
        else:
            plain = dataclasses.replace(result, options=dataclasses.replace(
                options, on_progress=None, on_incumbent=None), extra={**result.extra, CHILD_PEAK_KB: _own_peak_kb()})
            try:
                send(("result", plain))
            except (pickle.PicklingError, TypeError, AttributeError) as exc:  # nothing was written
                send(("error", RuntimeError(f"{backend.name}'s result could not be sent back: {exc}")))
    except BaseException:  # noqa: BLE001 - the pipe itself failed: the parent sees the exit code
        code = 2
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        os._exit(code)


def _own_peak_kb() -> int:
    """This process's peak resident memory in kB (a forked child's counts from its parent's at the fork)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` when it survives pickling, else a ``RuntimeError`` with its type and message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


# ----------------------------------------------------------------------------- the parent
@dataclasses.dataclass
class _Streamed:
    """What the parent has heard from the child so far."""

    objective: float | None = None
    bound: float | None = None
    values: np.ndarray | None = None
    incumbents: int = 0
    result: SolveResult | None = None
    error: BaseException | None = None
    #: the child's peak resident memory in kB, once it has been reaped
    peak_kb: int | None = None

    def tighter(self, bound: float | None, maximise: bool) -> None:
        if bound is None or not math.isfinite(bound):
            return
        if self.bound is None or (bound < self.bound if maximise else bound > self.bound):
            self.bound = float(bound)


def solve_in_child(backend: InProcessBackend, problem: MatrixProblem, options: SolverOptions, *, finish: Finish,
                   violation_warn: float) -> SolveResult:
    """``backend._solve(problem, options)`` in a forked child, stopped at the end of the limit plus the grace.

    Parameters
    ----------
    backend
        An in-process backend (:func:`should_isolate`).
    problem
        The (non-empty) problem.
    options
        Started options with a time limit (:meth:`~solvers.result.SolverOptions.started`).
    finish
        Builds the result of a stopped child from its last streamed plan (:data:`Finish`).
    violation_warn
        A streamed plan that breaks a row by more than this is not kept.

    Returns
    -------
    SolveResult
        The child's own result when it ended in time; else the last plan it streamed (value
        recomputed from the plan, checked against every row) with the best bound streamed,
        termination ``KILLED``, or no plan when it streamed none.

    Raises
    ------
    BaseException
        What the backend raised in the child (a ``RuntimeError`` naming it when it cannot
        cross the pipe).
    """
    maximise = problem.sense is Sense.MAXIMIZE
    stop_in = options.stop_in_s()
    assert stop_in is not None, "solve_in_child needs a time limit"
    margin = min(KILL_MARGIN_S, 0.1 * options.grace)
    started = time.perf_counter()
    hard_stop = started + max(stop_in - margin, 0.0)
    receive, transmit = Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        receive.close()
        _child(backend, problem, options, transmit, parent)
    heard = _Streamed()
    killed = False
    answered = False
    try:  # from the fork on: whatever stops this process stops the child first
        transmit.close()
        logger.debug("%s: solving in child process %d (fork %.3f s)", backend.name, pid,
                     time.perf_counter() - started)
        killed = _listen(receive, hard_stop, heard, options, maximise)
        answered = heard.result is not None or heard.error is not None
        if killed:
            logger.warning("%s overran its time limit (%.1f s + %.1f s grace); stopping its process %d",
                           backend.name, options.time_limit_s, options.grace, pid)
            _stop_child(pid, margin)
    except BaseException:
        _stop_child(pid, margin)
        raise
    finally:
        receive.close()
        if not answered:
            exit_status, heard.peak_kb = _reap(pid)
    if answered:  # the child is only exiting now: reap it without waiting for it here
        threading.Thread(target=_reap, args=(pid,), name=f"reap-solver-{pid}", daemon=True).start()
    seconds = time.perf_counter() - started
    if heard.result is not None:
        return dataclasses.replace(heard.result, options=options,
                                   extra={**heard.result.extra, "solved_in_child": True, "child_seconds": seconds})
    if heard.error is not None:
        raise heard.error
    if killed:
        return _stopped_result(backend, problem, heard, seconds, finish, violation_warn, Termination.KILLED,
                               f"{backend.name} overran time limit + grace; its process was stopped")
    why = _how_it_ended(exit_status)
    logger.warning("the %s solver process %s without sending its result", backend.name, why)
    return _stopped_result(backend, problem, heard, seconds, finish, violation_warn, Termination.ERROR,
                           f"the {backend.name} solver process {why} (out of memory?)")


def _listen(conn: Connection, hard_stop: float, heard: _Streamed, options: SolverOptions, maximise: bool) -> bool:
    """Read the child's messages until its result, its end, or ``hard_stop``; True when the time ran out."""
    while True:
        left = hard_stop - time.perf_counter()
        if left <= 0:
            return True
        if not conn.poll(min(left, 1.0)):
            continue
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return False
        kind = message[0]
        if kind == "incumbent":
            _, objective, bound, values = message
            heard.objective, heard.values = objective, values
            heard.incumbents += 1
            heard.tighter(bound, maximise)
        elif kind == "progress":
            progress: SolveProgress = message[1]
            heard.tighter(progress.bound, maximise)
            _tell(options, progress)
        elif kind == "log":
            record: logging.LogRecord = message[1]
            logging.getLogger(record.name).handle(record)
        elif kind == "result":
            heard.result = message[1]
            return False
        elif kind == "error":
            heard.error = message[1]
            return False


def _tell(options: SolverOptions, progress: SolveProgress) -> None:
    """Pass a progress record on to the caller's callback; its errors never reach the solve."""
    if options.on_progress is None:
        return
    try:
        options.on_progress(progress)
    except Exception:
        logger.debug("the progress callback failed", exc_info=True)


def _stop_child(pid: int, margin: float) -> None:
    """SIGTERM the child, and SIGKILL it when it is still there ``margin`` seconds later."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.perf_counter() + margin
    while time.perf_counter() < end:
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> tuple[int | None, int | None]:
    """Wait for the child (ended, ending or stopped) so that it leaves no zombie; its wait status and peak kB."""
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return None, None
    return status, int(usage.ru_maxrss)


def _how_it_ended(status: int | None) -> str:
    """``died from SIGKILL``, ``exited with code 1``: a child's end in words."""
    if status is None:
        return "ended"
    if os.WIFSIGNALED(status):
        return f"died from {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"


def _stopped_result(backend: InProcessBackend, problem: MatrixProblem, heard: _Streamed, seconds: float, finish: Finish,
                    violation_warn: float, termination: Termination, message: str) -> SolveResult:
    """The result of a child that sent none: its last streamed plan, re-valued from the plan, with the best bound."""

    values, objective = heard.values, None
    if values is not None:
        violation = problem.max_violation(values) if values.shape == (problem.n_cols,) else math.inf
        if violation > violation_warn:
            logger.warning("%s's last streamed plan violates the problem by %.3g: not kept", backend.name, violation)
            values = None
        else:
            objective = float(problem.objective_value(values))
    extra: dict[str, Any] = {"solved_in_child": True, "child_seconds": seconds,
                             "streamed_incumbents": heard.incumbents}
    if heard.objective is not None:
        extra["streamed_objective"] = heard.objective
    if heard.peak_kb is not None:
        extra[CHILD_PEAK_KB] = heard.peak_kb
    if values is not None:
        message += "; its last streamed plan is kept"
    return finish(termination=termination, values=values, objective=objective, bound=heard.bound,
                  solve_seconds=seconds, extra=extra, message=message)
