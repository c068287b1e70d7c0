"""Rendering an atlas: a cover (overview map and index of grids), then one sheet per grid.

The data are projected to UTM and cut into rings once; every page is drawn straight into one
reportlab PDF (vector paths, text in an embedded TrueType CJK subset). PNG pages are that
PDF rasterised by poppler's ``pdftoppm``, so both formats show exactly the same sheet.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from reportlab.pdfgen.canvas import Canvas as RLCanvas

from geo.errors import ConfigError
from geo.print_queries import AtlasData
from layers.atlas.cover import draw_cover
from layers.atlas.draw import (
    Label,
    Page,
    draw_basemap,
    draw_labels,
    line_strings,
    place_labels,
    polygon_rings,
)
from layers.atlas.fonts import cjk_font
from layers.atlas.layout import Box, PageFrame, SheetLayout
from layers.atlas.mapframe import (
    Prepared,
    draw_buildings,
    draw_outlines,
    frame_for,
    furniture,
    map_end,
    map_start,
    map_view,
)
from layers.atlas.sheet import draw_footer, draw_legend, draw_responsibility, draw_title, subtitle
from layers.atlas.themes import THEMES, Classified, Theme
from layers.style import PRINT


@dataclass(frozen=True)
class AtlasOptions:
    """How an atlas is printed.

    Attributes
    ----------
    layer
        a ``layers.atlas.themes.THEMES`` code: ``house-status``, ``responsibility`` or ``risk``.
    paper, orientation
        ``A4``/``A3``; ``auto`` (landscape for wide areas), ``portrait`` or ``landscape``.
    dpi
        resolution of PNG pages (PDF pages are vector).
    """

    layer: str = "house-status"
    paper: str = "A4"
    orientation: str = "auto"
    dpi: int = 300


def write_pdf(
    data: AtlasData,
    path: Path,
    *,
    options: AtlasOptions,
    printed: dt.datetime | None = None,
    author: str | None = None,
) -> list[SheetLayout]:
    """Write the atlas as one PDF (vector pages, embedded CJK font); returns each page's layout.

    ``author`` (who printed it: the signed-in user, or ``cli:<login>``) is the PDF's Author, never
    reportlab's "anonymous"; "battlemap" when nobody is named.

    The file is written beside ``path`` and moved into place, so a reader never sees half of it.
    """
    theme = THEMES[options.layer]
    classified = theme.classify(data)
    prepared = Prepared(data)
    printed = printed or dt.datetime.now(dt.UTC)
    font = cjk_font()
    tmp = path.with_name(f".{path.name}.part")
    # types-reportlab types initialFontName as a float; reportlab takes a font's name
    canvas = RLCanvas(
        str(tmp),
        initialFontName=font,  # type: ignore[arg-type]
        initialFontSize=8,
        pageCompression=1,
    )
    canvas.setTitle(f"{data.title} {theme.label_zh}")
    canvas.setCreator("battlemap")
    canvas.setAuthor(author or "battlemap")
    page = Page(canvas, font)
    total = len(data.grids) + 1
    try:
        layouts = [draw_cover(page, data, prepared, classified, theme, options, printed, total)]
        canvas.showPage()
        for i, grid in enumerate(data.grids.itertuples(index=False)):
            layouts.append(
                _grid_sheet(page, data, prepared, classified, theme, options, printed, i, grid, total)
            )
            canvas.showPage()
        canvas.save()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return layouts


def write_png(
    data: AtlasData, folder: Path, *, options: AtlasOptions, author: str | None = None
) -> list[tuple[Path, SheetLayout]]:
    """Write one PNG per page into ``folder`` (``00-cover.png``, ``01-<grid code>.png``, …) at ``dpi``.

    Raises
    ------
    ConfigError
        when poppler's ``pdftoppm`` is not installed.
    """
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise ConfigError(
            "PNG pages need pdftoppm: install poppler-utils (`sudo apt-get install poppler-utils`)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "atlas.pdf"
        layouts = write_pdf(data, pdf, options=options, author=author)
        subprocess.run([pdftoppm, "-r", str(options.dpi), "-png", str(pdf), str(Path(tmp) / "p")], check=True)
        pngs = sorted(Path(tmp).glob("p-*.png"))
        out = []
        for n, (png, layout) in enumerate(zip(pngs, layouts, strict=True)):
            target = folder / f"{n:02d}-{layout.grid_code or 'cover'}.png"
            shutil.move(png, target)
            out.append((target, layout))
    return out


# --- grid sheets ---------------------------------------------------------------------------------


def _grid_sheet(
    page: Page,
    data: AtlasData,
    prepared: Prepared,
    classified: Classified,
    theme: Theme,
    options: AtlasOptions,
    printed: dt.datetime,
    i: int,
    grid: Any,  # a row of data.grids (itertuples): id, code, name, unit_name
    total: int,
) -> SheetLayout:
    geom = prepared.grids[i]
    frame, k = frame_for(page, options, geom)
    view, layout, extent = map_view(
        frame,
        prepared,
        geom,
        page=i + 2,
        grid_code=grid.code,
        paper=options.paper,
        padding=0.08,
    )
    map_start(page, view)
    draw_basemap(page, view, prepared.basemap_in(extent), k)
    mine = prepared.building_ids[prepared.building_grid == grid.id]
    draw_buildings(
        page, view, prepared, prepared.building_tree.query(extent), classified, {int(b) for b in mine}, k
    )
    draw_outlines(page, view, prepared, classified, k)
    # Fade everything outside the grid, dash the neighbours' edges, then the grid itself, bold.
    veil = shapely.difference(extent.buffer(layout.extent_w_m * 0.05), geom)
    page.areas(polygon_rings(veil), view, fill=PRINT["neighbour_veil"], alpha=0.55)
    near = [int(j) for j in prepared.context_tree.query(extent) if prepared.context_ids[j] != grid.id]
    # Shared edges once (two dashed copies out of phase would look solid).
    edges = shapely.line_merge(shapely.union_all(shapely.boundary(prepared.context[near]))) if near else None
    page.lines(
        line_strings(edges) if edges is not None and not edges.is_empty else [],
        view,
        color=PRINT["neighbour_outline"],
        lw=0.8 * k,
        dash=(4 * k, 2 * k),
    )
    page.lines(line_strings(geom), view, color=PRINT["halo"], lw=4.2 * k)
    page.lines(line_strings(geom), view, color=PRINT["grid_outline"], lw=2.2 * k)
    inner = Box(view.frame.x + 4, view.frame.y + 4, view.frame.w - 8, view.frame.h - 8)
    reserved = furniture(view.frame, k)
    neighbour_labels = []
    for j in near:
        clipped = shapely.intersection(prepared.context[j], extent)
        if shapely.is_empty(clipped) or shapely.area(clipped) < 0.02 * shapely.area(extent):
            continue
        point = shapely.point_on_surface(clipped)
        neighbour_labels.append(Label(point.x, point.y, str(prepared.context_names[j]), 0))
    size = 7 * k
    placed = place_labels(page, neighbour_labels, view, inner, size, reserved=reserved)
    draw_labels(page, placed, size, color=PRINT["muted"], backing=0.0)
    in_grid = np.flatnonzero(prepared.building_grid == grid.id)
    labels = [
        Label(
            float(prepared.label_xy[j, 0]),
            float(prepared.label_xy[j, 1]),
            str(prepared.building_names[j]),
            float(prepared.building_area[j]),
        )
        for j in in_grid
        if prepared.building_names[j]
    ]
    bsize = 5.8 * k
    placed = place_labels(page, labels, view, inner, bsize, reserved=[*reserved, *(b for _, b in placed)])
    draw_labels(page, placed, bsize, color=PRINT["ink"], backing=0.7)
    map_end(page, layout, k)
    draw_title(
        page,
        frame,
        k,
        title=grid.name,
        code=grid.code,
        subtitle=subtitle(grid.unit_name, theme, data.date),
        page=i + 2,
        pages=total,
        internal=data.internal,
    )
    _panel(page, frame, k, data, classified, theme, mine, grid.id)
    draw_footer(page, frame, k, data, crs=layout.crs, printed=printed)
    return layout


def _panel(
    page: Page,
    frame: PageFrame,
    k: float,
    data: AtlasData,
    classified: Classified,
    theme: Theme,
    building_ids: np.ndarray,
    grid_id: int,
) -> None:
    panel = frame.panel
    rows = classified.legend(building_ids)
    households = theme.code in ("house-status", "risk")
    people = data.people[data.people["grid_id"] == grid_id]
    note = {"house-status": "（楼栋按最严重户状态着色）", "risk": "（按生效风险区域着色）"}
    title = f"图例 · {theme.label_zh}" + note.get(theme.code, "")
    if frame.landscape:
        legend_h = min(panel.h * 0.55, (len(rows) + 4) * 10.5 * k + 14 * k)
        draw_legend(
            page,
            Box(panel.x, panel.top - legend_h, panel.w, legend_h),
            k,
            rows,
            title=title,
            households=households,
        )
        draw_responsibility(page, Box(panel.x, panel.y, panel.w, panel.h - legend_h - 10 * k), k, people)
    else:
        left_w = panel.w * 0.44
        draw_legend(page, Box(panel.x, panel.y, left_w, panel.h), k, rows, title=title, households=households)
        page.line(panel.x + left_w + 8 * k, panel.y, panel.x + left_w + 8 * k, panel.top, lw=0.4)
        draw_responsibility(
            page, Box(panel.x + left_w + 16 * k, panel.y, panel.w - left_w - 16 * k, panel.h), k, people
        )
