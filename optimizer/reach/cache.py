"""A disk cache of network reach, so what-if scenarios that change only budget, weights
or rules reuse the walking times instead of recomputing them.

The key is a hash of everything that affects reach: the network edges (geometry with
elevations, and the columns the walk network reads), the elevation model file, the
demand and target coordinates in the analysis CRS, the snap limit, the stairs factors,
the slope switch and the code version. The walking threshold is not part of the key:
a stored reach at a longer threshold serves any shorter one (pairs are filtered).
Entries are single ``.npz`` files written atomically: written to a temporary file
(``.reach-<key>.<process id>.<random>.tmp``) and renamed over the entry, so a reader sees the
old entry or the new one, never half of one; a damaged entry is ignored and recomputed. Each
entry has a lock file (``reach-<key>.lock``, an exclusive ``flock``): writers of one entry take
turns, and :meth:`ReachCache.computing` lets one process compute an entry while the others wait
for it and then read it. Temporary files of a writer that died are removed by the next writer.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer.processes import held_lock, remove_dead_temps, temp_name
from optimizer.reach.types import Reach, ReachMethod

logger = logging.getLogger(__name__)

#: Bump when the meaning of cached reach changes (snapping, search, weights).
REACH_CACHE_VERSION = 2

#: Edge columns that change walking times.
EDGE_COLUMNS = ("highway", "steps", "oneway_foot", "length_m")

#: Files up to this size are hashed by content; larger ones by path, size and mtime.
CONTENT_HASH_LIMIT = 256 * 1024 * 1024


def _file_fingerprint(path: Path) -> bytes:
    stat = path.stat()
    if stat.st_size <= CONTENT_HASH_LIMIT:
        h = hashlib.blake2b(digest_size=16)
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.digest()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()


def network_reach_key(
    edges: gpd.GeoDataFrame,
    unit_xy: np.ndarray,
    target_xy: np.ndarray,
    parameters: Mapping[str, object],
    files: tuple[Path, ...] = (),
) -> str:
    """Hex key of a network reach computation.

    Parameters
    ----------
    edges
        The network edges as given to :func:`optimizer.reach.network.build_walk_network`.
    unit_xy, target_xy
        Demand and target coordinates in the analysis CRS.
    parameters
        Every other setting that affects reach (snap limit, stairs factors, slope, CRS, ...),
        JSON-serialisable.
    files
        Further inputs read by reference (an elevation model).
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(f"lifecircle-reach-v{REACH_CACHE_VERSION}".encode())
    h.update(json.dumps(dict(parameters), sort_keys=True, default=str).encode())
    geoms = np.asarray(edges.geometry.array, dtype=object)
    h.update(str(len(geoms)).encode())
    h.update(b"".join(shapely.to_wkb(geoms, output_dimension=3, byte_order=1, include_srid=False).tolist()))
    for column in EDGE_COLUMNS:
        if column in edges.columns:
            h.update(column.encode())
            h.update(pd.util.hash_pandas_object(edges[column].astype("string"), index=False).to_numpy().tobytes())
    for arr in (unit_xy, target_xy):
        a = np.ascontiguousarray(arr, dtype=np.float64)
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    for f in files:
        h.update(_file_fingerprint(Path(f)))
    return h.hexdigest()


@dataclass(frozen=True)
class ReachCache:
    """Cached reach in ``folder`` (created on first store)."""

    folder: Path

    def _path(self, key: str) -> Path:
        return Path(self.folder) / f"reach-{key}.npz"

    def load(self, key: str, cutoff: float) -> Reach | None:
        """The cached reach for ``key`` filtered to ``cutoff``, or None (absent, shorter, damaged)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if float(meta["cutoff"]) < cutoff:
                    logger.info("reach cache: entry %s has a shorter threshold; recomputing", path.name)
                    return None
                ref = z["ref_seconds"]
                keep = ref <= cutoff
                reach = Reach(z["unit_index"][keep], z["target_index"][keep], ref[keep], int(meta["n_units"]),
                              int(meta["n_targets"]), float(cutoff), ReachMethod(meta["method"]),
                              (*meta["notes"], f"walking times reused from the reach cache ({path.name})"),
                              z["unreachable_units"], z["off_main_network_units"])
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("reach cache: ignoring damaged entry %s (%s)", path, exc)
            return None
        logger.info("reach cache: reused %s (%d pairs)", path.name, reach.n_pairs)
        return reach

    def _lock_path(self, key: str) -> Path:
        return Path(self.folder) / f"reach-{key}.lock"

    @contextlib.contextmanager
    def computing(self, key: str, wait_s: float | None = 3600.0) -> Iterator[None]:
        """Hold the entry's lock while its reach is looked up, computed and stored (one process at a time).

        Another process computing the same entry waits, then finds it stored by :meth:`load`. A
        holder that dies frees the lock (the kernel releases it). After ``wait_s`` seconds of
        waiting the block runs anyway (the entry is then computed twice, still written whole).
        """
        lock = self._lock_path(key)
        if lock in _HELD:
            yield
            return
        Path(self.folder).mkdir(parents=True, exist_ok=True)
        with held_lock(lock, f"reach cache entry {key[:12]}", wait_s=wait_s) as got:
            if got:
                _HELD.add(lock)
            try:
                yield
            finally:
                _HELD.discard(lock)

    def store(self, key: str, reach: Reach) -> Path:
        """Write ``reach`` under ``key`` atomically, under the entry's lock; returns the entry's path."""
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"cutoff": reach.cutoff, "n_units": reach.n_units, "n_targets": reach.n_targets,
                "method": reach.method.value, "notes": list(reach.notes), "version": REACH_CACHE_VERSION}
        with self.computing(key):
            remove_dead_temps(folder, ".reach-")
            tmp = folder / temp_name(f"reach-{key}")
            try:
                with tmp.open("xb") as fh:
                    np.savez(fh, unit_index=reach.unit_index, target_index=reach.target_index,
                             ref_seconds=reach.ref_seconds, unreachable_units=reach.unreachable_units,
                             off_main_network_units=reach.off_main_network_units, meta=np.array(json.dumps(meta)))
                final = self._path(key)
                os.replace(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        logger.info("reach cache: stored %s (%d pairs)", final.name, reach.n_pairs)
        return final


#: Entry lock files this process holds (a second ``flock`` on the same file would wait for itself).
_HELD: set[Path] = set()
