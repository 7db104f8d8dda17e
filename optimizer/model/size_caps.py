"""Capacitated mode (rule 4): no facility larger than its site can hold or its walk can fill.

The size rows bound a facility's area by its function's largest size,
``a[p] <= max_m2 x[p]``. In the linear relaxation a facility open at ``x[p] = 0.2`` may then
take 20 % of the largest size and pay only 20 % of its fixed cost and of its site's
conversion: the relaxation buys capacity far below its price. Two smaller caps ``U[p]`` hold
for the plans that matter, and ``a[p] <= U[p] x[p]`` is handed to the solver instead:

- **what the site holds** (valid for every plan): the site's area in use is
  ``sum_q a[q] - sum_g sa[g]`` with each group's saving ``sa[g]`` at most its share of its
  members' areas, so ``c[p] a[p] <= area`` with ``c[p] = 1 - the shares of the groups holding
  p`` whenever every ``c[q] >= 0`` at the site (no complex there);
- **what its walk can fill** (keeps an optimum): a facility larger than the people it
  reaches could ever need, ``max(min_m2, people within reach / people per m2)``, serves
  nobody more than that size does and costs more money and area; cutting it to that size
  keeps every rule (budgets and space only loosen) when the areas sit only in the capacity,
  size, sharing-saving, space and budget rows. Models where an area counts towards anything
  else (places required by rule 7, complexes, public money, funding channels) keep the
  largest size.

A pair whose cap is below its function's smallest size can never be built (``x[p] = 0``).
The model itself is unchanged (what `lifecircle export` writes and `lifecircle check` reads
an outside plan against); only the problem handed to the solver carries the caps, and its
optimum is the model's.
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from optimizer.model.build import PlanningModel
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem

log = logging.getLogger(__name__)

#: Row families an area may sit in for the cap by what the walk can fill to keep an optimum.
AREA_FAMILIES_KEEPING_AN_OPTIMUM = ("capacity (rule 4)", "size", "sharing savings", "space", "budget")


@dataclass(frozen=True)
class SizeCaps:
    """The largest useful area of each candidate pair.

    Attributes
    ----------
    cap_m2
        ``U[p]``: the least of the function's largest size, what the site holds and (where it
        keeps an optimum) what the walk can fill.
    smallest_m2
        The function's smallest size of each pair.
    never_fits
        Pairs whose cap is below their smallest size: never built.
    by_reach
        Whether the cap by what the walk can fill was applied.
    """

    cap_m2: np.ndarray
    smallest_m2: np.ndarray
    never_fits: np.ndarray
    by_reach: bool

    def stats(self, largest_m2: np.ndarray) -> dict:
        """What the caps did, for ``run.json``."""
        tighter = self.cap_m2 < largest_m2 - 1e-9
        return {"pairs_capped": int(tighter.sum()), "pairs_never_fit": int(self.never_fits.sum()),
                "cap_share_median": float(np.median(self.cap_m2 / np.maximum(largest_m2, 1e-9)))
                if self.cap_m2.size else 1.0, "by_reach": self.by_reach}


def _rows_of(model: PlanningModel, family_start: str) -> list[tuple[int, int]]:
    return [(a, b) for rule, a, b in model.row_blocks if rule.startswith(family_start)]


def pair_site_position(model: PlanningModel) -> np.ndarray:
    """Each pair's site as a position in ``model.open_site`` (its ``o`` column, its space row)."""
    site_position = {int(s): i for i, s in enumerate(model.open_site)}
    return np.array([site_position[int(s)] for s in model.pair_site], dtype=np.int64)


def smallest_sizes(model: PlanningModel) -> np.ndarray:
    """Each pair's smallest size in m2, as its "at least the smallest" size row states it."""
    (min_rows, _), = _rows_of(model, "size")[1:2]
    block = model.problem.matrix[min_rows:min_rows + model.x.size].tocsr()[:, model.x.start:model.x.stop]
    return -np.asarray(block.diagonal(), dtype=float)


def _area_families(model: PlanningModel) -> set[str]:
    """Row families holding an area column ``a``."""
    cols = model.problem.matrix.tocsc()[:, model.a.start:model.a.stop]
    rows = np.unique(cols.indices)
    return {rule for rule, a, b in model.row_blocks if ((rows >= a) & (rows < b)).any()}


def size_caps(model: PlanningModel, scenario: Scenario) -> SizeCaps | None:
    """Each pair's cap (module docstring); ``None`` outside capacitated mode.

    Parameters
    ----------
    model
        A built capacitated model.
    scenario
        Its scenario (people per place, area per place, sharing groups' area savings).
    """
    if model.mode != "capacitated" or model.x.size == 0:
        return None
    problem = model.problem
    n = model.x.size
    pairs = np.arange(n)
    largest = problem.col_upper[model.a.index(pairs)].copy()
    smallest = smallest_sizes(model)
    names = model.functions
    per_m2 = np.array([scenario.functions[f].people_per_place / scenario.functions[f].area_per_unit_m2
                       for f in names])[model.pair_function]

    position = pair_site_position(model)
    (space_rows, _), = _rows_of(model, "space")
    area = problem.row_upper[space_rows + position]
    shares = np.zeros(n)
    for i, members in enumerate(model.share_members):
        shares[members] += scenario.sharing.groups[int(model.share_group[i])].area_saving
    keep = 1.0 - shares
    site_ok = np.ones(len(model.open_site), dtype=bool)
    np.logical_and.at(site_ok, position, keep > 0)
    if model.k.size:  # a complex's area saving is not a share of its members' areas
        site_ok[:] = False
    by_site = np.where(site_ok[position], area / np.maximum(keep, 1e-12), np.inf)

    by_reach = all(f.startswith(AREA_FAMILIES_KEEPING_AN_OPTIMUM) for f in _area_families(model))
    cap = np.minimum(largest, by_site)
    if by_reach:
        reached = np.bincount(model.w_pair, weights=problem.col_upper[model.w.start:model.w.stop], minlength=n)
        cap = np.minimum(cap, np.maximum(smallest, reached / per_m2))
    return SizeCaps(cap_m2=cap, smallest_m2=smallest, never_fits=cap < smallest - 1e-9, by_reach=bool(by_reach))


def with_size_caps(model: PlanningModel, caps: SizeCaps, problem: MatrixProblem | None = None) -> MatrixProblem:
    """``problem`` (default the model's) with ``a[p] <= U[p] x[p]`` and the pairs that never fit at 0.

    Parameters
    ----------
    model
        The built model (where the size rows and columns are).
    caps
        From :func:`size_caps`.
    problem
        The problem to tighten; rows added after the model's (strengthening) are kept.
    """
    problem = model.problem if problem is None else problem
    n = model.x.size
    (max_rows, _), = _rows_of(model, "size")[:1]
    matrix = sp.csr_matrix(problem.matrix, copy=True)
    for p in range(n):  # one x coefficient per size row
        lo, hi = matrix.indptr[max_rows + p], matrix.indptr[max_rows + p + 1]
        hit = lo + np.flatnonzero(matrix.indices[lo:hi] == model.x.start + p)
        matrix.data[hit] = -caps.cap_m2[p]
    upper = problem.col_upper.copy()
    a_cols = model.a.index(np.arange(n))
    upper[a_cols] = np.minimum(upper[a_cols], np.maximum(caps.cap_m2, 0.0))
    x_cols = model.x.index(np.flatnonzero(caps.never_fits))
    upper[x_cols] = np.maximum(problem.col_lower[x_cols], 0.0)  # a forced-in pair stays (and stays infeasible)
    upper[a_cols[caps.never_fits]] = np.maximum(problem.col_lower[a_cols[caps.never_fits]], 0.0)
    log.info("size caps: %d of %d pairs capped below their largest size, %d never fit their site",
             int((caps.cap_m2 < problem.col_upper[a_cols] - 1e-9).sum()), n, int(caps.never_fits.sum()))
    return dataclasses.replace(problem, matrix=matrix, col_upper=upper)
