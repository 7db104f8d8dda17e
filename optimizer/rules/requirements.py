"""What must exist (该有的不能少, rule 7), in plain terms: targets per life circle and function.

A requirement asks, in each of its life circles, for

- ``min_share``: at least this share of the function's counted cohort covered (coverage
  mode: within reach of a running or planned facility; capacitated mode: served), or
- ``min_per_1000``: at least this many places per 1,000 residents of the circle, counting
  running facilities in the circle and planned ones on its sites (coverage mode: planned
  facilities at standard size).

The model turns each target into one row; the check and the outputs evaluate the plan
against the same targets with :func:`requirement_status`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.types import Inputs
from optimizer.rules.existing import ExistingService, unit_circles
from optimizer.scenario import Scenario

#: Amounts within this of the target count as met (people or places).
TOLERANCE = 1e-6


@dataclass(frozen=True)
class RequirementTarget:
    """One requirement in one life circle."""

    function: str
    circle: str
    kind: str  # "share" or "per_1000"
    level: float
    cohort_people: float
    residents: float
    required: float
    existing: float

    @property
    def need(self) -> float:
        """What planned facilities must add (people or places); 0 when running ones suffice."""
        return max(self.required - self.existing, 0.0)

    @property
    def unit(self) -> str:
        """What the target counts: people (a share) or places (per 1,000 residents)."""
        return "people" if self.kind == "share" else "places"

    def describe(self) -> str:
        """The target in words, for messages and tables."""
        if self.kind == "share":
            return f"{self.level:.0%} of {self.cohort_people:,.0f} people covered"
        return f"{self.level:g} places per 1,000 residents ({self.required:,.1f} places for {self.residents:,.0f})"


def requirement_targets(inputs: Inputs, scenario: Scenario, existing: ExistingService) -> list[RequirementTarget]:
    """Every requirement of the scenario expanded to its life circles."""
    circles = unit_circles(inputs)
    all_circles = sorted(set(circles.tolist()))
    residents = pd.Series(inputs.demand["total"].to_numpy(dtype=float)).groupby(circles).sum()
    out: list[RequirementTarget] = []
    mode = scenario.model.mode
    type_of = circle_types(inputs)
    for req in scenario.requirements:
        fn = scenario.functions[req.function]
        people = pd.Series(inputs.demand[fn.counted_cohort(mode)].to_numpy(dtype=float)).groupby(circles).sum()
        served = pd.Series(existing.served[req.function]).groupby(circles).sum()
        applies = req.circles or all_circles
        if req.circle_types:
            applies = [c for c in applies if type_of.get(c) in req.circle_types]
        for circle in applies:
            cohort_people = float(people.get(circle, 0.0))
            res = float(residents.get(circle, 0.0))
            if req.min_share is not None:
                out.append(RequirementTarget(req.function, circle, "share", req.min_share, cohort_people, res,
                                             req.min_share * cohort_people, float(served.get(circle, 0.0))))
            elif req.min_per_1000 is not None:  # the scenario check makes every requirement set one of the two
                out.append(RequirementTarget(req.function, circle, "per_1000", float(req.min_per_1000),
                                             cohort_people, res, req.min_per_1000 * res / 1000.0,
                                             float(existing.capacity_by_circle[req.function].get(circle, 0.0))))
    return out


def circle_types(inputs: Inputs) -> dict[str, str]:
    """Each life circle's type (居住型, 产业型, ...) from ``inputs.circles``; empty without a circles table."""
    if inputs.circles is None or not len(inputs.circles) or "type" not in inputs.circles.columns:
        return {}
    return dict(zip(inputs.circles["circle_id"].astype(str), inputs.circles["type"].fillna("").astype(str),
                    strict=True))


def standards_problems(inputs: Inputs, scenario: Scenario, source: str) -> list[Problem]:
    """Standards by circle type need typed circles, and every type present needs a standard.

    Parameters
    ----------
    inputs
        Validated inputs.
    scenario
        The scenario (``standards``).
    source
        The scenario file, named in the problems.

    Returns
    -------
    list of Problem
        ``standards`` without ``inputs.circles``; each circle type of the circles table
        (blank included) that the standards do not list.
    """
    if not scenario.standards:
        return []
    if inputs.circles is None:
        return [Problem(source, "standards (what each circle type must have) need the circles' types: give "
                        "inputs.circles (circle_id, type)", column="standards")]
    types = pd.Series(circle_types(inputs))
    out = []
    for circle_type, ids in types.groupby(types).groups.items():
        if circle_type not in scenario.standards:
            shown = ", ".join(sorted(ids)[:10])
            out.append(Problem(source, f"standards: circle type {circle_type!r} (circles {shown}) has no standard; "
                               f"add standards.{circle_type or '<blank>'}: [] to require nothing of it, or "
                               f"name its type in the circles table ({', '.join(scenario.standards)})",
                               column="standards"))
    return out


def requirement_status(targets: list[RequirementTarget], new_people: dict[str, dict[str, float]],
                       new_places: dict[str, dict[str, float]]) -> pd.DataFrame:
    """The plan against every target.

    Parameters
    ----------
    targets
        :func:`requirement_targets`.
    new_people, new_places
        Per function and circle: people newly covered (or served) and places planned.
    """
    rows = []
    for t in targets:
        added = (new_people if t.kind == "share" else new_places).get(t.function, {}).get(t.circle, 0.0)
        achieved = t.existing + added
        rows.append({"function": t.function, "circle_id": t.circle, "requirement": t.describe(),
                     "unit": t.unit, "required": t.required, "from_running_facilities": t.existing,
                     "from_plan": added, "achieved": achieved,
                     "shortfall": max(t.required - achieved, 0.0),
                     "met": bool(achieved >= t.required - TOLERANCE * max(1.0, t.required))})
    columns = ["function", "circle_id", "requirement", "unit", "required", "from_running_facilities",
               "from_plan", "achieved", "shortfall", "met"]
    return pd.DataFrame(rows, columns=columns)


def by_circle(values: np.ndarray, circles: np.ndarray) -> dict[str, float]:
    """Sum ``values`` per circle."""
    return pd.Series(np.asarray(values, dtype=float)).groupby(circles).sum().to_dict()
