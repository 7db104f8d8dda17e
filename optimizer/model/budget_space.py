"""Budget (rule 1) and space (rule 2) rows, and the cost/area coefficients of pairs.

The coefficients follow :mod:`optimizer.costing` exactly, in vector form.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.blocks import RowBlock, VariableBlock
from optimizer.scenario import Scenario


def pair_costs(sites: pd.DataFrame, scenario: Scenario, pair_site: np.ndarray,
               pair_fn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard area and one-off cost of each pair, and the conversion cost of each site.

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


def space_rows(sites: pd.DataFrame, open_site: np.ndarray, site_pos: np.ndarray, pair_site: np.ndarray,
               pair_area: np.ndarray, x: VariableBlock, z: VariableBlock, share_pos: np.ndarray,
               share_area_saving: np.ndarray) -> RowBlock:
    """``sum area x - sum savings z <= usable area``, one row per convertible site."""
    n_pairs = len(pair_site)
    available = pd.to_numeric(sites["area_m2"], errors="coerce").to_numpy(float)[open_site]
    return RowBlock(
        "space",
        np.concatenate([site_pos[pair_site], share_pos]),
        np.concatenate([x.index(np.arange(n_pairs)), z.index(np.arange(len(share_pos)))]),
        np.concatenate([pair_area, -share_area_saving]),
        np.full(len(open_site), -np.inf), available)


def budget_rows(sites: pd.DataFrame, scenario: Scenario, open_site: np.ndarray, conversion: np.ndarray,
                pair_site: np.ndarray, pair_cost: np.ndarray, share_site: np.ndarray,
                share_cost_saving: np.ndarray, x: VariableBlock, o: VariableBlock,
                z: VariableBlock) -> list[RowBlock]:
    """Total budget row and one row per district with its own budget."""
    district = sites["district"].fillna("").astype(str).to_numpy()
    scopes: list[tuple[str, float, np.ndarray]] = []
    if scenario.budget.total is not None:
        scopes.append(("whole scenario", scenario.budget.total, np.ones(len(sites), dtype=bool)))
    for name, amount in scenario.budget.by_district.items():
        scopes.append((f"district {name}", amount, district == name))
    out = []
    for scope, amount, in_scope in scopes:
        o_sel = np.flatnonzero(in_scope[open_site])
        x_sel = np.flatnonzero(in_scope[pair_site])
        z_sel = np.flatnonzero(in_scope[share_site]) if len(share_site) else np.zeros(0, dtype=np.int64)
        cols = np.concatenate([o.index(o_sel), x.index(x_sel), z.index(z_sel)])
        vals = np.concatenate([conversion[o_sel], pair_cost[x_sel], -share_cost_saving[z_sel]])
        out.append(RowBlock(f"budget ({scope})", np.zeros(len(cols), dtype=np.int64), cols, vals,
                            np.array([-np.inf]), np.array([float(amount)])))
    return out
