"""``lifecircle export`` and ``lifecircle check``: the model for other solvers, and their answers checked.

``export`` writes the built model (no solve) as free MPS or CPLEX LP with stable,
meaningful names, plus ``FILE.map.json`` (:mod:`optimizer.studies.export`). ``check`` reads a
solver's solution (or a plan list, or a run folder), maps it onto the same model, reads it
back into a plan, runs the independent check of every rule and compares every figure a plan
list claims with its recomputation (:mod:`optimizer.studies.external`): exit 0 when every
check passes, 6 when one fails, 3 when the file cannot be read.
"""
from __future__ import annotations

import logging
from pathlib import Path

import click

from optimizer.commands.common import _fail, writable_root
from optimizer.errors import CheckFailed

log = logging.getLogger("optimizer")

_set_option = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                           help="Override a scenario key, e.g. --set budget.total=8e7 (repeatable); use the same "
                                "ones for export and check.")


class _ReadOnlyCache:
    """The reach cache, looked up but never written (``check`` writes nothing)."""

    def __init__(self, cache):
        self._cache = cache

    def load(self, key, cutoff):
        return self._cache.load(key, cutoff)

    def store(self, key, reach):
        return None


def _setup(scenario_path: str, sets: tuple[str, ...], quiet: bool, write_cache: bool):
    from optimizer.commands.common import _Progress, reach_cache
    from optimizer.scenario import load_scenario
    from optimizer.studies.export import prepare_model

    sc = load_scenario(scenario_path, list(sets))
    cache = reach_cache(sc, sc.output.folder)
    if cache is not None and not write_cache:
        cache = _ReadOnlyCache(cache)
    return prepare_model(sc, reach_cache=cache, progress=_Progress(quiet))


def _format_from(out: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix in ("mps", "lp"):
        return suffix
    raise click.UsageError(f"say --format mps or --format lp (the suffix of {out!r} does not tell)")


@click.command("export")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["mps", "lp"]),
              help="File format: free MPS or CPLEX LP (default: from the suffix of --out).")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The model file to write; FILE.map.json is written beside it.")
@_set_option
@click.pass_context
def export_command(ctx, scenario, fmt, out_file, sets) -> None:
    """Write SCENARIO's model (built, not solved) as MPS or LP for another solver.

    Columns are named x_<site>_<function>, o_<site>, z_<site>_<group>, y_<function>_<row>
    (capacitated: a_<site>_<function>, w_<function>_<row>_<site>, sc_/sa_<site>_<group>;
    rule 6: n_<circle>_<function>, q_<site>_<fa>_<fb>), sanitised to letters, digits, _ and .
    The MPS file minimises (a maximised objective is negated); the LP file keeps the
    sense. FILE.map.json states the scenario, model sizes, sense, what the objective
    means, and the column names in order. Check the solver's answer with
    `lifecircle check SCENARIO --solution FILE` and the same --set options.
    """
    fmt = _format_from(out_file, fmt)
    try:
        from optimizer.studies.export import export_model

        writable_root(Path(out_file).parent, "--out")
        setup = _setup(scenario, sets, ctx.obj.get("quiet", False) if ctx.obj else False, write_cache=True)
        record = export_model(setup, out_file, fmt, tuple(sets))
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    stats = record["model"]
    sense = record["sense"]
    click.echo(f"\n{setup.scenario.name}: model written to {out_file} ({'free MPS' if fmt == 'mps' else 'CPLEX LP'})")
    click.echo(f"  {stats['variables']:,} columns ({stats['integer_variables']:,} integer), {record['rows']:,} rows, "
               f"{stats['nonzeros']:,} nonzeros; mode {stats['mode']}, objective {stats['objective']}")
    click.echo(f"  objective ({sense}): {record['objective']['meaning']}")
    if record["file_sense"] != sense:
        click.echo("  the file MINIMISES the NEGATED objective: a solver's objective value for it is minus the "
                   "model's")
    if record.get("rows_note"):
        click.echo(f"  {record['rows_note']}")
    if record.get("not_in_file"):
        click.echo(f"  not in the file: {record['not_in_file']}")
    click.echo(f"  names and meanings: {Path(out_file).name}.map.json")
    for w in setup.warnings:
        click.echo(f"  warning: {w}")
    click.echo(f"  check a solution: lifecircle check {scenario} --solution SOLUTION"
               + "".join(f" --set {s}" for s in sets))


@click.command("check")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--solution", "solution_file", required=True, type=click.Path(),
              help="A solver's solution (.sol text of HiGHS, Gurobi, CBC, SCIP, or CPLEX's XML), a CSV name,value, "
                   "a plan CSV site_id,function[,area_m2,...], or a run folder (its plan_facilities.csv, every "
                   "figure of its tables and run.json compared).")
@_set_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Also write a run folder like `solve` does under OUT/<scenario>/ (only when every check passes).")
@click.pass_context
def check_command(ctx, scenario, solution_file, sets, out_dir) -> None:
    """Check an external solution of SCENARIO against every rule, recomputed from its sites.

    The solution is mapped onto the columns `lifecircle export` names (columns not
    listed are 0), read back into a plan as given (nothing dropped) and checked:
    eligibility, space, sizes, budget(s), forced decisions, coverage recomputed from
    walking times, rules 6 and 7 when asked, and the claimed objective (the file's, else
    the model's objective at its values) against the recomputation. A plan list's other
    columns (a run folder: also plan_sites.csv, coverage_by_function.csv,
    coverage_by_circle.csv and run.json) are figures it claims: each is compared with its
    recomputation from the chosen sites (amounts within 0.01 plus 1e-6 of their size,
    shares within 1e-4) and every one that differs is named (check "claimed figures").
    A claim is never taken as proof of optimality. Writes nothing unless --out. Exit 0 all
    checks passed, 6 a check failed, 3 the file cannot be read (file, line and what is wrong).
    """
    quiet = ctx.obj.get("quiet", False) if ctx.obj else False
    try:
        from optimizer.outputs.claims import check_with_claims
        from optimizer.studies.external import external_run, read_solution

        if out_dir:
            writable_root(out_dir, "--out")
        solution = read_solution(solution_file)
        setup = _setup(scenario, sets, quiet, write_cache=False)
        checked = check_with_claims(setup, solution)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    _print_verdict(setup, checked)
    if not checked.passed:
        _fail(CheckFailed(checked.report.failures))
        return
    if out_dir:
        try:
            from optimizer.outputs.writers import write_run

            folder = write_run(external_run(setup, checked), Path(out_dir))
        except Exception as exc:  # noqa: BLE001
            _fail(exc)
            return
        click.echo(f"  written to {folder}")


def _print_verdict(setup, checked) -> None:
    from optimizer.plan import people_by_status

    sc, sol, report, plan = setup.scenario, checked.solution, checked.report, checked.plan
    status = f"; solver status: {sol.status}" if sol.status else ""
    click.echo(f"\n{sc.name}: checking {sol.path.name} ({sol.style}{status})")
    for note in checked.notes:
        if not note.startswith("model rows"):
            click.echo(f"  note: {note}")
    width = max((len(i.name) for i in report.items), default=0)
    for item in report.items:
        if item.name == "claimed figures" and not item.passed:
            click.echo(f"  FAILED  {item.name:<{width}}  {len(checked.differences)} claimed figures differ from "
                       "their recomputation from the chosen sites:")
            for difference in checked.differences:
                click.echo(f"            {difference}")
            continue
        click.echo(f"  {'PASSED' if item.passed else 'FAILED'}  {item.name:<{width}}  {item.detail}")
    budget = sc.budget.total
    n_fac = sum(len(p.costing.functions) for p in plan.sites)
    click.echo(f"  plan: {len(plan.sites)} sites converted, {n_fac} facilities, cost {plan.total_cost:,.0f} yuan"
               + (" (least cost: budget not imposed)" if sc.objective == "least_cost"
                  else f" of {budget:,.0f}" if budget is not None else ""))
    table = people_by_status(setup.inputs, sc, plan)
    click.echo(f"  {'function':<12}{'cohort':<12}{'people':>10}{'existing':>10}{'new':>10}{'covered':>9}")
    for row in table.itertuples():
        click.echo(f"  {row.function:<12}{row.cohort:<12}{row.people:>10,.0f}{row.served_by_existing:>10,.0f}"
                   f"{row.newly_covered:>10,.0f}{row.covered_share:>9.1%}")
    what = "cost" if sc.objective == "least_cost" else "weighted coverage"
    if checked.claimed is None:
        click.echo(f"  objective: none claimed (a plan list); recomputed {what} {checked.recomputed:,.3f}")
    elif checked.solution.kind == "plan":
        click.echo(f"  objective: claimed {checked.claimed:,.3f} ({checked.claimed_from}); recomputed {what} "
                   f"{checked.recomputed:,.3f} (compared under 'claimed figures')")
    else:
        click.echo(f"  objective: claimed {checked.claimed:,.3f} ({checked.claimed_from}); recomputed {what} "
                   f"{checked.recomputed:,.3f}")
    for note in checked.notes:
        if note.startswith("model rows"):
            click.echo(f"  {note}")
    for w in setup.warnings:
        click.echo(f"  warning: {w}")
    n = len(report.items)
    if checked.passed:
        click.echo(f"  verdict: PASSED: all {n} checks hold (feasible; not proven optimal: an outside claim is "
                   "not a proof here)")
    else:
        failed = [i.name for i in report.items if not i.passed]
        click.echo(f"  verdict: FAILED: {len(failed)} of {n} checks fail ({', '.join(failed)})")


__all__ = ["export_command", "check_command"]
