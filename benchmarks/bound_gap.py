"""How far the LP bound of maximal covering is from the optimum, and what a regional decomposition recovers (issue 18).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bound_gap.py --clustered 5000x500 --regions 10 --mip-seconds 900
    .venv/bin/python benchmarks/bound_gap.py --clustered 100000x5000 --regions 50 --mip-seconds 0

For one clustered instance (``benchmarks/coverage_families.py``), in this process:

1. **LP** of the compact model (HiGHS IPM), its value and the covering rows' duals ``u``.
2. **MIP** (``--mip-seconds`` > 0): HiGHS on the compact model from a plan of
   :func:`solvers.benders.iterated_swaps` (``--search-seconds``), one thread, gap 0; its plan
   and proven bound (the optimum when it proves it).
3. **Regional Lagrangian decomposition** (:func:`decomposition_bound`). The demand rows are
   split into regions (each row goes to the k-means cluster of its middle site's coordinates);
   region ``t`` keeps its own copy ``x^t`` of the sites reaching its rows, and the copies'
   equalities ``x^t_j = x_j`` are relaxed with multipliers ``lambda^t_j``. For every
   ``lambda``::

       z <= sum_t max_{x^t binary} [ sum_{i in t} w_i min(1, sum_{j in N(i)} x^t_j) - lambda^t x^t ]
            + max { sum_j (sum_t lambda^t_j) x_j : sum_j x_j <= p, x binary }

   (every plan's coverage is the sum of its regions' and the ``lambda`` terms cancel). Each
   region's maximum is replaced by its MIP's proven bound, so the sum stays a bound when a
   region stops at its time limit. Started at ``lambda^t_j = sum_{i in t, j in N(i)} u_i``
   (there the regions' LPs give the LP bound back, so what the integer regions take off is
   what the decomposition adds), then ``--iterations`` subgradient steps (Polyak, towards
   ``--target``). The bound is only as strong as the regions are large: rows near a region's
   edge lose the sites of the next one.

Measured with its prototype (same model, regions and steps; 2026-12-06, commit 08ca6ea, 2 cores
shared, load 2.0-5.9):

============  ==========  =========================  ===============================================
clustered     LP          MIP (HiGHS, 1 thread)      regions at the LP duals (steps)
============  ==========  =========================  ===============================================
1,000 x 100   9,413       9,413 optimal, 1 node      4: 9,413
5,000 x 500   46,505.5    46,284 optimal, 591 s,     10: 46,471.3 (10 steps: 46,470.0);
                          3,105 nodes                5: 46,469.4 (26 s); 3: 46,439.7 (41 s)
10,000 x 1k   94,736.1    600 s: plan 94,004,        20: 94,656.9 (4 steps: no lower)
                          bound 94,722, 333 nodes
100,000 x 5k  938,991.8   (root LP alone: 160 s)     50: 937,133.5 (12 regions cut at 30 s; 569 s)
============  ==========  =========================  ===============================================

The LP's integrality gap grows with the size (0, 0.48 %); the decomposition takes 15 % of it
off on 5,000 x 500 (30 % with 3 regions of 1,000-2,000 rows, in 41 s) and 0.20 % off the LP
bound on 100,000 x 5,000, where 0.36 % would be needed with the best plan known (926,296) for
a 1 % gap. Reduced-cost fixing cannot help there: every site's LP reduced cost is at most 567
(the ``p``-th site price), against a gap of
12,696 between the LP and that plan.

Prints one line per step with ``/proc/loadavg``; writes nothing. Measures only.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from plan_ceiling import clustered_structure, compact_highs, load_text  # noqa: E402

from solvers.benders import CoverageStructure, coverage_value, iterated_swaps  # noqa: E402

log = logging.getLogger("bound_gap")

#: Seconds each region's MIP gets; its proven bound counts when it stops there.
REGION_SECONDS = 30.0


def lp_duals(structure: CoverageStructure, p: int) -> tuple[float, np.ndarray]:
    """The compact LP's value and its covering rows' duals, clipped to ``[0, w_i]``."""
    m = structure.n_sites
    h = compact_highs(m, structure.reach, structure.weight, np.zeros(m), p, integer=False, seconds=None, ipm=True)
    h.run()
    g = structure.weight.size
    u = np.clip(np.abs(np.asarray(h.getSolution().row_dual)[:g]), 0.0, structure.weight)
    return float(h.getInfo().objective_function_value) + structure.offset, u


def site_regions(site_xy: np.ndarray, regions: int, seed: int = 0) -> np.ndarray:
    """A region per site: k-means (k-means++ start) of the sites' coordinates."""
    from scipy.cluster.vq import kmeans2

    _, label = kmeans2(np.asarray(site_xy, dtype=np.float64), regions, minit="++", seed=seed)
    return label


@dataclass
class Region:
    """One region: its demand rows, the sites reaching them, and their reach (rows x those sites)."""

    rows: np.ndarray
    sites: np.ndarray
    reach: sp.csr_matrix


def row_regions(structure: CoverageStructure, site_region: np.ndarray) -> list[Region]:
    """The rows of each region (those whose middle site lies in it) with every site reaching them."""
    reach = structure.reach.tocsr()
    count = np.diff(reach.indptr)
    middle = np.where(count > 0, reach.indices[np.minimum(reach.indptr[:-1] + count // 2, max(reach.nnz - 1, 0))], 0)
    of_row = site_region[middle]
    out = []
    for t in range(int(site_region.max()) + 1):
        rows = np.flatnonzero((of_row == t) & (count > 0))
        part = reach[rows]
        sites = np.flatnonzero(np.diff(part.tocsc().indptr) > 0)
        out.append(Region(rows=rows, sites=sites, reach=part[:, sites].tocsr()))
    return out


def decomposition_bound(structure: CoverageStructure, regions: list[Region], lam: list[np.ndarray],
                        p: int) -> tuple[float, list[np.ndarray], np.ndarray, int]:
    """The decomposition's bound at ``lam`` (one array per region, over its sites).

    Returns
    -------
    tuple
        The bound, each region's plan, the cardinality part's plan (0/1 per site) and the regions
        not solved to optimality (their proven bounds were used).
    """
    import highspy

    total, plans, unsolved = structure.offset, [], 0
    price = np.zeros(structure.n_sites)
    for region, costs in zip(regions, lam, strict=True):
        h = compact_highs(region.sites.size, region.reach, structure.weight[region.rows], costs, None, integer=True,
                          seconds=REGION_SECONDS)
        h.run()
        unsolved += h.getModelStatus() != highspy.HighsModelStatus.kOptimal
        total += float(h.getInfo().mip_dual_bound)
        plans.append(np.asarray(h.getSolution().col_value)[:region.sites.size])
        np.add.at(price, region.sites, costs)
    top = np.argsort(-price)[:p]
    top = top[price[top] > 0]
    chosen = np.zeros(structure.n_sites)
    chosen[top] = 1.0
    return total + float(price[top].sum()), plans, chosen, unsolved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clustered", default="5000x500")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--regions", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=0, help="subgradient steps after the start at the LP duals")
    ap.add_argument("--target", type=float, default=None, help="Polyak target (default: the searched plan)")
    ap.add_argument("--step", type=float, default=0.3, help="share of the Polyak step taken")
    ap.add_argument("--search-seconds", type=float, default=20.0)
    ap.add_argument("--mip-seconds", type=float, default=0.0)
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "bench-coverage-families"))
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    structure, greedy, p = clustered_structure(args.clustered, args.seed, Path(args.data))
    began = time.perf_counter()
    plan = iterated_swaps(structure, greedy, deadline=began + args.search_seconds, patience=10**12, seed=0)
    found = coverage_value(structure, plan)
    log.info("%s: searched plan %.0f (%g s; load %s)", args.clustered, found, args.search_seconds, load_text())
    z_lp, u = lp_duals(structure, p)
    log.info("LP %.1f (%.1f s; load %s)", z_lp, time.perf_counter() - began, load_text())
    if args.mip_seconds > 0:
        m = structure.n_sites
        h = compact_highs(m, structure.reach, structure.weight, np.zeros(m), p, integer=True, seconds=args.mip_seconds)
        start = np.concatenate([plan, (structure.reach @ plan >= 1).astype(np.float64)])
        h.setSolution(start.size, np.arange(start.size, dtype=np.int32), start)
        h.run()
        sites = np.round(np.asarray(h.getSolution().col_value)[:m])
        log.info("MIP %s: plan %.0f, bound %.1f, %d nodes (load %s)", h.modelStatusToString(h.getModelStatus()),
                 coverage_value(structure, sites), h.getInfo().mip_dual_bound + structure.offset,
                 h.getInfo().mip_node_count, load_text())
    xy = np.load(Path(args.data) / f"clustered-{args.clustered}-s{args.seed}.npz")["site_xy"]
    regions = row_regions(structure, site_regions(xy, args.regions))
    lam = [np.asarray(r.reach.T @ u[r.rows]).ravel() for r in regions]
    target = found if args.target is None else args.target
    best = np.inf
    for step in range(args.iterations + 1):
        bound, plans, chosen, unsolved = decomposition_bound(structure, regions, lam, p)
        best = min(best, bound)
        log.info("decomposition step %d: %.1f (best %.1f; LP %.1f; %d regions unsolved; %.1f s; load %s)", step,
                 bound, best, z_lp, unsolved, time.perf_counter() - began, load_text())
        moves = [chosen[r.sites] - x for r, x in zip(regions, plans, strict=True)]
        norm = sum(float((d ** 2).sum()) for d in moves)
        if norm == 0 or bound <= target:
            break
        size = args.step * (bound - target) / norm
        lam = [costs - size * d for costs, d in zip(lam, moves, strict=True)]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
