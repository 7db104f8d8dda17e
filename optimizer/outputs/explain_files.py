"""``explain.json`` and ``explain.csv`` in a run folder (``lifecircle explain``), each written atomically.

Each file is written under a hidden temporary name in the run folder and renamed into
place, so a reader never sees half a file. Explaining one site (``lifecircle explain RUN
SITE``) updates that site's entry and keeps the others of an earlier explanation.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd

from optimizer.jsonable import to_jsonable

log = logging.getLogger(__name__)

#: Excel opens UTF-8 CSV with Chinese text correctly only with a byte-order mark.
CSV_ENCODING = "utf-8-sig"
JSON_NAME = "explain.json"
CSV_NAME = "explain.csv"
#: The columns of ``explain.csv``, in order.
CSV_COLUMNS = (
    "part", "site_id", "site_name", "functions", "cost", "people_only_here", "people_reached",
    "lost_if_dropped_unchanged", "lost_after_replanning", "lost_after_replanning_low", "lost_after_replanning_high",
    "lost_after_replanning_basis", "yuan_per_person_only_here", "yuan_per_person_reached", "replanning_adds",
    "adds_people", "adds_objective", "change_if_forced_in", "change_if_forced_in_low", "change_if_forced_in_high",
    "change_if_forced_in_basis", "displaced", "also_added", "enters_by_budget_at_most", "decision", "entry",
    "stated_in", "price", "price_low", "price_high", "price_basis", "resolve_status", "resolve_seconds")


def merged(old: dict | None, new: dict) -> dict:
    """``new``, keeping the entries of ``old`` (an earlier explanation of the same run) that ``new`` does not hold.

    A full explanation (``new`` explains the forced decisions too) replaces ``old``
    whole; one of a single site replaces that site's entry only.
    """
    if not old or old.get("run") != new.get("run") or new.get("scope") == "all":
        return new
    out = dict(old)
    for part in ("chosen", "not_chosen"):
        mine = {e["site_id"] for e in new.get(part, [])}
        others = [e for e in old.get(part, []) if e.get("site_id") not in mine]
        out[part] = sorted(others + list(new.get(part, [])), key=lambda e: e["site_id"])
    for part in ("chosen", "not_chosen"):  # a site moves between parts only with another run: drop stale copies
        other = "not_chosen" if part == "chosen" else "chosen"
        mine = {e["site_id"] for e in new.get(part, [])}
        out[other] = [e for e in out[other] if e["site_id"] not in mine]
    for key in ("run_objective", "run_bound", "run_proven", "rebuilt_objective", "solver", "time_limit_s",
                "objective_kind", "objective_unit"):
        out[key] = new.get(key)
    out["notes"] = list(dict.fromkeys(list(old.get("notes", [])) + list(new.get("notes", []))))
    out["scope"] = "some sites" if old.get("scope") != "all" else "all, some sites explained again"
    return out


def _fig(entry: dict | None, prefix: str) -> dict:
    entry = entry or {}
    return {prefix: entry.get("value"), f"{prefix}_low": entry.get("low"), f"{prefix}_high": entry.get("high"),
            f"{prefix}_basis": entry.get("basis")}


def explain_rows(data: dict) -> pd.DataFrame:
    """``explain.csv``: one row per chosen site, best site not chosen and forced decision (:data:`CSV_COLUMNS`)."""
    rows = []
    for c in data.get("chosen", []):
        rows.append({"part": "chosen", "site_id": c["site_id"], "site_name": c["name"],
                     "functions": ";".join(c["functions"]), "cost": c["cost"],
                     "people_only_here": c["people_only_here_total"], "people_reached": c["people_reached_total"],
                     "lost_if_dropped_unchanged": c["lost_if_dropped_unchanged"]["value"],
                     **_fig(c.get("lost_after_replanning"), "lost_after_replanning"),
                     "yuan_per_person_only_here": c["yuan_per_person_only_here"],
                     "yuan_per_person_reached": c["yuan_per_person_reached"],
                     "replanning_adds": ";".join(c.get("replanning_adds", [])),
                     "resolve_status": (c.get("resolve") or {}).get("status"),
                     "resolve_seconds": (c.get("resolve") or {}).get("seconds")})
    for u in data.get("not_chosen", []):
        rows.append({"part": "not_chosen", "site_id": u["site_id"], "site_name": u["name"],
                     "functions": ";".join(u["functions"]), "cost": u["cost"],
                     "adds_people": u["adds_people_total"], "adds_objective": u["adds_objective"]["value"],
                     **_fig(u.get("change_if_forced_in"), "change_if_forced_in"),
                     "displaced": ";".join(u["displaced"]), "also_added": ";".join(u["also_added"]),
                     "enters_by_budget_at_most": u["enters_by_budget"]["value"],
                     "resolve_status": (u.get("resolve") or {}).get("status"),
                     "resolve_seconds": (u.get("resolve") or {}).get("seconds")})
    for f in data.get("forced", []):
        rows.append({"part": "forced", "decision": f["decision"], "entry": f["entry"], "stated_in": f["source"],
                     "site_id": f["entry"].partition(":")[0], **_fig(f.get("price"), "price"),
                     "resolve_status": (f.get("resolve") or {}).get("status"),
                     "resolve_seconds": (f.get("resolve") or {}).get("seconds")})
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def read_explanation(run_dir: str | Path) -> dict | None:
    """The run folder's ``explain.json``, or ``None`` when it has none or it cannot be read (logged)."""
    path = Path(run_dir) / JSON_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s); it is left out", path, exc)
        return None
    return data if isinstance(data, dict) else None


def write_explanation(run_dir: str | Path, data: dict) -> tuple[Path, Path, dict]:
    """Write ``explain.json`` and ``explain.csv`` into the run folder (merged with an earlier explanation).

    Returns
    -------
    json path, csv path, the explanation as written
    """
    folder = Path(run_dir)
    data = merged(read_explanation(folder), to_jsonable(data))
    final = {"json": folder / JSON_NAME, "csv": folder / CSV_NAME}
    temps = {k: folder / f".{p.name}.partial-{os.getpid()}" for k, p in final.items()}
    try:
        temps["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n",
                                 encoding="utf-8")
        explain_rows(data).to_csv(temps["csv"], index=False, encoding=CSV_ENCODING)
        for k, tmp in temps.items():
            os.replace(tmp, final[k])
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return final["json"], final["csv"], data
