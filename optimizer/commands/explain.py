"""``lifecircle explain RUN [SITE]``: why this site, why not that one, and the price of each forced decision."""
from __future__ import annotations

import logging

import click

from optimizer.commands.common import TIME_LIMIT, _fail, reach_cache, solver_overrides, writable_root
from optimizer.i18n import DEFAULT_LANG, LANGUAGES, function_label, pick

log = logging.getLogger("optimizer")


def _left(seconds: float | None) -> str:
    """Time left in words: ``about 2 min left``."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f", about {seconds:.0f} s left"
    return f", about {seconds / 60:.0f} min left"


@click.command("explain")
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False))
@click.argument("site", metavar="[SITE]", required=False)
@click.option("--top", type=click.IntRange(min=0), default=5, show_default=True,
              help="How many of the best sites not chosen to explain (without SITE).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit per re-solve, in seconds (default: the run's).")
@click.option("--solver", help="Solver backend for the re-solves (default: the run's; see `lifecircle solvers`).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of the printed table.")
@click.pass_context
def explain_command(ctx: click.Context, run_dir: str, site: str | None, top: int, time_limit: float | None,
                    solver: str | None, lang: str) -> None:
    """Why this site, why not that one, for RUN (a folder written by `lifecircle solve`).

    For each chosen site (or SITE): the people only it reaches and the objective lost if
    it were dropped and nothing else changed (exact), the objective lost after re-planning
    without it (a re-solve; proven when the run and the re-solve are proven optimal, else
    an interval) and yuan per person. For the --top best sites not chosen (or SITE, when
    not chosen): what they would add, what they would displace when forced in, and the
    budget at which they can enter. For each forced decision, its price. Writes
    explain.json and explain.csv into RUN and renders RUN's report.html / report_en.html
    again when present. Input files changed since the run are refused (exit 3).
    """
    try:
        from pathlib import Path

        from optimizer.outputs.explain_files import write_explanation
        from optimizer.report.explain_table import explain_lines
        from optimizer.report.write import report_names, write_report
        from optimizer.run_folder import read_run_folder
        from optimizer.studies.explain import explain, rebuild, run_scenario_of

        writable_root(run_dir, "RUN")
        folder = read_run_folder(run_dir)
        verbose = int((ctx.find_root().obj or {}).get("verbose", 0))
        sc = run_scenario_of(folder, solver_overrides(solver, time_limit, log=verbose > 1))
        setup = rebuild(folder, sc, reach_cache(sc, folder.path.parent.parent))

        def tick(done: int, total: int, what: str, left: float | None) -> None:
            log.info("%d/%d %s re-solved%s", done, total, what, _left(left))

        found = explain(folder, setup, site=site, top=top, progress=tick)
        json_path, csv_path, data = write_explanation(folder.path, found.as_dict())
        reports = []
        for report_lang in LANGUAGES:
            if (folder.path / report_names(report_lang)["html"]).is_file():
                reports.append(write_report(folder.path, lang=report_lang).html)
        labels = {f: function_label(f, lang, str(v.get("label_zh") or ""))
                  for f, v in (folder.resolved.get("functions") or {}).items() if isinstance(v, dict)}
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    shown = dict(data)
    if site is not None:  # print what was asked, not the whole merged file
        shown["chosen"] = [c for c in data.get("chosen", []) if c["site_id"] == site]
        shown["not_chosen"] = [u for u in data.get("not_chosen", []) if u["site_id"] == site]
        shown["forced"] = []
    click.echo("")
    for line in explain_lines(shown, lang, labels):
        click.echo(line)
    for path in [json_path, csv_path, *reports]:
        click.echo(pick(lang, zh=f"  写入 {Path(path)}", en=f"  written to {Path(path)}"))
