"""The time rules of home-isolation devices, run every minute by the ingester (and by
``battlemap devices check``): no heartbeat for N hours (device offline), readings missing on an
isolation day, a door left open longer than N minutes. Each finding raises its alert once
(``raise_alert(once=True)``): a second sweep that sees the same thing changes nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from geo.clock import china_now
from geo.devices.alerts import Raised, Trigger, monitored, raise_alert
from geo.devices.rules import Rules
from geo.vocab import CHINA_TZ

_FINDINGS = """
WITH active AS (
    SELECT d.id, d.source_id, d.type, d.household_id,
           CAST(d.installed_on AS timestamp) AT TIME ZONE 'Asia/Shanghai' AS since
    FROM devices d WHERE d.installed_on <= :day AND (d.removed_on IS NULL OR d.removed_on > :day)
), last_any AS (
    SELECT a.id, a.source_id, a.household_id, a.since, x.seq, x.ts FROM active a
    LEFT JOIN LATERAL (SELECT e.seq, e.ts FROM device_events e WHERE e.device_id = a.id
                       ORDER BY e.ts DESC, e.seq DESC LIMIT 1) x ON true
), last_temp AS (
    SELECT a.id, a.source_id, a.household_id, a.since, x.seq, x.ts FROM active a
    LEFT JOIN LATERAL (SELECT e.seq, e.ts FROM device_events e WHERE e.device_id = a.id
                       AND e.type = 'temperature' ORDER BY e.ts DESC, e.seq DESC LIMIT 1) x ON true
    WHERE a.type = 'thermometer'
), last_door AS (
    SELECT a.id, a.source_id, a.household_id, x.seq, x.ts, x.type FROM active a
    JOIN LATERAL (SELECT e.seq, e.ts, e.type FROM device_events e WHERE e.device_id = a.id
                  AND e.type IN ('door_open', 'door_close') ORDER BY e.ts DESC, e.seq DESC LIMIT 1) x ON true
    WHERE a.type = 'door_sensor'
)
SELECT 'offline' AS kind, id, source_id, household_id, seq, coalesce(ts, since) AS ts FROM last_any
WHERE coalesce(ts, since) < CAST(:at AS timestamptz) - make_interval(secs => :offline_s)
UNION ALL
SELECT 'missed_reading', id, source_id, household_id, seq, coalesce(ts, since) FROM last_temp
WHERE coalesce(ts, since) < CAST(:at AS timestamptz) - make_interval(secs => :missed_s)
UNION ALL
SELECT 'door', id, source_id, household_id, seq, ts FROM last_door
WHERE type = 'door_open' AND ts < CAST(:at AS timestamptz) - make_interval(secs => :door_s)
"""


def sweep(
    conn: Connection, rules: Rules, *, at: dt.datetime | None = None, source: str = "device"
) -> list[Raised]:
    """Raise the alerts the time rules find at ``at`` for the active devices of monitored households."""
    at = at or china_now()
    day = at.astimezone(CHINA_TZ).date()
    rows = conn.execute(
        text(_FINDINGS),
        {
            "at": at,
            "day": day,
            "offline_s": rules.offline.heartbeat_h * 3600,
            "missed_s": rules.missed_reading.after.total_seconds(),
            "door_s": rules.door.open_max_min * 60,
        },
    ).all()
    watched = monitored(conn, {r.household_id for r in rows}, day, rules)
    raised = []
    for r in rows:
        if r.household_id not in watched:
            continue
        if r.kind == "offline":
            note = f"device {r.source_id} not heard for over {rules.offline.heartbeat_h:g} h"
        elif r.kind == "missed_reading":
            missed = rules.missed_reading
            note = (
                f"thermometer {r.source_id}: {missed.missed} readings missing (every {missed.interval_h:g} h)"
            )
        else:
            note = f"door left open over {rules.door.open_max_min:g} min (device {r.source_id})"
        trigger = Trigger(int(r.id), r.ts, note, None if r.seq is None else int(r.seq))
        done = raise_alert(
            conn,
            kind=r.kind,
            household_id=int(r.household_id),
            trigger=trigger,
            source=source,
            at=at,
            once=True,
        )
        if done is not None:
            raised.append(done)
    return raised
