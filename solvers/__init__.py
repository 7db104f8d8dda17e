"""Solver backends for matrix problems, behind one registry.

``solvers`` knows linear algebra, not planning: it takes a
:class:`~solvers.problem.MatrixProblem` and returns a :class:`~solvers.result.SolveResult`
whose status is never "optimal" unless a proven bound meets the value.

The registry follows PuLP's ``apis`` package: every backend class is registered under
its :attr:`~solvers.base.Backend.name`; :func:`available_solvers` lists those that can
run here, :func:`get_solver` returns an instance, :func:`solve` does both.

Other packages add backends through the entry-point group ``lifecircle.solvers`` (a module
that registers its backends when imported), loaded when the registry is first read:
lifecircle's greedy heuristic (:mod:`optimizer.greedy_backend`) comes this way, so every
reader of the registry sees it, ``import solvers`` alone imports no planning code, and
``import optimizer`` stays free of numerical imports (the command line starts at once). Such a planning backend declares
``Capabilities(needs_planning_model=True)`` and refuses a plain matrix problem.

Backends: ``highs`` (:mod:`solvers.highs`), ``cbc`` (:mod:`solvers.cbc`), ``scip``
(SCIP through OR-Tools MathOpt, :mod:`solvers.ortools_scip`) and ``cpsat`` (OR-Tools
CP-SAT, :mod:`solvers.ortools_cpsat`; integer problems only: it refuses others with
:class:`~solvers.base.UnsupportedProblem` before solving). The last two need the
``ortools`` package. ``benders`` (:mod:`solvers.benders`, on HiGHS) solves coverage models by
Benders branch-and-cut (plain maximal covering, and the planning model's coverage mode through
:mod:`solvers.benders_projection`) and refuses anything else
(``Capabilities(needs_coverage_model=True)``).

Examples
--------
>>> import solvers
>>> solvers.all_solvers()
['highs', 'cbc', 'scip', 'cpsat', 'benders']
>>> result = solvers.solve(problem, "highs", solvers.SolverOptions(time_limit_s=60))  # doctest: +SKIP
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, MutableMapping

from solvers.base import Backend, Capabilities, SolverUnavailable, UnsupportedProblem
from solvers.problem import MatrixProblem, Sense
from solvers.result import (
    SolveResult,
    SolverOptions,
    SolveStatus,
    Termination,
    bound_meets_value,
    classify,
    relative_gap,
)

logger = logging.getLogger(__name__)

__all__ = [
    "Backend",
    "Capabilities",
    "MatrixProblem",
    "Sense",
    "SolveResult",
    "SolveStatus",
    "SolverOptions",
    "SolverUnavailable",
    "SOLVERS",
    "Termination",
    "UnsupportedProblem",
    "all_solvers",
    "available_solvers",
    "bound_meets_value",
    "classify",
    "get_solver",
    "register",
    "relative_gap",
    "solve",
    "solvers_where",
]

class _Registry(MutableMapping):
    """Backend classes by name, in registration order; the ``lifecircle.solvers`` plugins join on first read.

    Reading it in any way (a name, the names, a ``get``) first imports the entry points'
    modules (:func:`_register_plugins`), so importing :mod:`solvers` alone imports no
    planning code, and every reader sees the greedy heuristic.
    """

    def __init__(self) -> None:
        self._backends: dict[str, type[Backend]] = {}
        self._plugins_loaded = False

    def _read(self) -> dict[str, type[Backend]]:
        if not self._plugins_loaded:
            self._plugins_loaded = True  # first: a plugin registering itself reads the registry too
            _register_plugins()
        return self._backends

    def __getitem__(self, name: str) -> type[Backend]:
        return self._read()[name]

    def __setitem__(self, name: str, backend_cls: type[Backend]) -> None:
        self._backends[name] = backend_cls

    def __delitem__(self, name: str) -> None:
        del self._backends[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._read()))

    def __len__(self) -> int:
        return len(self._read())

    def __repr__(self) -> str:
        return f"SOLVERS({', '.join(self._read())})"


#: Registered backend classes by name, in registration (preference) order.
SOLVERS: _Registry = _Registry()


def register(backend_cls: type[Backend]) -> type[Backend]:
    """Register a backend class under its ``name``; usable as a class decorator.

    Parameters
    ----------
    backend_cls
        A :class:`~solvers.base.Backend` subclass with a non-empty ``name``.

    Returns
    -------
    type[Backend]
        ``backend_cls``, unchanged.

    Raises
    ------
    TypeError
        When ``backend_cls`` is not a Backend subclass.
    ValueError
        When it has no name, or another class already holds the name.
    """
    if not (isinstance(backend_cls, type) and issubclass(backend_cls, Backend)):
        raise TypeError(f"{backend_cls!r} is not a solvers.base.Backend subclass")
    name = backend_cls.name
    if not name:
        raise ValueError(f"{backend_cls.__name__} has no name")
    existing = SOLVERS._backends.get(name)  # not a read: registering must not load the plugins
    if existing is not None and existing is not backend_cls:
        raise ValueError(f"solver name {name!r} is already registered by {existing.__name__}")
    SOLVERS[name] = backend_cls
    return backend_cls


def all_solvers() -> list[str]:
    """Names of every registered backend, installed or not."""
    return list(SOLVERS)


def available_solvers() -> list[str]:
    """Names of the registered backends that can run here."""
    out = []
    for name, cls in SOLVERS.items():
        try:
            ok = cls.available()
        except Exception:  # available() must not raise; be safe anyway
            logger.debug("%s.available() raised", cls.__name__, exc_info=True)
            ok = False
        if ok:
            out.append(name)
    return out


def solvers_where(**capabilities: bool) -> list[str]:
    """Names of the registered backends whose :class:`~solvers.base.Capabilities` match.

    Parameters
    ----------
    **capabilities
        ``Capabilities`` field names and the value wanted, e.g. ``needs_planning_model=False``
        (the backends that take a plain matrix problem) or ``gives_warm_start=True``.

    Returns
    -------
    list[str]
        In registration order, installed or not.

    Raises
    ------
    TypeError
        When a name is not a ``Capabilities`` field.
    """
    fields = set(Capabilities.__dataclass_fields__)
    unknown = set(capabilities) - fields
    if unknown:
        raise TypeError(f"unknown capabilities: {', '.join(sorted(unknown))}")
    return [name for name, cls in SOLVERS.items()
            if all(getattr(cls.capabilities, key) == want for key, want in capabilities.items())]


def get_solver(name: str) -> Backend:
    """An instance of the backend registered as ``name``.

    Raises
    ------
    KeyError
        When no backend has that name (the message lists the known names).
    SolverUnavailable
        When the backend exists but cannot run here (the message names what to install).
    """
    key = str(name).strip().lower()
    cls = SOLVERS.get(key)
    if cls is None:
        raise KeyError(f"unknown solver {name!r}; known solvers: {', '.join(SOLVERS) or 'none'}")
    if not cls.available():
        raise SolverUnavailable(cls.name, cls.extra)
    return cls()


def solve(problem: MatrixProblem, solver: str = "highs",
          options: SolverOptions | None = None) -> SolveResult:
    """Solve ``problem`` with the named backend.

    Parameters
    ----------
    problem
        The matrix problem.
    solver
        Registry name of the backend.
    options
        Solver settings; ``SolverOptions()`` when omitted.

    Returns
    -------
    SolveResult
    """
    return get_solver(solver).solve(problem, options or SolverOptions())


def _register_builtin() -> None:
    from solvers.benders import BendersBackend
    from solvers.cbc import CbcBackend
    from solvers.highs import HighsBackend
    from solvers.ortools_cpsat import CpSatBackend
    from solvers.ortools_scip import ScipBackend

    register(HighsBackend)
    register(CbcBackend)
    register(ScipBackend)
    register(CpSatBackend)
    register(BendersBackend)


#: The entry-point group of backends from other packages: each entry names a module that
#: registers its backends when imported (setup.cfg: ``greedy = optimizer.greedy_backend``).
PLUGIN_GROUP = "lifecircle.solvers"


def _register_plugins() -> None:
    """Import every ``lifecircle.solvers`` entry point's module; a broken one is logged, never fatal.

    Called by the registry's first read (:class:`_Registry`). The module registers itself;
    when it is already being imported (it read the registry while importing), it registers
    as it finishes.
    """
    import importlib
    from importlib.metadata import entry_points

    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            importlib.import_module(entry.module)
        except Exception:  # a third party's broken plugin must not take the built-in solvers down
            logger.warning("solver plugin %s (%s) could not be loaded", entry.name, entry.value, exc_info=True)


_register_builtin()
