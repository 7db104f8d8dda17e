"""The plan search of maximal covering, old pricing against incremental, side by side (issue 18).

Usage (from the repository root)::

    .venv/bin/python benchmarks/swap_search.py --clustered 10000x1000,100000x5000 --seconds 5,20,60

For each clustered instance (``benchmarks/coverage_families.py`` generates and caches it), the
model is built as ``cover`` builds it, the start is :func:`optimizer.studies.plain_coverage.greedy_cover`'s
plan (the start ``cover`` gives every solver), and :func:`solvers.benders.iterated_swaps` runs
from it for each number of seconds three ways, one after the other in this process: every
move priced from scratch (``incremental=False``, the search before the incremental one),
priced incrementally with the same kicks (``ban_kicked=False``), and incrementally with the
sites a kick took out banned from its first moves (the default).
Its patience is unbounded, so both run to the deadline. Per run: the plan's coverage
(recomputed from its sites), kicks and kicks per second, and ``os.getloadavg()`` before and
after. Prints a markdown table; measures only, writes nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from plan_ceiling import clustered_structure  # noqa: E402
from provenance import head_commit  # noqa: E402

from solvers.benders import SearchStats, coverage_value, iterated_swaps  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clustered", default="10000x1000,100000x5000", help="comma list of DEMANDxSITES")
    ap.add_argument("--seconds", default="5,20,60", help="comma list of search seconds")
    ap.add_argument("--seed", type=int, default=1, help="instance seed (the search's seed is 0)")
    ap.add_argument("--data", default="/tmp/bench-coverage-families", help="folder of the instances' .npz")
    args = ap.parse_args(argv)
    print(f"commit {head_commit()}, {os.cpu_count()} cores")
    print("| instance | start | seconds | pricing | coverage | kicks | kicks/s | load before | load after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in [s for s in args.clustered.split(",") if s]:
        structure, start, p = clustered_structure(size, args.seed, Path(args.data))
        start_value = coverage_value(structure, start)
        for seconds in [float(s) for s in args.seconds.split(",") if s]:
            for label, incremental, ban in (("full", False, False), ("incremental", True, False),
                                            ("incremental, kick banned", True, True)):
                load = os.getloadavg()
                stats = SearchStats()
                began = time.perf_counter()
                plan = iterated_swaps(structure, start, deadline=began + seconds, patience=10**9, seed=0,
                                      stats=stats, incremental=incremental, ban_kicked=ban)
                took = time.perf_counter() - began
                value = coverage_value(structure, plan)
                assert plan.sum() <= p
                print(f"| {size} | {start_value:,.0f} | {seconds:g} | {label} "
                      f"| {value:,.0f} | {stats.kicks} | {stats.kicks / took:.1f} | "
                      f"{' '.join(f'{v:.2f}' for v in load)} | "
                      f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
