"""Functions starved by the objective: no new facility although money is left.

With equal weight per person (objective ``people``) a function with a small cohort, such
as childcare (children under 3), can get nothing while the money goes to canteens, which
serve everyone; a priority of 0 under ``share`` does the same on purpose. The run says so.
"""
from __future__ import annotations

from optimizer.model.build import PlanningModel
from optimizer.plan import Plan
from optimizer.scenario import Scenario


def starved_functions(plan: Plan, scenario: Scenario, model: PlanningModel) -> list[str]:
    """Warnings for enabled functions that get no new facility although money is left.

    Parameters
    ----------
    plan
        The plan.
    scenario
        The scenario (budget, objective).
    model
        The built model (candidate facilities and their costs).

    Returns
    -------
    list of str
        One warning per function with candidate sites that reach someone new, no planned
        facility, and unspent money at least the cheapest such facility's own cost (the
        site's conversion cost aside); none for least_cost or without a total budget.
    """
    if not scenario.maximises_coverage or scenario.budget.total is None:
        return []
    left = scenario.budget.total - plan.total_cost
    hosted = {f for fs in plan.functions_at().values() for f in fs}
    out = []
    for k, name in enumerate(model.functions):
        costs = model.pair_cost[model.pair_function == k]
        if name in hosted or costs.size == 0 or left < float(costs.min()):
            continue
        out.append(f"{name} gets no new facility although {left:,.0f} yuan are left and its cheapest candidate "
                   f"costs {float(costs.min()):,.0f} yuan (before the site's conversion): raise its priority "
                   f"(functions.{name}.priority) or check its candidates")
    return out
