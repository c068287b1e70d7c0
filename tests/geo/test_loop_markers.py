"""Loop work on the commander's map (geo.loops.summary, geo.tiles.loops_tile) and the day a house-status
map opens on (geo.status.activity), on the small city: the panel's sums are the API's counts, the
marker tiles carry counts and kinds only, keep to the scope and change version with every write."""

from __future__ import annotations

import datetime as dt
import math

import mapbox_vector_tile
from sqlalchemy import Connection, text

from geo.audit import Actor
from geo.loops import engine
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.kinds import default_kinds
from geo.loops.summary import MINUTES_KEPT, map_version, summary
from geo.loops.targets import Target
from geo.scope import UNRESTRICTED, Scope
from geo.status.activity import activity_by_day, opening_day
from geo.tiles import LOOP_AREAS_LAYER, LOOPS_LAYER, TileAddress, loops_tile
from geo.vocab import CHINA_TZ
from tests.fixtures.small_city import centre

NOW = dt.datetime(2022, 4, 5, 12, 0, tzinfo=CHINA_TZ)
CLI = LoopActor(role="cli", audit=Actor(name="cli:test", role="cli"))
NOTE = "楼道堆物无人清理"


def _building(conn: Connection, source_id: str) -> int:
    return int(
        conn.execute(text("SELECT id FROM buildings WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


def _grid_scope(conn: Connection, code: str) -> Scope:
    grid = int(conn.execute(text("SELECT id FROM grids WHERE code = :c"), {"c": code}).scalar_one())
    return Scope(grid_ids=frozenset({grid}), restricted=True)


def _open(conn: Connection, building: str, at: dt.datetime) -> int:
    target = Target("building", id=_building(conn, building))
    item, _ = engine.open_item(conn, CLI, kind="problem_report", target=target, note=NOTE, at=at)
    return item.id


def _tile_at(building: str, z: int) -> TileAddress:
    lon, lat = centre(building)
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return TileAddress(z, x, y)


def _features(tile: bytes, layer: str) -> dict[int, dict]:
    decoded = mapbox_vector_tile.decode(tile)
    return {int(f["id"]): f["properties"] for f in decoded.get(layer, {}).get("features", [])}


def test_the_summary_sums_the_api_counts_per_kind_and_grid(city_conn: Connection) -> None:
    late = _open(city_conn, "b07", NOW - dt.timedelta(hours=3))
    _open(city_conn, "b08", NOW)
    _open(city_conn, "b02", NOW)
    engine.complete_step(city_conn, CLI, late, "response", Submission(), at=NOW)
    rows = engine.counts(city_conn, UNRESTRICTED, at=NOW + dt.timedelta(minutes=90))
    found = summary(city_conn, UNRESTRICTED, kinds=default_kinds(), at=NOW + dt.timedelta(minutes=90))
    assert [k.key for k in found.by_kind] == list(default_kinds())
    assert found.total.open == sum(r.open for r in rows) == 3
    # b08 and b02 were opened at NOW: their 1 h response is overdue at NOW + 90 min; b07 answered.
    assert found.total.overdue == sum(r.overdue for r in rows) == 2
    problem = next(k for k in found.by_kind if k.key == "problem_report")
    assert (problem.open, problem.overdue, problem.closed_today) == (3, 2, 0)
    grids = {g.key: (g.open, g.overdue) for g in found.by_grid}
    assert grids == {"G1": (1, 1), "G2": (2, 1)}
    names = dict(city_conn.execute(text("SELECT code, name FROM grids")).all())
    assert {g.key: g.name for g in found.by_grid} == {code: names[code] for code in grids}
    mine = summary(city_conn, _grid_scope(city_conn, "G1"), kinds=default_kinds(), at=NOW)
    assert (mine.total.open, [g.key for g in mine.by_grid]) == (1, ["G1"])


def test_marker_tiles_carry_counts_and_kinds_only_and_keep_to_the_scope(city_conn: Connection) -> None:
    late = _open(city_conn, "b07", NOW - dt.timedelta(hours=3))
    _open(city_conn, "b07", NOW)
    _open(city_conn, "b02", NOW)
    b07, b02 = _building(city_conn, "b07"), _building(city_conn, "b02")
    tile = loops_tile(city_conn, _tile_at("b07", 16), at=NOW)
    features = _features(tile, LOOPS_LAYER)
    assert features[b07] == {"open": 2, "overdue": 1, "kinds": "problem_report"}
    assert _features(loops_tile(city_conn, _tile_at("b02", 16), at=NOW), LOOPS_LAYER)[b02]["overdue"] == 0
    assert NOTE.encode() not in tile and b"sim-L" not in tile
    g2 = loops_tile(city_conn, _tile_at("b07", 16), at=NOW, scope=_grid_scope(city_conn, "G2"))
    assert set(_features(g2, LOOPS_LAYER)) == {b07}
    # Below grid zoom: one point per grid, over all its items.
    grids = _features(loops_tile(city_conn, _tile_at("b07", 11), at=NOW), LOOP_AREAS_LAYER)
    assert sorted((p["open"], p["overdue"]) for p in grids.values()) == [(1, 0), (2, 1)]
    # Closing the overdue one's first step: no longer overdue, one item less overdue in the tile.
    engine.complete_step(city_conn, CLI, late, "response", Submission(), at=NOW)
    after = _features(loops_tile(city_conn, _tile_at("b07", 16), at=NOW), LOOPS_LAYER)
    assert after[b07] == {"open": 2, "overdue": 0, "kinds": "problem_report"}


def test_the_map_version_moves_with_every_write_and_every_minute(city_conn: Connection) -> None:
    before = map_version(city_conn, at=NOW)
    assert map_version(city_conn, at=NOW + dt.timedelta(seconds=30)) == before
    assert map_version(city_conn, at=NOW + dt.timedelta(minutes=1)) == before + 1
    item = _open(city_conn, "b08", NOW)
    opened = map_version(city_conn, at=NOW)
    assert opened > before and opened % MINUTES_KEPT == before % MINUTES_KEPT
    engine.complete_step(city_conn, CLI, item, "response", Submission(), at=NOW)
    assert map_version(city_conn, at=NOW) > opened
    assert len(str(map_version(city_conn))) <= 19  # a tile URL's ``v``


def test_the_map_opens_on_the_latest_day_with_cases(city_conn: Connection) -> None:
    today = dt.date(2026, 12, 4)
    activity = activity_by_day(city_conn, dt.date(2022, 4, 1), dt.date(2022, 4, 4))
    # h-b01-1 is confirmed from 04-03 (its close contact is not a case).
    assert activity == {
        dt.date(2022, 4, 1): 0,
        dt.date(2022, 4, 2): 0,
        dt.date(2022, 4, 3): 1,
        dt.date(2022, 4, 4): 1,
    }
    opening = opening_day(city_conn, today=today)
    assert (opening.day, opening.busiest, opening.reason) == (dt.date(2022, 4, 4),) * 2 + ("active_last",)
    # G2 never had a case: it opens on the last day and says the history is quiet.
    quiet = opening_day(city_conn, scope=_grid_scope(city_conn, "G2"), today=today)
    assert (quiet.day, quiet.busiest, quiet.reason) == (dt.date(2022, 4, 4), None, "quiet")
    # A later quiet stretch of history: the map opens on the last day with a case.
    city_conn.execute(
        text("""UPDATE house_status s SET valid_to = DATE '2022-04-05', declared_to = DATE '2022-04-05'
                FROM households h WHERE h.id = s.household_id AND h.source_id = 'h-b01-1'""")
    )
    city_conn.execute(
        text("""INSERT INTO house_status (household_id, status, valid_from, source, source_id, loaded_at)
                SELECT h.id, 'health_monitoring', DATE '2022-04-09', 'test', 'quiet-1', now()
                FROM households h WHERE h.source_id = 'h-b03-1'""")
    )
    later = opening_day(city_conn, today=today)
    assert (later.first, later.last) == (dt.date(2022, 4, 1), dt.date(2022, 4, 9))
    assert (later.day, later.latest_active, later.reason) == (dt.date(2022, 4, 4),) * 2 + ("quiet_after",)
