"""HTTP routes of OGC API - Tiles under ``/ogc``: the tile matrix set, each collection's tilesets and
its vector tiles at ``/ogc/collections/<id>/tiles/WebMercatorQuad/<z>/<row>/<col>``.

A tile here is the very tile of ``/tiles/<layer>/<z>/<x>/<y>.pbf`` (``_tiles_routes``): the same view
answers both, so scope, cache, ETag and headers cannot differ between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import flask
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from dashboards import _ogc_docs as docs
from dashboards._auth import current_scope
from dashboards._ogc_routes import PREFIX, key_suffix
from dashboards._tiles_routes import public_root, tile_layers
from geo.areas import data_bounds
from geo.db import read_connection
from geo.errors import NotFound
from geo.ogc import tms
from geo.ogc.collections import Collection, collection
from geo.settings import Settings
from geo.tiles import MAX_ZOOM

DESCRIBED_MAX_ZOOM = 18
"""Tilesets describe zooms up to this (building tiles are exact there); deeper tiles are served too."""
_TILING_SCHEME = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"


def _tiled(cid: str) -> Collection:
    item = collection(cid)
    if item.tiles is None:
        raise NotFound(f"collection {cid!r} has no tiles; the tiled collections have a tiles link")
    return item


def _matrix_set(tms_id: str) -> None:
    if tms_id != tms.WEB_MERCATOR_QUAD:
        raise NotFound(f"no tile matrix set {tms_id[:60]!r}: the tiles are in {tms.WEB_MERCATOR_QUAD}")


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add the OGC API - Tiles routes to ``server`` (after the tile routes of ``_tiles_routes``)."""

    def root() -> str:
        return public_root(settings.app)

    def matrix_sets() -> flask.Response:
        href = f"{root()}{PREFIX}/tileMatrixSets/{tms.WEB_MERCATOR_QUAD}"
        entry = {"id": tms.WEB_MERCATOR_QUAD, "uri": tms.TMS_URI, "links": [docs.link(href, "self")]}
        return flask.jsonify({"tileMatrixSets": [entry]})

    def matrix_set(tms_id: str) -> flask.Response:
        _matrix_set(tms_id)
        return flask.jsonify(tms.definition(MAX_ZOOM))

    def tileset_summary(item: Collection) -> dict:
        base = f"{root()}{PREFIX}/collections/{item.id}/tiles/{tms.WEB_MERCATOR_QUAD}"
        return {
            "title": f"{item.title} ({tms.WEB_MERCATOR_QUAD})",
            "dataType": "vector",
            "crs": tms.CRS_URI,
            "tileMatrixSetURI": tms.TMS_URI,
            "tileMatrixSetDefinition": f"{root()}{PREFIX}/tileMatrixSets/{tms.WEB_MERCATOR_QUAD}",
            "links": [
                docs.link(f"{base}{key_suffix()}", "self", docs.JSON),
                docs.link(
                    f"{base}{key_suffix()}", "http://www.opengis.net/def/rel/ogc/1.0/tileset", docs.JSON
                ),
                docs.link(f"{root()}{PREFIX}/tileMatrixSets/{tms.WEB_MERCATOR_QUAD}", _TILING_SCHEME),
            ],
        }

    def tilesets(cid: str) -> flask.Response:
        item = _tiled(cid)
        return flask.jsonify({"tilesets": [tileset_summary(item)], "links": []})

    def tileset(cid: str, tms_id: str) -> flask.Response:
        item = _tiled(cid)
        _matrix_set(tms_id)
        layer = tile_layers().get(str(item.tiles))
        with read_connection(engine) as conn:
            bounds = data_bounds(conn, scope=current_scope()) or docs.WORLD
        top = min(layer.maxzoom, DESCRIBED_MAX_ZOOM)
        matrix = "{tileMatrix}/{tileRow}/{tileCol}"
        template = f"{root()}{PREFIX}/collections/{cid}/tiles/{tms.WEB_MERCATOR_QUAD}/{matrix}"
        body = tileset_summary(item) | {
            "tileMatrixSetLimits": tms.limits(bounds, layer.minzoom, top),
            "layers": [
                {
                    "id": name,
                    "dataType": "vector",
                    "propertiesSchema": {
                        "type": "object",
                        "properties": {field: {"description": text} for field, text in fields.items()},
                    },
                }
                for name, fields in layer.fields.items()
            ],
        }
        body["links"].append(
            docs.link(template + key_suffix(), "item", docs.MVT, "A vector tile") | {"templated": True}
        )
        return flask.jsonify(body)

    def tile(cid: str, tms_id: str, z: int, row: int, col: int) -> ResponseReturnValue:
        item = _tiled(cid)
        _matrix_set(tms_id)
        # the view of /tiles/<layer>/<z>/<x>/<y>.pbf itself: one code path for every tile
        view = cast(Callable[..., ResponseReturnValue], flask.current_app.view_functions["tile"])
        return view(layer=item.tiles, z=z, x=col, y=row)

    address = "<int(signed=True):z>/<int(signed=True):row>/<int(signed=True):col>"
    rules = (
        ("/tileMatrixSets", "ogc_tile_matrix_sets", matrix_sets),
        ("/tileMatrixSets/<tms_id>", "ogc_tile_matrix_set", matrix_set),
        ("/collections/<cid>/tiles", "ogc_tilesets", tilesets),
        ("/collections/<cid>/tiles/<tms_id>", "ogc_tileset", tileset),
        (f"/collections/<cid>/tiles/<tms_id>/{address}", "ogc_tile", tile),
        # the same tile named like a file, for clients that choose their reader by extension (GDAL)
        (f"/collections/<cid>/tiles/<tms_id>/{address}.pbf", "ogc_tile_pbf", tile),
    )
    for path, endpoint, view in rules:
        server.add_url_rule(PREFIX + path, endpoint, view, methods=["GET"])
