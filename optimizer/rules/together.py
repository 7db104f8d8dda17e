"""Not built separately (能合用的不单建, rule 6), in plain terms, per life circle.

When a scenario sets ``sharing.not_built_separately``: inside one life circle, if two
functions of a sharing group are both newly provided, at least one site hosts them
together, unless no site of that circle is eligible for both.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from optimizer.inputs.types import Inputs
from optimizer.rules.existing import site_circles
from optimizer.scenario import Scenario


def group_pairs(scenario: Scenario) -> list[tuple[str, str, str]]:
    """``(group name, function a, function b)`` for every two planned functions of a group."""
    out = []
    for group in scenario.sharing.groups:
        members = [f for f in group.functions if f in scenario.functions]
        if len(members) != len(group.functions):
            continue  # a group with a disabled function never applies
        out += [(group.name, a, b) for a, b in itertools.combinations(members, 2)]
    return out


def together_report(assignment: dict[int, tuple[str, ...]], inputs: Inputs, scenario: Scenario,
                    eligible: np.ndarray) -> pd.DataFrame:
    """Per life circle and group pair: provided?, shared?, does the rule apply?, is it kept?

    Parameters
    ----------
    assignment
        Site row -> functions of the plan.
    eligible
        Boolean (sites x planned functions): may host (eligibility and forced-out applied).
    """
    names = scenario.function_names
    circles = site_circles(inputs)
    rows = []
    for group, a, b in group_pairs(scenario):
        ka, kb = names.index(a), names.index(b)
        both = eligible[:, ka] & eligible[:, kb]
        for circle in sorted(set(circles.tolist())):
            in_c = circles == circle
            hosts = [s for s, fs in assignment.items() if in_c[s]]
            a_new = any(a in assignment[s] for s in hosts)
            b_new = any(b in assignment[s] for s in hosts)
            together = sum(1 for s in hosts if a in assignment[s] and b in assignment[s])
            n_both = int((both & in_c).sum())
            applies = bool(a_new and b_new and n_both > 0)
            if not (a_new or b_new):
                continue
            rows.append({"circle_id": circle, "group": group, "function_a": a, "function_b": b,
                         "a_newly_provided": a_new, "b_newly_provided": b_new,
                         "sites_eligible_for_both": n_both, "sites_hosting_both": together,
                         "rule_applies": applies, "kept": bool(not applies or together > 0)})
    columns = ["circle_id", "group", "function_a", "function_b", "a_newly_provided", "b_newly_provided",
               "sites_eligible_for_both", "sites_hosting_both", "rule_applies", "kept"]
    return pd.DataFrame(rows, columns=columns)
