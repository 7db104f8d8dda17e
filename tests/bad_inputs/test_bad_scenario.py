"""Bad scenarios (issue 16): every spoilt key or value is refused with exit 3, its key named, nothing written.

A planner who misspells a key, gives a share that does not sum to 1, names a function or
a life circle that does not exist, or hands over a file that is not a scenario at all
(empty, a list, broken YAML, a "billion laughs" alias bomb, a file of megabytes) must be
told where, at once, before anything is solved or written.
"""
from __future__ import annotations

import pytest
from bad_input_harness import Bad, Project, assert_rejected


def _append(text: str, command: str = "validate"):
    """Append ``text`` to the scenario and run ``command`` on it."""
    def spoil(p: Project) -> list[str]:
        p.write_scenario(p.scenario_text() + text)
        return [command, str(p.scenario)]
    return spoil


def _set(*pairs: str, command: str = "validate"):
    """Run ``command`` on the pristine scenario with ``--set`` overrides."""
    def spoil(p: Project) -> list[str]:
        args = [command, str(p.scenario)]
        for pair in pairs:
            args += ["--set", pair]
        return args
    return spoil


def _replace(text: str | bytes):
    """Replace the whole scenario file by ``text``."""
    def spoil(p: Project) -> list[str]:
        if isinstance(text, bytes):
            p.scenario.write_bytes(text)
        else:
            p.write_scenario(text)
        return ["validate", str(p.scenario)]
    return spoil


#: Nine levels of nine: 9**9 (387 million) strings once expanded, in a dozen lines.
ALIAS_BOMB = "description:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  - &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True))

#: The same bomb as one ``--set`` value (a YAML flow list).
SET_ALIAS_BOMB = "[&a [lol, lol, lol, lol, lol, lol, lol, lol, lol], " + ", ".join(
    f"&{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)) + "]"

CASES = [
    # unknown keys, at every level
    Bad("unknown-top-level-key", _append("budgett: 1\n"), ("budgett",)),
    Bad("unknown-key-in-budget", _set("budget.totl=1e7"), ("budget.totl",)),
    Bad("unknown-key-in-a-function", _set("functions.elder_care.wieght=2"), ("functions.elder_care.wieght",)),
    Bad("unknown-key-in-a-function-size", _set("functions.canteen.size.standrd_m2=100"),
        ("functions.canteen.size.standrd_m2",)),
    Bad("unknown-key-in-an-eligibility-rule",
        _append("functions: {parking: {eligible: [{kinds: [plot], flor_min: 1}]}}\n"),
        ("functions.parking.eligible[0].flor_min",)),
    Bad("unknown-key-in-an-input-layer", _set("inputs.demand.colums={a: b}"), ("inputs.demand.colums",)),
    Bad("unknown-input-layer", _set("inputs.demnd=data/demand.gpkg"), ("inputs.demnd",)),
    Bad("unknown-key-in-solver", _set("solver.time_limit=5"), ("solver.time_limit",)),
    Bad("unknown-key-in-reach", _set("reach.detour=2"), ("reach.detour",)),
    Bad("unknown-key-in-money-rent", _set("money.rent.per_m2=3"), ("money.rent.per_m2",)),
    Bad("unknown-key-in-a-sharing-group", _append("sharing: {groups: [{name: g, functions: [canteen, elder_care], "
                                                  "saving: 0.1}]}\n"), ("sharing.groups[0].saving",)),
    # wrong types
    Bad("text-for-the-budget", _set("budget.total=lots"), ("budget.total", "lots")),
    Bad("maybe-for-a-switch", _set("reach.cache=maybe"), ("reach.cache", "true or false")),
    Bad("fraction-of-a-thread", _set("solver.threads=1.5"), ("solver.threads", "whole number")),
    Bad("a-list-for-the-objective", _set("objective=[share, fair]"), ("objective",)),
    Bad("a-number-too-long-for-any-budget", _set("budget.total=1" + "0" * 400), ("budget.total",)),
    # money that means nothing
    Bad("negative-budget", _set("budget.total=-1"), ("budget.total", ">= 0")),
    Bad("negative-district-budget", _append("budget: {by_district: {渝中区: -5}}\n"), ("budget.by_district.渝中区",)),
    Bad("negative-public-one-off", _set("budget.public_one_off=-1"), ("budget.public_one_off",)),
    Bad("payer-shares-not-summing-to-one", _append("money: {one_off_paid_by: {government: 0.5, community: 0.2}}\n"),
        ("money.one_off_paid_by", "sum to 1")),
    Bad("payer-share-above-one", _append("money: {running_paid_by: {government: 1.5, community: -0.5}}\n"),
        ("money.running_paid_by.government",)),
    Bad("negative-rent", _set("money.rent.per_m2_year=-10"), ("money.rent.per_m2_year",)),
    Bad("zero-year-horizon", _set("money.horizon_years=0"), ("money.horizon_years",)),
    Bad("channel-of-an-unknown-function", _append("money: {channels: [{name: district}, {name: bonds, "
                                                  "functions: [nosuch_fn]}]}\n"), ("money.channels[1]", "nosuch_fn")),
    # names that do not exist
    Bad("sharing-group-of-an-unknown-function",
        _append("sharing: {groups: [{name: g, functions: [canteen, nosuch_fn]}]}\n"),
        ("sharing.groups[0]", "nosuch_fn")),
    Bad("requirement-of-an-unknown-function", _append("requirements: [{function: nosuch_fn, min_share: 0.5}]\n"),
        ("requirements[0].function", "nosuch_fn")),
    Bad("requirement-for-a-circle-not-in-the-demand",
        _append("requirements: [{function: elder_care, min_share: 0.5, circles: [LC1, LC9]}]\n"),
        ("requirements[0].circles", "LC9")),
    Bad("requirement-with-both-levels", _append("requirements: [{function: canteen, min_share: 0.5, "
                                                "min_per_1000: 2}]\n"), ("requirements[0]", "exactly one")),
    Bad("requirement-share-above-one", _append("requirements: [{function: canteen, min_share: 1.5}]\n"),
        ("requirements[0].min_share",)),
    Bad("force-in-an-unknown-function", _append("decisions: {force_in: ['S1:nosuch_fn']}\n"),
        ("decisions.force_in", "S1:nosuch_fn")),
    Bad("force-in-an-unknown-site", _append("decisions: {force_in: [S9]}\n"), ("S9",)),
    Bad("district-budget-of-an-unknown-district", _append("budget: {by_district: {沙坪坝区: 1.0e7}}\n"),
        ("by_district", "沙坪坝区")),
    Bad("unknown-solver", _set("solver.name=gurobo"), ("solver.name", "gurobo")),
    Bad("unknown-warm-start", _set("solver.warm_start=magic"), ("solver.warm_start", "magic")),
    Bad("unknown-objective", _set("objective=happiness"), ("objective", "happiness")),
    Bad("unknown-model-mode", _set("model.mode=exact"), ("model.mode", "exact")),
    Bad("unknown-reach-method", _set("reach.method=teleport"), ("reach.method", "teleport")),
    Bad("unknown-missing-elevation-choice", _set("reach.missing_elevation=guess"), ("reach.missing_elevation",)),
    Bad("unknown-site-kind-in-a-rule", _append("functions: {parking: {eligible: [{kinds: [castle]}]}}\n"),
        ("functions.parking.eligible[0].kinds", "castle")),
    Bad("unknown-standards-table", _set("standards=shanghai"), ("standards", "shanghai")),
    Bad("unknown-walking-level", _set("functions.canteen.threshold_min=20-minute"),
        ("functions.canteen.threshold_min", "20-minute")),
    Bad("unknown-fairness-measure", _set("fairness.worst=median"), ("fairness.worst", "median")),
    Bad("complex-of-an-unknown-function", _append("complexes: [{name: 渝邻汇, functions: [canteen, elder_care, "
                                                  "nosuch_fn]}]\n"), ("complexes[0]", "nosuch_fn")),
    # values out of range
    Bad("detour-below-one", _set("reach.detour_factor=0.5"), ("reach.detour_factor",)),
    Bad("negative-snapping-distance", _set("reach.max_snap_m=-5"), ("reach.max_snap_m",)),
    Bad("gap-of-150-percent", _set("solver.relative_gap=1.5"), ("solver.relative_gap",)),
    Bad("zero-minute-walk", _set("functions.canteen.threshold_min=0"), ("functions.canteen.threshold_min",)),
    Bad("minimum-size-above-standard", _set("functions.canteen.size.min_m2=100000"), ("functions.canteen.size",)),
    Bad("sharing-saving-of-150-percent", _append("sharing: {groups: [{name: g, functions: [canteen, elder_care], "
                                                 "area_saving: 1.5}]}\n"), ("sharing.groups[0] (g).area_saving",)),
    Bad("phasing-budget-not-keyed-by-year", _append("phasing: {budgets: {next_year: 1.0e6}}\n"),
        ("phasing.budgets.next_year",)),
    Bad("requests-since-not-a-date", _set("requests.since=yesterday"), ("requests.since",)),
    Bad("shared-garage-open-30-hours", _set("shared_parking.min_hours=30"), ("shared_parking.min_hours",)),
    Bad("reach-cache-under-a-file", lambda p: ((p.folder / "notes.txt").write_text("x", encoding="utf-8"),
                                               _set("reach.method=network", "reach.cache_folder=notes.txt/cache",
                                                    command="solve")(p))[1], ("reach.cache_folder", "notes.txt")),
    # not finite
    Bad("nan-weight-by-set", _set("functions.elder_care.weight=nan"), ("functions.elder_care.weight", "finite")),
    Bad("inf-weight-by-set", _set("functions.elder_care.weight=inf"), ("functions.elder_care.weight", "finite")),
    Bad("nan-weight-in-yaml", _append("functions: {elder_care: {weight: .nan}}\n"), ("functions.elder_care.weight",)),
    Bad("infinite-budget-in-yaml", _set("budget.total=.inf"), ("budget.total", "finite")),
    Bad("minus-infinite-priority", _set("functions.canteen.priority=-.inf"), ("functions.canteen.priority",)),
    Bad("nan-time-limit", _set("solver.time_limit_s=nan"), ("solver.time_limit_s",)),
    Bad("nan-snapping-distance", _set("reach.max_snap_m=.nan"), ("reach.max_snap_m",)),
    # not a scenario file at all
    Bad("yaml-syntax-error-with-its-line", _append("budget: {total: 1.0e7\n"), ("tiny.yaml", "line 9")),
    Bad("yaml-bad-indentation-with-its-line", _append("reach:\n  method: straight_line\n detour_factor: 2\n"),
        ("tiny.yaml", "line ")),
    Bad("alias-bomb-under-a-known-key", _append(ALIAS_BOMB), ("description", "aliases")),
    Bad("alias-holding-itself", _append("description: &loop [*loop]\n"), ("tiny.yaml", "itself")),
    Bad("nested-ten-thousand-deep", _append("description: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("tiny.yaml", "nest")),
    Bad("oversize-file", _append("description: '" + "x" * 1_100_000 + "'\n"), ("tiny.yaml", "bytes")),
    Bad("empty-file", _replace(""), ("tiny.yaml", "empty")),
    Bad("a-list-instead-of-a-scenario", _replace("- inputs\n- budget\n"), ("tiny.yaml", "mapping")),
    Bad("not-utf8-text", _replace(b"budget: {total: 1}\n\xff\xfe\n"), ("tiny.yaml", "UTF-8")),
    Bad("a-list-where-a-mapping-is-expected", _append("budget: [1, 2]\n"), ("budget", "mapping")),
    Bad("functions-as-a-list", _append("functions: [canteen, parking]\n"), ("functions", "mapping")),
    Bad("a-function-as-a-number", _append("functions: {canteen: 5}\n"), ("functions.canteen",)),
    Bad("extends-a-missing-file", _append("extends: nosuch-base.yaml\n"), ("nosuch-base.yaml",)),
    Bad("extends-itself", _append("extends: tiny.yaml\n"), ("extends", "cycle")),
    Bad("extends-a-list", _append("extends: [a.yaml, b.yaml]\n"), ("extends",)),
    # bad --set syntax
    Bad("set-without-equals", _set("budget.total"), ("--set", "budget.total")),
    Bad("set-with-an-empty-key", _set("=5"), ("--set", "empty key")),
    Bad("set-through-a-number", _set("budget.total.yuan=1"), ("--set budget.total.yuan", "not a mapping")),
    Bad("set-alias-bomb", _set("description=" + SET_ALIAS_BOMB), ("--set description", "aliases")),
]


def test_the_suite_holds_45_distinct_bad_scenarios():
    assert len({c.id for c in CASES}) == len(CASES) >= 45


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_scenario_exits_3_names_its_key_and_writes_nothing(case, project):
    assert_rejected(case, project)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("alias-bomb-under-a-known-key", "oversize-file",
                                                                 "set-alias-bomb")], ids=lambda c: c.id)
def test_an_alias_bomb_or_a_huge_file_is_refused_before_it_is_expanded(case, project):
    # The bounded reader refuses the bomb by its alias count and the file by its size, saying so
    # (the case's expected words), and never prints the structure; how fast: benchmarks/refusals.py.
    result = assert_rejected(case, project)
    assert len(result.output) < 2000, "the message must not print the structure"


def test_a_scenario_error_solves_nothing_and_writes_no_output_folder(project):
    from bad_input_harness import invoke

    result = invoke(project, ["solve", project.scenario, "--set", "reach.max_snap_m=-1"])
    assert result.exit_code == 3
    assert not project.out.exists()
