"""A bound by decomposition by year: the Lagrangian relaxation of the rows linking the years.

The multi-year model (:mod:`optimizer.studies.phasing.model`) is, per year ``t``, the year's own rows
``v_t in S_t`` (coverage, sites, sharing, space, availability; in the last year rules 6 and 7 and the
horizon's ceilings), linked across years by two row families only:

- **nesting**: ``x_t - x_{t+1} <= 0`` and ``o_t - o_{t+1} <= 0`` (a project opens once and keeps serving);
- **the yearly money** (without carry-over): ``c . v_t - c . v_{t-1} <= B_t`` (in units of
  :data:`MONEY_SCALE_YUAN`).

Relaxing both with multipliers ``lam_t >= 0`` (one per nested column and pair of years) and
``mu_t >= 0`` (one per year) gives, for every plan keeping every row,
``sum_t w_t f(v_t) <= sum_t w_t f(v_t) - lam . nesting(v) - mu . money(v)``, because each subtracted
term is a non-negative multiplier times a non-positive row. The right-hand side separates by year:

    L(lam, mu) = sum_t max over v in S_t' of [ w_t f(v) - (lam_t - lam_{t-1}) . (x, o)(v)
                                               - (mu_t - mu_{t+1}) c . v ]  +  sum_t mu_t B_t

with ``lam_{-1} = lam_{T-1} = 0``, ``mu_T = 0``. ``S_t'`` is *year t alone*
(:func:`optimizer.studies.phasing.yearly.year_alone`): ``S_t`` plus "spending up to t at most the money
up to t", a row every plan keeps (the sum of the yearly money rows up to ``t``), so adding it keeps the
relaxation valid. Hence **every** ``L(lam, mu)`` with non-negative multipliers is an upper bound of the
multi-year optimum, and so is ``sum_t U_t + sum_t mu_t B_t`` with ``U_t`` any proven upper bound of year
``t``'s subproblem (its optimum, or its solver's bound when stopped by a limit). At ``lam = mu = 0`` it is
the yearly bound; the best multipliers give the Lagrangian dual, at least as strong as the LP relaxation of
the model with each year's rows replaced by the convex hull of its plans. Milestones are left out of the
subproblems (a relaxation: dropping rows only raises the maximum).

The multipliers are searched by projected subgradient steps (Polyak's rule towards a known plan's value);
each step solves one single-year MIP per year. The bound kept is the smallest seen.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optimizer.scenario import Scenario
from optimizer.studies.phasing import yearly
from optimizer.studies.phasing.model import PhasedModel

log = logging.getLogger(__name__)

#: Yuan per unit of the relaxed money rows (their multipliers price a million yuan): any positive scale keeps
#: the bound valid; this one keeps the money rows' subgradient of the size of the nesting rows' (0 or 1 each).
MONEY_SCALE_YUAN = 1e6
#: Polyak's step factor at the start; halved after :data:`PATIENCE` steps without a better bound.
STEP_FACTOR = 1.0
#: Steps without a better bound before the step factor is halved.
PATIENCE = 3
#: Camerini-Fratta-Maffioli deflection of the subgradient steps (0: none). 1.5 was measured beside 0 on the
#: three-year demo (300 s, load 1.8 -> 4.0): 253.4819 after 13 steps against 253.4637 after 15, no gain.
DEFLECTION = 0.0
#: Smallest step factor before the search stops.
SMALLEST_FACTOR = 1e-3


@dataclass
class LagrangianBound:
    """The best Lagrangian bound found, and its history.

    Attributes
    ----------
    bound
        The smallest ``L(lam, mu)`` (with proven subproblem bounds) seen: an upper bound of the multi-year
        optimum.
    history
        Per step: seconds so far, the step's bound, each year's subproblem bound and whether it was proven.
    steps
        Steps taken (one single-year MIP per year each).
    seconds
        Time spent.
    dual_at_least
        The restricted master's value (:func:`restricted_master`) at the end: the Lagrangian dual (the best
        bound any multipliers give) is at least this, so no step of this decomposition can prove less.
    """

    bound: float = float("inf")
    history: list[dict] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    dual_at_least: float | None = None


def spent(model: PhasedModel, values: np.ndarray) -> float:
    """A single-year plan's spending ``c . v`` (its decisions rounded), in :data:`MONEY_SCALE_YUAN`."""
    return float(np.round(values) @ model.cost) / MONEY_SCALE_YUAN


def nested_columns(model: PhasedModel) -> np.ndarray:
    """Single-year columns that open once and keep serving (``x`` and ``o``)."""
    base = model.base
    return np.concatenate([np.arange(base.x.start, base.x.stop), np.arange(base.o.start, base.o.stop)])


def year_objective(model: PhasedModel, t: int, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Year ``t``'s Lagrangian objective: ``w_t f - (lam_t - lam_{t-1})`` on nested columns ``- (mu_t - mu_{t+1}) c``.

    ``lam`` has shape ``(T - 1, nested columns)``, ``mu`` shape ``(T,)`` (zeros with carry-over).
    """
    T = len(model.horizon.years)
    obj = model.horizon.weights[t] * model.base.problem.objective.copy()
    nested = nested_columns(model)
    if t < T - 1:
        obj[nested] -= lam[t]
    if t > 0:
        obj[nested] += lam[t - 1]
    following = mu[t + 1] if t + 1 < T else 0.0
    obj -= (mu[t] - following) * model.cost / MONEY_SCALE_YUAN
    return obj


def lagrangian_value(model: PhasedModel, lam: np.ndarray, mu: np.ndarray, year_bounds: np.ndarray) -> float:
    """``sum_t U_t + sum_t mu_t B_t``: the bound given each year's proven subproblem bound ``U_t``."""
    return float(year_bounds.sum() + mu @ (model.horizon.budgets / MONEY_SCALE_YUAN))


def linking_rows(model: PhasedModel, years: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The relaxed rows at the years' plans: nesting ``x_t - x_{t+1}`` per pair of years, money per year.

    Both are ``<= 0`` at a plan keeping every row; with carry-over the money part is zero (its rows stay in
    the subproblems).
    """
    T = len(years)
    nested = nested_columns(model)
    nesting = np.array([years[t][nested] - years[t + 1][nested] for t in range(T - 1)]).reshape(T - 1, -1)
    money = np.zeros(T)
    if not model.horizon.carry_over:
        by_year = np.array([spent(model, v) for v in years])
        money = by_year - np.concatenate([[0.0], by_year[:-1]]) - model.horizon.budgets / MONEY_SCALE_YUAN
    return nesting, money


@dataclass
class YearPlans:
    """Plans of each year's subproblem met so far (the restricted master's columns), per year.

    Attributes
    ----------
    value
        Per year, each plan's weighted coverage ``w_t f(v)``.
    nested
        Per year, each plan's nested columns (``x``, ``o``), one row per plan.
    spent
        Per year, each plan's spending ``c . v`` (in :data:`MONEY_SCALE_YUAN`).
    """

    value: list[list[float]]
    nested: list[list[np.ndarray]]
    spent: list[list[float]]

    @classmethod
    def empty(cls, years: int) -> YearPlans:
        """No plan yet."""
        return cls([[] for _ in range(years)], [[] for _ in range(years)], [[] for _ in range(years)])

    def add(self, model: PhasedModel, t: int, values: np.ndarray) -> None:
        """Year ``t``'s single-year plan ``values``."""
        self.value[t].append(float(model.horizon.weights[t] * (model.base.problem.objective @ values)))
        self.nested[t].append(np.round(values[nested_columns(model)]))
        self.spent[t].append(spent(model, values))


def restricted_master(model: PhasedModel, plans: YearPlans) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The best convex combination, per year, of the plans met that keeps nesting and money on average.

    Its value is at most the Lagrangian dual (it is the Dantzig-Wolfe master restricted to some of each
    year's plans, whose LP dual is the Lagrangian dual), so it says how low this decomposition can bring the
    bound at best. Its row prices are multipliers for the next step. ``None`` when the LP has no solution
    (a year without plans).

    Returns
    -------
    tuple
        The value, ``lam`` (shape ``(T - 1, nested columns)``) and ``mu`` (shape ``(T,)``).
    """
    from scipy.optimize import linprog

    T = len(model.horizon.years)
    counts = [len(v) for v in plans.value]
    if min(counts) == 0:
        return None
    first = np.concatenate([[0], np.cumsum(counts)])
    k = int(first[-1])
    m = nested_columns(model).size
    blocks = []
    for t in range(T - 1):  # sum_k a_tk x_tk - sum_k a_t+1,k x_t+1,k <= 0
        row = sp.lil_matrix((m, k))
        row[:, first[t]:first[t + 1]] = np.array(plans.nested[t]).T
        row[:, first[t + 1]:first[t + 2]] = -np.array(plans.nested[t + 1]).T
        blocks.append(row.tocsr())
    budgets = model.horizon.budgets / MONEY_SCALE_YUAN
    money = sp.lil_matrix((T, k))
    if not model.horizon.carry_over:
        for t in range(T):
            money[t, first[t]:first[t + 1]] = plans.spent[t]
            if t:
                money[t, first[t - 1]:first[t]] = -np.array(plans.spent[t - 1])
    a_ub = sp.vstack(blocks + [money.tocsr()], format="csr")
    b_ub = np.concatenate([np.zeros(m * (T - 1)), budgets if not model.horizon.carry_over else np.zeros(T)])
    a_eq = sp.csr_matrix((np.ones(k), (np.repeat(np.arange(T), counts), np.arange(k))), shape=(T, k))
    res = linprog(-np.concatenate(plans.value), A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.ones(T),
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    prices = -np.asarray(res.ineqlin.marginals)
    lam = np.maximum(prices[:m * (T - 1)].reshape(T - 1, m), 0.0)
    mu = np.maximum(prices[m * (T - 1):], 0.0) if not model.horizon.carry_over else np.zeros(T)
    return float(-res.fun), lam, mu


def lagrangian_bound(model: PhasedModel, scenario: Scenario, seconds: float, target: float,
                     seconds_each: float | None = None, max_steps: int = 1000,
                     plans: list[np.ndarray] | tuple[np.ndarray, ...] = (),
                     prices: str = "subgradient", deflection: float = DEFLECTION) -> LagrangianBound:
    """Steps on the multipliers within ``seconds``: the smallest Lagrangian bound found.

    ``prices="subgradient"`` (the default): projected subgradient steps, Polyak's rule towards ``target``;
    ``"master"``: each step's multipliers are the row prices of the restricted master over the plans met so
    far (Dantzig-Wolfe column generation, Kelley's rule on the dual, unstabilised: on the three-year demo
    its bounds jump between 256.6 and 945, measured). Either way every step's bound is valid, and the
    restricted master's value (``dual_at_least``) is kept.

    Parameters
    ----------
    model
        The multi-year model.
    scenario
        Its scenario (the exact solver solves each year's subproblem).
    seconds
        Time for the whole search.
    target
        A plan's value (a lower bound of the optimum), for Polyak's step.
    seconds_each
        Limit of each subproblem (default: what is left, shared by the years).
    max_steps
        Most steps.
    plans
        Multi-year plans keeping every row (e.g. the start plan): their years seed the restricted master.
    prices
        ``"subgradient"`` or ``"master"``.
    deflection
        Camerini-Fratta-Maffioli's factor: a step's direction adds ``beta`` times the last one's when they
        point apart (``beta = max(0, -deflection g . d / |d|^2)``); 0 for plain subgradient steps.
    """
    t0 = time.perf_counter()
    T = len(model.horizon.years)
    nested = nested_columns(model)
    lam = np.zeros((max(T - 1, 0), nested.size))
    mu = np.zeros(T)
    problems = [yearly.year_alone(model, t) for t in range(T)]
    previous: list[np.ndarray] = [np.zeros(pr.n_cols) for pr in problems]
    out = LagrangianBound()
    factor, idle = STEP_FACTOR, 0
    met = YearPlans.empty(T)
    way: tuple[np.ndarray, np.ndarray] | None = None
    for plan in plans:
        for t in range(T):
            met.add(model, t, model.year_values(plan, t))
    while out.steps < max_steps and time.perf_counter() - t0 < seconds and factor >= SMALLEST_FACTOR:
        left = seconds - (time.perf_counter() - t0)
        each = seconds_each if seconds_each is not None else max(left / T, 1.0)
        bounds, proven, years = np.zeros(T), np.zeros(T, dtype=bool), []
        for t in range(T):
            problem = dataclasses.replace(problems[t], objective=year_objective(model, t, lam, mu))
            result = yearly._solve_year(model, problem, scenario, each, previous[t])
            worst = float(np.maximum(problem.objective * problem.col_lower,
                                     problem.objective * problem.col_upper).sum())
            bounds[t] = result.bound if result.bound is not None and np.isfinite(result.bound) else worst
            proven[t] = result.proven_optimal
            values = result.values if result.values is not None else previous[t]
            previous[t] = np.asarray(values, dtype=float)
            years.append(previous[t])
            met.add(model, t, previous[t])
        value = lagrangian_value(model, lam, mu, bounds)
        out.steps += 1
        out.history.append({"step": out.steps, "seconds": round(time.perf_counter() - t0, 1), "bound": value,
                            "year_bounds": bounds.tolist(), "proven": proven.tolist()})
        if value < out.bound - 1e-9:
            out.bound, idle = value, 0
        else:
            idle += 1
            if idle >= PATIENCE:
                factor, idle = factor / 2, 0
        log.info("Lagrangian step %d: %.10g (best %.10g, factor %.3g, %.1f s)", out.steps, value, out.bound, factor,
                 time.perf_counter() - t0)
        master = restricted_master(model, met)
        if master is not None:
            out.dual_at_least = master[0]
            out.history[-1]["master"] = master[0]
            if master[0] >= out.bound - 1e-9:  # the bound meets the master: the Lagrangian dual is reached
                break
            if prices == "master":
                lam, mu = master[1], master[2]
                continue
        nesting, money = linking_rows(model, years)
        # projected: a row kept with slack whose multiplier is already 0 does not move
        nesting = np.where((lam <= 0) & (nesting < 0), 0.0, nesting)
        money = np.where((mu <= 0) & (money < 0), 0.0, money)
        if float((nesting ** 2).sum() + (money ** 2).sum()) <= 1e-12:  # the plans nest and keep the money
            break
        if deflection and way is not None:  # Camerini-Fratta-Maffioli: damp the zig-zag between steps
            inner = float((nesting * way[0]).sum() + money @ way[1])
            beta = max(0.0, -deflection * inner / max(float((way[0] ** 2).sum() + way[1] @ way[1]), 1e-12))
            nesting, money = nesting + beta * way[0], money + beta * way[1]
        way = (nesting, money)
        norm = float((nesting ** 2).sum() + (money ** 2).sum())
        if norm <= 1e-12:
            break
        step = factor * max(value - target, 1e-6) / norm
        lam = np.maximum(0.0, lam + step * nesting)
        mu = np.maximum(0.0, mu + step * money)
    out.seconds = time.perf_counter() - t0
    return out
