"""The map's colours and symbols, one palette for the report's map and the styled GeoPackage.

The report (:mod:`optimizer.report`) and the QGIS styles of ``plan.gpkg``
(:mod:`optimizer.outputs.layer_styles`) draw demand units and facilities alike, so that a
planner who opens either sees the same colours.
"""
from __future__ import annotations

#: colour of a demand unit by its status for the function shown (code as in optimizer.rules.covered)
STATUS_COLOURS: dict[str, str] = {"existing": "#9ecae1", "new": "#31a354", "unreached": "#e34a33"}
#: colour of what the plan does not change or does not claim: before the plan, a straight-line buffer
NEUTRAL_COLOUR = "#bbbbbb"
STATUS_CODES: dict[str, int] = {"unreached": 0, "existing": 1, "new": 2}
#: colour and symbol of each shipped function's facilities; others take the spare ones in turn
FUNCTION_STYLES: dict[str, tuple[str, str]] = {
    "canteen": ("#f28e00", "circle"), "childcare": ("#d6338a", "square"),
    "elder_care": ("#6a3d9a", "diamond"), "parking": ("#4d4d4d", "triangle"),
}
SPARE_STYLES: tuple[tuple[str, str], ...] = (("#1f78b4", "star"), ("#b15928", "circle"), ("#33a02c", "square"),
                                             ("#fb9a99", "diamond"))


def function_styles(functions: list[str]) -> dict[str, dict[str, str]]:
    """Colour and symbol per function (shipped functions keep theirs)."""
    out, spare = {}, iter(SPARE_STYLES * (1 + len(functions)))
    for f in functions:
        colour, symbol = FUNCTION_STYLES.get(f) or next(spare)
        out[f] = {"colour": colour, "symbol": symbol}
    return out
