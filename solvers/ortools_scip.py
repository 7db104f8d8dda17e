"""SCIP through OR-Tools' MathOpt (``SOLVER_TYPE_GSCIP``), in process.

Why MathOpt rather than ``pywraplp`` or ``model_builder``: it is the one OR-Tools path
to SCIP that gives all of a proven dual bound, a message callback for the log (so
nothing is printed), an interrupter (for the watchdog) and solution hints.
``pywraplp`` prints SCIP's log to stdout only, and in OR-Tools 9.15
``model_builder``'s log callback cannot be set from Python.

The model is built as a MathOpt ``ModelProto`` straight from the arrays (variables,
bounds, integrality, objective, row bounds, and the matrix in coordinate form, each one
``extend`` call: no Python loop over rows or nonzeros), with generic ids and no names.

Options: ``time_limit_s`` -> ``time_limit``; ``relative_gap`` ->
``relative_gap_tolerance`` (0 asks for a proof), with ``absolute_gap_tolerance`` equal
to the proof tolerance of :func:`~solvers.result.classify`; ``seed`` ->
``random_seed``. ``threads`` is not passed: SCIP in OR-Tools runs one thread, and a
count above one switches to SCIP's concurrent mode, which in OR-Tools 9.15 ignores the
interrupter (the watchdog could not stop it); the request is noted in
``extra["threads_ignored"]``. A warm start is passed as a solution hint;
``extra["start_accepted"]`` says whether SCIP's log reports the hinted solution as
feasible.

Statuses: MathOpt's termination reason and the dual bound
(``termination.objective_bounds.dual_bound``) go to
:func:`~solvers.base.build_result`, so "optimal" needs the bound to meet the value.
``UNBOUNDED`` and ``INFEASIBLE_OR_UNBOUNDED`` (also SCIP's own "problem is solved
[unbounded]" when MathOpt rejects the plan at infinity that SCIP returns) are settled by
:meth:`~solvers.base.Backend.solve` with a zero-objective feasibility check.

SCIP's error printer: OR-Tools 9.15's gSCIP registers an event that SCIP 10 rejects
whenever an interrupter is passed, and SCIP prints two ``ERROR`` lines to stderr
although the solve goes on normally. SCIP's process-wide error printer is therefore
pointed (once, through ``ctypes``) at a function that keeps those messages in the
solve's log and forwards any other SCIP error to this module's logger at WARNING; if
the SCIP library cannot be found, SCIP keeps printing to stderr.

Progress: with ``options.on_progress``, MathOpt's callbacks on ``MIP_SOLUTION`` and
``MIP_NODE`` events report SCIP's primal and dual bounds and the nodes explored
(registered only then: without a progress callback SCIP runs as before).
"""
from __future__ import annotations

import ctypes
import glob
import importlib
import importlib.util
import logging
import os
import re
import threading
import time
from typing import Any, ClassVar

import numpy as np

from solvers.base import Backend, Capabilities, Watchdog, build_result, module_imports
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import PROOF_ABS_TOL, SolveResult, SolverOptions, Termination, bound_meets_value

logger = logging.getLogger(__name__)

__all__ = ["ScipBackend", "build_model_proto"]

#: SCIP's messages from the error printer that are known to be harmless (see the module doc)
_KNOWN_HARMLESS = ("SCIPcatchEvent does not support variable or row change events",
                   "gscip_event_handler.cc", "Error <-9> in function call")

#: SCIP's final status line for an unbounded (or infeasible-or-unbounded) problem
_UNBOUNDED_RE = re.compile(r"^SCIP Status\s*:\s*problem is solved \[(?:unbounded|infeasible or unbounded)\]",
                           re.MULTILINE)

_printer_lock = threading.Lock()
_printer_installed: bool | None = None  # None: not tried yet
_printer_ref: Any = None  # keeps the ctypes callback alive
_error_sink: list[str] | None = None  # the running solve's log, for SCIP's error messages
_error_sink_lock = threading.Lock()


def _scip_library() -> str | None:
    """Path of the SCIP shared library bundled with OR-Tools, if any."""
    try:
        spec = importlib.util.find_spec("ortools")
        if spec is None or not spec.submodule_search_locations:
            return None
        root = list(spec.submodule_search_locations)[0]
        for pattern in ("libscip.so*", "libscip*.dylib", "libscip*.dll", "scip*.dll"):
            found = sorted(glob.glob(os.path.join(root, ".libs", pattern)))
            if found:
                return found[0]
    except Exception:  # pragma: no cover - best effort only
        logger.debug("SCIP library not located", exc_info=True)
    return None


_pending = ""  # SCIP prints an error's header and text in separate calls


def _on_scip_error(_data: Any, _file: Any, msg: bytes | None) -> None:
    global _pending
    with _error_sink_lock:
        _pending += (msg or b"").decode("utf-8", "replace")
        if "\n" not in _pending:
            return
        *lines, _pending = _pending.split("\n")
        sink = _error_sink
    for text in lines:
        if not text.strip():
            continue
        if sink is not None:
            sink.append(f"[SCIP error printer] {text}")
        if any(k in text for k in _KNOWN_HARMLESS):
            logger.debug("SCIP (known, harmless): %s", text)
        else:
            logger.warning("SCIP: %s", text)


def _install_error_printer() -> bool:
    """Route SCIP's error printing to :func:`_on_scip_error` (once per process)."""
    global _printer_installed, _printer_ref
    with _printer_lock:
        if _printer_installed is not None:
            return _printer_installed
        _printer_installed = False
        path = _scip_library()
        if path is None:
            return False
        try:
            lib = ctypes.CDLL(path)
            printer_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p)
            ref = printer_type(_on_scip_error)
            lib.SCIPmessageSetErrorPrinting.argtypes = [printer_type, ctypes.c_void_p]
            lib.SCIPmessageSetErrorPrinting.restype = None
            lib.SCIPmessageSetErrorPrinting(ref, None)
            _printer_ref = ref
            _printer_installed = True
        except Exception:  # pragma: no cover - best effort only
            logger.debug("could not redirect SCIP's error printer", exc_info=True)
        return _printer_installed


def _scip_version() -> str | None:
    path = _scip_library()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
        for fn in ("SCIPmajorVersion", "SCIPminorVersion", "SCIPtechVersion"):
            getattr(lib, fn).restype = ctypes.c_int
        return f"{lib.SCIPmajorVersion()}.{lib.SCIPminorVersion()}.{lib.SCIPtechVersion()}"
    except Exception:  # pragma: no cover
        return None


def build_model_proto(problem: MatrixProblem) -> Any:
    """The problem as a MathOpt ``ModelProto`` (ids ``0..n-1`` and ``0..m-1``, no names).

    Vectorised: each repeated field is filled with one ``extend`` from a numpy array.
    """
    from ortools.math_opt import model_pb2

    model = model_pb2.ModelProto(name="")
    n, m = problem.n_cols, problem.n_rows
    variables = model.variables
    variables.ids.extend(np.arange(n, dtype=np.int64))
    variables.lower_bounds.extend(problem.col_lower)
    variables.upper_bounds.extend(problem.col_upper)
    variables.integers.extend(problem.integrality)
    objective = model.objective
    objective.maximize = problem.sense is Sense.MAXIMIZE
    objective.offset = float(problem.objective_offset)
    nz = np.flatnonzero(problem.objective)
    objective.linear_coefficients.ids.extend(nz.astype(np.int64))
    objective.linear_coefficients.values.extend(problem.objective[nz])
    rows = model.linear_constraints
    rows.ids.extend(np.arange(m, dtype=np.int64))
    rows.lower_bounds.extend(problem.row_lower)
    rows.upper_bounds.extend(problem.row_upper)
    a = problem.matrix.tocsr(copy=True)
    a.sum_duplicates()  # sorted column indices within rows, no duplicates
    a.eliminate_zeros()
    matrix = model.linear_constraint_matrix
    matrix.row_ids.extend(np.repeat(np.arange(m, dtype=np.int64), np.diff(a.indptr)))
    matrix.column_ids.extend(a.indices.astype(np.int64))
    matrix.coefficients.extend(a.data)
    return model





class ScipBackend(Backend):
    """SCIP through OR-Tools MathOpt (package ``ortools``)."""

    name: ClassVar[str] = "scip"
    extra: ClassVar[str] = "ortools"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=True, supports_threads=False, supports_seed=True,
        reports_bound=True, honours_time_limit=True, in_process=True,
    )

    @classmethod
    def available(cls) -> bool:
        """True when ``ortools.math_opt.core.python.solver`` imports (checked once per process)."""
        return module_imports("ortools.math_opt.core.python.solver")

    def version(self) -> str:
        """``"<SCIP version> (OR-Tools <version>)"``."""
        try:
            import ortools

            scip = _scip_version()
            version = getattr(ortools, "__version__", "unknown")
            return f"{scip} (OR-Tools {version})" if scip else f"OR-Tools {version}"
        except Exception:  # pragma: no cover
            return "unknown"

    # -- parameters ---------------------------------------------------------------------

    def _parameters(self, options: SolverOptions, extra: dict) -> Any:
        from ortools.math_opt import parameters_pb2

        params = parameters_pb2.SolveParametersProto()
        left = options.remaining_s()  # what is left of the limit once the model is built
        if left is not None and self.pass_time_limit:
            params.time_limit.FromNanoseconds(int(round(float(left) * 1e9)))
        params.relative_gap_tolerance = float(options.relative_gap)
        params.absolute_gap_tolerance = PROOF_ABS_TOL
        params.random_seed = int(options.seed) % (2 ** 31)
        params.threads = 1
        if options.threads is not None and int(options.threads) != 1:
            extra["threads_ignored"] = int(options.threads)
        params.enable_output = False
        return params

    @staticmethod
    def _model_parameters(problem: MatrixProblem) -> tuple[Any, bool]:
        from ortools.math_opt import model_parameters_pb2

        mp = model_parameters_pb2.ModelSolveParametersProto()
        if problem.start is None or not problem.is_mip:
            return mp, False
        hint = mp.solution_hints.add()
        hint.variable_values.ids.extend(np.arange(problem.n_cols, dtype=np.int64))
        hint.variable_values.values.extend(problem.start)
        return mp, True

    # -- solve --------------------------------------------------------------------------

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        global _error_sink
        from ortools.math_opt import callback_pb2, parameters_pb2
        from ortools.math_opt.core.python import solver as core
        from ortools.util.python import pybind_solve_interrupter

        extra: dict = {}
        t0 = time.perf_counter()
        model = build_model_proto(problem)
        params = self._parameters(options, extra)
        model_params, has_start = self._model_parameters(problem)
        extra["build_seconds"] = round(time.perf_counter() - t0, 3)
        chunks: list[str] = []

        def on_messages(lines: list[str]) -> None:
            chunks.extend(lines)
            if options.log:
                for line in lines:
                    if line.strip():
                        logger.info("[scip] %s", line)

        interrupter = None
        if self._time_budget(options) is not None:
            _install_error_printer()
            interrupter = pybind_solve_interrupter.PySolveInterrupter()
        progress = ProgressReporter(options, self.name, problem.sense)
        registration = callback_pb2.CallbackRegistrationProto()
        on_event = None
        if progress.active and problem.is_mip:
            _install_error_printer()  # a callback, like an interrupter, sets off SCIP's harmless error lines
            registration.request_registration.extend((callback_pb2.CALLBACK_EVENT_MIP_SOLUTION,
                                                      callback_pb2.CALLBACK_EVENT_MIP_NODE))

            def on_event(data: Any) -> Any:  # a new plan or a node: SCIP's primal and dual bounds
                stats = data.mip_stats
                progress.report(incumbent=stats.primal_bound, bound=stats.dual_bound,
                                nodes=int(stats.explored_nodes))
                return callback_pb2.CallbackResultProto()
        watchdog = Watchdog(options, interrupter.interrupt if interrupter is not None else (lambda: None),
                            solver="SCIP", action="interrupting")
        started = time.perf_counter()
        with _error_sink_lock:
            _error_sink = chunks
        try:
            with watchdog:
                result = core.solve(model, parameters_pb2.SOLVER_TYPE_GSCIP,
                                    parameters_pb2.SolverInitializerProto(), params, model_params,
                                    on_messages, registration, on_event, interrupter)
        except Exception as exc:  # StatusNotOk: invalid model, parameters or result
            seconds = time.perf_counter() - started
            log = "\n".join(chunks)
            extra["mathopt_error"] = str(exc)
            if _UNBOUNDED_RE.search(log):
                # SCIP proved unboundedness and hands MathOpt a plan at infinity, which
                # MathOpt rejects; Backend.solve settles it with a feasibility check
                extra["infeasible_or_unbounded"] = True
                return build_result(self, problem, options, termination=Termination.OTHER,
                                    values=None, objective=None, bound=None, solve_seconds=seconds,
                                    log=log, extra=extra, message="SCIP: unbounded")
            return build_result(self, problem, options, termination=Termination.ERROR, values=None,
                                objective=None, bound=None, solve_seconds=seconds, log=log,
                                error=True, extra=extra, message=f"SCIP (MathOpt) failed: {exc}")
        finally:
            with _error_sink_lock:
                if _error_sink is chunks:
                    _error_sink = None
        seconds = time.perf_counter() - started
        progress.finish()
        log = "\n".join(chunks)
        if has_start:
            extra["start_accepted"] = _hint_accepted(log)
        return self._read_result(problem, options, result, seconds, log, extra, watchdog.killed)

    def _read_result(self, problem: MatrixProblem, options: SolverOptions, result: Any,
                     seconds: float, log: str, extra: dict, killed: bool) -> SolveResult:
        from ortools.math_opt import result_pb2, solution_pb2

        reasons = result_pb2.TerminationReasonProto
        limits = result_pb2.LimitProto
        term = result.termination
        reason, limit = term.reason, term.limit
        extra.update(mathopt_reason=reasons.Name(reason), mathopt_limit=limits.Name(limit),
                     mathopt_detail=term.detail)
        values = objective = None
        for sol in result.solutions:
            primal = sol.primal_solution
            if sol.HasField("primal_solution") and \
                    primal.feasibility_status == solution_pb2.SOLUTION_STATUS_FEASIBLE:
                values = np.zeros(problem.n_cols)
                ids = np.asarray(primal.variable_values.ids, dtype=np.int64)
                values[ids] = np.asarray(primal.variable_values.values, dtype=np.float64)
                objective = float(primal.objective_value)
                break
        dual = float(term.objective_bounds.dual_bound)
        bound = dual if np.isfinite(dual) else None
        extra["dual_bound"] = dual
        common: dict[str, Any] = dict(values=values, objective=objective, bound=bound, solve_seconds=seconds,
                      log=log, extra=extra)
        if reason == reasons.TERMINATION_REASON_OPTIMAL:
            proven = bound_meets_value(objective, bound)
            return build_result(self, problem, options,
                                termination=Termination.OPTIMAL if proven else Termination.GAP_LIMIT,
                                **common)
        if reason == reasons.TERMINATION_REASON_INFEASIBLE:
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra, infeasible=True)
        if reason in (reasons.TERMINATION_REASON_UNBOUNDED,
                      reasons.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED):
            # settled by Backend.solve with a zero-objective feasibility check
            extra["infeasible_or_unbounded"] = True
            return build_result(self, problem, options, termination=Termination.OTHER,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra, message=f"SCIP: {reasons.Name(reason)}")
        if reason in (reasons.TERMINATION_REASON_FEASIBLE,
                      reasons.TERMINATION_REASON_NO_SOLUTION_FOUND):
            if killed and limit in (limits.LIMIT_INTERRUPTED, limits.LIMIT_UNDETERMINED):
                return build_result(self, problem, options, termination=Termination.KILLED,
                                    message="SCIP overran time limit + grace and was interrupted",
                                    **common)
            if limit == limits.LIMIT_TIME:
                return build_result(self, problem, options, termination=Termination.TIME_LIMIT,
                                    **common)
            if limit == limits.LIMIT_INTERRUPTED:
                return build_result(self, problem, options, termination=Termination.INTERRUPTED,
                                    **common)
            return build_result(self, problem, options, termination=Termination.OTHER,
                                message=f"SCIP stopped: {limits.Name(limit)}", **common)
        # IMPRECISE, NUMERICAL_ERROR, OTHER_ERROR, UNSPECIFIED
        return build_result(self, problem, options, termination=Termination.ERROR, values=None,
                            objective=None, bound=None, solve_seconds=seconds, log=log, extra=extra,
                            error=True, message=f"SCIP: {reasons.Name(reason)} {term.detail}".strip())


def _hint_accepted(log: str) -> bool:
    """Whether SCIP's log says the hinted (candidate-storage) solution was feasible."""
    low = log.lower()
    if "solutions given by solution candidate storage are infeasible" in low:
        return False
    return "feasible solution given by solution candidate storage" in low
