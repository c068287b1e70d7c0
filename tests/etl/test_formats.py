"""Every supported format loads: the good fixtures give the expected rows, names and coordinates.

tests/fixtures/good holds one small file per format and encoding (made by
tests/fixtures/bad/make_fixtures.py); coordinates are checked in metres on the ground.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.errors import InputError

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"

# Footprint centroids (WGS84) of the fixtures' buildings: 0.0005° squares from (121.5, 31.24).
SQUARE = {i: (121.50025 + i * 0.001, 31.24025) for i in range(4)}
# Places sit on whole 0.001° steps east of (121.5, 31.24).
SPOT = {i: (121.500 + i * 0.001, 31.240) for i in range(3)}
# The Oriental Pearl Tower in WGS84: the GCJ-02 fixture must come back here.
PEARL_WGS84 = (121.49500, 31.24170)

FORMATS = [
    pytest.param(
        "blocks_wgs84.geojson",
        "buildings",
        None,
        {"一号楼": SQUARE[0], "二号楼": SQUARE[1], "三号楼": (121.50275, 31.24025)},
        id="geojson",
    ),
    pytest.param(
        "buildings_utm.gpkg",
        "buildings",
        "read as EPSG:32651, converted to WGS84 (EPSG:4326)",
        {"楼1": SQUARE[0], "楼2": SQUARE[1], "楼3": SQUARE[2]},
        id="geopackage-utm",
    ),
    pytest.param(
        "buildings_shp.zip",
        "buildings",
        None,
        {"楼1": SQUARE[0], "楼2": SQUARE[1], "楼3": SQUARE[2]},
        id="zipped-shapefile",
    ),
    pytest.param(
        "buildings_wkt.csv",
        "buildings",
        None,
        {"甲楼": SQUARE[0], "乙楼": (121.50075, 31.24125)},
        id="csv-wkt",
    ),
    pytest.param(
        "places_utf8_bom.csv",
        "places",
        None,
        {"陆家嘴卡口": SPOT[0], "世纪大道采样点": SPOT[1], "东方医院": SPOT[2]},
        id="csv-utf8-bom-lng-latitude",
    ),
    pytest.param(
        "places_gbk.csv",
        "places",
        None,
        {"陆家嘴卡口": SPOT[0], "世纪大道采样点": SPOT[1], "浦东隔离点": SPOT[2]},
        id="csv-gbk-chinese-header",
    ),
    pytest.param("places.xlsx", "places", None, {"卡口1": SPOT[0], "医院": SPOT[1]}, id="xlsx-x-y"),
    pytest.param(
        "places_gcj02.csv",
        "places",
        "read as gcj02, converted to WGS84 (EPSG:4326)",
        {"东方明珠": PEARL_WGS84},
        id="csv-gcj02",
    ),
]


def _load(conn: Connection, name: str, kind: str, tmp_path: Path, **options: object) -> pipeline.LoadReport:
    return pipeline.load(
        conn,
        kind,
        GOOD / name,
        options=LoadOptions(progress=False, rejects_path=tmp_path / "rejects.csv", **options),  # type: ignore[arg-type]
    )


def _centroids_off_by_metres(conn: Connection, table: str, expected: dict[str, tuple[float, float]]) -> dict:
    """name -> metres between the stored centroid and the expected WGS84 point."""
    rows = conn.execute(
        text(f"""
            SELECT t.name, ST_Distance(ST_Centroid(t.geom)::geography,
                                       ST_SetSRID(ST_MakePoint(e.lon, e.lat), 4326)::geography)
            FROM {table} t JOIN (SELECT unnest(CAST(:names AS text[])) AS name,
                                        unnest(CAST(:lons AS float8[])) AS lon,
                                        unnest(CAST(:lats AS float8[])) AS lat) e USING (name)
        """),
        {
            "names": list(expected),
            "lons": [p[0] for p in expected.values()],
            "lats": [p[1] for p in expected.values()],
        },
    ).all()
    return {name: metres for name, metres in rows}


@pytest.mark.parametrize(("name", "kind", "note", "expected"), FORMATS)
def test_format_loads_rows_at_their_place(
    conn: Connection,
    tmp_path: Path,
    name: str,
    kind: str,
    note: str | None,
    expected: dict[str, tuple[float, float]],
) -> None:
    report = _load(conn, name, kind, tmp_path)
    counts = (report.rows_read, report.inserted, report.updated, report.rejected, report.repaired)
    assert counts == (len(expected), len(expected), 0, 0, 0)
    assert report.notes.get("coordinates") == note
    assert report.rejects_path is None and not (tmp_path / "rejects.csv").exists()
    names = conn.execute(text(f"SELECT name FROM {kind} WHERE source = :s ORDER BY name"), {"s": name})
    assert sorted(names.scalars()) == sorted(expected)
    off = _centroids_off_by_metres(conn, kind, expected)
    assert off.keys() == expected.keys()
    assert max(off.values()) < 1.0, off


def test_gcj02_columns_are_converted_not_taken_as_wgs84(conn: Connection, tmp_path: Path) -> None:
    """gcj02_lng/gcj02_lat say GCJ-02: the point moves ~500 m back onto WGS84, to within 1 m."""
    _load(conn, "places_gcj02.csv", "places", tmp_path)
    stored, raw = conn.execute(
        text("""
            SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography),
                   ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:gx, :gy), 4326)::geography)
            FROM places WHERE name = '东方明珠'
        """),
        {"x": PEARL_WGS84[0], "y": PEARL_WGS84[1], "gx": 121.4994502, "gy": 31.2397013},
    ).one()
    assert stored < 1.0
    assert 400 < raw < 600


def test_gbk_csv_reads_chinese_names_and_kinds(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "places_gbk.csv", "places", tmp_path)
    rows = conn.execute(text("SELECT name, kind FROM places ORDER BY name")).all()
    assert rows == [
        ("世纪大道采样点", "sampling_site"),
        ("浦东隔离点", "quarantine_site"),
        ("陆家嘴卡口", "checkpoint"),
    ]


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        (
            "blocks_wgs84.geojson",
            [("g1", "一号楼", 30.0, 10, 1), ("g2", "二号楼", None, 6, 1), ("g3", "三号楼", None, None, 2)],
        ),
        (
            "buildings_utm.gpkg",
            [("s1", "楼1", 12.0, 4, 1), ("s2", "楼2", 24.0, 8, 1), ("s3", "楼3", 36.0, 12, 1)],
        ),
        (
            "buildings_shp.zip",
            [("s1", "楼1", 12.0, 4, 1), ("s2", "楼2", 24.0, 8, 1), ("s3", "楼3", 36.0, 12, 1)],
        ),
        ("buildings_wkt.csv", [("k1", "甲楼", None, 5, 1), ("k2", "乙楼", None, None, 2)]),
    ],
)
def test_building_attributes_and_parts(conn: Connection, tmp_path: Path, name: str, rows: list) -> None:
    """Ids, names, heights, floors (given, or estimated from the height at 3 m a storey) and parts."""
    _load(conn, name, "buildings", tmp_path)
    stored = conn.execute(
        text("SELECT source_id, name, height_m, floors, ST_NumGeometries(geom) FROM buildings ORDER BY 1")
    ).all()
    assert [tuple(r) for r in stored] == rows


def test_flags_override_the_column_names(conn: Connection, tmp_path: Path) -> None:
    """--lon-col/--lat-col win over the recognised names (here: read the file's lng as the latitude)."""
    with pytest.raises(InputError, match="look swapped in 3 of 3 rows"):
        _load(conn, "places_utf8_bom.csv", "places", tmp_path, lon_col="latitude", lat_col="lng")
