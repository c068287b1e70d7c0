"""Laying a brief out on A4: a writer that flows sections down the page (masthead, headings, tables,
page breaks with the table's header repeated, a footer with the page count), and ``write_pdf``.

Text is real text in the embedded TrueType CJK subset (``layers.atlas.fonts``), so the PDF is
searchable and its figures can be read back (the tests do). The page count ("共 N 页") is a form
every footer draws and the last page defines; the file is written beside its target, then moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas as RLCanvas

from geo.vocab import CHINA_TZ
from layers.atlas.draw import Page
from layers.atlas.fonts import cjk_font
from layers.atlas.layout import PAPERS, Box
from layers.brief.data import Brief
from layers.style import BRIEF, PRINT

WIDTH, HEIGHT = PAPERS["A4"]
MARGIN = 40.0
FOOTER = 34.0
TOTAL_FORM = "brief-pages"
WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Column:
    """A table column: header, share of the table's width, alignment."""

    header: str
    share: float
    align: str = "left"


Cell = str | tuple[str, str]
"""A cell's text, or (text, colour)."""


class Writer:
    """Flows a brief's sections down A4 pages, top to bottom."""

    def __init__(self, canvas: RLCanvas, brief: Brief) -> None:
        self.page = Page(canvas, cjk_font())
        self.c = canvas
        self.brief = brief
        self.number = 1
        self.left, self.right = MARGIN, WIDTH - MARGIN
        self.y = HEIGHT - MARGIN
        self._masthead()

    @property
    def width(self) -> float:
        return self.right - self.left

    # --- pages -----------------------------------------------------------------------------------

    def _masthead(self) -> None:
        p, b = self.page, self.brief
        top = HEIGHT - MARGIN
        if self.number == 1:
            p.text(WIDTH / 2, top - 22, "疫情防控每日态势简报", 22, ha="center", color=BRIEF["masthead"])
            weekday = WEEKDAYS[b.date.weekday()]
            p.text(
                WIDTH / 2,
                top - 40,
                f"{b.title} · {b.date:%Y年%-m月%-d日}（星期{weekday}）",
                10.5,
                ha="center",
            )
            p.text(
                self.left,
                top - 40,
                self.marking,
                8,
                color=BRIEF["masthead"] if b.internal else PRINT["muted"],
            )
            p.text(self.right, top - 40, f"日期 {b.date.isoformat()}", 8, ha="right", color=PRINT["muted"])
            y = top - 48
            p.line(self.left, y, self.right, y, lw=1.6, color=BRIEF["masthead"])
            p.line(self.left, y - 2.6, self.right, y - 2.6, lw=0.5, color=BRIEF["masthead"])
            self.y = y - 12
        else:
            p.text(
                self.left,
                top - 8,
                f"疫情防控每日态势简报 · {b.title} · {b.date.isoformat()}",
                8,
                color=PRINT["muted"],
            )
            p.text(self.right, top - 8, self.marking, 8, ha="right", color=PRINT["muted"])
            p.line(self.left, top - 13, self.right, top - 13, lw=0.6, color=BRIEF["masthead"])
            self.y = top - 26

    @property
    def marking(self) -> str:
        return "内部资料 · 含联系人信息 · 不得外传" if self.brief.internal else "联系人信息已脱敏"

    def _footer(self) -> None:
        p, b = self.page, self.brief
        p.line(self.left, FOOTER, self.right, FOOTER, lw=0.4)
        printed = local(b.printed_at, "%Y-%m-%d %H:%M")
        note = f"打印 {printed}（北京时间）· battlemap · 数字与地图页面同日同范围一致"
        p.text(self.left, FOOTER - 11, note, 6.5, color=PRINT["muted"])
        # "共 N 页" is a form drawn on every page and written once the last page is known.
        total_w = p.width("/ 共 999 页", 7)
        p.text(
            self.right - total_w - 3, FOOTER - 11, f"第 {self.number} 页", 7, ha="right", color=PRINT["muted"]
        )
        self.c.saveState()
        self.c.translate(self.right - total_w, FOOTER - 11)
        self.c.doForm(TOTAL_FORM)
        self.c.restoreState()

    def finish(self) -> int:
        """End the last page and write the page count every footer shows; returns it."""
        self._footer()
        self.c.showPage()
        self.c.beginForm(TOTAL_FORM)
        self.page.text(0, 0, f"/ 共 {self.number} 页", 7, color=PRINT["muted"])
        self.c.endForm()
        return self.number

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit above the footer."""
        if self.y - height < FOOTER + 10:
            self._footer()
            self.c.showPage()
            self.number += 1
            self._masthead()

    # --- blocks ----------------------------------------------------------------------------------

    def heading(self, title: str, note: str = "", *, keep: float = 44.0) -> None:
        """A section's title; ``keep``: the points that must fit below it (never a heading alone)."""
        self.need(26 + keep)
        p = self.page
        self.y -= 6
        p.rect(Box(self.left, self.y - 13, 3.2, 13), fill=BRIEF["masthead"])
        p.text(self.left + 8, self.y - 10.5, title, 11.5)
        if note:
            p.text(self.left + 14 + p.width(title, 11.5), self.y - 10.5, note, 8, color=PRINT["muted"])
        self.y -= 20

    def line(self, text: str, *, size: float = 8.5, color: str = PRINT["ink"], indent: float = 0.0) -> None:
        self.need(size * 1.6)
        self.page.text(self.left + indent, self.y - size, text, size, color=color)
        self.y -= size * 1.55

    def gap(self, points: float) -> None:
        self.y -= points

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell]],
        *,
        x: float | None = None,
        width: float | None = None,
        size: float = 7.8,
        empty: str = "无",
        swatches: Sequence[str | None] | None = None,
    ) -> None:
        """A table with a shaded header, repeated after a page break; ``swatches``: a colour square
        before the first cell of each row."""
        x = self.left if x is None else x
        width = self.width if width is None else width
        row_h = size * 1.75
        total = sum(c.share for c in columns)
        edges = [x]
        for c in columns:
            edges.append(edges[-1] + width * c.share / total)

        def header() -> None:
            self.page.rect(Box(x, self.y - row_h, width, row_h), fill=BRIEF["band"])
            for c, left, right in zip(columns, edges, edges[1:], strict=False):
                self._cell(c.header, c.align, left, right, size * 0.95, PRINT["muted"])
            self.y -= row_h

        self.need(row_h * 2.2)
        header()
        if not rows:
            self._cell(empty, "left", x, x + width, size, PRINT["muted"])
            self.y -= row_h
        for n, row in enumerate(rows):
            if self.y - row_h < FOOTER + 10:
                self.need(row_h * 3)
                header()
            for i, (c, cell, left, right) in enumerate(zip(columns, row, edges, edges[1:], strict=False)):
                text, colour = cell if isinstance(cell, tuple) else (cell, PRINT["ink"])
                if i == 0 and swatches is not None and swatches[n]:
                    self.page.rect(
                        Box(left + 3, self.y - row_h * 0.72, 7, 7), fill=swatches[n], edge="#666666", lw=0.3
                    )
                    left += 10
                self._cell(text, c.align, left, right, size, colour)
            self.y -= row_h
            self.page.line(x, self.y, x + width, self.y, lw=0.25, color=BRIEF["tile_edge"])

    def _cell(self, text: str, align: str, left: float, right: float, size: float, colour: str) -> None:
        pad = 3.0
        text = self._fit(text, right - left - 2 * pad, size)
        baseline = self.y - size * 1.75 * 0.68
        if align == "right":
            self.page.text(right - pad, baseline, text, size, ha="right", color=colour)
        elif align == "center":
            self.page.text((left + right) / 2, baseline, text, size, ha="center", color=colour)
        else:
            self.page.text(left + pad, baseline, text, size, color=colour)

    def _fit(self, text: str, width: float, size: float) -> str:
        while len(text) > 1 and self.page.width(text, size) > width:
            text = text[:-2] + "…"
        return text


Section = Callable[[Writer, Brief], None]


def write_pdf(brief: Brief, path: Path, sections: Sequence[tuple[str, Section]]) -> int:
    """Write ``brief`` to ``path`` (A4, vector, embedded CJK font); returns the number of pages.

    The file appears whole or not at all (written beside ``path``, then moved).
    """
    tmp = path.with_name(f".{path.name}.part")
    try:
        font = cjk_font()
        canvas = RLCanvas(
            str(tmp),
            pagesize=(WIDTH, HEIGHT),
            initialFontName=font,  # type: ignore[arg-type]  # types-reportlab says float; it is a name
            initialFontSize=8,
            pageCompression=1,
        )
        canvas.setTitle(f"疫情防控每日态势简报 {brief.title} {brief.date.isoformat()}")
        canvas.setSubject("daily situation brief (日报)")
        canvas.setCreator("battlemap")
        writer = Writer(canvas, brief)
        for _code, draw in sections:
            draw(writer, brief)
        pages = writer.finish()
        canvas.save()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return pages


def signed(change: int | None) -> str:
    """``+3``, ``-2``, ``0``; ``—`` when there is nothing to compare."""
    if change is None:
        return "—"
    return f"{change:+d}" if change else "0"


def local(moment: dt.datetime, fmt: str = "%m-%d %H:%M") -> str:
    """A time as the field reads it (China time)."""
    return moment.astimezone(CHINA_TZ).strftime(fmt)
