"""Site conversion (rule 5, first half): a site's conversion cost is paid once, for all it hosts.

``o[s]`` is 1 when site ``s`` is converted. A function is provided only at a converted
site (``x[p] <= o[site of p]``), and a converted site hosts something
(``o[s] <= sum of x`` over its pairs), so that no conversion is paid for nothing.
"""
from __future__ import annotations

import numpy as np

from optimizer.model.blocks import RowBlock, VariableBlock, row_block
from optimizer.model.candidates import Candidates


def define_conversion_rows(candidates: Candidates, x: VariableBlock, o: VariableBlock) -> list[RowBlock]:
    """A function only at a converted site; a converted site hosts something.

    Parameters
    ----------
    candidates
        The candidate pairs and the convertible sites.
    x, o
        Pair and converted-site variables.

    Returns
    -------
    list of RowBlock
        ``"site_conversion"`` (one row per pair) and ``"site_used"`` (one per convertible
        site); none without pairs.
    """
    n_pairs = candidates.n_pairs
    if not n_pairs:
        return []
    pairs = np.arange(n_pairs)
    n_open = len(candidates.open_site)
    own_site = candidates.site_position[candidates.pair_site]
    return [
        row_block("site_conversion", np.concatenate([pairs, pairs]),
                  np.concatenate([x.index(pairs), o.index(own_site)]),
                  np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]), n_pairs, -np.inf, 0.0),
        row_block("site_used", np.concatenate([np.arange(n_open), own_site]),
                  np.concatenate([o.index(np.arange(n_open)), x.index(pairs)]),
                  np.concatenate([np.ones(n_open), -np.ones(n_pairs)]), n_open, -np.inf, 0.0),
    ]
