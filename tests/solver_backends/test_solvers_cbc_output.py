"""Parsing CBC's solution file and log (texts as CBC 2.10 writes them)."""
from __future__ import annotations

import pytest

from solvers.cbc import parse_log_bound, parse_solution

STOPPED = """Stopped on time - objective value 3.00000000
      0 R0                   784                       1
      1 R1                   701                       1
      0 C0                     1                       0
      1 C1                     0                       0
**    2 C2                     1                       0
"""

NO_INTEGER = """Stopped on time (no integer solution - continuous used) - objective value 145.54500173
      0 R0                  1008             -0.06532739
      0 C0               0.53                       0
      1 C1               0.25                       0
"""


def test_stopped_with_incumbent_gives_values_by_column_name():
    sol = parse_solution(STOPPED, 3)
    assert sol.state == "stopped" and sol.has_incumbent
    assert sol.objective == 3.0
    assert list(sol.values) == [1.0, 0.0, 1.0]  # row lines skipped, "**" tolerated


def test_relaxation_printed_without_incumbent_is_not_a_plan():
    sol = parse_solution(NO_INTEGER, 2)
    assert sol.state == "stopped" and not sol.has_incumbent and sol.values is None


@pytest.mark.parametrize("line, state", [
    ("Optimal - objective value -15.00000000", "optimal"),
    ("Infeasible - objective value 3.00000000", "infeasible"),
    ("Integer infeasible - objective value 1.50000000", "integer_infeasible"),
    ("Unbounded - objective value -0.50000000", "unbounded"),
    ("Stopped on iterations - objective value 3.00000000", "stopped"),
    ("Stopped on ctrl-c - objective value 3.00000000", "stopped"),
    ("Status unknown - objective value 0", "unknown"),
])
def test_status_lines_are_recognised(line, state):
    assert parse_solution(line + "\n", 0).state == state


def test_log_bound_is_widened_by_half_a_printed_unit():
    log = ("Cbc0010I After 1000 nodes, 7 on tree, 3 best solution, best possible 0 (0.76 seconds)\n"
           "Result - Stopped on time limit\n\nObjective value:                3.00000000\n"
           "Lower bound:                    148.992\nGap:                            0.56\n")
    assert parse_log_bound(log) == pytest.approx(148.9915)
    assert parse_log_bound("... best possible 12.5 (0.1 seconds)\n") == pytest.approx(12.45)
    assert parse_log_bound("... best possible 1.23457e+06 (0.1 seconds)\n") == pytest.approx(1234565.0)
    assert parse_log_bound("Result - Optimal solution found\n") is None
