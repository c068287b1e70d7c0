"""The JSON documents of the OGC API: landing page, conformance, collections, queryables, OpenAPI.

Pure functions of the app's root URL (and the data bounds): the routes (``_ogc_routes``) fetch what
they need and call these. The OpenAPI document's items parameters come from ``geo.ogc.query.PARAMETERS``,
the ones the items endpoint reads, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo.crs.uris import CRS84_URI, OGC_CRS
from geo.ogc.collections import COLLECTIONS, Collection, OverlayCollection
from geo.ogc.query import PARAMETERS

GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
TILEJSON_TYPE = "application/json"
MVT = "application/vnd.mapbox-vector-tile"
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
)
WORLD = (-180.0, -90.0, 180.0, 90.0)


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"href": href, "rel": rel, "type": type_}
    return out | ({"title": title} if title else {})


def landing(root: str, suffix: str = "") -> dict:
    """The landing page ``/ogc``: what the API is and where its parts are."""
    base = f"{root}/ogc"
    return {
        "title": "battlemap OGC API",
        "description": "The loaded layers of the situation map as OGC API Features and Tiles, "
        "kept to the signed-in user's area.",
        "links": [
            link(f"{base}{suffix}", "self"),
            link(f"{base}/api{suffix}", "service-desc", OPENAPI, "The OpenAPI document"),
            link(f"{base}/conformance{suffix}", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections{suffix}", "data", JSON, "Collections"),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": list(CONFORMANCE)}


def collection_doc(
    root: str, item: Collection, bounds: tuple[float, float, float, float] | None, suffix: str = ""
) -> dict:
    """One collection's description, with its items (and tiles) links; an overlay's extent is its own."""
    if isinstance(item, OverlayCollection):
        bounds = item.bbox
    base = f"{root}/ogc/collections/{item.id}"
    links = [
        link(f"{base}{suffix}", "self"),
        link(f"{base}/items{suffix}", "items", GEOJSON, f"{item.title}: features"),
        link(
            f"{base}/queryables{suffix}",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "application/schema+json",
        ),
    ]
    if item.tiles:
        for rel in ("tilesets-vector", "tilesets"):  # the second: the name of the drafts GDAL 3.6 reads
            links.append(
                link(
                    f"{base}/tiles{suffix}",
                    f"http://www.opengis.net/def/rel/ogc/1.0/{rel}",
                    JSON,
                    "Vector tiles",
                )
            )
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [list(bounds or WORLD)], "crs": CRS84_URI}},
        "crs": list(OGC_CRS),
        "storageCrs": CRS84_URI,
        "links": links,
    }


def collections_doc(
    root: str,
    bounds: tuple[float, float, float, float] | None,
    suffix: str = "",
    overlays: Sequence[Collection] = (),
) -> dict:
    """The collections: the loaded kinds, then the published overlays the viewer may see."""
    items = [*COLLECTIONS.values(), *overlays]
    return {
        "links": [link(f"{root}/ogc/collections{suffix}", "self")],
        "collections": [collection_doc(root, item, bounds, suffix) for item in items],
    }


def queryables(root: str, item: Collection) -> dict:
    """The properties a collection can be filtered on (``?name=value``), as a JSON Schema."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{root}/ogc/collections/{item.id}/queryables",
        "type": "object",
        "title": item.title,
        "properties": {name: {"title": name, "type": "string"} for name in item.properties},
    }


def _parameter(name: str, where: str, description: str, schema: dict, *, required: bool = False) -> dict:
    out: dict = {"name": name, "in": where, "description": description, "schema": schema}
    if required or where == "path":
        out["required"] = True
    if schema.get("type") == "array":
        out["style"], out["explode"] = "form", False
    return out


def openapi(root: str) -> dict:
    """The OpenAPI 3.0 document of ``/ogc``."""
    collection_id = _parameter(
        "collectionId", "path", "A collection id", {"type": "string", "enum": list(COLLECTIONS)}
    )
    items_params = [collection_id] + [
        _parameter(p.name, "query", p.description, p.schema) for p in PARAMETERS
    ]
    error = {
        "description": "An error naming the parameter to fix",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
    }

    def get(summary: str, params: list[dict], mime: str = JSON) -> dict:
        return {
            "get": {
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {"description": summary, "content": {mime: {}}},
                    "400": error,
                    "404": error,
                },
            }
        }

    tile_params = [collection_id] + [
        _parameter(
            name, "path", f"Tile {name}", {"type": "string" if name == "tileMatrixSetId" else "integer"}
        )
        for name in ("tileMatrixSetId", "tileMatrix", "tileRow", "tileCol")
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "battlemap OGC API", "version": "1.0.0"},
        "servers": [{"url": f"{root}/ogc"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "query", "name": "key"},
            },
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code"],
                    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
                }
            },
        },
        "security": [{"bearer": []}, {"key": []}],
        "paths": {
            "/": get("Landing page", []),
            "/conformance": get("Conformance classes", []),
            "/api": get("This document", [], OPENAPI),
            "/collections": get("The collections", []),
            "/collections/{collectionId}": get("One collection", [collection_id]),
            "/collections/{collectionId}/queryables": get(
                "Its queryables", [collection_id], "application/schema+json"
            ),
            "/collections/{collectionId}/items": get("Its features", items_params, GEOJSON),
            "/collections/{collectionId}/items/{featureId}": get(
                "One feature",
                [collection_id, _parameter("featureId", "path", "The feature's id", {"type": "string"})]
                + [
                    _parameter(p.name, "query", p.description, p.schema)
                    for p in PARAMETERS
                    if p.name == "crs"
                ],
                GEOJSON,
            ),
            "/collections/{collectionId}/tiles": get("Its tilesets", [collection_id]),
            "/collections/{collectionId}/tiles/{tileMatrixSetId}": get("One tileset", tile_params[:2]),
            "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": get(
                "One vector tile", tile_params, MVT
            ),
        },
    }
