"""What a device message says, checked before anything is stored: each bad kind gets its reason and a
detail naming the field, never the value; the rules file is validated with a clear error."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from geo.devices.payload import DeadLetter, Event, check_device, device_of_topic, parse
from geo.devices.rules import default_rules, load_rules
from geo.errors import ConfigError
from geo.vocab import CHINA_TZ

NOW = dt.datetime(2022, 4, 6, 9, 0, tzinfo=CHINA_TZ)
TOPIC = "battlemap/devices/T-1/events"


def _parse(payload: bytes | dict, topic: str = TOPIC) -> Event | DeadLetter:
    raw = json.dumps(payload).encode() if isinstance(payload, dict) else payload
    return parse(topic, raw, max_bytes=4096, now=NOW, future_s=600)


def test_a_good_message() -> None:
    found = _parse({"ts": "2022-04-06T08:59:00+08:00", "seq": 7, "type": "temperature", "value": 36.6})
    assert found == Event("T-1", 7, dt.datetime(2022, 4, 6, 8, 59, tzinfo=CHINA_TZ), "temperature", 36.6)


@pytest.mark.parametrize(
    ("payload", "topic", "reason", "detail"),
    [
        (b"x" * 5000, TOPIC, "too_large", "payload over 4096 bytes"),
        (b"{}", "battlemap/other/T-1", "bad_topic", "battlemap/devices/<device_id>/events"),
        (b"{not json", TOPIC, "not_json", "not UTF-8 JSON"),
        (b"[1, 2]", TOPIC, "not_json", "not an object"),
        (b"\xff\xfe", TOPIC, "not_json", "not UTF-8 JSON"),
        ({"seq": 1, "type": "heartbeat"}, TOPIC, "bad_field", "field `ts` is missing"),
        ({"ts": "2022-04-06 09:00", "seq": 1, "type": "heartbeat"}, TOPIC, "bad_field", "needs an offset"),
        ({"ts": "yesterday", "seq": 1, "type": "heartbeat"}, TOPIC, "bad_field", "not ISO-8601"),
        ({"ts": "2022-04-06T09:00+08:00", "seq": -1, "type": "heartbeat"}, TOPIC, "bad_field", "`seq`"),
        ({"ts": "2022-04-06T09:00+08:00", "seq": 1.5, "type": "heartbeat"}, TOPIC, "bad_field", "`seq`"),
        ({"ts": "2022-04-06T09:00+08:00", "seq": 1, "type": "smoke"}, TOPIC, "bad_field", "`type` must be"),
        (
            {"ts": "2022-04-06T09:00+08:00", "seq": 1, "type": "temperature", "value": "hot"},
            TOPIC,
            "bad_field",
            "`value` must be a number",
        ),
        (
            {"ts": "2022-04-06T09:00+08:00", "seq": 1, "type": "temperature", "value": 80},
            TOPIC,
            "bad_field",
            "30.0..45.0",
        ),
        ({"ts": "2022-04-06T09:00+08:00", "seq": 1, "type": "temperature"}, TOPIC, "bad_field", "required"),
        (
            {"ts": "2022-04-06T09:00+08:00", "seq": 1, "type": "battery", "value": 140},
            TOPIC,
            "bad_field",
            "0..100",
        ),
        ({"ts": "2022-04-07T09:00+08:00", "seq": 1, "type": "heartbeat"}, TOPIC, "future_ts", "future"),
    ],
)
def test_each_bad_kind_is_a_dead_letter_naming_the_field(
    payload: bytes | dict, topic: str, reason: str, detail: str
) -> None:
    found = _parse(payload, topic)
    assert isinstance(found, DeadLetter), found
    assert found.reason == reason and detail in (found.detail or ""), found
    assert "hot" not in (found.detail or "") and "xxx" not in (found.detail or "")
    assert found.size == len(payload if isinstance(payload, bytes) else json.dumps(payload).encode())


def test_a_type_the_device_does_not_send() -> None:
    event = Event("T-1", 1, NOW, "door_open", None)
    assert check_device(event, "door_sensor", TOPIC, 10) is None
    letter = check_device(event, "thermometer", TOPIC, 10)
    assert (
        letter is not None
        and letter.reason == "bad_field"
        and "not sent by a thermometer" in (letter.detail or "")
    )


def test_device_ids_from_topics() -> None:
    assert device_of_topic("battlemap/devices/sim-T-12/events") == "sim-T-12"
    assert device_of_topic("battlemap/devices//events") is None
    assert device_of_topic("battlemap/devices/x/status") is None


def test_the_shipped_rules_and_a_bad_file(tmp_path: Path) -> None:
    rules = default_rules()
    assert rules.fever.min_c == 37.3 and rules.monitored_statuses == ("home_isolation",)
    assert rules.door.allowed_at(NOW.replace(hour=8)) and not rules.door.allowed_at(NOW.replace(hour=3))
    bad = tmp_path / "rules.yaml"
    bad.write_text("fever: {min_c: 50}\ndoor: {allowed_windows: ['9-8']}\nmonitored_statuses: [holiday]\n")
    with pytest.raises(ConfigError) as error:
        load_rules(bad)
    message = str(error.value)
    assert (
        str(bad) in message
        and "fever.min_c" in message
        and "allowed_windows" in message
        and "holiday" in message
    )
