"""The cover of an atlas: the overview map of every chosen grid (numbered by page) and the index."""

from __future__ import annotations

import datetime as dt

import shapely

from geo.print_queries import AtlasData
from layers.atlas.draw import Label, Page, draw_basemap, draw_labels, line_strings, place_labels
from layers.atlas.layout import Box, SheetLayout
from layers.atlas.mapframe import (
    PaperOptions,
    Prepared,
    draw_buildings,
    draw_outlines,
    frame_for,
    furniture,
    map_end,
    map_start,
    map_view,
)
from layers.atlas.sheet import draw_footer, draw_title
from layers.atlas.themes import Classified, Theme
from layers.style import GAP_SWATCH, PRINT


def draw_cover(
    page: Page,
    data: AtlasData,
    prepared: Prepared,
    classified: Classified,
    theme: Theme,
    options: PaperOptions,
    printed: dt.datetime,
    total: int,
) -> SheetLayout:
    """Page 1: every chosen grid on one map, numbered with its sheet's page, and the index of grids."""
    union = shapely.union_all(prepared.grids)
    frame, k = frame_for(page, options, union)
    view, layout, extent = map_view(
        frame, prepared, union, page=1, grid_code=None, paper=options.paper, padding=0.04
    )
    map_start(page, view)
    draw_basemap(page, view, prepared.basemap_in(extent), k * 0.6)
    chosen = set(data.buildings.loc[data.buildings["grid_id"].isin(data.grids["id"]), "id"].astype(int))
    draw_buildings(page, view, prepared, prepared.building_tree.query(extent), classified, chosen, k * 0.5)
    draw_outlines(page, view, prepared, classified, k * 0.6)
    page.lines(
        (line for g in prepared.grids for line in line_strings(g)),
        view,
        color=PRINT["grid_outline"],
        lw=0.9 * k,
    )
    inner = Box(view.frame.x + 4, view.frame.y + 4, view.frame.w - 8, view.frame.h - 8)
    labels = [
        Label(p.x, p.y, str(n + 2), 1.0) for n, p in enumerate(shapely.point_on_surface(prepared.grids))
    ]
    size = 6.5 * k
    placed = place_labels(page, labels, view, inner, size, reserved=furniture(view.frame, k))
    draw_labels(page, placed, size, color=PRINT["ink"], backing=0.75)
    map_end(page, layout, k)
    draw_title(
        page,
        frame,
        k,
        title=f"{data.title} {theme.label_zh}",
        code=f"{len(data.grids)} 个网格",
        subtitle=f"网格总图与索引 · {data.date:%Y年%-m月%-d日} · 图中数字为页码",
        page=1,
        pages=total,
        internal=data.internal,
    )
    _index(page, frame.panel, k, data, classified, theme)
    draw_footer(page, frame, k, data, crs=layout.crs, printed=printed)
    return layout


def _index(page: Page, box: Box, k: float, data: AtlasData, classified: Classified, theme: Theme) -> None:
    """The index of grids: page, name, households and the theme's headline count, in columns."""
    grids, b = data.grids, data.buildings
    mine = b[b["grid_id"].isin(grids["id"])]
    hh = data.households.merge(mine[["id", "grid_id"]], left_on="building_id", right_on="id")
    households = hh.groupby("grid_id")["n"].sum()
    if theme.code == "house-status":
        head = "异常户"
        flagged = hh[~hh["status"].isin(("normal", "vacant"))].groupby("grid_id")["n"].sum()
    elif theme.code == "risk":
        head = "区内楼"
        flagged = mine[mine["id"].astype(int).isin(classified.flagged)].groupby("grid_id")["id"].count()
    else:
        head = "缺位楼"
        gap = mine["id"].map(lambda i: classified.fill.get(int(i)) == GAP_SWATCH.fill)
        flagged = mine[gap].groupby("grid_id")["id"].count()
    page.text(box.x, box.top - 8.5 * k, "网格索引", 8.5 * k)
    top = box.top - 14 * k
    n = len(grids)
    size, row_h = 6.6 * k, 9 * k
    while True:
        rows_fit = max(int((top - box.y) // row_h) - 1, 1)
        columns = max(1, -(-n // rows_fit))
        if columns <= 4 or size <= 4.2 * k:
            break
        size, row_h = size * 0.9, row_h * 0.9
    rows_per_col = min(-(-n // columns), rows_fit)
    col_w = box.w / columns
    for c in range(columns):
        x = box.x + c * col_w
        y = top - row_h
        for dx, label, ha in (
            (0, "页", "left"),
            (0.1, "网格", "left"),
            (0.8, "户", "right"),
            (0.96, head, "right"),
        ):
            page.text(x + dx * col_w, y, label, size, ha=ha, color=PRINT["muted"])
        for r in range(rows_per_col):
            j = c * rows_per_col + r
            if j >= n:
                break
            grid = grids.iloc[j]
            y -= row_h
            count = int(flagged.get(grid["id"], 0))
            page.text(x, y, str(j + 2), size)
            page.text(x + 0.1 * col_w, y, _fit(page, str(grid["name"]), 0.56 * col_w, size), size)
            page.text(x + 0.8 * col_w, y, f"{int(households.get(grid['id'], 0)):,}", size, ha="right")
            page.text(
                x + 0.96 * col_w,
                y,
                f"{count:,}",
                size,
                ha="right",
                color="#b2182b" if count else PRINT["muted"],
            )


def _fit(page: Page, s: str, width: float, size: float) -> str:
    while len(s) > 1 and page.width(s, size) > width:
        s = s[:-2] + "…"
    return s
