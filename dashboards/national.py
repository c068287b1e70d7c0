"""The national overview (全国汇总) at /national (see ``_national_page``)."""

from __future__ import annotations

import dash

from dashboards._i18n import page_title
from dashboards._national_page import layout

dash.register_page(__name__, path="/national", name="全国汇总", title=page_title("nav_national"), order=9)

__all__ = ["layout"]
