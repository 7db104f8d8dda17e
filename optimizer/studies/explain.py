"""Why this site, why not that one: what each decision of a finished run is worth.

From a run folder the run's scenario and model are rebuilt on the same inputs (refused
when an input file changed since: its hash differs from ``run.json``'s), and then:

- **for each chosen site**: the people only it reaches, per function (they lose their
  service if the site were dropped and nothing else changed) and the objective lost in
  that case, both **exact** (read from the model's arrays, no solve); the objective lost
  **after re-planning** without it (a re-solve with the site forced out, warm-started
  from the plan minus the site); and yuan per person (the site's cost over the people
  only it reaches, and over the people it newly covers);
- **for the best sites not chosen** (ranked by what they would add on top of the plan,
  exact, no solve): what they would add (people and objective), what they would
  displace and the objective change when forced in (a re-solve), and the budget at which
  they can enter (a bound: the plan's cost plus the site's);
- **for each forced decision** (``decisions.force_in`` / ``force_out``, the sites'
  ``forced`` column): its price, the objective gained by re-solving without it.

Every figure says how well it is known (:class:`Figure`): ``exact`` (computed, no
solve), ``proven`` (the run and the re-solve both proven optimal: optimum minus
optimum), ``bound`` (an interval ``[low, high]`` from the solvers' values and bounds),
``infeasible`` (no plan meets every rule that way) or ``not solved``.

Pure computation: nothing here writes a file (:mod:`optimizer.outputs.explain_files` does).
Coverage mode with objective ``share`` or ``people`` only; other runs are refused.
"""
from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import solvers
from optimizer.errors import InputError, LifecircleError, Problem, SolverFailure
from optimizer.model.build import PlanningModel, build_model
from optimizer.model.decisions import ForcedDecisions
from optimizer.pipeline import ModelSetup, prepare_model, validate
from optimizer.reach.cache import ReachCache
from optimizer.run_folder import RunFolder
from optimizer.scenario import Scenario, apply_overrides, parse_scenario
from optimizer.solver_choice import resolve_solver
from optimizer.solving import solve
from solvers.result import SolveResult, SolveStatus

log = logging.getLogger(__name__)

#: Objectives whose plans are explained (coverage mode): the objective counts covered people.
EXPLAINED_OBJECTIVES = ("share", "people")
#: How many of the best sites not chosen are explained by default.
DEFAULT_TOP = 5

#: progress(done, total, what, seconds_left): called after each re-solve (seconds_left ``None`` at first).
Progress = Callable[[int, int, str, "float | None"], None]


@dataclass(frozen=True)
class Figure:
    """A figure and how well it is known.

    Attributes
    ----------
    value
        The figure (``None`` when only an interval, or nothing, is known).
    low, high
        The interval it lies in (equal to ``value`` when exact or proven).
    basis
        ``exact`` (computed, no solve), ``proven`` (re-solves proven optimal), ``bound``
        (only the interval is known), ``infeasible`` (no plan that way) or ``not solved``.
    """

    value: float | None
    low: float | None
    high: float | None
    basis: str

    @property
    def proven(self) -> bool:
        """True when the figure is exact or proven (not a bound)."""
        return self.basis in ("exact", "proven")

    def as_dict(self) -> dict:
        """JSON-ready: value, low, high, basis, proven."""
        return {"value": self.value, "low": self.low, "high": self.high, "basis": self.basis, "proven": self.proven}


def exact(value: float) -> Figure:
    """A figure computed from the model's arrays without a solve."""
    return Figure(float(value), float(value), float(value), "exact")


def _unknown(basis: str) -> Figure:
    return Figure(None, None, None, basis)


@dataclass(frozen=True)
class Resolve:
    """One re-solve: what was asked, what the solver said, the plan it found (site rows -> functions)."""

    asked: str
    status: str
    proven: bool
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    plan: dict[int, tuple[str, ...]] = field(default_factory=dict)
    message: str = ""

    def as_dict(self) -> dict:
        """JSON-ready (the plan left out)."""
        return {"asked": self.asked, "status": self.status, "proven": self.proven, "objective": self.objective,
                "bound": self.bound, "seconds": round(self.seconds, 2), "solver": self.solver,
                "message": self.message}


@dataclass(frozen=True)
class RunFigures:
    """The run's objective, its bound and whether it was proven."""

    objective: float
    bound: float
    proven: bool


def change(run: RunFigures, again: Resolve, narrower: bool) -> Figure:
    """The objective of a re-solve minus the run's, proven or as an interval.

    The run's optimum lies in ``[objective, bound]``, the re-solve's in ``[its value, its
    bound]`` (maximising), so the change lies in ``[value - run bound, bound - run objective]``.
    ``narrower``: the re-solve's rules are the run's and more (a site forced out or in), so
    its optimum is no better: the change is at most 0; else fewer (a forced decision
    lifted): at least 0. Proven only when both were proven optimal.
    """
    if again.status == "infeasible":
        return _unknown("infeasible")
    if again.objective is None:
        return _unknown("not solved")
    value = again.objective - run.objective
    if run.proven and again.proven:
        return Figure(value, value, value, "proven")
    low = again.objective - run.bound
    high = None if again.bound is None else again.bound - run.objective
    if narrower:
        high = 0.0 if high is None else min(high, 0.0)
    else:
        low = max(low, 0.0)
    return Figure(None, low, high, "bound")


def negated(f: Figure) -> Figure:
    """``-f``: a loss from a change."""
    def neg(v):
        return None if v is None else -v
    return Figure(neg(f.value), neg(f.high), neg(f.low), f.basis)


@dataclass(frozen=True)
class ChosenSite:
    """Why this site: what the plan loses without it."""

    site_id: str
    name: str
    functions: tuple[str, ...]
    cost: float
    forced: bool
    people_only_here: dict[str, float]
    people_reached: dict[str, float]
    lost_unchanged: Figure
    lost_replanned: Figure | None
    yuan_per_person_only_here: float | None
    yuan_per_person_reached: float | None
    resolve: Resolve | None = None
    replan_adds: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {"site_id": self.site_id, "name": self.name, "functions": list(self.functions), "cost": self.cost,
                "forced_in": self.forced, "people_only_here": self.people_only_here,
                "people_only_here_total": sum(self.people_only_here.values()),
                "people_reached": self.people_reached, "people_reached_total": sum(self.people_reached.values()),
                "lost_if_dropped_unchanged": self.lost_unchanged.as_dict(),
                "lost_after_replanning": None if self.lost_replanned is None else self.lost_replanned.as_dict(),
                "replanning_adds": list(self.replan_adds),
                "yuan_per_person_only_here": self.yuan_per_person_only_here,
                "yuan_per_person_reached": self.yuan_per_person_reached,
                "resolve": None if self.resolve is None else self.resolve.as_dict()}


@dataclass(frozen=True)
class UnchosenSite:
    """Why not that one: what it would add, what it would displace, the budget at which it enters."""

    site_id: str
    name: str
    functions: tuple[str, ...]
    cost: float
    adds_people: dict[str, float]
    adds: Figure
    change_forced_in: Figure | None
    displaced: tuple[str, ...]
    also_added: tuple[str, ...]
    enters_by_budget: float
    resolve: Resolve | None = None

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {"site_id": self.site_id, "name": self.name, "functions": list(self.functions), "cost": self.cost,
                "adds_people": self.adds_people, "adds_people_total": sum(self.adds_people.values()),
                "adds_objective": self.adds.as_dict(),
                "change_if_forced_in": None if self.change_forced_in is None else self.change_forced_in.as_dict(),
                "displaced": list(self.displaced), "also_added": list(self.also_added),
                "enters_by_budget": {"value": self.enters_by_budget, "basis": "bound", "proven": False,
                                     "meaning": "the plan's cost plus this site's: at this budget a plan with "
                                                "the site is at least as good as today's (it may enter below)"},
                "resolve": None if self.resolve is None else self.resolve.as_dict()}


@dataclass(frozen=True)
class ForcedPrice:
    """The price of a forced decision: the objective gained by re-solving without it."""

    decision: str
    entry: str
    source: str
    price: Figure
    resolve: Resolve | None = None

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {"decision": self.decision, "entry": self.entry, "source": self.source, "price": self.price.as_dict(),
                "resolve": None if self.resolve is None else self.resolve.as_dict()}


@dataclass
class Explanation:
    """Everything ``lifecircle explain`` found about one run."""

    run: str
    objective_kind: str
    objective_unit: str
    run_figures: RunFigures
    rebuilt_objective: float
    chosen: list[ChosenSite] = field(default_factory=list)
    unchosen: list[UnchosenSite] = field(default_factory=list)
    forced: list[ForcedPrice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    solver: str = ""
    time_limit_s: float | None = None
    scope: str = "all"

    def as_dict(self) -> dict:
        """JSON-ready (``explain.json``)."""
        return {"run": self.run, "scope": self.scope, "objective_kind": self.objective_kind,
                "objective_unit": self.objective_unit,
                "run_objective": self.run_figures.objective, "run_bound": self.run_figures.bound,
                "run_proven": self.run_figures.proven, "rebuilt_objective": self.rebuilt_objective,
                "solver": self.solver, "time_limit_s": self.time_limit_s,
                "chosen": [c.as_dict() for c in self.chosen], "not_chosen": [u.as_dict() for u in self.unchosen],
                "forced": [f.as_dict() for f in self.forced], "notes": list(self.notes)}


# ----------------------------------------------------------------------------- the run rebuilt
def run_scenario_of(folder: RunFolder, overrides: list[str] | None = None) -> Scenario:
    """The run's scenario from ``run.json`` (its resolved keys), with ``overrides`` (``solver.*=``) applied.

    Raises
    ------
    InputError
        ``run.json`` holds no resolved scenario, or one that no longer parses.
    """
    resolved = folder.resolved
    record = folder.path / "run.json"
    if not resolved:
        raise InputError([Problem(str(record), "holds no resolved scenario (scenario.resolved): the run cannot be "
                                               "rebuilt; solve the scenario again")])
    source = str((folder.record.get("scenario") or {}).get("source") or record)
    try:
        scenario = parse_scenario(resolved, source=source)
    except LifecircleError as exc:
        raise InputError([Problem(str(record), f"its scenario no longer reads: {exc}")]) from None
    if not overrides:
        return scenario
    return parse_scenario(apply_overrides(resolved, overrides), source="--solver / --time-limit")


def changed_inputs(recorded: dict[str, str], now: dict[str, str]) -> list[str]:
    """Input files whose SHA-256 now differs from the run's (or that are gone or new), by path."""
    return sorted(p for p in set(recorded) | set(now) if recorded.get(p) != now.get(p))


def rebuild(folder: RunFolder, scenario: Scenario, reach_cache: ReachCache | None = None) -> ModelSetup:
    """The run's model, rebuilt on the same inputs.

    Raises
    ------
    InputError
        The run is not explained (not coverage mode with objective share or people), or an
        input file changed since the run (each named).
    SolverFailure
        The re-solves' solver cannot run here.
    """
    if scenario.model.mode != "coverage" or scenario.objective not in EXPLAINED_OBJECTIVES:
        raise InputError([Problem(str(folder.path / "run.json"),
                                  f"explain covers coverage-mode runs with objective share or people; this run is "
                                  f"{scenario.model.mode} mode with objective {scenario.objective}")])
    inputs, _, _ = validate(scenario)
    changed = changed_inputs(folder.input_hashes, inputs.file_hashes)
    if changed:
        raise InputError([Problem(p, "changed since the run was solved (its SHA-256 differs from run.json's): "
                                     "the run cannot be explained on other inputs; solve the scenario again")
                          for p in changed])
    setup = prepare_model(scenario, inputs=inputs, reach_cache=reach_cache)
    name = resolve_solver(scenario.solver.name, "planning", setup.model.problem.n_rows)
    try:  # a solver that cannot run here fails now, not once per re-solve
        solvers.get_solver(name)
    except solvers.SolverUnavailable as exc:
        raise SolverFailure(str(exc)) from None
    return setup


def plan_assignment(folder: RunFolder, setup: ModelSetup) -> dict[int, tuple[str, ...]]:
    """The run's plan as site row -> functions (``plan_facilities.csv``)."""
    row_of = {sid: i for i, sid in enumerate(setup.inputs.sites["site_id"].astype(str))}
    out: dict[int, tuple[str, ...]] = {}
    problems = []
    for sid, fn in zip(folder.facilities["site_id"], folder.facilities["function"], strict=True):
        if sid not in row_of:
            problems.append(Problem(str(folder.path / "plan_facilities.csv"), "site is not in the inputs' sites",
                                    row=f"site_id={sid}"))
            continue
        out[row_of[sid]] = out.get(row_of[sid], ()) + (str(fn),)
    if problems:
        raise InputError(problems)
    return out


def plan_values(model: PlanningModel, assignment: dict[int, tuple[str, ...]],
                complexes: dict[int, str] | None = None) -> np.ndarray:
    """The model's values of a plan (coverage mode): ``x``, ``o``, ``z``, ``k`` and the covered shares ``y``.

    Pairs that are not columns of ``model`` (forced out, or reaching nobody new) are left out.
    """
    values = np.zeros(model.problem.n_cols)
    pair_of = {(int(s), model.functions[f]): p for p, (s, f) in
               enumerate(zip(model.pair_site, model.pair_function, strict=True))}
    on = np.zeros(len(model.pair_site), dtype=bool)
    for s, fs in assignment.items():
        for f in fs:
            p = pair_of.get((int(s), f))
            if p is not None:
                on[p] = True
    values[model.x.index(np.flatnonzero(on))] = 1.0
    opened = set(int(s) for s in model.pair_site[on])
    for i, s in enumerate(model.open_site):
        if int(s) in opened:
            values[model.o.index(i)] = 1.0
    for i, members in enumerate(model.share_members):
        if len(members) and on[members].all():
            values[model.z.index(i)] = 1.0
    cx = model.complexes
    for i, (s, kind) in enumerate(zip(cx.site, cx.kind, strict=True)):
        if (complexes or {}).get(int(s)) == cx.names[int(kind)]:
            values[model.k.start + i] = 1.0
    for f, count in reaching_counts(model, values).items():
        off = model.y_offsets[f]
        values[model.y.index(off + np.arange(len(count)))] = np.minimum(count, 1.0)
    return values


def reaching_counts(model: PlanningModel, values: np.ndarray) -> dict[str, np.ndarray]:
    """Per function, how many chosen facilities reach each demand row."""
    xv = np.round(values[model.x.start:model.x.stop])
    out = {}
    for k, f in enumerate(model.functions):
        pairs = np.flatnonzero(model.pair_function == k)
        out[f] = np.asarray(model.coverage[f].pattern @ xv[pairs]).ravel()
    return out


def _site_pairs(model: PlanningModel, site_row: int) -> dict[str, int]:
    """Function -> the pair (index among the function's own pairs) of ``site_row``."""
    out = {}
    for k, f in enumerate(model.functions):
        pairs = np.flatnonzero(model.pair_function == k)
        at = np.flatnonzero(model.pair_site[pairs] == site_row)
        if len(at):
            out[f] = int(at[0])
    return out


def only_here(model: PlanningModel, counts: dict[str, np.ndarray], site_row: int,
              functions: tuple[str, ...]) -> tuple[dict[str, float], dict[str, float], float]:
    """People only ``site_row`` reaches and people it reaches, per function, and the objective of the former.

    A demand row is reached only here when the site's facility of the function reaches it
    and no other chosen facility does: dropping the site (nothing else changed) loses it.
    """
    only, reached, objective = {}, {}, 0.0
    pairs = _site_pairs(model, site_row)
    for f in functions:
        if f not in pairs:
            only[f] = reached[f] = 0.0
            continue
        rows = model.coverage[f]
        reaches = np.asarray(rows.pattern[:, pairs[f]].todense()).ravel() > 0
        alone = reaches & (counts[f] == 1)
        only[f] = float(rows.people[alone].sum())
        reached[f] = float(rows.people[reaches].sum())
        objective += float(rows.weight[alone].sum())
    return only, reached, objective


def best_addition(model: PlanningModel, counts: dict[str, np.ndarray], site_row: int, area_m2: float
                  ) -> tuple[tuple[str, ...], dict[str, float], float, float]:
    """What an unchosen site would add on top of the plan: the best set of its functions that fits its space.

    Each of its facilities adds the people it reaches whom no chosen facility of the
    function reaches. Sets are sized at standard sizes without sharing's area saving (a
    set that fits only thanks to the saving is left out).

    Returns
    -------
    functions, people per function, objective added, cost (conversion + fit-out - sharing savings)
    """
    pairs = _site_pairs(model, site_row)
    gain: dict[str, tuple[float, float]] = {}
    for f, p in pairs.items():
        rows = model.coverage[f]
        new = (np.asarray(rows.pattern[:, p].todense()).ravel() > 0) & (counts[f] == 0)
        gain[f] = (float(rows.people[new].sum()), float(rows.weight[new].sum()))
    k_of = {f: k for k, f in enumerate(model.functions)}
    pair_index = {f: int(np.flatnonzero(model.pair_function == k_of[f])[p]) for f, p in pairs.items()}
    best: tuple[tuple[str, ...], float] = ((), 0.0)
    useful = [f for f in pairs if gain[f][1] > 0]
    for n in range(1, len(useful) + 1):
        for combo in itertools.combinations(useful, n):
            if sum(model.pair_area[pair_index[f]] for f in combo) > area_m2 + 1e-9:
                continue
            total = sum(gain[f][1] for f in combo)
            if total > best[1] + 1e-12:
                best = (combo, total)
    combo = best[0]
    chosen = {pair_index[f] for f in combo}
    cost = float(sum(model.pair_cost[p] for p in chosen))
    at = np.flatnonzero(model.open_site == site_row)
    if combo and len(at):
        cost += float(model.site_conversion_cost[at[0]])
    for i, members in enumerate(model.share_members):
        if len(members) and set(int(m) for m in members) <= chosen:
            cost -= float(model.share_cost_saving[i])
    return combo, {f: gain[f][0] for f in combo}, best[1], cost


# ----------------------------------------------------------------------------- re-solves
def forced_without(forced: ForcedDecisions, site_row: int | None = None, *, add_out: int | None = None,
                   add_in: int | None = None, drop: tuple[str, object] | None = None) -> ForcedDecisions:
    """``forced`` changed: ``add_out`` forced out (its own forces in lifted), ``add_in`` forced in, ``drop`` lifted.

    ``drop`` is ``(kind, what)``: ``in_site``/``out_site`` with a site row, ``in_pair``/``out_pair``
    with a ``(site row, function)``.
    """
    in_sites, out_sites = set(forced.in_sites.tolist()), set(forced.out_sites.tolist())
    in_pairs, out_pairs = set(forced.in_pairs), set(forced.out_pairs)
    if add_out is not None:
        in_sites.discard(add_out)
        in_pairs = {(s, f) for s, f in in_pairs if s != add_out}
        out_sites.add(add_out)
    if add_in is not None:
        in_sites.add(add_in)
    if drop is not None:
        kind, what = drop
        {"in_site": in_sites, "out_site": out_sites, "in_pair": in_pairs, "out_pair": out_pairs}[kind].discard(what)
    return ForcedDecisions(np.array(sorted(in_sites), dtype=np.int64), np.array(sorted(out_sites), dtype=np.int64),
                           tuple(sorted(in_pairs)), tuple(sorted(out_pairs)))


def resolve(setup: ModelSetup, forced: ForcedDecisions, asked: str,
            start: dict[int, tuple[str, ...]] | None = None, complexes: dict[int, str] | None = None) -> Resolve:
    """Solve the run's model again with other forced decisions (the scenario's solver and time limit).

    ``start``: a plan (site row -> functions) to warm-start from, when the backend takes starts
    (without one an exact solver starts from the greedy plan, as ``solve`` does).
    """
    t0 = time.perf_counter()
    model = build_model(setup.inputs, setup.reach_sites, setup.reach_facilities, setup.scenario, forced,
                        setup.existing)
    values = plan_values(model, start, complexes) if start is not None else None
    try:
        result: SolveResult = solve(model, setup.scenario, values)
    except SolverFailure as exc:
        return Resolve(asked, "not solved", False, None, None, time.perf_counter() - t0, setup.scenario.solver.name,
                       message=str(exc))
    seconds = time.perf_counter() - t0
    if result.status is SolveStatus.INFEASIBLE:
        return Resolve(asked, "infeasible", False, None, None, seconds, result.solver,
                       message="no plan meets every rule this way")
    if result.objective is None or result.values is None:  # solve() raises first; kept for the types
        return Resolve(asked, "not solved", False, None, None, seconds, result.solver, message=result.message or "")
    return Resolve(asked, result.status.value, result.proven_optimal, float(result.objective), result.bound, seconds,
                   result.solver, model.assignment(result.values), result.message or "")


class _Clock:
    """Counts re-solves and estimates the time left from the mean so far."""

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.done, self.progress, self.t0 = total, 0, progress, time.perf_counter()

    def tick(self, what: str) -> None:
        self.done += 1
        if self.progress is None:
            return
        spent = time.perf_counter() - self.t0
        left = spent / self.done * (self.total - self.done)
        self.progress(self.done, self.total, what, left)


# ----------------------------------------------------------------------------- the explanation
def explain(folder: RunFolder, setup: ModelSetup, *, site: str | None = None, top: int = DEFAULT_TOP,
            progress: Progress | None = None) -> Explanation:
    """Explain the run's choices: chosen sites, the best sites not chosen, forced decisions.

    Parameters
    ----------
    folder
        The run folder.
    setup
        Its model, rebuilt (:func:`rebuild`), with the solver and time limit for the re-solves.
    site
        Only this site (chosen: why this one; a candidate not chosen: why not that one).
    top
        How many of the best sites not chosen to explain (without ``site``).
    progress
        Called after each re-solve.

    Raises
    ------
    InputError
        ``site`` is not in the inputs, or is no candidate of the model (exit 3, naming it).
    """
    model, inputs = setup.model, setup.inputs
    ids = inputs.sites["site_id"].astype(str).to_numpy()
    names = (inputs.sites["name"].fillna("").astype(str).to_numpy() if "name" in inputs.sites.columns
             else np.array([""] * len(ids), dtype=object))
    record = folder.record
    objective = float(record["objective"])
    bound = record.get("bound")
    run_fig = RunFigures(objective, float(bound) if bound is not None else objective,
                         bool(record.get("proven_optimal")))
    assignment = plan_assignment(folder, setup)
    row_of = {sid: i for i, sid in enumerate(ids)}
    complexes = {row_of[c["site_id"]]: str(c["complex"]) for c in ((record.get("plan") or {}).get("complexes") or [])
                 if c.get("site_id") in row_of}
    values = plan_values(model, assignment, complexes)
    rebuilt = model.problem.objective_value(values)
    counts = reaching_counts(model, values)
    out = Explanation(folder.name, setup.scenario.objective, str(record.get("objective_unit") or ""), run_fig,
                      rebuilt, solver=setup.scenario.solver.name, time_limit_s=setup.scenario.solver.time_limit_s)
    if abs(rebuilt - run_fig.objective) > 1e-6 * max(1.0, abs(run_fig.objective)):
        out.notes.append(f"the plan's objective in the rebuilt model is {rebuilt:.6f}, the run's "
                         f"{run_fig.objective:.6f}: the figures are of the rebuilt model")
    cost_of = dict(zip(folder.sites["site_id"], folder.sites["total_cost"].astype(float), strict=True))
    candidates = {int(s) for s in model.pair_site}
    plan_cost = float(sum(cost_of.values()))

    if site is not None:
        out.scope = "some sites"
        if site not in row_of:
            raise InputError([Problem(str(setup.scenario.inputs.sites.path), f"site {site!r} is not in the sites "
                                      "table (give a site_id of the idle asset ledger)", column="site_id")])
        s = row_of[site]
        if s not in assignment and s not in candidates:
            raise InputError([Problem(str(folder.path / "plan_sites.csv"),
                                      f"site {site!r} is not in the plan and is no candidate of the run (not "
                                      "eligible for any function, forced out, or reaching nobody not served yet)",
                                      row=f"site_id={site}")])
        chosen_rows = [s] if s in assignment else []
        unchosen_rows = [] if s in assignment else [s]
        forced_entries: list[tuple[str, str, str, tuple[str, object]]] = []
    else:
        chosen_rows = sorted(assignment, key=lambda r: ids[r])
        additions = []
        for s in candidates - set(assignment):
            if s in set(setup.forced.out_sites.tolist()):
                continue
            combo, _, gain, _ = best_addition(model, counts, s, float(inputs.sites["area_m2"].iloc[s]))
            if combo:
                additions.append((gain, ids[s], s))
        unchosen_rows = [s for _, _, s in sorted(additions, key=lambda t: (-t[0], t[1]))[:max(top, 0)]]
        forced_entries = forced_list(setup, ids)

    clock = _Clock(len(chosen_rows) + len(unchosen_rows) + len(forced_entries), progress)
    for s in chosen_rows:
        fs = assignment[s]
        only, reached, lost = only_here(model, counts, s, fs)
        cost = float(cost_of.get(ids[s], 0.0))
        n_only, n_reached = sum(only.values()), sum(reached.values())
        again = resolve(setup, forced_without(setup.forced, add_out=s), f"force_out {ids[s]}",
                        start={r: f for r, f in assignment.items() if r != s}, complexes=complexes)
        clock.tick(ids[s])
        adds = tuple(sorted(ids[r] for r in again.plan if r not in assignment))
        out.chosen.append(ChosenSite(
            ids[s], str(names[s]), fs, cost, bool(s in setup.forced.in_sites or any(r == s for r, _ in
                                                                                    setup.forced.in_pairs)),
            only, reached, exact(lost), negated(change(run_fig, again, narrower=True)),
            cost / n_only if n_only > 0 else None, cost / n_reached if n_reached > 0 else None, again, adds))
    for s in unchosen_rows:
        combo, people, gain, cost = best_addition(model, counts, s, float(inputs.sites["area_m2"].iloc[s]))
        again = resolve(setup, forced_without(setup.forced, add_in=s), f"force_in {ids[s]}")
        clock.tick(ids[s])
        displaced = tuple(sorted(ids[r] for r in assignment if r not in again.plan))
        also = tuple(sorted(ids[r] for r in again.plan if r not in assignment and r != s))
        out.unchosen.append(UnchosenSite(ids[s], str(names[s]), combo, cost, people, exact(gain),
                                         change(run_fig, again, narrower=True), displaced, also, plan_cost + cost,
                                         again))
    for decision, entry, source, drop in forced_entries:
        again = resolve(setup, forced_without(setup.forced, drop=drop), f"without {decision} {entry}",
                        start=assignment, complexes=complexes)
        clock.tick(entry)
        out.forced.append(ForcedPrice(decision, entry, source, change(run_fig, again, narrower=False), again))
    return out


def forced_list(setup: ModelSetup, ids: np.ndarray) -> list[tuple[str, str, str, tuple[str, object]]]:
    """Each forced decision: ``(force_in|force_out, SITE or SITE:function, where it is stated, what to lift)``."""
    decisions = setup.scenario.decisions
    said_in, said_out = set(decisions.force_in), set(decisions.force_out)
    sites_file = Path(str(setup.scenario.inputs.sites.path)).name
    out: list[tuple[str, str, str, tuple[str, object]]] = []
    for kind, rows, said in (("force_in", setup.forced.in_sites, said_in), ("force_out", setup.forced.out_sites,
                                                                            said_out)):
        for s in rows.tolist():
            where = f"decisions.{kind}" if ids[s] in said else f"{sites_file} forced={kind.removeprefix('force_')}"
            out.append((kind, str(ids[s]), where, (f"{kind.removeprefix('force_')}_site", int(s))))
    for kind, pairs in (("force_in", setup.forced.in_pairs), ("force_out", setup.forced.out_pairs)):
        for s, f in pairs:
            out.append((kind, f"{ids[s]}:{f}", f"decisions.{kind}", (f"{kind.removeprefix('force_')}_pair", (s, f))))
    return out


__all__ = ["Figure", "Resolve", "ChosenSite", "UnchosenSite", "ForcedPrice", "Explanation", "RunFigures",
           "run_scenario_of", "rebuild", "explain", "plan_values", "plan_assignment", "only_here", "best_addition",
           "reaching_counts", "forced_without", "resolve", "change", "negated", "exact", "forced_list",
           "changed_inputs", "EXPLAINED_OBJECTIVES", "DEFAULT_TOP"]
