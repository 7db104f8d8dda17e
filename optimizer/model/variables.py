"""The model's variables, block by block, with their bounds and integrality.

Columns are laid out in this order (blocks a mode does not use are empty):

- ``x[p]`` binary, one per candidate pair ``p = (site, function)``: the function is
  provided at the site;
- ``o[s]`` binary, one per site with a candidate pair: the site is converted (its
  conversion cost is paid once, rule 5);
- ``z[s,g]`` binary, one per site where every function of sharing group ``g`` is a
  candidate: exactly 1 when the whole group sits there (its savings apply, rule 5);
- ``y[r]`` in [0, 1], coverage mode, one per demand row (merged demand units, per
  function): the share of the row's people newly reached;
- ``a[p]`` capacitated mode (rule 4): the area given to pair ``p`` (0, or between the
  function's minimum and maximum size; a shared garage's own size when provided);
- ``w[r,p]`` capacitated mode: the people of row ``r`` served by pair ``p`` (only pairs
  within reach: the sparsity pattern of reach), at most the row's people;
- ``sc[s,g]``, ``sa[s,g]`` capacitated mode: the sharing savings (money in
  :data:`~optimizer.model.budget_space.MONEY_UNIT`, area in m2) of each ``z``;
- ``n[c,f]`` in [0, 1], rule 6: function ``f`` is newly provided in life circle ``c``;
- ``q`` in [0, 1], rule 6: two functions of a group of more than two share a site;
- ``slack[t]`` >= 0, diagnosis only: how far requirement target ``t`` falls short;
- ``m[c,b]`` >= 0, one per funding channel ``c`` and bucket ``b`` it may fund: the money
  (in :data:`~optimizer.model.budget_space.MONEY_UNIT`) the channel gives the government's
  one-off share of that bucket (:mod:`optimizer.model.money`).
- ``k[s,t]`` binary, one per site that could host multi-function complex type ``t``
  (渝邻汇, :mod:`optimizer.model.complexes`): the site hosts a complex of that type.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from optimizer.model.blocks import VariableBlock
from optimizer.model.candidates import Candidates
from optimizer.model.complexes import ComplexSites
from optimizer.model.not_built_separately import TogetherLinks
from optimizer.model.sharing import SharingSites


@dataclass(frozen=True)
class ModelVariables:
    """Every variable block, the columns' bounds and integrality, and where demand rows sit.

    Attributes
    ----------
    x, o, z, y, a, w, sc, sa, n, q, slack, m, k
        The variable blocks (see the module's docstring).
    col_lower, col_upper, integrality
        Bounds and integrality of every column (forced decisions not yet applied).
    w_row, w_pair
        Demand row (global) and pair of each ``w``.
    y_offsets
        Where each function's demand rows start in the global numbering.
    row_people
        People still to serve in each demand row (global numbering).
    """

    x: VariableBlock
    o: VariableBlock
    z: VariableBlock
    y: VariableBlock
    a: VariableBlock
    w: VariableBlock
    sc: VariableBlock
    sa: VariableBlock
    n: VariableBlock
    q: VariableBlock
    slack: VariableBlock
    m: VariableBlock
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    w_row: np.ndarray
    w_pair: np.ndarray
    y_offsets: dict[str, int]
    row_people: np.ndarray
    k: VariableBlock = field(default_factory=lambda: VariableBlock("k", 0, 0))

    @property
    def n_cols(self) -> int:
        """How many columns the model has."""
        return self.k.stop

    def integral_at_optimum(self, capacitated: bool) -> np.ndarray:
        """Columns that some optimum takes integral, for backends that need integers.

        Coverage mode: ``y[r] = min(1, sum of the x reaching r)`` is feasible and no worse
        at an optimum, so some optimum has every ``y`` integral; likewise rule 6's ``n``
        (lowered to the largest ``x`` of its circle) and ``q`` (raised to ``min(x_a, x_b)``).
        """
        out = self.integrality.copy()
        out[self.y.index(np.arange(self.y.size))] = True
        if not capacitated:
            out[self.n.index(np.arange(self.n.size))] = True
            out[self.q.index(np.arange(self.q.size))] = True
        return out


def define_variables(functions: list[str], candidates: Candidates, sharing: SharingSites, links: TogetherLinks,
                     n_targets: int, *, capacitated: bool, soft: bool, n_channel_arcs: int = 0,
                     complexes: ComplexSites | None = None) -> ModelVariables:
    """Lay out the variable blocks and give each column its bounds and integrality.

    Parameters
    ----------
    functions
        Function names, in order.
    candidates
        The candidate pairs and demand rows.
    sharing
        The (site, group) of every ``z``.
    links
        Rule 6's ``n`` and ``q``.
    n_targets
        Requirement targets with a positive need (one ``slack`` each in the diagnosis model).
    capacitated
        Capacitated mode (``a``, ``w``, ``sc``, ``sa``) rather than coverage mode (``y``).
    soft
        The diagnosis model (``slack``).
    n_channel_arcs
        Funding channel arcs (one ``m`` each).
    complexes
        The (site, complex type) of every ``k``; none when ``None``.

    Returns
    -------
    ModelVariables
    """
    coverage = candidates.coverage
    n_pairs, n_z = candidates.n_pairs, sharing.size
    n_demand_rows = sum(c.n_groups for c in coverage.values())
    y_offsets, offset = {}, 0
    for name in functions:
        y_offsets[name] = offset
        offset += coverage[name].n_groups
    if capacitated:
        w_row_parts, w_pair_parts = [], []
        for k, name in enumerate(functions):
            pattern = coverage[name].pattern.tocoo()
            pair_cols = np.flatnonzero(candidates.pair_function == k)
            w_row_parts.append(pattern.row.astype(np.int64) + y_offsets[name])
            w_pair_parts.append(pair_cols[pattern.col])
        w_row = np.concatenate(w_row_parts) if w_row_parts else np.zeros(0, np.int64)
        w_pair = np.concatenate(w_pair_parts) if w_pair_parts else np.zeros(0, np.int64)
    else:
        w_row = w_pair = np.zeros(0, np.int64)
    x = VariableBlock("x", 0, n_pairs)
    o = VariableBlock("o", x.stop, len(candidates.open_site))
    z = VariableBlock("z", o.stop, n_z)
    y = VariableBlock("y", z.stop, 0 if capacitated else n_demand_rows)
    a = VariableBlock("a", y.stop, n_pairs if capacitated else 0)
    w = VariableBlock("w", a.stop, len(w_row))
    sc = VariableBlock("sc", w.stop, n_z if capacitated else 0)
    sa = VariableBlock("sa", sc.stop, n_z if capacitated else 0)
    n = VariableBlock("n", sa.stop, len(links.newly_provided))
    q = VariableBlock("q", n.stop, len(links.q_pairs))
    slack = VariableBlock("slack", q.stop, n_targets if soft else 0)
    m = VariableBlock("m", slack.stop, n_channel_arcs)
    k_block = VariableBlock("k", m.stop, complexes.size if complexes is not None else 0)
    n_cols = k_block.stop
    col_lower = np.zeros(n_cols)
    col_upper = np.ones(n_cols)
    integrality = np.zeros(n_cols, dtype=bool)
    integrality[:z.stop] = True
    integrality[k_block.start:k_block.stop] = True
    row_people = np.concatenate([coverage[nm].people for nm in functions]) if functions else np.zeros(0)
    if capacitated:
        col_upper[a.index(np.arange(n_pairs))] = candidates.pair_max_m2
        col_upper[w.index(np.arange(len(w_row)))] = row_people[w_row] if len(w_row) else 0.0
        col_upper[sc.index(np.arange(n_z))] = np.inf
        col_upper[sa.index(np.arange(n_z))] = np.inf
    col_upper[slack.index(np.arange(slack.size))] = np.inf
    col_upper[m.index(np.arange(m.size))] = np.inf
    return ModelVariables(x, o, z, y, a, w, sc, sa, n, q, slack, m, col_lower, col_upper, integrality, w_row, w_pair,
                          y_offsets, row_people, k=k_block)
