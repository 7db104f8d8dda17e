"""A city's model taken apart: exact pieces where nothing links districts, bounds where borders do.

Tiny straight-line instances (detour 1.0, metres): a 10-minute walk at 0.9 m/s is 540 m,
so two clusters 10 km apart share nobody; a unit half-way between two sites 500 m apart
is reachable from both.
"""
from __future__ import annotations

import logging

import numpy as np
import pytest
from tiny import make_inputs, make_scenario

import solvers
from optimizer.errors import InfeasibleScenario, SplitRefused
from optimizer.pipeline import prepare_model, run_scenario
from optimizer.studies.city import decompose, plan_city
from optimizer.studies.decomposition import find_blocks, linking_report, split_by_district

EXACT = [s for s in ("highs", "cbc", "scip") if s in solvers.available_solvers()]
ONE_FUNCTION = {f: {"enabled": False} for f in ("childcare", "parking")}


def unit(uid, x, y, district, circle, total=300.0, elderly=80.0):
    return {"unit_id": uid, "x": x, "y": y, "total": total, "elderly": elderly, "infants": 10.0, "households": 0.0,
            "cars": 20.0, "circle_id": circle, "district": district}


def site(sid, x, y, district, circle, area=1500.0, kind="building"):
    return {"site_id": sid, "x": x, "y": y, "kind": kind, "area_m2": area, "lowest_floor": 1,
            "circle_id": circle, "district": district}


def two_clusters(seed: int = 0, gap: float = 10_000.0, border: bool = False):
    """Districts A (x around 0) and B (x around ``gap``); ``border``: one unit reachable from both."""
    rng = np.random.default_rng(seed)
    demand, sites = [], []
    for d, x0 in (("A", 0.0), ("B", gap)):
        for i in range(6):
            demand.append(unit(f"{d}U{i}", x0 + rng.uniform(-400, 400), rng.uniform(-400, 400), d, f"{d}C",
                               total=float(rng.integers(100, 600)), elderly=float(rng.integers(20, 150))))
        for j in range(3):
            sites.append(site(f"{d}S{j}", x0 + rng.uniform(-300, 300), rng.uniform(-300, 300), d, f"{d}C"))
    if border:
        demand.append(unit("BORDER", gap / 2, 0.0, "A", "AC", total=900.0, elderly=300.0))
        sites.append(site("AEDGE", gap / 2 - 250, 0.0, "A", "AC"))
        sites.append(site("BEDGE", gap / 2 + 250, 0.0, "B", "BC"))
    return make_inputs(demand, sites)


def scenario(raw=None, **budget):
    base = {"budget": {"total": None, "by_district": {"A": 3.0e6, "B": 2.5e6}}, "functions": ONE_FUNCTION,
            "model": {"ineligible_sites": "ignore"}}
    if budget:
        base["budget"] = budget
    return make_scenario({**base, **(raw or {})})


@pytest.mark.parametrize("solver", EXACT)
def test_two_far_clusters_with_district_budgets_are_two_pieces_with_the_whole_models_optimum(solver):
    """Per-district budgets and nobody reachable from both: two exact pieces, the same optimum as one model."""
    inputs = two_clusters()
    sc = scenario({"solver": {"name": solver, "time_limit_s": 60}})
    whole = run_scenario(sc, inputs=inputs)
    city = plan_city(sc, "blocks", inputs=inputs)
    assert sorted(p.name for p in city.decomposition.pieces) == ["A", "B"]
    assert city.decomposition.links == []
    assert city.run.result.proven_optimal and whole.result.proven_optimal
    assert city.run.result.objective == pytest.approx(whole.result.objective, rel=1e-7)
    assert city.run.check.passed
    assert list(city.pieces["status"]) == ["optimal", "optimal"]
    assert city.pieces["objective"].sum() == pytest.approx(city.run.result.objective, rel=1e-9)


def test_a_city_wide_budget_links_every_site_into_one_piece():
    """budget.total is one row over every site: the model stays one piece, and the report says why."""
    inputs = two_clusters()
    setup = prepare_model(scenario(total=5.5e6), inputs=inputs)
    blocks = find_blocks(setup.model, setup.inputs, setup.scenario)
    assert [p.name for p in blocks.pieces] == ["A+B"]
    assert [(k.rule, k.districts) for k in blocks.links] == [("budget (whole scenario)", ("A", "B"))]
    assert "city-wide budget" in blocks.links[0].describe("en")
    with pytest.raises(SplitRefused, match="city-wide budget"):
        split_by_district(setup.model, setup.inputs, setup.scenario)


def test_a_city_wide_budget_that_cannot_bind_is_left_out_and_the_districts_come_apart():
    """A total at least the sum of the district budgets cannot bind: dropping it is exact."""
    inputs = two_clusters()
    setup = prepare_model(scenario(total=6e6, by_district={"A": 3.0e6, "B": 2.5e6}), inputs=inputs)
    blocks = find_blocks(setup.model, setup.inputs, setup.scenario)
    assert sorted(p.name for p in blocks.pieces) == ["A", "B"]
    assert any("cannot bind" in n for n in blocks.notes)


def test_a_border_unit_reachable_from_both_districts_links_them():
    """One unit within reach of a site of A and a site of B: one piece, linked by that one unit."""
    inputs = two_clusters(border=True)
    setup = prepare_model(scenario(), inputs=inputs)
    blocks = find_blocks(setup.model, setup.inputs, setup.scenario)
    assert [p.name for p in blocks.pieces] == ["A+B"]
    links = linking_report(setup.model, setup.inputs, setup.scenario)
    assert [(k.districts, k.demand_units) for k in links] == [(("A", "B"), 1)]
    assert links[0].describe("en") == "districts A and B are linked by 1 demand units reachable from both"
    split = split_by_district(setup.model, setup.inputs, setup.scenario)
    assert sorted(p.name for p in split.pieces) == ["A", "B"]
    assert all(p.demand_units == 7 for p in split.pieces)  # six of its own and the border unit, in both


def test_auto_splits_by_district_when_the_border_links_everything():
    """auto: one block, per-district budgets -> the bounded split, with lower and upper bounds."""
    inputs = two_clusters(border=True)
    setup = prepare_model(scenario(), inputs=inputs)
    assert decompose(setup, "auto").kind == "by_district"
    setup = prepare_model(scenario(total=5.5e6), inputs=inputs)
    assert decompose(setup, "auto").kind == "blocks"  # a binding total: one exact piece


def random_border_city(seed: int):
    """Two districts side by side, 1.2 km apart: many units reachable from both."""
    rng = np.random.default_rng(seed)
    demand = [unit(f"U{i}", float(rng.uniform(0, 1800)), float(rng.uniform(0, 600)), "A" if i % 2 else "B",
                   "C1", total=float(rng.integers(50, 800)), elderly=float(rng.integers(10, 200)))
              for i in range(16)]
    sites = [site(f"S{j}", float(rng.uniform(0, 1800)), float(rng.uniform(0, 600)), "A" if j < 4 else "B",
                  f"C{j}", area=float(rng.choice([400, 800, 1500]))) for j in range(8)]
    return make_inputs(demand, sites)


@pytest.mark.parametrize("seed", range(6))
def test_split_by_district_bounds_the_whole_models_optimum(seed):
    """lower (the union of district plans, checked) <= whole-model optimum <= upper (sum of piece bounds)."""
    inputs = random_border_city(seed)
    rng = np.random.default_rng(100 + seed)
    sc = scenario({"functions": {"childcare": {"enabled": False}}},
                  by_district={"A": float(rng.choice([1.2e6, 2.5e6, 4e6])), "B": float(rng.choice([1.2e6, 3e6]))})
    whole = run_scenario(sc, inputs=inputs)
    city = plan_city(sc, "by_district", inputs=inputs)
    assert whole.result.proven_optimal
    assert city.run.check.passed
    assert city.lower <= whole.result.objective + 1e-6
    assert whole.result.objective <= city.upper + 1e-6
    assert city.run.result.proven_optimal == (abs(city.upper - city.lower) <= 1e-6 + 1e-9 * abs(city.lower))
    for name, amount in sc.budget.by_district.items():
        spent = sum(p.costing.total_cost for p in city.run.plan.sites
                    if city.run.inputs.sites.at[p.site_row, "district"] == name)
        assert spent <= amount + 1e-6


def test_split_refuses_rule_7_when_a_circles_demand_is_reachable_from_another_district():
    """A requirement whose circle's people can be reached from both districts cannot be split by district."""
    inputs = two_clusters(border=True)
    sc = scenario({"requirements": [{"function": "elder_care", "min_share": 0.3, "circles": ["AC"]}]})
    setup = prepare_model(sc, inputs=inputs)
    with pytest.raises(SplitRefused, match=r"what must exist \(rule 7\).*AC"):
        split_by_district(setup.model, setup.inputs, setup.scenario)


def test_rule_6_inside_one_district_splits_and_keeps_the_rule():
    """Rule 6 per circle, circles inside a district: the split is valid and the plan keeps rule 6."""
    inputs = two_clusters(border=True)
    sc = scenario({"sharing": {"not_built_separately": True}, "functions": {"parking": {"enabled": False}}})
    city = plan_city(sc, "by_district", inputs=inputs)
    assert city.run.model.stats["not_built_separately_rows"] > 0
    assert city.run.check.passed
    assert city.lower <= city.upper + 1e-6


def test_split_refuses_rule_6_when_a_life_circle_has_sites_in_two_districts():
    """Rule 6 is per life circle: a circle with sites in A and B would be cut by the split, so it is refused."""
    inputs = two_clusters(border=True)
    inputs.sites.loc[inputs.sites["site_id"] == "BEDGE", "circle_id"] = "AC"
    sc = scenario({"sharing": {"not_built_separately": True}, "functions": {"parking": {"enabled": False}}})
    setup = prepare_model(sc, inputs=inputs)
    with pytest.raises(SplitRefused, match=r"not built separately \(rule 6\).*AC"):
        split_by_district(setup.model, setup.inputs, setup.scenario)


@pytest.mark.parametrize("seed", [0, 4])
def test_capacitated_split_by_district_bounds_the_whole_models_optimum(seed):
    """Rule 4: each piece serves border people on its own; the union is re-routed over all chosen facilities."""
    inputs = random_border_city(seed)
    sc = scenario({"model": {"mode": "capacitated", "ineligible_sites": "ignore"},
                   "functions": {"childcare": {"enabled": False}, "parking": {"enabled": False}}},
                  total=None, by_district={"A": 2.5e6, "B": 1.6e6})
    whole = run_scenario(sc, inputs=inputs)
    city = plan_city(sc, "by_district", inputs=inputs)
    assert city.run.check.passed
    assert city.lower <= whole.result.objective + 1e-6 <= city.upper + 2e-6


def test_a_piece_with_no_plan_names_its_district():
    """District B cannot meet its circle's requirement within its budget: the error names B."""
    inputs = two_clusters()
    sc = scenario({"requirements": [{"function": "elder_care", "min_share": 0.9, "circles": ["BC"]}]},
                  by_district={"A": 3.0e6, "B": 1.0e5})
    with pytest.raises(InfeasibleScenario, match="districts B"):
        plan_city(sc, "blocks", inputs=inputs)


@pytest.mark.slow  # default: the pieces through the batch executors' local processes, below
def test_pieces_run_in_a_spawned_process_pool_with_the_same_result():
    """Two worker processes (spawn) give the same plan as solving the pieces here."""
    inputs = two_clusters(seed=3)
    sc = scenario()
    here = plan_city(sc, "blocks", inputs=inputs)
    pooled = plan_city(sc, "blocks", inputs=inputs, jobs=2)
    assert pooled.run.result.objective == pytest.approx(here.run.result.objective, rel=1e-9)
    assert len(pooled.pieces) == 2


def test_pieces_run_through_the_batch_executors_local_processes():
    """optimizer.batch.executors' RunExecutor (submit by key, as_completed) solves the same pieces to the same plan."""
    from optimizer.batch.executors import open_executor

    inputs = two_clusters(seed=5)
    sc = scenario()
    here = plan_city(sc, "blocks", inputs=inputs)
    with open_executor(None, jobs=2) as executor:
        pooled = plan_city(sc, "blocks", inputs=inputs, executor=executor)
    assert pooled.run.result.objective == pytest.approx(here.run.result.objective, rel=1e-9)
    assert list(pooled.pieces["name"]) == list(here.pieces["name"])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_each_piece_says_k_of_n_and_how_long_is_left_once_one_has_finished():
    """A city solved piece by piece says which piece runs and, once one has finished, about how long is left."""
    inputs = two_clusters()
    sc = scenario({"solver": {"name": "highs", "time_limit_s": 60}})
    logger = logging.getLogger("optimizer.progress")
    seen, level = _Lines(), logger.level
    logger.addHandler(seen)  # directly: a command run earlier may have stopped "optimizer" propagating
    logger.setLevel(logging.INFO)
    try:
        plan_city(sc, "blocks", inputs=inputs)
    finally:
        logger.removeHandler(seen)
        logger.setLevel(level)
    lines = seen.lines
    begun = [x for x in lines if x.startswith("piece ") and " ... " in x]
    assert [x.split(":")[0] for x in begun] == ["piece 1/2", "piece 2/2"]
    assert begun[0].endswith("estimating...")  # nothing finished yet
    assert "left (1 optimal)" in begun[1]
    assert any(x.startswith("piece 2/2 optimal") and "all finished" in x for x in lines)
