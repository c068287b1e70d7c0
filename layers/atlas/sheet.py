"""The panels of a sheet around the map: title band, legend with counts, responsibility table, footer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from geo.print_queries import AtlasData
from geo.vocab import CHAIN_LEVELS, term
from layers.atlas.draw import Page
from layers.atlas.layout import Box, PageFrame
from layers.atlas.themes import LegendRow, Theme
from layers.style import PRINT

_SCOPE_ZH = {"unit": "街镇/区", "grid": "本网格", "compound": "小区"}
# Levels listed person by person; the others are summarised when space runs out.
_BOTTOM_LEVELS = ("building_leader", "party_member", "volunteer")


def draw_title(
    canvas: Page,
    frame: PageFrame,
    k: float,
    *,
    title: str,
    code: str,
    subtitle: str,
    page: int,
    pages: int,
    internal: bool,
) -> None:
    box = frame.title
    canvas.text(box.x, box.top - 17 * k, title, 17 * k, va="baseline")
    canvas.text(
        box.x + canvas.width(title, 17 * k) + 8 * k,
        box.top - 17 * k,
        code,
        9 * k,
        va="baseline",
        color=PRINT["muted"],
    )
    canvas.text(box.x, box.top - 33 * k, subtitle, 9 * k, va="baseline")
    canvas.text(box.right, box.top - 13 * k, f"第 {page} / {pages} 页", 8.5 * k, ha="right", va="baseline")
    mark = "内部打印 · 含姓名电话 · 不得外传" if internal else "姓名电话已脱敏"
    canvas.text(
        box.right,
        box.top - 27 * k,
        mark,
        8 * k,
        ha="right",
        va="baseline",
        color="#b2182b" if internal else PRINT["muted"],
    )
    canvas.line(box.x, box.y + 4 * k, box.right, box.y + 4 * k, lw=1.2 * k, color=PRINT["ink"])


def draw_legend(
    canvas: Page, box: Box, k: float, rows: list[LegendRow], *, title: str, households: bool
) -> float:
    """The legend with building (and household) counts, top-down in ``box``; returns the y it ended at."""
    size = 7.2 * k
    row_h = 10.5 * k
    y = box.top - size
    canvas.text(box.x, y, title, 8.5 * k, va="baseline")
    col_b = box.right - (38 * k if households else 4 * k)
    col_h = box.right - 4 * k
    canvas.text(col_b, y, "楼栋", size, ha="right", va="baseline", color=PRINT["muted"])
    if households:
        canvas.text(col_h, y, "户", size, ha="right", va="baseline", color=PRINT["muted"])
    y -= 4 * k
    canvas.line(box.x, y, box.right, y, lw=0.4)
    total_b = total_h = 0
    for shown, row in enumerate(rows):
        if y - row_h < box.y + row_h:
            canvas.text(
                box.x,
                y - row_h + 2 * k,
                f"… 另有 {len(rows) - shown} 项",
                size,
                va="baseline",
                color=PRINT["muted"],
            )
            y -= row_h
            break
        y -= row_h
        empty = row.buildings == 0 and not row.households
        canvas.rect(Box(box.x, y, 11 * k, 7 * k), fill=row.fill, edge=row.outline, lw=0.5)
        colour = PRINT["muted"] if empty else PRINT["ink"]
        canvas.text(box.x + 15 * k, y + 0.5 * k, row.label, size, va="baseline", color=colour)
        canvas.text(col_b, y + 0.5 * k, f"{row.buildings:,}", size, ha="right", va="baseline", color=colour)
        if households:
            canvas.text(
                col_h, y + 0.5 * k, f"{row.households or 0:,}", size, ha="right", va="baseline", color=colour
            )
        total_b += row.buildings
        total_h += row.households or 0
    if households:
        y -= 4 * k
        canvas.line(box.x, y + 2 * k, box.right, y + 2 * k, lw=0.4)
        y -= row_h - 3 * k
        canvas.text(box.x + 15 * k, y, "合计", size, va="baseline")
        canvas.text(col_b, y, f"{total_b:,}", size, ha="right", va="baseline")
        canvas.text(col_h, y, f"{total_h:,}", size, ha="right", va="baseline")
    return y


def responsibility_rows(people: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """(level, scope, name, phone) per person of one grid, chain order; names as read (masked or not)."""
    rows = []
    person: Any  # a row of people (itertuples): pandas-stubs type its fields as any scalar
    for person in people.itertuples(index=False):
        scopes = set(person.scopes)
        if "building" in scopes:
            scope = f"{person.buildings} 栋楼"
        else:
            scope = "、".join(_SCOPE_ZH[s] for s in ("unit", "grid", "compound") if s in scopes)
        rows.append(
            (term(CHAIN_LEVELS, person.level).zh, scope, person.name or person.code, person.phone or "—")
        )
    return rows


def draw_responsibility(canvas: Page, box: Box, k: float, people: pd.DataFrame) -> None:
    """The grid's responsibility chain: role, scope, name and phone, one person a row."""
    size = 7.2 * k
    row_h = 10 * k
    y = box.top - size
    canvas.text(box.x, y, "包干责任人", 8.5 * k, va="baseline")
    cols = (box.x, box.x + 0.24 * box.w, box.x + 0.50 * box.w, box.x + 0.70 * box.w)
    y -= 4 * k
    canvas.line(box.x, y, box.right, y, lw=0.4)
    y -= row_h
    for x, head in zip(cols, ("层级", "范围", "姓名", "电话"), strict=True):
        canvas.text(x, y, head, size, va="baseline", color=PRINT["muted"])
    rows = responsibility_rows(people)
    if not rows:
        canvas.text(box.x, y - row_h, "（本网格无包干记录）", size, va="baseline", color=PRINT["muted"])
        return
    capacity = max(int((y - box.y) // row_h) - 1, 1)
    if len(rows) > capacity:
        kept = rows[: capacity - 1]
        rest = rows[capacity - 1 :]
        counts = pd.Series([r[0] for r in rest]).value_counts()
        summary = "、".join(f"{level} {n}" for level, n in counts.items())
        rows = [*kept, (f"… 另有 {len(rest)} 人", summary, "", "")]
    for row in rows:
        y -= row_h
        for x, value in zip(cols, row, strict=True):
            canvas.text(x, y, value, size, va="baseline")


def draw_footer(
    canvas: Page, frame: PageFrame, k: float, data: AtlasData, *, crs: str, printed: dt.datetime
) -> None:
    box = frame.footer
    size = 6.8 * k
    canvas.line(box.x, box.top, box.right, box.top, lw=0.6 * k, color=PRINT["ink"])
    as_of = f"{data.as_of:%Y-%m-%d %H:%M} UTC" if data.as_of else "未知"
    canvas.text(
        box.x, box.top - 11 * k, f"数据截至 {as_of} · 房态日期 {data.date:%Y-%m-%d}", size, va="baseline"
    )
    notes = []
    if data.osm:
        notes.append("建筑、道路、水系 © OpenStreetMap contributors (ODbL)")
    if data.simulated:
        notes.append("网格、住户、房态、包干为模拟数据（演示用，非真实）")
    canvas.text(box.x, box.top - 22 * k, " · ".join(notes) or "数据来源：本地加载", size, va="baseline")
    canvas.text(
        box.right,
        box.top - 11 * k,
        f"battlemap 挂图作战 · 打印于 {printed:%Y-%m-%d %H:%M} UTC",
        size,
        ha="right",
        va="baseline",
        color=PRINT["muted"],
    )
    canvas.text(
        box.right,
        box.top - 22 * k,
        f"坐标系 WGS 84 / UTM ({crs})",
        size,
        ha="right",
        va="baseline",
        color=PRINT["muted"],
    )


def subtitle(unit: str | None, theme: Theme, date: dt.date) -> str:
    return f"{unit or '—'} · {theme.label_zh} · {date:%Y年%-m月%-d日}"
