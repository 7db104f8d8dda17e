"""Straight-line reach: distance x detour factor, the weaker method."""
from __future__ import annotations

import numpy as np
import pytest

from optimizer.reach import ReachMethod, straight_line_reach


def test_straight_line_applies_the_detour_factor_and_says_it_is_weaker():
    reach = straight_line_reach(np.array([[0.0, 0.0]]), np.array([[30.0, 40.0]]), 1000.0)
    assert reach.ref_seconds.tolist() == pytest.approx([50.0 * 1.3])
    assert reach.method is ReachMethod.STRAIGHT_LINE and reach.method.is_weaker
    assert any("straight-line distance x detour factor 1.3: the weaker method" in n for n in reach.notes)
    other = straight_line_reach(np.array([[0.0, 0.0]]), np.array([[30.0, 40.0]]), 1000.0, detour_factor=1.5)
    assert other.ref_seconds.tolist() == pytest.approx([75.0])


def test_straight_line_threshold_is_inclusive():
    units, targets = np.array([[0.0, 0.0]]), np.array([[30.0, 40.0]])
    at = 50.0 * 1.3
    assert straight_line_reach(units, targets, at).n_pairs == 1
    assert straight_line_reach(units, targets, np.nextafter(at, 0.0)).n_pairs == 0


def test_straight_line_keeps_coincident_points_at_zero():
    reach = straight_line_reach(np.array([[5.0, 5.0], [100.0, 0.0]]), np.array([[5.0, 5.0]]), 10.0)
    assert reach.unit_index.tolist() == [0]
    assert reach.target_index.tolist() == [0]
    assert reach.ref_seconds.tolist() == [0.0]


def test_straight_line_matches_brute_force_and_is_sorted():
    rng = np.random.default_rng(0)
    units = rng.uniform(0, 1000, size=(200, 2))
    targets = rng.uniform(0, 1000, size=(40, 2))
    reach = straight_line_reach(units, targets, 250.0)
    d = np.hypot(units[:, None, 0] - targets[None, :, 0], units[:, None, 1] - targets[None, :, 1]) * 1.3
    ui, ti = np.nonzero(d <= 250.0)
    np.testing.assert_array_equal(reach.unit_index, ui)
    np.testing.assert_array_equal(reach.target_index, ti)
    np.testing.assert_allclose(reach.ref_seconds, d[ui, ti], rtol=1e-12)


def test_units_without_coordinates_are_unreachable():
    reach = straight_line_reach(np.array([[np.nan, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0]]), 10.0)
    assert reach.unreachable_units.tolist() == [0]
    assert reach.unit_index.tolist() == [1]
