"""Bad command-line values (issue 16): refused with exit 3, the option named, nothing solved or written.

The convention (docs/command-line.md): exit 2 is for the command line itself (an unknown
command or option, a missing argument); a value that cannot be used (not a number, out of
range, not a choice, a file or folder that is not there, an output folder that cannot be
written) is a bad input, exit 3, like a bad scenario key. An output folder is checked
before anything is solved.
"""
from __future__ import annotations

import os

import pytest
from bad_input_harness import Bad, Project, assert_rejected, invoke

#: A folder no one can write in, not even root: the kernel's process table.
READ_ONLY = "/proc/lifecircle-out"


def _run(*args: str):
    """Run ``args`` with ``{scenario}`` replaced by the project's scenario."""
    def spoil(p: Project) -> list[str]:
        return [a.format(scenario=p.scenario, folder=p.folder) for a in args]
    return spoil


def _under_a_file(*args: str):
    """Run ``args`` followed by ``--out`` a folder under a file of the project."""
    def spoil(p: Project) -> list[str]:
        (p.folder / "notes.txt").write_text("not a folder", encoding="utf-8")
        return [a.format(scenario=p.scenario, folder=p.folder) for a in args] + [
            "--out", str(p.folder / "notes.txt" / "outputs")]
    return spoil


CASES = [
    # solve
    Bad("solve-negative-time-limit", _run("solve", "{scenario}", "--time-limit", "-1"), ("--time-limit",)),
    Bad("solve-gap-of-two", _run("solve", "{scenario}", "--gap", "2"), ("--gap",)),
    Bad("solve-zero-threads", _run("solve", "{scenario}", "--threads", "0"), ("--threads",)),
    Bad("solve-threads-not-a-number", _run("solve", "{scenario}", "--threads", "many"), ("--threads",)),
    Bad("solve-unknown-language", _run("solve", "{scenario}", "--lang", "xx"), ("--lang", "xx")),
    Bad("solve-unknown-solver", _run("solve", "{scenario}", "--solver", "gurobo"), ("solver.name", "gurobo")),
    Bad("solve-missing-scenario", _run("solve", "nosuch.yaml"), ("nosuch.yaml",)),
    Bad("solve-out-under-a-file", _under_a_file("solve", "{scenario}"), ("--out", "notes.txt")),
    Bad("solve-out-is-a-file", _run("solve", "{scenario}", "--out", "{scenario}"), ("--out", "tiny.yaml")),
    Bad("solve-out-read-only", _run("solve", "{scenario}", "--out", READ_ONLY), ("--out", READ_ONLY)),
    Bad("solve-output-folder-under-a-file", lambda p: (
        (p.folder / "notes.txt").write_text("x", encoding="utf-8"),
        ["solve", str(p.scenario), "--set", "output.folder=notes.txt/outputs"])[1], ("output.folder", "notes.txt")),
    # validate
    Bad("validate-missing-scenario", _run("validate", "{folder}/nosuch.yaml"), ("nosuch.yaml",)),
    Bad("validate-a-folder-as-scenario", _run("validate", "{folder}"), ("SCENARIO",)),
    # frontier
    Bad("frontier-budgets-not-numbers", _run("frontier", "{scenario}", "--budgets", "a,b"), ("--budgets", "'a'")),
    Bad("frontier-negative-budget", _run("frontier", "{scenario}", "--budgets", "1e7,-5"), ("--budgets", "-5")),
    Bad("frontier-no-budget", _run("frontier", "{scenario}", "--budgets", ","), ("--budgets",)),
    Bad("frontier-zero-steps", _run("frontier", "{scenario}", "--steps", "0"), ("--steps",)),
    Bad("frontier-from-above-to", _run("frontier", "{scenario}", "--from", "9e7", "--to", "1e7"), ("--from", "--to")),
    Bad("frontier-negative-from", _run("frontier", "{scenario}", "--from", "-1"), ("--from",)),
    Bad("frontier-zero-time-limit", _run("frontier", "{scenario}", "--time-limit", "0"), ("--time-limit",)),
    Bad("frontier-out-under-a-file", _under_a_file("frontier", "{scenario}"), ("--out", "notes.txt")),
    # plan (years)
    Bad("plan-years-backwards", _run("plan", "{scenario}", "--years", "2028-2026"), ("--years", "2028-2026")),
    Bad("plan-years-not-years", _run("plan", "{scenario}", "--years", "soon"), ("--years", "soon")),
    Bad("plan-negative-gap", _run("plan", "{scenario}", "--years", "2026", "--gap", "-0.1"), ("--gap",)),
    Bad("plan-negative-reserve", _run("plan", "{scenario}", "--years", "2026", "--reserve", "-1"), ("--reserve",)),
    Bad("plan-out-read-only", _run("plan", "{scenario}", "--years", "2026", "--out", READ_ONLY), ("--out", READ_ONLY)),
    # assess
    Bad("assess-unknown-language", _run("assess", "{scenario}", "--lang", "fr"), ("--lang", "fr")),
    Bad("assess-missing-run-folder", _run("assess", "{scenario}", "--run", "{folder}/runs/none"), ("runs/none",)),
    Bad("assess-out-under-a-file", _under_a_file("assess", "{scenario}"), ("--out", "notes.txt")),
    # diff
    Bad("diff-missing-run-folders", _run("diff", "{folder}/runs/a", "{folder}/runs/b"), ("runs/a", "runs/b")),
    Bad("diff-out-under-a-file", _under_a_file("diff", "{folder}/runs/a", "{folder}/runs/b"), ("--out", "notes.txt")),
    # report
    Bad("report-missing-run-folder", _run("report", "{folder}/runs/none"), ("runs/none",)),
    Bad("report-out-read-only", _run("report", "{folder}/runs/none", "--out", READ_ONLY), ("--out", READ_ONLY)),
    Bad("report-unknown-language", _run("report", "{folder}/runs/none", "--lang", "de"), ("--lang", "de")),
    # compare
    Bad("compare-unknown-solver", _run("compare", "{scenario}", "--solvers", "highs,gurobo"), ("--solvers", "gurobo")),
    Bad("compare-zero-time-limit", _run("compare", "{scenario}", "--time-limit", "0"), ("--time-limit",)),
    Bad("compare-out-under-a-file", _under_a_file("compare", "{scenario}", "--solvers", "greedy"),
        ("--out", "notes.txt")),
    # city
    Bad("city-zero-jobs", _run("city", "{scenario}", "--jobs", "0"), ("--jobs",)),
    Bad("city-unknown-split", _run("city", "{scenario}", "--split", "by_street"), ("--split", "by_street")),
    Bad("city-negative-time-limit", _run("city", "{scenario}", "--time-limit", "-5"), ("--time-limit",)),
    Bad("city-out-read-only", _run("city", "{scenario}", "--out", READ_ONLY), ("--out", READ_ONLY)),
    # fairness
    Bad("fairness-one-point", _run("fairness", "{scenario}", "--points", "1"), ("--points",)),
    Bad("fairness-out-under-a-file", _under_a_file("fairness", "{scenario}"), ("--out", "notes.txt")),
    # batch
    Bad("batch-zero-jobs", _run("batch", "{scenario}", "--jobs", "0"), ("--jobs",)),
    Bad("batch-negative-retries", _run("batch", "{scenario}", "--retries", "-1"), ("--retries",)),
    # demo
    Bad("demo-missing-scenario", _run("demo", "--scenario", "nosuch.yaml"), ("--scenario", "nosuch.yaml")),
    Bad("demo-missing-what-if", _run("demo", "--scenario", "{scenario}", "--what-if", "nosuch.yaml"),
        ("--what-if", "nosuch.yaml")),
    Bad("demo-unknown-language", _run("demo", "--scenario", "{scenario}", "--what-if", "{scenario}", "--lang", "xx"),
        ("--lang",)),
    Bad("demo-out-under-a-file", _under_a_file("demo", "--scenario", "{scenario}", "--what-if", "{scenario}"),
        ("--out", "notes.txt")),
    # network build
    Bad("network-out-not-a-geopackage", _run("network", "build", "edges.gpkg", "--out", "net.shp"),
        ("--out", "net.shp")),
    Bad("network-crs-in-degrees", _run("network", "build", "edges.gpkg", "--out", "net.gpkg", "--crs", "EPSG:4326"),
        ("--crs",)),
    Bad("network-out-under-a-file", lambda p: ((p.folder / "notes.txt").write_text("x", encoding="utf-8"),
                                               ["network", "build", "edges.gpkg", "--out",
                                                str(p.folder / "notes.txt" / "net.gpkg")])[1], ("--out", "notes.txt")),
]


def test_the_suite_holds_25_distinct_bad_options_across_the_commands():
    assert len({c.id for c in CASES}) == len(CASES) >= 25
    commands = {c.id.split("-")[0] for c in CASES}
    assert commands >= {"solve", "validate", "frontier", "plan", "assess", "diff", "report", "compare", "city",
                        "batch", "demo", "fairness", "network"}


#: Every module that calls the solver by its own name (``from optimizer.solving import solve``).
SOLVING_MODULES = ("optimizer.solving", "optimizer.pipeline", "optimizer.fair", "optimizer.studies.phasing.run",
                   "optimizer.studies.price_of_fairness", "optimizer.studies.comparison")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_option_exits_3_names_it_and_writes_nothing(case, project, monkeypatch):
    """Refused before any solve: a solver called at all would end the command as an internal error (exit 1)."""
    import importlib

    def no_solve(*args, **kwargs):
        raise RuntimeError(f"{case.id}: solved before the bad option was refused")

    for name in SOLVING_MODULES:
        monkeypatch.setattr(importlib.import_module(name), "solve", no_solve)
    assert_rejected(case, project)


def test_the_command_line_itself_wrong_is_a_usage_error_exit_2(project):
    assert invoke(project, ["solve", project.scenario, "--no-such-option"]).exit_code == 2
    assert invoke(project, ["no-such-command"]).exit_code == 2
    assert invoke(project, ["plan", project.scenario]).exit_code == 2  # --years is required
    assert invoke(project, ["solve"]).exit_code == 2  # SCENARIO is required


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_the_solve(project):
    ro = project.folder / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        case = Bad("solve-out-chmod-read-only", _run("solve", "{scenario}", "--out", str(ro / "out")),
                   ("--out", "read-only"))
        assert_rejected(case, project)
    finally:
        ro.chmod(0o755)
