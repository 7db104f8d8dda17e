"""Residents' requests (市场需求一本账) add weight to the functions asked for, where they are asked for.

Jiangbei plans by "一图两账三单" (seed 004, ``004_f31e27656073a08e.txt``: "市场需求一本账、
闲置资产一本账"); the city gathers what residents ask for "通过'渝快办'、社区微信群、网格员走访、
开坝坝会等多种渠道，征集生活圈建设意见，做好心中有数，明晰'要什么'" (seed 000,
``000_d0e8a8dd717c9218.txt``). The census says who lives where; the ledger says who asked.

The rule, exact and simple:

1. A request row counts ``count x requests.weight`` people (people per request, default
   1) when its function is planned, its date is on or after ``requests.since`` and its
   channel is among ``requests.channels`` (each when given). A disabled function's
   requests are left out with a warning.
2. Its people are spread over the demand units of its community (or its circle, or the
   units in both when it names both) pro rata to the function's counted cohort there
   (``cohort``; capacitated mode ``capacity_demand.of``); to ``total`` where that cohort
   has nobody; evenly where nobody lives. The sum is a new demand column
   ``requests_<function>``.
3. The function then counts ``<cohort> + requests_<function>``, a new demand column
   ``<cohort>_and_requests_<function>`` (also for ``capacity_demand.of``), written into
   the scenario it plans with. A function whose cohort is ``requests`` counts its
   requests only (``requests_<function>``).

Every piece downstream (the model's coverage and capacity rows, the objective's weights
per person, the independent check, the tables, the brute forces of the tests) reads
``inputs.demand[fn.cohort]`` (or ``counted_cohort``), so it counts the requests exactly
the same way without knowing about them. In capacitated mode requests are people of the
counted cohort like any other: they need places, and a served person of a unit is a
requester in proportion to the unit's requests in its counted people.

What the plan owes to requests (:func:`requests_by_function`) is read from the checked
plan: per function, the people newly served times the unit's share of requests in its
counted people, times what one person counts in the objective (the function's weight,
:mod:`optimizer.rules.priorities`).
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.schema import REQUESTS_COHORT
from optimizer.inputs.types import Inputs
from optimizer.scenario import FunctionSpec, Scenario

log = logging.getLogger(__name__)

#: Why a request row is not counted (``left_out`` of :func:`counted_requests`).
DISABLED, UNKNOWN, BEFORE_SINCE, UNDATED, OTHER_CHANNEL = (
    "disabled function", "no such function", "before requests.since", "undated (requests.since given)",
    "channel not in requests.channels")
#: Reasons by which the scenario's own filters (``requests.since``, ``requests.channels``) leave a row out.
FILTERED_OUT = (BEFORE_SINCE, UNDATED, OTHER_CHANNEL)


def requests_column(function: str) -> str:
    """The demand column of the people who asked for ``function`` (``requests_<function>``)."""
    return f"requests_{function}"


def with_requests_column(cohort: str, function: str) -> str:
    """The demand column of ``cohort`` plus the people who asked for ``function``.

    ``<cohort>_and_requests_<function>``; for the cohort ``requests`` simply
    ``requests_<function>``. Per function, because two functions may count one cohort
    (canteens and health posts: every resident) with different requests.
    """
    return requests_column(function) if cohort == REQUESTS_COHORT else f"{cohort}_and_requests_{function}"


def counts_requests(fn: FunctionSpec, function: str) -> bool:
    """Whether ``fn`` already counts its requests (the rule was applied to this scenario)."""
    return fn.cohort == requests_column(function) or fn.cohort.endswith(f"_and_requests_{function}")


def names_requests_cohort(fn: FunctionSpec) -> bool:
    """Whether the function counts its requests only (``cohort: requests`` or ``capacity_demand.of: requests``)."""
    return fn.cohort == REQUESTS_COHORT or (fn.capacity_demand is not None
                                            and fn.capacity_demand.of == REQUESTS_COHORT)


def counted_requests(requests: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Which request rows count, and how many people each counts.

    Parameters
    ----------
    requests
        The validated ledger (``inputs.requests``).
    scenario
        Its planned and disabled functions and ``requests`` settings.

    Returns
    -------
    pandas.DataFrame
        The ledger with ``people`` (``count x requests.weight``; 0 when left out) and
        ``left_out`` (blank when counted, else why: a disabled function, before
        ``requests.since``, undated while ``since`` is given, another channel).
    """
    rq = scenario.requests
    out = requests.copy()
    service = out["service"].astype(str).str.strip()
    date = out["date"].fillna("").astype(str)
    channel = out["channel"].fillna("").astype(str).str.strip()
    reason = np.full(len(out), "", dtype=object)
    if rq.channels:
        reason[~channel.isin([c.strip() for c in rq.channels]).to_numpy()] = OTHER_CHANNEL
    if rq.since:
        reason[(date == "").to_numpy()] = UNDATED
        reason[((date != "") & (date < rq.since)).to_numpy()] = BEFORE_SINCE
    planned = service.isin(list(scenario.functions)).to_numpy()
    reason[~planned] = UNKNOWN  # only in inputs made by hand: the validation refuses them
    reason[~planned & service.isin(scenario.disabled_functions).to_numpy()] = DISABLED
    out["service"] = service
    out["left_out"] = reason.astype(str)
    counted = out["left_out"] == ""
    out["people"] = np.where(counted, out["count"].to_numpy(dtype=float) * rq.weight, 0.0)
    return out


def requests_problems(inputs: Inputs, scenario: Scenario) -> tuple[list[Problem], list[str]]:
    """What the ledger and the scenario say together: problems (exit 3) and warnings.

    Parameters
    ----------
    inputs
        Validated inputs (``inputs.requests`` may be ``None``).
    scenario
        The scenario.

    Returns
    -------
    problems
        A function counting its requests only (``cohort: requests``) while the scenario
        gives no ``inputs.requests``.
    warnings
        Requests for disabled functions (ignored); ``requests.channels`` naming a
        channel no row has.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    if inputs.requests is None:
        for name, fn in scenario.functions.items():
            if names_requests_cohort(fn):
                problems.append(Problem(scenario.source, f"function {name} counts its requests only (cohort or "
                                        "capacity_demand.of: requests), but the scenario gives no inputs.requests "
                                        "(the market-demand ledger)", column=f"functions.{name}.cohort"))
        return problems, warnings
    rows = counted_requests(inputs.requests, scenario)
    disabled = rows[rows["left_out"] == DISABLED]
    if len(disabled):
        by = disabled.groupby("service")["count"].agg(["size", "sum"])
        warnings.append("requests for disabled functions are ignored: " + ", ".join(
            f"{f} ({int(r['size'])} rows, {r['sum']:,.0f} residents)" for f, r in by.iterrows()))
    present = set(rows["channel"].fillna("").astype(str).str.strip())
    missing = [c for c in scenario.requests.channels if c.strip() not in present]
    if missing:
        warnings.append(f"requests.channels names {', '.join(missing)}, which no row of the ledger has")
    return problems, warnings


def spread_over_units(people: pd.Series, unit_key: np.ndarray, basis: np.ndarray, total: np.ndarray) -> np.ndarray:
    """People asking per group of units, spread over the group's units pro rata to ``basis``.

    Parameters
    ----------
    people
        Group key -> people asking (keys every unit's ``unit_key`` may take).
    unit_key
        Each demand unit's group key (community, circle, or both), as object strings.
    basis
        People of the function's counted cohort per unit (the pro-rata weights).
    total
        Residents per unit: the weights in a group where ``basis`` sums to 0; evenly
        where ``total`` does too.

    Returns
    -------
    numpy.ndarray
        People per unit; each group's units sum to its people exactly (up to rounding).
    """
    asked = pd.Series(unit_key).map(people).fillna(0.0).to_numpy(dtype=float)
    out = np.zeros(len(unit_key))
    left = asked > 0  # units whose group has people to spread, not yet spread
    for weights in (basis, total, np.ones(len(unit_key))):
        w = np.where(left, np.nan_to_num(weights.astype(float), nan=0.0), 0.0)
        sums = pd.Series(w).groupby(unit_key).sum()
        unit_sum = pd.Series(unit_key).map(sums).fillna(0.0).to_numpy(dtype=float)
        use = left & (unit_sum > 0)
        out[use] = asked[use] * w[use] / unit_sum[use]
        left &= ~use
    return out


def requests_by_unit(rows: pd.DataFrame, demand: pd.DataFrame, basis: np.ndarray) -> np.ndarray:
    """People asking for one function per demand unit, from its counted request rows.

    Rows naming a community go to its units, rows naming a circle to the circle's, rows
    naming both to the units of the community in that circle; pro rata to ``basis``
    (:func:`spread_over_units`).
    """
    community = demand["community"].fillna("").astype(str).str.strip().to_numpy(dtype=object) \
        if "community" in demand else np.full(len(demand), "", dtype=object)
    circle = demand["circle_id"].fillna("").astype(str).str.strip().to_numpy(dtype=object) \
        if "circle_id" in demand else np.full(len(demand), "", dtype=object)
    total = demand["total"].to_numpy(dtype=float)
    row_community = rows["community"].fillna("").astype(str).str.strip()
    row_circle = rows["circle_id"].fillna("").astype(str).str.strip()
    out = np.zeros(len(demand))
    for names_community, names_circle, unit_key in (
            (True, False, community), (False, True, circle),
            (True, True, community + "\x1f" + circle)):
        sel = ((row_community != "") == names_community) & ((row_circle != "") == names_circle)
        if not sel.any():
            continue
        key = (row_community[sel] + "\x1f" + row_circle[sel]) if names_community and names_circle \
            else (row_community[sel] if names_community else row_circle[sel])
        people = rows.loc[sel, "people"].groupby(key.to_numpy()).sum()
        out += spread_over_units(people, unit_key, basis, total)
    return out


def with_requests(scenario: Scenario, inputs: Inputs) -> tuple[Scenario, Inputs, list[str]]:
    """The scenario and inputs with each function's requests added to the people it counts.

    Parameters
    ----------
    scenario
        The scenario as read (functions counting census cohorts, or ``requests``).
    inputs
        Validated inputs; ``inputs.requests`` the ledger, or ``None``.

    Returns
    -------
    scenario
        Unchanged without a ledger; else each function with counted requests, or with
        ``cohort: requests``, counts ``<cohort>_and_requests_<function>`` (and
        ``capacity_demand.of`` likewise). A function already counting its requests is
        left as it is, so applying the rule twice changes nothing.
    inputs
        The demand with the new columns ``requests_<function>`` and
        ``<cohort>_and_requests_<function>``; ``requests`` with ``people`` and
        ``left_out`` per row.
    notes
        Warnings for the run: a function counting its requests only that got none.
    """
    if inputs.requests is None:
        return scenario, inputs, []
    rows = counted_requests(inputs.requests, scenario)
    mode = scenario.model.mode
    demand = inputs.demand.copy()
    functions = dict(scenario.functions)
    notes: list[str] = []
    for name, fn in scenario.functions.items():
        mine = rows[(rows["service"] == name) & (rows["left_out"] == "")]
        if counts_requests(fn, name) or (mine.empty and not names_requests_cohort(fn)):
            continue
        counted = fn.counted_cohort(mode)
        basis = demand["total"] if counted == REQUESTS_COHORT else demand[counted]
        asked = requests_by_unit(mine, demand, basis.fillna(0).to_numpy(dtype=float))
        demand[requests_column(name)] = asked
        replaced = {}
        for cohort in {fn.cohort} | ({fn.capacity_demand.of} if fn.capacity_demand is not None else set()):
            if cohort != REQUESTS_COHORT and cohort not in demand.columns:
                replaced[cohort] = cohort  # a capacity_demand.of this mode does not read (nor validate)
                continue
            column = with_requests_column(cohort, name)
            if column != requests_column(name):
                demand[column] = demand[cohort].fillna(0).to_numpy(dtype=float) + asked
            replaced[cohort] = column
        capacity_demand = fn.capacity_demand if fn.capacity_demand is None else dataclasses.replace(
            fn.capacity_demand, of=replaced[fn.capacity_demand.of])
        functions[name] = dataclasses.replace(fn, cohort=replaced[fn.cohort], capacity_demand=capacity_demand)
        log.info("requests: %s counts %d request rows, %.6g people, spread over %d units (now %s)", name,
                 len(mine), float(asked.sum()), int((asked > 0).sum()), functions[name].counted_cohort(mode))
        if names_requests_cohort(fn) and mine.empty:
            notes.append(f"function {name} counts its requests only, but the ledger counts none for it "
                         "(after requests.since and requests.channels): it counts nobody")
    left = rows["left_out"].value_counts()
    for reason in (BEFORE_SINCE, UNDATED, OTHER_CHANNEL):
        if reason in left:
            log.info("requests: %d rows left out: %s", int(left[reason]), reason)
    if functions == scenario.functions:
        return scenario, dataclasses.replace(inputs, requests=rows), notes
    return (dataclasses.replace(scenario, functions=functions),
            dataclasses.replace(inputs, demand=demand, requests=rows), notes)


def requests_by_function(inputs: Inputs, scenario: Scenario, served_new: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per function: the requests counted, their people, how many the plan newly serves, and what that is worth.

    Parameters
    ----------
    inputs
        The inputs the plan was made with (:func:`with_requests` applied).
    scenario
        The scenario it was planned with (weights per person set).
    served_new
        The checked plan's people newly covered (or served) per unit, per function
        (:attr:`optimizer.plan.Plan.served_new`).

    Returns
    -------
    pandas.DataFrame
        ``function``, ``requests`` (rows counted), ``people_weighted`` (their people,
        count x weight), ``newly_covered_requests`` (people among them newly covered, or
        served in capacitated mode: served people x the unit's requests / its counted
        people), ``objective_from_requests`` (that times the function's weight per
        person). Empty without a ledger.
    """
    columns = ["function", "requests", "people_weighted", "newly_covered_requests", "objective_from_requests"]
    if inputs.requests is None:
        return pd.DataFrame(columns=columns)
    rows = inputs.requests
    counted = rows[rows["left_out"] == ""] if "left_out" in rows else rows.iloc[0:0]
    out = []
    for name, fn in scenario.functions.items():
        column = requests_column(name)
        mine = counted[counted["service"] == name]
        newly = 0.0
        if column in inputs.demand.columns:
            asked = inputs.demand[column].to_numpy(dtype=float)
            people = inputs.demand[fn.counted_cohort(scenario.model.mode)].to_numpy(dtype=float)
            share = np.divide(asked, people, out=np.zeros_like(asked), where=people > 0)
            newly = float((served_new[name].astype(float) * share).sum())
        out.append({"function": name, "requests": len(mine), "people_weighted": float(mine["people"].sum()),
                    "newly_covered_requests": newly, "objective_from_requests": fn.weight * newly})
    return pd.DataFrame(out, columns=columns)


def requests_record(table: pd.DataFrame, inputs: Inputs, objective: float | None) -> dict | None:
    """What ``run.json`` says of the ledger: rows, people, and the objective's part from requests.

    Parameters
    ----------
    table
        :func:`requests_by_function` of the checked plan.
    inputs
        The inputs (``requests`` with ``left_out``).
    objective
        The checked plan's objective (weighted coverage recomputed by the check); ``None``
        for objective ``least_cost``.

    Returns
    -------
    dict or None
        ``rows`` (counted), ``rows_left_out``, ``people_weighted``,
        ``objective_from_requests`` and ``share_of_objective`` (0-1; ``None`` when the
        objective is 0 or not a coverage objective). ``None`` without a ledger.
    """
    if inputs.requests is None:
        return None
    from_requests = float(table["objective_from_requests"].sum()) if objective is not None else None
    left = inputs.requests["left_out"] if "left_out" in inputs.requests else pd.Series(dtype=str)
    return {
        "rows": int(table["requests"].sum()),
        "rows_left_out": {str(k): int(v) for k, v in left[left != ""].value_counts().items()},
        "people_weighted": float(table["people_weighted"].sum()),
        "objective_from_requests": from_requests,
        "share_of_objective": (from_requests / objective if objective and from_requests is not None else None),
    }
