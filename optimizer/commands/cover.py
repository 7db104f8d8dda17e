"""``lifecircle cover``: a textbook maximal, set or partial set covering problem from tables."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import click

log = logging.getLogger(__name__)


def _number(text: str | None, option: str, problems: list) -> float | None:
    """``text`` as a number, or ``None`` when not given; a problem naming ``option`` when it is no number."""
    from optimizer.errors import Problem

    if text is None:
        return None
    try:
        return float(str(text).strip())
    except ValueError:
        problems.append(Problem(option, f"must be a number, got {text!r}"))
        return None


def problem_kind(set_cover: bool, cover_share: str | None) -> str:
    """The kind of problem the options ask for: ``--set-cover``, ``--cover-share`` or else maximal covering."""
    if set_cover:
        return "set_covering"
    return "partial_set_covering" if cover_share is not None else "max_covering"


def read_options(p: str | None, budget: str | None, radius: str | None, time_limit: str | None,
                 set_cover: bool, od: str | None, cover_share: str | None = None
                 ) -> tuple[int | None, float | None, float | None, float, float | None]:
    """The numeric options of ``cover``, checked: (p, budget, radius, time limit, cover share).

    Raises
    ------
    InputError
        Exit 3, each problem naming its option (``--p``, ``--budget``, ``--radius``, ``--time-limit``,
        ``--cover-share``), also when options of two kinds of problem are given together.
    """
    from optimizer.errors import InputError
    from optimizer.studies.plain_coverage import option_problems

    problems: list = []
    values = {name: _number(text, name, problems)
              for name, text in (("--p", p), ("--budget", budget), ("--radius", radius), ("--time-limit", time_limit),
                                 ("--cover-share", cover_share))}
    named = {pr.file for pr in problems}
    problems += [pr for pr in option_problems(
        kind=problem_kind(set_cover, cover_share), p=values["--p"], budget=values["--budget"],
        radius=values["--radius"], od=od, time_limit_s=values["--time-limit"], share=values["--cover-share"])
        if pr.file not in named]
    if problems:
        raise InputError(problems)
    sites = values["--p"]
    limit = float(values["--time-limit"])
    return (None if sites is None else int(sites)), values["--budget"], values["--radius"], limit, \
        values["--cover-share"]


def _verdict(r) -> str:
    """The result's status in the planner's words; never "feasible" for a model without a plan."""
    if r.proven_optimal:
        return "PROVEN OPTIMAL"
    words = r.message.removeprefix("not proven optimal: ")
    return f"NOT PROVEN OPTIMAL: {words}"


@click.command("cover")
@click.option("--demand", required=True, type=click.Path(),
              help="Demand table (CSV, XLSX or GeoPackage): id, weight, x/y or lon/lat.")
@click.option("--sites", required=True, type=click.Path(),
              help="Candidate sites: id, x/y or lon/lat, cost (optional, default 1).")
@click.option("--radius", help="Coverage radius in metres (or OD distance units), > 0.")
@click.option("--od", type=click.Path(),
              help="OD table: demand_id, site_id[, distance]; replaces straight-line distance.")
@click.option("--p", "p", help="Maximal covering: at most this many sites (a whole number >= 1).")
@click.option("--budget", help="Maximal covering: total site cost at most this (>= 0).")
@click.option("--set-cover", "set_cover", is_flag=True, help="Set covering: cover every reachable demand point "
              "at least cost.")
@click.option("--cover-share", "cover_share", help="Partial set covering: least cost (fewest sites without a cost "
              "column) covering at least this share, 0 < S <= 1, of the reachable demand weight (the weight of "
              "the demand points some site reaches; 0.9 for 90 %).")
@click.option("--solver", default="highs", show_default=True, help="Solver backend (see `lifecircle solvers`).")
@click.option("--time-limit", default="600", show_default=True, help="Seconds, > 0: model, greedy start and "
              "solver together; the run stops within it plus a grace of max(2 s, 10 %).")
@click.option("--no-presolve", "no_presolve", is_flag=True, help="Maximal covering: solve without presolve "
              "(dominated sites and reduced-cost fixing; the optimum is the same, only the time differs).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Write chosen.csv, coverage.csv and "
              "result.json into OUT/cover-<time>/.")
def cover_command(demand, sites, radius, od, p, budget, set_cover, cover_share, solver, time_limit, no_presolve,
                  out_dir) -> None:
    """Solve a plain maximal covering (--p/--budget), set covering (--set-cover) or partial set covering
    (--cover-share) problem."""
    import solvers
    from optimizer.commands.common import _fail, writable_root
    from optimizer.errors import InfeasibleScenario, InputError, Problem, Shortfall, SolverFailure
    from optimizer.studies.plain_coverage import reachable_weight, read_coverage_problem, solve_coverage_problem
    from solvers.base import figure
    from solvers.result import SolverOptions, SolveStatus

    try:
        kind = problem_kind(set_cover, cover_share)
        p, budget, radius, time_limit, share = read_options(p, budget, radius, time_limit, set_cover, od,
                                                            cover_share)
        if out_dir:
            writable_root(out_dir, "--out")
        known = solvers.all_solvers() + ["auto"]
        if solver not in known or (solver in solvers.SOLVERS
                                   and solvers.SOLVERS[solver].capabilities.needs_planning_model):
            plain = [n for n in known if n == "auto" or not solvers.SOLVERS[n].capabilities.needs_planning_model]
            raise InputError([Problem("--solver", f"unknown solver {solver!r} for a plain coverage problem "
                                                  f"(known: {', '.join(plain)})")])
        if set_cover and solver in solvers.SOLVERS and solvers.SOLVERS[solver].capabilities.needs_coverage_model:
            others = [n for n in known if n == "auto" or not (solvers.SOLVERS[n].capabilities.needs_planning_model
                                                              or solvers.SOLVERS[n].capabilities.needs_coverage_model)]
            raise InputError([Problem("--solver", f"{solver} solves maximal and partial set covering "
                                                  f"(--p/--budget, --cover-share), not --set-cover; for "
                                                  f"--set-cover use {', '.join(others)}")])
        problem = read_coverage_problem(demand, sites, radius=radius, od=od, kind=kind, p=p, budget=budget,
                                        share=share)
        from optimizer.solving import followed

        options = SolverOptions(time_limit_s=time_limit, relative_gap=0.0).started()
        with followed(solver, options, maximise=kind == "max_covering") as watched:  # the live line, the log
            sol = solve_coverage_problem(problem, solver, watched, presolve=not no_presolve)
        r = sol.result
        if r.status is SolveStatus.INFEASIBLE:
            raise InfeasibleScenario([Shortfall("the options", "whole problem", f"{r.solver} proved that no "
                                                f"choice of sites satisfies --p/--budget: {r.message}")])
        if not r.status.has_solution:
            raise SolverFailure(f"{r.solver} stopped ({r.termination.value}) without any plan: {r.message}")
    except solvers.SolverUnavailable as exc:
        _fail(SolverFailure(str(exc)))
        return
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    unreached = int((problem.reach.getnnz(axis=1) == 0).sum())
    click.echo(f"\n{problem.kind.replace('_', ' ')}: {_verdict(r)}")
    bound = "none" if r.bound is None else figure(r.bound)
    gap = "unknown" if r.gap is None else f"{r.gap:.4%}"
    click.echo(f"  objective {figure(sol.objective)} (from the chosen sites)   bound {bound}   gap {gap}   "
               f"solve {r.solve_seconds:.2f} s")
    click.echo(f"  {len(sol.chosen)} sites chosen, cost {problem.costs[sol.chosen].sum():,.2f}; "
               f"covered weight {sol.covered_weight:,.2f} of {problem.weights.sum():,.2f}"
               + (f"; {unreached} demand points reached by no site" if unreached else ""))
    reachable = reachable_weight(problem)
    covered_share = sol.covered_weight / reachable if reachable > 0 else None
    if problem.kind == "partial_set_covering":
        click.echo("  no demand weight is reached by any site: nothing to cover" if covered_share is None else
                   f"  covered share {covered_share:.2%} of the reachable demand weight {reachable:,.2f} "
                   f"(asked: at least {share:.2%})")
    click.echo("  sites: " + ", ".join(problem.site_ids[sol.chosen][:30]) + (" ..." if len(sol.chosen) > 30 else ""))
    if out_dir:
        import pandas as pd  # here, not at the top: `lifecircle --help` starts without it

        from optimizer.outputs.writers import atomic_folder
        from optimizer.processes import process_tag, utc_stamp

        final = Path(out_dir) / f"cover-{utc_stamp()}-{process_tag()}"
        try:
            with atomic_folder(final, "cover folder") as tmp:
                pd.DataFrame({"site_id": problem.site_ids[sol.chosen], "cost": problem.costs[sol.chosen]}).to_csv(
                    tmp / "chosen.csv", index=False, encoding="utf-8-sig")
                pd.DataFrame({"demand_id": problem.demand_ids, "weight": problem.weights,
                              "covered": sol.covered > 0}).to_csv(tmp / "coverage.csv", index=False,
                                                                  encoding="utf-8-sig")
                summary = {**r.summary(), "objective": sol.objective,
                           "solver_objective": r.extra.get("solver_objective"),
                           "plan_from": r.extra.get("plan_from", r.solver)}
                shares = {} if problem.kind != "partial_set_covering" else {
                    "cover_share": share, "share_of": "reachable demand weight", "reachable_weight": reachable,
                    "covered_share": covered_share}
                (tmp / "result.json").write_text(json.dumps({"kind": problem.kind, "p": p, "budget": budget,
                                                             **shares,
                                                             "radius": radius, "time_limit_s": time_limit,
                                                             "objective": sol.objective,
                                                             "covered_weight": sol.covered_weight,
                                                             "sites_chosen": len(sol.chosen),
                                                             "presolve": r.extra.get("presolve"),
                                                             "solver": summary}, indent=2,
                                                            default=str), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - mapped to exit codes
            _fail(exc)
            return
        click.echo(f"  written to {final}")
