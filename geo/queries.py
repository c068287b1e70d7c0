"""Reading what is loaded: ``read_*(conn, *, bbox=None, ...) -> GeoDataFrame`` and the loaded counts.

All SQL of the read side lives here, with bound parameters only. Each kind has an explicit
column whitelist (``FEATURE_COLUMNS``): the exported names are those its loader recognises,
the source id goes out as ``id`` (so a reload updates in place), and nothing is ever read
from ``person_contacts``. Geometries come back in WGS84 (EPSG:4326), as stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, CursorResult, text

from geo.crs import WGS84
from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import SIMULATED_SOURCE, STATUS_CODES

Bbox = tuple[float, float, float, float]

# Columns that hold personal data anywhere in the schema; no feature whitelist may name one.
PERSONAL_FIELDS: frozenset[str] = frozenset({"contact_name", "phone", "mobile", "id_number", "person_id"})

# Longer statements, one file each: geo/sql/<name>.sql.
_SQL = Path(__file__).resolve().parent / "sql"
_ENVELOPE = "ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
# A status stretch [valid_from, valid_to) that covers :date.
_VALID_ON = "{s}.valid_from <= :date AND ({s}.valid_to IS NULL OR {s}.valid_to > :date)"
# Several stretches valid at once: the most severe wins, then the latest.
_SEVERITY_ORDER = (
    "array_position(CAST(:severity AS text[]), {s}.status::text), {s}.valid_from DESC, {s}.id DESC"
)


@dataclass(frozen=True)
class _KindSQL:
    """How one kind is read: (exported name, SQL expression) pairs, the FROM clause, the geometry."""

    columns: tuple[tuple[str, str], ...]
    from_: str
    geometry: str
    # A predicate on :date, for kinds that have a date dimension.
    date_filter: str | None = None
    # Extra (name, expression) pairs read only when a date is given.
    dated_columns: tuple[tuple[str, str], ...] = ()
    # The rows a scope may see (``geo.scope``); None = rows of no area (the OSM basemap).
    in_scope: Callable[[Scope], str] | None = lambda scope: "false"


def _household_status(h: str) -> str:
    """Status of household ``h`` on :date: its own row, else its building's, else 'normal'."""
    own = f"household_id = {h}.id AND {_VALID_ON.format(s='s')}"
    building = f"building_id = {h}.building_id AND {_VALID_ON.format(s='s')}"
    pick = f"ORDER BY {_SEVERITY_ORDER.format(s='s')} LIMIT 1"
    return (
        f"COALESCE((SELECT s.status FROM house_status s WHERE {own} {pick}), "
        f"(SELECT s.status FROM house_status s WHERE {building} {pick}), 'normal')"
    )


def _columns(alias: str, names: str, **expressions: str) -> tuple[tuple[str, str], ...]:
    """The whitelist of one kind: ``id`` (the source id), the columns ``names`` of ``alias``,
    then the named SQL ``expressions`` (references go out as the referenced row's source id or
    code), then ``source``."""
    plain = tuple((name, f"{alias}.{name}") for name in names.split())
    return (("id", f"{alias}.source_id"), *plain, *expressions.items(), ("source", f"{alias}.source"))


_KINDS: dict[str, _KindSQL] = {
    "admin": _KindSQL(
        _columns("u", "code name name_en level", parent="p.code"),
        "admin_units u LEFT JOIN admin_units p ON p.id = u.parent_id",
        "u.geom",
        in_scope=lambda scope: scope.units("u"),
    ),
    "grids": _KindSQL(
        _columns("g", "code name", unit="u.code"),
        "grids g LEFT JOIN admin_units u ON u.id = g.unit_id",
        "g.geom",
        in_scope=lambda scope: scope.grids("g"),
    ),
    "compounds": _KindSQL(
        _columns("c", "name address"), "compounds c", "c.geom", in_scope=lambda scope: scope.compounds("c")
    ),
    "buildings": _KindSQL(
        _columns("b", "name address height_m floors kind"),
        "buildings b",
        "b.geom",
        in_scope=lambda scope: scope.buildings("b"),
    ),
    # Households have no geometry of their own: they are placed at their building's label point.
    # They are dated (date_filter true: every row) because a date adds their status on it.
    "households": _KindSQL(
        _columns("h", "unit_label size elderly_alone disabled foreign_national", building="b.source_id"),
        "households h JOIN buildings b ON b.id = h.building_id",
        "b.label_point",
        date_filter="true",
        dated_columns=(("status", _household_status("h")),),
        in_scope=lambda scope: scope.buildings("b"),
    ),
    "cases": _KindSQL(
        _columns("c", "reported_on kind address district"),
        "cases c",
        "c.geom",
        date_filter="c.reported_on = :date",
        in_scope=lambda scope: f"(c.building_id IN {scope.building_ids()} OR {scope.covers('c.geom')})",
    ),
    # Who answers for what, by role and opaque person code; placed at a point of the scope.
    "responsibility": _KindSQL(
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
    "places": _KindSQL(
        _columns("p", "kind name"), "places p", "p.geom", in_scope=lambda scope: scope.covers("p.geom")
    ),
    "status": _KindSQL(
        _columns(
            "s",
            "status valid_from valid_to",
            household="h.source_id",
            building="CASE WHEN s.household_id IS NULL THEN b.source_id END",
        ),
        "house_status s LEFT JOIN households h ON h.id = s.household_id "
        "LEFT JOIN buildings b ON b.id = COALESCE(s.building_id, h.building_id)",
        "b.label_point",
        date_filter=_VALID_ON.format(s="s"),
        in_scope=lambda scope: scope.buildings("b"),
    ),
    "addresses": _KindSQL(
        _columns("a", "district address township"),
        "addresses a",
        "a.geom",
        in_scope=lambda scope: scope.covers("a.geom"),
    ),
    "basemap": _KindSQL(_columns("f", "layer kind name"), "basemap_features f", "f.geom", in_scope=None),
    # Risk areas (declared and published); unmatched published ones have no geometry.
    "risk-areas": _KindSQL(
        _columns("r", "name level district declared_at lifted_at n_snapshots"),
        "risk_areas r",
        "COALESCE(r.geom, r.point)",
        in_scope=lambda scope: scope.covers("COALESCE(r.geom, r.point)"),
    ),
    # Transfer legs (闭环转运) as a line from place to place; places go out as their source ids.
    "transfers": _KindSQL(
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
    "gate-events": _KindSQL(
        _columns("e", "hour kind count", gate="g.source_id"),
        "gate_events e JOIN places g ON g.id = e.place_id",
        "g.geom",
        in_scope=lambda scope: scope.covers("g.geom"),
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
    spec = _KINDS.get(kind)
    if spec is None:
        raise NotFound(f"unknown kind {kind!r}: expected one of {', '.join(FEATURE_KINDS)}")
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
        where.append(f"{spec.geometry} && {_ENVELOPE}")
        params.update(_bbox_params(bbox))
    if date is not None:
        if spec.date_filter is None:
            raise InvalidParameter(f"{kind} have no date; a date applies to {', '.join(DATED_KINDS)} only")
        where.append(spec.date_filter)
        params.update(date=date, severity=list(STATUS_CODES))
    selects = ", ".join(f"{sql} AS {name}" for name, sql in columns)
    sql = (
        f"SELECT {selects}, ST_AsBinary({spec.geometry}) AS geometry FROM {spec.from_}"
        f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY 1"
    )
    frame = _frame(conn.execute(text(sql), params))
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


@cache
def _sql(name: str) -> str:
    """The text of ``geo/sql/<name>.sql``."""
    return (_SQL / f"{name}.sql").read_text(encoding="utf-8")


def _frame(result: CursorResult) -> pd.DataFrame:
    """A result as a DataFrame (plain tuples: pandas inspects Row objects one by one, slowly)."""
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


def _bbox_params(bbox: Bbox) -> dict[str, float]:
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InvalidParameter(f"bbox must be four numbers (minx, miny, maxx, maxy), got {bbox!r}") from None
    if not (minx < maxx and miny < maxy):
        raise InvalidParameter(f"bbox must have min < max on both axes, got {bbox!r}")
    return {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}


# --- what is loaded, for the home page ------------------------------------------------------------

# What ``loaded_counts_by_subdistrict`` counts, in display order.
COUNTED_KINDS: tuple[str, ...] = ("buildings", "grids", "compounds", "households", "cases", "places")


def loaded_counts_by_subdistrict(conn: Connection) -> pd.DataFrame:
    """What is loaded, per sub-district (街镇) that has any of it.

    Buildings, households, grids and compounds count where the loaders assigned them;
    cases and places where their point lies. Rows in no loaded sub-district (and cases
    without a location) are gathered in one last row whose ``subdistrict_id`` is missing.

    Returns
    -------
    DataFrame
        ``subdistrict_id, district, district_en, subdistrict, subdistrict_en``, then one
        count per kind of ``COUNTED_KINDS`` and ``<kind>_simulated``: how many of those
        rows are simulated (source ``simulated``). Sorted by district and sub-district.
    """
    # JIT compilation costs seconds on this plan (its row estimates are far too high) and saves nothing.
    conn.execute(text("SET LOCAL jit = off"))
    result = conn.execute(text(_sql("loaded_counts")), {"simulated": SIMULATED_SOURCE})
    long = _frame(result).rename(columns={"sub_id": "subdistrict_id", "simulated": "sim"})
    names = ["subdistrict_id", "district", "district_en", "subdistrict", "subdistrict_en"]
    counts = [*COUNTED_KINDS, *(f"{k}_simulated" for k in COUNTED_KINDS)]
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype=object if c in names else "int64") for c in names + counts})
    # Rows in no sub-district are keyed -1 while pivoting (pandas drops missing keys).
    long["subdistrict_id"] = long["subdistrict_id"].fillna(-1).astype("int64")
    keys = long[names].drop_duplicates("subdistrict_id").set_index("subdistrict_id")
    grouped = long.groupby(["subdistrict_id", "kind"])[["n", "sim"]].sum()
    n = grouped["n"].unstack("kind").reindex(columns=list(COUNTED_KINDS))
    sim = grouped["sim"].unstack("kind").reindex(columns=list(COUNTED_KINDS)).add_suffix("_simulated")
    wide = keys.join(n).join(sim)
    wide[counts] = wide[counts].fillna(0).astype("int64")
    wide = wide.reset_index()
    wide["_unassigned"] = wide["subdistrict_id"] < 0
    wide["subdistrict_id"] = wide["subdistrict_id"].astype("Int64").mask(wide["_unassigned"])
    wide = wide.sort_values(["_unassigned", "district", "subdistrict"], na_position="last", kind="stable")
    return wide.drop(columns="_unassigned").reset_index(drop=True)[names + counts]


# Tables counted as a whole (not per sub-district) on the home page, with what they hold.
TOTALLED_TABLES = ("admin_units", "addresses", "house_status", "responsibilities", "basemap_features")


def loaded_totals(conn: Connection) -> pd.DataFrame:
    """Row counts (and simulated rows) of the tables not counted per sub-district: ``TOTALLED_TABLES``."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, count(*) AS n, "
        f"count(*) FILTER (WHERE source = :simulated) AS simulated FROM {t}"
        for t in TOTALLED_TABLES
    )
    return _frame(conn.execute(text(parts), {"simulated": SIMULATED_SOURCE}))


@dataclass(frozen=True)
class DataState:
    """How far the loads have got: changes only when a load changes rows (``data_versions``)."""

    version: int
    tables: int
    as_of: dt.datetime | None


def data_state(conn: Connection) -> DataState:
    """The sum of the table versions, how many tables were ever loaded, and when data last changed."""
    version, tables, as_of = conn.execute(
        text("SELECT coalesce(sum(version), 0), count(*), max(changed_at) FROM data_versions")
    ).one()
    return DataState(int(version), int(tables), as_of)
