"""The registry: names, availability, errors that say what to install, no planning imports."""
from __future__ import annotations

import subprocess
import sys
from typing import ClassVar

import pytest
from solver_common import knapsack

import solvers
from solvers import Backend, SolverUnavailable, SolveStatus


class _Missing(Backend):
    name: ClassVar[str] = "missing"
    extra: ClassVar[str] = "lifecircle[missing]"

    @classmethod
    def available(cls) -> bool:
        return False

    def version(self) -> str:
        return "0"

    def _solve(self, problem, options):  # pragma: no cover - never reached
        raise AssertionError


@pytest.fixture
def registry(monkeypatch):
    """The registry, restored after the test."""
    monkeypatch.setattr(solvers.SOLVERS, "_backends", dict(solvers.SOLVERS))
    return solvers


def test_builtin_backends_are_registered_in_preference_order():
    assert solvers.all_solvers()[:4] == ["highs", "cbc", "scip", "cpsat"]
    assert set(solvers.available_solvers()) <= set(solvers.all_solvers())


def test_ortools_backends_name_ortools_and_are_available_exactly_when_it_imports(registry, monkeypatch):
    import importlib

    from solvers import ortools_cpsat, ortools_scip

    for name in ("scip", "cpsat"):
        assert solvers.SOLVERS[name].extra == "ortools"
    try:
        importlib.import_module("ortools.sat.python.cp_model")
        importlib.import_module("ortools.math_opt.core.python.solver")
        ortools_ok = True
    except Exception:
        ortools_ok = False
    assert solvers.SOLVERS["scip"].available() is ortools_ok
    assert solvers.SOLVERS["cpsat"].available() is ortools_ok
    # a broken install (files there, import fails) is not available, and says what to install
    for module in (ortools_cpsat, ortools_scip):
        monkeypatch.setattr(module, "module_imports", lambda name: False)
    assert "scip" not in registry.available_solvers() and "cpsat" not in registry.available_solvers()
    with pytest.raises(SolverUnavailable, match="pip install ortools"):
        registry.get_solver("cpsat")


def test_unknown_name_raises_key_error_listing_known_names():
    with pytest.raises(KeyError, match="highs, cbc"):
        solvers.get_solver("gurobi")


def test_unavailable_backend_raises_with_what_to_install(registry):
    registry.register(_Missing)
    assert "missing" in registry.all_solvers()
    assert "missing" not in registry.available_solvers()
    with pytest.raises(SolverUnavailable, match=r"pip install lifecircle\[missing\]"):
        registry.get_solver("missing")
    with pytest.raises(SolverUnavailable):
        _Missing().solve(knapsack(n=4))


def test_register_rejects_non_backends_and_name_clashes(registry):
    with pytest.raises(TypeError):
        registry.register(object)
    clash = type("Clash", (_Missing,), {"name": "highs"})
    with pytest.raises(ValueError, match="already registered"):
        registry.register(clash)
    assert registry.register(solvers.SOLVERS["highs"]) is solvers.SOLVERS["highs"]  # idempotent


def test_solve_defaults_to_highs():
    if "highs" not in solvers.available_solvers():
        pytest.skip("HiGHS not installed (pip install highspy)")
    r = solvers.solve(knapsack(n=6))
    assert r.solver == "highs" and r.status is SolveStatus.OPTIMAL
    assert r.solver_version.count(".") == 2


def test_cbc_with_missing_binary_raises_solver_unavailable():
    from solvers.cbc import CbcBackend

    if not CbcBackend.available():
        pytest.skip("CBC not installed (pip install lifecircle[cbc])")
    with pytest.raises(SolverUnavailable, match=r"pip install lifecircle\[cbc\]"):
        CbcBackend(path="/nonexistent/cbc").solve(knapsack(n=4))


def test_every_backend_declares_name_extra_and_capabilities():
    for name in solvers.all_solvers():
        cls = solvers.SOLVERS[name]
        assert cls.name == name and cls.extra
        assert isinstance(cls.available(), bool)
        assert cls.capabilities.supports_mip


def test_solvers_package_never_imports_optimizer():
    # The solvers know linear algebra, not planning: importing them (every backend) imports no
    # planning code, and reading the registry imports only what the lifecircle.solvers entry
    # points name (the greedy backend); with no such entry point, nothing of optimizer at all.
    only_import = ("import sys, solvers, solvers.highs, solvers.cbc, solvers.mps, solvers.ortools_scip, "
                   "solvers.ortools_cpsat; "
                   "bad = [m for m in sys.modules if m == 'optimizer' or m.startswith('optimizer.')]; "
                   "assert not bad, bad")
    subprocess.run([sys.executable, "-c", only_import], check=True, timeout=60)
    no_plugins = ("import importlib.metadata as md; md.entry_points = lambda **kw: []; " + only_import.replace(
        "solvers.ortools_cpsat; ", "solvers.ortools_cpsat; solvers.available_solvers(); "))
    subprocess.run([sys.executable, "-c", no_plugins], check=True, timeout=60)
    read = ("import sys, solvers; solvers.available_solvers(); "
            "loaded = sorted(m for m in sys.modules if m == 'optimizer' or m.startswith('optimizer.')); "
            "assert loaded == ['optimizer', 'optimizer.greedy_backend'], loaded")
    subprocess.run([sys.executable, "-c", read], check=True, timeout=60)
