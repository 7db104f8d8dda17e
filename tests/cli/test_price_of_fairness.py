"""``lifecircle fairness``: the price of fairness, the best total share at each floor on the worst circle.

Checked on tiny random districts against the two optima it joins: its first point is the
share optimum, its last point's worst circles are fair's stage-1 optimum, and a higher
floor never buys a larger total.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from tiny import make_scenario, random_instance

from optimizer.cli import main
from optimizer.errors import ScenarioError
from optimizer.pipeline import run_scenario
from optimizer.studies.price_of_fairness import price_of_fairness


def _scenario(raw: dict, objective: str = "people"):
    # make_scenario defaults to objective people: the study must plan with share whatever the scenario says
    return make_scenario({**raw, "objective": objective, "solver": {"name": "highs", "time_limit_s": 60}})


@pytest.mark.parametrize("seed", range(5))
def test_the_curve_runs_from_the_share_optimum_to_fairs_stage_1_and_never_rises(seed):
    """First point = the share optimum; last point's worst value = fair's stage 1; totals never rise with the floor."""
    inputs, raw = random_instance(seed, n_units=10, n_sites=4)
    raw = {**raw, "budget": {"total": 1.5e6}}
    raw["fairness"] = {"worst": "overall" if seed % 2 else "per_function"}
    table, summary = price_of_fairness(_scenario(raw), points=4, inputs=inputs)
    assert len(table) == 4 and table["proven"].all() and table["total_points"].notna().all()
    assert table["level"].is_monotonic_increasing
    # a higher floor never raises the total (up to the solver's relative optimality tolerance)
    tol = 1e-6 * max(1.0, float(table["total_points"].abs().max()))
    assert (np.diff(table["total_points"].to_numpy()) <= tol).all()
    # each plan's own worst circles (recomputed) reach its floor
    assert (table["worst_value"] >= table["level"] - 1e-6).all()
    share = run_scenario(_scenario(raw, "share"), inputs=inputs)
    assert share.result.proven_optimal
    assert table["total_points"].iloc[0] == pytest.approx(share.result.objective, rel=1e-6)
    assert summary["share_optimum"]["total_points"] == pytest.approx(share.result.objective, rel=1e-6)
    assert table["loss_points"].iloc[0] == pytest.approx(0.0, abs=tol)
    fair = run_scenario(_scenario(raw, "fair"), inputs=inputs)
    assert fair.stages is not None and fair.stages.worst_proven and summary["fair_stage_1"]["proven"]
    assert table["worst_value"].iloc[-1] == pytest.approx(fair.stages.worst_value, abs=1e-6)
    assert table["level"].iloc[-1] == pytest.approx(fair.stages.worst_value, abs=1e-6)
    # fair's plan is the best total at the highest floor
    assert table["total_points"].iloc[-1] == pytest.approx(fair.result.objective, rel=1e-6)
    assert (table["loss_points"] >= -tol).all()
    if seed == 2:  # a district where raising the worst circle costs total coverage: the curve is not flat
        assert table["loss_points"].iloc[-1] > 1.0 and table["worst_value"].iloc[-1] > table["worst_value"].iloc[0]


def test_a_point_the_solver_did_not_prove_is_not_called_proven(monkeypatch):
    """A floor whose solve stopped early is written with its status and gap, never as proven."""
    import dataclasses

    import optimizer.studies.price_of_fairness as study
    from solvers.result import SolveStatus

    real = study.solve
    calls = {"n": 0}

    def stopped(model, scenario, start=None):
        result = real(model, scenario, start)
        calls["n"] += 1
        if calls["n"] == 3:  # the first floor solved (the highest)
            return dataclasses.replace(result, status=SolveStatus.FEASIBLE, gap=0.05)
        return result

    monkeypatch.setattr(study, "solve", stopped)
    inputs, raw = random_instance(1, n_units=10, n_sites=4)
    table, _ = price_of_fairness(_scenario(raw), points=3, inputs=inputs)
    assert table["proven"].tolist() == [True, True, False]
    assert table["status"].iloc[-1] == "feasible" and table["gap"].iloc[-1] == pytest.approx(0.05)


def test_least_cost_and_a_single_point_are_refused_naming_the_key():
    inputs, raw = random_instance(0, n_units=6, n_sites=3)
    with pytest.raises(ScenarioError, match="objective"):
        price_of_fairness(_scenario(raw, "least_cost"), inputs=inputs)
    with pytest.raises(ScenarioError, match="--points"):
        price_of_fairness(_scenario(raw), points=1, inputs=inputs)


def test_the_command_writes_csv_png_json_and_prints_the_table(tmp_path, monkeypatch):
    """lifecircle fairness SCENARIO --points 3: exit 0, one folder with the three files, the table printed."""
    from tests.batch_scenarios import write_tiny_district

    scenario = write_tiny_district(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fairness", str(scenario), "--points", "3", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (tmp_path / "out").rglob("price-of-fairness-*") if p.is_dir()]
    table = pd.read_csv(folder / "price_of_fairness.csv", encoding="utf-8-sig")
    assert len(table) == 3 and {"level", "worst_value", "total_points", "loss_points", "loss_pct", "status",
                                "proven", "gap"} <= set(table.columns)
    assert any(c.startswith("worst_") and c != "worst_value" for c in table.columns)
    assert (folder / "price_of_fairness.png").read_bytes()[:4] == b"\x89PNG"
    record = json.loads((folder / "price_of_fairness.json").read_text(encoding="utf-8"))
    assert len(record["rows"]) == 3 and record["total_unit"] == "percentage points"
    assert "the price of fairness" in result.output and "share optimum" in result.output
    assert "fair's stage 1" in result.output


def test_the_command_exits_3_on_least_cost(tmp_path, monkeypatch):
    from tests.batch_scenarios import write_tiny_district

    scenario = write_tiny_district(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["fairness", str(scenario), "--set", "objective=least_cost",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "objective" in result.output
