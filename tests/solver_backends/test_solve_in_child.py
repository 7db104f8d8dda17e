"""A time-limited in-process solve runs in a child process and stops within its limit plus the grace
(:mod:`solvers.isolation`, issue 18).

The fake solver here streams two plans and then ignores every request to stop, as HiGHS does
in presolve: the parent must stop it, keep the last streamed plan with its bound, and leave
no process behind. Timeouts are generous and nothing asserts on seconds.
"""
from __future__ import annotations

import dataclasses
import os
import resource
import signal
import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from solver_common import knapsack

import solvers
from solvers import SolverOptions
from solvers.base import Backend, Capabilities, build_result
from solvers.isolation import forks_here, should_isolate
from solvers.problem import MatrixProblem
from solvers.result import SolveProgress, SolveResult, SolveStatus, Termination

pytestmark = pytest.mark.skipif(not forks_here(), reason="solves are forked on Linux only")

#: Limit and grace of the stubborn solver's runs: room for a fork and two plans on a loaded machine.
STUBBORN_LIMIT_S = 1.0
STUBBORN_GRACE_S = 2.0
#: The two plans the stubborn solver streams for the knapsack (the second is better).
FIRST_PLAN_SITES = 1
SECOND_PLAN_SITES = 2


def _plan(problem: MatrixProblem, ones: int) -> np.ndarray:
    """The knapsack plan that packs its ``ones`` lightest items (feasible for small ``ones``)."""
    weights = problem.matrix.toarray()[0]
    values = np.zeros(problem.n_cols)
    values[np.argsort(weights)[:ones]] = 1.0
    return values


class _TestSolver(Backend):
    """An in-process backend of this test module, always available."""

    extra: ClassVar[str] = "nothing"
    capabilities: ClassVar[Capabilities] = Capabilities(in_process=True)

    @classmethod
    def available(cls) -> bool:
        return True

    def version(self) -> str:
        return "0"

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        raise NotImplementedError


class StubbornSolver(_TestSolver):
    """Streams two improving plans and progress, then ignores SIGTERM and never looks at its clock."""

    name: ClassVar[str] = "stubborn-test-solver"
    #: where the child writes its process id, for the test to look for it afterwards
    pid_file: ClassVar[Path | None] = None
    #: the bound streamed with the second plan
    bound: ClassVar[float] = 1000.0

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        if self.pid_file is not None:  # whole or absent: a test that sees the file may kill this process at once
            part = self.pid_file.with_name(self.pid_file.name + ".part")
            part.write_text(str(os.getpid()))
            os.replace(part, self.pid_file)
        for ones, bound in ((FIRST_PLAN_SITES, 2 * self.bound), (SECOND_PLAN_SITES, self.bound)):
            plan = _plan(problem, ones)
            if options.on_incumbent is not None:
                options.on_incumbent(problem.objective_value(plan), bound, plan)
            if options.on_progress is not None:
                options.on_progress(SolveProgress(solver=self.name, elapsed_s=0.0,
                                                  incumbent=problem.objective_value(plan), bound=bound))
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # deaf to the polite stop, like C code in presolve
        while True:
            time.sleep(3600.0)


class PoliteSolver(_TestSolver):
    """Returns at once with a plan and a bound of its own: the whole result crosses the pipe."""

    name: ClassVar[str] = "polite-test-solver"

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        plan = _plan(problem, SECOND_PLAN_SITES)
        return build_result(self, problem, options, termination=Termination.TIME_LIMIT, values=plan,
                            objective=problem.objective_value(plan), bound=500.0, solve_seconds=0.0,
                            extra={"pid": os.getpid()})


class RefusingSolver(PoliteSolver):
    """Raises inside its solve, as a backend refusing a problem late would."""

    name: ClassVar[str] = "refusing-test-solver"

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        raise solvers.UnsupportedProblem(self.name, "it takes no knapsacks", ("highs",))


@pytest.fixture(autouse=True)
def fork_every_size(monkeypatch) -> None:
    """The test problems are tiny: fork them all the same."""
    monkeypatch.setattr("solvers.isolation.MIN_NONZEROS_IN_CHILD", 0)


@pytest.fixture
def stubborn(tmp_path, monkeypatch) -> StubbornSolver:
    """The stubborn solver, registered for the test, writing its process id under ``tmp_path``."""
    monkeypatch.setitem(solvers.SOLVERS._backends, StubbornSolver.name, StubbornSolver)
    monkeypatch.setattr(StubbornSolver, "pid_file", tmp_path / "child.pid")
    return solvers.get_solver(StubbornSolver.name)


def _gone(pid: int) -> bool:
    """True when no process ``pid`` exists (not even a zombie waiting to be reaped)."""
    return not Path(f"/proc/{pid}").exists()


def _child_pid(solver: StubbornSolver) -> int:
    assert solver.pid_file is not None and solver.pid_file.exists(), "the solver never ran in a child"
    return int(solver.pid_file.read_text())


def test_a_solver_deaf_to_every_stop_is_killed_and_its_last_streamed_plan_is_kept_with_its_bound(stubborn):
    problem = knapsack()
    seen: list[SolveProgress] = []
    options = SolverOptions(time_limit_s=STUBBORN_LIMIT_S, grace_s=STUBBORN_GRACE_S, on_progress=seen.append)
    result = stubborn.solve(problem, options)
    best = _plan(problem, SECOND_PLAN_SITES)
    assert result.termination is Termination.KILLED
    assert result.status is SolveStatus.FEASIBLE
    np.testing.assert_array_equal(result.values, best)
    assert result.objective == pytest.approx(problem.objective_value(best))
    assert result.bound == pytest.approx(StubbornSolver.bound)
    assert result.extra["streamed_incumbents"] == 2
    assert [p.bound for p in seen] == [2 * StubbornSolver.bound, StubbornSolver.bound], \
        "the caller's progress callback hears the child's progress"
    pid = _child_pid(stubborn)
    assert pid != os.getpid()
    assert _gone(pid), "the solver's process is still there"
    assert result.extra["child_peak_kb"] >= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 0.5, \
        "the solve's peak memory (the child's, inherited from this process at the fork) is reported"


def test_a_plan_that_breaks_a_row_is_not_kept_when_the_solver_is_stopped(stubborn, monkeypatch):
    problem = knapsack()
    monkeypatch.setitem(globals(), "_plan",
                        lambda p, ones: np.ones(p.n_cols))  # every item: over the capacity
    result = stubborn.solve(problem, SolverOptions(time_limit_s=STUBBORN_LIMIT_S, grace_s=STUBBORN_GRACE_S))
    assert result.termination is Termination.KILLED
    assert result.status is SolveStatus.NO_SOLUTION and result.values is None


def test_the_start_plan_is_kept_when_a_stopped_solver_streamed_nothing_better(stubborn):
    problem = knapsack()
    start = _plan(problem, 3)  # better than both streamed plans
    result = stubborn.solve(dataclasses.replace(problem, start=start),
                            SolverOptions(time_limit_s=STUBBORN_LIMIT_S, grace_s=STUBBORN_GRACE_S))
    assert result.termination is Termination.KILLED
    np.testing.assert_array_equal(result.values, start)
    assert result.bound == pytest.approx(StubbornSolver.bound), "the bound streamed before the stop is kept"


def test_ctrl_c_in_the_caller_leaves_no_solver_process(stubborn):
    def interrupt(progress: SolveProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stubborn.solve(knapsack(), SolverOptions(time_limit_s=600.0, on_progress=interrupt))
    assert _gone(_child_pid(stubborn))


def test_sigterm_to_the_caller_leaves_no_solver_process(stubborn):
    class Stopped(Exception):
        pass

    def stop(signum, frame):
        raise Stopped

    def terminate_once_solving() -> None:  # as a scheduler would, while the solver process runs
        give_up = time.monotonic() + 60.0
        while time.monotonic() < give_up and not (stubborn.pid_file is not None and stubborn.pid_file.exists()):
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, stop)
    scheduler = threading.Thread(target=terminate_once_solving, daemon=True)
    try:
        scheduler.start()
        with pytest.raises(Stopped):
            stubborn.solve(knapsack(), SolverOptions(time_limit_s=600.0))
    finally:
        scheduler.join(timeout=120.0)
        signal.signal(signal.SIGTERM, previous)
    assert _gone(_child_pid(stubborn))


def test_a_solver_that_ends_in_time_sends_back_its_whole_result(monkeypatch):
    monkeypatch.setitem(solvers.SOLVERS._backends, PoliteSolver.name, PoliteSolver)
    problem = knapsack()
    result = solvers.get_solver(PoliteSolver.name).solve(problem, SolverOptions(time_limit_s=60.0))
    assert result.termination is Termination.TIME_LIMIT and result.bound == 500.0
    assert result.extra["pid"] != os.getpid() and result.extra["solved_in_child"]
    assert result.options.on_progress is None and result.options.on_incumbent is None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.extra["child_peak_kb"] >= 0.5 * before, \
        "compare and city report the solve's memory: the child's peak, which counts from this process's at the fork"


def test_a_refusal_in_the_solver_process_reaches_the_caller_as_the_same_refusal(monkeypatch):
    monkeypatch.setitem(solvers.SOLVERS._backends, RefusingSolver.name, RefusingSolver)
    with pytest.raises(solvers.UnsupportedProblem, match="takes no knapsacks") as refused:
        solvers.get_solver(RefusingSolver.name).solve(knapsack(), SolverOptions(time_limit_s=60.0))
    assert refused.value.alternatives == ("highs",)


class DyingSolver(PoliteSolver):
    """Streams one plan, then its process dies (as when the machine runs out of memory)."""

    name: ClassVar[str] = "dying-test-solver"

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        plan = _plan(problem, FIRST_PLAN_SITES)
        if options.on_incumbent is not None:
            options.on_incumbent(problem.objective_value(plan), 700.0, plan)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


def test_a_solver_process_that_dies_leaves_its_streamed_plan_and_says_how_it_died(monkeypatch):
    monkeypatch.setitem(solvers.SOLVERS._backends, DyingSolver.name, DyingSolver)
    problem = knapsack()
    result = solvers.get_solver(DyingSolver.name).solve(problem, SolverOptions(time_limit_s=60.0))
    assert result.termination is Termination.ERROR and result.status is SolveStatus.FEASIBLE
    np.testing.assert_array_equal(result.values, _plan(problem, FIRST_PLAN_SITES))
    assert result.bound == 700.0
    assert "died from SIGKILL" in result.message


def test_highs_gives_the_same_plan_value_and_bound_in_a_child_as_in_this_process(monkeypatch):
    highs = solvers.get_solver("highs")
    if not highs.available():
        pytest.skip("HiGHS not installed")
    problem = knapsack(n=14)
    options = SolverOptions(time_limit_s=60.0)
    in_child = highs.solve(problem, options)
    monkeypatch.setattr(type(highs), "run_in_child", False)
    here = highs.solve(problem, options)
    assert in_child.extra.get("solved_in_child") and not here.extra.get("solved_in_child")
    assert (in_child.status, in_child.termination) == (here.status, here.termination) == \
        (SolveStatus.OPTIMAL, Termination.OPTIMAL)
    assert in_child.objective == pytest.approx(here.objective)
    assert in_child.bound == pytest.approx(here.bound)
    np.testing.assert_allclose(in_child.values, here.values)


def test_highs_streams_its_improving_plans_with_their_values():
    highs = solvers.get_solver("highs")
    if not highs.available():
        pytest.skip("HiGHS not installed")
    problem = knapsack(n=14)
    plans: list[tuple[float, float | None, np.ndarray]] = []
    result = highs._solve(problem, SolverOptions(on_incumbent=lambda v, b, x: plans.append((v, b, x))))
    assert plans, "no plan streamed"
    value, _, values = plans[-1]
    assert value == pytest.approx(result.objective)
    assert problem.objective_value(values) == pytest.approx(value)


def test_only_a_time_limited_solve_of_an_in_process_matrix_solver_is_forked():
    highs, cbc = solvers.SOLVERS["highs"](), solvers.SOLVERS["cbc"]()
    p, limited = knapsack(), SolverOptions(time_limit_s=10.0)
    assert should_isolate(highs, p, limited)
    assert not should_isolate(highs, p, SolverOptions())
    assert not should_isolate(cbc, p, limited), "CBC is a subprocess already"
    greedy = [solvers.SOLVERS[n]() for n in solvers.solvers_where(needs_planning_model=True)]
    assert not any(should_isolate(g, p, limited) for g in greedy), "the greedy checks its own clock"


def test_a_problem_too_small_to_overrun_its_grace_is_solved_in_this_process(monkeypatch):
    monkeypatch.setattr("solvers.isolation.MIN_NONZEROS_IN_CHILD", 10_000)
    p = knapsack()
    assert p.matrix.nnz < 10_000
    assert not should_isolate(solvers.SOLVERS["highs"](), p, SolverOptions(time_limit_s=10.0))
