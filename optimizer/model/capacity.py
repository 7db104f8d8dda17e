"""Capacity (rule 4, capacitated mode): a facility serves at most its capacity, only people within reach.

``w[r,p]`` people of demand row ``r`` are served by pair ``p`` (only pairs within reach
of the row have a ``w``). The rows of this family:

- served within demand: the people of a row served by all pairs are at most its people;
- capacity: a pair serves at most ``people_per_place / area_per_place x a[p]``;
- size: ``a[p]`` is between the pair's minimum and maximum size when provided
  (``x[p] = 1``), 0 otherwise: the function's sizes, or a shared garage's own size for
  both (it offers exactly its places).

``w[r,p] <= people[r] x[p]`` is implied by capacity but tightens the relaxation (the
strong formulation of capacitated facility location); all of them make the root LP
dozens of times slower, so they are kept as a pool and only the violated ones are added
(:mod:`optimizer.model.strengthen`).
"""
from __future__ import annotations

import numpy as np

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.candidates import Candidates
from optimizer.scenario import Scenario

#: A pool of valid inequalities ``w[c] - coef x[k] <= 0``: columns ``c``, ``k`` and coefficients.
CutPool = tuple[np.ndarray, np.ndarray, np.ndarray]


def no_cuts() -> CutPool:
    """An empty cut pool (coverage mode)."""
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)


def define_capacity_rows(candidates: Candidates, scenario: Scenario, x: VariableBlock, a: VariableBlock,
                         w: VariableBlock, w_row: np.ndarray, w_pair: np.ndarray,
                         row_people: np.ndarray) -> tuple[list[RowBlock], CutPool]:
    """Rule 4: served within demand, within capacity, and sized between the function's limits.

    Parameters
    ----------
    candidates
        The candidate pairs and each function's size limits.
    scenario
        The scenario (people per place, area per place).
    x, a, w
        Pair, area and assignment variables.
    w_row, w_pair
        Demand row (global) and pair of each ``w``.
    row_people
        People still to serve in each demand row (global).

    Returns
    -------
    blocks
        ``"served within demand"``, ``"capacity (rule 4)"``, then two ``"size"`` families
        (at most the largest size, at least the smallest).
    cut_pool
        The strong assignment inequalities ``w[r,p] <= people[r] x[p]``.
    """
    names = scenario.function_names
    fn_of_pair = candidates.pair_function
    n_pairs, n_w = candidates.n_pairs, len(w_row)
    pairs = np.arange(n_pairs)
    assignments = w.index(np.arange(n_w))
    places_per_m2 = np.array([scenario.functions[nm].people_per_place / scenario.functions[nm].area_per_unit_m2
                              for nm in names])
    blocks = [
        row_block("served within demand", w_row, assignments, np.ones(n_w), int(row_people.size), -np.inf,
                  row_people),
        row_block("capacity (rule 4)", np.concatenate([w_pair, pairs]), np.concatenate([assignments, a.index(pairs)]),
                  np.concatenate([np.ones(n_w), -places_per_m2[fn_of_pair]]), n_pairs, -np.inf, 0.0),
        row_block("size", np.concatenate([pairs, pairs]), np.concatenate([a.index(pairs), x.index(pairs)]),
                  np.concatenate([np.ones(n_pairs), -candidates.pair_max_m2]), n_pairs, -np.inf, 0.0),
        row_block("size", np.concatenate([pairs, pairs]), np.concatenate([a.index(pairs), x.index(pairs)]),
                  np.concatenate([np.ones(n_pairs), -candidates.pair_min_m2]), n_pairs, 0.0, np.inf),
    ]
    cut_pool = (assignments, x.index(w_pair), row_people[w_row] if n_w else np.zeros(0))
    return blocks, cut_pool
