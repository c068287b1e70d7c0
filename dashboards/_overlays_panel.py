"""Published overlays on a map page: a checklist of the overlays the user may see (``geo.overlays``),
each drawn in its author's colour when ticked.

Every visible overlay is in the map's spec from the start (tiled from ``/tiles/overlays``, hidden);
ticking one only flips its layers' visibility in the browser (``battlemap_map.js``'s map, no new
spec), so the view and the other layers stay as they are. Who may see which overlay, and which of its
features, is decided by the tile route, not here. A commander also gets a button approving each
overlay for the wall (``geo.overlays.registry.approve_overlay``: refused for other roles, audited).
"""

from __future__ import annotations

import dash
from dash import MATCH, ClientsideFunction, Input, Output, State, dcc, html
from dash.dependencies import Wildcard
from dash.exceptions import PreventUpdate
from sqlalchemy import Connection

from dashboards import _context, _map
from dashboards._auth import client_ip, current_principal
from dashboards._i18n import t
from geo.errors import BattlemapError, Unauthorized
from geo.overlays.registry import Overlay, approve_overlay, visible_overlays
from layers.tiles.layer import TileLayer
from layers.tiles.overlays import overlay_style, source_name


def shown_overlays(conn: Connection) -> list[Overlay]:
    """The overlays the signed-in user may see; none outside a request (Dash's validation layout)."""
    try:
        viewer = current_principal()
    except Unauthorized:
        return []
    return visible_overlays(conn, viewer)


def published_layers(overlays: list[Overlay], layer: TileLayer, *, dark: bool = False) -> list:
    """``map_spec(published=...)`` for ``overlays``, every style layer hidden until ticked."""
    out = []
    for overlay in overlays:
        source = source_name(overlay)
        style = [
            s | {"layout": {"visibility": "none"}} for s in overlay_style(overlay, source=source, dark=dark)
        ]
        out.append((source, layer, style))
    return out


def published_query(overlays: list[Overlay], version: int) -> dict[str, dict[str, object]]:
    """The tile query of each overlay's source (its name, the data version)."""
    return {source_name(o): {"name": o.name, "v": version} for o in overlays}


APPROVE = "bm-overlay-approve"


def approve_id(name: str | Wildcard) -> dict[str, str | Wildcard]:
    return {"type": APPROVE, "name": name}


def _approve_buttons(overlays: list[Overlay], lang: str) -> list:
    """For a viewer whose role approves (the commander): a button per overlay not yet on the wall."""
    try:
        may = current_principal().policy.approve
    except Unauthorized:
        may = False
    if not may:
        return []
    return [
        html.Button(
            f"{t('overlays_approve', lang)}: {o.name}",
            id=approve_id(o.name),
            n_clicks=0,
            className="bm-button",
        )
        for o in overlays
        if not o.approved
    ]


def panel(overlays: list[Overlay], lang: str, *, checklist_id: str, shown_id: str) -> html.Section:
    """The checklist (hidden when no overlay is shared with the user: its callback still has its ids)
    and, for a commander, a button approving each overlay not yet on the wall."""
    options = [
        {
            "label": html.Span(
                [
                    html.Span(className="bm-swatch", style={"background": o.colour}),
                    html.Span(o.name, className="bm-overlay-name"),
                    html.Small(
                        " · " + t("overlays_by", lang, author=o.author)
                        + (f" · {t('overlays_wall', lang)}" if o.approved else ""),
                        className="bm-note",
                    ),
                ]
            ),
            "value": source_name(o),
        }
        for o in overlays
    ]  # fmt: skip
    return html.Section(
        [
            html.H3(t("overlays_title", lang)),
            dcc.Checklist(options=options, value=[], id=checklist_id, className="bm-overlays"),
            html.Div(_approve_buttons(overlays, lang), className="bm-overlays-approve"),
            dcc.Store(id=shown_id),
        ],
        className="bm-overlays-panel",
        hidden=not overlays,
    )


def wall_legend(overlays: list[Overlay], lang: str) -> html.Div | None:
    """The wall's key to the approved overlays it draws (name, colour, author); None without any."""
    if not overlays:
        return None
    items = [
        html.Li(
            [
                html.Span(className="bm-swatch", style={"background": o.colour, "borderColor": o.colour}),
                html.Span(
                    f"{o.name} · {t('overlays_by', lang, author=o.author)}", className="bm-legend-label"
                ),
            ]
        )
        for o in overlays
    ]
    return html.Div(
        [html.H3(t("overlays_title", lang)), html.Ul(items)], className="bm-legend bm-wall-overlays"
    )


def register_callbacks(app: dash.Dash, *, map_name: str, checklist_id: str, shown_id: str) -> None:
    """Ticking an overlay shows its layers on ``map_name``'s map (clientside, in place)."""

    @app.callback(
        Output(approve_id(MATCH), "children"),
        Output(approve_id(MATCH), "disabled"),
        Input(approve_id(MATCH), "n_clicks"),
        State(approve_id(MATCH), "id"),
        prevent_initial_call=True,
    )
    def approve(clicks: int | None, button: dict) -> tuple:
        """Approve the overlay for the wall, as the signed-in commander (audited; refused for others)."""
        if not clicks:
            raise PreventUpdate
        viewer = current_principal()
        try:
            with _context.current().engine.begin() as conn:
                overlay = approve_overlay(conn, str(button["name"]), viewer.actor(client_ip()), by=viewer)
        except BattlemapError as error:
            return str(error), True
        return f"✓ {overlay.name}: {overlay.approved_by}", True

    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="showOverlays"),
        Output(shown_id, "data"),
        Input(checklist_id, "value"),
        Input(_map.store_id(_map.RENDERED, map_name), "data"),
        dash.State(_map.store_id(_map.SPEC, map_name), "data"),
    )
