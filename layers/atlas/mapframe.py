"""The map frame of a page: the atlas data prepared once, the frame's scale and extent, buildings, furniture.

``Prepared`` projects an atlas's geometries to its UTM zone and cuts them into rings once;
``map_view`` fits an area into a page's map frame at a round scale and returns the numbers
(``SheetLayout``) that let anyone check that scale.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.print_queries import AtlasData
from geo.risk.outline import close_gaps
from layers.atlas.draw import (
    GREEN_KINDS,
    ROAD_WIDTHS,
    WATER_LINE_WIDTHS,
    BasemapLayers,
    MapView,
    Page,
    Projection,
    Rings,
    draw_north_arrow,
    draw_scale_bar,
    line_strings,
    polygon_rings,
)
from layers.atlas.layout import (
    METRES_PER_POINT,
    PAPERS,
    Box,
    PageFrame,
    SheetLayout,
    fit_scale,
    page_frame,
    scale_bar,
)
from layers.atlas.themes import Classified
from layers.style import BASEMAP, PRINT


class PaperOptions(Protocol):
    @property
    def paper(self) -> str: ...

    @property
    def orientation(self) -> str: ...


class Prepared:
    """An atlas's data projected to its UTM zone and cut into rings, with spatial indexes."""

    def __init__(self, data: AtlasData) -> None:
        minx, miny, maxx, maxy = data.grids.total_bounds
        self.projection = p = Projection((minx + maxx) / 2, (miny + maxy) / 2)
        self.grids = p.geometries(data.grids.geometry.values)
        self.context = p.geometries(data.context_grids.geometry.values)
        self.context_ids = data.context_grids["id"].to_numpy()
        self.context_names = data.context_grids["name"].to_numpy()
        self.context_tree = shapely.STRtree(self.context)
        b = data.buildings
        self.building_ids = b["id"].to_numpy()
        self.building_grid = b["grid_id"].to_numpy(dtype=float)
        self.building_names = b["name"].astype(object).where(b["name"].notna(), None).to_numpy()
        self.buildings = p.geometries(b.geometry.values)
        self.building_rings = [polygon_rings(g) for g in self.buildings]
        self.building_area = shapely.area(self.buildings) if len(b) else np.zeros(0)
        lx, ly = p.xy(b["label_x"].to_numpy(dtype=float), b["label_y"].to_numpy(dtype=float))
        self.label_xy = np.column_stack([lx, ly]) if len(b) else np.zeros((0, 2))
        self.building_tree = shapely.STRtree(self.buildings)
        m = data.basemap
        self.base = p.geometries(m.geometry.values)
        self.base_layer = m["layer"].to_numpy()
        self.base_kind = m["kind"].to_numpy()
        self.base_tree = shapely.STRtree(self.base)
        self.base_dims = shapely.get_dimensions(self.base) if len(m) else np.zeros(0)
        self.base_rings = [
            polygon_rings(g) if d == 2 else [] for g, d in zip(self.base, self.base_dims, strict=True)
        ]
        self.base_lines = [line_strings(g) for g in self.base]

    def basemap_in(self, extent: BaseGeometry) -> BasemapLayers:
        """The basemap features meeting ``extent``, grouped the way ``draw_basemap`` draws them."""
        landuse: list = []
        water_areas: list = []
        water_lines: dict[float, list] = {}
        roads: dict[str, list] = {}
        rail: list = []
        for i in self.base_tree.query(extent):
            layer, kind, dim = self.base_layer[i], self.base_kind[i], self.base_dims[i]
            if layer == "landuse" and dim == 2:
                landuse.append((self.base_rings[i], kind in GREEN_KINDS))
            elif layer == "water" and dim == 2:
                water_areas.extend(self.base_rings[i])
            elif layer == "water":
                water_lines.setdefault(WATER_LINE_WIDTHS.get(kind, 0.8), []).extend(self.base_lines[i])
            elif layer == "roads" and kind == "rail":
                rail.extend(self.base_lines[i])
            elif layer == "roads" and kind in ROAD_WIDTHS:
                roads.setdefault(kind, []).extend(self.base_lines[i])
        return {
            "landuse": landuse,
            "water_areas": water_areas,
            "water_lines": sorted(water_lines.items()),
            "roads": roads,
            "rail": rail,
        }


def frame_for(page: Page, options: PaperOptions, area: BaseGeometry) -> tuple[PageFrame, float]:
    minx, miny, maxx, maxy = area.bounds
    frame = page_frame(options.paper, options.orientation, aspect=(maxx - minx) / max(maxy - miny, 1e-9))
    page.c.setPageSize((frame.width, frame.height))
    return frame, PAPERS[options.paper][0] / PAPERS["A4"][0]


def map_view(
    frame: PageFrame,
    prepared: Prepared,
    area: BaseGeometry,
    *,
    page: int,
    grid_code: str | None,
    paper: str,
    padding: float,
) -> tuple[MapView, SheetLayout, BaseGeometry]:
    """The map frame at the nice scale that fits ``area`` (UTM), the sheet's numbers, and the extent."""
    minx, miny, maxx, maxy = area.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    k_scale, north = prepared.projection.factors(cx, cy)
    box = frame.map
    scale = fit_scale((maxx - minx) / k_scale, (maxy - miny) / k_scale, box, padding=padding)
    # Grid metres shown: paper metres x scale (ground metres) x k (grid metres per ground metre).
    ext_w = box.w * METRES_PER_POINT * scale * k_scale
    ext_h = box.h * METRES_PER_POINT * scale * k_scale
    bar_m, bar_pt = scale_bar(scale, box.w, scale_factor=k_scale)
    layout = SheetLayout(
        page=page,
        grid_code=grid_code,
        paper=paper,
        width_pt=frame.width,
        height_pt=frame.height,
        map_x_pt=box.x,
        map_y_pt=box.y,
        map_w_pt=box.w,
        map_h_pt=box.h,
        extent_w_m=ext_w,
        extent_h_m=ext_h,
        scale=scale,
        scale_factor=k_scale,
        bar_pt=bar_pt,
        bar_m=bar_m,
        crs=prepared.projection.crs,
        centre=prepared.projection.lonlat(cx, cy),
        convergence_deg=north,
    )
    view = MapView(box, (cx - ext_w / 2, cy - ext_h / 2), box.w / ext_w)
    extent = shapely.box(cx - ext_w / 2, cy - ext_h / 2, cx + ext_w / 2, cy + ext_h / 2)
    return view, layout, extent


def draw_buildings(
    page: Page,
    view: MapView,
    prepared: Prepared,
    idx: np.ndarray,
    classified: Classified,
    highlight: set[int],
    k: float,
) -> None:
    """Buildings outside ``highlight`` in the faded context colour, the others by the theme, by colour."""
    context: Rings = []
    groups: dict[tuple[str, str], Rings] = {}
    for i in idx:
        b = int(prepared.building_ids[i])
        if b in highlight and b in classified.fill:
            groups.setdefault((classified.fill[b], classified.outline[b]), []).extend(
                prepared.building_rings[i]
            )
        else:
            context.extend(prepared.building_rings[i])
    page.areas(
        context, view, fill=PRINT["context_building"], edge=PRINT["context_building_outline"], lw=0.3 * k
    )
    for (fill, outline), rings in groups.items():
        page.areas(rings, view, fill=fill, edge=outline, lw=0.45 * k)


def draw_outlines(page: Page, view: MapView, prepared: Prepared, classified: Classified, k: float) -> None:
    """The theme's areas (risk zones) as bold outlines over the buildings, strictest last (on top).

    A zone is its buildings' footprints; it is outlined as one shape by closing the gaps between
    neighbouring buildings (``geo.risk.outline.close_gaps``, in the sheet's UTM metres) and drawn with
    a white halo so it reads over any building colour.
    """
    if not classified.outlines:
        return
    areas = prepared.projection.geometries(np.array([g for g, _ in classified.outlines], dtype=object))
    hulls = close_gaps(areas)  # geo.risk.outline: the web map draws the same boundary
    for hull, (_, colour) in reversed(list(zip(hulls, classified.outlines, strict=True))):
        lines = line_strings(shapely.boundary(hull))
        page.lines(lines, view, color=PRINT["halo"], lw=3.2 * k)
        page.lines(lines, view, color=colour, lw=1.6 * k)


def map_start(page: Page, view: MapView) -> None:
    page.c.saveState()
    page.clip(view.frame)
    page.rect(view.frame, fill=BASEMAP["background"])


def furniture(box: Box, k: float) -> list[Box]:
    """Where the scale bar and north arrow go on a map frame: no label goes there."""
    return [Box(box.x, box.y, 175 * k, 50 * k), Box(box.right - 50 * k, box.top - 70 * k, 50 * k, 70 * k)]


def map_end(page: Page, layout: SheetLayout, k: float) -> None:
    page.c.restoreState()
    box = Box(layout.map_x_pt, layout.map_y_pt, layout.map_w_pt, layout.map_h_pt)
    page.rect(box, edge=PRINT["ink"], lw=0.9 * k)
    draw_scale_bar(page, box.x + 12 * k, box.y + 12 * k, layout.bar_pt, layout.bar_m, layout.scale, k)
    draw_north_arrow(page, box.right - 24 * k, box.top - 34 * k, layout.convergence_deg, k)
