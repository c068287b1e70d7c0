"""The precomputed overviews (geo.status.overview) give exactly the live figures: KPIs and low-zoom
house-status tiles, for days before, inside and after the history, for several scopes, and after
every kind of write (new stretches, corrections, a stretch inside another, whole-building statuses,
households added, flagged and removed, a building moved to another grid, a write outside the rule).

After each write the incrementally maintained tables must also equal a rebuild from scratch."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine, text

from geo.public import day_counts, live_day_counts
from geo.scope import UNRESTRICTED, Scope
from geo.status.history import Stretch, record_statuses
from geo.status.kpis import kpis, live_kpis
from geo.status.overview import FIGURES, rebuild
from geo.status.overview_read import coverage, subdistrict_statuses
from geo.tiles import TileAddress, house_status_tile, live_area_status_sql, render_tile
from geo.vocab import STATUS_CODES
from tests.fixtures import small_city as city
from tests.fixtures.small_city import small_city_database

DAYS = [city.FIRST_DAY + dt.timedelta(days=n) for n in range(-2, 8)]
ZOOMS = (10, 12, 13, 14)


@pytest.fixture(scope="module")
def overview_conn(database_url: str) -> Iterator[Connection]:
    """The small city in a database of its own; each test's writes are rolled back."""
    with small_city_database(database_url, "overview") as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            yield conn
        engine.dispose()


@pytest.fixture
def conn(overview_conn: Connection) -> Iterator[Connection]:
    transaction = overview_conn.begin()
    try:
        yield overview_conn
    finally:
        transaction.rollback()


def _ids(conn: Connection, sql: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in conn.execute(text(sql)).all()}


def scopes(conn: Connection) -> dict[str, Scope]:
    """Unrestricted, the district, the sub-district, each grid, and both grids."""
    units = _ids(conn, "SELECT level, id FROM admin_units")
    grids = _ids(conn, "SELECT code, id FROM grids ORDER BY code")
    first, second = sorted(grids.values())
    return {
        "all": UNRESTRICTED,
        "district": Scope(unit_ids=frozenset({units["district"], units["subdistrict"]}), restricted=True),
        "subdistrict": Scope(unit_ids=frozenset({units["subdistrict"]}), restricted=True),
        "grid 1": Scope(grid_ids=frozenset({first}), restricted=True),
        "grid 2": Scope(grid_ids=frozenset({second}), restricted=True),
        "both grids": Scope(grid_ids=frozenset({first, second}), restricted=True),
    }


def _tile(z: int) -> TileAddress:
    lon, lat = city.centre("b06")
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return TileAddress(z, int((lon + 180) / 360 * n), int(y))


def assert_overview_equals_live(conn: Connection) -> None:
    """KPIs and area tiles from the overview equal the live ones, every day, scope and zoom."""
    for name, scope in scopes(conn).items():
        assert coverage(conn, scope) is not None, f"the overview does not answer the scope {name}"
        for day in DAYS:
            assert kpis(conn, date=day, scope=scope) == live_kpis(conn, date=day, scope=scope), (name, day)
            for z in ZOOMS:
                addr = _tile(z)
                params = addr.params | {"date": day, "severity": list(STATUS_CODES)} | scope.params
                params |= {"cases": ["confirmed", "asymptomatic"]}
                live = render_tile(conn, live_area_status_sql(addr, scope=scope), params)
                assert house_status_tile(conn, addr, date=day, scope=scope) == live, (name, day, z)


def assert_public_and_rollup_counts_equal_live(conn: Connection) -> None:
    """The public page's counts and the roll-up's households by status, from the overview."""
    sub = int(conn.execute(text("SELECT id FROM admin_units WHERE level = 'subdistrict'")).scalar_one())
    only = Scope(unit_ids=frozenset({sub}), restricted=True)
    for day in DAYS:
        assert day_counts(conn, date=day) == live_day_counts(conn, date=day), day
        assert subdistrict_statuses(conn, date=day) == {sub: live_kpis(conn, date=day, scope=only).households}


def assert_same_as_rebuilt(conn: Connection) -> None:
    """The tables maintained write by write hold what a rebuild from the history holds."""
    columns = ", ".join(("level", "grid_id", "subdistrict_id", "day::text", *FIGURES))
    read = f"SELECT {columns} FROM status_overview ORDER BY 1, 2, 3, 4"
    spans = (
        "SELECT building_id, valid_from::text, valid_to, grid_id, subdistrict_id, households, cases, "
        "vulnerable, rank, by_status, changed FROM status_overview_spans ORDER BY building_id, valid_from"
    )
    before = (conn.execute(text(read)).all(), conn.execute(text(spans)).all())
    conn.execute(text("DELETE FROM status_overview; DELETE FROM status_overview_spans"))
    rebuild(conn)
    assert (conn.execute(text(read)).all(), conn.execute(text(spans)).all()) == before


def test_the_loaded_city_agrees(conn: Connection) -> None:
    figures = kpis(conn, date=city.LAST_DAY)
    # Figures a person sees on 2022-04-04: b01's confirmed and close-contact households, b05 sealed,
    # h-b09-1 at home; 36 households in all.
    assert figures.total == 36
    assert (figures.households["confirmed"], figures.households["sealed"]) == (1, 3)
    assert figures.buildings_with_cases == 1
    assert_overview_equals_live(conn)
    assert_public_and_rollup_counts_equal_live(conn)
    assert_same_as_rebuilt(conn)


def _household(conn: Connection, source_id: str) -> int:
    return int(
        conn.execute(text("SELECT id FROM households WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


def _building(conn: Connection, source_id: str) -> int:
    return int(
        conn.execute(text("SELECT id FROM buildings WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


def test_new_stretches_corrections_and_resumed_parts_are_followed(conn: Connection) -> None:
    h = _household(conn, "h-b03-2")
    month = Stretch("health_monitoring", dt.date(2022, 4, 1), dt.date(2022, 4, 6), household_id=h)
    record_statuses(conn, [month], source="test")
    assert_overview_equals_live(conn)
    # A close-contact stretch inside the monitoring month: the month is split and resumes after it.
    fortnight = Stretch("close_contact", dt.date(2022, 4, 2), dt.date(2022, 4, 4), household_id=h)
    record_statuses(conn, [fortnight], source="test")
    assert kpis(conn, date=dt.date(2022, 4, 4), scope=UNRESTRICTED).changed_since_yesterday >= 1
    assert_overview_equals_live(conn)
    # A correction: the confirmed household of b01 was in fact asymptomatic.
    corrected = Stretch("asymptomatic", dt.date(2022, 4, 3), household_id=_household(conn, "h-b01-1"))
    record_statuses(conn, [corrected], source="test")
    assert kpis(conn, date=dt.date(2022, 4, 5)).households["confirmed"] == 0
    assert_overview_equals_live(conn)
    # A whole-building status opening today, and one ending the sealed stretch of b05 earlier.
    record_statuses(
        conn,
        [
            Stretch("sealed", dt.date(2022, 4, 4), building_id=_building(conn, "b11")),
            Stretch("sealed", dt.date(2022, 4, 1), dt.date(2022, 4, 3), building_id=_building(conn, "b05")),
        ],
        source="test",
    )
    assert_overview_equals_live(conn)
    assert_same_as_rebuilt(conn)


def test_household_and_building_changes_are_followed(conn: Connection) -> None:
    b12, g1 = _building(conn, "b12"), int(conn.execute(text("SELECT min(id) FROM grids")).scalar_one())
    conn.execute(text("DELETE FROM households WHERE source_id = 'h-b09-1'"))
    conn.execute(text("UPDATE households SET disabled = true WHERE source_id = 'h-b04-3'"))
    conn.execute(
        text("INSERT INTO households (building_id, source, source_id) VALUES (:b, 'test', 'h-b12-9')"),
        {"b": b12},
    )
    # Without a settle the figures come live (the writes bypassed the rule): still equal.
    assert coverage(conn, UNRESTRICTED) is None
    assert kpis(conn, date=city.LAST_DAY) == live_kpis(conn, date=city.LAST_DAY)
    rebuild_count = conn.execute(text("SELECT count(*) FROM status_overview_pending")).scalar_one()
    assert rebuild_count == 3
    from geo.status.overview import settle

    settle(conn)
    assert kpis(conn, date=city.LAST_DAY).total == 36
    # b12 moves to the other grid; a building without households gets a status.
    conn.execute(text("UPDATE buildings SET grid_id = :g WHERE id = :b"), {"g": g1, "b": b12})
    conn.execute(
        text("INSERT INTO house_status (household_id, status, valid_from, source, source_id) "
             "VALUES (:h, 'confirmed', '2022-04-02', 'sql', 'sql-1')"),
        {"h": _household(conn, "h-b12-9")},
    )  # fmt: skip
    settle(conn)
    assert_overview_equals_live(conn)
    assert_public_and_rollup_counts_equal_live(conn)
    assert_same_as_rebuilt(conn)


def test_the_overview_holds_deltas_not_days(conn: Connection) -> None:
    """An open stretch counts on every later day, with no row for the days after its start."""
    last = conn.execute(text("SELECT max(day) FROM status_overview WHERE level = 'c'")).scalar_one()
    assert last <= dt.date(2022, 4, 5)
    far = dt.date(2023, 1, 1)
    assert kpis(conn, date=far) == live_kpis(conn, date=far)
    assert kpis(conn, date=far).households["confirmed"] == 1


def test_scopes_and_filters_that_cut_areas_go_live(conn: Connection) -> None:
    """A committee holding two buildings of a grid, and a compound filter: the overview cannot
    answer them (None), and the figures are the live ones."""
    committee = conn.execute(
        text("""INSERT INTO admin_units (code, name, level, parent_id, source, source_id, geom)
                SELECT 'c-test', 'Committee', 'committee', id, 'test', 'c-test', geom
                FROM admin_units WHERE level = 'subdistrict' RETURNING id""")
    ).scalar_one()
    conn.execute(
        text("UPDATE buildings SET committee_id = :c WHERE source_id IN ('b01', 'b02')"), {"c": committee}
    )
    from geo.status.overview import settle

    settle(conn)
    cut = Scope(unit_ids=frozenset({int(committee)}), restricted=True)
    assert coverage(conn, cut) is None
    assert kpis(conn, date=city.LAST_DAY, scope=cut) == live_kpis(conn, date=city.LAST_DAY, scope=cut)
    assert kpis(conn, date=city.LAST_DAY, scope=cut).total == 6
    compound = int(conn.execute(text("SELECT min(id) FROM compounds")).scalar_one())
    assert coverage(conn, UNRESTRICTED, {"compound": compound}) is None
    chosen = {"compound": compound}
    assert kpis(conn, date=city.LAST_DAY, filters=chosen) == live_kpis(
        conn, date=city.LAST_DAY, filters=chosen
    )
    grid = int(conn.execute(text("SELECT min(id) FROM grids")).scalar_one())
    assert coverage(conn, UNRESTRICTED, {"grid": grid}) is not None
    for day in DAYS:
        by_grid = {"grid": grid}
        assert kpis(conn, date=day, filters=by_grid) == live_kpis(conn, date=day, filters=by_grid)
    assert_overview_equals_live(conn)
