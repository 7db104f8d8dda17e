"""The one place the CLI's --solver/--time-limit/--gap/--threads become scenario overrides."""
from __future__ import annotations

from optimizer.commands.common import solver_overrides


def test_every_solver_option_given_becomes_one_override_in_a_fixed_order():
    assert solver_overrides("cbc", 60.0, 0.01, 2, log=True) == [
        "solver.name=cbc", "solver.time_limit_s=60.0", "solver.relative_gap=0.01", "solver.threads=2",
        "solver.log=true"]


def test_options_not_given_leave_the_scenario_as_written():
    assert solver_overrides() == []
    assert solver_overrides("", None, None, None) == []


def test_a_zero_gap_is_an_override_asking_for_a_proof():
    assert solver_overrides(gap=0.0) == ["solver.relative_gap=0.0"]
