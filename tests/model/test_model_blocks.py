"""The model is assembled from rule blocks, and the blocks build exactly the model they always built.

Each instance below is built and its matrix problem reduced to a SHA-256 fingerprint of
exact bytes: objective, CSR ``indptr``/``indices``/``data``, row and column bounds,
integrality (and integrality at an optimum), sense, the ``row_blocks`` spans, the
``stats`` keys and values (without the build time) and the ``cut_pool``. The recorded
fingerprints were computed by the code before the model was split into one module per
rule family (issue 13); a planner relies on the split changing no plan, and a plan
cannot change if the model does not.

The instances switch on what the shipped scenarios leave out: rules 6 and 7 together
(a group of three functions needs the ``q`` indicators; a share and a per-1,000
requirement), per-district budgets, forced decisions, a running facility, both modes
and all three objectives, among them the diagnosis objective ``min_shortfall``.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import two_circles
from tiny import make_inputs, make_scenario

from optimizer.model.build import PlanningModel, build_model
from optimizer.pipeline import check_against_scenario, compute_reach
from optimizer.rules.existing import existing_service

OBJECTIVES = ("max_coverage", "least_cost", "min_shortfall")


def _unit(uid: str, x: float, y: float, circle: str, **people: float) -> dict:
    base = {"total": 0.0, "elderly": 0.0, "infants": 0.0, "households": 0.0, "cars": 0.0}
    base.update(people)
    return {"unit_id": uid, "x": x, "y": y, "circle_id": circle, "district": "D1" if x < 900 else "D2", **base}


def _site(sid: str, x: float, y: float, kind: str, area: float, floor: int, circle: str) -> dict:
    return {"site_id": sid, "x": x, "y": y, "kind": kind, "area_m2": area, "lowest_floor": floor,
            "circle_id": circle, "district": "D1" if x < 900 else "D2"}


def rules_instance(mode: str):
    """Two circles over two districts, three functions sharing in a pair and a triple, rules 6 and 7 on."""
    rng = np.random.default_rng(13)
    demand = [_unit(f"U{i}", float(rng.uniform(0, 1800)), float(rng.uniform(0, 1200)), f"C{i % 2}",
                    total=float(rng.integers(200, 3000)), elderly=float(rng.integers(0, 300)),
                    infants=float(rng.integers(0, 60)), households=float(rng.integers(50, 900)))
              for i in range(14)]
    sites = [_site(f"S{j}", float(rng.uniform(0, 1800)), float(rng.uniform(0, 1200)),
                   str(rng.choice(["building", "existing_host", "plot"])), float(rng.choice([600, 900, 1500, 3000])),
                   int(rng.choice([1, 1, 2, 4])), f"C{j % 2}") for j in range(7)]
    for forced in (1, 2):  # sites forced in must be eligible for something
        sites[forced].update(kind="building", lowest_floor=1, area_m2=3000.0)
    # reaches nobody and may host no group: its pair is dropped
    sites.append({**_site("far", 6000.0, 6000.0, "building", 900.0, 1, "C2"), "allowed_functions": "canteen"})
    facilities = [{"facility_id": "F0", "function": "elder_care", "x": 400.0, "y": 300.0, "capacity": 25.0}]
    raw = {
        "functions": {
            "parking": {"enabled": False},
            "canteen": {"threshold_min": 9},
            "childcare": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 200, "max_m2": 600}},
            "elder_care": {"threshold_min": 8, "size": {"min_m2": 100, "standard_m2": 250, "max_m2": 600},
                           "weight": 2.0}},
        "sharing": {"groups": [
            {"name": "old and young", "functions": ["elder_care", "childcare"], "area_saving": 0.2,
             "cost_saving": 0.15},
            {"name": "all three", "functions": ["elder_care", "childcare", "canteen"], "area_saving": 0.1,
             "cost_saving": 0.05}], "not_built_separately": True},
        "budget": {"total": 6e6, "by_district": {"D1": 4e6, "D2": 3e6}},
        "requirements": [{"function": "elder_care", "min_share": 0.3, "circles": ["C0"]},
                         {"function": "childcare", "min_per_1000": 1.5}],
        "decisions": {"force_in": ["S1", "S2:canteen"], "force_out": ["S3:childcare"]},
        "model": {"mode": mode, "ineligible_sites": "ignore"},
    }
    return make_inputs(demand, sites, facilities), make_scenario(raw)


def two_circles_instance(mode: str):
    """The two-circle district of the assess tests: no rule beyond the budget, space and sharing."""
    return two_circles.inputs(), two_circles.scenario({"model": {"mode": mode}})


def build(inputs, scenario, objective: str | None) -> PlanningModel:
    """The planning model as the pipeline builds it (without its checks for unmeetable requirements)."""
    forced, _ = check_against_scenario(inputs, scenario)
    reach_sites, reach_facilities = compute_reach(inputs, scenario)
    existing = existing_service(inputs, reach_facilities, scenario)
    return build_model(inputs, reach_sites, reach_facilities, scenario, forced, existing, objective=objective)


def fingerprint(model: PlanningModel) -> str:
    """SHA-256 of the exact bytes of the built matrix problem and of what is read back from the model."""
    p = model.problem
    digest = hashlib.sha256()

    def put(array: np.ndarray, dtype: str) -> None:
        data = np.ascontiguousarray(np.asarray(array, dtype=dtype))
        digest.update(str(data.shape).encode())
        digest.update(data.tobytes())

    matrix = p.matrix.tocsr()
    for array in (p.objective, matrix.data, p.row_lower, p.row_upper, p.col_lower, p.col_upper):
        put(array, "<f8")
    for array in (matrix.indptr, matrix.indices):
        put(array, "<i8")
    put(p.integrality, "?")
    put(p.metadata["integral_at_optimum"], "?")
    digest.update(str(matrix.shape).encode() + p.sense.name.encode())
    stats = {k: v for k, v in model.stats.items() if k != "build_seconds"}
    digest.update(json.dumps([model.row_blocks, stats], sort_keys=True).encode())
    for part, dtype in zip(model.cut_pool, ("<i8", "<i8", "<f8"), strict=True):
        put(part, dtype)
    # what the plan, the check, the heuristic and the studies read back from the model
    blocks = [model.x, model.o, model.z, model.y, model.a, model.w, model.sc, model.sa, model.n, model.q, model.slack]
    digest.update(json.dumps([[b.name, b.start, b.size] for b in blocks] + [model.functions, model.y_offsets,
                                                                             model.mode, model.objective]).encode())
    for array in (model.pair_site, model.pair_function, model.open_site, model.share_site, model.share_group,
                  model.w_row, model.w_pair, *model.share_members):
        put(array, "<i8")
    for array in (model.pair_area, model.pair_cost, model.pair_fixed, model.pair_rate, model.site_conversion_cost,
                  model.share_area_saving, model.share_cost_saving):
        put(array, "<f8")
    for name in model.functions:
        rows = model.coverage[name]
        pattern = rows.pattern.tocsr()
        put(pattern.indptr, "<i8")
        put(pattern.indices, "<i8")
        for array in (pattern.data, rows.weight, rows.people):
            put(array, "<f8")
        put(rows.unit_group, "<i8")
    digest.update(repr([(t.function, t.circle, t.kind, t.need) for t in model.targets]).encode())
    return digest.hexdigest()


#: (instance, mode, objective) -> fingerprint recorded from the code before the split.
RECORDED = {
    "rules/coverage/max_coverage": "dd96a127466721af2e138a484ba0a611cb6e46beda6c8607511c1e0b3ab3ae2f",
    "rules/coverage/least_cost": "ddc119af45e281868465a89d800f11baaa06f9cac77750592992628d40589c93",
    "rules/coverage/min_shortfall": "836ed703725dfcb9f2023269847d8c1b27b8932d3a55f0b8aa0d01772dc0c612",
    "rules/capacitated/max_coverage": "ea4ac46f5d5f73a20b1d0883b4b8c0879aa2d9065ba6316c7b37984ebafceee9",
    "rules/capacitated/least_cost": "41bf44c6960cd949b35251d61703d40ee350ec6f8272e1980aa171919ab6de29",
    "rules/capacitated/min_shortfall": "a917c9663a1aad6baac09bb6e07a0a0e652aa1c4c59261f14fa8ab7534b215a6",
    "two_circles/coverage/max_coverage": "f8e05b363c67916b1903198d65295b4518e770db73a7e68410e54a5473ce8af6",
    "two_circles/coverage/min_shortfall": "88de1736d8fbfa4cf3ae746ae9eff5f417e58f49b8301c8589f16517bfe23587",
    "two_circles/capacitated/max_coverage": "d61fdd6acc3ea7f5e0889266bbe6d8321183cd83c937144c9b908d54de06a28a",
    "two_circles/capacitated/min_shortfall": "461727e3e58897a4e701c7c71b2c7f4cb0f1cd365aba408c538be3743a039a0c",
}

CASES = [("rules", mode, objective) for mode in ("coverage", "capacitated") for objective in OBJECTIVES] + [
    ("two_circles", mode, objective) for mode in ("coverage", "capacitated") for objective in ("max_coverage",
                                                                                               "min_shortfall")]
INSTANCES = {"rules": rules_instance, "two_circles": two_circles_instance}


def all_fingerprints() -> dict[str, str]:
    """Every case's fingerprint, keyed ``instance/mode/objective`` (to record them anew)."""
    return {"/".join(case): fingerprint(build(*INSTANCES[case[0]](case[1]), case[2])) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=["/".join(c) for c in CASES])
def test_the_rule_blocks_build_exactly_the_model_built_before_the_split(case):
    instance, mode, objective = case
    model = build(*INSTANCES[instance](mode), objective)
    assert fingerprint(model) == RECORDED["/".join(case)]


def test_the_instances_exercise_every_rule_family():
    """The fingerprints above would prove little if the instances left a rule family out."""
    rules = set()
    for mode in ("coverage", "capacitated"):
        model = build(*rules_instance(mode), "min_shortfall")
        rules |= {rule for rule, _, _ in model.row_blocks}
        assert model.z.size and model.n.size and model.q.size and model.slack.size
        assert model.stats["pairs_reaching_nobody_new_dropped"] > 0
    assert {"coverage", "served within demand", "capacity (rule 4)", "size", "site_conversion", "site_used",
            "sharing", "sharing savings", "space", "budget (whole scenario)", "budget (district D1)",
            "budget (district D2)", "newly provided in a life circle", "not built separately (rule 6)",
            "what must exist (rule 7)"} <= rules
