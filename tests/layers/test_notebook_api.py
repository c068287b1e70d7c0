"""The notebook API (layers.notebook): geodesic rings, each building counted once, readers, folium colours."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pyproj import Geod
from sqlalchemy import Connection

from geo.errors import InvalidParameter, NotFound
from layers.notebook import (
    affected,
    declare,
    dissolve_rings,
    read_cases,
    read_households,
    responsibility_gaps,
    risk_rings,
    status_history,
    to_folium,
)
from layers.style import ZONE_SWATCHES
from tests.risk_world import CASE, DATE, build_world, offset


@pytest.fixture
def world(conn: Connection) -> dict[str, int]:
    return build_world(conn)


def test_rings_are_geodesic_circles_within_half_a_percent() -> None:
    rings = risk_rings([CASE, (121.3, 31.0)], radii_m=[3000, 500, 1000, 500])
    assert list(rings["ring"].unique()) == ["0-500 m", "500-1000 m", "1000-3000 m"]
    assert len(rings) == 6 and list(rings["point"]) == [0, 1, 0, 1, 0, 1]
    geod = Geod(ellps="WGS84")
    for _, row in rings.iterrows():
        exterior = np.asarray(row.geometry.exterior.coords)
        start = CASE if row["point"] == 0 else (121.3, 31.0)
        _, _, dist = geod.inv(
            np.full(len(exterior), start[0]), np.full(len(exterior), start[1]), exterior[:, 0], exterior[:, 1]
        )
        assert np.abs(dist / row["radius_m"] - 1).max() < 0.005
        if row["inner_m"]:
            assert len(row.geometry.interiors) == 1  # an annulus, not a disk


@pytest.mark.parametrize(
    "radii, words",
    [
        ([], "empty"),
        ([-5], "in \\(0, 50000\\]"),
        ([0, 500], "in \\(0"),
        ([60_000], "50000"),
        (["far"], "numbers"),
    ],
)
def test_bad_radii_are_clear_errors(radii, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameter, match=words):
        risk_rings([CASE], radii_m=radii)


def test_no_points_give_an_empty_labelled_result() -> None:
    rings = risk_rings([], radii_m=[500])
    assert rings.empty and rings.attrs["note"] == "no points given: no rings"


def test_affected_counts_each_building_once_in_its_innermost_ring(
    conn: Connection, world: dict[str, int]
) -> None:
    cases = read_cases(conn, date=DATE)
    assert len(cases) == 2
    counts = affected(conn, risk_rings(cases, radii_m=[500, 2000]), date=DATE)
    assert list(counts.index) == ["0-500 m", "500-2000 m"]
    # case, comp, near, the three "in" squares; prev and prev_out lie within 500 m of the second case
    assert counts.loc["0-500 m", "buildings"] == 8
    # then the three "out" squares, g2, clip (no sub-district clipping for rings) and far
    assert counts.loc["500-2000 m", "buildings"] == 6
    assert counts.loc["0-500 m", "status:confirmed"] == 1 and counts.attrs["status_known"]
    assert counts.index.name == "ring"
    # Merged per ring, the rings count the same: a building is in the innermost ring it meets.
    merged = dissolve_rings(risk_rings(cases, radii_m=[500, 2000]))
    assert list(merged["ring"]) == ["0-500 m", "500-2000 m"] and list(merged["points"]) == [2, 2]
    assert affected(conn, merged, date=DATE)[["buildings", "households"]].equals(
        counts[["buildings", "households"]]
    )
    assert (
        not merged.geometry.iloc[0].intersection(merged.geometry.iloc[1]).area > 1e-12
    )  # no ring over another


def test_affected_takes_a_risk_area_too(conn: Connection, world: dict[str, int]) -> None:
    area = declare(conn, [CASE], date=DATE)
    counts = affected(conn, area)
    assert list(counts["buildings"]) == [2, 4, 5] and counts.loc["sealed", "vulnerable"] == 2
    with pytest.raises(InvalidParameter, match="expected a RiskArea or a GeoDataFrame"):
        affected(conn, [CASE])


def test_readers_filter_by_unit_date_and_status(conn: Connection, world: dict[str, int]) -> None:
    assert len(read_households(conn, date=DATE, unit="甲街道")) == 6  # "far" lies west of it
    sealed = read_households(conn, date=DATE, status="sealed")
    assert len(sealed) == 2 and set(sealed["status"]) == {"sealed"}
    assert read_cases(conn, date=DATE, unit="乙街道").empty
    with pytest.raises(NotFound, match="no admin unit or grid"):
        read_households(conn, date=DATE, unit="火星街道")
    with pytest.raises(InvalidParameter, match="YYYY-MM-DD"):
        read_cases(conn, date="10/04/2022")


def test_gaps_and_history(conn: Connection, world: dict[str, int]) -> None:
    gaps = responsibility_gaps(conn).set_index("id")
    assert gaps.loc["case", "missing"] == ["leadership_member", "area_secretary", "social_worker"]
    assert "cadre" in gaps.loc["prev", "missing"]
    history = status_history(conn, compound="测试小区", start="2022-04-13", end="2022-04-16")
    assert history.loc[dt.date(2022, 4, 14)].to_dict() == {"confirmed": 1, "sealed": 2, "normal": 0}
    assert history.loc[dt.date(2022, 4, 15)].to_dict() == {"confirmed": 0, "sealed": 0, "normal": 3}
    with pytest.raises(NotFound, match="no compound"):
        status_history(conn, compound="无此小区", start="2022-04-13", end="2022-04-16")


def test_folium_uses_the_app_colours_and_legend(conn: Connection, world: dict[str, int]) -> None:
    area = declare(conn, [CASE], date=DATE)
    html = to_folium(area, read_cases(conn, date=DATE)).get_root().render()
    assert "battlemap-legend" in html
    for swatch in ZONE_SWATCHES:
        assert swatch.fill in html and swatch.label_zh in html
    assert offset(*CASE, 0, 1)  # the world is where the map is centred
    # Offline: Leaflet inlined, no script or stylesheet from a CDN.
    assert "<script src=" not in html and 'rel="stylesheet" href="http' not in html
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html and "L.map(" in html


def test_rings_are_labelled_as_rings_in_the_folium_legend() -> None:
    rings = dissolve_rings(risk_rings([CASE], radii_m=[500, 1000]))
    html = to_folium(rings).get_root().render()
    legend = html[html.index("battlemap-legend") :]
    assert "0-500 m 距离圈" in legend and "500-1000 m 距离圈" in legend
    assert not any(s.label_zh in legend for s in ZONE_SWATCHES)
