"""``lifecircle diff``: what changed between two finished runs (sites, coverage, cost, settings)."""
from __future__ import annotations

from pathlib import Path

import click

from optimizer.commands.common import _fail, writable_root
from optimizer.i18n import DEFAULT_LANG, LANGUAGES, pick


@click.command("diff")
@click.argument("run_a", metavar="RUN_A", type=click.Path())
@click.argument("run_b", metavar="RUN_B", type=click.Path())
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of the memo, labels and the printed summary.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output root (default: the root holding RUN_B, i.e. RUN_B/../..); writes "
                   "OUT/diffs/<A>-vs-<B>-<UTC time>/.")
def diff_command(run_a: str, run_b: str, lang: str, out_dir: str | None) -> None:
    """What changed from RUN_A to RUN_B (two finished run folders): sites added, removed or
    changed; coverage and cost per function and life circle; the scenario settings that
    differ; and a memo paragraph (diff.md, also printed).

    Half-written or missing run folders, and runs of different districts, are refused
    (exit 3); runs on different input files are compared with a warning.
    """
    try:
        if out_dir:
            writable_root(out_dir, "--out")
        from optimizer.errors import InputError
        from optimizer.outputs.diff_files import write_diff
        from optimizer.run_folder import demand_points, read_run_folder
        from optimizer.studies.run_diff import comparability, diff_runs, memo

        problems = []
        folders = []
        for path in (run_a, run_b):
            try:
                folders.append(read_run_folder(path))
            except InputError as exc:
                problems += exc.problems
        if problems:
            raise InputError(problems)
        a, b = folders
        problems, warnings = comparability(a, b)
        if problems:
            raise InputError(problems)
        d = diff_runs(a, b, warnings)
        functions = {**(a.resolved.get("functions") or {}), **(b.resolved.get("functions") or {})}
        labels = {k: str((v or {}).get("label_zh") or "") for k, v in functions.items() if isinstance(v, dict)}
        root = Path(out_dir) if out_dir else writable_root(b.path.parent.parent, "RUN_B/../..")
        demand = demand_points(b)
        out, extra = write_diff(d, root, lang, labels, demand=demand if demand is not None else demand_points(a))
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    click.echo(pick(lang, zh=f"\n{a.name} → {b.name}", en=f"\n{a.name} -> {b.name}"))
    click.echo(memo(d, lang, labels))
    for w in extra:
        click.echo(pick(lang, zh=f"  警告：{w}", en=f"  warning: {w}"))
    click.echo(pick(lang, zh=f"  写入 {out}", en=f"  written to {out}"))
