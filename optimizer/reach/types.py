"""Reach: walking effort between demand units and targets, as sparse triples."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

#: Walking effort is stored as seconds at a reference speed of 1 m/s ("reference
#: seconds"; on flat ground they equal metres). A walker at ``v`` m/s needs
#: ``ref_seconds / v`` seconds, because slope and stair factors multiply the walker's
#: own flat speed. A function with threshold ``T`` minutes and walking speed ``v``
#: reaches a pair when ``ref_seconds <= T * 60 * v`` (inclusive).
REFERENCE_SPEED_MPS = 1.0


class ReachMethod(str, enum.Enum):
    """How walking effort was obtained."""

    NETWORK = "network"
    STRAIGHT_LINE = "straight_line"
    OD_TABLE = "od_table"

    @property
    def is_weaker(self) -> bool:
        """Straight-line reach ignores the street network: stated as the weaker method."""
        return self is ReachMethod.STRAIGHT_LINE


def cutoff_ref_seconds(threshold_min: float, speed_mps: float) -> float:
    """Largest reference-seconds value within ``threshold_min`` at ``speed_mps`` (inclusive)."""
    return float(threshold_min) * 60.0 * float(speed_mps) / REFERENCE_SPEED_MPS


@dataclass(frozen=True)
class Reach:
    """Pairs (demand unit, target) within ``cutoff`` reference seconds.

    Targets are candidate sites or existing facilities, by row position in their
    table. There is at most one triple per pair, never a dense matrix.

    Attributes
    ----------
    unit_index, target_index
        Row positions (int32) into the demand table and the target table.
    ref_seconds
        Walking effort in reference seconds (float64), ``<= cutoff``.
    n_units, n_targets
        Table sizes.
    cutoff
        Largest reference seconds searched; pairs beyond it are absent.
    method
        How the effort was obtained.
    notes
        Human-readable facts about the computation (detour factor, snapping, ...).
    unreachable_units
        Row positions of demand units that could not be attached (e.g. too far from
        the network); they reach nothing.
    off_main_network_units
        Row positions of demand units nearer to a disconnected part of the network than
        to its main part (attached to the main part if within the snap limit).
    """

    unit_index: np.ndarray
    target_index: np.ndarray
    ref_seconds: np.ndarray
    n_units: int
    n_targets: int
    cutoff: float
    method: ReachMethod
    notes: tuple[str, ...] = ()
    unreachable_units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    off_main_network_units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_index", np.asarray(self.unit_index, dtype=np.int32))
        object.__setattr__(self, "target_index", np.asarray(self.target_index, dtype=np.int32))
        object.__setattr__(self, "ref_seconds", np.asarray(self.ref_seconds, dtype=np.float64))
        object.__setattr__(self, "unreachable_units", np.asarray(self.unreachable_units, dtype=np.int32))
        object.__setattr__(self, "off_main_network_units",
                           np.asarray(self.off_main_network_units, dtype=np.int32))
        n = self.unit_index.shape[0]
        if self.target_index.shape[0] != n or self.ref_seconds.shape[0] != n:
            raise ValueError("unit_index, target_index and ref_seconds must have equal length")

    @property
    def n_pairs(self) -> int:
        """Number of stored pairs."""
        return int(self.unit_index.shape[0])

    def within(self, limit: float) -> sp.csr_matrix:
        """Boolean sparse matrix (units x targets) of pairs with ``ref_seconds <= limit``."""
        keep = self.ref_seconds <= limit
        data = np.ones(int(keep.sum()), dtype=bool)
        return sp.csr_matrix(
            (data, (self.unit_index[keep], self.target_index[keep])),
            shape=(self.n_units, self.n_targets),
        )

    def subset_targets(self, mask: np.ndarray) -> Reach:
        """Reach restricted to targets where ``mask`` is true, re-indexed."""
        mask = np.asarray(mask, dtype=bool)
        new_index = np.cumsum(mask) - 1
        keep = mask[self.target_index]
        return Reach(
            self.unit_index[keep], new_index[self.target_index[keep]], self.ref_seconds[keep],
            self.n_units, int(mask.sum()), self.cutoff, self.method, self.notes, self.unreachable_units,
            self.off_main_network_units,
        )
