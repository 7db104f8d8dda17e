"""Benchmark: how long each solver runs at a short time limit on the demo, against limit + grace.

Usage (from the repository root)::

    .venv/bin/python benchmarks/time_limits.py             # greedy, highs, cbc, scip at 1 s and 3 s
    .venv/bin/python benchmarks/time_limits.py --record    # and rewrite benchmarks/time_limits.{json,md}
    .venv/bin/python benchmarks/time_limits.py --case demo-x4 --solvers highs --limits 30,90 \
        --modes in-process,child --record                  # the 4x demo, before and after issue 18

``--case demo-x4`` is the demo district generated at 4x (demand, sites and budget; the
scaled case of ``benchmarks/run.py`` and ``benchmarks/solver_table.py``), whose HiGHS
presolve once ran past a 120 s limit plus its grace (issue 18).

The demo's model (``scenarios/yuzhong-demo.yaml``) is built once; each case is one
:func:`optimizer.solving.solve` with ``solver.name`` and ``solver.time_limit_s`` set, timed
from the call (the greedy start and the model's hand-over count against the limit, as in a
run). Each row keeps the wall time, the limit, the grace (:func:`solvers.result.grace_for`),
the termination, the plan's objective and bound, and ``os.getloadavg()`` before and after:
the machine may be shared, so read every time with its load. Speed targets live here, never
in tests (tests/solver_backends/test_time_limits.py checks what each backend is handed).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SOLVERS = ("greedy", "highs", "cbc", "scip")
LIMITS = (1.0, 3.0)


def _scenario(case: str):
    """The demo's scenario, or (``demo-x4``) the demo generated at 4x, written once to a temporary folder."""
    from optimizer.scenario import load_scenario

    demo = REPO / "scenarios" / "yuzhong-demo.yaml"
    if case == "demo":
        return load_scenario(demo)
    scale = int(case.removeprefix("demo-x"))
    folder = Path(tempfile.gettempdir()) / f"lifecircle-time-limits-x{scale}"
    if not (folder / "demand.gpkg").exists():
        from dataset_builders import yuzhong

        yuzhong.write(yuzhong.generate(seed=2020, scale=scale), folder)
    sets = [f"inputs.{t}.path={folder / (t + '.gpkg')}" for t in ("demand", "sites", "facilities", "network")]
    return load_scenario(demo, sets + [f"budget.total={80_000_000 * scale}"])


def _modes(backend, modes: tuple[str, ...]) -> tuple[str, ...]:
    """The modes a backend runs in: both for a solve that may be forked (:mod:`solvers.isolation`), else one."""
    caps = backend.capabilities
    return modes if caps.in_process and not caps.needs_planning_model else ("as is",)


def measure(solvers: tuple[str, ...] = SOLVERS, limits: tuple[float, ...] = LIMITS, case: str = "demo",
            modes: tuple[str, ...] = ("child",)) -> list[dict]:
    """One row per solver, limit and mode (``child``: forked as in use; ``in-process``: the solve before issue
    18) on the case's model (built once); the modes of one solver and limit run one after the other."""
    import solvers as registry
    from optimizer.pipeline import prepare_model
    from optimizer.solving import solve
    from solvers.result import grace_for

    setup = prepare_model(_scenario(case))
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    rows = []
    for name in solvers:
        if name not in registry.available_solvers():
            continue
        cls = registry.SOLVERS[name]
        for limit in limits:
            for mode in _modes(cls, modes):
                sc = dataclasses.replace(setup.scenario, solver=dataclasses.replace(
                    setup.scenario.solver, name=name, time_limit_s=limit))
                cls.run_in_child = mode != "in-process"
                load_before = os.getloadavg()[0]
                t0 = time.perf_counter()
                try:
                    r = solve(setup.model, sc)
                finally:
                    cls.run_in_child = True
                wall = time.perf_counter() - t0
                ran = ("child" if r.extra.get("solved_in_child") else
                       "in process" if cls.capabilities.in_process else "subprocess")
                rows.append({"case": case, "solver": name, "mode": ran, "limit_s": limit,
                             "grace_s": round(grace_for(limit), 2),
                             "wall_s": round(wall, 2), "within_limit_and_grace": wall <= limit + grace_for(limit),
                             "termination": r.termination.value, "objective": r.objective, "bound": r.bound,
                             "plan_from": r.extra.get("plan_from", r.solver), "measured_utc": stamp,
                             "loadavg_before": round(load_before, 2), "loadavg_after": round(os.getloadavg()[0], 2)})
                print(f"{name:7s} {rows[-1]['mode']:10s} limit {limit:4.1f} s  wall {wall:6.2f} s  "
                      f"{r.termination.value:12s} objective {r.objective}  bound {r.bound}  load {load_before:.2f}",
                      flush=True)
    return rows


def _markdown(record: dict) -> str:
    lines = ["# Time limits (`benchmarks/time_limits.py`)", "",
             f"On {record['cores']} cores, Python {record['python']}; wall time from the call of "
             "`optimizer.solving.solve` (greedy start and hand-over included); load is `os.getloadavg()` (1 min) "
             "before -> after; `child`: the solve ran in a forked child process stopped at limit + grace "
             "(issue 18), `in process`: as before it (a model under 10,000 nonzeros is never forked), `subprocess`: "
             "CBC.", "",
             "| case | solver | mode | limit s | grace s | wall s | within limit + grace | termination | objective "
             "| bound | load | measured |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in record["rows"]:
        bound = "none" if r["bound"] is None else f"{r['bound']:.2f}"
        objective = "none" if r["objective"] is None else f"{r['objective']:.2f}"
        lines.append(f"| {r.get('case', 'demo')} | {r['solver']} | {r.get('mode', 'in process')} | {r['limit_s']:g} | "
                     f"{r['grace_s']:g} | {r['wall_s']:.2f} | {'yes' if r['within_limit_and_grace'] else 'NO'} | "
                     f"{r['termination']} | {objective} | {bound} | {r['loadavg_before']:.2f} -> "
                     f"{r['loadavg_after']:.2f} | {r.get('measured_utc', record.get('measured_utc', ''))} |")
    lines += ["", "Target (issues 16 and 18): every solver stops within its limit plus the grace, max(2 s, 10 %), "
              "and returns at least the greedy plan in coverage mode."]
    return "\n".join(lines) + "\n"


def _merged(old: dict, record: dict) -> dict:
    """``record`` with the rows of ``old`` for other cases kept (rows without a case are the demo's)."""
    case = record["rows"][0]["case"] if record["rows"] else None
    kept = [r for r in old.get("rows", []) if r.get("case", "demo") != case]
    for r in kept:
        r.setdefault("case", "demo")
        r.setdefault("mode", "in process")
        r.setdefault("measured_utc", old.get("measured_utc", ""))
    return {**record, "rows": sorted(kept + record["rows"], key=lambda r: r["case"] != "demo")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true",
                        help="Also write benchmarks/time_limits.json and benchmarks/time_limits.md (the rows of "
                             "other cases are kept).")
    parser.add_argument("--case", default="demo", choices=("demo", "demo-x2", "demo-x4"),
                        help="The shipped demo, or the demo generated at 2x or 4x.")
    parser.add_argument("--solvers", default=",".join(SOLVERS), help="Comma list of solvers.")
    parser.add_argument("--limits", default=",".join(f"{v:g}" for v in LIMITS), help="Comma list of limits (s).")
    parser.add_argument("--modes", default="child",
                        help="Comma list of child, in-process: how a solve that may be forked runs (side by side).")
    parser.add_argument("--out", help="Write the record (JSON) to this file.")
    args = parser.parse_args(argv)
    solvers = tuple(s for s in args.solvers.split(",") if s)
    limits = tuple(float(v) for v in args.limits.split(",") if v)
    modes = tuple(m for m in args.modes.split(",") if m)
    record = {"measured_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
              "cores": os.cpu_count(), "python": platform.python_version(),
              "rows": measure(solvers, limits, args.case, modes)}
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if args.record:
        path = REPO / "benchmarks" / "time_limits.json"
        old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        record = _merged(old, record)
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (REPO / "benchmarks" / "time_limits.md").write_text(_markdown(record), encoding="utf-8")
        print("recorded in benchmarks/time_limits.json and benchmarks/time_limits.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
