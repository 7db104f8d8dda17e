"""Not built separately (不单建, rule 6): in a life circle, two newly provided functions of a group share a site.

When a scenario sets ``sharing.not_built_separately``: inside one life circle, if two
functions of a sharing group are both newly provided, at least one site hosts them
together, unless no site of that circle is eligible for both (see
:mod:`optimizer.rules.together`). The model writes it with

- ``n[c,f]`` in [0, 1]: 1 when function ``f`` is newly provided in circle ``c``
  (``x[p] <= n[c,f]`` for each pair of ``f`` in ``c``: rows "newly provided in a life
  circle");
- per circle and group pair ``(a, b)``: ``sum of together[s] >= n[c,a] + n[c,b] - 1`` over
  the circle's sites eligible for both, where "together at ``s``" is the group's ``z``
  when the group has two functions, otherwise a co-location indicator
  ``q <= x[a at s]``, ``q <= x[b at s]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.candidates import Candidates
from optimizer.model.sharing import SharingSites
from optimizer.scenario import Scenario


@dataclass(frozen=True)
class TogetherRow:
    """One rule-6 row: in ``circle``, functions ``a`` and ``b`` share a site if both are new.

    Attributes
    ----------
    circle
        The life circle.
    function_a, function_b
        Function indices.
    kind
        ``"z"``: together means the group's ``z`` (a group of two); ``"q"``: a ``q`` indicator.
    together
        The ``z`` or ``q`` variables (local indices), one per site of the circle eligible for both.
    """

    circle: str
    function_a: int
    function_b: int
    kind: str
    together: np.ndarray


@dataclass(frozen=True)
class TogetherLinks:
    """What rule 6 adds: the ``n`` and ``q`` variables and one row per circle and group pair.

    Attributes
    ----------
    newly_provided
        ``(circle, function index) -> n`` variable (local index).
    rows
        The rule's rows, in order.
    q_pairs
        The two pairs of every ``q`` variable, in order.
    """

    newly_provided: dict[tuple[str, int], int]
    rows: list[TogetherRow]
    q_pairs: list[tuple[int, int]]


def together_links(scenario: Scenario, candidates: Candidates, sharing: SharingSites, site_circle: np.ndarray,
                   pairs_of_groups: list[tuple[str, str, str]]) -> TogetherLinks:
    """The circles where a group pair must share a site if both are newly provided.

    Parameters
    ----------
    scenario
        The scenario (function names, sharing groups).
    candidates
        The candidate pairs.
    sharing
        The (site, group) of every ``z``.
    site_circle
        Life circle of each site.
    pairs_of_groups
        ``(group, function a, function b)`` under rule 6 (empty when it is off).

    Returns
    -------
    TogetherLinks
    """
    names = scenario.function_names
    groups = scenario.sharing.groups
    pair_index = candidates.pair_index
    newly_provided: dict[tuple[str, int], int] = {}
    rows: list[TogetherRow] = []
    q_pairs: list[tuple[int, int]] = []
    z_of = {(int(s), int(g)): i for i, (s, g) in enumerate(zip(sharing.site, sharing.group, strict=True))}
    for group_name, fa, fb in pairs_of_groups:
        ka, kb = names.index(fa), names.index(fb)
        gi = next(i for i, g in enumerate(groups) if g.name == group_name)
        both_sites = np.flatnonzero((pair_index[:, ka] >= 0) & (pair_index[:, kb] >= 0))
        for circle in sorted(set(site_circle[both_sites].tolist())):
            here = both_sites[site_circle[both_sites] == circle]
            for kf in (ka, kb):
                newly_provided.setdefault((circle, kf), len(newly_provided))
            if len(groups[gi].functions) == 2:  # z is exactly "both here"
                rows.append(TogetherRow(circle, ka, kb, "z",
                                        np.array([z_of[(int(s), gi)] for s in here], dtype=np.int64)))
            else:  # a larger group: an indicator per site for this pair
                first = len(q_pairs)
                q_pairs += [(int(pair_index[s, ka]), int(pair_index[s, kb])) for s in here]
                rows.append(TogetherRow(circle, ka, kb, "q", np.arange(first, len(q_pairs), dtype=np.int64)))
    return TogetherLinks(newly_provided, rows, q_pairs)


def define_not_built_separately_rows(links: TogetherLinks, candidates: Candidates, site_circle: np.ndarray,
                                     x: VariableBlock, z: VariableBlock, n: VariableBlock,
                                     q: VariableBlock) -> list[RowBlock]:
    """Rule 6: in each circle, two newly provided functions of a group are hosted together somewhere.

    Parameters
    ----------
    links
        The rule's ``n``, ``q`` and rows.
    candidates
        The candidate pairs.
    site_circle
        Life circle of each site.
    x, z, n, q
        Pair, group-at-site, newly-provided and co-location variables.

    Returns
    -------
    list of RowBlock
        ``"newly provided in a life circle"``, ``"not built separately (rule 6)"``, and
        for ``q`` two more ``"not built separately (rule 6)"`` families (``q <= x`` of
        each of its pairs); none when the rule adds no row.
    """
    if not links.rows:
        return []
    fn_of_pair, circle_of_pair = candidates.pair_function, site_circle[candidates.pair_site]
    link_rows, link_cols, link_vals = [], [], []
    rule_rows, rule_cols, rule_vals, rule_lower = [], [], [], []
    n_links = 0
    for row, together in enumerate(links.rows):
        for kf in (together.function_a, together.function_b):
            pairs = np.flatnonzero((fn_of_pair == kf) & (circle_of_pair == together.circle))
            newly = n.index(links.newly_provided[(together.circle, kf)])
            link_rows += [np.arange(n_links, n_links + pairs.size), np.arange(n_links, n_links + pairs.size)]
            link_cols += [x.index(pairs), np.full(pairs.size, newly)]
            link_vals += [np.ones(pairs.size), -np.ones(pairs.size)]
            n_links += pairs.size
        cols = z.index(together.together) if together.kind == "z" else q.index(together.together)
        newly_a = n.index(links.newly_provided[(together.circle, together.function_a)])
        newly_b = n.index(links.newly_provided[(together.circle, together.function_b)])
        rule_rows.append(np.full(cols.size + 2, row))
        rule_cols.append(np.concatenate([cols, [newly_a, newly_b]]))
        rule_vals.append(np.concatenate([np.ones(cols.size), [-1.0, -1.0]]))
        rule_lower.append(-1.0)
    blocks = [
        row_block("newly provided in a life circle", np.concatenate(link_rows), np.concatenate(link_cols),
                  np.concatenate(link_vals), n_links, -np.inf, 0.0),
        row_block("not built separately (rule 6)", np.concatenate(rule_rows), np.concatenate(rule_cols),
                  np.concatenate(rule_vals), len(links.rows), np.array(rule_lower), np.inf),
    ]
    if links.q_pairs:
        q_members = np.array(links.q_pairs, dtype=np.int64)
        n_q = len(links.q_pairs)
        for member in (q_members[:, 0], q_members[:, 1]):
            blocks.append(row_block("not built separately (rule 6)", np.concatenate([np.arange(n_q), np.arange(n_q)]),
                                    np.concatenate([q.index(np.arange(n_q)), x.index(member)]),
                                    np.concatenate([np.ones(n_q), -np.ones(n_q)]), n_q, -np.inf, 0.0))
    return blocks
