"""The SOP clocks (geo.risk.sop): due, overdue and done steps, recurring steps, the countdown to lifting."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.risk.sop import sop_clock
from geo.vocab import CHINA_TZ

DECLARED = dt.datetime(2022, 4, 10, 8, 0, tzinfo=CHINA_TZ)


def _at(hours: float) -> dt.datetime:
    return DECLARED + dt.timedelta(hours=hours)


def _states(clock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {s.code: s.state for s in clock.steps}


def test_fresh_area_has_everything_due_and_counts_down_fourteen_days() -> None:
    clock = sop_clock(declared_at=DECLARED, at=_at(1))
    assert clock.state == "active"
    assert _states(clock) == dict.fromkeys(
        ["announce", "seal_gates", "first_testing", "daily_testing"], "due"
    )
    announce = clock.steps[0]
    assert announce.due_at == _at(2) and announce.hours_left == pytest.approx(1.0)
    assert clock.hours_to_lift == pytest.approx(14 * 24 - 1)
    assert clock.to_dict()["days_to_lift"] == 14


def test_missed_deadlines_are_overdue_and_done_steps_done() -> None:
    clock = sop_clock(declared_at=DECLARED, at=_at(30), done=[("announce", _at(1.5)), ("seal_gates", _at(7))])
    assert _states(clock) == {
        "announce": "done",
        "seal_gates": "done",  # late, but done
        "first_testing": "overdue",
        "daily_testing": "due",
    }
    assert clock.overdue == ["first_testing"] and clock.steps[2].hours_left == pytest.approx(-6)


def test_a_recurring_step_must_be_met_in_every_window() -> None:
    done = [("daily_testing", _at(40)), ("daily_testing", _at(60))]
    steps = {
        h: _states(sop_clock(declared_at=DECLARED, at=_at(h), done=done))["daily_testing"]
        for h in (41, 50, 65, 73)
    }
    # due at 48 h (met at 40), then 72 h (not yet met at 50, met at 60), then 96 h.
    assert steps == {41: "done", 50: "due", 65: "done", 73: "due"}
    late = sop_clock(declared_at=DECLARED, at=_at(97), done=done)
    assert _states(late)["daily_testing"] == "overdue"  # nothing in (72 h, 96 h]


def test_a_new_case_restarts_the_quiet_period_and_lifting_ends_the_clock() -> None:
    case = _at(24 * 5)
    clock = sop_clock(declared_at=DECLARED, last_case_at=case, at=_at(24 * 14))
    assert clock.state == "active" and clock.hours_to_lift == pytest.approx(24 * 5)
    due = sop_clock(declared_at=DECLARED, at=_at(24 * 15))
    assert due.state == "lift_due" and due.hours_to_lift < 0
    lifted = sop_clock(declared_at=DECLARED, lifted_at=_at(24 * 14), at=_at(24 * 20))
    assert lifted.state == "lifted"
    before = sop_clock(declared_at=DECLARED, at=DECLARED - dt.timedelta(days=1))
    assert before.state == "not_declared" and before.steps == ()


def test_dates_and_naive_times_are_china_time() -> None:
    clock = sop_clock(declared_at=dt.datetime(2022, 4, 10, 8, 0), at=dt.date(2022, 4, 10))
    assert clock.at == dt.datetime(2022, 4, 10, 23, 59, 59, tzinfo=CHINA_TZ)
    assert clock.declared_at == DECLARED
