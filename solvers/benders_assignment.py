"""Benders decomposition on assignment columns: the planning model's capacitated mode.

A capacitated model holds, besides the site and function decisions, continuous
*assignment* columns ``w_j >= 0`` (people of one demand row served by one facility) that sit
only in rows of this shape::

    sum_j A_ij w_j                 in [lo_i, hi_i]      (served within demand: no master column)
    sum_j A_ij w_j + c_i m_i       in [lo_i, hi_i]      (capacity: one master column, the area)

Such columns are *projected out*: the master is every other column and every row without an
assignment, plus one ``theta_b`` per block ``b`` (a connected component of the assignments
through their rows: at least one per function). For a master point ``m*`` the subproblem is
the linear program over the assignments with the master's columns fixed, one per block
(solved in groups of blocks, one HiGHS each); its duals ``y`` give, by weak duality, for every
master point::

    theta_b <= sum_i (y_i^+ hi_i + y_i^- lo_i - y_i c_i m_i) + sum_j r_j^+ U_j(m),   r = c - A^T y

where ``U_j(m)`` is the assignment's upper bound. It is read from the matrix, with no
planning import: ``w_j <= hi_i / A_ij`` from a row of assignments only (a demand row), and
``w_j <= (-c_i / A_ij) m_i`` from a capacity row whose master column is either a binary
``x`` or an area held by a two-column size row ``m - U x <= 0``; so ``w_j <= g_j x_p`` with
``g_j = min(d_j, k_p U_p)``, valid for every integer plan (``x = 0`` leaves no area). With
``x*`` fixed these strong bounds (``w <= people x``: all 82,813 of them in the four-function
demo) are only column bounds of the subproblem, so the master LP converges to the
relaxation *with* every strong row, which the compact model cannot solve in time (106.88
on the four-function demo, ``docs/solvers.md``). The master also holds each demand row's
served value ``v_r <= sum_p g_rp x_p`` with ``theta_b <= sum_r v_r`` (:data:`SERVED_IN_MASTER`):
the strong bounds summed per row, so the master knows coverage before the first cut.

Requirements: each row with an assignment has at most one master column, and ``w = 0``
fits it for every master point within the master's column bounds (so every subproblem is
feasible and only optimality cuts are needed); every assignment has a finite upper bound
``U_j``. Columns that do not fit stay in the master with their rows (and so do the
assignments that share a row with them): the decomposition is then partial, never wrong.

The solve is that of :mod:`solvers.benders_projection` (its :class:`~solvers.benders_projection.RunClock`,
LP phase with in-out cuts, loose cuts dropped, dive, reduced-cost fixing, master MIP rounds
that cut every plan HiGHS meets): each master plan is completed by the subproblem (which
gives the full ``w``), checked against every row of the original problem and valued from its
own columns; the bound reported is the master's, and "optimal" only when it meets a plan.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from solvers.base import Backend
from solvers.benders_projection import _Run as ProjectionRun
from solvers.highs import HighsBackend
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import SolveResult, SolverOptions

logger = logging.getLogger(__name__)

__all__ = ["ProjectedAssignments", "project_assignments", "solve_assignments"]

#: A cut is added when ``theta_b`` exceeds its subproblem's value by more than this share of the
#: total weight the assignments can reach.
CUT_REL_TOL = 1e-9

#: Subproblem duals smaller than this are taken as 0 (their rows' bounds are then not needed).
DUAL_TOL = 1e-12

#: Numerical tolerance on the subproblem's bounds: a bound ``g x*`` below this is 0.
BOUND_TOL = 1e-9

#: The LP phase stops when its bound gained less than this share over the last
#: :data:`LP_STALL_ROUNDS` rounds (Kelley's tail: the integer phase makes better use of the time).
LP_STALL_REL = 2e-3
#: See :data:`LP_STALL_REL`.
LP_STALL_ROUNDS = 5

#: The master holds, per demand row (a row of assignments only), the served value ``v_r <= sum_p g_rp x_p``
#: (and at most the row's people), and ``theta_b <= sum of its v_r``: the strong bounds summed per row,
#: exact where capacity does not bind, so the master knows coverage before any cut.
SERVED_IN_MASTER = True

#: The assignment LP's blocks are solved in groups of at least this many columns (one HiGHS each;
#: a group whose master columns did not change is not solved again).
GROUP_COLUMNS = 2000

#: The LP phase stops after this many rounds whatever the gap.
LP_MAX_ROUNDS = 200


@dataclass(frozen=True)
class ProjectedAssignments:
    """A problem with its assignment columns projected out: the master, and what the subproblem needs.

    Attributes
    ----------
    problem
        The original problem.
    master
        The kept columns (in their original order) then one ``theta`` per block; the rows
        without an assignment.
    kept_columns
        Original index of each of the master's first columns.
    w_columns
        Original index of each assignment column.
    sub_rows
        Original index of each row with an assignment (the subproblem's rows).
    a_w, a_m
        The subproblem's rows on the assignments (CSR) and on the kept master columns (CSR).
    cost
        ``sign * c`` of each assignment: what the subproblem maximises.
    link
        The master column (index among the kept columns) bounding each assignment,
        ``w_j <= gain_j * m[link_j]``; -1 when its bound is the constant ``gain_j``.
    gain
        See :attr:`link`; finite.
    block_of
        The block (``theta``) of each assignment.
    n_theta
        Number of blocks.
    """

    problem: MatrixProblem
    master: MatrixProblem
    kept_columns: np.ndarray
    w_columns: np.ndarray
    sub_rows: np.ndarray
    a_w: sp.csr_matrix
    a_m: sp.csr_matrix
    cost: np.ndarray
    link: np.ndarray
    gain: np.ndarray
    block_of: np.ndarray
    n_theta: int
    sign: float
    row_block: np.ndarray = field(repr=False)
    served_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64), repr=False)
    n_served: int = 0

    @property
    def n_kept(self) -> int:
        """Number of master columns before the ``theta``: the kept columns, then the served values ``v``."""
        return int(self.kept_columns.size) + self.n_served

    def upper(self, kept: np.ndarray) -> np.ndarray:
        """Each assignment's upper bound at master point ``kept``: ``gain * m[link]`` (or ``gain``)."""
        linked = self.link >= 0
        u = self.gain.copy()
        u[linked] *= np.clip(kept[self.link[linked]], 0.0, None)
        u[u < BOUND_TOL] = 0.0
        return u

    def master_point(self, values: np.ndarray) -> np.ndarray:
        """The master's point of a full solution: its kept columns, served values and each block's value."""
        w = values[self.w_columns]
        theta = np.bincount(self.block_of, weights=self.cost * w, minlength=self.n_theta)
        on = self.served_of >= 0
        served = np.bincount(self.served_of[on], weights=np.maximum(self.cost[on], 0.0) * w[on],
                             minlength=self.n_served)
        return np.concatenate([values[self.kept_columns], served, theta])


def _master_side_safe(problem: MatrixProblem, rows: np.ndarray, master_col: np.ndarray,
                      master_coef: np.ndarray) -> np.ndarray:
    """Rows where ``w = 0`` fits for every value of their (one or no) master column within its bounds."""
    lo, hi = problem.row_lower[rows], problem.row_upper[rows]
    has = master_col >= 0
    col = np.where(has, master_col, 0)
    lo_m, hi_m = problem.col_lower[col], problem.col_upper[col]
    with np.errstate(invalid="ignore"):
        ends = np.stack([master_coef * lo_m, master_coef * hi_m])
    ends = np.where(np.isnan(ends), 0.0, ends)  # 0 * inf: a zero coefficient
    least = np.where(has, ends.min(axis=0), 0.0)
    most = np.where(has, ends.max(axis=0), 0.0)
    return (least >= lo - 1e-12) & (most <= hi + 1e-12)


def _row_shape(problem: MatrixProblem, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: assignments in it, master columns in it, its master column (-1: none or many) and coefficient."""
    a = problem.matrix
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    is_w = cand[a.indices]
    n_w = np.bincount(row_of[is_w], minlength=a.shape[0])
    n_m = np.bincount(row_of[~is_w], minlength=a.shape[0])
    master_col = np.full(a.shape[0], -1, dtype=np.int64)
    master_coef = np.zeros(a.shape[0])
    one = n_m[row_of] == 1
    master_col[row_of[~is_w & one]] = a.indices[~is_w & one]
    master_coef[row_of[~is_w & one]] = a.data[~is_w & one]
    return n_w, n_m, master_col, master_coef


def _bounds(problem: MatrixProblem, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's derived bound ``w_j <= gain_j * x[link_j]`` (``link = -1``: ``w_j <= gain_j``).

    From rows whose assignments all have nonnegative coefficients and a finite upper side:
    ``w_j <= (hi - c m) / A_ij``; with ``hi = 0`` and ``c < 0``, a binary ``m`` (or an area ``m``
    held by a size row ``m - U x <= 0``, ``x`` binary) links ``w_j`` to that binary.
    """
    a = problem.matrix
    n = problem.n_cols
    n_w, n_m, master_col, master_coef = _row_shape(problem, cand)
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    is_w = cand[a.indices]
    neg_w = np.bincount(row_of[is_w & (a.data < 0)], minlength=a.shape[0])
    hi = problem.row_upper
    usable = (n_w > 0) & (n_m <= 1) & (neg_w == 0) & np.isfinite(hi)
    binary = problem.integrality & (problem.col_lower == 0) & (problem.col_upper == 1)
    # size rows m - U x <= 0: m continuous >= 0, x binary
    two = (np.diff(a.indptr) == 2) & (hi == 0)
    size_of = np.full(n, -1, dtype=np.int64)
    size_fac = np.full(n, np.inf)
    for r in np.flatnonzero(two):
        lo_, hi_ = a.indptr[r], a.indptr[r + 1]
        (c1, c2), (v1, v2) = a.indices[lo_:hi_], a.data[lo_:hi_]
        for m_, vm, x_, vx in ((c1, v1, c2, v2), (c2, v2, c1, v1)):
            if vm > 0 and vx < 0 and binary[x_] and not problem.integrality[m_] and problem.col_lower[m_] >= 0:
                fac = -vx / vm
                if fac < size_fac[m_]:
                    size_of[m_], size_fac[m_] = x_, fac
    constant = np.where(cand, problem.col_upper, np.inf)
    gain = np.full(n, np.inf)
    link = np.full(n, -1, dtype=np.int64)
    entries = np.flatnonzero(is_w & usable[row_of] & (a.data > 0))
    rows, cols, vals = row_of[entries], a.indices[entries], a.data[entries]
    mcol, mcoef = master_col[rows], master_coef[rows]
    has = mcol >= 0
    mc = np.where(has, mcol, 0)
    # constant bounds: the master column at its most generous bound
    with np.errstate(invalid="ignore"):
        most = np.where(has, np.maximum(-mcoef * problem.col_lower[mc], -mcoef * problem.col_upper[mc]), 0.0)
    most = np.where(np.isnan(most), 0.0, most)
    np.minimum.at(constant, cols, (hi[rows] + most) / vals)
    # linked bounds
    lk = has & (hi[rows] == 0) & (mcoef < 0)
    direct = lk & binary[mc]
    via_size = lk & ~binary[mc] & (size_of[mc] >= 0)
    cand_link = np.where(direct, mc, np.where(via_size, size_of[mc], -1))
    with np.errstate(invalid="ignore"):
        cand_gain = np.where(direct, -mcoef / vals, np.where(via_size, -mcoef * size_fac[mc] / vals, np.inf))
    order = np.lexsort((cand_gain, cols))
    cols_o, link_o, gain_o = cols[order], cand_link[order], cand_gain[order]
    first = np.ones(cols_o.size, dtype=bool)
    first[1:] = cols_o[1:] != cols_o[:-1]
    ok = first & (link_o >= 0)
    link[cols_o[ok]] = link_o[ok]
    gain[cols_o[ok]] = gain_o[ok]
    gain = np.minimum(gain, constant)
    return np.where(link >= 0, gain, constant), link


def project_assignments(problem: MatrixProblem) -> ProjectedAssignments | str:
    """Project the assignment columns of ``problem`` out, or say why none can be.

    Returns
    -------
    ProjectedAssignments or str
        The projection, or a reason in plain words when no assignment column fits.
    """
    a = problem.matrix
    cand = ~problem.integrality & (problem.col_lower == 0)
    if not cand.any():
        return "it has no continuous columns from 0 to project out"
    if a.nnz == 0:
        return "it has no rows"
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    gain = link = np.zeros(0)
    while True:
        n_w, n_m, master_col, master_coef = _row_shape(problem, cand)
        rows = np.arange(a.shape[0])
        safe = _master_side_safe(problem, rows, master_col, master_coef)
        bad = (n_w > 0) & ((n_m > 1) | ~safe)
        drop = np.zeros(problem.n_cols, dtype=bool)
        drop[a.indices[bad[row_of]]] = True
        drop &= cand
        if not drop.any():
            gain, link = _bounds(problem, cand)
            drop = cand & ~np.isfinite(gain)
            if not drop.any():
                break
        cand &= ~drop
    if not cand.any():
        return "no continuous column sits only in rows with at most one other column that it can always leave at 0"
    n_w, n_m, master_col, _ = _row_shape(problem, cand)
    sub_rows = np.flatnonzero(n_w > 0)
    if not (n_m[sub_rows] == 1).any():
        return "no row joins a continuous column to the rest of the model"
    w_columns = np.flatnonzero(cand)
    kept_columns = np.flatnonzero(~cand)
    kept_index = np.full(problem.n_cols, -1, dtype=np.int64)
    kept_index[kept_columns] = np.arange(kept_columns.size)
    w_index = np.full(problem.n_cols, -1, dtype=np.int64)
    w_index[w_columns] = np.arange(w_columns.size)
    sub = a[sub_rows]
    a_w = sp.csr_matrix(sub[:, w_columns])
    a_m = sp.csr_matrix(sub[:, kept_columns])
    # blocks: connected components of assignments through their rows
    nw = w_columns.size
    coo = a_w.tocoo()
    graph = sp.csr_matrix((np.ones(coo.nnz), (coo.col, nw + coo.row)), shape=(nw + sub_rows.size,) * 2)
    _, label = connected_components(graph, directed=False)
    w_label = label[:nw]
    _, block_of = np.unique(w_label, return_inverse=True)
    block_of = block_of.ravel().astype(np.int64)
    n_theta = int(block_of.max(initial=-1)) + 1
    row_block = np.full(sub_rows.size, -1, dtype=np.int64)
    row_block[coo.row] = block_of[coo.col]
    sign = 1.0 if problem.sense is Sense.MAXIMIZE else -1.0
    cost = sign * problem.objective[w_columns]
    w_link = np.where(link[w_columns] >= 0, kept_index[np.maximum(link[w_columns], 0)], -1)
    kept_rows = np.ones(problem.n_rows, dtype=bool)
    kept_rows[sub_rows] = False
    most = gain[w_columns].copy()
    linked = w_link >= 0
    most[linked] *= np.maximum(problem.col_upper[kept_columns][w_link[linked]], 0.0)
    theta_upper = np.bincount(block_of, weights=np.maximum(cost, 0.0) * most, minlength=n_theta)
    n_k = kept_columns.size
    served = _served(problem, sub_rows, n_m[sub_rows], a_w, cost, w_link, gain[w_columns], block_of, n_theta, n_k) \
        if SERVED_IN_MASTER else None
    served_of, n_served = (served[0], served[1]) if served is not None else (np.full(nw, -1, dtype=np.int64), 0)
    n_kept_rows = int(kept_rows.sum())
    blocks = [sp.hstack([a[kept_rows][:, kept_columns], sp.csr_matrix((n_kept_rows, n_served + n_theta))],
                        format="csr")]
    row_lower, row_upper = [problem.row_lower[kept_rows]], [problem.row_upper[kept_rows]]
    v_upper = np.zeros(n_served)
    if served is not None:
        blocks.append(served[2])
        row_lower.append(np.full(served[2].shape[0], -np.inf))
        row_upper.append(served[3])
        v_upper = served[4]
    master = MatrixProblem(
        objective=np.concatenate([problem.objective[kept_columns], np.zeros(n_served), np.full(n_theta, sign)]),
        matrix=sp.vstack(blocks, format="csr"),
        row_lower=np.concatenate(row_lower), row_upper=np.concatenate(row_upper),
        col_lower=np.concatenate([problem.col_lower[kept_columns], np.zeros(n_served + n_theta)]),
        col_upper=np.concatenate([problem.col_upper[kept_columns], v_upper, theta_upper]),
        integrality=np.concatenate([problem.integrality[kept_columns], np.zeros(n_served + n_theta, dtype=bool)]),
        sense=problem.sense, objective_offset=problem.objective_offset, name=f"{problem.name}-master")
    if n_served:
        a_m = sp.hstack([a_m, sp.csr_matrix((a_m.shape[0], n_served))], format="csr")
    return ProjectedAssignments(
        problem=problem, master=master, kept_columns=kept_columns, w_columns=w_columns, sub_rows=sub_rows,
        a_w=a_w, a_m=a_m, cost=cost, link=w_link, gain=gain[w_columns], block_of=block_of, n_theta=n_theta,
        sign=sign, row_block=row_block, served_of=served_of, n_served=n_served)


def _served(problem: MatrixProblem, sub_rows: np.ndarray, n_master: np.ndarray, a_w: sp.csr_matrix,
            cost: np.ndarray, link: np.ndarray, gain: np.ndarray, block_of: np.ndarray, n_theta: int,
            n_k: int) -> tuple[np.ndarray, int, sp.csr_matrix, np.ndarray, np.ndarray] | None:
    """The served value ``v_r`` of each demand row in the master (:data:`SERVED_IN_MASTER`).

    A demand row: assignments only, all with positive coefficients, a finite upper side.
    Each assignment counts in one of its demand rows; with ``c+ = max(c, 0)``::

        v_r - sum_{j in r, linked} c+_j g_j x[link_j] <= sum_{j in r, not linked} c+_j g_j
        theta_b - sum_{r in b} v_r <= 0          (blocks whose every assignment is in some v_r)
        0 <= v_r <= hi_r max_{j in r} c+_j / A_rj

    valid for every plan (``w_j <= g_j x``, the row's own limit), and
    ``theta_b = sum c w <= sum_r v_r``. Returns ``(v of each assignment (-1: none), number of v,
    rows over [kept | v | theta], their upper sides, v's upper bounds)``, or ``None`` when no row fits.
    """
    hi = problem.row_upper[sub_rows]
    coo = a_w.tocoo()
    neg = np.bincount(coo.row[coo.data <= 0], minlength=sub_rows.size)
    demand = (n_master == 0) & np.isfinite(hi) & (neg == 0) & (np.diff(a_w.indptr) > 0)
    entries = np.flatnonzero(demand[coo.row])
    if entries.size == 0:
        return None
    order = entries[np.lexsort((coo.row[entries], coo.col[entries]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = coo.col[order][1:] != coo.col[order][:-1]
    pick = order[first]
    nw = cost.size
    row_of_w = np.full(nw, -1, dtype=np.int64)
    row_of_w[coo.col[pick]] = coo.row[pick]
    coef_of_w = np.zeros(nw)
    coef_of_w[coo.col[pick]] = coo.data[pick]
    used, served_of_rows = np.unique(row_of_w[row_of_w >= 0], return_inverse=True)
    n_served = used.size
    served_of = np.full(nw, -1, dtype=np.int64)
    served_of[row_of_w >= 0] = served_of_rows.ravel()
    on = served_of >= 0
    cpos = np.maximum(cost, 0.0)
    ratio = np.zeros(n_served)
    np.maximum.at(ratio, served_of[on], cpos[on] / coef_of_w[on])
    v_upper = hi[used] * ratio
    linked = on & (link >= 0)
    unlinked = on & (link < 0)
    width = n_k + n_served + n_theta
    v_rows = sp.csr_matrix((np.concatenate([np.ones(n_served), -(cpos * gain)[linked]]),
                            (np.concatenate([np.arange(n_served), served_of[linked]]),
                             np.concatenate([n_k + np.arange(n_served), link[linked]]))), shape=(n_served, width))
    v_rhs = np.bincount(served_of[unlinked], weights=(cpos * gain)[unlinked], minlength=n_served)
    whole = np.bincount(block_of[~on], minlength=n_theta) == 0
    blocks = np.flatnonzero(whole)
    block_index = np.full(n_theta, -1, dtype=np.int64)
    block_index[blocks] = np.arange(blocks.size)
    v_block = np.full(n_served, -1, dtype=np.int64)
    v_block[served_of[on]] = block_of[on]
    v_in = np.flatnonzero(whole[np.maximum(v_block, 0)] & (v_block >= 0))
    t_rows = sp.csr_matrix((np.concatenate([np.ones(blocks.size), -np.ones(v_in.size)]),
                            (np.concatenate([np.arange(blocks.size), block_index[v_block[v_in]]]),
                             np.concatenate([n_k + n_served + blocks, n_k + v_in]))), shape=(blocks.size, width))
    rows = sp.vstack([v_rows, t_rows], format="csr")
    return served_of, n_served, rows, np.concatenate([v_rhs, np.zeros(blocks.size)]), v_upper


class _Group:
    """Some blocks of the assignment LP on one HiGHS, with the master values it was last solved at."""

    def __init__(self, p: ProjectedAssignments, blocks: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.cols = np.flatnonzero(np.isin(p.block_of, blocks))
        self.rows = np.flatnonzero(np.isin(p.row_block, blocks))
        a_w = p.a_w[self.rows][:, self.cols]
        self.a_m = p.a_m[self.rows]
        self.lo, self.hi = lo[self.rows], hi[self.rows]
        link = p.link[self.cols]
        self.support = np.unique(np.concatenate([self.a_m.indices, link[link >= 0]]))
        lp = MatrixProblem(objective=p.cost[self.cols], matrix=a_w, row_lower=self.lo, row_upper=self.hi,
                           col_lower=np.zeros(self.cols.size), col_upper=p.gain[self.cols],
                           integrality=np.zeros(self.cols.size, dtype=bool), sense=Sense.MAXIMIZE,
                           name=f"{p.problem.name}-assignments")
        self.h = HighsBackend._new_highs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(HighsBackend._to_lp(lp))
        self.key: bytes | None = None
        self.w = np.zeros(self.cols.size)
        self.y = np.zeros(self.rows.size)


class Subproblem:
    """The assignment LP, its blocks in groups of at least :data:`GROUP_COLUMNS` columns, one HiGHS each.

    :meth:`solve` returns the assignments, each block's value and each block's cut
    ``theta_b - coef @ kept <= constant`` from the duals (valid for every master point by
    weak duality, whatever the duals; tight at the point when they are optimal). A group
    whose master columns did not change since its last solve is not solved again.
    """

    def __init__(self, p: ProjectedAssignments) -> None:
        self.p = p
        prob = p.problem
        self.lo = prob.row_lower[p.sub_rows]
        self.hi = prob.row_upper[p.sub_rows]
        size = np.bincount(p.block_of, minlength=p.n_theta)
        chunks: list[list[int]] = []
        filling = 0
        for b in np.argsort(-size, kind="stable").tolist():
            if not chunks or filling >= GROUP_COLUMNS:
                chunks.append([])
                filling = 0
            chunks[-1].append(b)
            filling += int(size[b])
        self.groups = [_Group(p, np.asarray(c), self.lo, self.hi) for c in chunks]
        self.a_w_t = p.a_w.T.tocsr()
        self.by_row = sp.csr_matrix((np.ones(p.sub_rows.size), (p.row_block, np.arange(p.sub_rows.size))),
                                    shape=(p.n_theta, p.sub_rows.size))
        self.seconds = 0.0
        self.run_seconds = 0.0
        self.iterations = 0
        self.solves = 0
        self.group_solves = 0

    def _solve_group(self, g: _Group, kept: np.ndarray, upper: np.ndarray) -> bool:
        import highspy

        key = kept[g.support].tobytes()
        if key == g.key:
            return True
        shift = g.a_m @ kept
        n_r, n_c = g.rows.size, g.cols.size
        g.h.changeRowsBounds(n_r, np.arange(n_r, dtype=np.int32), g.lo - shift, g.hi - shift)
        g.h.changeColsBounds(n_c, np.arange(n_c, dtype=np.int32), np.zeros(n_c), upper[g.cols])
        t_run = time.perf_counter()
        g.h.run()
        self.run_seconds += time.perf_counter() - t_run
        self.iterations += int(g.h.getInfo().simplex_iteration_count)
        self.group_solves += 1
        if g.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            logger.warning("benders (assignments): the subproblem ended %s",
                           g.h.modelStatusToString(g.h.getModelStatus()))
            g.key = None
            return False
        sol = g.h.getSolution()
        g.w = np.clip(np.asarray(sol.col_value), 0.0, upper[g.cols])
        g.y = np.asarray(sol.row_dual).copy()
        g.key = key
        return True

    def solve(self, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix, np.ndarray] | None:
        """Assignments, block values, cut coefficients (blocks x kept) and constants at master point ``kept``."""
        t0 = time.perf_counter()
        p = self.p
        kept = np.clip(kept, p.master.col_lower[: p.n_kept], p.master.col_upper[: p.n_kept])  # LP tolerances
        upper = p.upper(kept)
        self.solves += 1
        w = np.zeros(p.cost.size)
        y = np.zeros(p.sub_rows.size)
        for g in self.groups:
            if not self._solve_group(g, kept, upper):
                self.seconds += time.perf_counter() - t0
                return None
            w[g.cols] = g.w
            y[g.rows] = g.y
        value = np.bincount(p.block_of, weights=p.cost * w, minlength=p.n_theta)
        coef, constant = self.cut(y)
        # HiGHS's duals of this maximisation are positive on binding upper sides (the cut of y), but the cut of
        # -y is valid too and now and then tighter at the point (2 of 149 solves in the capacitated tests): the
        # tighter of the two is kept per block
        coef_neg, constant_neg = self.cut(-y)
        neg = constant_neg + coef_neg @ kept < constant + coef @ kept
        if neg.any():
            pick = sp.diags(neg.astype(np.float64))
            coef = sp.csr_matrix(pick @ coef_neg + sp.diags((~neg).astype(np.float64)) @ coef)
            constant = np.where(neg, constant_neg, constant)
        self.seconds += time.perf_counter() - t0
        return w, value, coef, constant

    def cut(self, y: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        """The cut of dual ``y`` for each block: coefficients on the kept columns and a constant."""
        p = self.p
        y = np.where(np.abs(y) < DUAL_TOL, 0.0, y)
        y = np.where((y > 0) & ~np.isfinite(self.hi), 0.0, y)
        y = np.where((y < 0) & ~np.isfinite(self.lo), 0.0, y)
        r = p.cost - self.a_w_t @ y
        side = np.where(y > 0, np.where(np.isfinite(self.hi), self.hi, 0.0),
                        np.where(np.isfinite(self.lo), self.lo, 0.0))
        constant = self.by_row @ (y * side)
        coef = -(sp.csr_matrix(self.by_row.multiply(y[None, :])) @ p.a_m)
        rp = np.maximum(r, 0.0) * p.gain
        linked = p.link >= 0
        constant = constant + np.bincount(p.block_of[~linked], weights=rp[~linked], minlength=p.n_theta)
        link_part = sp.csr_matrix((rp[linked], (p.block_of[linked], p.link[linked])), shape=(p.n_theta, p.n_kept))
        coef = sp.csr_matrix(coef + link_part)
        coef.eliminate_zeros()
        return coef, constant


class _Run(ProjectionRun):
    """One solve of a problem with its assignments projected out (the rounds of :mod:`solvers.benders_projection`)."""

    def __init__(self, backend: Backend, projection: ProjectedAssignments, options: SolverOptions) -> None:
        self.backend = backend
        self.p = projection  # type: ignore[assignment]  # the rounds read master, n_kept, n_theta, master_point
        self.assign = projection
        self.problem = projection.problem
        self.options = options
        self.sign = projection.sign
        self.best_value = -np.inf
        self.best_values: np.ndarray | None = None
        self.bound = np.inf
        self.total_base = float(projection.master.col_upper[projection.n_kept:].sum())
        self.tol = CUT_REL_TOL * max(1.0, self.total_base)
        self.stats: dict[str, Any] = {"decomposition": "assignments", "theta": projection.n_theta,
                                     "projected": int(projection.w_columns.size),
                                     "sub_rows": int(projection.sub_rows.size),
                                     "master_rows": projection.master.n_rows, "lp_rounds": 0,
                                     "restricted_rounds": 0, "mip_rounds": 0, "cuts": 0, "fixed": 0,
                                     "lp_bounds": [], "mip_bounds": []}
        self.stopped = threading.Event()
        self.highs: Any = None
        self.log: list[str] = []
        self.seen: list[np.ndarray] = []
        self.progress = ProgressReporter(options, backend.name, self.problem.sense)
        self.infeasible = False
        self.mip = False
        self.sub = Subproblem(projection)
        self._cache: tuple[bytes, Any] | None = None

    def tighten_bound(self, master_bound: float) -> None:
        """Take a proven bound of the master; remember it per round (``lp_bounds``, ``mip_bounds``)."""
        self.stats["mip_bounds" if self.mip else "lp_bounds"].append(round(float(master_bound), 6))
        super().tighten_bound(master_bound)

    def lp_phase(self, h: Any) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Cuts at the master LP's optimum and halfway to the best plan until none is added or the bound stalls.

        Returns the last LP's ``(value, point, reduced costs)``, or ``None`` when none was solved.
        """
        import highspy

        n_master = self.p.master.n_cols
        core = None if self.best_values is None else self.p.master_point(self.best_values)
        if core is not None:
            self.add_cuts(h, core, with_theta=False)
        last = None
        bounds: list[float] = []
        for _ in range(LP_MAX_ROUNDS):
            if self.out_of_time():
                break
            t_lp = time.perf_counter()
            self._run(h)
            self.stats["master_lp_seconds"] = round(self.stats.get("master_lp_seconds", 0.0)
                                                    + time.perf_counter() - t_lp, 3)
            self.stats.setdefault("master_lp_iterations", []).append(int(h.getInfo().simplex_iteration_count))
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                self.infeasible = True
                return None
            if status != highspy.HighsModelStatus.kOptimal:
                break
            self.stats["lp_rounds"] += 1
            solution = h.getSolution()
            point = np.asarray(solution.col_value)[:n_master].copy()
            z = float(h.getInfo().objective_function_value)
            self.tighten_bound(z)
            bounds.append(self.sign * z)
            last = (z, point, np.asarray(solution.col_dual)[:n_master].copy())
            if len(bounds) > LP_STALL_ROUNDS and \
                    bounds[-LP_STALL_ROUNDS - 1] - bounds[-1] < LP_STALL_REL * max(1.0, abs(bounds[-1])):
                self.stats["lp_stalled"] = True
                break
            added = self.add_cuts(h, point)
            if core is not None:
                between = 0.5 * (point + core)
                added += self.add_cuts(h, between)
                core = between
            if added == 0:
                break
        return last

    def _sub(self, kept: np.ndarray) -> Any:
        key = kept.tobytes()
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        out = self.sub.solve(kept)
        self._cache = (key, out)
        self.stats["sub_seconds"] = round(self.sub.seconds, 3)
        self.stats["sub_solves"] = self.sub.solves
        self.stats["sub_lp_seconds"] = round(self.sub.run_seconds, 3)
        self.stats["sub_iterations"] = self.sub.iterations
        self.stats["sub_group_solves"] = self.sub.group_solves
        return out

    def offer(self, master_values: np.ndarray) -> None:
        """Complete a master plan by the subproblem, check it against the original problem, keep it when better."""
        p = self.assign
        kept = np.asarray(master_values[: p.n_kept], dtype=np.float64).copy()
        ints = p.master.integrality[: p.n_kept]
        kept[ints] = np.round(kept[ints])
        kept = np.clip(kept, p.master.col_lower[: p.n_kept], p.master.col_upper[: p.n_kept])
        out = self._sub(kept)
        if out is None:
            return
        values = np.zeros(self.problem.n_cols)
        values[p.kept_columns] = kept[: p.kept_columns.size]
        values[p.w_columns] = out[0]
        self.keep_if_better(values)

    def add_cuts(self, h: Any, point: np.ndarray, with_theta: bool = True) -> int:
        """Cuts at a master point for the blocks whose ``theta`` overstates its subproblem (all without ``theta``)."""
        import highspy

        p = self.assign
        kept = np.asarray(point[: p.n_kept], dtype=np.float64)
        out = self._sub(kept)
        if out is None:
            return 0
        _, value, coef, constant = out
        which = np.arange(p.n_theta) if not with_theta else \
            np.flatnonzero(point[p.n_kept:] > value + self.tol)
        n = which.size
        if n == 0:
            return 0
        rows = sp.hstack([-coef[which], sp.csr_matrix((np.ones(n), (np.arange(n), which)), shape=(n, p.n_theta))],
                         format="csr")
        h.addRows(n, np.full(n, -highspy.kHighsInf), constant[which], rows.nnz, rows.indptr[:-1].astype(np.int32),
                  rows.indices.astype(np.int32), rows.data)
        self.stats["cuts"] += n
        return n


def solve_assignments(backend: Backend, projection: ProjectedAssignments, options: SolverOptions) -> SolveResult:
    """Solve a problem with its assignments projected out by Benders in rounds, on HiGHS."""
    return _Run(backend, projection, options).solve()
