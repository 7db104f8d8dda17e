"""Each site's one-off cost and area in use, as terms of the model's variables (rules 1, 2, 5).

A site's one-off cost is its conversion cost (paid once when converted, ``o``) plus its
functions' costs minus sharing savings and its complex's saving (``k``, 渝邻汇); its area
in use is its functions' areas minus sharing savings and its complex's area saving.
Coverage mode prices functions at standard size (coefficients of ``x``), capacitated mode
at the chosen area (``fixed x + rate a``), with the savings ``sc``/``sa``.
The budget rows (:mod:`~optimizer.model.budget`), the space rows
(:mod:`~optimizer.model.space`) and the least-cost objective read the same terms.
"""
from __future__ import annotations

import numpy as np

from optimizer.model.blocks import SiteTerms, VariableBlock
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.candidates import Candidates
from optimizer.model.complexes import ComplexSites
from optimizer.model.sharing import SharingSites


def site_cost_terms(candidates: Candidates, sharing: SharingSites, capacitated: bool, x: VariableBlock,
                    o: VariableBlock, z: VariableBlock, a: VariableBlock, sc: VariableBlock,
                    complexes: ComplexSites | None = None, k: VariableBlock | None = None) -> SiteTerms:
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
    complexes, k
        The (site, type) of every complex variable ``k`` and its block: ``-saving_yuan k``.

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
    if complexes is not None and complexes.size and k is not None:
        terms.add(complexes.site, k.index(np.arange(complexes.size)), -complexes.saving)
    return terms


def site_area_terms(candidates: Candidates, sharing: SharingSites, capacitated: bool, x: VariableBlock,
                    z: VariableBlock, a: VariableBlock, sa: VariableBlock,
                    complexes: ComplexSites | None = None, k: VariableBlock | None = None) -> SiteTerms:
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
    complexes, k
        The (site, type) of every complex variable ``k`` and its block: ``-area_saving_m2 k``.

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
    if complexes is not None and complexes.size and k is not None:
        terms.add(complexes.site, k.index(np.arange(complexes.size)), -complexes.area_saving)
    return terms
