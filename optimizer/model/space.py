"""Space (rule 2): the area given to functions at a site fits the site, after sharing savings.

One row per convertible site (a site with a candidate pair): its area in use (see
:func:`optimizer.model.budget_space.site_area_terms`) is at most its ``area_m2``.
Eligible floors, kinds and structures, the other half of rule 2, decide the candidate
pairs (:mod:`optimizer.rules.eligibility`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.model.blocks import RowBlock, SiteTerms, row_block


def define_space_rows(area_terms: SiteTerms, sites: pd.DataFrame, open_site: np.ndarray,
                      site_position: np.ndarray) -> list[RowBlock]:
    """Rule 2: at each convertible site, the area in use is at most the site's area.

    Parameters
    ----------
    area_terms
        Each site's area in use.
    sites
        The sites table (``area_m2``).
    open_site
        Site rows with a candidate pair (one row each, in this order).
    site_position
        For each site row, its position in ``open_site``.

    Returns
    -------
    list of RowBlock
        One family, ``"space"``.
    """
    site, col, val = area_terms.arrays()
    available = pd.to_numeric(sites["area_m2"], errors="coerce").to_numpy(float)[open_site]
    return [row_block("space", site_position[site], col, val, len(open_site), -np.inf, available)]
