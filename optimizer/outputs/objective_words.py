"""What a run's objective value means, in words: its unit and what it sums.

The objective value alone misleads: objective ``people`` sums weighted people and can exceed
the district's population (a resident counts once per function that newly reaches them);
``share`` sums percentage points of each cohort. ``run.json``, the printed summary and the
report state the value with the unit and meaning given here.
"""
from __future__ import annotations

#: The unit of each objective's value.
OBJECTIVE_UNITS: dict[str, str] = {
    "share": "percentage points",
    "fair": "percentage points",
    "people": "weighted people",
    "least_cost": "yuan",
}


def objective_unit(kind: str) -> str:
    """The unit of objective ``kind``'s value (``people`` for the former ``max_coverage``)."""
    return OBJECTIVE_UNITS.get("people" if kind == "max_coverage" else kind, "")


def objective_meaning(kind: str, n_functions: int, measure: str = "per_function") -> str:
    """What objective ``kind`` sums, in one English phrase.

    Parameters
    ----------
    kind
        ``share``, ``fair``, ``people`` or ``least_cost``.
    n_functions
        Functions planned.
    measure
        ``fairness.worst`` (objective ``fair`` only).

    Returns
    -------
    str
        E.g. ``share: sum over the 4 functions of the share of each cohort newly covered``.
    """
    functions = f"the {n_functions} function{'s' if n_functions != 1 else ''}"
    if kind == "share":
        return f"share: sum over {functions} of the share of each cohort newly covered, times its priority"
    if kind == "fair":
        worst = ("the worst life circle's covered share over all functions" if measure == "overall"
                 else "each function's worst life circle's covered share (times its priority, summed)")
        return (f"fair: first raises {worst} as far as it goes, then maximises the sum over {functions} of the "
                "share of each cohort newly covered, times its priority")
    if kind in ("people", "max_coverage"):
        return (f"people: people newly covered, summed over {functions} and times each function's weight "
                "(a resident counts once per function that newly reaches them, so it can exceed the population)")
    if kind == "least_cost":
        return "least_cost: the one-off cost of a plan that meets every requirement"
    return kind
