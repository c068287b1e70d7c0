"""Tile layer ``national`` (全国汇总): every subscribed city's sub-districts with their counts on a
date (``geo.rollup``), filled by the share of households not in normal status. Counts only; not
scoped, so accounts limited to an area are refused it (``TileLayer.tile``)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from geo.clock import china_today
from geo.rollup.read import NATIONAL_LAYER, national_tile
from geo.status.read import parse_date
from layers.style import SHARE_RAMP
from layers.tiles.layer import Options, TileLayer


def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
    """``date`` from ``?date=YYYY-MM-DD``, else today in China (each unit shows its latest figures)."""
    return {"date": parse_date(query["date"]) if query.get("date") else china_today()}


def share_colour() -> list:
    ramp: list = ["interpolate", ["linear"], ["get", "not_normal_share"]]
    for stop, colour in SHARE_RAMP:
        ramp += [stop, colour]
    return ramp


def style(*, source: str, dark: bool = False) -> list[dict]:
    outline = "#000000" if dark else "#ffffff"
    return [
        {"id": f"{source}-fill", "type": "fill", "source": source, "source-layer": NATIONAL_LAYER,
         "paint": {"fill-color": share_colour(), "fill-opacity": 0.85}},
        {"id": f"{source}-outline", "type": "line", "source": source, "source-layer": NATIONAL_LAYER,
         "paint": {"line-color": outline, "line-width": 0.8}},
    ]  # fmt: skip


LAYER = TileLayer(
    name="national",
    title_zh="全国汇总",
    title_en="National overview",
    title_ja="全国集計",
    title_ko="전국 집계",
    render=national_tile,
    resolve=resolve,
    query_params=("date",),
    fields={
        NATIONAL_LAYER: {
            "city": "the city's code",
            "name": "sub-district name",
            "district": "district name",
            "day": "the day of the figures (the latest at or before the date)",
            "households": "households",
            "not_normal": "households not in normal status",
            "not_normal_share": "not_normal / households",
            "cases": "cases reported that day",
            "risk_areas": "risk areas active that day",
            "loops_overdue": "overdue closed-loop items (as of that day's refresh)",
        }
    },
    style=style,
)
