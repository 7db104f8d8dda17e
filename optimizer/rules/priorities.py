"""What one newly covered person is worth, per function, under each coverage objective.

- ``people``: the function's ``weight`` per person (1 by default): a canteen, which serves
  every resident, outweighs childcare, which serves children under 3, by the size of the
  cohorts (588,717 residents against 12,454 infants in Yuzhong);
- ``share`` and ``fair``: the share of the function's cohort newly covered, in percentage
  points, times the function's ``priority``. A person is worth
  ``priority x 100 / cohort total`` (the cohort counted in the district), so covering every
  infant counts as much as covering every resident: no function is starved by the size of
  another's cohort. The objective then reads as "percentage points of cohorts newly
  covered".

The engine writes these per-person weights into the scenario it plans with
(:func:`with_objective_weights`), so that the model, the greedy, phasing and the
independent check count exactly the same figure.
"""
from __future__ import annotations

import dataclasses
import logging

from optimizer.inputs.types import Inputs
from optimizer.scenario import Scenario

log = logging.getLogger(__name__)

#: The unit of a share objective: percentage points.
SHARE_UNIT = 100.0


def cohort_totals(inputs: Inputs, scenario: Scenario) -> dict[str, float]:
    """People of each function's counted cohort in the whole demand table.

    Parameters
    ----------
    inputs
        Validated inputs.
    scenario
        The scenario (functions and mode).

    Returns
    -------
    dict
        Function name -> people of its counted cohort (coverage mode: ``cohort``;
        capacitated mode: ``capacity_demand.of``).
    """
    mode = scenario.model.mode
    return {name: float(inputs.demand[fn.counted_cohort(mode)].fillna(0).to_numpy(dtype=float).sum())
            for name, fn in scenario.functions.items()}


def person_weights(inputs: Inputs, scenario: Scenario) -> dict[str, float]:
    """What one newly covered (or served) person of each function counts in the objective.

    Parameters
    ----------
    inputs
        Validated inputs.
    scenario
        The scenario.

    Returns
    -------
    dict
        Function name -> weight per person: ``weight`` (objective ``people``, and
        ``least_cost``, where it plays no part) or ``priority x 100 / cohort total``
        (objectives ``share`` and ``fair``; 0 for a function whose cohort is empty).
    """
    if scenario.objective not in ("share", "fair"):
        return {name: fn.weight for name, fn in scenario.functions.items()}
    totals = cohort_totals(inputs, scenario)
    return {name: (fn.priority * SHARE_UNIT / totals[name] if totals[name] > 0 else 0.0)
            for name, fn in scenario.functions.items()}


def with_objective_weights(scenario: Scenario, inputs: Inputs) -> Scenario:
    """The scenario with each function's ``weight`` set to its per-person worth under the objective.

    Parameters
    ----------
    scenario
        The scenario as read.
    inputs
        Validated inputs (the cohort totals).

    Returns
    -------
    Scenario
        Unchanged for objective ``people``; for ``share`` and ``fair``, every function's
        ``weight`` is ``priority x 100 / cohort total``.
    """
    weights = person_weights(inputs, scenario)
    if all(weights[name] == fn.weight for name, fn in scenario.functions.items()):
        return scenario
    functions = {name: dataclasses.replace(fn, weight=weights[name]) for name, fn in scenario.functions.items()}
    for name, w in weights.items():
        log.info("objective %s: one person of %s counts %.6g (priority %g)", scenario.objective, name, w,
                 scenario.functions[name].priority)
    return dataclasses.replace(scenario, functions=functions)

