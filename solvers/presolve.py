"""Presolve for plain maximal covering: site dominance and reduced-cost fixing.

Pure functions on a :class:`~solvers.problem.MatrixProblem` of the maximal covering shape
(read back by :func:`solvers.benders.coverage_structure`: binary sites ``x_j`` without
objective, coverage columns ``y_i`` in [0, 1] with weight ``w_i > 0``, rows
``y_i - sum_{j in N(i)} x_j <= 0`` and limit rows ``sum_j a_j x_j <= b`` with ``a, b >= 0``).
Nothing here knows planning.

Two reductions, each of which keeps at least one optimal plan:

1. **Site dominance** (:func:`dominated_sites`). Site ``j`` is dominated by site ``k`` when
   ``N^-1(j)``, the rows ``j`` reaches, is a subset of those ``k`` reaches, and every limit
   row charges ``k`` no more than ``j`` (identical reach and charges: the lower index is
   kept). In any plan, putting ``k`` in place of ``j`` (or dropping ``j`` when ``k`` is
   already in) covers at least as much and charges every ``<=`` limit no more, since all
   coefficients are non-negative; so some optimum uses no dominated site, and their upper
   bounds become 0. A site that reaches no row is dominated by leaving it out.
2. **Reduced-cost fixing** (:func:`reduced_cost_fixing`). With the LP relaxation solved
   (value ``z_LP``, reduced costs ``d``) and a feasible plan of value ``v`` (the start), any
   plan ``x`` satisfies ``c x <= z_LP + sum_j d_j (x_j - x*_j)``, where each term is <= 0 for
   a dual-feasible ``d``. A site at 0 in the LP with ``-d_j > z_LP - v`` (plus a tolerance)
   is therefore 0 in every plan worth at least ``v``, and a site at 1 with ``d_j > z_LP - v``
   is 1 in every such plan. Fixing them removes only plans worse than the start, and the
   start itself obeys every fixing (it is worth ``v``; a fixing it would break is never
   made), so the reduced problem keeps a feasible plan of value ``v`` and every plan better
   than it: **its optimum is the true optimum**. This holds only while the start is
   feasible, which :func:`presolve_coverage` checks (and repairs after dominance).

The LP value is an upper bound on the optimum of the problem after dominance, which equals
the true optimum: a valid bound for the caller to report when a solver's is weaker. When the
LP does not finish within its share of the limit, a **Lagrangian bound**
(:func:`lagrangian_bound`) takes its place: the covering rows ``y_i <= sum_{j in N(i)} x_j``
relaxed with multipliers ``0 <= u_i <= w_i`` leave ``sum_i (w_i - u_i) + max {c(u) x : a x <= b,
0 <= x <= 1}`` with ``c_j(u) = sum_{i in N^-1(j)} u_i`` (a fractional knapsack; the top ``p``
values for ``--p``). Every ``u`` in the box gives an upper bound on every plan (weak duality), so
the bound is valid at every iterate of the subgradient method that lowers it; its infimum is the
LP bound. One iterate costs two sparse products with the reach matrix, no LP.

Dominance is computed sparsely: a dominator of ``j`` must reach ``j``'s rarest row (the row
it reaches that fewest sites reach), so only those pairs are compared, through the CSR
transpose; no dense demand x site (or site x site) matrix is built.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from solvers.benders import COVER_TOL, CoverageStructure, coverage_structure, coverage_value
from solvers.problem import MatrixProblem
from solvers.result import SolveResult, SolveStatus, classify, relative_gap

logger = logging.getLogger(__name__)

__all__ = ["PresolveReport", "dominated_sites", "knapsack_relaxation", "lagrangian_bound", "reduced_cost_fixing",
           "presolve_coverage", "solve_with_presolve", "without_fixed_sites"]

#: Reduced-cost fixing asks for ``|d_j| > z_LP - v + tol`` with ``tol`` this share of ``max(1, |z_LP|)``:
#: well above HiGHS's LP tolerances (1e-7), so that a fixing never rests on rounding.
FIXING_REL_TOL = 1e-6

#: The LP gets at most this share of what is left of a time limit; with less than
#: :data:`LP_MIN_LEFT_S` left it is not run (the fixing is skipped, nothing else changes).
#: A tenth: on clustered 100,000 x 5,000 with 120 s, half took 58.8 s of the limit and fixed
#: no site (load 2-4.5), time the solver then lacked; its fixing paid on no benchmark instance.
LP_SHARE = 0.1
#: See :data:`LP_SHARE`.
LP_MIN_LEFT_S = 1.0

#: When the LP did not finish, the Lagrangian bound (:func:`lagrangian_bound`) gets at most this share of
#: what is left of the time limit. On clustered 100,000 x 5,000 (120 s) the LP does not finish in its
#: tenth and the master LP of ``benders`` proved 968,811 (5.6 % above its plan) in 95 s; benders with a
#: fifth here: 952,721 (874 steps), with half: 941,026 (3,253 steps), the same plan (load 4.4-5.7).
LAGRANGE_SHARE = 0.5
#: The subgradient method's direction keeps this share of the previous one (deflection): on clustered
#: 10,000 x 1,000, 12 s at load 7, 0.9 ended 0.07 % above the LP bound, 0.7 0.19 %, none 0.58 %.
LAGRANGE_DEFLECTION = 0.9
#: Its step factor shrinks by :data:`LAGRANGE_SHRINK` after this many iterations without a lower bound.
LAGRANGE_PATIENCE = 50
#: See :data:`LAGRANGE_PATIENCE`.
LAGRANGE_SHRINK = 0.9
#: The method stops when its step factor falls below this.
LAGRANGE_MIN_STEP = 1e-6
#: ... or, when this is not 0, when its bound fell by less than :data:`LAGRANGE_STALL_REL` (relatively) in the
#: last this many iterations (:func:`lagrangian_bound`'s ``stall_iterations``). Off: the time it saves did not
#: buy a better plan. Clustered 100,000 x 5,000 from the greedy plan (2026-12-06, 02:22 UTC, load 1.5-3.1):
#: 939,307 at iteration 5,977 (45.7 s), 939,173 at 9,121 (70 s), 939,160 at 17,064 (where the step factor
#: ends it); with 500 it stops at 5,977, 0.016 % above. Benders at 120 s end to end, side by side
#: (``coverage_families.py``, 02:47-02:59 UTC, load 1.5-3.9): with 500 presolve took 58.4 and 45.1 s instead
#: of 65.7 and 33.1 s, and the plan was 924,631 both times, as without it (the search stops by its patience
#: there); the gap 1.59 % against 1.57 % (bound 939,307 against 939,184).
LAGRANGE_STALL_ITERATIONS = 0
#: See :data:`LAGRANGE_STALL_ITERATIONS` (the share that was measured with 500).
LAGRANGE_STALL_REL = 1e-4
#: The rule of :data:`LAGRANGE_STALL_ITERATIONS` holds only once the step factor is at most this: with large
#: steps the bound can stay flat for hundreds of iterations and then fall (a tiny test instance with a budget:
#: 316 for 550 iterations, step factor down to 0.35, then 312.02, its LP bound 312). On clustered
#: 100,000 x 5,000 the factor was 0.007 where the rule (500 iterations) stopped it: the same stop.
LAGRANGE_STALL_STEP = 0.01

#: Reach entries (summed over the dominated side of each candidate pair) compared per batch in
#: :func:`dominated_sites`: bounds its memory.
ENTRIES_PER_BATCH = 2_000_000

#: HiGHS's LP method for the relaxation: the interior point method with crossover (a vertex, so
#: sites sit at their bounds), about twice as fast as the simplex on the benchmark's clustered
#: 5,000 x 500 (2.1 s against 5.4 s) and BDS 100,000 (0.45 s against 0.99 s).
LP_METHOD = "ipm"


@dataclass(frozen=True)
class PresolveReport:
    """What presolve fixed, and the bound it found.

    Attributes
    ----------
    dominated
        Sites fixed at 0 because another site reaches all they reach for no more cost
        (or they reach nothing).
    fixed_at_zero, fixed_at_one
        Sites fixed by reduced cost (at 0 and at 1).
    lp_bound
        Value of the LP relaxation after dominance (an upper bound on the optimum), or
        ``None`` when the LP was not solved.
    lagrangian_bound
        The Lagrangian bound (:func:`lagrangian_bound`), computed when the LP did not finish;
        else ``None``.
    lagrangian_iterations
        Subgradient iterations it took.
    incumbent
        Value of the start, recomputed from its sites (after dominance repaired it).
    seconds
        Time presolve took.
    skipped
        Why a step did not run (``""``: both ran).
    """

    dominated: int = 0
    fixed_at_zero: int = 0
    fixed_at_one: int = 0
    lp_bound: float | None = None
    incumbent: float | None = None
    seconds: float = 0.0
    skipped: str = ""
    lagrangian_bound: float | None = None
    lagrangian_iterations: int = 0

    @property
    def fixed(self) -> int:
        """Sites fixed in all."""
        return self.dominated + self.fixed_at_zero + self.fixed_at_one

    @property
    def bound(self) -> tuple[float, str] | None:
        """The tighter of the LP and the Lagrangian bound, and which it is (``None``: neither)."""
        found = [(b, name) for b, name in ((self.lp_bound, "LP"), (self.lagrangian_bound, "Lagrangian bound"))
                 if b is not None]
        return min(found) if found else None

    def as_dict(self) -> dict:
        """Plain dictionary, for ``result.json``."""
        return {**asdict(self), "fixed": self.fixed}


def dominated_sites(structure: CoverageStructure, deadline: float | None = None) -> np.ndarray:
    """For each site, a site that dominates it and is not itself dominated; -1 when it is kept.

    Parameters
    ----------
    structure
        The maximal covering problem.
    deadline
        ``time.perf_counter()`` reading after which no further batch of pairs is compared
        (the sites not yet compared are kept: fewer fixings, never a wrong one).

    Returns
    -------
    np.ndarray
        ``int64`` per site: -1 kept; ``m`` (the number of sites) for a site that reaches
        no row (left out, no replacement needed); else the index of a kept dominator.
    """
    reach = sp.csr_matrix(structure.reach, dtype=np.float64)
    reach.data[:] = 1.0
    m = structure.n_sites
    by_site = sp.csr_matrix(reach.T)  # sites x rows
    by_site.sort_indices()
    size = np.diff(by_site.indptr)
    degree = np.diff(reach.indptr)
    dominator = np.full(m, -1, dtype=np.int64)
    dominator[size == 0] = m
    live = np.flatnonzero(size > 0)
    if live.size == 0:
        return dominator
    # rarest row of each site: sort its rows by degree, take the first
    owner = np.repeat(np.arange(m), size)
    order = np.lexsort((degree[by_site.indices], owner))
    rarest = np.full(m, -1, dtype=np.int64)
    rarest[live] = by_site.indices[order[by_site.indptr[live]]]
    # candidate pairs (j, k): k reaches j's rarest row, k != j
    count = degree[rarest[live]]
    pj = np.repeat(live, count)
    starts = reach.indptr[rarest[live]]
    offsets = np.arange(pj.size) - np.repeat(np.cumsum(count) - count, count)
    pk = reach.indices[np.repeat(starts, count) + offsets].astype(np.int64)
    keep = (pk != pj) & (size[pk] >= size[pj])
    for coef, _ in structure.limits:
        keep &= coef[pk] <= coef[pj]
    pj, pk = pj[keep], pk[keep]
    same_charges = np.ones(pj.size, dtype=bool)
    for coef, _ in structure.limits:
        same_charges &= coef[pk] == coef[pj]
    found = np.zeros(pj.size, dtype=bool)
    entries = np.cumsum(size[pj])
    cuts = np.unique(np.searchsorted(entries, np.arange(ENTRIES_PER_BATCH, int(entries[-1]) if entries.size else 0,
                                                         ENTRIES_PER_BATCH), side="right"))
    for lo, hi in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [pj.size]]), strict=True):
        if lo >= hi:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            logger.info("presolve: dominance stopped at the time limit after %d of %d pairs", lo, pj.size)
            pj, pk, found, same_charges = pj[:lo], pk[:lo], found[:lo], same_charges[:lo]
            break
        shared = np.asarray(by_site[pj[lo:hi]].multiply(by_site[pk[lo:hi]]).sum(axis=1)).ravel()
        found[lo:hi] = shared == size[pj[lo:hi]]
    twin = found & same_charges & (size[pk] == size[pj])  # identical reach and charges: lower index kept
    found &= ~twin | (pk < pj)
    first = np.full(m, -1, dtype=np.int64)
    hit = np.flatnonzero(found)
    first[pj[hit[::-1]]] = pk[hit[::-1]]  # one dominator per site (the first pair found)
    # follow each chain to a kept site: the relation is a strict partial order, so chains end
    dominator[first >= 0] = first[first >= 0]
    for _ in range(m):
        step = (dominator >= 0) & (dominator < m)
        nxt = np.where(step, first[np.where(step, dominator, 0)], -1)
        further = step & (nxt >= 0)
        if not further.any():
            break
        dominator[further] = nxt[further]
    return dominator


def knapsack_relaxation(values: np.ndarray, coef: np.ndarray, limit: float, allowed: np.ndarray,
                        ) -> tuple[float, np.ndarray]:
    """``max values @ x`` over ``0 <= x <= 1``, ``x = 0`` where not ``allowed``, ``coef @ x <= limit``.

    The fractional knapsack (Dantzig): every allowed item of positive value and no charge, then
    the others by value per charge while they fit, the first that does not fit in part. With
    unit charges and an integer ``limit`` that is the ``limit`` largest values.

    Parameters
    ----------
    values, coef
        Value and charge (>= 0) of each item.
    limit
        The capacity (>= 0).
    allowed
        Boolean mask of the items that may be taken.

    Returns
    -------
    value : float
        The optimum, an upper bound on every 0/1 choice of allowed items within ``limit``.
    x : np.ndarray
        An optimal point (one item at most fractional).
    """
    x = np.zeros(values.size)
    take = allowed & (values > 0)
    x[take & (coef <= 0)] = 1.0
    items = np.flatnonzero(take & (coef > 0))
    count = int(np.floor(limit))
    if items.size > count >= 0 and (coef[items] == 1.0).all():  # unit charges: the largest values, no sort
        x[items[np.argpartition(-values[items], count)[:count]] if count else items[:0]] = 1.0
        if limit > count:
            rest = items[x[items] == 0.0]
            x[rest[np.argmax(values[rest])]] = limit - count
    elif items.size:
        order = items[np.argsort(-values[items] / coef[items], kind="stable")]
        filled = np.cumsum(coef[order])
        k = int(np.searchsorted(filled, limit, side="right"))  # items order[:k] fit whole
        x[order[:k]] = 1.0
        if k < order.size:
            x[order[k]] = (limit - (filled[k - 1] if k else 0.0)) / coef[order[k]]
    return float(values @ x), x


def lagrangian_bound(structure: CoverageStructure, target: float, allowed: np.ndarray, *,
                     deadline: float | None = None, max_iterations: int = 1_000_000,
                     stall_iterations: int = LAGRANGE_STALL_ITERATIONS, stall_rel: float = LAGRANGE_STALL_REL,
                     ) -> tuple[float | None, int]:
    """An upper bound on every plan, from the covering rows relaxed with multipliers (subgradient method).

    For multipliers ``0 <= u_i <= w_i`` on the rows ``y_i <= sum_{j in N(i)} x_j``, every plan
    covers at most ``L(u) = sum_i (w_i - u_i) + K(R^T u)``, where ``K`` is the fractional knapsack
    of the one limit row (:func:`knapsack_relaxation`; only ``allowed`` sites). The method starts
    at ``u = w`` and steps against a deflected subgradient ``-1 + R x`` (``x`` the knapsack's
    point) with Polyak's step towards ``target``; the bound is the least ``L(u)`` met.

    Parameters
    ----------
    structure
        The problem; exactly one limit row (else no bound).
    target
        Value of a known plan (with the offset): the step aims at it, and the method stops when
        the bound meets it.
    allowed
        Sites that may be chosen (the others fixed at 0).
    deadline
        ``time.perf_counter()`` reading at which it stops.
    max_iterations
        It stops after this many iterations.
    stall_iterations, stall_rel
        It stops when the bound fell by at most ``stall_rel`` times itself in the last
        ``stall_iterations`` iterations while its step factor is at most :data:`LAGRANGE_STALL_STEP`
        (0, :data:`LAGRANGE_STALL_ITERATIONS`: never). The bound is valid wherever it stops, only
        less tight.

    Returns
    -------
    bound : float or None
        With the offset (and a relative ``1e-9`` added against rounding); ``None`` without
        exactly one limit row.
    iterations : int
    """
    if len(structure.limits) != 1:
        return None, 0
    coef, limit = structure.limits[0]
    limit = limit + 1e-9 * max(1.0, abs(limit))  # plans within the limits' tolerance count as within
    reach = sp.csr_matrix(structure.reach, dtype=np.float64)
    by_site = sp.csr_matrix(reach.T)
    w = structure.weight
    goal = target - structure.offset
    u = w.copy()
    direction = np.zeros(w.size)
    best = np.inf
    history = np.full(stall_iterations + 1, np.inf)  # the bound after each of the last iterations (a ring)
    step, idle, done = 1.0, 0, 0
    while done < max_iterations and step > LAGRANGE_MIN_STEP:
        if deadline is not None and time.perf_counter() > deadline:
            break
        if stall_iterations and done > stall_iterations and step <= LAGRANGE_STALL_STEP and \
                history[(done - stall_iterations) % history.size] - best <= stall_rel * max(1.0, abs(best)):
            break  # it crept: less than stall_rel in the last stall_iterations, with small steps
        value, x = knapsack_relaxation(by_site @ u, coef, limit, allowed)
        value += float((w - u).sum())
        done += 1
        taken = np.flatnonzero(x)  # R @ x from the taken sites' rows alone (a few hundred of thousands of sites)
        covered = reach @ x if taken.size * 4 > x.size else by_site[taken].T @ x[taken]
        if value < best:
            best, idle = value, 0
        else:
            idle += 1
            if idle >= LAGRANGE_PATIENCE:
                step, idle = step * LAGRANGE_SHRINK, 0
        history[done % history.size] = best
        if best <= goal + 1e-9 * max(1.0, abs(goal)):  # it meets the plan: nothing lower to find
            break
        direction = covered - 1.0 + LAGRANGE_DEFLECTION * direction  # L(u) falls along -direction
        direction[((u <= 0) & (direction > 0)) | ((u >= w) & (direction < 0))] = 0.0
        norm = float(direction @ direction)
        if norm == 0.0:
            break
        u = np.clip(u - step * max(value - goal, 0.0) / norm * direction, 0.0, w)
    if not np.isfinite(best):
        return None, done
    best += structure.offset
    return best + 1e-9 * max(1.0, abs(best)), done


def _start_sites(problem: MatrixProblem, structure: CoverageStructure) -> np.ndarray | None:
    """The start's sites (0/1), or ``None`` when the problem has no start within the limits."""
    if problem.start is None:
        return None
    sites = np.round(np.clip(problem.start[structure.site_columns], 0.0, 1.0))
    for coef, limit in structure.limits:
        if float(coef @ sites) > limit + 1e-9 * max(1.0, abs(limit)):
            return None
    return sites


def _with_start(problem: MatrixProblem, structure: CoverageStructure, sites: np.ndarray) -> np.ndarray:
    """A full start (sites, and each coverage column 1 where a chosen site reaches its row)."""
    start = np.zeros(problem.n_cols) if problem.start is None else problem.start.copy()
    start[structure.site_columns] = sites
    start[structure.row_columns] = (structure.reach @ sites >= 1 - COVER_TOL).astype(float)
    return start


def reduced_cost_fixing(problem: MatrixProblem, structure: CoverageStructure, incumbent: float,
                        start_sites: np.ndarray | None = None, time_limit_s: float | None = None,
                        ) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Sites that every plan worth at least ``incumbent`` has at 0, and at 1, from the LP relaxation.

    Parameters
    ----------
    problem
        The maximal covering problem (its bounds as they are: dominated sites at 0).
    structure
        Its :func:`~solvers.benders.coverage_structure`.
    incumbent
        Value of a feasible plan (with the offset).
    start_sites
        That plan's sites: never fixed against it (a guard; the reduced costs already
        keep it, up to rounding).
    time_limit_s
        Time limit of the LP (``None``: none).

    Returns
    -------
    at_zero, at_one : np.ndarray
        Boolean masks over the sites.
    lp_bound : float or None
        The LP value (with the offset), or ``None`` when the LP was not solved to optimality
        (then nothing is fixed).
    """
    import highspy

    from solvers.highs import HighsBackend

    m = structure.n_sites
    none = np.zeros(m, dtype=bool)
    h = HighsBackend._new_highs()
    h.setOptionValue("output_flag", False)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(max(time_limit_s, 0.0)))
    h.setOptionValue("solver", LP_METHOD)
    lp = HighsBackend._to_lp(problem)  # no integrality passed: the relaxation
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        logger.info("presolve: LP relaxation stopped (%s); no reduced-cost fixing",
                    h.modelStatusToString(h.getModelStatus()))
        return none, none, None
    z = float(h.getInfo().objective_function_value)
    if not (h.getBasis().valid and int(h.getInfo().dual_solution_status) == int(highspy.kSolutionStatusFeasible)):
        logger.info("presolve: the LP relaxation ended without a dual-feasible vertex; no reduced-cost fixing")
        h.clear()
        return none, none, z
    solution = h.getSolution()
    x = np.asarray(solution.col_value)[structure.site_columns]
    d = np.asarray(solution.col_dual)[structure.site_columns]
    h.clear()
    margin = z - incumbent + FIXING_REL_TOL * max(1.0, abs(z))
    free = problem.col_lower[structure.site_columns] < problem.col_upper[structure.site_columns]
    at_zero = free & (x <= 1e-9) & (-d > margin)
    at_one = free & (x >= 1 - 1e-9) & (d > margin)
    if start_sites is not None:
        at_zero &= start_sites < 0.5
        at_one &= start_sites > 0.5
    return at_zero, at_one, z


def presolve_coverage(problem: MatrixProblem, *, deadline: float | None = None,
                      structure: CoverageStructure | None = None) -> tuple[MatrixProblem, PresolveReport]:
    """The maximal covering ``problem`` with dominated and reduced-cost-fixed sites' bounds tightened.

    Same columns and rows; only the sites' bounds change (upper 0 or lower 1), and the
    start is kept (a dominated site in it is replaced by its kept dominator, or dropped
    when that one is already in: the plan covers at least as much within the limits).
    Reduced-cost fixing runs only with a start within the limits (see the module's note:
    that plan is what makes the fixing safe). The optimum of the result equals the
    optimum of ``problem``.

    Parameters
    ----------
    problem
        A plain maximal covering problem (else ``ValueError``).
    deadline
        ``time.perf_counter()`` reading at which the caller's time limit ends: the LP gets
        at most :data:`LP_SHARE` of what is left and is skipped with less than
        :data:`LP_MIN_LEFT_S`; dominance stops comparing pairs at it.
    structure
        ``coverage_structure(problem)`` when the caller has it.

    Returns
    -------
    problem : MatrixProblem
        The tightened problem.
    report : PresolveReport
        What was fixed, the LP bound, the seconds.
    """
    t0 = time.perf_counter()
    if structure is None:
        found = coverage_structure(problem)
        if isinstance(found, str):
            raise ValueError(f"presolve takes plain maximal covering only: {found}")
        structure = found
    cols = structure.site_columns
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    dominator = dominated_sites(structure, deadline)
    out = dominator >= 0
    upper[cols[out]] = 0.0
    sites = _start_sites(problem, structure)
    skipped = []
    if sites is not None and (sites[out] > 0.5).any():
        for j in np.flatnonzero(out & (sites > 0.5)):
            sites[j] = 0.0
            if dominator[j] < structure.n_sites:
                sites[dominator[j]] = 1.0
    start = problem.start if sites is None else _with_start(problem, structure, sites)
    tightened = _replace(problem, col_lower=lower, col_upper=upper, start=start)
    at_zero = at_one = np.zeros(structure.n_sites, dtype=bool)
    lp_bound = incumbent = None
    if sites is not None:
        incumbent = coverage_value(structure, sites)
    left = None if deadline is None else deadline - time.perf_counter()
    if sites is None:
        skipped.append("reduced-cost fixing: no start within the limits")
    elif left is not None and left < LP_MIN_LEFT_S:
        skipped.append(f"reduced-cost fixing: {max(left, 0.0):.1f} s of the time limit left")
    else:
        at_zero, at_one, lp_bound = reduced_cost_fixing(
            tightened, structure, coverage_value(structure, sites), sites, None if left is None else LP_SHARE * left)
        if lp_bound is None:
            skipped.append("reduced-cost fixing: the LP relaxation did not finish")
        upper[cols[at_zero]] = 0.0
        lower[cols[at_one]] = 1.0
        tightened = _replace(tightened, col_lower=lower, col_upper=upper)
    lagrangian, iterations = None, 0
    left = None if deadline is None else deadline - time.perf_counter()
    if lp_bound is None and incumbent is not None and (left is None or left >= LP_MIN_LEFT_S):
        lagrangian, iterations = lagrangian_bound(
            structure, incumbent, ~out, deadline=None if left is None else time.perf_counter() + LAGRANGE_SHARE * left)
    report = PresolveReport(dominated=int(out.sum()), fixed_at_zero=int(at_zero.sum()),
                            fixed_at_one=int(at_one.sum()), lp_bound=lp_bound, incumbent=incumbent,
                            seconds=round(time.perf_counter() - t0, 3), skipped="; ".join(skipped),
                            lagrangian_bound=lagrangian, lagrangian_iterations=iterations)
    return tightened, report


def _replace(problem: MatrixProblem, **changes) -> MatrixProblem:
    return dataclasses.replace(problem, **changes)


def without_fixed_sites(problem: MatrixProblem, structure: CoverageStructure | None = None,
                        ) -> tuple[MatrixProblem, np.ndarray, np.ndarray]:
    """``problem`` without its fixed sites, and without the coverage they settle.

    A site fixed at 1 covers its rows: their coverage columns are 1 (their weight goes to
    the objective offset) and the limits are charged for it; a row whose every site is
    fixed at 0 has coverage 0. Those columns and their rows leave; so do the fixed sites.
    The result is a maximal covering problem of the same shape (free binary sites, limit
    rows with ``b >= 0`` when the fixings fit the limits), which every backend takes.

    Returns
    -------
    problem : MatrixProblem
        The smaller problem (start and metadata carried over).
    kept : np.ndarray
        Columns of ``problem`` kept, in order.
    values : np.ndarray
        A full vector of ``problem``'s columns with the left-out columns at their values;
        ``values[kept] = solution`` completes a plan.
    """
    if structure is None:
        found = coverage_structure(_replace(problem, col_lower=np.minimum(problem.col_lower, 0.0),
                                            col_upper=np.maximum(problem.col_upper, 1.0)))
        if isinstance(found, str):
            raise ValueError(f"not plain maximal covering: {found}")
        structure = found
    n = problem.n_cols
    values = np.zeros(n)
    site_lo = problem.col_lower[structure.site_columns]
    site_up = problem.col_upper[structure.site_columns]
    one = site_lo >= 0.5
    fixed_site = one | (site_up <= 0.5)
    free_site = ~fixed_site
    covered = structure.reach @ one.astype(np.float64) > 0
    reachable = structure.reach @ free_site.astype(np.float64) > 0
    settled = covered | ~reachable
    values[structure.site_columns] = one.astype(float)
    values[structure.row_columns] = covered.astype(float)
    drop_col = np.zeros(n, dtype=bool)
    drop_col[structure.site_columns[fixed_site]] = True
    drop_col[structure.row_columns[settled]] = True
    kept = np.flatnonzero(~drop_col)
    a = problem.matrix.tocsc()
    shift = a[:, np.flatnonzero(drop_col)] @ values[drop_col]
    # rows to drop: the coverage rows of settled columns (each holds exactly one coverage column)
    a_rows = problem.matrix.tocsr()
    row_of_col = np.full(n, -1, dtype=np.int64)
    cover_part = a_rows[:, structure.row_columns].tocoo()
    row_of_col[structure.row_columns[cover_part.col]] = cover_part.row
    drop_row = np.zeros(problem.n_rows, dtype=bool)
    drop_row[row_of_col[structure.row_columns[settled]]] = True
    rows = np.flatnonzero(~drop_row)
    meta = dict(problem.metadata)
    if isinstance(meta.get("integral_at_optimum"), np.ndarray) and meta["integral_at_optimum"].shape == (n,):
        meta["integral_at_optimum"] = meta["integral_at_optimum"][kept]
    smaller = MatrixProblem(
        objective=problem.objective[kept], matrix=a_rows[rows][:, kept],
        row_lower=problem.row_lower[rows] - shift[rows],
        row_upper=problem.row_upper[rows] - shift[rows], col_lower=problem.col_lower[kept],
        col_upper=problem.col_upper[kept], integrality=problem.integrality[kept], sense=problem.sense,
        objective_offset=float(problem.objective_offset + problem.objective[drop_col] @ values[drop_col]),
        col_names=None if problem.col_names is None else tuple(np.asarray(problem.col_names)[kept]),
        row_names=None if problem.row_names is None else tuple(np.asarray(problem.row_names)[rows]),
        start=None if problem.start is None else problem.start[kept], name=problem.name, metadata=meta)
    return smaller, kept, values


def solve_with_presolve(backend, problem: MatrixProblem, options) -> SolveResult:
    """``backend.solve`` on ``problem`` after presolve; the result in ``problem``'s columns.

    The fixed sites leave the problem (:func:`without_fixed_sites`), the backend solves
    what is left from the start (repaired by dominance), and its plan is completed with the
    fixed values. The LP (or Lagrangian) bound replaces the backend's bound when it is tighter (never the
    other way); the report is ``result.extra["presolve"]``. A backend that refuses the
    smaller problem (e.g. nothing left to choose) solves ``problem`` as it is.

    Parameters
    ----------
    backend
        A :class:`~solvers.base.Backend`.
    problem
        A plain maximal covering problem, normally with a start; anything else (e.g. no site
        reaches any demand) is solved as it is, without a report.
    options
        :class:`~solvers.result.SolverOptions`; the clock runs from ``options.started()``
        and presolve counts against it.
    """
    from solvers.base import UnsupportedProblem, _describe

    options = options.started()
    structure = coverage_structure(problem)
    if isinstance(structure, str):  # e.g. no site reaches anyone: nothing to presolve
        logger.info("presolve: not run (%s)", structure)
        return backend.solve(problem, options)
    tightened, report = presolve_coverage(problem, deadline=options.deadline, structure=structure)
    to_solve, kept, values = problem, np.arange(problem.n_cols), np.zeros(problem.n_cols)
    applied = report.fixed > 0
    if applied:
        to_solve, kept, values = without_fixed_sites(tightened, structure)
        try:
            backend.check(to_solve)
        except UnsupportedProblem as exc:
            logger.info("presolve: %s refuses the reduced problem (%s); solving it unreduced", backend.name, exc)
            to_solve, kept, values, applied = problem, np.arange(problem.n_cols), np.zeros(problem.n_cols), False
    logger.info("presolve: %d of %d sites fixed (%d dominated, %d at 0 and %d at 1 by reduced cost), LP bound %s, "
                "Lagrangian bound %s (%d iterations), start %s, %.2f s%s", report.fixed, structure.n_sites,
                report.dominated, report.fixed_at_zero, report.fixed_at_one,
                "none" if report.lp_bound is None else f"{report.lp_bound:,.1f}",
                "none" if report.lagrangian_bound is None else f"{report.lagrangian_bound:,.1f}",
                report.lagrangian_iterations, "none" if report.incumbent is None else f"{report.incumbent:,.1f}",
                report.seconds, f" ({report.skipped})" if report.skipped else "")
    result = backend.solve(to_solve, options)
    extra = {**result.extra, "presolve": {**report.as_dict(), "applied": applied,
                                          "columns": to_solve.n_cols, "rows": to_solve.n_rows}}
    full = None
    if result.values is not None:
        full = values.copy()
        full[kept] = result.values
    bound, status, gap, message = result.bound, result.status, result.gap, result.message
    found = report.bound
    if found is not None and status.has_solution and (bound is None or bound > found[0]):
        extra["solver_bound"] = bound
        bound = found[0]
        status = classify(has_values=True, objective=result.objective, bound=bound, sense=problem.sense)
        gap = 0.0 if status is SolveStatus.OPTIMAL else relative_gap(result.objective, bound)
        message = f"{_describe(status, result.termination, gap, bound, backend.name)}; bound from presolve's {found[1]}"
    return dataclasses.replace(result, values=full, bound=bound, status=status, gap=gap, message=message,
                               extra=extra)
