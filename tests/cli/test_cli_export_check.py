"""``lifecircle export`` and ``lifecircle check``: the model for other solvers, and their answers checked."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from batch_scenarios import write_tiny_district
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.studies.external import read_solution

highspy = pytest.importorskip("highspy", reason="the round trip reads the exported file with HiGHS")


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory):
    """Two demand units, a building S1 (every function) and a plot S2 (parking only); as in test_cli.py.

    Shared by the module's tests (each writes files of its own names): everything is built once.
    """
    tmp_path = tmp_path_factory.mktemp("tiny")
    scenario = write_tiny_district(tmp_path, "output: {folder: out}\n")
    return tmp_path, scenario


def _run(*args):
    return CliRunner().invoke(main, ["-q", *map(str, args)])


def _highs(path):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h


@pytest.fixture(scope="module")
def solved(tiny_project):
    """The tiny scenario exported as MPS and LP, and solved by ``lifecircle solve``."""
    folder, scenario = tiny_project
    result = _run("solve", scenario, "--out", folder / "out")
    assert result.exit_code == 0, result.output
    record = json.loads(next((folder / "out" / "tiny").glob("*/run.json")).read_text(encoding="utf-8"))
    for fmt in ("mps", "lp"):
        result = _run("export", scenario, "--format", fmt, "--out", folder / f"model.{fmt}")
        assert result.exit_code == 0, result.output
    return folder, scenario, record["objective"]


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_export_mps_and_lp_read_back_by_highs_give_the_solve_optimum(solved):
    folder, _, optimum = solved
    for fmt, sign in (("mps", -1.0), ("lp", 1.0)):  # the MPS file minimises the negated coverage
        sidecar = json.loads((folder / f"model.{fmt}.map.json").read_text(encoding="utf-8"))
        h = _highs(folder / f"model.{fmt}")
        assert sign * h.getInfo().objective_function_value == pytest.approx(optimum, abs=1e-6)
        lp = h.getLp()
        assert sorted(lp.col_names_) == sorted(sidecar["columns"])  # every column, by its stable name
        assert {"x_S1_canteen", "x_S2_parking", "o_S1", "o_S2", "y_canteen_0",
                "z_S1_elder_care.childcare"} <= set(sidecar["columns"])
        assert sidecar["sense"] == "maximize"
        assert sidecar["file_sense"] == ("minimize" if fmt == "mps" else "maximize")
        assert sidecar["scenario"]["name"] == "tiny"
        assert sidecar["model"]["variables"] == len(sidecar["columns"]) == lp.num_col_
        assert "weighted people newly covered" in sidecar["objective"]["meaning"]


def test_export_takes_the_format_from_the_suffix_and_refuses_to_guess(tiny_project):
    folder, scenario = tiny_project
    assert _run("export", scenario, "--out", folder / "m.lp").exit_code == 0
    assert (folder / "m.lp.map.json").is_file()
    assert (folder / "m.lp").read_text(encoding="ascii").startswith("\\ lifecircle")
    result = _run("export", scenario, "--out", folder / "m.txt")
    assert result.exit_code == 2 and "--format" in result.output


def test_a_solvers_solution_of_the_optimum_passes_check(solved):
    folder, scenario, optimum = solved
    # HiGHS's own solution file for the MPS (objective negated in the file)
    _highs(folder / "model.mps").writeSolution(str(folder / "highs.sol"), 0)
    result = _run("check", scenario, "--solution", folder / "highs.sol")
    assert result.exit_code == 0, result.output
    assert "verdict: PASSED" in result.output and "FAILED" not in result.output
    assert "PASSED  budget" in result.output and "PASSED  cost model" in result.output
    assert f"claimed {optimum:,.3f}" in result.output  # the file's -optimum, read in the model's sense
    assert f"recomputed weighted coverage {optimum:,.3f}" in result.output
    # a Gurobi-style file for the LP: '# Objective value = ...' and name value lines, zeros left out
    h = _highs(folder / "model.lp")
    values = dict(zip(h.getLp().col_names_, h.getSolution().col_value, strict=True))
    lines = [f"# Objective value = {h.getInfo().objective_function_value!r}"]
    lines += [f"{n} {v!r}" for n, v in values.items() if abs(v) > 1e-9]
    (folder / "gurobi.sol").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "gurobi.sol")
    assert result.exit_code == 0, result.output
    assert "taken as 0" in result.output
    assert not any(p.name.startswith(".") for p in folder.iterdir())  # no partial file left by export


def test_check_out_writes_a_run_folder_marked_not_proven(solved):
    folder, scenario, _ = solved
    pd.DataFrame({"site_id": ["S1", "S2"], "function": ["canteen", "parking"]}).to_csv(folder / "plan.csv",
                                                                                       index=False)
    result = _run("check", scenario, "--solution", folder / "plan.csv", "--out", folder / "ext")
    assert result.exit_code == 0, result.output
    record = json.loads(next((folder / "ext" / "tiny").glob("*/run.json")).read_text(encoding="utf-8"))
    assert record["status"] == "feasible" and record["proven_optimal"] is False
    assert record["check"]["passed"] is True and record["plan"]["sites_converted"] == 2


def test_plan_csv_over_the_budget_fails_with_exit_6_naming_the_budget(tiny_project):
    folder, scenario = tiny_project
    (folder / "over.csv").write_text("site_id,function\nS1,canteen\nS1,childcare\nS1,elder_care\nS2,parking\n",
                                     encoding="utf-8")
    before = _listing(folder)
    result = _run("check", scenario, "--solution", folder / "over.csv", "--set", "budget.total=3e6")
    assert result.exit_code == 6, result.output
    assert "FAILED  budget" in result.output and "> budget 3,000,000 yuan" in result.output
    assert "PASSED  eligibility" in result.output
    assert "verdict: FAILED" in result.output and "objective: none claimed" in result.output
    assert _listing(folder) == before  # check writes nothing


def test_plan_csv_with_an_ineligible_site_function_fails_naming_eligibility(tiny_project):
    folder, scenario = tiny_project
    (folder / "ineligible.csv").write_text("site_id,function\nS1,canteen\nS2,childcare\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "ineligible.csv")
    assert result.exit_code == 6, result.output
    assert "FAILED  eligibility" in result.output and "not eligible: S2:childcare" in result.output
    assert "not columns of the model" in result.output  # no x column exists for it


def test_a_forced_decision_the_solution_ignores_fails_the_check_not_the_reading(solved):
    folder, scenario, _ = solved
    _highs(folder / "model.lp").writeSolution(str(folder / "highs_lp.sol"), 0)
    result = _run("check", scenario, "--solution", folder / "highs_lp.sol", "--set", "decisions.force_in=[S1:parking]")
    assert result.exit_code == 6, result.output
    assert "FAILED  forced decisions" in result.output and "S1:parking forced in but absent" in result.output


def test_unreadable_solution_exits_3_naming_file_line_and_problem(tiny_project):
    folder, scenario = tiny_project
    (folder / "bad.sol").write_text("# Objective value = 10\nx_S1_canteen 1\nx_S9_canteen 1\ny_canteen_0 abc\n"
                                    "x_S1_childcare 0.5\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "bad.sol")
    assert result.exit_code == 3, result.output
    assert "bad.sol, line 3: unknown column name 'x_S9_canteen'" in result.output
    assert "bad.sol, line 4: value of 'y_canteen_0': 'abc' is not a number" in result.output
    assert "bad.sol, line 5: x_S1_childcare = 0.5: a yes/no decision (x) must be 0 or 1" in result.output
    (folder / "bad.csv").write_text("name,value\nx_S1_canteen,1\no_S1,one\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "bad.csv")
    assert result.exit_code == 3 and "bad.csv, line 3: value of 'o_S1': 'one' is not a number" in result.output
    (folder / "bad_plan.csv").write_text("site_id,function\nS7,canteen\nS1,sauna\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "bad_plan.csv")
    assert result.exit_code == 3
    assert "line 2, column 'site_id': site 'S7' is not in the sites" in result.output
    assert "line 3, column 'function': function 'sauna'" in result.output
    result = _run("check", scenario, "--solution", folder / "missing.sol")
    assert result.exit_code == 3 and "missing.sol: no such file" in result.output


def test_capacitated_solution_is_read_back_with_its_sizes_and_served_people(tiny_project):
    folder, scenario = tiny_project
    mode = ("--set", "model.mode=capacitated")
    assert _run("export", scenario, "--out", folder / "cap.lp", *mode).exit_code == 0
    names = json.loads((folder / "cap.lp.map.json").read_text(encoding="utf-8"))["columns"]
    assert {"a_S1_childcare", "w_childcare_0_S1", "sc_S1_elder_care.childcare"} <= set(names)
    _highs(folder / "cap.lp").writeSolution(str(folder / "cap.sol"), 0)
    result = _run("check", scenario, "--solution", folder / "cap.sol", *mode)
    assert result.exit_code == 0, result.output
    assert "PASSED  served within reach and capacity" in result.output and "PASSED  size" in result.output
    (folder / "cap.csv").write_text("site_id,function,area_m2\nS1,childcare,5000\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "cap.csv", *mode)
    assert result.exit_code == 6 and "FAILED  size" in result.output


@pytest.mark.parametrize("text, objective, entries", [
    ("Optimal - objective value -12.50000000\n      0 x_S1_canteen  1  0\n** 3 y_canteen_0 0.5 -800\n",
     -12.5, [("x_S1_canteen", 1.0), ("y_canteen_0", 0.5)]),
    ("solution status: optimal solution found\nobjective value:   12.5\nx_S1_canteen  1 \t(obj:0)\n",
     12.5, [("x_S1_canteen", 1.0)]),
    ('<?xml version="1.0"?>\n<CPLEXSolution version="1.2">\n <header\n   objectiveValue="12.5"\n'
     '   solutionStatusString="integer optimal solution"/>\n <variables>\n'
     '  <variable name="x_S1_canteen" index="0" value="1"/>\n </variables>\n</CPLEXSolution>\n',
     12.5, [("x_S1_canteen", 1.0)]),
    ("x_S1_canteen 1\nobjective 12.5\n", 12.5, [("x_S1_canteen", 1.0)]),
], ids=["cbc", "scip", "cplex-xml", "plain"])
def test_solution_files_of_other_solvers_are_read(tmp_path, text, objective, entries):
    path = tmp_path / "s.sol"
    path.write_text(text, encoding="utf-8")
    sol = read_solution(path)
    assert sol.objective == objective
    assert [(n, v) for n, v, _ in sol.entries] == entries and not sol.problems


# ------------------------------------------------------------------ figures a plan list claims
def _run_folder(folder, name, *sets):
    """``lifecircle solve`` of the tiny scenario into ``folder/name``; returns the run folder."""
    result = _run("solve", folder / "tiny.yaml", "--out", folder / name, *sets)
    assert result.exit_code == 0, result.output
    return next((folder / name / "tiny").glob("*/"))


@pytest.fixture(scope="module")
def run_folder(tiny_project):
    """A finished run of the tiny scenario: its tables and run.json claim every figure of the plan."""
    folder, _ = tiny_project
    return _run_folder(folder, "claims")


def _edited_copy(run_folder, tmp_path, file, edit):
    """A copy of ``run_folder`` with ``edit(table)`` applied to ``file`` (a CSV, or run.json as a dict)."""
    import shutil

    copy = tmp_path / run_folder.name
    shutil.copytree(run_folder, copy)
    if file == "run.json":
        record = json.loads((copy / file).read_text(encoding="utf-8"))
        edit(record)
        (copy / file).write_text(json.dumps(record), encoding="utf-8")
    else:
        table = pd.read_csv(copy / file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        edit(table)
        table.to_csv(copy / file, index=False, encoding="utf-8-sig")
    return copy


def _times(table, row, column, factor):
    table.loc[row, column] = str(float(table.loc[row, column]) * factor)


def _put(table, row, **cells):
    for column, text in cells.items():
        table.loc[row, column] = text


def test_an_honest_run_folder_passes_with_every_figure_it_claims_recomputed(tiny_project, run_folder):
    """Every figure of the run's tables and run.json agrees with the plan recomputed from its sites."""
    _, scenario = tiny_project
    result = _run("check", scenario, "--solution", run_folder)
    assert result.exit_code == 0, result.output
    assert "PASSED  claimed figures   all " in result.output
    assert "objective: claimed " in result.output and "run.json" in result.output
    single = _run("check", scenario, "--solution", run_folder / "plan_facilities.csv")
    assert single.exit_code == 0 and "PASSED  claimed figures" in single.output


INFLATED = [
    # (file, edit, the difference named: file, line, row, column, claimed vs recomputed)
    ("plan_facilities.csv", lambda t: _times(t, 0, "newly_covered", 10),
     "plan_facilities.csv, line 2 (S1:canteen), newly_covered: claimed 8,000.00 vs recomputed 800.00"),
    ("coverage_by_function.csv", lambda t: _times(t, 0, "newly_covered", 10),
     "coverage_by_function.csv, line 2 (canteen), newly_covered: claimed 8,000.00 vs recomputed 800.00"),
    ("coverage_by_circle.csv", lambda t: _times(t, 0, "people", 10),
     "coverage_by_circle.csv, line 2 (LC1:canteen), people: claimed 8,000.00 vs recomputed 800.00"),
    ("plan_sites.csv", lambda t: _times(t, 0, "total_cost", 0.5),
     "plan_sites.csv, line 2 (S1), total_cost: claimed 2,031,000.00 vs recomputed 4,062,000.00"),
    ("plan_facilities.csv", lambda t: _times(t, 1, "function_cost", 0.5),
     "plan_facilities.csv, line 3 (S1:childcare), function_cost: claimed 800,000.00 vs recomputed 1,600,000.00"),
    ("run.json", lambda r: r["plan"].update(cost=r["plan"]["cost"] / 2),
     "run.json, plan.cost: claimed 2,556,000.00 vs recomputed 5,112,000.00"),
    ("coverage_by_circle.csv", lambda t: _put(t, 1, covered_share_after="0.5"),
     "coverage_by_circle.csv, line 3 (LC2:canteen), covered_share_after: claimed 0.5000 vs recomputed 0.0000"),
    ("coverage_by_function.csv", lambda t: _put(t, 3, covered_share="0.3177"),
     "coverage_by_function.csv, line 5 (parking), covered_share: claimed 0.3177 vs recomputed 0.3077"),
    ("run.json", lambda r: r.update(objective=r["objective"] + 1.0), "run.json, objective: claimed "),
]


@pytest.mark.parametrize("file, edit, named", INFLATED, ids=[
    "coverage x10 per facility", "coverage x10 per function", "people x10 per circle", "site cost halved",
    "facility cost halved", "total cost halved", "circle share changed", "function share changed",
    "objective changed"])
def test_an_inflated_claimed_figure_fails_the_check_naming_file_line_column_and_both_figures(
        tiny_project, run_folder, tmp_path, file, edit, named):
    """A plan whose sites keep every rule still fails when a figure it claims is not what its sites give."""
    _, scenario = tiny_project
    edited = _edited_copy(run_folder, tmp_path, file, edit)
    given = edited / file if file == "plan_facilities.csv" else edited  # the plan list alone, or the run folder
    result = _run("check", scenario, "--solution", given)
    assert result.exit_code == 6, result.output
    assert "FAILED  claimed figures" in result.output and named in result.output
    assert "1 claimed figures differ" in result.output  # the one figure changed, nothing else
    assert "PASSED  budget" in result.output and "PASSED  eligibility" in result.output


def test_a_claim_within_the_written_rounding_passes(tiny_project, run_folder, tmp_path):
    """The tables are written to 2 decimals (shares to 4): a figure off by less than that still agrees."""
    _, scenario = tiny_project
    edited = _edited_copy(run_folder, tmp_path, "coverage_by_function.csv",
                          lambda t: _put(t, 0, newly_covered="800.004", covered_share="0.61545"))
    result = _run("check", scenario, "--solution", edited)
    assert result.exit_code == 0, result.output


def test_a_plan_list_without_figures_checks_as_before(tiny_project):
    """site_id,function only: no figure is claimed, so no 'claimed figures' check and no objective claimed."""
    folder, scenario = tiny_project
    (folder / "bare.csv").write_text("site_id,function\nS1,canteen\nS2,parking\n", encoding="utf-8")
    result = _run("check", scenario, "--solution", folder / "bare.csv")
    assert result.exit_code == 0, result.output
    assert "claimed figures" not in result.output and "objective: none claimed" in result.output


def test_capacitated_served_people_may_be_claimed_up_to_what_the_plan_can_serve(tiny_project, tmp_path):
    """Capacitated: an honest run folder passes; claiming more people served than the capacity allows fails."""
    folder, scenario = tiny_project
    mode = ("--set", "model.mode=capacitated")
    honest = _run_folder(folder, "claims_cap", *mode)
    result = _run("check", scenario, "--solution", honest, *mode)
    assert result.exit_code == 0, result.output
    assert "PASSED  claimed figures" in result.output
    inflated = _edited_copy(honest, tmp_path, "coverage_by_function.csv",
                            lambda t: _times(t, 0, "newly_covered", 10))
    result = _run("check", scenario, "--solution", inflated, *mode)
    assert result.exit_code == 6, result.output
    assert "coverage_by_function.csv, line 2 (canteen), newly_covered: claimed" in result.output
    assert "(the most the plan can serve)" in result.output


def test_a_run_folder_without_its_plan_list_exits_3(tiny_project, tmp_path):
    _, scenario = tiny_project
    result = _run("check", scenario, "--solution", tmp_path)
    assert result.exit_code == 3 and "plan_facilities.csv" in result.output
