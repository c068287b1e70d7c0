"""Reads of the house-status maps: the days the status history covers, searching buildings and the
buildings whose status changed lately. The status on a date itself is ``geo.status.rule``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.address.normalise import match_key
from geo.errors import InvalidParameter
from geo.scope import UNRESTRICTED, Scope


def status_dates(conn: Connection) -> tuple[dt.date, dt.date] | None:
    """The first and last day the status history covers, or None when there is none."""
    first, last = conn.execute(
        text("SELECT min(valid_from), max(greatest(valid_from, valid_to - 1)) FROM house_status")
    ).one()
    return None if first is None else (first, last)


def status_known_on(conn: Connection, date: dt.date) -> bool:
    """Whether the status history covers ``date`` (else a count by status on it would be a guess)."""
    covered = status_dates(conn)
    return covered is not None and covered[0] <= date <= covered[1]


def parse_date(value: object) -> dt.date:
    """A ``YYYY-MM-DD`` request parameter as a date."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidParameter(f"date must be YYYY-MM-DD, e.g. 2022-04-06, got {value!r}") from None


@dataclass(frozen=True)
class FoundBuilding:
    id: int
    label: str
    bounds: tuple[float, float, float, float]


def find_buildings(
    conn: Connection, query: str, *, limit: int = 10, scope: Scope = UNRESTRICTED
) -> list[FoundBuilding]:
    """Buildings (of ``scope``) whose address or name contains ``query`` (case-insensitive), or
    whose address contains its normalised form (``geo.address.normalise.match_key``: full-width
    digits, Chinese numerals, the city and district prefix, spaces) without the usual trailing 号
    ("世纪大道100号" finds the building "世纪大道100"), with their bounds."""
    query = query.strip()
    if not query:
        return []
    key = match_key(query).removesuffix("号") or query
    rows = conn.execute(
        text(f"""
        SELECT b.id, coalesce(b.address, b.name) AS label,
               ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
        FROM buildings b
        WHERE (b.address ILIKE :pattern OR b.name ILIKE :pattern OR b.address ILIKE :key)
          AND {scope.buildings("b")}
        ORDER BY length(coalesce(b.address, b.name)), b.id LIMIT :limit"""),
        {"pattern": f"%{_escape_like(query)}%", "key": f"%{_escape_like(key)}%", "limit": limit}
        | scope.params,
    )
    return [FoundBuilding(int(r[0]), r[1], (r[2], r[3], r[4], r[5])) for r in rows]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def changed_buildings(
    conn: Connection, *, since: dt.datetime, limit: int = 500, scope: Scope = UNRESTRICTED
) -> list[FoundBuilding]:
    """Buildings (of ``scope``) with a status row (their own or a household's) loaded at or after
    ``since``."""
    rows = conn.execute(
        text(f"""
        SELECT DISTINCT b.id, coalesce(b.address, b.name, '#' || b.id) AS label,
               ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
        FROM house_status s LEFT JOIN households h ON h.id = s.household_id
        JOIN buildings b ON b.id = coalesce(s.building_id, h.building_id)
        WHERE s.loaded_at >= :since AND {scope.buildings("b")} ORDER BY 1 LIMIT :limit"""),
        {"since": since, "limit": limit} | scope.params,
    )
    return [FoundBuilding(int(r[0]), r[1], (r[2], r[3], r[4], r[5])) for r in rows]
