"""CP-SAT (OR-Tools), in process: exact, for problems it can take exactly.

CP-SAT solves integer programmes over integer coefficients. A :class:`MatrixProblem`
is translated without approximation or refused *before* solving
(:class:`~solvers.base.UnsupportedProblem`, from :meth:`CpSatBackend.check`):

- **Variables.** Integer columns are taken as they are. A continuous column is taken
  only when ``problem.metadata["integral_at_optimum"]`` (a boolean mask over the
  columns) marks it: the caller vouches that some optimum has it integral, so it is
  modelled as an integer within its bounds. Any other continuous column is refused.
  Bounds are rounded inwards (``ceil`` of the lower, ``floor`` of the upper, after a
  1e-9 relative tolerance), which is exact for integers. An infinite bound is refused:
  CP-SAT needs finite domains and no finite bound is derived (one valid for every
  optimum exists in theory, but is far too large to help).
- **Rows.** Each row is multiplied by the smallest power of ten, up to
  ``10**MAX_SCALE_EXPONENT``, that makes all its coefficients integral within a 1e-9
  relative tolerance; a row that no such power makes integral is refused (the message
  counts them). The row bounds then need not be integral: the activity of an integer
  row over integer variables is an integer, so ``lower <= a x`` becomes
  ``ceil(lower) <= a x`` exactly (likewise ``floor`` for the upper side). An empty
  integer interval proves the problem infeasible without calling CP-SAT.
- **Objective.** Scaled the same way, by one power of ten for the whole objective, and
  divided back: value and bound are reported in the problem's units and computed from
  integers, so "the bound meets the value" is exact. An objective that needs more than
  ``MAX_SCALE_EXPONENT`` decimal digits is refused (CP-SAT's floating-point objective
  is scaled internally with a tolerance, which would not prove an optimum).
- **Sizes.** Every activity (and the objective) must stay below ``2**53`` in absolute
  value, so that the arithmetic above is exact in ``float64`` and cannot overflow
  CP-SAT's 64-bit integers; larger models are refused.

Statuses: ``OPTIMAL`` and ``FEASIBLE`` carry the plan; the bound is CP-SAT's inner
objective lower bound (an integer) divided back, and :func:`~solvers.result.classify`
decides "optimal" (a relative gap limit > 0 makes CP-SAT say ``OPTIMAL`` early; that is
then "feasible" with its gap). ``INFEASIBLE`` is a proof; ``MODEL_INVALID`` is an error
(the translation validates the model first, so it should not happen); ``UNKNOWN`` is a
stop without a plan.

Options: what is left of ``time_limit_s`` after the translation -> ``max_time_in_seconds``,
``threads`` -> ``num_workers``
(:data:`DEFAULT_WORKERS` when ``None``, whatever the number of cores), ``seed`` ->
``random_seed``, ``relative_gap`` -> ``relative_gap_limit``; a warm start is passed
with ``AddHint`` (values rounded into the integer domains); ``extra["start_accepted"]``
says whether CP-SAT found the hint complete and feasible. The log
(``log_search_progress``) is always kept in :attr:`SolveResult.log`, never printed, and
forwarded to this module's logger at INFO only when ``options.log``. Watchdog: a timer
calls ``StopSearch`` at ``time_limit + grace``; the result is then ``KILLED``.

Speed: the demo (8,391 columns, 10,311 rows, 65,989 nonzeros) is translated in about
10 ms and handed to CP-SAT in about 0.2 s (one proto entry per column and per row, no
loop over nonzeros).

Progress: with ``options.on_progress``, a solution callback reports each new plan's value
and the best bound at that moment (CP-SAT calls back on solutions only, so the bound
shown moves when a plan is found).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from solvers.base import Backend, Capabilities, UnsupportedProblem, Watchdog, build_result, module_imports
from solvers.problem import MatrixProblem, Sense
from solvers.progress import ProgressReporter
from solvers.result import SolveResult, SolverOptions, Termination, bound_meets_value

logger = logging.getLogger(__name__)

__all__ = ["CpSatBackend", "CpSatModel", "translate", "row_scale_exponents",
           "MAX_SCALE_EXPONENT", "INTEGRAL_RTOL", "DEFAULT_WORKERS"]

#: rows and the objective may be multiplied by at most ``10 ** MAX_SCALE_EXPONENT``
MAX_SCALE_EXPONENT = 6

#: a scaled coefficient is integral when within this much of an integer, relative to
#: ``max(1, |value|)``; bounds are rounded inwards after the same tolerance
INTEGRAL_RTOL = 1e-9

#: largest absolute activity, bound or objective value taken (exact in float64)
MAX_EXACT = float(2 ** 53)

#: workers when ``options.threads`` is None. CP-SAT's portfolio includes its bound-improving
#: subsolvers (``max_lp``, ``reduced_costs``, objective lower-bound search) only from about
#: 8 workers; with its own default (one per core) a 2-core machine runs none of them and
#: the demo's gap stays at 60 % after 120 s, against 0.2 % with 8 workers.
DEFAULT_WORKERS = 8

#: what to use instead when CP-SAT refuses
ALTERNATIVES = ("highs", "scip")


def _is_integral(values: np.ndarray) -> np.ndarray:
    return np.abs(values - np.round(values)) <= INTEGRAL_RTOL * np.maximum(1.0, np.abs(values))


def row_scale_exponents(matrix: Any, max_exponent: int = MAX_SCALE_EXPONENT) -> np.ndarray:
    """For each row of a CSR matrix, the smallest ``k <= max_exponent`` such that
    ``10**k`` times every coefficient of the row is integral; ``-1`` where none is.

    Vectorised over the nonzeros: one pass per exponent, no loop over rows.
    """
    m = matrix.shape[0]
    data = np.asarray(matrix.data, dtype=np.float64)
    row_of = np.repeat(np.arange(m), np.diff(matrix.indptr))
    exponent = np.full(m, -1, dtype=np.int64)
    open_rows = np.ones(m, dtype=bool)
    for k in range(max_exponent + 1):
        bad = ~_is_integral(data * 10.0 ** k)
        bad_per_row = np.bincount(row_of[bad], minlength=m) if bad.any() else np.zeros(m, np.int64)
        fits = open_rows & (bad_per_row == 0)
        exponent[fits] = k
        open_rows &= ~fits
        if not open_rows.any():
            break
    return exponent


def _round_in(lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer interval inside ``[lower, upper]`` (float arrays; infinities stay)."""
    with np.errstate(invalid="ignore"):
        lo = np.where(np.isfinite(lower), np.ceil(lower - INTEGRAL_RTOL * np.maximum(1.0, np.abs(lower))), lower)
        hi = np.where(np.isfinite(upper), np.floor(upper + INTEGRAL_RTOL * np.maximum(1.0, np.abs(upper))), upper)
    return lo, hi


@dataclass(frozen=True)
class CpSatModel:
    """A :class:`MatrixProblem` in exact integer form (what CP-SAT receives).

    Attributes
    ----------
    col_lower, col_upper
        Integer domains of the variables (int64).
    indptr, indices, coefficients
        Integer rows, CSR (coefficients int64, zeros dropped; scaled rows).
    row_lower, row_upper
        Integer bounds of each scaled row, clipped to the row's possible activity
        (int64, always finite).
    row_exponent
        Power of ten each row was multiplied by.
    keep_row
        Rows passed to CP-SAT (the others cannot be violated within the domains).
    objective
        Integer objective coefficients (``10**objective_exponent`` times the problem's).
    objective_exponent
        Power of ten the objective was multiplied by.
    empty_domains
        Number of variables and rows whose integer interval is empty: the problem is
        then infeasible.
    marked_continuous
        Continuous columns modelled as integers (marked integral at an optimum).
    """

    col_lower: np.ndarray
    col_upper: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    coefficients: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_exponent: np.ndarray
    keep_row: np.ndarray
    objective: np.ndarray
    objective_exponent: int
    empty_domains: int
    marked_continuous: int

    @property
    def objective_scale(self) -> float:
        """Factor that turned the objective into integers."""
        return float(10 ** self.objective_exponent)


def _refuse(reason: str) -> UnsupportedProblem:
    return UnsupportedProblem(CpSatBackend.name, reason, ALTERNATIVES)


def _row_label(problem: MatrixProblem, i: int) -> str:
    if problem.row_names is not None:
        return f"row {i} ({problem.row_names[i]!r})"
    return f"row {i}"


def translate(problem: MatrixProblem) -> CpSatModel:
    """The exact integer form of ``problem``, or :class:`UnsupportedProblem` saying why not.

    See the module documentation for the rules.
    """
    n, m = problem.n_cols, problem.n_rows
    # -- variables
    integer = problem.integrality.copy()
    marked_count = 0
    mask = problem.metadata.get("integral_at_optimum") if problem.metadata else None
    if mask is not None:
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (n,):
            raise _refuse(f"metadata['integral_at_optimum'] must be a boolean mask of {n} entries, "
                          f"got dtype {mask.dtype} and shape {mask.shape}")
        marked_count = int((mask & ~integer).sum())
        integer |= mask
    continuous = int((~integer).sum())
    if continuous:
        first = f", first: {problem.col_names[int(np.argmin(integer))]!r}" if problem.col_names else ""
        raise _refuse(f"CP-SAT needs integer variables; this model has {continuous} continuous "
                      f"one{'s' if continuous != 1 else ''} not marked integral at an optimum "
                      f"(such as capacitated mode's areas and assignments{first})")
    unbounded = int((~np.isfinite(problem.col_lower) | ~np.isfinite(problem.col_upper)).sum())
    if unbounded:
        raise _refuse(f"CP-SAT needs finite variable bounds; {unbounded} variable"
                      f"{'s are' if unbounded != 1 else ' is'} unbounded")
    col_lo, col_hi = _round_in(problem.col_lower, problem.col_upper)
    if n and max(np.abs(col_lo).max(), np.abs(col_hi).max()) > MAX_EXACT:
        raise _refuse(f"variable bounds beyond +-2**53 cannot be handled exactly (largest "
                      f"{max(np.abs(col_lo).max(), np.abs(col_hi).max()):.3g})")
    empty = int((col_lo > col_hi).sum())
    col_hi = np.maximum(col_hi, col_lo)  # an empty domain is reported, not passed on

    # -- rows
    a = problem.matrix.tocsr(copy=True)
    a.sum_duplicates()
    a.eliminate_zeros()
    exponent = row_scale_exponents(a)
    refused = np.flatnonzero(exponent < 0)
    if refused.size:
        raise _refuse(
            f"CP-SAT needs integer constraint coefficients; {refused.size} row"
            f"{'s have' if refused.size != 1 else ' has'} coefficients that no power of ten up to "
            f"10^{MAX_SCALE_EXPONENT} makes integral (first: {_row_label(problem, int(refused[0]))})")
    scale = 10.0 ** exponent
    row_of = np.repeat(np.arange(m), np.diff(a.indptr))
    scaled = a.data * scale[row_of]
    if scaled.size and np.abs(scaled).max() > MAX_EXACT:
        i = int(row_of[np.argmax(np.abs(scaled))])
        raise _refuse(f"constraint coefficients beyond +-2**53 cannot be handled exactly "
                      f"({_row_label(problem, i)})")
    coefficients = np.round(scaled).astype(np.int64)
    cols = a.indices.astype(np.int64)
    # possible activity of each scaled row within the integer domains
    lo_term = np.minimum(coefficients * col_lo[cols], coefficients * col_hi[cols])
    hi_term = np.maximum(coefficients * col_lo[cols], coefficients * col_hi[cols])
    act_lo = np.bincount(row_of, weights=lo_term, minlength=m)
    act_hi = np.bincount(row_of, weights=hi_term, minlength=m)
    biggest = np.bincount(row_of, weights=np.maximum(np.abs(lo_term), np.abs(hi_term)), minlength=m)
    if m and biggest.max() > MAX_EXACT:
        i = int(np.argmax(biggest))
        raise _refuse(f"row activities beyond +-2**53 cannot be handled exactly "
                      f"({_row_label(problem, i)} reaches {biggest[i]:.3g} after scaling by "
                      f"10^{int(exponent[i])})")
    row_lo, row_hi = _round_in(problem.row_lower * scale, problem.row_upper * scale)
    empty += int((row_lo > row_hi).sum() + ((row_lo > act_hi) | (row_hi < act_lo)).sum())
    keep = (row_lo > act_lo) | (row_hi < act_hi)  # else no plan within the domains violates it
    row_lo = np.clip(row_lo, act_lo, act_hi)  # finite, within the possible activity
    row_hi = np.clip(row_hi, row_lo, act_hi)  # empty intervals are counted above, not passed on

    # -- objective
    c = problem.objective
    obj_exp = int(row_scale_exponents(_one_row(c))[0]) if n else 0
    if obj_exp < 0:
        bad = int((~_is_integral(c * 10.0 ** MAX_SCALE_EXPONENT)).sum())
        raise _refuse(f"CP-SAT would prove the optimum only of a rounded objective; {bad} objective "
                      f"coefficient{'s need' if bad != 1 else ' needs'} more than "
                      f"{MAX_SCALE_EXPONENT} decimal digits")
    if n and np.abs(c).max() * 10.0 ** obj_exp > MAX_EXACT:
        raise _refuse("objective coefficients beyond +-2**53 cannot be handled exactly")
    objective = np.round(c * 10.0 ** obj_exp).astype(np.int64)
    obj_size = float(np.sum(np.abs(objective) * np.maximum(np.abs(col_lo), np.abs(col_hi)))) if n else 0.0
    if obj_size > MAX_EXACT:
        raise _refuse(f"objective values beyond +-2**53 cannot be handled exactly (up to {obj_size:.3g} "
                      f"after scaling by 10^{obj_exp})")
    return CpSatModel(
        col_lower=col_lo.astype(np.int64), col_upper=col_hi.astype(np.int64),
        indptr=a.indptr.astype(np.int64), indices=cols, coefficients=coefficients,
        row_lower=row_lo.astype(np.int64), row_upper=row_hi.astype(np.int64),
        row_exponent=exponent, keep_row=keep, objective=objective, objective_exponent=obj_exp,
        empty_domains=empty, marked_continuous=marked_count,
    )


def _one_row(values: np.ndarray) -> Any:
    import scipy.sparse as sp

    return sp.csr_matrix(np.asarray(values, dtype=np.float64).reshape(1, -1))





class CpSatBackend(Backend):
    """OR-Tools CP-SAT (package ``ortools``): integer problems only, solved exactly."""

    name: ClassVar[str] = "cpsat"
    extra: ClassVar[str] = "ortools"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=True, supports_threads=True, supports_seed=True,
        reports_bound=True, honours_time_limit=True, in_process=True,
        supports_continuous=False, supports_infinite_bounds=False,
        supports_fractional_coefficients=False,
    )

    @classmethod
    def available(cls) -> bool:
        """True when ``ortools.sat.python.cp_model`` imports (checked once per process)."""
        return module_imports("ortools.sat.python.cp_model")

    def version(self) -> str:
        """OR-Tools version, e.g. ``"9.15.6755"``."""
        try:
            import ortools

            return str(getattr(ortools, "__version__", "unknown"))
        except Exception:  # pragma: no cover
            return "unknown"

    def check(self, problem: MatrixProblem) -> None:
        """Refuse what CP-SAT cannot take exactly (see the module documentation)."""
        super().check(problem)
        translate(problem)

    # -- model --------------------------------------------------------------------------

    @staticmethod
    def _build(problem: MatrixProblem, t: CpSatModel) -> Any:
        """The CP-SAT model: one proto entry per variable and per kept row (no per-nonzero loop)."""
        from ortools.sat.python import cp_model

        model = cp_model.CpModel()
        proto = model.proto
        variables = proto.variables
        for lo, hi in zip(t.col_lower.tolist(), t.col_upper.tolist(), strict=True):
            variables.add().domain.extend((lo, hi))
        constraints = proto.constraints
        indptr = t.indptr.tolist()
        indices, coefficients = t.indices, t.coefficients
        row_lo, row_hi = t.row_lower.tolist(), t.row_upper.tolist()
        for i in np.flatnonzero(t.keep_row).tolist():
            a, b = indptr[i], indptr[i + 1]
            linear = constraints.add().linear
            linear.vars.extend(indices[a:b].tolist())
            linear.coeffs.extend(coefficients[a:b].tolist())
            linear.domain.extend((row_lo[i], row_hi[i]))
        nz = np.flatnonzero(t.objective)
        if nz.size:
            objective = proto.objective
            objective.vars.extend(nz.tolist())
            if problem.sense is Sense.MAXIMIZE:  # CP-SAT minimises: -c, reported with factor -1
                objective.coeffs.extend((-t.objective[nz]).tolist())
                objective.scaling_factor = -1.0
            else:
                objective.coeffs.extend(t.objective[nz].tolist())
                objective.scaling_factor = 1.0
        return model

    @staticmethod
    def _set_hint(model: Any, problem: MatrixProblem, t: CpSatModel) -> bool:
        if problem.start is None:
            return False
        start = np.clip(np.round(problem.start), t.col_lower, t.col_upper).astype(np.int64)
        hint = model.proto.solution_hint
        hint.vars.extend(range(problem.n_cols))
        hint.values.extend(start.tolist())
        return True

    def _parameters(self, solver: Any, options: SolverOptions) -> None:
        params = solver.parameters
        left = options.remaining_s()  # what is left of the limit once the model is translated and built
        if left is not None and self.pass_time_limit:
            params.max_time_in_seconds = float(left)
        params.num_workers = (DEFAULT_WORKERS if options.threads is None
                              else max(int(options.threads), 1))
        params.random_seed = int(options.seed)
        params.relative_gap_limit = float(options.relative_gap)
        params.log_search_progress = True
        params.log_to_stdout = False

    # -- solve --------------------------------------------------------------------------

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        from ortools.sat.python import cp_model

        t0 = time.perf_counter()
        t = translate(problem)
        extra: dict = {"row_scale_exponents": _histogram(t.row_exponent),
                       "objective_scale_exponent": t.objective_exponent,
                       "marked_continuous": t.marked_continuous,
                       "rows_passed": int(t.keep_row.sum())}
        if t.empty_domains:
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None,
                                solve_seconds=time.perf_counter() - t0, infeasible=True, extra=extra,
                                message=f"{t.empty_domains} variable or row interval(s) contain no "
                                        "integer: proven infeasible without calling CP-SAT")
        model = self._build(problem, t)
        has_start = self._set_hint(model, problem, t)
        extra["build_seconds"] = round(time.perf_counter() - t0, 3)
        invalid = model.validate()
        if invalid:  # translate() should have refused anything CP-SAT rejects
            return build_result(self, problem, options, termination=Termination.ERROR, values=None,
                                objective=None, bound=None, solve_seconds=0.0, error=True,
                                extra=extra, message=f"CP-SAT rejected the model: {invalid}")

        solver = cp_model.CpSolver()
        self._parameters(solver, options)
        chunks: list[str] = []

        def on_log(text: str) -> None:
            chunks.append(text)
            if options.log:
                for line in text.splitlines():
                    if line.strip():
                        logger.info("[cpsat] %s", line)

        solver.log_callback = on_log
        watchdog = Watchdog(options, solver.stop_search, solver="CP-SAT", action="stopping")
        started = time.perf_counter()
        progress = ProgressReporter(options, self.name, problem.sense)
        with watchdog:
            status = solver.solve(model, _progress_callback(progress, t, problem) if progress.active else None)
        seconds = time.perf_counter() - started
        progress.finish()
        log = "\n".join(chunks)
        if has_start:
            extra["start_accepted"] = ("solution hint is complete and is feasible" in log
                                       and "hint is complete, but it is infeasible" not in log)
        return self._read_result(problem, options, t, solver, status, seconds, log, extra,
                                 watchdog.killed)

    def _read_result(self, problem: MatrixProblem, options: SolverOptions, t: CpSatModel,
                     solver: Any, status: Any, seconds: float, log: str, extra: dict,
                     killed: bool) -> SolveResult:
        from ortools.sat.python import cp_model

        name = solver.status_name(status)
        response = solver.response_proto
        extra.update(cpsat_status=name, num_workers=int(solver.parameters.num_workers),
                     wall_time=float(solver.wall_time),
                     branches=int(solver.num_branches), conflicts=int(solver.num_conflicts))
        values = objective = bound = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            x = np.asarray(list(response.solution), dtype=np.int64)
            values = x.astype(np.float64)
            inner = int(np.dot(t.objective, x)) if x.size else 0  # exact: |value| < 2**53
            sign = -1 if problem.sense is Sense.MAXIMIZE else 1
            objective = inner / t.objective_scale + problem.objective_offset
            if t.objective.any():
                # CP-SAT minimises sign * inner; its lower bound on that, divided back
                lb = float(response.inner_objective_lower_bound)
                bound = sign * lb / t.objective_scale + problem.objective_offset
            elif status == cp_model.OPTIMAL:
                bound = objective  # nothing to optimise: any plan is optimal
        common: dict[str, Any] = dict(values=values, objective=objective, bound=bound, solve_seconds=seconds,
                      log=log, extra=extra)
        if status == cp_model.INFEASIBLE:
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra, infeasible=True)
        if status == cp_model.MODEL_INVALID:
            return build_result(self, problem, options, termination=Termination.ERROR,
                                values=None, objective=None, bound=None, solve_seconds=seconds,
                                log=log, extra=extra, error=True, message="CP-SAT: model invalid")
        if status == cp_model.OPTIMAL:
            proven = bound_meets_value(objective, bound)
            return build_result(self, problem, options,
                                termination=Termination.OPTIMAL if proven else Termination.GAP_LIMIT,
                                **common)
        # FEASIBLE or UNKNOWN: stopped early
        if killed:
            return build_result(self, problem, options, termination=Termination.KILLED,
                                message="CP-SAT overran time limit + grace and was stopped", **common)
        given = float(solver.parameters.max_time_in_seconds) if options.time_limit_s is not None and \
            self.pass_time_limit else None
        if given is not None and seconds >= 0.95 * given:
            return build_result(self, problem, options, termination=Termination.TIME_LIMIT, **common)
        return build_result(self, problem, options, termination=Termination.OTHER,
                            message=f"CP-SAT: {name}", **common)


def _progress_callback(progress: ProgressReporter, t: CpSatModel, problem: MatrixProblem) -> Any:
    """A CP-SAT solution callback that reports each new plan's value and the bound then, in the problem's terms."""
    from ortools.sat.python import cp_model

    class _Report(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            # ObjectiveValue and BestObjectiveBound carry the model's scaling factor (-1 when
            # maximising): the scaled objective c.x and its bound, divided back here
            progress.report(incumbent=self.ObjectiveValue() / t.objective_scale + problem.objective_offset,
                            bound=self.BestObjectiveBound() / t.objective_scale + problem.objective_offset)

    return _Report()


def _histogram(exponents: np.ndarray) -> dict[str, int]:
    """``{"10^k": rows}`` for the row scalings used."""
    if exponents.size == 0:
        return {}
    ks, counts = np.unique(exponents, return_counts=True)
    return {f"10^{int(k)}": int(c) for k, c in zip(ks, counts, strict=True)}
