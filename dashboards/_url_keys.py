"""What a URL key opens: read-only requests for the tiles and OGC API of the layers it covers.

A URL key (``?key=``, ``geo.credentials``) signs in its user for clients that cannot send headers.
It opens the API's descriptions (landing page, conformance, OpenAPI, the collection list, the tile
matrix set), and the tiles, TileJSON, OGC collection, items and tiles of the layers it names; any
other layer is 403, any page, callback or write 403. The key itself is redacted in the access log
(``_access_log.SECRET_PARAMS``) and never logged elsewhere.
"""

from __future__ import annotations

import flask

from geo.auth import Principal
from geo.errors import Forbidden

PARAM = "key"
DESCRIPTIONS: frozenset[str] = frozenset(
    {
        "tiles_version",
        "tile_not_found",
        "ogc_landing",
        "ogc_landing_slash",
        "ogc_conformance",
        "ogc_api",
        "ogc_collections",
        "ogc_tile_matrix_sets",
        "ogc_tile_matrix_set",
        "ogc_not_found",
    }
)
"""Endpoints a key reaches whatever it covers: they describe, they hold no data."""
BY_LAYER: dict[str, str] = {"tile": "layer", "tilejson": "layer"}
"""Endpoint -> the view argument naming the layer asked for (OGC endpoints: ``cid``)."""


def check(found: Principal, request: flask.Request) -> None:
    """Raises Forbidden unless the URL key of ``found`` covers ``request``."""
    layers = found.key_layers or ()
    if request.method not in ("GET", "HEAD"):
        raise Forbidden("a URL key is read-only")
    endpoint = request.endpoint or ""
    if endpoint in DESCRIPTIONS:
        return
    argument = BY_LAYER.get(endpoint, "cid" if endpoint.startswith("ogc_") else None)
    asked = (request.view_args or {}).get(argument) if argument else None
    if asked is None:
        raise Forbidden("a URL key opens tiles and the OGC API only; sign in for the app's pages")
    if asked not in layers:
        raise Forbidden(f"this URL key does not cover {str(asked)[:60]!r}; it covers {', '.join(layers)}")
