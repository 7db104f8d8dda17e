"""``lifecircle batch``: many scenarios (or one scenario with many overrides), resumable."""
from __future__ import annotations

import sys

import click

from optimizer.commands.common import _fail


def _fmt(value, spec: str) -> str:
    try:
        return format(float(value), spec) if value is not None and value == value else "-"
    except (TypeError, ValueError):
        return "-"


@click.command("batch")
@click.argument("source", metavar="PATTERN_OR_BATCHFILE")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="Output root: runs go to OUT/<run name>/<run id>/, the summary to OUT/batch-summary.csv/.json.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs solved at the same time, each in its own process.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key in every run (repeatable), before each run's own overrides.")
@click.pass_context
def batch_command(ctx, source: str, out_dir: str, jobs: int, sets: tuple[str, ...]) -> None:
    """Solve many runs: a glob of scenario files ('scenarios/yuzhong-demo*.yaml'), or a batch
    file (YAML: runs: [{scenario: FILE, set: [KEY=VALUE, ...], name: NAME}]).

    Each run is solved in its own process; a failed run is recorded with its kind and the
    others go on. Runs already finished in OUT (same scenario and input files) are skipped,
    half-written ones redone, so an interrupted batch is resumed by running it again.
    """
    from optimizer.batch import SOLVED, plan_batch, run_batch

    quiet = (ctx.obj or {}).get("quiet", False)
    try:
        runs = plan_batch(source, sets)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return

    def tick(row: dict, done: int, total: int) -> None:
        if row["status"] == SOLVED:
            what = (f"{'proven' if row['proven'] else 'NOT proven'}, objective {_fmt(row['objective'], ',.1f')}, "
                    f"{row['sites']} sites")
        else:
            what = row["message"].splitlines()[0] if row["message"] else ""
        extra = f" [{row['resume']}]" if row["resume"] else ""
        click.echo(f"[{done}/{total}] {row['name']}: {row['status']}{extra} ({row['seconds']:.1f} s) {what}",
                   err=quiet)

    table = run_batch(runs, out_dir, jobs=jobs, on_done=None if quiet else tick)
    w = max([len(str(n)) for n in table["name"]] + [3]) + 2
    click.echo(f"\n{'run':<{w}}{'status':<16}{'proven':<8}{'objective':>14}{'gap':>9}{'cost':>16}{'sites':>6}"
               f"{'seconds':>9}  resume")
    for r in table.to_dict(orient="records"):
        sites = "-" if r["sites"] is None or r["sites"] != r["sites"] else str(int(r["sites"]))
        click.echo(f"{r['name']:<{w}}{r['status']:<16}{('yes' if r['proven'] else 'no'):<8}"
                   f"{_fmt(r['objective'], ',.1f'):>14}{_fmt(r['gap'], '.2%'):>9}{_fmt(r['cost'], ',.0f'):>16}"
                   f"{sites:>6}{r['seconds']:>9.1f}  {r['resume'] or ''}")
    failed = table[table["status"] != SOLVED]
    for r in failed.to_dict(orient="records"):
        click.echo(f"  {r['name']} ({r['status']}): {r['message']}")
    click.echo(f"\n{len(table) - len(failed)} of {len(table)} runs solved; summary in "
               f"{out_dir}/batch-summary.csv and .json")
    if len(failed):
        sys.exit(1)
