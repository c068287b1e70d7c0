"""The real commands on the small city: `battlemap load devices`, `devices list|events|rollup|kpis`,
`alerts list`, with events and an alert stored through geo.devices at known times."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from geo.devices import alerts, store
from geo.devices.rules import default_rules
from geo.vocab import CHINA_TZ
from tests.fixtures.small_city import small_city_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
DEVICES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
NOW = dt.datetime.now(CHINA_TZ).replace(microsecond=0)


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def city(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with small_city_database(database_url, "devcli") as url:
        rejects = tmp_path_factory.mktemp("rejects") / "good.rejects.csv"
        loaded = _run("load", "devices", str(DEVICES / "good.csv"), "--rejects", str(rejects), url=url)
        assert loaded.returncode == 0, loaded.stderr
        engine = create_engine(url)
        with engine.begin() as conn:
            found = store.devices_by_code(conn)
            t = found["T-b09-1"]
            old = NOW - dt.timedelta(days=40)
            rows = [
                (t.id, 1, old, "temperature", 36.5),
                (t.id, 3, NOW, "temperature", 38.0),
                (t.id, 2, NOW - dt.timedelta(minutes=5), "temperature", 36.9),
            ]
            _, new = store.insert_events(conn, rows, fever_c=37.3)
            alerts.on_events(conn, new, {d.id: d for d in found.values()}, default_rules(), heard=[t.id])
        engine.dispose()
        yield url


def test_devices_list_json(city: str) -> None:
    done = _run("devices", "list", "--json", url=city)
    assert done.returncode == 0, done.stderr
    listed = {d["id"]: d for d in json.loads(done.stdout)}
    assert set(listed) == {"D-b09-1", "T-b09-1", "D-b01-1"}
    assert set(listed["T-b09-1"]) == {"id", "type", "household", "grid", "last_seen", "online"}
    assert listed["T-b09-1"]["online"] is True and listed["D-b09-1"]["online"] is False
    assert listed["T-b09-1"]["type"] == "thermometer" and listed["T-b09-1"]["grid"] == "G1"
    table = _run("devices", "list", url=city)
    assert "3 devices, 1 online" in table.stdout


def test_devices_events_in_seq_order_and_since(city: str) -> None:
    done = _run("devices", "events", "T-b09-1", "--json", url=city)
    assert [e["seq"] for e in json.loads(done.stdout)] == [1, 2, 3]  # stored 1, 3, 2: read in place
    since = (NOW - dt.timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M")
    recent = _run("devices", "events", "T-b09-1", "--since", since, "--json", url=city)
    assert [e["value"] for e in json.loads(recent.stdout)] == [36.9, 38.0]
    missing = _run("devices", "events", "NOPE", url=city)
    assert missing.returncode != 0 and "NOPE" in missing.stderr and "Traceback" not in missing.stderr


def test_alerts_list_by_state(city: str) -> None:
    done = _run("alerts", "list", "--state", "open", "--json", url=city)
    assert done.returncode == 0, done.stderr
    [alert] = json.loads(done.stdout)
    assert {"id", "kind", "device", "household", "opened", "state"} <= set(alert)
    assert (alert["kind"], alert["device"], alert["state"]) == ("fever", "T-b09-1", "open")
    assert json.loads(_run("alerts", "list", "--state", "closed", "--json", url=city).stdout) == []
    kpis = json.loads(_run("devices", "kpis", "--json", url=city).stdout)
    assert {"grid": "G1", "online": 1, "offline": 1, "open_alerts": 1} in kpis


def test_rollup_keeps_the_days_and_drops_the_raw_rows(city: str) -> None:
    done = _run("devices", "rollup", "--days", "30", url=city)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 raw events")
    events = json.loads(_run("devices", "events", "T-b09-1", "--json", url=city).stdout)
    assert [e["seq"] for e in events] == [2, 3]
    engine = create_engine(city)
    with engine.connect() as conn:
        daily = conn.execute(text("SELECT type, events, min_value FROM device_daily")).all()
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM device_events"))
    engine.dispose()
    assert [tuple(r) for r in daily] == [("temperature", 1, 36.5)]


def test_ingest_refuses_a_bad_url_in_one_line(city: str) -> None:
    done = _run("ingest", "mqtt", "--url", "http://example.org", url=city)
    assert done.returncode != 0 and "mqtt://" in done.stderr and "Traceback" not in done.stderr
