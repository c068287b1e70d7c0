"""The KPI strip of the house-status map: households by status on a date, changes since the day
before, buildings with cases and buildings by their worst status; all by ``geo.status.rule``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, text

from geo.areas import Filters, filter_where
from geo.scope import UNRESTRICTED, Scope
from geo.status.overview_read import coverage, kpi_figures
from geo.status.rule import building_statuses, household_statuses, status_params
from geo.vocab import STATUS_CODES


@dataclass(frozen=True)
class Kpis:
    """The KPI strip: households by status, changes since the day before, buildings with cases."""

    date: dt.date
    households: dict[str, int]
    changed_since_yesterday: int
    buildings_with_cases: int
    buildings: dict[str, int] = field(default_factory=dict)
    """Buildings by their status (``geo.status.rule``: what the map's colours count)."""

    @property
    def total(self) -> int:
        return sum(self.households.values())

    def to_json(self) -> bytes:
        """The figures as JSON, for a cache shared by processes (``geo.cache``)."""
        return json.dumps(asdict(self) | {"date": self.date.isoformat()}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Kpis:
        fields = json.loads(data)
        return cls(**(fields | {"date": dt.date.fromisoformat(fields["date"])}))


def kpis(
    conn: Connection, *, date: dt.date, filters: Filters | None = None, scope: Scope = UNRESTRICTED
) -> Kpis:
    """Households by status on ``date`` (every status, zeros included, in severity order), how many
    households' status differs from the day before, and buildings with a case status; of ``scope``.

    From the precomputed overview (``geo.status.overview_read``) when the scope and the filters
    choose whole areas (sub-districts or grids; a compound filter never: it goes live); else, and
    while a write is not settled, by the live query."""
    cov = coverage(conn, scope, filters)
    if cov is not None:
        figures = kpi_figures(conn, cov, date=date)
        return Kpis(
            date, figures.households, figures.changed, figures.buildings_with_cases, figures.buildings
        )
    return live_kpis(conn, date=date, filters=filters, scope=scope)


def live_kpis(
    conn: Connection, *, date: dt.date, filters: Filters | None = None, scope: Scope = UNRESTRICTED
) -> Kpis:
    """:func:`kpis` computed from the status history itself (what the overview must equal)."""
    # The scope and the filters choose the households counted, not those whose status is computed:
    # inside ``household_statuses`` a predicate makes the planner expect a handful of rows and loop
    # (10-19 s for a sub-district of the demo, against 0.2 s this way).
    where, params = filter_where(filters, scope)
    chosen = f"(SELECT b.id FROM buildings b WHERE {where})"

    def mine(alias: str) -> str:
        return f"{alias}.building_id IN {chosen}" if scope.restricted or filters else "true"

    sql = f"""
    WITH today AS ({household_statuses()}),
    yesterday AS ({household_statuses(on=":yesterday")})
    SELECT t.status, count(*) AS n,
           count(*) FILTER (WHERE t.status <> y.status) AS changed,
           count(DISTINCT t.building_id) FILTER (WHERE t.status = ANY(CAST(:cases AS text[]))) AS with_cases
    FROM today t JOIN yesterday y USING (household_id) WHERE {mine("t")}
    GROUP BY ROLLUP (t.status)"""
    params |= status_params(date) | {"yesterday": date - dt.timedelta(days=1)}
    conn.execute(text("SET LOCAL jit = off"))  # compiling costs more than these scans
    households = dict.fromkeys(STATUS_CODES, 0)
    changed = with_cases = 0
    for status, n, changed_n, cases_n in conn.execute(text(sql), params):
        if status is None:
            changed, with_cases = int(changed_n), int(cases_n)
        else:
            households[status] = int(n)
    worst = f"""
    SELECT x.status, count(*) FROM ({building_statuses("true")}) x
    WHERE x.status IS NOT NULL AND {mine("x")} GROUP BY 1"""
    buildings = dict.fromkeys(STATUS_CODES, 0)
    for status, n in conn.execute(text(worst), params):
        buildings[status] = int(n)
    return Kpis(date, households, changed, with_cases, buildings)
