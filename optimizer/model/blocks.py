"""Pieces a rule module hands to the assembler: variables and constraint rows as arrays.

Every rule family of the model (one module each in :mod:`optimizer.model`) exposes a
``define_*`` function that returns :class:`RowBlock` s (and, for the variables,
:class:`VariableBlock` s); :func:`stack_rows` lays the blocks one under the other in the
order the assembler gives them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class RowBlock:
    """Rows of one rule family, in coordinate form with block-local row numbers.

    Attributes
    ----------
    rule
        The planning rule these rows express (``"coverage"``, ``"budget (whole scenario)"``, ...).
    rows, cols, vals
        Nonzeros: local row, global column, coefficient.
    lower, upper
        Row bounds.
    """

    rule: str
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    @property
    def n_rows(self) -> int:
        """How many rows the block holds."""
        return len(self.lower)


@dataclass
class VariableBlock:
    """A contiguous block of variables: columns ``start .. start + size - 1``."""

    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        """The first column after the block."""
        return self.start + self.size

    def index(self, local: np.ndarray | int) -> np.ndarray:
        """Global column numbers of local positions."""
        return self.start + np.asarray(local, dtype=np.int64)


def row_block(rule: str, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int,
              lower: np.ndarray | float, upper: np.ndarray | float) -> RowBlock:
    """A block of rows from coordinate arrays; scalar bounds are broadcast to every row.

    Parameters
    ----------
    rule
        The planning rule the rows express.
    rows, cols, vals
        Nonzeros: block-local row, global column, coefficient.
    n_rows
        Rows in the block (rows without nonzeros count too).
    lower, upper
        Row bounds, one per row or one for all.

    Returns
    -------
    RowBlock
    """
    return RowBlock(rule, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
                    np.asarray(vals, dtype=float), np.broadcast_to(np.asarray(lower, dtype=float), (n_rows,)).copy(),
                    np.broadcast_to(np.asarray(upper, dtype=float), (n_rows,)).copy())


def stack_rows(blocks: list[RowBlock], n_cols: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray,
                                                             list[tuple[str, int, int]]]:
    """Lay the blocks one under the other (empty blocks are left out).

    Parameters
    ----------
    blocks
        Row blocks, in model order.
    n_cols
        Columns of the model.

    Returns
    -------
    matrix, row_lower, row_upper
        The constraint matrix (CSR) and its row bounds.
    spans
        ``(rule, first row, stop row)`` of every non-empty block.
    """
    rows, cols, vals, lo, up = [], [], [], [], []
    spans: list[tuple[str, int, int]] = []
    offset = 0
    for b in blocks:
        if b.n_rows == 0:
            continue
        rows.append(b.rows + offset)
        cols.append(b.cols)
        vals.append(b.vals)
        lo.append(b.lower)
        up.append(b.upper)
        spans.append((b.rule, offset, offset + b.n_rows))
        offset += b.n_rows
    if not rows:
        return sp.csr_matrix((0, n_cols)), np.zeros(0), np.zeros(0), []
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(offset, n_cols))
    return matrix, np.concatenate(lo), np.concatenate(up), spans


@dataclass
class SiteTerms:
    """Linear terms owned by a site, ``(site row, column, coefficient)``: a site's cost or its area in use.

    The budget (rule 1) sums cost terms over the sites of its scope; the space rule (rule 2)
    sums area terms per site.
    """

    site: list[np.ndarray] = field(default_factory=list)
    col: list[np.ndarray] = field(default_factory=list)
    val: list[np.ndarray] = field(default_factory=list)

    def add(self, site: np.ndarray, col: np.ndarray, val: np.ndarray) -> None:
        """Add terms: ``val`` times column ``col``, owned by site row ``site``."""
        self.site.append(np.asarray(site, dtype=np.int64))
        self.col.append(np.asarray(col, dtype=np.int64))
        self.val.append(np.asarray(val, dtype=float))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Site rows, columns and coefficients of every term, in the order they were added."""
        if not self.site:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(self.site), np.concatenate(self.col), np.concatenate(self.val)
