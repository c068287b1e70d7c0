"""The wall display at /wall (see ``dashboards._wall_page``)."""

from __future__ import annotations

import dash

from dashboards._i18n import page_title
from dashboards._wall_page import layout

dash.register_page(__name__, path="/wall", name="大屏", title=page_title("nav_wall"), order=3)

__all__ = ["layout"]
