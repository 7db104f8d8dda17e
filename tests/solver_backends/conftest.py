"""The ``backend`` fixture: every registered solver, skipped with a reason when not installed."""
from __future__ import annotations

import pytest

import solvers


def _backend_params() -> list:
    params = []
    for name in solvers.all_solvers():
        cls = solvers.SOLVERS[name]
        marks = []
        if not cls.available():
            marks.append(pytest.mark.skip(
                reason=f"solver {name!r} not installed here (pip install {cls.extra})"))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(params=_backend_params())
def backend(request) -> solvers.Backend:
    """An instance of each registered backend in turn."""
    return solvers.get_solver(request.param)


@pytest.fixture
def available_backends() -> list[solvers.Backend]:
    """Every backend that can run here (at least one, or the test is skipped)."""
    names = solvers.available_solvers()
    if not names:
        pytest.skip("no solver installed")
    return [solvers.get_solver(n) for n in names]
