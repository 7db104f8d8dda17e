"""Benders branch-and-cut for plain maximal covering, on HiGHS.

After Cordeau, Furini and Ljubić (2019), "Benders decomposition for very large scale
partial set covering and maximal covering location problems", EJOR 275(3). The master
holds only the site decisions ``x_j`` and one coverage variable ``theta_k`` per group of
demand rows; the demand rows themselves never enter it. For a master point ``x*`` the
optimality cut of group ``k`` is::

    theta_k <= sum_{i in k, covered} w_i + sum_{i in k, not covered} w_i sum_{j in N(i)} x_j

where row ``i`` is covered when ``sum_{j in N(i)} x*_j >= 1``. It is valid for every
``x`` in ``[0, 1]``, because ``min(1, s) <= 1`` and ``min(1, s) <= s``, and tight at ``x*``.

The solve:

0. **A first plan search** (:func:`iterated_swaps`) from the start plan, with a time limit:
   a short one (:data:`FIRST_SEARCH_KICKS_PER_SITE`), or, when the reach is large
   (:data:`EARLY_SEARCH_PAIRS`), a long one in place of the later search.
1. **LP phase.** The master LP (``x`` in ``[0, 1]``) is solved again and again, with cuts
   at its optimum and at a point between it and a core point (in-out stabilisation),
   until its value meets the best coverage of a point found: the LP bound of the full
   model, from a master of a few hundred rows. Cuts with slack are then dropped.
2. **Plans.** The start plan and the rounded LP point, polished by swaps
   (:func:`improve_by_swaps`); then a dive: the master MIP on the sites the LP uses, or,
   when the LP uses more than :data:`DIVE_MAX_SITES` sites, the plan search
   (:func:`iterated_swaps`) in its place.
3. **Reduced-cost fixing** of the sites that no plan better than the best one can change
   (again whenever the search improves the best plan).
4. **Integer phase** (branch-and-cut in rounds). HiGHS 1.16 cannot take lazy
   constraints from Python, so the master MIP is solved, every integer plan it meets is
   checked (a callback), cuts are added where a plan's ``theta`` overstates its coverage,
   and the master is solved again, starting from the best plan, until its proven bound
   meets that plan's coverage. After the search, the first round is capped
   (:data:`FIRST_ROUND_SHARE`) and followed by the search again.

``result.extra["benders"]`` records where the time went (LP rounds and why they stopped,
each master round's seconds, B&B nodes and master rows, each search, the sites fixed).

Every bound reported is the master's (LP or MIP) proven bound, valid at every moment
(the master is a relaxation); a plan's value is always its coverage recomputed from its
sites. The backend takes only the maximal covering shape (see :func:`coverage_structure`)
and refuses anything else with :class:`~solvers.base.UnsupportedProblem`.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from solvers.base import Backend, Capabilities, UnsupportedProblem, build_result
from solvers.benders_projection import RunClock
from solvers.coverage_search import SwapSearch
from solvers.highs import HighsBackend
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter, throttled
from solvers.result import SolveResult, SolverOptions, Termination

logger = logging.getLogger(__name__)

__all__ = ["BendersBackend", "CoverageStructure", "coverage_structure", "coverage_value", "iterated_swaps"]

#: Backends that take any matrix problem, named when this one refuses.
ALTERNATIVES = ("highs", "cbc", "scip")

#: A row counts as covered at a master point when its sites sum to at least ``1 - COVER_TOL``.
COVER_TOL = 1e-9

#: Cuts are added when ``theta_k`` exceeds its group's coverage by more than this share of
#: the total weight (well below the proof tolerance ``PROOF_REL_TOL``).
CUT_REL_TOL = 1e-11

#: The LP phase stops when its bound and the best point's coverage are this close, relatively.
LP_REL_TOL = 1e-6


#: HiGHS's ``mip_heuristic_effort`` in the master MIP (its default 0.05); at 0 its heuristics
#: (RINS, RENS, root reduced cost, feasibility jump) are off too. The dive, the reduced-cost
#: fixing and the cuts give good plans, and HiGHS's sub-MIPs took about 90 % of the master's
#: time on the BDS-like instance (radius 6.25: 6.0 s of MIP with them, 0.6 s without).
MIP_HEURISTIC_EFFORT = 0.0

#: The dive (the master MIP on the sites the LP uses, for a good plan) gets at most this share
#: of what is left of a time limit (at least ``DIVE_MIN_S``), so that a long dive leaves time
#: for the proof; without a limit it runs to its end. On 10,000 x 1,000 sites its plan made the
#: search: 19 s of dive, then 43 s to the proof; cut at 9 s, no site was fixed and the proof
#: took 86 s.
DIVE_SHARE = 0.25
#: See :data:`DIVE_SHARE`.
DIVE_MIN_S = 1.0
#: The dive runs only when the last master LP uses at most this many sites; otherwise the plan
#: search (:func:`iterated_swaps`) takes its place. A restricted MIP over hundreds of sites is no
#: dive: on the clustered 5,000 x 500 (the LP uses 200 sites) and 10,000 x 1,000 (465) it spent
#: 17-28 s at its root (0-1 nodes) and found a better plan once, 45,983, where 2.4 s of search
#: found 46,168. The LP uses 57 sites on BDS 100,000 at radius 6.25 and 120 on the uniform
#: 10,000 x 1,000 of ``benchmarks/solver_table.py``, where the dive's plan made the proof.
DIVE_MAX_SITES = 150

#: The LP phase stops after this many rounds whatever the gap (the integer phase goes on).
LP_MAX_ROUNDS = 200

#: With a time limit, the LP phase stops after this share of what is left when it starts (its
#: bound is proven at every round). On the clustered 10,000 x 1,000 its rounds take about 5 s
#: each and it was still 0.015 % above the LP optimum after 60 s; the plan search needs the time.
LP_SHARE = 0.4

#: With a time limit, when the search took the dive's place (:data:`DIVE_MAX_SITES`), the first
#: master MIP round gets at most this share of what is left (at least ``FIRST_ROUND_MIN_S``). A
#: round that ends there without a proof is followed by the plan search again, reduced-cost
#: fixing against the better plan and the next round. On the clustered 5,000 x 500 no round
#: closed in 120 s and their plans stayed worse than the search's. After a dive the first round
#: runs to the end: on the uniform 10,000 x 1,000 (the LP uses 120 sites) one long round moved
#: the bound and made the proof, where capped rounds restarted at the root.
FIRST_ROUND_SHARE = 0.2
#: See :data:`FIRST_ROUND_SHARE`.
FIRST_ROUND_MIN_S = 2.0

#: The plan search between MIP rounds gets at most this share of what is left of the limit: on
#: the clustered instances the later master rounds moved the bound by 0.01 % in a minute (44
#: nodes), while each second of search raised the plan (10,000 x 1,000: +1.2 % in 4.6 s).
SEARCH_SHARE = 0.5
#: ... and stops after this many kicks in a row without a better plan (a start that improved
#: is followed by another). 300 suited the search that priced every swap from scratch; the
#: incremental one makes 300 kicks in 2-3 s. Benders at 120 s, side by side in one process
#: (2026-12-06, 00:33-00:44 UTC, load 1.1-4.1), 300 against 3,000: clustered 10,000 x 1,000
#: 93,908 (0.88 %; 13 s of search, it stopped early) against 94,078 (0.70 %; 50 s);
#: 100,000 x 5,000 922,988 against 922,622 (22 and 24 s, both cut by their share).
SEARCH_PATIENCE = 3000
#: With a time limit, when the reach holds at least :data:`EARLY_SEARCH_PAIRS` pairs, the plan
#: search runs once before the LP phase, with at most this share of what is left: there one
#: master LP round takes longer than the limit leaves (clustered 100,000 x 5,000, 1.16 million
#: pairs after merging rows: 52-97 s per round after presolve's 64 s), so the search after the
#: LP phase never ran and the plan stayed the polished greedy one. Benders at 120 s there, side
#: by side (2026-12-06, 00:27-00:32 UTC, load 1.7-2.2): 917,412 without it, 922,988 with it
#: (gap 2.37 % -> 1.77 %); in-process (00:33-00:40, load 1.1-4.1), shares 0.5 and 0.8:
#: 922,988 and 923,344 (22 and 37 s of search), too close to give the LP phase less.
EARLY_SEARCH_SHARE = 0.5
#: See :data:`EARLY_SEARCH_SHARE`: the clustered 10,000 x 1,000 (about 200,000 pairs; an LP
#: round of about 5 s) stays below, 100,000 x 5,000 (1.16 million) above.
EARLY_SEARCH_PAIRS = 600_000
#: With a time limit and a reach below :data:`EARLY_SEARCH_PAIRS`, a first short plan search
#: runs before the LP phase: one start (no restarts), stopping after this many kicks per site of
#: the plan without a better plan (at least :data:`FIRST_SEARCH_MIN_PATIENCE`), within
#: :data:`EARLY_SEARCH_SHARE` of the limit. A planner watching the run sees a good plan in
#: seconds instead of after the LP phase. On the clustered 10,000 x 1,000 (50 sites: 3,000
#: kicks) the search alone took the greedy plan 92,387 to 94,004 in 9.6 s at load 4.1 (at 1,000
#: kicks it stopped at 93,921 in 3.9 s). Benders at 120 s side by side (2026-12-06 02:34-02:38
#: UTC, load 2.8-3.5): spopt's objective 93,936 reached at 14.0 s without the first search (after
#: the LP phase), 5.7 s with it; the same final plan 94,090 (bound 94,730 / 94,712); proofs:
#: clustered 1,000 x 100 0.6 -> 1.3 s, BDS 100,000 x 100 r5.5 1.8 -> 1.8 s.
FIRST_SEARCH_KICKS_PER_SITE = 60
#: See :data:`FIRST_SEARCH_KICKS_PER_SITE`.
FIRST_SEARCH_MIN_PATIENCE = 300
#: With a time limit, when the LP phase ran out of its share (:data:`LP_SHARE`) before it met its goal, and either
#: the search ran before it (:data:`EARLY_SEARCH_PAIRS`) or not one master LP round ended, the plan search gets at
#: most this share of what is left before the last master LP: that LP, which has no cap, would not end either.
#: On clustered 100,000 x 5,000 at 120 s (2026-12-06, 02:27 UTC, load 2.5-4.4) the LP phase ended one round
#: (bound 970,583, above presolve's Lagrangian 940,668) and the last LP took the other 26 s of benders' 53 s,
#: stopped by the limit; the plan was the early search's, 924,426. Side by side (``coverage_families.py``,
#: 02:55-02:59 UTC, load 1.5-2.8): 924,631 with the late search (its second start gains 205), 924,426 without
#: (the last LP ran to the limit); when the last LP ends in time (02:47 and 03:01, load 1.0-2.7) the search
#: after it finds the same 924,631 (03:00-03:04: gap 1.57 % with, 1.58 % without; 111.0 s to it against 116.5 s).
#: On 10,000 x 1,000 (below EARLY_SEARCH_PAIRS; LP rounds end) nothing changes: 94,090 both ways.
LATE_SEARCH_SHARE = 1.0
#: HiGHS's and the LP phase's words (``stats["lp_stop"]``) for an LP phase stopped by its time share.
LP_TIMED_OUT = ("time", "Time limit reached")
#: The search goes on from a kicked plan within this share of the best plan's coverage. On the
#: clustered 5,000 x 500, 15 s of search: 46,168 keeping only plans at least as good as the
#: current one, 46,277 with 0.1 % (HiGHS on the full model: 46,284 after 117 s).
SEARCH_SLACK = 1e-3


@dataclass(frozen=True)
class CoverageStructure:
    """A maximal covering problem read from a matrix problem.

    Attributes
    ----------
    site_columns
        Columns of the site decisions ``x_j`` (binary, no objective).
    row_columns
        Column of each demand row's ``y_i`` (objective ``w_i``), in :attr:`reach`'s row order.
    reach
        Demand rows x sites, 0/1 CSR: site ``j`` covers row ``i``.
    weight
        ``w_i`` of each demand row (> 0).
    limits
        Rows on the sites only: ``(coefficients >= 0, upper limit)``, e.g. ``sum x <= p``
        or ``sum c x <= budget``.
    offset
        The problem's objective offset.
    """

    site_columns: np.ndarray
    row_columns: np.ndarray
    reach: sp.csr_matrix
    weight: np.ndarray
    limits: tuple[tuple[np.ndarray, float], ...]
    offset: float

    @property
    def n_sites(self) -> int:
        """Number of candidate sites."""
        return int(self.site_columns.size)


def coverage_structure(problem: MatrixProblem) -> CoverageStructure | str:
    """The maximal covering structure of ``problem``, or why it has none.

    The shape :func:`optimizer.studies.plain_coverage.build_coverage_model` builds, in any
    column and row order: maximise ``sum_i w_i y_i`` (``w_i > 0``, ``y_i`` in [0, 1]) over
    binary sites ``x_j`` without objective, subject to one row ``y_i - sum_{j in N(i)} x_j <= 0``
    per ``y_i`` and any rows ``sum_j a_j x_j <= b`` with ``a >= 0``.

    Returns
    -------
    CoverageStructure or str
        The structure, or a reason in plain words.
    """
    if problem.sense is not Sense.MAXIMIZE:
        return "it is not a maximisation"
    c = problem.objective
    rows_of = c > 0
    sites_of = ~rows_of
    if (c < 0).any():
        return "some objective coefficients are negative"
    if not rows_of.any():
        return "no column counts coverage (no positive objective coefficient)"
    if not (problem.integrality[sites_of].all() and (problem.col_lower[sites_of] == 0).all()
            and (problem.col_upper[sites_of] == 1).all()):
        return "the columns without objective are not all binary site decisions"
    if not ((problem.col_lower[rows_of] == 0).all() and (problem.col_upper[rows_of] == 1).all()):
        return "the coverage columns are not all in [0, 1]"
    a = problem.matrix.tocsr()
    on_rows = a[:, np.flatnonzero(rows_of)].tocsr()
    per_row = np.diff(on_rows.indptr)
    coverage_rows = np.flatnonzero(per_row == 1)
    limit_rows = np.flatnonzero(per_row == 0)
    if (per_row > 1).any():
        return "a row holds more than one coverage column"
    cover_part = on_rows[coverage_rows].tocoo()
    if not (cover_part.data == 1).all():
        return "a coverage column's coefficient in its row is not 1"
    if np.bincount(cover_part.col, minlength=int(rows_of.sum())).max(initial=0) != 1 or \
            cover_part.col.size != int(rows_of.sum()):
        return "a coverage column is not in exactly one covering row"
    site_part = a[:, np.flatnonzero(sites_of)].tocsr()
    cover_sites = site_part[coverage_rows]
    if cover_sites.nnz and not (cover_sites.data == -1).all():
        return "a covering row's site coefficients are not all -1"
    if not ((problem.row_upper[coverage_rows] == 0).all() and np.isneginf(problem.row_lower[coverage_rows]).all()):
        return "a covering row is not 'coverage <= sites reaching it'"
    limits = []
    for r in limit_rows:
        coef = np.asarray(site_part[r].toarray()).ravel()
        if (coef < 0).any() or problem.row_lower[r] > 0 or problem.row_upper[r] < 0:
            return "a row on the sites is not a limit 'sum a x <= b' with a >= 0 and b >= 0"
        if np.isfinite(problem.row_upper[r]):
            limits.append((coef, float(problem.row_upper[r])))
    # demand rows in the order of their y columns' covering rows
    order = np.argsort(cover_part.col)
    row_of_y = coverage_rows[cover_part.row[order]]
    reach = sp.csr_matrix(-cover_sites.astype(np.float64))[np.searchsorted(coverage_rows, row_of_y)]
    reach.eliminate_zeros()
    return CoverageStructure(site_columns=np.flatnonzero(sites_of), row_columns=np.flatnonzero(rows_of),
                             reach=sp.csr_matrix(reach), weight=c[rows_of].astype(np.float64),
                             limits=tuple(limits), offset=float(problem.objective_offset))


def coverage_value(structure: CoverageStructure, sites: np.ndarray) -> float:
    """Weight covered by the chosen ``sites`` (0/1 per site), plus the offset."""
    hit = structure.reach @ np.asarray(sites, dtype=np.float64) >= 1 - COVER_TOL
    return float(structure.weight[hit].sum()) + structure.offset


def _within_limits(structure: CoverageStructure, sites: np.ndarray) -> bool:
    return all(float(coef @ sites) <= limit + 1e-9 * max(1.0, abs(limit)) for coef, limit in structure.limits)


def improve_by_swaps(structure: CoverageStructure, sites: np.ndarray, *, passes: int = 5,
                     deadline: float | None = None) -> np.ndarray:
    """A better plan near ``sites``: fill while the limits allow, then swap one site out and the best one in.

    Parameters
    ----------
    structure
        The problem.
    sites
        A plan within the limits (0/1 per site).
    passes
        The search makes at most ``passes`` times as many moves as a plan can hold sites
        (priced incrementally, :class:`SwapSearch`: the best fill, else the best swap, while one
        gains); where its table would be too large, passes over the chosen sites, each
        keeping a swap only when the coverage rises. On the clustered 100,000 x 5,000 from the
        greedy plan (2026-12-06, 00:48 UTC, load 2.7): 0.13 s to 917,441 incrementally, 4.9 s to
        917,412 by passes.
    deadline
        ``time.perf_counter()`` reading at which the search returns the best plan so far.

    Returns
    -------
    np.ndarray
        A plan within the limits, covering at least as much as ``sites``.
    """
    if SwapSearch.fits(structure.limits, structure.n_sites):
        search = SwapSearch(structure.reach, structure.weight, structure.limits, sites)
        search.descend(deadline, max_moves=passes * max(1, search.cap))
        return search.plan()
    reach = structure.reach
    by_site = reach.T.tocsr()
    w = structure.weight
    chosen = np.round(sites).astype(bool)
    count = reach @ chosen.astype(np.float64)
    coefs = [coef for coef, _ in structure.limits]
    room = [limit + 1e-9 * max(1.0, abs(limit)) - float(coef @ chosen) for coef, limit in structure.limits]

    def fits(out: int | None) -> np.ndarray:
        ok = ~chosen
        for coef, left in zip(coefs, room, strict=True):
            ok &= coef <= left + (coef[out] if out is not None else 0.0)
        return ok

    def late() -> bool:
        return deadline is not None and time.perf_counter() > deadline

    while True:  # fill: the best site by gain while one fits
        gain = by_site @ np.where(count < 1, w, 0.0)
        gain[~fits(None)] = -1.0
        k = int(np.argmax(gain))
        if gain[k] <= 0 or late():
            break
        chosen[k] = True
        count += reach[:, k].toarray().ravel()
        room = [left - coef[k] for coef, left in zip(coefs, room, strict=True)]
    for _ in range(passes):
        improved = False
        for j in np.flatnonzero(chosen).tolist():
            if late():
                return chosen.astype(np.float64)
            column = reach[:, j].toarray().ravel()
            loss = float(w[(count == 1) & (column > 0)].sum())
            gain = by_site @ np.where(count - column < 1, w, 0.0)
            gain[~fits(j)] = -1.0
            k = int(np.argmax(gain))
            if gain[k] > loss + 1e-9 * max(1.0, loss):
                chosen[j], chosen[k] = False, True
                count += reach[:, k].toarray().ravel() - column
                room = [left + coef[j] - coef[k] for coef, left in zip(coefs, room, strict=True)]
                improved = True
        if not improved:
            break
    return chosen.astype(np.float64)


def _best_swaps(structure: CoverageStructure, by_site: sp.csr_matrix, chosen: np.ndarray,
                deadline: float | None) -> np.ndarray:
    """A plan near ``chosen`` where no site fits in and no single swap gains: best fill, else best swap.

    A swap takes site ``j`` out and ``k`` in; it gains ``g_k + b_kj - l_j``, where ``g_k`` is the
    weight ``k`` would newly cover, ``l_j`` the weight only ``j`` covers and ``b_kj`` the part
    of that ``k`` covers too. Every pair is priced at once (``m x p``), and the best is taken
    while it gains (``improve_by_swaps`` takes the first site out that gains).
    """
    reach, w = structure.reach, structure.weight
    chosen = np.round(chosen).astype(bool)
    count = reach @ chosen.astype(np.float64)
    coefs = [coef for coef, _ in structure.limits]
    room = [limit + 1e-9 * max(1.0, abs(limit)) - float(coef @ chosen) for coef, limit in structure.limits]
    tol = 1e-9 * max(1.0, float(w.sum()))
    while deadline is None or time.perf_counter() <= deadline:
        gain = by_site @ np.where(count < 0.5, w, 0.0)
        fits = ~chosen
        for coef, left in zip(coefs, room, strict=True):
            fits &= coef <= left
        k = int(np.argmax(np.where(fits, gain, -1.0)))
        if fits[k] and gain[k] > tol:  # fill while a site fits and gains
            j = None
        else:
            ins = np.flatnonzero(chosen)
            if ins.size == 0:
                break
            only = np.flatnonzero(count == 1)  # rows one chosen site covers
            r1 = reach[only]
            v = w[only]
            loss = (r1.T @ v)[ins]
            back = np.asarray((r1.T @ sp.csr_matrix(r1[:, ins].multiply(v[:, None]))).todense())
            delta = gain[:, None] + back - loss[None, :]
            delta[chosen, :] = -np.inf
            for coef, left in zip(coefs, room, strict=True):
                delta[coef[:, None] > left + coef[ins][None, :]] = -np.inf
            k, jj = divmod(int(np.argmax(delta)), ins.size)
            if not delta[k, jj] > tol:
                break
            j = int(ins[jj])
        chosen[k] = True
        count += reach[:, k].toarray().ravel()
        room = [left - coef[k] for coef, left in zip(coefs, room, strict=True)]
        if j is not None:
            chosen[j] = False
            count -= reach[:, j].toarray().ravel()
            room = [left + coef[j] for coef, left in zip(coefs, room, strict=True)]
    return chosen.astype(np.float64)


@dataclass
class SearchStats:
    """What :func:`iterated_swaps` did: kicks tried, kicks that improved the best plan, seconds."""

    kicks: int = 0
    improved: int = 0
    seconds: float = 0.0


def iterated_swaps(structure: CoverageStructure, sites: np.ndarray, *, deadline: float | None = None,
                   patience: int = 200, seed: int = 0, slack: float = SEARCH_SLACK,
                   stats: SearchStats | None = None, incremental: bool = True, ban_kicked: bool = True,
                   on_better: Callable[[np.ndarray], None] | None = None, patience_growth: float = 0.0,
                   ) -> np.ndarray:
    """A better plan near ``sites`` by iterated local search: swaps to a local optimum, then kicks.

    Each kick takes 2-5 random sites out of the current plan, makes as many best fills and
    swaps without them (``ban_kicked``: the kick is not simply undone), and goes back to a
    local optimum by best fills and swaps; the result becomes the current plan when it covers at least
    ``1 - slack`` times the best plan's coverage (threshold accepting: the search can leave a
    local optimum's basin). It stops after ``patience`` kicks in a row without a better plan,
    or at ``deadline``. The moves are priced incrementally
    (:class:`solvers.coverage_search.SwapSearch`: only the rows in the reach of the site that
    moved are touched, and a rejected kick is undone move by move), or, with
    ``incremental=False`` or when its sites x plan table would be too large, from scratch at
    every move (:func:`_best_swaps`; the search as it was before the incremental one, whose
    kicks ban nothing).

    Parameters
    ----------
    structure
        The problem.
    sites
        A plan within the limits (0/1 per site).
    deadline
        ``time.perf_counter()`` reading at which the search returns the best plan so far.
    patience
        Kicks in a row without a better plan before it stops.
    slack
        A kicked plan within this share of the best one's coverage is kept as the current plan.
    seed
        Seed of the kicks (the same seed, the same plans, when the deadline does not cut in).
    stats
        Filled with what the search did, when given.
    incremental
        Price the moves incrementally (see above); ``False`` recomputes them at every move.
    ban_kicked
        With ``incremental``: the first moves after a kick may not put the sites it took out back.
        Side by side from the greedy plan (``benchmarks/swap_search.py`` at ``c83a879``, load
        1.7-2.1): clustered 100,000 x 5,000 after 20 / 60 s 923,852 / 925,195 with, 922,229 /
        922,916 without (half the kicks per second: each kick moves more); 10,000 x 1,000
        93,947 / 94,053 with, 93,834 / 94,020 without.
    on_better
        Called with each plan better than the best so far, as the search finds it (a copy the
        caller may keep): the solver streams its incumbent from there. Not called for the
        plan returned when it is the start.
    patience_growth
        The patience grows with the kicks it took to find the best plan so far: the search stops
        after ``max(patience, patience_growth * k)`` kicks in a row without a better plan, ``k``
        the kicks before the last better one. A search that finds nothing stops after
        ``patience`` kicks; one that keeps finding goes on. 0 (the default): a fixed patience.

    Returns
    -------
    np.ndarray
        A plan within the limits, covering at least as much as ``sites``.
    """
    started = time.perf_counter()
    stats = stats if stats is not None else SearchStats()
    start = np.round(sites)
    if incremental and SwapSearch.fits(structure.limits, structure.n_sites):
        best = _iterated_incremental(structure, start, deadline, patience, seed, slack, stats, ban_kicked,
                                     on_better, patience_growth)
    else:
        best = _iterated_full(structure, start, deadline, patience, seed, slack, stats, on_better,
                              patience_growth)
    if coverage_value(structure, best) < coverage_value(structure, start):  # cut short by the deadline
        best = start
    stats.seconds += time.perf_counter() - started
    return best


class _Kicks:
    """The kicks of one iterated search: whether it goes on, and what a better plan sets off."""

    def __init__(self, deadline: float | None, patience: int, patience_growth: float, stats: SearchStats,
                 on_better: Callable[[np.ndarray], None] | None) -> None:
        self.deadline, self.patience, self.growth = deadline, patience, patience_growth
        self.stats, self.on_better = stats, on_better
        self.idle = self.kicks = 0

    def go_on(self) -> bool:
        """Fewer idle kicks than the patience, and time left."""
        return self.idle < self.patience and (self.deadline is None or time.perf_counter() < self.deadline)

    def kicked(self) -> None:
        self.stats.kicks += 1
        self.idle += 1
        self.kicks += 1

    def better(self, plan: np.ndarray) -> None:
        """A kick found a better plan: patience from here (grown to the kicks it took), the plan handed on."""
        self.stats.improved += 1
        self.idle = 0
        self.patience = max(self.patience, math.ceil(self.growth * self.kicks))
        self.hand_on(plan)

    def hand_on(self, plan: np.ndarray) -> None:
        if self.on_better is not None:
            self.on_better(plan.copy())


def _kicked(rng: np.random.Generator, chosen: np.ndarray) -> np.ndarray:
    """The 2-5 random sites of ``chosen`` (indices) a kick takes out."""
    return rng.choice(chosen, size=min(int(rng.integers(2, 6)), chosen.size), replace=False)


def _iterated_incremental(structure: CoverageStructure, start: np.ndarray, deadline: float | None, patience: int,
                          seed: int, slack: float, stats: SearchStats, ban_kicked: bool,
                          on_better: Callable[[np.ndarray], None] | None = None,
                          patience_growth: float = 0.0) -> np.ndarray:
    """:func:`iterated_swaps` on one :class:`SwapSearch`: kicks and descents update it, a rejected kick is undone."""
    rng = np.random.default_rng(seed)
    search = SwapSearch(structure.reach, structure.weight, structure.limits, start)
    before = search.value
    search.descend(deadline)
    best, best_value = search.plan(), search.value
    kicks = _Kicks(deadline, patience, patience_growth, stats, on_better)
    if best_value > before + 1e-9 * max(1.0, abs(before)):
        kicks.hand_on(best)
    current_value = best_value
    tol = 1e-9 * max(1.0, abs(best_value))
    while kicks.go_on():
        chosen = np.flatnonzero(search.chosen)
        if chosen.size == 0:
            break
        moves: list[tuple[int, int]] = []
        out = _kicked(rng, chosen)
        for j in out.tolist():
            search.remove(j)
            moves.append((j, -1))
        if ban_kicked:  # the sites out may not come straight back: as many moves as sites out
            search.banned = np.zeros(structure.n_sites, dtype=bool)
            search.banned[out] = True
            search.descend(deadline, moves, max_moves=out.size)
            search.banned = None
        search.descend(deadline, moves)
        value = search.value
        kicks.kicked()
        if value >= best_value * (1.0 - slack) or value >= current_value:
            current_value = value
        else:
            search.undo(moves)
        if value > best_value + tol:
            best, best_value = search.plan(), value
            kicks.better(best)
    return best


def _iterated_full(structure: CoverageStructure, start: np.ndarray, deadline: float | None, patience: int,
                   seed: int, slack: float, stats: SearchStats,
                   on_better: Callable[[np.ndarray], None] | None = None,
                   patience_growth: float = 0.0) -> np.ndarray:
    """:func:`iterated_swaps` with every move priced from scratch (:func:`_best_swaps`)."""
    rng = np.random.default_rng(seed)
    by_site = structure.reach.T.tocsr()
    best = _best_swaps(structure, by_site, start, deadline)
    best_value = coverage_value(structure, best)
    kicks = _Kicks(deadline, patience, patience_growth, stats, on_better)
    if best_value > coverage_value(structure, start) + 1e-9 * max(1.0, abs(best_value)):
        kicks.hand_on(best)
    current, current_value = best, best_value
    while kicks.go_on():
        chosen = np.flatnonzero(current > 0.5)
        if chosen.size == 0:
            break
        kicked = current.copy()
        kicked[_kicked(rng, chosen)] = 0.0
        plan = _best_swaps(structure, by_site, kicked, deadline)
        value = coverage_value(structure, plan)
        kicks.kicked()
        if value >= best_value * (1.0 - slack) or value >= current_value:
            current, current_value = plan, value
        if value > best_value + 1e-9 * max(1.0, abs(best_value)):
            best, best_value = plan, value
            kicks.better(best)
    return best


class _Cuts:
    """Separation of the optimality cuts, per group of demand rows."""

    def __init__(self, structure: CoverageStructure, groups: int) -> None:
        self.s = structure
        g = structure.weight.size
        reach = structure.reach
        if groups <= 1:
            self.group = np.zeros(g, dtype=np.int64)
        else:  # rows grouped by their middle site: rows of one group lie near one another
            count = np.diff(reach.indptr)
            middle = reach.indices[np.minimum(reach.indptr[:-1] + count // 2, max(reach.nnz - 1, 0))] \
                if reach.nnz else np.zeros(g, dtype=np.int64)
            middle = np.where(count > 0, middle, 0)
            _, self.group = np.unique(middle % groups, return_inverse=True)
        self.k = int(self.group.max(initial=0)) + 1
        self.group_weight = np.bincount(self.group, weights=structure.weight, minlength=self.k)
        self.tol = CUT_REL_TOL * max(1.0, float(structure.weight.sum()))

    def coverage(self, x: np.ndarray) -> np.ndarray:
        """Coverage of each group at a point ``x`` (``sum w_i min(1, s_i)``)."""
        s = self.s.reach @ x
        return np.bincount(self.group, weights=self.s.weight * np.minimum(s, 1.0), minlength=self.k)

    def cuts(self, x: np.ndarray, theta: np.ndarray | None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """The cuts at ``x`` of the groups whose ``theta`` overstates their coverage (all without ``theta``).

        Returns
        -------
        (coefficients, constants, groups)
            Cut ``k``: ``theta_{groups[k]} - coefficients[k] @ x <= constants[k]``.
        """
        s = self.s.reach @ x
        open_ = s < 1 - COVER_TOL
        w = self.s.weight
        constant = np.bincount(self.group, weights=np.where(open_, 0.0, w), minlength=self.k)
        if theta is None:
            which = np.arange(self.k)
        else:
            value = np.bincount(self.group, weights=w * np.minimum(s, 1.0), minlength=self.k)
            which = np.flatnonzero(theta > value + self.tol)
        if which.size == 0:
            return sp.csr_matrix((0, self.s.n_sites)), np.zeros(0), which
        rows = np.flatnonzero(open_ & np.isin(self.group, which))
        pick = sp.csr_matrix((w[rows], (np.searchsorted(which, self.group[rows]), rows)),
                             shape=(which.size, w.size))
        coef = sp.csr_matrix(pick @ self.s.reach)
        coef.eliminate_zeros()
        return coef, constant[which], which


class BendersBackend(Backend):
    """Benders branch-and-cut for plain maximal covering, with HiGHS as master solver.

    Attributes
    ----------
    groups
        At most this many ``theta`` variables (demand rows grouped by the middle one of
        their sites, modulo this); 1 is the single aggregated cut of Cordeau et al.;
        ``None`` (the default) one per site, which proved the BDS-like instance of
        ``docs/solvers.md`` about twice as fast as one.
    """

    name: ClassVar[str] = "benders"
    extra: ClassVar[str] = "highspy"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=True, supports_threads=True, supports_seed=True,
        reports_bound=True, honours_time_limit=True, in_process=True, needs_coverage_model=True,
        searches_plans=True,
    )
    groups: ClassVar[int | None] = None

    @classmethod
    def available(cls) -> bool:
        """True when HiGHS (``highspy``) can run."""
        return HighsBackend.available()

    def version(self) -> str:
        """``benders/`` and the HiGHS version."""
        return f"benders/highs {HighsBackend().version()}"

    def check(self, problem: MatrixProblem) -> None:
        """Refuse what has no coverage columns to project out.

        Plain maximal covering takes the site-only master of this module; any other problem
        whose coverage columns can be projected out (the planning model's coverage mode:
        :mod:`solvers.benders_projection`) takes the general master; else one whose
        assignment columns can be (capacitated mode: :mod:`solvers.benders_assignment`).

        Raises
        ------
        UnsupportedProblem
            Naming what does not fit and the backends that take any problem.
        """
        super().check(problem)
        if isinstance(coverage_structure(problem), str):
            from solvers.benders_assignment import project_assignments
            from solvers.benders_projection import project_coverage

            found = project_coverage(problem)
            if isinstance(found, str):
                assignments = project_assignments(problem)
                if isinstance(assignments, str):
                    raise UnsupportedProblem(self.name, f"it takes coverage models only (coverage or assignment "
                                             f"columns to project out), and here {found}; {assignments}", ALTERNATIVES)

    # -- solve --------------------------------------------------------------------------

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        structure = coverage_structure(problem)
        if isinstance(structure, str):  # check() ran first: coverage or assignment columns project out
            from solvers.benders_assignment import project_assignments, solve_assignments
            from solvers.benders_projection import project_coverage, solve_projected

            projection = project_coverage(problem)
            if isinstance(projection, str):
                assignments = project_assignments(problem)
                assert not isinstance(assignments, str)
                return solve_assignments(self, assignments, options)
            return solve_projected(self, projection, options)
        run = _Run(self, problem, structure, options,
                   structure.n_sites if self.groups is None else self.groups)
        return run.solve()


class _Run(RunClock):
    """One Benders solve: the master, the best plan, the bound, the clock."""

    def __init__(self, backend: BendersBackend, problem: MatrixProblem, structure: CoverageStructure,
                 options: SolverOptions, groups: int) -> None:
        self.backend = backend
        self.problem = problem
        self.s = structure
        self.options = options
        self.cuts = _Cuts(structure, groups)
        self.m = structure.n_sites
        self.best_value = -np.inf
        self.best_sites: np.ndarray | None = None
        self.bound = float(structure.weight.sum()) + structure.offset
        self.stats: dict[str, Any] = {"groups": self.cuts.k, "lp_rounds": 0, "restricted_rounds": 0,
                                     "mip_rounds": 0, "cuts": 0, "rounds": []}
        self.last: tuple[float, np.ndarray, np.ndarray] | None = None
        self.mip = False  # the master's sites are binary (after the LP phase)
        self.searches = 0  # plan searches run: the next one's seed is the options' seed plus this
        self.spread = False  # the last master LP uses more than DIVE_MAX_SITES sites: search, no dive
        self.stopped = threading.Event()
        self.highs: Any = None
        self.log: list[str] = []
        self.seen: list[np.ndarray] = []
        self.progress = ProgressReporter(options, backend.name, problem.sense)
        #: A better plan the search just found, offered at most every MIN_INTERVAL_S: valuing a plan
        #: from its sites costs a pass over the reach, and the search may improve its plan hundreds of
        #: times a second; the plan it returns is offered in any case.
        self.found = throttled(self.offer)

    # -- bookkeeping --------------------------------------------------------------------

    def offer(self, sites: np.ndarray) -> float:
        """Keep ``sites`` (0/1) when within the limits and better than the best plan; its coverage.

        A better plan is streamed (``options.on_progress``) with the bound of the moment.
        """
        sites = np.round(np.clip(sites, 0.0, 1.0))
        value = coverage_value(self.s, sites)
        if _within_limits(self.s, sites) and value > self.best_value:
            self.best_value, self.best_sites = value, sites
            self.progress.report(incumbent=value, bound=self.bound)
        return value

    def tighten_bound(self, value: float) -> None:
        """Take a proven upper bound of the master (without the offset) on the plans better than the best."""
        self.bound = min(self.bound, max(value + self.s.offset, self.best_value))
        self.progress.report(bound=self.bound)

    @property
    def has_plan(self) -> bool:
        """A plan within the limits is known."""
        return self.best_sites is not None

    # -- master -------------------------------------------------------------------------

    def _master(self) -> Any:
        import highspy

        h = self.new_highs()
        k = self.cuts.k
        inf = highspy.kHighsInf
        h.addVars(self.m + k, np.zeros(self.m + k), np.concatenate([np.ones(self.m), self.cuts.group_weight]))
        h.changeColsCost(self.m + k, np.arange(self.m + k, dtype=np.int32),
                         np.concatenate([np.zeros(self.m), np.ones(k)]))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for coef, limit in self.s.limits:
            idx = np.flatnonzero(coef).astype(np.int32)
            h.addRow(-inf, limit, idx.size, idx, coef[idx])
        return h

    def _add_cuts(self, h: Any, x: np.ndarray, theta: np.ndarray | None) -> int:
        import highspy

        coef, constant, which = self.cuts.cuts(x, theta)
        if which.size == 0:
            return 0
        n = which.size
        # theta_k - coef @ x <= constant
        rows = sp.hstack([-coef, sp.csr_matrix((np.ones(n), (np.arange(n), which)), shape=(n, self.cuts.k))],
                         format="csr")
        h.addRows(n, np.full(n, -highspy.kHighsInf), constant, rows.nnz, rows.indptr[:-1].astype(np.int32),
                  rows.indices.astype(np.int32), rows.data)
        self.stats["cuts"] += n
        return n

    # -- phases -------------------------------------------------------------------------

    def _start(self) -> None:
        start = self.problem.start
        if start is not None:
            self.offer(start[self.s.site_columns])
        self.offer(np.zeros(self.m))
        self.polish()

    def polish(self) -> None:
        """Improve the best plan by swaps (:func:`improve_by_swaps`), within the time limit."""
        if self.best_sites is not None and not self.out_of_time():
            deadline = self.options.deadline if self.backend.pass_time_limit else None
            self.offer(improve_by_swaps(self.s, self.best_sites, deadline=deadline))

    def _round_lp(self, x: np.ndarray) -> None:
        """A plan from an LP point: sites by falling value while the limits allow."""
        sites = np.zeros(self.m)
        for j in np.argsort(-x, kind="stable"):
            if x[j] <= 1e-9:
                break
            sites[j] = 1.0
            if not _within_limits(self.s, sites):
                sites[j] = 0.0
        self.offer(sites)

    def lp_phase(self, h: Any) -> np.ndarray | None:
        """Cuts at fractional points until the master LP meets the LP optimum; the last LP point."""
        import highspy

        core = np.full(self.m, 1.0)
        for coef, limit in self.s.limits:
            total = float(coef.sum())
            if total > 0:
                core = np.minimum(core, max(limit, 0.0) / total)
        self._add_cuts(h, core, None)
        if self.best_sites is not None:
            self._add_cuts(h, self.best_sites, None)
        x = None
        best_lp = -np.inf
        self.stats["lp_stop"] = "rounds"
        left = self.time_left()
        until = None if left is None else time.perf_counter() + LP_SHARE * left
        for _ in range(LP_MAX_ROUNDS):
            if self.out_of_time() or (until is not None and time.perf_counter() >= until):
                self.stats["lp_stop"] = "time"
                break
            self._run(h, None if until is None else max(until - time.perf_counter(), 0.0))
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                self.stats["lp_stop"] = h.modelStatusToString(h.getModelStatus())
                break
            self.stats["lp_rounds"] += 1
            sol = np.asarray(h.getSolution().col_value)
            x, theta = sol[:self.m], sol[self.m:]
            upper = float(h.getInfo().objective_function_value)
            self.tighten_bound(upper)
            best_lp = max(best_lp, float(self.cuts.coverage(x).sum()))
            if upper - best_lp <= LP_REL_TOL * max(1.0, abs(upper)):
                self.stats["lp_stop"] = "met"
                break
            between = 0.5 * (x + core)
            added = self._add_cuts(h, x, theta) + self._add_cuts(h, between, None)
            core = 0.5 * (core + x)
            if added == 0:
                self.stats["lp_stop"] = "no cut"
                break
        self.stats["lp_bound"] = self.bound
        if x is not None:
            self._round_lp(x)
            self.polish()
        return x

    def sites_lp(self, h: Any) -> tuple[float, np.ndarray, np.ndarray] | None:
        """The master LP once more, its loose cuts dropped: ``(value, sites, |reduced costs|)``, or ``None``."""
        last = self.last_lp(h, len(self.s.limits), self.m)
        return None if last is None else (last[0], last[1], np.abs(last[2]))

    def fix_by_reduced_cost(self, h: Any, z: float, x: np.ndarray, reduced: np.ndarray) -> None:
        """Fix the sites that no plan better than the best one can change.

        A site at 0 (1) in the master LP whose reduced cost ``d_j`` gives ``z_LP - |d_j|`` below
        the best plan's coverage is fixed at 0 (1): every plan with it otherwise is worse than
        the best plan (the master is a relaxation, and later cuts only tighten it). The
        master's bounds from now on hold only for plans better than the best one, so the
        bound kept is never below that plan's coverage (:meth:`tighten_bound`).
        """
        if self.best_sites is None:
            return
        margin = z - (self.best_value - self.s.offset) + self.cuts.tol
        at_zero = np.flatnonzero((x <= 1e-9) & (reduced > margin))
        at_one = np.flatnonzero((x >= 1 - 1e-9) & (reduced > margin))
        for idx, value in ((at_zero, 0.0), (at_one, 1.0)):
            if idx.size:
                h.changeColsBounds(idx.size, idx.astype(np.int32), np.full(idx.size, value), np.full(idx.size, value))
        self.stats.update(fixed_at_zero=int(at_zero.size), fixed_at_one=int(at_one.size), fixed_against=self.best_value)
        logger.debug("benders: LP %.1f, best %.1f, %d sites fixed at 0, %d at 1", z, self.best_value,
                     at_zero.size, at_one.size)

    def dive(self, h: Any, x: np.ndarray) -> None:
        """A good plan before the search: the master MIP on the sites the LP uses (a restricted round)."""
        unused = np.flatnonzero(x <= 1e-6).astype(np.int32)
        if self.out_of_time() or unused.size == 0:
            return
        h.changeColsBounds(unused.size, unused, np.zeros(unused.size), np.zeros(unused.size))
        left = self.time_left()
        self.mip_round(h, restricted=True, cap=None if left is None else max(DIVE_MIN_S, DIVE_SHARE * left))
        h.changeColsBounds(unused.size, unused, np.zeros(unused.size), np.ones(unused.size))

    def integer(self, h: Any) -> None:
        """Make the sites binary and watch every plan the master MIP meets."""
        h.setOptionValue("mip_heuristic_effort", MIP_HEURISTIC_EFFORT)
        if MIP_HEURISTIC_EFFORT == 0:
            for name in ("rins", "rens", "root_reduced_cost", "feasibility_jump"):
                h.setOptionValue(f"mip_heuristic_run_{name}", False)
        h.changeColsIntegrality(self.m, np.arange(self.m, dtype=np.int32), np.ones(self.m, dtype=np.uint8))
        self.mip = True

        def on_solution(event: Any) -> None:
            self.seen.append(np.array(event.data_out.mip_solution[: self.m + self.cuts.k]))

        h.cbMipSolution += on_solution

    def mip_round(self, h: Any, restricted: bool = False, cap: float | None = None) -> tuple[Any, int]:
        """One master MIP solve from the best plan; its plans offered and cut. ``(model status, cuts added)``."""
        import highspy

        ms = highspy.HighsModelStatus
        if self.best_sites is not None:
            theta = self.cuts.coverage(self.best_sites)
            h.setSolution(self.m + self.cuts.k, np.arange(self.m + self.cuts.k, dtype=np.int32),
                          np.concatenate([self.best_sites, theta]))
        self.seen.clear()
        began = time.perf_counter()
        self._run(h, cap)
        self.stats["restricted_rounds" if restricted else "mip_rounds"] += 1
        status = h.getModelStatus()
        info = h.getInfo()
        if not restricted and status in (ms.kOptimal, ms.kTimeLimit, ms.kInterrupt):
            self.tighten_bound(float(info.mip_dual_bound))
        if int(info.primal_solution_status) == int(highspy.kSolutionStatusFeasible):
            self.seen.append(np.asarray(h.getSolution().col_value))
        added = 0
        for sol in self.seen:
            sites = np.round(sol[:self.m])
            self.offer(sites)
            added += self._add_cuts(h, sites, sol[self.m:])
        self.stats["rounds"].append({
            "kind": "dive" if restricted else "mip", "seconds": round(time.perf_counter() - began, 3),
            "status": h.modelStatusToString(status), "nodes": int(info.mip_node_count),
            "master_rows": int(h.getNumRow()), "plans": len(self.seen), "cuts": added,
            "bound": round(self.bound, 3), "best": self.best_value})
        return status, added

    def search(self, h: Any, share: float = SEARCH_SHARE, *, patience: int | None = None,
               restart: bool = True, record: str = "search") -> None:
        """A better plan by :func:`iterated_swaps` from the best one, then fixing against it.

        With ``h`` ``None`` (before the master exists) only the plan is kept. ``share`` is the
        most of what is left of the limit it takes; ``patience`` the idle kicks that end a start
        (default :data:`SEARCH_PATIENCE`); without ``restart`` it makes one start only; ``record``
        names the list of ``stats`` it is recorded in.

        It starts again from the best plan, each time with the next seed, while a start finds a
        better plan and its share of the limit (``share``) is not spent. The
        new plan's cuts go into the master, and the sites the last master LP's reduced costs
        rule out against the better plan are fixed (:meth:`fix_by_reduced_cost`).
        """
        if self.best_sites is None or self.out_of_time():
            return
        left = self.time_left()
        deadline = None if left is None else time.perf_counter() + share * left
        before = self.best_value
        found = SearchStats()
        restarts = 0
        while True:
            seed = int(self.options.seed) + self.searches
            self.searches += 1
            restarts += 1
            start = self.best_value
            self.offer(iterated_swaps(self.s, self.best_sites, deadline=deadline,
                                      patience=SEARCH_PATIENCE if patience is None else patience,
                                      seed=seed, stats=found, on_better=self.found))
            if not restart or self.best_value <= start or deadline is None or time.perf_counter() >= deadline or \
                    self.out_of_time():
                break
        self.stats.setdefault(record, []).append({"kicks": found.kicks, "improved": found.improved,
                                                     "restarts": restarts, "seconds": round(found.seconds, 3),
                                                     "from": before, "to": self.best_value})
        if self.best_value > before and h is not None:
            self._add_cuts(h, self.best_sites, None)
            if self.last is not None:
                self.fix_by_reduced_cost(h, *self.last)

    def mip_phase(self, h: Any) -> Termination:
        """Master MIP rounds with cuts at every plan it meets, until its bound meets the best plan."""
        import highspy

        ms = highspy.HighsModelStatus
        first = True
        while not self.close_enough():
            if self.out_of_time():
                return Termination.KILLED if self.stopped.is_set() else Termination.TIME_LIMIT
            left = self.time_left()
            cap = max(FIRST_ROUND_MIN_S, FIRST_ROUND_SHARE * left) \
                if first and self.spread and left is not None else None
            capped = cap is not None and left is not None and cap < left
            status, added = self.mip_round(h, cap=cap if capped else None)
            first = False
            if status != ms.kOptimal:
                if self.close_enough():
                    break
                if capped and status == ms.kTimeLimit and not self.out_of_time():
                    self.search(h)  # the first round stopped at its cap: a better plan, more fixing, again
                    continue
                if status in (ms.kTimeLimit, ms.kInterrupt) or self.out_of_time():
                    return Termination.KILLED if self.stopped.is_set() else Termination.TIME_LIMIT
                logger.warning("benders: the master MIP stopped with %s", h.modelStatusToString(status))
                return Termination.OTHER
            if added == 0:
                break  # the master's optimum is exact at its own plan: its bound is that plan's value
        return self.finished()

    def solve(self) -> SolveResult:
        started = time.perf_counter()
        self._start()
        early = self.s.reach.nnz >= EARLY_SEARCH_PAIRS and self.time_left() is not None
        if early:
            self.search(None, EARLY_SEARCH_SHARE)  # the LP phase would leave it no time
        elif self.time_left() is not None and self.best_sites is not None:
            chosen = int(self.best_sites.sum())  # a good plan in seconds, before the LP phase
            self.search(None, EARLY_SEARCH_SHARE, restart=False, record="first_search",
                        patience=max(FIRST_SEARCH_MIN_PATIENCE, FIRST_SEARCH_KICKS_PER_SITE * chosen))
        h = self._master()
        watchdog = self.watchdog(h)
        with watchdog:
            self.lp_phase(h)
            if self.stats["lp_stop"] in LP_TIMED_OUT and (early or self.stats["lp_rounds"] == 0) and \
                    self.time_left() is not None and not self.out_of_time():
                self.stats["late_search"] = True  # the last master LP (no cap) would not end either
                self.search(h, LATE_SEARCH_SHARE)
            last = self.sites_lp(h)
            self.stats["lp_seconds"] = round(time.perf_counter() - started, 3)
            termination = self.finished()
            if not self.close_enough():
                self.integer(h)
                self.last = last
                if last is not None:
                    support = int((last[1] > 1e-6).sum())
                    self.stats["lp_sites"] = support
                    self.spread = support > DIVE_MAX_SITES
                    if self.spread:
                        self.search(h)
                    else:
                        self.dive(h, last[1])
                    self.fix_by_reduced_cost(h, *last)
                self.stats["dive_seconds"] = round(time.perf_counter() - started - self.stats["lp_seconds"], 3)
                termination = self.mip_phase(h)
        h.clear()
        self.progress.finish()
        seconds = time.perf_counter() - started
        values = objective = None
        if self.best_sites is not None:
            values = np.zeros(self.problem.n_cols)
            values[self.s.site_columns] = self.best_sites
            values[self.s.row_columns] = (self.s.reach @ self.best_sites >= 1 - COVER_TOL).astype(float)
            objective = self.problem.objective_value(values)
        bound = self.bound
        if objective is not None and objective - 1e-6 * max(1.0, abs(objective)) <= bound < objective:
            bound = objective  # the master's bound met the plan within its numerical tolerance
        self.stats["seconds"] = round(seconds, 3)
        logger.info("benders: %s", self.stats)
        return build_result(self.backend, self.problem, self.options, termination=termination,
                            values=values, objective=objective, bound=bound, solve_seconds=seconds,
                            log="".join(self.log), extra={"benders": dict(self.stats)})

