"""Each kind's own rules: references resolved in SQL, statuses superseded, contacts kept apart."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource

QUIET = LoadOptions(progress=False)


def _load(conn: Connection, kind: str, frame: pd.DataFrame, **options: object) -> pipeline.LoadReport:
    source = FrameSource(frame, name=f"{kind}.test")
    return pipeline.load(conn, kind, source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


@pytest.fixture
def two_buildings(conn: Connection) -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["B1", "B2"], "name": ["一号楼", "二号楼"], "height": [30.0, None]},
        geometry=[box(121.500, 31.230, 121.5005, 31.2305), box(121.501, 31.230, 121.5015, 31.2305)],
        crs="EPSG:4326",
    )
    report = _load(conn, "buildings", frame)
    assert report.inserted == 2


def test_households_need_a_loaded_building(conn: Connection, two_buildings: None, tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["H1", "H2", "H3"],
            "building": ["B1", "B1", "B9"],
            "unit": ["101", "102", "101"],
            "elderly_alone": ["1", "否", "0"],
        }
    )
    report = _load(conn, "households", frame, rejects_path=tmp_path / "r.csv")
    assert (report.inserted, report.rejected) == (2, 1)
    assert report.rejects[0].row == 3 and report.rejects[0].field == "building"
    flags = conn.execute(text("SELECT source_id, elderly_alone FROM households ORDER BY 1")).all()
    assert flags == [("H1", True), ("H2", False)]


def test_a_household_without_id_that_moves_building_is_updated_and_reported(
    conn: Connection, two_buildings: None
) -> None:
    first = pd.DataFrame(
        {"building": ["B1", "B1", "B2"], "unit": ["3-301", "3-302", "101"], "size": [2, 4, 1]}
    )
    assert _load(conn, "households", first).inserted == 3
    household = conn.execute(text("SELECT id FROM households WHERE unit_label = '3-301'")).scalar_one()
    conn.execute(
        text("""INSERT INTO house_status (household_id, status, valid_from, source, source_id)
                VALUES (:h, 'close_contact', '2022-04-01', 't', 't1')"""),
        {"h": household},
    )
    # 3-301 now in B2 (same unit label, new building); 3-302 stays; B2's 101 is listed again.
    second = pd.DataFrame(
        {"building": ["B2", "B1", "B2"], "unit": ["3-301", "3-302", "101"], "size": [2, 4, 1]}
    )
    report = _load(conn, "households", second)
    assert (report.inserted, report.updated) == (0, 1)
    assert report.notes["households moved to another building"] == 1
    assert any("row 1: B1 -> B2" in w for w in report.warnings)
    rows = conn.execute(
        text("""SELECT h.id, b.source_id FROM households h JOIN buildings b ON b.id = h.building_id
                WHERE h.unit_label = '3-301'""")
    ).all()
    assert [tuple(r) for r in rows] == [(household, "B2")]  # the same household: its history stays
    assert conn.execute(text("SELECT count(*) FROM households")).scalar_one() == 3
    # Loading the same file again changes nothing.
    again = _load(conn, "households", second)
    assert (again.inserted, again.updated, again.notes.get("households moved to another building")) == (
        0,
        0,
        None,
    )


def test_a_unit_label_that_fits_several_moved_households_is_not_guessed(
    conn: Connection, two_buildings: None
) -> None:
    _load(conn, "households", pd.DataFrame({"building": ["B1", "B2"], "unit": ["101", "101"]}))
    box_b3 = gpd.GeoDataFrame(
        {"id": ["B3"]}, geometry=[box(121.502, 31.230, 121.5025, 31.2305)], crs="EPSG:4326"
    )
    _load(conn, "buildings", box_b3)
    report = _load(conn, "households", pd.DataFrame({"building": ["B3"], "unit": ["101"]}))
    assert report.inserted == 1 and "households moved to another building" not in report.notes
    assert any("share a unit label with several households" in w for w in report.warnings)


def test_a_new_status_closes_the_open_one(conn: Connection, two_buildings: None) -> None:
    _load(conn, "households", pd.DataFrame({"id": ["H1"], "building": ["B1"]}))
    _load(
        conn, "status", pd.DataFrame({"household": ["H1"], "status": ["居家隔离"]}), date=dt.date(2022, 4, 1)
    )
    report = _load(
        conn, "status", pd.DataFrame({"household": ["H1"], "status": ["confirmed"]}), date=dt.date(2022, 4, 6)
    )
    assert report.notes["earlier statuses closed"] == 1
    rows = conn.execute(
        text("SELECT status, valid_from, valid_to FROM house_status ORDER BY valid_from")
    ).all()
    assert rows == [
        ("home_isolation", dt.date(2022, 4, 1), dt.date(2022, 4, 6)),
        ("confirmed", dt.date(2022, 4, 6), None),
    ]


def test_unknown_status_is_rejected_with_the_allowed_codes(
    conn: Connection, two_buildings: None, tmp_path
) -> None:
    report = _load(
        conn,
        "status",
        pd.DataFrame({"building": ["B1", "B2"], "status": ["sealed", "infected"]}),
        date=dt.date(2022, 4, 1),
        rejects_path=tmp_path / "r.csv",
    )
    assert (report.inserted, report.rejected) == (1, 1)
    assert report.rejects[0].value == "infected" and "confirmed" in report.rejects[0].reason


def test_contact_details_only_in_person_contacts(conn: Connection, two_buildings: None) -> None:
    frame = pd.DataFrame(
        {
            "person": ["P1", "P2"],
            "level": ["楼组长", "social_worker"],
            "scope_type": ["building", "building"],
            "scope": ["B1", "B2"],
            "name": ["张三", "李四"],
            "phone": ["13900000001", "13900000002"],
        }
    )
    report = _load(conn, "responsibility", frame)
    assert report.inserted == 2
    assert conn.execute(text("SELECT count(*) FROM person_contacts")).scalar_one() == 2
    public = conn.execute(
        text("""
        SELECT string_agg(t::text, ' ') FROM (
            SELECT r.*::text AS t FROM responsibilities r UNION ALL SELECT p.*::text FROM people p) x
    """)
    ).scalar_one()
    assert "张三" not in public and "13900000001" not in public


def test_cases_are_matched_to_addresses_and_buildings(conn: Connection, two_buildings: None) -> None:
    gazetteer = pd.DataFrame(
        {
            "district": ["浦东新区"],
            "address": ["测试路1弄"],
            "wgs84_lng": ["121.50025"],
            "wgs84_lat": ["31.23025"],
        }
    )
    _load(conn, "addresses", gazetteer)
    cases = pd.DataFrame(
        {
            "date": ["20220406", "20220406", "20220407"],
            "address": ["测试路１弄", "测试路1弄", "不存在路9号"],
            "district": ["浦东新区"] * 3,
        }
    )
    report = _load(conn, "cases", cases)
    assert report.inserted == 3
    assert report.notes["address match rate"] == "66.7% (2 of 3)"
    located = conn.execute(
        text("""
        SELECT c.reported_on, b.source_id FROM cases c LEFT JOIN buildings b ON b.id = c.building_id
        ORDER BY c.reported_on, b.source_id
    """)
    ).all()
    assert located == [(dt.date(2022, 4, 6), "B1"), (dt.date(2022, 4, 6), "B1"), (dt.date(2022, 4, 7), None)]


def test_grids_assign_buildings_and_qa_counts_overlaps(conn: Connection, two_buildings: None) -> None:
    grids = gpd.GeoDataFrame(
        {"code": ["G1", "G2"], "name": ["一网格", "二网格"]},
        geometry=[box(121.4995, 31.2295, 121.5008, 31.2310), box(121.5007, 31.2295, 121.5020, 31.2310)],
        crs="EPSG:4326",
    )
    report = _load(conn, "grids", grids)
    assert "overlapping_grid_pairs 1" in report.notes["qa"]
    assigned = conn.execute(
        text("""
        SELECT b.source_id, g.code FROM buildings b JOIN grids g ON g.id = b.grid_id ORDER BY 1""")
    ).all()
    assert assigned == [("B1", "G1"), ("B2", "G2")]


def test_points_in_gcj02_are_converted(conn: Connection) -> None:
    # The Oriental Pearl Tower: GCJ-02 121.49971, 31.23995 is WGS84 121.49526, 31.24195.
    frame = pd.DataFrame(
        {
            "id": ["opt"],
            "kind": ["other"],
            "name": ["东方明珠"],
            "gcj02_lng": ["121.49971"],
            "gcj02_lat": ["31.23995"],
        }
    )
    report = _load(conn, "places", frame)
    assert "gcj02" in report.notes["coordinates"]
    x, y = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM places")).one()
    assert Point(x, y).distance(Point(121.49526, 31.24195)) < 2e-5
