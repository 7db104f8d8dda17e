"""Solver x problem size: the table behind ``solver: auto``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/solver_table.py                      # everything, 120 s limit
    .venv/bin/python benchmarks/solver_table.py --plain 1000x100,4000x400 --planning demo
    .venv/bin/python benchmarks/solver_table.py --solvers highs,scip --time-limit 300

Two kinds of problem, each solved by every exact backend in a fresh process (so peak
memory is its own), with the same time limit and a relative gap of 0:

- **plain maximal covering** (``lifecircle cover``'s model): random demand points (weights
  1-499) and candidate sites in a 10 km square, radius 600 m, p = 5 % of the sites, seed 1
  (the instances of ``benchmarks/peer_spopt.py``); timed end to end (reach, model, solve);
- **planning models** (``lifecircle solve``'s model): the shipped Yuzhong demo, the same
  district generated at 2x and 4x (``benchmarks/run.py``'s scaled case: 2x / 4x demand,
  sites and budget), and the capacitated what-if (CP-SAT refuses it: continuous sizes).

A cell reads ``seconds`` when the optimum was proven (bound met the value), else the gap at
the limit. Prints the table and writes ``benchmarks/results/solver-table-<UTC time>.json``
with every figure (status, objective, bound, gap, seconds, peak MB) and the load average
seen before each run, since this machine has 2 cores and may be shared.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from solvers import SOLVERS

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from peer_spopt import LIFECIRCLE_CHILD, make_instance  # noqa: E402

PLANNING_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[4])
from run import _one
from pathlib import Path
case, scale = sys.argv[1].split(":") if ":" in sys.argv[1] else (sys.argv[1], "1")
r = _one(case, int(scale), sys.argv[2], True, float(sys.argv[3]), Path(sys.argv[5]))
print(json.dumps({"seconds": r["pipeline_s"], "solve_s": r["solve_s"], "status": r["status"],
                  "proven": r["status"] == "optimal", "objective": r["objective"], "bound": r["bound"],
                  "gap": r["gap"], "variables": r["variables"], "rows": r["rows"], "peak_mb": r["peak_rss_mb"],
                  "check_passed": r["check_passed"]}))
"""

PLANNING_CASES = {"demo": "demo:1", "demo-x2": "scaled:2", "demo-x4": "scaled:4", "capacitated": "capacitated:1"}


def _run(cmd: list[str], timeout: float) -> dict:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "seconds": timeout}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["(no message)"])[-1]
        return {"status": "failed", "error": tail[:300]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def cell(r: dict) -> str:
    """``12.3`` when proven, ``gap 4.1%`` when stopped with a plan, else the status."""
    if r.get("proven"):
        return f"{r['seconds']:.1f}"
    if r.get("gap") is not None and r.get("objective") is not None:
        gap = r["gap"]
        return f"gap {gap:.1%}" if gap == gap and gap < 10 else "no bound"
    if r.get("status") in ("failed", "killed"):
        return r["status"]
    if r.get("objective") is not None and r.get("bound") is not None:
        b, o = r["bound"], r["objective"]
        return f"gap {abs(b - o) / max(abs(b), 1e-9):.1%}"
    return str(r.get("status"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plain", default="1000x100,4000x400,10000x1000,20000x2000",
                    help="comma list of DEMANDxSITES plain maximal covering instances ('' for none)")
    ap.add_argument("--planning", default="demo,demo-x2,demo-x4,capacitated",
                    help=f"comma list of {', '.join(PLANNING_CASES)} ('' for none)")
    ap.add_argument("--solvers", default="highs,cbc,scip,cpsat")
    ap.add_argument("--time-limit", type=float, default=120.0, help="per solver and instance (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    solvers = [s for s in args.solvers.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="lifecircle-solver-table-"))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"solver-table-{stamp}.json"
    jobs: list[tuple[str, str, list[str]]] = []
    for size in filter(None, args.plain.split(",")):
        n, m = (int(v) for v in size.lower().split("x"))
        inst = make_instance(n, m, args.seed, work)
        for s in solvers:
            jobs.append((f"cover {size}", s, [sys.executable, "-c", LIFECIRCLE_CHILD, str(inst),
                                              str(args.time_limit), s]))
    for case in filter(None, args.planning.split(",")):
        for s in solvers:
            if case == "capacitated" and not SOLVERS[s].capabilities.supports_continuous:
                continue  # refused by design (CP-SAT): continuous facility sizes
            jobs.append((f"plan {case}", s, [sys.executable, "-c", PLANNING_CHILD, PLANNING_CASES[case], s,
                                             str(args.time_limit), str(REPO / "benchmarks"), str(work)]))
    rows: list[dict] = []
    for instance, solver, cmd in jobs:
        load = os.getloadavg()[0]
        print(f"{instance:<20} {solver:<6} ...", end=" ", file=sys.stderr, flush=True)
        r = _run(cmd, args.time_limit * 3 + 300)
        r.update({"instance": instance, "solver": solver, "load_before": round(load, 2)})
        rows.append(r)
        print(cell(r), file=sys.stderr, flush=True)
        path.write_text(json.dumps({"created_utc": stamp, "machine": {"cpus": os.cpu_count(),
                                    "python": platform.python_version()}, "args": vars(args), "results": rows},
                                   indent=2, default=str), encoding="utf-8")
    instances = list(dict.fromkeys(r["instance"] for r in rows))
    header = f"{'instance':<22}" + "".join(f"{s:>12}" for s in solvers)
    print(f"\nseconds to a proven optimum (else the gap at {args.time_limit:.0f} s)\n" + header)
    print("-" * len(header))
    for inst in instances:
        by = {r["solver"]: r for r in rows if r["instance"] == inst}
        print(f"{inst:<22}" + "".join(f"{cell(by[s]) if s in by else 'refused':>12}" for s in solvers))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
