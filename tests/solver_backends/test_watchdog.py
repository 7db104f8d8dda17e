"""The one time-limit watchdog every in-process backend uses (:class:`solvers.base.Watchdog`)."""
from __future__ import annotations

import logging
import threading

from solvers import SolverOptions
from solvers.base import Watchdog


def test_a_solver_that_overruns_its_limit_plus_grace_is_stopped_and_the_stop_is_recorded(caplog):
    stopped = threading.Event()
    options = SolverOptions(time_limit_s=0.01, grace_s=0.0)
    with caplog.at_level(logging.WARNING, logger="solvers.base"), \
            Watchdog(options, stopped.set, solver="Fake", action="stopping") as dog:
        assert stopped.wait(60.0), "the watchdog never called stop"  # a 'solver' that never returns by itself
    assert dog.killed
    assert "Fake overran its time limit" in caplog.text and "stopping" in caplog.text


def test_a_solver_that_returns_in_time_is_left_alone():
    calls: list[str] = []
    with Watchdog(SolverOptions(time_limit_s=3600.0), lambda: calls.append("stop"), solver="Fake",
                  action="stopping") as dog:
        pass
    assert not dog.killed and calls == []


def test_without_a_time_limit_there_is_no_watchdog():
    dog = Watchdog(SolverOptions(time_limit_s=None), lambda: None, solver="Fake", action="stopping")
    assert dog.budget is None
    with dog:
        pass
    assert not dog.killed


def test_the_budget_is_the_limit_plus_the_grace():
    assert Watchdog(SolverOptions(time_limit_s=2.0, grace_s=3.0), lambda: None, solver="Fake",
                    action="stopping").budget == 5.0
