"""The cost and area coefficients of candidate pairs (rules 1, 2), and the model's unit of money.

They follow :mod:`optimizer.rules.costing` exactly, in vector form. Each site's cost and
area in use, written in the model's variables, are :mod:`optimizer.model.site_terms`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.scenario import Scenario

#: Money rows (budgets, sharing cost savings) are stated in units of this many yuan, and
#: the cost-saving variables ``sc`` are measured in it, so that their coefficients sit near
#: those of areas and people (a well-scaled model solves faster and more reliably).
MONEY_UNIT = 1e4


def pair_costs(sites: pd.DataFrame, scenario: Scenario, pair_site: np.ndarray,
               pair_fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard area and one-off cost of each pair, and the conversion cost of each site.

    Parameters
    ----------
    sites
        The sites table.
    scenario
        The scenario (function costs and sizes, site kinds).
    pair_site, pair_fn
        Site row and function index of each pair.

    Returns
    -------
    pair_area, pair_cost, site_conversion_cost
    """
    names = scenario.function_names
    kinds = sites["kind"].to_numpy()
    std_area = np.array([scenario.functions[n].size.standard_m2 for n in names])
    per_m2 = np.array([scenario.functions[n].cost.per_m2 for n in names])
    fixed = np.array([scenario.functions[n].cost.fixed for n in names])
    kind_factor = np.array([scenario.site_kinds[k].cost_factor for k in kinds])
    kind_fixed = np.array([scenario.site_kinds[k].fixed_cost for k in kinds], dtype=float)
    site_per_m2 = pd.to_numeric(sites["cost_per_m2"], errors="coerce").to_numpy(float)
    site_fixed = pd.to_numeric(sites["fixed_cost"], errors="coerce").to_numpy(float)
    conversion = np.where(np.isnan(site_fixed), kind_fixed, site_fixed)
    area = std_area[pair_fn]
    rate = np.where(np.isnan(site_per_m2[pair_site]), per_m2[pair_fn] * kind_factor[pair_site],
                    site_per_m2[pair_site])
    return area.astype(float), (fixed[pair_fn] + rate * area).astype(float), conversion
