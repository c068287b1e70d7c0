"""The movement-flow map (动线管理图) at /flows (see ``_flows_page``); ``?view=compound`` opens 小区动线."""

from __future__ import annotations

import dash

from dashboards._flows_page import layout
from dashboards._i18n import page_title

dash.register_page(__name__, path="/flows", name="动线管理图", title=page_title("flows_link"), order=3)

__all__ = ["layout"]
