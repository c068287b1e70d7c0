"""The wall display at /wall (see ``dashboards._wall_page``)."""

from __future__ import annotations

import dash

from dashboards._wall_page import layout

dash.register_page(__name__, path="/wall", name="大屏", title="大屏 · 挂图作战", order=3)

__all__ = ["layout"]
