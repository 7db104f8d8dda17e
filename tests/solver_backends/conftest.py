"""The ``backend`` fixture: every registered solver of any matrix problem, skipped when not installed;
``planning_backend``: every registered backend that needs the planning model (the greedy heuristic).

Importing :mod:`solvers` registers the greedy heuristic too (its ``lifecircle.solvers`` entry
point), so that the registry here is the one the engine uses.
"""
from __future__ import annotations

import pytest

import solvers


def _backend_params(*, needs_planning_model: bool = False) -> list:
    params = []
    # the Benders backend takes plain maximal covering only: tests/plain/test_benders.py checks it
    for name in solvers.solvers_where(needs_planning_model=needs_planning_model, needs_coverage_model=False):
        cls = solvers.SOLVERS[name]
        marks = []
        if not cls.available():
            marks.append(pytest.mark.skip(
                reason=f"solver {name!r} not installed here (pip install {cls.extra})"))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(params=_backend_params())
def backend(request) -> solvers.Backend:
    """An instance of each registered matrix backend in turn."""
    return solvers.get_solver(request.param)


@pytest.fixture(params=_backend_params(needs_planning_model=True))
def planning_backend(request) -> solvers.Backend:
    """An instance of each registered backend that plans the planning model (the greedy), in turn."""
    return solvers.get_solver(request.param)


@pytest.fixture
def available_backends() -> list[solvers.Backend]:
    """Every matrix backend that can run here (at least one, or the test is skipped)."""
    names = [n for n in solvers.available_solvers()
             if n in solvers.solvers_where(needs_planning_model=False, needs_coverage_model=False)]
    if not names:
        pytest.skip("no solver installed")
    return [solvers.get_solver(n) for n in names]
