"""Simulated key places (重点场所) for the demo (``source = 'simulated'``): street-front shops, office
buildings, firms and key-industry sites with their industry, in every sub-district with grids.

The field report counts for Lujiazui "沿街商户1234家，商务楼宇点位84个，企业525家，餐饮等重点行业点位
1508个" over the sub-district's 6.89 km²; each demo sub-district gets those counts scaled by the area
of its grids (the land with buildings), and they are placed as the report describes them:
shops on the street side of buildings near a road, office buildings on the tallest buildings, firms
mostly inside the office towers (several per tower) and the rest in other tall buildings, key-industry
sites (catering above all) on street-side buildings too. Deterministic for a seed; names are
generated labels, never a person's.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point
from sqlalchemy import Connection, text

LUJIAZUI_KM2 = 6.89
"""The area of 陆家嘴街道, whose key places the field report counts."""
LUJIAZUI_COUNTS: dict[str, int] = {
    "street_shop": 1234,
    "office_building": 84,
    "firm": 525,
    "key_industry": 1508,
}
INDUSTRY_SHARES: dict[str, float] = {
    # "餐饮等重点行业": catering first; the shares are the generator's, not the report's.
    "catering": 0.58,
    "supermarket": 0.1,
    "hotel": 0.08,
    "entertainment": 0.06,
    "logistics": 0.06,
    "market": 0.03,
    "construction_site": 0.03,
    "care_home": 0.02,
    "other": 0.04,
}
FIRMS_IN_TOWERS = 0.8
"""The share of firms placed inside the office buildings (the rest in other tall buildings)."""
STREET_M = 40.0
"""A building within this distance of a road is street-front."""

_LABELS = {
    "street_shop": "商户",
    "office_building": "商务楼宇",
    "firm": "企业",
    "key_industry": "重点行业点位",
}

_CANDIDATES = """
SELECT b.id, b.subdistrict_id AS unit, u.code AS unit_code, u.name AS unit_name,
       coalesce(b.floors, 0) AS floors,
       ST_X(b.label_point) AS x, ST_Y(b.label_point) AS y,
       ST_X(r.front) AS fx, ST_Y(r.front) AS fy, r.metres
FROM buildings b JOIN admin_units u ON u.id = b.subdistrict_id
LEFT JOIN LATERAL (
    SELECT ST_ClosestPoint(b.geom, f.geom) AS front,
           ST_Distance(b.geom::geography, f.geom::geography) AS metres
    FROM basemap_features f WHERE f.layer = 'roads' ORDER BY f.geom <-> b.geom LIMIT 1
) r ON true
WHERE b.subdistrict_id IN (SELECT unit_id FROM grids)
ORDER BY b.id"""

_GRID_AREAS = """
SELECT g.unit_id, sum(ST_Area(g.geom::geography)) / 1e6 AS km2 FROM grids g GROUP BY g.unit_id"""


def _counts(km2: float) -> dict[str, int]:
    scale = min(1.0, km2 / LUJIAZUI_KM2)
    return {kind: max(1, round(n * scale)) for kind, n in LUJIAZUI_COUNTS.items()}


def _jitter(rng: np.random.Generator, n: int, metres: float) -> np.ndarray:
    """Offsets in degrees (about ``metres`` at Shanghai's latitude), so that places sharing a building
    do not share a point."""
    return rng.uniform(-1, 1, size=(n, 2)) * metres / np.array([95_000.0, 111_000.0])


def key_places_frame(conn: Connection, *, seed: int) -> gpd.GeoDataFrame:
    """The simulated key places of every sub-district with grids (empty without grids)."""
    buildings = pd.DataFrame(conn.execute(text(_CANDIDATES)).mappings().all())
    if buildings.empty:
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs="EPSG:4326")
    areas: dict[int, float] = {int(u): float(a) for u, a in conn.execute(text(_GRID_AREAS)).all()}
    rng = np.random.default_rng(seed + 17)
    rows: list[dict[str, object]] = []
    for _, of_unit in buildings.groupby("unit", sort=True):
        km2 = areas.get(int(of_unit["unit"].iloc[0]), 0.0)
        rows += _unit_places(of_unit, _counts(km2), rng)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _unit_places(of_unit: pd.DataFrame, counts: dict[str, int], rng: np.random.Generator) -> list[dict]:
    """One sub-district's key places: ``counts`` per kind, placed on its buildings ``of_unit``."""
    code, unit_name = str(of_unit["unit_code"].iloc[0]), str(of_unit["unit_name"].iloc[0])
    street = of_unit[of_unit["metres"].notna() & (of_unit["metres"] <= STREET_M)]
    street = street if len(street) else of_unit
    tall = of_unit.sort_values(["floors", "id"], ascending=[False, True])
    towers = tall.head(counts["office_building"])
    rows: list[dict[str, object]] = []
    numbers: dict[str, int] = {}

    def sample(frame: pd.DataFrame, n: int) -> pd.DataFrame:
        return frame.iloc[rng.integers(0, len(frame), size=n)]

    def add(kind: str, picked: pd.DataFrame, *, front: bool, spread: float, sub: list | None = None) -> None:
        x, y = picked["x"].to_numpy(float), picked["y"].to_numpy(float)
        if front:  # the building's side nearest its road; its own point when no road is loaded
            x = np.where(picked["fx"].isna(), x, picked["fx"].to_numpy(float))
            y = np.where(picked["fy"].isna(), y, picked["fy"].to_numpy(float))
        offsets = _jitter(rng, len(picked), spread)
        for i in range(len(picked)):
            number = numbers[kind] = numbers.get(kind, 0) + 1
            rows.append(
                {
                    "id": f"sim-kp-{code}-{kind}-{number:04d}",
                    "kind": kind,
                    "subcategory": sub[i] if sub is not None else None,
                    "name": f"{unit_name}{_LABELS[kind]}{number:04d}（模拟）",
                    "geometry": Point(x[i] + offsets[i, 0], y[i] + offsets[i, 1]),
                }
            )

    add("street_shop", sample(street, counts["street_shop"]), front=True, spread=6)
    add("office_building", towers, front=False, spread=1)
    in_towers = round(counts["firm"] * FIRMS_IN_TOWERS)
    add("firm", sample(towers, in_towers), front=False, spread=8)
    others = tall.head(max(1, len(tall) // 5))
    add("firm", sample(others, counts["firm"] - in_towers), front=False, spread=8)
    industries = list(rng.choice(list(INDUSTRY_SHARES), size=counts["key_industry"], p=_shares()))
    add("key_industry", sample(street, counts["key_industry"]), front=True, spread=6, sub=industries)
    return rows


def _shares() -> np.ndarray:
    p = np.array(list(INDUSTRY_SHARES.values()))
    return p / p.sum()
