"""Tile layer ``flows`` (动线管理图): transfer legs by state, OD totals, compound inside paths.

Request options: ``at`` (the clock, ISO 8601; default the latest time in the transfer data),
``hours`` (the window ending at ``at``; default ``FlowSettings.window_hours``) and ``deadline``
(hours a leg may take to be handed over; default ``FlowSettings.deadline_hours``). The page
passes its configured values; the defaults make a bare tile URL meaningful too, and come from the
settings the layer is built with (``layer(settings)``), never from the class defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from sqlalchemy import Connection

from geo.errors import InvalidParameter
from geo.flows.chains import latest_time, parse_clock
from geo.flows.tiles import (
    ARROWS_LAYER,
    LEGS_LAYER,
    OD_LAYER,
    OD_ZOOM,
    PATH_ZOOM,
    PATHS_LAYER,
    PLACES_LAYER,
    flows_tile,
)
from geo.scope import UNRESTRICTED, Scope
from geo.settings import FlowSettings
from geo.tiles import TileAddress
from layers.style import CHAIN_GAP_SWATCH, FLOW_PLACE_SWATCHES, LEG_SWATCHES, PATH_SWATCH, Swatch
from layers.tiles.layer import Options, TileLayer

# Width in pixels by head count (legs, OD totals) or gate count (paths).
_WIDTH_STOPS = (1, 2, 10, 5, 50, 10, 200, 14)


def _number(query: Mapping[str, str], key: str, default: float, *, most: float) -> float:
    if not query.get(key):
        return default
    try:
        value = float(query[key])
    except ValueError:
        raise InvalidParameter(f"{key} was {query[key]!r} but must be a number of hours") from None
    if not 0 < value <= most:
        raise InvalidParameter(f"{key} was {value} but must be more than 0 and at most {most:g} hours")
    return value


def _clock(value: str) -> dt.datetime:
    try:
        return parse_clock(value)
    except InvalidParameter as exc:
        raise InvalidParameter(f"at was {value!r}: {exc}") from None


def resolver(settings: FlowSettings) -> Callable[[Connection, Mapping[str, str]], Options]:
    """The request options, with the window and deadline of ``settings`` where the query has none."""

    def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
        """``at`` (as UTC ``...Z``: it travels in TileJSON URLs unescaped), ``hours`` and ``deadline``."""
        at = _clock(query["at"]) if query.get("at") else latest_time(conn) or dt.datetime.now(dt.UTC)
        return {
            "at": at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hours": _number(query, "hours", float(settings.window_hours), most=24 * 14),
            "deadline": _number(query, "deadline", settings.deadline_hours, most=24 * 30),
        }

    return resolve


def render(
    conn: Connection,
    addr: TileAddress,
    *,
    at: str,
    hours: float,
    deadline: float,
    scope: Scope = UNRESTRICTED,
) -> bytes:
    """The tile for the options ``resolve`` made, holding only the legs and gates ``scope`` may see."""
    return flows_tile(conn, addr, at=_clock(at), window_hours=hours, deadline_hours=deadline, scope=scope)


def _match(attribute: str, swatches: tuple[Swatch, ...], fallback: str, *, dark: bool) -> list:
    cases = [item for s in swatches for item in (s.code, s.dark_fill if dark else s.fill)]
    return ["match", ["coalesce", ["get", attribute], ""], *cases, fallback]


def _width(attribute: str) -> list:
    return ["interpolate", ["linear"], ["coalesce", ["get", attribute], 1], *_WIDTH_STOPS]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """OD totals below OD_ZOOM, legs from it (dashed while planned or cancelled), chains with a gap
    cased in the gap colour, inside paths from PATH_ZOOM, arrowheads and places on top."""
    status = _match("status", LEG_SWATCHES, "#888888", dark=dark)
    path = PATH_SWATCH.dark_fill if dark else PATH_SWATCH.fill
    gap = CHAIN_GAP_SWATCH.dark_fill if dark else CHAIN_GAP_SWATCH.fill
    halo = "#000000" if dark else "#ffffff"
    dashed = ["in", ["get", "status"], ["literal", ["planned", "cancelled"]]]
    round_ = {"line-cap": "round", "line-join": "round"}
    return [
        {"id": f"{source}-od-gap", "type": "line", "source": source, "source-layer": OD_LAYER,
         "maxzoom": OD_ZOOM, "filter": ["==", ["get", "gap"], True], "layout": round_,
         "paint": {"line-color": gap, "line-width": ["+", _width("head_count"), 6]}},
        {"id": f"{source}-od", "type": "line", "source": source, "source-layer": OD_LAYER,
         "maxzoom": OD_ZOOM, "layout": round_,
         "paint": {"line-color": status, "line-width": _width("head_count"), "line-opacity": 0.85}},
        {"id": f"{source}-legs-gap", "type": "line", "source": source, "source-layer": LEGS_LAYER,
         "minzoom": OD_ZOOM, "filter": ["==", ["get", "gap"], True], "layout": round_,
         "paint": {"line-color": gap, "line-width": ["+", _width("head_count"), 6]}},
        {"id": f"{source}-legs", "type": "line", "source": source, "source-layer": LEGS_LAYER,
         "minzoom": OD_ZOOM, "filter": ["!", dashed], "layout": round_,
         "paint": {"line-color": status, "line-width": _width("head_count"), "line-opacity": 0.9}},
        {"id": f"{source}-legs-dashed", "type": "line", "source": source, "source-layer": LEGS_LAYER,
         "minzoom": OD_ZOOM, "filter": dashed,
         "paint": {"line-color": status, "line-width": _width("head_count"), "line-dasharray": [2, 1.5]}},
        {"id": f"{source}-paths", "type": "line", "source": source, "source-layer": PATHS_LAYER,
         "minzoom": PATH_ZOOM, "layout": round_,
         "paint": {"line-color": path, "line-width": _width("count"), "line-opacity": 0.9}},
        {"id": f"{source}-arrows", "type": "fill", "source": source, "source-layer": ARROWS_LAYER,
         "paint": {"fill-color": ["case", ["==", ["get", "flow"], "path"], path, status],
                   "fill-outline-color": halo}},
        {"id": f"{source}-places", "type": "circle", "source": source, "source-layer": PLACES_LAYER,
         "paint": {"circle-color": _match("kind", FLOW_PLACE_SWATCHES, "#737373", dark=dark),
                   "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 4, 16, 7],
                   "circle-stroke-color": halo, "circle-stroke-width": 1.5}},
    ]  # fmt: skip


LEG_FIELDS = {
    "chain_id": "the chain (closed loop) the leg belongs to",
    "leg_no": "the leg's place in its chain, from 1",
    "status": "state at the clock: planned, in_transit, handed_over, overdue or cancelled",
    "head_count": "people moved (a count, never names)",
    "gap": "the chain has a gap: a leg does not leave from where the previous one arrived",
}

FIELDS: dict[str, dict[str, str]] = {
    LEGS_LAYER: LEG_FIELDS,
    OD_LAYER: {
        "from_place": "origin place id",
        "to_place": "destination place id",
        "legs": "legs between the two places in the window",
        "head_count": "people moved between them in the window",
        "status": "the worst state among those legs",
        "gap": "any of those legs belongs to a chain with a gap",
    },
    PATHS_LAYER: {
        "compound": "compound id",
        "from_kind": "place kind the step starts at (compound_gate, registration_point…)",
        "to_kind": "place kind the step ends at",
        "count": "gate counts in the window this step carries",
        "abnormal": "abnormal temperatures in the window (temperature step only)",
    },
    ARROWS_LAYER: {
        "flow": "leg, od or path",
        "status": "state of the leg or pair",
        "head_count": "people",
        "count": "gate counts (paths)",
    },
    PLACES_LAYER: {
        "kind": "place kind (geo.vocab.PLACE_KINDS)",
        "name": "place name",
        "events": "gate counts in the window (gates)",
    },
}


def layer(settings: FlowSettings) -> TileLayer:
    """The ``flows`` layer, its default window and deadline those of ``settings``."""
    return TileLayer(
        name="flows",
        title_zh="动线管理图",
        title_en="Movement-flow map",
        title_ja="動線管理図",
        title_ko="동선 관리도",
        render=render,
        scoped=True,
        resolve=resolver(settings),
        query_params=("at", "hours", "deadline"),
        fields=FIELDS,
        style=style,
    )
