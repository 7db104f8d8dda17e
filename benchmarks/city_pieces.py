"""City in pieces: the synthetic central city with per-district budgets, split and solved in parallel
(issue 6 item 4), against the same model solved as one.

Usage (from the repository root)::

    .venv/bin/python benchmarks/city_pieces.py                      # the whole city, --jobs 2
    .venv/bin/python benchmarks/city_pieces.py --city benchmarks/data/chongqing-city-seed2020-x0.05 \
        --budget-scale 0.05 --time-limit 120                          # the 5 % city, a quick look

The city budget (its scenario's ``budget.total``, 1,406 M yuan for the whole city) is divided
among the nine districts by their residents (the demand's ``district`` column), and the total
dropped: ``scenario-by-district.yaml`` is written beside the city's ``scenario.yaml`` (the data
folder is git-ignored, so this script makes it). Three measurements, each in a fresh process
with its own peak memory, sharing one reach cache:

- ``blocks``: the exact decomposition: how many independent blocks, and what links districts;
- ``by_district``: ``--split by_district`` with ``--jobs`` worker processes: lower and upper
  bounds, gap, wall time, peak memory (the parent's, and the largest worker's from its own
  ``VmHWM``: a spawned worker's ``ru_maxrss`` starts at its parent's);
- ``whole``: the same per-district budgets solved as one model;
- ``blocks_solve`` (with ``--runs``): the exact blocks solved with ``--jobs`` workers.

``os.getloadavg()`` is recorded before and after each (the machine is shared). Prints a table
and writes ``benchmarks/results/city-pieces-<UTC time>.json``.
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

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from optimizer.reach.cache import ReachCache
from optimizer.scenario import load_scenario
what, scenario_path, limit, jobs, cache = sys.argv[1:6]
t0 = time.perf_counter()
sc = load_scenario(Path(scenario_path), [f"solver.time_limit_s={limit}"])
out = {}
if what == "blocks":
    from optimizer.studies.city import decompose
    from optimizer.pipeline import prepare_model
    setup = prepare_model(sc, reach_cache=ReachCache(Path(cache)))
    t1 = time.perf_counter()
    d = decompose(setup, "blocks")
    out = {"decompose_s": round(time.perf_counter() - t1, 2), "pieces": len(d.pieces),
           "piece_names": [p.name for p in d.pieces], "notes": d.notes,
           "links": [{"rule": k.rule, "districts": list(k.districts), "rows": k.rows,
                      "demand_units": k.demand_units, "text": k.describe("en")} for k in d.links],
           "variables": setup.model.problem.n_cols, "rows": setup.model.problem.n_rows,
           "timings_s": setup.timings.seconds}
elif what in ("by_district", "blocks_solve"):
    from optimizer.studies.city import plan_city
    split = "blocks" if what == "blocks_solve" else what
    city = plan_city(sc, split, jobs=int(jobs), reach_cache=ReachCache(Path(cache)))
    r = city.run.result
    out = {"status": r.status.value, "proven": bool(r.proven_optimal), "lower": city.lower, "upper": city.upper,
           "gap": r.gap, "pieces": city.pieces.to_dict(orient="records"), "notes": city.decomposition.notes,
           "timings_s": city.run.timings.seconds, "check_passed": city.run.check.passed,
           "sites": len(city.run.plan.sites), "cost": float(city.run.plan.total_cost),
           "largest_worker_peak_mb": max((p["peak_mb"] or 0) for p in city.pieces.to_dict(orient="records"))}
else:
    from optimizer.pipeline import run_scenario
    run = run_scenario(sc, reach_cache=ReachCache(Path(cache)))
    r = run.result
    out = {"status": r.status.value, "proven": bool(r.proven_optimal), "objective": r.objective, "bound": r.bound,
           "gap": r.gap, "solve_s": round(r.solve_seconds, 1), "timings_s": run.timings.seconds,
           "check_passed": run.check.passed, "sites": len(run.plan.sites), "cost": float(run.plan.total_cost),
           "variables": run.model.stats["variables"], "rows": run.model.stats["rows"]}
out["total_s"] = round(time.perf_counter() - t0, 1)
out["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("RESULT " + json.dumps(out, ensure_ascii=False, default=str))
"""


def district_budgets(city: Path, scale: float) -> tuple[dict[str, float], float]:
    """The city budget (scenario ``budget.total`` x ``scale``) divided by residents per district."""
    import geopandas as gpd
    import yaml

    raw = yaml.safe_load((city / "scenario.yaml").read_text(encoding="utf-8"))
    total = float(raw["budget"]["total"]) * scale
    demand = gpd.read_file(city / "demand.gpkg", layer="demand", ignore_geometry=True)
    people = demand.groupby("district")["total"].sum()
    shares = people / people.sum()
    return {str(k): float(round(total * v, -3)) for k, v in shares.items()}, total


def write_scenario(city: Path, budgets: dict[str, float]) -> Path:
    """``scenario-by-district.yaml`` beside the city's scenario: the same, budgets per district."""
    lines = ["# Generated by benchmarks/city_pieces.py: the city budget divided among districts by residents.",
             "extends: scenario.yaml", "name: chongqing-city-by-district", "budget:", "  total: null",
             "  by_district:"]
    lines += [f"    {name}: {amount:.0f}" for name, amount in budgets.items()]
    path = city / "scenario-by-district.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_child(what: str, scenario: Path, limit: float, jobs: int, cache: Path) -> dict:
    load_before = os.getloadavg()
    proc = subprocess.run([sys.executable, "-c", CHILD, what, str(scenario), str(limit), str(jobs), str(cache)],
                          cwd=REPO, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    out = json.loads(line[7:]) if line else {"error": proc.stderr[-3000:], "returncode": proc.returncode}
    out["loadavg_before"] = [round(v, 2) for v in load_before]
    out["loadavg_after"] = [round(v, 2) for v in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--city", type=Path, default=CITY, help="generated city folder (with scenario.yaml)")
    ap.add_argument("--budget-scale", type=float, default=1.0, help="multiple of the scenario's city budget")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds per piece, and for the whole model")
    ap.add_argument("--runs", default="blocks,by_district,whole",
                    help="comma-separated: blocks (find them), by_district, whole, blocks_solve")
    args = ap.parse_args(argv)
    city = args.city.resolve()
    if not (city / "scenario.yaml").exists():
        print(f"{city} has no scenario.yaml: generate it with .venv/bin/python -m dataset_builders.chongqing_city "
              f"--seed 2020 --out {city}", file=sys.stderr)
        return 2
    budgets, total = district_budgets(city, args.budget_scale)
    scenario = write_scenario(city, budgets)
    cache = city / ".reach-cache"
    record = {"created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
              "city": str(city.relative_to(REPO)) if city.is_relative_to(REPO) else str(city),
              "city_budget": total, "budget_by_district": budgets, "jobs": args.jobs,
              "time_limit_s": args.time_limit, "loadavg_start": [round(v, 2) for v in os.getloadavg()]}
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    for what in runs:
        print(f"{what} ...", file=sys.stderr, flush=True)
        record[what] = run_child(what, scenario, args.time_limit, args.jobs, cache)
        if "error" in record[what]:
            print(record[what]["error"], file=sys.stderr)
    b, w = record.get("blocks", {}), record.get("whole", {})
    print(f"\ncity {record['city']}: budget {total:,.0f} yuan by district ({len(budgets)} districts), "
          f"jobs {args.jobs}, limit {args.time_limit:g} s")
    if "pieces" in b:
        print(f"blocks: {b['pieces']} piece(s) {b['piece_names']}; model {b['variables']:,} variables, "
              f"{b['rows']:,} rows; decompose {b['decompose_s']} s")
    for link in b.get("links", [])[:12]:
        print(f"  link: {link['text']}")
    print(f"\n{'run':<14}{'status':<10}{'lower':>14}{'upper':>14}{'gap':>9}{'wall s':>9}{'peak MB':>9}"
          f"{'worker MB':>10}")
    for name in ("by_district", "blocks_solve"):
        s = record.get(name, {})
        if "lower" in s:
            print(f"{name:<14}{s['status']:<10}{s['lower']:>14,.1f}{s['upper']:>14,.1f}{s['gap']:>9.4%}"
                  f"{s['total_s']:>9.1f}{s['peak_mb']:>9,}{s['largest_worker_peak_mb']:>10,.0f}")
    if "objective" in w:
        print(f"{'whole':<14}{w['status']:<10}{w['objective']:>14,.1f}{w['bound']:>14,.1f}{w['gap']:>9.4%}"
              f"{w['total_s']:>9.1f}{w['peak_mb']:>9,}{'-':>10}")
    for name in ("by_district", "blocks_solve"):
        s = record.get(name, {})
        if "pieces" not in s:
            continue
        print(f"\n{name}\n{'piece':<12}{'sites':>7}{'units':>8}{'status':>10}{'objective':>14}{'bound':>14}{'s':>8}"
              f"{'MB':>7}")
        for p in s["pieces"]:
            bound = p["bound"] if p["bound"] is not None else float("nan")
            print(f"{p['name']:<12}{p['sites']:>7,}{p['demand_units']:>8,}{p['status']:>10}{p['objective']:>14,.1f}"
                  f"{bound:>14,.1f}{p['seconds']:>8.1f}{p['peak_mb'] or 0:>7,.0f}")
    out = REPO / "benchmarks" / "results" / f"city-pieces-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
