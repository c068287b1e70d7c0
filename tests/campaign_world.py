"""A tiny campaign world for the campaign tests: one district, two sub-districts (甲街道 with two
committees, 乙镇 reporting for itself), a 10-day campaign and daily files whose counts the tests
recompute independently (pandas) from the files themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import Engine, create_engine

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.campaign.store import add_campaign
from tests.fixtures.databases import sibling_url, throwaway_database

NAME = "测试加强针"
START = dt.date(2022, 4, 1)
DEADLINE = dt.date(2022, 4, 30)
DAY = dt.date(2022, 4, 10)
TARGETS = {"CM-A1": 1_000, "CM-A2": 2_000, "SD-B": 3_000}
UNITS = {"SD-A": "甲街道", "SD-B": "乙镇", "CM-A1": "一居委", "CM-A2": "二居委"}


def _admin(engine: Engine) -> None:
    def load(frame: gpd.GeoDataFrame, level: str) -> None:
        with engine.begin() as conn:
            pipeline.load(
                conn, "admin", FrameSource(frame, name=f"{level}.campaign_world"),
                options=LoadOptions(level=level, progress=False, assign=False),
            )  # fmt: skip

    crs = "EPSG:4326"
    district = box(121.0, 31.0, 122.0, 32.0)
    load(
        gpd.GeoDataFrame({"code": ["310115"], "name": ["浦东新区"]}, geometry=[district], crs=crs), "district"
    )
    load(
        gpd.GeoDataFrame(
            {"code": ["SD-A", "SD-B"], "name": ["甲街道", "乙镇"], "parent": ["310115", "310115"]},
            geometry=[box(121.1, 31.1, 121.2, 31.2), box(121.3, 31.1, 121.4, 31.2)], crs=crs,
        ),
        "subdistrict",
    )  # fmt: skip
    load(
        gpd.GeoDataFrame(
            {"code": ["CM-A1", "CM-A2"], "name": ["一居委", "二居委"], "parent": ["SD-A", "SD-A"]},
            geometry=[box(121.1, 31.1, 121.15, 31.2), box(121.15, 31.1, 121.2, 31.2)], crs=crs,
        ),
        "committee",
    )  # fmt: skip


def daily_files() -> list[pd.DataFrame]:
    """Day 1..10 counts; CM-A2 misses day 10 and days 5..9 in the first file (one of them, day 6,
    comes late); SD-B's day 8 is corrected by the third file. Units by code and by name, mixed."""
    rows = []
    for i in range(10):
        day = START + dt.timedelta(days=i)
        rows.append(("CM-A1", day, 60, 50, 40 + i))
        if not 4 <= i <= 9:
            rows.append(("二居委", day, 30, 25, 20))
        rows.append(("SD-B", day, 200, 150, 100 + 2 * i))
    first = pd.DataFrame(rows, columns=["unit", "date", "organised", "booked", "vaccinated"])
    late = pd.DataFrame([("CM-A2", START + dt.timedelta(days=5), 30, 25, 22)], columns=first.columns)
    corrected = pd.DataFrame([("乙镇", START + dt.timedelta(days=7), 210, 160, 130)], columns=first.columns)
    return [first, late, corrected]


def load_world(engine: Engine, tmp: Path) -> list[Path]:
    """Units, the campaign and the three daily files (as CSV, through ``battlemap load``'s pipeline)."""
    _admin(engine)
    with engine.begin() as conn:
        ids = {code: conn.exec_driver_sql(f"SELECT id FROM admin_units WHERE code = '{code}'").scalar_one()
               for code in UNITS}  # fmt: skip
        add_campaign(
            conn, NAME, start=START, deadline=DEADLINE, dose="booster", source="test",
            targets=[(int(ids[c]), t) for c, t in TARGETS.items()],
        )  # fmt: skip
    paths = []
    for n, frame in enumerate(daily_files()):
        path = tmp / f"vaccination-{n}.csv"
        frame.assign(date=frame["date"].astype(str)).to_csv(path, index=False)
        with engine.begin() as conn:
            pipeline.load(conn, "vaccination", path, options=LoadOptions(progress=False))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def campaign_world(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Path]]]:
    """(database url, the daily files in load order) of the world, loaded once per module."""
    with throwaway_database(sibling_url(database_url, "campaign")) as url:
        engine = create_engine(url)
        try:
            paths = load_world(engine, tmp_path_factory.mktemp("campaign"))
        finally:
            engine.dispose()
        yield url, paths
