"""Page geometry of a printed sheet: paper sizes, panels in points, the map scale and the scale bar.

Everything is in PostScript points (1/72 inch) from the page's lower-left corner. The numbers
are exposed (``SheetLayout``) so that tests and callers can check a sheet's scale from its
geometry alone: ``map_w_pt`` points of paper show ``extent_w_m`` metres of ground.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ISO 216 sizes in points (portrait): A4 = 210 x 297 mm, A3 = 297 x 420 mm.
MM = 72 / 25.4
PAPERS: dict[str, tuple[float, float]] = {"A4": (210 * MM, 297 * MM), "A3": (297 * MM, 420 * MM)}
ORIENTATIONS = ("auto", "portrait", "landscape")
METRES_PER_POINT = 0.0254 / 72

# Map scales a sheet may use: 1:n with n of these mantissas times a power of ten.
_NICE_SCALES = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0)
_NICE_BARS = (1, 2, 2.5, 5)


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in points: lower-left corner, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass(frozen=True)
class PageFrame:
    """The panels of a sheet: where the title, map, side panel and footer go."""

    width: float
    height: float
    title: Box
    map: Box
    panel: Box
    footer: Box
    landscape: bool


@dataclass(frozen=True)
class SheetLayout:
    """The numbers of one drawn sheet, enough to check its scale independently.

    ``map_w_pt`` x ``map_h_pt`` points of paper show ``extent_w_m`` x ``extent_h_m`` metres
    (grid metres of ``crs``, centred on ``centre``); the scale bar is ``bar_pt`` points long and
    labelled ``bar_m`` ground metres. ``scale_factor`` is the projection's point scale at the
    centre (grid metres per ground metre), already applied to the bar.
    """

    page: int
    grid_code: str | None
    paper: str
    width_pt: float
    height_pt: float
    map_x_pt: float
    map_y_pt: float
    map_w_pt: float
    map_h_pt: float
    extent_w_m: float
    extent_h_m: float
    scale: float
    scale_factor: float
    bar_pt: float
    bar_m: float
    crs: str
    centre: tuple[float, float]
    convergence_deg: float


def page_frame(paper: str, orientation: str, *, aspect: float = 1.0) -> PageFrame:
    """Panels for ``paper`` (``A4``/``A3``) in ``orientation``; ``auto`` picks landscape for wide
    areas (``aspect`` = width / height of the area drawn)."""
    if paper not in PAPERS:
        raise ValueError(f"`paper` was {paper!r} but is expected to be one of {', '.join(PAPERS)}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"`orientation` was {orientation!r} but is expected to be one of {ORIENTATIONS}")
    short, long = PAPERS[paper]
    landscape = orientation == "landscape" or (orientation == "auto" and aspect > 1.15)
    width, height = (long, short) if landscape else (short, long)
    k = short / PAPERS["A4"][0]  # everything grows with the paper
    margin = 10 * MM * k
    title_h = 46 * k
    footer_h = 34 * k
    inner_w = width - 2 * margin
    title = Box(margin, height - margin - title_h, inner_w, title_h)
    footer = Box(margin, margin, inner_w, footer_h)
    body_y = footer.top + 6 * k
    body_h = title.y - 6 * k - body_y
    if landscape:
        panel_w = 0.30 * inner_w
        map_box = Box(margin, body_y, inner_w - panel_w - 8 * k, body_h)
        panel = Box(map_box.right + 8 * k, body_y, panel_w, body_h)
    else:
        panel_h = 0.33 * body_h
        panel = Box(margin, body_y, inner_w, panel_h)
        map_box = Box(margin, panel.top + 8 * k, inner_w, body_h - panel_h - 8 * k)
    return PageFrame(width, height, title, map_box, panel, footer, landscape)


def nice_scale(needed: float) -> float:
    """The smallest scale denominator in the 1-1.25-1.5-2-2.5-3-4-5-6-7.5-8 series not below ``needed``."""
    if not needed > 0:
        raise ValueError(f"`needed` was {needed!r} but is expected to be a positive scale denominator")
    power = 10 ** math.floor(math.log10(needed))
    for mantissa in (*_NICE_SCALES, 10.0):
        if mantissa * power >= needed * (1 - 1e-9):
            return mantissa * power
    return 10 * power  # pragma: no cover - the loop always returns


def fit_scale(area_w_m: float, area_h_m: float, frame: Box, *, padding: float = 0.06) -> float:
    """The nice scale denominator at which an area (metres), ``padding`` added each side, fits ``frame``."""
    need_w = area_w_m * (1 + 2 * padding) / (frame.w * METRES_PER_POINT)
    need_h = area_h_m * (1 + 2 * padding) / (frame.h * METRES_PER_POINT)
    return nice_scale(max(need_w, need_h, 1.0))


def scale_bar(scale: float, frame_w_pt: float, *, scale_factor: float = 1.0) -> tuple[float, float]:
    """A round bar length in ground metres about a quarter of the frame wide, and its length in points.

    ``scale_factor`` (grid metres per ground metre of the projection) corrects the bar so that it
    measures true ground distance.
    """
    target_m = frame_w_pt * 0.22 * METRES_PER_POINT * scale / scale_factor
    power = 10 ** math.floor(math.log10(target_m))
    bar_m = max(m * power for m in _NICE_BARS if m * power <= target_m)
    return bar_m, bar_m * scale_factor / scale / METRES_PER_POINT
