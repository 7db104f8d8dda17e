"""The cost and area coefficients of candidate pairs (rules 1, 2), and the model's unit of money.

They follow :mod:`optimizer.rules.costing` exactly, in vector form. Each site's cost and
area in use, written in the model's variables, are :mod:`optimizer.model.site_terms`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.inputs.schema import SHARED_GARAGE
from optimizer.scenario import Scenario

#: Money rows (budgets, sharing cost savings) are stated in units of this many yuan, and
#: the cost-saving variables ``sc`` are measured in it, so that their coefficients sit near
#: those of areas and people (a well-scaled model solves faster and more reliably).
MONEY_UNIT = 1e4


def pair_sizes(sites: pd.DataFrame, scenario: Scenario, pair_site: np.ndarray,
               pair_fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least, standard and largest area of each pair, as :func:`optimizer.rules.costing.site_size_m2`.

    The function's sizes, except at a shared garage: ``places x area_per_unit_m2`` (its
    ``area_m2`` when ``places`` is blank) for all three.

    Parameters
    ----------
    sites
        The sites table.
    scenario
        The scenario (function sizes).
    pair_site, pair_fn
        Site row and function index of each pair.

    Returns
    -------
    min_m2, standard_m2, max_m2
        One value per pair each.
    """
    fns = [scenario.functions[n] for n in scenario.function_names]
    sizes = np.array([[fn.size.min_m2, fn.size.standard_m2, fn.size.max_m2] for fn in fns], dtype=float)
    out = sizes.reshape(-1, 3)[pair_fn].T.copy()
    garage = (sites["kind"].to_numpy() == SHARED_GARAGE)[pair_site]
    if garage.any():
        places = pd.to_numeric(sites["places"], errors="coerce").to_numpy(float) if "places" in sites \
            else np.full(len(sites), np.nan)
        area = pd.to_numeric(sites["area_m2"], errors="coerce").to_numpy(float)
        per_unit = np.array([fn.area_per_unit_m2 for fn in fns], dtype=float)
        own = np.where(np.isnan(places[pair_site]), area[pair_site], places[pair_site] * per_unit[pair_fn])
        out[:, garage] = own[garage]
    return out[0], out[1], out[2]


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
    per_m2 = np.array([scenario.functions[n].cost.per_m2 for n in names])
    fixed = np.array([scenario.functions[n].cost.fixed for n in names])
    kind_factor = np.array([scenario.site_kinds[k].cost_factor for k in kinds])
    kind_fixed = np.array([scenario.site_kinds[k].fixed_cost for k in kinds], dtype=float)
    site_per_m2 = pd.to_numeric(sites["cost_per_m2"], errors="coerce").to_numpy(float)
    site_fixed = pd.to_numeric(sites["fixed_cost"], errors="coerce").to_numpy(float)
    conversion = np.where(np.isnan(site_fixed), kind_fixed, site_fixed)
    area = pair_sizes(sites, scenario, pair_site, pair_fn)[1]
    rate = np.where(np.isnan(site_per_m2[pair_site]), per_m2[pair_fn] * kind_factor[pair_site],
                    site_per_m2[pair_site])
    return area.astype(float), (fixed[pair_fn] + rate * area).astype(float), conversion
