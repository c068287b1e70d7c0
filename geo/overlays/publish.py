"""Publish a GeoDataFrame as a named overlay: check everything first, then write it in one transaction.

Checks (all before anything is written, each naming the field): the author's role may publish; the
name is free and is 1 to 48 lower-case letters, digits or ``_``; the frame has rows, a CRS, one
geometry family (points, lines or polygons, valid and non-empty); no column looks personal
(``geo.personal.looks_personal``: refused, or dropped with ``drop_personal=True``); the remaining
columns hold numbers, booleans, text or dates; the colour is ``#rrggbb``; whom it is shared with are
roles or existing users. Then: the features go into ``overlays_u<author id>.<name>`` (WGS84; one
geometry type, or the Multi- type of the family when single and multi parts are mixed; a GiST
index), a registry row records author, source, style, audience and extent, and the publish is audited.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import sql
from sqlalchemy import Connection, text

from geo.audit import record
from geo.auth import POLICIES, Principal
from geo.errors import Forbidden, InvalidParameter
from geo.overlays.registry import Overlay, find_overlay, get_overlay
from geo.personal import looks_personal

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 48
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_COLOUR = "#7b3294"
MAX_SOURCE = 2000
RESERVED_COLUMNS = frozenset({"fid", "geom"})
_FAMILIES = {
    "Point": "point",
    "MultiPoint": "point",
    "LineString": "line",
    "MultiLineString": "line",
    "Polygon": "polygon",
    "MultiPolygon": "polygon",
}
_MULTI = {"point": "MultiPoint", "line": "MultiLineString", "polygon": "MultiPolygon"}
_SHOWN_ROWS = 5


@dataclass(frozen=True)
class _Column:
    name: str
    sql_type: str
    values: list[Any]


def check_name(name: object) -> str:
    """The overlay name, checked (it becomes a table name, a tile source and ``overlay:<name>``)."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameter(
            "name is missing: give the overlay a name, e.g. name='sampling_sites'", parameter="name"
        )
    name = name.strip()
    if len(name) > MAX_NAME:
        raise InvalidParameter(
            f"name {name[:60]!r} is {len(name)} characters long: at most {MAX_NAME}", parameter="name"
        )
    if not NAME.match(name):
        raise InvalidParameter(
            f"name was {name[:60]!r} but is expected to be lower-case letters, digits and _, "
            "starting with a letter (e.g. 'sampling_sites')",
            parameter="name",
        )
    return name


def parse_style(style: object) -> str:
    """The overlay's colour from ``style``: None (the default), ``"#rrggbb"`` or ``{"colour": "#rrggbb"}``
    (``color`` also accepted)."""
    if style is None:
        return DEFAULT_COLOUR
    colour = style.get("colour", style.get("color")) if isinstance(style, dict) else style
    if isinstance(style, dict) and set(style) - {"colour", "color"}:
        extra = sorted(set(style) - {"colour", "color"})
        raise InvalidParameter(f"style takes only a colour, not {extra}", parameter="style")
    if not isinstance(colour, str) or not COLOUR.match(colour.strip()):
        raise InvalidParameter(
            f"style colour was {str(colour)[:40]!r} but is expected to be '#rrggbb', e.g. '#7b3294'",
            parameter="style",
        )
    return colour.strip().lower()


def _audience(conn: Connection, share_with: Sequence[str] | str | None) -> tuple[list[str], list[str]]:
    """(roles, user names) of ``share_with``: each entry a role (``operator``…) or an enabled user."""
    if share_with is None:
        return [], []
    entries = [share_with] if isinstance(share_with, str) else list(share_with)
    roles, users = [], []
    for entry in entries:
        if not isinstance(entry, str) or not entry.strip():
            raise InvalidParameter(
                f"share_with holds {entry!r}: give role or user names", parameter="share_with"
            )
        entry = entry.strip()
        if entry in POLICIES:
            roles.append(entry)
            continue
        known = conn.execute(
            text("SELECT 1 FROM users WHERE name = :n AND NOT disabled"), {"n": entry}
        ).scalar()
        if not known:
            raise InvalidParameter(
                f"share_with names {entry[:60]!r}, which is neither a role "
                f"({', '.join(POLICIES)}) nor a user",
                parameter="share_with",
            )
        users.append(entry)
    return sorted(set(roles)), sorted(set(users))


def _rows(index: Sequence[int]) -> str:
    shown = ", ".join(str(i) for i in index[:_SHOWN_ROWS])
    return shown + (f" and {len(index) - _SHOWN_ROWS} more" if len(index) > _SHOWN_ROWS else "")


def _geometries(frame: gpd.GeoDataFrame) -> tuple[str, str, np.ndarray]:
    """The geometry family, the column's type (the frame's one type, or the Multi- type of its family
    when it mixes single and multi parts) and the WGS84 geometries."""
    geoms = frame.geometry.to_numpy()
    missing = [i for i, g in enumerate(geoms) if g is None or g.is_empty]
    if missing:
        raise InvalidParameter(
            f"gdf has rows without a geometry: rows {_rows(missing)}", parameter="geometry"
        )
    kinds = sorted({g.geom_type for g in geoms})
    unsupported = [k for k in kinds if k not in _FAMILIES]
    if unsupported:
        raise InvalidParameter(
            f"gdf holds {', '.join(unsupported)} geometries: publish points, lines or polygons "
            "(explode collections first: gdf.explode())",
            parameter="geometry",
        )
    families = sorted({_FAMILIES[k] for k in kinds})
    if len(families) > 1:
        raise InvalidParameter(
            f"gdf mixes {' and '.join(families)} geometries: publish one kind per overlay",
            parameter="geometry",
        )
    invalid = [i for i, ok in enumerate(shapely.is_valid(geoms)) if not ok]
    if invalid:
        raise InvalidParameter(
            f"gdf has invalid geometries at rows {_rows(invalid)}: repair them (gdf.make_valid()) first",
            parameter="geometry",
        )
    column_type = kinds[0] if len(kinds) == 1 else _MULTI[families[0]]
    return families[0], column_type, geoms


def _sql_type(name: str, series: pd.Series) -> tuple[str, list[Any]]:
    if pd.api.types.is_bool_dtype(series):
        return "boolean", [None if pd.isna(v) else bool(v) for v in series]
    if pd.api.types.is_integer_dtype(series):
        return "bigint", [None if pd.isna(v) else int(v) for v in series]
    if pd.api.types.is_float_dtype(series):
        return "double precision", [None if pd.isna(v) else float(v) for v in series]
    if pd.api.types.is_datetime64_any_dtype(series):
        return "text", [None if pd.isna(v) else v.isoformat() for v in series]
    values: list[Any] = []
    for row, value in enumerate(series):
        if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # None, NaN, NA, NaT
            values.append(None)
        elif isinstance(value, str):
            values.append(value)
        elif isinstance(value, (dt.date, int, float, bool, np.integer, np.floating)):
            values.append(value.isoformat() if isinstance(value, dt.date) else str(value))
        else:
            raise InvalidParameter(
                f"column {name!r} holds a {type(value).__name__} at row {row}: "
                "publish numbers, booleans, text or dates only",
                parameter=name,
            )
    return "text", values


def _columns(frame: gpd.GeoDataFrame, *, drop_personal: bool) -> list[_Column]:
    names = [c for c in frame.columns if c != frame.geometry.name]
    personal = [str(c) for c in names if looks_personal(str(c))]
    if personal and not drop_personal:
        raise InvalidParameter(
            f"gdf has columns that look personal: {', '.join(personal)}. Overlays never carry names, "
            "phones or ID numbers: drop them (gdf.drop(columns=[...])), rename a column of place names "
            "(e.g. to 'label'), or pass drop_personal=True",
            parameter=personal[0],
        )
    columns, seen = [], set()
    for name in names:
        if str(name) in personal:
            continue
        if not isinstance(name, str) or not re.fullmatch(r"[^\W\d]\w*", name) or len(name.encode()) > 63:
            raise InvalidParameter(
                f"column {str(name)[:60]!r} cannot be a property name: use letters, digits and _ "
                "(starting with a letter, at most 63 bytes)",
                parameter=str(name)[:60],
            )
        if name.lower() in RESERVED_COLUMNS or name.lower() in seen:
            other = "a reserved name" if name.lower() in RESERVED_COLUMNS else "another column"
            raise InvalidParameter(
                f"column {name!r} clashes with {other} ({', '.join(sorted(RESERVED_COLUMNS))} are the "
                "overlay's own): rename it",
                parameter=name,
            )
        seen.add(name.lower())
        sql_type, values = _sql_type(name, frame[name])
        columns.append(_Column(name, sql_type, values))
    return columns


def publish_overlay(
    conn: Connection,
    author: Principal,
    frame: object,
    *,
    name: object,
    style: object = None,
    share_with: Sequence[str] | str | None = None,
    source: str | None = None,
    drop_personal: bool = False,
) -> Overlay:
    """Store ``frame`` as overlay ``name`` by ``author`` (in ``conn``'s transaction) and return it.

    Raises
    ------
    Forbidden
        when the author's role may not publish.
    InvalidParameter
        naming the field: a bad or taken name, an empty frame, no CRS, an unsupported, missing,
        mixed or invalid geometry, a personal or unusable column, a bad colour or audience.
    """
    if not author.policy.publish:
        raise Forbidden(f"role {author.role!r} may not publish overlays (analysts and commanders may)")
    if author.key_layers is not None:
        raise Forbidden("a URL key cannot publish: use your API token")
    checked = check_name(name)
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidParameter(f"gdf is a {type(frame).__name__}: publish a GeoDataFrame", parameter="gdf")
    if frame.empty:
        raise InvalidParameter("gdf is empty: there is nothing to publish", parameter="gdf")
    if frame.crs is None:
        raise InvalidParameter(
            "gdf has no CRS: set the one its coordinates are in, e.g. gdf.set_crs('EPSG:4326') for "
            "longitude/latitude, before publishing",
            parameter="crs",
        )
    wgs84 = frame.to_crs(4326) if frame.crs.to_epsg() != 4326 else frame
    family, column_type, geoms = _geometries(wgs84)
    columns = _columns(wgs84, drop_personal=drop_personal)
    colour = parse_style(style)
    roles, users = _audience(conn, share_with)
    note = (source or "").strip() or f"published from a notebook by {author.name}"
    if len(note) > MAX_SOURCE:
        raise InvalidParameter(
            f"source is {len(note)} characters long: at most {MAX_SOURCE}", parameter="source"
        )
    existing = find_overlay(conn, checked)
    if existing is not None:
        raise InvalidParameter(
            f"name {checked!r} is taken: {existing.author} published it on {existing.created_at:%Y-%m-%d}; "
            "choose another name, or delete that overlay first",
            parameter="name",
        )
    schema = f"overlays_u{author.user_id}"
    _create_table(conn, schema, checked, column_type, columns)
    _insert(conn, schema, checked, geoms, columns, multi=column_type.startswith("Multi"))
    west, south, east, north = (float(v) for v in shapely.total_bounds(geoms))
    conn.execute(
        text("""
        INSERT INTO overlays (name, author_id, source, colour, share_roles, share_users, geometry_type,
                              feature_count, bbox, properties, table_schema, table_name)
        VALUES (:name, :author, :source, :colour, :roles, :users, :family, :count, :bbox, :props,
                :schema, :name)"""),
        {
            "name": checked, "author": author.user_id, "source": note, "colour": colour, "roles": roles,
            "users": users, "family": family, "count": len(geoms), "bbox": [west, south, east, north],
            "props": [c.name for c in columns], "schema": schema,
        },
    )  # fmt: skip
    record(
        conn,
        author.actor(),
        "overlay_publish",
        target=f"overlay:{checked}",
        detail={
            "features": len(geoms),
            "geometry": family,
            "shared": roles + users,
            "dropped": len(frame.columns) - 1 - len(columns),
        },
    )
    return get_overlay(conn, checked)


def _create_table(conn: Connection, schema: str, name: str, column_type: str, columns: list[_Column]) -> None:
    raw = conn.connection.driver_connection
    table = sql.Identifier(schema, name)
    fields: list[sql.Composable] = [
        sql.SQL("fid serial PRIMARY KEY"),
        sql.SQL(f"geom geometry({column_type}, 4326) NOT NULL"),
    ]
    fields += [sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type)) for c in columns]
    statements = [
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)),
        sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(fields)),
        sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table),
    ]
    for statement in statements:
        conn.exec_driver_sql(statement.as_string(raw))


def _insert(
    conn: Connection, schema: str, name: str, geoms: np.ndarray, columns: list[_Column], *, multi: bool
) -> None:
    raw = conn.connection.driver_connection
    targets = [sql.Identifier("geom"), *(sql.Identifier(c.name) for c in columns)]
    geometry = "ST_Multi(ST_GeomFromWKB(%s, 4326))" if multi else "ST_GeomFromWKB(%s, 4326)"
    values = [sql.SQL(geometry), *(sql.SQL("%s") for _ in columns)]
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(schema, name), sql.SQL(", ").join(targets), sql.SQL(", ").join(values)
    )
    wkb = shapely.to_wkb(geoms)
    rows = [(bytes(w), *(c.values[i] for c in columns)) for i, w in enumerate(wkb)]
    conn.exec_driver_sql(statement.as_string(raw), rows)
