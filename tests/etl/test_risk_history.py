"""The published Shanghai risk-area history loads, is matched offline to the gazetteer, and lists the rest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.jobs.risk_areas import UNNAMED, as_datetime, candidate_keys
from etl.readers import FrameSource
from etl.report import LoadReport
from geo.risk.store import read_risk_areas

RISK_FILE = "china-covid-risk-areas/risklevelapi_risk_area_episodes_all_china.csv.gz"
GAZETTEER = "shanghai-covid-2022-case-addresses/stockard_geocoded_addresses_20220508.csv"
CHINA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def loaded(
    engine: Engine, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Connection, LoadReport, LoadReport]]:
    rejects = tmp_path_factory.mktemp("rejects")
    episodes = pd.read_csv(shared_data / RISK_FILE, dtype=str)
    shanghai = episodes[episodes["province"] == "上海市"].reset_index(drop=True)
    with engine.connect() as conn:
        transaction = conn.begin()
        pipeline.load(
            conn,
            "addresses",
            shared_data / GAZETTEER,
            options=LoadOptions(progress=False, rejects_path=rejects / "addresses.csv"),
        )
        options = LoadOptions(progress=False, rejects_path=rejects / "risk.csv")
        first = pipeline.load(conn, "risk-areas", FrameSource(shanghai, name="shanghai"), options=options)
        again = pipeline.load(conn, "risk-areas", FrameSource(shanghai, name="shanghai"), options=options)
        yield conn, first, again
        transaction.rollback()


def test_every_published_shanghai_area_is_kept(loaded: tuple[Connection, LoadReport, LoadReport]) -> None:
    conn, first, again = loaded
    assert first.rows_read == 1787 and first.inserted == 1787 and first.rejected == 0
    assert again.unchanged == 1787 and again.inserted == again.updated == 0
    levels = dict(conn.execute(text("SELECT level, count(*) FROM risk_areas GROUP BY 1")).all())
    assert levels == {"high": 676, "medium": 717, "low": 394}


def test_match_rate_is_reported_and_the_unmatched_are_listed(
    loaded: tuple[Connection, LoadReport, LoadReport],
) -> None:
    conn, first, _ = loaded
    matched, total = conn.execute(text("SELECT count(match_kind), count(*) FROM risk_areas")).one()
    assert matched / total > 0.5, f"match rate fell to {matched / total:.1%}"
    assert first.notes["risk-area match rate"].startswith(f"{matched / total:.1%} ({matched:,} of 1,787")
    assert first.notes["unmatched"].startswith(f"{total - matched:,} names kept without a location")
    unmatched = read_risk_areas(conn)
    assert unmatched["match_kind"].isna().sum() == total - matched
    # every located area says how far it is trusted; the unlocated ones have no score
    scores = conn.execute(
        text("SELECT count(match_score), min(match_score), max(match_score) FROM risk_areas")
    ).one()
    assert scores[0] == matched and 0 < scores[1] <= scores[2] <= 100
    # the whole-district rows of 2022-11-24 name no area: kept, labelled, never matched
    assert (
        conn.execute(
            text("SELECT count(*) FROM risk_areas WHERE name LIKE :n"), {"n": f"%{UNNAMED}"}
        ).scalar()
        == 9
    )


def test_a_lane_is_placed_and_times_are_china_time(loaded: tuple[Connection, LoadReport, LoadReport]) -> None:
    conn, _, _ = loaded
    row = conn.execute(
        text("""SELECT match_kind, match_key, declared_at, lifted_at, ST_Y(point) FROM risk_areas
                WHERE district = '浦东新区' AND name = '北蔡镇鹏飞路411弄6号'""")
    ).one()
    assert row[:2] == ("lane", "鹏飞路411弄")
    assert row[2] == dt.datetime(2022, 4, 15, 11, tzinfo=CHINA) and row[3] > row[2]
    assert 31.1 < row[4] < 31.3
    on_day = read_risk_areas(conn, on=dt.date(2022, 4, 20))
    assert len(on_day) == 13 and (on_day["declared_at"] <= dt.datetime(2022, 4, 21, tzinfo=CHINA)).all()


@pytest.mark.parametrize(
    "name, district, expected",
    [
        ("北蔡镇鹏飞路411弄6号", "浦东新区", ("lane", "鹏飞路411弄")),
        ("天目西路街道芷江西路593弄", "静安区", ("address", "芷江西路593弄")),
        ("陆家嘴街道崂山五村小区", "浦东新区", ("address", "崂山五村")),
        ("江桥镇增建村柴中村民组", "嘉定区", ("village", "增建村")),
        ("菊园新区永靖路898弄（北区）", "嘉定区", ("address", "永靖路898弄")),
    ],
)
def test_candidate_keys(name: str, district: str, expected: tuple[str, str]) -> None:
    assert expected in candidate_keys(name, district)


def test_published_times_parse() -> None:
    assert as_datetime("2022-04-15 11时") == dt.datetime(2022, 4, 15, 11, tzinfo=CHINA)
    assert as_datetime("2022-04-15T11:00:00+08:00") == dt.datetime(2022, 4, 15, 11, tzinfo=CHINA)
    with pytest.raises(ValueError, match="expected a time"):
        as_datetime("soon")
