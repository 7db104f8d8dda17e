"""A batch finds a finished run again: the fingerprint it computes before solving is the one the run recorded.

Before, the batch hashed only demand, sites, facilities, network, OD table and elevation, while a run
records every file it reads (life-circle outlines, shared garages, the requests ledger too): a run of any
scenario with circles, the demo among them, was solved again by every resumed batch.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from optimizer.batch.runs import finished_run, record_fingerprint, scenario_fingerprint
from optimizer.inputs import input_file_hashes, input_layers
from optimizer.inputs.schema import InputsSpec
from optimizer.scenario import load_scenario


def test_a_batch_finds_the_finished_demo_run_though_the_demo_has_life_circle_outlines(demo_scenario, demo_run):
    scenario = demo_scenario  # as the session's demo run was solved (tests/conftest.py)
    record = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    assert scenario.inputs.circles is not None
    assert str(scenario.inputs.circles.path) in record["inputs"]["files"]
    assert input_file_hashes(scenario.inputs) == record["inputs"]["files"]
    assert scenario_fingerprint(scenario) == record_fingerprint(record)
    assert finished_run(demo_run.parent, scenario_fingerprint(scenario)) == demo_run


def test_every_input_table_a_scenario_can_name_is_read_and_hashed():
    tables = {f.name for f in dataclasses.fields(InputsSpec) if "LayerSpec" in str(f.type)}
    assert set(input_layers(InputsSpec(demand=None, sites=None))) | {"elevation"} == tables  # type: ignore[arg-type]


def test_a_changed_life_circle_file_is_a_different_run(tmp_path: Path):
    from batch_scenarios import write_tiny_district

    scenario_file = write_tiny_district(tmp_path)
    circles = tmp_path / "circles.csv"
    circles.write_text("circle_id\nLC1\n", encoding="utf-8")
    spec = load_scenario(scenario_file).inputs
    with_circles = dataclasses.replace(spec, circles=dataclasses.replace(spec.demand, path=circles, layer=None))
    before = input_file_hashes(with_circles)
    circles.write_text("circle_id\nLC2\n", encoding="utf-8")
    assert str(circles) in before and input_file_hashes(with_circles) != before
