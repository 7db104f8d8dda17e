"""The command line starts at once and takes -q/-v where a planner types them.

Startup is checked by what is imported, not by a clock: the numerical and geographic
libraries (numpy, pandas, geopandas, scipy, pyproj, shapely), the solvers (highspy,
ortools, pulp, :mod:`solvers`), matplotlib and the pipeline take seconds to import and
are needed only once a command works. The times themselves are measured by
``benchmarks/startup.py`` (benchmarks/startup.md), never here.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer.cli import main

REPO = Path(__file__).resolve().parents[2]

#: Imported only inside the commands that use them.
HEAVY = ("numpy", "pandas", "geopandas", "scipy", "pyproj", "shapely", "highspy", "ortools", "pulp",
         "matplotlib", "solvers", "optimizer.pipeline")

#: Runs in a fresh interpreter: the heavy modules imported by ``import optimizer.cli`` and by
#: ``--help``, ``--version`` and every command's ``--help``; with ``after_package`` only those
#: beyond what ``import optimizer`` (the package itself) already imported.
_PROBE = """
import json, sys
after_package = sys.argv[1] == "after_package"
if after_package:
    import optimizer
before = set(sys.modules)
import optimizer.cli as cli
runs = [["--help"], ["--version"]] + [[name, "--help"] for name in cli.main.commands]
runs += [["network", name, "--help"] for name in cli.main.commands["network"].commands]
for args in runs:
    try:
        cli.main.main(args, prog_name="lifecircle", standalone_mode=False)
    except SystemExit:
        pass
heavy = {HEAVY!r}
new = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in heavy or m in heavy)
print(json.dumps({{"runs": len(runs), "heavy": new}}))
"""


def _heavy_imported(mode: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", _PROBE.format(HEAVY=HEAVY), mode], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_command_line_imports_no_numerical_library_for_help_or_version():
    # A planner's `lifecircle --help`, `--version` and `lifecircle solve --help` (every command,
    # `network build` too) read no data and solve nothing: the command line itself loads none of
    # numpy, pandas, geopandas, scipy, pyproj, shapely, the solvers, matplotlib or the pipeline.
    seen = _heavy_imported("after_package")
    assert seen["runs"] > 15  # --help, --version and every command's --help were run
    assert seen["heavy"] == []


def test_lifecircle_help_imports_no_numerical_library_from_a_cold_start():
    # The same from a cold start, as `lifecircle --help` runs: nothing heavy imported at all.
    assert _heavy_imported("cold")["heavy"] == []


def test_the_solver_registry_offers_the_greedy_heuristic_without_importing_the_planning_package():
    # The greedy plan a planner can ask for (--solver greedy) is in the registry as soon as the
    # solvers are, by its entry point: not only after something imported optimizer's modules.
    done = subprocess.run([sys.executable, "-c", "import solvers, sys; print(solvers.all_solvers())"],
                          cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "'greedy'" in done.stdout.splitlines()[-1]


def _solve_recording(monkeypatch, tmp_path, args):
    """``lifecircle <args>`` on the demo scenario with the solve replaced by a recorder (no model is built)."""
    import optimizer.pipeline
    from optimizer.errors import SolverFailure

    seen = {}

    def record(sc, progress=None, reach_cache=None):
        seen["progress_quiet"] = progress.quiet
        seen["optimizer_level"] = logging.getLogger("optimizer").level
        seen["solvers_level"] = logging.getLogger("solvers").level
        raise SolverFailure("recorded, not solved")

    monkeypatch.setattr(optimizer.pipeline, "run_scenario", record)
    scenario = str(REPO / "scenarios" / "yuzhong-demo.yaml")
    result = CliRunner().invoke(main, [a.replace("SCENARIO", scenario) for a in args] + ["--out", str(tmp_path)])
    assert result.exit_code == 5, result.output  # the recorder's solver failure: the options were accepted
    return seen


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_after_the_subcommand_means_what_it_means_before(monkeypatch, tmp_path, where):
    # `lifecircle solve X -q` keeps only warnings and the summary, as `lifecircle -q solve X` does:
    # no progress lines, the optimizer's log at WARNING.
    args = ["-q", "solve", "SCENARIO"] if where == "before" else ["solve", "SCENARIO", "-q"]
    seen = _solve_recording(monkeypatch, tmp_path, args)
    assert seen["progress_quiet"] is True
    assert seen["optimizer_level"] == logging.WARNING


@pytest.mark.parametrize("args", [["-v", "solve", "SCENARIO", "-v"], ["solve", "SCENARIO", "-vv"],
                                  ["-vv", "solve", "SCENARIO"]])
def test_verbose_after_the_subcommand_adds_to_verbose_before_it(monkeypatch, tmp_path, args):
    # -v counts wherever it is typed: -v before and -v after the subcommand is -vv, the debug log
    # of the optimizer and of the solvers.
    seen = _solve_recording(monkeypatch, tmp_path, args)
    assert seen["progress_quiet"] is False
    assert seen["optimizer_level"] == seen["solvers_level"] == logging.DEBUG


def test_default_verbosity_shows_progress_and_the_optimizer_log(monkeypatch, tmp_path):
    # Without -q or -v: progress lines, the optimizer's log at INFO, the solvers' only at WARNING.
    seen = _solve_recording(monkeypatch, tmp_path, ["solve", "SCENARIO"])
    assert seen["progress_quiet"] is False
    assert (seen["optimizer_level"], seen["solvers_level"]) == (logging.INFO, logging.WARNING)


def test_every_command_lists_q_and_v_in_its_help():
    # Each command's --help says it takes -q/-v itself (network build, a sub-group's command, too).
    runner = CliRunner()
    for args in [[name] for name in main.commands] + [["network", "build"]]:
        result = runner.invoke(main, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "\n  -q " in result.output and "\n  -v " in result.output, args
