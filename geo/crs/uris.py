"""The coordinate systems of the OGC APIs, named by URI (OGC API - Features Part 2, "CRS by reference").

Geometries are stored in WGS84; an OGC client may ask for them (``crs``) and give its bounding box
(``bbox-crs``) in one of ``OGC_CRS``. CRS84 is WGS84 in longitude, latitude order (the GeoJSON
default); EPSG:4326 is the same datum with the axes as EPSG defines them, latitude first. The Chinese
offset datums (GCJ-02, BD-09) have no URI any client knows, so they are not offered here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from geo.crs import WEB_MERCATOR, parse_crs, to_wgs84_xy
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


CRS84: Final = OgcCrs(CRS84_URI, 4326, lat_lon=False, digits=9)
EPSG4326: Final = OgcCrs(EPSG_URI.format(code=4326), 4326, lat_lon=True, digits=9)
EPSG3857: Final = OgcCrs(EPSG_URI.format(code=3857), 3857, lat_lon=False, digits=3)
OGC_CRS: Final[dict[str, OgcCrs]] = {crs.uri: crs for crs in (CRS84, EPSG4326, EPSG3857)}
"""The CRSs offered, by URI; CRS84 first (the default)."""
_SHORT: Final[dict[str, OgcCrs]] = {
    "crs84": CRS84,
    "[ogc:crs84]": CRS84,
    "epsg:4326": EPSG4326,
    "[epsg:4326]": EPSG4326,
    "epsg:3857": EPSG3857,
    "[epsg:3857]": EPSG3857,
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
    if crs.srid == 4326:
        return (b, a, d, c) if crs.lat_lon else (a, b, c, d)
    lon, lat = to_wgs84_xy([a, c], [b, d], parse_crs(WEB_MERCATOR))
    return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))
