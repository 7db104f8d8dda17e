"""``lifecircle batch``: many scenario runs, each in its own process, resumable.

A batch is a glob of scenario files or a batch file (YAML)::

    runs:
      - {scenario: scenarios/yuzhong-demo.yaml, set: ["budget.total=5e7"], name: optional}

Every run is written by :func:`optimizer.outputs.writers.write_run` to
``<out>/<name>/<run id>/``. A run is skipped when that folder already holds a finished
run with the same fingerprint (resolved scenario + input file hashes, as in the run id);
half-written ``.partial`` folders whose writer died are removed and the run redone (one whose
writer still lives is never touched). Each run is solved under its lock
(``<out>/<name>/.run.lock``): a second batch in the same ``out``, or a worker left by a killed
batch, is waited for, and the run it finished is then skipped. A failure is recorded with its
kind and never stops the other runs. ``<out>/batch-summary.csv`` and ``.json`` are rewritten
atomically after every finished run.

The runs are carried out by a :class:`optimizer.batch.executors.RunExecutor`: local spawned
processes by default, or a Dask cluster (``lifecircle batch --scheduler``); the loop here is
the same for both. A run whose worker died is run again (``retries``); a run that fails for
an ordinary reason is recorded, not retried. ``attempts`` in the summary counts the starts.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from optimizer import yaml_bounded
from optimizer.errors import CheckFailed, InfeasibleScenario, InputError, ScenarioError, SolverFailure

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ["name", "scenario", "status", "proven", "objective", "gap", "cost", "sites", "seconds",
                   "resume", "attempts", "run_folder", "message"]
#: status of a run that wrote a plan
SOLVED = "solved"


class BatchError(ScenarioError):
    """A batch file or pattern that cannot be understood (nothing was run)."""


@dataclass(frozen=True)
class BatchRun:
    """One run of a batch: a scenario file, its overrides and the folder name."""

    name: str
    scenario: str
    sets: tuple[str, ...] = field(default_factory=tuple)


def _short_hash(items: tuple[str, ...] | list[str]) -> str:
    return hashlib.sha256(json.dumps(list(items)).encode()).hexdigest()[:6]


def _scenario_name(path: Path) -> str:
    try:
        from optimizer.scenario import read_raw

        name = read_raw(path).get("name")
        return str(name) if name else path.stem
    except Exception:  # noqa: BLE001 - a broken scenario is reported when it is run
        return path.stem


def _run_name(path: Path, sets: tuple[str, ...], name: str | None) -> str:
    if name:
        return str(name)
    base = _scenario_name(path)
    return f"{base}-{_short_hash(sets)}" if sets else base


def plan_batch(source: str, sets: tuple[str, ...] = ()) -> list[BatchRun]:
    """The runs of a batch file (``.yaml``/``.yml`` with ``runs:``) or of a glob of scenario files.

    ``sets`` are applied to every run, before the run's own overrides.
    """
    path = Path(source)
    runs: list[BatchRun] = []
    raw = None
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        try:
            raw = yaml_bounded.load_file(path)
        except (yaml.YAMLError, yaml_bounded.YamlTooLarge, UnicodeDecodeError, OSError) as exc:
            raise BatchError([yaml_bounded.problem_text(exc)], source=source) from None
    if isinstance(raw, dict) and "runs" in raw:
        problems = []
        entries = raw["runs"]
        if not isinstance(entries, list) or not entries:
            raise BatchError(["runs: must be a non-empty list of {scenario, set, name}"], source=source)
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or "scenario" not in entry:
                problems.append(f"runs[{i}]: needs 'scenario: <file>'")
                continue
            unknown = set(entry) - {"scenario", "set", "name"}
            if unknown:
                problems.append(f"runs[{i}]: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            own = entry.get("set") or []
            if isinstance(own, str):
                own = [own]
            if not isinstance(own, list) or not all(isinstance(s, str) for s in own):
                problems.append(f"runs[{i}].set: must be a list of 'key=value' strings")
                continue
            scenario = Path(entry["scenario"])
            if not scenario.is_absolute():
                scenario = path.parent / scenario
            all_sets = tuple(sets) + tuple(own)
            runs.append(BatchRun(_run_name(scenario, all_sets, entry.get("name")), str(scenario), all_sets))
        if problems:
            raise BatchError(problems, source=source)
    else:
        files = sorted(glob.glob(source))
        if not files:
            raise BatchError([f"no scenario file matches {source!r}"], source="batch")
        runs = [BatchRun(_run_name(Path(f), tuple(sets), None), f, tuple(sets)) for f in files]
    seen: dict[str, int] = {}
    for r in runs:
        seen[r.name] = seen.get(r.name, 0) + 1
    twice = sorted(n for n, k in seen.items() if k > 1)
    if twice:
        raise BatchError([f"run name {n!r} is used by more than one run (give each a distinct 'name')"
                          for n in twice], source=source)
    return runs


# ----------------------------------------------------------------------------- fingerprints
def _digest(resolved: object, files: dict) -> str:
    from optimizer.jsonable import to_jsonable

    return hashlib.sha256(json.dumps(to_jsonable(resolved), sort_keys=True, default=str).encode()
                          + json.dumps(files, sort_keys=True).encode()).hexdigest()


def scenario_fingerprint(scenario) -> str:
    """Hash of the resolved scenario and its input files: what the run id hashes, before solving.

    The files are every input a run reads and records in run.json (``inputs.files``; life-circle
    outlines, shared garages and the requests ledger too), so a finished run is found again.
    """
    from optimizer.inputs import input_file_hashes

    return _digest(scenario.resolved, input_file_hashes(scenario.inputs))


def record_fingerprint(record: dict) -> str:
    """The fingerprint of a written run, from its run.json."""
    return _digest(record["scenario"]["resolved"], record["inputs"]["files"])


def finished_run(folder: Path, fingerprint: str) -> Path | None:
    """The newest finished run in ``folder`` with this fingerprint, or None."""
    if not folder.is_dir():
        return None
    for run in sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True):
        try:
            record = json.loads((run / "run.json").read_text(encoding="utf-8"))
            if record_fingerprint(record) == fingerprint:
                return run
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return None


def remove_partials(folder: Path) -> bool:
    """Remove the half-written run folders (``.<run id>.partial``) whose writer died; True when there were any.

    A partial folder whose writer still lives (a worker of another batch, or of this one) is
    never touched (:func:`optimizer.processes.remove_abandoned_partials`).
    """
    from optimizer.processes import remove_abandoned_partials

    return bool(remove_abandoned_partials(folder))


#: The lock file of a batch run, in ``<out>/<run name>/``: held while the run is solved and written.
RUN_LOCK = ".run.lock"


def _row_from_record(run: BatchRun, folder: Path, record: dict, seconds: float, resume: str) -> dict:
    plan = record.get("plan") or {}
    proven = bool(record.get("proven_optimal"))
    # a plan not proven optimal (time limit): its incumbent and gap, and the solver's word on why
    message = "" if proven else str((record.get("solver") or {}).get("message") or record.get("status") or "")
    return {"name": run.name, "scenario": run.scenario, "status": SOLVED,
            "proven": proven, "objective": record.get("objective"),
            "gap": record.get("gap"), "cost": plan.get("cost"), "sites": plan.get("sites_converted"),
            "seconds": round(seconds, 2), "resume": resume, "attempts": 0 if resume == "skipped" else 1,
            "run_folder": str(folder), "message": message}


def failure_kind(exc: BaseException) -> str:
    """The kind of a failed run, in the summary's words (input error, infeasible, ...)."""
    if isinstance(exc, (InputError, ScenarioError)):
        return "input error"
    if isinstance(exc, InfeasibleScenario):
        return "infeasible"
    if isinstance(exc, SolverFailure):
        return "solver failure"
    if isinstance(exc, CheckFailed):
        return "check failed"
    return "crashed"


def _failure_row(run: BatchRun, kind: str, message: str, seconds: float, resume: str = "") -> dict:
    return {"name": run.name, "scenario": run.scenario, "status": kind, "proven": False, "objective": None,
            "gap": None, "cost": None, "sites": None, "seconds": round(seconds, 2), "resume": resume,
            "attempts": 1, "run_folder": "", "message": message}


# ----------------------------------------------------------------------------- one run (in a worker)
def _worker_init() -> None:
    """In each worker: quiet logging, and die with the batch (a killed batch leaves no worker solving)."""
    from optimizer.processes import die_with_parent

    die_with_parent()
    logging.getLogger("optimizer").setLevel(logging.WARNING)
    logging.getLogger("solvers").setLevel(logging.WARNING)


def execute_run(run: BatchRun, out: str, resume: str = "") -> dict:
    """Load, solve and write one run; every outcome becomes a summary row (never raises).

    The run's lock (``<out>/<run name>/.run.lock``) is held from the moment the run is found
    unfinished until its folder is in place: a second batch in the same ``out`` (or a worker left
    by a killed one) waits for it, then finds the run finished and skips it.
    """
    t0 = time.perf_counter()
    try:
        from optimizer.outputs.writers import write_run
        from optimizer.pipeline import run_scenario
        from optimizer.processes import held_lock
        from optimizer.reach.cache import ReachCache
        from optimizer.scenario import load_scenario

        sc = dataclasses.replace(load_scenario(run.scenario, list(run.sets)), name=run.name)
        folder = Path(out) / run.name
        with held_lock(folder / RUN_LOCK, f"run {run.name}"):
            remove_partials(folder)
            done = finished_run(folder, scenario_fingerprint(sc))
            if done is not None:  # finished meanwhile by another batch
                record = json.loads((done / "run.json").read_text(encoding="utf-8"))
                return _row_from_record(run, done, record, time.perf_counter() - t0, "skipped")
            cache = ReachCache(Path(out) / ".reach-cache") if sc.reach.cache else None
            result = run_scenario(sc, reach_cache=cache)
            written = write_run(result, out)
        record = json.loads((written / "run.json").read_text(encoding="utf-8"))
        return _row_from_record(run, written, record, time.perf_counter() - t0, resume)
    except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
        message = str(exc) or type(exc).__name__
        if failure_kind(exc) == "crashed":
            message = f"{type(exc).__name__}: {message}"
        return _failure_row(run, failure_kind(exc), message, time.perf_counter() - t0, resume)


# ----------------------------------------------------------------------------- the batch
def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    from optimizer.processes import remove_dead_temps, temp_name

    remove_dead_temps(path.parent, f".{path.name}.")
    tmp = path.with_name(temp_name(path.name))
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_summary(rows: list[dict], out: Path) -> pd.DataFrame:
    """``batch-summary.csv`` and ``.json`` in ``out``, each replaced atomically."""
    table = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    _write_atomic(out / "batch-summary.csv", lambda p: table.to_csv(p, index=False, encoding="utf-8-sig"))
    _write_atomic(out / "batch-summary.json", lambda p: p.write_text(
        json.dumps({"runs": rows}, ensure_ascii=False, indent=2, default=str), encoding="utf-8"))
    return table


def _prepare(run: BatchRun, out: Path) -> tuple[dict | None, str]:
    """A summary row when the run needs no solve (finished before, or unloadable), and its resume label."""
    from optimizer.scenario import load_scenario

    t0 = time.perf_counter()
    folder = out / run.name
    resume = "redone" if remove_partials(folder) else ""
    try:
        sc = load_scenario(run.scenario, list(run.sets))
    except Exception as exc:  # noqa: BLE001 - recorded, the batch goes on
        return _failure_row(run, failure_kind(exc), str(exc), time.perf_counter() - t0, resume), resume
    done = finished_run(folder, scenario_fingerprint(sc))
    if done is not None:
        record = json.loads((done / "run.json").read_text(encoding="utf-8"))
        return _row_from_record(run, done, record, 0.0, "skipped"), "skipped"
    return None, resume


def run_batch(runs: list[BatchRun], out: str | Path, jobs: int = 1,
              on_done: Callable[[dict, int, int], None] | None = None, executor=None) -> pd.DataFrame:
    """Run every run and return the summary table.

    Parameters
    ----------
    runs
        From :func:`plan_batch`.
    out
        The output root.
    jobs
        Processes at a time when no ``executor`` is given.
    on_done
        ``on_done(row, done, total)`` after each finished (or skipped) run, after the summary
        files were rewritten.
    executor
        A :class:`optimizer.batch.executors.RunExecutor` (left open: the caller closes it); default:
        :class:`optimizer.batch.executors.LocalProcesses` with ``jobs`` processes, closed here.
    """
    from optimizer.batch.executors import LocalProcesses

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    order = {r.name: i for i, r in enumerate(runs)}
    rows: dict[str, dict] = {}
    total = len(runs)

    def finish(row: dict) -> None:
        rows[row["name"]] = row
        write_summary([rows[n] for n in sorted(rows, key=order.__getitem__)], out)
        if on_done is not None:
            on_done(row, len(rows), total)

    todo: dict[str, tuple[BatchRun, str]] = {}
    for run in runs:
        row, resume = _prepare(run, out)
        if row is not None:
            finish(row)
        else:
            todo[run.name] = (run, resume)

    if todo:
        own = executor is None
        ex = LocalProcesses(jobs=max(1, min(jobs, len(todo))), initializer=_worker_init) if own else executor
        where = str(out.resolve())  # workers may have another working folder (or be another machine)
        try:
            for name, (run, resume) in todo.items():
                sent = dataclasses.replace(run, scenario=str(Path(run.scenario).resolve()))
                ex.submit(name, execute_run, sent, where, resume)
            for done in ex.as_completed():
                run, resume = todo[done.key]
                if done.attempts > 1 or done.lost:
                    remove_partials(out / run.name)  # what a lost attempt had half written
                if done.lost:
                    row = _failure_row(run, "crashed", f"the worker died on each of {done.attempts} attempts "
                                       "(killed or out of memory)", 0.0, resume)
                elif done.error is not None:
                    row = _failure_row(run, "crashed", done.error, 0.0, resume)
                else:  # named as given here, not as sent
                    row = {**done.value, "scenario": run.scenario}
                    if row["run_folder"]:
                        row["run_folder"] = str(out / Path(row["run_folder"]).relative_to(where))
                row["attempts"] = done.attempts
                finish(row)
        finally:
            if own:
                ex.close()
    return pd.DataFrame([rows[n] for n in sorted(rows, key=order.__getitem__)], columns=SUMMARY_COLUMNS)
