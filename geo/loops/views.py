"""Loop items as the API, the CLI and the map read them: ids, codes, levels, states and times only.

No names, phones or ID numbers: the assignee is a person code and a chain level, the actor of a log
row a role and a user id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from geo.loops.kinds import LoopKind
from geo.loops.progress import Done, progress


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True)
class LogEntry:
    seq: int
    at: dt.datetime
    action: str
    to_state: str
    step: str | None
    next_step: str | None
    assignee_code: str | None
    assignee_level: str | None
    due_at: dt.datetime | None
    note: str | None
    reading: float | None
    checks: dict[str, bool] | None
    by_user_id: int | None
    by_role: str | None
    observed_at: dt.datetime | None
    photos: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": _iso(self.at),
            "observed_at": _iso(self.observed_at),
            "action": self.action,
            "step": self.step,
            "to_state": self.to_state,
            "next_step": self.next_step,
            "assignee": {"code": self.assignee_code, "level": self.assignee_level},
            "due_at": _iso(self.due_at),
            "note": self.note,
            "reading": self.reading,
            "checks": self.checks,
            "by": {"user_id": self.by_user_id, "role": self.by_role},
            "photos": self.photos,
        }


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: str
    target_type: str
    target_id: int
    building_id: int
    grid: str | None
    lon: float | None
    lat: float | None
    state: str
    overdue: bool
    step: str | None
    allowed_steps: tuple[str, ...]
    version: int
    assignee_code: str | None
    assignee_level: str | None
    due_at: dt.datetime | None
    daily_due_at: dt.datetime | None
    created_at: dt.datetime
    changed_at: dt.datetime
    source: str
    note: str | None
    log: tuple[LogEntry, ...] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "target": {"type": self.target_type, "id": self.target_id},
            "building_id": self.building_id,
            "grid": self.grid,
            "lon": self.lon,
            "lat": self.lat,
            "state": self.state,
            "overdue": self.overdue,
            "step": self.step,
            "allowed_steps": list(self.allowed_steps),
            "version": self.version,
            "assignee": {"code": self.assignee_code, "level": self.assignee_level},
            "due_at": _iso(self.due_at),
            "daily_due_at": _iso(self.daily_due_at),
            "created_at": _iso(self.created_at),
            "changed_at": _iso(self.changed_at),
            "source": self.source,
            "note": self.note,
        }
        if self.log is not None:
            body["log"] = [entry.to_dict() for entry in self.log]
        return body


def log_entries(rows: list[Any]) -> tuple[LogEntry, ...]:
    return tuple(
        LogEntry(
            seq=r.seq,
            at=r.at,
            action=r.action,
            to_state=r.to_state,
            step=r.step,
            next_step=r.next_step,
            assignee_code=r.assignee_code,
            assignee_level=r.assignee_level,
            due_at=r.due_at,
            note=r.note,
            reading=r.reading,
            checks=r.checks,
            by_user_id=r.actor_user_id,
            by_role=r.actor_role,
            observed_at=r.observed_at,
            photos=int(r.photos),
        )
        for r in rows
    )


def done_of(rows: list[Any]) -> list[Done]:
    """The completions in a log (what ``progress`` needs)."""
    return [Done(r.step, r.at, r.actor_user_id, r.observed_at) for r in rows if r.action == "complete"]


def item_view(row: Any, kind: LoopKind | None, log: list[Any] | None = None) -> ItemView:
    """An item from its ``store.item_row`` (and, for the allowed steps and the log, its log rows)."""
    allowed: tuple[str, ...] = ()
    if row.state == "open" and kind is not None and log is not None:
        allowed = progress(kind, row.created_at, done_of(log)).allowed
    elif row.state == "open" and row.step:
        # Without the log: the current step, and the daily steps before it (they run until closing).
        codes = kind.step_codes if kind is not None else ()
        earlier = codes[: codes.index(row.step)] if row.step in codes else ()
        allowed = (row.step, *(c for c in earlier if kind.step(c).daily))  # type: ignore[union-attr]
    return ItemView(
        id=int(row.id),
        kind=row.kind,
        target_type=row.target_type,
        target_id=int(row.target_id),
        building_id=int(row.building_id),
        grid=row.grid_code,
        lon=None if row.lon is None else float(row.lon),
        lat=None if row.lat is None else float(row.lat),
        state=row.state,
        overdue=bool(row.overdue),
        step=row.step,
        allowed_steps=allowed,
        version=int(row.version),
        assignee_code=row.assignee_code,
        assignee_level=row.assignee_level,
        due_at=row.due_at,
        daily_due_at=row.daily_due_at,
        created_at=row.created_at,
        changed_at=row.changed_at,
        source=row.source,
        note=row.note,
        log=None if log is None else log_entries(log),
    )
