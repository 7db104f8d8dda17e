"""Benchmark: the fixed cost of one run (read, validate, plan, check, write), this checkout against another.

Usage (from the repository root)::

    .venv/bin/python benchmarks/run_fixed_cost.py --other ../main                 # tiny run, 4 rounds
    .venv/bin/python benchmarks/run_fixed_cost.py --other ../main --demo 4        # also the demo's command
    .venv/bin/python benchmarks/run_fixed_cost.py --other ../main --demo 4 --record

Two cases, each in fresh processes that alternate between the two checkouts (``PYTHONPATH``
set to each), so both see the same load:

- ``tiny``: the two-unit, two-site district of ``tests/batch_scenarios.py`` read
  (``load_scenario``), planned (``run_scenario``: validate, reach, build, solve, plan, check)
  and written (``write_run``) five times in one process after one warm-up run; the medians
  of wall and CPU seconds per step.
- ``demo``: ``lifecircle -v solve scenarios/yuzhong-demo.yaml`` (this checkout's scenario for
  both, so both read the same files), timed from outside; the reach cache is warmed first.

``os.getloadavg()`` is recorded before and after each process: on a shared machine read the
seconds with the load. Prints one line per process; ``--record`` writes
``benchmarks/run_fixed_cost.json``. Speed targets live here, never in tests.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from provenance import head_commit  # noqa: E402

#: one tiny run, five times after a warm-up: median seconds per step, printed as JSON
_TINY = """
import json, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from batch_scenarios import write_tiny_district
from optimizer.outputs.writers import write_run
from optimizer.pipeline import run_scenario
from optimizer.scenario import load_scenario
tmp = Path(tempfile.mkdtemp())
scenario = write_tiny_district(tmp)
def once(i):
    t0, c0 = time.perf_counter(), time.process_time(); sc = load_scenario(str(scenario), [])
    t1, c1 = time.perf_counter(), time.process_time(); run = run_scenario(sc)
    t2, c2 = time.perf_counter(), time.process_time(); write_run(run, tmp / "out", run_id=f"r{{i}}")
    t3, c3 = time.perf_counter(), time.process_time()
    return {{"read_s": t1 - t0, "plan_s": t2 - t1, "write_s": t3 - t2, "plan_cpu_s": c2 - c1, "write_cpu_s": c3 - c2}}
once(0)
runs = [once(i + 1) for i in range({repeat})]
print(json.dumps({{k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}}))
"""


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def tiny_case(checkout: Path, repeat: int) -> dict:
    """One process timing the tiny run ``repeat`` times in ``checkout``."""
    before = _load()
    done = subprocess.run([sys.executable, "-c", _TINY.format(tests=str(REPO / "tests"), repeat=repeat)],
                          cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONPATH": str(checkout)},
                          capture_output=True, text=True, check=True)
    return {**json.loads(done.stdout.splitlines()[-1]), "loadavg_before": before, "loadavg_after": _load()}


def demo_case(checkout: Path, out: Path) -> dict:
    """``lifecircle -v solve`` of the demo in ``checkout``, timed from outside."""
    before = _load()
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "optimizer.cli", "-v", "solve",
                           str(REPO / "scenarios" / "yuzhong-demo.yaml"), "--out", str(out)],
                          cwd=tempfile.gettempdir(), env={**os.environ, "PYTHONPATH": str(checkout)},
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"the demo failed in {checkout}: {done.stderr[-2000:]}")
    solve = [ln for ln in done.stderr.splitlines() if "solve done in" in ln]
    return {"wall_s": round(wall, 2), "solve_log": solve[-1].split("INFO")[-1].strip() if solve else None,
            "loadavg_before": before, "loadavg_after": _load()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="another checkout of the repository")
    parser.add_argument("--rounds", type=int, default=4, help="tiny: processes per checkout")
    parser.add_argument("--repeat", type=int, default=5, help="tiny: runs per process")
    parser.add_argument("--demo", type=int, default=0, help="demo: runs per checkout (0: none)")
    parser.add_argument("--record", action="store_true", help="write benchmarks/run_fixed_cost.json")
    args = parser.parse_args()
    trees = {"this": REPO, "other": args.other.resolve()}
    result: dict = {"created_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "trees": {k: str(v) for k, v in trees.items()},
                    "commits": {k: head_commit(repo=v) for k, v in trees.items()}, "tiny": [], "demo": []}
    for i in range(args.rounds):
        for label in ("other", "this"):
            row = {"tree": label, "round": i + 1, **tiny_case(trees[label], args.repeat)}
            print(json.dumps(row), flush=True)
            result["tiny"].append(row)
    if args.demo:
        out = Path(tempfile.mkdtemp())
        demo_case(REPO, out)  # warms the reach cache both then read
        for i in range(args.demo):
            for label in ("other", "this"):
                row = {"tree": label, "round": i + 1, **demo_case(trees[label], out)}
                print(json.dumps(row), flush=True)
                result["demo"].append(row)
    for case, key in (("tiny", "write_s"), ("tiny", "plan_cpu_s"), ("demo", "wall_s")):
        for label in ("other", "this"):
            values = [r[key] for r in result[case] if r["tree"] == label]
            if values:
                print(f"{case} {key} {label}: median {statistics.median(values):.3f} of {len(values)}")
    if args.record:
        (REPO / "benchmarks" / "run_fixed_cost.json").write_text(json.dumps(result, indent=2) + "\n",
                                                                 encoding="utf-8")


if __name__ == "__main__":
    main()
