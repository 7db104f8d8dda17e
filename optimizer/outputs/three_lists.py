"""The three lists (三单) of a run: high-frequency needs, service supply, facility configuration.

Jiangbei builds its life circles on "一图两账三单" (seed 004: "服务要素图，市场需求一本账、
闲置资产一本账，高频需求清单、服务供给清单、设施配置清单"): one service-element map, two
ledgers (residents' requests, idle assets) and three lists. Every run states the three
lists, built from the run's checked plan and its inputs, so that they agree with the plan
files and with each other:

- :func:`needs_list` (高频需求清单): per life circle and function, residents' requests
  (``inputs.requests``), the cohort, the people not covered before and after the plan, a
  rank within the circle and whether the plan adds a facility there;
- :func:`supply_list` (服务供给清单): per life circle, every running facility and every
  planned one, with places, opening hours and how it is operated;
- :func:`configuration_list` (设施配置清单): one row per planned facility (site x function),
  with its size, places, its share of the site's one-off cost and the circle's target year.

Every table here has stable machine column names (the keys of :data:`COLUMN_LABELS`) and
machine values; :func:`reader_table` puts headers and words in Chinese or English for the
files planners open. No I/O.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from optimizer.i18n import FUNCTION_LABELS, cohort_label, function_label, pick, unit_label
from optimizer.inputs.types import Inputs
from optimizer.outputs.money_tables import MONEY_COLUMN_LABELS
from optimizer.outputs.tables import facility_rows, fairness_by_circle
from optimizer.pipeline import Run
from optimizer.rules.existing import NO_CIRCLE, facility_circles, unit_circles
from optimizer.rules.requests import FILTERED_OUT
from optimizer.scenario import Scenario
from optimizer.studies.grades import planned_keys

log = logging.getLogger(__name__)

#: the key of a row of the configuration list; extra columns (who pays, funding channel,
#: running cost) keyed by it are merged in with ``configuration_list(run, extra=table)``
CONFIGURATION_KEY = ("site_id", "function")

#: every column of the three lists: machine key -> header in Chinese and English
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "rank": {"zh": "排序", "en": "rank"},
    "circle_id": {"zh": "生活圈编号", "en": "life circle id"},
    "circle_name": {"zh": "生活圈", "en": "life circle"},
    "subdistrict": {"zh": "街道", "en": "sub-district"},
    "function": {"zh": "功能代码", "en": "function code"},
    "function_label": {"zh": "服务功能", "en": "service"},
    "cohort": {"zh": "服务人群", "en": "cohort"},
    "requests": {"zh": "居民诉求（件）", "en": "residents' requests"},
    "people": {"zh": "服务人群人数", "en": "people of the cohort"},
    "not_covered_before": {"zh": "规划前未覆盖人数", "en": "not covered before the plan"},
    "not_covered_after": {"zh": "规划后未覆盖人数（缺口）", "en": "not covered after the plan (gap)"},
    "gap_pct_after": {"zh": "规划后未覆盖比例（%）", "en": "not covered after the plan (%)"},
    "running_facilities": {"zh": "现有设施数", "en": "running facilities"},
    "new_facilities": {"zh": "规划新增设施数", "en": "planned facilities"},
    "adds_facility": {"zh": "是否新增设施", "en": "plan adds a facility"},
    "status": {"zh": "状态", "en": "status"},
    "facility_id": {"zh": "设施/点位编号", "en": "facility or site id"},
    "name": {"zh": "名称", "en": "name"},
    "places": {"zh": "服务容量", "en": "places"},
    "unit": {"zh": "容量单位", "en": "unit"},
    "area_m2": {"zh": "面积（平方米）", "en": "area (m2)"},
    "hours": {"zh": "开放时段", "en": "opening hours"},
    "operator": {"zh": "运营方式", "en": "operator"},
    "owner": {"zh": "产权单位", "en": "owner"},
    "site_id": {"zh": "点位编号", "en": "site id"},
    "site_name": {"zh": "点位名称", "en": "site name"},
    "address": {"zh": "地址", "en": "address"},
    "function_cost": {"zh": "功能改造费用（元）", "en": "fit-out cost (yuan)"},
    "conversion_share": {"zh": "分摊场地改造费用（元）", "en": "share of the site's conversion cost (yuan)"},
    "sharing_saving": {"zh": "共享节省（元）", "en": "sharing saving (yuan)"},
    "one_off_cost": {"zh": "一次性投资（元）", "en": "one-off cost (yuan)"},
    "target_year": {"zh": "目标年份", "en": "target year"},
}

#: the columns of each list, in order
NEEDS_COLUMNS = ("circle_id", "circle_name", "rank", "function", "function_label", "cohort", "requests", "people",
                 "not_covered_before", "not_covered_after", "gap_pct_after", "running_facilities",
                 "new_facilities", "adds_facility")
SUPPLY_COLUMNS = ("circle_id", "circle_name", "function", "function_label", "status", "facility_id", "name",
                  "places", "unit", "area_m2", "hours", "operator", "owner")
CONFIGURATION_COLUMNS = ("site_id", "site_name", "address", "circle_id", "circle_name", "subdistrict", "function",
                         "function_label", "area_m2", "places", "unit", "function_cost", "conversion_share",
                         "sharing_saving", "one_off_cost", "target_year")

#: the files of the three lists (CSV) and the sheets of ``three_lists.xlsx``: key -> file, sheet names
LISTS: dict[str, dict[str, str]] = {
    "needs": {"file": "needs_list.csv", "zh": "高频需求清单", "en": "high-frequency needs"},
    "supply": {"file": "supply_list.csv", "zh": "服务供给清单", "en": "service supply"},
    "configuration": {"file": "configuration_list.csv", "zh": "设施配置清单", "en": "facility configuration"},
}

#: words of the lists' values
STATUS_LABELS: dict[str, dict[str, str]] = {
    "running": {"zh": "运行中", "en": "running"},
    "planned": {"zh": "规划新增", "en": "planned"},
}
YES_NO: dict[bool, dict[str, str]] = {True: {"zh": "是", "en": "yes"}, False: {"zh": "否", "en": "no"}}
NO_CIRCLE_LABEL: dict[str, str] = {"zh": "（未划入生活圈）", "en": "(no life circle)"}

#: operator of a planned facility, by its site's owner. Yuzhong and the reform plan run
#: public spaces "公建民营、民办公助" (seed 001; 003: "积极推行公建民营、民办公助等模式"):
#: a public owner's space is built publicly and run by an operator to be tendered; a private
#: owner's space is run privately with public support; no owner: to be decided.
OPERATOR_LABELS: dict[str, dict[str, str]] = {
    "public": {"zh": "公建民营（运营方待招标）", "en": "publicly built, privately run (operator to be tendered)"},
    "private": {"zh": "民办公助（待商定）", "en": "privately run with public support (to be agreed)"},
    "open": {"zh": "待定", "en": "to be tendered"},
}
#: words in a site's ``owner`` that mark a public or a private owner (checked in this order)
PUBLIC_OWNER_WORDS = ("国资", "国有", "街道", "社区", "教委", "卫健委", "机关", "事业单位", "政府", "区属", "市属",
                      "public", "state", "municipal", "district", "subdistrict", "community")
PRIVATE_OWNER_WORDS = ("企业", "公司", "个人", "私人", "业主", "private", "company", "enterprise", "owner-occupier")


# ----------------------------------------------------------------------------- shared pieces
def circle_names(inputs: Inputs) -> dict[str, str]:
    """Life circle id -> its name (``inputs.circles``; empty without a circles table)."""
    circles = inputs.circles
    if circles is None or "name" not in circles.columns:
        return {}
    return {str(c): ("" if pd.isna(n) else str(n)) for c, n in zip(circles["circle_id"], circles["name"],
                                                                   strict=True)}


def circle_target_years(inputs: Inputs) -> dict[str, int]:
    """Life circle id -> the year it is to reach its standard (``inputs.circles`` -> ``target_year``)."""
    circles = inputs.circles
    if circles is None or "target_year" not in circles.columns:
        return {}
    years = pd.to_numeric(circles["target_year"], errors="coerce")
    return {str(c): int(y) for c, y in zip(circles["circle_id"], years, strict=True) if not pd.isna(y)}


def community_circles(inputs: Inputs) -> dict[str, str]:
    """Community (社区) -> the life circle holding most of its residents (the demand's ``community``).

    A request that names only its community is counted in that circle; a community split
    between circles goes to the one where most of its residents live.
    """
    demand = inputs.demand
    if "community" not in demand.columns or not len(demand):
        return {}
    frame = pd.DataFrame({"community": _words(demand["community"]).to_numpy(),
                          "circle_id": unit_circles(inputs),
                          "total": pd.to_numeric(demand["total"], errors="coerce").fillna(0.0).to_numpy()})
    frame = frame[(frame["community"] != "") & (frame["circle_id"] != NO_CIRCLE)]
    if not len(frame):
        return {}
    sums = frame.groupby(["community", "circle_id"], sort=True)["total"].sum().reset_index()
    best = sums.sort_values(["community", "total"], ascending=[True, False], kind="stable") \
        .drop_duplicates("community")
    return dict(zip(best["community"], best["circle_id"], strict=True))


def request_function(service: str, scenario: Scenario) -> str:
    """The function a request's ``service`` names: a function key, its ``label_zh`` or a known label.

    A service the scenario does not plan (e.g. 家政) is kept under its own name, so the needs
    list still shows what residents ask for.
    """
    text = str(service).strip()
    if text in scenario.functions:
        return text
    low = text.lower()
    for name, fn in scenario.functions.items():
        known = FUNCTION_LABELS.get(name, {})
        if low in {name.lower(), (fn.label_zh or "").lower(), known.get("zh", "").lower(),
                   known.get("en", "").lower()} - {""}:
            return name
    return text


def requests_by_circle(inputs: Inputs, scenario: Scenario) -> pd.DataFrame:
    """Residents' requests (市场需求一本账) summed per life circle and function.

    Requests the scenario's ``requests.since`` or ``requests.channels`` leave out
    (:func:`optimizer.rules.requests.counted_requests`) are not counted; those for a function
    the scenario does not plan still are (what residents ask for is a need all the same).
    A request's circle is its ``circle_id``, else its community's (:func:`community_circles`),
    else ``(none)``; its function is :func:`request_function` of its ``service``; its weight is
    ``count`` (a blank count is one request).

    Returns
    -------
    pandas.DataFrame
        ``circle_id``, ``function``, ``requests``; empty when the scenario has no requests.
    """
    req = inputs.requests
    if req is not None and "left_out" in req.columns:  # the scenario's requests.since and channels apply here too
        req = req[~req["left_out"].isin(FILTERED_OUT)]
    if req is None or not len(req):
        return pd.DataFrame({"circle_id": pd.Series(dtype=object), "function": pd.Series(dtype=object),
                             "requests": pd.Series(dtype=float)})
    circle = _words(req["circle_id"]) if "circle_id" in req.columns else \
        pd.Series("", index=req.index)
    if "community" in req.columns:
        by_community = community_circles(inputs)
        community = _words(req["community"])
        circle = circle.where(circle != "", _lookup(community, by_community))
    circle = circle.replace("", NO_CIRCLE)
    count = pd.to_numeric(req["count"], errors="coerce").fillna(1.0) if "count" in req.columns else \
        pd.Series(1.0, index=req.index)
    function = req["service"].map(lambda s: request_function(s, scenario))
    out = pd.DataFrame({"circle_id": circle.to_numpy(), "function": function.to_numpy(), "requests": count.to_numpy()})
    return out.groupby(["circle_id", "function"], sort=True)["requests"].sum().reset_index()


def planned_facilities(run: Run, facilities: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per planned facility (site x function) with its circle, places, hours and operator.

    The circle is the site's ``circle_id``, else the nearest demand unit's (as the
    five-colour cards place it). Places are the facility's capacity in the function's units
    (:func:`optimizer.outputs.tables.facility_rows`: standard size / area per unit in coverage
    mode, the decided size in capacitated mode), or the site's own ``places`` when it hosts
    this function only (a time-shared garage states its spaces). ``hours`` is the site's
    column of that name when present.
    """
    table = facility_rows(run) if facilities is None else facilities
    table = pd.DataFrame(table.drop(columns="geometry", errors="ignore")).reset_index(drop=True)
    if not len(table):
        return pd.DataFrame(columns=["site_id", "function", "circle_id", "places", "area_m2", "site_name", "hours",
                                     "owner", "operator", "site_row"])
    sites = run.inputs.sites
    row_of = {str(s): i for i, s in enumerate(sites["site_id"].astype(str))}
    table["site_id"] = table["site_id"].astype(str)
    table["site_row"] = [row_of[s] for s in table["site_id"]]
    table["circle_id"] = planned_keys(run.inputs, table, "circle")
    hosted = table.groupby("site_id")["function"].transform("size")
    own_places = _site_column(sites, "places", table["site_row"])
    own = pd.to_numeric(own_places, errors="coerce")
    table["places"] = np.where((hosted == 1) & own.notna(), own, table["capacity"].astype(float))
    table["hours"] = _words(_site_column(sites, "hours", table["site_row"]))
    table["owner"] = _words(_site_column(sites, "owner", table["site_row"]))
    table["operator"] = [operator_kind(o) for o in table["owner"]]
    return table


def _words(values: pd.Series) -> pd.Series:
    """Text values stripped, blanks (NaN, None) as ``""``."""
    values = pd.Series(values, dtype=object)
    return values.where(values.notna(), "").astype(str).str.strip()


def _lookup(keys: pd.Series, mapping: dict, default: object = "") -> pd.Series:
    """``mapping`` of each key, ``default`` where it has none."""
    return pd.Series([mapping.get(k, default) for k in keys], index=keys.index, dtype=object)


def _site_column(sites: pd.DataFrame, column: str, rows: pd.Series) -> pd.Series:
    if column not in sites.columns:
        return pd.Series([None] * len(rows), index=rows.index, dtype=object)
    return pd.Series(sites[column].to_numpy()[rows.to_numpy()], index=rows.index)


def operator_kind(owner: str) -> str:
    """How a planned facility on a site of ``owner`` is run: ``public``, ``private`` or ``open``.

    See :data:`OPERATOR_LABELS` (seed 001: "公建民营、民办公助").

    Examples
    --------
    >>> operator_kind("区国资"), operator_kind("企业"), operator_kind("")
    ('public', 'private', 'open')
    """
    text = str(owner or "").strip().lower()
    if not text:
        return "open"
    if any(w in text for w in PUBLIC_OWNER_WORDS):
        return "public"
    if any(w in text for w in PRIVATE_OWNER_WORDS):
        return "private"
    return "open"


def cost_shares(run: Run) -> pd.DataFrame:
    """Each planned facility's share of its site's one-off cost, in yuan, to the cent.

    A facility carries its own fit-out cost (``function_cost``), an equal share of the
    site's conversion cost (paid once whatever it hosts) and, less, its part of the sharing
    saving: a sharing group saves ``cost_saving`` times each of its functions' fit-out cost,
    so each function is credited with what was saved on its own fit-out. The rows of a site
    add up, to the cent, to the site's ``total_cost`` in ``plan_sites.csv``: the cents lost to
    rounding go to the largest remainders of the conversion shares.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``function``, ``function_cost``, ``conversion_share``, ``sharing_saving``,
        ``one_off_cost`` (yuan, two decimals), one row per planned facility in plan order.
    """
    sc, sites = run.scenario, run.inputs.sites
    groups = {g.name: g for g in sc.sharing.groups}
    rows = []
    for p in run.plan.sites:
        c = p.costing
        site_id = str(sites.iloc[p.site_row]["site_id"])
        funcs = list(c.functions)
        saving = dict.fromkeys(funcs, 0.0)
        for name in c.groups_applied:
            for f in groups[name].functions:
                saving[f] += groups[name].cost_saving * c.function_costs[f]
        exact = [c.function_costs[f] + c.conversion_cost / len(funcs) - saving[f] for f in funcs]
        total_cents = round(round(c.total_cost, 2) * 100)
        cents = _largest_remainder([100.0 * x for x in exact], total_cents)
        for f, cent in zip(funcs, cents, strict=True):
            fc, sv = round(c.function_costs[f] * 100), round(saving[f] * 100)
            rows.append({"site_id": site_id, "function": f, "function_cost": fc / 100,
                         "conversion_share": (cent - fc + sv) / 100, "sharing_saving": sv / 100,
                         "one_off_cost": cent / 100})
    return pd.DataFrame(rows, columns=["site_id", "function", "function_cost", "conversion_share", "sharing_saving",
                                       "one_off_cost"])


def _largest_remainder(values: list[float], total: int) -> list[int]:
    """Whole numbers near ``values`` that sum to ``total`` (the largest remainders get the spare units)."""
    floors = [int(np.floor(v)) for v in values]
    spare = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (floors[i] - values[i], i))
    for k in range(abs(spare)):
        i = order[k % len(values)] if spare > 0 else order[::-1][k % len(values)]
        floors[i] += 1 if spare > 0 else -1
    return floors


# ----------------------------------------------------------------------------- the three lists
def supply_list(run: Run, facilities: pd.DataFrame | None = None, *,
                planned: pd.DataFrame | None = None) -> pd.DataFrame:
    """服务供给清单: per life circle, every running facility and every planned one.

    Running facilities come from ``inputs.facilities`` (their circle: their own
    ``circle_id``, else the nearest demand unit's); planned ones from the plan
    (:func:`planned_facilities`). ``hours`` and ``operator`` are the facility's columns of
    those names when present; a planned facility's operator follows its site's owner
    (:func:`operator_kind`).

    Returns
    -------
    pandas.DataFrame
        :data:`SUPPLY_COLUMNS`, sorted by circle, function (scenario order), status
        (running first) and id. ``status``: ``running`` or ``planned``; ``operator``: the
        facility's own words, or ``public``/``private``/``open`` for planned ones.

    ``planned``: :func:`planned_facilities` of the run, when already computed (it is read, not changed).
    """
    inputs, sc = run.inputs, run.scenario
    names = circle_names(inputs)
    fac = inputs.facilities
    running = pd.DataFrame({
        "circle_id": facility_circles(inputs),
        "function": fac["function"].astype(str).to_numpy(),
        "status": "running",
        "facility_id": fac["facility_id"].astype(str).to_numpy(),
        "name": _text(fac, "name"),
        "places": pd.to_numeric(fac["capacity"], errors="coerce").to_numpy(float) if "capacity" in fac.columns
        else np.nan,
        "area_m2": pd.to_numeric(fac["area_m2"], errors="coerce").to_numpy(float) if "area_m2" in fac.columns
        else np.nan,
        "hours": _text(fac, "hours"),
        "operator": _text(fac, "operator"),
        "owner": _text(fac, "owner"),
    })
    planned = planned_facilities(run, facilities) if planned is None else planned
    new = pd.DataFrame({
        "circle_id": planned["circle_id"].to_numpy(dtype=object),
        "function": planned["function"].astype(str).to_numpy(),
        "status": "planned",
        "facility_id": planned["site_id"].astype(str).to_numpy(),
        "name": _words(planned["site_name"]).to_numpy(dtype=object),
        "places": planned["places"].to_numpy(float),
        "area_m2": planned["area_m2"].to_numpy(float),
        "hours": planned["hours"].to_numpy(dtype=object),
        "operator": planned["operator"].to_numpy(dtype=object),
        "owner": planned["owner"].to_numpy(dtype=object),
    })
    parts = [t for t in (running, new) if len(t)]
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else running).copy()
    out["circle_name"] = _lookup(out["circle_id"], names)
    out["function_label"] = out["function"]
    out["unit"] = _lookup(out["function"], {n: fn.unit_name for n, fn in sc.functions.items()})
    order = {n: i for i, n in enumerate(sc.functions)}
    out["_f"] = _lookup(out["function"], order, len(order))
    out["_s"] = (out["status"] == "planned").astype(int)
    out = out.sort_values(["circle_id", "_f", "function", "_s", "facility_id"], kind="stable", ignore_index=True)
    return out[list(SUPPLY_COLUMNS)]


def _text(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table.columns:
        return np.full(len(table), "", dtype=object)
    return _words(table[column]).to_numpy(dtype=object)


def needs_list(run: Run, facilities: pd.DataFrame | None = None, *, supply: pd.DataFrame | None = None,
               shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """高频需求清单: per life circle and function, what residents ask for and what is still missing.

    One row per (circle, function) with anyone of the function's cohort, a request, or a
    planned facility. ``requests`` sums the ``count`` of ``inputs.requests`` (blank without a
    requests ledger); ``people`` is the function's counted cohort in the circle; the people
    not covered before and after the plan are those the circle's running facilities,
    then running and planned ones, leave out of reach (capacitated mode: not served), as
    :func:`optimizer.rules.fairness.circle_shares` counts them. A requested service the
    scenario does not plan gets a row of its own with its requests only.

    ``rank`` orders the functions within a circle by requests, then by the share of the
    cohort still not covered after the plan (the reform plan asks to balance per person,
    "从总量均衡转向人均平衡", seed 003), then by the people not covered; rank 1 is the
    most pressing. ``adds_facility`` says whether the plan puts a facility of the function
    on a site of the circle (the planned rows of :func:`supply_list`).

    ``supply`` (:func:`supply_list`) and ``shares`` (:func:`optimizer.outputs.tables.fairness_by_circle`)
    of the run, when already computed, are read, not changed.

    Returns
    -------
    pandas.DataFrame
        :data:`NEEDS_COLUMNS`, sorted by circle and rank.
    """
    inputs, sc = run.inputs, run.scenario
    shares = (fairness_by_circle(run) if shares is None else shares)[
        ["function", "circle_id", "people", "covered_before", "covered_after"]]
    supply = supply_list(run, facilities) if supply is None else supply
    counts = supply.groupby(["circle_id", "function", "status"]).size().unstack("status", fill_value=0)
    counts = counts.reindex(columns=["running", "planned"], fill_value=0).reset_index() \
        .rename(columns={"running": "running_facilities", "planned": "new_facilities"})
    requests = requests_by_circle(inputs, sc)
    parts = [t[["circle_id", "function"]] for t in (shares, requests, counts[counts["new_facilities"] > 0])
             if len(t)]
    keys = pd.concat(parts, ignore_index=True).drop_duplicates() if parts else \
        pd.DataFrame({"circle_id": pd.Series(dtype=object), "function": pd.Series(dtype=object)})
    out = keys.merge(shares, on=["circle_id", "function"], how="left") \
        .merge(requests, on=["circle_id", "function"], how="left") \
        .merge(counts, on=["circle_id", "function"], how="left")
    known = out["function"].isin(sc.functions)
    for col in ("people", "covered_before", "covered_after"):
        out[col] = out[col].where(~known | out[col].notna(), 0.0)
    if inputs.requests is not None:
        out["requests"] = out["requests"].fillna(0.0)
    for col in ("running_facilities", "new_facilities"):
        out[col] = out[col].fillna(0).astype(int)
    out["not_covered_before"] = (out["people"] - out["covered_before"]).clip(lower=0.0)
    out["not_covered_after"] = (out["people"] - out["covered_after"]).clip(lower=0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["gap_pct_after"] = np.where(out["people"] > 0, 100.0 * out["not_covered_after"] / out["people"],
                                        np.where(known, 0.0, np.nan))
    out["adds_facility"] = out["new_facilities"] > 0
    out["cohort"] = _lookup(out["function"], {n: fn.counted_cohort(sc.model.mode) for n, fn in sc.functions.items()})
    out["circle_name"] = _lookup(out["circle_id"], circle_names(inputs))
    out["function_label"] = out["function"]
    order = {n: i for i, n in enumerate(sc.functions)}
    out["_f"] = _lookup(out["function"], order, len(order))
    out = out.sort_values(["circle_id", "requests", "gap_pct_after", "not_covered_after", "_f", "function"],
                          ascending=[True, False, False, False, True, True], na_position="last", kind="stable",
                          ignore_index=True)
    out["rank"] = out.groupby("circle_id").cumcount() + 1
    return out[list(NEEDS_COLUMNS)]


def configuration_list(run: Run, facilities: pd.DataFrame | None = None,
                       extra: pd.DataFrame | None = None, *, planned: pd.DataFrame | None = None) -> pd.DataFrame:
    """设施配置清单: one row per planned facility (site x function): where, how large, what it costs, by when.

    ``one_off_cost`` is the facility's share of its site's one-off cost (:func:`cost_shares`):
    the rows of a site add up to the site's ``total_cost`` in ``plan_sites.csv``.
    ``target_year`` is the circle's ``target_year`` from ``inputs.circles`` (blank without
    one); multi-year runs (``lifecircle plan --years``) write their own annual list.
    ``subdistrict`` is the site's, else its circle's.

    Parameters
    ----------
    run
        The run.
    facilities
        :func:`optimizer.outputs.tables.facility_rows` of the run, when already computed.
    extra
        More columns keyed by ``site_id`` and ``function`` (who pays, funding channel,
        running cost), merged in as they are; at most one row per key.
    planned
        :func:`planned_facilities` of the run, when already computed (read, not changed).

    Returns
    -------
    pandas.DataFrame
        :data:`CONFIGURATION_COLUMNS` (then ``extra``'s columns), in plan order (site, then
        the site's functions).
    """
    inputs = run.inputs
    costs = cost_shares(run)
    if not len(costs):
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in CONFIGURATION_COLUMNS})
    else:
        planned = planned_facilities(run, facilities) if planned is None else planned
        out = costs.merge(planned, on=list(CONFIGURATION_KEY), how="left", validate="one_to_one",
                          suffixes=("", "_facility"))
        rows = out["site_row"].astype(int)
        out["address"] = _words(_site_column(inputs.sites, "address", rows))
        own = _words(_site_column(inputs.sites, "subdistrict", rows))
        out["subdistrict"] = own.where(own != "", _lookup(out["circle_id"], _circle_subdistricts(inputs)))
        out["circle_name"] = _lookup(out["circle_id"], circle_names(inputs))
        out["target_year"] = out["circle_id"].map(circle_target_years(inputs)).astype("Int64")
        out["function_label"] = out["function"]
        out["unit"] = _lookup(out["function"], {n: fn.unit_name for n, fn in run.scenario.functions.items()})
        out["site_name"] = _words(out["site_name"])
        out = out[list(CONFIGURATION_COLUMNS)]
    if extra is not None:
        out = out.merge(extra, on=list(CONFIGURATION_KEY), how="left", validate="one_to_one")
    return out


def _circle_subdistricts(inputs: Inputs) -> dict[str, str]:
    circles = inputs.circles
    if circles is None or "subdistrict" not in circles.columns:
        return {}
    return {str(c): ("" if pd.isna(s) else str(s)) for c, s in zip(circles["circle_id"], circles["subdistrict"],
                                                                   strict=True)}


# ----------------------------------------------------------------------------- for readers
def column_label(column: str, lang: str) -> str:
    """A column's header in ``lang`` (a column in neither table, e.g. one merged in, as it is)."""
    labels = COLUMN_LABELS.get(column) or MONEY_COLUMN_LABELS.get(column)
    return pick(lang, **labels) if labels else column


def reader_table(table: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """``table`` (one of the three lists) with its headers and words in ``lang``; numbers stay numbers.

    Function, cohort, unit, status, operator, yes/no and the ``(none)`` circle are put in
    words; money and people are rounded to two decimals.
    """
    out = table.copy()
    labels = {n: function_label(n, lang, fn.label_zh) for n, fn in scenario.functions.items()}
    if "function_label" in out.columns:
        out["function_label"] = out["function_label"].map(lambda f: labels.get(f) or function_label(f, lang))
    if "cohort" in out.columns:
        out["cohort"] = out["cohort"].map(lambda c: cohort_label(c, lang) if c else "")
    if "unit" in out.columns:
        out["unit"] = out["unit"].map(lambda u: unit_label(u, lang) if u else "")
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda s: pick(lang, **STATUS_LABELS[s]) if s in STATUS_LABELS else s)
    if "operator" in out.columns:
        out["operator"] = out["operator"].map(lambda o: pick(lang, **OPERATOR_LABELS[o]) if o in OPERATOR_LABELS
                                              else o)
    if "adds_facility" in out.columns:
        out["adds_facility"] = out["adds_facility"].map(lambda b: pick(lang, **YES_NO[bool(b)]))
    if "circle_name" in out.columns:
        none = out["circle_id"] == NO_CIRCLE
        out.loc[none, "circle_name"] = NO_CIRCLE_LABEL[lang]
    floats = [c for c in out.columns if out[c].dtype.kind == "f"]
    out[floats] = out[floats].round(2)
    return out.rename(columns={c: column_label(c, lang) for c in out.columns})


def three_lists(run: Run, lang: str, facilities: pd.DataFrame | None = None,
                extra: pd.DataFrame | None = None, shares: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The three lists for readers, by file name (:data:`LISTS`): needs, supply, configuration.

    Parameters
    ----------
    run
        The run.
    lang
        ``zh`` or ``en``: headers and words.
    facilities
        :func:`optimizer.outputs.tables.facility_rows` of the run, when already computed.
    extra
        More configuration columns keyed by ``site_id`` and ``function`` (see
        :func:`configuration_list`).
    shares
        :func:`optimizer.outputs.tables.fairness_by_circle` of the run, when already computed.

    The planned facilities and the supply list are worked out once and passed down (the needs
    list counts the supply list's rows; the supply and configuration lists read the planned facilities).
    """
    planned = planned_facilities(run, facilities)
    supply = supply_list(run, facilities, planned=planned)
    tables = {"needs": needs_list(run, facilities, supply=supply, shares=shares), "supply": supply,
              "configuration": configuration_list(run, facilities, extra, planned=planned)}
    return {LISTS[k]["file"]: reader_table(t, run.scenario, lang) for k, t in tables.items()}


def sheet_name(file_name: str, lang: str) -> str:
    """The workbook sheet of a list's file (``needs_list.csv`` -> ``高频需求清单``)."""
    for spec in LISTS.values():
        if spec["file"] == file_name:
            return pick(lang, zh=spec["zh"], en=spec["en"])
    return file_name
