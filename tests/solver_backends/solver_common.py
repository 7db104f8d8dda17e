"""Instances and brute force shared by the solver tests (in the manner of PuLP's ``solver_common``).

Every builder is seeded, so every test sees the same instance on every run.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from solvers import MatrixProblem, Sense

INF = np.inf


def problem(c, a, row_lower, row_upper, col_lower, col_upper, integrality, *,
            sense: Sense = Sense.MAXIMIZE, offset: float = 0.0, start=None,
            name: str = "test") -> MatrixProblem:
    """Shorthand for a :class:`MatrixProblem` from dense lists."""
    a = np.atleast_2d(np.asarray(a, dtype=float))
    return MatrixProblem(objective=np.asarray(c, float), matrix=sp.csr_matrix(a),
                         row_lower=np.asarray(row_lower, float), row_upper=np.asarray(row_upper, float),
                         col_lower=np.asarray(col_lower, float), col_upper=np.asarray(col_upper, float),
                         integrality=np.asarray(integrality, bool), sense=sense,
                         objective_offset=offset, start=start, name=name)


def brute_force(p: MatrixProblem, tol: float = 1e-9) -> tuple[float | None, np.ndarray | None]:
    """Optimum of a pure integer problem with small finite bounds, by enumeration.

    All points of the box are built at once with numpy (no Python loop over points).

    Returns
    -------
    (value, x)
        The optimal value and one optimal point, or ``(None, None)`` when infeasible.
    """
    assert p.integrality.all(), "brute force needs every variable integer"
    lo, up = np.ceil(p.col_lower).astype(int), np.floor(p.col_upper).astype(int)
    sizes = up - lo + 1
    assert np.prod(sizes.astype(float)) <= 2 ** 16, "box too large to enumerate"
    grid = np.indices(tuple(sizes)).reshape(p.n_cols, -1).T + lo  # (points, n)
    x = grid.astype(float)
    act = (p.matrix @ x.T).T if p.n_rows else np.zeros((x.shape[0], 0))
    ok = np.all((act >= p.row_lower - tol) & (act <= p.row_upper + tol), axis=1)
    if not ok.any():
        return None, None
    values = x @ p.objective + p.objective_offset
    values = np.where(ok, values, -np.inf if p.sense is Sense.MAXIMIZE else np.inf)
    best = int(np.argmax(values) if p.sense is Sense.MAXIMIZE else np.argmin(values))
    return float(values[best]), x[best]


def knapsack(n: int = 12, seed: int = 3) -> MatrixProblem:
    """A 0/1 knapsack: maximise value within a capacity of 40% of the total weight."""
    rng = np.random.default_rng(seed)
    w = rng.integers(5, 40, n).astype(float)
    v = (w + rng.integers(-4, 15, n)).astype(float)
    return problem(v, [w], [-INF], [np.floor(0.4 * w.sum())], np.zeros(n), np.ones(n), np.ones(n),
                   name="knapsack")


def random_binary_program(seed: int, n: int | None = None) -> MatrixProblem:
    """A tiny random binary programme with <=, >=, = and two-sided rows (may be infeasible)."""
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(4, 13))
    m = int(rng.integers(1, 5))
    a = rng.integers(-3, 6, size=(m, n)).astype(float)
    a[rng.random((m, n)) < 0.3] = 0.0
    x0 = rng.integers(0, 2, n).astype(float)  # often feasible: rows built around a point
    act = a @ x0
    lo, up = np.full(m, -INF), np.full(m, INF)
    for i in range(m):
        kind = rng.integers(0, 4)
        slack = float(rng.integers(0, 3))
        if kind == 0:
            up[i] = act[i] + slack
        elif kind == 1:
            lo[i] = act[i] - slack
        elif kind == 2:
            lo[i] = up[i] = act[i] + float(rng.integers(-1, 2))  # sometimes infeasible
        else:
            lo[i], up[i] = act[i] - slack, act[i] + slack
    c = rng.integers(-5, 10, n).astype(float)
    sense = Sense.MAXIMIZE if seed % 2 == 0 else Sense.MINIMIZE
    return problem(c, a, lo, up, np.zeros(n), np.ones(n), np.ones(n), sense=sense,
                   offset=float(rng.integers(-3, 4)), name=f"random-{seed}")


def market_split(m: int = 4, seed: int = 0, integer_slacks: bool = False) -> MatrixProblem:
    """Cornuéjols–Dawande market split with slacks: minimise total deviation.

    ``n = 10 (m - 1)`` binaries, coefficients in [0, 99], right-hand sides half the row
    sums. The LP bound is 0 and proving the optimum needs near-complete enumeration:
    with ``m = 4`` neither HiGHS nor CBC nor CP-SAT proves it in 5 s.

    ``integer_slacks``: the same optimum as a pure integer programme with finite bounds
    (the slacks are integral at an optimum since the data are, and no deviation exceeds
    the row sum), for backends that take only that (CP-SAT).
    """
    rng = np.random.default_rng(seed)
    n = 10 * (m - 1)
    a = rng.integers(0, 100, size=(m, n)).astype(float)
    d = np.floor(a.sum(axis=1) / 2)
    mat = sp.hstack([sp.csr_matrix(a), sp.eye(m), -sp.eye(m)]).tocsr()
    c = np.r_[np.zeros(n), np.ones(2 * m)]
    slack_upper = np.tile(a.sum(axis=1), 2) if integer_slacks else np.full(2 * m, INF)
    return MatrixProblem(objective=c, matrix=mat, row_lower=d, row_upper=d,
                         col_lower=np.zeros(n + 2 * m), col_upper=np.r_[np.ones(n), slack_upper],
                         integrality=np.r_[np.ones(n, bool), np.full(2 * m, integer_slacks)],
                         sense=Sense.MINIMIZE, name=f"market-split-{m}-{seed}")


def planted_market_split(m: int = 5, seed: int = 0) -> tuple[MatrixProblem, np.ndarray]:
    """Market split equalities with a planted solution and random costs (minimise).

    Finding any feasible point is hard (no solver finds one in a few seconds for
    ``m >= 5``), but the planted point is one: a warm start makes the difference.
    """
    rng = np.random.default_rng(seed)
    n = 10 * (m - 1)
    a = rng.integers(0, 100, size=(m, n)).astype(float)
    x = rng.integers(0, 2, size=n).astype(float)
    d = a @ x
    c = rng.integers(1, 20, size=n).astype(float)
    p = problem(c, a, d, d, np.zeros(n), np.ones(n), np.ones(n), sense=Sense.MINIMIZE,
                name=f"planted-market-split-{m}-{seed}")
    return p, x


def multi_knapsack(n: int = 40, m: int = 5, seed: int = 1) -> MatrixProblem:
    """Multi-dimensional 0/1 knapsack: solved in well under a second, but its root gap is ~1-2%."""
    rng = np.random.default_rng(seed)
    w = rng.integers(10, 100, size=(m, n)).astype(float)
    v = (w.sum(axis=0) / m + rng.integers(0, 30, n)).astype(float)
    cap = np.floor(w.sum(axis=1) * 0.5)
    return problem(v, w, np.full(m, -INF), cap, np.zeros(n), np.ones(n), np.ones(n),
                   name=f"multi-knapsack-{seed}")


def small_planning_model(seed: int = 0):
    """A tiny coverage-mode planning model (``tests/tiny.random_instance``), built as the engine builds it.

    Returns
    -------
    (ModelSetup, Scenario)
        The prepared model (inputs, reach, model) and its scenario (solver ``highs``).
    """
    from tiny import make_scenario, random_instance

    from optimizer.studies.comparison import prepare

    inputs, raw = random_instance(seed)
    scenario = make_scenario(raw)
    return prepare(scenario, inputs=inputs), scenario
