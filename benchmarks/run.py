"""Benchmark: reach, build and solve times, model sizes, memory; with and without demand merging.

Usage (from the repository root)::

    .venv/bin/python benchmarks/run.py                       # demo, its rule what-ifs, 4x synthetic
    .venv/bin/python benchmarks/run.py --cases capacitated   # scenarios/yuzhong-demo-capacitated.yaml
    .venv/bin/python benchmarks/run.py --cases demo --solvers highs,cbc
    .venv/bin/python benchmarks/run.py --scale 8 --time-limit 300

Each case runs in a fresh subprocess so that peak memory is its own. Prints a table and
writes ``benchmarks/results/<UTC time>.json``. Speed targets live here, never in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "yuzhong-demo.yaml"


def _one(case: str, scale: int, solver: str, aggregate: bool, time_limit: float, workdir: Path) -> dict:
    """Run one case in this process and return its figures."""
    from optimizer.pipeline import run_scenario
    from optimizer.scenario import load_scenario

    sets = [f"solver.name={solver}", f"solver.time_limit_s={time_limit}",
            f"model.aggregate_demand={'true' if aggregate else 'false'}"]
    t_gen = 0.0
    what_if = REPO / "scenarios" / f"yuzhong-demo-{case}.yaml"
    if case == "demo":
        scenario = load_scenario(DEMO, sets)
    elif what_if.exists():
        scenario = load_scenario(what_if, sets)
    else:
        from dataset_builders import yuzhong

        folder = workdir / f"yuzhong-x{scale}"
        t0 = time.perf_counter()
        if not (folder / "demand.gpkg").exists():
            yuzhong.write(yuzhong.generate(seed=2020, scale=scale), folder)
        t_gen = time.perf_counter() - t0
        sets += [f"inputs.{t}.path={folder / (t + '.gpkg')}" for t in ("demand", "sites", "facilities", "network")]
        sets += [f"budget.total={80_000_000 * scale}"]
        scenario = load_scenario(DEMO, sets)
    t0 = time.perf_counter()
    run = run_scenario(scenario)
    wall = time.perf_counter() - t0
    r = run.result
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "case": f"yuzhong-x{scale}" if case == "scaled" else case, "solver": solver, "aggregate_demand": aggregate,
        "mode": run.model.mode, "objective_kind": run.model.objective,
        "assignment_variables": run.model.stats.get("assignment_variables", 0),
        "strengthening": run.model.stats.get("strengthening"),
        "demand_units": len(run.inputs.demand), "sites": len(run.inputs.sites),
        "reach_pairs": run.reach_sites.n_pairs, "generate_s": round(t_gen, 2),
        "timings_s": run.timings.seconds, "pipeline_s": round(wall, 2),
        "variables": run.model.stats["variables"], "integer_variables": run.model.stats["integer_variables"],
        "rows": run.model.stats["rows"], "nonzeros": run.model.stats["nonzeros"],
        "coverage_rows": sum(run.model.stats["coverage_rows"].values()),
        "units_considered": sum(run.model.stats["units_considered"].values()),
        "status": r.status.value, "termination": r.termination.value,
        "objective": r.objective, "bound": r.bound, "gap": r.gap,
        "solve_s": round(r.solve_seconds, 2), "check_passed": run.check.passed,
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def _print_row(r: dict) -> None:
    if r.get("status") == "crashed":
        print(f"{r['case'][:13]:<14}{r['solver']:<7}{str(r['aggregate_demand']):<6} crashed", flush=True)
        return
    t = r["timings_s"]
    gap = "n/a" if r["gap"] is None else f"{r['gap']:.2%}"
    print(f"{r['case'][:13]:<14}{r['solver']:<7}{'yes' if r['aggregate_demand'] else 'no':<6}{r['demand_units']:>7}"
          f"{r['sites']:>6}{r['reach_pairs']:>9}{t['reach']:>8.2f}{t['build']:>8.2f}{t['solve']:>8.2f}"
          f"{r['pipeline_s']:>8.2f}{r['variables']:>8}{r['rows']:>8}{r['coverage_rows']:>9}{r['nonzeros']:>9}"
          f"{r['status']:>10}{gap:>9}{r['peak_rss_mb']:>7.0f}", flush=True)


def _save(path: Path, stamp: str, args: argparse.Namespace, rows: list[dict]) -> None:
    """Write everything measured so far (a killed benchmark keeps its finished cases)."""
    path.write_text(json.dumps({"created_utc": stamp, "machine": {"cpus": os.cpu_count(),
                                "python": platform.python_version(), "platform": platform.platform()},
                                "args": {k: v for k, v in vars(args).items() if not k.startswith("_")},
                                "results": rows}, indent=2), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", default="demo,capacitated,not-built-separately,requirements,least-cost,scaled",
                    help="comma list of: demo, scaled, or NAME for scenarios/yuzhong-demo-NAME.yaml")
    ap.add_argument("--scale", type=int, default=4, help="size multiple of the scaled synthetic case")
    ap.add_argument("--solvers", default="highs", help="comma list of solver backends")
    ap.add_argument("--time-limit", type=float, default=300.0, help="solver time limit per case (s)")
    ap.add_argument("--no-compare-aggregation", action="store_true",
                    help="skip the runs without demand merging")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args._child:  # one case in a fresh process
        case, scale, solver, aggregate, workdir = args._child.split("|")
        print(json.dumps(_one(case, int(scale), solver, aggregate == "1", args.time_limit, Path(workdir))))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="lifecircle-bench-"))
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stamp}.json"
    header = (f"{'case':<14}{'solver':<7}{'merge':<6}{'units':>7}{'sites':>6}{'pairs':>9}{'reach s':>8}"
              f"{'build s':>8}{'solve s':>8}{'total s':>8}{'vars':>8}{'rows':>8}{'cov rows':>9}{'nnz':>9}"
              f"{'status':>10}{'gap':>9}{'MB':>7}")
    print(header)
    print("-" * len(header), flush=True)
    rows = []
    for case in args.cases.split(","):
        for solver in args.solvers.split(","):
            compare = not args.no_compare_aggregation and case in ("demo", "scaled")
            for aggregate in ([True, False] if compare else [True]):
                spec = f"{case}|{args.scale}|{solver}|{1 if aggregate else 0}|{workdir}"
                print(f"running {case} ({'x' + str(args.scale) if case == 'scaled' else 'shipped'}), {solver}, "
                      f"merge demand: {aggregate} ...", file=sys.stderr, flush=True)
                out = subprocess.run([sys.executable, __file__, "--_child", spec, "--time-limit",
                                      str(args.time_limit)], capture_output=True, text=True, cwd=REPO)
                if out.returncode != 0:
                    print(out.stderr[-3000:], file=sys.stderr)
                    rows.append({"case": case, "solver": solver, "aggregate_demand": aggregate, "status": "crashed"})
                    _print_row(rows[-1])
                    _save(path, stamp, args, rows)
                    continue
                rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
                _print_row(rows[-1])
                _save(path, stamp, args, rows)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
