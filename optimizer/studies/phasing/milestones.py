"""Milestones: how many life circles reach their standard by a year (Yuzhong: 4 by 2025, 11 by 2027).

``phasing.milestones: {2025: 4, 2027: 11}`` asks that by the end of each of those years at
least that many life circles **reach their standard**: every rule-7 requirement target of
the circle (the scenario's ``requirements``, expanded per circle by
:func:`optimizer.rules.requirements.requirement_targets`) is met, counting running
facilities and the projects open by then. The life circles are those of the demand
table (``circle_id``); a circle without any target, or whose targets running facilities
already meet, counts as meeting its standard.

Model: one binary ``m[c,t]`` per milestone year ``t`` and circle ``c`` that has a target
needing planned facilities; each such target's row, at year ``t``'s columns, is scaled by
it, ``achieved_by_t - need x m[c,t] >= 0`` (so ``m[c,t]`` can be 1 only when every target of
``c`` is met by ``t``); and ``sum_c m[c,t] >= count - circles already at standard``.
Requirements still hold by the last year as without milestones.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.errors import ScenarioError
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.plan import build_plan, plan_requirements
from optimizer.reach.types import Reach
from optimizer.rules.existing import ExistingService, unit_circles
from optimizer.rules.requirements import requirement_targets
from optimizer.scenario import Scenario

#: The single-year rule family whose rows are the requirement targets, one per ``model.targets``.
TARGET_RULE = "what must exist (rule 7)"


@dataclass(frozen=True)
class Milestones:
    """The milestone years and counts, the life circles, and which of them need planned facilities.

    Attributes
    ----------
    years, counts
        Milestone years (in order) and the number of circles that must reach their standard by each.
    circles
        Every life circle of the demand table.
    needing
        Circles with at least one target that running facilities do not meet (one binary each per year).
    """

    years: tuple[int, ...]
    counts: tuple[int, ...]
    circles: tuple[str, ...]
    needing: tuple[str, ...]

    @property
    def already(self) -> int:
        """Circles at their standard without any project (no target, or met by running facilities)."""
        return len(self.circles) - len(self.needing)

    def __bool__(self) -> bool:
        return bool(self.years)


def milestone_problems(scenario: Scenario, years: tuple[int, ...]) -> list[str]:
    """What makes ``phasing.milestones`` unplannable before any data is read: a year outside the
    horizon, milestones without requirements."""
    out = []
    ms = scenario.phasing.milestones
    for year, count in ms.items():
        if int(year) not in years:
            out.append(f"phasing.milestones.{year}: {year} (asking for {count} life circles) is outside the "
                       f"horizon {years[0]}-{years[-1]}")
    if ms and not scenario.requirements:
        out.append(f"phasing.milestones: {dict(ms)} counts life circles reaching their standard, but the scenario "
                   "has no requirements (rule 7) to say what the standard is; add requirements")
    return out


def make_milestones(scenario: Scenario, inputs: Inputs, model: PlanningModel) -> Milestones:
    """The milestones of ``scenario`` against the circles of ``inputs`` and the targets of ``model``.

    Raises
    ------
    ScenarioError
        A count above the number of life circles (exit 3).
    """
    circles = tuple(sorted(set(unit_circles(inputs).tolist())))
    ms = sorted((int(y), int(c)) for y, c in scenario.phasing.milestones.items())
    too_many = [f"phasing.milestones.{y}: {c} life circles, but the demand table has only {len(circles)} "
                f"({', '.join(circles[:20])})" for y, c in ms if c > len(circles)]
    if too_many:
        raise ScenarioError(too_many, source=scenario.source)
    needing = tuple(sorted({t.circle for t in model.targets}))
    return Milestones(tuple(y for y, _ in ms), tuple(c for _, c in ms), circles, needing)


def target_rows(model: PlanningModel) -> np.ndarray:
    """Row of each of ``model.targets`` in the single-year problem."""
    for rule, start, stop in model.row_blocks:
        if rule == TARGET_RULE:
            if stop - start != len(model.targets):
                raise AssertionError(f"{TARGET_RULE}: {stop - start} rows for {len(model.targets)} targets")
            return np.arange(start, stop)
    if model.targets:
        raise AssertionError(f"{len(model.targets)} requirement targets but no {TARGET_RULE!r} rows")
    return np.zeros(0, dtype=np.int64)


def standards_by_year(hosting: list[dict[int, tuple[str, ...]]], years: tuple[int, ...], inputs: Inputs,
                      scenario: Scenario, reach_sites: Reach, reach_facilities: Reach,
                      existing: ExistingService) -> pd.DataFrame:
    """Per life circle and year, from the projects alone: does the circle meet every target by then?

    Returns a frame indexed by circle with one boolean column per year (circles without any
    target are True in every year).
    """
    circles = sorted(set(unit_circles(inputs).tolist()))
    targets = requirement_targets(inputs, scenario, existing)
    out = pd.DataFrame(True, index=pd.Index(circles, name="circle_id"), columns=list(years))
    if not targets:
        return out
    for year, now in zip(years, hosting, strict=True):
        plan = build_plan(now, inputs, scenario, reach_sites, reach_facilities, existing)
        status = plan_requirements(plan, inputs, scenario, targets)
        met = status.groupby("circle_id")["met"].all()
        out[year] = [bool(met.get(c, True)) for c in circles]
    return out


def circle_table(standards: pd.DataFrame, inputs: Inputs) -> pd.DataFrame:
    """Per life circle: the first year it meets its standard, and, when the circles table gives a
    ``target_year``, whether it met its standard by then (blank when the target year is before or after the
    horizon and cannot be judged).

    Columns: ``circle_id``, ``name``, ``target_year``, ``year_at_standard``, ``met_by_target_year``.
    """
    years = list(standards.columns)
    info = pd.DataFrame(columns=["circle_id", "name", "target_year"])
    if inputs.circles is not None and len(inputs.circles):
        info = pd.DataFrame(inputs.circles.drop(columns="geometry", errors="ignore"))
        info["circle_id"] = info["circle_id"].astype(str)
    named = info.set_index("circle_id") if len(info) else None
    rows = []
    for circle, flags in standards.iterrows():
        first = next((y for y in years if flags[y]), None)
        name = target = None
        if named is not None and circle in named.index:
            rec = named.loc[circle]
            rec = rec.iloc[0] if isinstance(rec, pd.DataFrame) else rec
            name = rec.get("name")
            t = pd.to_numeric(pd.Series([rec.get("target_year")]), errors="coerce").iloc[0]
            target = None if pd.isna(t) else int(t)
        if target is None:
            met = None
        elif target >= years[-1] and first is not None:
            met = True
        elif target < years[0] or target > years[-1]:
            met = None  # not within the horizon: cannot be judged from it
        else:
            met = bool(flags[target])
        rows.append({"circle_id": circle, "name": name, "target_year": target, "year_at_standard": first,
                     "met_by_target_year": met})
    return pd.DataFrame(rows, columns=["circle_id", "name", "target_year", "year_at_standard",
                                       "met_by_target_year"])
