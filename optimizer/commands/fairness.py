"""``lifecircle fairness``: the price of fairness, the total share at each floor on the worst life circle."""
from __future__ import annotations

import logging

import click

from optimizer.commands.common import TIME_LIMIT, _fail, _load, output_root, reach_cache, solver_overrides

log = logging.getLogger("optimizer")


@click.command("fairness")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. --set budget.total=8e7 (repeatable).")
@click.option("--points", type=click.IntRange(min=2), default=5, show_default=True,
              help="Floors on the worst circle, from the share optimum's worst value to fair's best (at least 2).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit per solve, in seconds.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output root (default: scenario's "
              "output.folder, 'outputs').")
@click.pass_context
def fairness_command(ctx, scenario, sets, points, time_limit, out_dir) -> None:
    """The price of fairness: the best total share at each floor on the worst life circle.

    Solves the share optimum, then fair's first stage (the best worst circles), then the
    best total share at --points floors between the two: price_of_fairness.csv, .png and
    .json under OUT/<scenario>/price-of-fairness-<UTC time>/. A point is proven only when
    its solver proved it.
    """
    extra = solver_overrides(time_limit=time_limit)
    try:
        from optimizer.outputs.writers import write_price_of_fairness
        from optimizer.studies.price_of_fairness import price_of_fairness

        sc = _load(scenario, sets, extra)
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        quiet = ctx.obj["quiet"]

        def tick(done: int, total: int, level: float) -> None:
            if not quiet:
                click.echo(f"  floor {level:.4g}: done ({done}/{total})", err=True)

        table, summary = price_of_fairness(sc, points, reach_cache=cache, progress=tick)
        final = write_price_of_fairness(table, summary, sc, root)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    best, first = summary["share_optimum"], summary["fair_stage_1"]
    functions = [c.removeprefix("worst_") for c in table.columns if c.startswith("worst_") and c != "worst_value"]
    click.echo(f"\n{sc.name}: the price of fairness ({len(table)} floors on the worst life circle)")
    click.echo(f"  worst-circle value: {summary['level_meaning']}")
    click.echo(f"  share optimum: {best['total_points']:,.2f} percentage points, worst-circle value "
               f"{best['worst_value']:.4g} ({'proven' if best['proven'] else 'NOT proven'})")
    click.echo(f"  fair's stage 1: best worst-circle value {first['worst_value']:.4g} "
               f"({'proven' if first['proven'] else 'NOT proven: the last floor may not be the best'})")
    click.echo(f"  {'floor':>8}{'worst':>8}{'total pts':>11}{'loss pts':>10}{'loss %':>8}  {'status':<11}"
               + "".join(f"{f[:10]:>11}" for f in functions))
    for r in table.to_dict(orient="records"):
        if r["total_points"] != r["total_points"]:  # NaN: no plan
            click.echo(f"  {r['level']:>8.4g}  no plan ({r['status']})")
            continue
        status = "proven" if r["proven"] else (f"gap {r['gap']:.2%}" if r["gap"] is not None
                                               and r["gap"] == r["gap"] else r["status"])
        click.echo(f"  {r['level']:>8.4g}{r['worst_value']:>8.4g}{r['total_points']:>11,.2f}"
                   f"{r['loss_points']:>10,.2f}{r['loss_pct']:>8.2f}  {status:<11}"
                   + "".join(f"{r['worst_' + f]:>11.1%}" for f in functions))
    click.echo(f"  written to {final}")
