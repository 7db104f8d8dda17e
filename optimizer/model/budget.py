"""Budget (rule 1): total one-off spending within the budget, in the whole scenario and per district.

One row per budget scope: the sum of the one-off cost of the sites in scope (see
:func:`optimizer.model.budget_space.site_cost_terms`) is at most the amount, in units of
:data:`~optimizer.model.budget_space.MONEY_UNIT`. Not imposed when the question is
``least_cost`` ("what budget do we need"): there the cost is what is minimised.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.blocks import RowBlock, SiteTerms, row_block
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.scenario import Scenario


def define_budget_rows(cost_terms: SiteTerms, sites: pd.DataFrame, scenario: Scenario,
                       objective: str) -> list[RowBlock]:
    """Rule 1: the cost of the sites in each budget scope is within its amount.

    Parameters
    ----------
    cost_terms
        Each site's one-off cost (yuan).
    sites
        The sites table (``district``).
    scenario
        The scenario (``budget.total``, ``budget.by_district``).
    objective
        The model's objective; ``least_cost`` imposes no budget.

    Returns
    -------
    list of RowBlock
        One single-row family per scope: ``"budget (whole scenario)"``, then
        ``"budget (district NAME)"`` in the scenario's order.
    """
    if objective == "least_cost":
        return []
    site, col, val = cost_terms.arrays()
    district = sites["district"].fillna("").astype(str).to_numpy()
    scopes: list[tuple[str, float, np.ndarray]] = []
    if scenario.budget.total is not None:
        scopes.append(("whole scenario", scenario.budget.total, np.ones(len(sites), dtype=bool)))
    for name, amount in scenario.budget.by_district.items():
        scopes.append((f"district {name}", amount, district == name))
    blocks = []
    for scope, amount, in_scope in scopes:
        sel = in_scope[site]
        blocks.append(row_block(f"budget ({scope})", np.zeros(int(sel.sum())), col[sel], val[sel] / MONEY_UNIT,
                                1, -np.inf, float(amount) / MONEY_UNIT))
    return blocks
