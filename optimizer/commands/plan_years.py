"""``lifecircle plan SCENARIO --years 2026-2028``: the annual project list (年度项目清单)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from optimizer.commands.common import (
    GAP,
    TIME_LIMIT,
    _fail,
    _load,
    _Progress,
    output_root,
    reach_cache,
    solver_overrides,
)
from optimizer.i18n import LANGUAGES, function_label, pick


def _right(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return " " * max(width - len(text) - wide, 1) + text


def _years(ctx, param, value: str) -> tuple[int, ...]:
    from optimizer.studies.phasing.horizon import parse_years

    try:
        return parse_years(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("plan")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--years", required=True, callback=_years, metavar="FIRST-LAST",
              help="The horizon, e.g. 2026-2028 (or one year). Budgets per year come from phasing.budgets; "
                   "a year without one gets budget.total / number of years.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. --set phasing.carry_over=true (repeatable).")
@click.option("--solver", help="Solver backend (see `lifecircle solvers`).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit in seconds.")
@click.option("--gap", type=GAP, help="Accepted relative gap (0 asks for a proven optimum).")
@click.option("--lang", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of function names in the lists and of the terminal table (headers are both).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output root (default: scenario's output.folder, 'outputs').")
@click.option("--reserve", "reserve_top", type=click.IntRange(min=0), default=30, show_default=True,
              help="Length of the reserve list (reserve_projects.csv): unused candidates ranked by what each adds "
                   "alone to the plan per 10,000 yuan.")
@click.pass_context
def plan_command(ctx, scenario, years, sets, solver, time_limit, gap, lang, out_dir, reserve_top) -> None:
    """Phase SCENARIO over --years: which projects open in which year, within each year's budget.

    A project opens in one year and serves from then on; people covered earlier count
    more (phasing.discount_rate); phasing.milestones asks for a number of life circles at
    their standard by a year. Writes projects.csv, reserve_projects.csv (the ranked reserve
    list), circle_standards.csv (with requirements), projects.xlsx (a sheet per year, a
    summary, the reserve list), projects.gpkg and phasing.json to
    OUT/<scenario>/plan-<years>-<run id>/.
    """
    extra = solver_overrides(solver, time_limit, gap, log=(ctx.obj or {}).get("verbose", 0) > 1)
    quiet = (ctx.obj or {}).get("quiet", False)
    try:
        from optimizer.outputs.phasing import write_phasing
        from optimizer.studies.phasing.run import run_phasing

        sc = _load(scenario, sets, extra)
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        run = run_phasing(sc, years, progress=_Progress(quiet), reach_cache=cache)
        folder = write_phasing(run, root, lang, reserve_top=reserve_top)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    _print_years(run, folder, lang)


def _print_years(run, folder: Path, lang: str) -> None:
    r, sc = run.result, run.scenario
    proven = "PROVEN OPTIMAL" if r.proven_optimal else "NOT PROVEN OPTIMAL"
    gap = f"{r.gap:.4%}" if r.gap is not None else "n/a"
    bound = "n/a" if r.bound is None else f"{r.bound:,.1f}"
    click.echo(f"\n{sc.name} {run.horizon.label}: {proven} ({r.solver} {r.status.value}, stopped: "
               f"{r.termination.value})")
    click.echo(f"  objective {r.objective:,.1f}   bound {bound}   gap {gap}   solve {r.solve_seconds:.1f} s"
               f"   carry-over {'on' if run.horizon.carry_over else 'off'}, discount rate "
               f"{sc.phasing.discount_rate:g}")
    names = sc.function_names
    labels = [function_label(f, lang, sc.functions[f].label_zh) for f in names]
    year = pick(lang, zh="年份", en="year")
    head = ("  " + year + " " * (6 - len(year) - 2 * (lang == "zh")) + _right(pick(lang, zh="预算", en="budget"), 14)
            + _right(pick(lang, zh="投资", en="spent"), 14) + _right(pick(lang, zh="项目", en="projects"), 9))
    widths = [max(16, len(_right(lb, 0)) + 1) for lb in labels]
    head += "".join(_right(lb, w) for lb, w in zip(labels, widths, strict=True))
    click.echo(pick(lang, zh="  每年：新覆盖人数（累计覆盖率）",
                    en="  per year: people newly covered (covered share after the year)"))
    click.echo(head)
    for row in run.check.recomputed["years"]:
        line = f"  {row['year']:<6}{row['budget']:>14,.0f}{row['spent']:>14,.0f}{row['projects']:>9}"
        for f, width in zip(names, widths, strict=True):
            share = row[f"covered_share_{f}"]
            cell = f"{row[f'newly_covered_{f}']:,.0f} ({share:.0%})" if share is not None else "-"
            line += f"{cell:>{width}}"
        click.echo(line)
    at = run.check.recomputed.get("circles_at_standard") or {}
    if at:
        total = len(run.model.milestones.circles) if run.model.milestones else None
        asked = dict(zip(run.model.milestones.years, run.model.milestones.counts, strict=True)) \
            if run.model.milestones else {}
        click.echo("  " + pick(lang, zh="达标生活圈：", en="life circles at their standard: ") + ", ".join(
            f"{y} {len(cs)}" + (f"/{total}" if total else "") + (f" (>= {asked[int(y)]})" if int(y) in asked else "")
            for y, cs in at.items()))
    click.echo(f"  check: {'passed' if run.check.passed else 'FAILED'} ({len(run.check.items)} checks)")
    for w in run.warnings:
        click.echo(f"  note: {w}")
    click.echo(f"  written to {folder}")
