"""Drawing on a sheet with reportlab: page primitives in points, map features as vector paths.

Map geometries are projected to a local UTM zone once per atlas; a ``MapView`` maps those
metres onto the map frame of a page. Buildings of one colour go out as one PDF path (one
sub-path each), so a sheet stays small and fast however many buildings it shows; text is
real text in the embedded CJK font.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod
from reportlab.lib.colors import HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas as RLCanvas
from shapely.geometry.base import BaseGeometry

from geo.crs import from_wgs84_xy, geometries_from_wgs84, parse_crs, to_wgs84_xy, utm_crs_for
from layers.atlas.layout import Box
from layers.style import BASEMAP, PRINT

_GEOD = Geod(ellps="WGS84")

# Road kinds of basemap_features -> (casing width, fill width) in points on A4.
ROAD_WIDTHS: dict[str, tuple[float, float]] = {
    "major_road": (3.4, 2.6),
    "minor_road": (2.2, 1.6),
    "pedestrian": (1.2, 0.8),
    "path": (0.0, 0.5),
}
WATER_LINE_WIDTHS = {"river": 2.4, "canal": 1.4}
GREEN_KINDS = frozenset({"park", "grass", "garden", "forest", "natural_wood", "recreation_ground", "pitch"})
GREEN = "#d4e6c3"

Rings = list[np.ndarray]


class BasemapLayers(TypedDict):
    """The basemap features of one view, grouped as ``draw_basemap`` draws them."""

    landuse: list[tuple[Rings, bool]]  # (rings, green) per area
    water_areas: Rings
    water_lines: list[tuple[float, Rings]]  # (width, lines), thinnest first
    roads: dict[str, Rings]  # by road kind
    rail: Rings


class Projection:
    """WGS84 <-> the local UTM zone of an atlas, and the true scale and north at a point."""

    def __init__(self, lon: float, lat: float) -> None:
        self.crs = utm_crs_for(lon, lat)
        self.system = parse_crs(self.crs)

    def geometries(self, geoms: npt.ArrayLike) -> np.ndarray:
        return geometries_from_wgs84(geoms, self.system)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return from_wgs84_xy(lon, lat, self.system)

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        lon, lat = to_wgs84_xy(np.array([x]), np.array([y]), self.system)
        return float(lon[0]), float(lat[0])

    def factors(self, x: float, y: float, *, step_m: float = 100.0) -> tuple[float, float]:
        """``(k, north_deg)`` at grid point (x, y): grid metres per ground metre (measured on the
        ellipsoid, east-west), and the angle of true north from grid north, clockwise, in degrees."""
        lon, lat = self.lonlat(x, y)
        lon_e, lat_e = self.lonlat(x + step_m, y)
        _, _, ground = _GEOD.inv(lon, lat, lon_e, lat_e)
        nx, ny = self.xy(np.array([lon, lon]), np.array([lat, lat + step_m / 111_000.0]))
        north = math.degrees(math.atan2(nx[1] - nx[0], ny[1] - ny[0]))
        return step_m / ground, north


def polygon_rings(geom: BaseGeometry) -> Rings:
    """The rings (exterior and holes) of every polygon of a geometry, as vertex arrays."""
    rings = []
    for part in shapely.get_parts(geom):
        if shapely.get_type_id(part) != 3:
            continue
        for ring in (part.exterior, *part.interiors):
            xy = shapely.get_coordinates(ring)
            if len(xy) >= 3:
                rings.append(xy)
    return rings


def line_strings(geom: BaseGeometry) -> Rings:
    """Every line of a geometry (polygons give their rings) as vertex arrays."""
    if shapely.get_dimensions(geom) == 2:
        return polygon_rings(geom)
    return [
        shapely.get_coordinates(g) for g in shapely.get_parts(geom) if shapely.get_num_coordinates(g) >= 2
    ]


@dataclass(frozen=True)
class MapView:
    """UTM metres -> page points for one map frame: ``pt = frame.xy + (m - origin) * ratio``."""

    frame: Box
    origin: tuple[float, float]
    ratio: float

    def points(self, xy: np.ndarray) -> np.ndarray:
        out = (xy - np.asarray(self.origin)) * self.ratio
        out[:, 0] += self.frame.x
        out[:, 1] += self.frame.y
        return out

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.frame.x + (x - self.origin[0]) * self.ratio,
            self.frame.y + (y - self.origin[1]) * self.ratio,
        )


class Page:
    """A reportlab canvas with the few primitives sheets need, all in points."""

    def __init__(self, canvas: RLCanvas, font: str) -> None:
        self.c = canvas
        self.font = font

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float,
        *,
        ha: str = "left",
        va: str = "baseline",
        color: str = PRINT["ink"],
        rotation: float = 0.0,
    ) -> None:
        c = self.c
        c.setFont(self.font, size)
        c.setFillColor(HexColor(color))
        if va == "center":
            y -= size * 0.36
        elif va == "bottom":
            y += size * 0.14
        elif va == "top":
            y -= size * 0.86
        if rotation:
            c.saveState()
            c.translate(x, y + size * 0.36)
            c.rotate(rotation)
            x, y = 0.0, -size * 0.36
        if ha == "center":
            c.drawCentredString(x, y, s)
        elif ha == "right":
            c.drawRightString(x, y, s)
        else:
            c.drawString(x, y, s)
        if rotation:
            c.restoreState()

    def width(self, s: str, size: float) -> float:
        return stringWidth(s, self.font, size)

    def rect(
        self,
        box: Box,
        *,
        fill: str | None = None,
        edge: str | None = None,
        lw: float = 0.5,
        alpha: float = 1.0,
    ) -> None:
        c = self.c
        if alpha < 1:
            c.saveState()
        if fill:  # the colour first: setting a colour resets the fill alpha
            c.setFillColor(HexColor(fill))
        if alpha < 1:
            c.setFillAlpha(alpha)
        if edge:
            c.setStrokeColor(HexColor(edge))
            c.setLineWidth(lw)
        c.rect(box.x, box.y, box.w, box.h, stroke=1 if edge else 0, fill=1 if fill else 0)
        if alpha < 1:
            c.restoreState()

    def line(self, x0: float, y0: float, x1: float, y1: float, *, lw: float = 0.5, color: str = "") -> None:
        self.c.setStrokeColor(HexColor(color or PRINT["rule"]))
        self.c.setLineWidth(lw)
        self.c.line(x0, y0, x1, y1)

    def polygon(
        self, xy: Sequence[tuple[float, float]], *, fill: str, edge: str | None = None, lw: float = 0.5
    ) -> None:
        p = self.c.beginPath()
        p.moveTo(*xy[0])
        for x, y in xy[1:]:
            p.lineTo(x, y)
        p.close()
        self.c.setFillColor(HexColor(fill))
        if edge:
            self.c.setStrokeColor(HexColor(edge))
            self.c.setLineWidth(lw)
        self.c.drawPath(p, stroke=1 if edge else 0, fill=1)

    def areas(
        self,
        rings: Iterable[np.ndarray],
        view: MapView,
        *,
        fill: str | None,
        edge: str | None = None,
        lw: float = 0.4,
        alpha: float = 1.0,
    ) -> None:
        """Polygons (rings in UTM metres) as one even-odd filled path."""
        p = self._trace(rings, view, close=True)
        if p is None:
            return
        c = self.c
        c.saveState()
        if fill:  # the colour first: setting a colour resets the fill alpha
            c.setFillColor(HexColor(fill))
        if alpha < 1:
            c.setFillAlpha(alpha)
        if edge:
            c.setStrokeColor(HexColor(edge))
            c.setLineWidth(lw)
            c.setLineJoin(1)
        c.drawPath(p, stroke=1 if edge else 0, fill=1 if fill else 0, fillMode=0)
        c.restoreState()

    def _trace(self, parts: Iterable[np.ndarray], view: MapView, *, close: bool) -> object | None:
        """One path through all parts (UTM metres), closing each when asked; None when there are none."""
        p = self.c.beginPath()
        empty = True
        for part in parts:
            pts = view.points(part)
            p.moveTo(float(pts[0, 0]), float(pts[0, 1]))
            for x, y in pts[1:].tolist():
                p.lineTo(x, y)
            if close:
                p.close()
            empty = False
        return None if empty else p

    def lines(
        self,
        lines: Iterable[np.ndarray],
        view: MapView,
        *,
        color: str,
        lw: float,
        dash: tuple[float, ...] | None = None,
    ) -> None:
        """Lines (UTM metres) as one stroked path with round caps and joins."""
        p = self._trace(lines, view, close=False)
        if p is None:
            return
        c = self.c
        c.saveState()
        c.setStrokeColor(HexColor(color))
        c.setLineWidth(lw)
        c.setLineCap(1)
        c.setLineJoin(1)
        if dash:
            c.setDash(list(dash))
        c.drawPath(p, stroke=1, fill=0)
        c.restoreState()

    def clip(self, box: Box) -> None:
        p = self.c.beginPath()
        p.rect(box.x, box.y, box.w, box.h)
        self.c.clipPath(p, stroke=0, fill=0)


# A printed line breaks between CJK characters anywhere (Han and Kana; spaces too) and keeps Latin and
# Hangul words whole, with the punctuation that belongs to them.
_TOKEN = re.compile(r"[0-9A-Za-z\u00c0-\u024f\uac00-\ud7af.,;:%°()'’\-/+≥!?]+ ?|\s|.")


def wrap(page: Page, text: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` (see ``_TOKEN`` for where it may break)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if page.width(line + token, size) <= width or not line:
            line += token
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def draw_basemap(page: Page, view: MapView, layers: BasemapLayers, k: float) -> None:
    """Land use, water and roads (as ``render.Prepared.basemap_in`` groups them); widths scale by ``k``."""
    landuse = layers["landuse"]
    page.areas((r for rings, green in landuse if not green for r in rings), view, fill=BASEMAP["landuse"])
    page.areas((r for rings, green in landuse if green for r in rings), view, fill=GREEN)
    page.areas(layers["water_areas"], view, fill=BASEMAP["water"])
    for width, lines in layers["water_lines"]:
        page.lines(lines, view, color=BASEMAP["water"], lw=width * k)
    roads = layers["roads"]
    order = ("path", "pedestrian", "minor_road", "major_road")
    for kind in order:
        casing, _ = ROAD_WIDTHS[kind]
        if casing and roads.get(kind):
            page.lines(roads[kind], view, color=BASEMAP["road_casing"], lw=casing * k)
    for kind in order:
        _, fill = ROAD_WIDTHS[kind]
        if roads.get(kind):
            colour = "#b9b2a6" if kind == "path" else BASEMAP["road"]
            page.lines(
                roads[kind],
                view,
                color=colour,
                lw=fill * k,
                dash=(2 * k, 1.5 * k) if kind == "path" else None,
            )
    page.lines(layers["rail"], view, color="#9e9e9e", lw=0.9 * k, dash=(4 * k, 2 * k))


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    priority: float


def place_labels(
    page: Page, labels: list[Label], view: MapView, frame: Box, size: float, *, reserved: Sequence[Box] = ()
) -> list[tuple[Label, Box]]:
    """Labels that fit in ``frame`` overlapping neither each other nor ``reserved``, most important first."""
    placed: list[Box] = list(reserved)
    out = []
    pad = size * 0.2
    for label in sorted(labels, key=lambda lb: -lb.priority):
        px, py = view.point(label.x, label.y)
        w, h = page.width(label.text, size), size * 1.1
        box = Box(px - w / 2 - pad, py - h / 2 - pad, w + 2 * pad, h + 2 * pad)
        if box.x < frame.x or box.right > frame.right or box.y < frame.y or box.top > frame.top:
            continue
        if any(_overlap(box, other) for other in placed):
            continue
        placed.append(box)
        out.append((label, box))
    return out


def draw_labels(
    page: Page, placed: list[tuple[Label, Box]], size: float, *, color: str, backing: float
) -> None:
    """Placed labels on a translucent white backing (a halo that keeps the text as text)."""
    for label, box in placed:
        if backing:
            page.rect(box, fill=PRINT["halo"], alpha=backing)
        page.text(
            box.x + box.w / 2, box.y + box.h / 2, label.text, size, ha="center", va="center", color=color
        )


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.top and b.y < a.top


def draw_scale_bar(
    page: Page, x: float, y: float, bar_pt: float, bar_m: float, scale: float, k: float
) -> Box:
    """A four-segment bar of ``bar_pt`` points labelled 0 .. ``bar_m`` m, and the ratio ``1:scale``."""
    h = 4.0 * k
    size = 6.5 * k
    backing = Box(x - 6 * k, y - 6 * k, bar_pt + 34 * k, h + 2 * size + 16 * k)
    page.rect(backing, fill="#ffffff", edge=PRINT["rule"], lw=0.4, alpha=0.92)
    segment = bar_pt / 4
    for i in range(4):
        page.rect(
            Box(x + i * segment, y, segment, h),
            fill=PRINT["ink"] if i % 2 == 0 else "#ffffff",
            edge=PRINT["ink"],
            lw=0.5,
        )
    for dx, label in ((0, "0"), (bar_pt / 2, f"{bar_m / 2:g}"), (bar_pt, f"{bar_m:g}")):
        page.text(x + dx, y + h + 2.5 * k, label, size, ha="center")
    page.text(x + bar_pt + page.width(f"{bar_m:g}", size) / 2 + 1.5 * k, y + h + 2.5 * k, "米", size)
    page.text(x, y + h + size + 7 * k, f"比例尺 1:{scale:,.0f}", size)
    return backing


def draw_north_arrow(page: Page, cx: float, cy: float, angle_deg: float, k: float) -> None:
    """A north arrow centred at (cx, cy) pointing to true north, ``angle_deg`` clockwise of page up."""
    r = 13 * k
    a = math.radians(angle_deg)

    def rot(px: float, py: float) -> tuple[float, float]:
        return (cx + px * math.cos(a) + py * math.sin(a), cy - px * math.sin(a) + py * math.cos(a))

    page.rect(
        Box(cx - r - 5 * k, cy - r - 5 * k, 2 * r + 10 * k, 2 * r + 20 * k),
        fill="#ffffff",
        edge=PRINT["rule"],
        lw=0.4,
        alpha=0.92,
    )
    page.polygon(
        [rot(0, r), rot(-r * 0.42, -r * 0.75), rot(0, -r * 0.35)], fill=PRINT["ink"], edge=PRINT["ink"]
    )
    page.polygon([rot(0, r), rot(r * 0.42, -r * 0.75), rot(0, -r * 0.35)], fill="#ffffff", edge=PRINT["ink"])
    tx, ty = rot(0, r + 6.5 * k)
    page.text(tx, ty, "N", 8 * k, ha="center", va="center", rotation=-angle_deg)
