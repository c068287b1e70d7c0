"""The coordinate systems of the OGC APIs, named by URI (OGC API - Features Part 2, "CRS by reference").

Geometries are stored in WGS84; an OGC client may ask for them (``crs``) and give its bounding box
(``bbox-crs``) in one of ``OGC_CRS``. CRS84 is WGS84 in longitude, latitude order (the GeoJSON
default); EPSG:4326 is the same datum with the axes as EPSG defines them, latitude first.

The Chinese offset datums GCJ-02 (高德, 腾讯) and BD-09 (百度) are offered too, under URIs of battlemap's
own namespace (``GCJ02_URI``, ``BD09_URI``): they are NOT EPSG codes and no registry defines them, so
a generic client will not recognise them; they exist for clients that draw on a Chinese basemap and
ask for coordinates in its datum. Longitude first, degrees. PostGIS cannot compute them: the items'
coordinates are converted after the query (``shift_geometry``, with ``geo.crs.offsets``' formulas),
and a ``bbox`` in them is converted to WGS84 corner by corner before it is used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from geo.crs import WEB_MERCATOR, from_wgs84_xy, parse_crs, to_wgs84_xy
from geo.errors import InvalidParameter

CRS84_URI: Final = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI: Final = "http://www.opengis.net/def/crs/EPSG/0/{code}"


@dataclass(frozen=True)
class OgcCrs:
    """One CRS of the OGC API: its URI, the PostGIS SRID it is, its axis order and GeoJSON precision."""

    uri: str
    srid: int
    lat_lon: bool
    """True when the CRS's first axis is latitude (EPSG:4326): coordinates go out swapped."""
    digits: int
    """Decimals written (9 for degrees, about 0.1 mm; 3 for metres)."""
    offset: str | None = None
    """``gcj02`` or ``bd09`` for the Chinese offset datums (``geo.crs`` names): converted in Python."""


CRS84: Final = OgcCrs(CRS84_URI, 4326, lat_lon=False, digits=9)
EPSG4326: Final = OgcCrs(EPSG_URI.format(code=4326), 4326, lat_lon=True, digits=9)
EPSG3857: Final = OgcCrs(EPSG_URI.format(code=3857), 3857, lat_lon=False, digits=3)
GCJ02_URI: Final = "urn:battlemap:def:crs:GCJ-02"
"""GCJ-02 (the "Mars" datum of AMap and Tencent maps): battlemap's own name, not an EPSG code."""
BD09_URI: Final = "urn:battlemap:def:crs:BD-09"
"""BD-09 (Baidu's datum, GCJ-02 shifted again): battlemap's own name, not an EPSG code."""
GCJ02: Final = OgcCrs(GCJ02_URI, 4326, lat_lon=False, digits=9, offset="gcj02")
BD09: Final = OgcCrs(BD09_URI, 4326, lat_lon=False, digits=9, offset="bd09")
OGC_CRS: Final[dict[str, OgcCrs]] = {crs.uri: crs for crs in (CRS84, EPSG4326, EPSG3857, GCJ02, BD09)}
"""The CRSs offered, by URI; CRS84 first (the default)."""
_SHORT: Final[dict[str, OgcCrs]] = {
    "crs84": CRS84,
    "[ogc:crs84]": CRS84,
    "epsg:4326": EPSG4326,
    "[epsg:4326]": EPSG4326,
    "epsg:3857": EPSG3857,
    "[epsg:3857]": EPSG3857,
    "gcj02": GCJ02,
    "gcj-02": GCJ02,
    "bd09": BD09,
    "bd-09": BD09,
}


def parse_ogc_crs(value: str | None, *, parameter: str) -> OgcCrs:
    """The CRS a ``crs`` or ``bbox-crs`` parameter names (a URI of ``OGC_CRS``, or ``EPSG:4326``-style);
    CRS84 when it is missing.

    Raises
    ------
    InvalidParameter
        naming ``parameter`` for any other value.
    """
    if value is None or value == "":
        return CRS84
    found = OGC_CRS.get(value.strip()) or _SHORT.get(value.strip().lower())
    if found is None:
        raise InvalidParameter(
            f"{parameter} was {value[:120]!r} but is expected to be one of {', '.join(OGC_CRS)}",
            parameter=parameter,
        )
    return found


def bbox_to_wgs84(bbox: tuple[float, float, float, float], crs: OgcCrs) -> tuple[float, float, float, float]:
    """A bounding box given in ``crs`` (its own axis order) as WGS84 (west, south, east, north)."""
    a, b, c, d = bbox
    if crs.offset is not None:
        # The corners, converted: the offset is all but a translation over a city-sized box (it
        # varies by metres per kilometre), so the box in WGS84 is the box of its converted corners.
        lon, lat = to_wgs84_xy([a, c, a, c], [b, b, d, d], parse_crs(crs.offset))
        return (float(min(lon)), float(min(lat)), float(max(lon)), float(max(lat)))
    if crs.srid == 4326:
        return (b, a, d, c) if crs.lat_lon else (a, b, c, d)
    lon, lat = to_wgs84_xy([a, c], [b, d], parse_crs(WEB_MERCATOR))
    return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


def _rounded(value: object, digits: int) -> object:
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, (list, tuple)):
        return [_rounded(v, digits) for v in value]
    return value


def shift_feature(feature: str, crs: OgcCrs) -> str:
    """A GeoJSON feature (text, WGS84 lon/lat) with its geometry converted into the offset datum of
    ``crs`` (GCJ-02 or BD-09); any other CRS returns it unchanged (PostGIS converted it already)."""
    if crs.offset is None:
        return feature
    parsed = json.loads(feature)
    if parsed.get("geometry"):
        system = parse_crs(crs.offset)

        def move(xy: np.ndarray) -> np.ndarray:
            x, y = from_wgs84_xy(xy[:, 0], xy[:, 1], system)
            return np.column_stack([x, y])

        geometry = mapping(shapely.transform(shape(parsed["geometry"]), move))
        parsed["geometry"] = {
            "type": geometry["type"],
            "coordinates": _rounded(geometry["coordinates"], crs.digits),
        }
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
