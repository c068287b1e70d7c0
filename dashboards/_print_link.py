"""The map pages' print actions: download links to ``/print/atlas.pdf`` for what the map shows now, and
to ``/print/brief.pdf``, the daily brief of the chosen district or sub-district on the chosen day.

The link is a plain ``<a download>`` whose ``href`` the page's callbacks keep up to date (grid or
unit, layer, date), so printing is one click with no callback in between, and the PDF comes from
the same route (and the same rules of masking) as any other download.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from dash import html

from dashboards._i18n import t
from dashboards._print_routes import ATLAS_PATH, BRIEF_PATH


def atlas_href(selection: dict[str, str], *, layer: str, date: dt.date | None = None) -> str:
    """The atlas URL of a selection (``geo.print_queries.atlas_selection``), a layer and a day."""
    query = {**selection, "layer": layer}
    if date is not None:
        query["date"] = date.isoformat()
    return f"{ATLAS_PATH}?{urlencode(query)}"


def print_link(component_id: str, href: str, lang: str) -> html.A:
    """The print action: downloads the atlas PDF of ``href``."""
    return html.A(
        t("print", lang),
        id=component_id,
        href=href,
        download="",
        target="_blank",
        title=t("print_title", lang),
        className="bm-button bm-print",
    )


def brief_href(selection: dict[str, str], *, date: dt.date) -> str:
    """The brief URL of the day and of the selection's unit (``atlas_selection`` of a unit), if any."""
    query = {"date": date.isoformat()}
    if "unit" in selection:
        query["unit"] = selection["unit"]
    return f"{BRIEF_PATH}?{urlencode(query)}"


def brief_link(component_id: str, href: str, lang: str) -> html.A:
    """The brief action: downloads the daily brief PDF of ``href``."""
    return html.A(
        t("brief", lang),
        id=component_id,
        href=href,
        download="",
        target="_blank",
        title=t("brief_title", lang),
        className="bm-button bm-print",
    )
