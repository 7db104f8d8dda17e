"""Write a :class:`~solvers.problem.MatrixProblem` as a free-format MPS file.

This is both the input of the command-line backends (CBC) and the "export model"
feature: any MILP solver reads the file.

Conventions of the written file
-------------------------------
* The file always **minimises**. A maximisation is written with the objective negated;
  :attr:`MpsLayout.negated` records it, and :meth:`MpsLayout.to_problem_objective` maps
  an objective value reported for the file back to the problem's sense.
* The objective constant is written, when asked, as the right-hand side of the
  objective row with the CPLEX/HiGHS sign convention (``RHS = -offset``; CBC 2.10 reads
  it the same way). Not every reader does, so backends write without it and add the
  offset themselves.
* Two-sided rows ``lo <= a x <= up`` are ``G`` rows with ``RHS = lo`` and
  ``RANGES = up - lo``; rows with no finite side are extra ``N`` rows (readers usually
  drop them; they constrain nothing).
* Integer columns sit between ``'MARKER' 'INTORG'`` / ``'INTEND'`` lines and always
  carry an explicit upper bound (``UP`` or ``PL``), because some readers make an
  integer column without one binary.
* The ``NAME`` line ends with ``FREE``: COIN-OR readers otherwise guess fixed or free
  format line by line and misread lines that happen to fit fixed-MPS columns.
* Variable values do not change under negation of the objective; columns keep
  their order, so values read back by position or by name need no mapping.

The COLUMNS, RHS, RANGES and BOUNDS sections are built with numpy string operations
from the CSC arrays, without a Python loop over nonzeros.
"""
from __future__ import annotations

import io
import logging
import os
import re
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import scipy.sparse as sp

from solvers.problem import MatrixProblem, Sense

logger = logging.getLogger(__name__)

__all__ = ["MpsLayout", "write_mps", "mps_string"]

#: printable ASCII without blanks, not starting like a comment or a ``$`` keyword
_NAME_OK = re.compile(r"^[\x21-\x23\x25-\x29\x2b-\x7e][\x21-\x7e]{0,254}$")


@dataclass(frozen=True)
class MpsLayout:
    """How a problem was laid out in an MPS file.

    Attributes
    ----------
    col_names, row_names
        Names written for the columns and rows, in problem order.
    objective_row
        Name of the objective (``N``) row.
    negated
        True when the file minimises ``-c`` because the problem maximises ``c``.
    offset
        The problem's objective constant.
    offset_written
        True when the constant was written into the file (objective row RHS).
    """

    col_names: tuple[str, ...]
    row_names: tuple[str, ...]
    objective_row: str
    negated: bool
    offset: float
    offset_written: bool

    @property
    def sign(self) -> float:
        """``-1.0`` when the file objective is the negated problem objective, else ``1.0``."""
        return -1.0 if self.negated else 1.0

    def to_problem_objective(self, file_value: float | None) -> float | None:
        """Map an objective value (or bound) reported for the file to the problem's terms.

        Parameters
        ----------
        file_value
            Objective value or bound as a solver of the written file reports it.

        Returns
        -------
        float or None
            The same quantity for the original problem (its sense, with its offset).
        """
        if file_value is None:
            return None
        value = self.sign * float(file_value)
        if not self.offset_written:
            value += self.offset
        return value


def _names_usable(names: tuple[str, ...] | None, size: int) -> bool:
    """True when ``names`` can be written into a free MPS file as they are."""
    if names is None or len(names) != size:
        return False
    if len(set(names)) != size:
        return False
    return all(isinstance(nm, str) and _NAME_OK.match(nm) is not None for nm in names)


def _generic_names(prefix: str, size: int) -> np.ndarray:
    """``prefix0``, ``prefix1``, ... as a numpy unicode array."""
    return np.char.add(prefix, np.arange(size).astype(str))


def _fmt(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip decimal text of each value (numpy's C formatter)."""
    return np.asarray(values, dtype=np.float64).astype(str)


def _join(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays and scalars."""
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(out, part)
    return np.asarray(out)


def _choose_names(problem: MatrixProblem, names: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Column names, row names and objective row name for the file."""
    if names not in ("auto", "generic"):
        raise ValueError(f"names must be 'auto' or 'generic', not {names!r}")
    n, m = problem.n_cols, problem.n_rows
    use_cols = names == "auto" and _names_usable(problem.col_names, n)
    use_rows = names == "auto" and _names_usable(problem.row_names, m)
    if names == "auto" and problem.col_names is not None and not use_cols:
        logger.debug("column names are not valid free-MPS names; writing C0, C1, ...")
    if names == "auto" and problem.row_names is not None and not use_rows:
        logger.debug("row names are not valid free-MPS names; writing R0, R1, ...")
    col_names = np.asarray(problem.col_names, dtype=str) if use_cols else _generic_names("C", n)
    row_names = np.asarray(problem.row_names, dtype=str) if use_rows else _generic_names("R", m)
    taken = set(row_names.tolist()) if use_rows else set()
    objective_row = "OBJ"
    k = 0
    while objective_row in taken:
        k += 1
        objective_row = f"OBJ_{k}"
    if n == 0:
        col_names = np.zeros(0, dtype="<U1")
    if m == 0:
        row_names = np.zeros(0, dtype="<U1")
    return col_names, row_names, objective_row


def _row_types(lo: np.ndarray, up: np.ndarray) -> np.ndarray:
    """MPS row type of each row: ``E``, ``G``, ``L``, ``N``, or ``R`` (ranged, written as G)."""
    if np.any(lo == np.inf) or np.any(up == -np.inf):
        raise ValueError("a row has lower bound +inf or upper bound -inf")
    lo_fin, up_fin = np.isfinite(lo), np.isfinite(up)
    types = np.full(lo.shape, "N", dtype="<U1")
    types[lo_fin & ~up_fin] = "G"
    types[~lo_fin & up_fin] = "L"
    both = lo_fin & up_fin
    types[both] = "R"
    types[both & (lo == up)] = "E"
    return types


def _columns_section(problem: MatrixProblem, col_names: np.ndarray, row_names: np.ndarray,
                     objective_row: str, sign: float) -> list[str]:
    """Lines of the COLUMNS section, integer runs wrapped in MARKER lines."""
    n = problem.n_cols
    a = sp.csc_matrix(problem.matrix)
    a.eliminate_zeros()
    a.sort_indices()
    counts = np.diff(a.indptr)
    cost = sign * problem.objective
    # every column must appear at least once, or readers never learn it exists
    obj_cols = np.flatnonzero((cost != 0.0) | (counts == 0))
    ent_cols = np.concatenate([obj_cols, np.repeat(np.arange(n), counts)])
    ent_rows = np.concatenate([np.full(obj_cols.size, objective_row),
                               row_names[a.indices] if a.nnz else np.zeros(0, dtype=str)])
    ent_vals = np.concatenate([cost[obj_cols], a.data])
    order = np.argsort(ent_cols, kind="stable")  # objective entry first within a column
    ent_cols = ent_cols[order]
    lines = _join("    ", col_names[ent_cols], "  ", ent_rows[order].astype(str), "  ",
                  _fmt(ent_vals[order]))
    # runs of columns with the same integrality; one MARKER pair per integer run
    integ = problem.integrality
    if n == 0:
        return []
    change = np.flatnonzero(np.diff(integ.astype(np.int8))) + 1
    run_starts = np.concatenate([[0], change])
    run_ends = np.concatenate([change, [n]])
    line_starts = np.searchsorted(ent_cols, run_starts, side="left")
    line_ends = np.searchsorted(ent_cols, run_ends, side="left")
    out: list[str] = []
    for c0, l0, l1 in zip(run_starts, line_starts, line_ends, strict=True):
        if integ[c0]:
            out.append("    MARKER  'MARKER'  'INTORG'")
            out.extend(lines[l0:l1].tolist())
            out.append("    MARKER  'MARKER'  'INTEND'")
        else:
            out.extend(lines[l0:l1].tolist())
    return out


def _bounds_section(problem: MatrixProblem, col_names: np.ndarray) -> list[str]:
    """Lines of the BOUNDS section (defaults ``[0, +inf)`` for continuous columns omitted)."""
    lo, up, integ = problem.col_lower, problem.col_upper, problem.integrality
    if np.any(lo == np.inf) or np.any(up == -np.inf):
        raise ValueError("a column has lower bound +inf or upper bound -inf")
    lo_fin, up_fin = np.isfinite(lo), np.isfinite(up)
    fixed = lo_fin & up_fin & (lo == up)
    free = ~lo_fin & ~up_fin
    rest = ~fixed & ~free
    # (column, order-within-column, kind, value text)
    kinds: list[tuple[np.ndarray, int, str, np.ndarray | None]] = [
        (np.flatnonzero(fixed), 0, "FX", lo),
        (np.flatnonzero(free), 0, "FR", None),
        (np.flatnonzero(rest & ~lo_fin), 0, "MI", None),
        (np.flatnonzero(rest & lo_fin & (lo != 0.0)), 0, "LO", lo),
        (np.flatnonzero(rest & up_fin), 1, "UP", up),
        # integer columns without an upper bound: say so, lest a reader make them binary
        (np.flatnonzero(rest & ~up_fin & integ), 1, "PL", None),
    ]
    cols, rank, text = [], [], []
    for idx, order, kind, values in kinds:
        if idx.size == 0:
            continue
        line = _join(f" {kind} BND  ", col_names[idx])
        if values is not None:
            line = _join(line, "  ", _fmt(values[idx]))
        cols.append(idx)
        rank.append(np.full(idx.size, order))
        text.append(line)
    if not cols:
        return []
    cols_a, rank_a, text_a = np.concatenate(cols), np.concatenate(rank), np.concatenate(text)
    line_order = np.lexsort((rank_a, cols_a))
    return text_a[line_order].tolist()


def mps_string(problem: MatrixProblem, *, names: str = "auto", write_offset: bool = True,
               free_keyword: bool = True) -> tuple[str, MpsLayout]:
    """Free-MPS text of ``problem``.

    Parameters
    ----------
    problem
        The problem to write.
    names
        ``"auto"`` uses the problem's column/row names when every one is a valid
        free-MPS name (no whitespace, unique), else ``C0, C1, ...`` / ``R0, R1, ...``;
        ``"generic"`` always uses the generated names.
    write_offset
        Write the objective constant as ``-RHS`` of the objective row.
    free_keyword
        End the ``NAME`` line with ``FREE``. COIN-OR readers (CBC) otherwise guess the
        format line by line and misread lines that happen to fit fixed-MPS columns
        (e.g. an 8-character name followed by two blanks); HiGHS ignores the word.

    Returns
    -------
    text : str
        The file's content.
    layout : MpsLayout
        Names used, and how to map objective values back.
    """
    col_names, row_names, objective_row = _choose_names(problem, names)
    negated = problem.sense is Sense.MAXIMIZE
    sign = -1.0 if negated else 1.0
    lo, up = problem.row_lower, problem.row_upper
    types = _row_types(lo, up)
    written_offset = bool(write_offset and problem.objective_offset != 0.0)

    name = re.sub(r"[^\x21-\x7e]+", "_", problem.name) or "problem"
    out: list[str] = [f"* lifecircle MatrixProblem {name!r}: {problem.n_rows} rows, "
                      f"{problem.n_cols} columns, {problem.matrix.nnz} nonzeros",
                      f"* original sense {problem.sense.value}; this file minimises"
                      + (" the negated objective" if negated else ""),
                      f"NAME {name} FREE" if free_keyword else f"NAME {name}", "ROWS", f" N  {objective_row}"]
    if problem.n_rows:
        out.extend(_join(" ", np.where(types == "R", "G", types), "  ", row_names).tolist())
    out.append("COLUMNS")
    out.extend(_columns_section(problem, col_names, row_names, objective_row, sign))

    out.append("RHS")
    rhs = np.where(types == "L", up, lo)
    rhs = np.where(types == "N", 0.0, rhs)
    if written_offset:
        out.append(f"    RHS  {objective_row}  {_fmt(np.array([-sign * problem.objective_offset]))[0]}")
    nz = np.flatnonzero(rhs != 0.0)
    if nz.size:
        out.extend(_join("    RHS  ", row_names[nz], "  ", _fmt(rhs[nz])).tolist())

    ranged = np.flatnonzero(types == "R")
    if ranged.size:
        out.append("RANGES")
        out.extend(_join("    RNG  ", row_names[ranged], "  ",
                         _fmt(up[ranged] - lo[ranged])).tolist())

    bounds = _bounds_section(problem, col_names)
    if bounds:
        out.append("BOUNDS")
        out.extend(bounds)
    out.append("ENDATA")
    layout = MpsLayout(col_names=tuple(col_names.tolist()), row_names=tuple(row_names.tolist()),
                       objective_row=objective_row, negated=negated,
                       offset=float(problem.objective_offset), offset_written=written_offset)
    return "\n".join(out) + "\n", layout


def write_mps(problem: MatrixProblem, target: str | os.PathLike | TextIO, *,
              names: str = "auto", write_offset: bool = True,
              free_keyword: bool = True) -> MpsLayout:
    """Write ``problem`` as a free-format MPS file.

    Parameters
    ----------
    problem
        The problem to write.
    target
        A path, or an open text file.
    names, write_offset, free_keyword
        See :func:`mps_string`.

    Returns
    -------
    MpsLayout
        Names used, and how to map objective values back to the problem.
    """
    text, layout = mps_string(problem, names=names, write_offset=write_offset,
                              free_keyword=free_keyword)
    if isinstance(target, io.TextIOBase) or hasattr(target, "write"):
        target.write(text)
    else:
        with open(target, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
    logger.debug("wrote MPS of %r (%d rows, %d cols)", problem.name, problem.n_rows, problem.n_cols)
    return layout
