"""THE write rule of vaccination campaigns: campaigns, their targets, and the append-only daily reports
whose current value per unit and day is the latest row (a later file is the correction, audited).

- A campaign has a name, a dose (``geo.vocab.DOSES``; doses are separate campaigns), a start, a
  deadline and targets (任务总量) per sub-district or committee. A sub-district with committee targets
  has the sum of its committees as its target; a target given for it as well must equal that sum.
- A daily report is (campaign, unit, day, organised, booked, vaccinated): the counts of that day
  (当日新增), never persons. Reports are appended, never updated: the current value of (campaign,
  unit, day) is the row with the highest id (:data:`CURRENT_REPORTS`, the one place that says so),
  so a late or corrected file simply appends; the rows it replaces stay, with their file and load
  time. The same values again append nothing (loading a file twice changes nothing). A write that
  replaces a stored value is audited (``campaign_change``) with how many it replaced.
- A committee reports for itself; a report naming a sub-district that has committee targets is
  refused by the loader (its figures are its committees' sum).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo import audit
from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import DOSE_CODES


def current_reports(where: str) -> str:
    """The current reports matching ``where`` (code-defined SQL over ``campaign_reports r``) read from
    the log itself: the latest row of each campaign, unit and day."""
    return f"""
    SELECT DISTINCT ON (r.campaign_id, r.unit_id, r.day)
           r.id, r.campaign_id, r.unit_id, r.day, r.organised, r.booked, r.vaccinated
    FROM campaign_reports r
    WHERE {where}
    ORDER BY r.campaign_id, r.unit_id, r.day, r.id DESC"""


# The current reports of campaign :campaign up to and including :day, with the running totals to
# each day (``campaign_current``, kept equal to ``current_reports`` by :func:`refresh_current`).
# Every read of the figures (board, series, public totals) selects from this.
CURRENT_REPORTS = """
    SELECT r.unit_id, r.day, r.organised, r.booked, r.vaccinated, r.cum_organised, r.cum_booked,
           r.cum_vaccinated
    FROM campaign_current r
    WHERE r.campaign_id = :campaign AND r.day <= :day"""


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    dose: str
    start: dt.date
    deadline: dt.date
    source: str

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "dose": self.dose,
            "start": self.start.isoformat(),
            "deadline": self.deadline.isoformat(),
            "source": self.source,
        }


@dataclass(frozen=True)
class ReportChange:
    """What a write of reports did: ``inserted`` new (unit, day) values, ``corrected`` stored values
    replaced by other counts (the old rows kept), ``unchanged`` the same counts again."""

    inserted: int = 0
    corrected: int = 0
    unchanged: int = 0


_COLUMNS = "id, name, dose, start_date, deadline, source"


def _campaign(row: object) -> Campaign:
    r = row  # a Row with the columns of _COLUMNS
    return Campaign(int(r.id), r.name, r.dose, r.start_date, r.deadline, r.source)  # type: ignore[attr-defined]


def list_campaigns(conn: Connection) -> list[Campaign]:
    """Every campaign, newest deadline first."""
    rows = conn.execute(text(f"SELECT {_COLUMNS} FROM campaigns ORDER BY deadline DESC, name")).all()
    return [_campaign(r) for r in rows]


def get_campaign(conn: Connection, ref: str | int | Campaign) -> Campaign:
    """The campaign named (or numbered) ``ref``.

    Raises
    ------
    NotFound
        naming the campaigns there are.
    """
    if isinstance(ref, Campaign):
        return ref
    column = "id" if isinstance(ref, int) else "name"
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM campaigns WHERE {column} = :ref"), {"ref": ref}).first()
    if row is None:
        names = ", ".join(c.name for c in list_campaigns(conn)) or "none yet (battlemap campaign add)"
        raise NotFound(f"no campaign {ref!r}: the campaigns are {names}")
    return _campaign(row)


def latest_campaign(conn: Connection) -> Campaign | None:
    """The campaign a page opens on: the one with the latest deadline (None: no campaign)."""
    campaigns = list_campaigns(conn)
    return campaigns[0] if campaigns else None


def add_campaign(
    conn: Connection,
    name: str,
    *,
    deadline: dt.date,
    start: dt.date,
    targets: Sequence[tuple[int, int]],
    dose: str = "any",
    source: str,
    actor: audit.Actor | None = None,
) -> Campaign:
    """Create a campaign with its targets (``(unit_id, target)``), in ``conn``'s transaction.

    Raises
    ------
    InvalidParameter
        for an empty name, an unknown dose, a deadline before the start, no targets, a negative
        target, a unit given twice, a name already taken, or a sub-district target that is not
        the sum of its committees' targets.
    """
    name = name.strip()
    if not name:
        raise InvalidParameter("a campaign needs a name")
    if dose not in DOSE_CODES:
        raise InvalidParameter(f"dose was {dose!r} but is expected to be one of {', '.join(DOSE_CODES)}")
    if deadline < start:
        raise InvalidParameter(f"the deadline {deadline} is before the start {start}")
    if not targets:
        raise InvalidParameter(f"campaign {name!r} has no targets: give at least one unit's target")
    seen: set[int] = set()
    for unit_id, target in targets:
        if target < 0:
            raise InvalidParameter(f"target {target} of unit {unit_id} is negative")
        if unit_id in seen:
            raise InvalidParameter(f"unit {unit_id} has two targets")
        seen.add(unit_id)
    if conn.execute(text("SELECT 1 FROM campaigns WHERE name = :n"), {"n": name}).first():
        raise InvalidParameter(f"a campaign named {name!r} exists already: choose another name")
    campaign_id = conn.execute(
        text(
            "INSERT INTO campaigns (name, dose, start_date, deadline, source) "
            "VALUES (:n, :d, :s, :e, :src) RETURNING id"
        ),
        {"n": name, "d": dose, "s": start, "e": deadline, "src": source},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO campaign_targets (campaign_id, unit_id, target, source) "
            "SELECT :c, u, t, :src "
            "FROM unnest(CAST(:units AS integer[]), CAST(:targets AS integer[])) AS x (u, t)"
        ),
        {
            "c": campaign_id,
            "units": [u for u, _ in targets],
            "targets": [t for _, t in targets],
            "src": source,
        },
    )
    _check_rollup_targets(conn, int(campaign_id))
    actor = actor or audit.cli_actor()
    audit.record(
        conn,
        actor,
        "campaign_change",
        target=f"campaign:{name}",
        detail={"created": True, "units": len(targets)},
    )
    return get_campaign(conn, int(campaign_id))


def _check_rollup_targets(conn: Connection, campaign_id: int) -> None:
    bad = conn.execute(
        text("""
        SELECT p.code, p.name, pt.target, sum(ct.target) AS committees
        FROM campaign_targets ct JOIN admin_units c ON c.id = ct.unit_id
        JOIN admin_units p ON p.id = c.parent_id
        JOIN campaign_targets pt ON pt.unit_id = p.id AND pt.campaign_id = ct.campaign_id
        WHERE ct.campaign_id = :c
        GROUP BY p.code, p.name, pt.target HAVING pt.target <> sum(ct.target)
        ORDER BY p.code LIMIT 1"""),
        {"c": campaign_id},
    ).first()
    if bad is not None:
        raise InvalidParameter(
            f"the target of {bad.name} ({bad.code}) is {bad.target}, but its committees' targets add up "
            f"to {bad.committees}: give the committees only (the sub-district's target is their sum) "
            "or fix it"
        )


def rollup_parents(conn: Connection, campaign_id: int) -> set[int]:
    """The units whose figures are their committees' sum (a committee of theirs has a target)."""
    rows = conn.execute(
        text("""
        SELECT DISTINCT c.parent_id FROM campaign_targets ct JOIN admin_units c ON c.id = ct.unit_id
        WHERE ct.campaign_id = :c AND c.level = 'committee' AND c.parent_id IS NOT NULL"""),
        {"c": campaign_id},
    ).scalars()
    return {int(p) for p in rows}


def record_reports(
    conn: Connection,
    rows: str,
    *,
    source: str,
    actor: audit.Actor | None = None,
) -> ReportChange:
    """Append the daily reports of table ``rows`` (columns ``campaign_id, unit_id, day, organised,
    booked, vaccinated, row_no``: one row per campaign, unit and day) by the rule of this module.

    Returns
    -------
    ReportChange
        Nothing is appended for a (campaign, unit, day) whose current counts are the same.
    """
    actor = actor or audit.cli_actor()
    # One writer at a time: each decides "new, correction or the same" on what the other is writing.
    conn.exec_driver_sql("LOCK TABLE campaign_reports IN SHARE ROW EXCLUSIVE MODE")
    conn.exec_driver_sql("DROP TABLE IF EXISTS campaign_reports_in")
    conn.exec_driver_sql(f"""
        CREATE TEMP TABLE campaign_reports_in ON COMMIT DROP AS
        SELECT s.*, c.id AS current_id,
               (c.organised, c.booked, c.vaccinated)
                   IS NOT DISTINCT FROM (s.organised, s.booked, s.vaccinated)
                   AS same
        FROM {rows} s
        LEFT JOIN LATERAL (
            SELECT r.id, r.organised, r.booked, r.vaccinated FROM campaign_reports r
            WHERE r.campaign_id = s.campaign_id AND r.unit_id = s.unit_id AND r.day = s.day
            ORDER BY r.id DESC LIMIT 1) c ON true""")
    inserted, corrected, unchanged = conn.execute(
        text("""
        SELECT count(*) FILTER (WHERE current_id IS NULL),
               count(*) FILTER (WHERE current_id IS NOT NULL AND NOT same),
               count(*) FILTER (WHERE same)
        FROM campaign_reports_in""")
    ).one()
    conn.execute(
        text("""
        INSERT INTO campaign_reports (campaign_id, unit_id, day, organised, booked, vaccinated, source,
                                      source_row, loaded_by)
        SELECT campaign_id, unit_id, day, organised, booked, vaccinated, :source, row_no, :actor
        FROM campaign_reports_in WHERE NOT same ORDER BY campaign_id, unit_id, day"""),
        {"source": source, "actor": actor.name},
    )
    conn.exec_driver_sql("""
        CREATE TEMP TABLE campaign_reports_since ON COMMIT DROP AS
        SELECT campaign_id, unit_id, min(day) AS since FROM campaign_reports_in WHERE NOT same
        GROUP BY campaign_id, unit_id""")
    refresh_current(conn, "campaign_reports_since")
    conn.exec_driver_sql("DROP TABLE campaign_reports_in, campaign_reports_since")
    change = ReportChange(int(inserted), int(corrected), int(unchanged))
    if change.inserted or change.corrected:
        audit.record(
            conn,
            actor,
            "campaign_change",
            target=f"load:{source}",
            detail={"inserted": change.inserted, "corrected": change.corrected},
        )
    return change


def refresh_current(conn: Connection, since: str) -> None:
    """Rebuild ``campaign_current`` from the log for the units and days table ``since`` names
    (``campaign_id, unit_id, since``: each unit's days from ``since`` on), running totals carried on
    from the unit's last day before. Pass ``campaign_reports`` grouped to rebuild everything."""
    conn.exec_driver_sql(f"""
        DELETE FROM campaign_current c USING {since} s
        WHERE c.campaign_id = s.campaign_id AND c.unit_id = s.unit_id AND c.day >= s.since""")
    conn.exec_driver_sql(f"""
        INSERT INTO campaign_current (campaign_id, unit_id, day, report_id, organised, booked, vaccinated,
                                      cum_organised, cum_booked, cum_vaccinated)
        SELECT r.campaign_id, r.unit_id, r.day, r.id, r.organised, r.booked, r.vaccinated,
               coalesce(b.cum_organised, 0) + sum(r.organised) OVER w,
               coalesce(b.cum_booked, 0) + sum(r.booked) OVER w,
               coalesce(b.cum_vaccinated, 0) + sum(r.vaccinated) OVER w
        FROM ({
        current_reports(
            f"EXISTS (SELECT 1 FROM {since} s WHERE s.campaign_id = r.campaign_id "
            "AND s.unit_id = r.unit_id AND r.day >= s.since)"
        )
    }) r
        JOIN {since} s ON s.campaign_id = r.campaign_id AND s.unit_id = r.unit_id
        LEFT JOIN LATERAL (
            SELECT c.cum_organised, c.cum_booked, c.cum_vaccinated FROM campaign_current c
            WHERE c.campaign_id = s.campaign_id AND c.unit_id = s.unit_id AND c.day < s.since
            ORDER BY c.day DESC LIMIT 1) b ON true
        WINDOW w AS (PARTITION BY r.campaign_id, r.unit_id ORDER BY r.day)""")


def rebuild_current(conn: Connection, campaign_id: int) -> None:
    """Rebuild ``campaign_current`` of one campaign wholly from the log (after a bulk insert into it)."""
    conn.exec_driver_sql("DROP TABLE IF EXISTS campaign_reports_since")
    conn.execute(
        text("""
        CREATE TEMP TABLE campaign_reports_since ON COMMIT DROP AS
        SELECT campaign_id, unit_id, min(day) AS since FROM campaign_reports WHERE campaign_id = :c
        GROUP BY campaign_id, unit_id"""),
        {"c": campaign_id},
    )
    refresh_current(conn, "campaign_reports_since")
    conn.exec_driver_sql("DROP TABLE campaign_reports_since")


@dataclass(frozen=True)
class ReportVersion:
    """One stored row of a unit's day: the current one is the last."""

    id: int
    organised: int
    booked: int
    vaccinated: int
    source: str
    loaded_at: dt.datetime


def report_versions(conn: Connection, campaign: Campaign, unit_id: int, day: dt.date) -> list[ReportVersion]:
    """Every row stored for ``unit_id`` on ``day``, oldest first (the audit trail of corrections)."""
    rows = conn.execute(
        text("""
        SELECT id, organised, booked, vaccinated, source, loaded_at FROM campaign_reports
        WHERE campaign_id = :c AND unit_id = :u AND day = :d ORDER BY id"""),
        {"c": campaign.id, "u": unit_id, "d": day},
    ).all()
    return [
        ReportVersion(int(r.id), r.organised, r.booked, r.vaccinated, r.source, r.loaded_at) for r in rows
    ]


def report_dates(conn: Connection, campaign: Campaign) -> tuple[dt.date, dt.date] | None:
    """The first and last day any report of ``campaign`` is for (None: none yet)."""
    row = conn.execute(
        text("SELECT min(day), max(day) FROM campaign_reports WHERE campaign_id = :c"), {"c": campaign.id}
    ).one()
    return None if row[0] is None else (row[0], row[1])


def default_day(conn: Connection, campaign: Campaign, today: dt.date) -> dt.date:
    """The day a board opens on: the last reported day, never after ``today`` nor the deadline."""
    dates = report_dates(conn, campaign)
    last = dates[1] if dates else campaign.start
    return max(campaign.start, min(last, today, campaign.deadline))


def campaign_bounds(
    conn: Connection, campaign: Campaign, *, scope: Scope = UNRESTRICTED
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the units with a target in ``campaign`` (of ``scope``)."""
    row = conn.execute(
        text(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (
            SELECT ST_Extent(u.geom) AS e FROM admin_units u JOIN campaign_targets t ON t.unit_id = u.id
            WHERE t.campaign_id = :c AND {scope.units("u")}) x"""),
        {"c": campaign.id} | scope.params,
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
