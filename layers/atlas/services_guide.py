"""The printed 涉外服务指引图 of one international compound: one A4 portrait sheet with the map of its
gates and its multilingual registration and service points (numbered), each point's languages and
hours, and the notices (registration content and method, key-person notices, health tips, the
poster's line) in Chinese and in every language its points serve, so that "口径统一、标准规范".

Text stays text: the CJK TrueType font (``layers.atlas.fonts``: WenQuanYi covers Han, Kana, Hangul
and Latin) is embedded as a subset. The notices shrink together until they fit the one page.
``print_service_guide`` reads, prints and audits (like the atlas and the isolation guide).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from reportlab.lib.colors import HexColor
from reportlab.pdfgen.canvas import Canvas as RLCanvas
from sqlalchemy import Engine

from geo.audit import Actor, record
from geo.clock import china_now
from geo.db import read_connection
from geo.scope import UNRESTRICTED, Scope
from geo.services.languages import chinese_name, own_name
from geo.services.notices import Notices, load_notices
from geo.services.read import CompoundGuide, compound_guide
from geo.settings import ServiceSettings
from layers.atlas.draw import MapView, Page, Projection, polygon_rings, wrap
from layers.atlas.fonts import cjk_font
from layers.atlas.layout import MM, PAPERS, Box
from layers.style import (
    INTERNATIONAL_SWATCH,
    PATH_SWATCH,
    PRINT,
    REGISTRATION_SWATCH,
    SERVICE_POINT_SWATCH,
)

TITLE = "涉外服务指引图"
TITLE_EN = "Multilingual service guide"
MAP_SHARE = 0.34  # of the page's height, for the map frame
MIN_SIZE = 4.8  # the notices' smallest type (pt) before the sheet gives up shrinking


def languages_of(guide: CompoundGuide) -> list[str]:
    """Chinese first, then every language the compound's points serve, in the order listed."""
    return list(dict.fromkeys(["zh", *guide.compound.languages]))


def write_service_guide(
    guide: CompoundGuide, notices: dict[str, Notices], path: Path, *, printed: dt.datetime, share: float
) -> int:
    """Write the one-page guide to the PDF ``path`` (beside it first, then moved into place)."""
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
    canvas.setTitle(f"{TITLE} {guide.compound.name or ''} {TITLE_EN}")
    canvas.setCreator("battlemap")
    page = Page(canvas, font)
    try:
        left, right = 14 * MM, width - 14 * MM
        y = _head(page, guide, left, right, height - 16 * MM, share=share)
        frame = Box(left, y - height * MAP_SHARE, (right - left) * 0.58, height * MAP_SHARE)
        _map(page, guide, frame)
        _points(page, guide, Box(frame.x + frame.w + 10, frame.y, right - frame.x - frame.w - 10, frame.h))
        _notices(page, [notices[code] for code in languages_of(guide)], left, right, frame.y - 12, 16 * MM)
        _footer(page, left, right, printed)
        canvas.showPage()
        canvas.save()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return 1


def _head(page: Page, guide: CompoundGuide, left: float, right: float, y: float, *, share: float) -> float:
    c = guide.compound
    page.text(left, y, TITLE, 20)
    page.text(left + page.width(TITLE, 20) + 8, y, TITLE_EN, 11, color=PRINT["muted"])
    page.rect(Box(left, y - 6, right - left, 1.6), fill=INTERNATIONAL_SWATCH.outline)
    y -= 22
    page.text(left, y, c.name or f"#{c.id}", 14)
    facts = (
        f"外籍住户 Foreign households {c.foreign:,} / {c.households:,} ({c.share:.0%})"
        f" · {'涉外小区 International' if c.international else '非涉外小区 not international'}"
        f" (≥{share:.0%})"
    )
    page.text(right, y, facts, 8.5, ha="right", color=PRINT["muted"])
    return y - 10


def _map(page: Page, guide: CompoundGuide, frame: Box) -> None:
    """The compound's outline and buildings, its gates (squares) and points (numbered circles)."""
    outline = shapely.from_wkb(guide.outline_wkb)
    centre = outline.centroid
    projection = Projection(centre.x, centre.y)
    found = np.array([outline, *(shapely.from_wkb(b) for b in guide.buildings_wkb)], dtype=object)
    shape, *buildings = projection.geometries(found)
    x0, y0, x1, y1 = shape.bounds
    spots = [(p.lon, p.lat) for p in guide.compound.points] + [(g[0], g[1]) for g in guide.gates]
    if spots:
        sx, sy = projection.xy(np.array([s[0] for s in spots]), np.array([s[1] for s in spots]))
        x0, y0, x1, y1 = min(x0, *sx), min(y0, *sy), max(x1, *sx), max(y1, *sy)
    pad = 0.08 * max(x1 - x0, y1 - y0, 50.0)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    ratio = min(frame.w / (x1 - x0), frame.h / (y1 - y0))
    origin = ((x0 + x1) / 2 - frame.w / 2 / ratio, (y0 + y1) / 2 - frame.h / 2 / ratio)
    view = MapView(frame, origin, ratio)
    page.rect(frame, fill="#f7f5f1", edge=PRINT["rule"], lw=0.6)
    page.c.saveState()
    page.clip(frame)
    page.areas(polygon_rings(shape), view, fill=INTERNATIONAL_SWATCH.fill, edge=INTERNATIONAL_SWATCH.outline,
               lw=1.4, alpha=0.35)  # fmt: skip
    rings = [r for b in buildings for r in polygon_rings(b)]
    page.areas(rings, view, fill=PRINT["context_building"], edge=PRINT["context_building_outline"], lw=0.3)
    for lon, lat, _ in guide.gates:
        gx, gy = projection.xy(np.array([lon]), np.array([lat]))
        x, y = view.point(float(gx[0]), float(gy[0]))
        page.rect(Box(x - 5, y - 5, 10, 10), fill=PATH_SWATCH.fill, edge=PRINT["ink"], lw=0.8)
        page.text(x + 7, y, "大门 Gate", 7, va="center")
    for number, p in enumerate(guide.compound.points, start=1):
        px, py = projection.xy(np.array([p.lon]), np.array([p.lat]))
        _marker(page, *view.point(float(px[0]), float(py[0])), number, p.kind)
    page.c.restoreState()
    page.text(frame.x + 4, frame.y + 4, "▲N", 7, color=PRINT["muted"])


def _marker(page: Page, x: float, y: float, number: int, kind: str) -> None:
    swatch = REGISTRATION_SWATCH if kind == "registration_point" else SERVICE_POINT_SWATCH
    page.c.setFillColor(HexColor(swatch.fill))
    page.c.setStrokeColor(HexColor("#ffffff"))
    page.c.setLineWidth(1.2)
    page.c.circle(x, y, 7, stroke=1, fill=1)
    page.text(x, y, str(number), 8, ha="center", va="center", color="#ffffff")


def _points(page: Page, guide: CompoundGuide, box: Box) -> None:
    """The numbered points: name, kind, languages (their own names and in Chinese), hours."""
    y = box.y + box.h - 10
    page.text(box.x, y, "登记处与服务点 Registration and service points", 9)
    y -= 14
    for number, p in enumerate(guide.compound.points, start=1):
        _marker(page, box.x + 7, y - 2, number, p.kind)
        kind = (
            "多语种登记处 Registration point"
            if p.kind == "registration_point"
            else "涉外服务点 Service point"
        )
        lines = [(p.name or kind, 8.5, PRINT["ink"]), (kind, 6.8, PRINT["muted"])]
        langs = " · ".join(
            own_name(code) + ("" if code == "zh" else f"（{chinese_name(code)}）") for code in p.languages
        )
        lines += [
            (line, 7.2, PRINT["ink"]) for line in wrap(page, f"语种 Languages: {langs}", 7.2, box.w - 20)
        ]
        lines.append((f"开放时间 Hours: {p.opening_hours or '未登记 not given'}", 7.2, PRINT["ink"]))
        for text, size, colour in lines:
            page.text(box.x + 20, y, text, size, color=colour)
            y -= size + 3
        y -= 6
        if y < box.y + 20:
            break
    if not guide.compound.points:
        page.text(box.x, y, "尚未设立多语种登记处 No registration point yet", 8, color=PRINT["muted"])
    page.text(box.x, box.y + 2, "■ 大门 Gate   ● 登记处 / 服务点 Points", 7, color=PRINT["muted"])


def _block_lines(page: Page, notices: Notices, size: float, width: float) -> list[tuple[str, float, bool]]:
    """A language's notices as (text, size, is_title) lines at ``size`` in ``width``."""
    code = notices.language
    heading = (
        own_name(code) if own_name(code) == chinese_name(code) else f"{own_name(code)} · {chinese_name(code)}"
    )
    lines: list[tuple[str, float, bool]] = [(heading, size + 2.5, True)]
    for section in notices.sections.values():
        lines.append((section.title, size + 0.8, True))
        for line in section.lines:
            lines += [(part, size, False) for part in wrap(page, "• " + line, size, width)]
    return lines


def _notices(
    page: Page, notices: Sequence[Notices], left: float, right: float, top: float, bottom: float
) -> None:
    """The notices in blocks of two or three columns, one block per language, shrunk to fit."""
    columns = 2 if len(notices) <= 4 else 3
    gap = 10.0
    width = (right - left - gap * (columns - 1)) / columns
    size = 7.5
    while True:
        blocks = [_block_lines(page, n, size, width - 4) for n in notices]
        rows = [blocks[i : i + columns] for i in range(0, len(blocks), columns)]
        heights = [max(sum(s + 2.2 for _, s, _ in b) for b in row) + 8 for row in rows]
        if sum(heights) <= top - bottom or size <= MIN_SIZE:
            break
        size -= 0.25
    y = top
    for row, h in zip(rows, heights, strict=True):
        for i, block in enumerate(row):
            x = left + i * (width + gap)
            page.rect(Box(x, y - h + 4, width, h - 4), edge=PRINT["rule"], lw=0.4)
            ty = y - 4
            for text, s, title in block:
                ty -= s + 2.2
                page.text(
                    x + 4, ty + 2, text, s, color=INTERNATIONAL_SWATCH.outline if title else PRINT["ink"]
                )
        y -= h


def _footer(page: Page, left: float, right: float, printed: dt.datetime) -> None:
    y = 10 * MM
    page.line(left, y + 8, right, y + 8, lw=0.6, color=PRINT["ink"])
    note = f"battlemap 挂图作战 · 打印于 {printed:%Y-%m-%d %H:%M} UTC · 只统计外籍标记，不含个人信息"
    page.text(left, y, note, 6.8, color=PRINT["muted"])
    page.text(right, y, "1 / 1", 6.8, ha="right", color=PRINT["muted"])


def print_service_guide(
    engine: Engine,
    compound_id: int,
    output: Path,
    *,
    actor: Actor,
    settings: ServiceSettings,
    scope: Scope = UNRESTRICTED,
) -> int:
    """Print the guide of ``compound_id`` to the PDF ``output`` and audit it (``export``); the pages.

    Raises
    ------
    NotFound
        no such compound with households in ``scope``.
    ConfigError
        a language of its points has no notices file (names the file to add).
    """
    with read_connection(engine) as conn:
        guide = compound_guide(conn, compound_id, settings=settings, scope=scope)
    notices = load_notices(settings.notices_dir, languages_of(guide))
    now = china_now()
    pages = write_service_guide(
        guide, notices, output, printed=now.astimezone(dt.UTC), share=settings.international_share
    )
    detail = {
        "file": Path(output).name,
        "format": "pdf",
        "layer": "service-guide",
        "paper": "A4",
        "pages": pages,
    }
    with engine.begin() as conn:
        record(conn, actor, "export", target=f"service-guide:compound-{compound_id}", detail=detail)
    return pages
