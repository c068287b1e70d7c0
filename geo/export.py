"""Writing loaded features back out: GeoJSON (RFC 7946) or GeoPackage, in WGS84, chosen by extension.

The properties are the whitelisted columns of ``geo.features`` (the names the loaders read,
the source id as ``id``), so exporting and loading the file back reproduces the rows. No
personal field is ever written: they are not in any whitelist, and ``person_contacts`` is
never read.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import pyogrio
from sqlalchemy import Connection

from geo.features import read_features
from geo.sqlutil import Bbox

# Output formats by file extension -> GDAL driver.
FORMATS: dict[str, str] = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG"}

# RFC 7946: WGS84 lon/lat, no crs member, counter-clockwise exterior rings. GDAL would round
# coordinates to 7 decimals (~1 cm) in this mode; 15 keeps every bit of a stored double.
_GEOJSON_OPTIONS = {"RFC7946": "YES", "COORDINATE_PRECISION": "15"}


def driver_for(path: Path | str) -> str:
    """The GDAL driver for an output path, by its extension.

    Raises
    ------
    ValueError
        when the extension is not one of ``FORMATS``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot write {str(path)!r}: the extension {suffix or '(none)'!r} is not one of "
            f"{', '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def export_features(
    conn: Connection,
    kind: str,
    path: Path | str,
    *,
    bbox: Bbox | None = None,
    date: dt.date | None = None,
) -> int:
    """Write the loaded rows of ``kind`` to ``path`` (format by extension); returns the feature count.

    ``bbox`` and ``date`` filter as in :func:`geo.features.read_features`. The file is
    written beside the target and moved into place, so a reader never sees half a file.
    """
    driver = driver_for(path)
    frame = read_features(conn, kind, bbox=bbox, date=date)
    write_features(frame, Path(path), layer=kind, driver=driver)
    return len(frame)


def write_features(frame: gpd.GeoDataFrame, path: Path, *, layer: str, driver: str | None = None) -> None:
    """Write a WGS84 GeoDataFrame as GeoJSON (RFC 7946) or GeoPackage, replacing ``path`` atomically."""
    driver = driver or driver_for(path)
    frame = _dates_as_text(frame)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    partial.unlink(missing_ok=True)
    options: dict[str, object] = {"layer": layer, "driver": driver}
    if driver == "GeoJSON":
        options["layer_options"] = _GEOJSON_OPTIONS
    if frame.empty or frame.geometry.isna().all():
        options["geometry_type"] = "Unknown"
    try:
        pyogrio.write_dataframe(frame, partial, **options)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _dates_as_text(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dates as ISO text (2022-04-06): what every loader parses, in every format."""
    out = frame.copy()
    for name in out.columns:
        if name == out.geometry.name or out[name].dtype != object:
            continue
        values = out[name].dropna()
        if len(values) and all(isinstance(v, dt.date) for v in values):
            out[name] = [v.isoformat() if isinstance(v, dt.date) else None for v in out[name]]
    return out
