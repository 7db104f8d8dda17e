"""CBC through the binary bundled with PuLP, as a subprocess.

The problem is written as free MPS (generic names ``C<j>``/``R<i>``, minimisation,
no objective constant) into a private temporary directory; CBC runs there in its own
process group and writes a solution file that is parsed back.

Time limits: CBC is known to overrun ``-sec`` at times (long root processing, some
heuristics). The backend waits ``time_limit + grace``, then sends SIGINT to CBC's
process group (CBC then stops and writes its incumbent), waits up to
:attr:`CbcBackend.interrupt_wait_s`, and finally sends SIGKILL. Such a result has
termination ``KILLED`` and carries the incumbent when the solution file has one.

Honesty: CBC's word "Optimal" is not taken alone. Without a relative gap
(``-ratio 0``) and with ``-allowableGap`` equal to the proof tolerance, "Optimal
solution found" means the search completed, and the bound equals the objective.
"(within gap tolerance)" with a positive ratio is a gap stop: the bound is read from
the log's ``Lower bound:`` line (printed with three decimals, so it is widened by
half a unit of its last digit to stay a valid bound) and the result is, in general,
feasible with its gap.

Progress: with ``options.on_progress``, each log line read through the pseudo-terminal
is looked at as it comes (:func:`parse_progress_line`): ``After N nodes ... best
solution, best possible``, ``Integer solution of ...`` and the root relaxation's value.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from solvers.base import Backend, Capabilities, SolverUnavailable, build_result
from solvers.isolation import KILL_MARGIN_S
from solvers.mps import MpsLayout, write_mps
from solvers.problem import MatrixProblem
from solvers.progress import ProgressReporter
from solvers.result import PROOF_ABS_TOL, SolveResult, SolverOptions, Termination

logger = logging.getLogger(__name__)

__all__ = ["CbcBackend", "CbcSolution", "parse_solution", "parse_log_bound", "parse_progress_line"]

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?|nan"
_OBJ_RE = re.compile(rf"objective value\s+({_NUMBER})", re.IGNORECASE)
_LOWER_RE = re.compile(rf"^Lower bound:\s+({_NUMBER})", re.MULTILINE)
_GAP_RE = re.compile(rf"^Gap:\s+({_NUMBER})", re.MULTILINE)
_BEST_POSSIBLE_RE = re.compile(rf"best possible\s+({_NUMBER})")
_CONTINUOUS_RE = re.compile(rf"Continuous objective value is\s+({_NUMBER})")
_RESULT_RE = re.compile(r"^Result - (.*)$", re.MULTILINE)
_VERSION_RE = re.compile(r"Version:\s*(\S+)")
#: "Cbc0010I After 100 nodes, 23 on tree, -106.3 best solution, best possible -107.9 (0.52 seconds)"
_NODES_LINE_RE = re.compile(rf"After (\d+) nodes, \d+ on tree, ({_NUMBER}) best solution, best possible ({_NUMBER})")
#: "Cbc0012I Integer solution of -106.3 found by DiveCoefficient after 140 iterations and 0 nodes (0.23 seconds)"
_INTEGER_LINE_RE = re.compile(rf"Integer solution of ({_NUMBER}) found")
#: CBC's figure for "no solution yet" (and for no bound)
_CBC_INFINITY = 1e49


@functools.lru_cache(maxsize=1)
def _bundled_path() -> str | None:
    """Path of PuLP's bundled CBC binary, or of ``cbc`` on ``PATH``; ``None`` if neither."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pulp

            path = getattr(pulp.PULP_CBC_CMD, "pulp_cbc_path", None) or pulp.PULP_CBC_CMD(msg=False).path
        if path and os.path.isfile(path):
            return os.path.abspath(path)
    except Exception:
        logger.debug("PuLP's bundled CBC not found", exc_info=True)
    return shutil.which("cbc")


@functools.lru_cache(maxsize=8)
def _binary_version(path: str) -> str:
    """CBC's version from its banner, e.g. ``"2.10.3"``."""
    try:
        out = subprocess.run([path, "-stop"], capture_output=True, text=True, timeout=30,
                             stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    match = _VERSION_RE.search(out)
    return match.group(1) if match else "unknown"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: have the kernel SIGKILL CBC if the Python process dies without cleaning up."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _log_terminal() -> tuple[int | None, int | None]:
    """A pseudo-terminal (master, slave) for CBC's output where there is one, else ``(None, None)``."""
    if not sys.platform.startswith(("linux", "darwin")):
        return None, None
    try:
        import pty
        import termios

        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # no "\r\n" translation
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        return master, slave
    except (ImportError, OSError):
        logger.debug("no pseudo-terminal for CBC's log; a pipe it is", exc_info=True)
        return None, None


def _to_float(text: str) -> float:
    return float(text.lower().replace("infinity", "inf"))


def _widened_lower(text: str) -> float:
    """A valid lower bound from a rounded printout: subtract half a unit of the last digit."""
    value = _to_float(text)
    if not math.isfinite(value):
        return value
    try:
        exponent = Decimal(text).as_tuple().exponent
    except InvalidOperation:  # pragma: no cover - guarded by the regex
        return value
    if not isinstance(exponent, int):  # pragma: no cover
        return value
    return value - 0.5 * 10.0 ** exponent


@dataclass(frozen=True)
class CbcSolution:
    """What a CBC solution file says.

    Attributes
    ----------
    state
        ``"optimal"``, ``"infeasible"``, ``"integer_infeasible"``, ``"unbounded"``,
        ``"stopped"`` or ``"unknown"``.
    status_line
        The file's first line, verbatim.
    objective
        Objective value in the file's terms, when printed.
    has_incumbent
        True when ``values`` is an integer-feasible plan (or an LP solution), not the
        relaxation CBC prints when it has none.
    values
        Column values by position, or ``None``.
    """

    state: str
    status_line: str
    objective: float | None
    has_incumbent: bool
    values: np.ndarray | None


def parse_solution(text: str, n_cols: int) -> CbcSolution:
    """Parse a CBC solution file written for an MPS file with ``C<j>`` column names.

    Parameters
    ----------
    text
        Content of the file written by ``-solution``.
    n_cols
        Number of columns of the problem.

    Returns
    -------
    CbcSolution
    """
    lines = text.splitlines()
    if not lines:
        return CbcSolution("unknown", "", None, False, None)
    head = lines[0].strip()
    low = head.lower()
    if low.startswith("optimal"):
        state = "optimal"
    elif low.startswith("integer infeasible"):
        state = "integer_infeasible"
    elif low.startswith("infeasible"):
        state = "infeasible"
    elif low.startswith("unbounded") or low.startswith("integer unbounded"):
        state = "unbounded"
    elif low.startswith("stopped"):
        state = "stopped"
    else:
        state = "unknown"
    match = _OBJ_RE.search(head)
    objective = _to_float(match.group(1)) if match else None
    has_incumbent = state in ("optimal", "stopped") and "no integer solution" not in low
    values = None
    if has_incumbent:
        values = np.zeros(n_cols)
        seen = np.zeros(n_cols, dtype=bool)
        for line in lines[1:]:
            parts = line.split()
            if parts and parts[0] == "**":
                parts = parts[1:]
            if len(parts) < 3 or not parts[1].startswith("C"):
                continue
            try:
                j = int(parts[1][1:])
            except ValueError:
                continue
            if 0 <= j < n_cols:
                values[j] = float(parts[2])
                seen[j] = True
        if not seen.any() and n_cols:
            has_incumbent, values = False, None
    return CbcSolution(state, head, objective, has_incumbent, values)


def parse_progress_line(line: str) -> tuple[float | None, float | None, int | None]:
    """What one line of CBC's log says of a running search: (incumbent, bound, nodes), in the file's terms.

    The file minimises (:class:`~solvers.mps.MpsLayout` maps back to the problem's terms).
    Reads ``Cbc0010I After N nodes, ... X best solution, best possible Y``, ``Integer
    solution of X found ...`` and the root relaxation's ``Continuous objective value is
    Y``; CBC's 1e50 (nothing yet) is ``None``. Any other line gives three ``None``.

    Examples
    --------
    >>> parse_progress_line("Cbc0010I After 100 nodes, 3 on tree, -106.3 best solution, "
    ...                     "best possible -107.9 (0.5 seconds)")
    (-106.3, -107.9, 100)
    >>> parse_progress_line("Cbc0012I Integer solution of -104 found by rounding after 2 iterations "
    ...                     "and 0 nodes (0.1 seconds)")
    (-104.0, None, None)
    """
    def finite(text: str) -> float | None:
        value = _to_float(text)
        return value if math.isfinite(value) and abs(value) < _CBC_INFINITY else None

    match = _NODES_LINE_RE.search(line)
    if match:
        return finite(match.group(2)), finite(match.group(3)), int(match.group(1))
    match = _INTEGER_LINE_RE.search(line)
    if match:
        return finite(match.group(1)), None, None
    match = _CONTINUOUS_RE.search(line)
    if match:
        return None, finite(match.group(1)), None
    return None, None, None


def parse_log_bound(log: str) -> float | None:
    """The proven lower bound (file terms, minimisation) printed in a CBC log.

    Uses the final ``Lower bound:`` line, else the last ``best possible`` figure, else the
    root LP relaxation's ``Continuous objective value``, each widened by half a unit of its
    last printed digit so that rounding in the printout
    cannot make it claim more than CBC proved.
    """
    found = _LOWER_RE.findall(log)
    if found:
        return _widened_lower(found[-1])
    found = _BEST_POSSIBLE_RE.findall(log)
    if found:
        return _widened_lower(found[-1])
    found = _CONTINUOUS_RE.findall(log)  # the root LP relaxation: a bound before any branching
    if found:
        return _widened_lower(found[-1])
    return None


class CbcBackend(Backend):
    """COIN-OR CBC, the binary bundled with PuLP (or ``cbc`` on ``PATH``).

    Parameters
    ----------
    path
        CBC executable to use instead of the bundled one.
    """

    name: ClassVar[str] = "cbc"
    extra: ClassVar[str] = "lifecircle[cbc]"
    capabilities: ClassVar[Capabilities] = Capabilities(
        supports_mip=True, supports_start=True, supports_threads=True, supports_seed=True,
        reports_bound=True, honours_time_limit=False, in_process=False,
    )

    #: seconds between SIGINT and SIGKILL, at most (and at most half the grace): SIGKILL
    #: comes at the end of the limit plus the grace, SIGINT this long before
    interrupt_wait_s: float = 5.0

    def __init__(self, path: str | None = None) -> None:
        self.path = path

    @classmethod
    def available(cls) -> bool:
        """True when the CBC binary exists and is executable."""
        try:
            path = _bundled_path()
            return path is not None and path != "" and os.access(path, os.X_OK)
        except Exception:  # pragma: no cover
            return False

    def _binary(self) -> str:
        path = self.path or _bundled_path()
        if not path or not os.access(path, os.X_OK):
            raise SolverUnavailable(self.name, self.extra, f"no executable CBC at {path!r}")
        return path

    def _ensure_available(self) -> None:
        self._binary()

    def version(self) -> str:
        """CBC version from the binary's banner."""
        try:
            return _binary_version(self._binary())
        except SolverUnavailable:
            return "unavailable"

    # -- command line -------------------------------------------------------------------

    def _arguments(self, problem: MatrixProblem, options: SolverOptions,
                   has_start: bool) -> list[str]:
        args = [self._binary(), "model.mps"]
        left = options.remaining_s()  # what is left of the limit once the model is written
        if left is not None and self.pass_time_limit:
            args += ["-timeMode", "elapsed", "-sec", f"{float(left):.6g}"]
        args += ["-ratioGap", f"{float(options.relative_gap):.12g}",
                 "-allowableGap", f"{PROOF_ABS_TOL:g}"]
        if options.threads is not None:
            args += ["-threads", str(int(options.threads))]
        if options.seed > 0:
            # 0 would mean "time of day" to CBC and Clp; leave their fixed defaults then
            args += ["-randomCbcSeed", str(int(options.seed)), "-randomSeed", str(int(options.seed))]
        if has_start:
            args += ["-mipStart", "start.mst"]
        args += ["-solve", "-printingOptions", "all", "-solution", "solution.txt"]
        return args

    @staticmethod
    def _write_start(problem: MatrixProblem, layout: MpsLayout, path: Path) -> None:
        assert problem.start is not None
        idx = np.arange(problem.n_cols)
        names = np.asarray(layout.col_names)
        body = np.char.add(np.char.add(np.char.add(idx.astype(str), " "), names),
                           np.char.add(" ", problem.start.astype(str)))
        path.write_text("Stopped on time - objective value 0\n" + "\n".join(body.tolist()) + "\n")

    # -- process ------------------------------------------------------------------------

    def _run(self, args: list[str], cwd: str, options: SolverOptions,
             on_line: Callable[[str], None] | None = None) -> tuple[list[str], bool, int]:
        """Run CBC, stream its log; return (log lines, killed by the watchdog, return code).

        ``on_line`` is called with each log line as CBC prints it (the progress report).
        """
        lines: list[str] = []
        # a pseudo-terminal makes CBC flush every line: a pipe would leave its log (and the
        # bound in it) in CBC's buffer, lost if CBC has to be killed
        master, slave = _log_terminal()
        proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=slave if slave is not None else subprocess.PIPE,
                                stderr=slave if slave is not None else subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        if slave is not None:
            os.close(slave)

        def keep(raw: bytes) -> None:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if on_line is not None:
                on_line(line)
            if options.log and line.strip():
                logger.info("[cbc] %s", line)

        def pump() -> None:
            if master is None:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    keep(raw)
                return
            pending = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: CBC's side is closed
                    break
                if not chunk:
                    break
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for raw in complete:
                    keep(raw)
            if pending:
                keep(pending)

        reader = threading.Thread(target=pump, name="cbc-log", daemon=True)
        reader.start()
        killed = False
        try:
            stop_in = options.stop_in_s()  # end of the limit plus the grace: the hard stop
            if stop_in is None:
                proc.wait()
            else:
                # SIGINT early enough that CBC can write its incumbent before the hard stop
                interrupt_wait = min(self.interrupt_wait_s, 0.5 * options.grace)
                try:
                    proc.wait(timeout=max(stop_in - interrupt_wait, 0.0))
                except subprocess.TimeoutExpired:
                    killed = True
                    logger.warning("CBC overran its time limit (%.1f s + %.1f s grace); sending SIGINT",
                                   options.time_limit_s, options.grace)
                    self._signal(proc, signal.SIGINT)
                    try:  # SIGKILL a little before the end, so that reading what CBC left fits in the grace
                        margin = min(KILL_MARGIN_S, 0.1 * options.grace)
                        proc.wait(timeout=max((options.stop_in_s() or 0.0) - margin, 0.0))
                    except subprocess.TimeoutExpired:
                        logger.warning("CBC ignored SIGINT for %.1f s; sending SIGKILL before the end of the grace",
                                       interrupt_wait)
                        self._signal(proc, signal.SIGKILL)
                        proc.wait()
        finally:
            if proc.poll() is None:  # interrupted from outside (e.g. KeyboardInterrupt)
                self._signal(proc, signal.SIGKILL)
                proc.wait()
            reader.join(timeout=5.0)
            if master is not None:
                with contextlib.suppress(OSError):
                    os.close(master)
        return lines, killed, int(proc.returncode)

    @staticmethod
    def _signal(proc: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    # -- solve --------------------------------------------------------------------------

    def _solve(self, problem: MatrixProblem, options: SolverOptions) -> SolveResult:
        extra: dict = {}
        with tempfile.TemporaryDirectory(prefix="lifecircle-cbc-") as tmp:
            layout = write_mps(problem, Path(tmp) / "model.mps", names="generic",
                               write_offset=False)
            has_start = problem.start is not None and problem.is_mip
            if has_start:
                self._write_start(problem, layout, Path(tmp) / "start.mst")
            args = self._arguments(problem, options, has_start)
            logger.debug("running %s in %s", " ".join(args), tmp)
            progress = ProgressReporter(options, self.name, problem.sense)
            on_line = None
            if progress.active and problem.is_mip:
                def on_line(line: str) -> None:  # the figures CBC prints as it goes, in the problem's terms
                    incumbent, bound, nodes = parse_progress_line(line)
                    if incumbent is not None or bound is not None or nodes is not None:
                        progress.report(incumbent=layout.to_problem_objective(incumbent),
                                        bound=layout.to_problem_objective(bound), nodes=nodes)
            started = time.perf_counter()
            lines, killed, code = self._run(args, tmp, options, on_line)
            seconds = time.perf_counter() - started
            progress.finish()
            sol_path = Path(tmp) / "solution.txt"
            sol_text = sol_path.read_text(errors="replace") if sol_path.exists() else ""
        log = "\n".join(lines)
        extra.update(returncode=code, killed=killed)
        if has_start:
            extra["start_accepted"] = "MIPStart provided solution" in log
        return self._interpret(problem, options, layout, sol_text, log, seconds, killed, extra)

    def _interpret(self, problem: MatrixProblem, options: SolverOptions, layout: MpsLayout,
                   sol_text: str, log: str, seconds: float, killed: bool,
                   extra: dict) -> SolveResult:
        common: dict[str, Any] = dict(solve_seconds=seconds, log=log, extra=extra)
        if not sol_text:
            if killed:  # the bound CBC had reached is in its log (flushed line by line)
                bound = layout.to_problem_objective(parse_log_bound(log)) if problem.is_mip else None
                return build_result(self, problem, options, termination=Termination.KILLED,
                                    values=None, objective=None, bound=bound,
                                    message="CBC was stopped before writing a solution", **common)
            return build_result(self, problem, options, termination=Termination.ERROR,
                                values=None, objective=None, bound=None, error=True,
                                message=f"CBC wrote no solution (exit code {extra['returncode']})",
                                **common)
        sol = parse_solution(sol_text, problem.n_cols)
        results = _RESULT_RE.findall(log)
        result_line = results[-1].strip() if results else ""
        extra.update(cbc_status=sol.status_line, cbc_result=result_line)
        gaps = _GAP_RE.findall(log)
        if gaps:
            extra["cbc_gap"] = gaps[-1]

        values = sol.values if sol.has_incumbent else None
        objective = layout.to_problem_objective(sol.objective) if values is not None else None
        if values is not None and objective is not None:
            recomputed = problem.objective_value(values)
            if abs(recomputed - objective) > 1e-6 * max(1.0, abs(objective)):
                extra["objective_recomputed"] = recomputed
        file_bound = parse_log_bound(log) if problem.is_mip else None
        log_bound = layout.to_problem_objective(file_bound)
        # to_problem_objective negates for maximisation: a file lower bound is then an
        # upper bound on the maximum, as it should be.

        if sol.state == "optimal":
            # CBC writes "Optimal" only when its search completed, even if our SIGINT
            # arrived just after; an interrupted search is "Stopped on ..."
            within_gap = "within gap tolerance" in result_line
            if not problem.is_mip or not within_gap or options.relative_gap <= 0.0:
                # search completed (or LP optimal): CBC's bound is its objective, up to
                # -allowableGap, which is the proof tolerance
                return build_result(self, problem, options, termination=Termination.OPTIMAL,
                                    values=values, objective=objective, bound=objective, **common)
            return build_result(self, problem, options, termination=Termination.GAP_LIMIT,
                                values=values, objective=objective, bound=log_bound,
                                message="CBC stopped within its relative gap tolerance", **common)
        if sol.state == "infeasible":
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, infeasible=True, **common)
        if sol.state == "integer_infeasible":
            if "infeasible or unbounded" in log:
                extra["infeasible_or_unbounded"] = True
                return build_result(self, problem, options, termination=Termination.OTHER,
                                    values=None, objective=None, bound=None,
                                    message="CBC: infeasible or unbounded", **common)
            return build_result(self, problem, options, termination=Termination.INFEASIBLE,
                                values=None, objective=None, bound=None, infeasible=True, **common)
        if sol.state == "unbounded":
            extra["infeasible_or_unbounded"] = True
            return build_result(self, problem, options, termination=Termination.OTHER,
                                values=None, objective=None, bound=None,
                                message="CBC: unbounded", **common)
        if killed:
            termination = Termination.KILLED
            message = "CBC overran time limit + grace and was interrupted"
        elif "Stopped on time" in sol.status_line or "time limit" in result_line.lower():
            termination, message = Termination.TIME_LIMIT, ""
        elif "ctrl-c" in sol.status_line.lower() or "ctrl-c" in result_line.lower():
            termination, message = Termination.INTERRUPTED, ""
        else:
            termination, message = Termination.OTHER, f"CBC: {sol.status_line}"
        return build_result(self, problem, options, termination=termination, values=values,
                            objective=objective, bound=log_bound, message=message, **common)
