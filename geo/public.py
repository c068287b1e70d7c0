"""The public aggregate view: household counts per sub-district and grid, small counts suppressed.

What anyone may see without signing in, so that nobody can single out a household:

- counts per sub-district and per grid only (no buildings, no points, no people);
- a count below ``MIN_COUNT`` is shown as ``"<5"`` (zero included: a reader cannot tell 0 from 3);
- secondary suppression: when a sub-district's total and all but one of its parts are shown,
  the last part could be computed by subtraction; so when exactly one part is hidden and it
  holds 1 to 4 households, the smallest shown grid of that sub-district is hidden too (or the
  sub-district total, when no grid is left to hide). The "parts" are its grids plus the
  households in none of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

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


def public_counts(conn: Connection, *, date: dt.date) -> list[PublicRow]:
    """Sub-district and grid rows on ``date`` (each sub-district followed by its grids), suppressed."""
    sql = f"""
    WITH hs AS ({household_statuses("date", "true")})
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
    raw: dict[str, list[tuple[str | None, dict[str, int]]]] = {}
    for row in conn.execute(text(sql), params).mappings():
        raw.setdefault(row["subdistrict"], []).append((row["grid"], {m: int(row[m]) for m in MEASURES}))
    rows: list[PublicRow] = []
    for subdistrict, parts in raw.items():
        rows.extend(_suppressed(subdistrict, parts))
    return rows


def _suppressed(subdistrict: str, parts: list[tuple[str | None, dict[str, int]]]) -> list[PublicRow]:
    """The sub-district row then its grid rows, with primary and secondary suppression per measure."""
    grids = [(code, counts) for code, counts in parts if code is not None]
    outside = next((counts for code, counts in parts if code is None), dict.fromkeys(MEASURES, 0))
    total_cells: dict[str, Cell] = {}
    grid_cells: list[dict[str, Cell]] = [{} for _ in grids]
    for measure in MEASURES:
        values = [counts[measure] for _, counts in grids]
        total = sum(values) + outside[measure]
        hidden = {i for i, v in enumerate(values) if v < MIN_COUNT}
        # The parts a reader cannot see: hidden grids, and the households in no grid (never shown).
        unseen = [values[i] for i in hidden] + ([outside[measure]] if outside[measure] else [])
        hide_total = total < MIN_COUNT
        if not hide_total and len(unseen) == 1 and 0 < unseen[0] < MIN_COUNT:
            shown = sorted((v, i) for i, v in enumerate(values) if i not in hidden)
            if shown:
                hidden.add(shown[0][1])
            else:
                hide_total = True
        total_cells[measure] = SUPPRESSED if hide_total else total
        for i, v in enumerate(values):
            grid_cells[i][measure] = SUPPRESSED if i in hidden else v
    rows = [PublicRow(subdistrict, None, total_cells)]
    for (code, _), cells in zip(grids, grid_cells, strict=True):
        rows.append(PublicRow(subdistrict, code, cells))
    return rows
