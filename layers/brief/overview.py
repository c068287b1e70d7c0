"""The brief's small overview map: the area's outline and grids, buildings with a status other than
normal (coloured as on the house-status map, ``layers.style``) and the zones of active risk areas.

At a district's scale a building is far smaller than a point, so each flagged building is also drawn
as a dot of its colour; zones are outlined strictest last, so the sealed zone stays on top.
"""

from __future__ import annotations

import numpy as np
import shapely
from reportlab.lib.colors import HexColor
from shapely.geometry.base import BaseGeometry

from geo.vocab import STATUS_SEVERITY
from layers.atlas.draw import MapView, Page, Projection, line_strings, polygon_rings
from layers.atlas.layout import Box
from layers.brief.data import PUBLISHED, Brief
from layers.style import PRINT, ZONE_SWATCHES, status_swatch

_ZONE_OUTLINE = {s.code: s.outline for s in ZONE_SWATCHES}
_ZONE_FILL = {s.code: s.fill for s in ZONE_SWATCHES}


def draw_overview(page: Page, box: Box, brief: Brief) -> list[str]:
    """Draw the map into ``box``; returns the status codes drawn (for the legend)."""
    page.rect(box, fill="#fbfaf7", edge=PRINT["rule"], lw=0.6)
    ov = brief.overview
    shapes: list[BaseGeometry] = []
    if ov.outline is not None:
        shapes.append(ov.outline)
    shapes.extend(ov.grids.geometry.values)
    shapes.extend(ov.buildings.geometry.values)
    if not shapes:
        page.text(
            box.x + box.w / 2,
            box.y + box.h / 2,
            "本辖区无已加载的网格或楼栋",
            8,
            ha="center",
            color=PRINT["muted"],
        )
        return []
    everything = shapely.union_all([shapely.envelope(g) for g in shapes])
    centre = everything.centroid
    projection = Projection(centre.x, centre.y)
    outline = None
    if ov.outline is not None:
        outline = projection.geometries(np.array([ov.outline], dtype=object))[0]
    parts = projection.geometries(ov.parts.geometry.values)
    grids = projection.geometries(ov.grids.geometry.values)
    buildings = projection.geometries(ov.buildings.geometry.values)
    zones = [(z, projection.geometries(np.array([g], dtype=object))[0]) for z, g in brief.risk.zones]
    frame_of = outline if outline is not None else shapely.union_all([*grids, *buildings])
    minx, miny, maxx, maxy = shapely.bounds(frame_of)
    inner = Box(box.x + 6, box.y + 6, box.w - 12, box.h - 12)
    span_x, span_y = max(maxx - minx, 50.0), max(maxy - miny, 50.0)
    ratio = min(inner.w / span_x, inner.h / span_y)
    origin = (
        (minx + maxx) / 2 - inner.w / ratio / 2,
        (miny + maxy) / 2 - inner.h / ratio / 2,
    )
    view = MapView(inner, origin, ratio)
    c = page.c
    c.saveState()
    clip = c.beginPath()
    clip.rect(box.x, box.y, box.w, box.h)
    c.clipPath(clip, stroke=0, fill=0)
    if outline is not None:
        page.areas(polygon_rings(outline), view, fill="#ffffff", edge=None)
    page.lines((ln for g in parts for ln in line_strings(g)), view, color="#a9a296", lw=0.45)
    page.lines((ln for g in grids for ln in line_strings(g)), view, color="#c9c3b8", lw=0.35)
    for code in ("prevention", "control", "sealed", PUBLISHED):
        mine = [g for z, g in zones if z == code and shapely.get_dimensions(g) == 2]
        if code == PUBLISHED:  # drawn as the strictest zone, as the web map does; points as dots
            code = "sealed"
            c.setFillColor(HexColor(_ZONE_FILL[code]))
            c.setStrokeColor(HexColor(_ZONE_OUTLINE[code]))
            c.setLineWidth(0.5)
            for z, g in zones:
                if z == PUBLISHED:
                    x, y = view.point(*shapely.get_coordinates(shapely.centroid(g))[0])
                    c.circle(x, y, 2.2, stroke=1, fill=1)
        if mine:
            page.areas(
                (r for g in mine for r in polygon_rings(g)),
                view,
                fill=_ZONE_FILL[code],
                alpha=0.18,
                edge=None,
            )
            page.lines((ln for g in mine for ln in line_strings(g)), view, color=_ZONE_OUTLINE[code], lw=0.9)
    drawn: list[str] = []
    statuses = ov.buildings["status"].tolist() if len(ov.buildings) else []
    # Least severe first, so the most severe dots lie on top.
    for code in sorted(set(statuses), key=lambda s: -STATUS_SEVERITY[s]):
        swatch = status_swatch(code)
        mine = [b for b, s in zip(buildings, statuses, strict=True) if s == code]
        page.areas(
            (r for g in mine for r in polygon_rings(g)), view, fill=swatch.fill, edge=swatch.outline, lw=0.3
        )
        dot = 1.9 if ratio < 0.05 else 1.2
        c.setFillColor(HexColor(swatch.fill))
        c.setStrokeColor(HexColor(swatch.outline))
        c.setLineWidth(0.3)
        for g in mine:
            x, y = view.point(*shapely.get_coordinates(shapely.centroid(g))[0])
            c.circle(x, y, dot, stroke=1, fill=1)
        drawn.append(code)
    if outline is not None:
        page.lines(line_strings(outline), view, color=PRINT["halo"], lw=2.4)
        page.lines(line_strings(outline), view, color=PRINT["grid_outline"], lw=1.1)
    c.restoreState()
    _scale_bar(page, box, ratio)
    return sorted(drawn, key=lambda s: STATUS_SEVERITY[s])


def _scale_bar(page: Page, box: Box, ratio: float) -> None:
    """A plain scale bar in the lower left (map metres are UTM metres: close enough at this scale)."""
    target = box.w * 0.22 / ratio
    nice = 10.0
    for step in (1, 2, 5):
        for power in range(1, 6):
            value = step * 10**power
            if value <= target:
                nice = max(nice, float(value))
    length = nice * ratio
    x, y = box.x + 10, box.y + 10
    page.rect(Box(x - 3, y - 3, length + 36, 12), fill="#ffffff", alpha=0.8)
    page.line(x, y, x + length, y, lw=1.2, color=PRINT["ink"])
    page.line(x, y, x, y + 3, lw=0.8, color=PRINT["ink"])
    page.line(x + length, y, x + length, y + 3, lw=0.8, color=PRINT["ink"])
    label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
    page.text(x + length + 4, y, label, 6, color=PRINT["ink"])
