"""The full public files of ../shared/data load with the counts their SOURCE.md gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.report import LoadReport


@pytest.fixture(scope="module")
def loaded(
    engine: Engine, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Connection, dict[str, LoadReport]]]:
    rejects = tmp_path_factory.mktemp("rejects")
    steps = {
        "districts": (
            "admin",
            "shanghai-wenzhou-district-boundaries/echarts_shanghai_districts_gcj02.geojson",
            {"crs": "gcj02", "level": "district", "id_col": "name"},
        ),
        "townships": (
            "admin",
            "shanghai-township-boundaries/shanghai_townships_214.shp",
            {"level": "subdistrict", "name_col": "STREET"},
        ),
        "buildings": (
            "buildings",
            "osm-lujiazui-bund-buildings/buildings_merged.geojson",
            {"id_col": "osm_way_id"},
        ),
        "addresses": (
            "addresses",
            "shanghai-covid-2022-case-addresses/stockard_geocoded_addresses_20220508.csv",
            {},
        ),
        "cases": (
            "cases",
            "shanghai-covid-2022-case-addresses/stockard_daily_case_addresses_20220306_20220420.csv",
            {},
        ),
    }
    with engine.connect() as conn:
        transaction = conn.begin()
        reports = {}
        for name, (kind, relative, options) in steps.items():
            reports[name] = pipeline.load(
                conn,
                kind,
                shared_data / relative,
                options=LoadOptions(progress=False, rejects_path=rejects / f"{name}.csv", **options),
            )
        yield conn, reports
        transaction.rollback()


def test_units(loaded: tuple[Connection, dict[str, LoadReport]]) -> None:
    conn, reports = loaded
    assert reports["districts"].loaded == 16 and "gcj02" in reports["districts"].notes["coordinates"]
    assert reports["townships"].loaded == 214
    per_district = dict(
        conn.execute(
            text("""
        SELECT d.name, count(*) FROM admin_units s JOIN admin_units d ON d.id = s.parent_id
        WHERE s.level = 'subdistrict' GROUP BY d.name""")
        ).all()
    )
    assert per_district["浦东新区"] == 36
    assert sum(per_district.values()) >= 210  # a few townships straddle the coarse district edges


def test_buildings(loaded: tuple[Connection, dict[str, LoadReport]]) -> None:
    conn, reports = loaded
    assert reports["buildings"].loaded == 1450 and reports["buildings"].rejected == 0
    in_lujiazui = conn.execute(
        text("""
        SELECT count(*) FROM buildings b JOIN admin_units u ON u.id = b.subdistrict_id
        WHERE u.name = '陆家嘴街道'
    """)
    ).scalar_one()
    assert in_lujiazui > 300


def test_geocoded_addresses_use_the_wgs84_columns(loaded: tuple[Connection, dict[str, LoadReport]]) -> None:
    _, reports = loaded
    report = reports["addresses"]
    # 34,976 lines: 34,975 addresses and one embedded second header; 732 rows of the other layout
    # have no WGS84 columns and are rejected with their row numbers, nothing is dropped silently.
    assert report.rows_read == 34_976
    assert report.loaded + report.rejected + report.duplicates == 34_976
    assert report.rejected == 733
    assert "coordinates" not in report.notes  # WGS84 columns preferred, no conversion


def test_daily_case_list_matches_offline(loaded: tuple[Connection, dict[str, LoadReport]]) -> None:
    conn, reports = loaded
    report = reports["cases"]
    assert report.loaded == 107_498
    matched, total = (
        int(v.replace(",", ""))
        for v in report.notes["address match rate"].split("(")[1].rstrip(")").split(" of ")
    )
    assert matched / total >= 0.97
    in_pudong = conn.execute(text("SELECT count(*) FROM cases WHERE district = '浦东新区'")).scalar_one()
    assert in_pudong == 33_351
