"""The free-MPS writer: content, names, and a round trip through HiGHS (and CBC)."""
from __future__ import annotations

import dataclasses
import io
import subprocess

import numpy as np
import pytest
import scipy.sparse as sp
from solver_common import INF, problem

import solvers
from solvers import MatrixProblem, Sense, SolverOptions, SolveStatus
from solvers.mps import mps_string, write_mps

highspy = pytest.importorskip("highspy", reason="the round trip reads the file with HiGHS (pip install highspy)")


def everything_problem(sense: Sense = Sense.MAXIMIZE, offset: float = 7.5, names=None) -> MatrixProblem:
    """Every feature the writer must encode: ranges, equalities, free rows, all bound kinds."""
    a = np.array([
        [1, 1, 0, 0, 0, 0, 1],    # <= 6
        [1, 0, 2, 0, 0, 0, 0],    # two-sided [1, 5]
        [0, 0, 0, 0, 0, 0, 0],    # free, empty
        [0, 1, 1, 1, 0, 1, 0],    # = 2
        [0, 0, 0, 1, 1, 0, -1],   # >= -3
        [1, 0, 0, 0, 1, 0, 0],    # free, non-empty
        [0, 1, 0, 0, 0, 0, 0],    # >= -4 (bounds the free integer)
        [0, 0, 1, 0, 1, 0, 0],    # <= 9
    ], dtype=float)
    return MatrixProblem(
        objective=np.array([3, 2, 0, 1.5, -1, 0.25, 0.5]), matrix=sp.csr_matrix(a),
        row_lower=np.array([-INF, 1, -INF, 2, -3, -INF, -4, -INF]),
        row_upper=np.array([6, 5, INF, 2, INF, INF, INF, 9]),
        # int [0,3]; int free; cont [0,inf); cont [-3,10]; int [-2, inf); cont fixed 0.5; int [1, 4]
        col_lower=np.array([0, -INF, 0, -3, -2, 0.5, 1]),
        col_upper=np.array([3, INF, INF, 10, INF, 0.5, 4]),
        integrality=np.array([1, 1, 0, 0, 1, 0, 1], bool),
        sense=sense, objective_offset=offset, col_names=names, name="every feature")


def highs_optimum_of_file(path) -> tuple[float, np.ndarray]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value, np.asarray(h.getSolution().col_value)


@pytest.mark.parametrize("sense", [Sense.MAXIMIZE, Sense.MINIMIZE])
def test_round_trip_through_highs_gives_the_same_optimum(tmp_path, sense):
    p = everything_problem(sense)
    direct = solvers.solve(p, "highs", SolverOptions())
    assert direct.status is SolveStatus.OPTIMAL
    layout = write_mps(p, tmp_path / "model.mps")
    file_value, x = highs_optimum_of_file(tmp_path / "model.mps")
    assert layout.negated is (sense is Sense.MAXIMIZE)
    assert layout.to_problem_objective(file_value) == pytest.approx(direct.objective)
    assert p.objective_value(x) == pytest.approx(direct.objective)  # same order of columns
    assert p.max_violation(x) <= 1e-6


def test_offset_left_out_of_the_file_is_added_back(tmp_path):
    p = everything_problem()
    layout = write_mps(p, tmp_path / "m.mps", write_offset=False)
    file_value, _ = highs_optimum_of_file(tmp_path / "m.mps")
    with_offset = write_mps(p, tmp_path / "o.mps")
    file_value_o, _ = highs_optimum_of_file(tmp_path / "o.mps")
    assert not layout.offset_written and with_offset.offset_written
    assert layout.to_problem_objective(file_value) == pytest.approx(
        with_offset.to_problem_objective(file_value_o))
    assert file_value_o == pytest.approx(file_value - p.objective_offset)  # maximisation negated


def sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("*"):
            continue
        if line and not line[0].isspace():
            current = line.split()[0]
            out[current] = []
        elif current:
            out[current].append(line.split())
    return out


def test_file_encodes_rows_ranges_bounds_and_integer_markers():
    text, layout = mps_string(everything_problem())
    s = sections(text)
    assert s["NAME"] == [] and text.splitlines()[2].endswith("FREE")
    assert [r[0] for r in s["ROWS"]] == ["N", "L", "G", "N", "E", "G", "N", "G", "L"]
    assert ["RNG", "R1", "4.0"] in s["RANGES"]
    rhs = {r[1]: float(r[2]) for r in s["RHS"]}
    # objective row: -offset, negated for the maximisation
    assert rhs == {"OBJ": 7.5, "R0": 6.0, "R1": 1.0, "R3": 2.0, "R4": -3.0, "R6": -4.0, "R7": 9.0}
    bounds = [tuple(b) for b in s["BOUNDS"]]
    assert ("UP", "BND", "C0", "3.0") in bounds
    assert ("FR", "BND", "C1") in bounds
    assert ("LO", "BND", "C3", "-3.0") in bounds and ("UP", "BND", "C3", "10.0") in bounds
    assert ("LO", "BND", "C4", "-2.0") in bounds and ("PL", "BND", "C4") in bounds
    assert ("FX", "BND", "C5", "0.5") in bounds
    assert not any(b[2] == "C2" for b in bounds)  # default [0, inf) continuous: nothing
    # integer columns sit inside MARKER blocks; every column appears, even the empty C2
    cols = s["COLUMNS"]
    inside, where = False, {}
    for entry in cols:
        if entry[1] == "'MARKER'":
            inside = entry[2] == "'INTORG'"
            continue
        where.setdefault(entry[0], inside)
    assert where == {"C0": True, "C1": True, "C2": False, "C3": False, "C4": True, "C5": False, "C6": True}
    assert ["C0", "OBJ", "-3.0"] in cols  # maximisation written negated
    assert layout.col_names == tuple(f"C{j}" for j in range(7))


def test_valid_names_are_kept_and_invalid_ones_replaced():
    good = ("site_001", "site_002", "x[3]", "y.4", "a", "b", "c")
    _, layout = mps_string(everything_problem(names=good))
    assert layout.col_names == good
    for bad in (("has space",) + good[1:], ("a",) * 7, ("公园",) + good[1:], ("*x",) + good[1:]):
        _, layout = mps_string(everything_problem(names=bad))
        assert layout.col_names == tuple(f"C{j}" for j in range(7))
    _, layout = mps_string(everything_problem(names=good), names="generic")
    assert layout.col_names[0] == "C0"


def test_objective_row_name_avoids_a_row_called_obj():
    p = dataclasses.replace(everything_problem(), row_names=("OBJ", "b", "c", "d", "e", "f", "g", "h"))
    _, layout = mps_string(p)
    assert layout.objective_row not in layout.row_names


def test_writes_to_an_open_file_and_rejects_impossible_bounds():
    buf = io.StringIO()
    write_mps(everything_problem(), buf)
    assert buf.getvalue().rstrip().endswith("ENDATA")
    bad = problem([1], [[1]], [INF], [INF], [0], [1], [0])
    with pytest.raises(ValueError, match="row"):
        mps_string(bad)


def test_large_sparse_problem_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    m, n = 400, 2000
    a = sp.random(m, n, density=0.05, random_state=1, format="csr") * 10  # ~40k nonzeros
    p = MatrixProblem(objective=rng.random(n), matrix=a, row_lower=np.full(m, -INF),
                      row_upper=np.full(m, 50.0), col_lower=np.zeros(n), col_upper=np.ones(n),
                      integrality=np.zeros(n, bool), sense=Sense.MAXIMIZE)
    layout = write_mps(p, tmp_path / "big.mps")
    value, _ = highs_optimum_of_file(tmp_path / "big.mps")
    direct = solvers.solve(p, "highs")
    assert layout.to_problem_objective(value) == pytest.approx(direct.objective, rel=1e-9)


def test_cbc_reads_exported_file_with_eight_character_names(tmp_path):
    # without FREE on the NAME line, CBC takes "site_001  R1" for fixed-format MPS
    if "cbc" not in solvers.available_solvers():
        pytest.skip("CBC not installed (pip install lifecircle[cbc])")
    from solvers.cbc import _bundled_path, parse_solution

    names = tuple(f"site_{j:03d}" for j in range(7))
    p = everything_problem(names=names)
    layout = write_mps(p, tmp_path / "m.mps")
    out = subprocess.run([_bundled_path(), "m.mps", "-solve", "-solution", "s.txt"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert "0 errors" in out.stdout, out.stdout
    head = (tmp_path / "s.txt").read_text().splitlines()[0]
    sol = parse_solution(head + "\n", 0)
    assert sol.state == "optimal"
    direct = solvers.solve(p, "highs")
    assert layout.to_problem_objective(sol.objective) == pytest.approx(direct.objective)
