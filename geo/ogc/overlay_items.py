"""The items of an overlay collection (``overlay:<name>``) as GeoJSON rows ``(key, feature)``, the shape
``geo.ogc.items`` streams: keyset pages on ``fid``, bbox, property filters, ``crs``, the viewer's area
(``Scope.covers``: features meeting it). Names of the overlay's table and columns are quoted identifiers."""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import Connection, CursorResult, text

from geo.crs.uris import OgcCrs
from geo.errors import NotFound
from geo.ogc.collections import OverlayCollection
from geo.ogc.query import ItemsQuery
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import ENVELOPE, bbox_params

BATCH = 2000


def _statement(
    conn: Connection, item: OverlayCollection, *, crs: OgcCrs, properties: tuple[str, ...], where: list[str]
) -> str:
    overlay = item.overlay
    if overlay is None:  # pragma: no cover - built by overlay_collection only
        raise NotFound(f"collection {item.id!r} has no overlay")
    raw = conn.connection.driver_connection
    geometry = "f.geom"
    if crs.srid != 4326:
        geometry = f"ST_Transform({geometry}, {crs.srid})"
    if crs.lat_lon:
        geometry = f"ST_FlipCoordinates({geometry})"
    pairs = sql.SQL(", ").join(
        sql.SQL("{}, f.{}").format(sql.Literal(name), sql.Identifier(name)) for name in properties
    )
    feature = (
        """'{"type":"Feature","id":' || f.fid::text"""
        f""" || ',"geometry":' || COALESCE(ST_AsGeoJSON({geometry}, {crs.digits}), 'null')"""
        f""" || ',"properties":' || json_build_object({pairs.as_string(raw)})::text || '}}'"""
    )
    table = overlay.table().as_string(raw)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT f.fid AS key, {feature} AS feature FROM {table} f{clause} ORDER BY f.fid"


def page_rows(conn: Connection, query: ItemsQuery, *, scope: Scope = UNRESTRICTED) -> CursorResult:
    """One page plus one row of the overlay's features, streamed (see ``geo.ogc.items.page_rows``)."""
    item = query.collection
    assert isinstance(item, OverlayCollection)
    raw = conn.connection.driver_connection
    where = ["f.fid > :after", scope.covers("f.geom")]
    params: dict[str, object] = {"after": query.after, **scope.params}
    if query.bbox is not None:
        where.append(f"ST_Intersects(f.geom, {ENVELOPE})")
        params.update(bbox_params(query.bbox))
    for n, (name, value) in enumerate(sorted(query.filters.items())):
        column = sql.SQL("f.{}").format(sql.Identifier(name)).as_string(raw)
        where.append(f"CAST({column} AS text) = :filter{n}")
        params[f"filter{n}"] = value
    statement = _statement(conn, item, crs=query.crs, properties=query.properties, where=where)
    statement += f" LIMIT {int(query.limit) + 1}"
    return conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(statement), params)


def read_item(
    conn: Connection, item: OverlayCollection, feature_id: str, *, crs: OgcCrs, scope: Scope = UNRESTRICTED
) -> str:
    """The feature ``feature_id`` (its ``fid``) of the overlay, if ``scope`` sees it.

    Raises
    ------
    NotFound
        when there is none (or it lies outside the scope).
    """
    where = ["CAST(f.fid AS text) = :fid", scope.covers("f.geom")]
    statement = _statement(conn, item, crs=crs, properties=item.properties, where=where) + " LIMIT 1"
    row = conn.execute(text(statement), {"fid": feature_id} | scope.params).first()
    if row is None:
        raise NotFound(f"{item.id} has no feature {feature_id[:80]!r} (in your area)")
    return str(row.feature)
