"""``lifecircle cover``: a textbook maximal covering or set covering problem from tables."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import click
import pandas as pd


@click.command("cover")
@click.option("--demand", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Demand table (CSV, XLSX or GeoPackage): id, weight, x/y or lon/lat.")
@click.option("--sites", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Candidate sites: id, x/y or lon/lat, cost (optional, default 1).")
@click.option("--radius", type=float, help="Coverage radius in metres (or OD distance units).")
@click.option("--od", type=click.Path(exists=True, dir_okay=False),
              help="OD table: demand_id, site_id[, distance]; replaces straight-line distance.")
@click.option("--p", "p", type=int, help="Maximal covering: at most this many sites.")
@click.option("--budget", type=float, help="Maximal covering: total site cost at most this.")
@click.option("--set-cover", "set_cover", is_flag=True, help="Set covering: cover every reachable demand point "
              "at least cost.")
@click.option("--solver", default="highs", show_default=True, help="Solver backend (see `lifecircle solvers`).")
@click.option("--time-limit", type=float, default=600.0, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write chosen.csv, coverage.csv and "
              "result.json into OUT/cover-<time>/.")
def cover_command(demand, sites, radius, od, p, budget, set_cover, solver, time_limit, out_dir) -> None:
    """Solve a plain maximal covering (--p/--budget) or set covering (--set-cover) problem."""
    from optimizer.commands.common import _fail
    from optimizer.studies.plain_coverage import read_coverage_problem, solve_coverage_problem
    from solvers.result import SolverOptions

    try:
        problem = read_coverage_problem(demand, sites, radius=radius, od=od,
                                        kind="set_covering" if set_cover else "max_covering", p=p, budget=budget)
        sol = solve_coverage_problem(problem, solver, SolverOptions(time_limit_s=time_limit, relative_gap=0.0))
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    r = sol.result
    unreached = int((problem.reach.getnnz(axis=1) == 0).sum())
    proven = "PROVEN OPTIMAL" if r.proven_optimal else f"NOT PROVEN OPTIMAL ({r.status.value}, {r.termination.value})"
    click.echo(f"\n{problem.kind.replace('_', ' ')}: {proven}")
    click.echo(f"  objective {r.objective}   bound {r.bound}   gap {r.gap}   solve {r.solve_seconds:.2f} s")
    click.echo(f"  {len(sol.chosen)} sites chosen, cost {problem.costs[sol.chosen].sum():,.2f}; "
               f"covered weight {sol.covered_weight:,.2f} of {problem.weights.sum():,.2f}"
               + (f"; {unreached} demand points reached by no site" if unreached else ""))
    click.echo("  sites: " + ", ".join(problem.site_ids[sol.chosen][:30]) + (" ..." if len(sol.chosen) > 30 else ""))
    if out_dir:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        final = Path(out_dir) / f"cover-{stamp}"
        tmp = Path(out_dir) / f".cover-{stamp}.partial"
        tmp.mkdir(parents=True)
        try:
            pd.DataFrame({"site_id": problem.site_ids[sol.chosen], "cost": problem.costs[sol.chosen]}).to_csv(
                tmp / "chosen.csv", index=False, encoding="utf-8-sig")
            pd.DataFrame({"demand_id": problem.demand_ids, "weight": problem.weights,
                          "covered": sol.covered > 0}).to_csv(tmp / "coverage.csv", index=False, encoding="utf-8-sig")
            (tmp / "result.json").write_text(json.dumps({"kind": problem.kind, "p": p, "budget": budget,
                                                         "radius": radius, "solver": r.summary()}, indent=2,
                                                        default=str), encoding="utf-8")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        click.echo(f"  written to {final}")
