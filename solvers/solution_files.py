"""Reading outside solvers' solution files: names and values, and the objective they claim.

Beside :mod:`solvers.mps` and :mod:`solvers.lp` (which write the model for an outside
solver), this reads what such a solver writes back. It knows column names and numbers,
not planning: mapping the names onto a model and checking the plan is the caller's
(:mod:`optimizer.studies.external`).

Accepted files
--------------
* A solver's solution text (any suffix but ``.csv``):

  - HiGHS (raw style): ``Model status`` ... ``# Primal solution values`` ...
    ``Objective V`` ... ``# Columns N`` and ``N`` lines ``name value``;
  - Gurobi and the like: ``name value`` lines, ``#`` comment lines (``# Objective value = V``);
  - CBC: a first line ``Optimal - objective value V``, then ``index name value reduced-cost``;
  - SCIP: ``solution status: ...``, ``objective value: V``, then ``name value (obj:c)``;
  - CPLEX: the XML solution file (``<header objectiveValue=...>``, ``<variable name= value=>``).
* A CSV with columns ``name,value`` (a row named ``objective`` states the claimed objective);
  other CSV tables go to the caller's ``read_table``.

A file that cannot be read raises :class:`SolutionFileError`, each problem naming the file,
the line and what is wrong (a value that is not a number, a line that is not ``name value``).
"""
from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "FileProblem",
    "LineProblems",
    "OBJECTIVE_NAMES",
    "SolutionFile",
    "SolutionFileError",
    "TableReader",
    "claim_objective",
    "keep_line_problems",
    "line_order",
    "number",
    "read_solution",
]

NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?|nan)"
#: Names under which a file states the objective it claims.
OBJECTIVE_NAMES = {"objective", "obj", "objective_value", "objval", "objective value"}


@dataclass
class SolutionFile:
    """What a solution file says, before it meets the model.

    Attributes
    ----------
    path
        The file.
    kind
        ``values`` (column values) or ``plan`` (site, function, area).
    style
        The format recognised, in words.
    entries
        ``(name, value, line)`` of every column value given (``values``).
    plan_rows
        ``(site_id, function, area_m2 or None, line)`` (``plan``), filled by the caller's
        table reader (see :func:`read_solution`).
    objective, objective_line
        The objective the file claims, and where; ``None`` when it states none.
    status
        The solver's status line, when the file has one.
    problems
        What is wrong with single lines, reported together with what the caller finds
        when the values meet its model.
    """

    path: Path
    kind: str
    style: str
    entries: list[tuple[str, float, int]] = field(default_factory=list)
    plan_rows: list[tuple[str, str, float | None, int]] = field(default_factory=list)
    objective: float | None = None
    objective_line: int | None = None
    status: str | None = None
    problems: list[FileProblem] = field(default_factory=list)


#: Reads a CSV table other than ``name,value``: ``(path, table, line of each row, problems)``
#: to a :class:`SolutionFile`, or ``None`` after noting why it cannot.
TableReader = Callable[[Path, "pd.DataFrame", dict[int, int], "LineProblems"], "SolutionFile | None"]


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with a solution file: the file, the line (``"line 12"``) and what.

    Attributes
    ----------
    file
        The file's path.
    message
        What is wrong, in plain words.
    row
        ``"line N"``, or ``None`` for the file as a whole.
    column
        The CSV column concerned, if any.
    """

    file: str
    message: str
    row: str | None = None
    column: str | None = None


class SolutionFileError(ValueError):
    """A solution file that cannot be read; :attr:`problems` lists every problem found, by line."""

    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.file}, {p.row}: {p.message}" if p.row else f"{p.file}: {p.message}"
                                   for p in self.problems))


class LineProblems:
    """The problems found in one file, raised together (file-level first, then by line).

    Parameters
    ----------
    path
        The file.
    """

    def __init__(self, path: Path) -> None:
        self.file = str(path)
        self.items: list[FileProblem] = []

    def add(self, message: str, line: int | None = None, column: str | None = None) -> None:
        """Note a problem, at ``line`` (1-based) when it concerns one line."""
        self.items.append(FileProblem(self.file, message, row=f"line {line}" if line else None, column=column))

    def raise_if_any(self) -> None:
        """Raise :class:`SolutionFileError` when any problem was noted."""
        if self.items:
            raise SolutionFileError(sorted(self.items, key=line_order))


def line_order(problem: FileProblem) -> tuple[int, int]:
    """Sort key: file-level problems first, then by line."""
    m = re.match(r"line (\d+)$", problem.row or "")
    return (1, int(m.group(1))) if m else (0, 0)


def number(text: str, what: str, line: int, problems: LineProblems) -> float | None:
    """``text`` as a finite number, else ``None`` with a problem noted at ``line``."""
    try:
        value = float(text)
    except ValueError:
        problems.add(f"{what}: {text!r} is not a number", line)
        return None
    if not math.isfinite(value):
        problems.add(f"{what}: {text!r} is not a finite number", line)
        return None
    return value


def read_solution(path: str | Path, *, read_table: TableReader | None = None) -> SolutionFile:
    """Read a solution file (see the module docstring).

    Parameters
    ----------
    path
        The file: a solver's solution text (any suffix but ``.csv``) or a CSV.
    read_table
        For a CSV without the columns ``name,value``: reads other tables (a caller's plan
        list), or notes the problem and returns ``None``. Without one, such a CSV is refused.

    Returns
    -------
    SolutionFile
        What the file says; problems of single lines are kept in ``problems``.

    Raises
    ------
    SolutionFileError
        When the file as a whole cannot be read (missing, not text, empty, unknown layout).
    """
    path = Path(path)
    problems = LineProblems(path)
    if not path.is_file():
        problems.add("no such file")
        problems.raise_if_any()
    if path.suffix.lower() == ".csv":
        return _read_csv(path, problems, read_table)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(f"not a UTF-8 text file ({exc.reason} at byte {exc.start})")
        problems.raise_if_any()
    lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if not first:
        problems.add("the file is empty")
        problems.raise_if_any()
    if first.startswith("<"):
        sol = _read_cplex_xml(path, lines, problems)
    elif first == "Model status":
        sol = _read_highs(path, lines, problems)
    elif first == "Columns":
        problems.add("a HiGHS 'pretty' solution (style 1) is not read: write the raw style "
                     "(Highs.writeSolution(file, 0), or the option write_solution_style=0)", 1)
        sol = None
    else:
        sol = _read_name_value_lines(path, lines, problems)
    return keep_line_problems(sol, problems)


def keep_line_problems(sol: SolutionFile | None, problems: LineProblems) -> SolutionFile:
    """Raise now when the file as a whole is unreadable; else keep the problems of single lines, to be
    reported together with those found when the solution meets the model."""
    if sol is None or any(p.row is None for p in problems.items):
        problems.raise_if_any()
    assert sol is not None
    sol.problems = list(problems.items)
    return sol


def claim_objective(sol: SolutionFile, text: str, line: int, problems: LineProblems) -> None:
    """Record the objective the file claims at ``line``, when it is a number."""
    value = number(text, "objective", line, problems)
    if value is not None:
        sol.objective, sol.objective_line = value, line


def _read_highs(path: Path, lines: list[str], problems: LineProblems) -> SolutionFile:
    """HiGHS raw solution file: the primal section's objective and columns."""
    sol = SolutionFile(path, "values", "HiGHS solution file")
    i = 0
    n = len(lines)
    if n > 1:
        sol.status = lines[1].strip()
    while i < n and lines[i].strip() != "# Primal solution values":
        i += 1
    if i == n:
        problems.add("a HiGHS solution file without '# Primal solution values'")
        return sol
    i += 1
    while i < n and not lines[i].strip():
        i += 1
    if i < n and lines[i].strip() == "None":
        problems.add(f"the HiGHS solution file holds no solution (model status {sol.status})", i + 1)
        return sol
    while i < n and not lines[i].startswith("# Columns"):
        tokens = lines[i].split()
        if len(tokens) == 2 and tokens[0] == "Objective":
            claim_objective(sol, tokens[1], i + 1, problems)
        i += 1
    if i == n:
        problems.add("a HiGHS solution file without '# Columns N' in its primal section")
        return sol
    count_text = lines[i].split()[-1]
    count = int(count_text) if count_text.isdigit() else None
    if count is None:
        problems.add(f"'{lines[i].strip()}': the number of columns is not a whole number", i + 1)
        return sol
    for k in range(i + 1, min(i + 1 + count, n)):
        _name_value(sol, lines[k].split(), k + 1, problems, lines[k])
    if i + 1 + count > n:
        problems.add(f"the file ends after {n - i - 1} of the {count} columns it announces", n)
    return sol


def _name_value(sol: SolutionFile, tokens: list[str], line: int, problems: LineProblems, raw: str) -> None:
    if len(tokens) != 2:
        problems.add(f"cannot read {raw.strip()[:80]!r}: expected 'name value'", line)
        return
    value = number(tokens[1], f"value of {tokens[0]!r}", line, problems)
    if value is not None:
        sol.entries.append((tokens[0], value, line))


def _read_name_value_lines(path: Path, lines: list[str], problems: LineProblems) -> SolutionFile:
    """``name value`` lines with ``#`` comments (Gurobi), CBC's and SCIP's solution files."""
    sol = SolutionFile(path, "values", "solution file (name value)")
    comment_objective = re.compile(r"objective(?:\s+value)?\s*[:=]?\s*" + NUMBER, re.IGNORECASE)
    cbc_header = re.compile(r"^(.*?)\s*-\s*objective value\s+" + NUMBER + r"\s*$", re.IGNORECASE)
    scip_objective = re.compile(r"^objective value\s*:\s*" + NUMBER + r"\s*$", re.IGNORECASE)
    for k, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("#"):
            m = comment_objective.search(text)
            if m:
                claim_objective(sol, m.group(1), k, problems)
                sol.style = "solution file (name value, # comments)"
            continue
        m = cbc_header.match(text)
        if m:
            sol.status, sol.style = m.group(1).strip(), "CBC solution file"
            claim_objective(sol, m.group(2), k, problems)
            continue
        m = scip_objective.match(text)
        if m:
            sol.style = "SCIP solution file"
            claim_objective(sol, m.group(1), k, problems)
            continue
        if text.lower().startswith("solution status:"):
            sol.status, sol.style = text.split(":", 1)[1].strip(), "SCIP solution file"
            continue
        tokens = text.split()
        if tokens[0] == "**":  # CBC marks values that break a bound or row
            tokens = tokens[1:]
        if len(tokens) == 2 and tokens[0].lower() in OBJECTIVE_NAMES:
            claim_objective(sol, tokens[1], k, problems)
        elif len(tokens) in (3, 4) and tokens[0].isdigit():  # CBC: index name value [reduced cost]
            _name_value(sol, tokens[1:3], k, problems, raw)
        elif len(tokens) == 3 and tokens[2].startswith("(obj:"):  # SCIP
            _name_value(sol, tokens[:2], k, problems, raw)
        else:
            _name_value(sol, tokens, k, problems, raw)
    return sol


def _read_cplex_xml(path: Path, lines: list[str], problems: LineProblems) -> SolutionFile:
    """CPLEX's XML solution file: ``<variable name=... value=...>`` and the header's objective."""
    sol = SolutionFile(path, "values", "CPLEX solution file (XML)")
    attr = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
    variable = re.compile(r"<variable\s")
    in_header = False
    for k, raw in enumerate(lines, start=1):
        if "<header" in raw:
            in_header = True
        if in_header:  # the header's attributes may span lines
            found = dict(attr.findall(raw))
            if "objectiveValue" in found:
                claim_objective(sol, found["objectiveValue"], k, problems)
            sol.status = found.get("solutionStatusString", sol.status)
            in_header = ">" not in raw
            continue
        if variable.search(raw):
            found = {a: html.unescape(v) for a, v in attr.findall(raw)}
            if "name" not in found or "value" not in found:
                problems.add("a <variable> without name and value on this line", k)
                continue
            value = number(found["value"], f"value of {found['name']!r}", k, problems)
            if value is not None:
                sol.entries.append((found["name"], value, k))
    if not sol.entries and not problems.items:
        problems.add("no <variable name=... value=...> element found")
    return sol


def _read_csv(path: Path, problems: LineProblems, read_table: TableReader | None) -> SolutionFile:
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        problems.add(f"not a readable CSV: {exc}".strip())
        problems.raise_if_any()
    df.columns = [str(c).strip().lower() for c in df.columns]
    line_of = {i: i + 2 for i in range(len(df))}  # header is line 1
    if {"name", "value"} <= set(df.columns):
        values = SolutionFile(path, "values", "CSV name,value")
        for i, (name, text) in enumerate(zip(df["name"].str.strip(), df["value"].str.strip(), strict=True)):
            if not name:
                problems.add("blank name", line_of[i], "name")
                continue
            if name.lower() in OBJECTIVE_NAMES:
                claim_objective(values, text, line_of[i], problems)
                continue
            value = number(text, f"value of {name!r}", line_of[i], problems)
            if value is not None:
                values.entries.append((name, value, line_of[i]))
        sol: SolutionFile | None = values
    elif read_table is not None:
        sol = read_table(path, df, line_of, problems)
    else:
        problems.add("a CSV solution needs the columns name,value (a solver's values); found: "
                     f"{', '.join(df.columns) or 'none'}")
        sol = None
    return keep_line_problems(sol, problems)
