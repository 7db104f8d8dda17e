"""The independent check of a multi-year plan, year by year, from its projects alone.

Nothing here reads the model's matrices. From the project list it rebuilds what every
site hosts by the end of each year, and recomputes: each year's spending (what each
site's plan costs after the year minus before, :mod:`optimizer.rules.costing`) against that
year's budget (with carry-over: the spending so far against the budgets so far), the
whole horizon against ``budget.total`` and district budgets; that no project opens
before its site is available; that every site function opens once and keeps serving
(the solver's own yearly choice must equal the projects' and never lose a function);
eligibility, space and forced decisions by the last year; rules 6 and 7 by the last
year; the life circles at their standard (every rule-7 target met) by each year, against
``phasing.milestones``; and the people covered in each year from reach and running facilities, whose
weighted sum over the years must equal the solver's proven optimum (or be at least its
incumbent) and never beat its bound. A mismatch is an error (exit 6).
"""
from __future__ import annotations

import numpy as np

from optimizer.check import MONEY_TOL, CheckItem, CheckReport, _close
from optimizer.inputs.types import Inputs
from optimizer.model.decisions import ForcedDecisions
from optimizer.plan import build_plan, plan_requirements
from optimizer.reach.types import Reach
from optimizer.rules.costing import cost_site
from optimizer.rules.covered import NEW, coverage_status
from optimizer.rules.eligibility import eligibility_matrix, site_may_host
from optimizer.rules.existing import ExistingService
from optimizer.rules.requirements import requirement_targets
from optimizer.rules.together import together_report
from optimizer.scenario import Scenario
from optimizer.studies.phasing.horizon import Horizon
from optimizer.studies.phasing.milestones import Milestones, standards_by_year
from optimizer.studies.phasing.plan import Project, hosting_from_projects
from solvers.result import PROOF_ABS_TOL, SolveResult, SolveStatus


def _site_cost(sites, s: int, funcs: tuple[str, ...], scenario: Scenario) -> float:
    return cost_site(sites.iloc[s], funcs, scenario).total_cost if funcs else 0.0


def yearly_spending(hosting: list[dict[int, tuple[str, ...]]], inputs: Inputs, scenario: Scenario,
                    district: str | None = None) -> np.ndarray:
    """Yuan spent in each year: per site, its plan's cost after the year minus before."""
    sites = inputs.sites
    dist = sites["district"].fillna("").astype(str).to_numpy()
    out, before = [], {}
    for now in hosting:
        total = 0.0
        for s in set(now) | set(before):
            if district is not None and dist[s] != district:
                continue
            total += _site_cost(sites, s, now.get(s, ()), scenario) - _site_cost(sites, s, before.get(s, ()), scenario)
        out.append(total)
        before = now
    return np.array(out, dtype=float)


def check_phasing(projects: tuple[Project, ...], solver_hosted: tuple[dict[int, tuple[str, ...]], ...],
                  horizon: Horizon, inputs: Inputs, scenario: Scenario, reach_sites: Reach,
                  reach_facilities: Reach, forced: ForcedDecisions, existing: ExistingService,
                  result: SolveResult, model_spend: np.ndarray, milestones: Milestones | None = None) -> CheckReport:
    """Recompute every year from ``projects`` and compare with the solver's claims.

    Parameters
    ----------
    projects
        The annual project list.
    solver_hosted
        Per year, site row -> functions, exactly as the solver's values choose them.
    model_spend
        The model's spending expression per year at the solver's values.
    milestones
        ``phasing.milestones`` with the life circles, or ``None``.

    Returns
    -------
    CheckReport
        Items, and ``recomputed['years']``: per year the budget, money available, spending,
        projects, people newly covered and the covered share per function, weighted coverage, and (with
        requirements) the life circles at their standard; ``recomputed['circles_at_standard']``: per year the
        circles meeting every target by then.
    """
    sites = inputs.sites
    ids = sites["site_id"].astype(str).to_numpy()
    years = horizon.years
    items: list[CheckItem] = []
    # every site function opens once, in a year of the horizon
    seen: dict[tuple[int, str], str] = {}
    twice = []
    for p in projects:
        for f in p.functions:
            if (p.site_row, f) in seen:
                twice.append(f"{ids[p.site_row]}:{f} in {seen[(p.site_row, f)]} and {p.number}")
            seen[(p.site_row, f)] = p.number
    outside = [p.number for p in projects if p.year not in years]
    items.append(CheckItem("opens once", not twice and not outside,
                           "every site function opens in exactly one project, in a year of the horizon"
                           if not twice and not outside else "; ".join(twice[:20] + outside[:20])))
    hosting = hosting_from_projects(projects, years)
    lost = [f"{ids[s]}:{f} in {years[t + 1]}" for t in range(len(years) - 1)
            for s, fs in solver_hosted[t].items() for f in fs if f not in solver_hosted[t + 1].get(s, ())]
    differ = [str(years[t]) for t in range(len(years))
              if {s: set(fs) for s, fs in hosting[t].items()} != {s: set(fs) for s, fs in solver_hosted[t].items()}]
    items.append(CheckItem("keeps serving", not lost and not differ,
                           "every project keeps serving in every later year, and the solver's yearly choice equals "
                           "the projects'" if not lost and not differ else
                           "; ".join([f"stops serving: {x}" for x in lost[:20]]
                                     + [f"solver's choice differs from the projects in {y}" for y in differ])))
    early = [f"{p.number} at {ids[p.site_row]} opens in {p.year}, available from {horizon.available_from[p.site_row]}"
             for p in projects if p.year < horizon.available_from[p.site_row]]
    items.append(CheckItem("availability", not early, "no project opens before its site is available"
                           if not early else "; ".join(early[:20])))
    final = hosting[-1] if hosting else {}
    bad = [f"{ids[s]}:{f}" for s, fs in final.items() for f in fs
           if not site_may_host(sites.iloc[s], scenario.functions[f], f)]
    items.append(CheckItem("eligibility", not bad, "every function sits on a site eligible for it"
                           if not bad else f"not eligible: {', '.join(bad[:20])}"))
    over = []
    for s, fs in final.items():
        used = cost_site(sites.iloc[s], fs, scenario).area_used
        if used > float(sites.iloc[s]["area_m2"]) + 1e-6:
            over.append(f"{ids[s]} uses {used:.1f} of {float(sites.iloc[s]['area_m2']):.1f} m2")
    items.append(CheckItem("space", not over, "every site's functions fit its usable area" if not over
                           else "; ".join(over[:20])))
    # money, per year
    spent = yearly_spending(hosting, inputs, scenario)
    if horizon.carry_over:
        so_far, allowed = np.cumsum(spent), np.cumsum(horizon.budgets)
        bad_years = [f"{y}: spent {a:,.0f} so far > budgets so far {b:,.0f}"
                     for y, a, b in zip(years, so_far, allowed, strict=True) if a > b + MONEY_TOL]
        what = "the spending up to each year is within the budgets up to it (carry-over)"
    else:
        bad_years = [f"{y}: spent {a:,.0f} > budget {b:,.0f}"
                     for y, a, b in zip(years, spent, horizon.budgets, strict=True) if a > b + MONEY_TOL]
        what = "each year's spending is within its budget"
    items.append(CheckItem("budget per year", not bad_years, what if not bad_years else "; ".join(bad_years)))
    if horizon.total is not None:
        ok = bool(spent.sum() <= horizon.total + MONEY_TOL)
        items.append(CheckItem("budget over the horizon", ok, f"spent {spent.sum():,.0f} {'<=' if ok else '>'} "
                               f"budget.total {horizon.total:,.0f} yuan"))
    for dname, amount in horizon.by_district.items():
        d_spent = yearly_spending(hosting, inputs, scenario, district=dname).sum()
        ok = bool(d_spent <= amount + MONEY_TOL)
        items.append(CheckItem(f"budget over the horizon ({dname})", ok,
                               f"spent {d_spent:,.0f} {'<=' if ok else '>'} {amount:,.0f} yuan"))
    ok = len(model_spend) == len(spent) and all(_close(a, b) or abs(a - b) <= 1e-6 * max(1.0, abs(a))
                                                for a, b in zip(model_spend, spent, strict=False))
    items.append(CheckItem("cost model", ok, "the model's spending per year equals the recomputed spending "
                           f"({', '.join(f'{v:,.0f}' for v in spent)})" if ok else
                           f"model {', '.join(f'{v:,.2f}' for v in model_spend)} != recomputed "
                           f"{', '.join(f'{v:,.2f}' for v in spent)}"))
    problems = [f"{ids[s]} forced in but unused by {years[-1]}" for s in forced.in_sites if int(s) not in final]
    problems += [f"{ids[s]}:{f} forced in but absent by {years[-1]}" for s, f in forced.in_pairs
                 if f not in final.get(int(s), ())]
    used_ever = {s for h in hosting for s in h}
    problems += [f"{ids[s]} forced out but used" for s in forced.out_sites if int(s) in used_ever]
    problems += [f"{ids[s]}:{f} forced out but present" for s, f in forced.out_pairs
                 if f in final.get(int(s), ())]
    items.append(CheckItem("forced decisions", not problems, "every forced decision holds by the last year"
                           if not problems else "; ".join(problems)))
    # coverage, per year, from reach and running facilities
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.array([])
    weighted = np.zeros(len(years))
    figures = []
    before_new = {f: np.zeros(len(inputs.demand), dtype=bool) for f in scenario.functions}
    for t, (year, now) in enumerate(zip(years, hosting, strict=True)):
        row = {"year": year, "budget": float(horizon.budgets[t]),
               "money_available": float(np.cumsum(horizon.budgets)[t] - spent[:t].sum()) if horizon.carry_over
               else float(horizon.budgets[t]),
               "spent": float(spent[t]), "projects": sum(p.year == year for p in projects),
               "weight": float(horizon.weights[t])}
        for name, fn in scenario.functions.items():
            people = inputs.demand[fn.cohort].to_numpy(float)
            chosen = np.array([s for s, fs in now.items() if name in fs], dtype=np.int64)
            status = coverage_status(reach_sites, reach_facilities, fn, chosen, np.flatnonzero(fac_fn == name))
            new = status == NEW
            if (before_new[name] & ~new).any():
                items.append(CheckItem(f"keeps covering ({name}, {year})", False,
                                       "people covered in an earlier year are no longer covered"))
            row[f"newly_covered_{name}"] = float(people[new & ~before_new[name]].sum())
            row[f"covered_share_{name}"] = float(people[status > 0].sum() / people.sum()) if people.sum() else None
            weighted[t] += fn.weight * float(people[new].sum())
            before_new[name] = new
        row["weighted_coverage"] = float(weighted[t])
        figures.append(row)
    value = float(horizon.weights @ weighted)
    claimed = result.objective if result.objective is not None else float("nan")
    if result.status is SolveStatus.OPTIMAL:
        ok = _close(value, claimed) or abs(value - claimed) <= 1e-6 * max(1.0, abs(claimed))
        items.append(CheckItem("objective", ok, f"recomputed weighted coverage over the years {value:,.3f} "
                               f"{'=' if ok else '!='} solver's proven optimum {claimed:,.3f}"))
    else:
        ok = value >= claimed - PROOF_ABS_TOL * 10 - 1e-9 * abs(claimed)
        items.append(CheckItem("objective", ok, f"recomputed weighted coverage over the years {value:,.3f} "
                               f"{'matches' if ok else 'is worse than'} solver's incumbent {claimed:,.3f}"))
    if result.bound is not None and np.isfinite(result.bound):
        ok = value <= result.bound + PROOF_ABS_TOL * 10 + 1e-9 * abs(result.bound)
        items.append(CheckItem("bound", ok, f"recomputed {value:,.3f} {'<=' if ok else '>'} proven bound "
                               f"{result.bound:,.3f}"))
    if scenario.sharing.not_built_separately:
        eligible = forced.restrict(eligibility_matrix(sites, scenario.functions), scenario.function_names)
        together = together_report(final, inputs, scenario, eligible)
        broken = together[~together["kept"]]
        items.append(CheckItem("not built separately (rule 6), by the last year", broken.empty,
                               "kept in every circle" if broken.empty else "; ".join(
                                   f"circle {r.circle_id}: {r.function_a} and {r.function_b} on no common site"
                                   for r in broken.itertuples())))
    if scenario.requirements:
        plan = build_plan(final, inputs, scenario, reach_sites, reach_facilities, existing)
        req = plan_requirements(plan, inputs, scenario, requirement_targets(inputs, scenario, existing))
        short = req[~req["met"]]
        items.append(CheckItem("what must exist (rule 7), by the last year", short.empty,
                               f"all {len(req)} requirement targets met" if short.empty else "; ".join(
                                   f"circle {r.circle_id} {r.function}: {r.achieved:,.1f} of {r.required:,.1f} "
                                   f"{r.unit}" for r in short.head(20).itertuples())))
    at_standard: dict[int, list[str]] = {}
    if scenario.requirements:
        standards = standards_by_year(hosting, years, inputs, scenario, reach_sites, reach_facilities, existing)
        for year, row in zip(years, figures, strict=True):
            at_standard[year] = [str(c) for c in standards.index[standards[year].to_numpy(bool)]]
            row["circles_at_standard"] = len(at_standard[year])
    if milestones:
        short = [f"by {y}: {len(at_standard[y])} of {len(milestones.circles)} circles at their standard < {c}"
                 for y, c in zip(milestones.years, milestones.counts, strict=True) if len(at_standard[y]) < c]
        items.append(CheckItem("milestones", not short, "; ".join(
            f"by {y}: {len(at_standard[y])} life circles at their standard >= {c}"
            for y, c in zip(milestones.years, milestones.counts, strict=True)) if not short else "; ".join(short)))
    recomputed = {"objective": value, "cost": float(spent.sum()), "years": figures,
                  "projects": len(projects), "sites_converted": len(final),
                  "circles_at_standard": {str(y): cs for y, cs in at_standard.items()}}
    return CheckReport(tuple(items), recomputed)
