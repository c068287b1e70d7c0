"""`battlemap load places` with the service guide's columns: a registration point's languages
(ISO 639-1 codes, Chinese names accepted) and opening hours stored in their canonical form; a bad
language code or bad hours rejects the row naming the row and the column, and with ``--strict`` the
command fails naming the file, row and field, without a traceback and without writing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from tests.fixtures.small_city import SOUTH, WEST, small_city_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
ROWS = f"""id,kind,name,lon,lat,languages,opening_hours
r1,登记处,登记处,{WEST + 0.0002},{SOUTH + 0.0002},"zh, EN, 日语, 한국어",Mo-Fr 09:00-17:00; sa 09:00-12:00
r2,registration_point,坏语种登记处,{WEST + 0.0003},{SOUTH + 0.0002},"zh,xx",08:00-20:00
r3,service_point,坏时间服务点,{WEST + 0.0004},{SOUTH + 0.0002},"zh,it",20:00-08:00
r4,服务点,涉外服务站,{WEST + 0.0005},{SOUTH + 0.0002},中文、意大利语,24/7
r5,service_point,无时间服务点,{WEST + 0.0006},{SOUTH + 0.0002},en,25:00-26:00
"""


@pytest.fixture(scope="module")
def city_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "svcload") as url:
        yield url


@pytest.fixture
def city(city_url: str) -> Iterator[Connection]:
    engine = create_engine(city_url)
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()
    engine.dispose()


@pytest.fixture
def points_csv(tmp_path: Path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_languages_and_hours_load_canonical_and_bad_rows_are_rejected(
    city: Connection, points_csv: Path, tmp_path: Path
) -> None:
    options = LoadOptions(progress=False, rejects_path=tmp_path / "rejects.csv")
    report = pipeline.load(city, "places", points_csv, options=options)
    rejects = sorted((r.row, r.field, r.reason) for r in report.rejects)
    assert [(row, field) for row, field, _ in rejects] == [
        (2, "languages"),
        (3, "opening_hours"),
        (5, "opening_hours"),
    ]
    assert "'xx' is not a language code" in rejects[0][2]
    assert "ends before it starts" in rejects[1][2]
    assert "not a time range" in rejects[2][2]
    stored = city.execute(
        text("SELECT source_id, kind, languages, opening_hours FROM places ORDER BY source_id")
    ).all()
    assert [tuple(r) for r in stored] == [
        ("r1", "registration_point", ["zh", "en", "ja", "ko"], "Mo-Fr 09:00-17:00; Sa 09:00-12:00"),
        ("r4", "service_point", ["zh", "it"], "24/7"),
    ]


def test_strict_load_fails_naming_file_row_and_field(city_url: str, points_csv: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": city_url}
    done = subprocess.run(
        [BATTLEMAP, "load", "places", str(points_csv), "--strict", "--no-progress",
         "--rejects", str(tmp_path / "strict.rejects.csv")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "points.csv" in done.stderr and "row 2" in done.stderr and "'languages'" in done.stderr, (
        done.stderr
    )
    assert "Traceback" not in done.stderr
    engine = create_engine(city_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM places")).scalar_one() == 0
    finally:
        engine.dispose()
