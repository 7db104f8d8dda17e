"""One model, several solvers: their plans side by side, each checked independently.

The model is built once (validate, reach, existing service, build: the pipeline's own
steps); each solver then solves that same model, by default in a fresh Python process of
its own (so its peak memory is its own and a solver that overruns its time limit by more
than a grace period is killed with its whole process group), otherwise in this process.
Every plan is read back and re-checked exactly as ``lifecircle solve`` does. Then every
two solvers are compared: the ``site:function`` entries they share and differ on, and
whether a difference is an equally good alternative optimum or a worse plan.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import solvers
from optimizer.check import CheckReport, SolverClaims, check_plan
from optimizer.errors import LifecircleError, SolverFailure
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.pipeline import ModelSetup, Progress, prepare_model
from optimizer.plan import plan_from_solution
from optimizer.reach.cache import ReachCache
from optimizer.scenario import Scenario
from optimizer.solving import solve
from solvers.isolation import CHILD_PEAK_KB
from solvers.problem import Sense
from solvers.result import PROOF_ABS_TOL, PROOF_REL_TOL, SolveResult, SolveStatus

log = logging.getLogger(__name__)

#: Seconds a solver process may run beyond its time limit before it is killed: this, or a
#: quarter of the limit when that is longer (start-up, model transfer, LP bound, read-back).
KILL_GRACE_S = 30.0


def known_solvers() -> list[str]:
    """Every name ``--solvers`` accepts: the registered backends (the greedy heuristic among them)."""
    return solvers.all_solvers()


def unavailable_hint(name: str) -> str:
    """Empty when ``name`` can run here, else how to install it."""
    cls = solvers.SOLVERS[name]
    try:
        ok = cls.available()
    except Exception:  # noqa: BLE001 - available() must not raise; be safe anyway
        ok = False
    return "" if ok else f"pip install {cls.extra}"


#: The built model and what reading a plan back needs (the pipeline's steps before solving).
Prepared = ModelSetup


def prepare(scenario: Scenario, progress: Progress | None = None, reach_cache: ReachCache | None = None,
            inputs: Inputs | None = None) -> Prepared:
    """Validate, reach, existing service and build, once: :func:`optimizer.pipeline.prepare_model`."""
    return prepare_model(scenario, progress, inputs, reach_cache)


@dataclass
class SolverRun:
    """One solver's answer on the shared model, read back and checked."""

    solver: str
    status: str
    proven_optimal: bool = False
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    sites: int | None = None
    cost: float | None = None
    check_passed: bool | None = None
    message: str = ""
    entries: list[str] = field(default_factory=list)
    check_failures: list[str] = field(default_factory=list)
    recomputed_objective: float | None = None
    detail: dict = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        """True when the solver returned a plan (checked)."""
        return self.check_passed is not None

    def row(self) -> dict:
        """The table row (compare.csv)."""
        return {"solver": self.solver, "status": self.status, "proven_optimal": self.proven_optimal,
                "objective": self.objective, "bound": self.bound, "gap": self.gap, "seconds": self.seconds,
                "peak_mb": self.peak_mb, "sites": self.sites, "cost": self.cost, "check_passed": self.check_passed,
                "message": self.message}


def _scenario_for(scenario: Scenario, name: str, time_limit_s: float | None) -> Scenario:
    spec = dataclasses.replace(scenario.solver, name=name)
    if time_limit_s is not None:
        spec = dataclasses.replace(spec, time_limit_s=float(time_limit_s))
    return dataclasses.replace(scenario, solver=spec)


def _solve_here(model: PlanningModel, scenario: Scenario) -> dict:
    """Solve and report as the worker does: result or error, seconds, peak memory."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    out: dict = {"baseline_kb": before}
    try:
        out["result"] = solve(model, scenario)
    except LifecircleError as exc:
        out["error"], out["error_kind"] = str(exc), type(exc).__name__
    out["seconds"] = time.perf_counter() - t0
    out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if "result" in out:  # a large time-limited solve ran in a child process: its memory is the child's
        out["peak_kb"] = max(out["peak_kb"], int(out["result"].extra.get(CHILD_PEAK_KB, 0)))
    return out


def _worker(job: str, answer: str) -> None:
    """Entry of a solver process: read the model and scenario, solve, write the answer."""
    with open(job, "rb") as fh:
        model, scenario = pickle.load(fh)
    out = _solve_here(model, scenario)
    with open(answer + ".tmp", "wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(answer + ".tmp", answer)


def _solve_in_process(model: PlanningModel, scenario: Scenario, hard_limit: float | None) -> dict:
    """Solve in a fresh Python process; kill its process group if it runs past ``hard_limit``."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with tempfile.TemporaryDirectory(prefix="lifecircle-compare-") as tmp:
        job, answer, errors = Path(tmp) / "job.pkl", Path(tmp) / "answer.pkl", Path(tmp) / "stderr.txt"
        with open(job, "wb") as fh:
            pickle.dump((model, scenario), fh, protocol=pickle.HIGHEST_PROTOCOL)
        t0 = time.perf_counter()
        with open(errors, "wb") as err:
            child = subprocess.Popen(
                [sys.executable, "-c", "import sys; from optimizer.studies.comparison import _worker; "
                 "_worker(sys.argv[1], sys.argv[2])", str(job), str(answer)],
                stdout=subprocess.DEVNULL, stderr=err, env=env, start_new_session=True)
            try:
                code = child.wait(timeout=hard_limit)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)  # the solver process and anything it started
                child.wait()
                return {"killed": True, "seconds": time.perf_counter() - t0}
        if code != 0 or not answer.exists():
            tail = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            return {"error": f"solver process exited with code {code}: " + " | ".join(tail),
                    "error_kind": "crash", "seconds": time.perf_counter() - t0}
        with open(answer, "rb") as fh:
            return pickle.load(fh)


def run_solver(prep: Prepared, name: str, time_limit_s: float | None = None, isolate: bool = True) -> SolverRun:
    """Solve the prepared model with solver ``name``, read the plan back and check it."""
    hint = unavailable_hint(name)
    if hint:
        return SolverRun(name, "unavailable", message=f"not installed: {hint}")
    scenario = _scenario_for(prep.scenario, name, time_limit_s)
    model = prep.model
    limit = scenario.solver.time_limit_s
    log.info("compare: solving with %s%s", name, f" (time limit {limit:g} s)" if limit else "")
    if isolate:
        hard = None if limit is None else limit + max(KILL_GRACE_S, 0.25 * limit)
        out = _solve_in_process(model, scenario, hard)
    else:
        out = _solve_here(model, scenario)
    seconds = round(float(out.get("seconds", 0.0)), 3)
    peak = out.get("peak_kb")
    if peak is not None:
        # Linux reports kilobytes; in this process only the growth above the earlier peak is its own
        peak_mb = peak / 1024 if isolate else max(peak - out["baseline_kb"], 0) / 1024
        peak_mb = round(peak_mb, 1)
    else:
        peak_mb = None
    detail = {"process_baseline_mb": round(out["baseline_kb"] / 1024, 1) if "baseline_kb" in out else None}
    if out.get("killed"):
        return SolverRun(name, "killed", seconds=seconds, detail=detail,
                         message="ran past its time limit by more than the grace period and was killed")
    if "error" in out:
        return SolverRun(name, "error" if out.get("error_kind") != "SolverFailure" else "no_solution",
                         seconds=seconds, peak_mb=peak_mb, message=str(out["error"]), detail=detail)
    result: SolveResult = out["result"]
    run = SolverRun(name, result.status.value, result.proven_optimal, result.objective, result.bound, result.gap,
                    seconds, peak_mb, message=result.message, detail={**detail, "termination": result.termination.value,
                                                                      "solver_seconds": round(result.solve_seconds, 3),
                                                                      "solver_version": result.solver_version,
                                                                      **_plain(result.extra)})
    if result.status is SolveStatus.INFEASIBLE or not result.status.has_solution:
        return run
    plan = plan_from_solution(model, result.values, prep.context.for_scenario(scenario))
    report: CheckReport = check_plan(plan, prep.context.for_scenario(scenario), SolverClaims.from_model(model, result))
    ids = prep.inputs.sites["site_id"].astype(str).to_numpy()
    run.entries = sorted(f"{ids[s]}:{f}" for s, fs in plan.functions_at().items() for f in fs)
    run.sites = len(plan.sites)
    run.cost = round(plan.total_cost, 2)
    run.check_passed = report.passed
    run.check_failures = report.failures
    least = scenario.objective == "least_cost"
    run.recomputed_objective = report.recomputed["cost_of_solver_choice" if least else "weighted_coverage"]
    if plan.dropped:
        run.detail["dropped_redundant"] = list(plan.dropped)
    return run


def _plain(extra: dict) -> dict:
    out = {}
    for k, v in extra.items():
        if isinstance(v, (bool, int, float, str)) or v is None:
            out[k] = v
        elif isinstance(v, np.generic):
            out[k] = v.item()
    return out


def same_value(a: float, b: float) -> bool:
    """Equal up to the proof tolerance of :mod:`solvers.result` (at the larger magnitude)."""
    return abs(a - b) <= PROOF_ABS_TOL + PROOF_REL_TOL * max(abs(a), abs(b))


def agreement(runs: list[SolverRun], sense: Sense) -> list[dict]:
    """For every two solvers with a plan: entries shared and different, and what the difference means."""
    out = []
    with_plan = [r for r in runs if r.has_plan]
    for i, a in enumerate(with_plan):
        for b in with_plan[i + 1:]:
            ea, eb = set(a.entries), set(b.entries)
            va, vb = a.recomputed_objective, b.recomputed_objective
            row = {"solver_a": a.solver, "solver_b": b.solver, "shared": len(ea & eb),
                   "only_a": sorted(ea - eb), "only_b": sorted(eb - ea), "objective_a": va, "objective_b": vb,
                   "difference": None if va is None or vb is None else va - vb}
            if ea == eb:
                row["verdict"] = "same plan"
            elif va is not None and vb is not None and same_value(va, vb):
                row["verdict"] = ("alternative optimum: equally good, both proven optimal"
                                  if a.proven_optimal and b.proven_optimal else
                                  "equally good value, different entries (not both proven optimal)")
            elif va is not None and vb is not None:
                a_better = va > vb if sense is Sense.MAXIMIZE else va < vb
                worse, better = (b, a) if a_better else (a, b)
                by = abs(va - vb)
                rel = by / max(abs(better.recomputed_objective), 1e-10)
                row["verdict"] = f"{worse.solver}'s plan is worse by {by:,.1f} ({rel:.3%})"
                row["worse"], row["worse_by"], row["worse_by_share"] = worse.solver, by, rel
            else:
                row["verdict"] = "different plans"
            out.append(row)
    return out


def compare(prep: Prepared, names: list[str], time_limit_s: float | None = None,
            isolate: bool = True) -> tuple[list[SolverRun], list[dict]]:
    """Every solver of ``names`` on the prepared model, and their pairwise agreement."""
    runs = []
    for name in names:
        try:
            runs.append(run_solver(prep, name, time_limit_s, isolate))
        except SolverFailure as exc:  # raised while reading back or checking: reported, not fatal
            runs.append(SolverRun(name, "error", message=str(exc)))
    return runs, agreement(runs, prep.model.problem.sense)


if __name__ == "__main__":  # pragma: no cover - the solver process
    _worker(sys.argv[1], sys.argv[2])
