"""How much a straight-line buffer map would overstate coverage.

Planners often draw a circle of ``speed x threshold`` metres around each facility and
count everyone inside as served. In a hilly city with rivers, stairs and few crossings
that circle holds many people who cannot walk there in time. This module counts, for
each function, the people covered by the walking times the plan was made with and the
people a buffer of the same facilities would claim, before and after the plan.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.context import PlanningContext
from optimizer.inputs.types import Inputs
from optimizer.plan import Plan
from optimizer.reach import Reach, straight_line_reach
from optimizer.reach.types import cutoff_ref_seconds
from optimizer.rules.covered import units_reached


def buffer_reach(inputs: Inputs, cutoff: float) -> tuple[Reach, Reach]:
    """Straight-line reach without any detour (a plain buffer) to sites and to facilities."""
    unit_xy = np.column_stack([inputs.demand.geometry.x, inputs.demand.geometry.y])
    parts = [inputs.sites, inputs.facilities]
    target_xy = np.vstack([np.column_stack([t.geometry.x, t.geometry.y]) if len(t) else np.zeros((0, 2))
                           for t in parts])
    reach = straight_line_reach(unit_xy, target_xy, cutoff, detour_factor=1.0)
    is_site = np.arange(reach.n_targets) < len(inputs.sites)
    return reach.subset_targets(is_site), reach.subset_targets(~is_site)


def walk_versus_buffer(plan: Plan, context: PlanningContext) -> pd.DataFrame:
    """Per function: people covered by the plan's walking times and by a straight-line buffer.

    Parameters
    ----------
    plan
        The checked plan.
    context
        The scenario, inputs and walking times the plan was made with.

    Returns
    -------
    pandas.DataFrame
        One row per function: ``function, label_zh, cohort, people, threshold_min,
        buffer_radius_m, reach_method``; for running facilities alone (``existing_*``) and
        with the plan (``with_plan_*``): ``covered_walking``, ``covered_buffer``,
        ``buffer_overstates`` (people the buffer claims who cannot walk there in time),
        ``walk_only`` (people who can walk there but fall outside the buffer, e.g. down a
        gentle slope) and ``overstatement_pct`` (``covered_buffer / covered_walking - 1``).
    """
    inputs, scenario = context.inputs, context.scenario
    reach_sites, reach_facilities = context.reach_sites, context.reach_facilities
    cutoff = max(cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps) for fn in scenario.functions.values())
    buf_sites, buf_facilities = buffer_reach(inputs, cutoff)
    fac_fn = inputs.facilities["function"].to_numpy() if len(inputs.facilities) else np.zeros(0, dtype=object)
    rows = []
    for name, fn in scenario.functions.items():
        people = inputs.demand[fn.cohort].to_numpy(dtype=float)
        facilities = np.flatnonzero(fac_fn == name)
        chosen = plan.chosen_sites_for(name)
        row: dict[str, object] = {
            "function": name, "label_zh": fn.label_zh, "cohort": fn.cohort, "people": people.sum(),
            "threshold_min": fn.threshold_min,
            "buffer_radius_m": round(cutoff_ref_seconds(fn.threshold_min, fn.walk_speed_mps), 1),
            "reach_method": reach_sites.method.value,
        }
        walk_existing = units_reached(reach_facilities, fn, facilities)
        buf_existing = units_reached(buf_facilities, fn, facilities)
        walk_plan = walk_existing | units_reached(reach_sites, fn, chosen)
        buf_plan = buf_existing | units_reached(buf_sites, fn, chosen)
        for state, walk, buf in (("existing", walk_existing, buf_existing), ("with_plan", walk_plan, buf_plan)):
            w, b = people[walk].sum(), people[buf].sum()
            row[f"{state}_covered_walking"] = w
            row[f"{state}_covered_buffer"] = b
            row[f"{state}_buffer_overstates"] = people[buf & ~walk].sum()
            row[f"{state}_walk_only"] = people[walk & ~buf].sum()
            row[f"{state}_overstatement_pct"] = round(100.0 * (b / w - 1.0), 1) if w > 0 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
