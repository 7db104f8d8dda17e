"""Which backend solves, and with what settings: the scenario's solver options, and
``solver: auto`` from what the benchmarks measured on this kind of machine.

Measured (2 cores, HiGHS 1.16, OR-Tools 9.15, CBC 2.10; README "Solvers" and
"Performance"):

- planning models (the Yuzhong demo, coverage mode, 8,391 variables): HiGHS proves the
  optimum in 3-6 s, SCIP in 44-65 s, CP-SAT in about 60 s (not always within 120 s),
  CBC in about 47 s. Capacitated mode: only HiGHS and SCIP take it (CP-SAT refuses
  continuous areas); HiGHS proves the 30 M what-if in 28 s.
- plain maximal covering (random instances in a 10 km square, radius 600 m, p = 5 % of
  sites), seconds to a proven optimum, end to end:

  ============  =====  =====  =====  =====
  demand x site highs  cbc    scip   cpsat
  ============  =====  =====  =====  =====
  1,000 x 100   0.43   0.40   0.42   0.45
  4,000 x 400   0.56   0.47   0.93   0.99
  10,000 x 1,000 237   53     60-82  197
  ============  =====  =====  =====  =====

Rule: planning models -> ``highs``; plain coverage problems with more than 5,000 merged
demand rows -> ``cbc`` when installed, else ``scip``, else ``highs``. Provisional: the
table behind it is small (issue 5 asks for a fuller one).
"""
from __future__ import annotations

import solvers
from optimizer.scenario import Scenario
from solvers.result import SolverOptions

#: Plain coverage problems larger than this (merged demand rows) go to CBC or SCIP.
PLAIN_COVERAGE_LARGE_ROWS = 5_000


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
