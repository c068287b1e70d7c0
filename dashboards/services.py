"""The multilingual service guide (涉外服务指引图) at /services (see ``dashboards._services_page``)."""

from __future__ import annotations

import dash

from dashboards._services_page import layout

dash.register_page(
    __name__, path="/services", name="涉外服务指引图", title="涉外服务指引图 · 挂图作战", order=6
)

__all__ = ["layout"]
