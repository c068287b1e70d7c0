"""Device alert rules on the small city: a fever opens one isolation_alert item on the household
(assigned along the chain), more readings update it, never a second; a door opened outside the
windows and closed within minutes resolves by rule; the time rules (offline, missed readings, door
left open) raise once; a fever published over MQTT reaches the G1 worker's GET /api/v1/loops."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from dashboards import _api, _auth, _loops_api
from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.devices import alerts, kpis, store
from geo.devices.rules import default_rules
from geo.devices.sweep import sweep
from geo.settings import Settings
from geo.vocab import CHINA_TZ
from tests.auth_support import bearer_client_class, token_for
from tests.devices_support import IngesterProcess, Publisher, broker, wait_for
from tests.fixtures.small_city import small_city_database

DEVICES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
NOW = dt.datetime.now(CHINA_TZ).replace(microsecond=0)
NIGHT = NOW.replace(hour=3, minute=0, second=0)  # outside every door window
if NIGHT > NOW:
    NIGHT -= dt.timedelta(days=1)


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[tuple[str, Engine]]:
    with small_city_database(database_url, "devalerts") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            pipeline.load(conn, "devices", DEVICES / "good.csv", options=LoadOptions(progress=False))
        yield url, engine
        engine.dispose()


@pytest.fixture
def conn(world: tuple[str, Engine]) -> Iterator[Connection]:
    with world[1].connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _store(conn: Connection, device: str, rows: list[tuple[int, dt.datetime, str, float | None]]) -> list:
    found = store.devices_by_code(conn)
    d = found[device]
    _, new = store.insert_events(conn, [(d.id, s, ts, ty, v) for s, ts, ty, v in rows], fever_c=37.3)
    by_id = {x.id: x for x in found.values()}
    return alerts.on_events(conn, new, by_id, default_rules(), heard=[d.id], at=NOW)


def _item(conn: Connection, item_id: int) -> tuple[str, str, str | None, int]:
    row = conn.execute(
        text("""SELECT i.kind, t.to_state, p.code, i.version FROM loop_items i
                JOIN loop_transitions t ON t.item_id = i.id AND t.seq = i.version
                LEFT JOIN people p ON p.id = t.assignee_person_id WHERE i.id = :id"""),
        {"id": item_id},
    ).one()
    return row[0], row[1], row[2], int(row[3])


def test_a_fever_opens_one_item_and_later_readings_update_it(conn: Connection) -> None:
    first = _store(conn, "T-b09-1", [(1, NOW - dt.timedelta(minutes=30), "temperature", 36.6)])
    assert first == []  # a normal reading raises nothing
    raised = _store(conn, "T-b09-1", [(2, NOW - dt.timedelta(minutes=20), "temperature", 38.1)])
    assert [r.created for r in raised] == [True]
    kind, state, assignee, _ = _item(conn, raised[0].item_id)
    assert (kind, state, assignee) == ("isolation_alert", "open", "sim-L2")  # b09's building leader
    again = _store(
        conn,
        "T-b09-1",
        [
            (3, NOW - dt.timedelta(minutes=10), "temperature", 38.4),
            (2, NOW - dt.timedelta(minutes=20), "temperature", 38.1),
        ],
    )  # + a duplicate
    assert [(r.created, r.item_id) for r in again] == [(False, raised[0].item_id)]
    listed = alerts.list_alerts(conn, state="open")
    assert [(a.kind, a.device, a.triggers) for a in listed] == [("fever", "T-b09-1", 2)]
    assert conn.execute(text("SELECT count(*) FROM device_alert_events")).scalar_one() == 2
    grid = {k.grid: k for k in kpis.device_kpis(conn, heartbeat_h=6, at=NOW)}
    assert grid["G1"].open_alerts == 1 and grid["G1"].online == 1  # the thermometer spoke; D-b09-1 did not


def test_within_the_status_history_only_isolated_households_raise_alerts(conn: Connection) -> None:
    # The history ends 2022-04-04: on that day h-b09-1 is in home isolation, h-b01-2 a close contact.
    # Past the end (today) the installed devices say who is watched.
    household = conn.execute(text("SELECT id FROM households WHERE source_id = 'h-b01-2'")).scalar_one()
    conn.execute(
        text(
            "INSERT INTO devices (source_id, type, household_id, installed_on, source) "
            "VALUES ('T-x', 'thermometer', :h, '2022-04-01', 'test')"
        ),
        {"h": household},
    )
    day = dt.datetime(2022, 4, 4, 10, 0, tzinfo=CHINA_TZ)
    assert _store(conn, "T-x", [(1, day, "temperature", 39.0)]) == []
    assert [r.created for r in _store(conn, "T-b09-1", [(1, day, "temperature", 39.0)])] == [True]
    assert [r.created for r in _store(conn, "T-x", [(2, NOW, "temperature", 39.0)])] == [True]


def test_a_door_opened_at_night_and_closed_within_minutes_resolves_with_a_note(conn: Connection) -> None:
    raised = _store(conn, "D-b09-1", [(1, NIGHT, "door_open", None)])
    assert [r.created for r in raised] == [True]
    assert _store(conn, "D-b09-1", [(2, NIGHT + dt.timedelta(minutes=3), "door_close", None)]) == []
    _, state, _, version = _item(conn, raised[0].item_id)
    assert (state, version) == ("closed", 2)
    note = conn.execute(
        text("SELECT note FROM loop_transitions WHERE item_id = :i AND seq = 2"), {"i": raised[0].item_id}
    ).scalar_one()
    assert note == "door closed again after 3 min: resolved by rule"
    # the next opening at night is a new alert (the last one is closed)
    later = _store(conn, "D-b09-1", [(3, NIGHT + dt.timedelta(minutes=30), "door_open", None)])
    assert [r.created for r in later] == [True] and later[0].item_id != raised[0].item_id


def test_a_door_opened_in_a_delivery_window_raises_nothing(conn: Connection) -> None:
    window = NOW.replace(hour=8, minute=0, second=0)
    assert _store(conn, "D-b09-1", [(1, window, "door_open", None)]) == []


def test_time_rules_raise_once(conn: Connection) -> None:
    old = NOW - dt.timedelta(hours=9)
    _store(conn, "D-b09-1", [(1, old, "door_open", None)])  # opened at 9 h ago, left open, then silent
    _store(conn, "T-b09-1", [(1, old, "temperature", 36.5)])
    raised = sweep(conn, default_rules(), at=NOW)
    kinds = sorted(a.kind for a in alerts.list_alerts(conn, state="open"))
    assert kinds == ["door", "missed_reading", "offline"]  # door: outside windows at 9 h ago, or left open
    assert sum(r.created for r in raised) >= 2
    again = sweep(conn, default_rules(), at=NOW + dt.timedelta(minutes=1))
    assert again == []
    assert sorted(a.kind for a in alerts.list_alerts(conn, state="open")) == kinds
    # the device heard again: its offline alert resolves by rule
    _store(conn, "D-b09-1", [(2, NOW, "heartbeat", None)])
    closed = [a.kind for a in alerts.list_alerts(conn, state="closed")]
    assert "offline" in closed


def test_a_low_battery_raises_a_maintenance_alert(conn: Connection) -> None:
    raised = _store(conn, "D-b09-1", [(1, NOW, "battery", 12.0)])
    assert [a.kind for a in alerts.list_alerts(conn)] == ["battery"] and raised[0].created


def test_a_published_fever_reaches_the_workers_loop_list_within_seconds(
    world: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = world
    server = flask.Flask(__name__)
    settings = Settings(_env_file=None, database={"url": url})
    api = _api.make_spec()
    _loops_api.register(server, api, engine, settings)
    _api.register(server, api)
    _auth.install(server, engine, settings)
    server.test_client_class = bearer_client_class(
        token_for(engine, "dev-worker-g1", role="worker", grids=["G1"])
    )
    worker = server.test_client()
    with broker() as mosquitto:
        process = IngesterProcess(url, mosquitto.url, f"bm-test-fever-{os.getpid()}", tmp_path / "fever.log")
        process.start()
        try:
            wait_for(lambda: "subscribing to" in process.output())
            publisher = Publisher(mosquitto.url, "bm-test-fever-pub")
            sent = time.monotonic()
            publisher.event("T-b09-1", 42_000, dt.datetime.now(CHINA_TZ).isoformat(), "temperature", 38.6)

            def alert_listed() -> list:
                answer = worker.get("/api/v1/loops?kind=isolation_alert&state=open")
                assert answer.status_code == 200, answer.get_json()
                return answer.get_json()["items"]

            items = wait_for(alert_listed, timeout=10)
            took = time.monotonic() - sent
            publisher.close()
        finally:
            process.stop()
    assert took < 5, took
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    assert item["kind"] == "isolation_alert" and item["assignee"]["code"] == "sim-L2"
    assert "38.6" in (item.get("note") or "")
    assert "Traceback" not in process.output()


def test_the_building_card_shows_devices_last_reading_door_and_alert_history(conn: Connection) -> None:
    from dashboards._building_card import device_section
    from geo.card import building_card

    later = NOW + dt.timedelta(minutes=30)  # after the MQTT test's reading, which is committed
    _store(conn, "T-b09-1", [(1, later, "temperature", 38.2)])
    _store(conn, "D-b09-1", [(1, NOW.replace(hour=8, minute=15, second=0), "door_open", None)])
    b09 = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b09'")).scalar_one()
    card = building_card(conn, b09, date=NOW.date(), heartbeat_h=6)
    [(_household, unit, fitted)] = card.devices
    assert unit == "101室"
    by_code = {d.code: d for d in fitted.devices}
    assert by_code["T-b09-1"].last_reading == (later, 38.2)
    assert by_code["D-b09-1"].last_door is not None and by_code["D-b09-1"].last_door[1] == "door_open"
    assert [(a.kind, a.state) for a in fitted.alerts] == [("fever", "open")]
    text_ = str(device_section(card, "en"))
    assert "Thermometer T-b09-1" in text_ and "38.2 °C" in text_ and "door opened" in text_
    assert "fever · open" in text_
