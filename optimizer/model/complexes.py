"""Multi-function complexes (渝邻汇): one decision per site and complex type, with its saving.

A scenario's ``complexes:`` lists complex types (:class:`~optimizer.scenario.ComplexSpec`;
the rule in plain words is :mod:`optimizer.rules.complexes`). The model has a binary
``k[s,t]`` for each site ``s`` that could host type ``t`` (its kind allowed, enough of the
type's functions and of its core functions among the site's candidate pairs, and the
type's functions at their largest able to reach its floor area). ``k[s,t] = 1`` only when
the site really hosts the complex:

- rows "complex: one per converted site": ``sum over t of k[s,t] <= o[s]`` (at most one
  complex, and only at a converted site);
- rows "complex: its functions": ``sum of x[s,f] over f in t >= min_functions k[s,t]``;
- rows "complex: its core functions": ``sum of x[s,f] over t's core >= min_core k[s,t]``;
- rows "complex: its floor area": the complex's floor area after every saving is at least
  ``min_area_m2 k[s,t]``: ``sum of A[s,f] over f in t - the area savings of the sharing
  groups made only of t's functions - (min_area_m2 + area_saving_m2) k[s,t] >= 0``, where
  ``A`` is ``standard area x x`` (coverage mode) or ``a`` (capacitated mode) and the group
  savings are ``area saving x z`` or ``sa``. With ``k = 0`` the row holds for every plan,
  since a group never saves more area than its members take.

The saving enters the site's cost (``-saving_yuan k``) and area in use
(``-area_saving_m2 k``) in :mod:`optimizer.model.site_terms`, so that budgets, space and
the least-cost objective all see it. The rows are exactly the plain rule, so the model
is exact; which complex a site forms given its functions is the solver's free choice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.candidates import Candidates, complex_may_form
from optimizer.model.sharing import SharingSites
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class ComplexSites:
    """Every (site, complex type) that could form a complex: one ``k`` each, in this order.

    Attributes
    ----------
    site, kind
        Site row and complex type index (in ``scenario.complexes``).
    names
        The complex types' names, by index.
    members, core
        The type's candidate pairs at the site, and those of its core functions.
    groups
        The ``z`` (sharing groups complete at the site) made only of the type's functions.
    saving, area_saving
        The type's one-off saving (yuan) and area saving (m2).
    min_functions, min_core, min_area
        The type's rule.
    """

    site: np.ndarray
    kind: np.ndarray
    names: tuple[str, ...]
    members: list[np.ndarray]
    core: list[np.ndarray]
    groups: list[np.ndarray]
    saving: np.ndarray
    area_saving: np.ndarray
    min_functions: np.ndarray
    min_core: np.ndarray
    min_area: np.ndarray

    @property
    def size(self) -> int:
        """How many ``k`` variables."""
        return len(self.site)


def no_complexes() -> ComplexSites:
    """No complex anywhere (a scenario without ``complexes:``)."""
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    return ComplexSites(empty_i, empty_i, (), [], [], [], empty_f, empty_f, empty_i, empty_i, empty_f)


def complex_sites(scenario: Scenario, candidates: Candidates, sharing: SharingSites, sites: pd.DataFrame,
                  capacitated: bool) -> ComplexSites:
    """The sites where each complex type could form, from the candidate pairs.

    Parameters
    ----------
    scenario
        The scenario (its complex types and sharing groups).
    candidates
        The candidate pairs.
    sharing
        The (site, group) of every ``z``.
    sites
        The sites table (``kind``).
    capacitated
        Judge the floor area at the functions' largest sizes rather than standard ones.

    Returns
    -------
    ComplexSites
    """
    if not scenario.complexes:
        return no_complexes()
    names = scenario.function_names
    size = np.array([scenario.functions[n].size.max_m2 if capacitated else scenario.functions[n].size.standard_m2
                     for n in names])
    possible = complex_may_form(scenario, candidates.pair_index >= 0, sites["kind"].to_numpy(), size)
    groups = scenario.sharing.groups
    site_of, kind_of, members, core, zs = [], [], [], [], []
    for t, spec in enumerate(scenario.complexes):
        member_k = [names.index(f) for f in spec.functions]
        core_k = [names.index(f) for f in spec.core_functions]
        inside = np.array([all(f in spec.functions for f in g.functions) for g in groups], dtype=bool)
        z_inside = np.flatnonzero(inside[sharing.group]) if sharing.size and inside.size else np.zeros(0, np.int64)
        for s in np.flatnonzero(possible[:, t]):
            m = candidates.pair_index[s, member_k]
            c = candidates.pair_index[s, core_k]
            site_of.append(int(s))
            kind_of.append(t)
            members.append(m[m >= 0])
            core.append(c[c >= 0])
            zs.append(z_inside[sharing.site[z_inside] == s])
    kind = np.array(kind_of, dtype=np.int64)
    specs = scenario.complexes

    def per_type(values: list[float], dtype=float) -> np.ndarray:
        return np.array(values, dtype=dtype)[kind] if len(kind) else np.zeros(0, dtype=dtype)

    return ComplexSites(
        site=np.array(site_of, dtype=np.int64), kind=kind, names=tuple(c.name for c in specs), members=members,
        core=core, groups=zs, saving=per_type([c.saving_yuan for c in specs]),
        area_saving=per_type([c.area_saving_m2 for c in specs]),
        min_functions=per_type([c.min_functions for c in specs], np.int64),
        min_core=per_type([c.min_core for c in specs], np.int64), min_area=per_type([c.min_area_m2 for c in specs]))


def _at_least(rule: str, cx: ComplexSites, parts: list[tuple[np.ndarray, np.ndarray]], k: VariableBlock,
              need: np.ndarray) -> list[RowBlock]:
    """Rows ``sum of parts[i] - need[i] k[i] >= 0``, one per ``k``; ``parts[i]`` = (columns, coefficients)."""
    n = cx.size
    rows = np.concatenate([np.full(len(cols) + 1, i) for i, (cols, _) in enumerate(parts)])
    cols = np.concatenate([np.concatenate([c, [k.index(i)]]) for i, (c, _) in enumerate(parts)])
    vals = np.concatenate([np.concatenate([v, [-need[i]]]) for i, (_, v) in enumerate(parts)])
    return [row_block(rule, rows, cols, vals, n, 0.0, np.inf)]


def define_complex_choice_rows(cx: ComplexSites, candidates: Candidates, o: VariableBlock,
                               k: VariableBlock) -> list[RowBlock]:
    """At most one complex per site, and only at a converted site: ``sum over t of k[s,t] <= o[s]``.

    Parameters
    ----------
    cx
        The (site, type) of every ``k``.
    candidates
        The candidate pairs (each site's ``o``).
    o, k
        Converted-site and complex variables.

    Returns
    -------
    list of RowBlock
        One family, ``"complex: one per converted site"``; none without ``k``.
    """
    if not cx.size:
        return []
    sites, row = np.unique(cx.site, return_inverse=True)
    n = len(sites)
    return [row_block("complex: one per converted site", np.concatenate([row, np.arange(n)]),
                      np.concatenate([k.index(np.arange(cx.size)), o.index(candidates.site_position[sites])]),
                      np.concatenate([np.ones(cx.size), -np.ones(n)]), n, -np.inf, 0.0)]


def define_complex_function_rows(cx: ComplexSites, x: VariableBlock, k: VariableBlock) -> list[RowBlock]:
    """A complex holds at least ``min_functions`` of its type's functions: ``sum of x >= min_functions k``.

    Returns
    -------
    list of RowBlock
        One family, ``"complex: its functions"``; none without ``k``.
    """
    if not cx.size:
        return []
    parts = [(x.index(m), np.ones(len(m))) for m in cx.members]
    return _at_least("complex: its functions", cx, parts, k, cx.min_functions.astype(float))


def define_complex_core_rows(cx: ComplexSites, x: VariableBlock, k: VariableBlock) -> list[RowBlock]:
    """A complex holds at least ``min_core`` of its type's core functions: ``sum of x >= min_core k``.

    Returns
    -------
    list of RowBlock
        One family, ``"complex: its core functions"``; none without ``k``.
    """
    if not cx.size:
        return []
    parts = [(x.index(c), np.ones(len(c))) for c in cx.core]
    return _at_least("complex: its core functions", cx, parts, k, cx.min_core.astype(float))


def define_complex_area_rows(cx: ComplexSites, candidates: Candidates, sharing: SharingSites, capacitated: bool,
                             x: VariableBlock, z: VariableBlock, a: VariableBlock, sa: VariableBlock,
                             k: VariableBlock) -> list[RowBlock]:
    """A complex's floor area after every saving is at least its type's ``min_area_m2``.

    ``sum of A over the type's functions - the area savings of sharing groups made only of
    them - (min_area_m2 + area_saving_m2) k >= 0`` (``A``: standard area x ``x`` in coverage
    mode, ``a`` in capacitated mode; group savings: ``area saving x z`` or ``sa``).

    Parameters
    ----------
    cx
        The (site, type) of every ``k``.
    candidates
        The candidate pairs (standard areas).
    sharing
        The (site, group) of every ``z``, with its area saving at standard sizes.
    capacitated
        Use the decided areas ``a`` and savings ``sa``.
    x, z, a, sa, k
        The variables the area is written in.

    Returns
    -------
    list of RowBlock
        One family, ``"complex: its floor area"``; none without ``k``.
    """
    if not cx.size:
        return []
    parts = []
    for m, g in zip(cx.members, cx.groups, strict=True):
        if capacitated:
            parts.append((np.concatenate([a.index(m), sa.index(g)]), np.concatenate([np.ones(len(m)),
                                                                                    -np.ones(len(g))])))
        else:
            parts.append((np.concatenate([x.index(m), z.index(g)]),
                          np.concatenate([candidates.pair_area[m], -sharing.area_saving[g]])))
    return _at_least("complex: its floor area", cx, parts, k, cx.min_area + cx.area_saving)


def chosen_complexes(cx: ComplexSites, k_values: np.ndarray) -> dict[int, str]:
    """Site row -> the complex type ``k_values`` choose there."""
    on = np.flatnonzero(np.asarray(k_values) > 0.5)
    return {int(cx.site[i]): cx.names[int(cx.kind[i])] for i in on}
