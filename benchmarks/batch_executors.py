"""Benchmark: one batch of what-ifs on local processes and on a Dask LocalCluster; same answers, times.

Usage (from the repository root)::

    .venv/bin/python benchmarks/batch_executors.py                  # the 22 demo what-ifs, 2 at a time
    .venv/bin/python benchmarks/batch_executors.py --jobs 2 --set solver.threads=1
    .venv/bin/python benchmarks/batch_executors.py --batch 'scenarios/yuzhong-demo-*.yaml'

Each executor runs ``lifecircle batch`` end to end in a fresh process and a fresh output
folder (so each computes its own reach cache): ``--jobs N`` local processes, then
``--scheduler local:N`` (N workers x 1 thread; the cluster's start is in its wall time).
Objectives are compared run by run (relative 1e-6). Prints a table and writes
``benchmarks/results/batch-executors-<UTC time>.json`` with the machine's load average
before and after each executor (the machine may be shared: read the times with it).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BATCH = REPO / "scenarios" / "batches" / "yuzhong-whatifs.yaml"


def _run(label: str, extra: list[str], args: argparse.Namespace, workdir: Path) -> dict:
    """One executor: ``lifecircle batch`` in a fresh process and folder; its wall time and summary rows."""
    out = workdir / label
    cmd = [sys.executable, "-m", "optimizer.cli", "-q", "batch", args.batch, "--out", str(out), *extra]
    for s in args.set:
        cmd += ["--set", s]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    summary = out / "batch-summary.json"
    rows = json.loads(summary.read_text(encoding="utf-8"))["runs"] if summary.is_file() else []
    if proc.returncode not in (0, 1) or not rows:
        print(proc.stderr[-3000:], file=sys.stderr)
    return {"executor": label, "command": " ".join(cmd[1:]), "exit_code": proc.returncode,
            "wall_s": round(wall, 2), "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in load_after],
            "runs_solved": sum(r["status"] == "solved" for r in rows),
            "runs_proven": sum(bool(r["proven"]) for r in rows),
            "sum_run_s": round(sum(float(r["seconds"] or 0) for r in rows), 2),
            "runs": [{k: r.get(k) for k in ("name", "status", "proven", "objective", "gap", "cost", "sites",
                                            "seconds", "attempts")} for r in rows]}


def _same(a, b, rel: float = 1e-6) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= rel * max(1.0, abs(float(a)), abs(float(b)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", default=str(BATCH), help="batch file or quoted glob of scenarios")
    ap.add_argument("--jobs", type=int, default=2, help="local processes, and LocalCluster workers")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override in every run")
    ap.add_argument("--keep", help="keep the output folders under this folder (default: a temporary one, removed)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args(argv)

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lifecircle-batch-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results = []
    try:
        for label, extra in (("processes", ["--jobs", str(args.jobs)]),
                             ("dask-local", ["--scheduler", f"local:{args.jobs}"])):
            print(f"running the batch on {label} ...", file=sys.stderr, flush=True)
            results.append(_run(label, extra, args, workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    a, b = ({r["name"]: r for r in res["runs"]} for res in results)
    names = list(a) or list(b)
    table, equal_all = [], True
    for n in names:
        ra, rb = a.get(n, {}), b.get(n, {})
        equal = ra.get("status") == rb.get("status") and _same(ra.get("objective"), rb.get("objective"))
        equal_all &= equal
        table.append({"name": n, "status": ra.get("status"), "objective": ra.get("objective"),
                      "objective_dask": rb.get("objective"), "proven": ra.get("proven"),
                      "proven_dask": rb.get("proven"), "processes_s": ra.get("seconds"),
                      "dask_s": rb.get("seconds"), "equal": equal})

    w = max([len(n) for n in names] + [4]) + 2
    print(f"{'run':<{w}}{'status':<12}{'objective':>14}{'proc s':>9}{'dask s':>9}  equal")
    for t in table:
        obj = "-" if t["objective"] is None else f"{t['objective']:,.1f}"
        print(f"{t['name']:<{w}}{str(t['status']):<12}{obj:>14}{t['processes_s'] or 0:>9.1f}"
              f"{t['dask_s'] or 0:>9.1f}  {'yes' if t['equal'] else 'NO'}")
    print()
    for res in results:
        print(f"{res['executor']:<12} wall {res['wall_s']:>8.1f} s   runs summed {res['sum_run_s']:>8.1f} s   "
              f"solved {res['runs_solved']}/{len(res['runs'])}, proven {res['runs_proven']}   "
              f"load {res['loadavg_before'][0]:.1f} -> {res['loadavg_after'][0]:.1f}")
    print(f"objectives equal run by run: {'yes' if equal_all and names else 'NO'}")

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"batch-executors-{stamp}.json"
    path.write_text(json.dumps({
        "created_utc": stamp, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "platform": platform.platform()},
        "args": vars(args), "objectives_equal": bool(equal_all and names), "executors": results,
        "by_run": table}, indent=2), encoding="utf-8")
    print(f"written to {path}")
    return 0 if equal_all and names else 1


if __name__ == "__main__":
    sys.exit(main())
