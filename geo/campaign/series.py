"""A campaign's progress over time: cumulative vaccinated per day against the straight line from the
start to the target at the deadline, and the funnel organised -> booked -> vaccinated of a board row.

The daily counts are the current reports (``geo.campaign.store.CURRENT_REPORTS``), the same the board
sums, so the series' last point equals the board's ``vaccinated`` for that unit and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.campaign.board import BoardRow
from geo.campaign.store import CURRENT_REPORTS, Campaign, get_campaign, rollup_parents
from geo.campaign.units import unit_by_ref
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import FUNNEL_STAGES, Term


@dataclass(frozen=True)
class SeriesPoint:
    """``vaccinated``: cumulative to the day; ``planned``: the straight line's value; ``reported``
    and ``expected``: how many reporting units reported that day, of how many."""

    day: dt.date
    vaccinated: int
    planned: float
    reported: int
    expected: int


def cumulative(
    conn: Connection,
    campaign: Campaign | str | int,
    *,
    day: dt.date,
    unit: str | None = None,
    scope: Scope = UNRESTRICTED,
) -> list[SeriesPoint]:
    """One point per day from the start to ``day`` (not past the deadline) for ``unit`` (a sub-district
    or committee code or name; None: every unit in ``scope``, the district line).

    The straight line runs from 0 the day before the start to the target at the end of the deadline:
    ``target * days_done / campaign_days``. A day no unit reported still has its cumulative value (the
    known total so far); ``reported`` shows how many units it rests on.
    """
    campaign = get_campaign(conn, campaign)
    last = min(day, campaign.deadline)
    if unit is not None:
        found = unit_by_ref(conn, unit)
        members = "t.unit_id = :unit OR u.parent_id = :unit"
        unit_id: int | None = found.id
    else:
        members, unit_id = "true", None
    parents = sorted(rollup_parents(conn, campaign.id))
    rows = conn.execute(
        text(f"""
        WITH units AS (
            SELECT t.unit_id, t.target FROM campaign_targets t JOIN admin_units u ON u.id = t.unit_id
            WHERE t.campaign_id = :campaign AND ({members}) AND {scope.units("u")}
              AND NOT (t.unit_id = ANY(CAST(:parents AS integer[])))
        ), cur AS ({CURRENT_REPORTS}),
        daily AS (
            SELECT c.day, sum(c.vaccinated)::bigint AS vaccinated, count(*) AS reported
            FROM cur c JOIN units USING (unit_id) GROUP BY c.day
        )
        SELECT d::date AS day, coalesce(daily.vaccinated, 0) AS vaccinated,
               coalesce(daily.reported, 0) AS reported,
               (SELECT count(*) FROM units) AS expected,
               (SELECT coalesce(sum(target), 0) FROM units) AS target
        FROM generate_series(CAST(:start AS date), CAST(:last AS date), interval '1 day') AS d
        LEFT JOIN daily ON daily.day = d::date
        ORDER BY 1"""),
        {"campaign": campaign.id, "day": last, "start": campaign.start, "last": last, "unit": unit_id,
         "parents": parents} | scope.params,
    ).all()  # fmt: skip
    span = (campaign.deadline - campaign.start).days + 1
    points: list[SeriesPoint] = []
    total = 0
    for r in rows:
        total += int(r.vaccinated)
        done = (r.day - campaign.start).days + 1
        points.append(
            SeriesPoint(r.day, total, int(r.target) * done / span, int(r.reported), int(r.expected))
        )
    return points


@dataclass(frozen=True)
class FunnelStage:
    stage: Term
    count: int
    share: float | None
    """of the target (None for a zero target)"""


def funnel(row: BoardRow) -> list[FunnelStage]:
    """The closed loop 组织到人 -> 预约到人 -> 接种到人 of a board row, each as a share of its target."""
    counts = {"organised": row.organised, "booked": row.booked, "vaccinated": row.vaccinated}
    return [
        FunnelStage(stage, counts[stage.code], counts[stage.code] / row.target if row.target else None)
        for stage in FUNNEL_STAGES
    ]
