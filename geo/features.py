"""Reading loaded features, kind by kind: ``read_*(conn, *, bbox=None, ...) -> GeoDataFrame``.

The per-kind reads of exports, the notebook API and tests, with bound parameters only. Each kind
has an explicit column whitelist (``FEATURE_COLUMNS``): the exported names are those its loader recognises,
the source id goes out as ``id`` (so a reload updates in place), and nothing is ever read
from ``person_contacts``. Geometries come back in WGS84 (EPSG:4326), as stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.crs import WGS84
from geo.errors import InvalidParameter, NotFound
from geo.personal import PERSONAL_FIELDS
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import ENVELOPE, Bbox, bbox_params, read_frame
from geo.status.rule import household_statuses, status_params, valid_on


@dataclass(frozen=True)
class KindSQL:
    """How one kind is read: (exported name, SQL expression) pairs, the FROM clause, the geometry."""

    columns: tuple[tuple[str, str], ...]
    from_: str
    geometry: str
    # A predicate on :date, for kinds that have a date dimension.
    date_filter: str | None = None
    # Extra (name, expression) pairs read only when a date is given, and the FROM clause then.
    dated_columns: tuple[tuple[str, str], ...] = ()
    dated_from: str | None = None
    # The rows a scope may see (``geo.scope``); None = rows of no area (the OSM basemap).
    in_scope: Callable[[Scope], str] | None = lambda scope: "false"

    @property
    def key(self) -> str:
        """The integer primary key of the kind's own row (``<alias>.id``): the order of keyset paging."""
        return self.columns[0][1].split(".", 1)[0] + ".id"


def _columns(alias: str, names: str, **expressions: str) -> tuple[tuple[str, str], ...]:
    """The whitelist of one kind: ``id`` (the source id), the columns ``names`` of ``alias``,
    then the named SQL ``expressions`` (references go out as the referenced row's source id or
    code), then ``source``."""
    plain = tuple((name, f"{alias}.{name}") for name in names.split())
    return (("id", f"{alias}.source_id"), *plain, *expressions.items(), ("source", f"{alias}.source"))


_KINDS: dict[str, KindSQL] = {
    "admin": KindSQL(
        _columns("u", "code name name_en level", parent="p.code"),
        "admin_units u LEFT JOIN admin_units p ON p.id = u.parent_id",
        "u.geom",
        in_scope=lambda scope: scope.units("u"),
    ),
    "grids": KindSQL(
        _columns("g", "code name", unit="u.code"),
        "grids g LEFT JOIN admin_units u ON u.id = g.unit_id",
        "g.geom",
        in_scope=lambda scope: scope.grids("g"),
    ),
    "compounds": KindSQL(
        _columns("c", "name address"), "compounds c", "c.geom", in_scope=lambda scope: scope.compounds("c")
    ),
    "buildings": KindSQL(
        _columns("b", "name address height_m floors kind"),
        "buildings b",
        "b.geom",
        in_scope=lambda scope: scope.buildings("b"),
    ),
    # Households have no geometry of their own: they are placed at their building's label point.
    # They are dated (date_filter true: every row) because a date adds their status on it.
    "households": KindSQL(
        _columns("h", "unit_label size elderly_alone disabled foreign_national", building="b.source_id"),
        "households h JOIN buildings b ON b.id = h.building_id",
        "b.label_point",
        date_filter="true",
        dated_columns=(("status", "hs.status"),),
        dated_from="households h JOIN buildings b ON b.id = h.building_id "
        f"JOIN ({household_statuses()}) hs ON hs.household_id = h.id",
        in_scope=lambda scope: scope.buildings("b"),
    ),
    "cases": KindSQL(
        _columns("c", "reported_on kind address district"),
        "cases c",
        "c.geom",
        date_filter="c.reported_on = :date",
        in_scope=lambda scope: f"(c.building_id IN {scope.building_ids()} OR {scope.covers('c.geom')})",
    ),
    # Who answers for what, by role and opaque person code; placed at a point of the scope.
    "responsibility": KindSQL(
        _columns(
            "r",
            "level role scope_type",
            person="p.code",
            scope="COALESCE(rb.source_id, rc.source_id, rg.code, ru.code)",
        ),
        "responsibilities r JOIN people p ON p.id = r.person_id "
        "LEFT JOIN buildings rb ON r.scope_type = 'building' AND rb.id = r.scope_id "
        "LEFT JOIN compounds rc ON r.scope_type = 'compound' AND rc.id = r.scope_id "
        "LEFT JOIN grids rg ON r.scope_type = 'grid' AND rg.id = r.scope_id "
        "LEFT JOIN admin_units ru ON r.scope_type = 'unit' AND ru.id = r.scope_id",
        "COALESCE(rb.label_point, ST_PointOnSurface(rc.geom), ST_PointOnSurface(rg.geom), "
        "ST_PointOnSurface(ru.geom))",
        in_scope=lambda scope: (
            f"({scope.buildings('rb')} AND rb.id IS NOT NULL OR {scope.compounds('rc')} AND rc.id IS NOT NULL"
            f" OR {scope.grids('rg')} AND rg.id IS NOT NULL OR {scope.units('ru')} AND ru.id IS NOT NULL)"
        ),
    ),
    "places": KindSQL(
        _columns("p", "kind name subcategory"),
        "places p",
        "p.geom",
        in_scope=lambda scope: scope.covers("p.geom"),
    ),
    "status": KindSQL(
        _columns(
            "s",
            "status valid_from valid_to",
            household="h.source_id",
            building="CASE WHEN s.household_id IS NULL THEN b.source_id END",
        ),
        "house_status s LEFT JOIN households h ON h.id = s.household_id "
        "LEFT JOIN buildings b ON b.id = COALESCE(s.building_id, h.building_id)",
        "b.label_point",
        date_filter=valid_on("s"),
        in_scope=lambda scope: scope.buildings("b"),
    ),
    "addresses": KindSQL(
        _columns("a", "district address township"),
        "addresses a",
        "a.geom",
        in_scope=lambda scope: scope.covers("a.geom"),
    ),
    "basemap": KindSQL(_columns("f", "layer kind name"), "basemap_features f", "f.geom", in_scope=None),
    # Risk areas (declared and published); unmatched published ones have no geometry.
    "risk-areas": KindSQL(
        _columns("r", "name level district declared_at lifted_at n_snapshots"),
        "risk_areas r",
        "COALESCE(r.geom, r.point)",
        in_scope=lambda scope: scope.covers("COALESCE(r.geom, r.point)"),
    ),
    # Transfer legs (闭环转运) as a line from place to place; places go out as their source ids.
    "transfers": KindSQL(
        _columns(
            "t",
            "chain_id leg_no planned_at departed_at arrived_at head_count vehicle status",
            from_place="fp.source_id",
            to_place="tp.source_id",
        ),
        "transfers t JOIN places fp ON fp.id = t.from_place_id JOIN places tp ON tp.id = t.to_place_id",
        "ST_MakeLine(fp.geom, tp.geom)",
        in_scope=lambda scope: f"({scope.covers('fp.geom')} OR {scope.covers('tp.geom')})",
    ),
    # Hourly gate counts (动线), at their gate.
    "gate-events": KindSQL(
        _columns("e", "hour kind count", gate="g.source_id"),
        "gate_events e JOIN places g ON g.id = e.place_id",
        "g.geom",
        in_scope=lambda scope: scope.covers("g.geom"),
    ),
    # Home-isolation devices (技防), at their household's building; the household as its source id.
    "devices": KindSQL(
        _columns("d", "type installed_on removed_on", household="h.source_id"),
        "devices d JOIN households h ON h.id = d.household_id JOIN buildings b ON b.id = h.building_id",
        "b.label_point",
        in_scope=lambda scope: scope.buildings("b"),
    ),
    # Daily vaccination counts (疫苗接种): the current count of each unit and day (a corrected day once,
    # as corrected), at a point inside its unit; columns as ``battlemap load vaccination`` reads them.
    "vaccination": KindSQL(
        (
            ("id", "r.id::text"),
            ("campaign", "k.name"),
            ("unit", "u.code"),
            ("date", "c.day"),
            ("organised", "c.organised"),
            ("booked", "c.booked"),
            ("vaccinated", "c.vaccinated"),
            ("source", "r.source"),
        ),
        "campaign_current c JOIN campaign_reports r ON r.id = c.report_id "
        "JOIN campaigns k ON k.id = c.campaign_id JOIN admin_units u ON u.id = c.unit_id",
        "ST_PointOnSurface(u.geom)",
        in_scope=lambda scope: scope.units("u"),
    ),
}

FEATURE_KINDS: tuple[str, ...] = tuple(_KINDS)
# The whitelist: every property a kind is ever read or exported with.
FEATURE_COLUMNS: dict[str, tuple[str, ...]] = {
    kind: tuple(name for name, _ in spec.columns + spec.dated_columns) for kind, spec in _KINDS.items()
}
DATED_KINDS: tuple[str, ...] = tuple(kind for kind, spec in _KINDS.items() if spec.date_filter)
# Nullable integers and flags keep their types (no 3.0 floors, no 0/1 flags) on the way out.
_DTYPES: dict[str, Literal["Int64", "float64", "bool"]] = {
    "floors": "Int64",
    "size": "Int64",
    "height_m": "float64",
    "elderly_alone": "bool",
    "disabled": "bool",
    "foreign_national": "bool",
}


def kind_sql(kind: str) -> KindSQL:
    """How ``kind`` is read (its whitelist, FROM clause, geometry and scope rule), for the output forms
    that stream it themselves (``geo.ogc``).

    Raises
    ------
    NotFound
        for an unknown kind.
    """
    spec = _KINDS.get(kind)
    if spec is None:
        raise NotFound(f"unknown kind {kind!r}: expected one of {', '.join(FEATURE_KINDS)}")
    return spec


def read_features(
    conn: Connection,
    kind: str,
    *,
    bbox: Bbox | None = None,
    date: dt.date | None = None,
    scope: Scope = UNRESTRICTED,
) -> gpd.GeoDataFrame:
    """The loaded rows of ``kind`` with their whitelisted properties, in WGS84.

    Parameters
    ----------
    kind
        one of ``FEATURE_KINDS`` (the kinds of ``battlemap load``).
    bbox
        (minx, miny, maxx, maxy) in WGS84: only features whose geometry's box meets it.
    date
        for ``DATED_KINDS`` only: households get their ``status`` on that date, statuses
        are those valid on it, cases those reported on it.
    scope
        only the rows of that area (``geo.scope``), in the SQL; unrestricted by default.

    Raises
    ------
    NotFound
        for an unknown kind.
    InvalidParameter
        for a malformed bbox, or a date on a kind without one.
    """
    spec = kind_sql(kind)
    columns = spec.columns + (spec.dated_columns if date is not None else ())
    leaked = PERSONAL_FIELDS.intersection(name for name, _ in columns)
    if leaked:  # a guard against a future edit of the whitelist above
        raise RuntimeError(f"the {kind} whitelist names personal fields {sorted(leaked)}")
    where: list[str] = []
    params: dict[str, object] = {}
    if scope.restricted and spec.in_scope is not None:
        where.append(spec.in_scope(scope))
        params.update(scope.params)
    if bbox is not None:
        where.append(f"{spec.geometry} && {ENVELOPE}")
        params.update(bbox_params(bbox))
    if date is not None:
        if spec.date_filter is None:
            raise InvalidParameter(f"{kind} have no date; a date applies to {', '.join(DATED_KINDS)} only")
        where.append(spec.date_filter)
        params.update(status_params(date))
    selects = ", ".join(f"{sql} AS {name}" for name, sql in columns)
    sql = (
        f"SELECT {selects}, ST_AsBinary({spec.geometry}) AS geometry "
        f"FROM {spec.dated_from if date is not None and spec.dated_from else spec.from_}"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY 1"
    )
    frame = read_frame(conn.execute(text(sql), params))
    geometry: np.ndarray | list[BaseGeometry] = (
        shapely.from_wkb(frame.pop("geometry").to_numpy(dtype=object)) if len(frame) else []
    )
    for name in frame.columns:
        if name in _DTYPES:
            frame[name] = frame[name].astype(_DTYPES[name])
        elif frame[name].isna().all():
            frame[name] = frame[name].astype(object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)


def read_buildings(
    conn: Connection, *, bbox: Bbox | None = None, scope: Scope = UNRESTRICTED
) -> gpd.GeoDataFrame:
    """Building footprints (楼栋)."""
    return read_features(conn, "buildings", bbox=bbox, scope=scope)


def read_grids(
    conn: Connection, *, bbox: Bbox | None = None, scope: Scope = UNRESTRICTED
) -> gpd.GeoDataFrame:
    """Grid polygons (网格)."""
    return read_features(conn, "grids", bbox=bbox, scope=scope)


def read_compounds(
    conn: Connection, *, bbox: Bbox | None = None, scope: Scope = UNRESTRICTED
) -> gpd.GeoDataFrame:
    """Compound polygons (小区)."""
    return read_features(conn, "compounds", bbox=bbox, scope=scope)


def read_households(
    conn: Connection,
    *,
    bbox: Bbox | None = None,
    date: dt.date | None = None,
    scope: Scope = UNRESTRICTED,
) -> gpd.GeoDataFrame:
    """Households (户) at their building's label point; with ``date``, their ``status`` on it."""
    return read_features(conn, "households", bbox=bbox, date=date, scope=scope)


def read_cases(
    conn: Connection,
    *,
    bbox: Bbox | None = None,
    date: dt.date | None = None,
    scope: Scope = UNRESTRICTED,
) -> gpd.GeoDataFrame:
    """Case locations, optionally those reported on ``date``; unlocated cases have no geometry."""
    return read_features(conn, "cases", bbox=bbox, date=date, scope=scope)


def read_places(
    conn: Connection, *, bbox: Bbox | None = None, scope: Scope = UNRESTRICTED
) -> gpd.GeoDataFrame:
    """Places of operations (gates, sampling sites, hospitals…)."""
    return read_features(conn, "places", bbox=bbox, scope=scope)
