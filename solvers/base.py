"""What every solver backend provides, and the bookkeeping they share.

A backend turns a :class:`~solvers.problem.MatrixProblem` into a
:class:`~solvers.result.SolveResult`. :meth:`Backend.solve` is a template method:
it validates the request, handles the trivial empty model, times the run, calls the
backend's :meth:`Backend._solve`, and settles "infeasible or unbounded" answers with
a feasibility check. Backends build their result with :func:`build_result`, which
applies :func:`~solvers.result.classify` so that no backend can call a plan optimal
without a bound that meets its value. A time-limited solve of an in-process backend runs in
a forked child process stopped at the end of the limit plus the grace
(:mod:`solvers.isolation`).
"""
from __future__ import annotations

import abc
import dataclasses
import functools
import importlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar

import numpy as np

from solvers.isolation import should_isolate, solve_in_child
from solvers.problem import MatrixProblem, Sense
from solvers.result import (
    PROOF_ABS_TOL,
    PROOF_REL_TOL,
    SolveResult,
    SolverOptions,
    SolveStatus,
    Termination,
    classify,
    relative_gap,
)

logger = logging.getLogger(__name__)

__all__ = [
    "Backend",
    "Capabilities",
    "SolverUnavailable",
    "UnsupportedProblem",
    "START_SOURCE",
    "BOUND_FOCUS",
    "Watchdog",
    "build_result",
    "figure",
    "keep_the_better_plan",
    "clip_log",
    "MAX_LOG_CHARS",
]

#: Longest solver log kept in :attr:`SolveResult.log`; longer logs keep head and tail.
MAX_LOG_CHARS = 1_000_000

#: A plan whose worst row/bound/integrality violation exceeds this is flagged in
#: ``SolveResult.extra["max_violation"]`` and logged as a warning.
VIOLATION_WARN = 1e-5


@functools.cache
def module_imports(module: str) -> bool:
    """True when ``module`` imports (checked once per process): a wrong protobuf or a broken
    wheel can make a solver package fail at import although its files are there."""
    try:
        importlib.import_module(module)
        return True
    except Exception:
        logger.debug("%s does not import", module, exc_info=True)
        return False


class SolverUnavailable(ValueError):
    """The requested solver cannot run here.

    Parameters
    ----------
    solver
        Registry name of the backend.
    extra
        The pip extra or package that provides it.
    reason
        Why it is unavailable, if known.
    """

    def __init__(self, solver: str, extra: str, reason: str = "") -> None:
        self.solver = solver
        self.extra = extra
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"solver {solver!r} is not available{detail}; install it with "
            f"`pip install {extra}`"
        )

    def __reduce__(self) -> tuple:  # crosses a pipe from a solver child intact
        return (type(self), (self.solver, self.extra, self.reason))


class UnsupportedProblem(ValueError):
    """The backend cannot take this problem exactly; raised before any solving.

    A backend refuses rather than approximate: e.g. CP-SAT with continuous variables or
    constraint coefficients it cannot make integral.

    Parameters
    ----------
    solver
        Registry name of the backend that refuses.
    reason
        What it cannot take, in plain words (shown to the user).
    alternatives
        Registry names of backends that take such problems.
    """

    def __init__(self, solver: str, reason: str, alternatives: tuple[str, ...] = ()) -> None:
        self.solver = solver
        self.reason = reason
        self.alternatives = tuple(alternatives)
        hint = f"; use {' or '.join(self.alternatives)}" if self.alternatives else ""
        super().__init__(f"{solver} cannot solve this model exactly: {reason}{hint}")

    def __reduce__(self) -> tuple:  # crosses a pipe from a solver child intact
        return (type(self), (self.solver, self.reason, self.alternatives))


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do.

    Attributes
    ----------
    supports_mip
        Integer variables are honoured.
    supports_start
        A warm start (``MatrixProblem.start``) is passed to the solver, and
        ``SolveResult.extra["start_accepted"]`` says whether the solver took it as a
        feasible plan.
    supports_threads
        ``SolverOptions.threads`` is passed to the solver.
    supports_seed
        ``SolverOptions.seed`` is passed to the solver.
    reports_bound
        A proven bound is available after a stopped MIP search.
    honours_time_limit
        The solver reliably stops at its own time limit. The watchdog runs anyway.
    in_process
        Runs inside this Python process (a stop is a request, not a kill).
    supports_continuous
        Continuous variables are taken as such. When false, a continuous column is
        accepted only where ``MatrixProblem.metadata["integral_at_optimum"]`` marks it
        (some optimum has it integral), and modelled as integer; any other is refused
        with :class:`UnsupportedProblem`.
    supports_infinite_bounds
        Variables may have infinite bounds. When false, such a problem is refused.
    supports_fractional_coefficients
        Any real constraint coefficient is taken. When false, each row must become
        integral when scaled by a power of ten (the backend says up to which), else the
        problem is refused.
    proves_optimality
        The search can prove a plan optimal by itself (an exact solver). False for a
        heuristic, whose plan is "optimal" only when a separate bound happens to meet it.
    needs_planning_model
        Takes only problems that carry the structure they were built from in
        :attr:`MatrixProblem.metadata` (the backend's :meth:`Backend.check` names the key);
        a plain matrix problem is refused with :class:`UnsupportedProblem`.
    gives_warm_start
        :meth:`Backend.warm_start` offers a feasible plan for another backend to start from.
    needs_coverage_model
        Takes only problems with coverage or assignment columns it can project out,
        recognised from the matrix: plain maximal covering
        (:func:`solvers.benders.coverage_structure`), the planning model's coverage mode
        (:func:`solvers.benders_projection.project_coverage`) and its capacitated mode
        (:func:`solvers.benders_assignment.project_assignments`); anything else (set
        covering, a knapsack) is refused with :class:`UnsupportedProblem` before solving.
    searches_plans
        Runs its own plan search from the start on plain maximal covering (``benders``: its
        iterated swap search between its LP and MIP rounds). Callers hand it the start as it
        is; the others get the start improved by that search first
        (:func:`optimizer.studies.plain_coverage.searched_start`).
    """

    supports_mip: bool = True
    supports_start: bool = False
    supports_threads: bool = True
    supports_seed: bool = True
    reports_bound: bool = True
    honours_time_limit: bool = True
    in_process: bool = True
    supports_continuous: bool = True
    supports_infinite_bounds: bool = True
    supports_fractional_coefficients: bool = True
    proves_optimality: bool = True
    needs_planning_model: bool = False
    gives_warm_start: bool = False
    needs_coverage_model: bool = False
    searches_plans: bool = False


class Watchdog:
    """Stops a solver that overruns its time limit: calls ``stop`` at the end of the limit plus the grace.

    The limit's clock runs from :attr:`SolverOptions.deadline` when set (the solve began
    earlier), else from now; the grace is :attr:`SolverOptions.grace`.

    One timer thread per solve, started on entering the ``with`` block and cancelled on
    leaving it. ``stop`` is the backend's own way to end the run (cancel, interrupt, stop
    the search); the watchdog logs a warning first and records that it fired, so that the
    backend reports :attr:`~solvers.result.Termination.KILLED`.

    Parameters
    ----------
    options
        The solve's options; without a time limit the watchdog never fires.
    stop
        Called once, from the timer thread, when the budget is spent.
    solver
        The solver's display name, for the warning (``"HiGHS"``).
    action
        What ``stop`` does, for the warning (``"cancelling"``).

    Examples
    --------
    >>> with Watchdog(options, h.cancelSolve, solver="HiGHS", action="cancelling") as dog:  # doctest: +SKIP
    ...     h.run()
    >>> dog.killed  # doctest: +SKIP
    False
    """

    def __init__(self, options: SolverOptions, stop: Callable[[], None], *, solver: str, action: str) -> None:
        self.options = options
        self.budget = options.stop_in_s()
        self._stop = stop
        self._solver = solver
        self._action = action
        self._killed = threading.Event()
        self._timer: threading.Timer | None = None
        if self.budget is not None:
            self._timer = threading.Timer(self.budget, self._fire)
            self._timer.daemon = True

    @property
    def killed(self) -> bool:
        """True when the watchdog stopped the solver."""
        return self._killed.is_set()

    def _fire(self) -> None:
        self._killed.set()
        logger.warning("%s overran its time limit (%.1f s + %.1f s grace); %s", self._solver,
                       self.options.time_limit_s, self.options.grace, self._action)
        self._stop()

    def __enter__(self) -> Watchdog:
        if self._timer is not None:
            self._timer.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._timer is not None:
            self._timer.cancel()


def clip_log(text: str, limit: int = MAX_LOG_CHARS) -> str:
    """Keep at most ``limit`` characters of a log: a fifth from the head, the rest from the tail."""
    if len(text) <= limit:
        return text
    head = limit // 5
    tail = limit - head
    dropped = len(text) - head - tail
    return f"{text[:head]}\n... [{dropped} characters of solver log omitted] ...\n{text[-tail:]}"


def figure(value: float) -> str:
    """A value or bound as a planner reads it: thousands separated, up to six decimals, no trailing zeros
    (``2,366,057``, ``107.145738``), not ``2.36606e+06``."""
    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{value:g}"
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _describe(status: SolveStatus, termination: Termination, gap: float | None, bound: float | None = None,
              found_by: str = "") -> str:
    """One-line human explanation of a result, in the planner's words.

    A plan not proven optimal reads "not proven optimal: time limit, best plan found
    (greedy), bound 128.99, gap 25.3 %" (or "no bound, gap unknown").
    """
    why = termination.value.replace("_", " ")
    if status is SolveStatus.OPTIMAL:
        return "proven optimal: the bound meets the value"
    if status is SolveStatus.FEASIBLE:
        who = f" ({found_by})" if found_by else ""
        if bound is None or gap is None:
            return f"not proven optimal: {why}, best plan found{who}, no bound, gap unknown"
        return f"not proven optimal: {why}, best plan found{who}, bound {figure(bound)}, gap {gap:.3%}"
    if status is SolveStatus.NO_SOLUTION:
        return f"no plan found before the solver stopped ({why})"
    if status is SolveStatus.INFEASIBLE:
        return "proven infeasible: no plan satisfies every constraint"
    if status is SolveStatus.UNBOUNDED:
        return "unbounded: the objective can improve without limit"
    return f"solver error ({why})"


def build_result(
    backend: Backend,
    problem: MatrixProblem,
    options: SolverOptions,
    *,
    termination: Termination,
    values: np.ndarray | None,
    objective: float | None,
    bound: float | None,
    solve_seconds: float,
    log: str = "",
    message: str = "",
    infeasible: bool = False,
    unbounded: bool = False,
    error: bool = False,
    extra: dict | None = None,
) -> SolveResult:
    """Assemble an honest :class:`SolveResult` from what a solver reported.

    Parameters
    ----------
    backend
        The backend that ran (for its name and version).
    problem, options
        What was solved, and how.
    termination
        Why the solver stopped.
    values
        The incumbent plan, or ``None`` when the solver has none.
    objective
        The incumbent's objective value in the problem's terms (sense and offset).
    bound
        A proven bound on the optimum in the problem's terms, or ``None``.
    solve_seconds
        Wall time of the solver run.
    log
        The solver's log text (clipped to :data:`MAX_LOG_CHARS`).
    message
        Extra explanation appended to the generated one.
    infeasible, unbounded, error
        What the solver proved or suffered; see :func:`~solvers.result.classify`.
    extra
        Backend-specific details.

    Returns
    -------
    SolveResult
        Status from :func:`~solvers.result.classify`; gap 0 when proven optimal,
        ``None`` when no bound is known.
    """
    extra = dict(extra or {})
    if values is not None:
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (problem.n_cols,):
            extra["bad_values_shape"] = values.shape
            values = None
    if objective is not None and not math.isfinite(objective):
        objective = None
    if bound is not None and math.isnan(bound):
        bound = None
    if bound is not None and math.isinf(bound):
        # an infinite bound proves nothing useful; keep the raw value for the record
        extra.setdefault("reported_bound", bound)
        bound = None
    has_values = values is not None and objective is not None
    status = classify(has_values=has_values, objective=objective, bound=bound,
                      sense=problem.sense, infeasible=infeasible, unbounded=unbounded,
                      error=error)
    if status.has_solution and bound is not None and objective is not None:
        tol = PROOF_ABS_TOL + PROOF_REL_TOL * abs(objective)
        wrong_side = (bound < objective - tol if problem.sense is Sense.MAXIMIZE
                      else bound > objective + tol)
        if wrong_side:
            logger.warning("%s reported bound %r on the wrong side of value %r; bound ignored",
                           backend.name, bound, objective)
            extra["reported_bound"] = bound
            bound = None
    if status is SolveStatus.OPTIMAL:
        gap: float | None = 0.0
    elif status.has_solution:
        gap = relative_gap(objective, bound)
    else:
        gap = None
    if status.has_solution:
        assert values is not None
        violation = problem.max_violation(values)
        extra["max_violation"] = violation
        if violation > VIOLATION_WARN:
            logger.warning("%s returned a plan violating the problem by %.3g", backend.name, violation)
    else:
        values = None
        objective = None
    if status in (SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED, SolveStatus.ERROR):
        bound = None
    text = _describe(status, termination, gap, bound, backend.name)
    if message:
        text = f"{text}; {message}"
    return SolveResult(
        solver=backend.name,
        solver_version=backend.version(),
        status=status,
        termination=termination,
        values=values,
        objective=None if objective is None else float(objective),
        bound=None if bound is None else float(bound),
        gap=gap,
        solve_seconds=float(solve_seconds),
        options=options,
        log=clip_log(log),
        message=text,
        extra=extra,
    )


#: :attr:`MatrixProblem.metadata` key naming where ``problem.start`` comes from (``"greedy"``),
#: for the words of a result that keeps it.
START_SOURCE = "start_source"

#: :attr:`MatrixProblem.metadata` key: a plan is in hand and what is left is the proof, so a backend
#: may spend its time on the bound (HiGHS: :data:`solvers.highs.BOUND_FOCUS_OPTIONS`); set on the two
#: pieces (:mod:`solvers.pieces`).
BOUND_FOCUS = "bound_focus"


def keep_the_better_plan(problem: MatrixProblem, result: SolveResult) -> SolveResult:
    """The solver's result, or the problem's start plan with the solver's bound when that plan is better.

    One rule for every backend (:meth:`Backend.solve` applies it): a solver stopped by its
    time limit (or an error) with no plan, or with a worse one than the feasible start it
    was given, returns the start, its value recomputed from the plan and checked against
    every row, bound and integrality, together with the solver's bound when it has one
    (else no bound, gap unknown). A proof of infeasibility or unboundedness is never
    overturned, and a start that violates the problem is never returned.

    Parameters
    ----------
    problem
        The problem solved; ``problem.start`` is the known plan (``metadata[START_SOURCE]``
        says where it comes from).
    result
        What the solver returned.

    Returns
    -------
    SolveResult
        ``result`` itself, or a copy holding the start plan (``extra["plan_from"]`` names it).
    """
    start = problem.start
    if start is None or result.status in (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE, SolveStatus.UNBOUNDED):
        return result
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (problem.n_cols,):
        return result
    source = str(problem.metadata.get(START_SOURCE) or "the start")
    violation = problem.max_violation(start)
    if violation > VIOLATION_WARN:
        logger.warning("%s violates the problem by %.3g: not kept as a plan", source, violation)
        return result
    value = float(problem.objective_value(start))
    tol = PROOF_ABS_TOL + PROOF_REL_TOL * abs(value)
    better = problem.sense is Sense.MAXIMIZE
    if result.status.has_solution and result.objective is not None:
        worse = result.objective < value - tol if better else result.objective > value + tol
        if not worse:
            return result
    bound = result.bound
    if bound is not None and (bound < value - tol if better else bound > value + tol):
        logger.warning("%s reported bound %r on the wrong side of %s's value %r; bound ignored",
                       result.solver, bound, source, value)
        bound = None
    status = classify(has_values=True, objective=value, bound=bound, sense=problem.sense)
    gap = 0.0 if status is SolveStatus.OPTIMAL else relative_gap(value, bound)
    extra = {**result.extra, "plan_from": source, "max_violation": violation,
             "solver_objective": result.objective}
    found = ("no plan of its own" if not result.status.has_solution or result.objective is None
             else f"its own plan {figure(result.objective)} is worse")
    text = (_describe(status, result.termination, gap, bound, source)
            + f"; {result.solver} found {found}, so {source}'s plan is kept")
    logger.info("%s: %s", result.solver, text)
    return dataclasses.replace(result, status=status, values=start.copy(), objective=value, bound=bound, gap=gap,
                               message=text, extra=extra)


class Backend(abc.ABC):
    """A MILP solver behind the :class:`MatrixProblem` / :class:`SolveResult` contract.

    Subclasses set :attr:`name`, :attr:`extra` and :attr:`capabilities`, and implement
    :meth:`available`, :meth:`version` and :meth:`_solve`.

    Attributes
    ----------
    name
        Registry name (``"highs"``, ``"cbc"``).
    extra
        The pip extra or package that provides the solver.
    capabilities
        What the backend can do.
    pass_time_limit
        Hand ``options.time_limit_s`` to the solver itself. Always true in use; the
        test-suite turns it off to imitate a solver that ignores its limit and check
        that the watchdog stops it at the end of the limit plus the grace.
    run_in_child
        A time-limited solve of this in-process backend runs in a forked child process,
        stopped at the end of the limit plus the grace (:mod:`solvers.isolation`). True
        in use; a test turns it off to compare with the solve in this process.
    """

    name: ClassVar[str] = ""
    extra: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()
    pass_time_limit: ClassVar[bool] = True
    run_in_child: ClassVar[bool] = True

    @classmethod
    @abc.abstractmethod
    def available(cls) -> bool:
        """True when the solver can run here. Cheap, and never raises."""

    @abc.abstractmethod
    def version(self) -> str:
        """Version string of the underlying solver."""

    @abc.abstractmethod
    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        """Run the solver on a non-empty problem; see :meth:`solve`."""

    def solve(self, problem: MatrixProblem, options: SolverOptions | None = None) -> SolveResult:
        """Solve ``problem``.

        Parameters
        ----------
        problem
            The matrix problem.
        options
            Time limit, gap, threads, seed, logging; defaults to ``SolverOptions()``.

        Returns
        -------
        SolveResult
            Never "optimal" without a bound that meets the value.

        Raises
        ------
        SolverUnavailable
            When the solver cannot run here.
        UnsupportedProblem
            When the backend cannot take the problem exactly (:meth:`check`); a
            ``ValueError``.
        """
        options = (options or SolverOptions()).started()
        self._ensure_available()
        self.check(problem)
        if problem.n_cols == 0:
            return self._solve_empty(problem, options)
        started = time.perf_counter()
        result = self._solve_within_limit(problem, options)
        if result.extra.get("infeasible_or_unbounded"):
            result = self._settle_infeasible_or_unbounded(problem, options, result, started)
        result = keep_the_better_plan(problem, result)
        if result.options.on_progress is not None or result.options.on_incumbent is not None:
            # a result keeps no caller's callback (it may be pickled)
            result = dataclasses.replace(result, options=dataclasses.replace(result.options, on_progress=None,
                                                                             on_incumbent=None))
        logger.debug("%s on %r: %s", self.name, problem.name, result.message)
        return result

    def _solve_within_limit(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        """:meth:`_solve`, in a child process stopped at the end of the limit plus the grace when
        :func:`solvers.isolation.should_isolate` says so, else here."""
        if should_isolate(self, problem, options):
            return solve_in_child(self, problem, options, violation_warn=VIOLATION_WARN,
                                  finish=functools.partial(build_result, self, problem, options))
        return self._solve(problem, options)

    def check(self, problem: MatrixProblem) -> None:
        """Refuse, before any solving, a problem this backend cannot take exactly.

        Cheap (no solver call); :meth:`solve` calls it first, and a caller may call it
        early to fail fast (e.g. before a long model build or strengthening).

        Raises
        ------
        UnsupportedProblem
            With a message that says what is not supported and which solvers take it.
        """
        if problem.is_mip and not self.capabilities.supports_mip:
            raise UnsupportedProblem(self.name, "it cannot solve problems with integer variables")

    def warm_start(self, problem: MatrixProblem, options: SolverOptions) -> np.ndarray | None:
        """A feasible plan of ``problem`` for another backend to start from, or ``None``.

        Only backends whose :attr:`Capabilities.gives_warm_start` is true provide one;
        call :meth:`check` first.

        Parameters
        ----------
        problem
            The problem the other backend will solve.
        options
            That solve's options (a warm start spends a small part of its time limit).

        Raises
        ------
        NotImplementedError
            When this backend gives no warm starts.
        """
        raise NotImplementedError(f"{self.name} gives no warm start")

    # -- shared helpers ---------------------------------------------------------------

    def _ensure_available(self) -> None:
        """Raise :class:`SolverUnavailable` when this instance cannot run."""
        if not self.available():
            raise SolverUnavailable(self.name, self.extra)

    def _solve_empty(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        """A problem without variables: feasible iff every row admits activity 0."""
        feasible = bool(np.all(problem.row_lower <= 0.0) and np.all(problem.row_upper >= 0.0))
        value = float(problem.objective_offset)
        return build_result(
            self, problem, options,
            termination=Termination.OPTIMAL if feasible else Termination.INFEASIBLE,
            values=np.zeros(0) if feasible else None,
            objective=value if feasible else None,
            bound=value if feasible else None,
            solve_seconds=0.0, infeasible=not feasible,
            message="empty model, settled without calling the solver",
        )

    def _settle_infeasible_or_unbounded(self, problem: MatrixProblem, options: SolverOptions,
                                        result: SolveResult, started: float) -> SolveResult:
        """Decide "infeasible or unbounded" by solving the problem with a zero objective.

        A solver that finds the relaxation unbounded has not shown that an (integer)
        plan exists. With a zero objective nothing is unbounded: a plan means the
        original problem is unbounded (rational data), none means it is infeasible.
        """
        # the same deadline: the check gets what is left of the limit and of the grace
        check_options = dataclasses.replace(options, relative_gap=0.0, on_progress=None)
        zero = dataclasses.replace(problem, objective=np.zeros(problem.n_cols), start=None,
                                   objective_offset=0.0, sense=Sense.MINIMIZE,
                                   name=f"{problem.name}-feasibility")
        check = self._solve_within_limit(zero, check_options)
        extra = dict(result.extra)
        extra.pop("infeasible_or_unbounded", None)
        extra["feasibility_check"] = check.status.value
        log = f"{result.log}\n--- feasibility check (zero objective) ---\n{check.log}"
        seconds = time.perf_counter() - started
        common: dict[str, Any] = dict(values=None, objective=None, bound=None, solve_seconds=seconds, log=log,
                      extra=extra)
        if check.status.has_solution:
            return build_result(self, problem, options, termination=Termination.UNBOUNDED,
                                unbounded=True, message="a plan exists and the relaxation is "
                                "unbounded", **common)
        if check.status is SolveStatus.INFEASIBLE or check.extra.get("infeasible_or_unbounded"):
            # with a zero objective "infeasible or unbounded" can only mean infeasible
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                infeasible=True, message="the solver could not tell infeasible "
                                "from unbounded; a zero-objective check found no plan", **common)
        return build_result(self, problem, options, termination=check.termination,
                            error=check.status is SolveStatus.ERROR,
                            message="infeasible or unbounded; the feasibility check was "
                            f"inconclusive ({check.status.value})", **common)

    @staticmethod
    def _time_budget(options: SolverOptions) -> float | None:
        """Seconds from now after which the solver is stopped (limit plus grace), or ``None``."""
        return options.stop_in_s()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
