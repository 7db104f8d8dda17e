"""Milestones (life circles at their standard by a year) and the reserve list (中远期储备项目).

Yuzhong plans 4 "15-minute high-quality life service circles" by the end of 2025 and 11 by
2027 (seed 001), and keeps "near-term projects and mid/long-term reserve projects". A life
circle is at its standard when every rule-7 requirement target of it is met. Instances are
in metres, straight-line reach with detour 1.0: a canteen (10 min at 1.0 m/s) reaches 600 m.
"""
from __future__ import annotations

import dataclasses
import itertools
import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point
from test_phasing import CANTEEN, ONLY_CANTEEN, opened, phase, site, unit
from tiny import make_inputs, make_scenario

import solvers
from optimizer.errors import InfeasibleScenario, ScenarioError
from optimizer.outputs.phasing import circles_frame, reserve_frame
from optimizer.studies.phasing.milestones import circle_table

EXACT = [s for s in ("highs", "cbc", "scip") if s in solvers.available_solvers()]


def u(uid, x, circle, **people):
    return {**unit(uid, x, 0, **people), "circle_id": circle}


def s(sid, x, circle, **extra):
    return {**site(sid, x, 0, **extra), "circle_id": circle}


def two_circles():
    """C1: 150 people next to S0. C2: 200 people next to S1 and 200 next to S2, 3 km apart.
    Every circle must have all its residents within reach of a canteen: C1 needs one canteen, C2 two."""
    inputs = make_inputs([u("U0", 0, "C1", total=150), u("U1", 3000, "C2", total=200),
                          u("U2", 6000, "C2", total=200)],
                         [s("S0", 0, "C1"), s("S1", 3000, "C2"), s("S2", 6000, "C2")])
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "requirements": [{"function": "canteen", "min_share": 1.0}],
           "phasing": {"budgets": {2026: CANTEEN, 2027: 2 * CANTEEN}}}
    return inputs, raw


# ------------------------------------------------------------------ milestones
def test_with_milestones_the_first_years_money_brings_one_circle_to_its_standard():
    """Without a milestone 2026's one canteen goes to 200 people of C2 (which stays short of its standard until
    2027); with milestones {2026: 1} it goes to C1's 150 people, so one circle is at its standard by 2026."""
    inputs, raw = two_circles()
    free = phase(inputs, raw, (2026, 2027))
    assert opened(free)["S0:canteen"] == 2027
    assert free.check.recomputed["circles_at_standard"]["2026"] == []
    raw["phasing"]["milestones"] = {2026: 1}
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S0:canteen": 2026, "S1:canteen": 2027, "S2:canteen": 2027}
    assert run.check.recomputed["circles_at_standard"] == {"2026": ["C1"], "2027": ["C1", "C2"]}
    assert run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(150 + 550)  # 2026: C1's 150; 2027: everyone
    item = next(i for i in run.check.items if i.name == "milestones")
    assert item.passed and "by 2026: 1 life circles" in item.detail
    assert [y["circles_at_standard"] for y in run.check.recomputed["years"]] == [1, 2]


def test_a_milestone_no_budget_can_reach_is_refused_with_the_year_and_the_reachable_count():
    """Two circles by 2026 need three canteens, 2026 pays for one: refused (exit 4), naming 2026, the one circle
    that can reach its standard by then, and the two asked for."""
    inputs, raw = two_circles()
    raw["phasing"]["milestones"] = {2026: 2}
    with pytest.raises(InfeasibleScenario) as err:
        phase(inputs, raw, (2026, 2027))
    text = str(err.value)
    assert err.value.exit_code == 4
    assert "by 2026" in text and "at most 1 of 2 life circles" in text and "asks for 2" in text


def test_a_later_milestone_out_of_reach_is_named_after_the_earlier_one_is_kept():
    """{2026: 1, 2027: 2} is reachable; with 2027's money cut to one canteen, 2027 is the year named."""
    inputs, raw = two_circles()
    raw["phasing"].update(milestones={2026: 1, 2027: 2}, budgets={2026: CANTEEN, 2027: CANTEEN})
    raw["requirements"] = [{"function": "canteen", "min_share": 1.0, "circles": ["C1"]},
                           {"function": "canteen", "min_share": 0.5, "circles": ["C2"]}]
    assert phase(inputs, raw, (2026, 2027)).check.passed  # C2 at half needs one canteen
    raw["requirements"][1]["min_share"] = 1.0
    with pytest.raises(InfeasibleScenario, match=r"by 2027.*at most 1 of 2 life circles.*2026: 1"):
        phase(inputs, raw, (2026, 2027))


def test_a_circle_whose_targets_running_facilities_meet_counts_as_at_its_standard():
    """C1 has no requirement (the requirement names only C2): it counts as at its standard from the start,
    so {2026: 1} holds with no project at all in C1 or C2."""
    inputs, raw = two_circles()
    raw["requirements"] = [{"function": "canteen", "min_share": 1.0, "circles": ["C2"]}]
    raw["phasing"]["milestones"] = {2026: 1}
    run = phase(inputs, raw, (2026, 2027))
    assert run.check.passed
    assert "C1" in run.check.recomputed["circles_at_standard"]["2026"]


def brute_force_milestones(inputs, sc, years, budgets, milestones, min_share):
    """Best weighted coverage over every opening year (or never) of a canteen at each site, keeping each
    year's budget, the requirement (every circle's share of residents in reach >= min_share) by the last
    year, and at least ``milestones[year]`` circles meeting it by each milestone year. None: no plan."""
    d, st = inputs.demand, inputs.sites
    dxy = np.array([[p.x, p.y] for p in d.geometry])
    sxy = np.array([[p.x, p.y] for p in st.geometry])
    reach = 10 * 60 * 1.0
    near = np.hypot(*(dxy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)) <= reach + 1e-9
    people = d["total"].to_numpy(float)
    circles = d["circle_id"].to_numpy()
    names = sorted(set(circles))

    def at_standard(chosen):
        covered = near[:, chosen].any(axis=1) if chosen else np.zeros(len(d), dtype=bool)
        return sum(people[(circles == c) & covered].sum() >= min_share * people[circles == c].sum() - 1e-6
                   for c in names)

    best = None
    for combo in itertools.product(*[list(years) + [None]] * len(st)):
        spent = [CANTEEN * sum(y == year for y in combo) for year in years]
        if any(a > b + 1e-6 for a, b in zip(spent, budgets, strict=True)):
            continue
        chosen_by = [[i for i, y in enumerate(combo) if y is not None and y <= year] for year in years]
        if at_standard(chosen_by[-1]) < len(names):
            continue
        if any(at_standard(chosen_by[years.index(y)]) < c for y, c in milestones.items()):
            continue
        value = sum(people[near[:, ch].any(axis=1)].sum() for ch in chosen_by if ch)
        best = value if best is None else max(best, value)
    return best


def milestone_instance(seed):
    """Four neighbourhoods on a line in two circles, three buildings near three of them, one or two canteens a
    year, every circle asked for 50, 70 or 90 % of its residents in reach, one or two circles by 2026."""
    rng = np.random.default_rng(seed)
    xs = np.sort(rng.choice(np.arange(0, 8000, 500), size=4, replace=False).astype(float))
    circle = ["C1", "C1", "C2", "C2"] if rng.random() < 0.5 else ["C1", "C2", "C2", "C2"]
    demand = [u(f"U{i}", xs[i], circle[i], total=float(rng.integers(20, 300))) for i in range(4)]
    sites = [s(f"S{j}", float(xs[i] + rng.choice([-300, 0, 300])), circle[i])
             for j, i in enumerate(rng.choice(4, size=3, replace=False))]
    budgets = [float(rng.choice([1, 2])) * CANTEEN, float(rng.choice([1, 2])) * CANTEEN]
    return (make_inputs(demand, sites), (2026, 2027), budgets, float(rng.choice([0.5, 0.7, 0.9])),
            {2026: int(rng.integers(1, 3))})


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed", [2, 27, 3, 7, 4, 5])  # the milestone binds (2, 27), no plan (3, 7), free (4, 5)
def test_milestones_match_brute_force_over_every_opening_year(seed, solver):
    """3 sites, 2 years, 2 circles: the proven optimum with milestones equals the best plan of every opening
    year (or never) of every site that keeps the budgets, the requirement by the last year and the milestone
    count; when no such plan exists the milestone is refused."""
    inputs, years, budgets, min_share, milestones = milestone_instance(seed)
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []}, "budget": {"total": 1e9},
           "requirements": [{"function": "canteen", "min_share": min_share}],
           "phasing": {"budgets": dict(zip(years, budgets, strict=True)), "milestones": milestones}}
    best = brute_force_milestones(inputs, make_scenario(raw), years, budgets, milestones, min_share)
    if best is None:
        with pytest.raises(InfeasibleScenario):
            phase(inputs, raw, years, solver)
        return
    run = phase(inputs, raw, years, solver)
    assert run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(best, abs=1e-6)


# ------------------------------------------------------------------ bad milestones
@pytest.mark.parametrize(("milestones", "years", "words"), [
    ({2030: 1}, (2026, 2027), ["phasing.milestones.2030", "outside the horizon 2026-2027"]),
    ({2026: 3}, (2026, 2027), ["phasing.milestones.2026", "3 life circles", "only 2"]),
    ({2026: -1}, (2026, 2027), ["phasing.milestones.2026", "-1"]),
])
def test_a_milestone_outside_the_horizon_above_the_circles_or_negative_is_refused(milestones, years, words):
    """A year the horizon does not plan, more circles than the demand table has, a negative count: exit 3,
    naming the key and the value."""
    inputs, raw = two_circles()
    raw["phasing"]["milestones"] = milestones
    with pytest.raises(ScenarioError) as err:
        phase(inputs, raw, years)
    assert err.value.exit_code == 3
    assert all(w in str(err.value) for w in words), str(err.value)


def test_milestones_without_requirements_are_refused():
    """Without requirements there is no standard to count circles against: exit 3 naming phasing.milestones."""
    inputs, raw = two_circles()
    raw.pop("requirements")
    raw["phasing"]["milestones"] = {2026: 1}
    with pytest.raises(ScenarioError, match=r"phasing\.milestones.*no requirements"):
        phase(inputs, raw, (2026, 2027))


# ------------------------------------------------------------------ circles against their target year
def test_each_circle_is_reported_against_its_target_year():
    """C1 aims at 2026 and makes it; C2 aims at 2026 too and makes it only in 2027; a third circle without
    demand rows is not listed; a target year after the horizon with the circle at standard counts as met."""
    inputs, raw = two_circles()
    raw["phasing"]["milestones"] = {2026: 1}
    circles = gpd.GeoDataFrame({"circle_id": ["C1", "C2"], "name": ["大坪", "化龙桥"], "target_year": [2026, 2026]},
                               geometry=[Point(0, 0).buffer(100), Point(3000, 0).buffer(100)], crs=inputs.crs)
    run = phase(dataclasses.replace(inputs, circles=circles), raw, (2026, 2027))
    table = circles_frame(run)
    assert table.to_dict("records") == [
        {"circle_id": "C1", "name": "大坪", "target_year": 2026, "year_at_standard": 2026, "met_by_target_year": True},
        {"circle_id": "C2", "name": "化龙桥", "target_year": 2026, "year_at_standard": 2027,
         "met_by_target_year": False}]
    later = circles.assign(target_year=[2030, 2030])
    table = circle_table(table.set_index("circle_id")[[]].assign(**{"2026": [True, False], "2027": [True, True]})
                         .rename(columns=int), dataclasses.replace(inputs, circles=later))
    assert table["met_by_target_year"].tolist() == [True, True]


# ------------------------------------------------------------------ reserve list
def reserve_instance():
    """Four neighbourhoods 3 km apart (300, 200, 100, 50 people), a building next to each and one more next to
    the first; one canteen a year for two years."""
    inputs = make_inputs([unit(f"U{i}", 3000.0 * i, 0, total=t) for i, t in enumerate((300, 200, 100, 50))],
                         [site(f"S{i}", 3000.0 * i, 0) for i in range(4)] + [site("S9", 100, 0)])
    raw = {"functions": ONLY_CANTEEN, "sharing": {"groups": []},
           "phasing": {"budgets": {2026: CANTEEN, 2027: CANTEEN}}}
    return inputs, raw


def test_a_reserve_project_adds_people_the_plan_does_not_cover_and_none_is_already_in_the_plan():
    """The plan opens S0 and S1; the reserve list is S2 (100 people) then S3 (50), each valued alone against the
    plan: its people, the objective it adds, its cost and value per 10,000 yuan; S9 next to S0 adds nobody and
    is not listed, nor is any project of the plan."""
    inputs, raw = reserve_instance()
    run = phase(inputs, raw, (2026, 2027))
    assert opened(run) == {"S0:canteen": 2026, "S1:canteen": 2027}
    reserve = reserve_frame(run, "en")
    assert reserve["site_id"].tolist() == ["S2", "S3"]
    assert reserve["rank"].tolist() == [1, 2]
    assert reserve["newly_covered"].tolist() == [100.0, 50.0]
    assert reserve["cost"].tolist() == [CANTEEN, CANTEEN]
    assert reserve["objective_gain"].tolist() == pytest.approx([100.0, 50.0])  # objective people: weight 1
    assert reserve["value_per_10k_yuan"].tolist() == pytest.approx([100 / (CANTEEN / 1e4), 50 / (CANTEEN / 1e4)])
    planned = {(run.setup.inputs.sites["site_id"].iloc[p.site_row], f) for p in run.plan.projects for f in p.functions}
    assert not planned & set(zip(reserve["site_id"], reserve["function"], strict=True))
    assert len(reserve_frame(run, "en", top=1)) == 1


def test_the_reserve_list_states_the_share_objectives_units():
    """Objective share: a reserve canteen reaching 100 of 650 residents adds 100 x 100 / 650 percentage points
    x priority 1."""
    inputs, raw = reserve_instance()
    raw["objective"] = "share"
    raw["functions"] = {**ONLY_CANTEEN, "canteen": {"priority": 1.0}}
    run = phase(inputs, raw, (2026, 2027))
    reserve = reserve_frame(run, "zh")
    assert reserve.loc[0, "site_id"] == "S2"
    assert reserve.loc[0, "objective_gain"] == pytest.approx(100 * 100 / 650)
    assert math.isclose(reserve.loc[0, "value_per_10k_yuan"], reserve.loc[0, "objective_gain"] / (CANTEEN / 1e4))
