"""Folium maps that work without the internet: Leaflet inlined from the installed copy, no CDN links.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; on an intranet such a page is
blank. What battlemap draws (GeoJSON, circle markers, tooltips, an HTML legend) needs Leaflet only,
so ``offline`` drops every default link and inlines ``leaflet.js``/``leaflet.css`` from the copy
``make assets`` installs (npm package ``leaflet``, copied to ``dashboards/assets/vendor``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import cast

import folium

from geo.errors import ConfigError

_ROOT = Path(__file__).resolve().parents[1]
LEAFLET_DIRS: tuple[Path, ...] = (
    _ROOT / "dashboards" / "assets" / "vendor",
    _ROOT / "node_modules" / "leaflet" / "dist",
)
"""Where the installed Leaflet is looked for, in order."""


@cache
def leaflet_assets() -> tuple[str, str]:
    """(leaflet.js, leaflet.css) of the installed Leaflet, as text.

    Raises
    ------
    ConfigError
        naming the folders looked in and the fix (``make assets``).
    """
    for folder in LEAFLET_DIRS:
        js, css = folder / "leaflet.js", folder / "leaflet.css"
        if js.is_file() and css.is_file():
            return js.read_text(encoding="utf-8"), css.read_text(encoding="utf-8")
    looked = ", ".join(str(p) for p in LEAFLET_DIRS)
    raise ConfigError(f"leaflet.js was not found in {looked}: run `make assets` (npm ci) first")


def offline(m: folium.Map) -> folium.Map:
    """``m`` with Leaflet inlined and no CDN script or stylesheet (returns ``m``)."""
    js, css = leaflet_assets()
    m.default_js = []
    m.default_css = []
    header = cast(folium.Figure, m.get_root()).header
    # A closing script tag inside the inlined text would end it early; Leaflet has none, but be sure.
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css")
    header.add_child(
        folium.Element("<script>" + js.replace("</script", "<\\/script") + "</script>"), name="leaflet_js"
    )
    return m
