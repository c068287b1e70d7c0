"""Simulated home-isolation devices for the demo (``source = 'simulated'``): a smart door sensor and a
thermometer for each household of the demo's latest home isolations (the history's last such day),
installed today so that a vendor's test message works at once; and a simulator that publishes
realistic streams for them (``battlemap demo devices``).

The streams: temperatures on a diurnal curve (lowest before dawn, highest late afternoon) with a few
fevers; door openings in the delivery windows and now and then outside them, one door left open;
heartbeats and battery levels; one device falling silent half way. Sequence numbers start at the
publish time in milliseconds, so a second run never repeats one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo.clock import china_now, china_today
from geo.status.rule import household_statuses, status_params

DEMO_DEVICE_LIMIT = 200
"""At most this many isolated households get devices (two each)."""


def devices_frame(conn: Connection, *, limit: int = DEMO_DEVICE_LIMIT) -> pd.DataFrame:
    """Door sensor ``sim-D-<household>`` and thermometer ``sim-T-<household>`` for the households in
    home isolation on the last day the status history has any (the latest isolations), installed
    today: past the history's end the devices say who is watched (``geo.devices.alerts.monitored``)."""
    last = conn.execute(
        text(
            "SELECT max(coalesce(valid_to - 1, valid_from)) FROM house_status WHERE status = 'home_isolation'"
        )
    ).scalar()
    if last is None:
        return pd.DataFrame(columns=["device_id", "type", "household", "installed"])
    sql = f"""SELECT x.household_id, h.source_id FROM ({household_statuses()}) x
              JOIN households h ON h.id = x.household_id
              WHERE x.status = 'home_isolation' ORDER BY x.household_id LIMIT :limit"""
    rows = conn.execute(text(sql), status_params(min(last, china_today())) | {"limit": limit}).all()
    today = china_today().isoformat()
    records = []
    for household_id, source_id in rows:
        for prefix, kind in (("D", "door_sensor"), ("T", "thermometer")):
            records.append(
                {
                    "device_id": f"sim-{prefix}-{household_id}",
                    "type": kind,
                    "household": source_id,
                    "installed": today,
                }
            )
    return pd.DataFrame.from_records(records, columns=["device_id", "type", "household", "installed"])


def demo_devices(conn: Connection) -> list[tuple[str, str]]:
    """(device id, type) of the demo's simulated devices."""
    rows = conn.execute(
        text("SELECT source_id, type FROM devices WHERE source = 'simulated' ORDER BY source_id")
    )
    return [(str(a), str(b)) for a, b in rows]


def stream(
    devices: list[tuple[str, str]],
    *,
    minutes: float,
    rate: float,
    publish: Callable[[str, dict], None],
    seed: int = 20220406,
    clock: Callable[[], dt.datetime] = china_now,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Publish ``rate`` messages a minute per device for ``minutes`` (real time); returns counts by type."""
    rng = np.random.default_rng(seed)
    fevers = (
        set(rng.choice(len(devices), size=max(1, len(devices) // 20), replace=False).tolist())
        if devices
        else set()
    )
    silent = int(rng.integers(len(devices))) if devices else -1
    left_open = int(rng.integers(len(devices))) if devices else -1
    seq0 = int(time.time() * 1000)
    counts: dict[str, int] = {}
    door_open: dict[int, bool] = {}
    ticks = max(1, int(minutes * rate))
    for tick in range(ticks):
        now = clock()
        for n, (code, kind) in enumerate(devices):
            if n == silent and tick >= ticks // 2:
                continue
            body = _reading(
                kind, n, tick, now, rng, fever=n in fevers, door_open=door_open, left_open=n == left_open
            )
            body["seq"] = seq0 + tick * 10 + 1
            publish(f"battlemap/devices/{code}/events", body)
            counts[body["type"]] = counts.get(body["type"], 0) + 1
        if tick < ticks - 1:
            sleep(60.0 / rate)
    return counts


def _reading(
    kind: str,
    n: int,
    tick: int,
    now: dt.datetime,
    rng: np.random.Generator,
    *,
    fever: bool,
    door_open: dict[int, bool],
    left_open: bool,
) -> dict:
    ts = now.isoformat()
    if tick % 30 == 29:
        return {
            "ts": ts,
            "type": "battery",
            "value": round(float(rng.uniform(8 if n % 25 == 0 else 40, 100))),
        }
    if kind == "thermometer":
        hour = now.hour + now.minute / 60
        base = 36.55 + 0.3 * math.sin((hour - 10) / 24 * 2 * math.pi) + float(rng.normal(0, 0.08))
        if fever and tick % 5 == 2:
            base = float(rng.uniform(37.5, 39.0))
        return {"ts": ts, "type": "temperature", "value": round(base, 1)}
    is_open = door_open.get(n, False)
    if is_open and not left_open:
        door_open[n] = False
        return {"ts": ts, "type": "door_close", "value": None}
    if not is_open and rng.random() < 0.08:
        door_open[n] = True
        return {"ts": ts, "type": "door_open", "value": None}
    return {"ts": ts, "type": "heartbeat", "value": None}


def publisher(
    url: str, client_id: str = "battlemap-demo-devices"
) -> tuple[Callable[[str, dict], None], Callable[[], None]]:
    """A QoS 1 publish function on the broker ``url`` and its closer."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from etl.ingest import broker_address

    address = broker_address(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.max_inflight_messages_set(1000)
    client.connect(address.host, address.port)
    client.loop_start()
    pending: list = []

    def publish(topic: str, body: dict) -> None:
        pending.append(client.publish(topic, json.dumps(body), qos=1))
        if len(pending) > 5000:
            for info in pending:
                info.wait_for_publish(timeout=30)
            pending.clear()

    def close() -> None:
        for info in pending:
            info.wait_for_publish(timeout=30)
        client.loop_stop()
        client.disconnect()

    return publish, close
