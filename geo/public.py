"""The public aggregate view: household counts per sub-district and grid, small counts suppressed.

What anyone may see without signing in, so that nobody can single out a household:

- counts per sub-district and per grid only (no buildings, no points, no people);
- a count below ``MIN_COUNT`` is shown as ``"<5"`` (zero included: a reader cannot tell 0 from 3);
- the same cells are hidden on every date. A reader may ask for any day of the history, and
  per-day suppression hid different cells on different days (a grid hidden on Monday, shown on
  Tuesday): comparing dates then gave hidden counts away by subtraction (47 cells over the 66
  days of the demo, as reported; in a later demo build 72 of 198 cells over 71 days were hidden on
  some days and shown on others, now 0). So a cell (sub-district or grid, measure) is hidden on
  every day if it is below ``MIN_COUNT`` on any day of the history; what one date shows, no other
  date hides, and cross-date arithmetic only ever sees the sum of the same hidden cells;
- secondary suppression: when, on some day, exactly one part of a sub-district's total is unknown
  (one hidden grid, or only the households in no grid, fewer than ``MIN_COUNT``), it could be
  worked out as the total minus the shown parts; so the shown grid with the smallest largest
  count is hidden too, on every day (or the total, when no grid is left to hide), until no day
  leaves a single unknown. The "parts" are its grids plus the households in no grid.

We chose consistent suppression over publishing rounded counts: counts stay exact where they are
shown (a command centre's figures must add up), and the rule is simple to check, as the test does
independently for every sub-district and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Result, text

from geo.errors import InvalidParameter
from geo.scope import UNRESTRICTED
from geo.status.overview_read import coverage, part_counts_sql
from geo.status.read import status_dates
from geo.status.rule import household_statuses
from geo.vocab import CASE_STATUSES, STATUS_CODES

MIN_COUNT = 5
SUPPRESSED = f"<{MIN_COUNT}"
CONTROLLED_STATUSES: tuple[str, ...] = (
    "close_contact",
    "secondary_contact",
    "sealed",
    "home_isolation",
    "health_monitoring",
)
MEASURES: tuple[str, ...] = ("households", "case_households", "controlled_households")
"""What is counted: households, households with a case status, households under a control measure."""

Cell = int | str


@dataclass(frozen=True)
class PublicRow:
    """One line of the public table: a sub-district (``grid`` None) or one of its grids."""

    subdistrict: str
    grid: str | None
    counts: dict[str, Cell]


@dataclass(frozen=True)
class Suppression:
    """The cells hidden on every date: (sub-district, grid or None for its total, measure)."""

    hidden: frozenset[tuple[str, str | None, str]]
    dates: tuple[dt.date, dt.date] | None
    """The first and last day it was worked out over (None: no status history)."""


_Parts = dict[str, list[tuple[str | None, dict[str, int]]]]


def day_counts(conn: Connection, *, date: dt.date) -> _Parts:
    """Raw counts on ``date``: per sub-district, its parts (grid code, or None for no grid); from the
    precomputed overview (``geo.status.overview_read``) unless a write is not settled yet."""
    measures = {"households": STATUS_CODES, "case_households": CASE_STATUSES}
    if coverage(conn, UNRESTRICTED) is not None:
        sql = part_counts_sql(measures | {"controlled_households": CONTROLLED_STATUSES})
        return _parts(conn.execute(text(sql), {"date": date}))
    return live_day_counts(conn, date=date)


def live_day_counts(conn: Connection, *, date: dt.date) -> _Parts:
    """:func:`day_counts` from the status history itself (what the overview must equal)."""
    sql = f"""
    WITH hs AS ({household_statuses()})
    SELECT u.name AS subdistrict, g.code AS grid, count(*) AS households,
           count(*) FILTER (WHERE hs.status = ANY(CAST(:cases AS text[]))) AS case_households,
           count(*) FILTER (WHERE hs.status = ANY(CAST(:controlled AS text[]))) AS controlled_households
    FROM hs JOIN buildings b ON b.id = hs.building_id
    JOIN admin_units u ON u.id = b.subdistrict_id
    LEFT JOIN grids g ON g.id = b.grid_id
    GROUP BY u.name, g.code ORDER BY u.name, g.code NULLS LAST"""
    params = {
        "date": date,
        "severity": list(STATUS_CODES),
        "cases": list(CASE_STATUSES),
        "controlled": list(CONTROLLED_STATUSES),
    }
    conn.execute(text("SET LOCAL jit = off"))
    return _parts(conn.execute(text(sql), params))


def _parts(rows: Result) -> _Parts:
    raw: _Parts = {}
    for row in rows.mappings():
        raw.setdefault(row["subdistrict"], []).append((row["grid"], {m: int(row[m]) for m in MEASURES}))
    return raw


def history_suppression(conn: Connection) -> Suppression:
    """The cells to hide, worked out over every day of the status history (one query per day:
    callers cache it per data version)."""
    dates = status_dates(conn)
    if dates is None:
        return Suppression(frozenset(), None)
    first, last = dates
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return Suppression(hidden_over_time([day_counts(conn, date=d) for d in days]), dates)


def public_counts(
    conn: Connection, *, date: dt.date, suppression: Suppression | None = None
) -> list[PublicRow]:
    """Sub-district and grid rows on ``date`` (each sub-district followed by its grids), with the
    cells of ``suppression`` (default: worked out now over the whole history) hidden.

    Raises
    ------
    InvalidParameter
        for a date outside the status history: suppression holds for the dates it was worked out over.
    """
    suppression = suppression or history_suppression(conn)
    if suppression.dates is not None and not suppression.dates[0] <= date <= suppression.dates[1]:
        first, last = suppression.dates
        raise InvalidParameter(f"the public figures cover {first} to {last}; date was {date}")
    raw = day_counts(conn, date=date)
    hidden = suppression.hidden if suppression.dates is not None else hidden_over_time([raw])
    rows: list[PublicRow] = []
    for subdistrict, parts in raw.items():
        rows.extend(_rows(subdistrict, parts, hidden))
    return rows


def hidden_over_time(days: list[_Parts]) -> frozenset[tuple[str, str | None, str]]:
    """The cells hidden on every one of ``days`` (see the module docstring for the rules)."""
    hidden: set[tuple[str, str | None, str]] = set()
    for subdistrict in sorted({s for day in days for s in day}):
        grids = sorted({code for day in days for code, _ in day.get(subdistrict, []) if code is not None})
        for measure in MEASURES:
            values = [_values(day.get(subdistrict, []), grids, measure) for day in days]
            hidden |= {(subdistrict, g, measure) for g in _hidden_cells(grids, values)}
    return frozenset(hidden)


def _values(parts: list[tuple[str | None, dict[str, int]]], grids: list[str], measure: str) -> dict:
    """One day's counts of ``measure``: per grid, plus None for the households in no grid."""
    found = {code: counts[measure] for code, counts in parts}
    return {g: found.get(g, 0) for g in grids} | {None: found.get(None, 0)}


def _hidden_cells(grids: list[str], days: list[dict[str | None, int]]) -> set[str | None]:
    """The grids (and None: the total) of one sub-district and measure hidden on every day."""
    hidden: set[str | None] = {g for g in grids if any(day[g] < MIN_COUNT for day in days)}
    if any(sum(day.values()) < MIN_COUNT for day in days):
        hidden.add(None)
    largest = {g: max(day[g] for day in days) for g in grids}
    while True:
        exposed = next((day for day in days if _single_unknown(hidden, grids, day)), None)
        if exposed is None:
            return hidden
        shown = sorted((largest[g], g) for g in grids if g not in hidden)
        if shown:
            hidden.add(shown[0][1])
        elif None not in hidden:
            hidden.add(None)
        else:
            return hidden  # no grid, and the total hidden already: nothing left to hide


def _single_unknown(hidden: set[str | None], grids: list[str], day: dict[str | None, int]) -> bool:
    """Whether the day's total equation (total = grids + households in no grid) has exactly one
    unknown a reader could work out: a hidden grid or total, or a small number in no grid."""
    unknown = [g for g in grids if g in hidden] + (["total"] if None in hidden else [])
    outside = day[None]
    if outside:
        unknown.append("outside")
    if len(unknown) != 1:
        return False
    return unknown != ["outside"] or outside < MIN_COUNT


def _rows(
    subdistrict: str,
    parts: list[tuple[str | None, dict[str, int]]],
    hidden: frozenset[tuple[str, str | None, str]],
) -> list[PublicRow]:
    """The sub-district row then its grid rows, ``hidden`` cells (and any count below the minimum,
    as a safeguard) shown as ``SUPPRESSED``."""

    def cell(grid: str | None, measure: str, value: int) -> Cell:
        return SUPPRESSED if (subdistrict, grid, measure) in hidden or value < MIN_COUNT else value

    grids = [(code, counts) for code, counts in parts if code is not None]
    totals = {m: sum(counts[m] for _, counts in parts) for m in MEASURES}
    rows = [PublicRow(subdistrict, None, {m: cell(None, m, totals[m]) for m in MEASURES})]
    for code, counts in grids:
        rows.append(PublicRow(subdistrict, code, {m: cell(code, m, counts[m]) for m in MEASURES}))
    return rows
