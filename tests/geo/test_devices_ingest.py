"""The device ingester against a real Mosquitto (its own, on a port of the worktree's range) and a
real PostGIS: bad input dead-lettered without a crash, kill -9 while devices publish, a broker
restart, the database cut under it (tests/tcp_proxy.py): every QoS 1 message stored exactly once."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.vocab import CHINA_TZ
from tests.devices_support import Broker, IngesterProcess, Publisher, broker, wait_for
from tests.fixtures.small_city import small_city_database
from tests.tcp_proxy import TcpProxy

DEVICES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[tuple[str, Engine]]:
    """The small city with the devices of tests/fixtures/devices/good.csv (D-b09-1, T-b09-1 on the
    home-isolated household h-b09-1; D-b01-1 removed 2022-04-10)."""
    with small_city_database(database_url, "devingest") as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            pipeline.load(conn, "devices", DEVICES / "good.csv", options=LoadOptions(progress=False))
        yield url, engine
        engine.dispose()


@pytest.fixture(scope="module")
def mosquitto() -> Iterator[Broker]:
    with broker() as found:
        yield found


def _now(minutes: float = 0) -> str:
    return (dt.datetime.now(CHINA_TZ) + dt.timedelta(minutes=minutes)).isoformat()


def _count(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def _events(engine: Engine, device: str) -> list[int]:
    with engine.connect() as conn:
        return [
            int(s)
            for (s,) in conn.execute(
                text("""SELECT e.seq FROM device_events e JOIN devices d ON d.id = e.device_id
                        WHERE d.source_id = :d ORDER BY e.seq"""),
                {"d": device},
            )
        ]


@pytest.fixture
def ingester(
    world: tuple[str, Engine], mosquitto: Broker, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[IngesterProcess]:
    url, _ = world
    process = IngesterProcess(
        url, mosquitto.url, f"bm-test-{os.getpid()}-{request.node.name[:30]}", tmp_path / "ingest.log"
    )
    process.start()
    yield process
    process.stop()
    log = process.output()
    assert "Traceback" not in log, log


def _subscribed(process: IngesterProcess) -> bool:
    return "subscribing to" in process.output()


def test_bad_input_is_dead_lettered_and_the_ingester_carries_on(
    world: tuple[str, Engine], mosquitto: Broker, ingester: IngesterProcess
) -> None:
    _, engine = world
    wait_for(lambda: _subscribed(ingester))
    before = _count(engine, "SELECT count(*) FROM device_dead_letters")
    publisher = Publisher(mosquitto.url, "bm-test-bad")
    topic = "battlemap/devices/T-b09-1/events"
    publisher.raw(topic, b"{not json")
    publisher.event("NO-SUCH-DEVICE", 1, _now(), "heartbeat")
    publisher.event("T-b09-1", 900, _now(minutes=24 * 60), "heartbeat")  # a day ahead
    publisher.event("T-b09-1", 901, _now(), "door_open")  # a thermometer has no door
    publisher.raw(topic, b'{"ts": "%s", "seq": 902, "type": "temperature", "value": "hot"}' % _now().encode())
    publisher.raw(topic, b'{"pad": "' + b"x" * 1_000_000 + b'"}')  # 1 MB
    publisher.event("T-b09-1", 903, _now(), "heartbeat")  # the good one after them all
    wait_for(lambda: 903 in _events(engine, "T-b09-1"))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT reason, topic, size, detail FROM device_dead_letters ORDER BY id OFFSET :n"),
            {"n": before},
        ).all()
    reasons = sorted(r.reason for r in rows)
    assert reasons == sorted(
        ["not_json", "unknown_device", "future_ts", "bad_field", "bad_field", "too_large"]
    )
    by_reason = {r.reason: r for r in rows}
    assert by_reason["too_large"].size > 1_000_000
    assert by_reason["unknown_device"].topic == "battlemap/devices/NO-SUCH-DEVICE/events"
    details = " ".join(r.detail or "" for r in rows)
    assert "field `value`" in details and "not sent by a thermometer" in details
    assert "hot" not in details and "xxx" not in details  # the payload itself is never kept
    assert ingester.alive()
    publisher.close()


def test_duplicates_ignored_and_out_of_order_stored_in_place(
    world: tuple[str, Engine], mosquitto: Broker, ingester: IngesterProcess
) -> None:
    _, engine = world
    wait_for(lambda: _subscribed(ingester))
    publisher = Publisher(mosquitto.url, "bm-test-order")
    for seq in (1003, 1001, 1003, 1002, 1001):
        publisher.event("D-b09-1", seq, _now(), "heartbeat")
    wait_for(lambda: {1001, 1002, 1003} <= set(_events(engine, "D-b09-1")))
    assert [s for s in _events(engine, "D-b09-1") if 1000 < s < 1100] == [1001, 1002, 1003]
    publisher.close()


def test_kill_9_while_devices_publish_then_restart_stores_every_message_once(
    world: tuple[str, Engine], mosquitto: Broker, tmp_path: Path
) -> None:
    url, engine = world
    process = IngesterProcess(url, mosquitto.url, f"bm-test-kill-{os.getpid()}", tmp_path / "kill.log")
    process.start()
    wait_for(lambda: _subscribed(process))
    publisher = Publisher(mosquitto.url, "bm-test-kill-pub")
    total, first = 3000, 20_000
    infos = []
    for n in range(total):
        infos.append(publisher.event("T-b09-1", first + n, _now(), "heartbeat", wait=False))
        if n == 1000:
            wait_for(lambda: len([s for s in _events(engine, "T-b09-1") if s >= first]) > 0)
            process.kill()  # mid-stream: some batches stored and acknowledged, some not
    for info in infos:
        info.wait_for_publish(timeout=20)
    stored_at_kill = len([s for s in _events(engine, "T-b09-1") if s >= first])
    assert 0 < stored_at_kill < total
    process.start()
    wait_for(lambda: len([s for s in _events(engine, "T-b09-1") if s >= first]) >= total, timeout=60)
    seqs = [s for s in _events(engine, "T-b09-1") if s >= first]
    assert seqs == list(range(first, first + total))  # each exactly once (the key would refuse twice)
    process.stop()
    publisher.close()
    assert "Traceback" not in process.output()


def test_a_broker_restart_reconnects_by_itself(
    world: tuple[str, Engine], mosquitto: Broker, ingester: IngesterProcess
) -> None:
    _, engine = world
    wait_for(lambda: _subscribed(ingester))
    publisher = Publisher(mosquitto.url, "bm-test-restart-pub")
    publisher.event("D-b09-1", 5001, _now(), "heartbeat")
    wait_for(lambda: 5001 in _events(engine, "D-b09-1"))
    publisher.close()
    mosquitto.restart(down_s=2)
    wait_for(lambda: ingester.output().count("subscribing to") >= 2, timeout=60)
    assert "connection lost" in ingester.output()
    publisher = Publisher(mosquitto.url, "bm-test-restart-pub2")
    publisher.event("D-b09-1", 5002, _now(), "heartbeat")
    wait_for(lambda: 5002 in _events(engine, "D-b09-1"), timeout=60)
    assert ingester.alive()
    publisher.close()


def test_the_database_down_means_no_ack_and_nothing_lost(
    world: tuple[str, Engine], mosquitto: Broker, tmp_path: Path
) -> None:
    url, engine = world
    real = make_url(url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    process = IngesterProcess(
        via_proxy,
        mosquitto.url,
        f"bm-test-dbdown-{os.getpid()}",
        tmp_path / "db.log",
        BATTLEMAP_CONNECT_TIMEOUT_S="2",
    )
    process.start()
    try:
        wait_for(lambda: _subscribed(process))
        publisher = Publisher(mosquitto.url, "bm-test-dbdown-pub")
        publisher.event("D-b09-1", 7000, _now(), "heartbeat")
        wait_for(lambda: 7000 in _events(engine, "D-b09-1"))
        proxy.cut()
        for seq in range(7001, 7201):
            publisher.event("D-b09-1", seq, _now(), "heartbeat")
        wait_for(lambda: "database unavailable" in process.output(), timeout=30)
        assert [s for s in _events(engine, "D-b09-1") if s > 7000] == []
        proxy.restore()
        wait_for(lambda: len([s for s in _events(engine, "D-b09-1") if s > 7000]) == 200, timeout=60)
        assert [s for s in _events(engine, "D-b09-1") if s > 7000] == list(range(7001, 7201))
        assert process.alive()
        publisher.close()
    finally:
        process.stop()
        proxy.close()
    assert "Traceback" not in process.output()
