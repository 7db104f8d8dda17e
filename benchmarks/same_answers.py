"""Do the shipped scenarios still give the same model and the same answers?

A refactor that changes no behaviour must leave, for every shipped scenario, the built
model (every coefficient, bound and column, in the same order) and the solved plan
(objective, bound, plan tables) exactly as they were. This script records both through
the command line only (``lifecircle export`` and ``lifecircle solve``), so it does not
depend on the code it checks:

    .venv/bin/python benchmarks/same_answers.py --record    # writes benchmarks/same_answers.json
    .venv/bin/python benchmarks/same_answers.py             # compares, exit 1 on any difference
    .venv/bin/python benchmarks/same_answers.py --models-only   # the models only (about 1 min)

The three-year scenario is planned by ``lifecircle plan --years`` under a time limit, so
only its single-year model is compared; so is any scenario whose recorded solve was not
proven optimal (its incumbent depends on the machine's speed and load). The model of every scenario is compared by the
SHA-256 of its MPS file and of its column map; the solved scenarios by objective, bound,
status and the SHA-256 of ``plan_sites.csv``, ``plan_facilities.csv``,
``coverage_by_function.csv`` and ``coverage_by_circle.csv``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "benchmarks" / "same_answers.json"
LIFECIRCLE = [sys.executable, "-m", "optimizer.cli"]
#: Scenarios built but not solved: the multi-year plans (time-limited, `lifecircle plan --years`).
#: The complex what-if is solved under a 600 s limit and not proven (seven functions): its model only.
NOT_SOLVED = {"yuzhong-demo-three-years", "yuzhong-demo-milestones", "yuzhong-demo-complex"}
PLAN_TABLES = ("plan_sites.csv", "plan_facilities.csv", "coverage_by_function.csv", "coverage_by_circle.csv")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(args: list[str]) -> None:
    done = subprocess.run(LIFECIRCLE + args, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lifecircle {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def model_fingerprint(scenario: Path, work: Path) -> dict[str, str]:
    """SHA-256 of the exported MPS model and of its column map (paths relative to the checkout)."""
    mps = work / f"{scenario.stem}.mps"
    _run(["export", str(scenario), "--out", str(mps)])
    mapping = json.loads((work / f"{scenario.stem}.mps.map.json").read_text())
    mapping.pop("file", None)
    mapping.get("model", {}).pop("build_seconds", None)  # a timing, not the model
    text = json.dumps(mapping, sort_keys=True).replace(str(REPO) + "/", "").encode()
    return {"mps_sha256": _sha(mps), "map_sha256": hashlib.sha256(text).hexdigest()}


def answer(scenario: Path, work: Path) -> dict[str, object]:
    """Objective, bound, status and plan-table hashes of one solve."""
    out = work / f"run-{scenario.stem}"
    _run(["--quiet", "solve", str(scenario), "--out", str(out)])
    run_dir = next(out.glob("*/*/run.json")).parent
    run = json.loads((run_dir / "run.json").read_text())
    return {"status": run["status"], "objective": run["objective"], "bound": run["bound"],
            **{name: _sha(run_dir / name) for name in PLAN_TABLES if (run_dir / name).exists()}}


def collect(models_only: bool) -> dict[str, dict[str, object]]:
    """Fingerprints (and answers unless ``models_only``) of every shipped scenario."""
    found: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in sorted((REPO / "scenarios").glob("*.yaml")):
            entry: dict[str, object] = dict(model_fingerprint(scenario, Path(tmp)))
            if not models_only and scenario.stem not in NOT_SOLVED:
                entry.update(answer(scenario, Path(tmp)))
            found[scenario.stem] = entry
            print(f"{scenario.stem}: {json.dumps(entry)[:160]}", flush=True)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="write benchmarks/same_answers.json")
    parser.add_argument("--models-only", action="store_true", help="compare the built models only")
    args = parser.parse_args()
    found = collect(args.models_only)
    if args.record:
        RECORD.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(found)} scenarios in {RECORD.relative_to(REPO)}")
        return 0
    recorded = json.loads(RECORD.read_text())
    differences, notes = [], []
    for name, entry in found.items():
        was = recorded.get(name, {})
        if "status" in entry and was.get("status") != "optimal":
            # a time-limited incumbent depends on the machine's speed and load: only the model is compared
            notes.append(f"{name}: recorded as {was.get('status')} (not proven), so only its model is compared")
            entry = {k: v for k, v in entry.items() if k in ("mps_sha256", "map_sha256")}
        for key, value in entry.items():
            if was.get(key) != value:
                differences.append(f"{name}: {key} was {recorded.get(name, {}).get(key)!r}, now {value!r}")
    missing = sorted(set(recorded) - set(found))
    differences += [f"{name}: recorded but no longer shipped" for name in missing]
    for line in notes + differences:
        print(line)
    print(f"{len(differences)} differences" if differences else f"same models and answers for {len(found)} scenarios")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
