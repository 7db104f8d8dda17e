"""``lifecircle assess``: per life circle and function, what it has, lacks and what the plan adds (五色卡)."""
from __future__ import annotations

import click

from optimizer.commands.common import _fail, _load, _Progress, output_root, reach_cache
from optimizer.i18n import DEFAULT_LANG, LANGUAGES, function_label, pick


@click.command("assess")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--run", "run_dir", type=click.Path(), metavar="RUN_DIR",
              help="A finished run folder of SCENARIO to take the plan from (default: solve SCENARIO now and "
                   "write its run folder too).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of headers, labels and the printed table.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output root (default: scenario's output.folder, 'outputs'); writes OUT/<scenario>/assess-<time>/.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. --set budget.total=8e7 (repeatable).")
@click.pass_context
def assess_command(ctx, scenario: str, run_dir: str | None, lang: str, out_dir: str | None,
                   sets: tuple[str, ...]) -> None:
    """Grade provision by five-colour cards (五色卡) per level unit x function, before and after a plan.

    Cards follow the scenario's grading: table (default: places per 1,000 of each
    function's cohort against its standard, per sub-district, community and life circle).
    Per life circle also what it HAS (people within reach of running facilities, their
    places), what it LACKS (against the scenario's requirements, else default targets) and
    what the plan ADDS (from RUN_DIR, or from solving SCENARIO now). Writes assessment.csv,
    assessment_levels.csv, card_counts.csv, .xlsx, .gpkg, .png and .json under
    OUT/<scenario>/assess-<UTC time>/.
    """
    quiet = (ctx.obj or {}).get("quiet", False)
    try:
        from optimizer.errors import InputError
        from optimizer.outputs.assessment_files import write_assessment
        from optimizer.pipeline import compute_reach, run_scenario, validate
        from optimizer.rules.existing import existing_service, unit_circles
        from optimizer.rules.requests import with_requests
        from optimizer.run_folder import mismatches_with_scenario, read_layer, read_run_folder
        from optimizer.studies.assessment import additions_from_tables, assess, card_counts, circle_points
        from optimizer.studies.grades import covered_from_layer, grade_levels

        sc = _load(scenario, sets, [])
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        progress = _Progress(quiet)
        if run_dir:
            folder = read_run_folder(run_dir)
            inputs, _, _ = validate(sc)  # the solve's own warnings are in the run folder
            sc, inputs, _ = with_requests(sc, inputs)  # the people the run counted (its requests too)
            problems, warnings = mismatches_with_scenario(folder, sc.name, sc.model.mode, inputs.file_hashes,
                                                          set(unit_circles(inputs).tolist()))
            if problems:
                raise InputError(problems)
            _, reach_facilities = compute_reach(inputs, sc, progress, cache)
            existing = existing_service(inputs, reach_facilities, sc)
        else:
            from optimizer.outputs.writers import write_run

            run = run_scenario(sc, progress=progress, reach_cache=cache)
            folder = read_run_folder(write_run(run, root, lang=lang))
            inputs, existing, warnings = run.inputs, run.existing, []
            click.echo(pick(lang, zh=f"已求解 {sc.name}：{len(run.plan.sites)} 处点位，"
                                     f"{'已证明最优' if run.result.proven_optimal else '未证明最优'}；"
                                     f"方案写入 {folder.path}",
                            en=f"solved {sc.name}: {len(run.plan.sites)} sites, "
                               f"{'proven optimal' if run.result.proven_optimal else 'NOT proven optimal'}; "
                               f"run written to {folder.path}"), err=quiet)
        layer_problems: list = []
        layer = read_layer(folder.path / "plan.gpkg", "demand_coverage", layer_problems, required=False)
        covered = covered_from_layer(layer, inputs, sc) if layer is not None and "unit_id" in layer.columns else {}
        additions = additions_from_tables(folder.coverage_by_circle, folder.facilities, str(folder.path), covered)
        grades = grade_levels(inputs, sc, existing, additions.provision)
        table = assess(inputs, sc, existing, additions, grades)
        counts = card_counts(grades.table)
        out, extra = write_assessment(table, grades, circle_points(inputs), inputs, sc, root, lang,
                                      run_folder=str(folder.path), planned=folder.facilities, warnings=warnings)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    _print_counts(counts, sc, lang, str(folder.path))
    for note in grades.notes:
        click.echo(pick(lang, zh=f"  说明：{note}", en=f"  note: {note}"))
    for w in warnings + extra:
        click.echo(pick(lang, zh=f"  警告：{w}", en=f"  warning: {w}"))
    click.echo(pick(lang, zh=f"  写入 {out}", en=f"  written to {out}"))


def _print_counts(counts, sc, lang: str, run_folder: str) -> None:
    from optimizer.studies.assessment import CARDS, card_label, level_label

    click.echo(pick(lang, zh=f"\n{sc.name}：五色卡（规划来自 {run_folder}）",
                    en=f"\n{sc.name}: five-colour cards (plan from {run_folder})"))
    click.echo(pick(lang, zh="  每格：现状 -> 规划后 的单元数", en="  each cell: units before -> after the plan"))
    click.echo("  " + _pad(pick(lang, zh="层级", en="level"), 14) + _pad(pick(lang, zh="功能", en="function"), 20)
               + "".join(_pad(card_label(c, lang), 10, right=True) for c in CARDS))
    for r in counts.to_dict(orient="records"):
        fn = sc.functions[r["function"]]
        cells = [_pad(f"{r[f'{c}_before']}->{r[f'{c}_after']}", 10, right=True) for c in CARDS]
        click.echo("  " + _pad(level_label(r["level"], lang), 14)
                   + _pad(function_label(r["function"], lang, fn.label_zh), 20) + "".join(cells))


def _pad(text: str, width: int, right: bool = False) -> str:
    """Pad to ``width`` terminal columns, counting Chinese characters as two."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    space = " " * max(width - used, 1 if right else 0)
    return space + text if right else text + space
