"""``solver: auto`` follows the measured rule: HiGHS for planning models, CBC or SCIP for large plain covering."""
from __future__ import annotations

import pytest
from tiny import make_scenario, random_instance

import solvers
from optimizer.pipeline import run_scenario
from optimizer.solver_choice import BENDERS_ROWS_PER_SITE, PLAIN_COVERAGE_LARGE_ROWS, choose_solver


def test_planning_models_go_to_highs_whatever_their_size():
    assert choose_solver("planning", 10) == "highs"
    assert choose_solver("planning", 10_000_000) == "highs"


def test_large_plain_covering_goes_to_cbc_or_scip_when_installed_small_to_highs():
    assert choose_solver("plain_coverage", PLAIN_COVERAGE_LARGE_ROWS) == "highs"
    available = solvers.available_solvers()
    expected = "cbc" if "cbc" in available else "scip" if "scip" in available else "highs"
    assert choose_solver("plain_coverage", PLAIN_COVERAGE_LARGE_ROWS + 1) == expected


def test_plain_maximal_covering_with_many_rows_per_site_goes_to_benders_and_set_covering_never():
    assert "benders" in solvers.available_solvers()
    many = int(BENDERS_ROWS_PER_SITE * 100)
    assert choose_solver("plain_max_covering", many, 100) == "benders"
    assert choose_solver("plain_max_covering", many - 1, 100) == "highs"  # few rows per site, small
    assert choose_solver("plain_max_covering", 6_500, 1_000) == choose_solver("plain_coverage", 6_500)
    assert choose_solver("plain_coverage", 10 * many, 100) != "benders"  # set covering: not its problem


def test_auto_in_a_scenario_solves_with_the_chosen_backend_and_says_so():
    inputs, raw = random_instance(3)
    run = run_scenario(make_scenario({**raw, "solver": {"name": "auto"}}), inputs=inputs)
    assert run.result.solver == "highs" and run.result.proven_optimal


def test_an_unknown_solver_name_is_still_refused():
    with pytest.raises(Exception, match="unknown solver"):
        make_scenario({"solver": {"name": "gurobi9"}})
