"""Every callback of the map pages, registered on one app (never global: apps must not share them)."""

from __future__ import annotations

import dash

from dashboards import (
    _campaign_page,
    _contacts_card,
    _flows_page,
    _loops_panel,
    _map,
    _national_page,
    _responsibility_page,
    _status_page,
    _wall_page,
)


def register_callbacks(app: dash.Dash) -> None:
    _map.register_map_callbacks(app)
    _status_page.register_callbacks(app)
    _responsibility_page.register_callbacks(app)
    _wall_page.register_callbacks(app)
    _loops_panel.register_wall_callbacks(app)
    _flows_page.register_callbacks(app)
    _contacts_card.register_callbacks(app)
    _national_page.register_callbacks(app)
    _campaign_page.register_callbacks(app)
