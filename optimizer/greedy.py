"""A planning heuristic for coverage mode: lazy greedy, then local search, bounded by the LP.

Not a proof, but a good plan in well under a second, as a solver of its own
(``solver.name: greedy``) or as a warm start for an exact one (``solver.warm_start:
greedy``); both through the solver registry, as the backend
:class:`optimizer.greedy_backend.GreedyBackend`. It works on the built
:class:`~optimizer.model.build.PlanningModel` and keeps every rule the model states:

- **eligibility** and **forced-out**: only the model's candidate pairs are ever chosen;
- **space** (rule 2) and **budgets** (rule 1, total and per district) with the sharing
  savings of rule 5: a move is checked against the model's own space and budget rows;
- **forced-in** (rule 8): forced pairs first, then a pair for every forced site still empty;
- **not built separately** (rule 6), when the model has it: a move that would leave two new
  group functions of a life circle on no common site is not taken (moves that add a whole
  sharing group at one site are candidates too);
- **what must exist** (rule 7), when the model has it: before maximising coverage, the
  greedy adds the pairs that close most of the remaining shortfalls per yuan; if it cannot
  meet a target it says which, and returns no plan rather than a wrong one.

Then the classic lazy greedy for budgeted coverage: a priority queue of moves keyed by
weighted people newly covered per yuan, each re-evaluated only when it reaches the top
with a stale value (coverage is submodular, so stale values are upper bounds). A move's
cost falls when its site is opened by another move (the conversion is paid once) or a
sharing group is completed there: the moves of that site are then re-evaluated at once.
The local search drops a chosen pair and adds the best move the freed money and space
allow, when that strictly raises coverage, and refills greedily, until no such swap is
left or its time is up.

The plan is returned as a values vector of the model (``x``, ``o``, ``z``, ``y``, ``n``,
``q`` consistent: ``o`` = the site hosts something, ``z`` = AND of the group's members,
``y`` = min(1, chosen pairs reaching the row)), checked against every row of the model
before it is returned. The proven bound is the LP relaxation's optimum (HiGHS).
"""
from __future__ import annotations

import dataclasses
import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

import solvers
from optimizer.errors import SolverFailure
from optimizer.model.build import PlanningModel
from solvers.problem import Sense
from solvers.progress import ProgressReporter
from solvers.result import (
    MIN_SOLVER_S,
    PROOF_ABS_TOL,
    PROOF_REL_TOL,
    SolveResult,
    SolverOptions,
    SolveStatus,
    Termination,
    classify,
    relative_gap,
)

log = logging.getLogger(__name__)

#: The name under which the heuristic is a solver of the scenario (``solver.name``); the same
#: as :attr:`optimizer.greedy_backend.GreedyBackend.name` (not imported: the backend imports this module).
GREEDY = "greedy"
#: Local search time when the heuristic is the solver: at most this, and at most half the
#: solver's time limit (the rest is for the LP bound).
LOCAL_SEARCH_S = 10.0
#: Local search time when the heuristic only warm-starts an exact solver: at most this,
#: and at most a tenth of the solver's time limit.
WARM_START_LOCAL_SEARCH_S = 3.0
#: Budget and space rows are kept to this, absolutely, in the model's units (10,000 yuan: a
#: thousandth of a yuan; m2), inside the check's tolerances and the solvers' feasibility tolerance.
ROW_TOL = 1e-7
#: A requirement row counts as met when it falls short by at most this (people or places).
NEED_TOL = 1e-9
#: A plan violating any row of the model by more than this is a bug, never returned.
MAX_VIOLATION = 1e-6
#: Largest number of exact checks of candidate additions after one tentative drop.
SWAP_CANDIDATES = 200

_FREE = 1e30  # priority of a move that adds people and costs nothing (or saves money)


@dataclass(frozen=True)
class GreedyPlan:
    """What the heuristic found.

    Attributes
    ----------
    values
        The plan as a values vector of the model, or ``None`` when no plan was found.
    objective
        Weighted people newly covered (the model's objective at ``values``).
    greedy_objective
        The same after the greedy alone, before the local search.
    cost
        The model's budget expression at ``values`` (yuan).
    failure
        Why there is no plan (a requirement the greedy could not meet, forced decisions
        beyond the budget or space); empty when there is one.
    stats
        Moves, evaluations and seconds of each phase.
    """

    values: np.ndarray | None
    objective: float | None
    greedy_objective: float | None
    cost: float | None
    failure: str = ""
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the greedy found a plan."""
        return self.values is not None


#: Row families the greedy does not plan (who pays: public budgets and funding channels): a
#: model holding any is left to an exact solver, which the greedy would otherwise hand a plan
#: that breaks them.
NOT_PLANNED = ("public money", "funding channels")


def supports(model: PlanningModel) -> str:
    """Empty when the heuristic can plan ``model``, else why not."""
    if model.mode != "coverage" or model.objective != "max_coverage":
        return (f"the greedy heuristic plans coverage mode with objective max_coverage only "
                f"(this model: mode {model.mode}, objective {model.objective}); use an exact solver")
    spanned = max((b for _, _, b in model.row_blocks), default=0)
    if spanned != model.problem.n_rows:
        return ("the greedy heuristic plans one year's model; this problem is another (e.g. the years of "
                "`lifecircle plan`); use an exact solver")
    odd = sorted({rule for rule, _, _ in model.row_blocks if rule.startswith(NOT_PLANNED)})
    if odd:
        return f"the greedy heuristic does not plan {', '.join(odd)}; use an exact solver"
    return ""


def _block_rows(model: PlanningModel, test) -> np.ndarray:
    rows = [np.arange(a, b) for rule, a, b in model.row_blocks if test(rule)]
    return np.concatenate(rows) if rows else np.zeros(0, np.int64)


class _Planner:
    """The model's rules in the form a greedy needs, and the state of one plan."""

    def __init__(self, model: PlanningModel):
        m = model
        self.m = m
        prob = m.problem
        a = sp.csr_matrix(prob.matrix)
        n_pairs = len(m.pair_site)
        n_open = len(m.open_site)
        n_z = len(m.share_site)
        self.n_pairs, self.n_open, self.n_z = n_pairs, n_open, n_z
        self.site_of = np.searchsorted(m.open_site, m.pair_site).astype(np.int64)  # open-site position
        order = np.argsort(self.site_of, kind="stable")
        cut = np.searchsorted(self.site_of[order], np.arange(n_open + 1))
        self.site_pairs = [order[cut[i]:cut[i + 1]] for i in range(n_open)]
        z_site = np.searchsorted(m.open_site, m.share_site).astype(np.int64)
        self.site_z: list[list[int]] = [[] for _ in range(n_open)]
        for i, s in enumerate(z_site):
            self.site_z[int(s)].append(i)
        self.z_members = [np.asarray(mm, dtype=np.int64) for mm in m.share_members]
        self.z_site = z_site
        # coverage per function: columns (CSC) of the pattern, row weights, how often each row is covered
        self.fn = m.pair_function.astype(np.int64)
        self.col = np.zeros(n_pairs, np.int64)
        self.fn_pairs, self.csc, self.weight, self.count = [], [], [], []
        for k, name in enumerate(m.functions):
            c = m.coverage[name]
            idx = np.flatnonzero(self.fn == k)
            self.col[idx] = np.arange(idx.size)
            csc = sp.csc_matrix(c.pattern)
            csc.sort_indices()
            self.fn_pairs.append(idx)
            self.csc.append(csc)
            self.weight.append(np.asarray(c.weight, dtype=float))
            self.count.append(np.zeros(c.n_groups, np.int32))
        self.total_weight = float(sum(w.sum() for w in self.weight))
        self.eps = 1e-9 * max(1.0, self.total_weight)
        # space (rule 2): one row per open site, in open-site order
        space = _block_rows(m, lambda r: r == "space")
        self.avail = prob.row_upper[space] if space.size == n_open else np.full(n_open, np.inf)
        # budgets (rule 1): the model's rows, as coefficients on x, o and z
        brows = _block_rows(m, lambda r: r.startswith("budget"))
        self.b_upper = prob.row_upper[brows].copy()
        self.bx = np.zeros((brows.size, n_pairs))
        self.bo = np.zeros((brows.size, n_open))
        self.bz = np.zeros((brows.size, n_z))
        for i, r in enumerate(brows):
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
            vals = a.data[a.indptr[r]:a.indptr[r + 1]]
            for blk, arr in ((m.x, self.bx), (m.o, self.bo), (m.z, self.bz)):
                sel = (cols >= blk.start) & (cols < blk.stop)
                arr[i, cols[sel] - blk.start] = vals[sel]
        # forced decisions (rule 8) are the model's lower bounds
        self.forced_pair = prob.col_lower[m.x.start:m.x.stop] > 0.5
        self.forced_site = prob.col_lower[m.o.start:m.o.stop] > 0.5
        self._rule6(a)
        self._rule7(a)
        # moves: every single pair, and every sharing group completed at its site at once
        self.moves: list[np.ndarray] = [np.array([p], np.int64) for p in range(n_pairs)]
        self.move_site = list(self.site_of.tolist())
        for zi, mem in enumerate(self.z_members):
            self.moves.append(np.sort(mem))
            self.move_site.append(int(self.z_site[zi]))
        self.site_moves: list[list[int]] = [[] for _ in range(n_open)]
        for mi, s in enumerate(self.move_site):
            self.site_moves[s].append(mi)
        self.move_r6 = [frozenset(k for p in mv for k in self.r6_of_pair.get(int(p), ())) for mv in self.moves]
        self.move_site_arr = np.array(self.move_site, dtype=np.int64)
        sizes = np.array([mv.size for mv in self.moves], dtype=np.int64)
        self.incidence = sp.csr_matrix((np.ones(int(sizes.sum())), (np.repeat(np.arange(len(self.moves)), sizes),
                                        np.concatenate(self.moves) if self.moves else np.zeros(0, np.int64))),
                                       shape=(len(self.moves), n_pairs))
        # savings of the sharing groups a move completes on its own (at a site hosting nothing yet)
        self.move_saving = np.zeros(len(self.moves))
        for mi in range(n_pairs, len(self.moves)):
            s = self.move_site[mi]
            inside = set(self.moves[mi].tolist())
            self.move_saving[mi] = sum(m.share_cost_saving[z] for z in self.site_z[s]
                                       if set(self.z_members[z].tolist()) <= inside)
        # state
        self.chosen = np.zeros(n_pairs, dtype=bool)
        self.at: list[set[int]] = [set() for _ in range(n_open)]
        self.cur_area = np.zeros(n_open)
        self.cur_cost = np.zeros(n_open)
        self.cur_bud = np.zeros((n_open, brows.size))
        self.used = np.zeros(brows.size)
        self.version = 0
        self.evaluations = 0
        #: the phase the time limit stopped ("rule 7", "greedy"), empty when none was stopped
        self.stopped_early = ""

    # -------------------------------------------------------------- rules 6 and 7
    def _rule6(self, a: sp.csr_matrix) -> None:
        """Rule 6 read back from the model's rows: per constraint, the pairs making each of the
        two functions new in the circle, and the member sets of which one must be complete."""
        m = self.m
        self.n_sets: list[np.ndarray] = [np.zeros(0, np.int64)] * m.n.size
        self.q_sets: list[list[int]] = [[] for _ in range(m.q.size)]
        self.r6: list[tuple[int, int, list[np.ndarray]]] = []
        self.r6_of_pair: dict[int, list[int]] = {}
        if not m.n.size:
            return
        links: list[list[int]] = [[] for _ in range(m.n.size)]
        for r in _block_rows(m, lambda rule: rule == "newly provided in a life circle"):
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
            xs = cols[(cols >= m.x.start) & (cols < m.x.stop)] - m.x.start
            ns = cols[(cols >= m.n.start) & (cols < m.n.stop)] - m.n.start
            for nid in ns:
                links[int(nid)] += xs.tolist()
        self.n_sets = [np.unique(np.array(v, dtype=np.int64)) for v in links]
        constraint_rows = []
        for r in _block_rows(m, lambda rule: rule == "not built separately (rule 6)"):
            cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
            ns = cols[(cols >= m.n.start) & (cols < m.n.stop)] - m.n.start
            if ns.size:
                constraint_rows.append((ns, cols))
            else:  # q <= x: the members of a co-location indicator
                qs = cols[(cols >= m.q.start) & (cols < m.q.stop)] - m.q.start
                xs = cols[(cols >= m.x.start) & (cols < m.x.stop)] - m.x.start
                for qid in qs:
                    self.q_sets[int(qid)] += xs.tolist()
        for ns, cols in constraint_rows:
            items = [self.z_members[int(c - m.z.start)] for c in cols if m.z.start <= c < m.z.stop]
            items += [np.array(sorted(self.q_sets[int(c - m.q.start)]), dtype=np.int64)
                      for c in cols if m.q.start <= c < m.q.stop]
            k = len(self.r6)
            self.r6.append((int(ns[0]), int(ns[1]), items))
            for nid in (int(ns[0]), int(ns[1])):
                for p in self.n_sets[nid]:
                    self.r6_of_pair.setdefault(int(p), []).append(k)

    def _rule7(self, a: sp.csr_matrix) -> None:
        """Rule 7 rows: activity = people covered (y) + places planned (x) >= need."""
        m = self.m
        rows = _block_rows(m, lambda rule: rule == "what must exist (rule 7)")
        self.t_need = m.problem.row_lower[rows].copy()
        sub = a[rows] if rows.size else sp.csr_matrix((0, m.problem.n_cols))
        self.t_x = sp.csr_matrix(sub[:, m.x.start:m.x.stop])
        self.t_y = []
        for name in m.functions:
            off = m.y.start + m.y_offsets[name]
            self.t_y.append(sp.csr_matrix(sub[:, off:off + m.coverage[name].n_groups]))
        self.t_rows = rows

    def r6_ok(self, constraints) -> bool:
        """Rule 6 holds for these constraints at the current choice."""
        for k in constraints:
            na, nb, items = self.r6[k]
            if self.chosen[self.n_sets[na]].any() and self.chosen[self.n_sets[nb]].any():
                if not any(self.chosen[it].all() for it in items):
                    return False
        return True

    def r6_violated(self) -> list[int]:
        return [k for k in range(len(self.r6)) if not self.r6_ok((k,))]

    def requirement_activity(self) -> np.ndarray:
        act = self.t_x @ self.chosen.astype(float)
        for k, ty in enumerate(self.t_y):
            if ty.nnz:
                act = act + ty @ np.minimum(self.count[k], 1).astype(float)
        return np.asarray(act, dtype=float).ravel()

    def requirement_short(self) -> np.ndarray:
        if not self.t_rows.size:
            return np.zeros(0)
        short = self.t_need - self.requirement_activity()
        return np.where(short > NEED_TOL, short, 0.0)

    # -------------------------------------------------------------- evaluation
    def _rows(self, p: int) -> tuple[int, np.ndarray]:
        k = int(self.fn[p])
        c = self.csc[k]
        j = int(self.col[p])
        return k, c.indices[c.indptr[j]:c.indptr[j + 1]]

    def gain(self, pairs) -> float:
        """Weighted people the pairs would newly cover (pairs of one move: distinct functions)."""
        g = 0.0
        for p in pairs:
            k, rows = self._rows(int(p))
            g += float(self.weight[k][rows][self.count[k][rows] == 0].sum())
        return g

    def loss(self, p: int) -> float:
        """Weighted people only pair ``p`` covers."""
        k, rows = self._rows(p)
        return float(self.weight[k][rows][self.count[k][rows] == 1].sum())

    def single_gains(self) -> np.ndarray:
        """Gain of every single pair at the current choice (vectorised)."""
        out = np.zeros(self.n_pairs)
        for k in range(len(self.csc)):
            if self.fn_pairs[k].size:
                out[self.fn_pairs[k]] = self.csc[k].T @ (self.weight[k] * (self.count[k] == 0))
        return out

    def site_totals(self, s: int, pairs) -> tuple[float, float, np.ndarray]:
        """Area used, cost (yuan) and budget-row activity of site ``s`` hosting ``pairs``."""
        if not pairs:
            return 0.0, 0.0, np.zeros(self.b_upper.size)
        pa = np.fromiter(pairs, dtype=np.int64)
        inside = set(pairs)
        zc = [z for z in self.site_z[s] if all(int(p) in inside for p in self.z_members[z])]
        m = self.m
        area = float(m.pair_area[pa].sum() - m.share_area_saving[zc].sum())
        cost = float(m.site_conversion_cost[s] + m.pair_cost[pa].sum() - m.share_cost_saving[zc].sum())
        bud = self.bx[:, pa].sum(axis=1) + self.bo[:, s] + (self.bz[:, zc].sum(axis=1) if zc else 0.0)
        return area, cost, bud

    def try_set(self, s: int, new: set[int], touched) -> tuple[str, float, float, np.ndarray]:
        """Can site ``s`` host ``new`` instead of what it hosts? Returns (why not | "", area, cost, budget)."""
        self.evaluations += 1
        area, cost, bud = self.site_totals(s, new)
        if area > self.avail[s] + ROW_TOL:
            return "space", area, cost, bud
        if ((self.used + bud - self.cur_bud[s]) > self.b_upper + ROW_TOL).any():
            return "budget", area, cost, bud
        constraints = {k for p in touched for k in self.r6_of_pair.get(int(p), ())}
        if constraints:
            before = self.chosen.copy()
            for p in self.at[s] - new:
                self.chosen[p] = False
            for p in new - self.at[s]:
                self.chosen[p] = True
            ok = self.r6_ok(constraints)
            self.chosen = before
            if not ok:
                return "rule6", area, cost, bud
        return "", area, cost, bud

    def evaluate(self, mi: int) -> tuple[str, float, float]:
        """(why not | "", gain, cost in yuan) of adding move ``mi`` now."""
        s = self.move_site[mi]
        rem = [int(p) for p in self.moves[mi] if not self.chosen[p]]
        if not rem:
            return "done", 0.0, 0.0
        why, _, cost, _ = self.try_set(s, self.at[s] | set(rem), rem)
        if why:
            return why, 0.0, 0.0
        return "", self.gain(rem), cost - self.cur_cost[s]

    # -------------------------------------------------------------- changes
    def set_site(self, s: int, new: set[int]) -> None:
        """Site ``s`` hosts ``new`` from now on (no checks)."""
        old = self.at[s]
        for p in new - old:
            k, rows = self._rows(p)
            self.count[k][rows] += 1
            self.chosen[p] = True
        for p in old - new:
            k, rows = self._rows(p)
            self.count[k][rows] -= 1
            self.chosen[p] = False
        area, cost, bud = self.site_totals(s, new)
        self.used += bud - self.cur_bud[s]
        self.at[s] = set(new)
        self.cur_area[s], self.cur_cost[s], self.cur_bud[s] = area, cost, bud
        self.version += 1

    def objective(self) -> float:
        return float(sum(w[c > 0].sum() for w, c in zip(self.weight, self.count, strict=True)))

    def values(self) -> np.ndarray:
        """The choice as a values vector of the model."""
        m = self.m
        v = np.zeros(m.problem.n_cols)
        v[m.x.start:m.x.stop] = self.chosen
        v[m.o.start:m.o.stop] = [bool(a) for a in self.at]
        v[m.z.start:m.z.stop] = [self.chosen[mm].all() for mm in self.z_members]
        for k, name in enumerate(m.functions):
            off = m.y.start + m.y_offsets[name]
            v[off:off + self.count[k].size] = np.minimum(self.count[k], 1)
        for nid, ps in enumerate(self.n_sets):
            v[m.n.start + nid] = float(self.chosen[ps].any())
        for qid, ps in enumerate(self.q_sets):
            v[m.q.start + qid] = float(bool(ps) and self.chosen[ps].all())
        return v

    # -------------------------------------------------------------- phases
    def apply_forced(self) -> str:
        """Forced pairs, then a pair at every forced site left empty, then rule 6 repaired."""
        ids = self.m.open_site
        for s in np.unique(self.site_of[self.forced_pair]):
            self.set_site(int(s), self.at[int(s)] | {int(p) for p in self.site_pairs[s] if self.forced_pair[p]})
        for s in range(self.n_open):
            if self.cur_area[s] > self.avail[s] + ROW_TOL:
                return f"the functions forced in at site row {ids[s]} do not fit its area"
        if (self.used > self.b_upper + ROW_TOL).any():
            return "the forced decisions alone exceed the budget"
        for s in np.flatnonzero(self.forced_site):
            if self.at[s]:
                continue
            best, best_key = None, None
            for mi in self.site_moves[s]:
                why, g, c = self.evaluate(mi)
                if why:
                    continue
                key = (g / c if c > 0 else _FREE + g, -c)
                if best_key is None or key > best_key:
                    best, best_key = mi, key
            if best is None:
                return f"site row {ids[s]} is forced in but no function fits its area and the budget"
            self.set_site(s, self.at[s] | {int(p) for p in self.moves[best]})
        return self.repair_rule6()

    def repair_rule6(self) -> str:
        """Complete a sharing group where rule 6 is broken (after forced decisions)."""
        for k in self.r6_violated():
            if self.r6_ok((k,)):
                continue
            options = []
            for item in self.r6[k][2]:
                s = int(self.site_of[item[0]])
                rem = [int(p) for p in item if not self.chosen[p]]
                why, _, cost, _ = self.try_set(s, self.at[s] | set(rem), rem)
                if not why:
                    options.append((cost - self.cur_cost[s], s, rem))
            if not options:
                return ("rule 6 (not built separately): the forced decisions leave two new group functions "
                        "of a life circle apart, and no site can take both within space and budget")
            _, s, rem = min(options, key=lambda o: o[0])
            self.set_site(s, self.at[s] | set(rem))
        return ""

    def meet_requirements(self, deadline: float | None = None) -> str:
        """Add what closes most of the remaining rule-7 shortfalls per yuan, until every target is met.

        Stops at ``deadline`` (a ``time.perf_counter()`` reading) with the targets still unmet named.
        """
        if not self.t_rows.size:
            return ""
        for _ in range(10 * self.n_pairs + 10):
            if deadline is not None and time.perf_counter() > deadline:
                self.stopped_early = "rule 7"
                unmet = int((self.requirement_short() > 0).sum())
                return (f"rule 7 (what must exist): the greedy reached its time limit with {unmet} target(s) still "
                        "unmet; give it more time (solver.time_limit_s)" if unmet else "")
            short = self.requirement_short()
            unmet = np.flatnonzero(short > 0)
            if not unmet.size:
                return ""
            contrib = np.asarray(self.t_x[unmet].todense(), dtype=float)
            for k, ty in enumerate(self.t_y):
                if ty.nnz and self.fn_pairs[k].size:
                    open_rows = sp.diags((self.count[k] == 0).astype(float))
                    contrib[:, self.fn_pairs[k]] += np.asarray((ty[unmet] @ open_rows @ self.csc[k]).todense())
            free = ~self.chosen
            contrib[:, ~free] = 0.0
            need = np.maximum(self.t_need[unmet], 1e-9)[:, None]
            per_move = np.asarray((self.incidence @ sp.csr_matrix(contrib.T)).todense()).T  # targets x moves
            score = (np.minimum(per_move, short[unmet][:, None]) / need).sum(axis=0)
            cost = self.incidence @ (self.m.pair_cost * free) + self._conversion_if_empty()[self.move_site_arr]
            alive = (self.incidence @ free.astype(float)) > 0
            cand = np.flatnonzero(alive & (score > 1e-12))
            key = np.where(cost[cand] > 1e-9, score[cand] / np.maximum(cost[cand], 1e-9), _FREE + score[cand])
            scored = list(zip((-key).tolist(), cand.tolist(), strict=True))
            scored.sort()
            for _, mi in scored:
                why, _, _ = self.evaluate(mi)
                if not why:
                    s = self.move_site[mi]
                    self.set_site(s, self.at[s] | {int(p) for p in self.moves[mi]})
                    break
            else:
                t = self.m.targets[int(unmet[0])] if len(self.m.targets) > unmet[0] else None
                what = (f"{t.function} in life circle {t.circle} ({t.describe()})" if t is not None
                        else f"requirement row {int(unmet[0])}")
                return (f"rule 7 (what must exist): the greedy could not meet {what}: "
                        f"{short[unmet[0]]:,.1f} {t.unit if t is not None else ''} still missing from the plan "
                        f"and nothing it may still add (budget, space, rule 6) closes it; "
                        f"{len(unmet)} target(s) unmet. An exact solver decides whether any plan can")
        return "rule 7 (what must exist): the greedy did not converge"

    def greedy_fill(self, deadline: float | None = None, banned: int | None = None) -> int:
        """Lazy greedy: add the move with most weighted people newly covered per yuan until none fits.

        ``banned``: an open-site position where nothing is added (the site just dropped).
        """
        heap: list[tuple[float, int, int]] = []  # (-priority, move, version evaluated at; -1: estimate)
        free = ~self.chosen
        gain = self.incidence @ (self.single_gains() * free)
        alive = (self.incidence @ free.astype(float)) > 0
        if banned is not None:
            alive &= self.move_site_arr != banned
        in_plan = np.array([bool(a) for a in self.at], dtype=bool)[self.move_site_arr]
        # a move at a site hosting nothing yet: its cost is exact from arrays
        cost = (self.incidence @ self.m.pair_cost + self.m.site_conversion_cost[self.move_site_arr]
                - self.move_saving)
        for mi in np.flatnonzero(alive & ~in_plan):
            pr = self._priority(float(gain[mi]), float(cost[mi]))
            if pr is not None:
                heap.append((-pr, int(mi), -1))
        for mi in np.flatnonzero(alive & in_plan):  # its savings and conversion depend on what is there
            why, g, c = self.evaluate(int(mi))
            pr = None if why else self._priority(g, c)
            if pr is not None:
                heap.append((-pr, int(mi), -1))
        heapq.heapify(heap)
        parked: dict[str, set[int]] = {"budget": set(), "rule6": set(), "space": set()}
        added = 0
        while heap:
            if deadline is not None and time.perf_counter() > deadline:
                self.stopped_early = self.stopped_early or "greedy"
                break
            neg, mi, ver = heapq.heappop(heap)
            if ver == self.version:
                s = self.move_site[mi]
                before = self.used.copy()
                rem = {int(p) for p in self.moves[mi] if not self.chosen[p]}
                self.set_site(s, self.at[s] | rem)
                added += 1
                touched = {k for p in rem for k in self.r6_of_pair.get(p, ())}
                again = set(self.site_moves[s]) if s != banned else set()
                if touched:
                    again |= {x for x in parked["rule6"] if self.move_r6[x] & touched}
                if (self.used < before - 1e-12).any():
                    again |= parked["budget"]
                if banned is not None:
                    again -= set(self.site_moves[banned])
                for x in again:
                    for bucket in parked.values():
                        bucket.discard(x)
                    self._push(heap, x, parked)
                continue
            self._push(heap, mi, parked)
        return added

    def _conversion_if_empty(self) -> np.ndarray:
        return np.where([bool(a) for a in self.at], 0.0, self.m.site_conversion_cost)

    def _priority(self, gain: float, cost: float) -> float | None:
        if gain > self.eps:
            return gain / cost if cost > 1e-9 else _FREE + gain
        if cost < -1e-6:  # nobody new, but it saves money (a sharing group completed)
            return _FREE - cost
        return None

    def _push(self, heap: list, mi: int, parked: dict[str, set[int]]) -> None:
        why, g, c = self.evaluate(mi)
        if why == "done":
            return
        if why:
            parked[why].add(mi)
            return
        pr = self._priority(g, c)
        if pr is not None:
            heapq.heappush(heap, (-pr, mi, self.version))

    def local_search(self, deadline: float, on_incumbent: Callable[[float], None] | None = None) -> dict:
        """Improve the plan while coverage strictly rises and time is left.

        Two neighbourhoods, the cheap one first: drop one chosen pair and add the best move
        that then fits (then refill greedily); drop a whole site and refill greedily with
        the site left out. Every accepted change keeps every rule. ``on_incumbent`` is
        told the plan's value after each accepted change.
        """
        swaps = drops = 0
        while time.perf_counter() < deadline:
            if self._swap_pass(deadline):
                swaps += 1
                self.greedy_fill(deadline)
            elif self._drop_site_pass(deadline):
                drops += 1
            else:
                break
            if on_incumbent is not None:
                on_incumbent(self.objective())
        return {"local_search_swaps": swaps, "local_search_site_drops": drops,
                "local_search_finished": time.perf_counter() < deadline}

    def _droppable(self, s: int) -> bool:
        return not self.forced_site[s] and not self.forced_pair[list(self.at[s])].any()

    def _swap_pass(self, deadline: float) -> bool:
        worth = []
        for p in np.flatnonzero(self.chosen & ~self.forced_pair).tolist():
            s = int(self.site_of[p])
            if self.forced_site[s] and len(self.at[s]) == 1:
                continue
            _, cost, _ = self.site_totals(s, self.at[s] - {p})
            saved = self.cur_cost[s] - cost
            worth.append((self.loss(p) / saved if saved > 1e-9 else np.inf, p))
        worth.sort()
        for _, p in worth:
            if time.perf_counter() > deadline:
                return False
            if self._swap(p):
                return True
        return False

    def _snapshot(self) -> tuple:
        return (self.chosen.copy(), [set(a) for a in self.at], [c.copy() for c in self.count], self.cur_area.copy(),
                self.cur_cost.copy(), self.cur_bud.copy(), self.used.copy())

    def _restore(self, snap: tuple) -> None:
        chosen, at, count, area, cost, bud, used = snap
        self.chosen, self.at, self.count = chosen.copy(), [set(a) for a in at], [c.copy() for c in count]
        self.cur_area, self.cur_cost, self.cur_bud, self.used = area.copy(), cost.copy(), bud.copy(), used.copy()
        self.version += 1

    def _drop_site_pass(self, deadline: float) -> bool:
        worth = []
        for s in range(self.n_open):
            if self.at[s] and self._droppable(s):
                worth.append((sum(self.loss(p) for p in self.at[s]) / max(self.cur_cost[s], 1e-9), s))
        worth.sort()
        before = self.objective()
        for _, s in worth:
            if time.perf_counter() > deadline:
                return False
            snap = self._snapshot()
            self.set_site(s, set())
            self.greedy_fill(deadline, banned=s)
            if (self.objective() > before + self.eps and not self.r6_violated()
                    and not self.requirement_short().any()):
                return True
            self._restore(snap)
        return False

    def _swap(self, p: int) -> bool:
        s = int(self.site_of[p])
        loss = self.loss(p)
        before_obj = self.objective()
        old = set(self.at[s])
        self.set_site(s, old - {p})
        free = ~self.chosen
        free[p] = False  # not back where it was
        gain = self.incidence @ (self.single_gains() * free)
        cands = np.flatnonzero(gain > loss + self.eps)
        cands = cands[np.argsort(-gain[cands], kind="stable")]
        for mi in cands[:SWAP_CANDIDATES].tolist():
            why, g, _ = self.evaluate(mi)
            if why or g <= loss + self.eps:
                continue
            t = self.move_site[mi]
            keep = set(self.at[t])
            self.set_site(t, keep | {int(q) for q in self.moves[mi]})
            ok = (self.objective() > before_obj + self.eps and self.r6_ok(self.r6_of_pair.get(p, ()))
                  and not self.requirement_short().any())
            if ok:
                return True
            self.set_site(t, keep)
        self.set_site(s, old)
        return False


def greedy_plan(model: PlanningModel, *, local_search_s: float = LOCAL_SEARCH_S,
                deadline: float | None = None, finish_by: float | None = None,
                progress: ProgressReporter | None = None) -> GreedyPlan:
    """Plan ``model`` with the lazy greedy and ``local_search_s`` seconds of local search.

    Parameters
    ----------
    model
        A coverage-mode, max_coverage planning model.
    local_search_s
        Seconds of local search after the greedy, at most.
    deadline
        ``time.perf_counter()`` reading at which the time limit ends: every phase checks
        the clock inside its loops and the heuristic returns its best plan so far (every
        move it made keeps every rule), with ``stats["stopped_early"]`` naming the phase
        it cut short. ``None``: no limit.
    finish_by
        The same for the greedy phases (rule 7 and the lazy greedy) alone, when they may run
        past ``deadline`` (the start of an exact solver, which may use part of the grace so
        that the plan the solver must beat is a whole greedy plan); default ``deadline``.
    progress
        Told the plan's value after the lazy greedy and after each improvement of the local
        search (:class:`solvers.progress.ProgressReporter`); ``None`` for nothing.

    Raises
    ------
    SolverFailure
        When the model is not a coverage-mode max_coverage model.
    """
    why = supports(model)
    if why:
        raise SolverFailure(why)
    t0 = time.perf_counter()
    pl = _Planner(model)
    stats: dict = {"pairs": pl.n_pairs, "moves": len(pl.moves)}
    fill_by = deadline if finish_by is None else finish_by
    failure = pl.apply_forced() or pl.meet_requirements(fill_by)
    if failure:
        stats["seconds"] = round(time.perf_counter() - t0, 3)
        if pl.stopped_early:
            stats["stopped_early"] = pl.stopped_early
        log.info("greedy: no plan: %s", failure)
        return GreedyPlan(None, None, None, None, failure, stats)
    stats["greedy_adds"] = pl.greedy_fill(fill_by)
    greedy_obj = pl.objective()
    on_incumbent = None
    if progress is not None and progress.active:
        def on_incumbent(value: float) -> None:
            progress.report(incumbent=value)

        on_incumbent(greedy_obj)
    t1 = time.perf_counter()
    stats["greedy_seconds"] = round(t1 - t0, 3)
    search_end = t1 + local_search_s if deadline is None else min(t1 + local_search_s, max(deadline, t1))
    if local_search_s > 0 and time.perf_counter() < search_end:
        before = pl.stopped_early  # the local search's refills stop at its own end, not only at the limit
        stats.update(pl.local_search(search_end, on_incumbent))
        pl.stopped_early = before
        if deadline is not None and search_end == deadline and not stats["local_search_finished"]:
            pl.stopped_early = pl.stopped_early or "local search"
    stats["local_search_seconds"] = round(time.perf_counter() - t1, 3)
    stats["evaluations"] = pl.evaluations
    if pl.stopped_early:
        stats["stopped_early"] = pl.stopped_early
    values = pl.values()
    violation = model.problem.max_violation(values)
    if violation > MAX_VIOLATION:
        raise SolverFailure(f"the greedy heuristic built a plan that violates the model by {violation:.3g}; "
                            "this is a bug in lifecircle, please report it with this scenario")
    objective = model.problem.objective_value(values)
    log.info("greedy: %.1f after the greedy (%.3f s), %.1f after the local search (%d swaps, %d sites dropped, "
             "%.3f s)%s", greedy_obj, stats["greedy_seconds"], objective, stats.get("local_search_swaps", 0),
             stats.get("local_search_site_drops", 0), stats["local_search_seconds"],
             f"; stopped early at its time limit ({pl.stopped_early})" if pl.stopped_early else "")
    return GreedyPlan(values, objective, greedy_obj, model.model_cost(values), "", stats)


def lp_bound(model: PlanningModel, options: SolverOptions) -> SolveResult:
    """The LP relaxation of ``model`` solved by HiGHS: its optimum bounds every plan."""
    relaxed = dataclasses.replace(model.problem, integrality=np.zeros(model.problem.n_cols, dtype=bool), start=None)
    return solvers.get_solver("highs").solve(relaxed, dataclasses.replace(options, relative_gap=0.0))


def solve_greedy(model: PlanningModel, options: SolverOptions) -> SolveResult:
    """The heuristic as a solver: its plan, the LP bound, and an honest status.

    Optimal only when the LP bound meets the plan's value (:func:`solvers.result.classify`).

    Raises
    ------
    SolverFailure
        When the greedy finds no plan (and the LP does not prove that none exists), or the
        model is not one it plans.
    """
    t0 = time.perf_counter()
    options = options.started()
    limit = options.time_limit_s
    search = LOCAL_SEARCH_S if limit is None else min(LOCAL_SEARCH_S, 0.5 * limit)
    progress = ProgressReporter(options, GREEDY, model.problem.sense)
    plan = greedy_plan(model, local_search_s=search, deadline=options.deadline, progress=progress)
    progress.finish()
    left = options.remaining_s()
    if left is None or options.deadline is None or options.deadline - time.perf_counter() >= 2 * MIN_SOLVER_S:
        lp = lp_bound(model, options)  # what is left of the limit
    else:  # no time left for the LP: no bound
        lp = SolveResult(solver="highs", solver_version="-", status=SolveStatus.NO_SOLUTION,
                         termination=Termination.TIME_LIMIT, values=None, objective=None, bound=None, gap=None,
                         solve_seconds=0.0, options=options, message="no time left for the LP bound")
    seconds = time.perf_counter() - t0
    extra = {**plan.stats, "lp_status": lp.status.value, "lp_seconds": round(lp.solve_seconds, 3),
             "greedy_objective": plan.greedy_objective}
    version = "lazy greedy + local search; bound: HiGHS LP relaxation"
    if lp.status is SolveStatus.INFEASIBLE:
        return SolveResult(solver=GREEDY, solver_version=version, status=SolveStatus.INFEASIBLE,
                           termination=Termination.INFEASIBLE, values=None, objective=None, bound=None, gap=None,
                           solve_seconds=seconds, options=options,
                           message="proven infeasible: even the LP relaxation has no solution",
                           extra=extra)
    if not plan.ok:
        raise SolverFailure(f"greedy found no plan: {plan.failure}")
    bound = lp.bound if lp.status is SolveStatus.OPTIMAL else None
    value = plan.objective
    sense = model.problem.sense
    if bound is not None and (bound < value - PROOF_ABS_TOL - PROOF_REL_TOL * abs(value)
                              if sense is Sense.MAXIMIZE else False):
        extra["reported_bound"] = bound  # below a feasible plan's value: LP numerics, not a bound
        bound = None
    status = classify(has_values=True, objective=value, bound=bound, sense=sense)
    gap = 0.0 if status is SolveStatus.OPTIMAL else relative_gap(value, bound)
    stopped = plan.stats.get("stopped_early", "")
    termination = (Termination.OPTIMAL if status is SolveStatus.OPTIMAL else
                   Termination.TIME_LIMIT if stopped or lp.termination is Termination.TIME_LIMIT else Termination.OTHER)
    text = ("proven optimal: the LP bound meets the greedy's value" if status is SolveStatus.OPTIMAL else
            f"heuristic plan, not proven optimal: {termination.value.replace('_', ' ')}, best plan found (greedy), "
            + (f"LP bound {bound:,.6g}, gap {gap:.3%}" if bound is not None else
               "no bound (the LP relaxation stopped early), gap unknown"))
    if stopped:
        text += f"; the heuristic stopped at its time limit ({stopped}) and returns its best plan so far"
    return SolveResult(solver=GREEDY, solver_version=version, status=status, termination=termination,
                       values=plan.values, objective=value, bound=bound, gap=gap, solve_seconds=seconds,
                       options=options, message=text, extra=extra)


def warm_start_plan(model: PlanningModel, options: SolverOptions, *, local_search: bool = True) -> np.ndarray | None:
    """The greedy plan as a warm start for an exact solver (``solver.warm_start: greedy``), or ``None``.

    A short local search (``local_search``): at most :data:`WARM_START_LOCAL_SEARCH_S`, and at
    most a tenth of the exact solver's time limit; all of it within the limit's deadline,
    when the options carry one (:meth:`SolverOptions.started`). The greedy itself may use
    half the grace past the deadline to finish: its plan is the one the solver must beat.
    """
    limit = options.time_limit_s
    search = WARM_START_LOCAL_SEARCH_S if limit is None else min(WARM_START_LOCAL_SEARCH_S, 0.1 * limit)
    if options.deadline is not None:  # at most a tenth of what is left, the rest is the solver's
        search = min(search, 0.1 * max(options.deadline - time.perf_counter(), 0.0))
        deadline = options.deadline
    else:
        deadline = None
    finish_by = None if deadline is None else deadline + 0.5 * options.grace
    if supports(model):
        log.info("warm start: none (%s)", supports(model))
        return None
    try:
        progress = ProgressReporter(options, GREEDY, model.problem.sense)
        plan = greedy_plan(model, local_search_s=search if local_search else 0.0, deadline=deadline,
                           finish_by=finish_by, progress=progress)
        progress.finish()
    except SolverFailure as exc:  # a start is a help, never a reason to stop the exact solve
        log.warning("warm start: none (%s)", exc)
        return None
    if plan.ok:
        log.info("warm start: the greedy plan (objective %.1f, cost %.0f yuan)", plan.objective, plan.cost)
        return plan.values
    log.info("warm start: none (%s)", plan.failure)
    return None
