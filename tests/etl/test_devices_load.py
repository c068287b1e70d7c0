"""`battlemap load devices`: households by id or by building + unit, exact rejects, reloads in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.report import LoadReport
from geo.errors import InputError
from tests.fixtures.small_city import small_city_database

DEVICES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@pytest.fixture(scope="module")
def city_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "devload") as url:
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


def _load(conn: Connection, name: str, tmp_path: Path, **options: object) -> LoadReport:
    opts = LoadOptions(progress=False, rejects_path=tmp_path / f"{name}.rejects.csv", **options)  # type: ignore[arg-type]
    return pipeline.load(conn, "devices", DEVICES / name, options=opts)


def _devices(conn: Connection) -> dict[str, tuple]:
    rows = conn.execute(
        text("""SELECT d.source_id, d.type, h.source_id, d.installed_on::text, d.removed_on::text
                FROM devices d JOIN households h ON h.id = d.household_id""")
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def test_devices_load_by_household_id_or_building_and_unit(city: Connection, tmp_path: Path) -> None:
    report = _load(city, "good.csv", tmp_path)
    assert (report.inserted, report.updated, len(report.rejects)) == (3, 0, 0)
    assert _devices(city) == {
        "D-b09-1": ("door_sensor", "h-b09-1", "2022-04-02", None),
        "T-b09-1": ("thermometer", "h-b09-1", "2022-04-02", None),
        "D-b01-1": ("door_sensor", "h-b01-1", "2022-04-03", "2022-04-10"),
    }
    again = _load(city, "good.csv", tmp_path)
    assert (again.inserted, again.updated) == (0, 0)


BAD = [
    (1, "household", "no loaded household has this id"),
    (2, "unit", "no loaded household of this building has this unit label"),
    (3, "type", "expected one of door_sensor, thermometer"),
    (4, "removed_on", "removed before it was installed"),
    (5, "unit", "a building alone does not say which household"),
    (6, "household", "name the household (its id) or its building and unit"),
    (7, "installed", "expected a date like"),
]


def test_bad_devices_are_rejected_with_a_reason_and_the_rest_loads(city: Connection, tmp_path: Path) -> None:
    report = _load(city, "bad.csv", tmp_path)
    found = sorted((r.row, r.field, r.reason) for r in report.rejects)
    for (row, field, reason), (got_row, got_field, got_reason) in zip(BAD, found, strict=False):
        assert (row, field) == (got_row, got_field) and reason in got_reason, found
    assert len(found) == len(BAD), found
    assert report.duplicates == 1  # OK1 twice: the later row wins
    assert _devices(city) == {"OK1": ("thermometer", "h-b09-3", "2022-04-02", None)}
    assert (tmp_path / "bad.csv.rejects.csv").exists()


def test_strict_loads_nothing(city: Connection, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        _load(city, "bad.csv", tmp_path, strict=True)
    assert _devices(city) == {}
