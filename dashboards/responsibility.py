"""The building-responsibility map (楼组包干图) at /responsibility (see ``_responsibility_page``)."""

from __future__ import annotations

import dash

from dashboards._i18n import page_title
from dashboards._responsibility_page import layout

dash.register_page(
    __name__, path="/responsibility", name="楼组包干图", title=page_title("maps_responsibility"), order=2
)

__all__ = ["layout"]
