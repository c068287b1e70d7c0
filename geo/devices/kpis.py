"""What the map, the wall and the household card show of devices: online/offline devices and open
alerts per grid (one function, ``device_kpis``), and one household's devices (``household_devices``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.clock import china_now
from geo.devices.alerts import AlertView, list_alerts
from geo.devices.store import LAST_SEEN, device_rows, online_sql
from geo.loops.store import STATE_JOIN
from geo.scope import UNRESTRICTED, Scope


@dataclass(frozen=True)
class GridDevices:
    grid: str | None
    online: int
    offline: int
    open_alerts: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "grid": self.grid,
            "online": self.online,
            "offline": self.offline,
            "open_alerts": self.open_alerts,
        }


def device_kpis(
    conn: Connection, *, heartbeat_h: float, at: dt.datetime | None = None, scope: Scope = UNRESTRICTED
) -> list[GridDevices]:
    """Per grid (of the scope): devices online and offline at ``at`` (installed, not removed; online =
    heard within the offline rule's hours), and open device alerts."""
    at = at or china_now()
    rows = conn.execute(
        text(f"""
        WITH dev AS (
            SELECT b.grid_id, count(*) FILTER (WHERE {online_sql()}) AS online,
                   count(*) FILTER (WHERE NOT coalesce({online_sql()}, false)) AS offline, 0 AS open_alerts
            FROM devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id
            {LAST_SEEN}
            WHERE {scope.buildings("b")} AND d.installed_on <= CAST(:at AS timestamptz)::date
              AND (d.removed_on IS NULL OR d.removed_on > CAST(:at AS timestamptz)::date)
            GROUP BY b.grid_id
        ), al AS (
            SELECT b.grid_id, 0, 0, count(*) AS open_alerts
            FROM device_alerts a JOIN loop_items i ON i.id = a.loop_item_id {STATE_JOIN}
            JOIN buildings b ON b.id = i.building_id
            WHERE st.state = 'open' AND {scope.buildings("b")}
            GROUP BY b.grid_id
        )
        SELECT g.code, sum(x.online), sum(x.offline), sum(x.open_alerts)
        FROM (SELECT * FROM dev UNION ALL SELECT * FROM al) x LEFT JOIN grids g ON g.id = x.grid_id
        GROUP BY g.code ORDER BY g.code NULLS LAST"""),
        {"at": at, "heartbeat_h": heartbeat_h} | scope.params,
    )
    return [GridDevices(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]


@dataclass(frozen=True)
class HouseholdDevice:
    code: str
    type: str
    online: bool
    last_seen: dt.datetime | None
    last_reading: tuple[dt.datetime, float] | None
    last_door: tuple[dt.datetime, str] | None


@dataclass(frozen=True)
class HouseholdDevices:
    devices: list[HouseholdDevice]
    alerts: list[AlertView]


def household_devices(
    conn: Connection, household_id: int, *, heartbeat_h: float, at: dt.datetime | None = None
) -> HouseholdDevices:
    """The household's devices (online, last seen, last temperature, last door event) and its alert
    history, newest first."""
    at = at or china_now()
    found = []
    for r in device_rows(
        conn, at=at, heartbeat_h=heartbeat_h, where="d.household_id = :h", params={"h": household_id}
    ):
        reading = conn.execute(
            text("""SELECT ts, value FROM device_events WHERE device_id = :d AND type = 'temperature'
                    ORDER BY ts DESC LIMIT 1"""),
            {"d": r.id},
        ).first()
        door = conn.execute(
            text("""SELECT ts, type FROM device_events WHERE device_id = :d
                    AND type IN ('door_open', 'door_close') ORDER BY ts DESC LIMIT 1"""),
            {"d": r.id},
        ).first()
        found.append(
            HouseholdDevice(
                r.code,
                r.type,
                bool(r.online),
                r.last_seen,
                None if reading is None else (reading[0], float(reading[1])),
                None if door is None else (door[0], str(door[1])),
            )
        )
    return HouseholdDevices(found, list_alerts(conn, household_id=household_id, limit=50))
