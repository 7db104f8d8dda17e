"""Benchmark: the three-year demo (issue 18): HiGHS alone, from a start plan, and the bound by year, side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/phasing.py                       # HiGHS alone and from the start plan, 300 s
    .venv/bin/python benchmarks/phasing.py --arms start norestart  # any two (or more) arms
    .venv/bin/python benchmarks/phasing.py --limit 120           # another limit
    .venv/bin/python benchmarks/phasing.py --record              # and add the rows to benchmarks/phasing.json

The model of ``scenarios/yuzhong-demo-three-years.yaml`` over 2026-2028 is built in each
arm's own process; the arms run at the same time, so that they share one load (2 cores: read
every time with its load, ``os.getloadavg()`` before and after). Arms:

``highs``
    the multi-year model handed to :func:`optimizer.solving.solve` with no start (what ``lifecircle plan``
    does with ``phasing.start_plan: false``).
``start``
    the start plan (:mod:`optimizer.studies.phasing.start`, counted in the limit) and HiGHS from it on the
    rest (:func:`optimizer.studies.phasing.run.solve_from_a_start` with ``phasing.start_plan`` on, as in
    ``lifecircle plan`` by default).
``norestart``
    ``start`` with HiGHS's ``mip_allow_restart`` off (``HighsBackend.tuning``).
``lagrange``
    the Lagrangian bound by year (:mod:`optimizer.studies.phasing.lagrange`) for the whole limit,
    Polyak's steps towards the best plan known (252.7352); its bound only, no plan.
``yearly``
    each year alone (:mod:`optimizer.studies.phasing.yearly`, at most a tenth of the limit each),
    the year-by-year plan as HiGHS's start, the rows "coverage by each year's end at most its
    year alone's bound", and HiGHS on the rest of the limit; the bound reported is the smaller of
    HiGHS's and the yearly bound.

Each row: arm, limit, seconds (wall, from the model built), objective, bound, gap, load, commit.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from provenance import head_commit  # noqa: E402

SCENARIO = REPO / "scenarios" / "yuzhong-demo-three-years.yaml"
YEARS = (2026, 2027, 2028)
ARMS = ("highs", "start", "norestart", "lagrange", "yearly")
#: The best plan known of the three-year demo (the start plan, proven best on its 59 sites), for Polyak's step.
BEST_KNOWN = 252.7351862


def build():
    """The three-year demo's multi-year model and scenario."""
    from optimizer.pipeline import prepare_model
    from optimizer.scenario import load_scenario
    from optimizer.studies.phasing.horizon import make_horizon
    from optimizer.studies.phasing.milestones import make_milestones
    from optimizer.studies.phasing.model import build_phased_model

    setup = prepare_model(load_scenario(SCENARIO))
    horizon = make_horizon(YEARS, setup.scenario, setup.inputs.sites, setup.forced)
    district = setup.inputs.sites["district"].fillna("").astype(str).to_numpy()
    model = build_phased_model(setup.model, horizon, district, make_milestones(setup.scenario, setup.inputs,
                                                                               setup.model))
    return model, setup.scenario


def run_arm(arm: str, limit: float) -> dict:
    """One arm on the three-year demo within ``limit`` seconds."""
    from optimizer.solving import solve
    from optimizer.studies.phasing import yearly
    from solvers.result import relative_gap

    model, scenario = build()
    scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, time_limit_s=limit))
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    row: dict = {"arm": arm, "limit_s": limit}
    if arm == "highs":
        result = solve(model.as_planning_model(), scenario)
        bound = result.bound
    elif arm in ("start", "norestart"):
        from optimizer.pipeline import Timings
        from optimizer.studies.phasing.run import solve_from_a_start
        from solvers.highs import HighsBackend

        scenario = dataclasses.replace(scenario, phasing=dataclasses.replace(scenario.phasing, start_plan=True))
        if arm == "norestart":
            HighsBackend.tuning = {"mip_allow_restart": False}
        model, result = solve_from_a_start(model, scenario, Timings())
        bound = result.bound
        row.update(start=model.stats["start"])
    elif arm == "lagrange":
        from optimizer.studies.phasing import lagrange

        out = lagrange.lagrangian_bound(model, scenario, limit, BEST_KNOWN)
        row.update(seconds=round(time.perf_counter() - t0, 1), objective=None, bound=out.bound, steps=out.steps,
                   history=out.history, loadavg_before=[round(x, 2) for x in load_before],
                   loadavg_after=[round(x, 2) for x in os.getloadavg()])
        return row
    else:
        bounds = yearly.yearly_bounds(model, scenario, limit / 10)
        start = yearly.year_by_year_plan(model, scenario, limit / 10, first_year=bounds.plans[0])
        row.update(yearly_bounds=bounds.bounds.tolist(), yearly_proven=bounds.proven.tolist(),
                   yearly_bound=bounds.total,
                   year_by_year_plan=None if start is None else model.problem.objective_value(start),
                   before_highs_s=round(time.perf_counter() - t0, 1))
        rest = max(limit - (time.perf_counter() - t0), 1.0)
        scenario = dataclasses.replace(scenario, solver=dataclasses.replace(scenario.solver, time_limit_s=rest))
        result = solve(yearly.with_yearly_bounds(model, bounds).as_planning_model(), scenario, start=start)
        bound = min(b for b in (result.bound, bounds.total) if b is not None)
    row.update(seconds=round(time.perf_counter() - t0, 1), objective=result.objective, bound=bound,
               gap=relative_gap(result.objective, bound), proven=result.proven_optimal,
               nodes=(result.extra or {}).get("nodes"),
               loadavg_before=[round(x, 2) for x in load_before],
               loadavg_after=[round(x, 2) for x in os.getloadavg()])
    return row


def main() -> None:
    """Run the arms in parallel (one process each) and print, or record, their rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument("--arm", choices=ARMS, help="run one arm in this process (used by the parallel run)")
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=["highs", "start"],
                        help="the arms run side by side (default: highs start)")
    parser.add_argument("--record", action="store_true", help="add the rows to benchmarks/phasing.json")
    args = parser.parse_args()
    if args.arm:
        print(json.dumps(run_arm(args.arm, args.limit)))
        return
    procs = [subprocess.Popen([sys.executable, __file__, "--arm", arm, "--limit", str(args.limit)],
                              stdout=subprocess.PIPE, text=True) for arm in args.arms]
    commit = head_commit(mark_dirty=False)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rows = []
    for proc in procs:
        out, _ = proc.communicate()
        row = json.loads(out.strip().splitlines()[-1])
        row.update(commit=commit, measured_utc=stamp, cores=os.cpu_count())
        rows.append(row)
        print(json.dumps(row))
    if args.record:
        path = REPO / "benchmarks" / "phasing.json"
        data = json.loads(path.read_text()) if path.exists() else {"runs": []}
        data["runs"].extend(rows)
        path.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
