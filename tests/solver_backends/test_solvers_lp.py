"""The CPLEX-LP writer: content, names, short lines, and a round trip through HiGHS."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from solver_common import INF

import solvers
from solvers import MatrixProblem, Sense, SolverOptions, SolveStatus
from solvers.lp import lp_name_ok, lp_string, write_lp

highspy = pytest.importorskip("highspy", reason="the round trip reads the file with HiGHS (pip install highspy)")


def every_feature(sense: Sense, names=None, row_names=None) -> MatrixProblem:
    """Ranges, equalities, free and empty rows, every bound kind, an unused column, an offset."""
    a = np.array([
        [1, 1, 0, 0, 0, 0, 1, 0],    # <= 6
        [1, 0, 2, 0, 0, 0, 0, 0],    # two-sided [1, 5]
        [0, 0, 0, 0, 0, 0, 0, 0],    # free, empty
        [0, 1, 1, 1, 0, 1, 0, 0],    # = 2
        [0, 0, 0, 1, 1, 0, -1, 0],   # >= -3
        [1, 0, 0, 0, 1, 0, 0, 0],    # free, non-empty
        [0, 1, 0, 0, 0, 0, 0, 0],    # >= -4 (bounds the free integer)
        [0, 0, 1, 0, 1, 0, 0, 0],    # <= 9
        [0, 0, 0, 0, 0, 0, 0, 0],    # empty, >= -1 (always true)
    ], dtype=float)
    return MatrixProblem(
        objective=np.array([3, 2, 0, 1.5, -1, 0.25, 0.5, 0]), matrix=sp.csr_matrix(a),
        row_lower=np.array([-INF, 1, -INF, 2, -3, -INF, -4, -INF, -1]),
        row_upper=np.array([6, 5, INF, 2, INF, INF, INF, 9, INF]),
        col_lower=np.array([0, -INF, 0, -3, -2, 0.5, 1, 0]),
        col_upper=np.array([3, INF, INF, 10, INF, 0.5, 4, INF]),
        integrality=np.array([1, 1, 0, 0, 1, 0, 1, 0], bool),
        sense=sense, objective_offset=7.5, col_names=names, row_names=row_names, name="every feature")


def _read(path):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    return h


@pytest.mark.parametrize("sense", [Sense.MAXIMIZE, Sense.MINIMIZE])
def test_round_trip_through_highs_gives_the_same_optimum_and_names(tmp_path, sense):
    names = tuple(f"x_S{i}_canteen" for i in range(8))
    p = every_feature(sense, names, tuple(f"row.{i}" for i in range(9)))
    direct = solvers.solve(p, "highs", SolverOptions())
    assert direct.status is SolveStatus.OPTIMAL
    layout = write_lp(p, tmp_path / "m.lp")
    assert layout.split_rows == 1 and layout.dropped_rows == 2
    h = _read(tmp_path / "m.lp")
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(direct.objective)  # sense kept, offset written
    lp = h.getLp()
    assert sorted(lp.col_names_) == sorted(names)  # the unused column is declared too
    x = dict(zip(lp.col_names_, h.getSolution().col_value, strict=True))
    assert p.max_violation(np.array([x[n] for n in names])) <= 1e-7
    assert {"row.1_lo", "row.1_up"} <= set(lp.row_names_)


def test_text_states_sense_bounds_and_integers(tmp_path):
    text, layout = lp_string(every_feature(Sense.MAXIMIZE))
    assert text.startswith("\\ lifecircle") and "\nMaximize\n obj: + 3 C0 + 2 C1" in text
    assert " R1_lo: + 1 C0 + 2 C2 >= 1\n R1_up: + 1 C0 + 2 C2 <= 5\n" in text
    assert " R3: + 1 C1 + 1 C2 + 1 C3 + 1 C5 = 2\n" in text
    assert " R8: 0 C0 >= -1\n" in text and " R2:" not in text and " R5:" not in text
    for line in (" 0 <= C0 <= 3", " C1 free", " -3 <= C3 <= 10", " C4 >= -2", " C5 = 0.5", " 1 <= C6 <= 4",
                 " C7 >= 0"):
        assert line + "\n" in text
    assert "\nGenerals\n C0 C1 C4 C6\nEnd\n" in text
    assert layout.col_names == tuple(f"C{i}" for i in range(8))


def test_names_that_are_not_lp_names_fall_back_to_generic():
    for bad in ("1x", "x-y", "x y", "e12", "st", "x:1", "é", ".x", "a" * 256):
        assert not lp_name_ok(bad), bad
    for good in ("x_S1_canteen", "z_S1_elder_care.childcare", "obj2", "y", "E_1"):
        assert lp_name_ok(good), good
    names = ("ok",) * 7 + ("x-y",)
    _, layout = lp_string(every_feature(Sense.MAXIMIZE, names=names))
    assert layout.col_names[0] == "C0"


def test_long_rows_are_wrapped_and_a_large_model_reads_back(tmp_path):
    rng = np.random.default_rng(3)
    m, n = 400, 1500
    a = sp.random(m, n, density=0.01, random_state=4, format="csr")
    a.data = np.round(a.data * 10, 3) + 0.5
    a = sp.vstack([a, sp.csr_matrix(np.ones((1, n)))]).tocsr()  # one row with every column
    p = MatrixProblem(objective=rng.random(n), matrix=a, row_lower=np.full(m + 1, -INF),
                      row_upper=np.concatenate([rng.random(m) * 10 + 1, [50.0]]), col_lower=np.zeros(n),
                      col_upper=np.ones(n), integrality=np.zeros(n, bool), sense=Sense.MAXIMIZE,
                      col_names=tuple(f"y_canteen_{i}" for i in range(n)))
    text, _ = lp_string(p)
    assert max(len(line) for line in text.splitlines()) <= 510  # CPLEX truncates longer lines
    (tmp_path / "big.lp").write_text(text, encoding="ascii")
    h = _read(tmp_path / "big.lp")
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(solvers.solve(p, "highs", SolverOptions()).objective)
