"""``lifecircle``: the command line. The only place that configures logging.

Exit codes: 0 success; 2 usage error (an unknown command or option, a missing argument;
also an executor that cannot be had); 3 bad input, scenario or option value (also an
output folder that cannot be written); 4 infeasible scenario; 5 solver failure (no plan);
6 the plan failed its independent check; 1 a batch with a failed run, Ctrl-C, or anything
else (an internal error: a short message, the traceback with -v); 143 stopped by SIGTERM
(129 SIGHUP).

Starts at once: this module and the command modules import only click and the standard
library at the top; numpy, pandas, geopandas, the solvers and the pipeline are imported
inside the commands that use them (tests/cli/test_startup.py checks it).
"""
from __future__ import annotations

import logging
from pathlib import Path

import click

from optimizer.commands.common import (  # noqa: F401 - shared by every command
    BUDGET,
    GAP,
    QUIET_HELP,
    THREADS,
    TIME_LIMIT,
    VERBOSE_HELP,
    LifecircleGroup,
    OptionError,
    _fail,
    _load,
    _Progress,
    budget_list,
    output_root,
    reach_cache,
    solver_overrides,
    writable_root,
)
from optimizer.commands.common import configure_logging as _configure_logging
from optimizer.commands.run_summary import print_run_summary
from optimizer.i18n import DEFAULT_LANG, LANGUAGES

log = logging.getLogger("optimizer")

EXIT_CODES_HELP = ("Exit codes: 0 ok, 2 usage, 3 bad input, scenario or option value, 4 infeasible scenario, "
                   "5 solver failure, 6 plan failed its check, 1 a batch run failed or internal error, "
                   "143 stopped (SIGTERM).")


@click.group(cls=LifecircleGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog=EXIT_CODES_HELP)
@click.option("-v", "--verbose", count=True, help=VERBOSE_HELP + " Also after the command: solve X -v.")
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP + " Also after the command: solve X -q.")
@click.version_option(package_name="lifecircle")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Plan community services into idle assets so most residents reach them on foot.

    Reads a scenario (YAML), the demand and the idle asset ledger; chooses which sites
    to convert to which functions within the budget; checks the plan from its chosen
    sites; writes CSV, GeoPackage and run.json.
    """
    ctx.ensure_object(dict)
    ctx.obj["quiet"] = quiet
    ctx.obj["verbose"] = verbose
    _configure_logging(verbose, quiet)
    __import__("optimizer.processes").processes.install_stop_handlers()  # SIGTERM/SIGHUP: stop cleanly


_set_option = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                           help="Override a scenario key, e.g. --set budget.total=8e7 (repeatable).")


@main.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@_set_option
@click.option("--solver", help="Solver backend (see `lifecircle solvers`).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit in seconds.")
@click.option("--gap", type=GAP, help="Accepted relative gap (0 asks for a proven optimum).")
@click.option("--threads", type=THREADS, help="Solver threads.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output root (default: scenario's "
              "output.folder, 'outputs').")
@click.option("--lang", type=click.Choice(LANGUAGES), default=DEFAULT_LANG, show_default=True,
              help="Language of the three lists (needs, supply, configuration) and of the map's legend in plan.gpkg.")
@click.pass_context
def solve(ctx, scenario, sets, solver, time_limit, gap, threads, out_dir, lang) -> None:
    """Solve SCENARIO and write the plan under OUT/<scenario>/<run id>/."""
    extra = solver_overrides(solver, time_limit, gap, threads, log=ctx.obj["verbose"] > 1)
    try:
        from optimizer.outputs.writers import write_run
        from optimizer.pipeline import run_scenario

        sc = _load(scenario, sets, extra)
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        run = run_scenario(sc, progress=_Progress(ctx.obj["quiet"]), reach_cache=cache)
        folder = write_run(run, root, lang=lang)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    print_run_summary(run, folder)


@main.command("frontier")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@_set_option
@click.option("--budgets", callback=budget_list, help="Comma-separated budgets in yuan, e.g. 2e7,4e7,8e7.")
@click.option("--steps", type=click.IntRange(min=1), default=6, show_default=True,
              help="Without --budgets: this many budgets from --from to --to.")
@click.option("--from", "low", type=BUDGET, help="Smallest budget (default: a tenth of the scenario's).")
@click.option("--to", "high", type=BUDGET, help="Largest budget (default: twice the scenario's).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit per budget, in seconds.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output root (default: scenario's "
              "output.folder, 'outputs').")
@click.pass_context
def frontier_command(ctx, scenario, sets, budgets, steps, low, high, time_limit, out_dir) -> None:
    """The best plan at each of a series of budgets: frontier.csv and frontier.png.

    Budgets are solved from the smallest up, each warm-started from the plan before.
    """
    if low is not None and high is not None and low > high:
        raise OptionError(f"--from {low:g} is more than --to {high:g}", param_hint="'--from' / '--to'")
    extra = solver_overrides(time_limit=time_limit)
    try:
        from optimizer.outputs.writers import write_frontier
        from optimizer.studies.frontier import budget_series, frontier

        sc = _load(scenario, sets, extra)
        if budgets:
            series = budgets
        else:
            base = sc.budget.total or 1e7
            low = low if low is not None else min(base / 10, high if high is not None else base / 10)
            high = high if high is not None else max(2 * base, low)
            series = budget_series(low, high, steps)
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        quiet = ctx.obj["quiet"]

        def tick(done: int, total: int, budget: float) -> None:
            if not quiet:
                click.echo(f"  budget {budget:,.0f}: done ({done}/{total})", err=True)

        table, _ = frontier(sc, series, reach_cache=cache, progress=tick)
        final = write_frontier(table, sc, root)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    cols = [c for c in table.columns if c.endswith("_covered_share")]
    click.echo(f"\n{sc.name}: budget-coverage frontier ({len(table)} budgets)")
    click.echo(f"  {'budget':>14} {'status':<11}{'objective':>12}{'cost':>14}{'sites':>6}"
               + "".join(f"{c.removesuffix('_covered_share')[:10]:>11}" for c in cols))
    for r in table.to_dict(orient="records"):
        if r["status"] == "infeasible":
            click.echo(f"  {r['budget']:>14,.0f} infeasible")
            continue
        status = "optimal" if r["proven_optimal"] else f"gap {r['gap']:.2%}" if r["gap"] is not None else r["status"]
        click.echo(f"  {r['budget']:>14,.0f} {status:<11}{r['objective']:>12,.1f}{r['cost']:>14,.0f}{r['sites']:>6}"
                   + "".join(f"{r[c]:>11.1%}" for c in cols))
    click.echo(f"  written to {final}")


@main.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@_set_option
def validate(scenario, sets) -> None:
    """Check SCENARIO and its inputs; list every problem; write nothing."""
    try:
        from optimizer.pipeline import validate as validate_step

        sc = _load(scenario, sets, [])
        inputs, forced, warnings = validate_step(sc)
    except Exception as exc:  # noqa: BLE001
        _fail(exc)
        return
    click.echo(f"{sc.name}: valid. {len(inputs.demand)} demand units, {len(inputs.sites)} sites, "
               f"{len(inputs.facilities)} running facilities; functions: {', '.join(sc.function_names)}; "
               f"reach: {sc.reach_method}; analysis CRS {inputs.crs.to_string()}")
    for w in warnings:
        click.echo(f"  warning: {w}")


@main.command("solvers")
def list_solvers() -> None:
    """List solver backends and whether each is installed."""
    import solvers as registry  # its lifecircle.solvers entry point adds the greedy heuristic

    available = set(registry.available_solvers())
    for name in registry.all_solvers():
        backend_cls = registry.SOLVERS[name] if hasattr(registry, "SOLVERS") else None
        state = "available" if name in available else "not installed"
        extra = f" (pip install {backend_cls.extra})" if backend_cls is not None and name not in available else ""
        click.echo(f"{name:<10}{state}{extra}")


@main.group()
def network() -> None:
    """Walk networks: build a clean network file from OpenStreetMap or an edges file."""


def _metric_crs(ctx: click.Context, param: click.Parameter, value: str | None):
    """``--crs``: a projected CRS in metres, or ``None``."""
    if value is None:
        return None
    import pyproj

    from optimizer.inputs import is_metric

    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise click.BadParameter(f"unknown CRS {value!r} (e.g. EPSG:32648)") from None
    if not is_metric(crs):
        raise click.BadParameter(f"{value} ({crs.name}) is not projected in metres; give e.g. the local UTM zone, "
                                 "or leave --crs out to use it")
    return crs


@network.command("build")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="GeoPackage to write (layer 'network'); replaced when it exists.")
@click.option("--crs", callback=_metric_crs, help="Metric CRS of the output (default: UTM zone of the data's centre).")
@click.option("--elevation", type=click.Path(dir_okay=False),
              help="DEM GeoTIFF (metres) sampled into the Z of every vertex.")
@click.option("--missing-elevation", type=click.Choice(["error", "flat"]), default="error", show_default=True,
              help="Nodes the DEM leaves without elevation: an error, or walk the edges touching them as flat.")
def network_build(source: str, out: str, crs, elevation: str | None, missing_elevation: str) -> None:
    """Read SOURCE (an OSM .osm.pbf or an edges file), keep the walkable edges of its largest
    connected part, project them, add DEM elevations, and write OUT."""
    if not out.lower().endswith(".gpkg"):
        raise click.BadParameter(f"{out!r} must be a GeoPackage file (.gpkg)", param_hint="--out")
    try:
        from optimizer.inputs.elevation import ElevationModel
        from optimizer.reach.prepare import clean_walk_network, read_walk_edges, write_network

        writable_root(Path(out).parent, "--out")
        model = ElevationModel.open(elevation) if elevation else None
        edges = read_walk_edges(source)
        clean = clean_walk_network(edges, crs=crs, elevation=model, missing_elevation=missing_elevation,
                                   source=Path(source).name)
        write_network(clean.edges, out)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    from optimizer.inputs.read import crs_label

    c = clean.counts
    read = (f"{c['ways']:,} ways read, {c['walkable_ways']:,} walkable -> {c['edges_read']:,} edges"
            if "ways" in c else f"{c['edges_read']:,} walkable edges read")
    click.echo(f"\n{Path(source).name} -> {out} [layer network]")
    click.echo(f"  {read}")
    click.echo(f"  kept {c['edges']:,} edges, {c['nodes']:,} nodes, {c['stairs_edges']:,} stairs edges, "
               f"{c['oneway_edges']:,} one-way for pedestrians, {c['length_km']:,.1f} km")
    click.echo(f"  dropped {c['dropped_edges']:,} edges outside the largest strongly connected part")
    click.echo(f"  CRS {crs_label(clean.crs)} ({clean.crs_reason})")
    click.echo("  elevation: " + ("from " + Path(elevation).name if elevation else "none (edges keep their own Z)"))
    for note in clean.notes:
        click.echo(f"  note: {note}")

from optimizer.commands.compare import compare_command  # noqa: E402 - registered after the group exists

main.add_command(compare_command)

from optimizer.commands.export_check import check_command, export_command  # noqa: E402 - after the group

main.add_command(export_command)
main.add_command(check_command)

from optimizer.commands.cover import cover_command  # noqa: E402 - as above

main.add_command(cover_command)

from optimizer.commands.batch import batch_command  # noqa: E402 - as above

main.add_command(batch_command)

from optimizer.commands.plan_years import plan_command  # noqa: E402 - as above

main.add_command(plan_command)

from optimizer.commands.assess import assess_command  # noqa: E402 - as above

main.add_command(assess_command)

from optimizer.commands.city import city_command  # noqa: E402 - as above

main.add_command(city_command)

from optimizer.commands.report import report_command  # noqa: E402 - as above

main.add_command(report_command)

from optimizer.commands.diff import diff_command  # noqa: E402 - as above

main.add_command(diff_command)

from optimizer.commands.demo import demo_command  # noqa: E402 - as above

main.add_command(demo_command)

from optimizer.commands.fairness import fairness_command  # noqa: E402 - as above

main.add_command(fairness_command)

from optimizer.commands.explain import explain_command  # noqa: E402 - as above

main.add_command(explain_command)

if __name__ == "__main__":  # pragma: no cover
    main()
