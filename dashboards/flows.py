"""The movement-flow map (动线管理图) at /flows (see ``_flows_page``); ``?view=compound`` opens 小区动线."""

from __future__ import annotations

import dash

from dashboards._flows_page import layout

dash.register_page(__name__, path="/flows", name="动线管理图", title="动线管理图 · 挂图作战", order=3)

__all__ = ["layout"]
