"""Pieces a rule module hands to the assembler: variables and constraint rows as arrays."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
        return len(self.lower)


@dataclass
class VariableBlock:
    """A contiguous block of variables: columns ``start .. start + size - 1``."""

    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size

    def index(self, local: np.ndarray) -> np.ndarray:
        """Global column numbers of local positions."""
        return self.start + np.asarray(local, dtype=np.int64)
