"""``lifecircle city``: a city plan from pieces of its model, solved in parallel."""
from __future__ import annotations

import unicodedata

import click

from optimizer.commands.common import (
    TIME_LIMIT,
    OptionError,
    _fail,
    _load,
    _Progress,
    output_root,
    reach_cache,
    solver_overrides,
)
from optimizer.errors import LifecircleError
from optimizer.i18n import LANGUAGES, pick


def _width(text: str) -> int:
    """Terminal columns ``text`` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns."""
    return text + " " * max(width - _width(text), 1)


def _num(value, spec: str = ",.1f") -> str:
    return "-" if value is None or value != value else format(float(value), spec)


@click.command("city")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a scenario key, e.g. --set budget.by_district.渝中区=6e7 (repeatable).")
@click.option("--split", type=click.Choice(["auto", "blocks", "by_district"]), default="auto", show_default=True,
              help="blocks: independent blocks of the model (exact); by_district: one piece per district, "
                   "with lower and upper bounds; auto: blocks when the model falls apart, else by district "
                   "when budgets are per district, else one piece.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Pieces solved at the same time, each in its own process.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Solve the pieces on a Dask cluster: local, local:N (a LocalCluster of N workers) or "
                   "tcp://host:8786 (default: --jobs local processes).")
@click.option("--solver", help="Solver backend for every piece (see `lifecircle solvers`).")
@click.option("--time-limit", type=TIME_LIMIT, help="Solver time limit per piece, in seconds.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output root (default: scenario's output.folder, 'outputs').")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default="zh", show_default=True,
              help="Language of the linking report and of the run's three lists (三单).")
@click.pass_context
def city_command(ctx, scenario, sets, split, jobs, scheduler, solver, time_limit, out_dir, lang) -> None:
    """Plan SCENARIO from independent pieces of its model, solved in parallel.

    Writes the plan like `lifecircle solve` (OUT/<scenario>/<run id>/) plus pieces.csv: one
    row per piece with its districts, sites, demand units, status, objective, bound and
    seconds. The objective is the sum of the pieces' (blocks: exact; by district: the plan
    is a lower bound and the sum of the pieces' bounds an upper bound, reported with the gap).
    """
    quiet = (ctx.obj or {}).get("quiet", False)
    extra = solver_overrides(solver, time_limit)
    try:
        from optimizer.outputs.writers import write_run
        from optimizer.studies.city import plan_city

        sc = _load(scenario, sets, extra)
        root = output_root(out_dir, sc.output.folder)
        cache = reach_cache(sc, root)
        if scheduler:
            from optimizer.batch.executors import open_executor

            try:
                executor = open_executor(scheduler, jobs=jobs)
            except LifecircleError:  # ClusterUnavailable: its own message and exit code
                raise
            except ValueError as exc:  # an address that is none of local, local:N, tcp://host:port
                raise OptionError(str(exc), param_hint="'--scheduler'") from None
            with executor:
                city = plan_city(sc, split, executor=executor, reach_cache=cache, progress=_Progress(quiet))
        else:
            city = plan_city(sc, split, jobs=jobs, reach_cache=cache, progress=_Progress(quiet))
        folder = write_run(city.run, root, extra_tables={"pieces.csv": city.pieces}, lang=lang)
    except Exception as exc:  # noqa: BLE001 - mapped to exit codes
        _fail(exc)
        return
    d = city.decomposition
    kind = {"blocks": pick(lang, zh="独立分块（精确）", en="independent blocks (exact)"),
            "by_district": pick(lang, zh="按区拆分（上下界）", en="split by district (bounded)")}[d.kind]
    click.echo(f"\n{pick(lang, zh='拆分', en='pieces')}: {len(d.pieces)} -- {kind}")
    for note in d.notes:
        click.echo(f"  {note}")
    if d.links:
        click.echo(pick(lang, zh="相连之处：", en="what links districts:"))
        for link in d.links:
            click.echo(f"  - {link.describe(lang)}")
    t = city.pieces
    w = max([_width(str(n)) for n in t["name"]] + [5]) + 2
    click.echo(f"\n{_pad('piece', w)}{'sites':>7}{'units':>9}{'status':>10}{'objective':>14}{'bound':>14}"
               f"{'seconds':>9}")
    for r in t.to_dict(orient="records"):
        click.echo(f"{_pad(str(r['name']), w)}{r['sites']:>7,}{r['demand_units']:>9,}{r['status']:>10}"
                   f"{_num(r['objective']):>14}{_num(r['bound']):>14}{r['seconds']:>9.1f}")
    if not d.exact:
        click.echo(pick(lang, zh=f"下界（各区方案之并，全市核算）{_num(city.lower)}  "
                                 f"上界（各块界之和）{_num(city.upper)}",
                        en=f"lower bound (the union of the district plans, on the whole city) {_num(city.lower)}  "
                           f"upper bound (sum of piece bounds) {_num(city.upper)}"))
    from optimizer.commands.run_summary import print_run_summary  # the same summary as `solve`

    print_run_summary(city.run, folder)
