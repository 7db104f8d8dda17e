"""Fairness between life circles (人均平衡): each circle's covered share, the worst circle, the spread.

The reform plan asks to move "从总量均衡转向人均平衡" (seed 003: from balancing totals to
balancing per person) and to serve first the circles "公共服务供需矛盾突出" (where supply
and demand clash most). For each function and life circle this module states the share of
the function's counted cohort covered (coverage mode: within reach of a running or planned
facility; capacitated mode: served), before the plan (running facilities only) and after.

Objective ``fair`` raises the worst circle first (:mod:`optimizer.model.worst_share`):

- ``fairness.worst: overall`` (default): the worst covered share over every circle and
  every function with a priority above 0 (the worst-off circle and service first);
- ``fairness.worst: per_function``: the sum over functions of the function's priority
  times its worst circle's covered share.

Circles without anyone of a function's cohort have no share and are left out of that
function's worst. The same definitions are used by the model, the check and the outputs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.inputs.types import Inputs
from optimizer.rules.existing import unit_circles
from optimizer.scenario import Scenario

#: How the worst circle is measured (``fairness.worst``).
WORST_MEASURES = ("per_function", "overall")


def circle_shares(inputs: Inputs, scenario: Scenario, served_existing: dict[str, np.ndarray],
                  served_new: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Each life circle's covered share of each function's cohort, before and after the plan.

    Parameters
    ----------
    inputs
        Validated inputs.
    scenario
        The scenario (functions, mode).
    served_existing
        Per function, people of each demand unit served by running facilities.
    served_new
        Per function, people of each demand unit newly covered by the plan (``None``: no plan).

    Returns
    -------
    pandas.DataFrame
        One row per function and circle with anyone of its cohort: ``function``,
        ``circle_id``, ``people``, ``covered_before``, ``covered_after``, ``share_before``,
        ``share_after``.
    """
    circles = unit_circles(inputs)
    names = list(scenario.functions)
    if names:
        people = [inputs.demand[fn.counted_cohort(scenario.model.mode)].fillna(0).to_numpy(dtype=float)
                  for fn in scenario.functions.values()]
        before = [np.asarray(served_existing[name], dtype=float) for name in names]
        after = [b + (np.asarray(served_new[name], dtype=float) if served_new is not None else 0.0)
                 for b, name in zip(before, names, strict=True)]
        # one group-by over every function's rows (function order, then circle): each group sums the
        # same rows in the same order as a group-by per function did, for a fraction of the pandas calls
        stacked = pd.DataFrame({"function": np.repeat(np.arange(len(names)), len(circles)),
                                "circle_id": np.tile(circles, len(names)), "people": np.concatenate(people),
                                "covered_before": np.concatenate(before), "covered_after": np.concatenate(after)})
        out = stacked.groupby(["function", "circle_id"], sort=True).sum().reset_index()
        out["function"] = np.asarray(names, dtype=object)[out["function"].to_numpy()]
        out = out[out["people"] > 0].reset_index(drop=True)
    else:
        out = pd.DataFrame(columns=["function", "circle_id", "people", "covered_before", "covered_after"])
    out["share_before"] = (out["covered_before"] / out["people"]).clip(0.0, 1.0)
    out["share_after"] = (out["covered_after"] / out["people"]).clip(0.0, 1.0)
    return out


def worst_shares(shares: pd.DataFrame, column: str = "share_after") -> dict[str, float]:
    """The worst circle's covered share, per function.

    Parameters
    ----------
    shares
        :func:`circle_shares`.
    column
        ``share_after`` or ``share_before``.

    Returns
    -------
    dict
        Function -> the smallest share over its circles (functions without circles: 1.0,
        nobody to cover).
    """
    out = shares.groupby("function")[column].min().to_dict()
    return {str(k): float(v) for k, v in out.items()}


def fairness_value(worst: dict[str, float], scenario: Scenario) -> float:
    """The first stage's objective: what ``fair`` raises first.

    Parameters
    ----------
    worst
        :func:`worst_shares` (functions absent have nobody to cover: share 1).
    scenario
        The scenario (priorities, ``fairness.worst``).

    Returns
    -------
    float
        ``per_function``: sum of priority x worst share; ``overall``: the smallest worst
        share over functions with a priority above 0.
    """
    counted = {name: fn.priority for name, fn in scenario.functions.items() if fn.priority > 0}
    if scenario.fairness.worst == "overall":
        return min((worst.get(name, 1.0) for name in counted), default=1.0)
    return float(sum(p * worst.get(name, 1.0) for name, p in counted.items()))


def gini(values: np.ndarray, weights: np.ndarray) -> float:
    """The Gini index of ``values`` over people (each circle weighted by its people): 0 = all equal.

    Parameters
    ----------
    values
        One covered share per circle.
    weights
        People of each circle.

    Returns
    -------
    float
        Between 0 (every circle's share the same) and 1; 0 when the shares are all 0.
    """
    values, weights = np.asarray(values, dtype=float), np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return 0.0
    mean = float(np.average(values, weights=weights))
    if mean <= 0:
        return 0.0
    diff = np.abs(values[:, None] - values[None, :])
    return float((weights[:, None] * weights[None, :] * diff).sum() / (2.0 * weights.sum() ** 2 * mean))


def share_distribution(shares: pd.DataFrame) -> pd.DataFrame:
    """How covered shares spread across circles, per function, before and after the plan.

    Parameters
    ----------
    shares
        :func:`circle_shares`.

    Returns
    -------
    pandas.DataFrame
        One row per function and moment (``before``, ``after``): ``circles``, ``people``,
        ``share_overall`` (covered people / people), ``share_min``, ``share_p10``,
        ``share_median``, ``share_max``, ``gini`` (people-weighted Gini index of the circle
        shares) and ``worst_circle``.
    """
    rows = []
    for name, part in shares.groupby("function", sort=False):
        for moment in ("before", "after"):
            share = part[f"share_{moment}"].to_numpy(dtype=float)
            people = part["people"].to_numpy(dtype=float)
            worst = int(np.argmin(share))
            rows.append({"function": name, "moment": moment, "circles": len(part), "people": float(people.sum()),
                         "share_overall": float(part[f"covered_{moment}"].sum() / people.sum()),
                         "share_min": float(share.min()), "share_p10": float(np.percentile(share, 10)),
                         "share_median": float(np.median(share)), "share_max": float(share.max()),
                         "gini": gini(share, people), "worst_circle": str(part["circle_id"].iloc[worst])})
    columns = ["function", "moment", "circles", "people", "share_overall", "share_min", "share_p10",
               "share_median", "share_max", "gini", "worst_circle"]
    return pd.DataFrame(rows, columns=columns)
