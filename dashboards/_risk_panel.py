"""The risk overlay of the house-status map: stored zones drawn over the buildings, a side panel with
their counts and SOP clocks, and the "what if" of the building card (simulate, then confirm).

What is read and computed comes from ``geo.risk.store`` (stored areas and clocks),
``geo.risk.whatif`` (a simulated case at a building) and ``geo.risk.declare``; the zones' colours from
``layers.risk_overlay``. A simulation is drawn with dashed outlines and is not stored until the
"confirm and declare" button, which stores the zones computed again in one transaction.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import TYPE_CHECKING, Any

import dash
import shapely
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from shapely.geometry import shape

from dashboards import _context, _map
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import client_ip, current_principal, current_scope
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import error_text, t
from geo.card import building_card
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.risk.declare import declare_and_store
from geo.risk.store import zones_geojson
from geo.risk.whatif import case_at_building, simulate_at_building
from geo.risk.zones import ZONES
from geo.vocab import KEY_INDUSTRIES, KEY_PLACE_KINDS, PLACE_KINDS, RISK_LEVELS, term
from layers.risk_overlay import AREAS_SOURCE, SIMULATED_SOURCE, overlay_layers, with_boundaries
from layers.style import ZONE_SWATCHES, Swatch

if TYPE_CHECKING:
    from dash.dependencies import Wildcard

_SWATCH: dict[str, Swatch] = {s.code: s for s in ZONE_SWATCHES}
_COUNTS = ("buildings", "households", "vulnerable", "key_places")
FLY = "hs-risk-fly"
"""Pattern-matching id type of each area's "show on the map" button (``{"type": FLY, "key": id}``)."""


def geojson_layers() -> dict[str, list[dict]]:
    """The GeoJSON sources and style layers the house-status map's spec carries."""
    return overlay_layers()


def panel() -> html.Div:
    """The side panel's place (filled by the callbacks) and the stores behind the overlay."""
    return html.Div(
        [
            html.Div(id=ids.HS_RISK_SIM, className="bm-risk-sim"),
            html.Div(id=ids.HS_RISK_AREAS, className="bm-risk-areas"),
            dcc.Store(id=ids.HS_RISK_AREAS_DATA, data={}),
            dcc.Store(id=ids.HS_RISK_SIM_DATA, data=None),
            dcc.Store(id=ids.HS_RISK_DECLARED, data=None),
        ],
        id=ids.HS_RISK,
        className="bm-risk",
    )


def button_id(kind: str, key: int | Wildcard) -> dict[str, object]:
    """A pattern-matching id: the buttons come and go with the card and the simulation, so their
    callbacks listen to ``ALL`` of a kind (a plain id missing from the layout is an error in Dash)."""
    return {"type": kind, "key": key}


def simulate_button(building_id: int, lang: str) -> html.Button:
    """The building card's "simulate a case here" action."""
    return _button(ids.HS_SIMULATE, building_id, t("risk_simulate", lang))


def _button(kind: str, key: int, label: str) -> html.Button:
    return html.Button(label, id=button_id(kind, key), n_clicks=0, className="bm-button")


# --- rendering


def zone_table(zones: dict[str, dict[str, Any]], lang: str) -> html.Table:
    """Per zone: a swatch, its name, buildings, households and vulnerable households."""
    head = html.Tr([html.Th(t("risk_zone", lang))] + [html.Th(t(f"risk_{c}", lang)) for c in _COUNTS])
    rows = []
    for zone in ZONES:
        counts = zones.get(zone) or {}
        swatch = _SWATCH[zone]
        box = {"background": swatch.fill, "borderColor": swatch.outline}
        rows.append(
            html.Tr(
                [html.Td([html.Span(className="bm-swatch", style=box), swatch.label(lang)])]
                + [
                    html.Td(
                        _count_text(counts, c, lang),
                        title=_key_places_title(counts, lang) if c == "key_places" else None,
                        **data_attributes(count=c),
                    )
                    for c in _COUNTS
                ],
                **data_attributes(zone=zone),
            )
        )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact bm-risk-table")


def _count_text(counts: dict[str, Any], name: str, lang: str) -> str:
    """A zone's count as shown; "–" for key places not counted (an area stored before they were, or
    an area-limited account's view: places are not stored with the area)."""
    if name == "key_places" and counts and name not in counts:
        return "–"
    return number(int(counts.get(name, 0)), lang)


def _key_places_title(counts: dict[str, Any], lang: str) -> str:
    """The tooltip of a zone's key places: how many of each kind, and of each key industry."""
    if "key_places" not in counts:
        return t("risk_key_places_uncounted", lang)
    kinds = counts.get("places_by_kind") or {}
    parts = [
        f"{_term(PLACE_KINDS, k, lang)} {number(int(kinds.get(k, 0)), lang)}"
        for k in KEY_PLACE_KINDS
        if kinds.get(k)
    ]
    industries = counts.get("key_industries") or {}
    parts += [f"{_term(KEY_INDUSTRIES, k, lang)} {number(int(n), lang)}" for k, n in industries.items()]
    return " · ".join(parts)


def _term(terms: tuple, code: str, lang: str) -> str:
    return term(terms, code).name(lang)


def _lift(sop: dict[str, Any], lang: str) -> str:
    if sop["state"] == "lifted":
        return t("risk_lifted", lang)
    if sop["state"] == "lift_due":
        return t("risk_lift_due", lang)
    # Whole days and the hours left over, from the one count of hours (ceil'd days read 312 h as
    # "14 days"): "13 天 0 小时（共 312 小时）".
    hours = max(0, round(sop["hours_to_lift"]))
    days, rest = divmod(hours, 24)
    return t("risk_lift_in", lang, days=days, rest=rest, hours=hours)


def sop_list(sop: dict[str, Any], lang: str) -> html.Div:
    """The lifting countdown, then each SOP step with its state and deadline (overdue first)."""
    order = {"overdue": 0, "due": 1, "done": 2}
    steps = sorted(sop.get("steps", []), key=lambda s: order.get(s["state"], 3))
    items = [
        html.Li(
            [
                html.Span(t(f"step_{s['state']}", lang), className=f"bm-step bm-step-{s['state']}"),
                " ",
                s.get(lang) or s["en"],
                html.Span(
                    " · "
                    + t("step_by", lang, at=fmt.short_moment(dt.datetime.fromisoformat(s["due_at"]), lang)),
                    className="bm-note",
                ),
            ],
            **data_attributes(step=s["code"], state=s["state"]),
        )
        for s in steps
    ]
    return html.Div(
        [
            html.P(_lift(sop, lang), className="bm-risk-lift", **data_attributes(state=sop["state"])),
            html.H4(t("risk_steps", lang)),
            html.Ul(items, className="bm-risk-steps"),
        ]
    )


def _areas(collection: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The collection's areas: per id its properties, counts per zone and bounds (display datum)."""
    areas: dict[int, dict[str, Any]] = {}
    for feature in collection.get("features", []):
        props = feature["properties"]
        area = areas.setdefault(props["risk_area_id"], {"props": props, "zones": {}, "geoms": []})
        if props.get("part"):  # a zone's boundary or wash (layers.risk_overlay): drawn, not counted
            continue
        if props.get("zone"):
            area["zones"][props["zone"]] = props.get("counts") or {}
        if feature.get("geometry"):
            area["geoms"].append(shape(feature["geometry"]))
    for area in areas.values():
        geoms = area.pop("geoms")
        area["bounds"] = tuple(shapely.total_bounds(geoms)) if geoms else None
    return areas


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two lon/lat points (for ordering and a label)."""
    (x1, y1), (x2, y2) = (tuple(map(math.radians, a)), tuple(map(math.radians, b)))
    h = math.sin((y2 - y1) / 2) ** 2 + math.cos(y1) * math.cos(y2) * math.sin((x2 - x1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _title(area_id: int, props: dict[str, Any], lang: str) -> str:
    level = term(RISK_LEVELS, props["level"])
    return f"#{area_id} {props.get('name') or ''} · {level.name(lang)}"


def _fly_button(area_id: int, lang: str) -> html.Button:
    return html.Button(
        t("risk_fly", lang), id=button_id(FLY, area_id), n_clicks=0, className="bm-button bm-fly"
    )


def areas_panel(collection: dict[str, Any], lang: str, *, view: dict[str, Any] | None = None) -> list:
    """The stored areas active on the day. With the map's ``view`` (``bounds`` in the display datum),
    only the areas on the map get a block (name, level, counts per zone, SOP clock), nearest the
    map's centre first; the others follow as one folded list of names, nearest first. Every area
    has a button that flies the map to it."""
    areas = _areas(collection)
    heading = html.H3(t("risk_heading", lang))
    if not areas:
        return [heading, html.P(t("risk_none", lang), className="bm-note")]
    bounds = (view or {}).get("bounds")
    centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2) if bounds else None

    def distance(item: tuple[int, dict[str, Any]]) -> float:
        box = item[1]["bounds"]
        return _km(centre, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)) if centre and box else math.inf

    def on_map(area: dict[str, Any]) -> bool:
        box = area["bounds"]
        return not bounds or (
            box is not None
            and box[0] <= bounds[2]
            and box[2] >= bounds[0]
            and box[1] <= bounds[3]
            and box[3] >= bounds[1]
        )

    ordered = sorted(areas.items(), key=distance)
    shown = [(i, a) for i, a in ordered if on_map(a)]
    rest = [(i, a) for i, a in ordered if not on_map(a)]
    blocks: list = []
    for area_id, area in shown:
        head = html.H4([_title(area_id, area["props"], lang), " ", _fly_button(area_id, lang)])
        body: list = [head]
        if area["zones"]:
            body.append(zone_table(area["zones"], lang))
        body.append(sop_list(area["props"]["sop"], lang))
        blocks.append(html.Div(body, className="bm-risk-area", **data_attributes(area=str(area_id))))
    if not shown:
        blocks.append(html.P(t("risk_none_here", lang), className="bm-note"))
    if rest:
        items = [
            html.Li(
                [
                    _title(area_id, area["props"], lang),
                    html.Span(
                        f" · {distance((area_id, area)):.1f} km" if centre else "", className="bm-note"
                    ),
                    " ",
                    _fly_button(area_id, lang),
                ],
                **data_attributes(area=str(area_id)),
            )
            for area_id, area in rest
        ]
        blocks.append(
            html.Details(
                [
                    html.Summary(t("risk_outside", lang, n=len(rest))),
                    html.Ul(items, className="bm-risk-outside"),
                ],
                className="bm-risk-more",
            )
        )
    return [heading, *blocks]


def fly_to(collection: dict[str, Any], area_id: int) -> dict[str, Any] | None:
    """The fly-to target (``dashboards._map`` FLY store) of one area of the collection, None if absent."""
    area = _areas(collection).get(area_id)
    if area is None or area["bounds"] is None:
        return None
    w, s, e, n = area["bounds"]
    return {"bounds": [[w, s], [e, n]], "at": time.time(), "maxZoom": 17}


def simulation_panel(summary: dict[str, Any], lang: str, *, writes: bool = True) -> list:
    """The simulated case's counts per zone and the buttons to declare (only for a role that may
    write: never offered to the read-only analyst) or drop it."""
    notes = [] if summary.get("status_known", True) else [html.P(t("risk_status_unknown", lang))]
    if not writes:
        notes.append(html.P(t("risk_read_only", lang), className="bm-note"))
    return [
        html.H3(t("risk_simulated", lang)),
        zone_table(summary["zones"], lang),
        *notes,
        html.Div(
            [
                _button(ids.HS_DECLARE, 0, t("risk_declare", lang)) if writes else None,
                _button(ids.HS_SIM_CLEAR, 0, t("risk_clear", lang)),
            ],
            className="bm-risk-actions",
        ),
    ]


def _alert(error: BattlemapError, lang: str) -> html.Div:
    return html.Div(error_text(error, lang), title=str(error), className="bm-alert", role="alert")


# --- callbacks


def register_callbacks(app: dash.Dash, *, map_name: str, state_id: str, day: Any) -> None:
    """The overlay's callbacks on the map ``map_name``.

    ``state_id`` is the page's state store (``lang``) and ``day(state, index)`` turns it and the date
    slider's value into the chosen date.
    """

    @app.callback(
        Output(ids.HS_RISK_AREAS_DATA, "data"),
        Input(ids.HS_DATE, "value"),
        Input(ids.HS_REFRESH, "n_intervals"),
        Input(ids.HS_RISK_DECLARED, "data"),
        State(state_id, "data"),
    )
    def stored(index: int | None, _tick: int | None, _declared: object, state: dict) -> dict:
        context = _context.current()
        try:
            with read_connection(context.engine) as conn:
                collection = zones_geojson(conn, on=day(state, index), scope=current_scope())
        except BattlemapError as error:
            return {"error": error_text(error, state["lang"]), "detail": str(error)}
        return {AREAS_SOURCE: _map.display_geojson(with_boundaries(collection), context.settings.map)}

    @app.callback(
        Output(ids.HS_RISK_AREAS, "children"),
        Input(ids.HS_RISK_AREAS_DATA, "data"),
        Input(_map.store_id(_map.VIEW, map_name), "data"),
        State(state_id, "data"),
    )
    def listed(data: dict | None, view: dict | None, state: dict) -> list:
        if data and "error" in data:
            return [html.Div(data["error"], title=data.get("detail"), className="bm-alert", role="alert")]
        return areas_panel((data or {}).get(AREAS_SOURCE) or _map.EMPTY, state["lang"], view=view)

    @app.callback(
        Output(_map.store_id(_map.FLY, map_name), "data", allow_duplicate=True),
        Input(button_id(FLY, ALL), "n_clicks"),
        State(ids.HS_RISK_AREAS_DATA, "data"),
        prevent_initial_call=True,
    )
    def fly(clicks: list[int | None], data: dict | None) -> dict:
        if not any(clicks) or not isinstance(dash.ctx.triggered_id, dict):
            raise PreventUpdate
        target = fly_to((data or {}).get(AREAS_SOURCE) or _map.EMPTY, int(dash.ctx.triggered_id["key"]))
        if target is None:
            raise PreventUpdate
        return target

    @app.callback(
        Output(ids.HS_RISK_SIM_DATA, "data"),
        Input(button_id(ids.HS_SIMULATE, ALL), "n_clicks"),
        State(ids.HS_DATE, "value"),
        State(state_id, "data"),
        prevent_initial_call=True,
    )
    def simulate(clicks: list[int | None], index: int | None, state: dict) -> dict:
        if not any(clicks) or not isinstance(dash.ctx.triggered_id, dict):
            raise PreventUpdate
        building_id = int(dash.ctx.triggered_id["key"])
        date = day(state, index)
        try:
            with read_connection(_context.current().engine) as conn:
                building_card(conn, building_id, date=date, scope=current_scope())  # 404 outside
                area = simulate_at_building(conn, building_id, date=date, scope=current_scope())
        except BattlemapError as error:
            return {"error": error_text(error, state["lang"])}
        case = area.cases[0]
        return {
            "case": {"lon": case.lon, "lat": case.lat, "building_id": building_id},
            "date": date.isoformat(),
            "summary": area.summary(),
            "zones": area.to_geojson(),
        }

    @app.callback(
        Output(ids.HS_RISK_SIM_DATA, "data", allow_duplicate=True),
        Output(ids.HS_RISK_DECLARED, "data"),
        Input(button_id(ids.HS_DECLARE, ALL), "n_clicks"),
        State(ids.HS_RISK_SIM_DATA, "data"),
        State(state_id, "data"),
        prevent_initial_call=True,
    )
    def declare(clicks: list[int | None], simulated: dict | None, state: dict) -> tuple:
        if not any(clicks) or not simulated or "case" not in simulated:
            raise PreventUpdate
        case = simulated["case"]
        try:
            found = current_principal()
            with _context.current().engine.begin() as conn:
                # The building again (its point and address, so the lane and compound rules apply
                # as they did in the simulation), not coordinates sent back by the browser.
                at = case_at_building(conn, int(case["building_id"]))
                found.require_write_at(conn, at.lon, at.lat)
                declared = declare_and_store(
                    conn,
                    [at],
                    actor=found.actor(client_ip()),
                    date=dt.date.fromisoformat(simulated["date"]),
                    scope=found.scope,
                )
                area_id = declared.area_id
        except BattlemapError as error:
            return {**simulated, "error": error_text(error, state["lang"])}, dash.no_update
        return {"declared": area_id}, {"id": area_id}

    @app.callback(
        Output(ids.HS_RISK_SIM_DATA, "data", allow_duplicate=True),
        Input(button_id(ids.HS_SIM_CLEAR, ALL), "n_clicks"),
        prevent_initial_call=True,
    )
    def clear(clicks: list[int | None]) -> None:
        if not any(clicks):
            raise PreventUpdate
        return None

    @app.callback(
        Output(ids.HS_RISK_SIM, "children"),
        Output(_map.store_id(_map.OVERLAY, map_name), "data"),
        Input(ids.HS_RISK_SIM_DATA, "data"),
        Input(ids.HS_RISK_AREAS_DATA, "data"),
        State(state_id, "data"),
    )
    def overlay(simulated: dict | None, stored_zones: dict | None, state: dict) -> tuple:
        lang = state["lang"]
        zones = _map.EMPTY
        if simulated and "zones" in simulated:
            zones = _map.display_geojson(with_boundaries(simulated["zones"]), _context.current().settings.map)
            writes = current_principal().policy.writes
            children = simulation_panel(simulated["summary"], lang, writes=writes)
            if simulated.get("error"):
                children.append(html.Div(simulated["error"], className="bm-alert", role="alert"))
        elif simulated and "declared" in simulated:
            children = [html.P(t("risk_declared", lang, id=simulated["declared"]), className="bm-note")]
        elif simulated and "error" in simulated:
            children = [html.Div(simulated["error"], className="bm-alert", role="alert")]
        else:
            children = []
        stored_only = {k: v for k, v in (stored_zones or {}).items() if k == AREAS_SOURCE}
        return children, {**stored_only, SIMULATED_SOURCE: zones}
