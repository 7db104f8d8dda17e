"""Which backend solves, and with what settings: the scenario's solver options, and
``solver: auto`` from what the benchmarks measured on this kind of machine.

Measured with ``benchmarks/solver_table.py`` (2 cores, HiGHS 1.16, OR-Tools 9.15, CBC 2.10;
120 s per solver and instance, relative gap 0; the machine was shared, load average 1-16,
so read the ranks rather than the seconds). Seconds to a proven optimum, else the gap
left at 120 s; plain maximal covering: random points in a 10 km square, radius 600 m,
p = 5 % of sites, each solver starting from the greedy plan (``plain_coverage.greedy_cover``):

  =====================  ===========  ===========  ===========  ===========
  instance               highs        cbc          scip         cpsat
  =====================  ===========  ===========  ===========  ===========
  cover 1,000 x 100      0.4          0.4          0.4          0.5
  cover 4,000 x 400      0.6          0.5          0.9          0.9
  cover 10,000 x 1,000   gap 0.04 %   45.8         54.1         gap 0.04 %
  cover 20,000 x 2,000   gap 5.2 %    gap 3.9 %    gap 5.2 %    gap 5.1 %
  plan demo              21.7         81.0         64.6         46.8
  plan demo x2           gap 0.13 %   gap 0.39 %   gap 0.49 %   gap 2.6 %
  plan demo x4           gap 6.4 %    no plan      trivial      gap 11.8 %
  plan capacitated       29.7         36.4         97.0         refused
  =====================  ===========  ===========  ===========  ===========

(20,000 x 2,000: every solver kept the greedy's 4,794,164 and none improved it; the gap
is the bound's. Without the greedy start, CBC had no plan there and SCIP a trivial one.)

Rule: planning models -> ``highs`` (first or level at every size, and the only one with a
good plan at 4x the demo); plain coverage problems with more than 5,000 merged demand
rows -> ``cbc`` when installed (fastest proof at 10,000 x 1,000, best bound at 20,000 x
2,000), else ``scip``, else ``highs``; smaller ones -> ``highs`` (all take under a second).

Checked again on the clustered and BDS families of ``benchmarks/coverage_families.py``
(issue 18; benchmarks/coverage_families.md): below 5,000 rows HiGHS first or level at
120 s; above it HiGHS and CBC level at 10,000 x 1,000 (CBC with half the memory) and CBC's
bound far closer at 20,000 x 2,000 (gap 2.3 % against 9.9 %), so the rule stands.
"""
from __future__ import annotations

import solvers
from optimizer.scenario import AUTO, Scenario
from solvers.result import SolverOptions

#: Plain coverage problems larger than this (merged demand rows) go to CBC or SCIP.
PLAIN_COVERAGE_LARGE_ROWS = 5_000


def resolve_solver(name: str, kind: str, n_rows: int) -> str:
    """The backend that solves: ``name`` itself, or what ``auto`` stands for here.

    Parameters
    ----------
    name
        The scenario's ``solver.name`` (a registry name or ``auto``).
    kind, n_rows
        What is solved, for ``auto`` (see :func:`choose_solver`).

    Returns
    -------
    str
        A registry name.
    """
    return choose_solver(kind, n_rows) if name == AUTO else name


def choose_solver(kind: str, n_rows: int) -> str:
    """The backend ``auto`` stands for.

    Parameters
    ----------
    kind
        ``planning`` (the engine's model) or ``plain_coverage`` (``lifecircle cover``).
    n_rows
        Rows of the built model.
    """
    available = solvers.available_solvers()
    if kind == "plain_coverage" and n_rows > PLAIN_COVERAGE_LARGE_ROWS:
        for name in ("cbc", "scip"):
            if name in available:
                return name
    return "highs"


def solver_options(scenario: Scenario) -> SolverOptions:
    """The scenario's solver settings as backend options."""
    s = scenario.solver
    return SolverOptions(time_limit_s=s.time_limit_s, relative_gap=s.relative_gap, threads=s.threads,
                         seed=s.seed, log=s.log)
