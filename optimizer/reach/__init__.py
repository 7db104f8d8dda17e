"""Reach: walking effort between demand units and targets, as sparse triples.

Three ways to obtain it: the street network (:func:`network_reach`, slope and stairs),
straight-line distance times a detour factor (:func:`straight_line_reach`, the weaker
method) and a bring-your-own OD table (:func:`od_table_reach`).
"""
from __future__ import annotations

from optimizer.reach.network import WalkNetwork, build_walk_network, tobler_factor
from optimizer.reach.od_table import od_table_reach
from optimizer.reach.search import network_reach
from optimizer.reach.straight_line import DEFAULT_DETOUR_FACTOR, straight_line_reach
from optimizer.reach.types import REFERENCE_SPEED_MPS, Reach, ReachMethod, cutoff_ref_seconds

__all__ = [
    "DEFAULT_DETOUR_FACTOR",
    "REFERENCE_SPEED_MPS",
    "Reach",
    "ReachMethod",
    "WalkNetwork",
    "build_walk_network",
    "cutoff_ref_seconds",
    "network_reach",
    "od_table_reach",
    "straight_line_reach",
    "tobler_factor",
]
