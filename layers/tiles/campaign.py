"""Tile layer ``campaign`` (疫苗接种): sub-districts filled by their remaining share of the campaign's
target, outlined in the behind colour where the 7-day pace misses the daily need."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from geo.campaign.store import default_day, get_campaign, latest_campaign
from geo.campaign.tiles import campaign_tile
from geo.clock import china_today
from geo.status.read import parse_date
from geo.tiles import AREAS_LAYER
from layers.style import (
    BEHIND_SWATCH,
    MISSING_REPORT_SWATCH,
    NO_STATUS_SWATCH,
    REMAINING_BREAKS,
    REMAINING_RAMP,
    REMAINING_RAMP_DARK,
)
from layers.tiles.buildings import AREA_FIELDS
from layers.tiles.layer import Options, TileLayer


def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
    """``campaign`` (a name; default: the latest deadline) and ``date`` (default: its last reported
    day, not after today in China)."""
    campaign = get_campaign(conn, query["campaign"]) if query.get("campaign") else latest_campaign(conn)
    if query.get("date"):
        day = parse_date(query["date"])
    else:
        day = default_day(conn, campaign, china_today()) if campaign else china_today()
    return {"date": day} | ({"campaign": campaign.name} if campaign else {})


def remaining_fill(*, dark: bool = False) -> list:
    """A MapLibre expression: the ramp's class of ``remaining_share`` (no target: the no-status fill)."""
    ramp = REMAINING_RAMP_DARK if dark else REMAINING_RAMP
    steps: list = ["step", ["get", "remaining_share"], ramp[0]]
    for edge, colour in zip(REMAINING_BREAKS, ramp[1:], strict=True):
        steps += [edge, colour]
    none = NO_STATUS_SWATCH.dark_fill if dark else NO_STATUS_SWATCH.fill
    return ["case", ["has", "remaining_share"], steps, none]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """The choropleth, a thin outline on every unit, a thick behind-coloured one on behind units and a
    dashed grey one on units missing the day's report."""
    behind = BEHIND_SWATCH.dark_fill if dark else BEHIND_SWATCH.fill
    missing = MISSING_REPORT_SWATCH.dark_fill if dark else MISSING_REPORT_SWATCH.outline
    return [
        {"id": f"{source}-fill", "type": "fill", "source": source, "source-layer": AREAS_LAYER,
         "paint": {"fill-color": remaining_fill(dark=dark), "fill-opacity": 0.85}},
        {"id": f"{source}-outline", "type": "line", "source": source, "source-layer": AREAS_LAYER,
         "paint": {"line-color": "#ffffff" if not dark else "#000000", "line-width": 0.8}},
        {"id": f"{source}-missing", "type": "line", "source": source, "source-layer": AREAS_LAYER,
         "filter": ["==", ["get", "missing"], True],
         "paint": {"line-color": missing, "line-width": 2, "line-dasharray": [2, 1]}},
        {"id": f"{source}-behind", "type": "line", "source": source, "source-layer": AREAS_LAYER,
         "filter": ["==", ["get", "behind"], True], "paint": {"line-color": behind, "line-width": 3.5}},
    ]  # fmt: skip


LAYER = TileLayer(
    name="campaign",
    title_zh="疫苗接种挂图",
    title_en="Vaccination campaign",
    title_ja="ワクチン接種状況図",
    title_ko="백신 접종 현황도",
    render=campaign_tile,
    resolve=resolve,
    query_params=("campaign", "date"),
    fields={
        AREAS_LAYER: {k: v for k, v in AREA_FIELDS.items() if k != "buildings"}
        | {
            "remaining_share": "剩余任务量 / 任务总量 (0..1) on the date",
            "behind": "the 7-day average is below the daily number needed (geo.campaign.board)",
            "missing": "no report for the date",
            "remaining": "剩余任务量: target - vaccinated",
            "target": "任务总量",
        }
    },
    style=style,
    scoped=True,
)
