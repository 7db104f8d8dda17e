"""The greedy heuristic as a solver backend, registered as ``greedy`` beside HiGHS, CBC, SCIP and CP-SAT.

The heuristic (:mod:`optimizer.greedy`) plans the built planning structure
(:class:`~optimizer.model.build.PlanningModel`), not a bare matrix: the caller puts it in
the problem's metadata with :func:`with_planning_model` (the matrix is unchanged), and
:meth:`GreedyBackend.check` refuses a problem without it, or a model the heuristic does
not plan, with :class:`~solvers.base.UnsupportedProblem` before any work. Its
:class:`~solvers.base.Capabilities` say what callers decide by: it proves nothing by
itself (``proves_optimality=False``; "optimal" only when the LP bound meets its value),
needs the planning model, and gives warm starts to exact solvers.

Cheap to import (numpy and :mod:`solvers` only). It registers itself when imported, and
:mod:`solvers` imports it through the ``lifecircle.solvers`` entry point (setup.cfg), so
the registry holds ``greedy`` wherever :mod:`solvers` is used; the heuristic itself is
imported when the backend first works.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from solvers.base import Backend, Capabilities, UnsupportedProblem
from solvers.problem import MatrixProblem
from solvers.result import SolveResult, SolverOptions

if TYPE_CHECKING:
    from optimizer.model.build import PlanningModel

log = logging.getLogger(__name__)

#: The :attr:`MatrixProblem.metadata` key under which the planning model travels.
PLANNING_MODEL = "planning_model"


def with_planning_model(model: PlanningModel, problem: MatrixProblem | None = None) -> MatrixProblem:
    """``problem`` (default: the model's own) carrying ``model`` in its metadata; the matrix is unchanged.

    Parameters
    ----------
    model
        The built planning model.
    problem
        The matrix problem to carry it; ``model.problem`` when omitted.

    Returns
    -------
    MatrixProblem
        A copy whose ``metadata[PLANNING_MODEL]`` is ``model``.
    """
    problem = model.problem if problem is None else problem
    return dataclasses.replace(problem, metadata={**problem.metadata, PLANNING_MODEL: model})


def planning_model_of(problem: MatrixProblem) -> PlanningModel | None:
    """The planning model ``problem`` carries (:func:`with_planning_model`), or ``None``."""
    return problem.metadata.get(PLANNING_MODEL)


class GreedyBackend(Backend):
    """Lazy greedy plus local search, bounded by the LP relaxation (HiGHS); see :mod:`optimizer.greedy`."""

    name: ClassVar[str] = "greedy"
    extra: ClassVar[str] = "lifecircle"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=False, supports_threads=False, supports_seed=False,
        reports_bound=True, honours_time_limit=True, in_process=True, proves_optimality=False,
        needs_planning_model=True, gives_warm_start=True)

    @classmethod
    def available(cls) -> bool:
        """Always: the heuristic is pure Python (its LP bound uses HiGHS when installed)."""
        return True

    def version(self) -> str:
        """What the backend is, in words."""
        return "lazy greedy + local search; bound: HiGHS LP relaxation"

    def check(self, problem: MatrixProblem) -> None:
        """Refuse a problem without its planning model, or a model the heuristic does not plan.

        Raises
        ------
        UnsupportedProblem
            Its ``reason`` says what the heuristic needs (shown to the user as is).
        """
        model = planning_model_of(problem)
        if model is None:
            raise UnsupportedProblem(self.name, "the greedy heuristic plans a built planning model (coverage mode, "
                                     f"objective max_coverage) carried in MatrixProblem.metadata[{PLANNING_MODEL!r}]"
                                     "; a plain matrix problem has none")
        from optimizer.greedy import supports

        why = supports(model)
        if why:
            raise UnsupportedProblem(self.name, why)

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        from optimizer.greedy import solve_greedy

        model = planning_model_of(problem)
        assert model is not None  # check() ran
        return solve_greedy(model, options)

    def warm_start(self, problem: MatrixProblem, options: SolverOptions) -> np.ndarray | None:
        """The greedy plan with a short local search, for an exact solver to start from; ``None`` when none."""
        from optimizer.greedy import warm_start_plan

        model = planning_model_of(problem)
        assert model is not None  # check() ran
        return warm_start_plan(model, options)


def register() -> None:
    """Register :class:`GreedyBackend` in the solver registry (idempotent)."""
    import solvers

    solvers.register(GreedyBackend)


register()
