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

Plain maximal covering with many demand rows per candidate site is the regime of Benders
decomposition (Cordeau, Furini and Ljubić 2019): the master holds the sites only. Measured
with ``solve_coverage_problem`` end to end (2026-12-05, 2 cores, load 2.4-4.5; customers
uniform in a 30 x 30 square, weights 1-100, p = 10 % of the sites; seconds to the proof,
else the gap at 120 s; see docs/solvers.md):

  ========================================  ======  =========  ==========  ==========
  instance (merged rows per site)           rows    benders    highs       cbc
  ========================================  ======  =========  ==========  ==========
  10,000 x 100, radius 5.5 (16.6)           1,661   2.6-2.7    14.5        6.5
  100,000 x 100, radius 5.5 (22.3)          2,233   2.5-3.4    9.5-10.4    4.8
  100,000 x 100, radius 6.25 (25.9)         2,587   2.0-4.2    10.0-13.0   11.9-20.7
  100,000 x 200, radius 4 (24.6)            4,923   1.4 %      1.6 %       1.4 %
  100,000 x 400, radius 3 (25.5)            10,194  2.95 %     2.99 %      2.99 %
  cover 10,000 x 1,000 above (6.5)          6,508   66-100     0.04 %      45.8
  ========================================  ======  =========  ==========  ==========

Capacitated mode, where ``benders`` (on the assignments) is the other exact choice (2026-12-06, 2 cores;
benchmarks/capacitated.md): the two-function what-if is proven by ``highs`` in 12.7 s and by
``benders`` in 26.9 s (the same 27.8118, both at once, load 1.8-2.4); the four-function demo at
120 s ends with the same plan from both, ``benders`` with the tighter bound (1.57 % against 2.59 %),
and at 1,200 s ``highs`` finds the better plan (98.17 against 97.60). The plan is what gets built,
so capacitated models stay with ``highs``.

Rule: planning models -> ``highs`` (first or level at every size, and the only one with a
good plan at 4x the demo); plain maximal covering with at least
``BENDERS_ROWS_PER_SITE`` merged demand rows per candidate site -> ``benders``; other plain
coverage problems with more than 5,000 merged demand rows -> ``cbc`` when installed
(fastest proof at 10,000 x 1,000, best bound at 20,000 x 2,000), else ``scip``, else
``highs``; smaller ones -> ``highs`` (all take under a second).

Checked again on the clustered and BDS families of ``benchmarks/coverage_families.py``
(issue 18; benchmarks/coverage_families.md; HiGHS and CBC only, before ``benders`` joined):
below 5,000 rows HiGHS first or level at 120 s; above it HiGHS and CBC level at 10,000 x
1,000 (CBC with half the memory) and CBC's bound far closer at 20,000 x 2,000 (gap 2.3 %
against 9.9 %).
"""
from __future__ import annotations

import solvers
from optimizer.scenario import AUTO, Scenario
from solvers.result import SolverOptions

#: Plain coverage problems larger than this (merged demand rows) go to CBC or SCIP.
PLAIN_COVERAGE_LARGE_ROWS = 5_000

#: Plain maximal covering with at least this many merged demand rows per candidate site goes
#: to ``benders`` (it won at 16.6 and more rows per site, and lost to CBC at 6.5).
BENDERS_ROWS_PER_SITE = 15.0


def resolve_solver(name: str, kind: str, n_rows: int, n_sites: int | None = None) -> str:
    """The backend that solves: ``name`` itself, or what ``auto`` stands for here.

    Parameters
    ----------
    name
        The scenario's ``solver.name`` (a registry name or ``auto``).
    kind, n_rows, n_sites
        What is solved, for ``auto`` (see :func:`choose_solver`).

    Returns
    -------
    str
        A registry name.
    """
    return choose_solver(kind, n_rows, n_sites) if name == AUTO else name


def choose_solver(kind: str, n_rows: int, n_sites: int | None = None) -> str:
    """The backend ``auto`` stands for.

    Parameters
    ----------
    kind
        ``planning`` (the engine's model), ``plain_coverage`` (``lifecircle cover --set-cover``)
        or ``plain_max_covering`` (``lifecircle cover --p/--budget``).
    n_rows
        Rows of the built model (plain coverage: about its merged demand rows).
    n_sites
        Candidate sites (plain maximal covering), for the rows per site.
    """
    available = solvers.available_solvers()
    if kind == "plain_max_covering" and n_sites and n_rows >= BENDERS_ROWS_PER_SITE * n_sites \
            and "benders" in available:
        return "benders"
    if kind in ("plain_coverage", "plain_max_covering") and n_rows > PLAIN_COVERAGE_LARGE_ROWS:
        for name in ("cbc", "scip"):
            if name in available:
                return name
    return "highs"


def solver_options(scenario: Scenario) -> SolverOptions:
    """The scenario's solver settings as backend options."""
    s = scenario.solver
    return SolverOptions(time_limit_s=s.time_limit_s, relative_gap=s.relative_gap, threads=s.threads,
                         seed=s.seed, log=s.log)
