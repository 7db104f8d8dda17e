"""Benchmark: how long ``lifecircle --help`` and ``lifecircle --version`` take to start.

Usage (from the repository root)::

    .venv/bin/python benchmarks/startup.py                    # this checkout, 7 runs of each
    .venv/bin/python benchmarks/startup.py --ref main         # also a git revision (read with git archive)
    .venv/bin/python benchmarks/startup.py --ref c55a0c7 --record   # and rewrite benchmarks/startup.{json,md}

Each case is ``python -m optimizer.cli ARGS`` (what the ``lifecircle`` script runs) in a
fresh process, timed from outside; the minimum and the median of ``--repeat`` runs are
kept, with the heavy modules the case imported (numpy, pandas, geopandas, scipy, pyproj,
shapely, highspy, ortools, pulp, matplotlib, solvers, the pipeline) and ``os.getloadavg()``
before and after (the machine may be shared: read the times with the load). Two more rows
frame them: ``python -c pass`` (the interpreter's own start) and ``--help`` with
``optimizer/__init__.py`` skipped (what the command line itself costs, without the package's
import-time registration of the greedy backend). Prints a table and writes
``benchmarks/results/startup-<UTC time>.json``; ``--record`` also writes
``benchmarks/startup.json`` and ``benchmarks/startup.md``. Speed targets live here, never
in tests (tests/cli/test_startup.py checks what is imported instead).
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "pandas", "geopandas", "scipy", "pyproj", "shapely", "highspy", "ortools", "pulp",
         "matplotlib", "solvers", "optimizer.pipeline")

#: ``python -m optimizer.cli ARGS`` with the heavy modules it imported printed to stderr at exit.
_RUN = """
import atexit, runpy, sys
heavy = {heavy!r}
skip_package = {skip_package!r}
if skip_package:
    import types
    pkg = types.ModuleType("optimizer")
    pkg.__path__ = [{root!r} + "/optimizer"]
    sys.modules["optimizer"] = pkg
atexit.register(lambda: print("HEAVY " + ",".join(sorted({{m.split(".")[0] if m.split(".")[0] != "optimizer" else m
                                                         for m in sys.modules
                                                         if m.split(".")[0] in heavy or m in heavy}})),
                              file=sys.stderr))
sys.argv = ["lifecircle", *{args!r}]
runpy.run_module("optimizer.cli", run_name="__main__", alter_sys=True)
"""

CASES = (("python -c pass", None, False), ("lifecircle --help", ["--help"], False),
         ("lifecircle --version", ["--version"], False),
         ("--help, optimizer/__init__.py skipped", ["--help"], True))


def _time_case(root: Path, args: list[str] | None, skip_package: bool, repeat: int) -> dict:
    """``repeat`` fresh processes of one case in checkout ``root``: min, median and the heavy modules."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "pass" if args is None else _RUN.format(heavy=HEAVY, skip_package=skip_package, root=str(root), args=args)
    times, heavy = [], []
    load_before = os.getloadavg()
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{args} failed in {root}: {done.stderr[-2000:]}")
        lines = [ln for ln in done.stderr.splitlines() if ln.startswith("HEAVY ")]
        heavy = [m for m in lines[-1].removeprefix("HEAVY ").split(",") if m] if lines else []
    return {"min_s": round(min(times), 3), "median_s": round(statistics.median(times), 3),
            "runs": repeat, "heavy_modules": heavy, "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()]}


def _export(ref: str, into: Path) -> str:
    """The tree of git revision ``ref`` written into ``into`` (git archive; no worktree); its commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.strip()
    data = subprocess.run(["git", "archive", commit], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return commit


def _markdown(record: dict) -> str:
    lines = ["# Start-up of the command line (`benchmarks/startup.py`)", "",
             f"Measured {record['created_utc']} on {record['machine']['cpus']} cores, Python "
             f"{record['machine']['python']}; each figure is the minimum (median) of "
             f"{record['repeat']} fresh processes; load is `os.getloadavg()` (1 min) before -> after.", "",
             "| checkout | case | min s | median s | load | heavy modules imported |", "|---|---|---|---|---|---|"]
    for tree in record["trees"]:
        for case in tree["cases"]:
            heavy = ", ".join(case["heavy_modules"]) or "none"
            lines.append(f"| {tree['label']} | {case['case']} | {case['min_s']:.2f} | {case['median_s']:.2f} | "
                         f"{case['loadavg_before'][0]:.2f} -> {case['loadavg_after'][0]:.2f} | {heavy} |")
    lines += ["", "`python -c pass` is the interpreter's own start; `--help, optimizer/__init__.py skipped` is what "
              "the command line itself costs (click and the standard library), without whatever "
              "`optimizer/__init__.py` imports (before c2a9fa8 it registered the greedy backend, importing numpy, "
              "scipy and `solvers` on every start; since then the greedy joins the registry through the "
              "`lifecircle.solvers` entry point when the registry is first read). Ratios hold within one "
              "table (one run, one load); absolute seconds only from an idle machine. "
              "Target (issue 17): `--help` under 0.3 s on an "
              "idle machine. Reproduce with `.venv/bin/python benchmarks/startup.py --ref <commit before> "
              "--record`; what is imported is tested in tests/cli/test_startup.py.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Time the cases for this checkout (and ``--ref``), print a table, write the JSON (and ``--record``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", action="append", default=[], help="Also time this git revision (repeatable).")
    parser.add_argument("--repeat", type=int, default=7, help="Fresh processes per case (default 7).")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results"), help="Folder of the JSON.")
    parser.add_argument("--record", action="store_true",
                        help="Also write benchmarks/startup.json and benchmarks/startup.md.")
    args = parser.parse_args(argv)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    trees = []
    with tempfile.TemporaryDirectory(prefix="lifecircle-startup-") as tmp:
        roots = []
        for ref in args.ref:
            folder = Path(tmp) / ref.replace("/", "_")
            folder.mkdir()
            roots.append((f"{_export(ref, folder)} ({ref})", folder))
        roots.append((f"{head}{' + changes' if dirty else ''} (this checkout)", REPO))
        for label, root in roots:
            cases = []
            for name, case_args, skip in CASES:
                print(f"{label}: {name} ...", file=sys.stderr, flush=True)
                cases.append({"case": name, **_time_case(root, case_args, skip, args.repeat)})
            trees.append({"label": label, "cases": cases})
    record = {"created_utc": stamp, "repeat": args.repeat,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()}, "trees": trees}
    table = _markdown(record)
    print(table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"startup-{stamp}.json"
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"written to {path}")
    if args.record:
        (REPO / "benchmarks" / "startup.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (REPO / "benchmarks" / "startup.md").write_text(table, encoding="utf-8")
        print("recorded in benchmarks/startup.json and benchmarks/startup.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
