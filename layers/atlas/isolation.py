"""The printed 居家隔离索引图 (home-isolation step guide): one A4 portrait page per isolated household.

Each page: the household and where it is, the steps as a strip (done, current, to do), the guide table
(操作内容, 责任部门, 工作要求, 防护标准, 注意事项 per step, Chinese with English beneath), who answers
for the building by chain level (names and phones masked unless the print is internal) and a box per
isolation day for the daily temperature. Text stays text (embedded CJK TrueType subset).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas as RLCanvas

from geo.contacts import Contact
from geo.loops.guide import GUIDE_FIELDS, GuideStep, IsolatedHousehold
from geo.vocab import CHAIN_LEVELS, term
from layers.atlas.draw import Page, wrap
from layers.atlas.fonts import cjk_font
from layers.atlas.layout import MM, PAPERS, Box
from layers.style import PRINT

STATE_COLOURS = {
    "done": "#2f855a",
    "running": "#2b6cb0",
    "current": "#b42318",
    "todo": "#8f8a82",
    "none": "#8f8a82",
}
STATE_WORDS = {
    "done": "已完成 done",
    "running": "每日进行中 daily",
    "current": "当前 current",
    "todo": "待办 to do",
    "none": "未建事项 no item",
}
DAYS_SHOWN = 14


@dataclass(frozen=True)
class GuidePage:
    """One page's content: the household and the people who answer for its building."""

    household: IsolatedHousehold
    contacts: Sequence[Contact]


def write_isolation_guide(
    pages: Sequence[GuidePage], path: Path, *, internal: bool, printed: dt.datetime, today: dt.date
) -> int:
    """Write ``pages`` to the PDF ``path`` (beside it first, then moved into place); the page count."""
    font = cjk_font()
    tmp = path.with_name(f".{path.name}.part")
    width, height = PAPERS["A4"]
    canvas = RLCanvas(
        str(tmp),
        pagesize=(width, height),
        initialFontName=font,  # type: ignore[arg-type]  # types-reportlab types it as a float
        initialFontSize=8,
        pageCompression=1,
    )
    canvas.setTitle("居家隔离索引图 Home-isolation step guide")
    canvas.setCreator("battlemap")
    page = Page(canvas, font)
    try:
        for number, content in enumerate(pages, start=1):
            _draw(page, content, width, height, internal=internal, printed=printed, today=today)
            _footer(page, width, number, len(pages), internal=internal, printed=printed)
            canvas.showPage()
        canvas.save()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(pages)


def _draw(
    page: Page,
    content: GuidePage,
    width: float,
    height: float,
    *,
    internal: bool,
    printed: dt.datetime,
    today: dt.date,
) -> None:
    h = content.household
    left, right = 14 * MM, width - 14 * MM
    y = height - 16 * MM
    page.text(left, y, "居家隔离索引图", 20, va="baseline")
    page.text(
        left + page.width("居家隔离索引图", 20) + 8, y, "Home-isolation step guide", 11, color=PRINT["muted"]
    )
    page.rect(Box(left, y - 6, right - left, 1.6), fill="#b42318")
    y -= 20
    where = " · ".join(p for p in (h.building, h.address, h.unit_label) if p)
    page.text(left, y, where or f"#{h.household_id}", 12)
    y -= 14
    facts = [
        f"网格 Grid {h.grid or '–'}" + (f" {h.grid_name}" if h.grid_name else ""),
        f"小区 Compound {h.compound or '–'}",
        f"隔离起始 Since {h.since.isoformat() if h.since else '–'}",
        f"解除 Until {h.until.isoformat() if h.until else '未定 open'}",
        f"事项 Item {'#' + str(h.item_id) if h.item_id else '未建 none'}",
    ]
    page.text(left, y, "   ".join(facts), 8.5, color=PRINT["ink"])
    y -= 20
    y = _strip(page, h.steps, left, right, y)
    y = _table(page, h.steps, left, right, y - 8)
    y = _contacts(page, content.contacts, left, right, y - 14, internal=internal)
    _days(page, h, left, right, y - 22, today=today)


def _strip(page: Page, steps: Sequence[GuideStep], left: float, right: float, top: float) -> float:
    """The steps in order as boxes joined by arrows, coloured by the household's progress."""
    gap = 12
    w = (right - left - gap * (len(steps) - 1)) / len(steps)
    box_h = 34
    for i, step in enumerate(steps):
        x = left + i * (w + gap)
        colour = STATE_COLOURS[step.state]
        filled = step.state in ("done", "running", "current")
        page.rect(Box(x, top - box_h, w, box_h), fill=colour if filled else "#ffffff", edge=colour, lw=1.2)
        ink = "#ffffff" if filled else PRINT["ink"]
        page.text(x + w / 2, top - 13, step.zh, 9.5, ha="center", color=ink)
        page.text(x + w / 2, top - 24, STATE_WORDS[step.state], 6.5, ha="center", color=ink)
        if i < len(steps) - 1:
            ax = x + w + 2
            page.line(ax, top - box_h / 2, ax + gap - 4, top - box_h / 2, lw=1.2, color=PRINT["ink"])
            page.polygon(
                [
                    (ax + gap - 4, top - box_h / 2 + 3),
                    (ax + gap - 1, top - box_h / 2),
                    (ax + gap - 4, top - box_h / 2 - 3),
                ],
                fill=PRINT["ink"],
            )
    return top - box_h


def _table(page: Page, steps: Sequence[GuideStep], left: float, right: float, top: float) -> float:
    """The guide: a row per step, a column per guide field, Chinese over English."""
    first = 62.0
    columns = [first] + [(right - left - first) / len(GUIDE_FIELDS)] * len(GUIDE_FIELDS)
    pad, zh_size, en_size = 3.0, 8.0, 6.2
    head_h = 24.0
    page.rect(Box(left, top - head_h, right - left, head_h), fill="#f1efe9")
    x = left
    headings = [("步骤", "Step")] + [(zh, en) for _, zh, en in GUIDE_FIELDS]
    for (head_zh, head_en), w in zip(headings, columns, strict=True):
        page.text(x + pad, top - 10, head_zh, 8.5)
        page.text(x + pad, top - 19, head_en, 6.2, color=PRINT["muted"])
        x += w
    y = top - head_h
    for step in steps:
        cells: list[tuple[list[str], list[str]]] = [
            (
                wrap(page, step.zh, zh_size + 0.5, first - 2 * pad),
                wrap(page, step.en, en_size, first - 2 * pad),
            )
        ]
        for (code, _, _), w in zip(GUIDE_FIELDS, columns[1:], strict=True):
            words = step.lines.get(code)
            if words is None:
                cells.append((["–"], []))
            else:
                cells.append(
                    (wrap(page, words.zh, zh_size, w - 2 * pad), wrap(page, words.en, en_size, w - 2 * pad))
                )
        row_h = max(len(zh) * (zh_size + 2) + len(en) * (en_size + 1.6) for zh, en in cells) + 2 * pad + 2
        if step.state == "current":
            page.rect(Box(left, y - row_h, right - left, row_h), fill="#fdecea")
        page.rect(Box(left, y - row_h, 3, row_h), fill=STATE_COLOURS[step.state])
        x = left
        for i, ((zh, en), w) in enumerate(zip(cells, columns, strict=True)):
            ty = y - pad - zh_size
            for zh_line in zh:
                page.text(x + pad + (2 if i == 0 else 0), ty, zh_line, zh_size + (0.5 if i == 0 else 0))
                ty -= zh_size + 2
            for en_line in en:
                page.text(x + pad + (2 if i == 0 else 0), ty, en_line, en_size, color=PRINT["muted"])
                ty -= en_size + 1.6
            x += w
        y -= row_h
        page.line(left, y, right, y, lw=0.4)
    x = left
    for w in columns[:-1]:
        x += w
        page.line(x, top, x, y, lw=0.3)
    page.rect(Box(left, y, right - left, top - y), edge=PRINT["ink"], lw=0.8)
    return y


def _contacts(
    page: Page, contacts: Sequence[Contact], left: float, right: float, top: float, *, internal: bool
) -> float:
    """Who answers for the building, by chain level (masked unless internal)."""
    note = "内部打印：含姓名电话，妥善保管" if internal else "姓名与电话已脱敏 names and phones masked"
    page.text(left, top, "包干责任人 Who answers", 10)
    page.text(right, top, note, 7, ha="right", color="#b42318" if internal else PRINT["muted"])
    y = top - 6
    row_h = 12.5
    col = (right - left) / 2
    for i, c in enumerate(contacts[:12]):
        x = left + (i % 2) * col
        if i % 2 == 0:
            y -= row_h
        level = term(CHAIN_LEVELS, c.level)
        text = f"{level.zh} {level.en} · {c.code} · {c.name or '–'} · {c.phone or '–'}"
        page.text(x, y, text, 7.6)
    if not contacts:
        y -= row_h
        page.text(left, y, "无登记责任人 nobody on record", 7.6, color=PRINT["muted"])
    return y


def _days(page: Page, h: IsolatedHousehold, left: float, right: float, top: float, *, today: dt.date) -> None:
    """A box per isolation day for the daily temperature (two weeks): ticked where a record came in."""
    page.text(left, top, "每天测温记录 Daily temperature", 10)
    page.text(
        right,
        top,
        "√ 已上报 reported · 空格 手填 blank: fill in by hand",
        7,
        ha="right",
        color=PRINT["muted"],
    )
    since = h.since or today
    # the isolation's first fortnight, or once longer ago, the fortnight ending on the print's day
    start = since if (today - since).days < DAYS_SHOWN else today - dt.timedelta(days=DAYS_SHOWN - 1)
    recorded: set[dt.date] = set()
    for step in h.steps:
        if step.daily:
            recorded |= set(step.days)
    per_row = 7
    w = (right - left) / per_row
    box_h = 30.0
    y = top - 8
    for i in range(DAYS_SHOWN):
        day = start + dt.timedelta(days=i)
        x = left + (i % per_row) * w
        if i % per_row == 0:
            y -= box_h
        fill = "#e6f4ea" if day in recorded else ("#fff7e0" if day == today else None)
        page.rect(Box(x, y, w, box_h), fill=fill, edge=PRINT["rule"], lw=0.5)
        page.text(x + 3, y + box_h - 9, f"第{(day - since).days + 1}天 {day:%m-%d}", 7)
        page.text(x + 3, y + 5, "√" if day in recorded else "____ °C", 8, color=PRINT["muted"])


def _footer(
    page: Page, width: float, number: int, total: int, *, internal: bool, printed: dt.datetime
) -> None:
    left, right, y = 14 * MM, width - 14 * MM, 10 * MM
    page.line(left, y + 8, right, y + 8, lw=0.6, color=PRINT["ink"])
    kind = "内部 internal" if internal else "脱敏 masked"
    page.text(
        left,
        y,
        f"battlemap 挂图作战 · 打印于 {printed:%Y-%m-%d %H:%M} UTC · {kind}",
        6.8,
        color=PRINT["muted"],
    )
    page.text(right, y, f"{number} / {total}", 6.8, ha="right", color=PRINT["muted"])
