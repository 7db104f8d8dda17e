"""OD-table reach: minutes and metres to reference seconds; every problem reported at once."""
from __future__ import annotations

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.reach import ReachMethod, od_table_reach


def test_minutes_become_reference_seconds_at_the_tables_speed_and_metres_stay():
    od = pd.DataFrame({"unit_id": ["U1", "U1", "U2"], "site_id": ["S1", "S2", "S1"],
                       "minutes": [5.0, None, None], "metres": [None, 400.0, 700.0]})
    reach = od_table_reach(od, ["U1", "U2", "U3"], ["S1", "S2"], 600.0, speed_mps=1.2)
    assert reach.method is ReachMethod.OD_TABLE
    assert list(zip(reach.unit_index, reach.target_index, strict=True)) == [(0, 0), (0, 1)]  # 700 m is beyond
    assert reach.ref_seconds.tolist() == pytest.approx([5 * 60 * 1.2, 400.0])
    assert (reach.n_units, reach.n_targets) == (3, 2)


def test_od_threshold_is_inclusive_and_unlisted_ids_reach_nothing():
    od = pd.DataFrame({"unit_id": [1, 2], "site_id": [10, 10], "metres": [300.0, 300.5]})
    reach = od_table_reach(od, ["1", "2", "3"], [10, 11], 300.0)
    assert list(zip(reach.unit_index, reach.target_index, strict=True)) == [(0, 0)]


def test_minutes_win_when_a_row_gives_both():
    od = pd.DataFrame({"unit_id": ["U1"], "site_id": ["S1"], "minutes": [2.0], "metres": [999.0]})
    assert od_table_reach(od, ["U1"], ["S1"], 1e6).ref_seconds.tolist() == [120.0]


def test_repeated_pair_with_the_same_value_counts_once():
    od = pd.DataFrame({"unit_id": ["U1", "U1"], "site_id": ["S1", "S1"], "minutes": [2.0, 2.0]})
    assert od_table_reach(od, ["U1"], ["S1"], 1e6).n_pairs == 1


def test_bad_od_table_yields_one_input_error_listing_every_problem():
    od = pd.DataFrame({
        "unit_id": ["U1", "U9", "U1", "U2", "U2", "U1", "U1", ""],
        "site_id": ["S1", "S1", "S7", "S1", "S2", "S2", "S2", "S1"],
        "minutes": [5, 3, 2, -1, "abc", None, 4, 1],
        "metres": [None, None, None, None, None, None, 100, None],
    })
    od.loc[5, "minutes"] = 6  # rows 6 and 7: the same pair with different values
    od.loc[6, "minutes"] = None
    od = pd.concat([od, pd.DataFrame({"unit_id": ["U2"], "site_id": ["S2"], "minutes": [None], "metres": [None]})],
                   ignore_index=True)
    with pytest.raises(InputError) as err:
        od_table_reach(od, ["U1", "U2"], ["S1", "S2"], 600.0, source="walk_od.csv")
    found = [(p.row, p.column) for p in err.value.problems]
    assert found == [
        ("row 2", "unit_id"),    # unknown unit
        ("row 3", "site_id"),    # unknown site
        ("row 4", "minutes"),    # negative
        ("row 5", "minutes"),    # not a number
        ("row 7", "metres"),     # same pair as row 6 with another value
        ("row 8", "unit_id"),    # blank id
        ("row 9", "minutes"),    # neither minutes nor metres
    ]
    assert all(p.file == "walk_od.csv" for p in err.value.problems)
    assert "7 problem(s)" in str(err.value)
    assert "also given in row 6" in str(err.value)


def test_od_table_without_a_value_column_is_an_input_error():
    with pytest.raises(InputError, match="'minutes' or a 'metres' column"):
        od_table_reach(pd.DataFrame({"unit_id": ["U1"], "site_id": ["S1"]}), ["U1"], ["S1"], 600.0)
