"""Better plans near the first one (capacitated mode): small exact solves where the plan and the relaxation agree.

The first plan (:mod:`optimizer.capacitated_start`) is the best of the sets of open pairs it
tried one by one; on the four-function demo it stops 1.6-4 % under the optimum, and HiGHS,
handed it with the whole model, spends a 120 s run in its root cut rounds before its own
sub-MIP heuristics could improve it (``benchmarks/capacitated.md``). This search improves it
first, on problems small enough to be solved in seconds (a relaxation induced neighbourhood,
RINS in the literature):

1. **Neighbourhood.** Every candidate pair on which the plan and the relaxation that
   ordered it (the root's; under load, the one over the first candidates) agree within
   ``agreement`` is fixed as the plan has it: closed when the plan leaves it
   closed and the relaxation opens at most ``agreement`` of it (its assignments go too),
   open when the plan opens it and the relaxation at least ``1 - agreement``. The rest
   (a hundred pairs or so of 1,508 on the demo) stay free, with every area, assignment
   and sharing column.
2. **Solve.** HiGHS solves that problem from the plan, within what is left of the
   search's time; any better plan it finds is a plan of the whole problem (only bounds
   were narrowed) and is checked against every row before it is kept, then reported to
   ``options.on_progress`` (the live line and the log), without a bound.
3. **Widen.** Neighbourhoods go from the tightest :data:`AGREEMENT` to the widest: the
   next, wider one once a neighbourhood is solved to its optimum (around a better plan the
   same width frees nearly the same pairs: measured, 5.7 s for no gain) or gives nothing
   better; the same width again around a better plan found before its solve ended.

The sub-problem's bound says nothing about the whole problem's optimum and is never
reported as a bound; the plan is a start for the exact solver, never called optimal here.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np

import solvers
from optimizer.model.build import PlanningModel
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import SolverOptions, Termination

log = logging.getLogger(__name__)

#: Share of the time limit the search may use (and at most half of what is left).
SEARCH_SHARE = 0.25
#: At most this many seconds, whatever the limit.
SEARCH_MAX_S = 60.0
#: Neighbourhood widths, tightest first: a pair is fixed when the relaxation's value of it is
#: within this of the plan's (measured on the four-function demo, 2026-12-06, load 1.2-1.5:
#: 0.3 leaves 66 of 1,508 pairs free and is solved in 7 s; 0.2, 102 free; 0.1, 183 free).
AGREEMENT = (0.3, 0.2, 0.1)
#: A neighbourhood is not started with less time than this left.
MIN_SOLVE_S = 2.0
#: A plan breaking any row, bound or integrality by more than this is never kept.
MAX_VIOLATION = 1e-6
#: A plan counts as better when it gains more than this (absolute, in the objective's units).
GAIN = 1e-7


@dataclass
class NeighbourhoodSearch:
    """What the search did, for ``run.json`` (``model.stats["neighbourhood_search"]``)."""

    value_before: float | None = None
    value: float | None = None
    solves: int = 0
    improved: int = 0
    seconds: float = 0.0
    stopped: str = "done"
    trail: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The figures as plain JSON values."""
        return {"value_before": self.value_before, "value": self.value, "solves": self.solves,
                "improved": self.improved, "seconds": round(self.seconds, 2), "stopped": self.stopped,
                "trail": self.trail}


def agreeing_neighbourhood(model: PlanningModel, problem: MatrixProblem, plan: np.ndarray, guide: np.ndarray,
                           agreement: float) -> tuple[MatrixProblem, int]:
    """``problem`` with the pairs the plan and the relaxation agree on fixed as the plan has them; and how many
    pairs stay free.

    Parameters
    ----------
    model
        The built capacitated model (where the pair and assignment columns are).
    problem
        The problem solved (the model's, with size caps and strengthening rows).
    plan
        A plan of ``problem`` (full values); it is the returned problem's start.
    guide
        The relaxation's values of the pair columns ``x`` (one per candidate pair).
    agreement
        A pair is fixed when ``|guide - plan| <= agreement`` (see the module docstring).
    """
    m = model
    opened = plan[m.x.start:m.x.stop] > 0.5
    closed_both = ~opened & (guide <= agreement)
    open_both = opened & (guide >= 1.0 - agreement)
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()  # the plan keeps them: 0 and 1 fit
    upper[m.x.index(np.flatnonzero(closed_both))] = 0.0
    lower[m.x.index(np.flatnonzero(open_both))] = 1.0
    upper[m.w.index(np.flatnonzero(closed_both[m.w_pair]))] = 0.0
    narrowed = dataclasses.replace(problem, col_lower=lower, col_upper=upper, start=plan)
    return narrowed, int(m.x.size - closed_both.sum() - open_both.sum())


def neighbourhood_search(model: PlanningModel, problem: MatrixProblem, plan: np.ndarray, guide: np.ndarray | None,
                         options: SolverOptions) -> tuple[np.ndarray, NeighbourhoodSearch]:
    """The best plan found near ``plan`` within the search's time (``plan`` itself when none is better).

    Parameters
    ----------
    model
        The built capacitated model.
    problem
        The problem the exact solver gets (maximised; its columns are the model's).
    plan
        The first plan (a full values vector of ``problem``).
    guide
        The values of the pair columns in the relaxation that ordered the first plan (the
        root's, or under load the one over the first candidates:
        :attr:`optimizer.capacitated_start.StartSearch.guide`); ``None`` (none was solved in
        time): no search.
    options
        The solve's options (started): the search takes at most :data:`SEARCH_SHARE` of the
        limit, :data:`SEARCH_MAX_S`, and half of what is left.
    """
    t0 = time.perf_counter()
    value = problem.objective_value(plan)
    search = NeighbourhoodSearch(value_before=value, value=value)
    if guide is None or problem.sense is not Sense.MAXIMIZE or "highs" not in solvers.available_solvers():
        search.stopped = "no relaxation" if guide is None else "not searched"
        return plan, search
    left = options.remaining_s()
    allowed = SEARCH_MAX_S if left is None else min(SEARCH_MAX_S, SEARCH_SHARE * float(options.time_limit_s or left),
                                                    0.5 * left)
    deadline = t0 + allowed
    highs = solvers.get_solver("highs")
    progress = ProgressReporter(options, "neighbourhood search", problem.sense)
    level = 0
    while level < len(AGREEMENT):
        seconds = deadline - time.perf_counter()
        if seconds < MIN_SOLVE_S:
            search.stopped = "time"
            break
        narrowed, free = agreeing_neighbourhood(model, problem, plan, guide, AGREEMENT[level])
        result = highs.solve(narrowed, SolverOptions(time_limit_s=seconds, relative_gap=0.0, threads=options.threads,
                                                     seed=options.seed).started())
        search.solves += 1
        found = result.values if result.status.has_solution else None
        better = found is not None and problem.objective_value(found) > value + GAIN \
            and problem.max_violation(found) <= MAX_VIOLATION
        search.trail.append({"agreement": AGREEMENT[level], "free_pairs": free,
                             "value": None if found is None else problem.objective_value(found),
                             "termination": result.termination.value, "kept": bool(better),
                             "seconds": round(result.solve_seconds, 2)})
        if better:
            plan, value = found, problem.objective_value(found)
            search.improved += 1
            progress.report(incumbent=value)
            log.info("neighbourhood search: plan %.6g (%d pairs free, agreement %g, %.1f s)", value, free,
                     AGREEMENT[level], time.perf_counter() - t0)
        if not better or result.termination is Termination.OPTIMAL:
            level += 1
    progress.finish()
    search.value, search.seconds = value, time.perf_counter() - t0
    return plan, search
