"""An external solver's solution (or a planner's own list), read back and checked against every rule.

``lifecircle check`` rebuilds the scenario's model exactly as ``lifecircle export`` wrote
it (same names, see :mod:`optimizer.studies.export`), reads a solution file, maps it onto the
model's columns, reads it back into a plan with the engine's own readback
(:func:`optimizer.plan.plan_from_solution`, without dropping anything: the solution is
judged as given) and runs the independent check (:func:`optimizer.check.check_plan`).

Accepted files
--------------
The solver formats and ``name,value`` CSVs are read by :mod:`solvers.solution_files`
(names and values); the plan list is read here.

* A solver's solution text (any suffix but ``.csv``):

  - HiGHS (raw style): ``Model status`` ... ``# Primal solution values`` ...
    ``Objective V`` ... ``# Columns N`` and ``N`` lines ``name value``;
  - Gurobi and the like: ``name value`` lines, ``#`` comment lines (``# Objective value = V``);
  - CBC: a first line ``Optimal - objective value V``, then ``index name value reduced-cost``;
  - SCIP: ``solution status: ...``, ``objective value: V``, then ``name value (obj:c)``;
  - CPLEX: the XML solution file (``<header objectiveValue=...>``, ``<variable name= value=>``).

  Columns not listed are 0 (CBC and SCIP list only non-zeros).
* A CSV with columns ``name,value`` (a row named ``objective`` states the claimed objective).
* A plan CSV with columns ``site_id,function`` and optionally ``area_m2`` (a planner's list,
  or a run's ``plan_facilities.csv``): ``x``, ``o``, ``z`` (and, capacitated, the areas and
  sharing savings; complexes the sites' functions qualify for) are derived from it; who is
  served is recomputed, nothing else is taken.
* A run folder (``lifecircle solve`` writes one): its ``plan_facilities.csv`` is the plan list.

Claimed figures
---------------
A plan list may carry figures besides its sites: the other columns of
``plan_facilities.csv`` (capacity, cost, people in reach, newly covered, ...); a run folder
also ``plan_sites.csv`` (cost per site and its parts, area used), ``coverage_by_function.csv``
and ``coverage_by_circle.csv`` (people, covered before and after, shares) and ``run.json``
(objective, total cost, sites converted). None of them is taken: each figure is compared
with the same figure recomputed from the chosen sites, and every one that differs is named
(file, line, row, column, claimed and recomputed) in the check ``claimed figures``, which
then fails (exit 6). Blank cells claim nothing; columns lifecircle does not write are not
compared (a note names them); ``lon``/``lat`` and names are not figures. Tolerances: the run's
tables are written to 2 decimals (shares to 4), so an amount (people, places, m2, yuan)
agrees within :data:`CLAIM_AMOUNT_TOL` plus :data:`CLAIM_REL_TOL` of its size, a share within
:data:`CLAIM_SHARE_TOL`, the objective within :data:`CLAIM_REL_TOL` of its size (at least 1)
plus ten times the proof tolerance. In capacitated mode who is served depends on the
allocation (the check re-allocates the most within reach and capacity), so people served,
per function and per circle, may be claimed up to the most the plan can serve, never more.

A file that cannot be read exits 3 (:class:`~optimizer.errors.InputError`), each problem
naming the file, the line and what is wrong: a column the model does not have, a value
that is not a number, a yes/no decision (``x``, ``o``, ``z``) not 0 or 1 within 1e-6.

The claimed objective is the file's objective line, else the model's objective at the
file's values. The check's result has status *feasible*, never *optimal*: an outside claim
is not a proof here, so it is compared as an incumbent (the recomputation must be at
least as good) and no bound is compared.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.check import CheckReport, SolverClaims, check_plan
from optimizer.errors import InputError, Problem
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.pipeline import ModelSetup, Run
from optimizer.plan import Plan, build_plan, complete_complexes, plan_from_solution, plan_requirements
from optimizer.reach.types import cutoff_ref_seconds
from optimizer.rules.costing import site_size_m2
from optimizer.rules.existing import allocate
from optimizer.rules.requirements import requirement_targets
from optimizer.rules.together import together_report
from optimizer.studies.export import column_names, row_names
from optimizer.walk_vs_buffer import walk_versus_buffer
from solvers import solution_files as files
from solvers.problem import Sense
from solvers.result import SolveResult, SolverOptions, SolveStatus, Termination
from solvers.solution_files import FileProblem, SolutionFile

log = logging.getLogger(__name__)

#: A yes/no decision must lie this close to 0 or 1.
INTEGER_TOL = 1e-6
#: A model row counts as violated beyond this (absolute, plus relative to its bound).
ROW_TOL = 1e-6
#: A claimed amount (people, places, m2, yuan) agrees with its recomputation within this
#: (absolute): the run's tables are written to 2 decimals.
CLAIM_AMOUNT_TOL = 0.01
#: ... plus this share of the recomputed amount (and of the objective, at least 1).
CLAIM_REL_TOL = 1e-6
#: A claimed share (0-1) agrees within this: the run's tables write shares to 4 decimals.
CLAIM_SHARE_TOL = 1e-4

#: The tables of a run folder whose figures a plan list may claim, with the columns naming a row.
CLAIM_TABLES: dict[str, tuple[str, ...]] = {
    "plan_facilities.csv": ("site_id", "function"),
    "plan_sites.csv": ("site_id",),
    "coverage_by_function.csv": ("function",),
    "coverage_by_circle.csv": ("circle_id", "function"),
}
#: Columns that claim what a site hosts (compared as sets of names joined by ``+``, or as text).
CLAIM_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {"plan_sites.csv": ("functions", "shared_groups", "complex")}
#: Columns that say where or what, not how much: never compared.
NOT_FIGURES = frozenset({"lon", "lat"})


# ----------------------------------------------------------------------------- reading
class LineProblems(files.LineProblems):
    """A solution's problems, raised together as the input error the command line reports (exit 3)."""

    def raise_if_any(self) -> None:
        """Raise :class:`~optimizer.errors.InputError` naming every problem noted, by line."""
        try:
            super().raise_if_any()
        except files.SolutionFileError as exc:
            raise InputError([_as_problem(found) for found in exc.problems]) from None


def _as_problem(found: FileProblem) -> Problem:
    return Problem(found.file, found.message, row=found.row, column=found.column)


@dataclass
class ClaimedTable:
    """A table of figures a plan list claims, as written (text), before it meets the recomputation.

    Attributes
    ----------
    file
        The file, as the differences name it.
    layout
        Which of the run's tables it is (a key of :data:`CLAIM_TABLES`).
    table
        Its cells as text (columns in lower case).
    lines
        The file's line of each row.
    """

    file: str
    layout: str
    table: pd.DataFrame
    lines: list[int]


@dataclass
class PlanListFile(SolutionFile):
    """A plan list and the figures it claims (:data:`CLAIM_TABLES`, and a run's ``run.json``).

    Attributes
    ----------
    tables
        The claimed tables (the plan list's own columns first).
    record, record_file
        The run's ``run.json`` and its path, when the plan list is a run folder.
    """

    tables: list[ClaimedTable] = field(default_factory=list)
    record: dict | None = None
    record_file: str | None = None

    @property
    def claims_figures(self) -> bool:
        """True when the list claims any figure besides its sites."""
        return self.record is not None or any(
            set(t.table.columns) - set(CLAIM_TABLES[t.layout]) - {"area_m2"} for t in self.tables)


def read_solution(path: str | Path) -> SolutionFile:
    """Read a solution file, a plan list or a run folder (see the module docstring).

    The solver formats are read by :func:`solvers.solution_files.read_solution`; a CSV with
    ``site_id,function`` columns is read here as a plan list, its other columns as the
    figures it claims; a run folder's ``plan_facilities.csv`` likewise, with the figures of
    its other tables and ``run.json``.

    Raises
    ------
    InputError
        When the file cannot be read: each problem names the file, the line and what is wrong.
    """
    folder = Path(path)
    if folder.is_dir():
        return _read_run_folder(folder)
    try:
        sol = files.read_solution(path, read_table=_read_plan_table)
    except files.SolutionFileError as exc:
        raise InputError([_as_problem(found) for found in exc.problems]) from None
    return sol


def _read_run_folder(folder: Path) -> PlanListFile:
    """A run folder as a plan list: ``plan_facilities.csv``, and the figures of its other tables and ``run.json``."""
    plan_file = folder / "plan_facilities.csv"
    if not plan_file.is_file():
        raise InputError([Problem(str(folder), "a run folder needs plan_facilities.csv (the plan list); it has "
                                  "none: is it a run written by `lifecircle solve`?")])
    sol = read_solution(plan_file)
    if not isinstance(sol, PlanListFile):
        raise InputError([Problem(str(plan_file), "not a plan list (site_id, function)")])
    sol.style = f"run folder {folder.name} (plan_facilities.csv and the figures of its tables)"
    problems = []
    for name in CLAIM_TABLES:
        if name == "plan_facilities.csv" or not (folder / name).is_file():
            continue
        try:
            df = pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(folder / name), f"not a readable CSV: {exc}"))
            continue
        df.columns = [str(c).strip().lower() for c in df.columns]
        missing = [k for k in CLAIM_TABLES[name] if k not in df.columns]
        if missing:
            problems.append(Problem(str(folder / name), f"lacks the column(s) {', '.join(missing)} naming its rows"))
            continue
        sol.tables.append(ClaimedTable(f"{folder.name}/{name}", name, df, [i + 2 for i in range(len(df))]))
    record_path = folder / "run.json"
    if record_path.is_file():
        try:
            sol.record = json.loads(record_path.read_text(encoding="utf-8"))
            sol.record_file = f"{folder.name}/run.json"
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(record_path), f"not readable JSON: {exc}"))
    if problems:
        raise InputError(problems)
    sol.tables[0].file = f"{folder.name}/plan_facilities.csv"
    return sol


def _read_plan_table(path: Path, df: pd.DataFrame, line_of: dict[int, int],
                     problems: files.LineProblems) -> SolutionFile | None:
    """A plan list: ``site_id,function`` and optionally ``area_m2`` (a planner's list, or ``plan_facilities.csv``);
    its other columns are the figures it claims."""
    if not {"site_id", "function"} <= set(df.columns):
        problems.add("a CSV solution needs the columns name,value (a solver's values) or site_id,function"
                     f"[,area_m2] (a plan list); found: {', '.join(df.columns) or 'none'}")
        return None
    sol = PlanListFile(path, "plan", "plan CSV (site_id, function" + (", area_m2)" if "area_m2" in df.columns
                                                                      else ")"))
    sol.tables.append(ClaimedTable(path.name, "plan_facilities.csv", df, [line_of[i] for i in range(len(df))]))
    areas = df["area_m2"].str.strip() if "area_m2" in df.columns else pd.Series([""] * len(df))
    for i, (sid, fn, area) in enumerate(zip(df["site_id"].str.strip(), df["function"].str.strip(), areas,
                                            strict=True)):
        if not sid or not fn:
            problems.add("blank site_id or function", line_of[i], "site_id" if not sid else "function")
            continue
        value = None
        if area:
            value = files.number(area, f"area_m2 of {sid}:{fn}", line_of[i], problems)
            if value is not None and value <= 0:
                problems.add(f"area_m2 of {sid}:{fn} must be > 0, got {area}", line_of[i], "area_m2")
                value = None
            if value is None:
                continue
        sol.plan_rows.append((sid, fn, value, line_of[i]))
    return sol


# ----------------------------------------------------------------------------- checking
@dataclass
class ExternalCheck:
    """An external solution checked against every rule.

    Attributes
    ----------
    solution
        What the file said.
    values
        The model's column values (plan lists: the derived ``x``, ``o``, ``z``, ...).
    plan
        The plan read back from them.
    report
        The independent check.
    result
        The solution as a :class:`SolveResult` (status feasible, the claimed objective).
    claimed, claimed_from
        The objective the solution claims (in the model's sense) and where it comes
        from; ``None`` for a plan list.
    recomputed
        The objective recomputed by the check (weighted coverage, or the cost under
        ``least_cost``).
    notes
        Plain-words remarks (columns not given, rows the values break, ...).
    differences
        Each figure the plan list claims that differs from its recomputation: file, line,
        row, column, claimed and recomputed (check ``claimed figures``).
    """

    solution: SolutionFile
    values: np.ndarray
    plan: Plan
    report: CheckReport
    result: SolveResult
    claimed: float | None
    claimed_from: str | None
    recomputed: float
    notes: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when the outside solution keeps every rule."""
        return self.report.passed


def _external_result(sol: SolutionFile, values: np.ndarray, objective: float | None) -> SolveResult:
    return SolveResult(solver=f"external ({sol.style})", solver_version="-", status=SolveStatus.FEASIBLE,
                       termination=Termination.OTHER, values=values, objective=objective, bound=None, gap=None,
                       solve_seconds=0.0, options=SolverOptions(),
                       message=f"read from {sol.path.name}; not proven optimal here (an outside claim is not a proof)")


def _no_drop(setup: ModelSetup):
    sc = setup.scenario
    return dataclasses.replace(sc, model=dataclasses.replace(sc.model, drop_redundant=False))


def check_solution(setup: ModelSetup, sol: SolutionFile) -> ExternalCheck:
    """Map ``sol`` onto ``setup``'s model, read it back into a plan and check it.

    Raises
    ------
    InputError
        Unknown column names or sites, yes/no decisions not 0 or 1, plan rows the
        scenario cannot represent.
    """
    if sol.kind == "plan":
        return _check_plan_list(setup, sol)
    return _check_values(setup, sol)


def _check_values(setup: ModelSetup, sol: SolutionFile) -> ExternalCheck:
    model, problem = setup.model, setup.model.problem
    names = column_names(model, setup.inputs, setup.scenario)
    index = {nm: j for j, nm in enumerate(names)}
    problems = LineProblems(sol.path)
    problems.items += sol.problems
    values = np.zeros(problem.n_cols)
    given: dict[int, tuple[float, int]] = {}
    unknown = 0
    for name, value, line in sol.entries:
        j = index.get(name)
        if j is None:
            unknown += 1
            problems.add(f"unknown column name {name!r}: the model of scenario {setup.scenario.name!r} has no such "
                         "column", line)
            continue
        if j in given and given[j][0] != value:
            problems.add(f"{name} is given twice with different values ({given[j][0]:g} on line {given[j][1]}, "
                         f"{value:g} here)", line)
            continue
        given[j] = (value, line)
        values[j] = value
    if unknown:
        problems.add(f"{unknown} column name(s) unknown: was the model exported with other --set options or "
                     "inputs? (names look like x_<site>_<function>, o_<site>, y_<function>_<row>; see the "
                     "export's .map.json)")
    for j, (value, line) in sorted(given.items(), key=lambda kv: kv[1][1]):
        if problem.integrality[j]:  # every integer column is a yes/no decision (forced ones are checked later)
            if min(abs(value), abs(value - 1.0)) > INTEGER_TOL:
                block = names[j].split("_", 1)[0]
                problems.add(f"{names[j]} = {value:g}: a yes/no decision ({block}) must be 0 or 1 within "
                             f"{INTEGER_TOL:g}", line)
    problems.raise_if_any()
    values[problem.integrality] = np.round(values[problem.integrality])
    notes = []
    missing = problem.n_cols - len(given)
    if missing:
        notes.append(f"{len(given)} of {problem.n_cols} columns given; the other {missing} taken as 0")
    claimed, claimed_from = _claimed_objective(setup, sol, values, notes)
    scenario = _no_drop(setup)
    plan = plan_from_solution(model, values, setup.context.for_scenario(scenario))
    result = _external_result(sol, values, claimed)
    report = check_plan(plan, setup.context, SolverClaims.from_model(model, result, values))
    notes.append(_row_note(setup, values))
    return ExternalCheck(sol, values, plan, report, result, claimed, claimed_from, _recomputed(setup, report),
                         notes)


def _claimed_objective(setup: ModelSetup, sol: SolutionFile, values: np.ndarray,
                       notes: list[str]) -> tuple[float, str]:
    problem = setup.model.problem
    if sol.objective is None:
        return problem.objective_value(values), "implied by the file's values (the model's objective at them)"
    claimed = sol.objective
    where = f"the file's objective (line {sol.objective_line})"
    if problem.sense is Sense.MAXIMIZE and claimed < 0:
        # the exported MPS file minimises the negated objective; a coverage objective is never negative
        notes.append(f"the file claims objective {claimed:,.6g}: read as {-claimed:,.6g}, since the MPS file "
                     "minimises the negated objective")
        claimed = -claimed
    return claimed, where


def _row_note(setup: ModelSetup, values: np.ndarray) -> str:
    """Which rows of the exported model the values break (for information: the check decides)."""
    problem = setup.model.problem
    if not problem.n_rows:
        return "model rows: none"
    act = problem.activity(values)
    lo, up = problem.row_lower, problem.row_upper
    below = np.where(np.isfinite(lo), lo - act, 0.0)
    above = np.where(np.isfinite(up), act - up, 0.0)
    excess = np.maximum(np.maximum(below, above), 0.0)
    bound = np.abs(np.where(below >= above, np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(up), up, 0.0)))
    tol = ROW_TOL * np.maximum(1.0, bound)
    bad = np.flatnonzero(excess > tol)
    if not bad.size:
        return f"model rows: all {problem.n_rows} rows of the exported model hold at the given values"
    names = row_names(setup.model)
    worst = bad[np.argsort(-excess[bad])][:5]
    return (f"model rows: {bad.size} of {problem.n_rows} rows of the exported model are broken by the given values "
            "(worst: " + ", ".join(f"{names[i]} by {excess[i]:,.6g}" for i in worst) + ")")


def _recomputed(setup: ModelSetup, report: CheckReport) -> float:
    key = "cost_of_solver_choice" if setup.scenario.objective == "least_cost" else "weighted_coverage"
    return float(report.recomputed[key])


def _check_plan_list(setup: ModelSetup, sol: SolutionFile) -> ExternalCheck:
    sc, inputs, model = setup.scenario, setup.inputs, setup.model
    capacitated = model.mode == "capacitated"
    problems = LineProblems(sol.path)
    problems.items += sol.problems
    row_of = {sid: i for i, sid in enumerate(inputs.sites["site_id"].astype(str))}
    chosen: dict[int, set[str]] = {}
    areas: dict[tuple[int, str], float] = {}
    seen: dict[tuple[int, str], int] = {}
    notes: list[str] = []
    defaulted = []
    for sid, fn, area, line in sol.plan_rows:
        if sid not in row_of:
            problems.add(f"site {sid!r} is not in the sites of scenario {sc.name!r}", line, "site_id")
            continue
        if fn not in sc.functions:
            why = "is disabled in this scenario" if fn in sc.disabled_functions else \
                f"is not a function of this scenario ({', '.join(sc.function_names)})"
            problems.add(f"function {fn!r} {why}", line, "function")
            continue
        s = row_of[sid]
        if (s, fn) in seen:
            problems.add(f"{sid}:{fn} is listed twice (first on line {seen[(s, fn)]})", line)
            continue
        seen[(s, fn)] = line
        standard = site_size_m2(inputs.sites.iloc[s], fn, sc)[1]  # a shared garage: its own size
        if capacitated:
            if area is None:
                area = standard
                defaulted.append(f"{sid}:{fn}")
            areas[(s, fn)] = float(area)
        elif area is not None and abs(area - standard) > 0.01:
            problems.add(f"area_m2 {area:g} of {sid}:{fn}: in coverage mode every {fn} has its standard size "
                         f"{standard:g} m2 (leave area_m2 blank, or check with "
                         "--set model.mode=capacitated)", line, "area_m2")
            continue
        chosen.setdefault(s, set()).add(fn)
    problems.raise_if_any()
    if defaulted:
        notes.append(f"{len(defaulted)} facilities without area_m2 taken at their standard size: "
                     + ", ".join(defaulted[:10]) + (" ..." if len(defaulted) > 10 else ""))
    assignment = {s: tuple(f for f in sc.function_names if f in fs) for s, fs in sorted(chosen.items())}
    served = _served_by_plan(setup, assignment, areas) if capacitated else None
    complexes, _ = complete_complexes(assignment, {}, inputs, sc, areas if capacitated else None)
    plan = build_plan(assignment, inputs, sc, setup.reach_sites, setup.reach_facilities, setup.existing,
                      areas=areas if capacitated else None, served_new=served, complexes=complexes)
    values, outside = _plan_values(setup, assignment, areas, complexes)
    result = _external_result(sol, values, None)
    claims = SolverClaims(result, assignment, model.model_cost(values) if model.problem.n_cols else 0.0,
                          areas if capacitated else None, complexes=complexes)
    report = check_plan(plan, setup.context, claims)
    items = [i for i in report.items if i.name != "objective"]  # a plan list claims no objective of its model
    if outside:
        items = [i for i in items if i.name != "cost model"]
        notes.append(f"{len(outside)} planned facilities are not columns of the model (ineligible, forced out, or "
                     "reaching nobody new), so the model's cost is not compared: " + ", ".join(outside[:10])
                     + (" ..." if len(outside) > 10 else ""))
    if capacitated:
        notes.append("people served were allocated to the planned facilities within reach and capacity "
                     "(running facilities first), then re-routed by the check")
    report = CheckReport(tuple(items), report.recomputed)
    return ExternalCheck(sol, values, plan, report, result, None, None, _recomputed(setup, report), notes)


def _served_by_plan(setup: ModelSetup, assignment: dict[int, tuple[str, ...]],
                    areas: dict[tuple[int, str], float]) -> dict[str, np.ndarray]:
    """People newly served per unit (capacitated plan lists): the most within reach and capacity."""
    sc, inputs, reach = setup.scenario, setup.inputs, setup.reach_sites
    out = {}
    for name, fn in sc.functions.items():
        residual = setup.existing.residual(inputs, sc, name)
        sites = np.array([s for s, fs in assignment.items() if name in fs], dtype=np.int64)
        served = np.zeros(len(residual))
        if sites.size:
            capacity = np.zeros(reach.n_targets)
            for s in sites:
                capacity[s] = areas[(int(s), name)] / fn.area_per_unit_m2 * fn.people_per_place
            keep = np.isin(reach.target_index, sites) & (reach.ref_seconds <= cutoff_ref_seconds(
                fn.threshold_min, fn.walk_speed_mps))
            flow = allocate(residual, reach.unit_index[keep], reach.target_index[keep], reach.ref_seconds[keep],
                            capacity)
            served = np.minimum(np.bincount(reach.unit_index[keep], weights=flow, minlength=len(residual)),
                                residual)
        out[name] = served
    return out


def _plan_values(setup: ModelSetup, assignment: dict[int, tuple[str, ...]],
                 areas: dict[tuple[int, str], float], complexes: dict[int, str] | None = None
                 ) -> tuple[np.ndarray, list[str]]:
    """The model's ``x``, ``o``, ``z`` (capacitated: ``a``, ``sc``, ``sa``; complexes: ``k``) for a plan
    list, and the planned facilities that are not columns of the model."""
    model, sc = setup.model, setup.scenario
    values = np.zeros(model.problem.n_cols)
    pair_of = {(int(s), model.functions[f]): p for p, (s, f) in enumerate(zip(model.pair_site, model.pair_function,
                                                                           strict=True))}
    open_pos = {int(s): i for i, s in enumerate(model.open_site)}
    ids = setup.inputs.sites["site_id"].astype(str).to_numpy()
    outside = []
    on = np.zeros(len(model.pair_site), dtype=bool)
    for s, fs in assignment.items():
        for f in fs:
            p = pair_of.get((s, f))
            if p is None:
                outside.append(f"{ids[s]}:{f}")
                continue
            on[p] = True
            values[model.x.index(p)] = 1.0
            if model.mode == "capacitated":
                values[model.a.index(p)] = areas[(s, f)]
        if s in open_pos and any((s, f) in pair_of for f in fs):
            values[model.o.index(open_pos[s])] = 1.0
    groups = sc.sharing.groups
    for i, members in enumerate(model.share_members):
        if on[members].all():
            values[model.z.index(i)] = 1.0
            if model.mode == "capacitated":
                g = groups[int(model.share_group[i])]
                a = values[model.a.index(members)]
                values[model.sc.index(i)] = g.cost_saving * float(
                    (model.pair_fixed[members] + model.pair_rate[members] * a).sum()) / MONEY_UNIT
                values[model.sa.index(i)] = g.area_saving * float(a.sum())
    cx = model.complexes
    for i, (s, kind) in enumerate(zip(cx.site, cx.kind, strict=True)):
        if (complexes or {}).get(int(s)) == cx.names[int(kind)]:
            values[model.k.start + i] = 1.0
    return values, outside


# ----------------------------------------------------------------------------- a run folder
def external_run(setup: ModelSetup, checked: ExternalCheck) -> Run:
    """A :class:`~optimizer.pipeline.Run` of the checked solution, for :func:`optimizer.outputs.writers.write_run`."""
    sc, inputs = setup.scenario, setup.inputs
    buffer_table = walk_versus_buffer(checked.plan, setup.context)
    requirements = (plan_requirements(checked.plan, inputs, sc, requirement_targets(inputs, sc, setup.existing))
                    if sc.requirements else None)
    together = None
    if sc.sharing.groups:
        from optimizer.rules.eligibility import eligibility_matrix

        eligible = setup.forced.restrict(eligibility_matrix(inputs.sites, sc.functions), sc.function_names)
        together = together_report(checked.plan.functions_at(), inputs, sc, eligible)
    warnings = list(setup.warnings) + [f"an external solution ({checked.solution.style}, {checked.solution.path.name})"
                                       ", checked here; not proven optimal"] + checked.notes
    return Run(sc, inputs, setup.reach_sites, setup.reach_facilities, setup.forced, setup.existing, setup.model,
               checked.result, checked.plan, checked.report, setup.timings, warnings, buffer_table, requirements,
               together)


__all__ = ["SolutionFile", "PlanListFile", "ClaimedTable", "ExternalCheck", "LineProblems", "read_solution",
           "check_solution", "external_run", "CLAIM_AMOUNT_TOL", "CLAIM_REL_TOL", "CLAIM_SHARE_TOL", "CLAIM_TABLES",
           "CLAIM_TEXT_COLUMNS", "NOT_FIGURES"]
