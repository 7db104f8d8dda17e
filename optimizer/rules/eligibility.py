"""Which site may host which function (rule 2: eligible floors, kinds, structures).

A function's ``eligible`` rules are alternatives: a site qualifies under any one. A
site's ``allowed_functions`` column narrows further. Forced decisions (rule 8) are not
eligibility: they are applied as bounds in the model.
"""
from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from optimizer.scenario import EligibilityRule, FunctionSpec

log = logging.getLogger(__name__)


def allowed_function_lists(sites: pd.DataFrame) -> list[set[str]]:
    """The ``allowed_functions`` column as sets (empty set: no restriction)."""
    raw = sites["allowed_functions"].astype(object).fillna("").astype(str) if "allowed_functions" in sites else \
        pd.Series([""] * len(sites))
    return [set(filter(None, (t.strip() for t in re.split(r"[,;，；]", v)))) for v in raw]


class _SiteColumns:
    """The columns the rules read, as arrays, taken from the sites table once (not once per rule)."""

    def __init__(self, sites: pd.DataFrame) -> None:
        self.sites = sites
        self.kind = sites["kind"].astype(object).to_numpy()
        self.floor = pd.to_numeric(sites["lowest_floor"], errors="coerce").fillna(1).to_numpy()
        self._flags: dict[str, np.ndarray] = {}
        self._area: np.ndarray | None = None

    @property
    def area(self) -> np.ndarray:
        """Floor area in m2 (blank: 0)."""
        if self._area is None:
            self._area = pd.to_numeric(self.sites["area_m2"], errors="coerce").fillna(0).to_numpy()
        return self._area

    def flag(self, name: str) -> np.ndarray:
        """A yes/no column (blank: no)."""
        if name not in self._flags:
            self._flags[name] = self.sites[name].fillna(False).astype(bool).to_numpy()
        return self._flags[name]


def _rule_mask(columns: _SiteColumns, rule: EligibilityRule) -> np.ndarray:
    mask = np.isin(columns.kind, list(rule.kinds))
    if rule.floor_min is not None:
        mask &= columns.floor >= rule.floor_min
    if rule.floor_max is not None:
        mask &= columns.floor <= rule.floor_max
    for flag in rule.requires:
        mask &= columns.flag(flag)
    if rule.min_area_m2 is not None:
        mask &= columns.area >= rule.min_area_m2
    return mask


def eligibility_matrix(sites: pd.DataFrame, functions: dict[str, FunctionSpec]) -> np.ndarray:
    """Boolean array (n_sites, n_functions): site may host function under the rules.

    Columns follow the order of ``functions``.
    """
    names = list(functions)
    out = np.zeros((len(sites), len(names)), dtype=bool)
    columns = _SiteColumns(sites)
    for k, name in enumerate(names):
        for rule in functions[name].eligible:
            out[:, k] |= _rule_mask(columns, rule)
    allowed = allowed_function_lists(sites)
    restricted = np.array([bool(a) for a in allowed])
    if restricted.any():
        allow = np.array([[name in a for name in names] for a in allowed], dtype=bool)
        out &= np.where(restricted[:, None], allow, True)
    return out


def site_may_host(site: pd.Series, function: FunctionSpec, function_name: str) -> bool:
    """Scalar, plain-words version of the rules for one site (used by the check)."""
    allowed = allowed_function_lists(pd.DataFrame([site]))[0]
    if allowed and function_name not in allowed:
        return False
    floor = site.get("lowest_floor")
    floor = 1 if floor is None or pd.isna(floor) else int(floor)
    for rule in function.eligible:
        if site["kind"] not in rule.kinds:
            continue
        if rule.floor_min is not None and floor < rule.floor_min:
            continue
        if rule.floor_max is not None and floor > rule.floor_max:
            continue
        if any(not bool(site.get(flag) or False) for flag in rule.requires):
            continue
        area = site.get("area_m2")
        if rule.min_area_m2 is not None and (area is None or pd.isna(area) or area < rule.min_area_m2):
            continue
        return True
    return False
