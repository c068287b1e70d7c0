"""HTTP routes of the vector tiles: ``/tiles/<layer>/<z>/<x>/<y>.pbf``, ``/tiles/<layer>.json`` and
``/tiles/version`` (what an open map polls to know the data changed).

Every tile keeps to the signed-in user's area (``geo.scope``): the scope is part of the cache key
and of the ETag, so one user's tile is never served to another whose area differs. Tiles are
cached per database and data version (``data_versions``; ``geo.cache``: in process, or in Redis
for all processes), so a load shows on the next request; ``X-Cache: hit|miss`` says which it was.
Responses carry an ETag derived from the same key and ``Cache-Control: no-cache``, so browsers
keep tiles but revalidate them (a 304 costs one tiny query).
"""

from __future__ import annotations

import hashlib
from typing import NoReturn
from urllib.parse import urlencode, urlsplit

import flask
from sqlalchemy import Engine

from dashboards._auth import current_principal, current_scope
from geo import loaded
from geo.areas import data_bounds
from geo.cache import DatabaseNamespace, make_cache
from geo.db import read_connection
from geo.errors import InvalidParameter, NotFound
from geo.settings import AppSettings, Settings
from geo.tiles import MAX_ZOOM, TileAddress
from layers.tiles.registry import TileLayers, default_layers

MVT_MIME = "application/vnd.mapbox-vector-tile"
TILE_PATH = "/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf"
LAYERS_EXTENSION = "battlemap.tile_layers"


def tile_layers() -> TileLayers:
    """The tile layers of the app serving the current request."""
    return flask.current_app.extensions[LAYERS_EXTENSION]


def register_tile_routes(
    server: flask.Flask, settings: Settings, engine: Engine, *, layers: TileLayers | None = None
) -> TileLayers:
    """Add the tile endpoints to ``server``; returns the layer registry they serve."""
    layers = layers or default_layers(settings)
    server.extensions[LAYERS_EXTENSION] = layers
    cache = make_cache(settings.cache, purpose="tiles", max_entries=settings.map.tile_cache_entries)
    database = DatabaseNamespace()

    def tile(layer: str, z: int, x: int, y: int) -> flask.Response:
        spec = layers.get(layer)
        addr = TileAddress(z, x, y)
        query = flask.request.args.to_dict()
        scope = current_scope()
        with read_connection(engine) as conn:
            state = loaded.data_state(conn)
            options = spec.options(conn, query)
            if spec.allow is not None:
                spec.allow(conn, current_principal(), options)
            own = spec.version(conn) if spec.version is not None else None
            key = (database.of(conn), layer, z, x, y, tuple(sorted(options.items())), state, own, scope.key)
            etag = hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()
            if etag in flask.request.if_none_match:
                return _headers(flask.Response(status=304), etag)
            body = cache.get(key)
            hit = body is not None
            if body is None:
                body = spec.tile(conn, addr, options, scope=scope)
                cache.put(key, body)
        response = _headers(flask.Response(body, mimetype=MVT_MIME), etag)
        response.headers["X-Cache"] = "hit" if hit else "miss"
        return response

    def tilejson(layer: str) -> dict:
        spec = layers.get(layer)
        query = flask.request.args.to_dict()
        with read_connection(engine) as conn:
            options = spec.options(conn, query)
            if spec.allow is not None:
                spec.allow(conn, current_principal(), options)
            bounds = data_bounds(conn, scope=current_scope()) or (-180.0, -85.0511, 180.0, 85.0511)
            version = loaded.data_state(conn).version
        params = {k: str(v) for k, v in options.items()} | {"v": str(version)}
        if flask.request.args.get("key"):  # a client that cannot send headers asks its tiles with it too
            params["key"] = flask.request.args["key"]
        search = urlencode(sorted(params.items()))
        root = public_root(settings.app)
        return {
            "tilejson": "3.0.0",
            "name": spec.name,
            "description": spec.title_en,
            "version": "1.0.0",
            "scheme": "xyz",
            "tiles": [f"{root}{TILE_PATH.format(layer=spec.name)}?{search}"],
            "minzoom": spec.minzoom,
            "maxzoom": min(spec.maxzoom, MAX_ZOOM),
            "bounds": list(bounds),
            "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 15],
            "vector_layers": [
                {"id": name, "fields": dict(fields), "minzoom": spec.minzoom, "maxzoom": spec.maxzoom}
                for name, fields in spec.fields.items()
            ],
            "attribution": "© OpenStreetMap contributors (ODbL)",
        }

    def version() -> dict:
        with read_connection(engine) as conn:
            state = loaded.data_state(conn)
        return {"version": state.version, "as_of": state.as_of.isoformat() if state.as_of else None}

    server.add_url_rule("/tiles/version", "tiles_version", version, methods=["GET"])
    server.add_url_rule("/tiles/<layer>.json", "tilejson", tilejson, methods=["GET"])
    # Signed, so that -1 reaches TileAddress and gets its clear 400 rather than falling through.
    address = "<int(signed=True):z>/<int(signed=True):x>/<int(signed=True):y>"
    server.add_url_rule(f"/tiles/<layer>/{address}.pbf", "tile", tile, methods=["GET"])
    server.add_url_rule("/tiles/<path:rest>", "tile_not_found", _not_a_tile, methods=["GET"])
    return layers


def public_root(app: AppSettings) -> str:
    """Where clients reach this app, for absolute URLs: ``public_url``, else the request's own
    scheme and host when that host is allowed. A Host header is the client's to choose: building
    URLs from any of them would let a forged one point QGIS or a cache at another server.

    Raises
    ------
    InvalidParameter
        for a Host header that is not in ``allowed_hosts`` (nor the bind host).
    """
    if app.public_url:
        return app.public_url.rstrip("/")
    request = flask.request
    host = urlsplit(f"//{request.host}").hostname or ""
    allowed = {h.lower().strip("[]") for h in (*app.allowed_hosts, app.host)}
    if host.lower() not in allowed:
        raise InvalidParameter(
            f"Host {host[:100]!r} is not one this server answers to; set BATTLEMAP_PUBLIC_URL "
            "(e.g. https://map.example.org) or add it to BATTLEMAP_ALLOWED_HOSTS"
        )
    return request.host_url.rstrip("/") + request.script_root


def _not_a_tile(rest: str) -> NoReturn:
    """Anything else under /tiles/ is a malformed address, not a page of the app."""
    raise NotFound(
        "not a tile address: expected /tiles/<layer>/<z>/<x>/<y>.pbf (integers) or /tiles/<layer>.json"
    )


def _headers(response: flask.Response, etag: str) -> flask.Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # cross-origin reads: dashboards._cors, by setting
    return response
