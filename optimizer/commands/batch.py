"""``lifecircle batch``: many scenarios (or one scenario with many overrides), resumable."""
from __future__ import annotations

import sys

import click

from optimizer.commands.common import OptionError, _fail, writable_root
from optimizer.errors import LifecircleError
from optimizer.progress import PieceProgress


def _fmt(value, spec: str) -> str:
    try:
        return format(float(value), spec) if value is not None and value == value else "-"
    except (TypeError, ValueError):
        return "-"


@click.command("batch")
@click.argument("source", metavar="PATTERN_OR_BATCHFILE")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(file_okay=False),
              help="Output root: runs go to OUT/<run name>/<run id>/, the summary to OUT/batch-summary.csv/.json.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs solved at the same time, each in its own process.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key in every run (repeatable), before each run's own overrides.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on Dask: 'local' or 'local:N' starts a LocalCluster (N workers x 1 thread, N = --jobs "
                   "by default); tcp://host:port uses a running cluster (paths must be the same on its "
                   "workers). Default: local processes, no Dask. Needs pip install -e .[cluster].")
@click.option("--worker-memory", metavar="SIZE",
              help="With --scheduler local: each worker's memory limit, e.g. 4GB (default: memory / workers).")
@click.option("--memory-per-run", metavar="SIZE",
              help="With --scheduler: submit each run with Dask resources MEMORY=SIZE, e.g. 2GB; a remote "
                   "cluster's workers must be started with --resources MEMORY=<bytes>.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times a run is started again after its worker died (killed, out of memory). Runs that "
                   "fail for an ordinary reason are not retried.")
@click.pass_context
def batch_command(ctx, source: str, out_dir: str, jobs: int, sets: tuple[str, ...], scheduler: str | None,
                  worker_memory: str | None, memory_per_run: str | None, retries: int) -> None:
    """Solve many runs: a glob of scenario files ('scenarios/yuzhong-demo*.yaml'), or a batch
    file (YAML: runs: [{scenario: FILE, set: [KEY=VALUE, ...], name: NAME}]).

    Each run is solved in its own process (or Dask worker); a failed run is recorded with its
    kind and the others go on; a run whose worker died is started again (--retries). Runs
    already finished in OUT (same scenario and input files) are skipped, half-written ones
    redone, so an interrupted batch is resumed by running it again.
    """
    from optimizer.batch.executors import open_executor
    from optimizer.batch.runs import SOLVED, _worker_init, plan_batch, run_batch

    quiet = (ctx.obj or {}).get("quiet", False)
    try:
        runs = plan_batch(source, sets)
        writable_root(out_dir, "--out")
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    failures = 0

    def retrying(key, attempt: int, reason: str) -> None:
        click.echo(f"  {key}: {reason}; starting it again (attempt {attempt} of {retries + 1})", err=True)

    try:
        executor = open_executor(scheduler, jobs=jobs, retries=retries, worker_memory=worker_memory,
                                 memory_per_run=memory_per_run, initializer=_worker_init, on_retry=retrying)
    except LifecircleError as exc:  # ClusterUnavailable: its own message and exit code
        _fail(exc)
        return
    except ValueError as exc:
        combination = "needs --scheduler" in str(exc) or "applies to --scheduler" in str(exc)
        raise (click.UsageError(str(exc)) if combination else OptionError(str(exc))) from None
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    if not quiet:
        click.echo(f"{len(runs)} runs on {executor.description}", err=True)

    pieces = PieceProgress("run", len(runs))

    def tick(row: dict, done: int, total: int) -> None:
        nonlocal failures
        estimate = pieces.record(row["status"], skipped=row.get("resume") == "skipped")
        failures += row["status"] != SOLVED
        if row["status"] == SOLVED:
            what = (f"{'proven' if row['proven'] else 'NOT proven'}, objective {_fmt(row['objective'], ',.1f')}, "
                    f"{row['sites']} sites")
        else:
            what = row["message"].splitlines()[0] if row["message"] else ""
        extra = f" [{row['resume']}]" if row["resume"] else ""
        if row.get("attempts", 1) > 1:
            extra += f" [attempt {row['attempts']}]"
        failed = f"  ({failures} failed so far)" if failures else ""
        click.echo(f"[{done}/{total}] {row['name']}: {row['status']}{extra} ({row['seconds']:.1f} s) {what}{failed}"
                   f"; {estimate}", err=quiet)

    with executor:
        table = run_batch(runs, out_dir, jobs=jobs, on_done=None if quiet else tick, executor=executor)
    w = max([len(str(n)) for n in table["name"]] + [3]) + 2
    click.echo(f"\n{'run':<{w}}{'status':<16}{'proven':<8}{'objective':>14}{'gap':>9}{'cost':>16}{'sites':>6}"
               f"{'seconds':>9}  resume")
    for r in table.to_dict(orient="records"):
        sites = "-" if r["sites"] is None or r["sites"] != r["sites"] else str(int(r["sites"]))
        click.echo(f"{r['name']:<{w}}{r['status']:<16}{('yes' if r['proven'] else 'no'):<8}"
                   f"{_fmt(r['objective'], ',.1f'):>14}{_fmt(r['gap'], '.2%'):>9}{_fmt(r['cost'], ',.0f'):>16}"
                   f"{sites:>6}{r['seconds']:>9.1f}  {r['resume'] or ''}")
    failed = table[table["status"] != SOLVED]
    for r in failed.to_dict(orient="records"):
        click.echo(f"  {r['name']} ({r['status']}): {r['message']}")
    click.echo(f"\n{len(table) - len(failed)} of {len(table)} runs solved; summary in "
               f"{out_dir}/batch-summary.csv and .json")
    if len(failed):
        sys.exit(1)
