"""Random tiny districts with every rule the brute force of ``tests/tiny.py`` restates, switched on at random.

Each district starts from :func:`tiny.random_instance` (demand in two life circles, a few
idle buildings, plots and spare rooms, sometimes a running facility, two sharing groups) and
then, drawn from its own seeded stream, switches on what a planner may ask:

* the mode: coverage, or capacitated (rule 4) with two or three functions planned;
* the objective: weighted people, percentage points of each cohort (``share``), or the least
  cost of meeting the requirements (``least_cost``);
* budgets (rule 1): the total, and a ceiling for one of two districts;
* eligibility (rule 2): a site's own ``allowed_functions``, its own conversion cost or rate;
* not built separately (rule 6) and what must exist (rule 7: a covered share, or places per
  1,000 residents in one circle);
* forced decisions (rule 8): a site or a site's function forced in or out;
* who pays (coverage mode): running costs, rent, public yearly or horizon budgets, funding
  channels with caps;
* a multi-function complex (渝邻汇) of canteen, elder care and childcare;
* a garage shared off-hours (错时共享停车), sometimes open too briefly to count.

The brute force that states the optimum is :func:`tiny.brute_force_all` (coverage mode) or
:func:`tiny.capacitated_brute_force` (capacitated mode); both read the same scenario.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from shapely.geometry import Point
from tiny import CRS, _plain_eligible, brute_force_all, capacitated_brute_force, make_scenario, random_instance

from optimizer.inputs.types import Inputs
from optimizer.rules.shared_parking import join_shared_garages
from optimizer.scenario import Scenario

FUNCTIONS = ("canteen", "childcare", "elder_care", "parking")
#: The functions a complex (渝邻汇) of these districts combines: the guideline's at least three, two core.
COMPLEX_FUNCTIONS = ("canteen", "elder_care", "childcare")
#: Who pays, as the money tests of ``tests/money`` draw it (coverage mode only: the brute force restates it there).
MONEY_CASES = (
    {"budget": {"public_yearly": 150_000.0}, "money": {"rent": {"per_m2_year": 300, "free_owners": ["state"]}}},
    {"budget": {"public_horizon": 2.5e6}, "money": {"discount_rate": 0.05, "horizon_years": 8,
                                                    "one_off_paid_by": {"government": 0.7, "community": 0.3}}},
    {"budget": {}, "money": {"channels": [{"name": "central", "cap": 8e5, "functions": ["elder_care", "childcare"]},
                                          {"name": "bonds", "cap": 3e5, "functions": ["parking"]},
                                          {"name": "district", "cap": 6e5}]}},
)
RUNNING = {"canteen": 60_000.0, "elder_care": 40_000.0, "childcare": 50_000.0, "parking": 5_000.0}


@dataclass(frozen=True)
class District:
    """One random district: its inputs, its scenario (raw and parsed) and the rules switched on.

    Attributes
    ----------
    seed
        The seed it was drawn from.
    inputs
        Demand, sites (garages joined) and running facilities.
    raw
        The scenario's keys over :func:`tiny.make_scenario`'s base.
    scenario
        The parsed scenario.
    rules
        What was switched on, in words (for a failing test's message).
    """

    seed: int
    inputs: Inputs
    raw: dict
    scenario: Scenario
    rules: tuple[str, ...]

    @property
    def capacitated(self) -> bool:
        """True in capacitated mode (rule 4)."""
        return self.scenario.model.mode == "capacitated"

    def brute_force(self) -> tuple[float, dict | None]:
        """The optimum over every plan, restated by hand, and one plan reaching it (``None``: no plan)."""
        if self.capacitated:
            return capacitated_brute_force(self.inputs, self.scenario)
        return brute_force_all(self.inputs, self.scenario)


def _garages(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """An office garage offered to residents off-hours (one open 3 hours is not eligible)."""
    n = 1
    return gpd.GeoDataFrame(
        {"garage_id": [f"G{k}" for k in range(n)], "name": "写字楼车库", "owner": "写字楼",
         "places": [float(rng.integers(10, 60)) for _ in range(n)],
         "hours": [str(rng.choice(["19:00-08:00", "18:00-23:00;00:00-07:00", "20:00-23:00"])) for _ in range(n)],
         "lease_per_space_year": 1200.0, "fixed_cost": np.nan,
         "circle_id": [f"C{k % 2}" for k in range(n)], "district": "D0"},
        geometry=[Point(float(rng.uniform(0, 1500)), float(rng.uniform(0, 1500))) for _ in range(n)], crs=CRS)


#: The share of random districts in capacitated mode (rule 4).
CAPACITATED_SHARE = 0.25


def is_capacitated(seed: int) -> bool:
    """Whether ``random_district(seed)`` is in capacitated mode, without building it (its first draw)."""
    return bool(np.random.default_rng([seed, 16]).random() < CAPACITATED_SHARE)


@functools.lru_cache(maxsize=32)
def random_district(seed: int) -> District:
    """A random tiny district with rules switched on at random (see the module docstring).

    Coverage mode: 5 to 7 demand units and 3 sites (or 2 and a garage); capacitated mode: 5
    or 6 demand units, 3 sites and two or three functions, since its brute force solves a
    linear program per combination of functions. The same seed gives the same district
    (kept for reuse: do not change its tables).
    """
    rng = np.random.default_rng([seed, 16])
    capacitated = rng.random() < CAPACITATED_SHARE  # is_capacitated(seed) draws the same number
    garages = rng.random() < 0.15  # then two sites and a garage: the enumeration doubles with each site
    n_units = int(rng.integers(5, 7)) if capacitated else int(rng.integers(5, 8))
    inputs, raw = random_instance(seed, n_units=n_units, n_sites=2 if garages else 3)
    rules: list[str] = []
    functions = {f: dict(v) for f, v in raw["functions"].items()}
    if capacitated:
        planned = set(rng.choice(FUNCTIONS, size=int(rng.choice([2, 2, 3])), replace=False).tolist())
        rules.append("capacitated (rule 4): " + ", ".join(sorted(planned)))
    elif rng.random() < 0.35:
        planned = set(FUNCTIONS) - {str(rng.choice(FUNCTIONS))}
    else:
        planned = set(FUNCTIONS)
    for f in FUNCTIONS:
        if f not in planned:
            functions[f] = {**functions[f], "enabled": False}
    raw = {**raw, "functions": functions, "model": {**raw["model"], "mode": "capacitated" if capacitated
                                                    else "coverage"}}

    sites = inputs.sites.copy()
    demand = inputs.demand.copy()
    sites["district"] = [str(rng.choice(["D0", "D1"])) for _ in range(len(sites))]
    demand["district"] = [str(rng.choice(["D0", "D1"])) for _ in range(len(demand))]
    if rng.random() < 0.3:  # a ceiling for a district of the sites (one no site is in is refused)
        name = str(rng.choice(sorted(set(sites["district"]))))
        raw["budget"] = {**raw["budget"], "by_district": {name: float(rng.choice([0.6e6, 1.2e6, 2e6]))}}
        rules.append(f"district budget {name} {raw['budget']['by_district'][name]:,.0f} (rule 1)")
    rules.append(f"total budget {raw['budget']['total']:,.0f} (rule 1)")
    if rng.random() < 0.2:
        j = int(rng.integers(0, len(sites)))
        sites.loc[j, "fixed_cost"] = float(rng.choice([0.0, 150_000.0, 900_000.0]))
        rules.append(f"S{j} own conversion cost")
    if rng.random() < 0.15:
        j = int(rng.integers(0, len(sites)))
        sites.loc[j, "cost_per_m2"] = float(rng.choice([800.0, 5000.0]))
        rules.append(f"S{j} own cost per m2")
    if rng.random() < 0.15:
        j = int(rng.integers(0, len(sites)))
        allowed = sorted(rng.choice(FUNCTIONS, size=2, replace=False).tolist())
        sites["allowed_functions"] = sites["allowed_functions"].astype(object)
        sites.loc[j, "allowed_functions"] = ",".join(allowed)
        rules.append(f"S{j} allows only {'+'.join(allowed)} (rule 2)")
    inputs = dataclasses.replace(inputs, demand=demand, sites=sites)

    if rng.random() < 0.35:
        raw["sharing"] = {**raw["sharing"], "not_built_separately": True}
        rules.append("not built separately (rule 6)")
    requirements = []
    if rng.random() < 0.35:
        candidates = sorted(planned - {"parking"}) or sorted(planned)
        for _ in range(int(rng.integers(1, 3))):
            f = str(rng.choice(candidates))
            if rng.random() < 0.6:
                requirements.append({"function": f, "min_share": float(rng.choice([0.1, 0.3, 0.5]))})
            else:
                requirements.append({"function": f, "min_per_1000": float(rng.choice([0.5, 2.0, 5.0])),
                                     "circles": [str(rng.choice(["C0", "C1"]))]})
        rules.append(f"what must exist (rule 7): {requirements}")
    raw["requirements"] = requirements
    objectives = ["people", "share"] + (["least_cost"] if requirements else [])
    raw["objective"] = str(rng.choice(objectives))
    rules.append(f"objective {raw['objective']}")
    if rng.random() < 0.2:
        j = int(rng.integers(0, len(sites)))
        choice = rng.random()
        if choice < 0.4:
            raw["decisions"] = {"force_in": [f"S{j}"]}
        elif choice < 0.7:  # a function the site may host (forcing in an ineligible one is refused as bad input)
            may = [f for f in sorted(planned) if _plain_eligible(inputs.sites.iloc[j], f, make_scenario(raw))]
            raw["decisions"] = {"force_in": [f"S{j}:{rng.choice(may)}" if may else f"S{j}"]}
        else:
            raw["decisions"] = {"force_out": [f"S{j}"]}
        rules.append(f"forced (rule 8): {raw['decisions']}")
    if not capacitated and rng.random() < 0.25:
        case = MONEY_CASES[int(rng.integers(0, len(MONEY_CASES)))]
        raw["budget"] = {**raw["budget"], **case["budget"]}
        channels = [{**c, "functions": [f for f in c["functions"] if f in planned]} if "functions" in c else c
                    for c in case["money"].get("channels", [])]  # a channel may fund planned functions only
        raw["money"] = {**case["money"], **({"channels": [c for c in channels if c.get("functions", True)]}
                                            if channels else {})}
        for f, running in RUNNING.items():
            raw["functions"][f] = {**raw["functions"][f], "running": {"fixed_per_year": running, "per_m2_year": 50}}
        sites = inputs.sites.copy()
        sites["owner"] = ["state" if i % 2 else "" for i in range(len(sites))]
        inputs = dataclasses.replace(inputs, sites=sites)
        rules.append(f"who pays: {raw['budget']} {raw['money']}")
    if set(COMPLEX_FUNCTIONS) <= planned and rng.random() < 0.3:
        raw["complexes"] = [{"name": "cx", "functions": list(COMPLEX_FUNCTIONS),
                             "min_area_m2": float(rng.choice([350, 450])),
                             "saving_yuan": float(rng.choice([150_000, 400_000])),
                             "area_saving_m2": float(rng.choice([0, 40]))}]
        raw["budget"] = {**raw["budget"], "total": float(rng.choice([2.9e6, 3.3e6, 4.5e6]))}
        rules.append(f"complex (渝邻汇): {raw['complexes'][0]}")
    scenario = make_scenario(raw)
    if garages and "parking" in planned:
        inputs = join_shared_garages(dataclasses.replace(inputs, shared_garages=_garages(rng)), scenario)[0]
        rules.append("a garage shared off-hours")
    return District(seed, inputs, raw, scenario, tuple(rules))
