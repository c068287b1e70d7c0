"""HTTP routes of OGC API - Features under ``/ogc``: landing page, conformance, OpenAPI, collections,
queryables, items (streamed GeoJSON pages with ``next`` links) and single features.

Thin: the query is read by ``geo.ogc.query``, the rows and their JSON come from ``geo.ogc.items``
(kept to the signed-in user's area, whitelisted properties only), the documents from ``_ogc_docs``.
Reading items is an export (the role must allow exports) and the first page of each query is
audited (``export``, target ``ogc:<collection>``). Overlays published from notebooks are collections
``overlay:<name>``, listed and opened only for those they are shared with (``geo.overlays``).
Anything else under ``/ogc`` is a JSON 404.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import NoReturn
from urllib.parse import urlencode

import flask
from sqlalchemy import Engine

from dashboards import _ogc_docs as docs
from dashboards._auth import client_ip, current_principal, current_scope
from dashboards._tiles_routes import public_root
from geo.areas import data_bounds
from geo.audit import record_now
from geo.clock import china_now
from geo.crs.uris import parse_ogc_crs
from geo.db import read_connection
from geo.errors import InvalidParameter, NotFound
from geo.ogc import items
from geo.ogc.collections import Collection, viewer_collection, viewer_overlays
from geo.ogc.query import items_query
from geo.settings import Settings

PREFIX = "/ogc"


def key_suffix() -> str:
    """``?key=…`` when the request came with a URL key: links keep it, for clients that cannot send
    headers (they follow the links as given)."""
    key = flask.request.args.get("key")
    return f"?{urlencode({'key': key})}" if key else ""


def is_ogc_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add the ``/ogc`` routes of OGC API - Features to ``server``."""

    def root() -> str:
        return public_root(settings.app)

    def landing() -> flask.Response:
        return flask.jsonify(docs.landing(root(), key_suffix()))

    def conformance() -> flask.Response:
        return flask.jsonify(docs.conformance())

    def api() -> flask.Response:
        response = flask.jsonify(docs.openapi(root()))
        response.mimetype = docs.OPENAPI
        return response

    def collections() -> flask.Response:
        with read_connection(engine) as conn:
            bounds = data_bounds(conn, scope=current_scope())
            published = viewer_overlays(conn, current_principal())
        return flask.jsonify(docs.collections_doc(root(), bounds, key_suffix(), published))

    def collection(cid: str) -> Collection:
        with read_connection(engine) as conn:
            return viewer_collection(conn, cid, current_principal())

    def one_collection(cid: str) -> flask.Response:
        item = collection(cid)
        with read_connection(engine) as conn:
            bounds = data_bounds(conn, scope=current_scope())
        return flask.jsonify(docs.collection_doc(root(), item, bounds, key_suffix()))

    def queryables(cid: str) -> flask.Response:
        response = flask.jsonify(docs.queryables(root(), collection(cid)))
        response.mimetype = "application/schema+json"
        return response

    def items_page(cid: str) -> flask.Response:
        item = collection(cid)
        principal = current_principal()
        principal.require_exports()
        args = flask.request.args.to_dict()
        query = items_query(item, args)
        scope = current_scope()
        if query.after == 0:  # one audit row per query, not one per page
            detail = {k: v for k, v in args.items() if k != "key"} | {"limit": query.limit}
            record_now(engine, principal.actor(client_ip()), "export", target=f"ogc:{cid}", detail=detail)
        base = f"{root()}{PREFIX}/collections/{cid}/items"

        def links(next_cursor: int | None) -> list[dict]:
            here = [docs.link(f"{base}?{urlencode(args)}" if args else base, "self", docs.GEOJSON)]
            if next_cursor is not None:
                after = urlencode(args | {"cursor": str(next_cursor)})
                here.append(docs.link(f"{base}?{after}", "next", docs.GEOJSON, "The next page"))
            return here

        stack = ExitStack()
        try:
            conn = stack.enter_context(read_connection(engine))
            rows = items.page_rows(conn, query, scope=scope)
        except BaseException:
            stack.close()
            raise
        body = items.feature_collection(rows, query, links=links, time_stamp=china_now())
        response = flask.Response(body, mimetype=docs.GEOJSON)
        response.call_on_close(stack.close)
        response.headers["Content-Crs"] = f"<{query.crs.uri}>"
        return response

    def one_item(cid: str, fid: str) -> flask.Response:
        item = collection(cid)
        principal = current_principal()
        principal.require_exports()
        unknown = set(flask.request.args) - {"crs", "f", "key"}
        if unknown:
            name = sorted(unknown)[0][:60]
            raise InvalidParameter(
                f"unknown parameter {name!r}: a feature takes crs and f only", parameter=name
            )
        crs = parse_ogc_crs(flask.request.args.get("crs"), parameter="crs")
        with read_connection(engine) as conn:
            feature = items.read_item(conn, item, fid, crs=crs, scope=current_scope())
        record_now(engine, principal.actor(client_ip()), "export", target=f"ogc:{cid}/{fid[:80]}")
        base = f"{root()}{PREFIX}/collections/{cid}"
        links = [
            docs.link(f"{base}/items/{fid}{key_suffix()}", "self", docs.GEOJSON),
            docs.link(f"{base}{key_suffix()}", "collection", docs.JSON),
        ]
        body = feature[:-1] + ',"links":' + flask.json.dumps(links) + "}"
        response = flask.Response(body, mimetype=docs.GEOJSON)
        response.headers["Content-Crs"] = f"<{crs.uri}>"
        return response

    rules = (
        ("", "ogc_landing", landing),
        ("/", "ogc_landing_slash", landing),
        ("/conformance", "ogc_conformance", conformance),
        ("/api", "ogc_api", api),
        ("/collections", "ogc_collections", collections),
        ("/collections/<cid>", "ogc_collection", one_collection),
        ("/collections/<cid>/queryables", "ogc_queryables", queryables),
        ("/collections/<cid>/items", "ogc_items", items_page),
        ("/collections/<cid>/items/<path:fid>", "ogc_item", one_item),
    )
    for path, endpoint, view in rules:
        server.add_url_rule(PREFIX + path, endpoint, view, methods=["GET"])


def register_not_found(server: flask.Flask) -> None:
    """The JSON 404 of every other path under ``/ogc``; registered after the tiles routes."""
    server.add_url_rule(f"{PREFIX}/<path:rest>", "ogc_not_found", _not_found, methods=["GET"])


def _not_found(rest: str) -> NoReturn:
    raise NotFound(f"no such OGC API resource: /ogc/{rest[:100]}; the landing page /ogc lists them")
