"""Closed-loop work (闭环管理): open an item, complete its steps in order, escalate what is overdue,
reassign. Every change appends one row to the item's log in the caller's transaction, and is audited.

Items are assigned to whoever answers for their building at the step's chain level (THE rule of
``geo.responsibility``); where nobody does, the next level up takes it. An overdue item escalates one
rung up the chain (社工/楼长 -> 居民区书记 -> 机关干部 -> 班子领导 -> 指挥部), visibly: as a log row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from geo.audit import Actor, record
from geo.clock import china_now
from geo.errors import Conflict, Forbidden, InvalidTransition, NotFound, Unprocessable
from geo.loops import store
from geo.loops.evidence import Submission, check_submission
from geo.loops.kinds import LoopKind, kind_named
from geo.loops.progress import Done, Progress, progress
from geo.loops.targets import Target, resolve
from geo.loops.views import ItemView, done_of, item_view
from geo.responsibility.rule import level_above, who_answers
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CHAIN_LEVEL_CODES, CHINA_TZ

OPEN_ROLES = frozenset({"commander", "operator", "worker", "cli"})
ASSIGN_ROLES = frozenset({"commander", "operator", "cli"})
READ_ROLES = frozenset({"commander", "operator", "analyst", "worker", "cli"})
"""The wall sees counts only (``counts``)."""


@dataclass(frozen=True)
class LoopActor:
    """Who acts on loops: a signed-in user (id, role, area) or the command line / the demo."""

    role: str
    audit: Actor
    user_id: int | None = None
    scope: Scope = UNRESTRICTED


def _require(actor: LoopActor, roles: frozenset[str], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden(f"role {actor.role!r} may not {what}")


def _assignee(conn: Connection, building_id: int, level: str) -> tuple[int | None, str]:
    """Who answers for the building at ``level``, else the nearest level above that has someone."""
    current: str | None = level
    while current is not None:
        found = who_answers(conn, building_id, current)
        if found is not None:
            return found[0], current
        current = level_above(current)
    return None, level


def open_item(
    conn: Connection,
    actor: LoopActor,
    *,
    kind: str,
    target: Target,
    note: str | None = None,
    client_id: str | None = None,
    body_hash: str | None = None,
    source: str = "field",
    at: dt.datetime | None = None,
) -> tuple[ItemView, bool]:
    """Open an item of ``kind`` on ``target``: (the item, True) or, for a replayed ``client_id`` with
    the same ``body_hash``, (the item it opened, False).

    Raises
    ------
    Unprocessable
        unknown kind, a target the kind does not take, a replayed client id with another body.
    NotFound
        a target missing or outside the actor's area.
    Forbidden
        a read-only role.
    """
    _require(actor, OPEN_ROLES, "open loop items")
    try:
        loop = kind_named(kind)
    except NotFound as error:
        raise Unprocessable(str(error), field="kind") from None
    if note is not None and len(note) > 2000:
        raise Unprocessable("`note` is longer than 2000 characters", field="note")
    if client_id is not None:
        replay = _replayed_item(conn, actor, client_id, body_hash)
        if replay is not None:
            return replay, False
    at = at or china_now()
    place = resolve(conn, target, actor.scope, allowed=loop.targets)
    first = loop.steps[0]
    person, level = _assignee(conn, place.building_id, first.level)
    item_id = store.insert_item(
        conn,
        kind=loop.code,
        target_type=place.target_type,
        target_id=place.target_id,
        building_id=place.building_id,
        lon=place.lon,
        lat=place.lat,
        note=note,
        assignee_person_id=person,
        assignee_level=level,
        user_id=actor.user_id,
        role=actor.role,
        at=at,
        source=source,
        client_id=client_id,
        body_hash=body_hash,
    )
    if item_id is None:  # a concurrent request with the same key won the race
        replay = _replayed_item(conn, actor, client_id or "", body_hash)
        assert replay is not None
        return replay, False
    state = progress(loop, at, [])
    store.append(
        conn,
        item_id,
        store.NewTransition(
            seq=1,
            action="open",
            to_state="open",
            next_step=first.code,
            assignee_person_id=person,
            assignee_level=level,
            due_at=state.due_at,
            note=note,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            client_id=client_id,
            body_hash=body_hash,
            at=at,
        ),
    )
    detail = {"kind": loop.code, "target": f"{place.target_type}:{place.target_id}", "source": source}
    record(conn, actor.audit, "loop_open", target=f"loop:{item_id}", detail=detail)
    return get_item(conn, actor, item_id, at=at), True


def _replayed_item(
    conn: Connection, actor: LoopActor, client_id: str, body_hash: str | None
) -> ItemView | None:
    found = store.item_by_client(conn, actor.user_id, client_id)
    if found is None:
        return None
    item_id, known_hash = found
    if known_hash != body_hash:
        raise Unprocessable(
            "Idempotency-Key was used before with another body: use a new key for a new item",
            field="Idempotency-Key",
        )
    return get_item(conn, actor, item_id)


def get_item(conn: Connection, actor: LoopActor, item_id: int, *, at: dt.datetime | None = None) -> ItemView:
    """Item ``item_id`` with its log; NotFound when missing or outside the actor's area."""
    _require(actor, READ_ROLES, "read loop items")
    row = store.item_row(conn, item_id, actor.scope, at or china_now())
    if row is None:
        raise NotFound(f"loop item {item_id} does not exist (or lies outside your area)")
    return item_view(row, _kind_or_none(row.kind), store.log_rows(conn, item_id))


def _kind_or_none(code: str) -> LoopKind | None:
    try:
        return kind_named(code)
    except NotFound:  # a kind whose file was removed: its items stay readable
        return None


def list_items(
    conn: Connection,
    actor: LoopActor,
    *,
    kind: str | None = None,
    state: str | None = None,
    grid: str | None = None,
    at: dt.datetime | None = None,
    limit: int = 500,
) -> list[ItemView]:
    """Items in the actor's area, overdue first, then by deadline."""
    _require(actor, READ_ROLES, "list loop items")
    rows = store.item_rows(
        conn, actor.scope, at=at or china_now(), kind=kind, state=state, grid=grid, limit=limit
    )
    return [item_view(row, _kind_or_none(row.kind)) for row in rows]


def _locked(conn: Connection, actor: LoopActor, item_id: int) -> tuple[LoopKind, ItemView, list]:
    if not store.lock_item(conn, item_id, actor.scope):
        raise NotFound(f"loop item {item_id} does not exist (or lies outside your area)")
    row = store.item_row(conn, item_id, actor.scope, china_now())
    assert row is not None, "a locked item is there"
    log = store.log_rows(conn, item_id)
    kind = kind_named(row.kind)
    return kind, item_view(row, kind, log), log


def complete_step(
    conn: Connection,
    actor: LoopActor,
    item_id: int,
    step: str,
    sent: Submission,
    *,
    expected_version: int | None = None,
    client_id: str | None = None,
    body_hash: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[ItemView, bool]:
    """Complete ``step`` of item ``item_id`` with the evidence ``sent``: (the item after, True), or for
    a replayed ``client_id`` with the same body (the item as it is, False).

    Raises
    ------
    NotFound
        the item (missing or outside the area) or the step (not a step of the item's kind).
    Conflict
        ``expected_version`` is not the item's version (the error carries the current item).
    InvalidTransition
        the step may not come now (the error names the allowed steps), or a daily step was recorded
        for that day already.
    Forbidden
        a role that may not complete the step, or the completer of a step this one must differ from.
    Unprocessable
        evidence the step refuses (naming the field), a client id replayed with another body.
    """
    _require(actor, OPEN_ROLES, "complete loop steps")
    kind, item, log = _locked(conn, actor, item_id)
    if client_id is not None:
        for row in log:
            if row.client_id == client_id and row.action == "complete":
                if row.body_hash != body_hash:
                    raise Unprocessable(
                        "Idempotency-Key was used before with another body: use a new key for a new action",
                        field="Idempotency-Key",
                    )
                return get_item(conn, actor, item_id), False
    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            f"loop item {item_id} is at version {item.version}, not {expected_version}: "
            "read it again and decide on its current state",
            current=item.to_dict(),
        )
    target = kind.step(step)
    at = at or china_now()
    done = done_of(log)
    before = progress(kind, item.created_at, done)
    if before.closed:
        raise InvalidTransition(f"loop item {item_id} is closed: no step may follow", allowed=())
    if step not in before.allowed:
        raise InvalidTransition(
            f"step {step!r} may not come now: expected one of {', '.join(before.allowed)}",
            allowed=before.allowed,
        )
    record_ = Done(step, at, actor.user_id, sent.observed_at)
    if target.daily and record_.day in before.days.get(step, ()):
        raise InvalidTransition(
            f"step {step!r} is recorded once a day and has a record for {record_.day.isoformat()}",
            allowed=tuple(s for s in before.allowed if s != step),
        )
    if actor.role not in target.roles and actor.role != "cli":
        raise Forbidden(f"role {actor.role!r} may not complete step {step!r}")
    earlier = target.differs_from
    same_hand = any(d.step == earlier and d.actor_user_id == actor.user_id for d in done)
    if actor.user_id is not None and same_hand:
        raise Forbidden(f"step {step!r} must be completed by someone else than who completed {earlier!r}")
    check_submission(target, sent, opened_at=item.created_at, at=at)
    after = progress(kind, item.created_at, [*done, record_])
    person, level = _next_assignee(conn, item, before, after)
    transition_id = store.append(
        conn,
        item_id,
        store.NewTransition(
            seq=item.version + 1,
            action="complete",
            step=step,
            from_state="open",
            to_state="closed" if after.closed else "open",
            next_step=None if after.current is None else after.current.code,
            assignee_person_id=person,
            assignee_level=level,
            due_at=after.due_at,
            daily_due_at=after.daily_due_at,
            note=(sent.note or "").strip() or None,
            reading=sent.reading,
            checks=dict(sent.checks) or None,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            client_id=client_id,
            body_hash=body_hash,
            observed_at=sent.observed_at,
            at=at,
        ),
    )
    if sent.photo is not None:
        store.add_photo(conn, transition_id, sent.photo.content_type, sent.photo.data)
    detail = {"step": step, "version": item.version + 1, "closed": after.closed}
    record(conn, actor.audit, "loop_step", target=f"loop:{item_id}", detail=detail)
    return get_item(conn, actor, item_id, at=at), True


def _next_assignee(
    conn: Connection, item: ItemView, before: Progress, after: Progress
) -> tuple[int | None, str]:
    """The current assignee while the step stays; on a new step, whoever answers at its level."""
    if after.current is None or (before.current is not None and after.current.code == before.current.code):
        person = None if item.assignee_code is None else store.person_by_code(conn, item.assignee_code)
        return person, item.assignee_level or (before.current.level if before.current else "")
    return _assignee(conn, item.building_id, after.current.level)


def escalate_overdue(conn: Connection, actor: LoopActor, *, at: dt.datetime | None = None) -> list[ItemView]:
    """Escalate every item overdue at ``at`` one rung up the chain (a log row each, audited); the
    new assignee gets the step's SLA again. Items already at command HQ stay where they are."""
    _require(actor, ASSIGN_ROLES, "escalate loop items")
    at = at or china_now()
    escalated = []
    for item_id in store.overdue_ids(conn, at=at):
        kind, item, _log = _locked(conn, actor, item_id)
        above = level_above(item.assignee_level) if item.assignee_level in CHAIN_LEVEL_CODES else None
        if above is None or item.step is None:
            continue
        person, level = _assignee(conn, item.building_id, above)
        step = kind.step(item.step)
        due_at = item.due_at
        if due_at is not None and due_at < at:
            due_at = at + dt.timedelta(hours=step.due_h)
        daily_due_at = item.daily_due_at
        if daily_due_at is not None and daily_due_at < at:
            daily_due_at = at + dt.timedelta(hours=24)
        note = f"overdue: escalated from {item.assignee_level} to {level}"
        _hand_over(conn, actor, item, "escalate", person, level, due_at, daily_due_at, note=note, at=at)
        detail = {"from_level": item.assignee_level, "to_level": level, "step": item.step}
        record(conn, actor.audit, "loop_escalate", target=f"loop:{item_id}", detail=detail)
        escalated.append(get_item(conn, actor, item_id, at=at))
    return escalated


def reassign(
    conn: Connection,
    actor: LoopActor,
    item_id: int,
    *,
    person_code: str,
    level: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> ItemView:
    """Hand item ``item_id`` to the person ``person_code`` at chain level ``level`` (commanders and
    operators), as a log row."""
    _require(actor, ASSIGN_ROLES, "reassign loop items")
    if level not in CHAIN_LEVEL_CODES:
        raise Unprocessable(
            f"`level` was {level!r} but is expected to be one of {', '.join(CHAIN_LEVEL_CODES)}",
            field="level",
        )
    _kind, item, _log = _locked(conn, actor, item_id)
    if expected_version is not None and expected_version != item.version:
        raise Conflict(
            f"loop item {item_id} is at version {item.version}, not {expected_version}",
            current=item.to_dict(),
        )
    if item.state == "closed":
        raise InvalidTransition(f"loop item {item_id} is closed: it cannot be reassigned", allowed=())
    person = store.person_by_code(conn, person_code)
    if person is None:
        raise Unprocessable(f"no responsible person has code {person_code!r}", field="person_code")
    at = at or china_now()
    _hand_over(conn, actor, item, "assign", person, level, item.due_at, item.daily_due_at, at=at)
    detail = {"person_code": person_code, "level": level}
    record(conn, actor.audit, "loop_assign", target=f"loop:{item_id}", detail=detail)
    return get_item(conn, actor, item_id, at=at)


def _hand_over(
    conn: Connection,
    actor: LoopActor,
    item: ItemView,
    action: str,
    person: int | None,
    level: str,
    due_at: dt.datetime | None,
    daily_due_at: dt.datetime | None,
    *,
    note: str | None = None,
    at: dt.datetime,
) -> None:
    """The log row of an open item changing hands (escalated or reassigned) on the step it is at."""
    store.append(
        conn,
        item.id,
        store.NewTransition(
            seq=item.version + 1,
            action=action,
            step=item.step,
            from_state="open",
            to_state="open",
            next_step=item.step,
            assignee_person_id=person,
            assignee_level=level,
            due_at=due_at,
            daily_due_at=daily_due_at,
            note=note,
            actor_user_id=actor.user_id,
            actor_role=actor.role,
            at=at,
        ),
    )


@dataclass(frozen=True)
class Count:
    kind: str
    grid: str | None
    open: int
    overdue: int
    closed_today: int
    grid_name: str | None = None


def counts(conn: Connection, scope: Scope, *, at: dt.datetime | None = None) -> list[Count]:
    """Open, overdue and closed-today (China day of ``at``) items per kind and grid: what the wall and
    the loops panel show (every role may read counts)."""
    at = at or china_now()
    since = at.astimezone(CHINA_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        Count(r.kind, r.grid_code, int(r.open), int(r.overdue), int(r.closed), r.grid_name)
        for r in store.count_rows(conn, scope, at=at, since=since)
    ]
