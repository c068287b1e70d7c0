"""Which day of the status history a house-status map should open on: the latest day with data and
activity (households or buildings in a case status), the busiest day, and why a map is quiet.

A day's activity counts the status stretches with a case status (``geo.vocab.CASE_STATUSES``) valid on
it (``geo.status.rule.valid_on``), of the buildings in ``scope``: enough to tell quiet days from busy
ones and to rank them. The figures shown for the chosen day are the rule's own (``geo.status.kpis``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.scope import UNRESTRICTED, Scope
from geo.status.read import status_dates
from geo.status.rule import valid_on
from geo.vocab import CASE_STATUSES


@dataclass(frozen=True)
class OpeningDay:
    """The days a house-status map offers, and why it opens where it does."""

    first: dt.date
    last: dt.date
    day: dt.date
    """The day to open on: the latest with activity, else the last with data."""
    busiest: dt.date | None
    """The day with the most case stretches (the latest of equals); None when no day has any."""
    latest_active: dt.date | None
    """The latest day with activity; None when no day has any."""
    reason: str
    """``active_last``: the last day has activity; ``quiet_after``: the days after ``latest_active``
    are quiet; ``quiet``: no day of the history has any; ``empty``: there is no history."""


def activity_by_day(
    conn: Connection, first: dt.date, last: dt.date, *, scope: Scope = UNRESTRICTED
) -> dict[dt.date, int]:
    """Per day from ``first`` to ``last``: the case-status stretches (of ``scope``'s buildings) valid
    on it."""
    rows = conn.execute(
        text(f"""
        WITH c AS MATERIALIZED (
            SELECT s.valid_from, s.valid_to FROM house_status s
            LEFT JOIN households h ON h.id = s.household_id
            JOIN buildings b ON b.id = coalesce(s.building_id, h.building_id)
            WHERE s.status::text = ANY(CAST(:cases AS text[])) AND {scope.buildings("b")}
              AND s.valid_from <= CAST(:last AS date)
              AND (s.valid_to IS NULL OR s.valid_to > CAST(:first AS date))
        )
        SELECT d.day::date AS day, count(c.valid_from) AS n
        FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS d(day)
        LEFT JOIN c ON {valid_on("c", "d.day::date")}
        GROUP BY 1 ORDER BY 1"""),
        {"first": first, "last": last, "cases": list(CASE_STATUSES)} | scope.params,
    )
    return {r.day: int(r.n) for r in rows}


def opening_day(conn: Connection, *, scope: Scope = UNRESTRICTED, today: dt.date) -> OpeningDay:
    """Where a house-status map of ``scope`` opens (``today``, from ``geo.clock``, when there is no
    history)."""
    covered = status_dates(conn)
    if covered is None:
        return OpeningDay(today, today, today, None, None, "empty")
    first, last = covered
    activity = activity_by_day(conn, first, last, scope=scope)
    active = [d for d, n in activity.items() if n > 0]
    if not active:
        return OpeningDay(first, last, last, None, None, "quiet")
    latest = max(active)
    busiest = max(active, key=lambda d: (activity[d], d))
    reason = "active_last" if latest == last else "quiet_after"
    return OpeningDay(first, last, latest, busiest, latest, reason)
