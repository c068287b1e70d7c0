"""The SQL of closed-loop work, in one place: items, their append-only log, photos, and THE rule
"an item's current state is the last row of its log" (``STATE_JOIN``).

Nothing here updates or deletes a log row (the table refuses it). An item's ``version`` is the ``seq``
of its last log row; appending row n + 1 moves it from n to n + 1 or fails, so two writers cannot both
append version n + 1.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.errors import Conflict
from geo.scope import Scope

STATE_JOIN = """
    JOIN (
        SELECT t.item_id, t.seq AS version, t.to_state AS state, t.next_step AS step, t.at AS changed_at,
               t.assignee_person_id, t.assignee_level, t.due_at, t.daily_due_at
        FROM loop_transitions t
    ) st ON st.item_id = i.id AND st.version = i.version"""
"""Gives item ``i`` its current state ``st``: the last row of its log (the one of the item's version)."""

OVERDUE = "(st.state = 'open' AND least(st.due_at, st.daily_due_at) < CAST(:at AS timestamptz))"
"""Item ``i`` (with ``st``) is overdue at ``:at``: open, and a deadline has passed."""

_ITEM_COLUMNS = f"""
    i.id, i.kind, i.target_type, i.target_id, i.building_id, i.note, i.source, i.created_at,
    i.created_by_user_id, i.client_id, i.body_hash, g.code AS grid_code,
    ST_X(coalesce(i.point, b.label_point)) AS lon, ST_Y(coalesce(i.point, b.label_point)) AS lat,
    st.version, st.state, st.step, st.changed_at, st.assignee_level, st.due_at, st.daily_due_at,
    p.code AS assignee_code, {OVERDUE} AS overdue"""
_ITEM_FROM = f"""
    FROM loop_items i JOIN buildings b ON b.id = i.building_id
    LEFT JOIN grids g ON g.id = b.grid_id
    {STATE_JOIN}
    LEFT JOIN people p ON p.id = st.assignee_person_id"""


@dataclass(frozen=True)
class NewTransition:
    """A log row to append (``seq`` = the item's new version)."""

    seq: int
    action: str
    to_state: str
    step: str | None = None
    from_state: str | None = None
    next_step: str | None = None
    assignee_person_id: int | None = None
    assignee_level: str | None = None
    due_at: dt.datetime | None = None
    daily_due_at: dt.datetime | None = None
    note: str | None = None
    reading: float | None = None
    checks: dict[str, bool] | None = None
    actor_user_id: int | None = None
    actor_role: str | None = None
    client_id: str | None = None
    body_hash: str | None = None
    observed_at: dt.datetime | None = None
    at: dt.datetime | None = None


def insert_item(conn: Connection, **item: Any) -> int | None:
    """A new item's id; None when its (user, client id) exists already (an idempotent replay)."""
    row = conn.execute(
        text("""
        INSERT INTO loop_items (kind, target_type, target_id, building_id, point, note, assignee_person_id,
                                assignee_level, created_by_user_id, created_by_role, created_at, source,
                                client_id, body_hash)
        VALUES (:kind, :target_type, :target_id, :building_id,
                CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
                     ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END,
                :note, :assignee_person_id, :assignee_level, :user_id, :role,
                coalesce(CAST(:at AS timestamptz), clock_timestamp()), :source, :client_id, :body_hash)
        ON CONFLICT ((coalesce(created_by_user_id, 0)), client_id) WHERE client_id IS NOT NULL DO NOTHING
        RETURNING id"""),
        item,
    ).first()
    return None if row is None else int(row[0])


def item_by_client(conn: Connection, user_id: int | None, client_id: str) -> tuple[int, str | None] | None:
    """(id, body hash) of the item user ``user_id`` opened with ``client_id``."""
    row = conn.execute(
        text("""SELECT id, body_hash FROM loop_items
                WHERE coalesce(created_by_user_id, 0) = coalesce(CAST(:u AS integer), 0)
                  AND client_id = :c"""),
        {"u": user_id, "c": client_id},
    ).first()
    return None if row is None else (int(row[0]), row[1])


def append(conn: Connection, item_id: int, t: NewTransition) -> int:
    """Append ``t`` to item ``item_id``'s log and move the item's version to ``t.seq``; the row's id.

    Raises
    ------
    Conflict
        when the item is no longer at version ``t.seq - 1`` (another writer came first).
    """
    moved = conn.execute(
        text("UPDATE loop_items SET version = :seq WHERE id = :item AND version = :seq - 1"),
        {"item": item_id, "seq": t.seq},
    ).rowcount
    if moved != 1:
        raise Conflict(f"loop item {item_id} changed meanwhile: read it again")
    values = {k: getattr(t, k) for k in t.__dataclass_fields__}
    values["checks"] = None if t.checks is None else json.dumps(t.checks, sort_keys=True)
    return int(
        conn.execute(
            text("""
            INSERT INTO loop_transitions (item_id, seq, at, observed_at, action, step, from_state, to_state,
                next_step, assignee_person_id, assignee_level, due_at, daily_due_at, note, reading, checks,
                actor_user_id, actor_role, client_id, body_hash)
            VALUES (:item, :seq, coalesce(CAST(:at AS timestamptz), clock_timestamp()), :observed_at, :action,
                :step, :from_state, :to_state, :next_step, :assignee_person_id, :assignee_level, :due_at,
                :daily_due_at, :note, :reading, CAST(:checks AS jsonb), :actor_user_id, :actor_role,
                :client_id, :body_hash)
            RETURNING id"""),
            values | {"item": item_id},
        ).scalar_one()
    )


def add_photo(conn: Connection, transition_id: int, content_type: str, data: bytes) -> None:
    conn.execute(
        text("""INSERT INTO loop_photos (transition_id, content_type, bytes, data)
                VALUES (:t, :ct, :n, :d)"""),
        {"t": transition_id, "ct": content_type, "n": len(data), "d": data},
    )


def lock_item(conn: Connection, item_id: int, scope: Scope) -> bool:
    """Lock item ``item_id`` for a write (writers of one item queue here); False when missing or
    outside ``scope``."""
    row = conn.execute(
        text(f"""SELECT i.id FROM loop_items i JOIN buildings b ON b.id = i.building_id
                 WHERE i.id = :id AND {scope.buildings("b")} FOR UPDATE OF i"""),
        {"id": int(item_id)} | scope.params,
    ).first()
    return row is not None


def item_row(conn: Connection, item_id: int, scope: Scope, at: dt.datetime) -> Any | None:
    """Item ``item_id`` with its current state, None when missing or outside ``scope``."""
    return conn.execute(
        text(f"SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE i.id = :id AND {scope.buildings('b')}"),
        {"id": int(item_id), "at": at} | scope.params,
    ).first()


def item_rows(
    conn: Connection,
    scope: Scope,
    *,
    at: dt.datetime,
    kind: str | None = None,
    state: str | None = None,
    grid: str | None = None,
    limit: int = 500,
) -> list[Any]:
    """Items in ``scope`` (of ``kind``, in ``state`` open|overdue|closed, in grid code ``grid``),
    overdue first, then by the next deadline."""
    where = [scope.buildings("b")]
    if kind is not None:
        where.append("i.kind = :kind")
    if grid is not None:
        where.append("g.code = :grid")
    if state == "overdue":
        where.append(OVERDUE)
    elif state is not None:
        where.append("st.state = :state")
    sql = f"""SELECT {_ITEM_COLUMNS} {_ITEM_FROM} WHERE {" AND ".join(where)}
              ORDER BY {OVERDUE} DESC, st.state, least(st.due_at, st.daily_due_at) NULLS LAST, i.id
              LIMIT :limit"""
    params = {"at": at, "kind": kind, "grid": grid, "state": state, "limit": limit} | scope.params
    return list(conn.execute(text(sql), params))


def count_rows(conn: Connection, scope: Scope, *, at: dt.datetime, since: dt.datetime) -> list[Any]:
    """Per kind and grid: open, overdue, and closed since ``since``."""
    return list(
        conn.execute(
            text(f"""
            SELECT i.kind, g.code AS grid_code, min(g.name) AS grid_name,
                   count(*) FILTER (WHERE st.state = 'open') AS open,
                   count(*) FILTER (WHERE {OVERDUE}) AS overdue,
                   count(*) FILTER (WHERE st.state = 'closed' AND st.changed_at >= :since) AS closed
            FROM loop_items i JOIN buildings b ON b.id = i.building_id LEFT JOIN grids g ON g.id = b.grid_id
            {STATE_JOIN}
            WHERE {scope.buildings("b")}
            GROUP BY i.kind, g.code ORDER BY i.kind, g.code NULLS LAST"""),
            {"at": at, "since": since} | scope.params,
        )
    )


def log_rows(conn: Connection, item_id: int) -> list[Any]:
    """Item ``item_id``'s log, oldest first, with assignee codes and whether a photo came."""
    return list(
        conn.execute(
            text("""
            SELECT t.id, t.seq, t.at, t.observed_at, t.action, t.step, t.from_state, t.to_state, t.next_step,
                   t.assignee_level, p.code AS assignee_code, t.due_at, t.daily_due_at, t.note, t.reading,
                   t.checks, t.actor_user_id, t.actor_role, t.client_id, t.body_hash,
                   (SELECT count(*) FROM loop_photos ph WHERE ph.transition_id = t.id) AS photos
            FROM loop_transitions t LEFT JOIN people p ON p.id = t.assignee_person_id
            WHERE t.item_id = :id ORDER BY t.seq"""),
            {"id": int(item_id)},
        )
    )


def overdue_ids(conn: Connection, *, at: dt.datetime, limit: int = 10_000) -> list[int]:
    """Ids of every item overdue at ``at`` (for escalation), oldest deadline first."""
    return [
        int(r[0])
        for r in conn.execute(
            text(f"""SELECT i.id FROM loop_items i {STATE_JOIN} WHERE {OVERDUE}
                     ORDER BY least(st.due_at, st.daily_due_at), i.id LIMIT :limit"""),
            {"at": at, "limit": limit},
        )
    ]


def person_by_code(conn: Connection, code: str) -> int | None:
    return conn.execute(text("SELECT id FROM people WHERE code = :c"), {"c": code}).scalar()


def log_version(conn: Connection) -> int:
    """The id of the newest log row: every write of loop work appends one, so this changes exactly
    when an item is opened, moved, handed over or closed."""
    return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM loop_transitions")).scalar_one())
