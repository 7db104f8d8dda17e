"""Peer comparison: PySAL spopt's maximal covering (MCLP) against lifecircle on identical instances.

spopt is NOT a dependency of lifecircle. Install it in a separate environment for this
benchmark only, e.g.::

    python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install spopt
    .venv/bin/python benchmarks/peer_spopt.py --peer-python /tmp/peer-venv/bin/python

Each instance (random demand points with weights and candidate sites in a 10 km square,
a coverage radius and p sites) is written once to an ``.npz``; spopt
(``MCLP.from_cost_matrix`` + CBC through PuLP, its documented use) and lifecircle
(``optimizer.studies.plain_coverage``: sparse reach from a k-d tree, merged demand rows, HiGHS)
each solve it in a fresh process, timed end to end (reach/cost matrix, model, solve),
with their own peak memory. The objectives must be equal when both prove optimality.
Prints a table and writes ``benchmarks/results/peer-spopt-<UTC time>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

SPOPT_CHILD = r"""
import json, resource, sys, time
import numpy as np
t0 = time.perf_counter()
z = np.load(sys.argv[1])
import pulp
from scipy.spatial.distance import cdist
from spopt.locate import MCLP
cost = cdist(z["demand_xy"], z["site_xy"])
model = MCLP.from_cost_matrix(cost, z["weights"], service_radius=float(z["radius"]), p_facilities=int(z["p"]))
model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=float(sys.argv[2])))
status = pulp.LpStatus[model.problem.status]
# pulp says "Optimal" for a plan CBC found before its time limit too; only the solution status tells a proof
proven = model.problem.sol_status == pulp.constants.LpSolutionOptimal
chosen = [j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5]
covered = (cost[:, chosen] <= float(z["radius"])).any(axis=1) if chosen else np.zeros(len(cost), bool)
print(json.dumps({"seconds": time.perf_counter() - t0, "status": status if proven else "stopped",
                  "pulp_status": status, "proven": bool(proven),
                  "objective": float(z["weights"][covered].sum()), "sites": len(chosen),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

LIFECIRCLE_CHILD = r"""
import json, resource, sys, time
import numpy as np
t0 = time.perf_counter()
z = np.load(sys.argv[1])
from optimizer.studies.plain_coverage import CoverageProblem, reach_by_radius, solve_coverage_problem
from solvers.result import SolverOptions
reach = reach_by_radius(z["demand_xy"], z["site_xy"], float(z["radius"]))
n, m = reach.shape
problem = CoverageProblem(np.arange(n).astype(str), z["weights"].astype(float), np.arange(m).astype(str),
                          np.ones(m), reach, "max_covering", int(z["p"]))
sol = solve_coverage_problem(problem, sys.argv[3], SolverOptions(time_limit_s=float(sys.argv[2]), relative_gap=0.0))
print(json.dumps({"seconds": time.perf_counter() - t0, "status": sol.result.status.value,
                  "proven": sol.result.proven_optimal, "objective": sol.covered_weight, "bound": sol.result.bound,
                  "sites": int(len(sol.chosen)), "pairs": int(reach.nnz),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_instance(n: int, m: int, seed: int, folder: Path, side_m: float = 10_000.0, radius: float = 600.0,
                  share_p: float = 0.05) -> Path:
    """Random demand and sites in a square; weights 1-500; p = share_p x sites."""
    rng = np.random.default_rng(seed)
    path = folder / f"mclp-{n}x{m}-s{seed}.npz"
    np.savez(path, demand_xy=rng.uniform(0, side_m, (n, 2)), site_xy=rng.uniform(0, side_m, (m, 2)),
             weights=rng.integers(1, 500, n).astype(float), radius=radius, p=max(1, int(round(share_p * m))))
    return path


def _run(cmd: list[str], timeout: float) -> dict:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": timeout}
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"status": "failed", "error": tail[0][:300]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--peer-python", default="/tmp/peer-venv/bin/python", help="a Python with spopt installed")
    ap.add_argument("--sizes", default="1000x100,4000x400,10000x1000,20000x2000,50000x5000",
                    help="comma list of DEMANDxSITES")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=600.0, help="per tool and instance (s)")
    ap.add_argument("--solver", default="highs", help="lifecircle's backend")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    peer_ok = subprocess.run([args.peer_python, "-c", "import spopt"], capture_output=True).returncode == 0 \
        if Path(args.peer_python).exists() else False
    if not peer_ok:
        print(f"spopt is not importable with {args.peer_python}; install it in a separate environment "
              "(see this script's docstring). Running lifecircle alone.", file=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="lifecircle-peer-"))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"peer-spopt-{stamp}.json"
    header = (f"{'instance':<14}{'p':>5}{'pairs':>10} | {'spopt s':>9}{'MB':>7}{'status':>10}{'objective':>13} | "
              f"{'lifecircle s':>12}{'MB':>7}{'status':>9}{'objective':>13} | {'time x':>7}{'mem x':>7} equal")
    print(header)
    print("-" * len(header), flush=True)
    rows = []
    spopt_gave_up = False
    for size in args.sizes.split(","):
        n, m = (int(v) for v in size.lower().split("x"))
        inst = make_instance(n, m, args.seed, folder)
        p = max(1, int(round(0.05 * m)))
        ours = _run([sys.executable, "-c", LIFECIRCLE_CHILD, str(inst), str(args.time_limit), args.solver],
                    args.time_limit + 120)
        peer = {"status": "not run"}
        if peer_ok and not spopt_gave_up:
            peer = _run([args.peer_python, "-c", SPOPT_CHILD, str(inst), str(args.time_limit)], args.time_limit + 120)
            spopt_gave_up = peer.get("status") in ("timeout", "failed")
        both = bool(peer.get("proven")) and ours.get("proven")
        equal = both and abs(peer["objective"] - ours["objective"]) <= 1e-6 * max(1.0, ours["objective"])
        ratio_t = peer["seconds"] / ours["seconds"] if "objective" in peer and "seconds" in ours else None
        ratio_m = peer["peak_mb"] / ours["peak_mb"] if "peak_mb" in peer and "peak_mb" in ours else None
        row = {"instance": size, "demand": n, "sites": m, "p": p, "spopt": peer, "lifecircle": ours,
               "objectives_equal": equal if both else None, "time_ratio": ratio_t, "memory_ratio": ratio_m}
        rows.append(row)

        def cell(r: dict, key: str, fmt: str) -> str:
            return format(r[key], fmt) if key in r else "-"

        print(f"{size:<14}{p:>5}{cell(ours, 'pairs', ',d'):>10} | {cell(peer, 'seconds', '.1f'):>9}"
              f"{cell(peer, 'peak_mb', '.0f'):>7}{str(peer.get('status'))[:9]:>10}"
              f"{cell(peer, 'objective', ',.0f'):>13} | "
              f"{cell(ours, 'seconds', '.2f'):>12}{cell(ours, 'peak_mb', '.0f'):>7}{str(ours.get('status'))[:8]:>9}"
              f"{cell(ours, 'objective', ',.0f'):>13} | {format(ratio_t, '.1f') if ratio_t else '-':>7}"
              f"{format(ratio_m, '.1f') if ratio_m else '-':>7} {equal if both else '-'}", flush=True)
        path.write_text(json.dumps({"created_utc": stamp, "machine": {"cpus": os.cpu_count()},
                                    "args": vars(args), "results": rows}, indent=2, default=str), encoding="utf-8")
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
