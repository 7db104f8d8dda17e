"""Write a :class:`~solvers.problem.MatrixProblem` as a CPLEX-LP file.

The LP format is the algebraic one that CPLEX, Gurobi, HiGHS, SCIP, CBC and Xpress read:
``Maximize``/``Minimize``, ``Subject To``, ``Bounds``, ``Generals``, ``End``.

Conventions of the written file
-------------------------------
* The file keeps the problem's sense (``Maximize`` or ``Minimize``): objective values a
  solver reports for it are the problem's own (unlike :mod:`solvers.mps`, which always
  minimises). The objective constant, when not 0, is written as a constant term.
* A two-sided row ``lo <= a x <= up`` (``lo < up``) is written as two rows,
  ``<name>_lo: a x >= lo`` and ``<name>_up: a x <= up``: there is no portable
  single-row range in the LP format (HiGHS rejects ``lo <= a x <= up``). Rows with no
  finite side constrain nothing and are left out. A row with no nonzero is written as
  ``0 <first column>``.
* Integer columns are listed under ``Generals`` with explicit bounds (never
  ``Binaries``, whose meaning for fixed bounds differs between readers).
* Every column is declared: a column with no objective or matrix entry and default
  bounds gets a ``>= 0`` bound line. Readers number columns in order of appearance,
  so map values back **by name**.
* Lines stay short (the LP readers of CPLEX and HiGHS stop at 510/560 characters):
  long rows continue on indented lines.
* Names must be valid LP names (letters, digits, ``_`` and ``.``, not starting with a
  digit, a period or ``e``/``E`` followed by a digit or ``e``, no keyword, at most 255
  characters); otherwise ``C0, C1, ...`` / ``R0, R1, ...`` are written.

The text is built with numpy string operations from the CSR arrays, without a Python
loop over nonzeros.
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

__all__ = ["LpLayout", "lp_string", "write_lp", "lp_name_ok"]

_LP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,254}$")
_EXPONENT_LIKE = re.compile(r"^[eE]([0-9eE]|$)")
_KEYWORDS = frozenset({
    "minimize", "min", "minimum", "minimise", "maximize", "max", "maximum", "maximise", "subject", "such",
    "st", "s.t.", "bounds", "bound", "infinity", "inf", "free", "general", "generals", "gen", "integer",
    "integers", "binary", "binaries", "bin", "semi-continuous", "semi", "semis", "sos", "end", "obj"})

#: Start a new line before a term once a line has this many characters.
LINE_CHARS = 200


@dataclass(frozen=True)
class LpLayout:
    """How a problem was laid out in an LP file.

    Attributes
    ----------
    col_names, row_names
        Names written for the columns and (original) rows, in problem order.
    objective_name
        Name of the objective.
    split_rows
        Original rows written as two rows (``_lo`` and ``_up``).
    dropped_rows
        Original rows left out because neither side is finite.
    """

    col_names: tuple[str, ...]
    row_names: tuple[str, ...]
    objective_name: str
    split_rows: int
    dropped_rows: int


def lp_name_ok(name: object) -> bool:
    """True when ``name`` can be written into an LP file as it is."""
    return (isinstance(name, str) and _LP_NAME.match(name) is not None and _EXPONENT_LIKE.match(name) is None
            and name.lower() not in _KEYWORDS)


def _usable(names: tuple[str, ...] | None, size: int) -> bool:
    return names is not None and len(names) == size and len(set(names)) == size and all(map(lp_name_ok, names))


def _fmt(values: np.ndarray) -> np.ndarray:
    """Shortest round-trip decimal text of each value: ``2`` not ``2.0``; ``inf``/``-inf``."""
    v = np.asarray(values, dtype=np.float64)
    whole = np.isfinite(v) & (np.abs(v) < 1e15) & (v == np.round(v))
    return np.where(whole, np.where(whole, v, 0.0).astype(np.int64).astype(str), v.astype(str))


def _join(*parts: np.ndarray | str) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.char.add(out, part)
    return np.asarray(out)


def _terms(indptr: np.ndarray, cols: np.ndarray, vals: np.ndarray, col_names: np.ndarray,
           first_width: np.ndarray) -> np.ndarray:
    """Text of every term ``' + 2.5 name'``, with a line break where a row's line gets long.

    ``first_width``: characters already on the first line of each row.
    """
    nnz = vals.size
    if nnz == 0:
        return np.zeros(0, dtype="<U1")
    sign = np.where(vals < 0, " - ", " + ")
    text = _join(sign, _fmt(np.abs(vals)), " ", col_names[cols])
    counts = np.diff(indptr)
    row = np.repeat(np.arange(counts.size), counts)
    length = np.char.str_len(text).astype(np.int64)
    ends = np.cumsum(length)
    starts = ends - length
    row_start = starts[indptr[:-1][counts > 0]]  # offset of each non-empty row's first term
    start_in_row = starts - np.repeat(row_start, counts[counts > 0]) + first_width[row]
    line = start_in_row // LINE_CHARS
    first_of_row = np.zeros(nnz, dtype=bool)
    first_of_row[indptr[:-1][counts > 0]] = True
    prev_line = np.concatenate([[0], line[:-1]])
    brk = ~first_of_row & (line != prev_line)
    return np.where(brk, np.char.add("\n   ", text), text)


def _interleave(heads: np.ndarray, terms: np.ndarray, tails: np.ndarray, indptr: np.ndarray) -> str:
    """``head_0 terms_0 tail_0 head_1 ...`` as one string."""
    m = heads.size
    out = np.empty(m * 2 + terms.size, dtype=object)
    rows = np.arange(m)
    counts = np.diff(indptr)
    out[indptr[:-1] + 2 * rows] = heads
    out[indptr[1:] + 2 * rows + 1] = tails
    if terms.size:
        term_row = np.repeat(rows, counts)
        out[np.arange(terms.size) + 2 * term_row + 1] = terms
    return "".join(out.tolist())


def _objective_section(problem: MatrixProblem, col_names: np.ndarray, objective_name: str) -> str:
    cost = problem.objective
    nz = np.flatnonzero(cost != 0.0)
    head = f" {objective_name}:"
    if nz.size:
        terms = _terms(np.array([0, nz.size]), nz, cost[nz], col_names, np.array([len(head)]))
        body = "".join(terms.tolist())
    elif problem.n_cols:
        body = f" 0 {col_names[0]}"
    else:
        body = " 0"
    if problem.objective_offset != 0.0:
        off = problem.objective_offset
        body += f" {'-' if off < 0 else '+'} {_fmt(np.array([abs(off)]))[0]}"
    return head + body + "\n"


def _constraints_section(problem: MatrixProblem, col_names: np.ndarray,
                         row_names: np.ndarray) -> tuple[str, int, int]:
    lo, up = problem.row_lower, problem.row_upper
    if np.any(lo == np.inf) or np.any(up == -np.inf):
        raise ValueError("a row has lower bound +inf or upper bound -inf")
    if problem.n_cols == 0:  # rows without columns constrain nothing the file can state
        return "", 0, problem.n_rows
    lo_fin, up_fin = np.isfinite(lo), np.isfinite(up)
    equal = lo_fin & up_fin & (lo == up)
    ranged = lo_fin & up_fin & ~equal
    keep = lo_fin | up_fin
    # one written row per kept row, two per ranged row (>= lo, then <= up)
    src = np.repeat(np.arange(problem.n_rows), np.where(ranged, 2, keep.astype(int)))
    second = np.zeros(src.size, dtype=bool)
    if src.size:
        second[1:] = src[1:] == src[:-1]
    is_ranged = ranged[src]
    first_of_range = is_ranged & ~second
    names = row_names[src] if src.size else np.zeros(0, dtype="<U1")
    names = np.where(first_of_range, np.char.add(names, "_lo"), names)
    names = np.where(second, np.char.add(names, "_up"), names)
    use_lower = (lo_fin[src] & ~up_fin[src]) | first_of_range
    sense = np.where(equal[src], " = ", np.where(use_lower, " >= ", " <= "))
    rhs = np.where(use_lower | equal[src], lo[src], up[src])
    a = sp.csr_matrix(problem.matrix)
    a.eliminate_zeros()
    a.sort_indices()
    sub = a[src] if src.size else sp.csr_matrix((0, problem.n_cols))
    counts = np.diff(sub.indptr)
    empty_term = f" 0 {col_names[0]}" if problem.n_cols else ""
    heads = _join(" ", names, ":") if src.size else np.zeros(0, dtype="<U1")
    tails = _join(np.where(counts == 0, empty_term, ""), sense, _fmt(rhs), "\n") if src.size else heads
    width = np.char.str_len(heads).astype(np.int64) if src.size else np.zeros(0, np.int64)
    terms = _terms(sub.indptr, sub.indices, sub.data, col_names, width)
    text = _interleave(heads, terms, tails, sub.indptr) if src.size else ""
    return text, int(ranged.sum()), int((~keep).sum())


def _bounds_section(problem: MatrixProblem, col_names: np.ndarray) -> list[str]:
    lo, up, integ = problem.col_lower, problem.col_upper, problem.integrality
    if np.any(lo == np.inf) or np.any(up == -np.inf):
        raise ValueError("a column has lower bound +inf or upper bound -inf")
    lo_fin, up_fin = np.isfinite(lo), np.isfinite(up)
    a = sp.csc_matrix(problem.matrix)
    a.eliminate_zeros()
    unseen = (np.diff(a.indptr) == 0) & (problem.objective == 0.0)
    fixed = lo_fin & up_fin & (lo == up)
    parts = [  # (columns, their bound lines)
        (fixed, lambda s: _join(" ", col_names[s], " = ", _fmt(lo[s]))),
        (~lo_fin & ~up_fin, lambda s: _join(" ", col_names[s], " free")),
        (~lo_fin & up_fin, lambda s: _join(" -inf <= ", col_names[s], " <= ", _fmt(up[s]))),
        (lo_fin & up_fin & ~fixed, lambda s: _join(" ", _fmt(lo[s]), " <= ", col_names[s], " <= ", _fmt(up[s]))),
        # lower bound alone: written when not the default 0, and to declare unseen or integer columns
        (lo_fin & ~up_fin & ((lo != 0.0) | unseen | integ), lambda s: _join(" ", col_names[s], " >= ", _fmt(lo[s]))),
    ]
    cols, text = [], []
    for mask, line in parts:
        idx = np.flatnonzero(mask)
        if idx.size:
            cols.append(idx)
            text.append(line(idx))
    if not cols:
        return []
    order = np.argsort(np.concatenate(cols), kind="stable")
    return np.concatenate(text)[order].tolist()


def lp_string(problem: MatrixProblem, *, names: str = "auto") -> tuple[str, LpLayout]:
    """CPLEX-LP text of ``problem``.

    Parameters
    ----------
    problem
        The problem to write.
    names
        ``"auto"`` uses the problem's column/row names when every one is a valid LP name
        (see :func:`lp_name_ok`) and unique, else ``C0, C1, ...`` / ``R0, R1, ...``;
        ``"generic"`` always uses the generated names.

    Returns
    -------
    text : str
        The file's content.
    layout : LpLayout
        Names used, and how rows were written.
    """
    if names not in ("auto", "generic"):
        raise ValueError(f"names must be 'auto' or 'generic', not {names!r}")
    n, m = problem.n_cols, problem.n_rows
    use_cols = names == "auto" and _usable(problem.col_names, n)
    use_rows = names == "auto" and _usable(problem.row_names, m)
    if names == "auto" and problem.col_names is not None and not use_cols:
        logger.debug("column names are not valid LP names; writing C0, C1, ...")
    col_names = np.asarray(problem.col_names, dtype=str) if use_cols else np.char.add("C", np.arange(n).astype(str))
    row_names = np.asarray(problem.row_names, dtype=str) if use_rows else np.char.add("R", np.arange(m).astype(str))
    if n == 0:
        col_names = np.zeros(0, dtype="<U1")
    if m == 0:
        row_names = np.zeros(0, dtype="<U1")
    taken = set(col_names.tolist()) | set(row_names.tolist())
    objective_name, k = "obj", 0
    while objective_name in taken:
        k += 1
        objective_name = f"obj_{k}"
    title = re.sub(r"[^\x20-\x7e]+", "_", problem.name) or "problem"
    out = [f"\\ lifecircle MatrixProblem '{title}': {m} rows, {n} columns, {problem.matrix.nnz} nonzeros\n",
           "Maximize\n" if problem.sense is Sense.MAXIMIZE else "Minimize\n",
           _objective_section(problem, col_names, objective_name), "Subject To\n"]
    rows_text, split, dropped = _constraints_section(problem, col_names, row_names)
    out.append(rows_text)
    bounds = _bounds_section(problem, col_names)
    if bounds:
        out.append("Bounds\n")
        out.append("\n".join(bounds) + "\n")
    ints = col_names[problem.integrality]
    if ints.size:
        out.append("Generals\n")
        per_line = 8
        pad = (-ints.size) % per_line
        grid = np.concatenate([ints, np.full(pad, "", dtype=ints.dtype)]).reshape(-1, per_line)
        lines = [" " + " ".join(filter(None, r)) for r in grid.tolist()]
        out.append("\n".join(lines) + "\n")
    out.append("End\n")
    layout = LpLayout(col_names=tuple(col_names.tolist()), row_names=tuple(row_names.tolist()),
                      objective_name=objective_name, split_rows=split, dropped_rows=dropped)
    return "".join(out), layout


def write_lp(problem: MatrixProblem, target: str | os.PathLike | TextIO, *, names: str = "auto") -> LpLayout:
    """Write ``problem`` as a CPLEX-LP file (a path, or an open text file); see :func:`lp_string`."""
    text, layout = lp_string(problem, names=names)
    if isinstance(target, io.TextIOBase) or hasattr(target, "write"):
        target.write(text)
    else:
        with open(target, "w", encoding="ascii", newline="\n") as fh:
            fh.write(text)
    logger.debug("wrote LP of %r (%d rows, %d cols)", problem.name, problem.n_rows, problem.n_cols)
    return layout
