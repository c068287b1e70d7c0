"""The vaccination campaign board (疫苗接种挂图) at /campaign (see ``dashboards._campaign_page``)."""

from __future__ import annotations

import dash

from dashboards._campaign_page import layout
from dashboards._i18n import page_title

dash.register_page(
    __name__, path="/campaign", name="疫苗接种挂图", title=page_title("page_campaign"), order=5
)

__all__ = ["layout"]
