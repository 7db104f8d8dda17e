"""Errors lifecircle raises on purpose: ValueErrors with their own exit codes."""
from __future__ import annotations

import optimizer.errors as errors


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def test_every_lifecircle_error_is_a_value_error_with_an_exit_code_of_its_own():
    kinds = [errors.LifecircleError, *_all_subclasses(errors.LifecircleError)]
    assert len(kinds) >= 7  # input, scenario, infeasible, solver, check, cluster, split
    for kind in kinds:
        assert issubclass(kind, ValueError), kind
    codes = {kind.exit_code for kind in kinds if kind is not errors.LifecircleError}
    assert codes <= {2, 3, 4, 5, 6} and {3, 4, 5, 6} <= codes


def test_the_solvers_errors_are_value_errors_too():
    import solvers
    from solvers.solution_files import SolutionFileError

    for kind in (solvers.SolverUnavailable, solvers.UnsupportedProblem, SolutionFileError):
        assert issubclass(kind, ValueError), kind
