"""The SQL of devices, in one place: registered devices, the append-only events (one row per device
and seq: a duplicate delivery is ignored, an out-of-order one is stored and read in its place), dead
letters, what a device last said, and the retention roll-up into ``device_daily``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.devices.payload import DeadLetter


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    code: str
    type: str
    household_id: int
    installed_on: dt.date
    removed_on: dt.date | None

    def active_on(self, day: dt.date) -> bool:
        return self.installed_on <= day and (self.removed_on is None or day < self.removed_on)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: ``id`` is None for the baseline writer, which does not read it back."""

    id: int | None
    device_id: int
    seq: int
    ts: dt.datetime
    type: str
    value: float | None


_DEVICE_COLUMNS = "d.id, d.source_id AS code, d.type, d.household_id, d.installed_on, d.removed_on"


def devices_by_code(conn: Connection, codes: Sequence[str] | None = None) -> dict[str, Device]:
    """Registered devices by their device id (all of them, or those of ``codes``)."""
    where = "true" if codes is None else "d.source_id = ANY(CAST(:codes AS text[]))"
    rows = conn.execute(text(f"SELECT {_DEVICE_COLUMNS} FROM devices d WHERE {where}"), {"codes": codes})
    return {r.code: Device(*r) for r in rows}


def insert_events(
    conn: Connection,
    rows: Sequence[tuple[int, int, dt.datetime, str, float | None]],
    *,
    source: str = "device",
    fever_c: float | None = None,
) -> tuple[int, list[StoredEvent]]:
    """Store ``(device id, seq, ts, type, value)`` rows in one statement: (how many were new, the new
    rows the event rules look at). A repeated (device, seq) is a duplicate delivery: ignored, neither
    counted nor returned. Heartbeats and normal temperatures (below ``fever_c``; all of them when
    None) are counted but not read back, so a burst costs one round trip per batch, not per row."""
    if not rows:
        return 0, []
    devices, seqs, tss, types, values = (list(column) for column in zip(*rows, strict=True))
    result = conn.execute(
        text("""
        WITH ins AS (
            INSERT INTO device_events (device_id, seq, ts, type, value, source)
            SELECT d, s, t, ty, v, :source FROM unnest(CAST(:d AS bigint[]), CAST(:s AS bigint[]),
                CAST(:t AS timestamptz[]), CAST(:ty AS text[]), CAST(:v AS float8[])) AS x(d, s, t, ty, v)
            ON CONFLICT (device_id, seq) DO NOTHING
            RETURNING id, device_id, seq, ts, type, value
        ), n AS (SELECT count(*) AS n FROM ins)
        SELECT n.n, i.id, i.device_id, i.seq, i.ts, i.type, i.value FROM n
        LEFT JOIN ins i ON i.type IN ('door_open', 'door_close', 'battery')
            OR (i.type = 'temperature' AND i.value >= coalesce(CAST(:fever AS float8), i.value))"""),
        {"d": devices, "s": seqs, "t": tss, "ty": types, "v": values, "source": source, "fever": fever_c},
    ).all()
    new = int(result[0][0])
    return new, [StoredEvent(*r[1:]) for r in result if r[1] is not None]


def insert_event_row_by_row(conn: Connection, row: tuple[int, int, dt.datetime, str, float | None]) -> bool:
    """One event in one statement (the benchmark's baseline); False for a duplicate."""
    found = conn.execute(
        text("""INSERT INTO device_events (device_id, seq, ts, type, value) VALUES (:d, :s, :t, :ty, :v)
                ON CONFLICT (device_id, seq) DO NOTHING RETURNING id"""),
        dict(zip(("d", "s", "t", "ty", "v"), row, strict=True)),
    ).first()
    return found is not None


def insert_dead_letters(conn: Connection, letters: Sequence[DeadLetter]) -> None:
    if not letters:
        return
    conn.execute(
        text("""INSERT INTO device_dead_letters (reason, topic, size, detail)
                SELECT * FROM unnest(CAST(:r AS text[]), CAST(:t AS text[]), CAST(:s AS int[]),
                                     CAST(:d AS text[]))"""),
        {
            "r": [x.reason for x in letters],
            "t": [x.topic for x in letters],
            "s": [x.size for x in letters],
            "d": [x.detail for x in letters],
        },
    )


def dead_letter_counts(conn: Connection, *, since: dt.datetime | None = None) -> dict[str, int]:
    rows = conn.execute(
        text("""SELECT reason, count(*) FROM device_dead_letters
                WHERE CAST(:since AS timestamptz) IS NULL OR received_at >= :since GROUP BY reason"""),
        {"since": since},
    )
    return {r[0]: int(r[1]) for r in rows}


LAST_SEEN = """
    LEFT JOIN LATERAL (SELECT e.ts AS last_ts FROM device_events e WHERE e.device_id = d.id
                       ORDER BY e.ts DESC LIMIT 1) ls ON true
    LEFT JOIN LATERAL (SELECT max(dd.last_ts) AS rolled_ts FROM device_daily dd WHERE dd.device_id = d.id) lr
        ON ls.last_ts IS NULL"""
"""Gives device ``d`` ``coalesce(ls.last_ts, lr.rolled_ts)``: when it was last heard (raw or rolled up)."""


def online_sql(hours: str = ":heartbeat_h") -> str:
    """THE rule "a device is online at :at": heard within the offline rule's hours (and not removed)."""
    return (
        "(coalesce(ls.last_ts, lr.rolled_ts) >= "
        f"CAST(:at AS timestamptz) - make_interval(secs => {hours} * 3600)"
        " AND (d.removed_on IS NULL OR d.removed_on > CAST(:at AS timestamptz)::date))"
    )


def device_rows(
    conn: Connection,
    *,
    at: dt.datetime,
    heartbeat_h: float,
    where: str = "true",
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Devices (``where`` over ``d``, household ``h``, building ``b``, grid ``g``), last seen, online."""
    return list(
        conn.execute(
            text(f"""
            SELECT {_DEVICE_COLUMNS}, h.building_id, g.code AS grid_code,
                   coalesce(ls.last_ts, lr.rolled_ts) AS last_seen, {online_sql()} AS online
            FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id
            LEFT JOIN grids g ON g.id = b.grid_id
            {LAST_SEEN}
            WHERE {where} ORDER BY d.source_id"""),
            {"at": at, "heartbeat_h": heartbeat_h} | (params or {}),
        )
    )


def event_rows(
    conn: Connection, device_id: int, *, since: dt.datetime | None = None, limit: int = 10_000
) -> list[Any]:
    """Device ``device_id``'s raw events in their order (seq), from ``since`` on."""
    return list(
        conn.execute(
            text("""SELECT seq, ts, type, value, received_at, source FROM device_events
                    WHERE device_id = :d AND (CAST(:since AS timestamptz) IS NULL OR ts >= :since)
                    ORDER BY seq LIMIT :limit"""),
            {"d": device_id, "since": since, "limit": limit},
        )
    )


def roll_up(conn: Connection, *, before: dt.datetime) -> tuple[int, int]:
    """Roll the raw events older than ``before`` up per device, China day and type into
    ``device_daily`` (adding to a day rolled up before), then delete them; (events, day rows)."""
    conn.execute(text("SET LOCAL battlemap.rollup = 'on'"))
    days = conn.execute(
        text("""
        WITH gone AS (
            DELETE FROM device_events WHERE ts < :before
            RETURNING device_id, ts, type, value
        ), daily AS (
            SELECT device_id, (ts AT TIME ZONE 'Asia/Shanghai')::date AS day, type, count(*) AS events,
                   min(value) AS mn, max(value) AS mx, avg(value) AS av, min(ts) AS f, max(ts) AS l
            FROM gone GROUP BY 1, 2, 3
        ), up AS (
            INSERT INTO device_daily AS x (device_id, day, type, events, min_value, max_value, avg_value,
                                           first_ts, last_ts)
            SELECT * FROM daily
            ON CONFLICT (device_id, day, type) DO UPDATE SET
                avg_value = (x.avg_value * x.events + EXCLUDED.avg_value * EXCLUDED.events)
                            / (x.events + EXCLUDED.events),
                events = x.events + EXCLUDED.events,
                min_value = least(x.min_value, EXCLUDED.min_value),
                max_value = greatest(x.max_value, EXCLUDED.max_value),
                first_ts = least(x.first_ts, EXCLUDED.first_ts),
                last_ts = greatest(x.last_ts, EXCLUDED.last_ts)
            RETURNING events
        )
        SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM up)"""),
        {"before": before},
    ).one()
    conn.execute(text("SET LOCAL battlemap.rollup = 'off'"))
    return int(days[0]), int(days[1])
