"""How provision is graded into five-colour cards (五色卡): the scenario's ``grading:`` table.

Yuzhong surveyed the city-, sub-district- and community-level public service facilities
of its 11 sub-districts and 79 communities and, "结合设施规模和人口分布" (by facility scale
and population), graded them into five grades, the five-colour cards (seed 001). The
district publishes no thresholds; lifecircle therefore grades by a table a scenario may
replace, each threshold stating its basis.

A rule grades one **level** (``district`` 区, ``subdistrict`` 街道, ``community`` 社区,
``circle`` 生活圈) by one **measure**:

- ``places_per_1000``: places of running facilities in the unit plus planned ones (at
  their size; coverage mode: standard size) per 1,000 people of the function's
  ``capacity_demand.of`` cohort; standard: the function's ``capacity_demand.per_1000``
  (or the rule's ``standard``);
- ``share_covered``: share of the function's counted cohort within reach (capacitated
  mode: served), from running facilities and, after the plan, the plan's; standard: the
  rule's ``standard`` (default 1.0, everybody);
- ``m2_per_resident``: floor area of the function's facilities per resident (``total``);
  standard: the rule's ``standard``, required.

The **attainment** is the measure divided by the standard. A card is the best colour
whose ``min`` the attainment reaches (绿 green, 蓝 blue, 黄 yellow, 橙 orange, in that
order); below orange's ``min`` the card is 红 red. ``functions``: the functions the rule
grades; empty for every enabled one.

This module holds the types, the default table and the checks of meaning; the grading
itself is :mod:`optimizer.studies.assessment`.
"""
from __future__ import annotations

from dataclasses import dataclass

#: the levels a rule may grade, largest first
LEVELS: tuple[str, ...] = ("district", "subdistrict", "community", "circle")
#: the demand column that names each level's units
LEVEL_COLUMNS: dict[str, str] = {"district": "district", "subdistrict": "subdistrict", "community": "community",
                                 "circle": "circle_id"}
#: what a rule may measure
MEASURES: tuple[str, ...] = ("places_per_1000", "share_covered", "m2_per_resident")
#: the five cards, best first (the last, red, is everything below orange)
COLOURS: tuple[str, ...] = ("green", "blue", "yellow", "orange", "red")
#: attainments within this of a threshold count as on it
ATTAINMENT_TOLERANCE = 1e-9

PLACEHOLDER_BASIS = ("placeholder: 001 names five grades 'by facility scale and population' (结合设施规模和人口分布) "
                     "but publishes no thresholds")


@dataclass(frozen=True)
class CardThreshold:
    """The least attainment (measure / standard, 1.0 = the standard) that earns a card, and why."""

    min: float
    basis: str


@dataclass(frozen=True)
class CardThresholds:
    """Lower bounds of the four upper cards, decreasing from green to orange; red is below orange."""

    green: CardThreshold
    blue: CardThreshold
    yellow: CardThreshold
    orange: CardThreshold

    def card(self, attainment: float) -> str:
        """The card of an attainment: the best colour whose ``min`` it reaches, else red."""
        for colour in COLOURS[:-1]:
            if attainment >= getattr(self, colour).min - ATTAINMENT_TOLERANCE:
                return colour
        return "red"


@dataclass(frozen=True)
class GradingRule:
    """One row of the ``grading:`` table: a level, a measure, its standard, the functions and the bands."""

    level: str
    measure: str
    cards: CardThresholds
    functions: tuple[str, ...] = ()
    standard: float | None = None


def _bands(green: float, blue: float, yellow: float, orange: float, basis: str) -> CardThresholds:
    return CardThresholds(CardThreshold(green, f"{basis}; 绿 at {green:.0%} of the standard"),
                          CardThreshold(blue, f"{basis}; 蓝 at {blue:.0%} of the standard"),
                          CardThreshold(yellow, f"{basis}; 黄 at {yellow:.0%} of the standard"),
                          CardThreshold(orange, f"{basis}; 橙 at {orange:.0%} of the standard"))


#: the default bands: 100 / 80 / 50 / 20 % of the standard (placeholders, see PLACEHOLDER_BASIS)
DEFAULT_CARDS = _bands(1.0, 0.8, 0.5, 0.2, PLACEHOLDER_BASIS)

#: The default table (seed 001): community and sub-district provision by facility scale
#: against population (places per 1,000 of each function's cohort vs its standard; a
#: function without ``capacity_demand`` falls back to the share of its cohort covered),
#: and the same at the life circle, lifecircle's own planning unit (not named by 001).
DEFAULT_GRADING: tuple[GradingRule, ...] = (
    GradingRule("subdistrict", "places_per_1000", DEFAULT_CARDS),
    GradingRule("community", "places_per_1000", DEFAULT_CARDS),
    GradingRule("circle", "places_per_1000", DEFAULT_CARDS),
)


def grading_problems(rules: tuple[GradingRule, ...], functions: dict) -> list[str]:
    """Checks of meaning of the ``grading:`` table (types and unknown keys are the parser's).

    Parameters
    ----------
    rules
        The parsed table.
    functions
        The scenario's enabled functions (name -> ``FunctionSpec``).
    """
    out: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for i, rule in enumerate(rules):
        p = f"grading[{i}]"
        if rule.level not in LEVELS:
            out.append(f"{p}.level: unknown level {rule.level!r} (known: {', '.join(LEVELS)})")
        if rule.measure not in MEASURES:
            out.append(f"{p}.measure: unknown measure {rule.measure!r} (known: {', '.join(MEASURES)})")
        for fname in rule.functions:
            if fname not in functions:
                out.append(f"{p}.functions: {fname!r} is unknown or disabled (planned: {', '.join(functions)})")
            elif rule.measure == "places_per_1000" and rule.standard is None \
                    and functions[fname].capacity_demand is None:
                out.append(f"{p}.functions: {fname!r} has no capacity_demand, so places_per_1000 has no standard "
                           "(give standard: or measure: share_covered)")
        if rule.standard is not None and not rule.standard > 0:
            out.append(f"{p}.standard: must be > 0, got {rule.standard}")
        if rule.measure == "m2_per_resident" and rule.standard is None:
            out.append(f"{p}.standard: m2_per_resident needs a standard (m2 per resident)")
        if rule.measure == "share_covered" and rule.standard is not None and rule.standard > 1:
            out.append(f"{p}.standard: a share must be in (0, 1], got {rule.standard}")
        previous = None
        for colour in COLOURS[:-1]:
            threshold = getattr(rule.cards, colour)
            if threshold.min < 0:
                out.append(f"{p}.cards.{colour}.min: must be >= 0, got {threshold.min}")
            if not threshold.basis.strip():
                out.append(f"{p}.cards.{colour}.basis: say where the threshold comes from")
            if previous is not None and not threshold.min < previous[1]:
                out.append(f"{p}.cards.{colour}.min: thresholds must decrease from green to orange, got "
                           f"{threshold.min} after {previous[0]} {previous[1]}")
            previous = (colour, threshold.min)
        if rule.level in LEVELS:
            for fname in (rule.functions or tuple(functions)):
                key = (rule.level, fname)
                if key in seen:
                    out.append(f"{p}: level {rule.level} of {fname!r} is already graded by grading[{seen[key]}]")
                seen.setdefault(key, i)
    return out
