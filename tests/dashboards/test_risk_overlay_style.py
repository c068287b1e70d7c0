"""The house-status map's zone overlay: GeoJSON sources in the map spec, colours from layers.style,
and zones moved into the basemap's datum (GCJ-02) like the tiles are."""

from __future__ import annotations

import pytest

from dashboards import _map
from geo.crs import wgs84_to_gcj02
from geo.settings import MapSettings, Settings
from layers.risk_overlay import AREAS_SOURCE, SIMULATED_SOURCE, overlay_layers
from layers.style import ZONE_SWATCHES
from layers.tiles.registry import default_layers


def _collection() -> dict:
    ring = [[121.50, 31.24], [121.51, 31.24], [121.51, 31.25], [121.50, 31.24]]
    polygon = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"zone": "sealed"},
                                                       "geometry": polygon}]}  # fmt: skip


def test_the_spec_carries_the_zone_sources_and_their_colours() -> None:
    registry = default_layers(Settings(_env_file=None))
    spec = _map.map_spec(
        "hs",
        overlay=registry.get("house-status"),
        basemap=registry.get("basemap"),
        bounds=None,
        map_settings=MapSettings(_env_file=None),
        geojson=overlay_layers(),
    )
    sources = spec["style"]["sources"]
    assert sources[AREAS_SOURCE]["type"] == sources[SIMULATED_SOURCE]["type"] == "geojson"
    layers = {layer["id"]: layer for layer in spec["style"]["layers"]}
    fill = layers[f"{AREAS_SOURCE}-fill"]["paint"]["fill-color"]
    assert all(s.fill in fill for s in ZONE_SWATCHES)
    assert "line-dasharray" in layers[f"{SIMULATED_SOURCE}-line"]["paint"]  # a simulation looks apart
    assert "line-dasharray" not in layers[f"{AREAS_SOURCE}-line"]["paint"]
    ids = [layer["id"] for layer in spec["style"]["layers"]]
    assert ids.index(f"{AREAS_SOURCE}-fill") < ids.index(spec["highlightLayer"])  # under the highlight


def test_zones_follow_a_gcj02_basemap_and_stay_put_on_wgs84() -> None:
    plain = MapSettings(_env_file=None)
    assert _map.display_geojson(_collection(), plain) == _collection()
    shifted = MapSettings(
        _env_file=None, basemap_url="https://tiles.example/{z}/{x}/{y}.png", basemap_crs="gcj02"
    )
    moved = _map.display_geojson(_collection(), shifted)
    x, y = moved["features"][0]["geometry"]["coordinates"][0][0]
    gx, gy = wgs84_to_gcj02(121.50, 31.24)
    assert (x, y) == pytest.approx((float(gx), float(gy)), abs=1e-9)
    assert moved["features"][0]["properties"] == {"zone": "sealed"}
