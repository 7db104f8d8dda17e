"""A first plan for capacitated mode (rule 4): open sites in the relaxation's order, then size and fill them.

The greedy heuristic (:mod:`optimizer.greedy`) plans coverage mode only, so a capacitated
solve used to start from nothing: on the four-function demo HiGHS's first plan came 8 s
into branch and bound and was worth 65.9 with 20 M yuan of 80 M unspent. This heuristic
starts from the root relaxation that strengthening solves anyway
(:func:`optimizer.model.strengthen.strengthen_root`):

1. **Order.** Candidate pairs by their share opened in the relaxation, largest first;
   a pair is skipped when its function's smallest size no longer fits its site beside the
   pairs taken there, or when the smallest sizes of the pairs taken so far already cost
   more than the budget (sharing savings counted).
2. **Sizing and filling.** For a set of open pairs the rest of the model is a linear
   program: every integer column is fixed (``x`` the set, ``o`` its sites, ``z`` the
   sharing groups it holds whole) and HiGHS chooses the areas and who is served where,
   within reach, capacity, space and the budgets (:class:`Completion`). Its value is the
   plan's value.
3. **How many.** The best prefix of the order, searched on a coarse grid and refined
   (opening too few leaves money unspent; too many pays fixed costs and smallest sizes
   for facilities that serve little).
4. **Moves.** Then, while time is left, the next pairs of the order are tried one by
   one (kept when the plan gains), and the open pairs that serve the least are tried out.

Every plan is a full values vector of the problem, checked against every row, bound
and integrality before it is returned; it is a start, never called optimal here.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

import solvers
from optimizer.capacitated_neighbourhood import neighbourhood_search
from optimizer.model.build import PlanningModel
from optimizer.model.size_caps import pair_site_position, size_caps, smallest_sizes, with_size_caps
from optimizer.model.strengthen import strengthen_root
from optimizer.scenario import Scenario
from solvers.highs import HighsBackend
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import SolverOptions

log = logging.getLogger(__name__)

#: Share of the time limit (and of what is left of it) the heuristic may use.
START_SHARE = 0.15
#: At most this many seconds, whatever the limit.
START_MAX_S = 30.0
#: A pair counts as opened in the relaxation above this.
OPENED = 1e-6
#: A plan breaking any row, bound or integrality by more than this is never returned.
MAX_VIOLATION = 1e-6
#: Without a relaxation from strengthening, the relaxation over this many candidates (the first by
#: people per yuan) orders them, within this share of the heuristic's time.
RESTRICTED_PAIRS = 200
#: See :data:`RESTRICTED_PAIRS`.
RESTRICTED_SHARE = 0.4
#: Prefix lengths tried first, as shares of the pairs left after the filter.
GRID = (0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def supports(model: PlanningModel) -> bool:
    """True for the models this heuristic plans: capacitated mode, most coverage, no complexes."""
    return model.mode == "capacitated" and model.objective == "max_coverage" and model.k.size == 0 \
        and model.x.size > 0


class Completion:
    """The best areas and assignments for a set of open pairs: a linear program over the continuous columns.

    Parameters
    ----------
    model
        The built model (where each block of columns is).
    problem
        The problem solved (the model's, with size caps and strengthening rows).
    """

    def __init__(self, model: PlanningModel, problem: MatrixProblem) -> None:
        self.model = model
        self.problem = problem
        self.columns = sp.csc_matrix(problem.matrix)
        self.pair_position = pair_site_position(model)
        self.solves = 0

    def fixed(self, pairs: np.ndarray) -> np.ndarray:
        """Values of the columns a set of open pairs fixes (NaN where the linear program decides)."""
        m = self.model
        out = np.full(self.problem.n_cols, np.nan)
        x = np.zeros(m.x.size)
        x[pairs] = 1.0
        out[m.x.start:m.x.stop] = x
        o = np.zeros(m.o.size)
        o[self.pair_position[pairs]] = 1.0
        out[m.o.start:m.o.stop] = o
        z = np.array([float(x[members].min()) for members in m.share_members]) if m.z.size else np.zeros(0)
        out[m.z.start:m.z.stop] = z
        closed = x < 0.5
        out[m.a.index(np.flatnonzero(closed))] = 0.0
        out[m.w.index(np.flatnonzero(closed[m.w_pair]))] = 0.0
        if m.z.size:
            out[m.sc.index(np.flatnonzero(z < 0.5))] = 0.0
            out[m.sa.index(np.flatnonzero(z < 0.5))] = 0.0
        return out

    def solve(self, pairs: np.ndarray) -> tuple[float, np.ndarray] | None:
        """``(value, values)`` of the best plan opening exactly ``pairs``; ``None`` when no plan does."""
        import highspy

        p = self.problem
        fixed = self.fixed(np.asarray(pairs, dtype=np.int64))
        free = np.flatnonzero(np.isnan(fixed))
        known = np.where(np.isnan(fixed), 0.0, fixed)
        if ((known < p.col_lower - MAX_VIOLATION) | (known > p.col_upper + MAX_VIOLATION))[~np.isnan(fixed)].any():
            return None  # e.g. a forced-in pair left closed
        shift = p.matrix @ known
        sub = self.columns[:, free].tocsr()
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        others = np.ones(p.n_rows, dtype=bool)
        others[rows] = False
        if ((shift > p.row_upper + MAX_VIOLATION) | (shift < p.row_lower - MAX_VIOLATION))[others].any():
            return None
        values = known.copy()
        self.solves += 1
        if rows.size:
            lp = MatrixProblem(objective=p.objective[free], matrix=sub[rows], row_lower=p.row_lower[rows] - shift[rows],
                               row_upper=p.row_upper[rows] - shift[rows], col_lower=p.col_lower[free],
                               col_upper=p.col_upper[free], integrality=np.zeros(free.size, dtype=bool), sense=p.sense)
            h = HighsBackend._new_highs()
            h.setOptionValue("output_flag", False)
            h.passModel(HighsBackend._to_lp(lp))
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                h.clear()
                return None
            values[free] = np.asarray(h.getSolution().col_value)
            h.clear()
        else:  # nothing left to decide but columns in no row: each at its better bound
            better_up = p.objective[free] > 0 if p.sense is Sense.MAXIMIZE else p.objective[free] < 0
            values[free] = np.where(better_up, p.col_upper[free], p.col_lower[free])
        values = np.clip(values, p.col_lower, p.col_upper)
        if p.max_violation(values) > MAX_VIOLATION:
            return None
        return p.objective_value(values), values


@dataclass
class StartSearch:
    """What the heuristic did, for the log and ``run.json``."""

    order: int = 0
    ordered_by: str = ""
    kept_by_filter: int = 0
    prefix: int = 0
    prefix_value: float | None = None
    value: float | None = None
    pairs: int = 0
    added: int = 0
    dropped: int = 0
    solves: int = 0
    seconds: float = 0.0
    stopped: str = "done"
    trail: list[tuple[int, float | None]] = field(default_factory=list)
    #: The relaxation's values of the pair columns that ordered the candidates (the whole
    #: relaxation's, or the one over :data:`RESTRICTED_PAIRS` candidates with the others at 0);
    #: ``None`` when none was solved. Not in :meth:`as_dict`.
    guide: np.ndarray | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        """The figures as plain JSON values."""
        return {"ordered_by": self.ordered_by, "candidates": self.order, "kept_by_filter": self.kept_by_filter,
                "prefix": self.prefix, "prefix_value": self.prefix_value, "value": self.value,
                "pairs": self.pairs, "added": self.added, "dropped": self.dropped, "solves": self.solves,
                "seconds": round(self.seconds, 2), "stopped": self.stopped}


class _Fit:
    """The cheap filter: smallest sizes at each site within its area, their cost within the total budget."""

    def __init__(self, model: PlanningModel, scenario: Scenario, problem: MatrixProblem) -> None:
        self.model = model
        m = model
        self.smallest = smallest_sizes(m)
        (space_rows, _) = [(a, b) for rule, a, b in m.row_blocks if rule == "space"][0]
        self.site_position = {int(s): i for i, s in enumerate(m.open_site)}
        self.area = problem.row_upper[space_rows:space_rows + len(m.open_site)]
        self.budget = scenario.budget.total if scenario.budget.total is not None else np.inf
        self.groups: dict[int, list[tuple[frozenset[int], float, float]]] = {}
        for i, members in enumerate(m.share_members):
            g = scenario.sharing.groups[int(m.share_group[i])]
            self.groups.setdefault(int(m.share_site[i]), []).append(
                (frozenset(int(q) for q in members), g.area_saving, g.cost_saving))
        self.taken: dict[int, list[int]] = {}
        self.cost = 0.0

    def _site(self, site: int, pairs: list[int]) -> tuple[float, float]:
        m = self.model
        if not pairs:
            return 0.0, 0.0
        area = float(self.smallest[pairs].sum())
        cost = float((m.pair_fixed[pairs] + m.pair_rate[pairs] * self.smallest[pairs]).sum())
        cost += float(m.site_conversion_cost[self.site_position[site]])
        for members, area_share, cost_share in self.groups.get(site, []):
            if members <= set(pairs):
                idx = np.fromiter(members, dtype=np.int64)
                area -= area_share * float(self.smallest[idx].sum())
                cost -= cost_share * float((m.pair_fixed[idx] + m.pair_rate[idx] * self.smallest[idx]).sum())
        return area, cost

    def take(self, pair: int) -> bool:
        """Take ``pair`` when it fits; say whether it did."""
        site = int(self.model.pair_site[pair])
        before = self.taken.get(site, [])
        _, cost0 = self._site(site, before)
        area1, cost1 = self._site(site, before + [pair])
        if area1 > self.area[self.site_position[site]] + 1e-9 or self.cost - cost0 + cost1 > self.budget + 1e-6:
            return False
        self.taken[site] = before + [pair]
        self.cost += cost1 - cost0
        return True


def value_per_yuan_order(model: PlanningModel, problem: MatrixProblem) -> list[int]:
    """Candidate pairs in the order a greedy takes them, without any linear program.

    Each step takes the pair with the most weighted people per yuan: the people still
    unserved within its walk, at most its capacity at its cap (``a``'s upper bound), over its
    fixed cost, its site's conversion (unless a pair taken before converts it) and its
    area's price (at least its smallest size). The people it would serve are then taken
    off the demand rows it reaches, in proportion. Pairs that can never be built (``x``
    fixed at 0) are left out. Used when no relaxation was solved in time.
    """
    m = model
    n = m.x.size
    pairs = np.arange(n)
    w_cols = m.w.index(np.arange(m.w.size))
    people = problem.col_upper[w_cols]
    n_rows = int(m.w_row.max()) + 1 if m.w_row.size else 0
    residual = np.zeros(n_rows)
    residual[m.w_row] = people
    reach = sp.csr_matrix((np.ones(m.w_row.size), (m.w_pair, m.w_row)), shape=(n, n_rows))
    weight = np.zeros(n)
    weight[m.w_pair] = problem.objective[w_cols]
    cap_cols = problem.matrix.tocsc()[:, m.a.index(pairs)]
    (capacity_rows, _) = [(a, b) for rule, a, b in m.row_blocks if rule == "capacity (rule 4)"][0]
    per_m2 = -np.asarray(cap_cols[capacity_rows:capacity_rows + n].diagonal(), dtype=float)
    largest = problem.col_upper[m.a.index(pairs)]
    smallest = smallest_sizes(m)
    position = pair_site_position(m)
    conversion = m.site_conversion_cost[position]
    available = (problem.col_upper[m.x.index(pairs)] > 0.5) & (largest >= smallest - 1e-9) & (per_m2 > 0)
    converted = np.zeros(len(m.open_site), dtype=bool)
    order: list[int] = []
    while available.any():
        reached = reach @ residual
        served = np.minimum(reached, largest * per_m2)
        cost = m.pair_fixed + np.where(converted[position], 0.0, conversion) + \
            m.pair_rate * np.maximum(smallest, served / np.maximum(per_m2, 1e-12))
        score = np.where(available & (served > 0), weight * served / np.maximum(cost, 1e-9), -1.0)
        p = int(np.argmax(score))
        if score[p] <= 0:
            break
        order.append(p)
        available[p] = False
        converted[position[p]] = True
        lo, hi = reach.indptr[p], reach.indptr[p + 1]
        rows = reach.indices[lo:hi]
        residual[rows] *= 1.0 - served[p] / max(reached[p], 1e-12)
    return order


def restricted_relaxation(model: PlanningModel, problem: MatrixProblem, pairs: list[int], seconds: float,
                          options: SolverOptions) -> np.ndarray | None:
    """The relaxation of ``problem`` with only ``pairs`` open to choose (the others and their assignments
    at 0), solved by HiGHS within ``seconds``; its values, or ``None``.

    A quarter or less of the candidates and their assignments: on the four-function demo 5 s
    where the whole relaxation takes 35-50 s (load 8), and an order as good to round from.
    """
    if seconds < 1.0 or not pairs:
        return None
    m = model
    keep = np.zeros(m.x.size, dtype=bool)
    keep[pairs] = True
    upper = problem.col_upper.copy()
    upper[m.x.index(np.flatnonzero(~keep))] = np.maximum(problem.col_lower[m.x.index(np.flatnonzero(~keep))], 0.0)
    upper[m.w.index(np.flatnonzero(~keep[m.w_pair]))] = 0.0
    relaxed = dataclasses.replace(problem, col_upper=upper, integrality=np.zeros(problem.n_cols, dtype=bool),
                                  start=None)
    result = solvers.get_solver("highs").solve(relaxed, SolverOptions(time_limit_s=seconds, threads=options.threads))
    if result.values is None or not result.status.has_solution:
        return None
    return result.values


def capacitated_start(model: PlanningModel, scenario: Scenario, problem: MatrixProblem, point: np.ndarray | None,
                      options: SolverOptions) -> tuple[np.ndarray | None, StartSearch]:
    """A plan of ``problem`` from the relaxation's ``point`` (module docstring), or ``None``.

    Parameters
    ----------
    model
        The built capacitated model.
    scenario
        Its scenario (the total budget and sharing groups, for the cheap filter).
    problem
        The problem the solver gets (its columns are the model's).
    point
        A relaxation's values (the last of strengthening); ``None``: no plan.
    options
        The solve's options: the heuristic takes at most :data:`START_SHARE` of the limit
        and of what is left, and :data:`START_MAX_S`.
    """
    t0 = time.perf_counter()
    search = StartSearch()
    if not supports(model) or problem.sense is not Sense.MAXIMIZE:
        search.stopped = "not planned"
        return None, search
    left = options.remaining_s()
    allowed = START_MAX_S if left is None else min(START_MAX_S, START_SHARE * float(options.time_limit_s or left),
                                                   0.5 * left)
    deadline = t0 + allowed
    if point is not None:
        opened = search.guide = point[model.x.start:model.x.stop]
        order = [int(p) for p in np.argsort(-opened, kind="stable") if opened[p] > OPENED]
        search.ordered_by = "relaxation"
    else:
        order = value_per_yuan_order(model, problem)
        search.ordered_by = "people per yuan"
        restricted = restricted_relaxation(model, problem, order[:RESTRICTED_PAIRS],
                                           RESTRICTED_SHARE * (deadline - time.perf_counter()), options)
        if restricted is not None:
            opened = search.guide = restricted[model.x.start:model.x.stop]
            order = [int(p) for p in np.argsort(-opened, kind="stable") if opened[p] > OPENED]
            search.ordered_by = f"relaxation over the first {RESTRICTED_PAIRS} by people per yuan"
    search.order = len(order)
    fit = _Fit(model, scenario, problem)
    kept = [p for p in order if fit.take(p)]
    search.kept_by_filter = len(kept)
    completion = Completion(model, problem)
    best: tuple[float, np.ndarray, list[int]] | None = None
    tried: dict[int, float | None] = {}

    def prefix(k: int) -> float | None:
        if k not in tried:
            done = completion.solve(np.array(kept[:k], dtype=np.int64))
            tried[k] = None if done is None else done[0]
            search.trail.append((k, tried[k]))
            nonlocal best
            if done is not None and (best is None or done[0] > best[0] + 1e-9):
                best = (done[0], done[1], list(kept[:k]))
        return tried[k]

    for share in GRID:  # coarse, then halve the step around the best
        if time.perf_counter() > deadline:
            search.stopped = "time (prefix grid)"
            break
        prefix(max(1, round(share * len(kept))))
    step = max(1, len(kept) // 10)
    while step > 1 and time.perf_counter() <= deadline and best is not None:
        step //= 2
        k = len(best[2])
        for j in (k - step, k + step):
            if 1 <= j <= len(kept) and time.perf_counter() <= deadline:
                prefix(j)
    if best is None:
        search.solves, search.seconds = completion.solves, time.perf_counter() - t0
        search.stopped = "no plan"
        return None, search
    search.prefix, search.prefix_value = len(best[2]), best[0]
    value, values, chosen = best
    rest = [p for p in order if p not in set(chosen)]
    for p in rest:  # the next pairs of the order, one by one
        if time.perf_counter() > deadline:
            search.stopped = "time (adding)"
            break
        done = completion.solve(np.array(chosen + [p], dtype=np.int64))
        if done is not None and done[0] > value + 1e-9:
            value, values, chosen = done[0], done[1], chosen + [p]
            search.added += 1
    weight = np.bincount(model.w_pair, weights=problem.objective[model.w.start:model.w.stop]
                         * values[model.w.start:model.w.stop], minlength=model.x.size)
    for p in sorted(chosen, key=lambda q: weight[q]):  # those serving least, out
        if time.perf_counter() > deadline:
            search.stopped = "time (dropping)"
            break
        trial = [q for q in chosen if q != p]
        done = completion.solve(np.array(trial, dtype=np.int64))
        if done is not None and done[0] > value + 1e-9:
            value, values, chosen = done[0], done[1], trial
            search.dropped += 1
    search.value, search.pairs = value, len(chosen)
    search.solves, search.seconds = completion.solves, time.perf_counter() - t0
    if problem.max_violation(values) > MAX_VIOLATION:  # Completion checks each plan; never hand over a bad one
        search.stopped = "plan breaks a row"
        return None, search
    log.info("capacitated start: %d pairs, value %.6g (prefix %d of %d: %s), %d added, %d dropped, "
             "%d linear programs, %.1f s", len(chosen), value, search.prefix, len(kept),
             f"{search.prefix_value:.6g}", search.added, search.dropped, search.solves, search.seconds)
    return values, search


def prepare_capacitated(model: PlanningModel, scenario: Scenario, options: SolverOptions,
                        want_start: bool) -> tuple[MatrixProblem, np.ndarray | None]:
    """The problem a capacitated solve hands over, and a plan to start from.

    Size caps (:mod:`optimizer.model.size_caps`), then root strengthening from them
    (:func:`optimizer.model.strengthen.strengthen_root`), then, when ``want_start``, this
    module's plan from the last relaxation, improved where that relaxation and the plan
    agree (:mod:`optimizer.capacitated_neighbourhood`); each plan is reported to
    ``options.on_progress`` as it comes (the live line). What each did goes to
    ``model.stats`` (``size_caps``, ``strengthening``, ``capacitated_start``,
    ``neighbourhood_search``), hence ``run.json``.
    """
    problem = model.problem
    caps = size_caps(model, scenario)
    if caps is not None:
        problem = with_size_caps(model, caps)
        model.stats["size_caps"] = caps.stats(model.problem.col_upper[model.a.start:model.a.stop])
    done = strengthen_root(model, options, problem=problem)
    model.stats["strengthening"] = done.stats
    if not want_start:
        return done.problem, None
    start, search = capacitated_start(model, scenario, done.problem, done.point, options)
    model.stats["capacitated_start"] = search.as_dict()
    if start is not None:  # shown on the live line and in the log before the exact solver starts
        first = ProgressReporter(options, "first plan", done.problem.sense)
        first.report(incumbent=done.problem.objective_value(start))
        first.finish()
        start, near = neighbourhood_search(model, done.problem, start, search.guide, options)
        model.stats["neighbourhood_search"] = near.as_dict()
    return done.problem, start
