"""Public money (who pays, running costs, rent, horizon) and funding channels, as model rows.

The quantities are those of :mod:`optimizer.rules.money`, written in the model's variables:

- the government's **one-off** share: ``money.one_off_paid_by.government`` x each site's
  one-off cost terms (:func:`optimizer.model.site_terms.site_cost_terms`);
- its **yearly** subsidy: for each pair, the government's share of the function's running
  cost (``fixed_per_year`` on ``x``, ``per_m2_year`` on the pair's area: ``x`` times the
  standard size in coverage mode, ``a`` in capacitated mode), plus its share of the rent:
  rent per m2 x the site's area in use (:func:`optimizer.model.site_terms.site_area_terms`);
- over the **horizon**: one-off + annuity factor x yearly.

Rows (all in :data:`~optimizer.model.budget_space.MONEY_UNIT`): ``budget.public_one_off``,
``budget.public_yearly`` and ``budget.public_horizon``, each one row when given. They are
named ``public money (...)``, not ``budget (...)``: a multi-year plan
(:mod:`optimizer.studies.phasing.model`) replaces the ``budget`` rows by yearly ones and keeps
these in every year, over the projects opened by then (a yearly subsidy bounds every year;
the one-off and horizon amounts bound the whole plan, reached in its last year).

**Funding channels**: one continuous variable ``m[c, b] >= 0`` per channel ``c`` and bucket
``b`` it may fund (a function, or the site works); per bucket ``sum_c m[c, b] >=`` the
government's one-off share of that bucket (functions: their pairs' own costs; site works:
every other one-off term - conversion, less sharing and complex savings); per channel with a
cap ``sum_b m[c, b] <= cap``. Exact: the rows are the reference's transportation problem.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model.blocks import RowBlock, SiteTerms, VariableBlock, row_block
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.candidates import Candidates
from optimizer.rules.money import SITE_WORKS, annuity_factor, channel_may_fund, rent_per_m2, running_paid_by
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class ChannelArcs:
    """The ``m`` variables: which channel may fund which bucket.

    Attributes
    ----------
    channel
        Channel position (in ``money.channels``) of each ``m``.
    bucket
        Bucket of each ``m``: a function index, or -1 for the site works.
    """

    channel: np.ndarray
    bucket: np.ndarray

    @property
    def size(self) -> int:
        """How many ``m`` variables."""
        return len(self.channel)


def channel_arcs(scenario: Scenario) -> ChannelArcs:
    """One arc per (channel, bucket) the channel may fund; none without channels."""
    names = scenario.function_names
    buckets = [(-1, SITE_WORKS)] + list(enumerate(names))
    pairs = [(c, b) for c, ch in enumerate(scenario.money.channels) for b, name in buckets
             if channel_may_fund(ch, name)]
    return ChannelArcs(np.array([c for c, _ in pairs], dtype=np.int64), np.array([b for _, b in pairs], dtype=np.int64))


def public_yearly_terms(candidates: Candidates, area_terms: SiteTerms, sites: pd.DataFrame, scenario: Scenario,
                        capacitated: bool, x: VariableBlock, a: VariableBlock) -> SiteTerms:
    """The government's yearly subsidy of each site (running costs and rent), as terms (yuan a year).

    Parameters
    ----------
    candidates
        The candidate pairs (standard areas).
    area_terms
        Each site's area in use (rent is paid on it).
    sites
        The sites table (``owner``, ``rent_per_m2_year``).
    scenario
        The scenario (``money``, the functions' ``running`` and ``running_paid_by``).
    capacitated
        Running costs per m2 on the decided area ``a`` rather than the standard size.
    x, a
        The variables.

    Returns
    -------
    SiteTerms
    """
    names = scenario.function_names
    terms = SiteTerms()
    gov = np.array([running_paid_by(n, scenario).government for n in names])
    fixed = np.array([scenario.functions[n].running.fixed_per_year for n in names]) * gov
    per_m2 = np.array([scenario.functions[n].running.per_m2_year for n in names]) * gov
    pairs = np.arange(candidates.n_pairs)
    fn = candidates.pair_function
    if capacitated:
        terms.add(candidates.pair_site, x.index(pairs), fixed[fn])
        terms.add(candidates.pair_site, a.index(pairs), per_m2[fn])
    else:
        terms.add(candidates.pair_site, x.index(pairs), fixed[fn] + per_m2[fn] * candidates.pair_area)
    site, col, val = area_terms.arrays()
    rent = np.zeros(len(sites))  # the plain rule's rent, for the sites that can be converted only
    for s in np.unique(site):
        rent[s] = rent_per_m2(sites.iloc[s], scenario) * scenario.money.running_paid_by.government
    if len(site) and rent.any():
        terms.add(site, col, val * rent[site])
    return terms


def _scaled(terms: SiteTerms, factor: float) -> tuple[np.ndarray, np.ndarray]:
    _, col, val = terms.arrays()
    return col, val * factor


def define_public_money_rows(cost_terms: SiteTerms, yearly_terms: SiteTerms, scenario: Scenario,
                             objective: str) -> list[RowBlock]:
    """The government's one-off share, yearly subsidy and cost over the horizon within their budgets.

    Parameters
    ----------
    cost_terms
        Each site's one-off cost (all payers).
    yearly_terms
        Each site's yearly public subsidy (:func:`public_yearly_terms`).
    scenario
        The scenario (``budget.public_*``, ``money``).
    objective
        ``least_cost`` imposes no budget (it asks what the requirements cost).

    Returns
    -------
    list of RowBlock
    """
    if objective == "least_cost":
        return []
    b, m = scenario.budget, scenario.money
    g1 = m.one_off_paid_by.government
    annuity = annuity_factor(m.horizon_years, m.discount_rate)
    blocks = []
    if b.public_one_off is not None:
        col, val = _scaled(cost_terms, g1 / MONEY_UNIT)
        blocks.append(row_block("public money (one-off)", np.zeros(len(col)), col, val, 1, -np.inf,
                                b.public_one_off / MONEY_UNIT))
    if b.public_yearly is not None:
        col, val = _scaled(yearly_terms, 1 / MONEY_UNIT)
        blocks.append(row_block("public money (yearly)", np.zeros(len(col)), col, val, 1, -np.inf,
                                b.public_yearly / MONEY_UNIT))
    if b.public_horizon is not None:
        c1, v1 = _scaled(cost_terms, g1 / MONEY_UNIT)
        c2, v2 = _scaled(yearly_terms, annuity / MONEY_UNIT)
        col, val = np.concatenate([c1, c2]), np.concatenate([v1, v2])
        blocks.append(row_block("public money (over the horizon)", np.zeros(len(col)), col, val, 1, -np.inf,
                                b.public_horizon / MONEY_UNIT))
    return blocks


def define_channel_rows(arcs: ChannelArcs, m: VariableBlock, cost_terms: SiteTerms, candidates: Candidates,
                        scenario: Scenario, x: VariableBlock, a: VariableBlock, capacitated: bool) -> list[RowBlock]:
    """Every bucket of the government's one-off share funded by its channels, each within its cap.

    Parameters
    ----------
    arcs
        The ``m`` variables' channels and buckets.
    m
        The channel money variables (in :data:`~optimizer.model.budget_space.MONEY_UNIT`).
    cost_terms
        Each site's one-off cost terms: the terms on ``x`` (and ``a``) are the functions'
        own costs; every other term is site works.
    candidates
        The candidate pairs (their functions and costs).
    scenario
        The scenario (``money.channels``, ``money.one_off_paid_by``).
    x, a
        The pair variables.
    capacitated
        Functions' costs on ``x`` (fixed) and ``a`` (per m2).

    Returns
    -------
    list of RowBlock
        ``"funding channels (buckets)"``: one row per bucket; ``"funding channels (caps)"``:
        one row per capped channel.
    """
    if arcs.size == 0:
        return []
    names = scenario.function_names
    g1 = scenario.money.one_off_paid_by.government
    pairs = np.arange(candidates.n_pairs)
    rows, cols, vals = [], [], []
    # bucket rows: row 0 = site works, row 1 + f = function f
    rows.append(arcs.bucket + 1)
    cols.append(m.index(np.arange(arcs.size)))
    vals.append(np.ones(arcs.size))
    fn_row = candidates.pair_function + 1
    if capacitated:
        rows += [fn_row, fn_row]
        cols += [x.index(pairs), a.index(pairs)]
        vals += [-g1 * candidates.pair_fixed / MONEY_UNIT, -g1 * candidates.pair_rate / MONEY_UNIT]
    else:
        rows.append(fn_row)
        cols.append(x.index(pairs))
        vals.append(-g1 * candidates.pair_cost / MONEY_UNIT)
    _, col, val = cost_terms.arrays()
    pair_cols = (col >= x.start) & (col < x.stop) | (col >= a.start) & (col < a.stop)
    works = ~pair_cols
    rows.append(np.zeros(int(works.sum()), dtype=np.int64))
    cols.append(col[works])
    vals.append(-g1 * val[works] / MONEY_UNIT)
    blocks = [row_block("funding channels (buckets)", np.concatenate(rows), np.concatenate(cols),
                        np.concatenate(vals), 1 + len(names), 0.0, np.inf)]
    capped = [(c, ch.cap) for c, ch in enumerate(scenario.money.channels) if ch.cap is not None]
    if capped:
        r, cl = [], []
        for i, (c, _) in enumerate(capped):
            mine = np.flatnonzero(arcs.channel == c)
            r.append(np.full(len(mine), i))
            cl.append(m.index(mine))
        blocks.append(row_block("funding channels (caps)", np.concatenate(r), np.concatenate(cl),
                                np.ones(sum(len(v) for v in r)), len(capped), -np.inf,
                                np.array([cap / MONEY_UNIT for _, cap in capped])))
    return blocks
