"""The house-status map (房态图) at /house-status; built and wired in ``dashboards._status_page``."""

from __future__ import annotations

import dash

from dashboards._i18n import page_title
from dashboards._status_page import layout

dash.register_page(
    __name__, path="/house-status", name="房态图", title=page_title("maps_house_status"), order=1
)

__all__ = ["layout"]
