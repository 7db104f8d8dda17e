"""Requests add weight to the functions asked for, where they are asked for (optimizer.rules.requests)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from tiny import brute_force_all, make_inputs, make_scenario, random_instance

from optimizer.outputs.tables import requests_summary
from optimizer.pipeline import run_scenario
from optimizer.rules.requests import with_requests

CANTEEN_ONLY = {"childcare": {"enabled": False}, "elder_care": {"enabled": False}, "parking": {"enabled": False}}


def ledger(*rows: tuple) -> pd.DataFrame:
    """Request rows ``(request_id, community, circle_id, service, count[, channel, date])``."""
    full = [tuple(r) + ("渝快办", "2025-03-18")[len(r) - 5:] for r in rows]
    return pd.DataFrame(full, columns=["request_id", "community", "circle_id", "service", "count", "channel",
                                       "date"]).astype({"count": float})


def two_communities(**extra) -> dict:
    """Community A (500 residents) near site SA, community B (300) near SB, 3 km apart."""
    demand = [{"unit_id": "A1", "x": 0, "y": 0, "total": 500, "elderly": 100, "community": "A", "circle_id": "C1"},
              {"unit_id": "B1", "x": 3000, "y": 0, "total": 300, "elderly": 60, "community": "B", "circle_id": "C2"}]
    sites = [{"site_id": "SA", "x": 10, "y": 0, "kind": "building", "area_m2": 1000, "circle_id": "C1"},
             {"site_id": "SB", "x": 3010, "y": 0, "kind": "building", "area_m2": 1000, "circle_id": "C2"}]
    return make_inputs(demand, sites), {"functions": CANTEEN_ONLY, "budget": {"total": 2e6}, **extra}


def chosen(run) -> list[str]:
    return [run.inputs.sites.at[p.site_row, "site_id"] for p in run.plan.sites]


def with_ledger(inputs, table):
    return dataclasses.replace(inputs, requests=table)


def test_enough_requests_in_the_smaller_community_switch_the_one_affordable_canteen_to_it():
    """Money for one canteen: the census favours A (500 > 300); 250 requests in B make B 550 > 500."""
    inputs, raw = two_communities()
    sc = make_scenario(raw)
    assert chosen(run_scenario(sc, inputs=inputs)) == ["SA"]
    few = run_scenario(sc, inputs=with_ledger(inputs, ledger(("R1", "B", "", "canteen", 150))))
    assert chosen(few) == ["SA"]  # 300 + 150 < 500: the census still wins
    many = run_scenario(sc, inputs=with_ledger(inputs, ledger(("R1", "B", "", "canteen", 250))))
    assert chosen(many) == ["SB"]
    assert many.result.objective == pytest.approx(550) and many.check.passed


def test_requests_for_another_function_or_a_disabled_one_do_not_move_the_canteen():
    inputs, raw = two_communities()
    raw["functions"] = {**CANTEEN_ONLY, "elder_care": {"enabled": False}}
    run = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "B", "", "elder_care", 900))))
    assert chosen(run) == ["SA"]
    assert any("disabled functions are ignored: elder_care (1 rows, 900 residents)" in w for w in run.warnings)


def test_people_per_request_since_and_channels_decide_what_counts():
    inputs, raw = two_communities()
    table = ledger(("R1", "B", "", "canteen", 100, "渝快办", "2025-01-10"),
                   ("R2", "B", "", "canteen", 100, "坝坝会", "2025-06-01"))
    assert chosen(run_scenario(make_scenario(raw), inputs=with_ledger(inputs, table))) == ["SA"]  # 500 > 300 + 200
    weighted = make_scenario({**raw, "requests": {"weight": 1.5}})  # 300 + 1.5 x 200 = 600 > 500
    assert chosen(run_scenario(weighted, inputs=with_ledger(inputs, table))) == ["SB"]
    for only in ({"weight": 3, "since": "2025-03-01"}, {"weight": 3, "channels": ["坝坝会"]}):  # 300 + 300 = 600
        run = run_scenario(make_scenario({**raw, "requests": only}), inputs=with_ledger(inputs, table))
        assert chosen(run) == ["SB"]
        assert requests_summary(run)[1]["rows"] == 1 and requests_summary(run)[1]["people_weighted"] == 300
    for none in ({"weight": 3, "since": "2025-07-01"}, {"weight": 3, "channels": ["12345"]}):
        assert chosen(run_scenario(make_scenario({**raw, "requests": none}), inputs=with_ledger(inputs, table))) \
            == ["SA"]


def test_a_row_is_spread_pro_rata_to_the_cohort_then_to_residents_then_evenly():
    """Community K: 30 and 10 elderly -> 3:1; circle C9: no elderly -> by residents 2:1:1; C8: nobody -> evenly."""
    demand = [{"unit_id": "K1", "x": 0, "y": 0, "total": 90, "elderly": 30, "community": "K", "circle_id": "C1"},
              {"unit_id": "K2", "x": 0, "y": 0, "total": 50, "elderly": 10, "community": "K", "circle_id": "C1"},
              {"unit_id": "N1", "x": 0, "y": 0, "total": 60, "elderly": 0, "community": "N", "circle_id": "C9"},
              {"unit_id": "N2", "x": 0, "y": 0, "total": 30, "elderly": 0, "community": "N", "circle_id": "C9"},
              {"unit_id": "N3", "x": 0, "y": 0, "total": 30, "elderly": 0, "community": "M", "circle_id": "C9"},
              {"unit_id": "E1", "x": 0, "y": 0, "total": 0, "elderly": 0, "community": "E", "circle_id": "C8"},
              {"unit_id": "E2", "x": 0, "y": 0, "total": 0, "elderly": 0, "community": "E", "circle_id": "C8"}]
    inputs = make_inputs(demand, [{"site_id": "S", "x": 0, "y": 0, "kind": "building", "area_m2": 900}])
    table = ledger(("R1", "K", "", "elder_care", 8), ("R2", "", "C9", "elder_care", 8),
                   ("R3", "N", "C9", "elder_care", 3), ("R4", "E", "", "elder_care", 5),
                   ("R5", "K", "", "canteen", 14))
    sc, out, _ = with_requests(make_scenario(), with_ledger(inputs, table))
    expected = [6, 2, 4 + 2, 2 + 1, 2, 2.5, 2.5]  # R3 (N in C9) goes to N1, N2 by residents 2:1
    assert out.demand["requests_elder_care"].tolist() == pytest.approx(expected)
    assert sc.functions["elder_care"].cohort == "elderly_and_requests_elder_care"
    assert out.demand["elderly_and_requests_elder_care"].tolist() == pytest.approx(
        np.add([30, 10, 0, 0, 0, 0, 0], expected))
    assert out.demand["requests_canteen"].tolist() == pytest.approx([9, 5, 0, 0, 0, 0, 0])  # 14 x 90:50
    assert sc.functions["childcare"] == make_scenario().functions["childcare"]  # asked for by nobody: unchanged
    assert list(out.demand["elderly"]) == [30, 10, 0, 0, 0, 0, 0]  # the census column stays as it is
    again, twice, _ = with_requests(sc, out)
    assert again == sc and twice.demand.equals(out.demand)  # applying the rule twice changes nothing


def test_without_a_ledger_nothing_changes():
    inputs, raw = two_communities()
    sc = make_scenario(raw)
    same_sc, same_inputs, notes = with_requests(sc, inputs)
    assert same_sc is sc and same_inputs is inputs and notes == []


def test_the_share_of_the_objective_from_requests_by_hand():
    """Objective share: a canteen person counts 100 / (800 residents + 250 requesters) percentage points.

    The plan covers B: 300 residents and 250 requesters, 550 x 100 / 1050 = 52.38 points, of
    which the requesters' 250 x 100 / 1050 = 23.81 points, 45.45 %.
    """
    inputs, raw = two_communities(objective="share")
    run = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "B", "", "canteen", 250))))
    assert chosen(run) == ["SB"]
    assert run.result.objective == pytest.approx(550 * 100 / 1050)
    table, record = requests_summary(run)
    assert record == {"rows": 1, "rows_left_out": {}, "people_weighted": 250.0,
                      "objective_from_requests": pytest.approx(250 * 100 / 1050),
                      "share_of_objective": pytest.approx(250 / 550)}
    assert table.to_dict(orient="records") == [{
        "function": "canteen", "requests": 1, "people_weighted": 250.0, "newly_covered_requests": 250.0,
        "objective_from_requests": pytest.approx(250 * 100 / 1050)}]


def test_requests_already_covered_by_a_running_canteen_add_nothing_new():
    inputs, raw = two_communities(objective="people")
    facilities = [{"facility_id": "F", "function": "canteen", "x": 3000.0, "y": 5.0, "capacity": 100.0}]
    inputs = make_inputs(inputs.demand.assign(x=inputs.demand.geometry.x, y=inputs.demand.geometry.y)
                         .drop(columns="geometry").to_dict("records"),
                         inputs.sites.assign(x=inputs.sites.geometry.x, y=inputs.sites.geometry.y)
                         .drop(columns="geometry").to_dict("records"), facilities)
    run = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "B", "", "canteen", 250))))
    assert chosen(run) == ["SA"]
    assert requests_summary(run)[1]["objective_from_requests"] == 0 and run.result.objective == 500


def test_a_function_counting_its_requests_only():
    """A health post (cohort: requests) goes where it was asked for, however many live elsewhere."""
    inputs, raw = two_communities()
    raw["functions"] = {**CANTEEN_ONLY, "canteen": {"enabled": False},
                        "health_post": {**make_scenario().resolved["functions"]["canteen"], "cohort": "requests",
                                        "enabled": True}}  # the built-in health_post ships off
    raw["functions"]["health_post"].pop("capacity_demand")
    run = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "B", "", "health_post", 7))))
    assert chosen(run) == ["SB"] and run.result.objective == pytest.approx(7)
    assert run.scenario.functions["health_post"].cohort == "requests_health_post"
    nobody = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "B", "", "health_post", 7))
                                                                  .iloc[0:0]))
    assert any("counts its requests only, but the ledger counts none" in w for w in nobody.warnings)


def test_capacitated_requesters_need_places_like_residents():
    """30 elderly + 20 requesters, one place each: the station serves 50, 20 of them requesters."""
    demand = [{"unit_id": "A", "x": 0, "y": 0, "total": 100, "elderly": 30, "community": "A"}]
    inputs = make_inputs(demand, [{"site_id": "S", "x": 0, "y": 0, "kind": "building", "area_m2": 5000}])
    raw = {"model": {"mode": "capacitated"}, "budget": {"total": 1e9}, "sharing": {"groups": []},
           "functions": {"canteen": {"enabled": False}, "childcare": {"enabled": False},
                         "parking": {"enabled": False},
                         "elder_care": {"capacity_demand": {"per_1000": 1000, "of": "elderly"},
                                        "size": {"min_m2": 200, "standard_m2": 300, "max_m2": 1000}}}}
    run = run_scenario(make_scenario(raw), inputs=with_ledger(inputs, ledger(("R1", "A", "", "elder_care", 20))))
    assert run.check.passed
    assert run.plan.served_new["elder_care"].sum() == pytest.approx(50)
    assert requests_summary(run)[0].at[0, "newly_covered_requests"] == pytest.approx(20)
    assert run.plan.areas()[(0, "elder_care")] == pytest.approx(500)  # 50 places x 10 m2


def _random_ledger(seed: int, inputs) -> pd.DataFrame:
    rng = np.random.default_rng(1000 + seed)
    rows = []
    for k in range(int(rng.integers(1, 7))):
        where = rng.integers(0, 3)
        community = f"K{rng.integers(0, 3)}" if where != 1 else ""
        circle = f"C{rng.integers(0, 2)}" if where != 0 else ""
        if community and circle and not ((inputs.demand["community"] == community)
                                         & (inputs.demand["circle_id"] == circle)).any():
            circle = ""
        rows.append((f"R{k}", community, circle, str(rng.choice(["canteen", "childcare", "elder_care", "parking"])),
                     float(rng.integers(1, 300))))
    return ledger(*rows)


@pytest.mark.parametrize("objective", ["people", "share"])
@pytest.mark.parametrize("seed", range(5))
def test_the_model_with_requests_agrees_with_brute_force_over_every_plan(seed, objective):
    """The rule's columns, read by a brute force that knows nothing of requests, give the model's optimum."""
    inputs, raw = random_instance(seed, n_units=10, n_sites=4)
    inputs = dataclasses.replace(inputs, demand=inputs.demand.assign(
        community=[f"K{i % 3}" for i in range(len(inputs.demand))]))
    inputs = with_ledger(inputs, _random_ledger(seed, inputs))
    sc = make_scenario({**raw, "objective": objective})
    run = run_scenario(sc, inputs=inputs)
    applied_sc, applied_inputs, _ = with_requests(sc, inputs)
    best, _ = brute_force_all(applied_inputs, applied_sc)
    assert run.result.proven_optimal and run.check.passed
    assert run.result.objective == pytest.approx(best, abs=1e-6)
    asked = [c for c in applied_inputs.demand.columns if c in {f"requests_{f}" for f in sc.functions}]
    assert applied_inputs.demand[asked].to_numpy().sum() == pytest.approx(inputs.requests["count"].sum())
