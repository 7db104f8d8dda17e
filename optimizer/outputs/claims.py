"""The figures a plan list or run folder claims, compared with what ``solve`` would write for its sites.

``lifecircle check`` re-checks an outside plan against every rule
(:func:`optimizer.studies.external.check_solution`); when the plan list also states figures
(people covered per facility, function and circle, costs, shares, a run's objective) each is
compared here with the same tables :mod:`optimizer.outputs.tables` writes for a run, recomputed
from the chosen sites, within the tolerances of :mod:`optimizer.studies.external`
(``CLAIM_AMOUNT_TOL``, ``CLAIM_REL_TOL``, ``CLAIM_SHARE_TOL``). Every figure that differs is
named with its file, line, row, column, claimed and recomputed value.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.check import CheckItem, CheckReport
from optimizer.outputs.tables import coverage_by_circle, facility_rows, site_rows
from optimizer.pipeline import ModelSetup
from optimizer.plan import people_by_status
from optimizer.studies.external import (
    CLAIM_AMOUNT_TOL,
    CLAIM_REL_TOL,
    CLAIM_SHARE_TOL,
    CLAIM_TABLES,
    CLAIM_TEXT_COLUMNS,
    NOT_FIGURES,
    ClaimedTable,
    ExternalCheck,
    LineProblems,
    PlanListFile,
    SolutionFile,
    check_solution,
    external_run,
)
from solvers import solution_files as files
from solvers.result import PROOF_ABS_TOL


def check_with_claims(setup: ModelSetup, sol: SolutionFile) -> ExternalCheck:
    """:func:`~optimizer.studies.external.check_solution`, and every figure the plan list claims compared."""
    checked = check_solution(setup, sol)
    if isinstance(sol, PlanListFile) and sol.claims_figures:
        compare_claims(setup, checked, sol)
    return checked


def compare_claims(setup: ModelSetup, checked: ExternalCheck, sol: PlanListFile) -> None:
    """Compare every figure the plan list claims with its recomputation from the chosen sites.

    Adds the check ``claimed figures`` to ``checked.report`` (failed when any differs) and
    each difference to ``checked.differences``.
    """
    sc = setup.scenario
    capacitated = sc.model.mode == "capacitated"
    run = external_run(setup, checked)
    facilities = facility_rows(run)
    recomputed = {
        "plan_facilities.csv": pd.DataFrame(facilities.drop(columns="geometry", errors="ignore")),
        "plan_sites.csv": pd.DataFrame(site_rows(run, facilities).drop(columns="geometry", errors="ignore")),
        "coverage_by_function.csv": people_by_status(setup.inputs, sc, checked.plan),
        "coverage_by_circle.csv": coverage_by_circle(run),
    }
    if capacitated:  # who is served depends on the allocation: the most the plan could serve is the limit
        circles = recomputed["coverage_by_circle.csv"].copy()
        circles["newly_covered"] = circles["newly_covered"] + circles["unreached"]
        circles["unreached"] = 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            circles["covered_share_after"] = (circles["served_by_existing"] + circles["newly_covered"]) / \
                circles["people"]
        recomputed["coverage_by_circle.csv"] = circles
        checked.notes.append("capacitated mode: people served are compared as at most the most the plan can serve "
                             "(who is served depends on the allocation)")
    differences: list[str] = []
    compared = 0
    for claimed in sol.tables:
        n, unknown = _compare_table(claimed, recomputed[claimed.layout], capacitated, differences)
        compared += n
        if unknown:
            checked.notes.append(f"{claimed.file}: column(s) {', '.join(unknown)} not compared (not figures "
                                 "lifecircle writes in this table)")
    if sol.record is not None:
        compared += _compare_record(setup, checked, sol, capacitated, differences)
    checked.differences = differences
    shown = differences[:20] + ([f"... and {len(differences) - 20} more"] if len(differences) > 20 else [])
    item = CheckItem("claimed figures", not differences,
                     f"all {compared:,} figures the plan list claims agree with their recomputation from its sites"
                     if not differences else f"{len(differences)} of {compared:,} claimed figures differ from "
                     "their recomputation from the chosen sites: " + "; ".join(shown))
    checked.report = CheckReport(checked.report.items + (item,), checked.report.recomputed)


def _rule(layout: str, column: str, capacitated: bool) -> str:
    """How a claimed figure meets its recomputation: ``equal``, or (people served, capacitated mode)
    ``at_most`` / ``at_least`` the recomputed limit."""
    if capacitated and layout in ("coverage_by_function.csv", "coverage_by_circle.csv"):
        if column in ("newly_covered", "covered_share", "covered_share_after"):
            return "at_most"
        if column == "unreached":
            return "at_least"
    return "equal"


def _agrees(claimed: float, recomputed: float, rule: str, tol: float) -> bool:
    if math.isnan(recomputed):
        return False
    if rule == "at_most":
        return claimed <= recomputed + tol
    if rule == "at_least":
        return claimed >= recomputed - tol
    return abs(claimed - recomputed) <= tol


def _shown(value: float, share: bool) -> str:
    if math.isnan(value):
        return "blank"
    return f"{value:.4f}" if share else f"{value:,.2f}"


def _compare_table(claimed: ClaimedTable, recomputed: pd.DataFrame, capacitated: bool,
                   differences: list[str]) -> tuple[int, list[str]]:
    """Compare one claimed table row by row; returns the figures compared and the columns not compared."""
    keys = CLAIM_TABLES[claimed.layout]
    texts = CLAIM_TEXT_COLUMNS.get(claimed.layout, ())
    rec = recomputed.copy()
    for k in keys:
        rec[k] = rec[k].astype(str) if len(rec) else rec[k]
    by_key = {tuple(str(row[k]) for k in keys): row for _, row in rec.iterrows()}
    numeric = [c for c in rec.columns if c not in keys and c not in NOT_FIGURES and c not in texts
               and pd.api.types.is_numeric_dtype(rec[c]) and not pd.api.types.is_bool_dtype(rec[c])]
    columns = [c for c in claimed.table.columns if c in numeric]
    unknown = [c for c in claimed.table.columns if c not in rec.columns and c not in keys and c not in NOT_FIGURES
               and claimed.table[c].str.strip().ne("").any()]
    problems = LineProblems(Path(claimed.file))
    compared = 0
    seen = set()
    for line, (_, row) in zip(claimed.lines, claimed.table.iterrows(), strict=True):
        key = tuple(str(row[k]).strip() for k in keys)
        label = ":".join(key)
        seen.add(key)
        where = f"{claimed.file}, line {line} ({label})"
        got = by_key.get(key)
        if got is None:
            differences.append(f"{where}: not in the plan recomputed from its sites")
            continue
        for col in columns:
            text = str(row[col]).strip()
            if not text:
                continue  # a blank cell claims nothing
            value = files.number(text, f"{col} of {label}", line, problems)
            if value is None:
                continue
            share = "share" in col
            truth = float(got[col]) if not pd.isna(got[col]) else math.nan
            tol = CLAIM_SHARE_TOL if share else CLAIM_AMOUNT_TOL + CLAIM_REL_TOL * abs(truth if truth == truth else 0)
            rule = _rule(claimed.layout, col, capacitated)
            compared += 1
            if not _agrees(value, truth, rule, tol):
                limit = {"at_most": " (the most the plan can serve)", "at_least": " (the least left unserved)"}
                differences.append(f"{where}, {col}: claimed {_shown(value, share)} vs recomputed "
                                   f"{_shown(truth, share)}{limit.get(rule, '')}")
        for col in texts:
            if col not in claimed.table.columns or col not in rec.columns:
                continue
            text, truth_text = str(row[col]).strip(), "" if pd.isna(got[col]) else str(got[col]).strip()
            compared += 1
            same = set(filter(None, text.split("+"))) == set(filter(None, truth_text.split("+")))
            if not same:
                differences.append(f"{where}, {col}: claimed {text or 'blank'!r} vs recomputed "
                                   f"{truth_text or 'blank'!r}")
    problems.raise_if_any()
    for key in by_key:
        if key not in seen:
            differences.append(f"{claimed.file}: {':'.join(key)} is in the plan recomputed from its sites but "
                               "not listed")
    return compared, unknown


def _compare_record(setup: ModelSetup, checked: ExternalCheck, sol: PlanListFile, capacitated: bool,
                    differences: list[str]) -> int:
    """The run record's objective, total cost and sites converted against their recomputation."""
    record, where = sol.record or {}, sol.record_file
    plan = record.get("plan") or {}
    least_cost = setup.scenario.objective == "least_cost"
    compared = 0
    name = (record.get("scenario") or {}).get("name")
    if name is not None and name != setup.scenario.name:
        checked.notes.append(f"{where} is a run of scenario {name!r}, checked here against {setup.scenario.name!r}")
    objective = record.get("objective")
    if isinstance(objective, (int, float)) and not isinstance(objective, bool):
        compared += 1
        checked.claimed, checked.claimed_from = float(objective), where
        truth = checked.recomputed
        rule = "at_most" if capacitated and not least_cost else "equal"
        tol = CLAIM_REL_TOL * max(1.0, abs(truth)) + 10 * PROOF_ABS_TOL
        if not _agrees(float(objective), truth, rule, tol):
            differences.append(f"{where}, objective: claimed {objective:,.6f} vs recomputed {truth:,.6f}"
                               + (" (the most the plan can serve)" if rule == "at_most" else ""))
    for key, truth in (("cost", checked.plan.total_cost), ("sites_converted", float(len(checked.plan.sites)))):
        value = plan.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            compared += 1
            if not _agrees(float(value), truth, "equal", CLAIM_AMOUNT_TOL + CLAIM_REL_TOL * abs(truth)):
                differences.append(f"{where}, plan.{key}: claimed {value:,.2f} vs recomputed {truth:,.2f}")
    return compared
