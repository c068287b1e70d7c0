"""The wall's refresh callback over HTTP: each playlist entry shows its own figures, and a layer with
none of its own (buildings, flows) shows none rather than the responsibility map's."""

from __future__ import annotations

import json

import dash
import pytest

from dashboards import _ids as ids
from dashboards import _map
from geo.settings import Settings

OUTPUTS = [
    (_map.store_id(_map.SPEC, "wall"), "data"),
    (_map.store_id(_map.QUERY, "wall"), "data"),
    (_map.store_id(_map.HIGHLIGHT, "wall"), "data"),
    (_map.store_id(_map.OVERLAY, "wall"), "data"),
    (ids.WALL_TITLE, "children"),
    (ids.WALL_SIMULATED, "children"),
    (ids.WALL_KPIS, "children"),
    (ids.WALL_LEGEND, "children"),
    (ids.WALL_CHANGED, "children"),
    (ids.WALL_AS_OF, "children"),
    (ids.WALL_STALE, "children"),
    (ids.WALL_STALE, "hidden"),
    (ids.WALL_LAST_OK, "data"),
]
RESPONSIBILITY_FIGURES = ("Buildings with a gap", "People over the limit")


def _key(component: str | dict) -> str:
    return (
        component
        if isinstance(component, str)
        else json.dumps(component, sort_keys=True, separators=(",", ":"))
    )


def _refresh(app: dash.Dash) -> dict:
    body = {
        "output": ".." + "...".join(f"{_key(c)}.{p}" for c, p in OUTPUTS) + "..",
        "outputs": [{"id": c, "property": p} for c, p in OUTPUTS],
        "inputs": [
            {"id": ids.WALL_REFRESH, "property": "n_intervals", "value": 1},
            {"id": ids.WALL_ROTATE, "property": "n_intervals", "value": 0},
        ],
        "state": [
            {"id": ids.WALL_STATE, "property": "data", "value": {"lang": "en"}},
            {"id": ids.WALL_LAST_OK, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.WALL_REFRESH}.n_intervals"],
    }
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["response"]


@pytest.mark.parametrize(
    ("layer", "shown"),
    [("responsibility", True), ("house-status", False), ("buildings", False), ("flows", False)],
)
def test_the_wall_shows_responsibility_figures_for_the_responsibility_map_only(
    city_app: dash.Dash, city_settings: Settings, monkeypatch: pytest.MonkeyPatch, layer: str, shown: bool
) -> None:
    monkeypatch.setattr(city_settings.map, "wall_playlist", [layer])
    answer = _refresh(city_app)
    title = answer[ids.WALL_TITLE]["children"]
    assert title.startswith(city_app.server.extensions["battlemap.tile_layers"].get(layer).title("en"))
    side = json.dumps([answer[ids.WALL_KPIS], answer[ids.WALL_LEGEND]], ensure_ascii=False)
    assert all((label in side) == shown for label in RESPONSIBILITY_FIGURES), side[:300]
    if layer in ("buildings", "flows"):
        assert answer[ids.WALL_KPIS]["children"] == [] and answer[ids.WALL_LEGEND]["children"] == []
