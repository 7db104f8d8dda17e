"""Forced decisions (rule 8): sites or site functions a planner fixes in or out.

They come from the sites' ``forced`` column (``in``/``out``) and from the scenario's
``decisions.force_in`` / ``decisions.force_out`` entries (``SITE`` or ``SITE:function``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.errors import Problem
from optimizer.model.blocks import VariableBlock


@dataclass(frozen=True)
class ForcedDecisions:
    """Forced sites and pairs, by site row and function name."""

    in_sites: np.ndarray
    out_sites: np.ndarray
    in_pairs: tuple[tuple[int, str], ...]
    out_pairs: tuple[tuple[int, str], ...]

    def in_pairs_mask(self, n_sites: int, names: list[str]) -> np.ndarray:
        """Boolean (n_sites, n_functions) of pairs forced in."""
        m = np.zeros((n_sites, len(names)), dtype=bool)
        for s, f in self.in_pairs:
            m[s, names.index(f)] = True
        return m

    def out_pairs_mask(self, n_sites: int, names: list[str]) -> np.ndarray:
        """Boolean (n_sites, n_functions) of pairs forced out."""
        m = np.zeros((n_sites, len(names)), dtype=bool)
        for s, f in self.out_pairs:
            m[s, names.index(f)] = True
        return m

    def restrict(self, eligible: np.ndarray, names: list[str]) -> np.ndarray:
        """``eligible`` (sites x functions) without what is forced out: the pairs a plan may use."""
        out = eligible & ~self.out_pairs_mask(eligible.shape[0], names)
        out[self.out_sites] = False
        return out

    def describe(self, sites: pd.DataFrame) -> dict:
        """JSON-ready listing by site id."""
        ids = sites["site_id"].to_numpy()
        return {
            "force_in_sites": [str(ids[s]) for s in self.in_sites],
            "force_out_sites": [str(ids[s]) for s in self.out_sites],
            "force_in_functions": [f"{ids[s]}:{f}" for s, f in self.in_pairs],
            "force_out_functions": [f"{ids[s]}:{f}" for s, f in self.out_pairs],
        }


def forced_decisions(
    sites: pd.DataFrame,
    force_in: tuple[str, ...],
    force_out: tuple[str, ...],
    function_names: list[str],
    eligible: np.ndarray,
    sites_file: str,
    scenario_file: str,
) -> tuple[ForcedDecisions, list[Problem]]:
    """Collect forced decisions and every problem with them.

    Parameters
    ----------
    sites
        The sites table (``site_id``, ``forced``).
    force_in, force_out
        Scenario entries, ``SITE`` or ``SITE:function``.
    function_names
        Enabled functions.
    eligible
        Eligibility matrix (n_sites, n_functions).
    sites_file, scenario_file
        Names used in problem messages.
    """
    problems: list[Problem] = []
    row_of = {sid: i for i, sid in enumerate(sites["site_id"].astype(str))}
    in_sites: set[int] = set()
    out_sites: set[int] = set()
    in_pairs: set[tuple[int, str]] = set()
    out_pairs: set[tuple[int, str]] = set()
    column = sites["forced"].fillna("").astype(str).str.strip().str.lower()
    in_sites |= set(np.flatnonzero(column.to_numpy() == "in").tolist())
    out_sites |= set(np.flatnonzero(column.to_numpy() == "out").tolist())
    for key, entries, site_set, pair_set in (("force_in", force_in, in_sites, in_pairs),
                                             ("force_out", force_out, out_sites, out_pairs)):
        for entry in entries:
            sid, _, fname = entry.partition(":")
            if sid not in row_of:
                problems.append(Problem(scenario_file, f"decisions.{key} names site {sid!r}, "
                                        f"which is not in {sites_file}", column="site_id"))
                continue
            if fname:
                if fname not in function_names:
                    continue  # reported by the scenario's own validation
                pair_set.add((row_of[sid], fname))
            else:
                site_set.add(row_of[sid])
    ids = sites["site_id"].astype(str).to_numpy()
    for s in sorted(in_sites & out_sites):
        problems.append(Problem(sites_file, "site is forced both in and out", row=f"site_id={ids[s]}",
                                column="forced"))
    for s in sorted(in_sites):
        if not eligible[s].any():
            problems.append(Problem(sites_file, "site is forced in but may host no enabled function",
                                    row=f"site_id={ids[s]}", column="forced"))
    for s, f in sorted(in_pairs):
        if not eligible[s, function_names.index(f)]:
            problems.append(Problem(scenario_file, f"decisions.force_in: {ids[s]}:{f} but the site "
                                    f"may not host {f} under the eligibility rules",
                                    row=f"site_id={ids[s]}"))
        if s in out_sites or (s, f) in out_pairs:
            problems.append(Problem(scenario_file, f"{ids[s]}:{f} is forced both in and out",
                                    row=f"site_id={ids[s]}"))
    return ForcedDecisions(np.array(sorted(in_sites), dtype=np.int64), np.array(sorted(out_sites), dtype=np.int64),
                           tuple(sorted(in_pairs)), tuple(sorted(out_pairs))), problems


def define_forced_bounds(forced: ForcedDecisions, functions: list[str], n_sites: int, pair_site: np.ndarray,
                         pair_function: np.ndarray, site_position: np.ndarray, x: VariableBlock, o: VariableBlock,
                         col_lower: np.ndarray) -> None:
    """Rule 8 as bounds: a pair forced in has ``x = 1``; its site, and a site forced in, ``o = 1``.

    Sites and pairs forced out are not candidates at all (:meth:`ForcedDecisions.restrict`).

    Parameters
    ----------
    forced
        The forced decisions.
    functions
        Function names, in order.
    n_sites
        Sites in the inputs.
    pair_site, pair_function
        Site row and function index of each candidate pair.
    site_position
        For each site row, its ``o`` variable (local index).
    x, o
        The pair and converted-site variables.
    col_lower
        Column lower bounds, raised in place.
    """
    forced_pairs = forced.in_pairs_mask(n_sites, functions)[pair_site, pair_function]
    col_lower[x.index(np.flatnonzero(forced_pairs))] = 1.0
    col_lower[o.index(site_position[forced.in_sites])] = 1.0
    col_lower[o.index(site_position[np.unique(pair_site[forced_pairs])])] = 1.0
