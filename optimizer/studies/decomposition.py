"""A city's model taken apart into pieces that can be solved on their own.

Two ways, both read off the sparse matrix of the one built model (never rebuilt per piece):

**Blocks (exact).** When the constraint matrix is block diagonal after permutation, each
block is a model of its own: the connected components of the bipartite graph "row -- column
where the row has a nonzero" (:func:`scipy.sparse.csgraph.connected_components`). Components
are bundled by the districts of their sites (every component whose sites lie in 渝中区 is the
piece 渝中区), each piece is solved alone, and the plan is the union: the objective is the sum
of the pieces' objectives, the bound the sum of their bounds, proven optimal only when every
piece is. This is exact for every rule, because no row is cut. A city-wide budget
(``budget.total``) is one row over every site, so it links every district and the model
stays one piece; a city-wide total that cannot bind (at least the sum of the district
budgets, every district with sites budgeted) is left out, exactly. With
``budget.by_district`` alone, pieces are linked where demand near a district border is
reachable from sites of two districts (its coverage row holds sites of both), or by a
circle-level rule whose circle has sites in two districts: :func:`linking_report` says
which, and by how many demand units.

**By district (bounded).** Each piece is one district's sites and every demand row those
sites reach (a border row appears in each piece that reaches it), solved alone with its
district budget. Only the rows that say "a demand row is covered (served) at most once"
are cut -- coverage mode ``y[r] <= sum of the x reaching r``, capacitated mode
``sum_p w[r,p] <= people[r]`` -- and every piece keeps its own copy of them. So:

- the union of the pieces' site choices is a plan for the whole city (budgets, space,
  sharing and every other row lie within one district): completed on the whole model
  (who is covered or served recomputed over all chosen sites) its objective is a
  **lower bound**, and the normal independent check checks it;
- the sum of the pieces' bounds (their optimal values when proven) is an **upper bound**:
  from any plan of the whole city, each piece can take its district's sites and count
  ``min(1, its own sites' reach)`` of a border row, and those counts add up to at least the
  whole city's ``min(1, all sites' reach)``: counting a border row in every piece only
  relaxes ``y[r] <= 1``.

Both are reported with the gap; "proven optimal" only when they meet. Every other row must
lie within one district, else the split is refused, naming the rule: a city-wide budget
that can bind (rule 1); rule 6 (不单建) when a life circle has sites in two districts; rule 7
(该有的不能少) when a circle's requirement can be met by another district's sites (its demand
is reachable from two districts). Rules 6 and 7 inside one district, and capacitated mode
(rule 4: the served-within-demand rows are the only ones cut, and the lower bound re-routes
who is served over the union), are handled exactly as described. The split is for
``max_coverage``; ``least_cost`` has no budgets to split and decomposes into blocks.

Everything here is pure: pieces, the linking report and the bound arithmetic; running the
pieces is :mod:`optimizer.studies.city`.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from optimizer.errors import SplitRefused
from optimizer.i18n import pick
from optimizer.inputs.types import Inputs
from optimizer.model.build import PlanningModel
from optimizer.rules.existing import site_circles
from optimizer.scenario import Scenario
from solvers.problem import MatrixProblem
from solvers.result import SolveResult, SolveStatus, bound_meets_value, relative_gap

log = logging.getLogger(__name__)

#: Row families of the model that say "a demand row is covered (served) at most once": the
#: only rows the split by district cuts (each piece keeps its own copy).
COUPLING_RULES = ("coverage", "served within demand")
#: The row family of a city-wide budget.
TOTAL_BUDGET_RULE = "budget (whole scenario)"
#: How a blank district is shown.
NO_DISTRICT = "(no district)"
#: The piece of the columns that no site reaches (demand rows nothing can cover).
NO_SITE = "(no site)"


@dataclass(frozen=True)
class Piece:
    """One independent (blocks) or bounded (by district) part of the model.

    Attributes
    ----------
    name
        Its districts joined by ``+`` (``渝中区``, ``渝中区+江北区``), or ``(no site)``.
    districts
        The districts of its sites.
    cols, rows
        Columns and rows of the whole model it holds (rows may be cut: by district only).
    problem
        The piece as a model of its own.
    cut_pool
        The model's strengthening pool (capacitated mode) in the piece's column numbers.
    sites, demand_units
        Candidate sites with a column in it; demand units with a row in it.
    """

    name: str
    districts: tuple[str, ...]
    cols: np.ndarray
    rows: np.ndarray
    problem: MatrixProblem
    cut_pool: tuple[np.ndarray, np.ndarray, np.ndarray]
    sites: int
    demand_units: int


@dataclass(frozen=True)
class Link:
    """What ties districts together in one model.

    Attributes
    ----------
    rule
        The row family (``coverage``, ``budget (whole scenario)``, ``not built separately
        (rule 6)``, ...).
    districts
        The districts it ties.
    rows
        Rows of that family that tie them.
    demand_units
        Demand units reachable from sites of both districts (coverage links), else 0.
    circles
        Life circles concerned (rules 6 and 7), at most a few.
    """

    rule: str
    districts: tuple[str, ...]
    rows: int
    demand_units: int = 0
    circles: tuple[str, ...] = ()

    def describe(self, lang: str = "en") -> str:
        """One sentence for readers."""
        names = pick(lang, zh="、", en=" and ").join(self.districts)
        if self.rule in COUPLING_RULES:
            return pick(lang, zh=f"{names} 由 {self.demand_units:,} 个两区站点均可达的需求单元相连",
                        en=f"districts {names} are linked by {self.demand_units:,} demand units reachable "
                           "from both")
        where = ""
        if self.circles:
            where = pick(lang, zh="（生活圈 " + "、".join(self.circles) + "）",
                         en=" (life circles " + ", ".join(self.circles) + ")")
        if self.rule == TOTAL_BUDGET_RULE:
            return pick(lang, zh=f"全市总预算（规则1）把 {len(self.districts)} 个区连成一体：{names}",
                        en=f"the city-wide budget (rule 1) links all {len(self.districts)} districts: {names}")
        return pick(lang, zh=f"{self.rule}：{self.rows:,} 行连接 {names}{where}",
                    en=f"{self.rule}: {self.rows:,} row(s) link districts {names}{where}")


@dataclass
class Decomposition:
    """Pieces of one model and what links them.

    Attributes
    ----------
    kind
        ``blocks`` (exact) or ``by_district`` (bounded).
    pieces
        The pieces, largest first.
    links
        What links districts in the whole model (empty when nothing does).
    district_names
        Every district label of the sites (blank shown as ``(no district)``).
    notes
        Plain statements about how the pieces were found.
    """

    kind: str
    pieces: list[Piece]
    links: list[Link]
    district_names: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        """True when the union of optimal pieces is an optimal plan of the whole model."""
        return self.kind == "blocks"

    def summary(self) -> dict:
        """JSON-ready description (no arrays), for run.json."""
        return {"kind": self.kind, "exact": self.exact, "pieces": len(self.pieces),
                "piece_names": [p.name for p in self.pieces],
                "links": [{"rule": k.rule, "districts": list(k.districts), "rows": k.rows,
                           "demand_units": k.demand_units, "circles": list(k.circles),
                           "text": k.describe("en")} for k in self.links],
                "notes": list(self.notes)}


# ----------------------------------------------------------------------------- structure
def _rule_of_rows(model: PlanningModel) -> np.ndarray:
    """The row family of every row of the model."""
    rule = np.empty(model.problem.n_rows, dtype=object)
    for name, start, stop in model.row_blocks:
        rule[start:stop] = name
    return rule


def column_districts(model: PlanningModel, inputs: Inputs) -> tuple[np.ndarray, list[str]]:
    """The district of every column that belongs to a site, -1 for the others.

    Site columns: ``x``, ``o``, ``z``, ``a``, ``w`` (its pair's site), ``sc``, ``sa``, ``k``. Demand
    rows (``y``), rule 6 indicators (``n``, ``q``) and slacks belong to no site.

    Returns
    -------
    codes, names
        Per column an index into ``names`` (or -1); the district labels, sorted.
    """
    raw = inputs.sites["district"].fillna("").astype(str).str.strip().to_numpy()
    raw = np.where(raw == "", NO_DISTRICT, raw)
    names, site_code = np.unique(raw, return_inverse=True)
    codes = np.full(model.problem.n_cols, -1, dtype=np.int64)
    m = model

    def put(block, site_rows: np.ndarray) -> None:
        if block.size:
            codes[block.start:block.stop] = site_code[site_rows]

    put(m.x, m.pair_site)
    put(m.o, m.open_site)
    put(m.z, m.share_site)
    put(m.k, m.complexes.site)
    if m.mode == "capacitated":
        put(m.a, m.pair_site)
        put(m.w, m.pair_site[m.w_pair])
        put(m.sc, m.share_site)
        put(m.sa, m.share_site)
    return codes, [str(n) for n in names]


def _column_sites(model: PlanningModel) -> np.ndarray:
    """The site row of every site column, -1 for the others."""
    m = model
    out = np.full(m.problem.n_cols, -1, dtype=np.int64)
    for block, site_rows in ((m.x, m.pair_site), (m.o, m.open_site), (m.z, m.share_site), (m.k, m.complexes.site)):
        if block.size:
            out[block.start:block.stop] = site_rows
    if m.mode == "capacitated":
        for block, site_rows in ((m.a, m.pair_site), (m.w, m.pair_site[m.w_pair]), (m.sc, m.share_site),
                                 (m.sa, m.share_site)):
            if block.size:
                out[block.start:block.stop] = site_rows
    return out


def _demand_row_units(model: PlanningModel, n_units: int) -> sp.csr_matrix:
    """Sparse (global demand row x demand unit): which units each demand row stands for."""
    rows, cols = [], []
    for name in model.functions:
        c = model.coverage[name]
        units = np.flatnonzero(c.unit_group >= 0)
        rows.append(c.unit_group[units] + model.y_offsets[name])
        cols.append(units)
    n_rows = sum(c.n_groups for c in model.coverage.values())
    if not rows:
        return sp.csr_matrix((n_rows, n_units))
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(n_rows, n_units))


def _column_demand_rows(model: PlanningModel) -> np.ndarray:
    """The global demand row of every ``y`` (coverage) or ``w`` (capacitated) column, -1 else."""
    out = np.full(model.problem.n_cols, -1, dtype=np.int64)
    if model.y.size:
        out[model.y.start:model.y.stop] = np.arange(model.y.size)
    if model.w.size:
        out[model.w.start:model.w.stop] = model.w_row
    return out


def _one_hot(labels: np.ndarray, n_classes: int) -> sp.csr_matrix:
    """Sparse (len(labels) x n_classes), one 1 per labelled entry (labels < 0: empty row)."""
    keep = np.flatnonzero(labels >= 0)
    return sp.csr_matrix((np.ones(keep.size), (keep, labels[keep])), shape=(labels.size, n_classes))


def redundant_total_budget(model: PlanningModel, scenario: Scenario, codes: np.ndarray,
                           names: list[str]) -> np.ndarray:
    """Rows of a city-wide budget that cannot bind, as a row mask.

    ``budget.total`` cannot bind when it is at least the sum of the district budgets and
    every district with a site column has one: every plan within the district budgets is
    within the total. Such a row is left out of the pieces (exactly).
    """
    rule = _rule_of_rows(model)
    total = rule == TOTAL_BUDGET_RULE
    by = scenario.budget.by_district
    if not total.any() or not by or scenario.budget.total is None:
        return np.zeros(rule.size, dtype=bool)
    present = {names[c] for c in np.unique(codes[codes >= 0])}
    if present <= set(by) and scenario.budget.total >= sum(by.values()) - 1e-6:
        return total
    return np.zeros(rule.size, dtype=bool)


def _sub_problem(problem: MatrixProblem, rows: np.ndarray, cols: np.ndarray, name: str) -> MatrixProblem:
    """The model restricted to ``rows`` and ``cols`` (terms of other columns dropped)."""
    meta = {}
    if "integral_at_optimum" in problem.metadata:
        meta["integral_at_optimum"] = np.asarray(problem.metadata["integral_at_optimum"])[cols]
    return MatrixProblem(
        objective=problem.objective[cols], matrix=problem.matrix[rows][:, cols],
        row_lower=problem.row_lower[rows], row_upper=problem.row_upper[rows],
        col_lower=problem.col_lower[cols], col_upper=problem.col_upper[cols],
        integrality=problem.integrality[cols], sense=problem.sense, name=name, metadata=meta)


def _piece(model: PlanningModel, name: str, districts: tuple[str, ...], cols: np.ndarray, rows: np.ndarray,
           col_site: np.ndarray, col_demand: np.ndarray, row_units: sp.csr_matrix) -> Piece:
    cols = np.sort(cols)
    rows = np.sort(rows)
    position = np.full(model.problem.n_cols, -1, dtype=np.int64)
    position[cols] = np.arange(cols.size)
    w_col, x_col, coef = model.cut_pool
    mine = (position[w_col] >= 0) & (position[x_col] >= 0) if w_col.size else np.zeros(0, dtype=bool)
    pool = (position[w_col[mine]], position[x_col[mine]], coef[mine])
    demand_rows = np.unique(col_demand[cols][col_demand[cols] >= 0])
    units = int((np.asarray(row_units[demand_rows].sum(axis=0)).ravel() > 0).sum()) if demand_rows.size else 0
    sites = int(np.unique(col_site[cols][col_site[cols] >= 0]).size)
    return Piece(name, districts, cols, rows, _sub_problem(model.problem, rows, cols, f"{model.problem.name}:{name}"),
                 pool, sites, units)


def _piece_name(districts: tuple[str, ...]) -> str:
    return "+".join(districts) if districts else NO_SITE


# ----------------------------------------------------------------------------- links
def linking_report(model: PlanningModel, inputs: Inputs, scenario: Scenario, max_circles: int = 5) -> list[Link]:
    """What ties districts together in the whole model, by row family.

    - coverage (served-within-demand) rows holding sites of two districts: one
      :class:`Link` per district pair, with the number of demand units reachable from both;
    - any other row whose columns (and, for demand rows, the sites reaching them) lie in two
      or more districts: one :class:`Link` per row family and set of districts, with the
      life circles concerned. A city-wide budget that cannot bind is not a link.
    """
    codes, names = column_districts(model, inputs)
    n_d = len(names)
    a = model.problem.matrix
    pattern = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    rule = _rule_of_rows(model)
    coupling = np.isin(rule, COUPLING_RULES)
    dropped = redundant_total_budget(model, scenario, codes, names)
    site_d = _one_hot(codes, n_d)
    links: list[Link] = []
    # coverage links: demand units whose rows hold sites of two districts
    cp = pattern[np.flatnonzero(coupling)]
    row_d = (cp @ site_d) > 0  # coupling rows x districts
    if cp.shape[0]:
        units = _demand_row_units(model, len(inputs.demand))
        # coupling row i of the family is global demand row i (build.py numbers both alike)
        unit_d = ((units.T @ row_d.astype(float)) > 0).astype(float)
        both = (unit_d.T @ unit_d).toarray()
        for i in range(n_d):
            for j in range(i + 1, n_d):
                if both[i, j] > 0:
                    links.append(Link("coverage" if model.mode != "capacitated" else "served within demand",
                                      (names[i], names[j]), 0, int(both[i, j])))
    # every other row: its own site columns' districts, plus the districts reaching its demand columns
    demand_d = sp.csr_matrix((model.problem.n_cols, n_d))
    if cp.shape[0]:
        demand_d = (cp.T @ row_d.astype(float)) > 0
        demand_d = demand_d.multiply((codes < 0)[:, None]).tocsr()
    col_d = ((site_d + demand_d.astype(float)) > 0).astype(float)
    other = np.flatnonzero(~coupling & ~dropped)
    if other.size:
        od = ((pattern[other] @ col_d) > 0).tocsr()
        spread = np.flatnonzero(np.diff(od.indptr) >= 2)
        s_circle = site_circles(inputs)
        col_site = _column_sites(model)
        target_start = next((start for nm, start, _ in model.row_blocks if nm == "what must exist (rule 7)"), None)
        groups: dict[tuple[str, tuple[str, ...]], list[int]] = {}
        for k in spread:  # rows that span districts: few, each reported
            key = (str(rule[other[k]]), tuple(names[j] for j in od.indices[od.indptr[k]:od.indptr[k + 1]]))
            groups.setdefault(key, []).append(int(other[k]))
        for (family, dist), rows in groups.items():
            circles: set[str] = set()
            for r in rows[:50]:
                if target_start is not None and family == "what must exist (rule 7)":
                    circles.add(str(model.targets[r - target_start].circle))
                elif family != TOTAL_BUDGET_RULE:
                    cols = a.indices[a.indptr[r]:a.indptr[r + 1]]
                    sites = col_site[cols][col_site[cols] >= 0]
                    circles |= {str(c) for c in s_circle[sites]}
            links.append(Link(family, dist, len(rows), 0, tuple(sorted(circles))[:max_circles]))
    return links


# ----------------------------------------------------------------------------- blocks
def find_blocks(model: PlanningModel, inputs: Inputs, scenario: Scenario) -> Decomposition:
    """The exact pieces: connected components of the model's row-column graph, bundled by district.

    A city-wide budget that cannot bind (:func:`redundant_total_budget`) is left out first.
    """
    problem = model.problem
    codes, names = column_districts(model, inputs)
    dropped = redundant_total_budget(model, scenario, codes, names)
    kept = np.flatnonzero(~dropped)
    a = problem.matrix[kept]
    pattern = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    n_c, n_r = problem.n_cols, len(kept)
    graph = sp.bmat([[None, pattern.T], [pattern, None]], format="csr") if n_r else sp.csr_matrix((n_c, n_c))
    n_comp, labels = connected_components(graph, directed=False)
    col_comp, row_comp = labels[:n_c], labels[n_c:]
    comp_d = (_one_hot(col_comp, n_comp).T @ _one_hot(codes, len(names))) > 0  # components x districts
    dense = np.asarray(comp_d.toarray(), dtype=bool)
    keys, piece_of_comp = np.unique(dense, axis=0, return_inverse=True)
    piece_of_comp = np.asarray(piece_of_comp).ravel()
    col_piece = piece_of_comp[col_comp]
    row_piece = piece_of_comp[row_comp] if n_r else np.zeros(0, dtype=np.int64)
    col_site, col_demand = _column_sites(model), _column_demand_rows(model)
    row_units = _demand_row_units(model, len(inputs.demand))
    pieces = []
    for k, key in enumerate(keys):
        dist = tuple(names[j] for j in np.flatnonzero(key))
        pieces.append(_piece(model, _piece_name(dist), dist, np.flatnonzero(col_piece == k),
                             kept[row_piece == k], col_site, col_demand, row_units))
    pieces.sort(key=lambda p: (-p.cols.size, p.name))
    notes = [f"{n_comp:,} independent blocks in the model, bundled by the districts of their sites into "
             f"{len(pieces)} piece(s)"]
    if dropped.any():
        notes.append("the city-wide budget is at least the sum of the district budgets, so it cannot bind: "
                     "left out")
    elif TOTAL_BUDGET_RULE in {nm for nm, _, _ in model.row_blocks}:
        notes.append("a city-wide budget (budget.total) is one row over every site: it links every district, "
                     "so they stay one piece")
    return Decomposition("blocks", pieces, linking_report(model, inputs, scenario), names, notes)


# ----------------------------------------------------------------------------- by district
def split_by_district(model: PlanningModel, inputs: Inputs, scenario: Scenario) -> Decomposition:
    """The bounded split: one piece per district, border demand rows copied into each piece reaching them.

    Raises
    ------
    SplitRefused
        When a row other than "covered (served) at most once" spans districts (the rule is
        named), or the objective is not ``max_coverage``.
    """
    if model.objective != "max_coverage":
        raise SplitRefused(f"the split by district bounds max_coverage plans; objective {model.objective} has no "
                           "budgets to split: use --split blocks (exact)")
    problem = model.problem
    codes, names = column_districts(model, inputs)
    n_d = len(names)
    rule = _rule_of_rows(model)
    coupling = np.isin(rule, COUPLING_RULES)
    dropped = redundant_total_budget(model, scenario, codes, names)
    a = problem.matrix
    pattern = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    site_d = _one_hot(codes, n_d)
    cp = pattern[np.flatnonzero(coupling)]
    row_d = ((cp @ site_d) > 0).astype(float)
    reach_d = ((cp.T @ row_d) > 0).multiply((codes < 0)[:, None]).tocsr()  # non-site columns: districts reaching
    # components of the rows that must stay whole
    whole = np.flatnonzero(~coupling & ~dropped)
    wp = pattern[whole]
    n_c = problem.n_cols
    graph = sp.bmat([[None, wp.T], [wp, None]], format="csr") if whole.size else sp.csr_matrix((n_c, n_c))
    n_comp, labels = connected_components(graph, directed=False)
    col_comp = labels[:n_c]
    onehot = _one_hot(col_comp, n_comp)
    comp_site = ((onehot.T @ site_d) > 0).toarray()
    comp_reach = ((onehot.T @ reach_d.astype(float)) > 0).toarray()
    comp_all = comp_site | comp_reach
    comp_rows = np.bincount(labels[n_c:], minlength=n_comp) if whole.size else np.zeros(n_comp, dtype=np.int64)
    comp_has_site = comp_site.any(axis=1)
    copied = (comp_rows == 0) & ~comp_has_site  # a lone demand column: a copy in every piece reaching it
    bad = ~copied & (comp_all.sum(axis=1) >= 2)
    if bad.any():
        links = [k for k in linking_report(model, inputs, scenario) if k.rule not in COUPLING_RULES]
        what = "; ".join(k.describe("en") for k in links[:8]) or "rows that span districts"
        raise SplitRefused("the split by district would change the plan's rules, not only bound it: " + what
                           + ". Set budget.by_district instead of a binding budget.total, or use --split blocks "
                             "(exact, one model where districts are linked)")
    col_pieces = sp.csc_matrix(comp_all[col_comp].astype(float))  # column x district membership
    col_site, col_demand = _column_sites(model), _column_demand_rows(model)
    row_units = _demand_row_units(model, len(inputs.demand))
    kept_rows = ~dropped
    pieces = []
    for d in range(n_d):
        cols = col_pieces.indices[col_pieces.indptr[d]:col_pieces.indptr[d + 1]]
        if not cols.size:
            continue
        ind = np.zeros(n_c)
        ind[cols] = 1.0
        rows = np.flatnonzero(((pattern @ ind) > 0) & kept_rows)
        pieces.append(_piece(model, names[d], (names[d],), cols, rows, col_site, col_demand, row_units))
    rest = np.flatnonzero(~comp_all.any(axis=1)[col_comp])
    if rest.size:
        ind = np.zeros(n_c)
        ind[rest] = 1.0
        rows = np.flatnonzero(((pattern @ ind) > 0) & kept_rows)
        pieces.append(_piece(model, NO_SITE, (), rest, rows, col_site, col_demand, row_units))
    pieces.sort(key=lambda p: (-p.cols.size, p.name))
    in_pieces = comp_all[col_comp].sum(axis=1)
    n_copied = int((in_pieces[copied[col_comp]] - 1).clip(0).sum())
    notes = [f"{len(pieces)} piece(s), one per district; {n_copied:,} extra copies of border demand rows "
             "(a row reachable from k districts is counted in k pieces: the upper bound relaxes y <= 1 there)"]
    if dropped.any():
        notes.append("the city-wide budget is at least the sum of the district budgets, so it cannot bind: "
                     "left out")
    return Decomposition("by_district", pieces, linking_report(model, inputs, scenario), names, notes)


# ----------------------------------------------------------------------------- bounds
@dataclass(frozen=True)
class Combined:
    """The whole model's answer put together from its pieces.

    Attributes
    ----------
    values
        A full solution vector (by district: the union's integer choices; the rest is
        completed by :func:`fixed_choices`).
    objective, bound
        Value of the plan and the proven bound on the whole model's optimum.
    gap
        Relative gap between them.
    proven
        True only when every piece is proven (blocks) or the bounds meet (by district).
    """

    values: np.ndarray
    objective: float | None
    bound: float | None
    gap: float | None
    proven: bool


def pieces_bound(results: list[SolveResult]) -> float | None:
    """Sum of the pieces' bounds (their optimal values when proven); None when one is unknown."""
    total = 0.0
    for r in results:
        b = r.bound if r.bound is not None else (r.objective if r.proven_optimal else None)
        if b is None or not math.isfinite(b):
            return None
        total += b
    return total


def union_values(problem: MatrixProblem, pieces: list[Piece], results: list[SolveResult]) -> np.ndarray:
    """A full solution vector: each column from its piece (by district: site columns are in one piece;
    a copied demand column takes its largest copy, completed afterwards)."""
    values = np.full(problem.n_cols, -np.inf)
    for p, r in zip(pieces, results, strict=True):
        values[p.cols] = np.maximum(values[p.cols], r.values)
    return np.where(np.isfinite(values), values, np.clip(0.0, problem.col_lower, problem.col_upper))


def combine_blocks(problem: MatrixProblem, pieces: list[Piece], results: list[SolveResult]) -> Combined:
    """Exact pieces: objective = sum, bound = sum of bounds, proven only if every piece is."""
    values = union_values(problem, pieces, results)
    objective = problem.objective_value(values)
    bound = pieces_bound(results)
    proven = all(r.proven_optimal for r in results)
    return Combined(values, objective, bound, 0.0 if proven else relative_gap(objective, bound), proven)


def fixed_choices(problem: MatrixProblem, values: np.ndarray) -> MatrixProblem:
    """The whole model with every integer column fixed at ``values`` (rounded): what is left is
    who is covered or served (a linear programme)."""
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    ints = problem.integrality
    fixed = np.clip(np.round(values[ints]), lower[ints], upper[ints])
    lower[ints] = fixed
    upper[ints] = fixed
    return MatrixProblem(objective=problem.objective, matrix=problem.matrix, row_lower=problem.row_lower,
                         row_upper=problem.row_upper, col_lower=lower, col_upper=upper,
                         integrality=problem.integrality, sense=problem.sense,
                         objective_offset=problem.objective_offset, name=problem.name + ":union",
                         metadata=problem.metadata)


def combine_split(completed: SolveResult, results: list[SolveResult]) -> Combined:
    """By district: the completed union is the lower bound, the sum of piece bounds the upper bound."""
    lower = completed.objective
    upper = pieces_bound(results)
    proven = bound_meets_value(lower, upper)
    return Combined(completed.values, lower, upper, 0.0 if proven else relative_gap(lower, upper), proven)


def city_status(combined: Combined) -> SolveStatus:
    """Optimal only when proven (see :class:`Combined`)."""
    return SolveStatus.OPTIMAL if combined.proven else SolveStatus.FEASIBLE


def pieces_table(decomposition: Decomposition, results: list[SolveResult | None], seconds: list[float],
                 peak_mb: list[float | None] | None = None) -> pd.DataFrame:
    """One row per piece: piece, districts, sites, demand units, status, objective, bound, gap, seconds,
    and the peak memory of the process that solved it (when known)."""
    rows = []
    peak_mb = peak_mb or [None] * len(results)
    for i, (p, r, s, m) in enumerate(zip(decomposition.pieces, results, seconds, peak_mb, strict=True)):
        rows.append({"piece": i + 1, "name": p.name, "districts": "+".join(p.districts), "sites": p.sites,
                     "demand_units": p.demand_units, "variables": p.problem.n_cols, "rows": p.problem.n_rows,
                     "status": r.status.value if r is not None else "not solved",
                     "objective": r.objective if r is not None else None,
                     "bound": r.bound if r is not None else None,
                     "gap": r.gap if r is not None else None, "seconds": round(s, 2), "peak_mb": m})
    return pd.DataFrame(rows)
