"""``lifecircle compare``: one scenario's model solved by several solvers, side by side.

Writes ``compare.csv`` (one row per solver) and ``compare.json`` (rows, each plan's
``site:function`` entries, check failures, and the pairwise agreement) into
``<out>/<scenario>/compare-<UTC stamp>/``, all or nothing.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # pandas is imported where a comparison is written, so `lifecircle --help` starts fast
    import pandas as pd

#: Solvers compared when ``--solvers`` is not given.
DEFAULT_SOLVERS = "highs,cbc,greedy"


def _solver_names(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    from optimizer.studies.comparison import known_solvers

    names = [v.strip().lower() for v in (value or "").split(",") if v.strip()]
    if not names:
        raise click.BadParameter("name at least one solver, e.g. highs,cbc,greedy")
    known = known_solvers()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown solver {', '.join(repr(u) for u in unknown)} "
                                 f"(known: {', '.join(known)}; `lifecircle solvers` says which are installed)")
    return list(dict.fromkeys(names))


def _num(value, fmt: str, missing: str = "-") -> str:
    return missing if value is None else format(value, fmt)


def write_comparison(folder_root: Path, scenario_name: str, record: dict, table: pd.DataFrame) -> Path:
    """``compare.csv`` and ``compare.json`` in a new folder, renamed into place when complete."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    parent = folder_root / scenario_name
    parent.mkdir(parents=True, exist_ok=True)
    final = parent / f"compare-{stamp}"
    n = 1
    while final.exists():
        n += 1
        final = parent / f"compare-{stamp}-{n}"
    tmp = parent / f".{final.name}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        table.to_csv(tmp / "compare.csv", index=False, encoding="utf-8-sig")
        (tmp / "compare.json").write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str),
                                          encoding="utf-8")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


@click.command("compare")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. --set budget.total=8e7 (repeatable).")
@click.option("--solvers", "names", default=DEFAULT_SOLVERS, show_default=True, callback=_solver_names,
              help="Comma-separated solvers: registered backends (`lifecircle solvers`) and greedy (the heuristic).")
@click.option("--time-limit", type=float, help="Time limit per solver, in seconds (default: the scenario's).")
@click.option("--in-process", is_flag=True,
              help="Solve in this process instead of one process per solver (peak memory is then only the "
                   "growth above the earlier peak, and an overrunning solver cannot be killed).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output root (default: scenario's "
              "output.folder, 'outputs').")
@click.pass_context
def compare_command(ctx, scenario, sets, names, time_limit, in_process, out_dir) -> None:
    """Build SCENARIO's model once, solve it with each of --solvers, check every plan, compare them.

    Prints a table (status, proof, objective, bound, gap, seconds, peak memory, sites, cost,
    check) and which site:function entries each two solvers share or differ on, and writes
    compare.csv and compare.json under OUT/<scenario>/compare-<UTC stamp>/.
    """
    from optimizer.commands.common import OptionError, _fail, _load, _Progress, output_root, reach_cache

    if time_limit is not None and not time_limit > 0:
        raise OptionError("must be > 0", param_hint="'--time-limit'")
    quiet = ctx.obj.get("quiet", False) if ctx.obj else False
    try:
        import pandas as pd

        from optimizer.studies.comparison import compare, prepare

        sc = _load(scenario, sets, [])
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        prep = prepare(sc, progress=_Progress(quiet), reach_cache=cache)
        runs, pairs = compare(prep, names, time_limit, isolate=not in_process)
        table = pd.DataFrame([r.row() for r in runs])
        stats = prep.model.stats
        record = {
            "scenario": sc.name, "source": sc.source, "objective": sc.objective, "mode": sc.model.mode,
            "time_limit_s": time_limit if time_limit is not None else sc.solver.time_limit_s,
            "isolation": "in-process (peak_mb: growth above the earlier peak)" if in_process else
                         "one process per solver (peak_mb: that process's peak resident memory)",
            "model": {k: stats.get(k) for k in ("variables", "integer_variables", "rows", "nonzeros",
                                                 "candidate_pairs", "build_seconds")},
            "timings": prep.timings.seconds, "warnings": prep.warnings,
            "runs": [{**r.row(), "recomputed_objective": r.recomputed_objective, "entries": r.entries,
                      "check_failures": r.check_failures, "detail": r.detail} for r in runs],
            "agreement": pairs,
        }
        folder = write_comparison(root, sc.name, record, table)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    _print(sc, prep, runs, pairs, folder, record)


def _print(sc, prep, runs, pairs, folder: Path, record: dict) -> None:
    st = prep.model.stats
    click.echo(f"\n{sc.name}: {len(runs)} solvers on one model ({st.get('variables', 0):,} variables, "
               f"{st.get('rows', 0):,} rows), {record['isolation'].split(' (')[0]}, "
               f"time limit {_num(record['time_limit_s'], 'g', 'none')} s")
    click.echo(f"  {'solver':<8}{'status':<13}{'proven':<8}{'objective':>14}{'bound':>14}{'gap':>10}"
               f"{'seconds':>9}{'peak MB':>9}{'sites':>7}{'cost (yuan)':>15}  check")
    for r in runs:
        check = "-" if r.check_passed is None else "passed" if r.check_passed else "FAILED"
        proven = "yes" if r.proven_optimal else "no" if r.objective is not None else "-"
        click.echo(f"  {r.solver:<8}{r.status:<13}{proven:<8}"
                   f"{_num(r.objective, ',.1f'):>14}{_num(r.bound, ',.1f'):>14}{_num(r.gap, '.4%'):>10}"
                   f"{_num(r.seconds, '.1f'):>9}{_num(r.peak_mb, ',.0f'):>9}{_num(r.sites, 'd'):>7}"
                   f"{_num(r.cost, ',.0f'):>15}  {check}")
    for r in runs:
        if r.status in ("unavailable", "error", "no_solution", "killed", "infeasible"):
            click.echo(f"  {r.solver}: {r.message}")
        for f in r.check_failures:
            click.echo(f"  {r.solver}: check failed: {f}")
    if pairs:
        click.echo("  agreement (site:function entries):")
    for p in pairs:
        n_a, n_b = len(p["only_a"]), len(p["only_b"])
        what = (f"{p['shared']} shared" if p["verdict"] == "same plan" else
                f"{p['shared']} shared, {n_a} only {p['solver_a']}, {n_b} only {p['solver_b']}")
        click.echo(f"    {p['solver_a']} vs {p['solver_b']}: {p['verdict']} ({what})")
    for w in prep.warnings:
        click.echo(f"  warning: {w}")
    click.echo(f"  written to {folder}")
