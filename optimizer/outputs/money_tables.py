"""Who pays what, when: each project's money and the funding channels, as tables (政府补、社区担、企业让、居民付).

Computed from the checked plan by :mod:`optimizer.rules.money`: ``money.csv`` (one row per
converted site: one-off cost, yearly running cost and rent, each payer's part one-off, yearly
and over the horizon, and the channels funding the government's share), ``funding.csv``
(each channel's money per bucket, against its cap) and run.json's ``money`` summary.
"""
from __future__ import annotations

import pandas as pd

from optimizer.i18n import pick
from optimizer.rules.money import PlanMoney, running_paid_by
from optimizer.scenario import PAYERS, PaidBy, Scenario

#: the payers in the planners' words (seed 001: "政府补、社区担、企业让、居民付")
PAYER_LABELS: dict[str, dict[str, str]] = {
    "government": {"zh": "政府补", "en": "government"},
    "community": {"zh": "社区担", "en": "community"},
    "enterprise": {"zh": "企业让", "en": "enterprise"},
    "residents": {"zh": "居民付", "en": "residents"},
}
#: headers of the configuration list's money columns (:func:`configuration_money`)
MONEY_COLUMN_LABELS: dict[str, dict[str, str]] = {
    "running_per_year": {"zh": "年运营费用（元）", "en": "running cost per year (yuan)"},
    "rent_per_year": {"zh": "年租金（元，按面积分摊）", "en": "rent per year (yuan, by area)"},
    "one_off_paid_by": {"zh": "一次性投资分担", "en": "one-off cost paid by"},
    "running_paid_by": {"zh": "运营费用分担", "en": "running cost paid by"},
    "public_yearly": {"zh": "政府年补贴（元）", "en": "public subsidy per year (yuan)"},
    "funding_channels": {"zh": "资金渠道（点位）", "en": "funding channels (site)"},
}


def paid_by_words(shares: PaidBy, lang: str) -> str:
    """Who pays, in words: ``政府补 80%、企业让 20%`` / ``government 80%, enterprise 20%``."""
    parts = [f"{pick(lang, **PAYER_LABELS[p])} {shares.share(p):.0%}" for p in PAYERS if shares.share(p) > 0]
    return ("、" if lang == "zh" else ", ").join(parts)


def channel_mix(money_by_channel: dict[str, float]) -> str:
    """A project's funding channels as shares of its channel money: ``中央预算内投资 94%; 区级财政 6%``.

    Shares, not yuan: the channels fund the plan bucket by bucket (:mod:`optimizer.rules.money`),
    and a project's part of each bucket's money is spread pro rata, so yuan per project would
    suggest an allocation the plan does not fix (``funding.csv`` has the plan's own).
    """
    total = sum(money_by_channel.values())
    if total <= 0:
        return ""
    return "; ".join(f"{c} {v / total:.0%}" for c, v in money_by_channel.items() if v / total >= 0.005)


def configuration_money(money: PlanMoney, sites: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """Money columns of the configuration list (设施配置清单), one row per planned (site, function).

    ``running_per_year`` is the function's own running cost and ``rent_per_year`` the site's
    rent shared by the function's area; ``public_yearly`` the government's part of both;
    ``one_off_paid_by``/``running_paid_by`` who pays, in words; ``funding_channels`` the
    site's channels (the same on every row of the site).
    """
    channels = money.project_channels()
    g_run = scenario.money.running_paid_by.government
    rows = []
    for row, pm in money.projects:
        areas = pm.areas
        total_area = sum(areas.values())
        for f, running in pm.running_by_function.items():
            rent = pm.rent * areas[f] / total_area if total_area > 0 else 0.0
            rows.append({
                "site_id": sites.iloc[row]["site_id"], "function": f, "running_per_year": running,
                "rent_per_year": rent,
                "one_off_paid_by": paid_by_words(scenario.money.one_off_paid_by, lang),
                "running_paid_by": paid_by_words(running_paid_by(f, scenario), lang),
                "public_yearly": running_paid_by(f, scenario).government * running + g_run * rent,
                "funding_channels": channel_mix(channels.get(row, {})),
            })
    return pd.DataFrame(rows, columns=["site_id", "function", *MONEY_COLUMN_LABELS])


def project_money_table(money: PlanMoney, sites: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """One row per converted site: its money, each payer's part and its funding channels.

    Parameters
    ----------
    money
        The plan's money (:meth:`optimizer.plan.Plan.money`).
    sites
        The sites table.
    scenario
        The scenario (``money``).

    Returns
    -------
    pandas.DataFrame
        ``site_id, functions, one_off_cost, running_per_year, rent_per_year, yearly_cost``, then
        per payer ``one_off_<payer>, yearly_<payer>, horizon_<payer>``, ``public_horizon`` and
        ``funding_channels`` (:func:`channel_mix`).
    """
    channels = money.project_channels()
    rows = []
    for row, pm in money.projects:
        rec = {"site_id": sites.iloc[row]["site_id"], "functions": "+".join(pm.running_by_function),
               "owner": sites.iloc[row].get("owner", ""),
               "one_off_cost": pm.one_off, "running_per_year": sum(pm.running_by_function.values()),
               "rent_per_year": pm.rent, "yearly_cost": pm.yearly}
        horizon = pm.horizon_by_payer()
        for payer in PAYERS:
            rec[f"one_off_{payer}"] = pm.one_off_by_payer[payer]
            rec[f"yearly_{payer}"] = pm.yearly_by_payer[payer]
            rec[f"horizon_{payer}"] = horizon[payer]
        rec["public_horizon"] = pm.public_horizon
        rec["funding_channels"] = channel_mix(channels.get(row, {}))
        rows.append(rec)
    columns = ["site_id", "functions", "owner", "one_off_cost", "running_per_year", "rent_per_year", "yearly_cost"] + [
        f"{what}_{payer}" for payer in PAYERS for what in ("one_off", "yearly", "horizon")] + [
        "public_horizon", "funding_channels"]
    return pd.DataFrame(rows, columns=columns)


def funding_table(money: PlanMoney, scenario: Scenario) -> pd.DataFrame:
    """Each channel's money per bucket (a function, or ``site_works``), with its cap and what is left."""
    caps = {ch.name: ch.cap for ch in scenario.money.channels}
    if money.funding is None or not len(money.funding):
        return pd.DataFrame({"channel": [], "bucket": [], "amount": [], "cap": [], "channel_total": []})
    out = money.funding.copy()
    out["cap"] = out["channel"].map(caps)
    out["channel_total"] = out.groupby("channel")["amount"].transform("sum")
    return out


def money_summary(money: PlanMoney, scenario: Scenario) -> dict:
    """run.json's ``money``: totals by payer (one-off, yearly, over the horizon), the horizon and the channels."""
    m = scenario.money
    return {
        "horizon_years": m.horizon_years, "discount_rate": m.discount_rate,
        "annuity_factor": money.projects[0][1].annuity if money.projects else None,
        "one_off": {p: money.total("one_off", p) for p in PAYERS} | {"all": money.total("one_off")},
        "yearly": {p: money.total("yearly", p) for p in PAYERS} | {"all": money.total("yearly")},
        "horizon": {p: money.total("horizon", p) for p in PAYERS} | {"all": money.total("horizon")},
        "public_budgets": {"one_off": scenario.budget.public_one_off, "yearly": scenario.budget.public_yearly,
                           "horizon": scenario.budget.public_horizon},
        "channels": None if money.funding is None else [
            {"name": ch.name, "cap": ch.cap, "functions": list(ch.functions),
             "used": float(money.funding.loc[money.funding["channel"] == ch.name, "amount"].sum())}
            for ch in m.channels],
        "rent_free_owners": list(m.rent.free_owners),
    }
