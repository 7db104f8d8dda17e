"""The cost and area coefficients of candidate pairs (rules 1, 2), and each site's cost and area in use.

They follow :mod:`optimizer.rules.costing` exactly, in vector form. A site's one-off
cost is its conversion cost (paid once when converted, ``o``) plus its functions' costs
minus sharing savings; its area in use is its functions' areas minus sharing savings.
Coverage mode prices functions at standard size (coefficients of ``x``), capacitated
mode at the chosen area (``fixed x + rate a``), with the savings ``sc``/``sa``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.model.blocks import SiteTerms, VariableBlock
from optimizer.scenario import Scenario

if TYPE_CHECKING:  # annotations only: candidates and sharing import this module
    from optimizer.model.candidates import Candidates
    from optimizer.model.sharing import SharingSites

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


def site_cost_terms(candidates: Candidates, sharing: SharingSites, capacitated: bool, x: VariableBlock,
                    o: VariableBlock, z: VariableBlock, a: VariableBlock, sc: VariableBlock) -> SiteTerms:
    """Each site's one-off cost as terms (yuan): conversion, functions, minus sharing savings.

    Parameters
    ----------
    candidates
        The candidate pairs and the sites' conversion costs.
    sharing
        The (site, group) of every ``z``, with its savings at standard sizes.
    capacitated
        Price functions at their chosen area (``a``) and use the saving variables ``sc``.
    x, o, z, a, sc
        The variables the cost is written in.

    Returns
    -------
    SiteTerms
    """
    terms = SiteTerms()
    open_site = candidates.open_site
    pairs = np.arange(candidates.n_pairs)
    terms.add(open_site, o.index(np.arange(len(open_site))), candidates.site_conversion_cost[open_site])
    if capacitated:
        terms.add(candidates.pair_site, x.index(pairs), candidates.pair_fixed)
        terms.add(candidates.pair_site, a.index(pairs), candidates.pair_rate)
        if sharing.size:
            terms.add(sharing.site, sc.index(np.arange(sharing.size)), -np.full(sharing.size, MONEY_UNIT))
    else:
        terms.add(candidates.pair_site, x.index(pairs), candidates.pair_cost)
        if sharing.size:
            terms.add(sharing.site, z.index(np.arange(sharing.size)), -sharing.cost_saving)
    return terms


def site_area_terms(candidates: Candidates, sharing: SharingSites, capacitated: bool, x: VariableBlock,
                    z: VariableBlock, a: VariableBlock, sa: VariableBlock) -> SiteTerms:
    """Each site's area in use as terms (m2): its functions' areas minus sharing savings.

    Parameters
    ----------
    candidates
        The candidate pairs (standard areas).
    sharing
        The (site, group) of every ``z``, with its savings at standard sizes.
    capacitated
        Use the chosen areas ``a`` and the saving variables ``sa``.
    x, z, a, sa
        The variables the area is written in.

    Returns
    -------
    SiteTerms
    """
    terms = SiteTerms()
    pairs = np.arange(candidates.n_pairs)
    if capacitated:
        terms.add(candidates.pair_site, a.index(pairs), np.ones(candidates.n_pairs))
        if sharing.size:
            terms.add(sharing.site, sa.index(np.arange(sharing.size)), -np.ones(sharing.size))
    else:
        terms.add(candidates.pair_site, x.index(pairs), candidates.pair_area)
        if sharing.size:
            terms.add(sharing.site, z.index(np.arange(sharing.size)), -sharing.area_saving)
    return terms
