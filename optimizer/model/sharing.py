"""Sharing (rule 5): a group of functions together on one site saves a share of their area and cost.

Where every function of a sharing group is a candidate at a site, the model has a
binary ``z[s,g]``, exactly 1 when the whole group sits there (the logical AND of the
members' ``x``); its savings apply then and only then. In coverage mode the savings are
fixed amounts at standard sizes (coefficients of ``z``); in capacitated mode they depend
on the chosen areas, so they are variables ``sc[s,g]`` (money, in units of
:data:`~optimizer.model.budget_space.MONEY_UNIT`) and ``sa[s,g]`` (m2) made exact with
``z`` (rows "sharing savings").
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.budget_space import MONEY_UNIT
from optimizer.model.candidates import Candidates
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class SharingSites:
    """Every (site, sharing group) where the whole group is a candidate: one ``z`` each, in this order.

    Attributes
    ----------
    site, group
        Site row and group index (in ``scenario.sharing.groups``).
    members
        The group's candidate pairs at the site.
    area_share, cost_share
        The group's area and cost saving shares.
    area_saving, cost_saving
        The savings at standard sizes (coverage mode).
    """

    site: np.ndarray
    group: np.ndarray
    members: list[np.ndarray]
    area_share: np.ndarray
    cost_share: np.ndarray
    area_saving: np.ndarray
    cost_saving: np.ndarray

    @property
    def size(self) -> int:
        """How many ``z`` variables."""
        return len(self.site)


def sharing_sites(scenario: Scenario, candidates: Candidates) -> SharingSites:
    """The sites where each sharing group could sit whole (vectorised per group).

    Parameters
    ----------
    scenario
        The scenario (its sharing groups; a group with a disabled function never applies).
    candidates
        The candidate pairs.

    Returns
    -------
    SharingSites
    """
    names = scenario.function_names
    groups = scenario.sharing.groups
    site_parts, group_parts, members = [], [], []
    for gi, spec in enumerate(groups):
        if not all(f in names for f in spec.functions):
            continue
        member_k = [names.index(f) for f in spec.functions]
        idx = candidates.pair_index[:, member_k]
        where = np.flatnonzero((idx >= 0).all(axis=1))
        site_parts.append(where)
        group_parts.append(np.full(where.size, gi))
        members += [idx[s] for s in where]
    site = np.concatenate(site_parts).astype(np.int64) if site_parts else np.zeros(0, np.int64)
    group = np.concatenate(group_parts).astype(np.int64) if group_parts else np.zeros(0, np.int64)
    area_share = np.array([groups[g].area_saving for g in group], dtype=float)
    cost_share = np.array([groups[g].cost_saving for g in group], dtype=float)
    area_saving = np.array([area_share[i] * candidates.pair_area[m].sum() for i, m in enumerate(members)],
                           dtype=float)
    cost_saving = np.array([cost_share[i] * candidates.pair_cost[m].sum() for i, m in enumerate(members)],
                           dtype=float)
    return SharingSites(site, group, members, area_share, cost_share, area_saving, cost_saving)


def define_sharing_rows(sharing: SharingSites, x: VariableBlock, z: VariableBlock) -> list[RowBlock]:
    """Rule 5: ``z`` is exactly the AND of its group's members at the site.

    ``z <= x[m]`` for every member ``m`` (no savings unless the whole group is there), and
    ``z >= sum of x[m] - (members - 1)`` (the whole group there: the savings apply).

    Parameters
    ----------
    sharing
        The (site, group) of every ``z``.
    x, z
        The pair and group-at-site variables.

    Returns
    -------
    list of RowBlock
        Both families, named ``"sharing"``; none without ``z``.
    """
    if not sharing.size:
        return []
    n_z = sharing.size
    z_of_link = np.concatenate([np.full(len(m), i) for i, m in enumerate(sharing.members)])
    member_pair = np.concatenate(sharing.members)
    n_links = len(z_of_link)
    group_size = np.array([len(m) for m in sharing.members], dtype=float)
    return [
        row_block("sharing", np.concatenate([np.arange(n_links), np.arange(n_links)]),
                  np.concatenate([z.index(z_of_link), x.index(member_pair)]),
                  np.concatenate([np.ones(n_links), -np.ones(n_links)]), n_links, -np.inf, 0.0),
        row_block("sharing", np.concatenate([np.arange(n_z), z_of_link]),
                  np.concatenate([z.index(np.arange(n_z)), x.index(member_pair)]),
                  np.concatenate([np.ones(n_z), -np.ones(n_links)]), n_z, -(group_size - 1.0), np.inf),
    ]


def define_sharing_savings(sharing: SharingSites, candidates: Candidates, x: VariableBlock, a: VariableBlock,
                           z: VariableBlock, sc: VariableBlock, sa: VariableBlock) -> list[RowBlock]:
    """Rule 5, capacitated mode: the savings ``sc`` (money) and ``sa`` (area) are exact.

    A saving equals ``share x`` the members' cost (``fixed + rate x area``, in money units)
    or area when the whole group is there (``z = 1``), and 0 otherwise. With ``M`` the
    saving at the members' largest sizes: ``s <= share x members``, ``s <= M z`` and
    ``s >= share x members - M (1 - z)``; first for the money saving, then for the area.

    Parameters
    ----------
    sharing
        The (site, group) of every ``z``.
    candidates
        The candidate pairs (costs and largest sizes).
    x, a, z, sc, sa
        Pair, area, group-at-site, cost-saving and area-saving variables.

    Returns
    -------
    list of RowBlock
        Six families named ``"sharing savings"``; none without ``z``.
    """
    if not sharing.size:
        return []
    n_z = sharing.size
    max_m2 = candidates.pair_max_m2
    fixed, rate = candidates.pair_fixed, candidates.pair_rate
    largest_cost = np.array([sharing.cost_share[i] * (fixed[m] + rate[m] * max_m2[m]).sum()
                             for i, m in enumerate(sharing.members)])
    largest_area = np.array([sharing.area_share[i] * max_m2[m].sum()
                             for i, m in enumerate(sharing.members)])

    def member_cost(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([x.index(m), a.index(m)]), np.concatenate([fixed[m], rate[m]]) / MONEY_UNIT

    def member_area(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a.index(m), np.ones(len(m))

    savings: tuple[tuple[VariableBlock, np.ndarray, np.ndarray,
                         Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]], ...] = (
        (sc, sharing.cost_share, largest_cost / MONEY_UNIT, member_cost),
        (sa, sharing.area_share, largest_area, member_area))
    blocks = []
    everyone = np.arange(n_z)
    for saving, share, big, members_of in savings:
        row_parts, col_parts, val_parts = [], [], []
        for i, m in enumerate(sharing.members):
            cols, coef = members_of(m)
            row_parts.append(np.full(len(cols) + 1, i))
            col_parts.append(np.concatenate([[saving.index(i)], cols]))
            val_parts.append(np.concatenate([[1.0], -share[i] * coef]))
        rows, cols, vals = np.concatenate(row_parts), np.concatenate(col_parts), np.concatenate(val_parts)
        blocks.append(row_block("sharing savings", rows, cols, vals, n_z, -np.inf, 0.0))
        blocks.append(row_block("sharing savings", np.concatenate([everyone, everyone]),
                                np.concatenate([saving.index(everyone), z.index(everyone)]),
                                np.concatenate([np.ones(n_z), -big]), n_z, -np.inf, 0.0))
        blocks.append(row_block("sharing savings", np.concatenate([rows, everyone]),
                                np.concatenate([cols, z.index(everyone)]),
                                np.concatenate([vals, -big]), n_z, -big, np.inf))
    return blocks
