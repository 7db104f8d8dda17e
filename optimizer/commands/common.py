"""What every ``lifecircle`` command shares: progress lines, scenario loading, error exits.

Kept apart from :mod:`optimizer.cli` so that command modules can use them without
importing the command group that imports them.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from optimizer.errors import LifecircleError

if TYPE_CHECKING:
    from solvers.result import SolveProgress

log = logging.getLogger("optimizer")

#: Held while the progress line or a log record is written to the terminal.
_OUTPUT_LOCK = threading.RLock()
#: The progress line now shown on the terminal, if any (a log record clears it first).
_shown_line: SolveLine | None = None


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def _clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _figure(value: float) -> str:
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4g}"


def progress_text(solver: str, elapsed_s: float, progress: SolveProgress | None) -> str:
    """The progress line of a running solve: solver, time since it began, incumbent, bound and gap.

    Examples
    --------
    >>> progress_text("highs", 42.3, None)
    'solve highs  0:42  no plan yet'
    """
    text = f"solve {solver}  {_clock(elapsed_s)}"
    if progress is None or progress.incumbent is None:
        text += "  no plan yet"
    else:
        text += f"  incumbent {_figure(progress.incumbent)}"
        if progress.solver != solver:
            text += f" ({progress.solver})"
    if progress is not None and progress.bound is not None:
        text += f"  bound {_figure(progress.bound)}"
    if progress is not None and progress.gap is not None:
        text += f"  gap {100 * progress.gap:.2f} %"
    return text


class SolveLine:
    """The progress line of a running solve: one line on a terminal, rewritten in place.

    A :class:`optimizer.progress.SolveWatcher`. At the default verbosity, when ``stream``
    is a terminal, the line ``solve highs  0:42  incumbent 106.3  bound 107.9  gap 1.48 %``
    is rewritten with a carriage return as the solver reports and every ``tick_s``
    seconds (so the clock runs while the solver is silent), and ended with a newline when
    the solve ends. When ``stream`` is no terminal (a log file, CI) it shows nothing: the
    log's "solving with ..." heartbeat says the same every 10 s. With ``-q`` (the
    ``optimizer`` logger above INFO) nothing at all. In a worker process forked from the
    command it stays silent.

    Parameters
    ----------
    stream
        Where the line goes; ``sys.stderr`` when omitted.
    tick_s
        Seconds between redraws while the solver says nothing.
    """

    def __init__(self, stream: IO[str] | None = None, *, tick_s: float = 1.0) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.live = _is_terminal(self.stream)
        self.tick_s = tick_s
        self._pid = os.getpid()
        self._solver = ""
        self._started = 0.0
        self._latest: SolveProgress | None = None
        self._stop: threading.Event | None = None
        self._shown = False

    def _enabled(self) -> bool:
        return self.live and os.getpid() == self._pid and log.isEnabledFor(logging.INFO)

    def solve_started(self, solver: str, time_limit_s: float | None) -> None:
        """Begin the line for a solve with ``solver``, and its clock."""
        if not self._enabled():
            return
        self._solver, self._started, self._latest = solver, time.perf_counter(), None
        stop = self._stop = threading.Event()

        def tick() -> None:
            while not stop.wait(self.tick_s):
                self._draw()

        threading.Thread(target=tick, name="lifecircle-progress", daemon=True).start()
        self._draw()

    def solve_progress(self, progress: SolveProgress) -> None:
        """Show where the solve stands now."""
        if not self._enabled():
            return
        self._latest = progress
        self._draw()

    def solve_finished(self) -> None:
        """End the line with a newline (it stays on screen, the log goes on below it)."""
        global _shown_line
        if self._stop is not None:
            self._stop.set()
            self._stop = None
        with _OUTPUT_LOCK:
            if self._enabled():
                self._write("\r" + self.text() + "\x1b[K\n")
            self._shown = False
            if _shown_line is self:
                _shown_line = None

    def text(self) -> str:
        """The line as it reads now (:func:`progress_text`)."""
        return progress_text(self._solver, time.perf_counter() - self._started, self._latest)

    def clear(self) -> None:
        """Take the line off the screen (a log record is about to be written); it is drawn again at the next tick."""
        with _OUTPUT_LOCK:
            if self._shown:
                self._write("\r\x1b[K")
                self._shown = False

    def _draw(self) -> None:
        global _shown_line
        with _OUTPUT_LOCK:
            if self._stop is None or not self._enabled():
                return
            self._write("\r" + self.text() + "\x1b[K")
            self._shown = True
            _shown_line = self

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal: no line, never a failure
            self.live = False


class _LogHandler(logging.StreamHandler):
    """A stream handler that first takes the progress line off the terminal, so that records never share its line."""

    def emit(self, record: logging.LogRecord) -> None:  # noqa: D102 - logging's
        with _OUTPUT_LOCK:
            line = _shown_line
            if line is not None and line.stream is self.stream:
                line.clear()
            super().emit(record)


class _Progress:
    """Progress lines for long steps, at most one per 10% (or a bar on a terminal)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.last: dict[str, int] = {}
        self.t0 = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        if self.quiet or total <= 0 or time.perf_counter() - self.t0 < 1.0:
            return
        tenth = int(10 * done / total)
        if self.last.get(step) != tenth:
            self.last[step] = tenth
            log.info("%s: %d/%d (%d%%)", step, done, total, 100 * done // total)


def _load(scenario: str, sets: tuple[str, ...], extra: list[str]):
    from optimizer.scenario import load_scenario

    return load_scenario(scenario, list(sets) + extra)


def reach_cache(sc, root):
    """The reach cache a command uses: ``reach.cache_folder``, else ``<root>/.reach-cache``; ``None`` when off.

    A ``reach.cache_folder`` of a scenario walking a network is checked now, before the
    solve (:func:`writable_root`): the cache is written once the reach is computed.
    """
    from optimizer.reach.cache import ReachCache

    if not sc.reach.cache:
        return None
    if sc.reach.cache_folder and sc.reach_method == "network":
        writable_root(sc.reach.cache_folder, "reach.cache_folder")
    return ReachCache(Path(sc.reach.cache_folder or Path(root) / ".reach-cache"))


def solver_overrides(solver: str | None = None, time_limit: float | None = None, gap: float | None = None,
                     threads: int | None = None, *, log: bool = False) -> list[str]:
    """The ``solver.*=`` scenario overrides for the solver options a command was given.

    Parameters
    ----------
    solver
        ``--solver``: a registry name, ``greedy`` or ``auto``; omitted when empty.
    time_limit
        ``--time-limit`` in seconds.
    gap
        ``--gap``: the accepted relative gap.
    threads
        ``--threads``.
    log
        Forward the solver's log (``-vv``).

    Returns
    -------
    list[str]
        ``path=value`` strings for :func:`optimizer.scenario.load_scenario`, in the order
        name, time limit, gap, threads, log; only those given.

    Examples
    --------
    >>> solver_overrides("cbc", 60.0, None, 2)
    ['solver.name=cbc', 'solver.time_limit_s=60.0', 'solver.threads=2']
    """
    out = []
    if solver:
        out.append(f"solver.name={solver}")
    if time_limit is not None:
        out.append(f"solver.time_limit_s={time_limit}")
    if gap is not None:
        out.append(f"solver.relative_gap={gap}")
    if threads is not None:
        out.append(f"solver.threads={threads}")
    if log:
        out.append("solver.log=true")
    return out


def writable_root(path: str | Path, option: str = "--out") -> Path:
    """The output root ``path``, refused now (before any solve) when nothing could be written there.

    Nothing is created: the nearest folder that exists on the way to ``path`` must be a
    folder (not a file) in which a file can be made, which is tried.

    Parameters
    ----------
    path
        The output root a command writes under.
    option
        How the planner gave it (``--out``, ``output.folder``), named in the error.

    Raises
    ------
    OutputError
        ``path`` is a file, lies under a file, or its nearest existing folder is read-only.
    """
    import tempfile

    from optimizer.errors import OutputError

    root = Path(path)
    probe = root
    while not probe.exists():
        if probe.is_symlink():
            raise OutputError(str(root), f"{probe} is a broken link", option)
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is a file" if probe == root else f"lies under {probe}, which is a file"
        raise OutputError(str(root), f"{where}, not a folder; give another output folder", option)
    try:
        fd, name = tempfile.mkstemp(prefix=".lifecircle-probe-", dir=probe)
    except OSError as exc:
        where = "" if probe == root else f" (its nearest existing folder {probe})"
        raise OutputError(str(root), f"cannot be written{where}: {exc.strerror or exc}", option) from None
    os.close(fd)
    os.unlink(name)
    return root


def output_root(out_dir: str | None, default: str | Path) -> Path:
    """``--out`` when given, else the scenario's ``output.folder`` (``default``), checked by :func:`writable_root`."""
    return writable_root(out_dir, "--out") if out_dir else writable_root(default, "output.folder")


class OptionError(click.BadParameter):
    """A command-line value that parses but cannot be planned with: exit 3, like a bad scenario key."""

    exit_code = 3


def _verbose() -> int:
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return int(obj.get("verbose", 0)) if isinstance(obj, dict) else 0


def _fail(exc: BaseException) -> None:
    """End a command that raised ``exc``: a short message and its exit code, never a traceback.

    - a :class:`LifecircleError`: its own message and exit code (3 bad input or scenario, ...);
    - click's own errors: raised on, for click to print with its usage line;
    - an ``OSError`` (permission denied, disk full, ...): exit 3 naming the path;
    - ``MemoryError``: exit 1 saying so;
    - anything else is a bug: ``internal error: <type>: <message>``, exit 1; the traceback is
      printed with ``-v`` (and logged at debug level).
    """
    if isinstance(exc, (click.ClickException, click.exceptions.Exit, click.Abort)):
        raise exc
    if isinstance(exc, LifecircleError):
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    log.debug("the command failed", exc_info=exc)
    if isinstance(exc, MemoryError):
        click.echo("error: out of memory: this machine has too little memory for the model; plan a smaller area, "
                   "keep model.aggregate_demand: true, or split the city (lifecircle city)", err=True)
        code = 1
    elif isinstance(exc, OSError):
        path = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
        reason = exc.strerror or str(exc) or type(exc).__name__
        click.echo(f"error: {path + ': ' if path else ''}{reason} (a file or folder could not be read or written; "
                   "check the path, its permissions and the free disk space)", err=True)
        code = 3
    else:
        message = str(exc).splitlines()[0][:300] if str(exc) else ""
        click.echo(f"error: internal error: {type(exc).__name__}: {message} -- please report it; "
                   "rerun with -v for the traceback", err=True)
        code = 1
    if _verbose() > 0:
        click.echo("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), err=True)
    sys.exit(code)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Log ``optimizer`` (and, with ``-v``, ``solvers``) to stderr: ``-q`` warnings only, ``-vv`` debug."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = _LogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
    for name in ("optimizer", "solvers"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [handler]
        lg.setLevel(level if verbose or name == "optimizer" else max(level, logging.WARNING))
        lg.propagate = False


#: Help of ``-v`` and ``-q``, the same before and after the subcommand.
VERBOSE_HELP = "More detail (-vv: debug, and the solver's log)."
QUIET_HELP = "Only warnings, errors and the final summary."


def _verbosity_after_command(ctx: click.Context, param: click.Parameter, value):
    """``-v``/``-q`` given after the subcommand: added to those given before it, logging set again.

    ``lifecircle solve X -q`` means ``lifecircle -q solve X``; ``-v`` counts add up
    (``lifecircle -v solve X -v`` is ``-vv``). The root context's ``obj`` is what every
    command reads (``quiet``, ``verbose``).
    """
    if not value:
        return value
    obj = ctx.find_root().ensure_object(dict)
    if param.name == "verbose":
        obj["verbose"] = int(obj.get("verbose", 0)) + int(value)
    else:
        obj["quiet"] = True
    configure_logging(int(obj.get("verbose", 0)), bool(obj.get("quiet", False)))
    return value


def add_verbosity_options(cmd: click.Command) -> click.Command:
    """Give ``cmd`` (and, for a group, every command it holds) ``-v``/``-q`` of its own (idempotent).

    Short forms only after the command (``--verbose``/``--quiet`` go before it): each
    command's own options stay those its synopsis in docs/command-line.md lists.
    """
    names = {n for p in cmd.params for n in getattr(p, "opts", [])}
    if "-v" not in names:
        cmd.params.append(click.Option(["-v", "verbose"], count=True, expose_value=False,
                                       callback=_verbosity_after_command, help=VERBOSE_HELP))
    if "-q" not in names:
        cmd.params.append(click.Option(["-q", "quiet"], is_flag=True, expose_value=False,
                                       callback=_verbosity_after_command, help=QUIET_HELP))
    if isinstance(cmd, click.Group):
        for sub in cmd.commands.values():
            add_verbosity_options(sub)
    return cmd


class LifecircleGroup(click.Group):
    """The ``lifecircle`` command group: a value click refuses exits 3, like any other bad input.

    Exit 2 stays for the command line itself (an unknown command or option, a missing
    argument or required option); a value given to an option or argument that cannot be
    used (not a number, out of range, not one of the choices, a file that does not exist)
    is a bad input: exit 3, click's message naming the option.

    Every command added to it (and to its sub-groups, which are of this class too) gets
    ``-v``/``-q`` of its own (:func:`add_verbosity_options`), so that they may follow the
    subcommand: ``lifecircle solve X -q``.
    """

    #: Sub-groups (``lifecircle network``) are LifecircleGroups too.
    group_class = type

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:  # noqa: D102 - click's
        super().add_command(add_verbosity_options(cmd), name)

    def invoke(self, ctx: click.Context):  # noqa: D102 - click's
        import contextlib

        from optimizer.progress import watching_solves

        # the root group sets the progress line of the solves its command makes, once
        following = watching_solves(SolveLine()) if ctx.parent is None else contextlib.nullcontext()
        try:
            with following:
                return super().invoke(ctx)
        except click.BadParameter as exc:
            if not isinstance(exc, click.MissingParameter):
                exc.exit_code = 3
            raise


#: ``--time-limit``: seconds, more than 0.
TIME_LIMIT = click.FloatRange(min=0, min_open=True)
#: ``--gap``: the accepted relative gap, in [0, 1).
GAP = click.FloatRange(min=0, max=1, max_open=True)
#: ``--threads``: at least one.
THREADS = click.IntRange(min=1)
#: A budget in yuan: not negative.
BUDGET = click.FloatRange(min=0)


def budget_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float] | None:
    """``--budgets 2e7,4e7,8e7``: budgets in yuan, each a number >= 0; ``None`` when not given."""
    if value is None:
        return None
    out = []
    for part in value.split(","):
        if not part.strip():
            continue
        try:
            budget = float(part)
        except ValueError:
            raise OptionError(f"{part.strip()!r} is not a number of yuan (e.g. 2e7,4e7,8e7)") from None
        if not (budget >= 0 and budget != float("inf")):
            raise OptionError(f"{part.strip()!r}: a budget must be a finite number of yuan >= 0")
        out.append(budget)
    if not out:
        raise OptionError("give at least one budget, e.g. 2e7,4e7,8e7")
    return out
