"""Reading outside solvers' solution files (:mod:`solvers.solution_files`): names, values, the claimed objective."""
from __future__ import annotations

import subprocess
import sys

import pytest

from solvers.solution_files import SolutionFileError, read_solution


def test_a_cbc_solution_gives_each_named_value_its_line_and_the_claimed_objective(tmp_path):
    f = tmp_path / "plan.sol"
    f.write_text("Optimal - objective value 42.5\n      0 x_S1_canteen 1 0\n      3 o_S1 1 -2\n")
    sol = read_solution(f)
    assert sol.style == "CBC solution file" and sol.status == "Optimal"
    assert sol.objective == 42.5 and sol.objective_line == 1
    assert sol.entries == [("x_S1_canteen", 1.0, 2), ("o_S1", 1.0, 3)]


def test_a_value_that_is_not_a_number_is_kept_as_a_problem_of_its_line(tmp_path):
    f = tmp_path / "plan.txt"
    f.write_text("x_S1_canteen one\no_S1 1\n")
    sol = read_solution(f)
    assert [(p.row, p.message) for p in sol.problems] == [("line 1", "value of 'x_S1_canteen': 'one' is not a number")]
    assert sol.entries == [("o_S1", 1.0, 2)]


def test_a_missing_file_is_refused_naming_the_file(tmp_path):
    with pytest.raises(SolutionFileError) as info:
        read_solution(tmp_path / "nowhere.sol")
    assert [p.message for p in info.value.problems] == ["no such file"]
    assert "nowhere.sol" in str(info.value)


def test_a_csv_table_other_than_name_value_needs_a_caller_that_reads_it(tmp_path):
    f = tmp_path / "plan.csv"
    f.write_text("site_id,function\nS1,canteen\n")
    with pytest.raises(SolutionFileError, match="needs the columns name,value"):
        read_solution(f)


def test_the_solution_reader_knows_no_planning():
    code = "import sys, solvers.solution_files; sys.exit(any(m.startswith('optimizer') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
