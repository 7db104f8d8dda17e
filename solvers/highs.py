"""HiGHS through ``highspy``, in process.

The model is passed in one call (:class:`highspy.HighsLp` in CSC form, integrality
set with one vectorised call). The console stays silent; the log is captured with
HiGHS's logging callback into :attr:`SolveResult.log` and, when ``options.log``,
forwarded to this module's logger at INFO. With ``options.on_progress``, HiGHS's MIP
callbacks (an improving solution, a log line, its regular check for interrupts) report
the incumbent, the dual bound and the nodes (:class:`~solvers.progress.ProgressReporter`).

Statuses are mapped honestly: HiGHS's ``kOptimal`` for a MIP means "within
``mip_rel_gap``/``mip_abs_gap``", so the result is optimal only when
``mip_dual_bound`` meets the objective (:func:`~solvers.result.classify`). For a pure
LP the optimal objective is its own bound (LP duality).

Time limit: HiGHS gets what is left of the limit once the model is passed
(:meth:`~solvers.result.SolverOptions.remaining_s`). Watchdog: should a solve still
overrun the limit plus the grace (:func:`~solvers.result.grace_for`), a timer thread
calls :meth:`highspy.Highs.cancelSolve` and the result's termination is ``KILLED`` (with the incumbent, if any).
HiGHS does not honour that request during presolve, so a time-limited solve of a model of some
size runs in a child process that is killed at the end of the grace (:mod:`solvers.isolation`);
there, ``options.on_incumbent`` streams every improving plan, and the scheduler inherited
through the fork is dropped first (its worker threads did not survive it: a solve would wait
for them forever).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import threading
import time
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.base import BOUND_FOCUS, Backend, Capabilities, Watchdog, build_result
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import SolveResult, SolverOptions, Termination

logger = logging.getLogger(__name__)

__all__ = ["HighsBackend"]

#: absolute MIP gap handed to HiGHS; equals the proof tolerance of ``classify``
MIP_ABS_GAP = 1e-6

#: What HiGHS is told for a problem marked :data:`solvers.base.BOUND_FOCUS`: its primal heuristics off
#: (sub-MIPs, feasibility jump, root reduced-cost search). The three-year demo's two pieces on pair 435,
#: side by side, took 327 s instead of 458 s (the start's) and 40 s instead of 90 s (the other); the whole
#: model only 1.08x less (``benchmarks/phasing.md``, 2026-12-06). Plans are still found where the tree's
#: LPs are integral.
BOUND_FOCUS_OPTIONS: dict[str, Any] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
}

_banner_lock = threading.Lock()
_banner_done = False

#: HiGHS runs on one process-wide thread scheduler, sized when first used; a run asking
#: for another size fails unless the scheduler is reset. Size it has now (None: default).
_scheduler_lock = threading.Lock()
_scheduler_threads: int | None = None
#: True in a process forked from one whose HiGHS scheduler ran: its worker threads did not
#: survive the fork, and a solve there waits for them forever unless the scheduler is reset.
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def _fresh_scheduler_after_fork() -> None:
    """In a forked child, drop the scheduler inherited from the parent (without waiting for its dead workers)."""
    global _forked, _scheduler_threads
    if not _forked:
        return
    import highspy

    with _scheduler_lock:
        if _forked:
            highspy.Highs.resetGlobalScheduler(False)
            _scheduler_threads = None
            _forked = False


def _silence_banner() -> None:
    """Let HiGHS write its once-per-process banner into a silent instance.

    ``highspy.Highs()`` logs a banner to stdout on the first log line of the process,
    before any option can be set on it. A bare core instance with console logging off
    takes that first line instead, so no banner ever reaches stdout.
    """
    global _banner_done
    with _banner_lock:
        if _banner_done:
            return
        try:
            from highspy._core import _Highs  # noqa: PLC0415 - private, best effort only

            core = _Highs()
            core.setOptionValue("log_to_console", False)
            core.setCallback(None, None)
        except Exception:  # pragma: no cover - only cosmetic
            logger.debug("could not pre-empt the HiGHS banner", exc_info=True)
        _banner_done = True


class HighsBackend(Backend):
    """HiGHS MILP/LP solver (package ``highspy``)."""

    name: ClassVar[str] = "highs"
    extra: ClassVar[str] = "highspy"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=True, supports_threads=True, supports_seed=True,
        reports_bound=True, honours_time_limit=True, in_process=True,
    )
    #: HiGHS options set on every run after lifecircle's own (name -> value), for measuring a
    #: setting side by side (``benchmarks/demo_x4.py``); empty in use. An unknown name or a value
    #: of the wrong type is refused by HiGHS and logged as a warning, the solve goes on without it.
    tuning: ClassVar[dict[str, bool | int | float | str]] = {}

    @classmethod
    def available(cls) -> bool:
        """True when ``highspy`` can be imported."""
        try:
            return importlib.util.find_spec("highspy") is not None
        except Exception:  # pragma: no cover - broken installs
            return False

    def version(self) -> str:
        """HiGHS version, e.g. ``"1.16.0"``."""
        try:
            import highspy

            return (f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
                    f"{highspy.HIGHS_VERSION_PATCH}")
        except Exception:  # pragma: no cover
            return "unknown"

    # -- model --------------------------------------------------------------------------

    @staticmethod
    def _new_highs() -> Any:
        import highspy

        _silence_banner()
        _fresh_scheduler_after_fork()
        h = highspy.Highs()
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
        return h

    @staticmethod
    def _to_lp(problem: MatrixProblem) -> Any:
        """The problem as a :class:`highspy.HighsLp` (column-wise matrix)."""
        import highspy

        a = sp.csc_matrix(problem.matrix)
        a.sort_indices()
        lp = highspy.HighsLp()
        lp.num_col_ = problem.n_cols
        lp.num_row_ = problem.n_rows
        lp.col_cost_ = problem.objective
        lp.col_lower_ = problem.col_lower
        lp.col_upper_ = problem.col_upper
        lp.row_lower_ = problem.row_lower
        lp.row_upper_ = problem.row_upper
        lp.offset_ = float(problem.objective_offset)
        lp.sense_ = (highspy.ObjSense.kMaximize if problem.sense is Sense.MAXIMIZE
                     else highspy.ObjSense.kMinimize)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = problem.n_cols
        lp.a_matrix_.num_row_ = problem.n_rows
        lp.a_matrix_.start_ = a.indptr.astype(np.int32)
        lp.a_matrix_.index_ = a.indices.astype(np.int32)
        lp.a_matrix_.value_ = a.data
        return lp

    def _configure(self, h: Any, problem: MatrixProblem, options: SolverOptions) -> None:
        left = options.remaining_s()  # what is left of the limit once the model is passed
        if left is not None and self.pass_time_limit:
            h.setOptionValue("time_limit", float(left))
        h.setOptionValue("mip_rel_gap", float(options.relative_gap))
        h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
        h.setOptionValue("random_seed", int(options.seed))
        threads = None if options.threads is None else int(options.threads)
        self._size_scheduler(threads)
        if threads is not None:
            h.setOptionValue("threads", threads)
        if problem.metadata.get(BOUND_FOCUS) and problem.is_mip:
            self._set_options(h, BOUND_FOCUS_OPTIONS)
        self._set_options(h, self.tuning)  # after the rest: a measured setting wins

    @staticmethod
    def _set_options(h: Any, options: dict[str, Any]) -> None:
        """Set ``options`` on ``h``; one HiGHS refuses (an older HiGHS without it) is logged and left out."""
        import highspy

        for name, value in options.items():
            if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
                logger.warning("HiGHS refused option %s = %r; solving without it", name, value)

    @staticmethod
    def _size_scheduler(threads: int | None) -> None:
        """Resize HiGHS's process-wide scheduler when the requested size differs.

        ``None`` is HiGHS's own default size; a reset back to it follows a run with an
        explicit count, so that one ``threads=1`` run does not leave later runs on one
        thread. Not safe while another HiGHS solve with a different count runs in this
        process.
        """
        global _scheduler_threads
        import highspy

        with _scheduler_lock:
            if _scheduler_threads != threads:
                highspy.Highs.resetGlobalScheduler(True)
                _scheduler_threads = threads

    def _set_start(self, h: Any, problem: MatrixProblem, extra: dict) -> None:
        import highspy

        if problem.start is None or not problem.is_mip:
            return
        idx = np.arange(problem.n_cols, dtype=np.int32)
        status = h.setSolution(problem.n_cols, idx, problem.start.astype(np.float64))
        extra["start_passed"] = status != highspy.HighsStatus.kError
        if status == highspy.HighsStatus.kError:
            logger.warning("HiGHS rejected the warm start")

    # -- solve --------------------------------------------------------------------------

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        import highspy

        h = self._new_highs()
        chunks: list[str] = []

        def on_log(event: Any) -> None:
            text = event.message
            chunks.append(text)
            if options.log:
                for line in text.splitlines():
                    if line.strip():
                        logger.info("[highs] %s", line)

        h.cbLogging += on_log
        progress = ProgressReporter(options, self.name, problem.sense)
        if progress.active and problem.is_mip:
            def on_mip_event(event: Any) -> None:  # an improving plan, a log line, or a check for interrupts
                data = event.data_out
                progress.report(incumbent=data.mip_primal_bound, bound=data.mip_dual_bound,
                                nodes=int(data.mip_node_count))

            h.cbMipImprovingSolution += on_mip_event
            h.cbMipLogging += on_mip_event
            h.cbMipInterrupt += on_mip_event
        if options.on_incumbent is not None and problem.is_mip:
            stream = options.on_incumbent

            def on_improving(event: Any) -> None:  # the plan itself, for a parent that may have to stop us
                data = event.data_out
                stream(float(data.objective_function_value), float(data.mip_dual_bound),
                       np.array(data.mip_solution, dtype=np.float64))

            h.cbMipImprovingSolution += on_improving
        extra: dict = {}
        status = h.passModel(self._to_lp(problem))
        if status == highspy.HighsStatus.kError:
            return build_result(self, problem, options, termination=Termination.ERROR,
                                values=None, objective=None, bound=None, solve_seconds=0.0,
                                log="".join(chunks), error=True,
                                message="HiGHS rejected the model")
        if problem.is_mip:
            h.changeColsIntegrality(problem.n_cols, np.arange(problem.n_cols, dtype=np.int32),
                                    problem.integrality.astype(np.uint8))
        self._configure(h, problem, options)
        self._set_start(h, problem, extra)

        watchdog = Watchdog(options, h.cancelSolve, solver="HiGHS", action="cancelling")
        if watchdog.budget is not None:
            h.HandleUserInterrupt = True
        started = time.perf_counter()
        with watchdog:
            run_status = h.run()
        seconds = time.perf_counter() - started
        progress.finish()
        log = "".join(chunks)
        if extra.get("start_passed"):
            extra["start_accepted"] = "MIP start solution is feasible" in log
        try:
            result = self._read_result(h, problem, options, run_status, seconds, log, extra, watchdog.killed)
        finally:
            h.clear()
        if problem.start is not None and result.values is not None and _values_disown_objective(problem, result):
            # HiGHS (seen with 1.x) may hand back the start it was given when presolve alone
            # solves the model, while reporting the optimum's value: solve again without it
            logger.warning("HiGHS returned its warm start (worth %s) as a solution it says is worth %s; "
                           "solving again without the start", problem.objective_value(result.values),
                           result.objective)
            return self._solve(dataclasses.replace(problem, start=None), options)
        return result

    def _read_result(self, h: Any, problem: MatrixProblem, options: SolverOptions,
                     run_status: Any, seconds: float, log: str, extra: dict,
                     killed: bool) -> SolveResult:
        import highspy

        ms = highspy.HighsModelStatus
        model_status = h.getModelStatus()
        info = h.getInfo()
        extra.update(highs_status=h.modelStatusToString(model_status),
                     highs_run_status=str(run_status))
        if problem.is_mip:
            extra.update(mip_gap=float(info.mip_gap), nodes=int(info.mip_node_count),
                         mip_dual_bound=float(info.mip_dual_bound))
        extra["simplex_iterations"] = int(info.simplex_iteration_count)

        has_values = int(info.primal_solution_status) == int(highspy.kSolutionStatusFeasible)
        values = None
        objective = None
        if has_values:
            values = np.asarray(h.getSolution().col_value, dtype=np.float64)
            objective = float(info.objective_function_value)
        bound = None
        if problem.is_mip:
            bound = float(info.mip_dual_bound)
        elif model_status == ms.kOptimal and has_values:
            bound = objective  # LP: an optimal basis proves its own value (duality)

        common: dict[str, Any] = dict(values=values, objective=objective, bound=bound, solve_seconds=seconds,
                      log=log, extra=extra)
        finished = model_status in (ms.kOptimal, ms.kInfeasible, ms.kUnbounded,
                                    ms.kUnboundedOrInfeasible)
        if killed and not finished:
            return build_result(self, problem, options, termination=Termination.KILLED,
                                message="HiGHS overran time limit + grace and was cancelled",
                                **common)
        if model_status == ms.kOptimal:
            proven = bound is not None and objective is not None and \
                abs(bound - objective) <= MIP_ABS_GAP + 1e-9 * abs(objective)
            return build_result(self, problem, options,
                                termination=Termination.OPTIMAL if proven else Termination.GAP_LIMIT,
                                **common)
        if model_status == ms.kTimeLimit:
            return build_result(self, problem, options, termination=Termination.TIME_LIMIT,
                                **common)
        if model_status in (ms.kInterrupt, getattr(ms, "kHighsInterrupt", ms.kInterrupt)):
            return build_result(self, problem, options, termination=Termination.INTERRUPTED,
                                **common)
        if model_status == ms.kInfeasible:
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra, infeasible=True)
        if model_status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
            # settled by Backend.solve with a zero-objective feasibility check
            extra["infeasible_or_unbounded"] = True
            return build_result(self, problem, options, termination=Termination.OTHER,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra,
                                message=f"HiGHS: {extra['highs_status']}")
        if model_status in (ms.kObjectiveBound, ms.kObjectiveTarget, ms.kIterationLimit,
                            ms.kSolutionLimit, ms.kUnknown):
            return build_result(self, problem, options, termination=Termination.OTHER,
                                message=f"HiGHS: {extra['highs_status']}", **common)
        if model_status == ms.kModelEmpty:
            # only reached with columns but nothing HiGHS considers a model; be plain
            return build_result(self, problem, options, termination=Termination.OTHER,
                                message="HiGHS: model empty", **common)
        # kNotset, kLoadError, kModelError, kPresolveError, kSolveError, kPostsolveError,
        # kMemoryLimit
        return build_result(self, problem, options, termination=Termination.ERROR,
                            values=None, objective=None, bound=None, solve_seconds=seconds,
                            log=log, extra=extra, error=True,
                            message=f"HiGHS: {extra['highs_status']}")


def _values_disown_objective(problem: MatrixProblem, result: SolveResult) -> bool:
    """True when ``result``'s values are worth other than the objective it reports (beyond tolerance)."""
    if result.values is None or result.objective is None:
        return False
    got = problem.objective_value(result.values)
    return abs(got - result.objective) > 1e-6 * max(1.0, abs(result.objective))
