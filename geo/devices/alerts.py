"""Device alerts as loop items: a rule that fires opens an item of the ``isolation_alert`` loop on the
household (assigned along the responsibility chain by the loop engine), or, while one of the same
kind is open for that household, updates it (the triggering event is attached, never a second item).
An alert's state is its item's: it closes when the worker completes the item, or by rule (a door
closed again within minutes, an offline device heard again) with a note.

``on_events`` applies the event rules to a batch of newly stored events, in the ingester's
transaction; the time rules (offline, missed readings, a door left open) are ``geo.devices.sweep``'s.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.audit import Actor
from geo.clock import china_now
from geo.devices.rules import ALERT_LOOP_KIND, Rules
from geo.devices.store import Device, StoredEvent
from geo.errors import InvalidTransition
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.store import STATE_JOIN
from geo.loops.targets import Target
from geo.status.read import status_dates
from geo.status.rule import household_statuses, status_params
from geo.vocab import CHINA_TZ

logger = logging.getLogger(__name__)

SYSTEM = LoopActor(role="cli", audit=Actor(name="system:devices", role="cli"))
"""Who opens and closes alert items by rule."""
_LOCK_SPACE = 14_014
"""The advisory-lock space of "one open alert per household and kind"."""


@dataclass(frozen=True, slots=True)
class Trigger:
    """What made an alert fire: a stored event (``seq`` set), or a time rule's finding (``seq`` of the
    last event heard, if any). ``note`` says which rule, without personal data."""

    device_id: int | None
    ts: dt.datetime
    note: str
    seq: int | None = None
    type: str | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class Raised:
    alert_id: int
    item_id: int
    created: bool


@dataclass(frozen=True, slots=True)
class OpenAlert:
    alert_id: int
    item_id: int
    kind: str
    household_id: int
    device_id: int | None
    last_door_open: dt.datetime | None


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def open_alerts(conn: Connection, household_ids: Iterable[int]) -> dict[tuple[int, str], OpenAlert]:
    """The open alerts of ``household_ids`` by (household, kind), with the time of a door alert's
    latest door opening."""
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    rows = conn.execute(
        text(f"""
        SELECT a.id, a.loop_item_id, a.kind, a.household_id, a.device_id,
               (SELECT max(e.ts) FROM device_alert_events e WHERE e.alert_id = a.id AND e.type = 'door_open')
        FROM device_alerts a JOIN loop_items i ON i.id = a.loop_item_id {STATE_JOIN}
        WHERE a.household_id = ANY(CAST(:ids AS bigint[])) AND st.state = 'open'"""),
        {"ids": ids},
    )
    return {(r[3], r[2]): OpenAlert(*r) for r in rows}


def monitored(conn: Connection, household_ids: Iterable[int], day: dt.date, rules: Rules) -> set[int]:
    """Those of ``household_ids`` that are watched on ``day``: within the loaded status history, those
    whose house status that day is monitored (home isolation; THE status rule of ``geo.status.rule``).
    Past the history's last day it says nothing, and a device's installation period is what is known
    (devices are fitted for the isolation and removed at release, 解除): every one of them is watched.
    The callers check that the device is installed that day."""
    ids = sorted(set(household_ids))
    if not ids:
        return set()
    known = status_dates(conn)
    if known is None or day > known[1]:
        return set(ids)
    chosen = household_statuses("h.id = ANY(CAST(:ids AS bigint[]))", lookup=True)
    sql = f"SELECT household_id, status FROM ({chosen}) x"
    rows = conn.execute(text(sql), status_params(day) | {"ids": ids})
    return {int(r[0]) for r in rows if r[1] in rules.monitored_statuses}


def raise_alert(
    conn: Connection,
    *,
    kind: str,
    household_id: int,
    trigger: Trigger,
    source: str = "device",
    at: dt.datetime | None = None,
    once: bool = False,
) -> Raised | None:
    """Open an alert of ``kind`` for the household (a new loop item) or update the open one (the
    trigger attached). With ``once`` a trigger already attached (same device, seq and note) changes
    nothing and None is returned: the time rules re-run every minute."""
    at = at or china_now()
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
        {"space": _LOCK_SPACE, "key": f"{household_id}:{kind}"},
    )
    found = open_alerts(conn, [household_id]).get((household_id, kind))
    if found is not None:
        if once and _attached(conn, found.alert_id, trigger):
            return None
        conn.execute(
            text(
                "UPDATE device_alerts SET last_at = greatest(last_at, :at), triggers = triggers + 1 "
                "WHERE id = :id"
            ),
            {"id": found.alert_id, "at": at},
        )
        _attach(conn, found.alert_id, trigger)
        return Raised(found.alert_id, found.item_id, False)
    item, _ = loops.open_item(
        conn,
        SYSTEM,
        kind=ALERT_LOOP_KIND,
        target=Target("household", household_id),
        note=f"{kind}: {trigger.note}",
        source=source[:20],
        at=at,
    )
    alert_id = int(
        conn.execute(
            text("""INSERT INTO device_alerts (kind, household_id, device_id, loop_item_id, opened_at,
                                               last_at)
                    VALUES (:kind, :h, :d, :item, :at, :at) RETURNING id"""),
            {"kind": kind, "h": household_id, "d": trigger.device_id, "item": item.id, "at": at},
        ).scalar_one()
    )
    _attach(conn, alert_id, trigger)
    logger.info(
        "device alert %s opened: kind %s, household %s, loop item %s", alert_id, kind, household_id, item.id
    )
    return Raised(alert_id, item.id, True)


def _attached(conn: Connection, alert_id: int, trigger: Trigger) -> bool:
    return bool(
        conn.execute(
            text("""SELECT EXISTS (SELECT 1 FROM device_alert_events WHERE alert_id = :a
                    AND device_id IS NOT DISTINCT FROM CAST(:d AS bigint)
                    AND seq IS NOT DISTINCT FROM CAST(:s AS bigint) AND note = :n)"""),
            {"a": alert_id, "d": trigger.device_id, "s": trigger.seq, "n": trigger.note[:200]},
        ).scalar()
    )


def _attach(conn: Connection, alert_id: int, trigger: Trigger) -> None:
    conn.execute(
        text("""INSERT INTO device_alert_events (alert_id, device_id, seq, ts, type, value, note)
                VALUES (:a, :d, :s, :ts, :ty, :v, :n)"""),
        {
            "a": alert_id,
            "d": trigger.device_id,
            "s": trigger.seq,
            "ts": trigger.ts,
            "ty": trigger.type,
            "v": trigger.value,
            "n": trigger.note[:200],
        },
    )


def resolve(conn: Connection, alert: OpenAlert, note: str, *, at: dt.datetime | None = None) -> bool:
    """Close the alert's item by rule with ``note``; False when someone closed it meanwhile."""
    item = loops.get_item(conn, SYSTEM, alert.item_id)
    if item.state != "open" or item.step is None:
        return False
    try:
        loops.complete_step(
            conn, SYSTEM, alert.item_id, item.step, Submission(note=note), at=at or china_now()
        )
    except InvalidTransition:
        return False
    logger.info("device alert %s resolved by rule", alert.alert_id)
    return True


def _candidate(event: StoredEvent, rules: Rules) -> str | None:
    """The alert kind an event may raise on its own (before the household's status is known)."""
    if event.type == "temperature" and event.value is not None and event.value >= rules.fever.min_c:
        return "fever"
    if event.type == "door_open" and not rules.door.allowed_at(event.ts):
        return "door"
    if event.type == "battery" and event.value is not None and event.value <= rules.battery.low_pct:
        return "battery"
    return None


def _note(kind: str, event: StoredEvent, device: Device) -> str:
    if kind == "fever":
        return f"temperature {event.value:.1f} °C at {_local(event.ts)} (device {device.code})"
    if kind == "door":
        return f"door opened at {_local(event.ts)}, outside the allowed windows (device {device.code})"
    return f"battery at {event.value:.0f} % at {_local(event.ts)} (device {device.code})"


def on_events(
    conn: Connection,
    events: Sequence[StoredEvent],
    devices: dict[int, Device],
    rules: Rules,
    *,
    heard: Iterable[int] = (),
    source: str = "device",
    at: dt.datetime | None = None,
) -> list[Raised]:
    """Apply the event rules to newly stored ``events`` (a duplicate is never passed twice): fever,
    a door opened outside the allowed windows, a low battery raise alerts on monitored households;
    a door closed again soon resolves its door alert; any word from a device resolves its offline
    alert (of the devices in ``events`` and ``heard``). One query for the open alerts and one for the
    statuses per batch."""
    at = at or china_now()
    heard_ids = set(heard) | {e.device_id for e in events}
    households = {devices[d].household_id for d in heard_ids}
    candidates = [(e, kind) for e in events if (kind := _candidate(e, rules)) is not None]
    existing = open_alerts(conn, households) if households else {}
    raised: list[Raised] = []
    days = {e.ts.astimezone(CHINA_TZ).date() for e, _ in candidates}
    watched: dict[dt.date, set[int]] = {
        day: monitored(conn, {devices[e.device_id].household_id for e, _ in candidates}, day, rules)
        for day in days
    }
    resolved: set[int] = set()
    for device_id in sorted(heard_ids):
        device = devices[device_id]
        offline = existing.get((device.household_id, "offline"))
        if offline is None or offline.device_id != device_id or offline.alert_id in resolved:
            continue
        if resolve(conn, offline, f"device {device.code} heard again by {_local(at)}", at=at):
            resolved.add(offline.alert_id)
    for event in sorted(events, key=lambda e: (e.ts, e.seq)):
        device = devices[event.device_id]
        day = event.ts.astimezone(CHINA_TZ).date()
        if event.type == "door_close":
            door = existing.get((device.household_id, "door"))
            opened = None if door is None else door.last_door_open
            within = dt.timedelta(minutes=rules.door.resolve_within_min)
            if (
                door is not None
                and door.alert_id not in resolved
                and opened is not None
                and opened <= event.ts <= opened + within
            ):
                minutes = (event.ts - opened).total_seconds() / 60
                if resolve(conn, door, f"door closed again after {minutes:.0f} min: resolved by rule", at=at):
                    resolved.add(door.alert_id)
            continue
        kind = _candidate(event, rules)
        if kind is None or not device.active_on(day) or device.household_id not in watched.get(day, set()):
            continue
        trigger = Trigger(device.id, event.ts, _note(kind, event, device), event.seq, event.type, event.value)
        done = raise_alert(
            conn, kind=kind, household_id=device.household_id, trigger=trigger, source=source, at=at
        )
        if done is not None:
            raised.append(done)
            if kind == "door":  # a close later in the batch may resolve it
                existing = {**existing, **open_alerts(conn, [device.household_id])}
    return raised


@dataclass(frozen=True)
class AlertView:
    id: int
    kind: str
    device: str | None
    household: int
    opened: dt.datetime
    state: str
    item_id: int
    last_at: dt.datetime
    triggers: int
    grid: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "kind": self.kind,
            "device": self.device,
            "household": self.household,
            "opened": self.opened.isoformat(),
            "state": self.state,
            "item_id": self.item_id,
            "last_at": self.last_at.isoformat(),
            "triggers": self.triggers,
            "grid": self.grid,
        }


def list_alerts(
    conn: Connection, *, state: str | None = None, household_id: int | None = None, limit: int = 10_000
) -> list[AlertView]:
    """Alerts, newest first (``state`` open|closed is their loop item's)."""
    rows = conn.execute(
        text(f"""
        SELECT a.id, a.kind, d.source_id, a.household_id, a.opened_at, st.state, a.loop_item_id, a.last_at,
               a.triggers, g.code
        FROM device_alerts a JOIN loop_items i ON i.id = a.loop_item_id {STATE_JOIN}
        JOIN buildings b ON b.id = i.building_id LEFT JOIN grids g ON g.id = b.grid_id
        LEFT JOIN devices d ON d.id = a.device_id
        WHERE (CAST(:state AS text) IS NULL OR st.state = :state)
          AND (CAST(:h AS bigint) IS NULL OR a.household_id = :h)
        ORDER BY a.opened_at DESC, a.id DESC LIMIT :limit"""),
        {"state": state, "h": household_id, "limit": limit},
    )
    return [AlertView(*r) for r in rows]
