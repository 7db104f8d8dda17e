"""``lifecircle diff``: what changed between two finished runs, and which run folders are refused."""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import two_circles
from click.testing import CliRunner

from optimizer.cli import main
from optimizer.outputs.writers import write_run
from optimizer.pipeline import run_scenario
from optimizer.run_folder import read_run_folder
from optimizer.studies.run_diff import ALL, comparability, diff_runs, memo


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A: the two-circle district; run B: the same with A's LC2 site forced out (rule 8)."""
    root = tmp_path_factory.mktemp("runs")
    run_a = run_scenario(two_circles.scenario(), inputs=two_circles.inputs())
    ids = run_a.inputs.sites["site_id"].astype(str)
    assert {ids[p.site_row] for p in run_a.plan.sites} == {"S1", "S2"}
    scenario_b = two_circles.scenario({"name": "tiny-without-s2", "decisions": {"force_out": ["S2"]}})
    run_b = run_scenario(scenario_b, inputs=two_circles.inputs())
    other = run_scenario(two_circles.scenario({"name": "elsewhere"}), inputs=two_circles.inputs("XX"))
    return {"a": write_run(run_a, root), "b": write_run(run_b, root), "other": write_run(other, root),
            "root": root}


def test_diff_of_a_run_with_itself_is_empty(runs):
    """Same run twice: no site, coverage, cost or setting differs, and the memo says so."""
    a = read_run_folder(runs["a"])
    d = diff_runs(a, a)
    assert d.is_empty
    assert d.sites.empty and d.settings.empty
    assert (d.coverage["covered_change"].fillna(0) == 0).all() and (d.coverage["cost_change"] == 0).all()
    assert "same plan" in memo(d, "en")


def test_forcing_out_one_site_names_exactly_that_site(runs):
    """B differs from A by S2 forced out: the diff names S2 (removed) and nothing else; the setting is listed."""
    a, b = read_run_folder(runs["a"]), read_run_folder(runs["b"])
    d = diff_runs(a, b)
    assert d.sites["site_id"].tolist() == ["S2"]
    assert d.sites["change"].tolist() == ["removed"]
    assert d.unchanged["site_id"].tolist() == ["S1"]
    s2_cost = a.sites.set_index("site_id").at["S2", "total_cost"]
    assert d.sites["cost_change"].iloc[0] == pytest.approx(-s2_cost)
    assert b.total_cost - a.total_cost == pytest.approx(-s2_cost)
    assert d.settings["key"].tolist() == ["decisions.force_out"]
    text = memo(d, "en")
    assert "1 removed" in text and "LC2" in text
    assert "drops 1 site (" in text and "1 sites" not in text  # one site is a site


def test_coverage_change_is_the_difference_of_the_two_runs_coverage_tables(runs):
    """Per circle and function: covered in B minus covered in A, straight from each run's coverage_by_circle.csv."""
    a, b = read_run_folder(runs["a"]), read_run_folder(runs["b"])
    d = diff_runs(a, b)

    def covered(folder):
        t = pd.read_csv(folder / "coverage_by_circle.csv", encoding="utf-8-sig")
        return (t["served_by_existing"] + t["newly_covered"]).set_axis(pd.MultiIndex.from_frame(
            t[["circle_id", "function"]]))

    expected = covered(runs["b"]) - covered(runs["a"])
    got = d.coverage[(d.coverage["level"] == "circle") & (d.coverage["function"] != ALL)] \
        .set_index(["circle_id", "function"])["covered_change"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    assert (got.loc["LC1"] == 0).all() and (got.loc["LC2"] < 0).any()  # only LC2 loses
    total = d.coverage[(d.coverage["function"] == ALL) & (d.coverage["circle_id"] == ALL)].iloc[0]
    assert total["cost_change"] == pytest.approx(b.total_cost - a.total_cost)


def test_runs_of_different_districts_are_refused_and_different_inputs_warned(runs, tmp_path):
    """No life circle in common: exit 3 with a clear message; other input hashes: compared, with a warning."""
    result = CliRunner().invoke(main, ["diff", str(runs["a"]), str(runs["other"]), "--out", str(tmp_path)])
    assert result.exit_code == 3 and "different districts" in result.output
    assert not (tmp_path / "diffs").exists()
    changed = tmp_path / "changed-inputs"
    shutil.copytree(runs["a"], changed)
    record = json.loads((changed / "run.json").read_text(encoding="utf-8"))
    record["inputs"]["files"] = {"/data/demand.gpkg": "0" * 64}
    (changed / "run.json").write_text(json.dumps(record), encoding="utf-8")
    problems, warnings = comparability(read_run_folder(runs["a"]), read_run_folder(changed))
    assert not problems and any("different input files" in w and "demand.gpkg" in w for w in warnings)


def test_half_written_or_missing_run_folders_are_refused_naming_the_file(runs, tmp_path):
    """A .partial folder, a folder without run.json or a plan table, or no folder at all: exit 3, nothing written."""
    partial = tmp_path / ".20260101T000000Z-deadbeef.partial"
    shutil.copytree(runs["a"], partial)
    no_record = tmp_path / "no-record"
    shutil.copytree(runs["a"], no_record)
    (no_record / "run.json").unlink()
    no_table = tmp_path / "no-table"
    shutil.copytree(runs["a"], no_table)
    (no_table / "coverage_by_circle.csv").unlink()
    out = tmp_path / "out"
    runner = CliRunner()
    for bad, named in ((partial, "half-written"), (no_record, "run.json"), (no_table, "coverage_by_circle.csv"),
                       (tmp_path / "nowhere", "does not exist")):
        result = runner.invoke(main, ["diff", str(runs["a"]), str(bad), "--out", str(out)])
        assert result.exit_code == 3, (bad, result.output)
        assert named in result.output and str(bad) in result.output
    assert not out.exists()


@pytest.mark.parametrize("lang, heading", [("zh", "# 方案对比"), ("en", "# What changed between two runs")])
def test_cli_diff_writes_the_memo_tables_and_maps(runs, tmp_path, lang, heading):
    """diff.md (also printed), diff_sites.csv, diff_coverage.csv, diff.png and diff.gpkg, in one new folder."""
    result = CliRunner().invoke(main, ["diff", str(runs["a"]), str(runs["b"]), "--out", str(tmp_path),
                                       "--lang", lang])
    assert result.exit_code == 0, result.output
    (folder,) = list((tmp_path / "diffs").iterdir())
    assert {"diff.md", "diff_sites.csv", "diff_coverage.csv", "diff_settings.csv", "diff.png",
            "diff.gpkg"} <= {p.name for p in folder.iterdir()}
    md = (folder / "diff.md").read_text(encoding="utf-8")
    assert md.startswith(heading) and "S2" in md
    sites = pd.read_csv(folder / "diff_sites.csv", encoding="utf-8-sig")
    assert sites["site_id"].tolist() == ["S2"]
    paragraph = md.split("\n\n")[2]  # heading, the two runs, then the memo
    assert paragraph.startswith(("方案B相比方案A", "Run B against run A")) and paragraph in result.output
