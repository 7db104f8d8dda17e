"""The planning horizon: its years, each year's budget and weight, and site availability.

A year's budget is ``phasing.budgets[year]``; a year without one gets
``budget.total / number of years`` (a note says so); with neither, the scenario
cannot be phased (exit 3). Year ``t`` weighs ``1 / (1 + r) ** (t - first year)`` with
``r = phasing.discount_rate``. A site is available from its ``available_from`` column,
overridden by ``phasing.available_from``; blank means from the first year.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

import solvers
from optimizer.errors import InputError, Problem, ScenarioError
from optimizer.model.decisions import ForcedDecisions
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")


def parse_years(text: str) -> tuple[int, ...]:
    """``"2026-2028"`` -> ``(2026, 2027, 2028)``; ``"2026"`` -> ``(2026,)``.

    Raises
    ------
    ValueError
        When the text is not ``YYYY`` or ``YYYY-YYYY`` with the first year not after the last.
    """
    m = _YEARS.match(text or "")
    if not m:
        raise ValueError(f"{text!r} is not a year range; write it as 2026-2028 (or one year, 2026)")
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if last < first:
        raise ValueError(f"{text!r}: the first year {first} is after the last year {last}")
    if last - first >= 30:
        raise ValueError(f"{text!r}: a horizon of {last - first + 1} years is more than 30")
    return tuple(range(first, last + 1))


@dataclass(frozen=True)
class Horizon:
    """The years planned, with their money and weights, and when each site may open.

    Attributes
    ----------
    years
        The years, in order.
    budgets
        Yuan per year (the money of that year; with ``carry_over`` unspent money rolls on).
    weights
        Weight of each year's covered people in the objective.
    carry_over
        Unspent money of a year may be spent later.
    available_from
        Per site row, the first year it may open (the first year of the horizon when blank).
    total
        ``budget.total``: a ceiling on the whole horizon's spending, or ``None``.
    by_district
        ``budget.by_district``: ceilings on the whole horizon's spending per district.
    notes
        Defaults applied (budgets filled in) and sites never available within the horizon.
    """

    years: tuple[int, ...]
    budgets: np.ndarray
    weights: np.ndarray
    carry_over: bool
    available_from: np.ndarray
    total: float | None
    by_district: dict[str, float]
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``2026-2028`` (or ``2026`` for one year)."""
        return str(self.years[0]) if len(self.years) == 1 else f"{self.years[0]}-{self.years[-1]}"

    def money_available(self) -> np.ndarray:
        """Per year, the most that may be spent that year given nothing was spent before it."""
        return np.cumsum(self.budgets) if self.carry_over else self.budgets.copy()


def refuse_unsupported(scenario: Scenario) -> None:
    """Phasing plans coverage mode with objective max_coverage on an exact solver; say so otherwise.

    Raises
    ------
    ScenarioError
        Naming each setting that phasing cannot plan (exit 3).
    """
    problems = []
    if scenario.model.mode != "coverage":
        problems.append("model.mode: multi-year phasing plans coverage mode only (capacitated mode, rule 4, "
                        "decides sizes and who is served, which is not phased yet); set model.mode: coverage")
    if scenario.objective not in ("share", "people"):
        problems.append(f"objective: multi-year phasing maximises coverage over the years; {scenario.objective} "
                        "is not phased (use objective share or people, or lifecircle solve)")
    planning_only = solvers.solvers_where(needs_planning_model=True)
    exact = solvers.solvers_where(needs_planning_model=False, needs_coverage_model=False)
    for name in dict.fromkeys((scenario.solver.name, scenario.solver.warm_start)):
        if name in planning_only:
            problems.append(f"solver: the {name} heuristic plans one year only; choose an exact solver "
                            f"({', '.join(exact)}) for phasing")
            break
    if problems:
        raise ScenarioError(problems, source=scenario.source)


def site_availability(sites: pd.DataFrame, scenario: Scenario, first_year: int) -> tuple[np.ndarray, list[Problem]]:
    """Per site row, the first year it may open, and problems with ``phasing.available_from``."""
    problems: list[Problem] = []
    column = pd.to_numeric(sites["available_from"], errors="coerce") if "available_from" in sites else \
        pd.Series(np.nan, index=sites.index)
    years = column.fillna(first_year).to_numpy(float).astype(np.int64)
    row_of = {str(sid): i for i, sid in enumerate(sites["site_id"].astype(str))}
    for sid, year in scenario.phasing.available_from.items():
        if sid not in row_of:
            problems.append(Problem(scenario.source, f"phasing.available_from names site {sid!r}, which is not in "
                                    f"the sites file {scenario.inputs.sites.path.name}", row=f"site_id={sid}",
                                    column="site_id"))
            continue
        years[row_of[sid]] = int(year)
    return years, problems


def make_horizon(years: tuple[int, ...], scenario: Scenario, sites: pd.DataFrame,
                 forced: ForcedDecisions) -> Horizon:
    """The horizon of ``years`` for ``scenario``.

    Raises
    ------
    InputError
        A year without a budget when ``budget.total`` is not given; ``phasing.available_from``
        naming an unknown site; a site forced in that is not available within the horizon.
    """
    ph = scenario.phasing
    problems: list[Problem] = []
    notes: list[str] = []
    budgets = []
    filled = []
    for year in years:
        if str(year) in ph.budgets:
            budgets.append(float(ph.budgets[str(year)]))
        elif scenario.budget.total is not None:
            budgets.append(float(scenario.budget.total) / len(years))
            filled.append(year)
        else:
            listed = ", ".join(sorted(ph.budgets)) or "none"
            problems.append(Problem(scenario.source, f"year {year} is outside the scenario's budgets "
                                    f"(phasing.budgets has: {listed}) and budget.total is not given to fill it in; "
                                    f"give phasing.budgets.{year} or budget.total", column="phasing.budgets"))
            budgets.append(0.0)
    if filled and not problems:
        notes.append(f"no phasing.budgets for {', '.join(map(str, filled))}: each gets budget.total / "
                     f"{len(years)} years = {scenario.budget.total / len(years):,.0f} yuan")
    ignored = sorted(set(ph.budgets) - {str(y) for y in years})
    if ignored:
        notes.append(f"phasing.budgets of {', '.join(ignored)} lie outside the horizon and are not used")
    available, more = site_availability(sites, scenario, years[0])
    problems += more
    ids = sites["site_id"].astype(str).to_numpy()
    for s in sorted({int(s) for s in forced.in_sites} | {int(s) for s, _ in forced.in_pairs}):
        if available[s] > years[-1]:
            problems.append(Problem(scenario.source, f"site {ids[s]} is forced in but is available only from "
                                    f"{available[s]}, after the horizon's last year {years[-1]}",
                                    row=f"site_id={ids[s]}", column="available_from"))
    if problems:
        raise InputError(problems)
    late = np.flatnonzero(available > years[-1])
    if len(late):
        notes.append(f"{len(late)} sites are available only after {years[-1]} and are left out: "
                     + ", ".join(ids[late][:20]) + (" ..." if len(late) > 20 else ""))
    offset = np.array(years, dtype=float) - years[0]
    weights = 1.0 / (1.0 + ph.discount_rate) ** offset
    return Horizon(tuple(years), np.array(budgets, dtype=float), weights, ph.carry_over, available,
                   scenario.budget.total, dict(scenario.budget.by_district), tuple(notes))
