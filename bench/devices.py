"""Device ingest benchmark: a fleet of simulated devices over a real Mosquitto into PostGIS.

``python -m bench.devices [--devices N] [--burst B] [--minutes M] [--baseline K] [--database URL]``
builds the small test city in a scratch database (beside the one ``--database`` names), registers N
devices (20,000 by default) on its households, starts a Mosquitto of its own (port 8138) and
``battlemap ingest mqtt`` as a subprocess, then measures

- the store path alone, in the same run: K events (default 20,000) row by row (one INSERT each, the
  baseline) against the batched insert the ingester uses (one INSERT … SELECT FROM unnest per batch):
  msgs/s and the ratio;
- a burst: B messages (default 50,000) published while the ingester is stopped (queued by the broker
  for its persistent session), then the ingester started: msgs/s from start to the last row stored
  (goal >= 5,000);
- steady state: every device publishing one message a minute for M minutes (default 10), with a
  fever reading of the home-isolated household's thermometer every 2 s: publish -> alert row latency
  p50/p95 (goal p95 < 2 s) and the ingester's resident memory each 10 s (goal: flat).

It prints one JSON line per measure and writes them to bench/out/devices.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text

from geo.devices import store
from geo.vocab import CHINA_TZ
from tests.devices_support import Broker, IngesterProcess, Publisher, wait_for
from tests.fixtures.small_city import small_city_database

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/battlemap"


def _emit(results: list[dict], **fields: object) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)
    results.append(dict(fields))


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def register(url: str, n: int) -> None:
    """N devices on the city's households, round robin: thermometers and door sensors alternately."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO devices (source_id, type, household_id, installed_on, source)
            SELECT 'B' || g, CASE WHEN g % 2 = 0 THEN 'thermometer' ELSE 'door_sensor' END,
                   h.id, DATE '2022-04-01', 'bench'
            FROM generate_series(0, :n - 1) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM households) h
              ON h.k = g % (SELECT count(*) FROM households)"""),
            {"n": n},
        )
        conn.execute(
            text("""INSERT INTO devices (source_id, type, household_id, installed_on, source)
                    SELECT 'FEVER', 'thermometer', id, DATE '2022-04-01', 'bench' FROM households
                    WHERE source_id = 'h-b09-1'""")
        )
    engine.dispose()


def baseline(url: str, k: int, results: list[dict]) -> None:
    """Row-by-row against batched inserts of the same K events, each in one transaction."""
    engine = create_engine(url)
    now = dt.datetime.now(CHINA_TZ)
    with engine.connect() as conn:
        ids = [int(i) for (i,) in conn.execute(text("SELECT id FROM devices ORDER BY id LIMIT 1000"))]
    rows = [(ids[n % len(ids)], 10_000_000 + n, now, "heartbeat", None) for n in range(k)]
    with engine.connect() as conn:  # each measured inside one transaction, rolled back after
        started = time.perf_counter()
        for row in rows:
            store.insert_event_row_by_row(conn, row)
        slow = time.perf_counter() - started
        conn.rollback()
        started = time.perf_counter()
        for at in range(0, k, 2000):
            store.insert_events(conn, rows[at : at + 2000])
        fast = time.perf_counter() - started
        conn.rollback()
    engine.dispose()
    _emit(
        results,
        measure="store_path",
        events=k,
        row_by_row_msgs_s=round(k / slow),
        batched_msgs_s=round(k / fast),
        ratio=round(slow / fast, 1),
        load_average=round(os.getloadavg()[0], 1),
    )


def burst(url: str, broker: Broker, n_devices: int, b: int, workdir: Path, results: list[dict]) -> None:
    engine = create_engine(url)
    process = IngesterProcess(
        url, broker.url, "bench-ingest", workdir / "ingest.log", BATTLEMAP_MQTT_BATCH_MS="100"
    )
    process.start()  # once, to create the persistent session and its subscription
    wait_for(lambda: "subscribing to" in process.output())
    process.stop()
    publisher = Publisher(broker.url, "bench-burst-pub")
    now = dt.datetime.now(CHINA_TZ).isoformat()
    started = time.perf_counter()
    infos = [
        publisher.event(f"B{n % n_devices}", 20_000_000 + n, now, "heartbeat", wait=False) for n in range(b)
    ]
    for info in infos:
        info.wait_for_publish(timeout=60)
    published = time.perf_counter() - started
    publisher.close()

    def stored() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(text("SELECT count(*) FROM device_events WHERE seq >= 20000000")).scalar_one()
            )

    started = time.perf_counter()
    process.start()
    wait_for(lambda: stored() > 0, timeout=120, every=0.02)
    first_row = time.perf_counter()
    wait_for(lambda: stored() >= b, timeout=600, every=0.05)
    took = time.perf_counter() - started
    flowing = time.perf_counter() - first_row
    process.stop()
    engine.dispose()
    _emit(
        results,
        measure="burst",
        messages=b,
        publish_msgs_s=round(b / published),
        ingest_s=round(took, 2),
        ingest_msgs_s=round(b / took),
        startup_s=round(took - flowing, 2),
        ingest_msgs_s_after_first_row=round(b / flowing),
        load_average=round(os.getloadavg()[0], 1),
        goal_msgs_s=5000,
    )


def steady(
    url: str, broker: Broker, n_devices: int, minutes: float, workdir: Path, results: list[dict]
) -> None:
    """Every device once a minute, spread evenly; a fever every 2 s; latency and memory."""
    engine = create_engine(url)
    process = IngesterProcess(url, broker.url, "bench-ingest", workdir / "steady.log")
    process.start()
    wait_for(lambda: "subscribing to" in process.output())
    assert process.process is not None
    pid = process.process.pid
    publisher = Publisher(broker.url, "bench-steady-pub")
    fever_pub = Publisher(broker.url, "bench-fever-pub")
    stop = threading.Event()
    latencies: list[float] = []
    memory: list[tuple[float, int]] = []
    seq0 = 30_000_000

    def fevers() -> None:
        n = 0
        while not stop.is_set():
            seq = 90_000_000 + n
            sent = time.perf_counter()
            fever_pub.event("FEVER", seq, dt.datetime.now(CHINA_TZ).isoformat(), "temperature", 38.5)
            with engine.connect() as conn:
                while not stop.is_set():
                    found = conn.execute(
                        text("SELECT 1 FROM device_alert_events WHERE seq = :s"), {"s": seq}
                    ).first()
                    conn.commit()
                    if found:
                        latencies.append(time.perf_counter() - sent)
                        break
                    time.sleep(0.01)
            n += 1
            stop.wait(2)

    thread = threading.Thread(target=fevers, daemon=True)
    thread.start()
    rate = n_devices / 60.0
    started = time.perf_counter()
    sent = 0
    next_memory = started
    while (elapsed := time.perf_counter() - started) < minutes * 60:
        due = int(elapsed * rate)
        now = dt.datetime.now(CHINA_TZ).isoformat()
        while sent < due:
            publisher.event(f"B{sent % n_devices}", seq0 + sent, now, "heartbeat", wait=False)
            sent += 1
        if time.perf_counter() >= next_memory:
            memory.append((round(elapsed), _rss_kb(pid)))
            next_memory += 10
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    wait_for(lambda: _count(engine, seq0) >= sent, timeout=120)
    process.stop()
    publisher.close()
    fever_pub.close()
    engine.dispose()
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)] if ordered else None
    _emit(
        results,
        measure="steady",
        devices=n_devices,
        minutes=minutes,
        messages=sent,
        msgs_s=round(sent / (minutes * 60), 1),
        fevers=len(latencies),
        alert_latency_p50_s=round(statistics.median(ordered), 3) if ordered else None,
        alert_latency_p95_s=None if p95 is None else round(p95, 3),
        goal_p95_s=2.0,
        rss_kb_first=memory[0][1] if memory else None,
        rss_kb_last=memory[-1][1] if memory else None,
        rss_kb_max=max(m for _, m in memory) if memory else None,
        rss_kb_series=memory,
    )


def _count(engine: object, seq0: int) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(
            conn.execute(
                text("SELECT count(*) FROM device_events WHERE seq >= :a AND seq < 90000000"), {"a": seq0}
            ).scalar_one()
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.devices", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--burst", type=int, default=50_000)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--baseline", type=int, default=20_000)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args(argv)
    results: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="bm-bench-devices-"))
    with small_city_database(args.database, f"benchdev{os.getpid()}") as url:
        register(url, args.devices)
        baseline(url, args.baseline, results)
        broker = Broker()
        try:
            burst(url, broker, args.devices, args.burst, workdir, results)
            steady(url, broker, args.devices, args.minutes, workdir, results)
        finally:
            broker.close()
    OUT.mkdir(exist_ok=True)
    (OUT / "devices.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
