"""SQL helpers every subject shares: results as frames, bounding boxes as parameters, SQL files.

Each subject keeps its longer statements in its own ``sql/`` folder (``geo/risk/sql``, ``geo/sql``)
and reads them with :func:`sql_file`; nothing here knows a rule of the domain.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import CursorResult

from geo.crs import WGS84
from geo.errors import InvalidParameter

Bbox = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy) in WGS84 degrees."""

ENVELOPE = "ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
"""The box of :func:`bbox_params` as a PostGIS geometry (bound parameters)."""


@cache
def sql_file(path: Path) -> str:
    """The text of the SQL file at ``path`` (read once per process)."""
    return path.read_text(encoding="utf-8")


def read_frame(result: CursorResult) -> pd.DataFrame:
    """A result as a DataFrame (plain tuples: pandas inspects Row objects one by one, slowly)."""
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


def to_geoframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A frame with a WKB ``geometry`` column (``ST_AsBinary``) as a WGS84 GeoDataFrame."""
    wkb: list[Any] = list(frame.pop("geometry")) if len(frame) else []
    geometry = shapely.from_wkb(np.array([None if w is None else bytes(w) for w in wkb], dtype=np.object_))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)


def bbox_params(bbox: Bbox) -> dict[str, float]:
    """``minx, miny, maxx, maxy`` bound parameters of a bbox, for :data:`ENVELOPE`.

    Raises
    ------
    InvalidParameter
        unless ``bbox`` is four numbers with min < max on both axes.
    """
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise InvalidParameter(f"bbox must be four numbers (minx, miny, maxx, maxy), got {bbox!r}") from None
    if not (minx < maxx and miny < maxy):
        raise InvalidParameter(f"bbox must have min < max on both axes, got {bbox!r}")
    return {"minx": minx, "miny": miny, "maxx": maxx, "maxy": maxy}
