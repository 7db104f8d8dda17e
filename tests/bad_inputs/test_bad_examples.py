"""The harness itself: a good project solves; a spoilt one is rejected as the harness demands."""
from __future__ import annotations

import pytest
from bad_input_harness import Bad, assert_rejected, invoke


def test_the_pristine_project_solves_so_every_rejection_is_the_spoiling_s_doing(project):
    result = invoke(project, ["-q", "validate", project.scenario])
    assert result.exit_code == 0, result.output


CASES = [
    Bad("unknown-top-level-key", lambda p: (p.write_scenario(p.scenario_text() + "budgett: 1\n"),
                                            ["validate", p.scenario])[1], ("budgett",)),
    Bad("missing-demand-file", lambda p: ((p.data / "demand.gpkg").unlink(), ["solve", p.scenario])[1],
        ("demand.gpkg",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_exits_3_names_where_and_writes_nothing(case, project):
    assert_rejected(case, project)
