"""What one MQTT message of a device says, checked before anything is stored.

Topic ``battlemap/devices/<device_id>/events``; payload JSON
``{"ts": ISO-8601 with offset, "seq": int, "type": "door_open"|"door_close"|"temperature"|"heartbeat"|
"battery", "value": number|null}``. A message that is not that becomes a :class:`DeadLetter` with a
reason and a detail naming the field, never the value (a payload may carry anything).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

EVENT_TYPES: tuple[str, ...] = ("door_open", "door_close", "temperature", "heartbeat", "battery")
DEVICE_TYPES: tuple[str, ...] = ("door_sensor", "thermometer")
SENT_BY: dict[str, frozenset[str]] = {
    "door_sensor": frozenset({"door_open", "door_close", "heartbeat", "battery"}),
    "thermometer": frozenset({"temperature", "heartbeat", "battery"}),
}
"""Which event types each device type sends; another type from it is dead-lettered."""
TEMPERATURE_RANGE = (30.0, 45.0)
"""A body temperature outside this (°C) is a faulty reading, dead-lettered."""
SEQ_MAX = 2**62
DETAIL_MAX = 200
TOPIC_MAX = 200


@dataclass(frozen=True, slots=True)
class Event:
    """A well-formed reading of device ``device_code``."""

    device_code: str
    seq: int
    ts: dt.datetime
    type: str
    value: float | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that could not be stored: why, on which topic, how large; ``detail`` names the field."""

    reason: str
    topic: str
    size: int
    detail: str | None = None
    device_code: str | None = None


def device_of_topic(topic: str) -> str | None:
    """The ``<device_id>`` of ``battlemap/devices/<device_id>/events`` (any prefix before ``devices``)."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[-1] != "events" or parts[-3] != "devices":
        return None
    code = parts[-2]
    if not code or len(code) > 64 or not code.isprintable():
        return None
    return code


def parse(
    topic: str, payload: bytes | bytearray, *, max_bytes: int, now: dt.datetime, future_s: float
) -> Event | DeadLetter:
    """The event in ``payload``, or why it is dead.

    Checks in order: size (a payload over ``max_bytes`` is not read), topic, JSON, fields, types,
    time (``ts`` more than ``future_s`` seconds after ``now`` is refused). Whether the device is
    registered, and sends this type, is the caller's check (``check_device``).
    """
    size = len(payload)
    shown_topic = topic[:TOPIC_MAX]
    if size > max_bytes:
        return DeadLetter("too_large", shown_topic, size, f"payload over {max_bytes} bytes")
    code = device_of_topic(topic)
    if code is None:
        return DeadLetter("bad_topic", shown_topic, size, "expected battlemap/devices/<device_id>/events")
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return DeadLetter("not_json", shown_topic, size, "payload is not UTF-8 JSON", code)
    if not isinstance(body, dict):
        return DeadLetter("not_json", shown_topic, size, "payload is JSON but not an object", code)
    problem = _field_problem(body)
    if problem is not None:
        return DeadLetter("bad_field", shown_topic, size, problem[:DETAIL_MAX], code)
    ts = dt.datetime.fromisoformat(body["ts"])
    if ts > now + dt.timedelta(seconds=future_s):
        return DeadLetter(
            "future_ts", shown_topic, size, "ts lies in the future beyond the allowed skew", code
        )
    value = body.get("value")
    return Event(code, int(body["seq"]), ts, body["type"], None if value is None else float(value))


def _field_problem(body: dict) -> str | None:
    """What is wrong with the fields (naming the field and what was expected), None when all is well."""
    for name in ("ts", "seq", "type"):
        if name not in body:
            return f"field `{name}` is missing"
    ts = body["ts"]
    if not isinstance(ts, str) or len(ts) > 40:
        return "field `ts` must be an ISO-8601 string with an offset"
    try:
        parsed = dt.datetime.fromisoformat(ts)
    except ValueError:
        return "field `ts` is not ISO-8601 (e.g. 2022-04-05T09:12:00+08:00)"
    if parsed.tzinfo is None:
        return "field `ts` needs an offset (e.g. +08:00)"
    seq = body["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < SEQ_MAX:
        return "field `seq` must be a non-negative integer"
    kind = body["type"]
    if kind not in EVENT_TYPES:
        return f"field `type` must be one of {', '.join(EVENT_TYPES)}"
    value = body.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return "field `value` must be a number or null"
    if value is not None and not math.isfinite(value):
        return "field `value` must be a finite number"
    if kind in ("temperature", "battery") and value is None:
        return f"field `value` is required for type {kind}"
    if value is None:
        return None
    if kind == "temperature" and not TEMPERATURE_RANGE[0] <= value <= TEMPERATURE_RANGE[1]:
        lo, hi = TEMPERATURE_RANGE
        return f"field `value` of a temperature must lie within {lo}..{hi} °C"
    if kind == "battery" and not 0 <= value <= 100:
        return "field `value` of a battery event must be a percentage 0..100"
    return None


def check_device(event: Event, device_type: str, topic: str, size: int) -> DeadLetter | None:
    """A dead letter when a device of ``device_type`` does not send ``event.type``."""
    if event.type in SENT_BY[device_type]:
        return None
    return DeadLetter(
        "bad_field",
        topic[:TOPIC_MAX],
        size,
        f"field `type` {event.type} is not sent by a {device_type}",
        event.device_code,
    )
