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
from optimizer.rules.requirements import RequirementTarget
from optimizer.scenario import Scenario


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
            demand = candidates.coverage[t.function]
            in_circle = np.zeros(demand.n_groups, dtype=bool)
            in_circle[demand.unit_group[(unit_circle == t.circle) & (demand.unit_group >= 0)]] = True
            rows = np.flatnonzero(in_circle)
            if capacitated:
                sel = np.flatnonzero(np.isin(w_row, rows + y_offsets[t.function]))
                cols, coef = w.index(sel), np.ones(sel.size)
            else:
                cols, coef = y.index(rows + y_offsets[t.function]), demand.people[rows]
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
