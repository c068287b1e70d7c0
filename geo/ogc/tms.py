"""The one tile matrix set of the OGC tiles: WebMercatorQuad (the XYZ grid MapLibre, GDAL and QGIS use).

Its definition (OGC Two Dimensional Tile Matrix Set 2.0, JSON encoding) and the tile ranges that cover
a WGS84 box at each zoom (``tileMatrixSetLimits``), computed, never copied from a table.
"""

from __future__ import annotations

import math
from typing import Final

from geo.crs.uris import EPSG_URI

WEB_MERCATOR_QUAD: Final = "WebMercatorQuad"
TMS_URI: Final = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_URI: Final = EPSG_URI.format(code=3857)
_HALF: Final = math.pi * 6378137.0  # half the equator of the sphere Web Mercator projects on, in metres
TILE_SIZE: Final = 256
_PIXEL_M: Final = 0.00028  # the "standardized rendering pixel" of the OGC: 0.28 mm


def definition(max_zoom: int) -> dict:
    """The WebMercatorQuad tile matrix set with its matrices 0..``max_zoom``.

    In the 2.0 encoding, with the 1.0 names beside (``identifier``, ``supportedCRS``, ``boundingBox``,
    ``topLeftCorner``): GDAL 3.6 and QGIS 3.22 read only those.
    """
    matrices = []
    for z in range(max_zoom + 1):
        cell = 2 * _HALF / TILE_SIZE / 2**z
        matrices.append(
            {
                "id": str(z),
                "identifier": str(z),
                "type": "TileMatrixType",
                "scaleDenominator": cell / _PIXEL_M,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-_HALF, _HALF],
                "topLeftCorner": [-_HALF, _HALF],
                "tileWidth": TILE_SIZE,
                "tileHeight": TILE_SIZE,
                "matrixWidth": 2**z,
                "matrixHeight": 2**z,
            }
        )
    return {
        "id": WEB_MERCATOR_QUAD,
        "identifier": WEB_MERCATOR_QUAD,
        "type": "TileMatrixSetType",
        "supportedCRS": "urn:ogc:def:crs:EPSG::3857",
        "boundingBox": {
            "type": "BoundingBoxType",
            "crs": CRS_URI,
            "lowerCorner": [-_HALF, -_HALF],
            "upperCorner": [_HALF, _HALF],
        },
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_URI,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "tileMatrices": matrices,
    }


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """(min col, min row, max col, max row) of the tiles at zoom ``z`` meeting the WGS84 ``bounds``."""
    west, south, east, north = bounds
    n = 2**z

    def col(lon: float) -> int:
        return min(n - 1, max(0, int((lon + 180.0) / 360.0 * n)))

    def row(lat: float) -> int:
        lat = max(-85.0511, min(85.0511, lat))
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return min(n - 1, max(0, int(y)))

    return col(west), row(north), col(east), row(south)


def limits(bounds: tuple[float, float, float, float], min_zoom: int, max_zoom: int) -> list[dict]:
    """``tileMatrixSetLimits``: per zoom, the rows and columns of the tiles over ``bounds``."""
    out = []
    for z in range(min_zoom, max_zoom + 1):
        c0, r0, c1, r1 = tile_range(bounds, z)
        out.append(
            {"tileMatrix": str(z), "minTileRow": r0, "maxTileRow": r1, "minTileCol": c0, "maxTileCol": c1}
        )
    return out
