"""Where an item stands, worked out from its log alone (no database): which steps are done, which may
come next, and when each is due. The engine writes the outcome into each new log row, so lists and
the overdue clock read one row per item.

Order: steps are done one after another; a ``daily`` step counts as done for the order once it has its
first record, and keeps being due once per China day (the day after its last record) until the item
closes. Completing the last step closes the item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from geo.loops.kinds import LoopKind, Step
from geo.vocab import CHINA_TZ


@dataclass(frozen=True)
class Done:
    """One completed step in the log: by whom, when (server time) and for which day (observed time)."""

    step: str
    at: dt.datetime
    actor_user_id: int | None
    observed_at: dt.datetime | None = None

    @property
    def day(self) -> dt.date:
        """The China day the record is for (a field client's time when it sent one)."""
        return (self.observed_at or self.at).astimezone(CHINA_TZ).date()


@dataclass(frozen=True)
class Progress:
    closed: bool
    current: Step | None
    """The next step in order, None once closed."""
    allowed: tuple[str, ...]
    """Steps that may be completed now: the current one and any running daily step."""
    due_at: dt.datetime | None
    """When the current step is due."""
    daily_due_at: dt.datetime | None
    """When the next record of a running daily step is due (the earliest)."""
    days: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)
    """Per daily step, the China days recorded."""

    @property
    def next_due_at(self) -> dt.datetime | None:
        """The earliest deadline: past it the item is overdue."""
        dues = [d for d in (self.due_at, self.daily_due_at) if d is not None]
        return min(dues) if dues else None


def progress(kind: LoopKind, opened_at: dt.datetime, done: list[Done]) -> Progress:
    """The state of an item of ``kind`` opened at ``opened_at`` with the completions ``done`` (in order)."""
    by_step: dict[str, list[Done]] = {}
    for d in done:
        by_step.setdefault(d.step, []).append(d)
    base = opened_at
    current: Step | None = None
    running: list[Step] = []
    for step in kind.steps:
        records = by_step.get(step.code)
        if not records:
            current = step
            break
        if step.daily:
            running.append(step)
        base = records[0].at if step.daily else records[-1].at
    days = {s.code: tuple(sorted({d.day for d in by_step.get(s.code, [])})) for s in kind.steps if s.daily}
    if current is None:
        return Progress(closed=True, current=None, allowed=(), due_at=None, daily_due_at=None, days=days)
    due_at = base + dt.timedelta(hours=current.due_h)
    daily_due = [_end_of_next_day(days[s.code][-1]) for s in running]
    allowed = (current.code, *(s.code for s in running))
    return Progress(
        closed=False,
        current=current,
        allowed=allowed,
        due_at=due_at,
        daily_due_at=min(daily_due) if daily_due else None,
        days=days,
    )


def _end_of_next_day(day: dt.date) -> dt.datetime:
    """The deadline of the record after one for ``day``: the end of the next China day."""
    return dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0, 0), CHINA_TZ)
