"""The 居家隔离索引图 of a household: which households are isolated (status or open item), the guide's
five columns from the kind's YAML, and the item's progress on each step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from geo.audit import Actor
from geo.loops import engine
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.guide import GUIDE_FIELDS, isolated_households
from geo.loops.targets import Target
from geo.scope import Scope
from geo.vocab import CHINA_TZ

T0 = dt.datetime(2022, 4, 5, 9, 0, tzinfo=CHINA_TZ)
DAY = dt.date(2022, 4, 5)
CLI = LoopActor(role="cli", audit=Actor(name="cli:test", role="cli"))


def _id(conn: Connection, table: str, source_id: str) -> int:
    return int(
        conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


def test_the_isolated_household_and_its_guide(city_conn: Connection) -> None:
    household = _id(city_conn, "households", "h-b09-1")
    found = isolated_households(city_conn, date=DAY, at=T0)
    assert [h.household_id for h in found] == [household]
    only = found[0]
    assert (only.unit_label, only.grid, only.status, only.since) == (
        "101室",
        "G1",
        "home_isolation",
        dt.date(2022, 4, 2),
    )
    assert only.item_id is None and {s.state for s in only.steps} == {"none"}
    assert [s.code for s in only.steps] == [
        "screening", "on_site_confirmation", "daily_temperature", "devices_volunteers", "release"
    ]  # fmt: skip
    temperature = only.steps[2]
    assert [k for k, _, _ in GUIDE_FIELDS] == list(temperature.lines)
    assert temperature.lines["department"].zh == "社区卫生服务中心"
    assert "37.3" in temperature.lines["notes"].zh

    item, _ = engine.open_item(
        city_conn, CLI, kind="home_isolation", target=Target("household", household), at=T0
    )
    for step, sent in (
        ("screening", Submission(note="核实")),
        ("on_site_confirmation", Submission(note="在家", checks={"at_home": True, "notice_posted": True})),
        ("daily_temperature", Submission(reading=36.6)),
    ):
        engine.complete_step(city_conn, CLI, item.id, step, sent, at=T0)
    (after,) = isolated_households(city_conn, date=DAY, household_id=household, at=T0)
    assert after.item_id == item.id and after.item_state == "open"
    assert [s.state for s in after.steps] == ["done", "done", "running", "current", "todo"]
    assert after.steps[2].days == (DAY,)


def test_an_open_item_makes_a_household_isolated_and_the_area_limits(city_conn: Connection) -> None:
    other = _id(city_conn, "households", "h-b03-2")
    engine.open_item(city_conn, CLI, kind="home_isolation", target=Target("household", other), at=T0)
    g1 = int(city_conn.execute(text("SELECT id FROM grids WHERE code = 'G2'")).scalar_one())
    scope = Scope(grid_ids=frozenset({g1}), restricted=True)
    assert [h.household_id for h in isolated_households(city_conn, date=DAY, scope=scope, at=T0)] == [other]
    assert [h.grid for h in isolated_households(city_conn, date=DAY, grid="G1", at=T0)] == ["G1"]
    assert isolated_households(city_conn, date=DAY, scope=scope, grid="G1", at=T0) == []
