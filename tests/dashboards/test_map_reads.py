"""What the map pages read (geo.status, geo.responsibility) on the small city, with its known counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine

from geo.card import building_card
from geo.errors import InvalidParameter, NotFound
from geo.responsibility.gaps import gaps_by_grid, overloaded_people
from geo.status.kpis import kpis
from geo.status.read import find_buildings, status_dates
from tests.fixtures import small_city as city


@pytest.fixture(scope="module")
def city_conn(small_city_url: str) -> Iterator[Connection]:
    engine = create_engine(small_city_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_the_history_covers_its_first_to_last_day(city_conn: Connection) -> None:
    assert status_dates(city_conn) == (city.FIRST_DAY, city.LAST_DAY)


@pytest.mark.parametrize(
    ("date", "changed", "confirmed", "sealed", "with_cases"),
    [
        (dt.date(2022, 4, 2), 1, 0, 3, 0),  # h-b09-1 starts home isolation
        (dt.date(2022, 4, 3), 2, 1, 3, 1),  # h-b01-1 confirmed, h-b01-2 close contact
        (dt.date(2022, 4, 4), 0, 1, 3, 1),
        (dt.date(2022, 4, 5), 3, 1, 0, 1),  # b05's seal ends
    ],
)
def test_kpis_count_households_changes_and_case_buildings(
    city_conn: Connection, date: dt.date, changed: int, confirmed: int, sealed: int, with_cases: int
) -> None:
    figures = kpis(city_conn, date=date)
    assert figures.total == 36
    assert (figures.changed_since_yesterday, figures.buildings_with_cases) == (changed, with_cases)
    assert (figures.households["confirmed"], figures.households["sealed"]) == (confirmed, sealed)
    assert sum(figures.buildings.values()) == 12


def test_kpis_follow_the_filters(city_conn: Connection) -> None:
    g2 = kpis(city_conn, date=city.LAST_DAY, filters={"grid": 2})
    assert g2.total == 18 and g2.households["normal"] == 18 and g2.buildings_with_cases == 0
    with pytest.raises(InvalidParameter, match="unknown filter 'street'"):
        kpis(city_conn, date=city.LAST_DAY, filters={"street": 1})


def test_the_card_names_levels_never_people(city_conn: Connection) -> None:
    card = building_card(city_conn, 12, date=city.LAST_DAY)
    assert (card.name, card.grid, card.compound) == ("12号楼", "二网格", None)
    assert card.missing_levels == ("cadre", "building_leader")
    assert city.CONTACT_NAME not in repr(card) and "sim-" not in repr(card)
    with pytest.raises(NotFound, match="no building has id 999"):
        building_card(city_conn, 999, date=city.LAST_DAY)


def test_gaps_per_grid_and_people_over_the_limit(city_conn: Connection) -> None:
    gaps = {g.code: (g.buildings, g.gap_buildings) for g in gaps_by_grid(city_conn)}
    assert gaps == {"G1": (6, 0), "G2": (6, 6)}
    assert [(p.code, p.levels, p.buildings) for p in overloaded_people(city_conn, limit=4)] == [
        ("sim-L1", ("building_leader",), 5),
        ("sim-L2", ("building_leader",), 5),
    ]
    assert overloaded_people(city_conn, limit=25) == []


def test_search_matches_addresses_literally(city_conn: Connection) -> None:
    assert [b.label for b in find_buildings(city_conn, "东方路12")] == ["东方路12号"]
    assert find_buildings(city_conn, "100%") == [] and find_buildings(city_conn, "  ") == []
