"""The wall display (/wall): full screen, dark, no controls; rotates through ``MapSettings.wall_playlist``,
refreshes itself, outlines recent changes and keeps the last good picture (with a "stale since"
badge) while the database does not answer, recovering by itself."""

from __future__ import annotations

import datetime as dt

import dash
from dash import ClientsideFunction, Input, Output, State, dcc, html
from sqlalchemy import Connection

from dashboards import _context, _loops_panel, _map
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._campaign_views import campaign_panel, campaign_view_bounds
from dashboards._formats import number
from dashboards._i18n import TITLE, language, t
from dashboards._legend import status_legend
from dashboards._responsibility_page import grid_legend
from dashboards._shell import simulated_badge
from dashboards._status_page import kpi_strip
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import data_bounds, named_area
from geo.clock import china_now
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.loops.summary import map_version
from geo.responsibility.gaps import gaps_by_grid, gaps_by_level, overloaded_people
from geo.scope import Scope
from geo.settings import MapSettings
from geo.status.read import changed_buildings, status_dates
from geo.vocab import CHINA_TZ
from layers import changed_overlay
from layers.style import VULNERABLE_MARKER

MAP = "wall"
CHANGED_LISTED = 4  # the changed buildings named in the side panel (all are ringed on the map)


def layout(lang: str | None = None, **_query: object) -> html.Div:
    """The frame only: everything shown comes from the refresh callback, so a wall started while the
    database is down shows the badge and fills in when it answers."""
    settings = _context.current().settings
    lang = language(lang, settings.app.language)
    return html.Div(
        [
            html.Header(
                [
                    html.Div(TITLE, className="bm-wall-brand"),
                    html.H1(id=ids.WALL_TITLE),
                    html.Div(id=ids.WALL_SIMULATED),
                    html.Div(id=ids.WALL_STALE, className="bm-stale", hidden=True, role="status"),
                    html.Div(id=ids.WALL_AS_OF, className="bm-wall-as-of"),
                    html.Div(id=ids.WALL_CLOCK, className="bm-wall-clock"),
                ],
                className="bm-wall-header",
            ),
            html.Div(
                [
                    html.Div(
                        [_map.map_view(MAP, None, {}), *_loops_panel.wall_strip()], className="bm-wall-map"
                    ),
                    html.Aside(
                        [
                            html.Div(id=ids.WALL_KPIS, className="bm-kpis bm-wall-kpis"),
                            html.Div(id=ids.WALL_LEGEND),
                            html.Div(id=ids.WALL_CHANGED, className="bm-wall-changed"),
                        ],
                        className="bm-wall-side",
                    ),
                ],
                className="bm-wall-body",
            ),
            dcc.Store(id=ids.WALL_STATE, data={"lang": lang}),
            dcc.Store(id=ids.WALL_LAST_OK),
            dcc.Interval(id=ids.WALL_REFRESH, interval=settings.map.refresh_seconds * 1000),
            dcc.Interval(id=ids.WALL_ROTATE, interval=settings.map.wall_rotate_seconds * 1000),
            dcc.Interval(id=ids.WALL_TICK, interval=1000),
        ],
        id=ids.WALL,
        lang=lang,
        className="bm-wall",
    )


def _entry(playlist: list[str], rotation: int | None) -> tuple[str, str | None]:
    layer, _, area = playlist[(rotation or 0) % len(playlist)].partition("@")
    return layer, area or None


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(_map.store_id(_map.SPEC, MAP), "data"),
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Output(_map.store_id(_map.HIGHLIGHT, MAP), "data"),
        Output(_map.store_id(_map.OVERLAY, MAP), "data"),
        Output(ids.WALL_TITLE, "children"),
        Output(ids.WALL_SIMULATED, "children"),
        Output(ids.WALL_KPIS, "children"),
        Output(ids.WALL_LEGEND, "children"),
        Output(ids.WALL_CHANGED, "children"),
        Output(ids.WALL_AS_OF, "children"),
        Output(ids.WALL_STALE, "children"),
        Output(ids.WALL_STALE, "hidden"),
        Output(ids.WALL_LAST_OK, "data"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        Input(ids.WALL_ROTATE, "n_intervals"),
        State(ids.WALL_STATE, "data"),
        State(ids.WALL_LAST_OK, "data"),
    )
    def refresh(_refresh: int | None, rotation: int | None, state: dict, last_ok: str | None) -> tuple:
        context = _context.current()
        lang, settings = state["lang"], context.settings.map
        layer_name, area = _entry(settings.wall_playlist, rotation)
        layers = tile_layers()
        layer = layers.get(layer_name)
        now = china_now()
        try:
            scope = current_scope()
            with read_connection(context.engine) as conn:
                data = loaded.data_state(conn)
                loops_version = map_version(conn)
                bounds: tuple[float, float, float, float] | None
                area_name: str | None = None
                if area:
                    bounds, area_name = named_area(conn, area)
                elif layer_name == "campaign":  # its units, not the buildings (it draws no building)
                    bounds = campaign_view_bounds(conn, scope=scope) or data_bounds(conn, scope=scope)
                else:
                    bounds = data_bounds(conn, scope=scope)
                dates = status_dates(conn)
                date = dates[1] if dates else now.date()
                since = now - dt.timedelta(minutes=settings.wall_changed_minutes)
                changed = changed_buildings(conn, since=since, scope=scope)
                strip, legend = side_panel(
                    conn, layer_name, date=date, scope=scope, settings=settings, lang=lang
                )
                simulated = loaded.shows_simulated(conn, [layer_name])
        except BattlemapError:
            # Keep the last good picture; say since when it is stale.
            stamp = dt.datetime.fromisoformat(last_ok).astimezone(CHINA_TZ) if last_ok else None
            badge = t("stale_since", lang, time=f"{stamp:%H:%M:%S}" if stamp else "–")
            return (*(dash.no_update,) * 10, badge, False, dash.no_update)
        # The loop markers go with the house-status map (the other maps have their own meaning).
        markers = layers.get(_loops_panel.LOOPS_SOURCE) if layer_name == "house-status" else None
        spec = _map.map_spec(
            MAP, overlay=layer, basemap=layers.get("basemap"), bounds=bounds, map_settings=settings,
            dark=True, interactive=False, markers=markers, geojson=changed_overlay.overlay_layers(dark=True),
        )  # fmt: skip
        points = changed_overlay.changed_points(changed)
        overlay = {changed_overlay.CHANGED_SOURCE: _map.display_geojson(points, settings)}
        query: dict[str, dict[str, object]] = {
            _map.BASEMAP_SOURCE: {"v": data.version},
            layer.name: {"v": data.version},
        }
        if markers is not None:
            query[markers.name] = {"v": loops_version}
        if layer_name == "house-status":
            query[layer.name]["date"] = date.isoformat()
        title = layer.title(lang) + (f" · {area_name}" if area_name else "")
        if layer_name == "house-status":
            title += f" · {fmt.day(date, lang)}"
        as_of = f"{t('as_of', lang)} {fmt.moment(data.as_of, lang)}" if data.as_of else ""
        heading = t("changed_recently", lang, minutes=settings.wall_changed_minutes)
        items = [html.Li(b.label) for b in changed[:CHANGED_LISTED]]
        if len(changed) > CHANGED_LISTED:
            more = t("changed_more", lang, n=number(len(changed) - CHANGED_LISTED, lang))
            items.append(html.Li(more, className="bm-legend-note"))
        changed_panel = [
            html.H3(f"{heading} · {number(len(changed), lang)} {t('unit_buildings', lang)}"),
            html.Ul(items),
        ]
        highlight = [b.id for b in changed]
        sim = simulated_badge(lang, component_id=ids.WALL_SIMULATED_BADGE) if simulated else None
        return (
            spec, query, highlight, overlay, title, sim, strip, legend, changed_panel, as_of, "", True,
            now.isoformat(),
        )  # fmt: skip

    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="clock"),
        Output(ids.WALL_CLOCK, "children"),
        Input(ids.WALL_TICK, "n_intervals"),
    )


def side_panel(
    conn: Connection, layer: str, *, date: dt.date, scope: Scope, settings: MapSettings, lang: str
) -> tuple[list, object]:
    """The wall's figures and legend for ``layer``: house status and responsibility have their own;
    any other layer (buildings, flows…) shows none rather than another layer's figures."""
    if layer == "house-status":
        figures = _context.current().kpis(conn, date=date, scope=scope)
        markers = ((VULNERABLE_MARKER, None, "outline"),)
        return kpi_strip(figures, lang), status_legend(figures, lang, markers=markers, dark=True)
    if layer == "responsibility":
        grids = gaps_by_grid(conn, scope=scope)
        over = overloaded_people(conn, limit=settings.building_limit, scope=scope)
        strip = [
            _kpi(lang, t("kpi_buildings", lang), sum(g.buildings for g in grids)),
            _kpi(lang, t("kpi_gap_buildings", lang), sum(g.gap_buildings for g in grids)),
            _kpi(lang, t("kpi_overloaded", lang), len(over)),
        ]
        return strip, grid_legend(grids, lang, levels=gaps_by_level(conn, scope=scope), dark=True)
    if layer == "campaign":
        return campaign_panel(conn, scope=scope, lang=lang)
    return [], []


def _kpi(lang: str, label: str, value: int) -> html.Div:
    return html.Div(
        [
            html.Span(number(value, lang), className="bm-kpi-value"),
            html.Span(label, className="bm-kpi-label"),
        ],
        className="bm-kpi",
    )
