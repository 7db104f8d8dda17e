"""The incremental swap search of maximal covering (``solvers/coverage_search.py``).

Every expectation is recomputed from scratch or by enumeration: the covered weight of a plan
from its sites, the counts, gains, losses and swap table from a fresh build, and "no single
move gains" by trying every fill and every swap.
"""
from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.studies.plain_coverage import reach_by_radius
from solvers.benders import CoverageStructure, SearchStats, coverage_value, iterated_swaps
from solvers.coverage_search import MAX_TABLE_ENTRIES, SwapSearch, max_plan_sites


def _case(seed: int, n: int = 300, m: int = 12, radius: float = 2.5, *, p: int = 4,
          budget: float | None = None) -> tuple[sp.csr_matrix, np.ndarray, list, np.ndarray]:
    """Reach, weights, limits (``p`` sites, and a budget over costs 1-5 when given) and costs."""
    rng = np.random.default_rng(seed)
    reach = reach_by_radius(rng.uniform(0, 10, (n, 2)), rng.uniform(0, 10, (m, 2)), radius)
    weight = rng.integers(1, 101, n).astype(float)
    costs = rng.integers(1, 6, m).astype(float)
    limits = [(np.ones(m), float(p))] + ([(costs, budget)] if budget is not None else [])
    return reach.tocsr(), weight, limits, costs


def _covered(reach: sp.csr_matrix, weight: np.ndarray, plan: np.ndarray) -> float:
    return float(weight[reach @ plan >= 1].sum())


def _within(limits: list, plan: np.ndarray) -> bool:
    return all(coef @ plan <= limit + 1e-9 for coef, limit in limits)


def _single_moves(plan: np.ndarray, limits: list):
    """Every plan one fill or one swap (one site out, one in) away from ``plan`` within the limits."""
    for k in np.flatnonzero(plan < 0.5):
        filled = plan.copy()
        filled[k] = 1.0
        if _within(limits, filled):
            yield filled
        for j in np.flatnonzero(plan > 0.5):
            swapped = filled.copy()
            swapped[j] = 0.0
            if _within(limits, swapped):
                yield swapped


def _random_plan(rng: np.random.Generator, m: int, limits: list) -> np.ndarray:
    plan = np.zeros(m)
    for j in rng.permutation(m)[: int(rng.integers(0, m))]:
        plan[j] = 1.0
        if not _within(limits, plan):
            plan[j] = 0.0
    return plan


def _assert_state_is_fresh(search: SwapSearch, reach, weight, limits) -> None:
    """Counts, gains, losses, the table (per site) and the bonus equal those built from scratch."""
    fresh = SwapSearch(reach, weight, limits, search.plan(), dense=search.dense)
    assert np.array_equal(search.count, fresh.count) and np.array_equal(search.idsum, fresh.idsum)
    assert np.allclose(search.gain, fresh.gain) and np.allclose(search.loss, fresh.loss)
    for j in np.flatnonzero(search.chosen):
        assert np.allclose(search.extra[:, search.slot_of[j]], fresh.extra[:, fresh.slot_of[j]])
    assert not search.extra[:, search.site_of < 0].any()  # free slots hold nothing
    if not search.dense:  # the bonus is kept only when swaps are priced from it
        search._refresh()
        fresh._refresh()
        assert np.allclose(search.bonus, fresh.bonus)
    assert search.value == pytest.approx(_covered(reach, weight, search.plan()), abs=1e-9)
    # and from first principles: the gain of a site is the weight of the uncovered rows it reaches
    dense = reach.toarray() > 0
    uncovered = search.count == 0
    assert np.allclose(search.gain, [weight[dense[:, k] & uncovered].sum() for k in range(dense.shape[1])])


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("budget", [None, 9.0])
@pytest.mark.parametrize("seed", range(4))
def test_counts_gains_losses_and_the_swap_table_after_random_moves_equal_a_fresh_build(seed, budget, dense):
    reach, weight, limits, _ = _case(seed, budget=budget)
    rng = np.random.default_rng(100 + seed)
    search = SwapSearch(reach, weight, limits, _random_plan(rng, 12, limits), dense=dense)
    for _ in range(40):
        chosen = np.flatnonzero(search.chosen)
        fits = np.flatnonzero(~search.chosen & np.all([coef <= left for coef, left in
                                                       zip(search.coefs, search.room, strict=True)], axis=0))
        if chosen.size and (rng.random() < 0.5 or not fits.size):
            search.remove(int(rng.choice(chosen)))
        elif fits.size:
            search.add(int(rng.choice(fits)))
        _assert_state_is_fresh(search, reach, weight, limits)
    before = search.plan()
    moves: list[tuple[int, int]] = []
    search.descend(moves=moves)
    search.undo(moves)  # undoing a descent gives back the plan and its state
    assert np.array_equal(search.plan(), before)
    _assert_state_is_fresh(search, reach, weight, limits)


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("budget", [None, 9.0])
@pytest.mark.parametrize("seed", range(5))
def test_a_descent_ends_where_no_fill_or_swap_gains_keeps_the_limits_and_never_covers_less(seed, budget, dense):
    reach, weight, limits, costs = _case(seed, budget=budget)
    start = _random_plan(np.random.default_rng(seed), 12, limits)
    search = SwapSearch(reach, weight, limits, start, dense=dense)
    search.descend()
    plan = search.plan()
    value = _covered(reach, weight, plan)
    assert _within(limits, plan) and value >= _covered(reach, weight, start)
    assert value == pytest.approx(search.value)
    assert all(_covered(reach, weight, moved) <= value + 1e-9 for moved in _single_moves(plan, limits))
    best = max(_covered(reach, weight, np.isin(np.arange(12), c).astype(float))
               for size in range(5) for c in itertools.combinations(range(12), size)
               if _within(limits, np.isin(np.arange(12), c).astype(float)))
    assert value <= best + 1e-9


@pytest.mark.parametrize("dense", [True, False])
def test_the_best_swap_is_the_best_of_all_pairs_tried_one_by_one(dense):
    """The priced best swap (from the whole table, or from the bonus alone) gains what trying every pair finds."""
    reach, weight, limits, _ = _case(7, n=400, m=15, p=5)
    rng = np.random.default_rng(7)
    for _ in range(10):
        plan = np.zeros(15)
        plan[rng.permutation(15)[:5]] = 1.0  # full: only swaps
        search = SwapSearch(reach, weight, limits, plan, dense=dense)
        move = search.best_move()
        value = _covered(reach, weight, plan)
        gains = [_covered(reach, weight, moved) - value for moved in _single_moves(plan, limits)]
        if max(gains) <= 1e-9:
            assert move is None
        else:
            k, j, gain = move
            assert j is not None and gain == pytest.approx(max(gains))
            swapped = plan.copy()
            swapped[[k, j]] = [1.0, 0.0]
            assert _covered(reach, weight, swapped) - value == pytest.approx(max(gains))


def _structure(reach: sp.csr_matrix, weight: np.ndarray, limits: list) -> CoverageStructure:
    m = reach.shape[1]
    return CoverageStructure(site_columns=np.arange(m), row_columns=np.arange(m, m + reach.shape[0]), reach=reach,
                             weight=weight, limits=tuple(limits), offset=0.0)


@pytest.mark.parametrize("seed", range(4))
def test_the_iterated_search_with_costs_keeps_the_budget_and_never_returns_less_than_its_start(seed):
    reach, weight, limits, costs = _case(seed, n=500, m=14, budget=8.0, p=5)
    structure = _structure(reach, weight, limits)
    rng = np.random.default_rng(seed)
    for start in (_random_plan(rng, 14, limits), np.zeros(14)):
        stats = SearchStats()
        plan = iterated_swaps(structure, start, patience=25, seed=seed, stats=stats)
        assert _within(limits, plan) and costs @ plan <= 8.0 + 1e-9
        assert coverage_value(structure, plan) >= coverage_value(structure, start)
        assert all(coverage_value(structure, moved) <= coverage_value(structure, plan) + 1e-9
                   for moved in _single_moves(plan, limits))
        assert stats.kicks >= 25
    # a start better than any local optimum the search reaches is returned as it is: here the optimum
    plans = [np.isin(np.arange(14), c).astype(float)
             for size in range(6) for c in itertools.combinations(range(14), size)]
    optimum = max((p for p in plans if _within(limits, p)), key=lambda p: coverage_value(structure, p))
    kept = iterated_swaps(structure, optimum, patience=10, seed=seed)
    assert coverage_value(structure, kept) == pytest.approx(coverage_value(structure, optimum))
    # a deadline already passed returns the start untouched
    late = iterated_swaps(structure, np.zeros(14), deadline=time.perf_counter() - 1.0)
    assert not late.any()


def test_incremental_and_full_pricing_both_reach_a_local_optimum_and_the_table_is_sized_by_the_limits():
    reach, weight, limits, _ = _case(3, n=2_000, m=40, radius=1.6, p=5)
    structure = _structure(reach, weight, limits)
    for incremental in (True, False):
        plan = iterated_swaps(structure, np.zeros(40), patience=15, seed=1, incremental=incremental)
        assert plan.sum() <= 5
        assert all(coverage_value(structure, moved) <= coverage_value(structure, plan) + 1e-9
                   for moved in _single_moves(plan, limits))
    costs = np.array([1.0, 2.0, 2.0, 5.0])
    assert max_plan_sites([(costs, 5.0)], 4) == 3 and max_plan_sites([(np.ones(4), 2.0), (costs, 5.0)], 4) == 2
    assert max_plan_sites([], 4) == 4
    assert SwapSearch.fits([(np.ones(10), 5.0)], 10)
    assert not SwapSearch.fits([], MAX_TABLE_ENTRIES // 10)  # no limit: every site fits, the table would not
