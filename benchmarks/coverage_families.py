"""Maximal covering on two instance families, every plain solver and spopt side by side (issue 18).

Usage (from the repository root)::

    .venv/bin/python benchmarks/coverage_families.py --quick                     # smoke run: small sizes, 20 s
    .venv/bin/python benchmarks/coverage_families.py --peer-python /tmp/peer-venv/bin/python --record
    .venv/bin/python benchmarks/coverage_families.py --clustered 1000x100 --bds 10000:5.5 --solvers highs,cbc
    .venv/bin/python benchmarks/coverage_families.py --clustered 1000x100,5000x500 --bds 10000:5.5 \
        --solvers highs,cbc,benders --presolve on,off --time-limit 60 --record   # presolve side by side

Families (each instance generated from its seed and written once as an ``.npz``; see
:func:`clustered_instance` and :func:`bds_instance` for exactly how):

- **clustered**: a 30 x 30 km square; demand 35 % around a centre (sd 2.7 km), 50 % around
  10 random sub-centres (sd 0.75-1.8 km), 15 % uniform; integer weights
  ``max(1, round(lognormal(2, 0.8)))``; sites drawn the same way with 1.8x the spreads and
  40 % uniform; the radius the median distance from a demand point to its 20th-nearest
  site; p = 5 % of the sites. Sizes 1,000 x 100 to 100,000 x 5,000.
- **bds** (Cordeau, Furini and Ljubic 2019, after ReVelle et al.): customers uniform in
  [0, 30]^2, 100 sites uniform in the same square, radius 5.5 or 6.25, budget 10 sites
  (p = 10, unit costs); weights uniform integers in [1, 100].

Each instance is solved by spopt (``MCLP.from_cost_matrix`` + CBC through PuLP, when
``--peer-python`` names a Python with spopt) first, then by every available plain
lifecircle backend (``Capabilities.needs_planning_model`` False; a new backend joins
without a change here), each in a fresh process with the same time limit and a relative
gap of 0, timed end to end from the child's start (imports, reach, model, greedy start,
solve). Per run: time to build (reach + model; spopt: cost matrix + model), time to the
first plan at least as good as spopt's objective (without spopt: to the final plan),
time to proof (or none), objective (recomputed from the chosen sites), bound, gap at the
limit, peak memory of the child and its own children (``os.wait4``'s rusage), and
``os.getloadavg()`` before and after.

Incumbents over time come from ``SolverOptions.on_progress`` when this checkout has it, and
from the log lines of the greedy start and (where the checkout searches one) the searched
start (``greedy start:``, ``search start:``); without ``on_progress`` only the starts and the
final plan are seen, so "to spopt's objective" is the time of the first of those that
reaches it (an upper bound), and the record says so (``progress: false``).

``--presolve on,off`` runs each backend with and without the presolve of maximal covering
(``solvers/presolve.py``; on is the default of ``solve_coverage_problem``), one after the
other on each instance; the presolve column says what it fixed (dominated sites / fixed at
0 / fixed at 1 by reduced cost) and in how many seconds.

Writes ``benchmarks/results/coverage-families-<UTC time>.json`` as it goes; ``--record``
also adds the run to ``benchmarks/coverage_families.json`` and rewrites
``benchmarks/coverage_families.md`` from every recorded run (``--record-only-this`` keeps
this run alone).
Timings belong here, never in tests (``tests/plain/test_coverage_families.py`` checks the
generators only).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from provenance import head_commit  # noqa: E402

log = logging.getLogger("coverage_families")

#: Sizes of the clustered family (demand x sites), as issue 18 lists them.
CLUSTERED_SIZES = ("1000x100", "5000x500", "10000x1000", "20000x2000", "50000x2000", "100000x5000")
#: Customers and radii of the BDS family (100 sites, p = 10).
BDS_CASES = ("10000:5.5", "10000:6.25", "100000:5.5", "100000:6.25", "1000000:5.5", "1000000:6.25")
QUICK_CLUSTERED = ("1000x100", "5000x500")
QUICK_BDS = ("10000:5.5",)
QUICK_LIMIT_S = 20.0

SIDE_KM = 30.0
CENTRE_SD_KM = 2.7
SUB_CENTRES = 10
SUB_SD_KM = (0.75, 1.8)
SHARES = (0.35, 0.50, 0.15)  # centre, sub-centres, uniform (demand)
SITE_SPREAD = 1.8
SITE_UNIFORM = 0.40
KTH_SITE = 20
P_SHARE = 0.05
BDS_SITES = 100
BDS_P = 10
BDS_WEIGHTS = (1, 100)


# ---------------------------------------------------------------------------------------------------------------
# the families


def _inside(rng: np.random.Generator, draw, n: int, side: float) -> np.ndarray:
    """``n`` points from ``draw(k)`` that fall in [0, side]^2, drawing again for those outside."""
    out = np.empty((0, 2))
    while len(out) < n:
        pts = draw(n - len(out))
        pts = pts[((pts >= 0) & (pts <= side)).all(axis=1)]
        out = np.vstack([out, pts])
    return out[:n]


def _clustered_points(rng: np.random.Generator, n: int, centre: np.ndarray, subs: np.ndarray, sub_sd: np.ndarray,
                      shares: tuple[float, float, float], spread: float) -> np.ndarray:
    """``n`` points in the square: ``shares`` around the centre, around the sub-centres and uniform."""
    side = SIDE_KM * 1000.0
    n_centre = int(round(shares[0] * n))
    n_sub = int(round(shares[1] * n))
    n_uniform = n - n_centre - n_sub
    parts = [_inside(rng, lambda k: rng.normal(centre, spread * CENTRE_SD_KM * 1000.0, (k, 2)), n_centre, side)]
    which = rng.integers(0, len(subs), n_sub)  # each point's sub-centre, equally likely
    for s in range(len(subs)):
        k = int((which == s).sum())
        parts.append(_inside(rng, lambda k, s=s: rng.normal(subs[s], spread * sub_sd[s] * 1000.0, (k, 2)), k, side))
    parts.append(rng.uniform(0, side, (n_uniform, 2)))
    return rng.permutation(np.vstack(parts))


def clustered_instance(n: int, m: int, seed: int) -> dict:
    """One instance of the clustered family (coordinates in metres).

    The centre is the middle of the 30 x 30 km square; the 10 sub-centres are uniform in
    the square, each with a spread drawn uniformly in 0.75-1.8 km; a point drawn outside
    the square is drawn again. Demand: 35 % / 50 % / 15 % (centre / sub-centres / uniform),
    weights ``max(1, round(lognormal(2, 0.8)))``. Sites: the same centre and sub-centres
    with 1.8x each spread, 40 % uniform and the other 60 % in the demand's 35 : 50 ratio.
    Radius: the median over demand points of the distance to the 20th-nearest site.
    p = 5 % of the sites (at least 1).
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    side = SIDE_KM * 1000.0
    centre = np.array([side / 2, side / 2])
    subs = rng.uniform(0, side, (SUB_CENTRES, 2))
    sub_sd = rng.uniform(*SUB_SD_KM, SUB_CENTRES)
    demand = _clustered_points(rng, n, centre, subs, sub_sd, SHARES, 1.0)
    weights = np.maximum(1.0, np.round(rng.lognormal(2.0, 0.8, n)))
    rest = 1.0 - SITE_UNIFORM
    site_shares = (rest * SHARES[0] / (SHARES[0] + SHARES[1]), rest * SHARES[1] / (SHARES[0] + SHARES[1]),
                   SITE_UNIFORM)
    sites = _clustered_points(rng, m, centre, subs, sub_sd, site_shares, SITE_SPREAD)
    k = min(KTH_SITE, m)
    dist, _ = cKDTree(sites).query(demand, k=k)
    radius = float(np.median(dist[:, k - 1] if k > 1 else dist))
    return {"family": "clustered", "name": f"clustered-{n}x{m}-s{seed}", "demand_xy": demand, "site_xy": sites,
            "weights": weights, "radius": radius, "p": max(1, int(round(P_SHARE * m))), "seed": seed}


def bds_instance(n: int, radius: float, seed: int) -> dict:
    """One instance of the BDS family: customers and 100 sites uniform in [0, 30]^2, p = 10, weights 1-100."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, SIDE_KM, (n, 2))
    sites = rng.uniform(0, SIDE_KM, (BDS_SITES, 2))
    weights = rng.integers(BDS_WEIGHTS[0], BDS_WEIGHTS[1] + 1, n).astype(float)
    return {"family": "bds", "name": f"bds-{n}-r{radius:g}-s{seed}", "demand_xy": demand, "site_xy": sites,
            "weights": weights, "radius": float(radius), "p": BDS_P, "seed": seed}


def write_instance(inst: dict, folder: Path) -> Path:
    """The instance as ``folder/<name>.npz``, written once (an existing file is reused)."""
    path = folder / f"{inst['name']}.npz"
    if not path.exists():
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, demand_xy=inst["demand_xy"], site_xy=inst["site_xy"], weights=inst["weights"],
                 radius=inst["radius"], p=inst["p"])
        tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------------------------
# the children (each run in a fresh process)

LIFECIRCLE_CHILD = r"""
import time
t0 = time.perf_counter()
import dataclasses, json, logging, sys
import numpy as np
from optimizer.studies.plain_coverage import CoverageProblem, reach_by_radius, solve_coverage_problem
from solvers.result import SolverOptions
seen = {"incumbents": []}
class Watch(logging.Handler):
    def emit(self, record):
        now = time.perf_counter() - t0
        if record.msg.startswith("model:"):
            seen["rows"], seen["cols"], seen["model_s"] = record.args[:3]
        elif record.msg.startswith("greedy start:"):
            seen["incumbents"].append([now, float(record.args[1]), "greedy"])
        elif record.msg.startswith("search start:"):
            seen["incumbents"].append([now, float(record.args[1]), "search"])
logger = logging.getLogger("optimizer.studies.plain_coverage")
logger.setLevel(logging.INFO)
logger.addHandler(Watch())
z = np.load(sys.argv[1])
t_reach = time.perf_counter()
reach = reach_by_radius(z["demand_xy"], z["site_xy"], float(z["radius"]))
reach_s = time.perf_counter() - t_reach
n, m = reach.shape
problem = CoverageProblem(np.arange(n).astype(str), z["weights"].astype(float), np.arange(m).astype(str),
                          np.ones(m), reach, "max_covering", int(z["p"]))
kw = {}
progress = "on_progress" in {f.name for f in dataclasses.fields(SolverOptions)}
if progress:
    def on_progress(p):  # only improvements: the reporter repeats the incumbent about twice a second
        best = max((v for _, v, _ in seen["incumbents"]), default=None)
        if p.incumbent is not None and (best is None or p.incumbent > best):
            seen["incumbents"].append([time.perf_counter() - t0, float(p.incumbent), "progress"])
    kw["on_progress"] = on_progress
extra = {"presolve": False} if sys.argv[4:] == ["off"] else {}  # a checkout without presolve runs "on"
sol = solve_coverage_problem(problem, sys.argv[3], SolverOptions(time_limit_s=float(sys.argv[2]),
                                                                 relative_gap=0.0, **kw), **extra)
end = time.perf_counter() - t0
r = sol.result
print(json.dumps({"seconds": end, "reach_s": reach_s, "model_s": seen.get("model_s"),
                  "build_s": reach_s + (seen.get("model_s") or 0.0), "status": r.status.value,
                  "termination": r.termination.value, "proven": r.proven_optimal,
                  "objective": None if sol.objective != sol.objective else sol.objective, "bound": r.bound,
                  "gap": r.gap, "sites": int(len(sol.chosen)), "pairs": int(reach.nnz), "rows": seen.get("rows"),
                  "cols": seen.get("cols"), "plan_from": r.extra.get("plan_from", r.solver),
                  "incumbents": seen["incumbents"] + ([[end, sol.objective, "final"]] if sol.objective == sol.objective
                                                     else []),
                  "progress": progress, "presolve": r.extra.get("presolve")}))
"""

SPOPT_CHILD = r"""
import time
t0 = time.perf_counter()
import json, sys
import numpy as np
import pulp
from scipy.spatial.distance import cdist
from spopt.locate import MCLP
import spopt
z = np.load(sys.argv[1])
cost = cdist(z["demand_xy"], z["site_xy"])
model = MCLP.from_cost_matrix(cost, z["weights"], service_radius=float(z["radius"]), p_facilities=int(z["p"]))
build = time.perf_counter() - t0
model = model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=float(sys.argv[2])))
end = time.perf_counter() - t0
status = pulp.LpStatus[model.problem.status]
sol_status = pulp.constants.LpSolution[model.problem.sol_status]
chosen = [j for j, v in enumerate(model.fac_vars) if v.value() is not None and v.value() > 0.5]
covered = (cost[:, chosen] <= float(z["radius"])).any(axis=1) if chosen else np.zeros(len(cost), bool)
objective = float(z["weights"][covered].sum())
proven = model.problem.sol_status == pulp.constants.LpSolutionOptimal
print(json.dumps({"seconds": end, "build_s": build, "status": status, "sol_status": sol_status,
                  "proven": bool(proven), "objective": objective, "sites": len(chosen),
                  "incumbents": [[end, objective, "final"]], "progress": False,
                  "version": getattr(spopt, "__version__", "?"), "pulp": pulp.__version__}))
"""


def run_child(cmd: list[str], timeout: float, work: Path, tag: str) -> dict:
    """Run ``cmd`` in a fresh process (own session); its JSON line, wall time, peak MB and load before/after.

    Peak memory is the ``ru_maxrss`` of :func:`os.wait4` for the child: the larger of its
    own and its reaped children's (a CBC subprocess counts). Past ``timeout`` the child's
    process group is killed and the row says ``killed``.
    """
    load_before = os.getloadavg()
    out_path, err_path = work / f"{tag}.out", work / f"{tag}.err"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.perf_counter()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env=env, start_new_session=True)
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout and not killed:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.05)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    row: dict = {"wall_s": round(wall, 3), "peak_mb": round(usage.ru_maxrss / 1024, 1),
                 "load_before": [round(x, 2) for x in load_before],
                 "load_after": [round(x, 2) for x in os.getloadavg()]}
    if killed:
        return {**row, "status": "killed", "error": f"no answer within {timeout:.0f} s"}
    lines = out_path.read_text().strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (err_path.read_text().strip().splitlines() or ["(no message)"])[-1]
        return {**row, "status": "failed", "error": tail[:300]}
    return {**row, **json.loads(lines[-1])}


def time_to(incumbents: list, target: float | None) -> float | None:
    """Seconds to the first seen plan worth at least ``target`` (up to 1e-9 relatively); ``None`` if none is."""
    if target is None:
        return None
    for t, value, _ in sorted(incumbents or []):
        if value is not None and value >= target - 1e-9 * max(1.0, abs(target)):
            return t
    return None


def plain_solvers() -> list[str]:
    """Every available backend that solves a plain matrix problem (not the planning-only greedy)."""
    import solvers

    return [s for s in solvers.available_solvers() if not solvers.SOLVERS[s].capabilities.needs_planning_model]


# ---------------------------------------------------------------------------------------------------------------
# the table


def _fmt(v: float | None, spec: str = ".1f", none: str = "-") -> str:
    return none if v is None else format(v, spec)


def _gap(r: dict) -> str:
    if r.get("proven"):
        return "0"
    g = r.get("gap")
    if g is None and r.get("objective") is not None and r.get("bound") is not None:
        g = abs(r["bound"] - r["objective"]) / max(abs(r["objective"]), 1e-9)
    return "-" if g is None or g != g else f"{g:.2%}"


def _presolved(r: dict) -> str:
    """What presolve did in a run: ``dominated / at 0 / at 1, seconds`` and its Lagrangian bound when it has one.

    ``off`` without presolve; ``-`` when unknown.
    """
    if r.get("presolve_mode") == "off":
        return "off"
    p = r.get("presolve")
    if not p:
        return "-"
    lagrangian = "" if p.get("lagrangian_bound") is None else \
        f", Lagrangian bound {p['lagrangian_bound']:,.0f} ({p['lagrangian_iterations']} iterations)"
    return f"{p['dominated']} / {p['fixed_at_zero']} / {p['fixed_at_one']}, {p['seconds']:.1f} s{lagrangian}"


TITLE = "# Maximal covering: two families, every solver and spopt (`benchmarks/coverage_families.py`)"


def markdown(record: dict) -> str:
    """One run's section of ``benchmarks/coverage_families.md``: what was run, the table, what the columns mean."""
    a = record["args"]
    progress = any(r.get("progress") for r in record["results"])
    with_presolve = any("presolve" in r for r in record["results"])
    quick = " (`--quick`)" if a.get("quick") else ""
    lines = [f"## {a['time_limit']:g} s per run{quick}, {record['created_utc']}", "",
             f"Measured at commit `{record['commit']}` on {record['machine']['cpus']} cores "
             f"({record['machine']['platform']}), Python {record['machine']['python']}; time limit "
             f"{a['time_limit']:g} s per tool and instance, relative gap 0, each run in a fresh process, seconds from "
             "the child's start (imports included); seed " f"{a['seed']}. Load: `os.getloadavg()` (1 min) before -> "
             "after each run.", "",
             "| instance | n x m | p | radius | model rows | tool | build s | to spopt's objective s | proof s | "
             "objective | bound | gap | peak MB | load |" + (" presolve |" if with_presolve else ""),
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if with_presolve else "")]
    for r in record["results"]:
        inst = record["instances"][r["instance"]]
        obj = r.get("objective")
        lines.append(
            f"| {r['instance']} | {inst['demand']:,} x {inst['sites']:,} | {inst['p']} | {inst['radius']:,.2f} | "
            f"{_fmt(inst.get('rows'), ',d')} | {r['tool']} | {_fmt(r.get('build_s'))} | "
            f"{_fmt(r.get('to_target_s'))} | {_fmt(r.get('seconds') if r.get('proven') else None, '.1f', 'none')} | "
            f"{_fmt(obj, ',.0f', r.get('status', '-'))} | {_fmt(r.get('bound'), ',.1f')} | {_gap(r)} | "
            f"{_fmt(r.get('peak_mb'), ',.0f')} | {r['load_before'][0]:.2f} -> {r['load_after'][0]:.2f} |"
            + (f" {_presolved(r)} |" if with_presolve else ""))
    lines += ["", "Columns: *model rows* = merged demand rows + the p row; *build* = reach (k-d tree) + model "
              "(spopt: dense cost matrix + its PuLP model); *to spopt's objective* = seconds to the first plan "
              "seen at least as good as spopt's final plan (the spopt row: its own end-to-end time; when spopt did "
              "not run or gave no plan: to the run's own final plan; '-' when never reached); *proof* = end-to-end "
              "seconds when the bound met the value, else none; *objective* recomputed from the chosen sites; *gap* "
              "at the limit = |bound - objective| / objective; *peak MB* = the child's ru_maxrss from os.wait4 (its "
              "CBC subprocess included)."
              + (" *presolve* = sites dominated / fixed at 0 / fixed at 1 by reduced cost, its seconds (LP included), "
                 "and its Lagrangian bound when the LP did not finish." if with_presolve else "")]
    if not progress:
        lines += ["", "**Incumbents over time were not available** (this checkout's `SolverOptions` has no "
                  "`on_progress`): only the greedy start and the final plan are seen, so *to spopt's objective* is "
                  "the time of the first of those two that reaches it, an upper bound on the true time."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clustered", default=",".join(CLUSTERED_SIZES), help="comma list of DEMANDxSITES ('' for none)")
    ap.add_argument("--bds", default=",".join(BDS_CASES), help="comma list of CUSTOMERS:RADIUS ('' for none)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke run: clustered {','.join(QUICK_CLUSTERED)}, bds {','.join(QUICK_BDS)}, "
                         f"{QUICK_LIMIT_S:g} s")
    ap.add_argument("--solvers", default="", help="comma list of lifecircle backends (default: every plain one)")
    ap.add_argument("--peer-python", default=None, help="a Python with spopt installed (see peer_spopt.py)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="per tool and instance (s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=str(Path(tempfile.gettempdir()) / "bench-coverage-families"),
                    help="folder for the instances' .npz files (written once, reused)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--presolve", default="on",
                    help="comma list of on/off: each backend with presolve, without it, or both (on,off)")
    ap.add_argument("--record", action="store_true",
                    help="also add the run to benchmarks/coverage_families.json and rewrite "
                         "benchmarks/coverage_families.md from every recorded run")
    ap.add_argument("--record-only-this", action="store_true",
                    help="with --record: keep this run alone (drop the runs recorded before)")
    ap.add_argument("--from-raw", default=None, metavar="JSON[,JSON...]",
                    help="measure nothing: print (and with --record, record) the tables of earlier raw JSON files")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.from_raw:
        runs = [json.loads(Path(f).read_text(encoding="utf-8")) for f in args.from_raw.split(",")]
        for run in runs:
            print(markdown(run))
        if args.record:
            _record(runs, keep_earlier=not args.record_only_this)
        return 0
    if args.quick:
        args.clustered, args.bds, args.time_limit = ",".join(QUICK_CLUSTERED), ",".join(QUICK_BDS), QUICK_LIMIT_S

    names = [s for s in args.solvers.split(",") if s] or plain_solvers()
    modes = [m.strip() for m in args.presolve.split(",") if m.strip()]
    if not modes or set(modes) - {"on", "off"}:
        ap.error(f"--presolve: a comma list of on and off, got {args.presolve!r}")
    peer = args.peer_python
    if peer and subprocess.run([peer, "-c", "import spopt"], capture_output=True).returncode != 0:
        log.warning("spopt is not importable with %s; running lifecircle alone", peer)
        peer = None
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-coverage-families-"))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_path = out_dir / f"coverage-families-{stamp}.json"
    record = {"created_utc": stamp, "commit": head_commit(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform(terse=True)},
              "args": {**vars(args), "solvers": names, "peer": bool(peer)}, "instances": {}, "results": []}

    specs = []
    for size in filter(None, args.clustered.split(",")):
        n, m = (int(v) for v in size.lower().split("x"))
        specs.append(lambda n=n, m=m: clustered_instance(n, m, args.seed))
    for case in filter(None, args.bds.split(",")):
        n, r = case.split(":")
        specs.append(lambda n=int(n), r=float(r): bds_instance(n, r, args.seed))
    timeout = 2 * args.time_limit + 120
    for make in specs:
        inst = make()
        path = write_instance(inst, data)
        name = inst["name"]
        record["instances"][name] = {"family": inst["family"], "demand": len(inst["weights"]),
                                     "sites": len(inst["site_xy"]), "p": inst["p"], "radius": inst["radius"],
                                     "seed": inst["seed"], "weight_total": float(inst["weights"].sum()),
                                     "file": str(path)}
        del inst
        target = None
        tools = ([("spopt", [peer, "-c", SPOPT_CHILD, str(path), str(args.time_limit)])] if peer else []) + \
            [(s if mode == "on" else f"{s}, no presolve",
              [sys.executable, "-c", LIFECIRCLE_CHILD, str(path), str(args.time_limit), s, mode])
             for s in names for mode in modes]
        for tool, cmd in tools:
            log.info("%s %s ...", name, tool)
            r = run_child(cmd, timeout, work, f"{name}-{tool}")
            r.update({"instance": name, "tool": tool})
            if tool != "spopt":
                r["presolve_mode"] = cmd[-1]
            if tool == "spopt" and r.get("objective") is not None:
                target = r["objective"]
            r["target"] = target
            r["to_target_s"] = time_to(r.get("incumbents"), target if target is not None else r.get("objective"))
            for key in ("rows", "cols", "pairs"):
                if r.get(key) is not None:
                    record["instances"][name].setdefault(key, r[key])
            record["results"].append(r)
            log.info("  %s: %s objective %s bound %s proof %s to target %s peak %s MB load %s -> %s", tool,
                     r.get("status"), r.get("objective"), r.get("bound"),
                     _fmt(r.get("seconds") if r.get("proven") else None, ".1f", "none"),
                     _fmt(r.get("to_target_s")), r.get("peak_mb"), r["load_before"][0], r["load_after"][0])
            raw_path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    print(markdown(record))
    log.info("written to %s", raw_path)
    if args.record:
        _record([record], keep_earlier=not args.record_only_this)
    return 0


def _record(runs: list[dict], keep_earlier: bool = False) -> None:
    """Rewrite ``benchmarks/coverage_families.json`` (``{"runs": [...]}``) and ``.md`` (its note kept).

    The note is what follows :data:`NOTE_MARK` in the existing ``.md``: the reading of the
    figures, written by hand, survives a new ``--record``. With ``keep_earlier`` the runs
    already in the ``.json`` come first.
    """
    recorded = REPO / "benchmarks" / "coverage_families.json"
    if keep_earlier and recorded.exists():
        runs = json.loads(recorded.read_text(encoding="utf-8")).get("runs", []) + list(runs)
    (REPO / "benchmarks" / "coverage_families.json").write_text(
        json.dumps({"runs": runs}, indent=2, default=str) + "\n", encoding="utf-8")
    md = REPO / "benchmarks" / "coverage_families.md"
    note = ""
    if md.exists() and NOTE_MARK in md.read_text(encoding="utf-8"):
        note = md.read_text(encoding="utf-8").split(NOTE_MARK, 1)[1]
    md.write_text(TITLE + "\n\n" + "\n".join(markdown(r) for r in runs) + "\n" + NOTE_MARK + note,
                  encoding="utf-8")
    log.info("recorded in benchmarks/coverage_families.json and benchmarks/coverage_families.md")


#: What follows this line in ``coverage_families.md`` (the reading of the figures) survives ``--record``.
NOTE_MARK = "<!-- note: kept by --record -->\n"


if __name__ == "__main__":
    raise SystemExit(main())
