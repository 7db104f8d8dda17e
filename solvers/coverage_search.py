"""Incremental swap local search for maximal covering with limit rows.

After Whitaker's fast interchange and Resende and Werneck (2007), "A fast swap-based local
search procedure for location problems", Annals of Operations Research 150. A plan is a set
of chosen sites within the limit rows ``sum_j a_j x_j <= b`` (``a >= 0``: ``p`` sites or a
budget with costs). :class:`SwapSearch` keeps, for the current plan,

- ``count_i``: chosen sites that reach demand row ``i``, and ``idsum_i`` the sum of their
  indices (so the one site covering a row covered once is ``idsum_i``);
- ``gain_k``: weight of the uncovered rows site ``k`` reaches (what putting it in adds);
- ``loss_j``: weight of the rows only chosen site ``j`` covers (what taking it out costs);
- ``extra[k, slot(j)]``: weight of the rows only ``j`` covers that ``k`` reaches too, a
  sites x plan table (one column per chosen site, at most as many as a plan can hold).

Taking ``j`` out and ``k`` in then gains ``gain_k + extra[k, j] - loss_j`` (``extra`` is
needed only for rows covered exactly once). A move updates these only for the rows in the
reach of the site that moved whose count passes 0, 1 or 2, and for the sites reaching those
rows (the reach's CSR and its transpose), instead of recomputing them from all rows: on the
clustered 100,000 x 5,000 a move touches a few hundred rows, not two million pairs. The best
fill, else the best swap, is taken while it gains (:meth:`SwapSearch.descend`), which prices
every pair at once from the table (``sites x plan`` entries, never ``rows x sites``).

Nothing here knows planning; :func:`solvers.benders.iterated_swaps` drives it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

logger = logging.getLogger(__name__)

__all__ = ["MAX_TABLE_ENTRIES", "SwapSearch", "max_plan_sites"]

#: The sites x plan table (``float64``) is built only up to this many entries (64 MB); beyond it
#: (a budget that lets a plan hold thousands of sites) the caller prices swaps the old way. The
#: clustered 100,000 x 5,000 (p = 250) needs 1.25 million.
MAX_TABLE_ENTRIES = 8_000_000



def max_plan_sites(limits: Sequence[tuple[np.ndarray, float]], n_sites: int) -> int:
    """The most sites a plan within ``limits`` can hold (the cheapest first, per limit row)."""
    most = n_sites
    for coef, limit in limits:
        spent = np.cumsum(np.sort(np.asarray(coef, dtype=np.float64)))
        most = min(most, int(np.searchsorted(spent, limit + 1e-9 * max(1.0, abs(limit)), side="right")))
    return most


def _gather(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column indices of ``rows`` of a CSR pattern, concatenated, and each row's length."""
    starts = indptr[rows]
    lens = indptr[rows + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=indices.dtype), lens
    ends = np.cumsum(lens)
    offsets = np.repeat(starts - (ends - lens), lens) + np.arange(total)
    return indices[offsets], lens


class SwapSearch:
    """One plan and the counts, gains, losses and swap table that price its single moves.

    Parameters
    ----------
    reach
        Demand rows x sites, 0/1 CSR.
    weight
        ``w_i`` of each demand row (> 0).
    limits
        Limit rows on the sites: ``(coefficients >= 0, upper limit)``.
    chosen
        A plan within the limits (0/1 per site).
    by_site
        ``reach``'s transpose as CSR, when the caller has it.
    dense
        Price every swap from the whole table at every move (``True``; always, whatever this
        says, when some swap would break a limit) instead of from the per-site bonus, which
        rereads only the table rows a move can change. Side by side, 10 s of
        :func:`~solvers.benders.iterated_swaps` from the greedy plan (00:15 UTC, load 2.3-3.5):
        clustered 10,000 x 1,000 (50,000 entries) 1,853 and 1,461 kicks with the table, 1,501
        and 1,497 with the bonus; 100,000 x 5,000 (1.25 million) 250 and 277 against 543 and 852.

    Raises
    ------
    ValueError
        When the table would exceed :data:`MAX_TABLE_ENTRIES` (see :meth:`fits`).
    """

    def __init__(self, reach: sp.csr_matrix, weight: np.ndarray, limits: Sequence[tuple[np.ndarray, float]],
                 chosen: np.ndarray, by_site: sp.csr_matrix | None = None, dense: bool = False) -> None:
        reach = sp.csr_matrix(reach)
        self.n, self.m = reach.shape
        self.cap = max(1, max_plan_sites(limits, self.m))
        if not self.fits(limits, self.m):
            raise ValueError(f"a {self.m} x {self.cap} swap table exceeds {MAX_TABLE_ENTRIES} entries")
        self.r_ptr, self.r_idx = reach.indptr.astype(np.int64), reach.indices.astype(np.int64)
        by_site = sp.csr_matrix(reach.T) if by_site is None else by_site
        self.s_ptr, self.s_idx = by_site.indptr.astype(np.int64), by_site.indices.astype(np.int64)
        self.by_site = by_site
        self.w = np.asarray(weight, dtype=np.float64)
        self.coefs = [np.asarray(coef, dtype=np.float64) for coef, _ in limits]
        self.limits = [float(limit) + 1e-9 * max(1.0, abs(float(limit))) for _, limit in limits]
        self.tol = 1e-9 * max(1.0, float(self.w.sum()))
        self.dense = dense
        self.reset(chosen)

    @staticmethod
    def fits(limits: Sequence[tuple[np.ndarray, float]], n_sites: int) -> bool:
        """Whether the sites x plan table for these limits stays within :data:`MAX_TABLE_ENTRIES`."""
        return n_sites * max(1, max_plan_sites(limits, n_sites)) <= MAX_TABLE_ENTRIES

    # -- state ----------------------------------------------------------------------------

    def reset(self, chosen: np.ndarray) -> None:
        """Rebuild every count, gain, loss and the table from scratch for the plan ``chosen``."""
        m, cap = self.m, self.cap
        self.chosen = np.round(np.asarray(chosen, dtype=np.float64)).astype(bool)
        picked = np.flatnonzero(self.chosen)
        if picked.size > cap:
            raise ValueError("the plan holds more sites than its limits allow")
        pattern = sp.csr_matrix((np.ones(self.r_idx.size, dtype=np.int64), self.r_idx, self.r_ptr),
                                shape=(self.n, m))
        self.count = pattern @ self.chosen.astype(np.int64)
        self.idsum = pattern @ np.where(self.chosen, np.arange(m, dtype=np.int64), 0)
        self.gain = self.by_site @ np.where(self.count == 0, self.w, 0.0)
        once = np.flatnonzero(self.count == 1)
        owner = self.idsum[once]
        self.loss = np.bincount(owner, self.w[once], minlength=m).astype(np.float64)
        self.slot_of = np.full(m, -1, dtype=np.int64)
        self.site_of = np.full(cap, -1, dtype=np.int64)
        self.slot_of[picked] = np.arange(picked.size)
        self.site_of[:picked.size] = picked
        self.free = list(range(cap - 1, picked.size - 1, -1))  # popped from the end: lowest slot first
        self.extra = np.zeros((m, cap))
        sites, lens = _gather(self.r_ptr, self.r_idx, once)
        np.add.at(self.extra.reshape(-1), sites * cap + np.repeat(self.slot_of[owner], lens),
                  np.repeat(self.w[once], lens))
        self.room = [limit - float(coef @ self.chosen) for coef, limit in zip(self.coefs, self.limits, strict=True)]
        self.value = float(self.w[self.count > 0].sum())
        self._buffer: np.ndarray | None = None
        #: sites no move may put in (e.g. those a kick just took out), or ``None``
        self.banned: np.ndarray | None = None
        self.bonus = np.full(m, -np.inf)  # max over slots s with extra[k, s] > 0 of extra[k, s] - loss
        self.bonus_slot = np.full(m, -1, dtype=np.int64)
        self._stale: set[int] | None = None  # slots whose column or loss changed since; None: all

    def plan(self) -> np.ndarray:
        """The current plan (0/1 per site)."""
        return self.chosen.astype(np.float64)

    def add(self, k: int) -> None:
        """Put site ``k`` in (the caller checks the limits)."""
        rows = self.s_idx[self.s_ptr[k]:self.s_ptr[k + 1]]
        before = self.count[rows]
        slot = self.free.pop()
        self._touch(np.array([slot]))
        self.slot_of[k], self.site_of[slot] = slot, k
        flat = self.extra.reshape(-1)
        new = rows[before == 0]  # k becomes their only cover
        if new.size:
            sites, lens = _gather(self.r_ptr, self.r_idx, new)
            wv = np.repeat(self.w[new], lens)
            np.subtract.at(self.gain, sites, wv)
            np.add.at(flat, sites * self.cap + slot, wv)
            self.loss[k] += float(self.w[new].sum())
            self.value += float(self.w[new].sum())
        shared = rows[before == 1]  # their only cover so far shares them with k now
        if shared.size:
            owners = self.idsum[shared]
            sites, lens = _gather(self.r_ptr, self.r_idx, shared)
            np.subtract.at(self.loss, owners, self.w[shared])
            self._touch(self.slot_of[owners])
            np.subtract.at(flat, sites * self.cap + np.repeat(self.slot_of[owners], lens),
                           np.repeat(self.w[shared], lens))
        self.count[rows] += 1
        self.idsum[rows] += k
        self.chosen[k] = True
        self.room = [left - coef[k] for coef, left in zip(self.coefs, self.room, strict=True)]

    def remove(self, j: int) -> None:
        """Take site ``j`` out."""
        rows = self.s_idx[self.s_ptr[j]:self.s_ptr[j + 1]]
        before = self.count[rows]
        lost = rows[before == 1]  # only j covered them
        if lost.size:
            sites, lens = _gather(self.r_ptr, self.r_idx, lost)
            np.add.at(self.gain, sites, np.repeat(self.w[lost], lens))
            self.value -= float(self.w[lost].sum())
        sole = rows[before == 2]  # the other site covering them becomes their only cover
        self.count[rows] -= 1
        self.idsum[rows] -= j
        if sole.size:
            owners = self.idsum[sole]
            sites, lens = _gather(self.r_ptr, self.r_idx, sole)
            np.add.at(self.loss, owners, self.w[sole])
            self._touch(self.slot_of[owners])
            np.add.at(self.extra.reshape(-1), sites * self.cap + np.repeat(self.slot_of[owners], lens),
                      np.repeat(self.w[sole], lens))
        slot = int(self.slot_of[j])
        self.extra[:, slot] = 0.0  # exactly: no drift is carried to the next site in this slot
        self.loss[j] = 0.0
        self.slot_of[j], self.site_of[slot] = -1, -1
        self.free.append(slot)
        self._touch(np.array([slot]))
        self.chosen[j] = False
        self.room = [left + coef[j] for coef, left in zip(self.coefs, self.room, strict=True)]

    # -- moves ----------------------------------------------------------------------------

    def best_move(self) -> tuple[int, int | None, float] | None:
        """The best fill ``(k, None, gain)`` while a site fits and gains, else the best swap ``(k, j, gain)``.

        ``None`` when no single fill or swap within the limits gains more than the tolerance.
        """
        fits = ~self.chosen if self.banned is None else ~(self.chosen | self.banned)
        for coef, left in zip(self.coefs, self.room, strict=True):
            fits &= coef <= left
        g = np.where(fits, self.gain, -np.inf)
        k = int(np.argmax(g))
        if fits[k] and g[k] > self.tol:
            return k, None, float(g[k])
        used = self.site_of >= 0
        if not used.any():
            return None
        g = np.where(self.chosen if self.banned is None else self.chosen | self.banned, -np.inf, self.gain)
        out_loss = np.where(used, self.loss[np.maximum(self.site_of, 0)], np.inf)
        masked = []
        for coef, left in zip(self.coefs, self.room, strict=True):
            out_coef = np.where(used, coef[np.maximum(self.site_of, 0)], 0.0)
            if float(coef.max()) - float(out_coef[used].min()) > left:  # some swap breaks this limit
                masked.append((coef, out_coef, left))
        if masked or self.dense:
            k, s, value = self._best_pair_dense(g, out_loss, masked)
        else:
            k, s, value = self._best_pair_sparse(g, out_loss)
        if not value > self.tol:
            return None
        return k, int(self.site_of[s]), value

    def _touch(self, slots: np.ndarray) -> None:
        """Mark the table columns (and losses) of ``slots`` changed, for :meth:`_refresh`."""
        if self._stale is not None and not self.dense:
            self._stale.update(np.unique(slots).tolist())

    def _refresh(self) -> None:
        """Bring :attr:`bonus` up to date: recompute it on the sites a changed slot can move.

        A site's best ``extra[k, s] - loss_s`` over its nonzero entries changes only when an
        entry or loss of a changed slot ``s`` is involved: its entry in ``s`` is nonzero now, or
        its best was ``s`` (an entry that fell, a loss that rose, a slot freed). Only those
        rows of the table are read again (a few hundred of 5,000 per move on the clustered
        100,000 x 5,000).
        """
        if self._stale is None:
            rows = np.arange(self.m)
        elif not self._stale:
            return
        else:
            slots = np.fromiter(self._stale, dtype=np.int64, count=len(self._stale))
            rows = np.flatnonzero(np.isin(self.bonus_slot, slots) | (self.extra[:, slots] > 0).any(axis=1))
        self._stale = set()
        if rows.size == 0:
            return
        used = self.site_of >= 0
        out_loss = np.where(used, self.loss[np.maximum(self.site_of, 0)], np.inf)
        part = self.extra[rows]
        values = np.where(part > 0, part - out_loss[None, :], -np.inf)
        best = np.argmax(values, axis=1)
        top = values[np.arange(rows.size), best]
        self.bonus[rows] = top
        self.bonus_slot[rows] = np.where(np.isfinite(top), best, -1)

    def _best_pair_sparse(self, g: np.ndarray, out_loss: np.ndarray) -> tuple[int, int, float]:
        """The best swap ``(k, slot, gain)`` when every swap keeps the limits, without reading the table.

        For site ``k`` the best slot to free is either the one of least loss, among those where
        ``extra[k, s]`` is 0 (worth ``-min loss``: if that slot has ``extra > 0`` the bonus is
        larger still), or its best nonzero entry (:attr:`bonus`, kept by :meth:`_refresh`). So
        ``g_k + max(bonus_k, -min loss)`` is each site's best swap, exactly, in ``O(sites)``.
        """
        self._refresh()
        s0 = int(np.argmin(out_loss))
        total = g + np.maximum(self.bonus, -out_loss[s0])
        k = int(np.argmax(total))
        s = int(self.bonus_slot[k]) if self.bonus[k] > -out_loss[s0] else s0
        return k, s, float(g[k] + self.extra[k, s] - out_loss[s])

    def _best_pair_dense(self, g: np.ndarray, out_loss: np.ndarray,
                         masked: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[int, int, float]:
        """The best swap ``(k, slot, gain)`` within the limits, every pair priced from the table."""
        if self._buffer is None:
            self._buffer = np.empty((self.m, self.cap))
        delta = self._buffer
        np.add(self.extra, g[:, None], out=delta)
        np.subtract(delta, out_loss[None, :], out=delta)
        for coef, out_coef, left in masked:
            delta[coef[:, None] - out_coef[None, :] > left] = -np.inf
        k, s = divmod(int(np.argmax(delta)), self.cap)
        return k, s, float(delta[k, s])

    def descend(self, deadline: float | None = None, moves: list[tuple[int, int]] | None = None,
                max_moves: int | None = None) -> int:
        """Best fills and swaps while one gains: a plan where no single move gains, unless cut short.

        Parameters
        ----------
        deadline
            ``time.perf_counter()`` reading after which no further move is made.
        moves
            Each site put in ``(k, +1)`` or taken out ``(j, -1)`` is appended, in order (to undo).
        max_moves
            At most this many fills and swaps.

        Returns
        -------
        int
            Fills and swaps made.
        """
        made = 0
        while (deadline is None or time.perf_counter() <= deadline) and (max_moves is None or made < max_moves):
            move = self.best_move()
            if move is None:
                break
            k, j, _ = move
            if j is not None:
                self.remove(j)
                if moves is not None:
                    moves.append((j, -1))
            self.add(k)
            if moves is not None:
                moves.append((k, 1))
            made += 1
        return made

    def undo(self, moves: list[tuple[int, int]]) -> None:
        """Take back ``moves`` (as :meth:`descend` recorded them), last first."""
        for site, sign in reversed(moves):
            if sign > 0:
                self.remove(site)
            else:
                self.add(site)
