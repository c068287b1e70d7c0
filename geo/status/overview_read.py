"""Reads of the precomputed overviews (``geo.status.overview``): which scopes they can answer, the
areas' figures of the low-zoom house-status tiles and the KPI strip's figures.

A scope is answered from the overview when its buildings are exactly whole areas:

- unrestricted: the city row;
- whole sub-districts (every building of each sub-district holding one of its buildings is in it):
  sub-district rows, and for grid tiles the (grid, sub-district) pairs of those sub-districts;
- whole grids (no building of it lacks a grid, and every building of its grids is in it): the
  pairs of those grids, summed per grid or per sub-district.

The same holds for the buildings a KPI filter of district, sub-district or grid chooses within a
scope; a compound filter always goes live. Anything else (a committee cutting a grid, say), and
any moment where buildings are pending (a write outside the write rule not settled yet), returns
None: the caller takes the live query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.areas import Filters, filter_where
from geo.scope import UNRESTRICTED, Scope
from geo.status.overview import (
    BUILDINGS_BY_STATUS,
    HOUSEHOLDS_BY_STATUS,
    PARTS,
    PENDING,
    TABLE,
)
from geo.vocab import STATUS_CODES

IDS_PARAM = "overview_ids"
_AREA_FILTERS = ("district", "subdistrict", "grid")
"""The KPI filters (``geo.areas.FILTER_COLUMNS``) the overview answers; any other goes live."""


@dataclass(frozen=True)
class Coverage:
    """What the overview sums for a scope: ``level`` ``c`` (the city), ``s`` (the sub-districts
    ``ids``) or ``g`` (the grids ``ids``)."""

    level: str
    ids: tuple[int, ...] = ()

    @property
    def params(self) -> dict[str, object]:
        return {IDS_PARAM: list(self.ids)}

    def pairs(self, o: str = "o") -> str:
        """The (grid, sub-district) pairs ``o`` (level ``g``) of the scope."""
        chosen = {"c": "true", "s": f"{o}.subdistrict_id = ANY(CAST(:{IDS_PARAM} AS integer[]))"}
        return f"{o}.level = 'g' AND " + chosen.get(
            self.level, f"{o}.grid_id = ANY(CAST(:{IDS_PARAM} AS integer[]))"
        )


def coverage(conn: Connection, scope: Scope, filters: Filters | None = None) -> Coverage | None:
    """How the overview answers the buildings of ``scope`` matching ``filters``, or None when it
    cannot (see the module's docstring): a district, sub-district or grid filter chooses by the
    columns the overview keeps; a compound filter does not (the live query answers it)."""
    if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {PENDING})")).scalar_one():
        return None
    if not scope.restricted and not filters:
        return Coverage("c")
    if set(filters or {}) - set(_AREA_FILTERS):
        return None
    chosen, params = filter_where(filters, scope)
    # The scope's predicate on the parts (the same column names as on buildings): a few rows per grid.
    n, subs, grids, gridless = conn.execute(
        text(f"""
        SELECT coalesce(sum(b.buildings), 0), array_agg(DISTINCT b.subdistrict_id),
               array_agg(DISTINCT b.grid_id), coalesce(sum(b.buildings) FILTER (WHERE b.grid_id = 0), 0)
        FROM {PARTS} b WHERE {chosen}"""),
        params,
    ).one()
    if n == 0:
        return Coverage("g")
    whole = f"SELECT coalesce(sum(buildings), 0) FROM {PARTS} WHERE {{key}} = ANY(:ids)"
    held = conn.execute(text(whole.format(key="subdistrict_id")), {"ids": subs}).scalar_one()
    if 0 not in subs and held == n:
        return Coverage("s", tuple(sorted(int(i) for i in subs)))
    held = conn.execute(text(whole.format(key="grid_id")), {"ids": grids}).scalar_one()
    if gridless == 0 and held == n:
        return Coverage("g", tuple(sorted(int(i) for i in grids)))
    return None


def _worst(prefix: str = "") -> str:
    """The most severe status with a building (NULL when none has a status)."""
    whens = " ".join(
        f"WHEN sum({prefix}{column}) > 0 THEN '{code}'"
        for column, code in zip(BUILDINGS_BY_STATUS, STATUS_CODES, strict=True)
    )
    return f"CASE {whens} END"


def area_figures(cov: Coverage, *, per_grid: bool, areas: str) -> str:
    """SELECT of ``area_id, buildings, households, cases, buildings_with_cases, vulnerable_buildings,
    status`` on :date for the areas (grids when ``per_grid``, else sub-districts) whose ids
    ``areas`` selects: the figures the low-zoom house-status tile shows, as the live aggregate over
    the scope's buildings gives them (areas without a building of the scope are left out)."""
    if per_grid:
        key, where = "grid_id", cov.pairs("o")
    elif cov.level == "g":
        key, where = "subdistrict_id", cov.pairs("o")
    else:
        key = "subdistrict_id"
        where = "o.level = 's'" + (
            f" AND o.subdistrict_id = ANY(CAST(:{IDS_PARAM} AS integer[]))" if cov.level == "s" else ""
        )
    return f"""
    SELECT o.{key} AS area_id, sum(o.buildings)::int AS buildings, sum(o.households)::int AS households,
           sum(o.cases)::int AS cases, sum(o.with_cases)::int AS buildings_with_cases,
           sum(o.vulnerable)::int AS vulnerable_buildings, {_worst("o.")} AS status
    FROM {TABLE} o WHERE {where} AND o.{key} IN ({areas}) AND o.day <= :date
    GROUP BY o.{key} HAVING sum(o.buildings) > 0"""


@dataclass(frozen=True)
class OverviewFigures:
    """The KPI strip's figures of a scope on a day, from the overview."""

    households: dict[str, int]
    changed: int
    buildings_with_cases: int
    buildings: dict[str, int]


def kpi_figures(conn: Connection, cov: Coverage, *, date: dt.date) -> OverviewFigures:
    """Households and buildings by status, households changed since the day before and buildings
    with cases of the scope ``cov`` on ``date``: a handful of rows per area summed."""
    if cov.level == "c":
        where = "o.level = 'c'"
    elif cov.level == "s":
        where = f"o.level = 's' AND o.subdistrict_id = ANY(CAST(:{IDS_PARAM} AS integer[]))"
    else:
        where = cov.pairs("o")
    sums = ", ".join(f"coalesce(sum(o.{c}), 0)" for c in HOUSEHOLDS_BY_STATUS + BUILDINGS_BY_STATUS)
    row = conn.execute(
        text(f"""
        SELECT coalesce(sum(o.changed) FILTER (WHERE o.day = :date), 0), coalesce(sum(o.with_cases), 0),
               {sums}
        FROM {TABLE} o WHERE {where} AND o.day <= :date"""),
        cov.params | {"date": date},
    ).one()
    n = len(STATUS_CODES)
    values = [int(v) for v in row[2:]]
    return OverviewFigures(
        households=dict(zip(STATUS_CODES, values[:n], strict=True)),
        changed=int(row[0]),
        buildings_with_cases=int(row[1]),
        buildings=dict(zip(STATUS_CODES, values[n:], strict=True)),
    )


def part_counts_sql(measures: Mapping[str, Sequence[str]]) -> str:
    """SELECT of ``subdistrict`` (its name), ``grid`` (its code; NULL for the households in no grid)
    and, per measure, the households with one of its statuses on :date, for every part of every
    sub-district holding households, in that order: what the public view counts (``geo.public``)."""
    counted = "".join(
        f", sum({' + '.join(f'o.hh_{code}' for code in statuses)}) AS {name}"
        for name, statuses in measures.items()
    )
    return f"""
    SELECT u.name AS subdistrict, g.code AS grid{counted}
    FROM {TABLE} o JOIN admin_units u ON u.id = o.subdistrict_id LEFT JOIN grids g ON g.id = o.grid_id
    WHERE o.level = 'g' AND o.day <= :date
    GROUP BY u.name, g.code HAVING sum(o.households) > 0 ORDER BY u.name, g.code NULLS LAST"""


def subdistrict_statuses(conn: Connection, *, date: dt.date) -> dict[int, dict[str, int]] | None:
    """Households by status on ``date`` per sub-district holding households (every status, zeros
    included), from the overview; None while a write is not settled (the caller goes live)."""
    if coverage(conn, UNRESTRICTED) is None:
        return None
    sums = ", ".join(f"sum(o.{c})" for c in HOUSEHOLDS_BY_STATUS)
    rows = conn.execute(
        text(f"""
        SELECT o.subdistrict_id, {sums} FROM {TABLE} o
        WHERE o.level = 's' AND o.subdistrict_id <> 0 AND o.day <= :date
        GROUP BY o.subdistrict_id HAVING sum(o.households) > 0"""),
        {"date": date},
    )
    return {int(unit): dict(zip(STATUS_CODES, map(int, counts), strict=True)) for unit, *counts in rows}
