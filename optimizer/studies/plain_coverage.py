"""Plain coverage problems: textbook maximal, set and partial set covering, from tables.

For consultants who want to run a classic case (Church and ReVelle's maximal covering
location problem, Toregas' location set covering problem, or the partial set covering
problem of Cordeau, Furini and Ljubić 2019) on the same solvers:

- **demand** table: ``id``, ``weight`` and a location (``x``/``y`` in a metric CRS, or
  ``lon``/``lat``, or point geometry in a GeoPackage);
- **sites** table: ``id``, a location, and ``cost`` (optional, default 1);
- reach: either a ``radius`` (straight-line distance <= radius, inclusive) or an **OD
  table** with ``demand_id``, ``site_id`` and ``distance`` (within when ``distance <=
  radius``; without a radius every listed pair is within reach).

Problems (``x_j`` binary: site ``j`` is chosen; ``y_i`` in [0, 1]: demand ``i`` is covered)::

    maximal covering   max sum_i w_i y_i   s.t. y_i <= sum_{j in N_i} x_j,
                                                 sum_j x_j <= p   or   sum_j c_j x_j <= budget
    set covering       min sum_j c_j x_j   s.t. sum_{j in N_i} x_j >= 1 for every demand i
                                                 that some site reaches (others are reported)
    partial set        min sum_j c_j x_j   s.t. y_i <= sum_{j in N_i} x_j,
      covering                                   sum_i w_i y_i >= S * W, W the reachable demand weight

Demand points with identical sets ``N_i`` are merged (their weights summed): exact. The
model is built from sparse arrays, never a dense demand x site matrix.
"""
from __future__ import annotations

import dataclasses
import heapq
import logging
import numbers
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

import solvers
from optimizer.errors import InputError, Problem
from optimizer.model.coverage import merge_identical_rows
from solvers.base import START_SOURCE
from solvers.problem import MatrixProblem, Sense
from solvers.result import (
    PROOF_ABS_TOL,
    PROOF_REL_TOL,
    SolveResult,
    SolverOptions,
    SolveStatus,
    classify,
    relative_gap,
)

if TYPE_CHECKING:
    from solvers.benders import SearchStats

log = logging.getLogger(__name__)

KINDS = ("max_covering", "set_covering", "partial_set_covering")

#: With a time limit, the greedy plan of maximal covering is improved by the plan search of
#: ``benders`` (:func:`solvers.benders.iterated_swaps`) for at most this share of what is left of
#: the limit before a backend that does not search plans itself gets it (:func:`searched_start`).
#: HiGHS at 120 s, side by side (02:26-02:34 UTC, load 2.7-5.0), 0.15 against 0.25: the same plans
#: (clustered 10,000 x 1,000: 93,921; 100,000 x 5,000: 923,852), the search stopped by its patience
#: (then growth 1) after 3-9 s; on the search curves (below) 17 s against 29 s of search raise the
#: plan by at most 0.07 %, time that presolve's Lagrangian bound then lacks.
START_SEARCH_SHARE = 0.15
#: ... and it stops after this many kicks in a row without a better plan, or after
#: :data:`START_SEARCH_GROWTH` times the kicks it took to its best plan when that is more. Each kick
#: costs about 0.3-0.6 ms on instances of 40-2,000 demand points (2026-12-06, load 1.1), so a search
#: that finds nothing adds about a tenth of a second to a small problem that the solver then proves.
START_SEARCH_PATIENCE = 200
#: See :data:`START_SEARCH_PATIENCE`. Search curves from the greedy plan without patience
#: (02:11-02:36 UTC, load 2.1-3.6), clustered 10,000 x 1,000 (kick seeds 1-3) and 100,000 x 5,000
#: (0-2), replayed: growth 1 stops after 1-6 s at 93,573-94,063 and 921,049-923,852; 2 stops at
#: 93,990-94,063 and, on seed 0 of the large one, at 923,852 after 6 s; 3 runs to the share (17 s at
#: 120 s) on 4 of the 6 curves and stops after 12 s on the other two with the plan 17 s gives:
#: 93,990-94,063 and 923,999-925,381. With 1 (measured, HiGHS at 120 s) the searches stopped after 3
#: and 9 s.
START_SEARCH_GROWTH = 3.0
#: Where the searched start comes from: ``MatrixProblem.metadata[START_SOURCE]`` when it beats the
#: greedy plan, and the solver named in its progress records (``lifecircle cover`` shows
#: ``incumbent ... (search)`` while it runs).
SEARCH_SOURCE = "search"

#: Partial set covering: a plan reaches the share ``S`` when it covers at least ``S * W``
#: less this much of ``W`` (the reachable demand weight), so that ``0.07 * 100`` (which is
#: 7.000000000000001 in floating point) is reached by a weight of 7.
SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CoverageProblem:
    """A plain coverage problem.

    Attributes
    ----------
    demand_ids, weights
        Demand points and their weights.
    site_ids, costs
        Candidate sites and their costs.
    reach
        Boolean CSR (demand x sites): the site covers the demand point.
    kind
        ``max_covering``, ``set_covering`` or ``partial_set_covering``.
    p, budget
        Maximal covering: at most ``p`` sites, and/or total cost at most ``budget``.
    share
        Partial set covering: the least share (0 < share <= 1) of the reachable demand weight
        (the weight of the demand points some site reaches) that the chosen sites cover.
    """

    demand_ids: np.ndarray
    weights: np.ndarray
    site_ids: np.ndarray
    costs: np.ndarray
    reach: sp.csr_matrix
    kind: str = "max_covering"
    p: int | None = None
    budget: float | None = None
    share: float | None = None


@dataclass(frozen=True)
class CoverageSolution:
    """What was chosen, whom it covers, and how sure the solver is."""

    chosen: np.ndarray
    covered: np.ndarray
    objective: float
    result: SolveResult

    @property
    def covered_weight(self) -> float:
        """Weighted demand covered."""
        return float(self.covered.sum())


def reach_by_radius(demand_xy: np.ndarray, site_xy: np.ndarray, radius: float) -> sp.csr_matrix:
    """Pairs within ``radius`` (inclusive), from a k-d tree: sparse, never dense."""
    tree = cKDTree(site_xy)
    lists = tree.query_ball_point(demand_xy, r=radius * (1 + 1e-12))
    counts = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    cols = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(counts.sum()))
    rows = np.repeat(np.arange(len(lists)), counts)
    d = np.hypot(*(demand_xy[rows] - site_xy[cols]).T) if cols.size else np.zeros(0)
    keep = d <= radius
    return sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (rows[keep], cols[keep])),
                         shape=(len(demand_xy), len(site_xy)))


def _read(path: Path) -> pd.DataFrame:
    """A table from CSV, XLSX or GeoPackage (points become ``x``/``y``); :class:`InputError` naming the file."""
    suffix = path.suffix.lower()
    if path.is_dir():
        raise InputError([Problem(str(path), "is a folder, not a table (CSV, XLSX or GeoPackage)")])
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    try:
        if suffix in (".csv", ".txt"):  # as text: ids keep their zeros (060750101.00), numbers parsed per column
            df = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        elif suffix == ".xlsx":
            df = _read_xlsx_as_shown(path)
        elif suffix == ".xls":
            df = pd.read_excel(path, dtype=str)
        else:
            df = _read_geo(path)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader's failure is the file's problem
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError([Problem(str(path), f"cannot be read as a table (CSV, XLSX or GeoPackage): {first}")]) \
            from exc
    if df.empty:
        raise InputError([Problem(str(path), "has no rows")])
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _read_xlsx_as_shown(path: Path) -> pd.DataFrame:
    """The first sheet of a workbook, every cell as the text Excel shows (ids keep their zeros)."""
    from optimizer.inputs.read import excel_rows_as_shown

    _, rows = excel_rows_as_shown(path)
    if not rows:
        return pd.DataFrame()
    header = [str(h) if h is not None else f"column {k + 1}" for k, h in enumerate(rows[0])]
    body = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    return pd.DataFrame(body, columns=header)


def _read_geo(path: Path) -> pd.DataFrame:
    """A GeoPackage (or other vector file) of points: its attributes, with ``x``/``y`` from the points."""
    import geopandas as gpd

    gdf = gpd.read_file(path)
    df = pd.DataFrame(gdf.drop(columns="geometry", errors="ignore"))
    if "geometry" in gdf.columns and len(gdf):
        kinds = set(gdf.geometry.geom_type.dropna())
        if kinds - {"Point"}:
            raise InputError([Problem(str(path), f"geometry must be points, found {', '.join(sorted(kinds))}",
                                      column="geometry")])
        if gdf.crs is not None and gdf.crs.is_geographic:  # degrees, never metres: read as lon/lat
            df = df.drop(columns=[c for c in ("x", "y", "lon", "lat") if c in df.columns])
            df["lon"], df["lat"] = gdf.geometry.x, gdf.geometry.y
        elif gdf.crs is not None and gdf.crs.axis_info and gdf.crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise InputError([Problem(str(path), f"coordinates are in {gdf.crs.axis_info[0].unit_name} "
                                      f"({gdf.crs.to_string()}); give points in metres or in degrees (lon/lat)",
                                      column="geometry")])
        else:
            df["x"], df["y"] = gdf.geometry.x, gdf.geometry.y
    return df


def _xy(df: pd.DataFrame, file: str, problems: list[Problem]) -> tuple[np.ndarray, str]:
    for xc, yc in (("x", "y"), ("lon", "lat")):
        if xc in df.columns and yc in df.columns:
            xy = np.column_stack([pd.to_numeric(df[xc], errors="coerce"), pd.to_numeric(df[yc], errors="coerce")])
            for i in np.flatnonzero(~np.isfinite(xy).all(axis=1))[:20]:
                problems.append(Problem(file, "coordinates missing or not numbers", row=f"row {i + 2}",
                                        column=f"{xc}/{yc}"))
            return xy, "degrees" if xc == "lon" else "metres"
    problems.append(Problem(file, "no location: give x and y (metres) or lon and lat", column="x/y"))
    return np.zeros((len(df), 2)), "metres"


def _in_metres(d_xy: np.ndarray, d_unit: str, s_xy: np.ndarray, s_unit: str, demand: str, sites: str,
               problems: list[Problem]) -> tuple[np.ndarray, np.ndarray]:
    """Both tables on one metric plane: degrees projected about one common centre (equirectangular, fine for
    a city); degrees in one table and metres in the other is a problem named for both files."""
    if d_unit != s_unit:
        problems.append(Problem(f"{demand}, {sites}", f"{demand} gives its points in {d_unit} and {sites} in "
                                                      f"{s_unit}: give both in the same (x/y metres, or lon/lat)"))
        return d_xy, s_xy
    if d_unit == "metres":
        return d_xy, s_xy
    both = np.vstack([d_xy, s_xy])
    lon0, lat0 = np.nanmean(both[:, 0]), np.nanmean(both[:, 1])

    def plane(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([(xy[:, 0] - lon0) * 111_320.0 * np.cos(np.radians(lat0)),
                                (xy[:, 1] - lat0) * 110_574.0])

    return plane(d_xy), plane(s_xy)


def _ids(df: pd.DataFrame, file: str, problems: list[Problem]) -> np.ndarray:
    if "id" not in df.columns:
        problems.append(Problem(file, "required column is missing", column="id"))
        return np.arange(len(df)).astype(str)
    ids = df["id"].astype(str).str.strip().to_numpy()
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(dup)[:20]:
        problems.append(Problem(file, f"id {ids[i]!r} appears more than once", row=f"row {i + 2}", column="id"))
    return ids


def _numbers(df: pd.DataFrame, column: str, default: float | None, file: str,
             problems: list[Problem]) -> np.ndarray:
    if column not in df.columns:
        if default is None:
            problems.append(Problem(file, "required column is missing", column=column))
        return np.full(len(df), default if default is not None else 0.0)
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    for i in np.flatnonzero(~np.isfinite(values) | (values < 0))[:20]:
        problems.append(Problem(file, f"{df[column].iloc[i]!r} is not a number >= 0", row=f"row {i + 2}",
                                column=column))
    return values


def _finite(value: float | None) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))


def _shown(value: object) -> str:
    """A number as the planner typed it (``-3``, not ``-3.0``)."""
    return f"{value:g}" if isinstance(value, numbers.Real) and not isinstance(value, bool) else repr(value)


def option_problems(*, kind: str = "max_covering", p: float | None = None, budget: float | None = None,
                    radius: float | None = None, od: str | Path | None = None,
                    time_limit_s: float | None = None, share: float | None = None) -> list[Problem]:
    """What is wrong with the options of a plain coverage problem, each named as ``lifecircle cover`` spells it.

    Parameters
    ----------
    kind
        ``max_covering``, ``set_covering`` or ``partial_set_covering``.
    p
        At most this many sites: a whole number >= 1 (at most the number of sites is checked
        once the sites are read).
    budget
        Total site cost at most this: a finite number >= 0.
    radius
        Reach in metres (or OD distance units): a finite number > 0.
    od
        An OD table, which may replace the radius.
    time_limit_s
        The solver's time limit: a finite number > 0.
    share
        Partial set covering (``--cover-share``): the share of the reachable demand weight
        to cover, 0 < share <= 1; given with no other kind.

    Returns
    -------
    list[Problem]
        Empty when every option can be planned with.
    """
    problems: list[Problem] = []
    if kind not in KINDS:
        problems.append(Problem("--kind", f"must be one of {', '.join(KINDS)}, got {kind!r}"))
    if p is not None and not (_finite(p) and float(p).is_integer() and p >= 1):
        problems.append(Problem("--p", f"must be a whole number of sites >= 1, got {_shown(p)}"))
    if budget is not None and not (_finite(budget) and budget >= 0):
        problems.append(Problem("--budget", f"must be a finite amount >= 0, got {_shown(budget)}"))
    if radius is not None and not (_finite(radius) and radius > 0):
        problems.append(Problem("--radius", f"must be a finite distance > 0 (metres), got {_shown(radius)}"))
    if time_limit_s is not None and not (_finite(time_limit_s) and time_limit_s > 0):
        problems.append(Problem("--time-limit", f"must be a finite number of seconds > 0, got {_shown(time_limit_s)}"))
    if share is not None and not (_finite(share) and 0 < share <= 1):
        hint = f"; write {share / 100:g} for {_shown(share)} %" if _finite(share) and 1 < share <= 100 else ""
        problems.append(Problem("--cover-share", "must be a share of the reachable demand weight, more than 0 "
                                                 f"and at most 1, got {_shown(share)}{hint}"))
    if kind == "max_covering" and p is None and budget is None:
        problems.append(Problem("--p/--budget", "maximal covering needs --p (number of sites) or --budget "
                                                "(or choose --set-cover or --cover-share S)"))
    if kind == "max_covering" and share is not None:
        problems.append(Problem("--cover-share", "applies to partial set covering only, not with maximal covering"))
    if kind == "set_covering":
        for name, value in (("--p", p), ("--budget", budget)):
            if value is not None:
                problems.append(Problem(name, "applies to maximal covering only; --set-cover covers every "
                                              "reachable demand point at least cost"))
        if share is not None:
            problems.append(Problem("--cover-share", "not with --set-cover: --set-cover covers every reachable "
                                                     "demand point, --cover-share S at least the share S of the "
                                                     "reachable demand weight; choose one"))
    if kind == "partial_set_covering":
        for name, value in (("--p", p), ("--budget", budget)):
            if value is not None:
                problems.append(Problem(name, "applies to maximal covering only, not with --cover-share (the "
                                              "least cost that covers a share of the reachable demand weight); "
                                              "choose one"))
        if share is None:
            problems.append(Problem("--cover-share", "partial set covering needs --cover-share S, the share of "
                                                     "the reachable demand weight to cover (0 < S <= 1)"))
    if od is None and radius is None:
        problems.append(Problem("--radius/--od", "give a radius, or an OD table"))
    return problems


def read_coverage_problem(demand: str | Path, sites: str | Path, *, radius: float | None = None,
                          od: str | Path | None = None, kind: str = "max_covering", p: int | None = None,
                          budget: float | None = None, share: float | None = None) -> CoverageProblem:
    """Read and check the tables of a plain coverage problem; one error lists every problem."""
    demand, sites = Path(demand), Path(sites)
    problems = option_problems(kind=kind, p=p, budget=budget, radius=radius, od=od, share=share)
    if problems:
        raise InputError(problems)
    d = _read(demand)
    s = _read(sites)
    if p is not None and p > len(s):
        problems.append(Problem("--p", f"must be at most the number of candidate sites ({len(s)} in {sites.name}), "
                                       f"got {p}"))
    d_ids, s_ids = _ids(d, str(demand), problems), _ids(s, str(sites), problems)
    weights = _numbers(d, "weight", None, str(demand), problems)
    costs = _numbers(s, "cost", 1.0, str(sites), problems)
    if od is None:
        (d_xy, d_unit), (s_xy, s_unit) = _xy(d, str(demand), problems), _xy(s, str(sites), problems)
        d_xy, s_xy = _in_metres(d_xy, d_unit, s_xy, s_unit, demand.name, sites.name, problems)
    if problems:
        raise InputError(problems)
    if od is None:
        reach = reach_by_radius(d_xy, s_xy, float(radius))
    else:
        od = Path(od)
        t = _read(od)
        for col in ("demand_id", "site_id"):
            if col not in t.columns:
                problems.append(Problem(str(od), "required column is missing", column=col))
        if problems:
            raise InputError(problems)
        d_pos = pd.Series(np.arange(len(d_ids)), index=d_ids)
        s_pos = pd.Series(np.arange(len(s_ids)), index=s_ids)
        di = t["demand_id"].astype(str).str.strip().map(d_pos)
        si = t["site_id"].astype(str).str.strip().map(s_pos)
        for i in np.flatnonzero(di.isna().to_numpy())[:20]:
            problems.append(Problem(str(od), f"demand id {t['demand_id'].iloc[i]!r} is not in {demand.name}",
                                    row=f"row {i + 2}", column="demand_id"))
        for i in np.flatnonzero(si.isna().to_numpy())[:20]:
            problems.append(Problem(str(od), f"site id {t['site_id'].iloc[i]!r} is not in {sites.name}",
                                    row=f"row {i + 2}", column="site_id"))
        within = np.ones(len(t), dtype=bool)
        if radius is not None:
            if "distance" not in t.columns:
                problems.append(Problem(str(od), "a radius needs a distance column", column="distance"))
            else:
                dist = _numbers(t, "distance", None, str(od), problems)
                within = dist <= radius
        if problems:
            raise InputError(problems)
        keep = within
        reach = sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool),
                               (di.to_numpy()[keep].astype(np.int64), si.to_numpy()[keep].astype(np.int64))),
                              shape=(len(d_ids), len(s_ids)))
    reach.sum_duplicates()
    reach.data[:] = True
    return CoverageProblem(d_ids, weights, s_ids, costs, reach, kind, p, budget,
                           None if share is None else float(share))


def build_coverage_model(problem: CoverageProblem) -> tuple[MatrixProblem, np.ndarray, np.ndarray]:
    """The MILP, the merged row of each demand point (-1: reached by no site) and row weights."""
    n, m = problem.reach.shape
    reached = np.diff(problem.reach.indptr) > 0
    rows = np.flatnonzero(reached)
    rep, inverse = merge_identical_rows(problem.reach[rows])
    group = np.full(n, -1, dtype=np.int64)
    group[rows] = inverse
    pattern = problem.reach[rows][rep].tocoo()
    g = rep.size
    if problem.kind == "set_covering":
        matrix = sp.csr_matrix((np.ones(pattern.nnz), (pattern.row, pattern.col)), shape=(g, m))
        return (MatrixProblem(objective=problem.costs.astype(float), matrix=matrix, row_lower=np.ones(g),
                              row_upper=np.full(g, np.inf), col_lower=np.zeros(m), col_upper=np.ones(m),
                              integrality=np.ones(m, dtype=bool), sense=Sense.MINIMIZE, name="set covering"),
                group, np.zeros(g))
    weight = np.bincount(inverse, weights=problem.weights[rows], minlength=g)
    if problem.kind == "partial_set_covering":
        return partial_set_covering_model(pattern, weight, problem.costs, float(problem.share)), group, weight
    # columns: x (m sites), then y (g merged demand rows)
    r = [pattern.row, np.arange(g)]
    c = [pattern.col, m + np.arange(g)]
    v = [-np.ones(pattern.nnz), np.ones(g)]
    lo, up = [np.full(g, -np.inf)], [np.zeros(g)]
    extra = 0
    for coef, limit in ((np.ones(m), problem.p), (problem.costs.astype(float), problem.budget)):
        if limit is None:
            continue
        r.append(np.full(m, g + extra))
        c.append(np.arange(m))
        v.append(coef)
        lo.append(np.array([-np.inf]))
        up.append(np.array([float(limit)]))
        extra += 1
    matrix = sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(g + extra, m + g))
    integrality = np.concatenate([np.ones(m, dtype=bool), np.zeros(g, dtype=bool)])
    objective = np.concatenate([np.zeros(m), weight])
    return (MatrixProblem(objective=objective, matrix=matrix, row_lower=np.concatenate(lo),
                          row_upper=np.concatenate(up), col_lower=np.zeros(m + g), col_upper=np.ones(m + g),
                          integrality=integrality, sense=Sense.MAXIMIZE, name="maximal covering",
                          metadata={"integral_at_optimum": ~integrality}),
            group, weight)


def share_target(share: float, reachable: float) -> float:
    """The covered weight that reaches ``share`` of the ``reachable`` demand weight.

    ``share * reachable`` less :data:`SHARE_TOLERANCE` of ``reachable`` (floating-point
    rounding), never below 0.
    """
    return max(0.0, share * reachable - SHARE_TOLERANCE * reachable)


def reachable_weight(problem: CoverageProblem) -> float:
    """The demand weight that some candidate site reaches (the whole that ``--cover-share`` is a share of)."""
    return float(problem.weights[np.diff(problem.reach.indptr) > 0].sum())


def partial_set_covering_model(pattern: sp.spmatrix, weight: np.ndarray, costs: np.ndarray,
                               share: float) -> MatrixProblem:
    """The partial set covering MILP over merged demand rows (Cordeau, Furini and Ljubić 2019).

    Parameters
    ----------
    pattern
        Merged demand rows x sites (boolean pattern; every row reached by some site).
    weight
        Weight of each merged row.
    costs
        Cost of each site (1 each when the sites file has no cost: fewest sites).
    share
        The least share of the reachable weight (``weight.sum()``) to cover, 0 < share <= 1.

    Returns
    -------
    MatrixProblem
        Minimise ``sum_j c_j x_j`` subject to ``y_i - sum_{j in N(i)} x_j <= 0`` for each
        merged row and one row ``sum_i w_i y_i >= share_target(share, W)``; columns ``x``
        (sites, binary) first, then ``y`` (rows, in [0, 1]), as in maximal covering.
    """
    pattern = sp.coo_matrix(pattern)
    g, m = pattern.shape
    weight = np.asarray(weight, dtype=float)
    weighted = np.flatnonzero(weight > 0)
    r = [pattern.row, np.arange(g), np.full(weighted.size, g)]
    c = [pattern.col, m + np.arange(g), m + weighted]
    v = [-np.ones(pattern.nnz), np.ones(g), weight[weighted]]
    matrix = sp.csr_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(g + 1, m + g))
    integrality = np.concatenate([np.ones(m, dtype=bool), np.zeros(g, dtype=bool)])
    target = share_target(share, float(weight.sum()))
    # some optimum has every y integral: y_i = 1 where a chosen site reaches the row keeps every row
    return MatrixProblem(objective=np.concatenate([np.asarray(costs, dtype=float), np.zeros(g)]), matrix=matrix,
                         row_lower=np.concatenate([np.full(g, -np.inf), [target]]),
                         row_upper=np.concatenate([np.zeros(g), [np.inf]]), col_lower=np.zeros(m + g),
                         col_upper=np.ones(m + g), integrality=integrality, sense=Sense.MINIMIZE,
                         name="partial set covering", metadata={"integral_at_optimum": ~integrality})


def greedy_partial_cover(matrix: sp.spmatrix, weight: np.ndarray, costs: np.ndarray, target: float, *,
                         finish_by: float | None = None) -> np.ndarray:
    """A cheap plan that covers at least ``target`` weight: lazy greedy, then redundant sites dropped.

    The greedy takes the site of least cost per newly covered weight (that weight counted at
    most up to what is still missing, so that a large site is not preferred for weight the
    share does not need) until ``target`` is reached; then each chosen site, the most
    expensive first, is dropped when the others still reach ``target``.

    Parameters
    ----------
    matrix
        Merged demand rows x sites (boolean pattern).
    weight
        Weight of each merged row.
    costs
        Cost of each site.
    target
        The covered weight to reach (:func:`share_target`).
    finish_by
        ``time.perf_counter()`` reading at which the greedy stops and returns its plan so
        far, which may then fall short of ``target`` (the caller checks); ``None``: no limit.

    Returns
    -------
    np.ndarray
        Boolean mask of chosen sites; it reaches ``target`` whenever all sites together do
        and the greedy was not stopped.
    """
    a = sp.csc_matrix(matrix).astype(np.float64)
    m = a.shape[1]
    weight = np.asarray(weight, dtype=float)
    costs = np.asarray(costs, dtype=float)
    chosen = np.zeros(m, dtype=bool)
    count = np.zeros(a.shape[0])
    covered = 0.0
    if target <= 0:
        return chosen
    gains = np.asarray(a.T @ weight).ravel()

    def price(j: int, gain: float) -> float:  # cost per newly covered weight that is still needed
        return costs[j] / min(gain, target - covered)

    heap = [(price(j, gains[j]), j) for j in np.flatnonzero(gains > 0)]
    heapq.heapify(heap)
    while heap and covered < target:
        if finish_by is not None and time.perf_counter() > finish_by:
            log.info("greedy partial cover: stopped at its time limit with %d sites", int(chosen.sum()))
            return chosen
        _, j = heapq.heappop(heap)
        col = a.indices[a.indptr[j]:a.indptr[j + 1]]
        gain = float(weight[col][count[col] == 0].sum())
        if gain <= 0:
            continue
        if heap and price(j, gain) > heap[0][0] + 1e-12 * max(1.0, heap[0][0]):
            heapq.heappush(heap, (price(j, gain), j))  # stale: re-queue at its true price
            continue
        chosen[j] = True
        count[col] += 1
        covered += gain
    for j in sorted(np.flatnonzero(chosen), key=lambda k: (-costs[k], k)):
        col = a.indices[a.indptr[j]:a.indptr[j + 1]]
        loss = float(weight[col][count[col] == 1].sum())
        if covered - loss >= target:
            chosen[j] = False
            count[col] -= 1
            covered -= loss
    return chosen


def greedy_cover(matrix: sp.csr_matrix, weight: np.ndarray, costs: np.ndarray, p: int | None,
                 budget: float | None, *, swap_passes: int = 3, deadline: float | None = None,
                 finish_by: float | None = None) -> np.ndarray:
    """A good maximal-covering plan fast: lazy greedy, then swaps (one site out, the best one in).

    Parameters
    ----------
    matrix
        Merged demand rows x sites (boolean pattern).
    weight
        Weight of each merged row.
    costs
        Cost of each site (used with ``budget``: sites are taken by gain per cost).
    p, budget
        At most ``p`` sites; total cost at most ``budget``.
    swap_passes
        Passes of the swap search: each tries every chosen site once and keeps a swap only
        when the covered weight rises.
    deadline
        ``time.perf_counter()`` reading at which the swaps stop and the best plan so far is
        returned (every step keeps ``p`` and ``budget``); ``None``: no limit.
    finish_by
        The same for the lazy greedy itself (default: ``deadline``); may lie past it, so that
        the plan a solver must beat is a whole greedy plan when the limit is short.

    Returns
    -------
    np.ndarray
        Boolean mask of chosen sites; always within ``p`` and ``budget``.
    """
    a = matrix.tocsc().astype(np.float64)
    at = a.T.tocsr()
    m = a.shape[1]
    costs = np.asarray(costs, dtype=float)
    per = costs if budget is not None else np.ones(m)
    chosen = np.zeros(m, dtype=bool)
    count = np.zeros(a.shape[0])
    spent = 0.0
    gains = at @ weight
    heap = [(-gains[j] / max(per[j], 1e-12), j) for j in np.flatnonzero(gains > 0)]
    heapq.heapify(heap)
    def out_of_time(end: float | None = deadline) -> bool:
        return end is not None and time.perf_counter() > end

    while heap and (p is None or chosen.sum() < p):
        if out_of_time(finish_by if finish_by is not None else deadline):
            log.info("greedy cover: stopped at its time limit with %d sites", int(chosen.sum()))
            return chosen
        _, j = heapq.heappop(heap)
        if budget is not None and spent + costs[j] > budget + 1e-9:
            continue
        col = a.indices[a.indptr[j]:a.indptr[j + 1]]
        gain = float(weight[col][count[col] == 0].sum())
        if gain <= 0:
            continue
        if heap and gain / max(per[j], 1e-12) < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-gain / max(per[j], 1e-12), j))  # stale: re-queue with its true gain
            continue
        chosen[j] = True
        count[col] += 1
        spent += costs[j]
    for _ in range(swap_passes):
        improved = False
        for j in np.flatnonzero(chosen):
            if out_of_time():
                log.info("greedy cover: swaps stopped at the time limit")
                return chosen
            if not chosen[j]:
                continue
            col = a.indices[a.indptr[j]:a.indptr[j + 1]]
            loss = float(weight[col][count[col] == 1].sum())
            count[col] -= 1
            free = np.where(count == 0, weight, 0.0)
            gain = at @ free
            gain[chosen] = -1.0
            if budget is not None:
                gain[spent - costs[j] + costs > budget + 1e-9] = -1.0
            k = int(np.argmax(gain))
            if gain[k] > loss + 1e-9 * max(1.0, loss):
                chosen[j], chosen[k] = False, True
                spent += costs[k] - costs[j]
                count[a.indices[a.indptr[k]:a.indptr[k + 1]]] += 1
                improved = True
            else:
                count[col] += 1
        if not improved:
            break
    return chosen


def searched_start(model: MatrixProblem, sites: np.ndarray, options: SolverOptions,
                   ) -> tuple[np.ndarray, SearchStats] | None:
    """The greedy plan ``sites`` improved by :func:`solvers.benders.iterated_swaps`, within the time limit.

    The search runs for at most :data:`START_SEARCH_SHARE` of what is left of the limit, and stops
    earlier after :data:`START_SEARCH_PATIENCE` kicks in a row without a better plan (or
    :data:`START_SEARCH_GROWTH` times the kicks it took to its best plan, when more). Every plan it
    keeps is within ``p`` and the budget, and the plan it returns covers at least as much as
    ``sites`` (it returns ``sites`` when it finds nothing better), so a backend started from it,
    and presolve's reduced-cost fixing against it (:func:`solvers.presolve.reduced_cost_fixing`),
    keep the optimum: the fixing removes only plans worse than the start, whatever start it is.
    Each better plan it finds goes to ``options.on_progress`` as it comes (at most every
    :data:`solvers.progress.MIN_INTERVAL_S`; the records name the solver :data:`SEARCH_SOURCE`).

    Parameters
    ----------
    model
        The maximal covering model (:func:`build_coverage_model`).
    sites
        The greedy plan (0/1 per site), within the limits.
    options
        Started options (``options.deadline`` set); the search's seed is ``options.seed``.

    Returns
    -------
    tuple[np.ndarray, SearchStats] or None
        The plan (0/1 per site) and what the search did; ``None`` without a time limit, when no
        time is left, or when the model has no maximal covering structure to search.
    """
    from solvers.benders import SearchStats, coverage_structure, coverage_value, iterated_swaps
    from solvers.progress import ProgressReporter, throttled

    if options.deadline is None:
        return None
    left = options.deadline - time.perf_counter()
    if left <= 0:
        return None
    structure = coverage_structure(model)
    if isinstance(structure, str):
        log.info("no search start: %s", structure)
        return None
    stats = SearchStats()
    progress = ProgressReporter(options, SEARCH_SOURCE, Sense.MAXIMIZE)
    # valuing a plan is a pass over the reach: at most once every interval, and only for a listener
    better = throttled(lambda plan: progress.report(incumbent=coverage_value(structure, plan))) \
        if progress.active else None
    progress.report(incumbent=coverage_value(structure, np.asarray(sites, dtype=float)))
    deadline = time.perf_counter() + START_SEARCH_SHARE * left
    found = iterated_swaps(structure, np.asarray(sites, dtype=float), deadline=deadline,
                           patience=START_SEARCH_PATIENCE, seed=int(options.seed), stats=stats,
                           patience_growth=START_SEARCH_GROWTH, on_better=better)
    if progress.active:
        progress.report(incumbent=coverage_value(structure, found))
        progress.finish()
    return found, stats


def solve_coverage_problem(problem: CoverageProblem, solver: str = "highs",
                           options: SolverOptions | None = None, *, presolve: bool = True) -> CoverageSolution:
    """Solve, read back the chosen sites and recompute coverage from them (not from the solver's y).

    The time limit runs from this call (model, start and solver together). Maximal covering
    starts from :func:`greedy_cover`'s plan (a warm start where the backend takes one). With a
    time limit, a backend that does not search plans itself (every one but ``benders``:
    :attr:`solvers.base.Capabilities.searches_plans`) gets that plan improved by
    :func:`searched_start` (a share of the limit; logged as ``search start:``); without a limit
    the greedy plan is the start, as for ``benders``. A solver that stops with no plan or a
    worse one returns the start with its own bound (:func:`solvers.base.keep_the_better_plan`),
    so a time-limited run never reports a worse plan than the greedy's. The result's values
    and objective are then those of the chosen sites (``x`` the sites, ``y`` whether some
    chosen site reaches the row), recomputed and checked against the model; the solver's own
    objective is kept in ``result.extra["solver_objective"]`` as a cross-check, with a warning
    when it differs.

    With ``presolve`` (the default), maximal covering is first reduced by
    :func:`solvers.presolve.solve_with_presolve` (dominated sites, reduced-cost fixing from
    the start and the LP bound; within the same time limit), for every backend; its
    report is ``result.extra["presolve"]``. The optimum is the same either way.

    Returns
    -------
    CoverageSolution
        With no chosen sites and objective NaN when the result has no plan (see its status).

    Raises
    ------
    SolverFailure
        When the backend refuses the problem before solving (``benders`` takes maximal
        covering only), saying which backends take it.
    """
    options = (options or SolverOptions(time_limit_s=600.0, relative_gap=0.0)).started()
    t0 = time.perf_counter()
    model, group, weight = build_coverage_model(problem)
    log.info("model: %d rows, %d columns, built in %.2f s", model.n_rows, model.n_cols, time.perf_counter() - t0)
    from optimizer.solver_choice import resolve_solver

    kind = "plain_max_covering" if problem.kind == "max_covering" else "plain_coverage"  # partial: as set cover
    chosen = resolve_solver(solver, kind, model.n_rows, problem.reach.shape[1])
    if chosen != solver:
        log.info("solver auto: %s", chosen)
        solver = chosen
    backend = solvers.get_solver(solver)
    try:
        backend.check(model)  # e.g. benders takes maximal covering only
    except solvers.UnsupportedProblem as exc:
        from optimizer.errors import SolverFailure

        raise SolverFailure(str(exc)) from exc
    m = problem.reach.shape[1]
    pattern = model.matrix[: weight.size, :m] != 0
    if problem.kind == "max_covering":
        # the greedy plan is the plan every solver must beat: its lazy phase may use half the grace to finish
        # (the swaps stop at the limit), so that a short limit on a large problem still has a real plan
        picked = greedy_cover(pattern, weight, problem.costs, problem.p, problem.budget,
                              deadline=options.deadline, finish_by=None if options.deadline is None
                              else options.deadline + 0.5 * options.grace)
        hit = pattern @ picked.astype(np.float64) > 0
        greedy_values = np.concatenate([picked.astype(float), hit.astype(float)])
        log.info("greedy start: %d sites, covered weight %.1f (%.2f s into the limit)", int(picked.sum()),
                 float(weight[hit].sum()), time.perf_counter() - t0)
        source = "greedy"
        searched = None if backend.capabilities.searches_plans else searched_start(model, picked, options)
        if searched is not None:
            found, stats = searched
            found_hit = pattern @ found > 0
            if float(weight[found_hit].sum()) > float(weight[hit].sum()):
                picked, hit, source = found > 0.5, found_hit, SEARCH_SOURCE
                greedy_values = np.concatenate([picked.astype(float), hit.astype(float)])
            log.info("search start: %d sites, covered weight %.1f (%.2f s into the limit; %d kicks in %.2f s, "
                     "%d better)", int(picked.sum()), float(weight[hit].sum()), time.perf_counter() - t0,
                     stats.kicks, stats.seconds, stats.improved)
        model = dataclasses.replace(model, start=greedy_values, metadata={**model.metadata, START_SOURCE: source})
    elif problem.kind == "partial_set_covering":
        model = _with_partial_cover_start(model, pattern, weight, problem.costs, options, t0)
    if problem.kind == "max_covering" and presolve:
        from solvers.presolve import solve_with_presolve

        result = solve_with_presolve(backend, model, options)
    else:
        result = backend.solve(model, options)
    if result.values is None:
        return CoverageSolution(np.zeros(0, dtype=np.int64), np.zeros(len(problem.weights)), float("nan"), result)
    chosen = np.flatnonzero(result.values[:m] > 0.5)
    reached = np.asarray(problem.reach[:, chosen].sum(axis=1)).ravel() > 0
    covered = np.where(reached, problem.weights, 0.0)
    objective = float(problem.costs[chosen].sum()) if problem.kind != "max_covering" else float(covered.sum())
    if problem.kind == "partial_set_covering":
        _check_share_reached(problem, covered, result.solver)
    result = _from_chosen_sites(model, result, chosen, pattern, objective)
    return CoverageSolution(chosen, covered, objective, result)


def _with_partial_cover_start(model: MatrixProblem, pattern: sp.csr_matrix, weight: np.ndarray,
                              costs: np.ndarray, options: SolverOptions, t0: float) -> MatrixProblem:
    """``model`` with :func:`greedy_partial_cover`'s plan as its start, when that plan reaches the share."""
    target = float(model.row_lower[weight.size])
    picked = greedy_partial_cover(pattern, weight, costs, target, finish_by=None if options.deadline is None
                                  else options.deadline + 0.5 * options.grace)
    hit = pattern @ picked.astype(np.float64) > 0
    reached = float(weight[hit].sum())
    if reached < target:
        log.info("greedy start: stopped at the time limit short of the share (%.1f of %.1f); no start", reached,
                 target)
        return model
    log.info("greedy start: %d sites, cost %.2f, covered weight %.1f of %.1f needed (%.2f s into the limit)",
             int(picked.sum()), float(np.asarray(costs)[picked].sum()), reached, target, time.perf_counter() - t0)
    values = np.concatenate([picked.astype(float), hit.astype(float)])
    return dataclasses.replace(model, start=values, metadata={**model.metadata, START_SOURCE: "greedy"})


def _check_share_reached(problem: CoverageProblem, covered: np.ndarray, solver: str) -> None:
    """Raise :class:`SolverFailure` when the chosen sites cover less than ``--cover-share`` of the reachable weight."""
    from optimizer.errors import SolverFailure

    reachable = reachable_weight(problem)
    got = float(covered.sum())
    if got >= share_target(float(problem.share), reachable) - SHARE_TOLERANCE * max(1.0, reachable):
        return
    raise SolverFailure(f"{solver}'s plan does not reach --cover-share {problem.share:g}: recomputed from its "
                        f"chosen sites it covers {got:,.6g} of the reachable demand weight {reachable:,.6g} "
                        f"({got / reachable:.4%}); no plan is reported")


#: The solver's objective and the one recomputed from the chosen sites agree within this,
#: relatively (a solver's own figure carries its feasibility tolerance, e.g. a y at 0.99999).
OBJECTIVE_CROSS_CHECK_RTOL = 1e-6


def _from_chosen_sites(model: MatrixProblem, result: SolveResult, chosen: np.ndarray, pattern: sp.csr_matrix,
                       objective: float) -> SolveResult:
    """``result`` restated by its chosen sites: values ``x`` = chosen, ``y`` = reached, objective recomputed.

    Raises
    ------
    SolverFailure
        When the chosen sites break the model (a set covering row uncovered, more than ``p``
        sites, over budget): the solver's plan was not a plan.
    """
    from optimizer.errors import SolverFailure

    m = pattern.shape[1]
    values = np.zeros(model.n_cols)
    values[chosen] = 1.0
    if model.n_cols > m:  # maximal covering: y of each merged row
        values[m:] = (pattern @ values[:m] > 0).astype(float)
    violation = model.max_violation(values)
    if violation > 1e-6:
        raise SolverFailure(f"{result.solver}'s chosen sites break the model by {violation:.3g}; "
                            "this is a bug, please report it")
    recomputed = float(model.objective_value(values))
    if abs(recomputed - objective) > 1e-6 * max(1.0, abs(objective)):  # pragma: no cover - a bug if so
        raise SolverFailure(f"the model's value of the chosen sites ({recomputed!r}) is not their coverage "
                            f"({objective!r}); this is a bug, please report it")
    extra = {**result.extra, "solver_objective": result.objective}
    if result.objective is not None and abs(result.objective - objective) > \
            OBJECTIVE_CROSS_CHECK_RTOL * max(1.0, abs(objective)):
        log.warning("%s reported objective %r, but its chosen sites give %r; the chosen sites' figure is reported",
                    result.solver, result.objective, objective)
    bound = result.bound
    better = model.sense is Sense.MAXIMIZE
    tol = PROOF_ABS_TOL + PROOF_REL_TOL * abs(objective)
    if bound is not None and (bound < objective - tol if better else bound > objective + tol):
        extra["reported_bound"] = bound
        bound = None
    status = classify(has_values=True, objective=objective, bound=bound, sense=model.sense)
    gap = 0.0 if status is SolveStatus.OPTIMAL else relative_gap(objective, bound)
    return dataclasses.replace(result, status=status, values=values, objective=objective, bound=bound, gap=gap,
                               extra=extra)


def with_limits(problem: CoverageProblem, **changes) -> CoverageProblem:
    """A copy with other ``kind``, ``p``, ``budget`` or ``share``."""
    return dataclasses.replace(problem, **changes)
