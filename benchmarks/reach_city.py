"""Benchmark: walking reach on the SYNTHETIC city-scale Chongqing central city.

Usage (from the repository root)::

    .venv/bin/python benchmarks/reach_city.py                      # full city, 15 min at 1.0 m/s
    .venv/bin/python benchmarks/reach_city.py --scale 0.1          # a tenth of the city
    .venv/bin/python benchmarks/reach_city.py --threshold-min 10 --cases all,sites,facilities

The city (:mod:`dataset_builders.chongqing_city`) is generated once into
``benchmarks/data/chongqing-city-seed<SEED>-x<SCALE>/`` (git-ignored) and reused while
its ``calibration.json`` shows the same seed and sizes. Each case then runs in a fresh
subprocess: it reads the network and the points, builds the walk network with
``optimizer.reach.build_walk_network`` and computes reach with
``optimizer.reach.network_reach`` from every demand unit to the case's targets
within ``threshold x 60 x speed`` reference seconds. Cases: ``all`` (candidate sites and
existing facilities together, the issue's target), ``sites``, ``facilities``.

A case is within target when build + reach take <= 60 s and the process's peak memory
is <= 4 GB (the issue's target for >= 300,000 nodes, >= 10,000 sites, 15 minutes, on a
2-core machine). Peak memory is the case process's own ``ru_maxrss`` (reading the
GeoPackages included); ``reach peak`` is the peak of the build and reach alone (the
kernel's high-water mark reset after reading, where Linux allows it).

Prints a row per case as it finishes and writes ``benchmarks/results/reach-city-<UTC time>.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "benchmarks" / "data"
TIME_TARGET_S = 60.0
MEMORY_TARGET_MB = 4096.0
CASES = ("all", "sites", "facilities")


def city_folder(seed: int, scale: float) -> Path:
    """Where the city of this seed and scale is kept."""
    return DATA / f"chongqing-city-seed{seed}-x{scale:g}"


def _expected_params(seed: int, scale: float) -> dict:
    from dataset_builders import chongqing_city as cc

    return {"seed": seed, "scale": scale, "n_units": int(round(100_000 * scale)),
            "n_sites": int(round(10_000 * scale)), "n_nodes_target": int(round(320_000 * scale)),
            "n_circles": cc.CENTRAL_CITY_LIFE_CIRCLES}


def existing_city(folder: Path, seed: int, scale: float) -> dict | None:
    """The calibration of a complete city in ``folder`` made with these parameters, else ``None``."""
    cal_path = folder / "calibration.json"
    if not cal_path.exists() or not all((folder / f"{t}.gpkg").exists()
                                        for t in ("demand", "sites", "facilities", "network")):
        return None
    cal = json.loads(cal_path.read_text(encoding="utf-8"))
    p = cal.get("params", {})
    want = _expected_params(seed, scale)
    have = {"seed": cal.get("seed"), **{k: p.get(k) for k in want if k != "seed"}}
    return cal if have == want else None


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _reset_peak() -> bool:
    """Reset the kernel's resident-set high-water mark (Linux >= 4.0); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _hwm_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _generate(seed: int, scale: float, folder: Path) -> dict:
    """Generate and write the city in this process; return its time and peak memory."""
    import logging

    from dataset_builders import chongqing_city as cc

    logging.basicConfig(level=logging.INFO, format="  %(message)s", stream=sys.stderr)
    t0 = time.perf_counter()
    dataset = cc.generate(seed, scale=scale)
    t_gen = time.perf_counter() - t0
    cc.write(dataset, folder)
    return {"generate_s": round(t_gen, 1), "write_s": round(time.perf_counter() - t0 - t_gen, 1),
            "peak_mb": round(_peak_mb(), 0)}


def _case(case: str, folder: Path, threshold_min: float, speed: float) -> dict:
    """Run one case in this process and return its figures."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from dataset_builders.chongqing_city import METRIC_CRS
    from optimizer.reach import build_walk_network, cutoff_ref_seconds, network_reach

    t0 = time.perf_counter()
    edges = gpd.read_file(folder / "network.gpkg", layer="network", engine="pyogrio").to_crs(METRIC_CRS)

    def points(name: str) -> np.ndarray:
        gdf = gpd.read_file(folder / f"{name}.gpkg", layer=name, engine="pyogrio").to_crs(METRIC_CRS)
        return shapely.get_coordinates(gdf.geometry.values)

    unit_xy = points("demand")
    parts = {"sites": points("sites"), "facilities": points("facilities")}
    target_xy = np.vstack([parts["sites"], parts["facilities"]]) if case == "all" else parts[case]
    t_read = time.perf_counter() - t0
    read_peak = _peak_mb()
    reset = _reset_peak()

    t0 = time.perf_counter()
    network = build_walk_network(edges)
    t_build = time.perf_counter() - t0
    del edges
    cutoff = cutoff_ref_seconds(threshold_min, speed)
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 10.0 or done == total:
            last[0] = now
            print(f"  {case}: {done:,}/{total:,} searched", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    reach = network_reach(unit_xy, target_xy, network, cutoff, max_snap_m=500.0, progress=progress)
    t_reach = time.perf_counter() - t0
    peak = _peak_mb()
    reach_peak = _hwm_mb() if reset else None
    ok = t_build + t_reach <= TIME_TARGET_S and peak <= MEMORY_TARGET_MB
    return {"case": case, "nodes": network.n_nodes, "arcs": network.n_arcs, "edges": network.n_edges,
            "stairs": network.n_stairs_edges, "units": int(len(unit_xy)), "targets": int(len(target_xy)),
            "threshold_min": threshold_min, "speed_mps": speed, "cutoff_ref_s": cutoff,
            "read_s": round(t_read, 2), "build_s": round(t_build, 2), "reach_s": round(t_reach, 2),
            "pairs": reach.n_pairs, "unreachable_units": int(reach.unreachable_units.size),
            "peak_mb": round(peak, 0), "read_peak_mb": round(read_peak, 0),
            "reach_peak_mb": None if reach_peak is None else round(reach_peak, 0),
            "within_target": bool(ok), "notes": list(reach.notes)}


HEADER = (f"{'case':<11}{'nodes':>9}{'arcs':>10}{'units':>8}{'targets':>8}{'min':>5}{'read s':>8}"
          f"{'build s':>8}{'reach s':>8}{'pairs':>12}{'peak MB':>8}{'reach MB':>9}  within 60 s / 4 GB")


def _row(r: dict) -> str:
    if r.get("status") == "crashed":
        return f"{r['case']:<11} crashed (exit {r.get('exit')})"
    rp = "-" if r["reach_peak_mb"] is None else f"{r['reach_peak_mb']:.0f}"
    return (f"{r['case']:<11}{r['nodes']:>9,}{r['arcs']:>10,}{r['units']:>8,}{r['targets']:>8,}"
            f"{r['threshold_min']:>5g}{r['read_s']:>8.1f}{r['build_s']:>8.1f}{r['reach_s']:>8.1f}{r['pairs']:>12,}"
            f"{r['peak_mb']:>8.0f}{rp:>9}  {'yes' if r['within_target'] else 'NO'}")


def _save(path: Path, stamp: str, args: argparse.Namespace, city: dict, rows: list[dict]) -> None:
    """Write everything measured so far (an interrupted run keeps its finished cases)."""
    path.write_text(json.dumps({
        "created_utc": stamp,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "args": {k: v for k, v in vars(args).items() if not k.startswith("_")},
        "targets": {"time_s": TIME_TARGET_S, "memory_mb": MEMORY_TARGET_MB},
        "city": city, "results": rows}, indent=2, ensure_ascii=False), encoding="utf-8")


def _child(argv: list[str], what: str) -> dict | None:
    """Run this script with ``argv`` in a fresh process; its last stdout line is JSON."""
    out = subprocess.run([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True, cwd=REPO)
    if out.returncode != 0:
        print(f"{what} failed (exit {out.returncode})", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="city size multiple (1 = full central city)")
    ap.add_argument("--seed", type=int, default=2020)
    ap.add_argument("--threshold-min", type=float, default=15.0, help="walking threshold in minutes")
    ap.add_argument("--speed", type=float, default=1.0, help="walking speed in m/s")
    ap.add_argument("--cases", default="all", help=f"comma list of: {', '.join(CASES)}")
    ap.add_argument("--regenerate", action="store_true", help="generate the city even if it exists")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--_child", help=argparse.SUPPRESS)
    ap.add_argument("--_generate", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    folder = city_folder(args.seed, args.scale)

    if args._generate:
        print(json.dumps(_generate(args.seed, args.scale, folder)))
        return 0
    if args._child:
        print(json.dumps(_case(args._child, folder, args.threshold_min, args.speed)))
        return 0

    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        ap.error(f"unknown cases {unknown}; choose from {', '.join(CASES)}")
    cal = None if args.regenerate else existing_city(folder, args.seed, args.scale)
    generation = None
    if cal is None:
        print(f"generating the synthetic city (seed {args.seed}, scale {args.scale:g}) into {folder} ...",
              file=sys.stderr, flush=True)
        generation = _child(["--_generate", "--seed", str(args.seed), "--scale", str(args.scale)], "generation")
        if generation is None:
            return 1
        print(f"generated in {generation['generate_s']} s (+ {generation['write_s']} s writing), "
              f"peak {generation['peak_mb']:.0f} MB", file=sys.stderr, flush=True)
        cal = existing_city(folder, args.seed, args.scale)
        if cal is None:
            print(f"the generated city in {folder} does not match its parameters", file=sys.stderr)
            return 1
    else:
        print(f"reusing {folder}", file=sys.stderr, flush=True)
    city = {"folder": str(folder), "seed": args.seed, "scale": args.scale, "counts": cal["counts"],
            "generation_seconds": cal.get("generation_seconds"), "generation_run": generation}

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"reach-city-{stamp}.json"
    print(HEADER)
    print("-" * len(HEADER), flush=True)
    rows: list[dict] = []
    for case in cases:
        print(f"running {case} ...", file=sys.stderr, flush=True)
        r = _child(["--_child", case, "--seed", str(args.seed), "--scale", str(args.scale),
                    "--threshold-min", str(args.threshold_min), "--speed", str(args.speed)], f"case {case}")
        rows.append(r if r is not None else {"case": case, "status": "crashed"})
        print(_row(rows[-1]), flush=True)
        _save(path, stamp, args, city, rows)
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
