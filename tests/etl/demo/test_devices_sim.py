"""The demo's device simulator (etl/demo/devices.py): realistic, valid streams for the given devices,
every message one the ingester accepts (geo.devices.payload), with fevers, doors and a silent device."""

from __future__ import annotations

import datetime as dt
import json

from etl.demo.devices import stream
from geo.devices.payload import Event, check_device, parse
from geo.vocab import CHINA_TZ

DEVICES = [(f"sim-{p}-{n}", t) for n in range(40) for p, t in (("D", "door_sensor"), ("T", "thermometer"))]


def test_the_simulated_streams_are_valid_and_realistic() -> None:
    sent: list[tuple[str, dict]] = []
    clock = iter(
        dt.datetime(2022, 4, 6, 6, 0, tzinfo=CHINA_TZ) + dt.timedelta(minutes=m) for m in range(1000)
    )
    counts = stream(
        DEVICES,
        minutes=60,
        rate=1,
        publish=lambda t, b: sent.append((t, b)),
        clock=lambda: next(clock),
        sleep=lambda _s: None,
    )
    kinds = dict(DEVICES)
    seqs: dict[str, list[int]] = {}
    temperatures = []
    for topic, body in sent:
        event = parse(
            topic,
            json.dumps(body).encode(),
            max_bytes=4096,
            now=dt.datetime(2030, 1, 1, tzinfo=CHINA_TZ),
            future_s=0,
        )
        assert isinstance(event, Event), (topic, body, event)
        assert check_device(event, kinds[event.device_code], topic, 0) is None
        seqs.setdefault(event.device_code, []).append(event.seq)
        if event.type == "temperature":
            temperatures.append(event.value)
    assert all(s == sorted(set(s)) for s in seqs.values())  # increasing, never repeated
    assert (
        min(len(s) for s in seqs.values()) == 30 and max(len(s) for s in seqs.values()) == 60
    )  # one went silent
    assert {"temperature", "door_open", "door_close", "heartbeat", "battery"} <= set(counts)
    fevers = [t for t in temperatures if t is not None and t >= 37.3]
    assert 0 < len(fevers) < len(temperatures) / 10
    assert 36.0 <= sorted(temperatures)[len(temperatures) // 2] <= 37.0
