"""Time-shared parking (错时共享停车): garages offered to residents off-hours join the sites.

Seed 003 (the municipal reform plan, task 4): "构建小汽车'5分钟取停'停车服务圈，持续推进小微停车场
建设和错时共享停车". The garages of offices, malls, hospitals and agencies stand half empty at
night, when residents need to park; a garage offered to them is a cheap alternative to
building a new car park.

The rule, in plain words:

- a shared garage (``inputs.shared_garages``) is a site of kind ``shared_garage`` that may
  take parking only (``allowed_functions = parking``; no other function's eligibility
  names the kind);
- it offers exactly its places: parking there has the size ``places x
  area_per_unit_m2`` in both modes (coverage: that size instead of the standard one;
  capacitated: minimum = maximum = that size), see
  :func:`optimizer.rules.costing.site_size_m2`;
- its one-off cost is its ``fixed_cost`` (else ``site_kinds.shared_garage.fixed_cost``:
  gates, signs, booking access) plus parking's ``cost.fixed``; no fit-out
  (``cost_factor`` 0); its yearly lease per space becomes the site's ``rent_per_m2_year``
  (lease / area per space), for the running costs;
- a garage open to residents fewer than ``shared_parking.min_hours`` hours a day is not
  eligible and is named in a warning.

Night-only use is not modelled any further: residents' parking demand is mostly overnight
(a car stands at home from evening to morning), which is when offices and malls have room,
so a garage open long enough off-hours counts as a car park with its places.
"""
from __future__ import annotations

import dataclasses
import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.inputs.garages import hours_per_day
from optimizer.inputs.schema import SHARED_GARAGE
from optimizer.inputs.types import Inputs
from optimizer.scenario import SHARED_PARKING_FUNCTION, Scenario

log = logging.getLogger(__name__)

#: Garage columns copied to the site of the same name.
_SAME_NAME = ("name", "owner", "places", "hours", "fixed_cost", "circle_id", "district")


def join_shared_garages(inputs: Inputs, scenario: Scenario) -> tuple[Inputs, list[str]]:
    """The inputs with the eligible shared garages appended to the sites, and the warnings.

    Parameters
    ----------
    inputs
        Validated inputs; ``inputs.shared_garages`` holds the garages not yet joined.
    scenario
        The scenario (parking's area per space, ``shared_parking.min_hours``).

    Returns
    -------
    inputs
        Unchanged when there are no garages to join; else the sites with one row of kind
        ``shared_garage`` per eligible garage (``site_id`` = ``garage_id``, ``area_m2`` =
        places x parking's ``area_per_unit_m2``, ``allowed_functions`` = parking,
        ``rent_per_m2_year`` = ``lease_per_space_year`` / area per space, ``places`` and
        ``hours`` kept) and ``shared_garages`` set to ``None`` (joined: a second call
        changes nothing).
    warnings
        Garages left out: not open long enough (named with their hours a day), or every
        garage when parking is not planned.
    """
    garages = inputs.shared_garages
    if garages is None:
        return inputs, []
    done = dataclasses.replace(inputs, shared_garages=None)
    if not len(garages):
        return done, []
    if SHARED_PARKING_FUNCTION not in scenario.functions:
        return done, [f"{SHARED_PARKING_FUNCTION} is not planned: the {len(garages)} shared garages of "
                      "inputs.shared_garages are left out"]
    hours = garages["hours"].map(hours_per_day).to_numpy(float)
    short = hours < scenario.shared_parking.min_hours
    warnings = []
    if short.any():
        ids = garages["garage_id"].astype(str).to_numpy()[short]
        named = ", ".join(f"{g} ({h:g} h)" for g, h in zip(ids[:20], hours[short][:20], strict=True))
        warnings.append(f"{int(short.sum())} shared garages offer residents fewer than "
                        f"{scenario.shared_parking.min_hours:g} hours a day (shared_parking.min_hours) and are not "
                        f"eligible: {named}" + (" ..." if len(ids) > 20 else ""))
    rows = garage_sites(garages[~short], inputs.sites, scenario.functions[SHARED_PARKING_FUNCTION].area_per_unit_m2)
    log.info("shared garages: %d join the sites (%d places), %d not eligible", len(rows),
             int(rows["places"].sum()), int(short.sum()))
    if not len(rows):
        return done, warnings
    sites = gpd.GeoDataFrame(pd.concat([inputs.sites, rows], ignore_index=True),
                             geometry=inputs.sites.geometry.name, crs=inputs.sites.crs)
    return dataclasses.replace(done, sites=sites), warnings


def garage_sites(garages: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, area_per_space: float) -> gpd.GeoDataFrame:
    """Garages as rows of the sites table (kind ``shared_garage``), with the sites' columns.

    Parameters
    ----------
    garages
        Validated garages (points in the sites' CRS).
    sites
        The sites table, whose columns the rows take (absent text columns blank).
    area_per_space
        Parking's ``area_per_unit_m2``: a garage's area is its places times it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per garage, columns of ``sites`` in their order (then any of its own
        the sites lack).
    """
    places = garages["places"].to_numpy(float)
    lease = pd.to_numeric(garages["lease_per_space_year"], errors="coerce").to_numpy(float)
    own = {
        "site_id": garages["garage_id"].astype(str).to_numpy(),
        "kind": SHARED_GARAGE,
        "area_m2": places * area_per_space,
        "allowed_functions": SHARED_PARKING_FUNCTION,
        "parking_allowed": True,
        "lowest_floor": 1,
        "forced": "",
        "rent_per_m2_year": lease / area_per_space,
        **{c: garages[c].to_numpy() for c in _SAME_NAME},
        **{c: garages[c].to_numpy() for c in garages.columns if c in sites.columns
           and c not in (*_SAME_NAME, "garage_id", garages.geometry.name)},
    }
    frame = pd.DataFrame(own, index=pd.RangeIndex(len(garages)))
    for column in sites.columns:
        if column not in frame and column != sites.geometry.name:
            frame[column] = "" if sites[column].dtype == object else np.nan
    frame = frame[[c for c in sites.columns if c != sites.geometry.name] + [c for c in frame if c not in sites]]
    geometry = gpd.GeoSeries(garages.geometry.to_numpy(), index=frame.index, crs=sites.crs, name=sites.geometry.name)
    return gpd.GeoDataFrame(frame, geometry=geometry)
