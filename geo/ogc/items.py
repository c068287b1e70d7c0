"""The items of a collection as GeoJSON, streamed: keyset pages, each feature's JSON built by PostGIS.

A page is ``ORDER BY <kind's key> LIMIT limit + 1`` after the cursor (the key of the last feature of
the previous page), read through a server-side cursor in batches and written out as it arrives, so
memory stays flat whatever the page size and no page costs more than the rows it holds. The
whitelist, FROM clause and scope rule are the kind's own (``geo.features.kind_sql``); a day's status
is ``geo.status.rule``'s and a day's risk areas ``geo.risk.store``'s.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

from sqlalchemy import Connection, CursorResult, text

from geo.crs.uris import OgcCrs, shift_feature
from geo.errors import NotFound
from geo.features import kind_sql
from geo.ogc import overlay_items
from geo.ogc.collections import Collection, OverlayCollection
from geo.ogc.query import ItemsQuery
from geo.personal import PERSONAL_FIELDS
from geo.risk.store import active_on
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import ENVELOPE, bbox_params
from geo.status.rule import building_statuses, status_params

BATCH = 2000
"""Rows fetched from the server-side cursor, and features written, at a time."""


def _select(
    collection: Collection,
    *,
    scope: Scope,
    crs: OgcCrs,
    properties: tuple[str, ...],
    day: dt.date | None = None,
    where: tuple[str, ...] = (),
    params: dict[str, object] | None = None,
) -> tuple[str, list[str], dict[str, object]]:
    """The SELECT list (key, feature JSON text), the FROM clause and WHERE terms of ``collection``."""
    spec = kind_sql(collection.id)
    expressions = dict(spec.columns)
    if PERSONAL_FIELDS.intersection(properties):  # a guard against a future edit of a whitelist
        raise RuntimeError(
            f"personal fields asked of {collection.id}: {sorted(PERSONAL_FIELDS & set(properties))}"
        )
    terms = list(where)
    bound: dict[str, object] = dict(params or {})
    from_ = spec.from_
    if scope.restricted and spec.in_scope is not None:
        terms.append(spec.in_scope(scope))
        bound.update(scope.params)
    if day is not None:
        if collection.dated == "status":
            from_ += f" LEFT JOIN ({building_statuses(scope.buildings('b'))}) bst ON bst.building_id = b.id"
            expressions["status"] = "bst.status"
            bound.update(status_params(day))
        elif collection.dated == "active":
            active, day_params = active_on(day)
            terms.append(active)
            bound.update(day_params)
        elif collection.dated == "reported" and spec.date_filter:
            terms.append(spec.date_filter)
            bound.update(status_params(day))
    geometry = spec.geometry
    if crs.srid != 4326:
        geometry = f"ST_Transform({geometry}, {crs.srid})"
    if crs.lat_lon:
        geometry = f"ST_FlipCoordinates({geometry})"
    props = ", ".join(f"'{name}', {expressions[name]}" for name in properties)
    feature = (
        """'{"type":"Feature","id":' || to_json(""" + expressions["id"] + """)::text"""
        f""" || ',"geometry":' || COALESCE(ST_AsGeoJSON({geometry}, {crs.digits}), 'null')"""
        f""" || ',"properties":' || json_build_object({props})::text || '}}'"""
    )
    return f"{spec.key} AS key, {feature} AS feature", [from_, *terms], bound


def _sql(select: str, parts: list[str], order: str, limit: int) -> str:
    from_, *terms = parts
    where = f" WHERE {' AND '.join(terms)}" if terms else ""
    return f"SELECT {select} FROM {from_}{where} ORDER BY {order} LIMIT {int(limit)}"


def page_rows(conn: Connection, query: ItemsQuery, *, scope: Scope = UNRESTRICTED) -> CursorResult:
    """The rows ``(key, feature)`` of one page plus one (to know whether another follows), streamed
    from a server-side cursor: iterate the result, do not fetch it all."""
    if isinstance(query.collection, OverlayCollection):
        return overlay_items.page_rows(conn, query, scope=scope)
    spec = kind_sql(query.collection.id)
    where = [f"{spec.key} > :after"]
    params: dict[str, object] = {"after": query.after}
    if query.bbox is not None:
        where.append(f"ST_Intersects({spec.geometry}, {ENVELOPE})")
        params.update(bbox_params(query.bbox))
    for n, (name, value) in enumerate(sorted(query.filters.items())):
        expression = "bst.status" if name == "status" else dict(spec.columns)[name]
        where.append(f"CAST({expression} AS text) = :filter{n}")
        params[f"filter{n}"] = value
    select, parts, bound = _select(
        query.collection,
        scope=scope,
        crs=query.crs,
        properties=query.properties,
        day=query.day,
        where=tuple(where),
        params=params,
    )
    sql = _sql(select, parts, spec.key, query.limit + 1)
    return conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(sql), bound)


def feature_collection(
    rows: CursorResult,
    query: ItemsQuery,
    *,
    links: Callable[[int | None], list[dict]],
    time_stamp: dt.datetime,
) -> Iterator[str]:
    """The GeoJSON FeatureCollection of a page, in pieces of ``BATCH`` features; ``links(next_cursor)``
    gives its links (``next_cursor`` None on the last page). Closes ``rows`` when done."""
    try:
        yield '{"type":"FeatureCollection","features":['
        returned, last, more = 0, None, False
        batch: list[str] = []
        for key, feature in rows:
            if returned == query.limit:
                more = True
                break
            batch.append(shift_feature(feature, query.crs))
            returned += 1
            last = key
            if len(batch) == BATCH:
                yield ("," if returned > BATCH else "") + ",".join(batch)
                batch = []
        if batch:
            yield ("," if returned > len(batch) else "") + ",".join(batch)
        tail = {
            "numberReturned": returned,
            "timeStamp": time_stamp.isoformat(timespec="seconds"),
            "links": links(int(last) if more and last is not None else None),
        }
        yield "]," + json.dumps(tail, ensure_ascii=False)[1:]
    finally:
        rows.close()


def read_item(
    conn: Connection, collection: Collection, feature_id: str, *, crs: OgcCrs, scope: Scope = UNRESTRICTED
) -> str:
    """The feature ``feature_id`` (its source id) of ``collection`` as GeoJSON text, if ``scope`` sees it.

    Raises
    ------
    NotFound
        when there is none (or it lies outside the scope: the two are not told apart).
    """
    if isinstance(collection, OverlayCollection):
        return shift_feature(overlay_items.read_item(conn, collection, feature_id, crs=crs, scope=scope), crs)
    spec = kind_sql(collection.id)
    properties = tuple(p for p in collection.properties if p != "status" or collection.dated != "status")
    select, parts, bound = _select(
        collection,
        scope=scope,
        crs=crs,
        properties=properties,
        where=(f"CAST({dict(spec.columns)['id']} AS text) = :fid",),
        params={"fid": feature_id},
    )
    row = conn.execute(text(_sql(select, parts, spec.key, 1)), bound).first()
    if row is None:
        raise NotFound(f"{collection.id} has no feature {feature_id[:80]!r} (in your area)")
    return shift_feature(str(row.feature), crs)
