"""Benders decomposition of a model with coverage columns: the planning model's coverage mode.

The planning model (``optimizer/model``) holds, besides the site and function decisions,
one coverage column ``y_i`` in [0, 1] per demand row (merged demand units of one
function), held down by its covering row::

    y_i - sum_{p in N(i)} x_p <= 0          (x_p binary: function provided at a site that reaches i)

and otherwise only in the objective and in rows that a larger ``y_i`` can never break:
rule 7's "at least this share of the circle's people" (``>=`` rows with a positive
coefficient), a worst-share row (``t - share <= 0``), a partial-cover target. Such a
column is *projected out*: columns with the same other rows, and coefficients
proportional to one positive base ``b_i`` (its objective coefficient, else its largest
coefficient), are summed into one ``theta_g = sum_{i in g} b_i y_i`` that takes their place
in those rows and in the objective. The master is the whole model (budget, space, sharing,
rule 6's "not built separately", money, complexes, forced decisions: every other row and
column) with the covering rows and the projected columns replaced by the ``theta``; the
demand rows enter it only through optimality cuts, exactly as in the plain case of
:mod:`solvers.benders` (Cordeau, Furini and Ljubić 2019)::

    theta_g <= sum_{i in g, covered at x*} b_i + sum_{i in g, not covered at x*} b_i sum_{p in N(i)} x_p

valid for every ``x`` in [0, 1] (``min(1, s) <= 1`` and ``<= s``) and tight at ``x*``.

Why a master plan is a plan of the whole model: from its ``x``, set ``y_i = min(1, s_i(x))``;
every covering row holds, and every other row a projected column sits in only gains from
the larger ``y`` (the ``theta`` of a plan whose cuts hold are at most its coverage). So each
plan the master finds is completed, checked against every row of the original problem and
valued from its own ``y``. The master with any set of these cuts is a relaxation of the
original problem, so its LP and MIP bounds are proven bounds; the run is called optimal only
when the master's bound meets a plan's recomputed value.

Columns that do not fit (a ``y`` in a row it could break, or one that is itself a site of
another row) stay in the master with their covering rows: the decomposition is then
partial, never wrong.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from solvers.base import Backend, Watchdog, build_result
from solvers.highs import MIP_ABS_GAP, HighsBackend
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import PROOF_ABS_TOL, PROOF_REL_TOL, SolveResult, SolverOptions, Termination

logger = logging.getLogger(__name__)

__all__ = ["ProjectedCoverage", "project_coverage", "solve_projected"]

#: A demand row counts as covered at a master point when its sites sum to at least ``1 - COVER_TOL``.
COVER_TOL = 1e-9

#: A cut is added when ``theta_g`` exceeds its coverage by more than this share of the total base weight.
CUT_REL_TOL = 1e-11

#: A completed plan is kept when no row, bound or integrality of the original problem is broken by more.
FEASIBILITY_TOL = 1e-6

#: The LP phase stops when its bound and the best LP point's completed value are this close, relatively.
LP_REL_TOL = 1e-6

#: The LP phase stops after this many rounds whatever the gap.
LP_MAX_ROUNDS = 100

#: Before the integer phase, cuts whose slack at the LP optimum exceeds this share of its value are dropped.
CUT_SLACK_REL = 1e-3

#: The dive (the master MIP on the columns the LP uses) gets at most this share of what is left of
#: a time limit (at least ``DIVE_MIN_S``); without a limit it runs to its end.
DIVE_SHARE = 0.25
#: See :data:`DIVE_SHARE`.
DIVE_MIN_S = 1.0

#: Relative rounding of a projected column's normalised coefficients when columns are grouped.
SIGNATURE_DIGITS = 12


@dataclass(frozen=True)
class ProjectedCoverage:
    """A problem with its coverage columns projected out: the master, and what the cuts need.

    Attributes
    ----------
    problem
        The original problem.
    master
        The master: the kept columns (in their original order) then one ``theta`` per group;
        every row but the projected covering rows, ``theta`` in place of the projected columns.
    kept_columns
        Original index of each of the master's first columns.
    y_columns
        Original index of each projected coverage column.
    reach
        Projected columns x master columns, 0/1 CSR: master column ``p`` is a site of row ``i``.
    base
        ``b_i`` of each projected column (0: a column in no other row and not in the objective).
    theta_of
        The ``theta`` (0-based, after :attr:`n_kept`) each projected column is summed into; -1 for ``b_i = 0``.
    n_theta
        Number of ``theta`` columns.
    """

    problem: MatrixProblem
    master: MatrixProblem
    kept_columns: np.ndarray
    y_columns: np.ndarray
    reach: sp.csr_matrix
    base: np.ndarray
    theta_of: np.ndarray
    n_theta: int

    @property
    def n_kept(self) -> int:
        """Number of kept (non-``theta``) master columns."""
        return int(self.kept_columns.size)

    def complete(self, master_values: np.ndarray) -> np.ndarray:
        """The original problem's full solution of a master plan: ``y_i = min(1, s_i(x))``."""
        kept = np.asarray(master_values[: self.n_kept], dtype=np.float64)
        values = np.zeros(self.problem.n_cols)
        values[self.kept_columns] = kept
        values[self.y_columns] = np.minimum(self.reach @ kept, 1.0)
        return values

    def theta_value(self, kept: np.ndarray) -> np.ndarray:
        """Each ``theta`` at its largest for a master point: ``sum b_i min(1, s_i(x))``."""
        s = self.reach @ np.asarray(kept[: self.n_kept], dtype=np.float64)
        on = self.theta_of >= 0
        return np.bincount(self.theta_of[on], weights=self.base[on] * np.minimum(s[on], 1.0),
                           minlength=self.n_theta)

    def master_point(self, values: np.ndarray) -> np.ndarray:
        """The master point of a full solution of the original problem (its ``theta`` at their largest)."""
        kept = np.asarray(values, dtype=np.float64)[self.kept_columns]
        return np.concatenate([kept, self.theta_value(kept)])


def _covering_rows(problem: MatrixProblem) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``y - sum x <= 0`` (one +1 on a [0, 1] column, every other entry -1 on a binary): ``(rows, y column)``."""
    a = problem.matrix
    binary = problem.integrality & (problem.col_lower == 0) & (problem.col_upper == 1)
    unit = (problem.col_lower == 0) & (problem.col_upper == 1)
    shape_ok = (problem.row_upper == 0) & np.isneginf(problem.row_lower)
    row_of = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    plus = (a.data == 1) & unit[a.indices]
    minus = (a.data == -1) & binary[a.indices]
    n_plus = np.bincount(row_of[plus], minlength=a.shape[0])
    n_bad = np.bincount(row_of[~(plus | minus)], minlength=a.shape[0])
    rows_ok = shape_ok & (n_plus == 1) & (n_bad == 0)
    # a row with one +1 and -1s elsewhere, where that +1 column is binary too, is still read with the +1 as y
    entries = np.flatnonzero(plus & rows_ok[row_of])
    rows = row_of[entries]
    return rows, a.indices[entries]


def project_coverage(problem: MatrixProblem, *, split: int | None = None) -> ProjectedCoverage | str:
    """Project the coverage columns of ``problem`` out into ``theta`` columns, or say why none can be.

    Parameters
    ----------
    problem
        Any mixed-integer problem.
    split
        Each group of same-signature columns is split further by the middle site of each
        column's row, modulo this (``None``: one ``theta`` per site and signature, the
        disaggregated cuts that proved the plain case fastest).

    Returns
    -------
    ProjectedCoverage or str
        The projection, or a reason in plain words when no coverage column can be projected.
    """
    rows, ys = _covering_rows(problem)
    if rows.size == 0:
        return "it has no covering rows 'coverage <= sites reaching it'"
    a_csc = problem.matrix.tocsc()
    a_csr = problem.matrix
    # a column used as a site somewhere is never projected; nor one that is y of two rows
    site_cols = np.unique(a_csr[rows].indices[a_csr[rows].data == -1])
    once = np.bincount(ys, minlength=problem.n_cols)
    ok = (once[ys] == 1) & ~np.isin(ys, site_cols)
    rows, ys = rows[ok], ys[ok]
    sign = 1.0 if problem.sense is Sense.MAXIMIZE else -1.0
    c = problem.objective
    keep_y: list[int] = []
    keep_row: list[int] = []
    base_list: list[float] = []
    keys: list[tuple[bytes, bytes] | None] = []
    for r, j in zip(rows.tolist(), ys.tolist(), strict=True):
        lo, hi = a_csc.indptr[j], a_csc.indptr[j + 1]
        other_rows = a_csc.indices[lo:hi]
        coefs = a_csc.data[lo:hi]
        mask = other_rows != r
        other_rows, coefs = other_rows[mask], coefs[mask]
        if sign * c[j] < 0:
            continue  # a larger y would make the objective worse
        if ((coefs > 0) & np.isfinite(problem.row_upper[other_rows])).any() or \
                ((coefs < 0) & np.isfinite(problem.row_lower[other_rows])).any():
            continue  # a larger y could break this row
        b = abs(float(c[j])) if c[j] != 0 else float(np.abs(coefs).max(initial=0.0))
        keep_y.append(j)
        keep_row.append(r)
        base_list.append(b)
        if b == 0:
            keys.append(None)
        else:
            order = np.argsort(other_rows)
            norm = np.round(np.concatenate([[c[j]], coefs[order]]) / b, SIGNATURE_DIGITS)
            keys.append((other_rows[order].tobytes(), norm.tobytes()))
    if not keep_y:
        return "no coverage column sits only in rows that a larger coverage cannot break"
    y_columns = np.asarray(keep_y, dtype=np.int64)
    cover_rows = np.asarray(keep_row, dtype=np.int64)
    base = np.asarray(base_list)
    kept_mask = np.ones(problem.n_cols, dtype=bool)
    kept_mask[y_columns] = False
    kept_columns = np.flatnonzero(kept_mask)
    master_index = np.full(problem.n_cols, -1, dtype=np.int64)
    master_index[kept_columns] = np.arange(kept_columns.size)
    cover = a_csr[cover_rows].tocoo()
    sites = cover.data == -1
    reach = sp.csr_matrix((np.ones(int(sites.sum())), (cover.row[sites], master_index[cover.col[sites]])),
                          shape=(y_columns.size, kept_columns.size))
    # groups: same signature, then split by the middle site of the row
    signature: dict[Any, int] = {}
    sig = np.array([-1 if k is None else signature.setdefault(k, len(signature)) for k in keys], dtype=np.int64)
    count = np.diff(reach.indptr)
    middle = reach.indices[np.minimum(reach.indptr[:-1] + count // 2, max(reach.nnz - 1, 0))] \
        if reach.nnz else np.zeros(y_columns.size, dtype=np.int64)
    middle = np.where(count > 0, middle, 0)
    if split is not None:
        middle = middle % max(int(split), 1)
    theta_of = np.full(y_columns.size, -1, dtype=np.int64)
    live = sig >= 0
    if live.any():
        _, inverse = np.unique(np.stack([sig[live], middle[live]], axis=1), axis=0, return_inverse=True)
        theta_of[live] = inverse.ravel()
    n_theta = int(theta_of.max(initial=-1)) + 1
    # theta's coefficients: the normalised signature of any of its columns
    first = np.full(n_theta, -1, dtype=np.int64)
    first[theta_of[live][::-1]] = np.flatnonzero(live)[::-1]
    kept_rows = np.ones(problem.n_rows, dtype=bool)
    kept_rows[cover_rows] = False
    row_index = np.full(problem.n_rows, -1, dtype=np.int64)
    row_index[kept_rows] = np.arange(int(kept_rows.sum()))
    t_rows, t_cols, t_vals = [], [], []
    theta_cost = np.zeros(n_theta)
    theta_upper = np.bincount(theta_of[live], weights=base[live], minlength=n_theta)
    for t in range(n_theta):
        i = int(first[t])
        j, b = int(y_columns[i]), float(base[i])
        lo, hi = a_csc.indptr[j], a_csc.indptr[j + 1]
        other = a_csc.indices[lo:hi]
        mask = other != cover_rows[i]
        theta_cost[t] = c[j] / b
        t_rows.append(row_index[other[mask]])
        t_cols.append(np.full(int(mask.sum()), t))
        t_vals.append(a_csc.data[lo:hi][mask] / b)
    kept_block = a_csc[:, kept_columns].tocsr()[kept_rows]
    theta_block = sp.csr_matrix((np.concatenate(t_vals) if t_vals else np.zeros(0),
                                 (np.concatenate(t_rows) if t_rows else np.zeros(0, np.int64),
                                  np.concatenate(t_cols) if t_cols else np.zeros(0, np.int64))),
                                shape=(int(kept_rows.sum()), n_theta))
    master = MatrixProblem(
        objective=np.concatenate([c[kept_columns], theta_cost]),
        matrix=sp.hstack([kept_block, theta_block], format="csr"),
        row_lower=problem.row_lower[kept_rows], row_upper=problem.row_upper[kept_rows],
        col_lower=np.concatenate([problem.col_lower[kept_columns], np.zeros(n_theta)]),
        col_upper=np.concatenate([problem.col_upper[kept_columns], theta_upper]),
        integrality=np.concatenate([problem.integrality[kept_columns], np.zeros(n_theta, dtype=bool)]),
        sense=problem.sense, objective_offset=problem.objective_offset, name=f"{problem.name}-master")
    return ProjectedCoverage(problem=problem, master=master, kept_columns=kept_columns, y_columns=y_columns,
                             reach=reach, base=base, theta_of=theta_of, n_theta=n_theta)


class RunClock:
    """The clock, the proof and the HiGHS runs of a Benders run (here and in :mod:`solvers.benders`).

    Its ``backend``, ``options`` and ``stopped`` (set by the watchdog) say what is left of the
    time limit and whether it ran out; ``best_value`` and ``bound`` (larger is better, in the
    run's own terms) and :attr:`has_plan` say whether the best plan is proven; its master is a
    HiGHS set up by :meth:`new_highs`, run by :meth:`_run` and re-solved as an LP without its
    loose cuts by :meth:`last_lp`.
    """

    backend: Backend
    options: SolverOptions
    stopped: threading.Event
    best_value: float
    bound: float
    #: The HiGHS object running now (cancelled by the watchdog), and HiGHS's log lines.
    highs: Any
    log: list[str]
    #: The master is a MIP (after the LP phase): HiGHS times its runs differently (:meth:`_run`).
    mip: bool
    stats: dict[str, Any]

    def tighten_bound(self, master_bound: float) -> None:
        """Take a proven bound of the master (each run says in which terms)."""
        raise NotImplementedError

    @property
    def has_plan(self) -> bool:
        """A plan is known (``best_value`` is its value)."""
        raise NotImplementedError

    def proven(self) -> bool:
        """The bound meets the best plan's value up to the proof tolerance."""
        return self.has_plan and self.bound <= self.best_value + PROOF_ABS_TOL + PROOF_REL_TOL * abs(self.best_value)

    def close_enough(self) -> bool:
        """Proven, or within the relative gap the options accept (``relative_gap > 0``)."""
        if self.proven():
            return True
        gap = self.options.relative_gap
        return gap > 0 and self.has_plan and self.bound - self.best_value <= gap * max(abs(self.best_value), 1e-10)

    def finished(self) -> Termination:
        """Why a search that ran out of rounds stopped."""
        if self.proven():
            return Termination.OPTIMAL
        return Termination.GAP_LIMIT if self.close_enough() else Termination.OTHER

    def time_left(self) -> float | None:
        """Seconds of the limit left (``None``: no limit, or the test-suite's solver that ignores it)."""
        if self.options.time_limit_s is None or not self.backend.pass_time_limit:
            return None
        return self.options.remaining_s() if self.options.deadline is not None else self.options.time_limit_s

    def out_of_time(self) -> bool:
        """Stopped by the watchdog, or past the limit (unless the limit is ignored, to test the watchdog)."""
        if self.stopped.is_set():
            return True
        return self.backend.pass_time_limit and self.options.deadline is not None and \
            time.perf_counter() >= self.options.deadline

    def new_highs(self) -> Any:
        """An empty HiGHS for the master, logging into :attr:`log`, with the options' gap, seed and threads."""
        h = HighsBackend._new_highs()
        h.cbLogging += lambda event: self.log.append(event.message)
        h.setOptionValue("mip_rel_gap", float(self.options.relative_gap))
        h.setOptionValue("mip_abs_gap", MIP_ABS_GAP)
        h.setOptionValue("random_seed", int(self.options.seed))
        threads = None if self.options.threads is None else int(self.options.threads)
        HighsBackend._size_scheduler(threads)
        if threads is not None:
            h.setOptionValue("threads", threads)
        return h

    def _run(self, h: Any, cap: float | None = None) -> None:
        """Run HiGHS for what is left of the limit, and at most ``cap`` seconds.

        HiGHS 1.16 holds an LP to its ``time_limit`` on the clock of the whole ``Highs`` object
        (every earlier run counted) and a MIP on the clock of this run, so an LP's limit is
        set from ``getRunTime()``: before, the LP phase of the clustered 10,000 x 1,000 stopped
        at 61 s of a 120 s limit, "time limit reached", after 61 s of LP runs.
        """
        left = 0.0 if self.stopped.is_set() else self.time_left()  # stopped by the watchdog: at once
        limits = [s for s in (left, cap) if s is not None]
        allowed = float(max(min(limits), 0.0)) if limits else float("inf")
        if not self.mip and np.isfinite(allowed):
            allowed += float(h.getRunTime())
        h.setOptionValue("time_limit", allowed)
        self.highs = h
        h.run()

    def watchdog(self, h: Any) -> Watchdog:
        """The watchdog of the run on master ``h``: at the end of the grace it sets :attr:`stopped` and
        cancels the HiGHS running then."""
        def stop() -> None:
            self.stopped.set()
            if self.highs is not None:
                self.highs.cancelSolve()

        watchdog = Watchdog(self.options, stop, solver="benders", action="cancelling HiGHS")
        if watchdog.budget is not None:
            h.HandleUserInterrupt = True
        return watchdog

    def last_lp(self, h: Any, first_cut: int, n_cols: int) -> tuple[float, np.ndarray, np.ndarray] | None:
        """The master LP once more, then its loose cuts dropped (rows from ``first_cut`` on whose slack
        exceeds :data:`CUT_SLACK_REL` of the LP's value): ``(value, first n_cols values, their duals)``,
        or ``None`` when out of time or not solved to optimality."""
        import highspy

        if self.out_of_time():
            return None
        self._run(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            self.stats["last_lp"] = h.modelStatusToString(h.getModelStatus())
            return None
        solution = h.getSolution()
        z = float(h.getInfo().objective_function_value)
        self.tighten_bound(z)
        slack = np.asarray(h.getLp().row_upper_)[first_cut:] - np.asarray(solution.row_value)[first_cut:]
        loose = first_cut + np.flatnonzero(slack > CUT_SLACK_REL * max(1.0, abs(z)))
        if loose.size:
            h.deleteRows(loose.size, loose.astype(np.int32))
        self.stats["cuts_dropped"] = int(loose.size)
        return z, np.asarray(solution.col_value)[:n_cols].copy(), np.asarray(solution.col_dual)[:n_cols].copy()


class _Run(RunClock):
    """One solve of a projected problem: the master on HiGHS, the best completed plan, the bound, the clock."""

    @property
    def has_plan(self) -> bool:
        """A completed plan is known."""
        return self.best_values is not None

    def __init__(self, backend: Backend, projection: ProjectedCoverage, options: SolverOptions) -> None:
        self.backend = backend
        self.p = projection
        self.problem = projection.problem
        self.options = options
        self.sign = 1.0 if self.problem.sense is Sense.MAXIMIZE else -1.0
        self.best_value = -np.inf  # in "sign * objective" terms: larger is better
        self.best_values: np.ndarray | None = None
        self.bound = np.inf  # sign * (a proven bound)
        self.total_base = float(projection.base.sum())
        self.tol = CUT_REL_TOL * max(1.0, self.total_base)
        self.stats: dict[str, Any] = {"theta": projection.n_theta, "projected": int(projection.y_columns.size),
                                     "master_rows": projection.master.n_rows, "lp_rounds": 0,
                                     "restricted_rounds": 0, "mip_rounds": 0, "cuts": 0, "fixed": 0}
        self.stopped = threading.Event()
        self.highs: Any = None
        self.log: list[str] = []
        self.seen: list[np.ndarray] = []
        self.progress = ProgressReporter(options, backend.name, self.problem.sense)
        self.infeasible = False
        self.mip = False

    # -- bookkeeping --------------------------------------------------------------------

    def offer(self, master_values: np.ndarray) -> None:
        """Complete a master plan, check it against the original problem, keep it when better."""
        values = self.p.complete(master_values)
        ints = self.problem.integrality
        values[ints] = np.round(values[ints])
        values = np.clip(values, self.problem.col_lower, self.problem.col_upper)
        values[self.p.y_columns] = np.minimum(self.p.reach @ values[self.p.kept_columns], 1.0)
        self.keep_if_better(values)

    def keep_if_better(self, values: np.ndarray) -> None:
        """Keep a completed plan of the original problem when it keeps every row and is worth more than the best."""
        if self.problem.max_violation(values) > FEASIBILITY_TOL:
            return
        value = self.sign * self.problem.objective_value(values)
        if value > self.best_value:
            self.best_value, self.best_values = value, values
            self.progress.report(incumbent=self.sign * value, bound=self._bound_shown())

    def _bound_shown(self) -> float | None:
        return None if not np.isfinite(self.bound) else self.sign * self.bound

    def tighten_bound(self, master_bound: float) -> None:
        """Take a proven bound of the master (problem terms), never below the best plan (see the fixing)."""
        self.bound = min(self.bound, max(self.sign * master_bound, self.best_value))
        self.progress.report(bound=self._bound_shown())

    # -- master -------------------------------------------------------------------------

    def _master(self) -> Any:
        h = self.new_highs()
        h.passModel(HighsBackend._to_lp(self.p.master))
        return h

    def cuts(self, kept: np.ndarray, theta: np.ndarray | None) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """Cuts at a master point for the ``theta`` above their coverage (all without ``theta``).

        Returns ``(coefficients on the kept columns, constants, theta indices)``:
        ``theta_t - coefficients @ kept <= constant``.
        """
        p = self.p
        s = p.reach @ kept
        on = p.theta_of >= 0
        open_ = (s < 1 - COVER_TOL) & on
        constant = np.bincount(p.theta_of[on & ~open_], weights=p.base[on & ~open_], minlength=p.n_theta)
        if theta is None:
            which = np.arange(p.n_theta)
        else:
            value = np.bincount(p.theta_of[on], weights=p.base[on] * np.minimum(s[on], 1.0), minlength=p.n_theta)
            which = np.flatnonzero(theta > value + self.tol)
        if which.size == 0:
            return sp.csr_matrix((0, p.n_kept)), np.zeros(0), which
        rows = np.flatnonzero(open_ & np.isin(p.theta_of, which))
        pick = sp.csr_matrix((p.base[rows], (np.searchsorted(which, p.theta_of[rows]), rows)),
                             shape=(which.size, p.base.size))
        coef = sp.csr_matrix(pick @ p.reach)
        coef.eliminate_zeros()
        return coef, constant[which], which

    def add_cuts(self, h: Any, point: np.ndarray, with_theta: bool = True) -> int:
        import highspy

        kept = point[: self.p.n_kept]
        coef, constant, which = self.cuts(kept, point[self.p.n_kept:] if with_theta else None)
        n = which.size
        if n == 0:
            return 0
        rows = sp.hstack([-coef, sp.csr_matrix((np.ones(n), (np.arange(n), which)), shape=(n, self.p.n_theta))],
                         format="csr")
        h.addRows(n, np.full(n, -highspy.kHighsInf), constant, rows.nnz, rows.indptr[:-1].astype(np.int32),
                  rows.indices.astype(np.int32), rows.data)
        self.stats["cuts"] += n
        return n

    # -- phases -------------------------------------------------------------------------

    def lp_phase(self, h: Any) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Cuts at the master LP's optimum (and halfway to the best plan) until no ``theta`` overstates.

        Returns the last LP's ``(value, point, reduced costs)``, or ``None`` when none was solved.
        """
        import highspy

        n_master = self.p.master.n_cols
        if self.best_values is not None:
            self.add_cuts(h, self.p.master_point(self.best_values), with_theta=False)
        core = None if self.best_values is None else self.p.master_point(self.best_values)
        last = None
        for _ in range(LP_MAX_ROUNDS):
            if self.out_of_time():
                break
            self._run(h)
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
            last = (z, point, np.asarray(solution.col_dual)[:n_master].copy())
            added = self.add_cuts(h, point)
            if core is not None:
                between = 0.5 * (point + core)
                added += self.add_cuts(h, between)
                core = between
            if added == 0:
                break
        return last

    def fix_by_reduced_cost(self, h: Any, z: float, point: np.ndarray, reduced: np.ndarray) -> None:
        """Fix binary master columns at the bound where no plan better than the best one can move them.

        A binary column at 0 (1) in the master LP with ``|reduced cost| > z_LP - best`` is
        fixed there: any plan with it at the other bound is worth at most ``z_LP - |d|``
        (the master is a relaxation, and later cuts only tighten it), worse than the best
        plan. The bounds the master proves from now on hold for plans better than the best
        one only, so the bound kept is never below the best plan (:meth:`tighten_bound`).
        """
        if self.best_values is None:
            return
        m = self.p.master
        margin = self.sign * z - self.best_value + self.tol
        binary = m.integrality & (m.col_lower == 0) & (m.col_upper == 1)
        d = np.abs(reduced)
        at_zero = np.flatnonzero(binary & (point <= 1e-9) & (d > margin))
        at_one = np.flatnonzero(binary & (point >= 1 - 1e-9) & (d > margin))
        for idx, value in ((at_zero, 0.0), (at_one, 1.0)):
            if idx.size:
                h.changeColsBounds(idx.size, idx.astype(np.int32), np.full(idx.size, value), np.full(idx.size, value))
        self.stats["fixed"] = int(at_zero.size + at_one.size)

    def dive(self, h: Any, point: np.ndarray) -> None:
        """A good plan before the search: the master MIP on the binary columns the LP uses, for a share of the time."""
        m = self.p.master
        unused = np.flatnonzero(m.integrality & (m.col_lower == 0) & (m.col_upper == 1) & (point <= 1e-6))
        if self.out_of_time() or unused.size == 0:
            return
        idx = unused.astype(np.int32)
        lower = np.asarray(h.getLp().col_lower_)[idx]
        upper = np.asarray(h.getLp().col_upper_)[idx]
        h.changeColsBounds(idx.size, idx, np.zeros(idx.size), np.zeros(idx.size))
        left = self.time_left()
        self.mip_round(h, restricted=True, cap=None if left is None else max(DIVE_MIN_S, DIVE_SHARE * left))
        h.changeColsBounds(idx.size, idx, lower, upper)

    def integer(self, h: Any) -> None:
        m = self.p.master
        self.mip = True
        h.changeColsIntegrality(m.n_cols, np.arange(m.n_cols, dtype=np.int32), m.integrality.astype(np.uint8))

        def on_solution(event: Any) -> None:
            self.seen.append(np.array(event.data_out.mip_solution[: m.n_cols]))

        h.cbMipSolution += on_solution

    def mip_round(self, h: Any, restricted: bool = False, cap: float | None = None) -> tuple[Any, int]:
        """One master MIP solve from the best plan; every plan it met completed, offered and cut."""
        import highspy

        ms = highspy.HighsModelStatus
        m = self.p.master
        if self.best_values is not None:
            h.setSolution(m.n_cols, np.arange(m.n_cols, dtype=np.int32), self.p.master_point(self.best_values))
        self.seen.clear()
        t0 = time.perf_counter()
        self._run(h, cap)
        self.stats["restricted_rounds" if restricted else "mip_rounds"] += 1
        status = h.getModelStatus()
        info = h.getInfo()
        logger.debug("benders: %s round %.1f s, %s, bound %s, best %s", "restricted" if restricted else "master",
                     time.perf_counter() - t0, h.modelStatusToString(status), info.mip_dual_bound,
                     self.sign * self.best_value)
        if restricted:
            pass
        elif status == ms.kInfeasible and self.best_values is None:
            self.infeasible = True
            return status, 0
        elif status in (ms.kOptimal, ms.kTimeLimit, ms.kInterrupt) and np.isfinite(info.mip_dual_bound):
            self.tighten_bound(float(info.mip_dual_bound))
        if int(info.primal_solution_status) == int(highspy.kSolutionStatusFeasible):
            self.seen.append(np.asarray(h.getSolution().col_value)[: m.n_cols])
        added = 0
        for point in self.seen:
            self.offer(point)
            rounded = point.copy()
            rounded[m.integrality] = np.round(rounded[m.integrality])
            added += self.add_cuts(h, rounded)
        return status, added

    def mip_phase(self, h: Any) -> Termination:
        import highspy

        ms = highspy.HighsModelStatus
        while not self.close_enough():
            if self.out_of_time():
                return Termination.KILLED if self.stopped.is_set() else Termination.TIME_LIMIT
            status, added = self.mip_round(h)
            if self.infeasible:
                return Termination.INFEASIBLE
            if status != ms.kOptimal:
                if self.close_enough():
                    break
                if status in (ms.kTimeLimit, ms.kInterrupt) or self.out_of_time():
                    return Termination.KILLED if self.stopped.is_set() else Termination.TIME_LIMIT
                logger.warning("benders: the master MIP stopped with %s", h.modelStatusToString(status))
                return Termination.OTHER
            if added == 0:
                break  # the master's optimum is exact at its own plan
        return self.finished()

    def solve(self) -> SolveResult:
        started = time.perf_counter()
        if self.problem.start is not None and self.problem.start.shape == (self.problem.n_cols,):
            self.offer(self.p.master_point(self.problem.start))
        h = self._master()
        watchdog = self.watchdog(h)
        termination = Termination.OTHER
        with watchdog:
            last = self.lp_phase(h)
            if not self.infeasible:
                last = self.last_lp(h, self.p.master.n_rows, self.p.master.n_cols) or last
            self.stats["lp_seconds"] = round(time.perf_counter() - started, 3)
            if self.infeasible:
                termination = Termination.INFEASIBLE
            elif self.close_enough():
                termination = self.finished()
            else:
                self.integer(h)
                if last is not None:
                    self.dive(h, last[1])
                    self.fix_by_reduced_cost(h, *last)
                self.stats["dive_seconds"] = round(time.perf_counter() - started - self.stats["lp_seconds"], 3)
                termination = self.mip_phase(h)
        h.clear()
        self.progress.finish()
        seconds = time.perf_counter() - started
        self.stats["seconds"] = round(seconds, 3)
        logger.info("benders (projected): %s", self.stats)
        if self.infeasible:
            return build_result(self.backend, self.problem, self.options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log="".join(self.log), infeasible=True, extra={"benders": dict(self.stats)})
        values = objective = None
        if self.best_values is not None:
            values = self.best_values
            objective = self.problem.objective_value(values)
        bound = None if not np.isfinite(self.bound) else self.sign * self.bound
        if objective is not None and bound is not None and \
                abs(bound - objective) <= 1e-6 * max(1.0, abs(objective)) and self.sign * (bound - objective) < 0:
            bound = objective  # the master's bound met the plan within its numerical tolerance
        return build_result(self.backend, self.problem, self.options, termination=termination, values=values,
                            objective=objective, bound=bound, solve_seconds=seconds, log="".join(self.log),
                            extra={"benders": dict(self.stats)})


def solve_projected(backend: Backend, projection: ProjectedCoverage, options: SolverOptions) -> SolveResult:
    """Solve a projected problem by Benders branch-and-cut in rounds, on HiGHS."""
    return _Run(backend, projection, options).solve()
