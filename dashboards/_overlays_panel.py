"""Published overlays on a map page: a checklist of the overlays the user may see (``geo.overlays``),
each drawn in its author's colour when ticked.

Every visible overlay is in the map's spec from the start (tiled from ``/tiles/overlays``, hidden);
ticking one only flips its layers' visibility in the browser (``battlemap_map.js``'s map, no new
spec), so the view and the other layers stay as they are. Who may see which overlay, and which of its
features, is decided by the tile route, not here.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, dcc, html
from sqlalchemy import Connection

from dashboards import _map
from dashboards._auth import current_principal
from dashboards._i18n import t
from geo.errors import Unauthorized
from geo.overlays.registry import Overlay, visible_overlays
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


def panel(overlays: list[Overlay], lang: str, *, checklist_id: str, shown_id: str) -> html.Section:
    """The checklist (hidden when no overlay is shared with the user: its callback still has its ids)."""
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
    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="showOverlays"),
        Output(shown_id, "data"),
        Input(checklist_id, "value"),
        Input(_map.store_id(_map.RENDERED, map_name), "data"),
        dash.State(_map.store_id(_map.SPEC, map_name), "data"),
    )
