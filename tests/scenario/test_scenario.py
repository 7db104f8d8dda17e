"""Scenario files: closed, typed, inheritable, overridable."""
from __future__ import annotations

import pytest

from optimizer.errors import ScenarioError
from optimizer.scenario import load_scenario


def _write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
inputs:
  demand: data/demand.gpkg
  sites: {path: data/sites.gpkg, layer: sites}
budget: {total: 50000000}
"""


def test_a_what_if_is_a_three_line_file_that_extends_its_base(tmp_path):
    _write(tmp_path, "base.yaml", BASE)
    what_if = _write(tmp_path, "cheap.yaml", "extends: base.yaml\nbudget: {total: 2.0e7}\n")
    sc = load_scenario(what_if)
    assert sc.name == "cheap"
    assert sc.budget.total == 2.0e7
    # inherited inputs resolve relative to the base file, not the what-if
    assert sc.inputs.sites.path == (tmp_path / "data" / "sites.gpkg").resolve()
    assert sc.inputs.sites.layer == "sites"


def test_extends_merges_mappings_key_by_key(tmp_path):
    _write(tmp_path, "base.yaml", BASE + "functions:\n  canteen: {threshold_min: 12}\n")
    what_if = _write(tmp_path, "w.yaml", "extends: base.yaml\nfunctions:\n  canteen: {weight: 2}\n")
    sc = load_scenario(what_if)
    assert sc.functions["canteen"].threshold_min == 12
    assert sc.functions["canteen"].weight == 2
    # untouched defaults survive (domain.md: canteen area per seat 2.4 m2)
    assert sc.functions["canteen"].area_per_unit_m2 == 2.4


def test_set_overrides_one_key_from_the_command_line(tmp_path):
    path = _write(tmp_path, "base.yaml", BASE)
    sc = load_scenario(path, ["budget.total=1e6", "functions.parking.threshold_min=7", "solver.name=cbc"])
    assert sc.budget.total == 1e6
    assert sc.functions["parking"].threshold_min == 7
    assert sc.solver.name == "cbc"


def test_unknown_key_is_an_error_naming_its_full_path(tmp_path):
    path = _write(tmp_path, "bad.yaml", BASE + "solver: {time_limt_s: 5}\nfunctions:\n  canteen: {treshold_min: 3}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "solver.time_limt_s: unknown key" in text
    assert "functions.canteen.treshold_min: unknown key" in text


def test_meaningless_values_are_all_reported_at_once(tmp_path):
    path = _write(tmp_path, "bad.yaml", BASE + """
functions:
  childcare: {threshold_min: 0, size: {min_m2: 500, standard_m2: 400, max_m2: 300}}
sharing:
  groups: [{name: g, functions: [canteen, elder_care], area_saving: 1.5}]
solver: {relative_gap: -1}
""")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    for fragment in ("functions.childcare.threshold_min", "functions.childcare.size",
                     "area_saving: must be in [0, 1)", "solver.relative_gap"):
        assert fragment in text


def test_disabling_a_function_removes_it_from_the_plan(tmp_path):
    path = _write(tmp_path, "base.yaml", BASE + "functions:\n  parking: {enabled: false}\n")
    assert "parking" not in load_scenario(path).functions


def test_a_new_function_needs_every_field(tmp_path):
    path = _write(tmp_path, "new.yaml", BASE + "functions:\n  library: {cohort: total, threshold_min: 15}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "functions.library.walk_speed_mps: required key is missing" in str(err.value)


def test_extends_cycle_is_reported(tmp_path):
    _write(tmp_path, "a.yaml", "extends: b.yaml\n")
    _write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_defaults_follow_domain_md(tmp_path):
    sc = load_scenario(_write(tmp_path, "base.yaml", BASE))
    f = sc.functions
    assert f["parking"].threshold_min == 5          # "5分钟取停"
    assert f["childcare"].area_per_unit_m2 == 20     # 20 m2 building area per place
    assert f["elder_care"].walk_speed_mps == 0.9     # elderly walking speed
    assert f["childcare"].eligible[0].floor_max == 3 and f["childcare"].eligible[0].floor_min == 1
    assert sc.solver.relative_gap == 0.0             # ask for a proof by default


def test_shipped_scenarios_parse(repo):
    for path in sorted((repo / "scenarios").glob("*.yaml")):
        load_scenario(path)


def test_a_planner_may_share_settings_with_yaml_anchors_within_bounds(tmp_path):
    """Anchors and aliases stay usable: only a file that expands past the bound is refused."""
    _write(tmp_path, "base.yaml", BASE)
    what_if = _write(tmp_path, "shared.yaml", "extends: base.yaml\n"
                     "functions:\n  canteen: {eligible: &ground [{kinds: [building], floor_max: 1}]}\n"
                     "  elder_care: {eligible: *ground}\n")
    sc = load_scenario(what_if)
    assert sc.functions["elder_care"].eligible == sc.functions["canteen"].eligible


def test_a_base_file_too_large_is_refused_naming_it(tmp_path):
    _write(tmp_path, "base.yaml", BASE + "description: '" + "x" * 1_100_000 + "'\n")
    what_if = _write(tmp_path, "w.yaml", "extends: base.yaml\n")
    with pytest.raises(ScenarioError, match="base.yaml") as info:
        load_scenario(what_if)
    assert "too large" in str(info.value)


@pytest.mark.parametrize("text, words", [
    ("a: " + "[" * 5000 + "]" * 5000, "too deeply nested"),
    ("a: &x [" + ", ".join(["lol"] * 500) + "]\nb: [" + ", ".join(["*x"] * 500) + "]", "aliases expand"),
    ("a: &x [*x]", "holds itself"),
])
def test_without_libyaml_the_python_loader_is_bounded_the_same_way(text, words):
    import yaml

    from optimizer.yaml_bounded import BoundedSafeLoader, YamlTooLarge

    with pytest.raises(YamlTooLarge, match=words):
        yaml.load(text, Loader=BoundedSafeLoader)  # noqa: S506 - a SafeLoader
