"""The three objectives: most weighted people newly covered, least cost, least shortfall.

- ``max_coverage``: maximise weighted newly covered (coverage mode: ``weight x people x y``)
  or served (capacitated mode: ``weight x w``) people, within the budgets;
- ``least_cost``: minimise the one-off cost of meeting every requirement (the budgets
  are not imposed: it answers "what budget do we need");
- ``min_shortfall``: the diagnosis model: meet the budgets and every other rule and
  minimise how far requirements fall short, each target's shortfall relative to its need.
"""
from __future__ import annotations

import numpy as np

from optimizer.model.blocks import SiteTerms
from optimizer.model.coverage import CoverageRows
from optimizer.model.variables import ModelVariables
from optimizer.rules.requirements import RequirementTarget
from optimizer.scenario import Scenario
from solvers.problem import Sense


def coverage_objective(variables: ModelVariables, coverage: dict[str, CoverageRows], scenario: Scenario,
                       capacitated: bool) -> np.ndarray:
    """Weighted people newly covered (coverage mode) or served (capacitated mode), per column.

    Parameters
    ----------
    variables
        The model's variables.
    coverage
        Demand rows per function.
    scenario
        The scenario (function weights and order).
    capacitated
        Count the served people ``w`` rather than the covered shares ``y``.

    Returns
    -------
    numpy.ndarray
        One coefficient per column.
    """
    names = scenario.function_names
    out = np.zeros(variables.n_cols)
    if capacitated:
        w, w_row = variables.w, variables.w_row
        weights = np.array([scenario.functions[nm].weight for nm in names])
        fn_of_row = np.repeat(np.arange(len(names)), [coverage[nm].n_groups for nm in names])
        out[w.index(np.arange(len(w_row)))] = weights[fn_of_row[w_row]] if len(w_row) else 0.0
    else:
        for name in names:
            rows = coverage[name]
            first = variables.y_offsets[name]
            out[variables.y.index(np.arange(rows.n_groups) + first)] = rows.weight
    return out


def cost_objective(cost_terms: SiteTerms, n_cols: int) -> np.ndarray:
    """The one-off cost of the plan (yuan), per column: conversion + functions - sharing savings.

    Parameters
    ----------
    cost_terms
        Each site's one-off cost.
    n_cols
        Columns of the model.

    Returns
    -------
    numpy.ndarray
        One coefficient per column.
    """
    out = np.zeros(n_cols)
    _, col, val = cost_terms.arrays()
    np.add.at(out, col, val)
    return out


def shortfall_objective(variables: ModelVariables, targets: list[RequirementTarget]) -> np.ndarray:
    """Each target's shortfall relative to its need, per column (the diagnosis model).

    Parameters
    ----------
    variables
        The model's variables (``slack``).
    targets
        Requirement targets with a positive need, one ``slack`` each.

    Returns
    -------
    numpy.ndarray
        One coefficient per column.
    """
    out = np.zeros(variables.n_cols)
    slack = variables.slack
    out[slack.index(np.arange(slack.size))] = [1.0 / max(t.need, 1e-9) for t in targets]
    return out


def define_objective(objective: str, variables: ModelVariables, coverage: dict[str, CoverageRows],
                     scenario: Scenario, cost_terms: SiteTerms, targets: list[RequirementTarget],
                     capacitated: bool) -> tuple[np.ndarray, Sense]:
    """The objective's coefficients and sense.

    Parameters
    ----------
    objective
        ``max_coverage``, ``least_cost`` or ``min_shortfall``.
    variables
        The model's variables.
    coverage
        Demand rows per function.
    scenario
        The scenario.
    cost_terms
        Each site's one-off cost.
    targets
        Requirement targets with a positive need.
    capacitated
        Capacitated mode.

    Returns
    -------
    coefficients, sense
    """
    if objective == "least_cost":
        return cost_objective(cost_terms, variables.n_cols), Sense.MINIMIZE
    if objective == "min_shortfall":
        return shortfall_objective(variables, targets), Sense.MINIMIZE
    return coverage_objective(variables, coverage, scenario, capacitated), Sense.MAXIMIZE
