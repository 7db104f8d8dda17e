"""What must exist (该有的不能少, rule 7): one row per requirement target still needing something.

A ``min_share`` target asks that the newly covered (coverage mode: ``people x y``) or
served (capacitated mode: ``w``) people of the circle's demand rows reach the need; a
``min_per_1000`` target asks that the places added in the circle reach it (coverage
mode: planned facilities at standard size, ``area / area per place x x``; capacitated
mode: ``a / area per place``). The diagnosis model (``min_shortfall``) adds a slack
``>= 0`` to each row, how far the target falls short. The targets themselves, and the
plain-words check, are in :mod:`optimizer.rules.requirements`.
"""
from __future__ import annotations

import numpy as np

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.candidates import Candidates
from optimizer.model.coverage import CoverageRows
from optimizer.rules.requirements import RequirementTarget
from optimizer.scenario import Scenario


def circle_people_terms(demand: CoverageRows, in_circle_unit: np.ndarray, offset: int, capacitated: bool, *,
                        y: VariableBlock, w: VariableBlock, w_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The people a plan newly covers (or serves) in one life circle, as columns and coefficients.

    Parameters
    ----------
    demand
        The function's demand rows.
    in_circle_unit
        Which demand units lie in the circle.
    offset
        Where the function's demand rows start in the global numbering.
    capacitated
        Count the served ``w`` (one per person) rather than ``people x y``.
    y, w
        Covered-share and assignment variables.
    w_row
        Demand row (global) of each ``w``.

    Returns
    -------
    columns, coefficients
    """
    in_circle = np.zeros(demand.n_groups, dtype=bool)
    in_circle[demand.unit_group[in_circle_unit & (demand.unit_group >= 0)]] = True
    rows = np.flatnonzero(in_circle)
    if capacitated:
        sel = np.flatnonzero(np.isin(w_row, rows + offset))
        return w.index(sel), np.ones(sel.size)
    return y.index(rows + offset), demand.people[rows]


def define_requirement_rows(targets: list[RequirementTarget], candidates: Candidates, scenario: Scenario,
                            capacitated: bool, unit_circle: np.ndarray, site_circle: np.ndarray, *,
                            x: VariableBlock, y: VariableBlock, a: VariableBlock, w: VariableBlock,
                            slack: VariableBlock, w_row: np.ndarray, y_offsets: dict[str, int],
                            soft: bool) -> list[RowBlock]:
    """Rule 7: each target's newly covered people (or added places) reach its need.

    Parameters
    ----------
    targets
        Requirement targets with a positive need.
    candidates
        The candidate pairs and the demand rows.
    scenario
        The scenario (area per place).
    capacitated
        Count served people and chosen areas instead of covered people and standard sizes.
    unit_circle, site_circle
        Life circle of each demand unit and of each site.
    x, y, a, w, slack
        Pair, covered-share, area, assignment and shortfall variables.
    w_row
        Demand row (global) of each ``w``.
    y_offsets
        Where each function's demand rows start.
    soft
        The diagnosis model: each row gets its shortfall ``slack``.

    Returns
    -------
    list of RowBlock
        One family, ``"what must exist (rule 7)"``, one row per target; none without targets.
    """
    if not targets:
        return []
    names = scenario.function_names
    fn_of_pair, circle_of_pair = candidates.pair_function, site_circle[candidates.pair_site]
    row_parts, col_parts, val_parts, need = [], [], [], []
    for ti, t in enumerate(targets):
        k = names.index(t.function)
        if t.kind == "share":
            cols, coef = circle_people_terms(candidates.coverage[t.function], unit_circle == t.circle,
                                             y_offsets[t.function], capacitated, y=y, w=w, w_row=w_row)
        else:
            pairs = np.flatnonzero((fn_of_pair == k) & (circle_of_pair == t.circle))
            area_per_place = scenario.functions[t.function].area_per_unit_m2
            if capacitated:
                cols, coef = a.index(pairs), np.full(pairs.size, 1.0 / area_per_place)
            else:
                cols, coef = x.index(pairs), candidates.pair_area[pairs] / area_per_place
        if soft:
            cols, coef = np.concatenate([cols, [slack.index(ti)]]), np.concatenate([coef, [1.0]])
        row_parts.append(np.full(cols.size, ti))
        col_parts.append(cols)
        val_parts.append(coef)
        need.append(t.need)
    return [row_block("what must exist (rule 7)", np.concatenate(row_parts), np.concatenate(col_parts),
                      np.concatenate(val_parts), len(targets), np.array(need), np.inf)]
