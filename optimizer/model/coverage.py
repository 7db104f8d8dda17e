"""Demand rows and demand aggregation.

For each function ``f`` the demand units with people still to serve (not already
served by a running facility, rule 3) and reached by some candidate become rows. Units
whose sets of reaching candidates are identical (and, when a requirement counts people
per life circle, that lie in the same circle) are merged into one row holding their
summed people: exact, since merged units are interchangeable in every constraint.

Coverage mode: ``y[r] <= sum of x[s,f] over sites s reaching r``, ``0 <= y <= 1``.
Capacitated mode: the row's people are served by assignment variables (rule 4).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.model.blocks import RowBlock, VariableBlock, row_block

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoverageRows:
    """Coverage of one function after aggregation.

    Attributes
    ----------
    function
        Function name.
    pattern
        CSR (n_groups, n_pairs_f): which of the function's candidate pairs reach each group.
    weight
        Objective weight of each group (weighted people).
    people
        People of each group still to serve.
    unit_group
        For each demand unit, its group, or -1 (already served, unreachable, or no people).
    n_units_considered
        Units with people, not already served, reached by at least one candidate.
    """

    function: str
    pattern: sp.csr_matrix
    weight: np.ndarray
    people: np.ndarray
    unit_group: np.ndarray
    n_units_considered: int

    @property
    def n_groups(self) -> int:
        """Number of demand rows (merged demand units)."""
        return int(self.pattern.shape[0])


def merge_identical_rows(matrix: sp.csr_matrix, seed: int = 12345,
                         key: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Group rows of a sparse 0/1 matrix with identical nonzero patterns (and equal ``key``).

    Rows are hashed with two independent random 64-bit keys per column (sums wrap
    modulo 2**64), grouped by (length, hash, hash, key), then verified exactly.

    Returns
    -------
    representative
        For each group, the index of its first row.
    inverse
        For each row, its group.
    """
    m = sp.csr_matrix(matrix, copy=True)
    m.sort_indices()
    n = m.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, np.iinfo(np.uint64).max, size=(2, m.shape[1]), dtype=np.uint64,
                        endpoint=True)
    nnz = np.diff(m.indptr)
    h = np.zeros((n, 4), dtype=np.uint64)
    h[:, 0] = nnz
    if key is not None:
        h[:, 3] = np.asarray(key, dtype=np.int64).astype(np.uint64)
    nonempty = nnz > 0
    if m.nnz:
        starts = m.indptr[:-1][nonempty]
        for k in (0, 1):
            with np.errstate(over="ignore"):
                h[nonempty, k + 1] = np.add.reduceat(keys[k][m.indices], starts)
    _, representative, inverse = np.unique(h, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # exact verification: every row equals its group's representative
    rep_of_row = representative[inverse]
    total = int(nnz.sum())
    if total:
        offs = np.arange(total) - np.repeat(np.cumsum(nnz) - nnz, nnz)
        mine = m.indices[np.repeat(m.indptr[:-1], nnz) + offs]
        theirs = m.indices[np.repeat(m.indptr[:-1][rep_of_row], nnz) + offs]
        if not np.array_equal(mine, theirs):  # a 128-bit hash collision: do not merge at all
            log.warning("hash collision while merging demand rows; merging skipped")
            return np.arange(n), np.arange(n)
    return representative, inverse


def coverage_rows(
    function: str,
    reach_pairs: sp.csr_matrix,
    people: np.ndarray,
    weight: float,
    aggregate: bool = True,
    split: np.ndarray | None = None,
) -> CoverageRows:
    """Build the demand rows of one function.

    Parameters
    ----------
    function
        Function name.
    reach_pairs
        Boolean CSR (n_units, n_pairs_f): unit within the threshold of the pair's site.
    people
        People per unit still to serve (0 for units already served, rule 3).
    weight
        The function's objective weight.
    aggregate
        Merge units with identical patterns.
    split
        Integer code per unit (a life circle): units with different codes are never merged.
    """
    n_units = reach_pairs.shape[0]
    people = np.asarray(people, dtype=np.float64)
    reachable = np.diff(reach_pairs.indptr) > 0
    keep = reachable & (people > 0)
    rows = np.flatnonzero(keep)
    sub = reach_pairs[rows]
    unit_group = np.full(n_units, -1, dtype=np.int64)
    if aggregate and len(rows):
        rep, inverse = merge_identical_rows(sub, key=None if split is None else np.asarray(split)[rows])
        pattern = sub[rep]
        group_people = np.bincount(inverse, weights=people[rows], minlength=len(rep))
        unit_group[rows] = inverse
    else:
        pattern = sub
        group_people = people[rows]
        unit_group[rows] = np.arange(len(rows))
    pattern = sp.csr_matrix(pattern, dtype=np.float64)
    pattern.data[:] = 1.0
    log.debug("%s: %d units considered -> %d demand rows", function, len(rows), pattern.shape[0])
    return CoverageRows(function, pattern, group_people * weight, group_people, unit_group, len(rows))


def define_coverage_rows(coverage: dict[str, CoverageRows], functions: list[str], pair_function: np.ndarray,
                         x: VariableBlock, y: VariableBlock, y_offsets: dict[str, int]) -> list[RowBlock]:
    """Coverage mode: a demand row counts as newly covered only if a provided function reaches it.

    ``y[r] <= sum of x[p]`` over the pairs ``p`` of the row's function whose site is within
    its walk; with ``0 <= y <= 1`` the row's people count once however many reach them.

    Parameters
    ----------
    coverage
        Demand rows per function.
    functions
        Function names, in order (function ``k``'s rows start at ``y_offsets[functions[k]]``).
    pair_function
        Function index of each candidate pair.
    x, y
        Pair and covered-share variables.
    y_offsets
        Where each function's demand rows start.

    Returns
    -------
    list of RowBlock
        One family, ``"coverage"``, one row per demand row; none without demand rows.
    """
    row_parts, col_parts, val_parts = [], [], []
    for k, name in enumerate(functions):
        rows = coverage[name]
        first = y_offsets[name]
        pair_cols = x.index(np.flatnonzero(pair_function == k))
        pattern = rows.pattern.tocoo()
        row_parts += [pattern.row + first, np.arange(rows.n_groups) + first]
        col_parts += [pair_cols[pattern.col], y.index(np.arange(rows.n_groups) + first)]
        val_parts += [-np.ones(pattern.nnz), np.ones(rows.n_groups)]
    n_rows = sum(c.n_groups for c in coverage.values())
    if not n_rows:
        return []
    return [row_block("coverage", np.concatenate(row_parts), np.concatenate(col_parts), np.concatenate(val_parts),
                      n_rows, -np.inf, 0.0)]
