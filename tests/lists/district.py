"""The two-circle district of ``two_circles`` with what the three lists and the styled map read.

Its homes name their communities (C1 in LC1, C2 in LC2), the life circles have outlines,
names and target years (LC1 2025, LC2 2027), and S1 costs 1,000,000.01 yuan to convert so
that a four-way split of it does not fall on whole cents. Residents' requests (the market
demand ledger) can be added.
"""
from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import tiny
import two_circles
from shapely.geometry import box

COMMUNITIES = {"U1": "C1", "U2": "C1", "U3": "C2", "U4": "C2"}
CIRCLES = [
    {"circle_id": "LC1", "name": "石油路生活圈", "type": "居住型", "subdistrict": "石油路街道", "target_year": 2025,
     "geometry": box(-200, -300, 900, 300)},
    {"circle_id": "LC2", "name": "大坪生活圈", "type": "居住型", "subdistrict": "大坪街道", "target_year": 2027,
     "geometry": box(1700, -300, 2600, 300)},
]


def requests() -> pd.DataFrame:
    """Requests: childcare x3 and canteen x2 from community C1 (no circle given), parking x5 in LC2, 家政 x4 in LC1."""
    return pd.DataFrame([
        {"request_id": "R1", "community": "C1", "circle_id": "", "service": "托育", "count": 3, "channel": "survey",
         "date": "2025-03-01"},
        {"request_id": "R2", "community": "C1", "circle_id": None, "service": "canteen", "count": 2,
         "channel": "12345", "date": "2025-03-02"},
        {"request_id": "R3", "community": "", "circle_id": "LC2", "service": "parking", "count": 5,
         "channel": "survey", "date": "2025-03-03"},
        {"request_id": "R4", "community": "C1", "circle_id": "LC1", "service": "家政", "count": 4,
         "channel": "survey", "date": "2025-03-04"},
    ])


def inputs(with_requests: bool = False, sites: list[dict] | None = None):
    """The district's inputs (``sites``: records replacing two_circles.SITES)."""
    demand = [{**r, "community": COMMUNITIES[r["unit_id"]]} for r in two_circles.DEMAND]
    site_records = sites if sites is not None else [
        {**r, "fixed_cost": 1_000_000.01, "owner": "区国资", "address": "石油路1号"} if r["site_id"] == "S1" else r
        for r in two_circles.SITES]
    data = tiny.make_inputs(demand, site_records, two_circles.FACILITIES)
    circles = gpd.GeoDataFrame(CIRCLES, geometry="geometry", crs=tiny.CRS)
    return dataclasses.replace(data, circles=circles, requests=requests() if with_requests else None)
