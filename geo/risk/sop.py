"""The response SOP's clocks: for a risk area at a moment, what is done, due and overdue, and when it lifts.

Pure functions of the area's times and the steps done (no database): ``sop_clock(...)`` is what the
map's overlay, the CLI and the notebooks all show. Naive datetimes are read as China time (UTC+8).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from geo.risk.rules import Sop, SopStep, default_sop
from geo.vocab import CHINA_TZ

STEP_STATES: tuple[str, ...] = ("done", "due", "overdue")
AREA_STATES: tuple[str, ...] = ("not_declared", "active", "lift_due", "lifted")


def aware(moment: dt.datetime | dt.date) -> dt.datetime:
    """A datetime in China time (UTC+8): a date is its end of day there, a naive time is read as China
    time, an aware one (the database gives UTC) is converted, so clocks print as the field reads them."""
    if not isinstance(moment, dt.datetime):
        return dt.datetime.combine(moment, dt.time(23, 59, 59), CHINA_TZ)
    return moment.astimezone(CHINA_TZ) if moment.tzinfo is not None else moment.replace(tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class StepClock:
    """One SOP step at a moment: ``state`` is done, due (deadline ahead) or overdue (deadline missed)."""

    code: str
    zh: str
    en: str
    state: str
    due_at: dt.datetime
    hours_left: float
    last_done_at: dt.datetime | None
    times_done: int
    recurring: bool
    ja: str = ""
    ko: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
            "ja": self.ja,
            "ko": self.ko,
            "state": self.state,
            "due_at": self.due_at.isoformat(),
            "hours_left": round(self.hours_left, 2),
            "last_done_at": self.last_done_at.isoformat() if self.last_done_at else None,
            "times_done": self.times_done,
            "recurring": self.recurring,
        }


@dataclass(frozen=True)
class SopClock:
    """A risk area's clocks at ``at``: its state, each step, and the countdown to lifting.

    ``state`` is ``not_declared`` (before the declaration), ``active``, ``lift_due`` (the quiet
    period is over but the area is not lifted yet) or ``lifted``. ``lift_due_at`` is the last case
    (or the declaration) plus the quiet days; ``hours_to_lift`` counts down to it (negative once due).
    """

    at: dt.datetime
    state: str
    declared_at: dt.datetime
    lifted_at: dt.datetime | None
    lift_due_at: dt.datetime
    hours_to_lift: float
    steps: tuple[StepClock, ...] = field(default_factory=tuple)

    @property
    def due(self) -> list[str]:
        return [s.code for s in self.steps if s.state == "due"]

    @property
    def overdue(self) -> list[str]:
        return [s.code for s in self.steps if s.state == "overdue"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "state": self.state,
            "declared_at": self.declared_at.isoformat(),
            "lifted_at": self.lifted_at.isoformat() if self.lifted_at else None,
            "lift_due_at": self.lift_due_at.isoformat(),
            "hours_to_lift": round(self.hours_to_lift, 2),
            "days_to_lift": math.ceil(self.hours_to_lift / 24) if self.hours_to_lift > 0 else 0,
            "due": self.due,
            "overdue": self.overdue,
            "steps": [s.to_dict() for s in self.steps],
        }


def sop_clock(
    *,
    declared_at: dt.datetime,
    at: dt.datetime | dt.date,
    done: Iterable[tuple[str, dt.datetime]] = (),
    lifted_at: dt.datetime | None = None,
    last_case_at: dt.datetime | None = None,
    sop: Sop | None = None,
) -> SopClock:
    """The clocks of one risk area at ``at``.

    Parameters
    ----------
    declared_at, lifted_at, last_case_at
        The area's times (``lifted_at`` None while active; ``last_case_at`` None: the declaration).
    at
        The moment asked about (a date means the end of that day in China).
    done
        (step code, done at) pairs; a recurring step has one pair per time done.
    sop
        The SOP (``geo.risk.rules.load_sop``); the shipped one when None.
    """
    sop = sop or default_sop()
    declared = aware(declared_at)
    lifted = aware(lifted_at) if lifted_at else None
    moment = aware(at)
    quiet_from = max(declared, aware(last_case_at)) if last_case_at else declared
    lift_due_at = quiet_from + dt.timedelta(days=sop.lift.quiet_days)
    if moment < declared:
        state = "not_declared"
    elif lifted is not None and lifted <= moment:
        state = "lifted"
    else:
        state = "lift_due" if moment >= lift_due_at else "active"
    hours_to_lift = (lift_due_at - moment).total_seconds() / 3600
    if state == "not_declared":
        return SopClock(moment, state, declared, lifted, lift_due_at, hours_to_lift)
    clock_at = min(moment, lifted) if lifted is not None else moment
    done_by_step: dict[str, list[dt.datetime]] = {}
    for code, when in done:
        when = aware(when)
        if when <= clock_at:
            done_by_step.setdefault(code, []).append(when)
    steps = tuple(_step(s, declared, clock_at, sorted(done_by_step.get(s.code, []))) for s in sop.steps)
    return SopClock(moment, state, declared, lifted, lift_due_at, hours_to_lift, steps)


def _step(step: SopStep, declared: dt.datetime, at: dt.datetime, done: list[dt.datetime]) -> StepClock:
    first_due = declared + dt.timedelta(hours=step.due_h)
    last = done[-1] if done else None

    def clock(state: str, due_at: dt.datetime) -> StepClock:
        hours = (due_at - at).total_seconds() / 3600
        return StepClock(
            step.code, step.zh, step.en, state, due_at, hours, last, len(done), step.every_h is not None,
            ja=step.ja, ko=step.ko,
        )  # fmt: skip

    if step.every_h is None:
        if done:
            return clock("done", first_due)
        return clock("overdue" if at > first_due else "due", first_due)
    every = dt.timedelta(hours=step.every_h)
    if at <= first_due:
        return clock("done" if done else "due", first_due)
    # The last deadline passed and the window that had to meet it: (deadline - every, deadline],
    # except the first, whose window opens at the declaration.
    periods = math.floor((at - first_due) / every)
    passed = first_due + periods * every
    opened = declared if periods == 0 else passed - every
    if not any(opened < d <= passed for d in done):
        return clock("overdue", passed)
    upcoming = passed + every
    return clock("done" if any(passed < d <= upcoming for d in done) else "due", upcoming)
