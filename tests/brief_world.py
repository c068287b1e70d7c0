"""The world of the daily-brief tests: the small city (tests/fixtures/small_city.py) plus, committed,
three risk areas (one declared on the brief's day, one lifted on it, one going on), closed-loop items
(two overdue now, one not) and the flow fixtures' transfers moved to the brief's day.

On ``DAY`` (2022-04-04, the status history's last day) the brief therefore has something in every
section; each test compares it with what the pages and routes give for the same day and area.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, create_engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.audit import Actor
from geo.campaign.store import add_campaign
from geo.clock import china_now
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.targets import Target
from geo.risk.declare import declare_and_store
from geo.risk.store import lift_risk_area
from geo.vocab import CHINA_TZ
from tests.fixtures.databases import sibling_url, throwaway_database
from tests.fixtures.small_city import centre, load_small_city

DAY = dt.date(2022, 4, 4)
CAMPAIGN = "测试疫苗"
FLOWS = Path(__file__).resolve().parent / "fixtures" / "flows"
CLI = Actor(name="cli:test", role="cli")


def _id(engine: Engine, table: str, source_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
        )


def load_brief_world(engine: Engine, tmp: Path) -> None:
    load_small_city(engine)
    with engine.begin() as conn:
        noon = dt.time(12, 0)
        going = declare_and_store(
            conn,
            [centre("b01")],
            actor=CLI,
            date=DAY - dt.timedelta(days=1),
            name="东方路1号（持续）",
            now=dt.datetime.combine(DAY - dt.timedelta(days=1), noon, CHINA_TZ),
        )
        lifted = declare_and_store(
            conn,
            [centre("b12")],
            actor=CLI,
            date=DAY - dt.timedelta(days=2),
            name="银城路2号（解除）",
            now=dt.datetime.combine(DAY - dt.timedelta(days=2), noon, CHINA_TZ),
        )
        lift_risk_area(conn, lifted.area_id, at=dt.datetime.combine(DAY, dt.time(10, 0), CHINA_TZ))
        declare_and_store(
            conn,
            [centre("b09")],
            actor=CLI,
            date=DAY,
            name="陆家嘴环路3号（新增）",
            level="high",
            now=dt.datetime.combine(DAY, dt.time(9, 30), CHINA_TZ),
        )
        assert going.area_id
        actor = LoopActor(role="cli", audit=CLI)
        long_ago = china_now() - dt.timedelta(days=2)
        for household, at in (("h-b09-1", long_ago), ("h-b12-1", long_ago), ("h-b06-2", china_now())):
            loops.open_item(
                conn,
                actor,
                kind="home_isolation",
                target=Target("household", _id_in(conn, "households", household)),
                at=at,
            )
        moved = (FLOWS / "transfers.csv").read_text(encoding="utf-8").replace("2022-04-10", DAY.isoformat())
        (tmp / "transfers.csv").write_text(moved, encoding="utf-8")
        for kind, path in (("places", FLOWS / "places.csv"), ("transfers", tmp / "transfers.csv")):
            options = LoadOptions(progress=False, rejects_path=tmp / f"{kind}.rejects.csv")
            pipeline.load(conn, kind, path, options=options)
        # A vaccination campaign the sub-district is behind on: 2 a day against about 3.5 needed.
        unit = conn.execute(text("SELECT id FROM admin_units WHERE name = '陆家嘴街道'")).scalar_one()
        add_campaign(
            conn, CAMPAIGN, start=DAY - dt.timedelta(days=6), deadline=DAY + dt.timedelta(days=26),
            targets=[(int(unit), 100)], source="test",
        )  # fmt: skip
        reports = pd.DataFrame(
            [("陆家嘴街道", (DAY - dt.timedelta(days=n)).isoformat(), 5, 4, 2) for n in range(7)],
            columns=["unit", "date", "organised", "booked", "vaccinated"],
        )
        pipeline.load(conn, "vaccination", FrameSource(reports, name="vaccination.test"),
                      options=LoadOptions(progress=False))  # fmt: skip


def _id_in(conn, table: str, source_id: str) -> int:  # type: ignore[no-untyped-def]
    return int(
        conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


@contextmanager
def brief_world_database(base_url: str, tmp: Path) -> Iterator[str]:
    """A throwaway database beside ``base_url``'s holding the brief world; dropped after."""
    with throwaway_database(sibling_url(base_url, "brief")) as url:
        engine = create_engine(url)
        try:
            load_brief_world(engine, tmp)
        finally:
            engine.dispose()
        yield url
