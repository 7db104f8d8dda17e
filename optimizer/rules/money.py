"""What a project costs over the years and who pays (政府补、社区担、企业让、居民付), in plain terms.

This is the reference definition that planners read and the check uses; the model
(:mod:`optimizer.model.money`) builds the same quantities as linear terms, and tests hold
the two together.

For a converted site ``s`` hosting functions ``F`` with areas ``A_f``
(:mod:`optimizer.rules.costing` gives its one-off cost and its area in use):

- **running cost per year** = sum over ``F`` of ``running.fixed_per_year + running.per_m2_year
  x A_f`` (staff, utilities, food subsidies: seed 003 "完善老年食堂可持续运营机制"), plus **rent**
  = rent per m2 x the site's area in use. The rent per m2 is the site's
  ``rent_per_m2_year`` when given, else 0 when its ``owner`` is in ``money.rent.free_owners``
  (state-owned space offered rent-free, seed 003 "政府提供优惠场地降成本"), else
  ``money.rent.per_m2_year``.
- **who pays**: the one-off cost is split by ``money.one_off_paid_by``; each function's
  running cost by its ``running_paid_by`` (default ``money.running_paid_by``), and the rent
  by ``money.running_paid_by`` (seed 001: "按照'政府补、社区担、企业让、居民付'共同分担原则").
- **over the horizon**: a payer's cost = its one-off share + its yearly share x the
  annuity factor ``sum_{t=1..H} (1 + r) ** -t`` (``H = money.horizon_years``,
  ``r = money.discount_rate``): operation starts the year after conversion.
- **funding channels** (seed 003: "统筹中央预算内投资和地方政府专项债券等资金渠道"): the government's
  one-off share is split into *buckets*: one per function (its share of the functions'
  own one-off costs) and the *site works* (its share of the conversion costs less sharing
  savings and complex savings). A channel funds only the buckets of the functions it lists
  (a channel listing none funds every bucket, site works included); a plan is fundable when
  every bucket is covered by its channels within their caps. A site-works bucket that
  savings make negative needs nothing (savings are not lent to the functions' buckets).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.rules.costing import SiteCosting
from optimizer.scenario import PAYERS, ChannelSpec, PaidBy, Scenario

#: The bucket of the government's one-off share that pays the sites' conversion works.
SITE_WORKS = "site_works"


def annuity_factor(years: int, rate: float) -> float:
    """What a yuan a year for ``years`` years (paid at the end of each) is worth today at ``rate``."""
    if rate == 0:
        return float(years)
    return float((1 - (1 + rate) ** -years) / rate)


def rent_per_m2(site: pd.Series, scenario: Scenario) -> float:
    """Yearly rent per m2 of area in use at ``site`` (its own figure, else 0 if rent-free, else the default)."""
    own = site.get("rent_per_m2_year")
    if own is not None and not pd.isna(own):
        return float(own)
    if str(site.get("owner") or "").strip() in scenario.money.rent.free_owners:
        return 0.0
    return scenario.money.rent.per_m2_year


def running_paid_by(function: str, scenario: Scenario) -> PaidBy:
    """Who pays ``function``'s running cost."""
    return scenario.functions[function].running_paid_by or scenario.money.running_paid_by


@dataclass(frozen=True)
class ProjectMoney:
    """One converted site's money: one-off, yearly, over the horizon, and each payer's part.

    Attributes
    ----------
    one_off
        One-off cost (all payers), as :class:`~optimizer.rules.costing.SiteCosting` gives it.
    running_by_function
        Yearly running cost of each function (no rent).
    areas
        Area of each function (m2), as the costing has it.
    rent
        Yearly rent of the site's area in use.
    one_off_by_payer, yearly_by_payer
        Each payer's part of the one-off cost and of the yearly cost (running + rent).
    annuity
        The horizon's annuity factor.
    buckets
        The government's one-off share by funding bucket (function names and ``site_works``).
    """

    one_off: float
    running_by_function: dict[str, float]
    areas: dict[str, float]
    rent: float
    one_off_by_payer: dict[str, float]
    yearly_by_payer: dict[str, float]
    annuity: float
    buckets: dict[str, float]

    @property
    def yearly(self) -> float:
        """Yearly cost: running plus rent."""
        return float(sum(self.running_by_function.values()) + self.rent)

    def horizon_by_payer(self) -> dict[str, float]:
        """Each payer's cost over the horizon (one-off + discounted yearly)."""
        return {p: self.one_off_by_payer[p] + self.annuity * self.yearly_by_payer[p] for p in PAYERS}

    @property
    def public_one_off(self) -> float:
        """The government's one-off part."""
        return self.one_off_by_payer["government"]

    @property
    def public_yearly(self) -> float:
        """The government's yearly subsidy."""
        return self.yearly_by_payer["government"]

    @property
    def public_horizon(self) -> float:
        """The government's cost over the horizon."""
        return self.horizon_by_payer()["government"]


def project_money(site: pd.Series, costing: SiteCosting, scenario: Scenario) -> ProjectMoney:
    """The money of one converted site hosting ``costing.functions`` (areas as ``costing`` has them).

    Parameters
    ----------
    site
        The site's row of the idle asset ledger (``owner``, ``rent_per_m2_year``).
    costing
        Its one-off cost and areas (:func:`optimizer.rules.costing.cost_site`).
    scenario
        The scenario (``money``, the functions' ``running``).

    Returns
    -------
    ProjectMoney
    """
    money = scenario.money
    running = {f: scenario.functions[f].running.fixed_per_year
               + scenario.functions[f].running.per_m2_year * costing.area_by_function[f] for f in costing.functions}
    rent = rent_per_m2(site, scenario) * costing.area_used if costing.functions else 0.0
    one_off = costing.total_cost
    one_off_by = {p: money.one_off_paid_by.share(p) * one_off for p in PAYERS}
    yearly_by = {p: money.running_paid_by.share(p) * rent
                 + sum(running_paid_by(f, scenario).share(p) * running[f] for f in costing.functions) for p in PAYERS}
    g = money.one_off_paid_by.government
    buckets = {f: g * c for f, c in costing.function_costs.items()}
    buckets[SITE_WORKS] = g * (one_off - sum(costing.function_costs.values())) if costing.functions else 0.0
    return ProjectMoney(one_off, running, dict(costing.area_by_function), rent, one_off_by, yearly_by,
                        annuity_factor(money.horizon_years, money.discount_rate), buckets)


def channel_may_fund(channel: ChannelSpec, bucket: str) -> bool:
    """Whether ``channel`` may fund ``bucket`` (a function, or the site works)."""
    return not channel.functions or bucket in channel.functions


def allocate_channels(buckets: dict[str, float], channels: tuple[ChannelSpec, ...]) -> pd.DataFrame | None:
    """Fund each bucket from the channels open to it, earlier-listed channels first.

    A transportation problem solved exactly as a linear program: minimise the sum of
    ``(position of the channel + 1) x money`` so that every bucket's need (negative needs
    count as 0) is met and no channel exceeds its cap.

    Parameters
    ----------
    buckets
        The government's one-off share by bucket (yuan).
    channels
        The scenario's funding channels.

    Returns
    -------
    pandas.DataFrame or None
        ``channel, bucket, amount`` rows with a positive amount; ``None`` when no allocation
        exists (the plan cannot be funded).
    """
    from scipy.optimize import linprog

    need = {b: max(0.0, v) for b, v in buckets.items() if v > 1e-9}
    arcs = [(c, b) for c, ch in enumerate(channels) for b in need if channel_may_fund(ch, b)]
    if not need:
        return pd.DataFrame({"channel": [], "bucket": [], "amount": []})
    if not arcs or any(not any(b == bb for _, bb in arcs) for b in need):
        return None
    cost = np.array([c + 1.0 for c, _ in arcs])
    a_ub, b_ub = [], []
    bucket_names = list(need)
    for b in bucket_names:  # sum of money into b >= need  ->  -sum <= -need
        a_ub.append([-1.0 if bb == b else 0.0 for _, bb in arcs])
        b_ub.append(-need[b])
    for c, ch in enumerate(channels):
        if ch.cap is not None:
            a_ub.append([1.0 if cc == c else 0.0 for cc, _ in arcs])
            b_ub.append(ch.cap)
    res = linprog(cost, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=[(0, None)] * len(arcs), method="highs")
    if res.status != 0:
        return None
    rows = [(channels[c].name, b, float(v)) for (c, b), v in zip(arcs, res.x, strict=True) if v > 1e-6]
    return pd.DataFrame(rows, columns=["channel", "bucket", "amount"])


def plan_buckets(projects: list[ProjectMoney]) -> dict[str, float]:
    """The government's one-off share of a whole plan, by funding bucket."""
    out: dict[str, float] = {}
    for pm in projects:
        for b, v in pm.buckets.items():
            out[b] = out.get(b, 0.0) + v
    return out


@dataclass(frozen=True)
class PlanMoney:
    """A whole plan's money: each project's, the totals by payer, and the channels' allocation.

    Attributes
    ----------
    projects
        ``(site row, ProjectMoney)`` of every converted site, in the plan's order.
    funding
        The channels' allocation (``channel, bucket, amount``; :func:`allocate_channels`), an
        empty table without channels, ``None`` when the plan cannot be funded.
    """

    projects: tuple[tuple[int, ProjectMoney], ...]
    funding: pd.DataFrame | None

    def total(self, what: str, payer: str | None = None) -> float:
        """Sum over projects of ``one_off``, ``yearly`` or ``horizon`` (all payers, or one)."""
        out = 0.0
        for _, pm in self.projects:
            if what == "one_off":
                out += pm.one_off if payer is None else pm.one_off_by_payer[payer]
            elif what == "yearly":
                out += pm.yearly if payer is None else pm.yearly_by_payer[payer]
            else:
                by = pm.horizon_by_payer()
                out += sum(by.values()) if payer is None else by[payer]
        return float(out)

    def project_channels(self) -> dict[int, dict[str, float]]:
        """Site row -> channel -> money, the plan's allocation spread over projects pro rata.

        Each bucket's money from each channel is shared among the projects in proportion to
        their positive part of that bucket (the allocation is per bucket, not per project).
        """
        out: dict[int, dict[str, float]] = {row: {} for row, _ in self.projects}
        if self.funding is None or not len(self.funding):
            return out
        for bucket, part in self.funding.groupby("bucket"):
            weights = {row: max(0.0, pm.buckets.get(bucket, 0.0)) for row, pm in self.projects}
            total = sum(weights.values())
            if total <= 0:
                continue
            for channel, amount in zip(part["channel"], part["amount"], strict=True):
                for row, w in weights.items():
                    if w > 0:
                        out[row][channel] = out[row].get(channel, 0.0) + float(amount) * w / total
        return out


def plan_money(projects: list[tuple[int, ProjectMoney]], scenario: Scenario) -> PlanMoney:
    """Every project's money and, when the scenario has funding channels, their allocation."""
    channels = scenario.money.channels
    funding = allocate_channels(plan_buckets([pm for _, pm in projects]), channels) if channels else \
        pd.DataFrame({"channel": [], "bucket": [], "amount": []})
    return PlanMoney(tuple(projects), funding)
