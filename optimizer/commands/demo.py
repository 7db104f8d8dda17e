"""``lifecircle demo``: the shipped demo, planned and shown: report, assessment, a what-if diff.

One command for a newcomer (and the README) to see what planners look at: it solves the
demo and one what-if (by default the half budget) and the demo's budget frontier (an
eighth to twice its budget), then writes the demo's report (HTML with the frontier, PNG
figures and, when Chromium is installed, a screenshot), its five-colour assessment, and
the diff between the two runs, by calling the same code as ``solve``, ``frontier``,
``report``, ``assess`` and ``diff``.
"""
from __future__ import annotations

from pathlib import Path

import click

from optimizer.commands.common import _fail, _load, _Progress, output_root, reach_cache
from optimizer.commands.run_summary import print_run_summary
from optimizer.i18n import DEFAULT_LANG, LANGUAGES

SCENARIOS = Path("scenarios")
DEMO = SCENARIOS / "yuzhong-demo.yaml"
WHAT_IF = SCENARIOS / "yuzhong-demo-tight-budget.yaml"


def _solve(ctx, scenario: Path, root: Path | None, lang: str = DEFAULT_LANG) -> Path:
    """Solve one scenario as ``lifecircle solve`` does and return its run folder."""
    from optimizer.outputs.writers import write_run
    from optimizer.pipeline import run_scenario

    sc = _load(str(scenario), (), [])
    out = output_root(str(root) if root else None, sc.output.folder)
    cache = reach_cache(sc, out)
    run = run_scenario(sc, progress=_Progress(ctx.obj["quiet"]), reach_cache=cache)
    folder = write_run(run, out, lang=lang)
    print_run_summary(run, folder)
    return folder


def _frontier(ctx, scenario: Path, root: Path | None) -> Path | None:
    """The scenario's budget frontier (1/8 to 2x its budget) written as ``frontier`` does; None without a budget."""
    from optimizer.outputs.writers import write_frontier
    from optimizer.studies.frontier import frontier

    sc = _load(str(scenario), (), [])
    if not sc.budget.total:
        return None
    out = Path(root or sc.output.folder)
    cache = reach_cache(sc, out)
    series = [sc.budget.total * k for k in (0.125, 0.25, 0.5, 1.0, 2.0)]
    table, _ = frontier(sc, series, reach_cache=cache)
    folder = write_frontier(table, sc, out)
    proven = int(table["proven_optimal"].sum())
    click.echo(f"{sc.name}: budget frontier at {len(table)} budgets ({proven} proven optimal) -> {folder}")
    return folder


@click.command("demo")
@click.option("--scenario", "scenario", type=click.Path(exists=True, dir_okay=False), default=str(DEMO),
              show_default=True, help="The plan to show.")
@click.option("--what-if", "what_if", type=click.Path(exists=True, dir_okay=False), default=str(WHAT_IF),
              show_default=True, help="The what-if to compare it with (lifecircle diff).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of the report, assessment, diff and the runs' three lists (三单).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output root (default: the scenario's output.folder, 'outputs').")
@click.pass_context
def demo_command(ctx, scenario: str, what_if: str, lang: str, out_dir: str | None) -> None:
    """Plan the demo and show it: solve SCENARIO, WHAT_IF and SCENARIO's budget frontier, then
    write SCENARIO's report (with the frontier, and a screenshot when Chromium is installed),
    its five-colour assessment (五色卡) and the diff between the two runs.
    """
    from optimizer.commands.assess import assess_command
    from optimizer.commands.diff import diff_command
    from optimizer.commands.report import report_command

    root = Path(out_dir) if out_dir else None
    try:
        for path in (scenario, what_if):  # both read and their output folders writable before either is solved
            output_root(out_dir, _load(path, (), []).output.folder)
        plan = _solve(ctx, Path(scenario), root, lang)
        other = _solve(ctx, Path(what_if), root, lang)
        frontier = _frontier(ctx, Path(scenario), root)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    click.echo("\n-- report --")
    ctx.invoke(report_command, run_dir=str(plan), lang=lang, out_dir=None,
               frontier=str(frontier) if frontier else None, screenshot=True)
    click.echo("\n-- assessment (五色卡) --")
    ctx.invoke(assess_command, scenario=scenario, run_dir=str(plan), lang=lang, out_dir=out_dir, sets=())
    click.echo("\n-- what changed --")
    ctx.invoke(diff_command, run_a=str(plan), run_b=str(other), lang=lang, out_dir=out_dir)
