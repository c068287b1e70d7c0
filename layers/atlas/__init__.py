"""Printed atlases (地图集): a cover with the overview and index, then one map sheet per grid.

``export_atlas`` reads everything with a few set-based queries (``geo.print_queries``) and
writes a vector PDF, or one PNG per page. Sheet geometry is returned so that callers and
tests can check each sheet's scale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Connection

from geo.errors import InvalidParameter
from geo.print_queries import read_atlas, select_grids
from geo.risk.store import zone_outlines, zoned_buildings
from geo.scope import UNRESTRICTED, Scope
from layers.atlas.layout import ORIENTATIONS, PAPERS, SheetLayout
from layers.atlas.render import AtlasOptions, write_pdf, write_png
from layers.atlas.themes import THEMES

FORMATS = ("pdf", "png")

__all__ = ["FORMATS", "ORIENTATIONS", "PAPERS", "THEMES", "AtlasOptions", "SheetLayout", "export_atlas"]


def export_atlas(
    conn: Connection,
    output: Path,
    *,
    unit: str | None = None,
    grids: list[str] | None = None,
    all_grids: bool = False,
    date: dt.date | None = None,
    internal: bool = False,
    fmt: str = "pdf",
    options: AtlasOptions | None = None,
    scope: Scope = UNRESTRICTED,
    author: str | None = None,
) -> list[SheetLayout]:
    """Print the atlas of a unit's grids (or of named grids, or of all) to ``output``.

    Parameters
    ----------
    output
        the PDF file, or for ``fmt="png"`` the folder the pages go to.
    unit, grids, all_grids
        exactly one: an admin unit's code or name, grid codes, or every grid.
    date
        the house-status day (default: the latest day a status started); for ``layer="risk"`` also
        the day whose active risk areas are drawn.
    internal
        print names and phones unmasked (internal printing); masked otherwise.
    scope
        print only grids and buildings of this area (``geo.scope``; the web route passes the user's).
    author
        who prints (the PDF's Author metadata).

    Returns
    -------
    list of SheetLayout
        the cover's then each grid sheet's geometry, in page order.

    Raises
    ------
    InvalidParameter, NotFound
        for a bad choice of grids, layer, paper, orientation or format.
    """
    options = options or AtlasOptions()
    _check(options, fmt)
    ids, title = select_grids(conn, unit=unit, grids=grids, all_grids=all_grids, scope=scope)
    data = read_atlas(conn, ids, title=title, date=date, internal=internal, scope=scope)
    if options.layer == "risk":  # the zones of the areas active on the sheets' day
        bbox: tuple[float, float, float, float] | None = None
        if len(data.buildings):
            minx, miny, maxx, maxy = (float(v) for v in data.buildings.total_bounds)
            bbox = (minx, miny, maxx, maxy)
        data = replace(
            data,
            risk_zones=zoned_buildings(conn, data.buildings["id"].astype(int).tolist(), on=data.date),
            risk_outlines=zone_outlines(conn, on=data.date, bbox=bbox),
        )
    if fmt == "png":
        return [layout for _, layout in write_png(data, Path(output), options=options, author=author)]
    return write_pdf(data, Path(output), options=options, author=author)


def _check(options: AtlasOptions, fmt: str) -> None:
    problems = []
    if options.layer not in THEMES:
        problems.append(f"layer was {options.layer!r} but is expected to be one of {', '.join(THEMES)}")
    if options.paper not in PAPERS:
        problems.append(f"paper was {options.paper!r} but is expected to be one of {', '.join(PAPERS)}")
    if options.orientation not in ORIENTATIONS:
        problems.append(
            f"orientation was {options.orientation!r} but is expected to be one of {', '.join(ORIENTATIONS)}"
        )
    if fmt not in FORMATS:
        problems.append(f"format was {fmt!r} but is expected to be one of {', '.join(FORMATS)}")
    if not 50 <= options.dpi <= 1200:
        problems.append(f"dpi was {options.dpi!r} but is expected to be between 50 and 1200")
    if problems:
        raise InvalidParameter("; ".join(problems))
