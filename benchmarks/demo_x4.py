"""Benchmark: the demo at 4x (issue 18's "proven optimal in at most 120 s"), HiGHS variants side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/demo_x4.py                          # every variant at 120 s
    .venv/bin/python benchmarks/demo_x4.py --variants default,no-probing --limit 120 --record
    .venv/bin/python benchmarks/demo_x4.py --lp ipx,simplex         # the LP relaxation alone, per LP solver

The case is ``benchmarks/time_limits.py --case demo-x4``: the demo district generated at 4x
(``yuzhong.generate(seed=2020, scale=4)``: demand, sites and budget, 320 M yuan), coverage
mode, objective ``share``. Its model is built once; each variant is one
:func:`optimizer.solving.solve` (greedy start, the solve in a child process, as in a run) at
the same limit, one after the other, so that the variants of one run share the machine's
load. Each row keeps the wall time, the termination, the plan's value and the bound, where
HiGHS's time went (presolve seconds, seconds at its first branch-and-bound log line, nodes,
from its log), the git commit and ``os.getloadavg()`` before and after: the machine is shared,
so read every figure with its load. ``--lp`` solves the LP relaxation alone (no presolve of the
MIP) with each LP solver named, to see what the root costs. ``--record`` writes
``benchmarks/demo_x4.json`` (rows of earlier runs kept) and ``benchmarks/demo_x4.md``.
Speed targets live here, never in tests.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from provenance import head_commit  # noqa: E402

#: Variant -> (HiGHS options set on top of lifecircle's, seconds of local search for the greedy start
#: or ``None`` for the start a run uses: the greedy without local search).
VARIANTS: dict[str, tuple[dict[str, Any], float | None]] = {
    "default": ({}, None),
    "start-local-search-10s": ({}, 10.0),
    "no-probing": ({"presolve_rule_off": 2 ** 15}, None),
    "root-lp-ipm": ({"mip_lp_solver": "ipm"}, None),
    "no-restart": ({"mip_allow_restart": False}, None),
    "no-sub-mip-heuristics": ({"mip_heuristic_effort": 0.0, "mip_heuristic_run_rens": False,
                               "mip_heuristic_run_rins": False}, None),
}
JSON = REPO / "benchmarks" / "demo_x4.json"
MD = REPO / "benchmarks" / "demo_x4.md"


def highs_phases(log: str) -> dict[str, float | int | None]:
    """Where a HiGHS MIP run's time went, read from its log.

    Returns
    -------
    dict
        ``presolve_s`` (HiGHS's presolve, from its timing report), ``first_bb_line_s`` (the time
        on its first branch-and-bound line: presolve, symmetry and setup done), ``last_bb_line_s``
        and ``lp_iterations_at_last_line``; ``None`` where the log does not say.
    """
    presolve = re.search(r"^\s*([\d.]+) \(Presolve\)", log, re.M)
    bb = re.findall(r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%.*?(\d+)\s+([\d.]+)s\s*$", log, re.M)
    return {"presolve_s": float(presolve.group(1)) if presolve else None,
            "first_bb_line_s": float(bb[0][1]) if bb else None,
            "last_bb_line_s": float(bb[-1][1]) if bb else None,
            "lp_iterations_at_last_line": int(bb[-1][0]) if bb else None}


def measure(variants: list[str], limit: float) -> list[dict]:
    """One row per variant on the 4x demo's model (built once), one after the other."""
    import time_limits

    from optimizer import greedy
    from optimizer.pipeline import prepare_model
    from optimizer.solving import solve
    from solvers.highs import HighsBackend

    setup = prepare_model(time_limits._scenario("demo-x4"))
    stats = setup.model.stats
    commit = head_commit()
    rows = []
    default_search = greedy.WARM_START_LOCAL_SEARCH_S
    for name in variants:
        tuning, search = VARIANTS[name]
        solver = dataclasses.replace(setup.scenario.solver, name="highs", time_limit_s=limit,
                                     warm_start="greedy" if search else setup.scenario.solver.warm_start)
        HighsBackend.tuning = dict(tuning)
        greedy.WARM_START_LOCAL_SEARCH_S = search or default_search
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        try:
            r = solve(setup.model, dataclasses.replace(setup.scenario, solver=solver))
        finally:
            HighsBackend.tuning = {}
            greedy.WARM_START_LOCAL_SEARCH_S = default_search
        wall = time.perf_counter() - t0
        rows.append({"case": "demo-x4", "variant": name, "solver": "highs", "highs_options": tuning,
                     "start_local_search_s": search, "limit_s": limit, "wall_s": round(wall, 1),
                     "termination": r.termination.value, "proven_optimal": r.proven_optimal,
                     "objective": r.objective, "bound": r.bound, "gap": r.gap, "nodes": r.extra.get("nodes"),
                     **highs_phases(r.log or ""), "variables": stats["variables"], "rows": stats["rows"],
                     "nonzeros": stats["nonzeros"], "commit": commit,
                     "measured_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def measure_lp(lp_solvers: list[str], limit: float) -> list[dict]:
    """One row per LP solver: the 4x demo's LP relaxation (HiGHS ``solver`` option), its value and seconds."""
    import dataclasses as dc

    import numpy as np
    import time_limits

    from optimizer.pipeline import prepare_model
    from solvers.highs import HighsBackend
    from solvers.result import SolverOptions

    problem = prepare_model(time_limits._scenario("demo-x4")).model.problem
    relaxed = dc.replace(problem, integrality=np.zeros(problem.n_cols, dtype=bool), start=None)
    backend = HighsBackend()
    commit = head_commit()
    rows = []
    for lp_solver in lp_solvers:
        HighsBackend.tuning = {"solver": lp_solver}
        load_before = os.getloadavg()[0]
        try:
            r = backend.solve(relaxed, SolverOptions(time_limit_s=limit))
        finally:
            HighsBackend.tuning = {}
        rows.append({"case": "demo-x4 LP relaxation", "variant": f"lp-{lp_solver}", "solver": "highs",
                     "highs_options": {"solver": lp_solver}, "limit_s": limit, "wall_s": round(r.solve_seconds, 1),
                     "termination": r.termination.value, "objective": r.objective, "bound": r.bound,
                     "commit": commit,
                     "measured_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _figure(value: float | None, digits: int = 2) -> str:
    return "none" if value is None else f"{value:.{digits}f}"


def _markdown(record: dict) -> str:
    lines = ["# The demo at 4x (`benchmarks/demo_x4.py`)", "",
             f"On {record['cores']} shared cores, Python {record['python']}. Case: the demo generated at 4x "
             "(demand, sites, budget 320 M yuan), coverage mode, objective `share`; "
             "wall time from the call of `optimizer.solving.solve` (greedy start included, HiGHS in a child "
             "process); presolve and first B&B line from HiGHS's log; load is `os.getloadavg()` (1 min) before -> "
             "after. Issue 18's target: proven optimal in at most 120 s.", "",
             "| measured (UTC) | commit | variant | limit s | wall s | termination | objective | bound | gap "
             "| presolve s | first B&B line s | nodes | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in record["rows"]:
        gap = "none" if r.get("gap") is None else f"{100 * r['gap']:.2f} %"
        lines.append(f"| {r['measured_utc']} | {r['commit']} | {r['variant']} | {r['limit_s']:g} | {r['wall_s']:.1f} "
                     f"| {r['termination']} | {_figure(r['objective'])} | {_figure(r['bound'])} | {gap} "
                     f"| {_figure(r.get('presolve_s'), 1)} | {_figure(r.get('first_bb_line_s'), 1)} "
                     f"| {'-' if r.get('nodes') is None else r['nodes']} "
                     f"| {r['loadavg_before']:.2f} -> {r['loadavg_after']:.2f} |")
    lines += ["", "Variants: " + "; ".join(f"`{k}`: HiGHS options {v[0] or 'none'}, start "
                                            + ("greedy" if v[1] is None else f"greedy + {v[1]:g} s local search")
                                            for k, v in VARIANTS.items()) + ".",
              "`lp-*` rows: the LP relaxation alone with that HiGHS LP solver (its value is the LP bound when "
              "optimal).", ""]
    if record.get("notes"):
        lines += record["notes"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help="Comma list of: " + ", ".join(VARIANTS))
    parser.add_argument("--limit", type=float, default=120.0, help="Time limit of each solve (s).")
    parser.add_argument("--lp", default="", help="Comma list of HiGHS LP solvers (simplex, ipx, ...) for the LP "
                                                 "relaxation alone; then no MIP variant runs.")
    parser.add_argument("--record", action="store_true",
                        help="Add the rows to benchmarks/demo_x4.json and rewrite benchmarks/demo_x4.md.")
    args = parser.parse_args(argv)
    if args.lp:
        rows = measure_lp([s for s in args.lp.split(",") if s], args.limit)
    else:
        unknown = [v for v in args.variants.split(",") if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variants: {', '.join(unknown)}")
        rows = measure([v for v in args.variants.split(",") if v], args.limit)
    if args.record:
        old = json.loads(JSON.read_text(encoding="utf-8")) if JSON.exists() else {}
        record = {"cores": os.cpu_count(), "python": platform.python_version(),
                  "notes": old.get("notes", []), "rows": old.get("rows", []) + rows}
        JSON.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        MD.write_text(_markdown(record), encoding="utf-8")
        print(f"recorded in {JSON.relative_to(REPO)} and {MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
