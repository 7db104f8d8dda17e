"""Benchmark: how long a scenario that would exhaust the machine takes to be refused.

Usage (from the repository root)::

    .venv/bin/python benchmarks/refusals.py             # print the table
    .venv/bin/python benchmarks/refusals.py --record    # and rewrite benchmarks/refusals.{json,md}

Three inputs the bounded YAML reader (:mod:`optimizer.yaml_bounded`) must refuse before
expanding or reading them whole: a "billion laughs" alias bomb under a known key, the same
bomb as one ``--set`` value, and a scenario file over 1 MB. Each is handed to
:func:`optimizer.scenario.load_scenario` in this process, timed from the call to the error,
repeated; every row keeps ``os.getloadavg()`` before and after. Target: well under a second
each (the bomb once ran 290 s and took about 8 GB). Timings live here, never in tests
(tests/bad_inputs/test_bad_scenario.py checks that each is refused, saying why).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

#: Nine levels of nine aliases each: 9**9 leaves once expanded.
ALIAS_BOMB = "description:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))
SET_ALIAS_BOMB = "[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], " + ", ".join(
    f"&{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)) + "]"


def measure(repeat: int = 5) -> list[dict]:
    """One row per refused input: min and median seconds to the error, and the error's first words."""
    from optimizer.errors import LifecircleError
    from optimizer.scenario import load_scenario

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.yaml"
        plain.write_text("name: plain\n", encoding="utf-8")
        bomb = Path(tmp) / "bomb.yaml"
        bomb.write_text("name: bomb\n" + ALIAS_BOMB, encoding="utf-8")
        big = Path(tmp) / "big.yaml"
        big.write_text("name: big\ndescription: '" + "x" * 1_100_000 + "'\n", encoding="utf-8")
        cases = [("alias bomb under a known key", bomb, []), ("alias bomb as a --set value", plain,
                                                              ["description=" + SET_ALIAS_BOMB]),
                 ("scenario file over 1 MB", big, [])]
        for name, path, sets in cases:
            load_before = os.getloadavg()[0]
            times, message = [], ""
            for _ in range(repeat):
                t0 = time.perf_counter()
                try:
                    load_scenario(path, sets)
                except LifecircleError as exc:
                    message = str(exc).splitlines()[-1].strip(" -")[:100]  # the reason, not the file
                else:
                    raise SystemExit(f"{name}: not refused")
                times.append(time.perf_counter() - t0)
            rows.append({"case": name, "min_s": round(min(times), 4), "median_s": round(statistics.median(times), 4),
                         "refused_with": message, "loadavg_before": round(load_before, 2),
                         "loadavg_after": round(os.getloadavg()[0], 2)})
            print(f"{name:30s} min {min(times):.4f} s  median {statistics.median(times):.4f} s  {message[:60]}")
    return rows


def markdown(record: dict) -> str:
    """The recorded table as markdown."""
    lines = ["# Refusing a scenario that would exhaust the machine (`benchmarks/refusals.py`)", "",
             f"Measured {record['when']} at commit `{record['commit']}` on {record['cores']} cores, Python "
             f"{record['python']}; {record['repeat']} calls each; load is `os.getloadavg()` (1 min) before -> after.",
             "", "| input | min s | median s | load | refused with |", "|---|---|---|---|---|"]
    for r in record["rows"]:
        lines.append(f"| {r['case']} | {r['min_s']:.4f} | {r['median_s']:.4f} | "
                     f"{r['loadavg_before']:.2f} -> {r['loadavg_after']:.2f} | {r['refused_with']} |")
    lines += ["", "Target: well under a second each (before the bounded reader the alias bomb ran 290 s and took "
              "about 8 GB). That each is refused, naming why, is tested in tests/bad_inputs/test_bad_scenario.py.", ""]
    return "\n".join(lines)


def main() -> None:
    """Measure, print, and with ``--record`` rewrite benchmarks/refusals.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    import subprocess

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    record = {"when": dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"), "commit": commit,
              "cores": os.cpu_count(), "python": platform.python_version(), "repeat": args.repeat,
              "rows": measure(args.repeat)}
    if args.record:
        (REPO / "benchmarks" / "refusals.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        (REPO / "benchmarks" / "refusals.md").write_text(markdown(record), encoding="utf-8")
        print("recorded in benchmarks/refusals.json and benchmarks/refusals.md")


if __name__ == "__main__":
    main()
