"""Errors a planner can act on. Each carries everything needed for a clear message."""
from __future__ import annotations

from dataclasses import dataclass


class LifecircleError(ValueError):
    """Base class of every error lifecircle raises on purpose.

    A ``ValueError``: each says that a value given to lifecircle (an input file, a scenario
    key, a solver's answer) cannot be planned with, and why. Code that catches ``ValueError``
    around a call that may raise one must let it through (``except LifecircleError: raise``)
    so that it reaches the command line with its own exit code.
    """

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong.

    Attributes
    ----------
    file
        The file (as the scenario names it, or its path).
    message
        What is wrong, in plain words.
    layer
        Layer or sheet name, when the file has several.
    row
        Row or feature: its id when it has one (``"unit_id=U00017"``), else its
        1-based row number (``"row 17"``).
    column
        The column concerned.
    """

    file: str
    message: str
    layer: str | None = None
    row: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.layer:
            where += f" [layer {self.layer}]"
        if self.row:
            where += f", {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class InputError(LifecircleError):
    """Input files that cannot be planned with; lists every problem found at once."""

    exit_code = 3

    def __init__(self, problems: list[Problem], limit: int = 200):
        self.problems = list(problems)
        shown = self.problems[:limit]
        lines = [f"{len(self.problems)} problem(s) in the inputs:"]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        super().__init__("\n".join(lines))


class ScenarioError(LifecircleError):
    """A scenario file that cannot be understood; lists every problem with its key path."""

    exit_code = 3

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = list(problems)
        self.source = source
        lines = [f"{len(self.problems)} problem(s) in {source}:"] + [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class OutputError(LifecircleError):
    """An output folder that cannot be written (a file in the way, read-only, disk full); names the path."""

    exit_code = 3

    def __init__(self, path: str, reason: str, option: str | None = None):
        self.path = str(path)
        self.option = option
        self.reason = reason
        super().__init__(f"{option + ' ' if option else ''}{self.path}: {reason}")


@dataclass
class Shortfall:
    """One reason a scenario has no plan: which rule, where, and by how much."""

    rule: str
    scope: str
    detail: str
    amount: float | None = None

    def __str__(self) -> str:
        return f"rule '{self.rule}' in {self.scope}: {self.detail}"


class InfeasibleScenario(LifecircleError):
    """No plan satisfies every rule; says which rules and which circles make it so."""

    exit_code = 4

    def __init__(self, shortfalls: list[Shortfall]):
        self.shortfalls = list(shortfalls)
        lines = ["The scenario has no feasible plan:"] + [f"  - {s}" for s in self.shortfalls]
        super().__init__("\n".join(lines))


class SolverFailure(LifecircleError):
    """The solver failed or stopped without any plan."""

    exit_code = 5


class CheckFailed(LifecircleError):
    """The plan recomputed from its chosen sites disagrees with the model or breaks a rule."""

    exit_code = 6

    def __init__(self, failures: list[str]):
        self.failures = list(failures)
        super().__init__("The plan failed its independent check:\n" + "\n".join(f"  - {f}" for f in failures))



class ClusterUnavailable(LifecircleError):
    """The requested executor cannot be had: Dask not installed, or the scheduler not reachable."""

    exit_code = 2


class SplitRefused(LifecircleError):
    """A decomposition asked for would change the plan's rules, not only bound it (names the rule)."""

    exit_code = 2
