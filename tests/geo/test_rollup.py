"""The national roll-up: a city's per-day counts per sub-district (geo.rollup.compute) by the same
rules as its own pages, written only where they changed; and, with real clusters on loopback
ports, two cities replicated into a national database by logical replication, one stopped (stale)
and restarted (caught up)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from dashboards._national_page import cities_table
from geo.errors import InvalidParameter
from geo.rollup import replication
from geo.rollup.compute import refresh
from geo.rollup.read import cities
from geo.status.history import Stretch, record_statuses
from geo.status.kpis import kpis
from tests.fixtures.clusters import DATABASE, cluster_base, primary

AT = dt.datetime(2022, 4, 4, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_rollup_counts_by_the_status_rule(city_conn: Connection) -> None:
    done = refresh(city_conn, city="testcity", name="测试市", at=AT)
    assert done.units == 1 and done.days >= 4 and done.rows_changed == done.days
    for day in (dt.date(2022, 4, 2), dt.date(2022, 4, 4)):
        by_status, households = city_conn.execute(
            text("SELECT by_status, households FROM rollup_days WHERE city_code = 'testcity' AND day = :d"),
            {"d": day},
        ).one()
        figures = kpis(city_conn, date=day)  # what the house-status page shows for that day
        assert by_status == figures.households and households == figures.total == 36
    loops = city_conn.execute(
        text("SELECT day, loops_open FROM rollup_days WHERE city_code = 'testcity' ORDER BY day")
    ).all()
    assert loops[-1] == (dt.date(2022, 4, 4), 0)  # loop counts only for the refresh's own day
    assert all(open_ is None for _, open_ in loops[:-1])
    again = refresh(city_conn, city="testcity", name="测试市", at=AT)
    assert again.rows_changed == 0  # nothing changed: nothing written, nothing to replicate


def test_a_bad_city_code_is_refused(city_conn: Connection) -> None:
    with pytest.raises(InvalidParameter, match="lower-case letters"):
        refresh(city_conn, city="Shang Hai", name="x")


# --- logical replication across real clusters -----------------------------------------------------


def _wait(condition: object, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def nation() -> Iterator[dict[str, object]]:
    with (
        cluster_base() as base,
        primary(base, "north") as north,
        primary(base, "south") as south,
        primary(base, "national", city=False) as national,
    ):
        engines = {n: create_engine(c.url_of(DATABASE)) for n, c in (("north", north), ("south", south))}
        for code, engine in engines.items():
            with engine.begin() as conn:
                refresh(conn, city=code, name=f"{code}市", at=AT)
                replication.publish(conn)
        hub = create_engine(national.url_of(DATABASE))
        with hub.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for code, cluster in (("north", north), ("south", south)):
                replication.subscribe(conn, code, cluster.url_of(DATABASE))
        try:
            yield {"hub": hub, "engines": engines, "north": north}
        finally:
            if not north.running():
                north.start()
            with hub.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for code in ("north", "south"):
                    replication.unsubscribe(conn, code)
            for engine in (hub, *engines.values()):
                engine.dispose()


def _national(hub: Engine) -> dict[str, object]:
    with hub.connect() as conn:
        return {c.code: c for c in cities(conn, day=AT.date(), stale_after_s=3600, at=AT)}


@pytest.mark.slow
def test_both_cities_arrive_in_the_national_database(nation: dict) -> None:
    hub: Engine = nation["hub"]
    assert _wait(lambda: {k for k, c in _national(hub).items() if c.households} == {"north", "south"})
    found = _national(hub)
    for code in ("north", "south"):
        city = found[code]
        assert (city.units, city.households, city.day) == (1, 36, AT.date())  # type: ignore[attr-defined]
        assert city.connected is True and city.stale is False  # type: ignore[attr-defined]
    page = json.dumps(
        cities_table(list(found.values()), "zh").to_plotly_json(), default=str, ensure_ascii=False
    )
    assert "north市" in page and "south市" in page and "数据过时" not in page


@pytest.mark.slow
def test_a_city_offline_is_stale_and_catches_up_when_it_returns(nation: dict) -> None:
    hub: Engine = nation["hub"]
    north = nation["north"]
    assert _wait(lambda: _national(hub)["north"].connected is True)  # type: ignore[attr-defined]
    north.stop(mode="immediate")
    try:
        assert _wait(lambda: _national(hub)["north"].connected is False)  # type: ignore[attr-defined]
        offline = _national(hub)["north"]
        assert offline.stale is True and offline.households == 36  # type: ignore[attr-defined]
        page = json.dumps(cities_table([offline], "zh").to_plotly_json(), default=str, ensure_ascii=False)  # type: ignore[list-item]
        assert "数据过时" in page
    finally:
        north.start()
    engine: Engine = nation["engines"]["north"]
    engine.dispose()  # its pooled connections died with the server
    with engine.begin() as conn:  # a change made after it came back: a household confirmed that day
        household = conn.execute(text("SELECT id FROM households WHERE source_id = 'h-b12-1'")).scalar_one()
        record_statuses(conn, [Stretch("confirmed", AT.date(), household_id=household)], source="field")
        refresh(conn, city="north", name="north市", days=[AT.date()], at=AT)
    assert _wait(lambda: _national(hub)["north"].not_normal == _expected_not_normal(engine))  # type: ignore[attr-defined]
    assert _national(hub)["north"].connected is True  # type: ignore[attr-defined]


def _expected_not_normal(engine: Engine) -> int:
    with engine.connect() as conn:
        figures = kpis(conn, date=AT.date())
    return figures.total - figures.households["normal"]
