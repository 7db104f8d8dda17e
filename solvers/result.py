"""Typed solver results, with one honest rule for the word "optimal"."""
from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from solvers.problem import Sense

#: The bound "meets" the value when they differ by at most this much, absolutely, plus
#: ``PROOF_REL_TOL`` times the value. A solver's own "optimal" at its default relative
#: gap (HiGHS: 1e-4) is not a proof; these tolerances are only numerical noise.
PROOF_ABS_TOL = 1e-6
PROOF_REL_TOL = 1e-9

#: Every solve stops within its time limit plus a grace of ``max(GRACE_MIN_S,
#: GRACE_FRACTION * limit)`` seconds (:func:`grace_for`): past it, an in-process solver is
#: asked to stop (cancel, interrupt, stop the search) and a subprocess solver gets SIGINT,
#: then SIGKILL at the end of the grace.
GRACE_MIN_S = 2.0
#: See :data:`GRACE_MIN_S`.
GRACE_FRACTION = 0.1
#: Least time handed to a solver when what is left of the limit is less (it then stops at
#: once, with the start it was given, if any).
MIN_SOLVER_S = 0.1


def grace_for(time_limit_s: float | None) -> float:
    """Seconds a solve may run past ``time_limit_s`` before it is stopped: ``max(2 s, 10 % of the limit)``.

    Parameters
    ----------
    time_limit_s
        The time limit, or ``None`` (no limit: the grace of a zero limit).
    """
    return max(GRACE_MIN_S, GRACE_FRACTION * float(time_limit_s or 0.0))


class SolveStatus(str, enum.Enum):
    """What the caller may conclude from a solve."""

    OPTIMAL = "optimal"          #: a plan whose value the bound meets: proven
    FEASIBLE = "feasible"        #: a plan (incumbent), not proven optimal; see gap
    INFEASIBLE = "infeasible"    #: proven that no plan satisfies every constraint
    UNBOUNDED = "unbounded"      #: the objective can grow without limit
    NO_SOLUTION = "no_solution"  #: stopped (time limit, interrupt) before any plan
    ERROR = "error"              #: the solver failed

    @property
    def has_solution(self) -> bool:
        """True when the result carries a plan."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


class Termination(str, enum.Enum):
    """Why the solver stopped."""

    OPTIMAL = "optimal"              #: search completed
    GAP_LIMIT = "gap_limit"          #: reached the requested relative gap (> 0)
    TIME_LIMIT = "time_limit"        #: reached its time limit
    KILLED = "killed"                #: ignored its time limit and was stopped by us
    INTERRUPTED = "interrupted"      #: interrupted by the user
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "error"
    OTHER = "other"


@dataclass(frozen=True)
class SolveProgress:
    """Where a running solve stands: what a backend's callbacks report while it works.

    Attributes
    ----------
    solver
        Registry name of the backend (``"highs"``, ``"cbc"``, ...).
    elapsed_s
        Seconds since the backend started this solve.
    incumbent
        Value of the best plan found so far, in the problem's terms (sense and offset), or
        ``None`` before the first.
    bound
        Best proven bound on the optimum so far (above the incumbent when maximising,
        below it when minimising), or ``None`` when the solver has none yet.
    gap
        Relative gap ``(bound - incumbent) / |incumbent|`` taken in the direction of the
        sense (never negative), or ``None`` without both.
    nodes
        Branch-and-bound nodes explored, when the solver says.
    """

    solver: str
    elapsed_s: float
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None


def progress_gap(incumbent: float | None, bound: float | None, maximise: bool) -> float | None:
    """The relative gap of a running solve, in the direction of the sense; ``None`` without both figures.

    Parameters
    ----------
    incumbent
        The best plan's value so far.
    bound
        The best proven bound so far.
    maximise
        True when the problem maximises (the bound lies above the incumbent).

    Returns
    -------
    float or None
        ``max(bound - incumbent, 0) / max(|incumbent|, 1e-10)`` when maximising (the mirror
        when minimising); ``None`` when a figure is missing or not finite.
    """
    if incumbent is None or bound is None or not (math.isfinite(incumbent) and math.isfinite(bound)):
        return None
    room = bound - incumbent if maximise else incumbent - bound
    return max(room, 0.0) / max(abs(incumbent), 1e-10)


#: What :attr:`SolverOptions.on_progress` is: called with each :class:`SolveProgress`.
ProgressCallback = Callable[[SolveProgress], None]
#: What :attr:`SolverOptions.on_incumbent` is: called with an improving plan's value, the bound
#: (or ``None``) and the plan's values.
IncumbentCallback = Callable[[float, "float | None", np.ndarray], None]


@dataclass(frozen=True)
class SolverOptions:
    """Settings every backend understands.

    Parameters
    ----------
    time_limit_s
        Wall-clock limit in seconds; ``None`` for none. Always honoured: a backend that
        overruns it by more than ``grace_s`` is stopped.
    relative_gap
        Stop when ``|bound - value| / |value|`` is at most this. ``0`` asks for a proof.
    threads
        Threads the solver may use; ``None`` lets the solver decide.
    seed
        Random seed, for reproducible runs.
    log
        Forward the solver's log to the ``logging`` module (level INFO).
    grace_s
        Extra seconds before a solver that ignores its time limit is stopped; ``None``
        (the default) for the rule :func:`grace_for` (``max(2 s, 10 % of the limit)``).
    deadline
        ``time.perf_counter()`` reading at which the time limit ends. ``None`` until a
        solve starts: :meth:`started` sets it, once, so that whatever a caller does
        before the solver itself (a greedy start, strengthening, writing the model) is
        counted against the limit, and the solver gets only what is left.
    on_progress
        Called with a :class:`SolveProgress` while the solver works (from its own
        callbacks, through :class:`solvers.progress.ProgressReporter`: at most about two
        calls a second, and an error it raises never stops the solve); ``None`` for
        none. Not part of the options' equality, ``repr`` or :meth:`as_dict`.
    on_incumbent
        Called with each improving plan (value, bound, values) by backends that can say
        (HiGHS); set by :mod:`solvers.isolation` in a solver child to stream plans to the
        parent. Not part of the options' equality, ``repr`` or :meth:`as_dict`.
    """

    time_limit_s: float | None = None
    relative_gap: float = 0.0
    threads: int | None = None
    seed: int = 0
    log: bool = False
    grace_s: float | None = None
    deadline: float | None = field(default=None, compare=False)
    on_progress: ProgressCallback | None = field(default=None, compare=False, repr=False)
    on_incumbent: IncumbentCallback | None = field(default=None, compare=False, repr=False)

    @property
    def grace(self) -> float:
        """Seconds past the time limit before the solver is stopped (``grace_s`` or the rule)."""
        return grace_for(self.time_limit_s) if self.grace_s is None else max(float(self.grace_s), 0.0)

    def started(self) -> SolverOptions:
        """These options with the clock of the time limit running from now (unless it already runs)."""
        if self.time_limit_s is None or self.deadline is not None:
            return self
        return replace(self, deadline=time.perf_counter() + float(self.time_limit_s))

    def remaining_s(self) -> float | None:
        """Seconds of the time limit left now (at least :data:`MIN_SOLVER_S`); ``None`` without a limit.

        What a backend hands to its solver, so that time spent before the solver runs is
        not given twice.
        """
        if self.time_limit_s is None:
            return None
        if self.deadline is None:
            return float(self.time_limit_s)
        return max(self.deadline - time.perf_counter(), MIN_SOLVER_S)

    def stop_in_s(self) -> float | None:
        """Seconds from now to the hard stop (end of the limit plus the grace); ``None`` without a limit."""
        if self.time_limit_s is None:
            return None
        if self.deadline is None:
            return float(self.time_limit_s) + self.grace
        return max(self.deadline + self.grace - time.perf_counter(), 0.0)

    def as_dict(self) -> dict:
        """Plain dictionary, for ``run.json``."""
        return {
            "time_limit_s": self.time_limit_s,
            "relative_gap": self.relative_gap,
            "threads": self.threads,
            "seed": self.seed,
            "grace_s": self.grace,
        }


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|bound - objective| / max(|objective|, 1e-10)``; ``None`` without both."""
    if objective is None or bound is None or not math.isfinite(objective):
        return None
    if not math.isfinite(bound):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1e-10)


def bound_meets_value(objective: float | None, bound: float | None) -> bool:
    """True when the proven bound equals the incumbent's value up to numerical noise."""
    if objective is None or bound is None:
        return False
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return False
    return abs(bound - objective) <= PROOF_ABS_TOL + PROOF_REL_TOL * abs(objective)


def classify(
    *,
    has_values: bool,
    objective: float | None,
    bound: float | None,
    sense: Sense,
    infeasible: bool = False,
    unbounded: bool = False,
    error: bool = False,
) -> SolveStatus:
    """Map what a solver reported to a :class:`SolveStatus`, honestly.

    "Optimal" needs a plan and a bound that meets its value; a solver's own
    "optimal" within a gap tolerance is "feasible".
    """
    if error:
        return SolveStatus.ERROR
    if infeasible:
        return SolveStatus.INFEASIBLE
    if unbounded:
        return SolveStatus.UNBOUNDED
    if not has_values:
        return SolveStatus.NO_SOLUTION
    if bound is not None and objective is not None:
        # a bound on the wrong side of the value means the bound is not a bound
        wrong_side = (bound < objective - PROOF_ABS_TOL - PROOF_REL_TOL * abs(objective)
                      if sense is Sense.MAXIMIZE
                      else bound > objective + PROOF_ABS_TOL + PROOF_REL_TOL * abs(objective))
        if wrong_side:
            return SolveStatus.FEASIBLE
    if bound_meets_value(objective, bound):
        return SolveStatus.OPTIMAL
    return SolveStatus.FEASIBLE


@dataclass(frozen=True, kw_only=True)
class SolveResult:
    """What a backend returns; built by keyword only (``SolveResult(solver=..., status=...)``).

    Attributes
    ----------
    solver
        Registry name of the backend (``"highs"``, ``"cbc"``, ...).
    solver_version
        Version string of the underlying solver.
    status
        What the caller may conclude (see :class:`SolveStatus`).
    termination
        Why the solver stopped.
    values
        Variable values of the best plan found, or ``None``.
    objective
        Objective value of ``values`` (with offset), or ``None``.
    bound
        Best proven bound on the optimum (dual bound), or ``None``.
    gap
        Relative gap between ``objective`` and ``bound``; 0 when proven.
    solve_seconds
        Time spent inside the solver.
    options
        The options the solve ran with.
    log
        The solver's own log text (may be truncated).
    message
        A one-line human explanation.
    """

    solver: str
    solver_version: str
    status: SolveStatus
    termination: Termination
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    options: SolverOptions
    log: str = ""
    message: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def proven_optimal(self) -> bool:
        """True only when the bound meets the value."""
        return self.status is SolveStatus.OPTIMAL

    def summary(self) -> dict:
        """JSON-ready summary (no values, no log); with ``pieces`` when the proof ran in pieces
        (:mod:`solvers.pieces`: each piece's status, objective, bound, nodes and seconds)."""
        pieces = {"pieces": self.extra["pieces"]} if "pieces" in self.extra else {}
        return {
            "solver": self.solver,
            "solver_version": self.solver_version,
            "status": self.status.value,
            "termination": self.termination.value,
            "proven_optimal": self.proven_optimal,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solve_seconds": round(self.solve_seconds, 3),
            "options": self.options.as_dict(),
            "message": self.message,
            **pieces,
        }
