"""geo.ogc without a server: a day's cases and risk areas (their rules, not copies), the keyset order,
and the document a page streams to."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.ogc import items
from geo.ogc.collections import collection
from geo.ogc.query import items_query
from geo.risk.store import read_risk_areas


def _load(conn: Connection, kind: str, frame: pd.DataFrame) -> None:
    pipeline.load(conn, kind, FrameSource(frame, name=f"{kind}.test"), options=LoadOptions(progress=False))


def _page(conn: Connection, cid: str, args: dict[str, str]) -> dict:
    query = items_query(collection(cid), args)
    rows = items.page_rows(conn, query)
    body = "".join(
        items.feature_collection(rows, query, links=lambda _: [], time_stamp=dt.datetime(2022, 4, 6))
    )
    return json.loads(body)


@pytest.fixture
def dated(conn: Connection) -> Connection:
    cases = {
        "id": ["k1", "k2", "k3"],
        "date": ["2022-04-06", "2022-04-06", "2022-04-07"],
        "address": ["甲路1号", "甲路2号", "乙路3号"],
        "lon": [121.42, 121.43, 121.44],
        "lat": [31.2, 31.2, 31.2],
    }
    _load(conn, "cases", pd.DataFrame(cases))
    for name, declared, lifted in (
        ("甲小区", "2022-04-02 10:00+08", "2022-04-05 09:00+08"),
        ("乙小区", "2022-04-04 20:00+08", None),
    ):
        conn.execute(
            text("""
            INSERT INTO risk_areas (name, level, declared_at, lifted_at, point, source, source_id)
            VALUES (:n, 'medium', :d, :l, ST_SetSRID(ST_MakePoint(121.42, 31.2), 4326), 'test', :n)"""),
            {"n": name, "d": declared, "l": lifted},
        )
    return conn


def test_cases_of_a_day(dated: Connection) -> None:
    ids = [f["id"] for f in _page(dated, "cases", {"datetime": "2022-04-06"})["features"]]
    assert ids == ["k1", "k2"]
    late = _page(dated, "cases", {"datetime": "2022-04-06T23:30:00Z"})[
        "features"
    ]  # 07:30 on the 7th in China
    assert [f["id"] for f in late] == ["k3"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2022-04-01", []),
        ("2022-04-03", ["甲小区"]),
        ("2022-04-05", ["甲小区", "乙小区"]),
        ("2022-04-06", ["乙小区"]),
    ],
)
def test_risk_areas_in_force_on_a_day_as_geo_risk_says(
    dated: Connection, day: str, expected: list[str]
) -> None:
    got = sorted(f["properties"]["name"] for f in _page(dated, "risk-areas", {"datetime": day})["features"])
    assert got == sorted(expected)
    assert got == sorted(read_risk_areas(dated, on=dt.date.fromisoformat(day))["name"])


def test_a_page_is_geojson_in_key_order_with_its_tail(dated: Connection) -> None:
    page = _page(dated, "cases", {"limit": "2", "properties": "reported_on"})
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 2
    assert [f["properties"] for f in page["features"]] == [{"reported_on": "2022-04-06"}] * 2
    assert page["features"][0]["geometry"] == {"type": "Point", "coordinates": [121.42, 31.2]}
