"""Five-colour cards (五色卡) by the scenario's ``grading:`` table, per level unit x function.

For every rule of :attr:`Scenario.grading` (:mod:`optimizer.grading`) and every
unit of its level (a district, sub-district, community or life circle) and function,
this module measures provision at **baseline** (running facilities only) and **after
the plan** (running plus planned facilities), divides by the standard (the
**attainment**) and gives the card.

Where things belong
-------------------
- a demand unit: to the value of its ``district`` / ``subdistrict`` / ``community`` /
  ``circle_id`` column (blank: the unit ``(none)``);
- a running facility: at the circle level to its own ``circle_id`` (else the nearest
  demand unit's); at other levels to the unit of its nearest demand unit (analysis CRS);
- a planned facility: at the circle level to its site's ``circle_id`` (else the nearest
  demand unit's); at other levels to the unit of the demand unit nearest its site.

A level none of whose demand units names a unit (the column is blank or absent) is
skipped with a note when it comes from the default table, and is a scenario error
(``grading[i].level``) when the scenario's own ``grading:`` names it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from optimizer.errors import ScenarioError
from optimizer.grading import COLOURS, LEVEL_COLUMNS, LEVELS, GradingRule
from optimizer.inputs.types import Inputs
from optimizer.rules.existing import NO_CIRCLE, ExistingService, facility_circles, site_circles, unit_circles
from optimizer.scenario import FunctionSpec, Scenario

#: the unit of demand units whose level column is blank
NO_UNIT = NO_CIRCLE
#: columns of :func:`grade_levels`' table
LEVEL_TABLE_COLUMNS = [
    "level", "unit_id", "function", "measure", "measure_note", "cohort", "people", "standard",
    "running_facilities", "new_facilities", "amount_before", "amount_after", "value_before", "value_after",
    "attainment_before", "attainment_after", "card_before", "card_after", "rule",
]


@dataclass(frozen=True)
class PlanProvision:
    """What the plan provides, for grading at any level.

    Attributes
    ----------
    facilities
        The plan's facilities (``plan_facilities.csv``): ``site_id``, ``function``,
        ``capacity``, ``area_m2`` and ``circle_id``; ``None`` for no plan.
    covered_by_unit
        Per function, per ``unit_id``: people of the counted cohort covered (capacitated:
        served) after the plan, running facilities included; empty when unknown.
    """

    facilities: pd.DataFrame | None = None
    covered_by_unit: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class LevelGrades:
    """The graded table and what a reader should know about it."""

    table: pd.DataFrame
    notes: list[str]


def covered_from_layer(layer: pd.DataFrame, inputs: Inputs, scenario: Scenario) -> dict[str, dict[str, float]]:
    """People covered after the plan, per function and unit, from a run's ``demand_coverage`` layer.

    Coverage mode: the unit's counted cohort when its status is ``existing`` or ``new``;
    capacitated mode: ``<function>_served_share`` x the cohort.
    """
    people_of = inputs.demand.set_index(inputs.demand["unit_id"].astype(str))
    ids = layer["unit_id"].astype(str)
    out: dict[str, dict[str, float]] = {}
    for name, fn in scenario.functions.items():
        cohort = fn.counted_cohort(scenario.model.mode)
        people = ids.map(people_of[cohort]).astype(float).fillna(0.0).to_numpy()
        share_col, status_col = f"{name}_served_share", f"{name}_status"
        if share_col in layer.columns:
            covered = people * pd.to_numeric(layer[share_col], errors="coerce").fillna(0.0).to_numpy()
        elif status_col in layer.columns:
            covered = np.where(layer[status_col].astype(str).isin(["existing", "new"]).to_numpy(), people, 0.0)
        else:
            continue
        out[name] = dict(zip(ids, covered.astype(float), strict=True))
    return out


def unit_keys(inputs: Inputs, level: str) -> np.ndarray:
    """The unit of ``level`` each demand unit belongs to (``(none)`` where blank)."""
    if level == "circle":
        return unit_circles(inputs)
    col = LEVEL_COLUMNS[level]
    d = inputs.demand
    if col not in d.columns:
        return np.full(len(d), NO_UNIT, dtype=object)
    ids = d[col].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return np.where(ids == "", NO_UNIT, ids)


def level_present(inputs: Inputs, level: str) -> bool:
    """Whether any demand unit names a unit of ``level``."""
    return bool(len(inputs.demand)) and bool((unit_keys(inputs, level) != NO_UNIT).any())


def _nearest_units(inputs: Inputs, xy: np.ndarray) -> np.ndarray:
    if not len(xy) or not len(inputs.demand):
        return np.zeros(0, dtype=int)
    tree = cKDTree(np.column_stack([inputs.demand.geometry.x, inputs.demand.geometry.y]))
    _, nearest = tree.query(xy)
    return np.asarray(nearest, dtype=int)


def _running_keys(inputs: Inputs, level: str) -> np.ndarray:
    fac = inputs.facilities
    if not len(fac):
        return np.zeros(0, dtype=object)
    if level == "circle":
        return facility_circles(inputs)
    nearest = _nearest_units(inputs, np.column_stack([fac.geometry.x, fac.geometry.y]))
    return unit_keys(inputs, level)[nearest]


def planned_keys(inputs: Inputs, planned: pd.DataFrame, level: str) -> np.ndarray:
    """The unit of each planned facility; ``""`` when its site is not among the inputs' sites.

    Parameters
    ----------
    inputs
        Validated inputs (sites and demand units).
    planned
        One row per planned facility with its ``site_id``.
    level
        ``circle`` (the site's own ``circle_id``, else the nearest demand unit's), or another
        level of :data:`LEVEL_COLUMNS` (the nearest demand unit's).

    Returns
    -------
    numpy.ndarray
        One key per row of ``planned``.
    """
    sites = inputs.sites
    row_of = {str(s): i for i, s in enumerate(sites["site_id"].astype(str))}
    rows = np.array([row_of.get(str(s), -1) for s in planned["site_id"]], dtype=int)
    out = np.full(len(planned), "", dtype=object)
    known = rows >= 0
    if not known.any():
        return out
    xy = np.column_stack([sites.geometry.x.to_numpy()[rows[known]], sites.geometry.y.to_numpy()[rows[known]]])
    nearest_key = unit_keys(inputs, level)[_nearest_units(inputs, xy)]
    if level == "circle":
        own = site_circles(inputs)[rows[known]]
        nearest_key = np.where(own == NO_CIRCLE, nearest_key, own)
    out[known] = nearest_key
    return out


def _measure_of(rule: GradingRule, fn: FunctionSpec) -> tuple[str, float, str]:
    """The measure in force, its standard and a note (a fallback is said)."""
    if rule.measure == "places_per_1000":
        if rule.standard is not None:
            return "places_per_1000", rule.standard, ""
        if fn.capacity_demand is not None:
            return "places_per_1000", fn.capacity_demand.per_1000, ""
        return ("share_covered", 1.0,
                "no capacity_demand: graded by the share of its cohort covered (standard 100 %) instead")
    if rule.measure == "share_covered":
        return "share_covered", rule.standard if rule.standard is not None else 1.0, ""
    return rule.measure, float(rule.standard or 0.0), ""


def grade_levels(inputs: Inputs, scenario: Scenario, existing: ExistingService,
                 plan: PlanProvision | None = None) -> LevelGrades:
    """Measure, attainment and card of every level unit x function, at baseline and after the plan.

    Raises
    ------
    ScenarioError
        The scenario's own ``grading:`` names a level the demand has no values of.
    """
    plan = plan or PlanProvision()
    explicit = "grading" in scenario.resolved
    notes: list[str] = []
    problems: list[str] = []
    rows: list[dict] = []
    mode = scenario.model.mode
    demand = inputs.demand
    fac = inputs.facilities
    fac_fn = fac["function"].astype(str).to_numpy() if len(fac) else np.zeros(0, dtype=object)
    fac_cap = (np.nan_to_num(pd.to_numeric(fac["capacity"], errors="coerce").to_numpy(float), nan=0.0)
               if len(fac) else np.zeros(0))
    planned = plan.facilities if plan.facilities is not None else pd.DataFrame(
        columns=["site_id", "function", "capacity", "area_m2", "circle_id"])
    unit_ids = demand["unit_id"].astype(str).to_numpy()
    for i, rule in enumerate(scenario.grading):
        if not level_present(inputs, rule.level):
            column = LEVEL_COLUMNS[rule.level]
            if explicit:
                problems.append(f"grading[{i}].level: {rule.level!r} is not in the data: the demand lacks the "
                                f"{column!r} column (every value blank or the column absent)")
            else:
                notes.append(f"level {rule.level} skipped: the demand has no {column!r} values")
            continue
        keys = unit_keys(inputs, rule.level)
        units = sorted(set(keys.tolist()))
        if NO_UNIT in units and rule.level != "circle":
            notes.append(f"level {rule.level}: {int((keys == NO_UNIT).sum())} demand unit(s) without a "
                         f"{LEVEL_COLUMNS[rule.level]!r} value are graded together as {NO_UNIT}")
        run_keys = _running_keys(inputs, rule.level)
        plan_keys = planned_keys(inputs, planned, rule.level)
        if len(planned) and (plan_keys == "").any():
            notes.append(f"level {rule.level}: {int((plan_keys == '').sum())} planned facilities stand on sites "
                         "not in the inputs and are left out")
        residents = pd.Series(demand["total"].to_numpy(float)).groupby(keys).sum()
        for name in (rule.functions or tuple(scenario.functions)):
            fn = scenario.functions[name]
            measure, standard, note = _measure_of(rule, fn)
            if note:
                notes.append(f"grading[{i}] ({rule.level}) {name}: {note}")
            mine_run = fac_fn == name
            mine_plan = (planned["function"].astype(str) == name).to_numpy() & (plan_keys != "")
            running = pd.Series(run_keys[mine_run]).value_counts()
            new = pd.Series(plan_keys[mine_plan]).value_counts()
            if measure == "places_per_1000":
                cohort = fn.capacity_demand.of if fn.capacity_demand else fn.cohort
                people = pd.Series(demand[cohort].to_numpy(float)).groupby(keys).sum()
                before = pd.Series(fac_cap[mine_run]).groupby(run_keys[mine_run]).sum()
                added = pd.Series(pd.to_numeric(planned["capacity"], errors="coerce").fillna(0.0)
                                  .to_numpy(float)[mine_plan]).groupby(plan_keys[mine_plan]).sum()
                after = before.add(added, fill_value=0.0)
                scale = 1000.0
            elif measure == "m2_per_resident":
                cohort = "total"
                people = residents
                before = pd.Series(fac_cap[mine_run] * fn.area_per_unit_m2).groupby(run_keys[mine_run]).sum()
                added = pd.Series(pd.to_numeric(planned["area_m2"], errors="coerce").fillna(0.0)
                                  .to_numpy(float)[mine_plan]).groupby(plan_keys[mine_plan]).sum()
                after = before.add(added, fill_value=0.0)
                scale = 1.0
            else:
                cohort = fn.counted_cohort(mode)
                people = pd.Series(demand[cohort].to_numpy(float)).groupby(keys).sum()
                before = pd.Series(existing.served[name]).groupby(keys).sum()
                if name in plan.covered_by_unit:
                    got = plan.covered_by_unit[name]
                    after_units = np.array([got.get(u, s) for u, s in zip(unit_ids, existing.served[name],
                                                                          strict=True)], dtype=float)
                else:
                    after_units = existing.served[name]
                    if len(planned) and mine_plan.any():
                        notes.append(f"grading[{i}] ({rule.level}) {name}: the plan's coverage per demand unit is "
                                     "unknown; the share after the plan is the share before")
                after = pd.Series(after_units).groupby(keys).sum()
                scale = 1.0
            for unit in units:
                n = float(people.get(unit, 0.0))
                a_before, a_after = float(before.get(unit, 0.0)), float(after.get(unit, 0.0))
                v_before = scale * a_before / n if n > 0 else np.nan
                v_after = scale * a_after / n if n > 0 else np.nan
                att_before = v_before / standard if n > 0 else np.nan
                att_after = v_after / standard if n > 0 else np.nan
                rows.append({
                    "level": rule.level, "unit_id": unit, "function": name, "measure": measure,
                    "measure_note": note if note else ("" if n > 0 else "nobody of the cohort: nothing lacks"),
                    "cohort": cohort, "people": n, "standard": standard,
                    "running_facilities": int(running.get(unit, 0)), "new_facilities": int(new.get(unit, 0)),
                    "amount_before": a_before, "amount_after": a_after,
                    "value_before": v_before, "value_after": v_after,
                    "attainment_before": att_before, "attainment_after": att_after,
                    "card_before": rule.cards.card(att_before) if n > 0 else COLOURS[0],
                    "card_after": rule.cards.card(att_after) if n > 0 else COLOURS[0],
                    "rule": i,
                })
    if problems:
        raise ScenarioError(problems, source=scenario.source)
    table = pd.DataFrame(rows, columns=LEVEL_TABLE_COLUMNS)
    order = {lv: k for k, lv in enumerate(LEVELS)}
    if len(table):
        table = table.sort_values(["level", "function", "unit_id"], key=lambda s: s.map(order) if s.name == "level"
                                  else s, kind="stable").reset_index(drop=True)
    return LevelGrades(table, list(dict.fromkeys(notes)))


def level_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Units per card per level and function, at baseline and after the plan (one row per level x function)."""
    rows = []
    for (level, name), part in table.groupby(["level", "function"], sort=False):
        row: dict[str, object] = {"level": level, "function": name, "units": len(part)}
        for when in ("before", "after"):
            counts = part[f"card_{when}"].value_counts()
            for card in COLOURS:
                row[f"{card}_{when}"] = int(counts.get(card, 0))
        rows.append(row)
    columns = ["level", "function", "units"] + [f"{c}_{w}" for w in ("before", "after") for c in COLOURS]
    return pd.DataFrame(rows, columns=columns)
