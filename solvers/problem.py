"""The matrix problem every backend receives.

``solvers`` knows linear algebra, not planning: a :class:`MatrixProblem` is

    optimise    c @ x + offset
    subject to  row_lower <= A @ x <= row_upper
                col_lower <= x <= col_upper
                x[j] integer where integrality[j]

with ``A`` a scipy sparse matrix. Infinite bounds are ``-inf`` / ``+inf``.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


class Sense(str, enum.Enum):
    """Direction of optimisation."""

    MAXIMIZE = "maximize"
    MINIMIZE = "minimize"


@dataclass(frozen=True)
class MatrixProblem:
    """A mixed-integer linear programme in matrix form.

    Parameters
    ----------
    objective
        Objective coefficients ``c``, shape ``(n,)``.
    matrix
        Constraint matrix ``A``, sparse, shape ``(m, n)``; stored as CSR.
    row_lower, row_upper
        Row activity bounds, shape ``(m,)``; ``-inf``/``+inf`` for one-sided rows.
    col_lower, col_upper
        Variable bounds, shape ``(n,)``.
    integrality
        Boolean mask, shape ``(n,)``: which variables must take integer values.
    sense
        Maximise or minimise.
    objective_offset
        Constant added to the objective.
    col_names, row_names
        Optional names, used in exported files and logs.
    start
        Optional full starting point (warm start), shape ``(n,)``.
    name
        Problem name for logs and exported files.
    """

    objective: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    sense: Sense = Sense.MAXIMIZE
    objective_offset: float = 0.0
    col_names: tuple[str, ...] | None = None
    row_names: tuple[str, ...] | None = None
    start: np.ndarray | None = None
    name: str = "problem"
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", sp.csr_matrix(self.matrix, dtype=np.float64))
        for attr in ("objective", "row_lower", "row_upper", "col_lower", "col_upper"):
            object.__setattr__(self, attr, np.asarray(getattr(self, attr), dtype=np.float64))
        object.__setattr__(self, "integrality", np.asarray(self.integrality, dtype=bool))
        if self.start is not None:
            object.__setattr__(self, "start", np.asarray(self.start, dtype=np.float64))
        self.validate()

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.objective.shape[0])

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return int(self.matrix.shape[0])

    @property
    def is_mip(self) -> bool:
        """True when at least one variable is integer."""
        return bool(self.integrality.any())

    def validate(self) -> None:
        """Raise ``ValueError`` when shapes or bounds are inconsistent."""
        m, n = self.matrix.shape
        problems = []
        for attr, size in (("objective", n), ("col_lower", n), ("col_upper", n),
                           ("integrality", n), ("row_lower", m), ("row_upper", m)):
            if getattr(self, attr).shape != (size,):
                problems.append(f"{attr} has shape {getattr(self, attr).shape}, expected ({size},)")
        if problems:
            raise ValueError("; ".join(problems))
        if not np.isfinite(self.objective).all():
            problems.append("objective has non-finite coefficients")
        if not np.isfinite(self.matrix.data).all():
            problems.append("matrix has non-finite coefficients")
        if (self.col_lower > self.col_upper).any():
            problems.append(f"col_lower > col_upper for {int((self.col_lower > self.col_upper).sum())} variables")
        if (self.row_lower > self.row_upper).any():
            problems.append(f"row_lower > row_upper for {int((self.row_lower > self.row_upper).sum())} rows")
        if self.col_names is not None and len(self.col_names) != n:
            problems.append("col_names length differs from the number of variables")
        if self.row_names is not None and len(self.row_names) != m:
            problems.append("row_names length differs from the number of rows")
        if self.start is not None and self.start.shape != (n,):
            problems.append(f"start has shape {self.start.shape}, expected ({n},)")
        if problems:
            raise ValueError("; ".join(problems))

    def activity(self, x: np.ndarray) -> np.ndarray:
        """Row activities ``A @ x``."""
        return self.matrix @ np.asarray(x, dtype=np.float64)

    def objective_value(self, x: np.ndarray) -> float:
        """Objective value ``c @ x + offset``."""
        return float(self.objective @ np.asarray(x, dtype=np.float64) + self.objective_offset)

    def max_violation(self, x: np.ndarray) -> float:
        """Largest violation of any row, bound or integrality by ``x`` (0 when feasible)."""
        x = np.asarray(x, dtype=np.float64)
        act = self.activity(x)
        viol = [0.0]
        if act.size:
            viol.append(float(np.max(np.maximum(self.row_lower - act, 0.0), initial=0.0)))
            viol.append(float(np.max(np.maximum(act - self.row_upper, 0.0), initial=0.0)))
        viol.append(float(np.max(np.maximum(self.col_lower - x, 0.0), initial=0.0)))
        viol.append(float(np.max(np.maximum(x - self.col_upper, 0.0), initial=0.0)))
        if self.integrality.any():
            xi = x[self.integrality]
            viol.append(float(np.max(np.abs(xi - np.round(xi)), initial=0.0)))
        return max(viol)
