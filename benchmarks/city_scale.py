"""City scale: the synthetic central city solved at several budgets (issue 5 item 6).

Usage (from the repository root)::

    .venv/bin/python benchmarks/city_scale.py                         # budgets 0.5x, 1x, 2x
    .venv/bin/python benchmarks/city_scale.py --budgets 1 --gap 0     # prove the 1x optimum exactly

The instance is the SYNTHETIC central city of ``dataset_builders.chongqing_city`` (915 life
circles, 100,000 demand units, 10,000 candidate sites, 4 functions; seed 2020), generated into
``benchmarks/data/chongqing-city-seed2020-x1/`` (git-ignored, ~45 s) when missing. Its
scenario spends the demo's budget per resident (1,406 M yuan for 10.3 M residents); this
script solves it at multiples of that budget, each in a fresh process with its own peak
memory, sharing one reach cache (reach is computed by the first run and reported
separately). Target: a proven gap of at most 0.5 % within 10 minutes and 8 GB per run.

Prints a table and writes ``benchmarks/results/city-scale-<UTC time>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CITY = REPO / "benchmarks" / "data" / "chongqing-city-seed2020-x1"
CITY_BUDGET = 1_406_000_000

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from optimizer.pipeline import run_scenario
from optimizer.reach.cache import ReachCache
from optimizer.scenario import load_scenario
scenario_path, budget, solver, limit, gap, cache = sys.argv[1:7]
t0 = time.perf_counter()
sc = load_scenario(Path(scenario_path), [f"budget.total={budget}", f"solver.name={solver}",
                                         f"solver.time_limit_s={limit}", f"solver.relative_gap={gap}"])
run = run_scenario(sc, reach_cache=ReachCache(Path(cache)))
r = run.result
print(json.dumps({"status": r.status.value, "proven": bool(r.proven_optimal), "objective": r.objective,
                  "bound": r.bound, "gap": r.gap, "solve_s": round(r.solve_seconds, 1),
                  "timings_s": run.timings.seconds, "total_s": round(time.perf_counter() - t0, 1),
                  "sites": int(len(run.plan.sites)) if hasattr(run.plan, "sites") else None,
                  "cost": float(run.plan.total_cost) if hasattr(run.plan, "total_cost") else None,
                  "variables": run.model.stats["variables"], "rows": run.model.stats["rows"],
                  "nonzeros": run.model.stats["nonzeros"], "check_passed": run.check.passed,
                  "peak_mb": round(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                       r.extra.get("child_peak_kb", 0)) / 1024)}))  # the solver's child too
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budgets", default="0.5,1,2", help="multiples of the city budget (1,406 M yuan)")
    ap.add_argument("--solver", default="highs")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--gap", type=float, default=0.005, help="relative gap at which the solver may stop")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    if not (CITY / "scenario.yaml").exists():
        print(f"generating the synthetic city into {CITY} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "dataset_builders.chongqing_city", "--out", str(CITY)],
                       check=True, cwd=REPO)
    cache = CITY / ".reach-cache"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"city-scale-{stamp}.json"
    rows = []
    header = (f"{'budget M':>9}{'status':>10}{'objective':>14}{'bound':>14}{'gap':>8}{'sites':>7}"
              f"{'reach s':>8}{'build s':>8}{'solve s':>8}{'total s':>8}{'MB':>7}{'load':>6}{'check':>7}")
    print(header)
    print("-" * len(header), flush=True)
    for mult in (float(b) for b in args.budgets.split(",")):
        budget = int(round(CITY_BUDGET * mult))
        load = os.getloadavg()[0]
        out = subprocess.run([sys.executable, "-c", CHILD, str(CITY / "scenario.yaml"), str(budget), args.solver,
                              str(args.time_limit), str(args.gap), str(cache)],
                             capture_output=True, text=True, cwd=REPO)
        if out.returncode != 0:
            r = {"status": "failed", "error": (out.stderr.strip().splitlines() or [""])[-1][:300]}
        else:
            r = json.loads(out.stdout.strip().splitlines()[-1])
        r.update({"budget_multiple": mult, "budget": budget, "load_before": round(load, 2)})
        rows.append(r)
        if r["status"] == "failed":
            print(f"{budget / 1e6:>9,.0f}    failed: {r['error']}", flush=True)
        else:
            t = r["timings_s"]
            gap = "n/a" if r["gap"] is None else f"{r['gap']:.3%}"
            print(f"{budget / 1e6:>9,.0f}{r['status']:>10}{r['objective']:>14,.1f}{r['bound']:>14,.1f}{gap:>8}"
                  f"{r['sites'] or 0:>7}{t.get('reach', 0):>8.1f}{t.get('build', 0):>8.1f}{r['solve_s']:>8.1f}"
                  f"{r['total_s']:>8.1f}{r['peak_mb']:>7}{load:>6.1f}{'yes' if r['check_passed'] else 'NO':>7}",
                  flush=True)
        path.write_text(json.dumps({"created_utc": stamp, "machine": {"cpus": os.cpu_count(),
                                    "python": platform.python_version()}, "args": vars(args), "results": rows},
                                   indent=2, default=str), encoding="utf-8")
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
