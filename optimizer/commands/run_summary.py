"""The printed summary of a solved run, shared by ``solve``, ``city`` and ``demo``."""
from __future__ import annotations

from pathlib import Path

import click


def print_run_summary(run, folder: Path) -> None:
    """Print what a planner reads first: proven or not, objective, cost, coverage, rules, check, warnings."""
    from optimizer.outputs.objective_words import objective_meaning, objective_unit
    from optimizer.plan import people_by_status

    r = run.result
    sc = run.scenario
    proven = "PROVEN OPTIMAL" if r.proven_optimal else "NOT PROVEN OPTIMAL"
    click.echo(f"\n{run.scenario.name}: {proven} ({r.solver} {r.status.value}, stopped: {r.termination.value})")
    gap = f"{r.gap:.4%}" if r.gap is not None else "n/a"
    click.echo(f"  objective {r.objective:,.1f} {objective_unit(sc.objective)} "
               f"({objective_meaning(sc.objective, len(sc.functions), sc.fairness.worst)})")
    click.echo(f"  bound {r.bound if r.bound is None else format(r.bound, ',.1f')}"
               f"   gap {gap}   solve {r.solve_seconds:.1f} s   total {sum(run.timings.seconds.values()):.1f} s")
    budget = run.scenario.budget.total
    click.echo(f"  {len(run.plan.sites)} sites converted, cost {run.plan.total_cost:,.0f} yuan"
               + (" (least cost: budget not imposed)" if run.scenario.objective == "least_cost"
                  else f" of {budget:,.0f}" if budget is not None else "")
               + f"   reach: {run.reach_sites.method.value}"
               + (" (WEAKER: straight line)" if run.reach_sites.method.is_weaker else ""))
    if run.stages is not None:
        st = run.stages
        worst = ", ".join(f"{name} {value:.1%}" for name, value in st.worst.items())
        click.echo(f"  worst circles: {worst} (stage 1 {'proven' if st.worst_proven else 'NOT proven'} optimal: "
                   f"{st.worst_value:.4g}" + (f", bound {st.worst_bound:.4g}" if st.worst_bound is not None else "")
                   + ")")
    table = people_by_status(run.inputs, run.scenario, run.plan)
    buffer = (run.walk_vs_buffer.set_index("function")
              if run.walk_vs_buffer is not None and run.plan.mode == "coverage" else None)
    if run.plan.mode == "capacitated":
        click.echo("  capacitated: covered = served within reach and capacity; running facilities first")
    fw = max([12] + [len(str(f)) + 1 for f in table["function"]])
    cw = max([12] + [len(str(c)) + 1 for c in table["cohort"]])  # a cohort with requests has a long name
    click.echo(f"  {'function':<{fw}}{'cohort':<{cw}}{'people':>10}{'existing':>10}{'new':>10}{'covered':>9}"
               + (f"{'buffer map':>12}" if buffer is not None else ""))
    for row in table.itertuples():
        extra = ""
        if buffer is not None:
            b = buffer.loc[row.function, "with_plan_covered_buffer"] / row.people if row.people else float("nan")
            extra = f"{b:>12.1%}"
        click.echo(f"  {row.function:<{fw}}{row.cohort:<{cw}}{row.people:>10,.0f}{row.served_by_existing:>10,.0f}"
                   f"{row.newly_covered:>10,.0f}{row.covered_share:>9.1%}{extra}")
    if buffer is not None:
        click.echo("  (buffer map: share a straight-line circle of the same facilities would claim; "
                   "see walk_vs_buffer.csv/.png)")
    if run.fairness is not None and len(run.fairness):
        spread = run.fairness.set_index(["function", "moment"])
        names = list(dict.fromkeys(run.fairness["function"]))
        click.echo("  worst life circle before -> after (fairness.csv): " + ", ".join(
            f"{f} {spread.loc[(f, 'before'), 'share_min']:.1%} -> {spread.loc[(f, 'after'), 'share_min']:.1%}"
            for f in names))
    shared = sum(1 for p in run.plan.sites if p.costing.groups_applied)
    if shared:
        click.echo(f"  {shared} sites host a sharing group together (能合用)")
    if run.inputs.requests is not None:
        _print_requests(run)
    money = run.plan.money(run.inputs.sites, sc)
    if _money_is_asked(sc) or money.total("yearly") > 0:
        _print_money(sc, money)  # e.g. a shared garage's lease is yearly money even without money settings
    complexes = run.plan.complexes()
    if run.scenario.complexes:
        saved = sum(p.costing.complex_saving for p in run.plan.sites)
        kinds = ", ".join(f"{n} x{list(complexes.values()).count(n)}" for n in dict.fromkeys(complexes.values()))
        click.echo(f"  complexes: {len(complexes)} built ({kinds or 'none'}), saving {saved:,.0f} yuan "
                   "(plan_sites.csv column complex; run.json plan.complexes)")
    if run.requirements is not None:
        met = int(run.requirements["met"].sum())
        click.echo(f"  requirements (该有的不能少): {met} of {len(run.requirements)} circle targets met "
                   "(requirements.csv)")
    if run.together is not None and run.scenario.sharing.not_built_separately:
        click.echo(f"  not built separately (不单建): {int(run.together['rule_applies'].sum())} circle cases, "
                   f"all kept (not_built_separately.csv)")
    click.echo(f"  check: {'passed' if run.check.passed else 'FAILED'} ({len(run.check.items)} checks)")
    for w in run.warnings:
        click.echo(f"  warning: {w}")
    click.echo(f"  written to {folder}")


def _print_requests(run) -> None:
    """One line: the market-demand ledger's rows and people, and its part of the objective (requests.csv)."""
    from optimizer.outputs.tables import requests_summary

    record = requests_summary(run)[1]
    part = (f"; {record['objective_from_requests']:,.2f} of the objective ({record['share_of_objective']:.1%}) "
            "from requesters newly covered" if record["share_of_objective"] is not None else "")
    click.echo(f"  requests (市场需求一本账): {record['rows']} rows counted, {record['people_weighted']:,.0f} people"
               f"{part} (requests.csv)")


def _money_is_asked(scenario) -> bool:
    """Running costs, rent, a split of who pays, public budgets or channels: something beyond one-off money."""
    from optimizer.scenario import MoneySpec, PaidBy

    m = scenario.money
    return (m != MoneySpec(horizon_years=m.horizon_years, discount_rate=m.discount_rate)
            or scenario.budget.bounds_public_money
            or any(fn.running.fixed_per_year or fn.running.per_m2_year or (fn.running_paid_by not in (None, PaidBy()))
                   for fn in scenario.functions.values()))


def _print_money(sc, money) -> None:
    """Two lines: who pays the one-off cost and the yearly cost, and the public cost over the horizon (money.csv)."""
    from optimizer.outputs.money_tables import PAYER_LABELS
    from optimizer.scenario import PAYERS

    def split(what: str) -> str:
        return ", ".join(f"{PAYER_LABELS[p]['en']} {money.total(what, p) / 1e6:,.2f} M" for p in PAYERS
                         if money.total(what, p) > 0)

    click.echo(f"  who pays (政府补、社区担、企业让、居民付): one-off {money.total('one_off') / 1e6:,.2f} M yuan "
               f"({split('one_off')}); yearly {money.total('yearly') / 1e6:,.2f} M ({split('yearly')})")
    b = sc.budget
    bounds = ", ".join(f"{words} {got / 1e6:,.2f} of {amount / 1e6:,.2f} M" for words, got, amount in (
        ("one-off", money.total("one_off", "government"), b.public_one_off),
        ("yearly", money.total("yearly", "government"), b.public_yearly),
        (f"over {sc.money.horizon_years} years", money.total("horizon", "government"), b.public_horizon))
        if amount is not None)
    click.echo(f"  public money over {sc.money.horizon_years} years (discount {sc.money.discount_rate:.0%}): "
               f"{money.total('horizon', 'government') / 1e6:,.2f} M yuan"
               + (f"; budgets: {bounds}" if bounds else "")
               + (f"; channels: {len(sc.money.channels)} (funding.csv)" if sc.money.channels else "") + " (money.csv)")
