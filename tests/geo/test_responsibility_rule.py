"""THE responsibility rule (geo.responsibility.rule), pinned: who answers for each building of the small
city, and so which buildings have a gap, is the same for the map tiles, the gaps per grid, the
building card, the printed atlas, contacts and the analysts' gaps."""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
from sqlalchemy import Connection, text

from geo.analysis import responsibility_gaps
from geo.card import building_card
from geo.contacts import building_contacts
from geo.print_queries import read_atlas, select_grids
from geo.responsibility.gaps import gaps_by_grid, gaps_by_level, person_buildings
from geo.tiles import BUILDING_ZOOM, TileAddress, responsibility_tile
from geo.vocab import REQUIRED_CHAIN_LEVELS
from layers.atlas.themes import chain_gaps
from tests.fixtures import small_city as city

DAY = city.LAST_DAY
# The small city's chain: the sub-district's two, both grids' two, G1's cadre, and building leaders.
SUBDISTRICT_LEVELS = {"command_hq", "leadership_member"}
GRID_LEVELS = {"G1": {"cadre", "area_secretary", "social_worker"}, "G2": {"area_secretary", "social_worker"}}


def expected_levels(building: str) -> set[str]:
    grid = "G1" if building in city.G1 else "G2"
    leader = {"building_leader"} if any(building in bs for bs in city.LEADERS.values()) else set()
    return SUBDISTRICT_LEVELS | GRID_LEVELS[grid] | leader


def expected_missing(building: str) -> set[str]:
    return set(REQUIRED_CHAIN_LEVELS) - expected_levels(building)


@pytest.fixture(scope="module")
def ids(small_city_conn: Connection) -> dict[int, str]:
    return dict(small_city_conn.execute(text("SELECT id, source_id FROM buildings")).all())


def test_the_fixture_has_the_gaps_its_docstring_states() -> None:
    assert {b for b in city.BUILDINGS if expected_missing(b)} == set(city.GAP_BUILDINGS)


def _tile_of(lon: float, lat: float, z: int) -> TileAddress:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return TileAddress(z, int((lon + 180) / 360 * n), int(y))


def test_map_tiles_count_each_buildings_missing_levels(
    small_city_conn: Connection, ids: dict[int, str]
) -> None:
    seen: dict[str, int] = {}
    for b in city.BUILDINGS:
        tile = responsibility_tile(small_city_conn, _tile_of(*city.centre(b), BUILDING_ZOOM + 1))
        for f in mapbox_vector_tile.decode(tile)["buildings"]["features"]:
            seen[ids[f["id"]]] = f["properties"]["gaps"]
    assert seen == {b: len(expected_missing(b)) for b in city.BUILDINGS}


def test_the_card_names_the_levels_the_rule_gives(small_city_conn: Connection, ids: dict[int, str]) -> None:
    for internal, b in ids.items():
        card = building_card(small_city_conn, internal, date=DAY)
        assert {link.level for link in card.chain} == expected_levels(b), b
        assert set(card.missing_levels) == expected_missing(b), b


def test_contacts_are_the_people_of_the_same_chain(small_city_conn: Connection, ids: dict[int, str]) -> None:
    for internal, b in ids.items():
        contacts = building_contacts(small_city_conn, internal, personal="masked")
        assert {c.level for c in contacts} == expected_levels(b), b


def test_atlas_and_map_count_the_same_gaps_per_grid(small_city_conn: Connection, ids: dict[int, str]) -> None:
    grids, title = select_grids(small_city_conn, all_grids=True)
    data = read_atlas(small_city_conn, grids, title=title, date=DAY)
    printed = chain_gaps(data)
    assert {ids[int(b)]: set(m) for b, m in printed["missing"].items()} == {
        b: expected_missing(b) for b in city.BUILDINGS
    }
    grid_of = dict(zip(data.buildings["id"], data.buildings["grid_id"], strict=True))
    printed_per_grid: dict[int, int] = {}
    for b, missing in printed["missing"].items():
        printed_per_grid[grid_of[b]] = printed_per_grid.get(grid_of[b], 0) + bool(missing)
    mapped = {g.grid_id: g.gap_buildings for g in gaps_by_grid(small_city_conn)}
    assert printed_per_grid == mapped
    assert sum(mapped.values()) == len(city.GAP_BUILDINGS)


def test_the_analysts_gaps_are_the_same_buildings(small_city_conn: Connection) -> None:
    gaps = responsibility_gaps(small_city_conn)
    assert {i: set(m) for i, m in zip(gaps["id"], gaps["missing"], strict=True)} == {
        b: expected_missing(b) for b in city.GAP_BUILDINGS
    }


def _first_gap(building: str) -> str | None:
    return next((level for level in REQUIRED_CHAIN_LEVELS if level in expected_missing(building)), None)


def test_buildings_are_counted_by_their_most_senior_missing_level(small_city_conn: Connection) -> None:
    expected = {level: 0 for level in REQUIRED_CHAIN_LEVELS} | {"complete": 0}
    for b in city.BUILDINGS:
        expected[_first_gap(b) or "complete"] += 1
    assert gaps_by_level(small_city_conn) == expected
    assert expected["cadre"] == len(city.GAP_BUILDINGS)  # G2 has no cadre: more senior than its leaders
    tiles = {}
    for b in city.BUILDINGS:
        tile = responsibility_tile(small_city_conn, _tile_of(*city.centre(b), BUILDING_ZOOM + 1))
        tiles |= {f["id"]: f["properties"] for f in mapbox_vector_tile.decode(tile)["buildings"]["features"]}
    ids = dict(small_city_conn.execute(text("SELECT id, source_id FROM buildings")).all())
    for internal, props in tiles.items():
        first = _first_gap(ids[internal])
        assert props.get("first_gap") == (REQUIRED_CHAIN_LEVELS.index(first) if first else None)


def test_a_persons_buildings_are_those_their_assignments_reach(small_city_conn: Connection) -> None:
    ids = dict(small_city_conn.execute(text("SELECT id, source_id FROM buildings")).all())
    leader = person_buildings(small_city_conn, "sim-L1")
    assert leader is not None and leader.levels == ("building_leader",)
    assert sorted(ids[i] for i in leader.building_ids) == city.LEADERS["sim-L1"]
    assert set(leader.grids) == {"一网格", "二网格"} and leader.bounds is not None
    west, south, east, north = leader.bounds  # b01..b05: the southern row and b05 above b01
    assert (west, south) == pytest.approx(city.footprint("b01")[:2])
    assert (east, north) == pytest.approx((city.footprint("b04")[2], city.footprint("b05")[3]))
    social = person_buildings(small_city_conn, "sim-SW")  # assigned per grid: every building of both
    assert social is not None and len(social.building_ids) == len(city.BUILDINGS)
    assert person_buildings(small_city_conn, "nobody") is None
