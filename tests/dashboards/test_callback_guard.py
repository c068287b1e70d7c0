"""The wall's token reaches the wall and what it draws, nothing else; junk under Dash's routes and
non-integer callback inputs answer 4xx, and nothing of it leaves a traceback in the log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import dash
import pytest
from dash._utils import split_callback_id
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from geo.settings import Settings
from tests.auth_support import token_for
from tests.fixtures import small_city as city

CALLBACK = "/_dash-update-component"
LON, LAT = city.centre("b01")
CLICK = {"map": "hs", "type": "bm-map-click"}


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


def _client(app: dash.Dash, token: str) -> FlaskClient:
    client = FlaskClient(app.server, app.server.response_class)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def wall(city_app: dash.Dash, city_engine: Engine) -> FlaskClient:
    return _client(city_app, token_for(city_engine, "guard-wall", role="wall"))


@pytest.fixture(scope="module")
def commander(city_app: dash.Dash, city_engine: Engine) -> FlaskClient:
    return _client(city_app, token_for(city_engine, "guard-boss"))


def _key(app: dash.Dash, output_id: str) -> str:
    """The callback whose outputs include ``output_id`` (as the browser names it)."""
    return next(k for k in app.callback_map if output_id in k)


def _body(app: dash.Dash, output_id: str, inputs: list[dict], state: list[dict] | None = None) -> dict:
    key = _key(app, output_id)
    split = split_callback_id(key)
    listed = [
        {"id": json.loads(o["id"]) if o["id"].startswith("{") else o["id"], "property": o["property"]}
        for o in (split if isinstance(split, list) else [split])
    ]
    outputs = listed if isinstance(split, list) else listed[0]  # as the browser sends them
    return {
        "output": key,
        "outputs": outputs,
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"] if inputs else [],
    }


def _wall_refresh(app: dash.Dash, rotation: object = 0) -> dict:
    return _body(
        app,
        '{"map":"wall","type":"bm-map-spec"}',
        [
            {"id": "wall-refresh", "property": "n_intervals", "value": 1},
            {"id": "wall-rotate", "property": "n_intervals", "value": rotation},
        ],
        [
            {"id": "wall-state", "property": "data", "value": {"lang": "en"}},
            {"id": "wall-last-ok", "property": "data", "value": None},
        ],
    )


def _card(app: dash.Dash, building: object, index: object = 0) -> dict:
    return _body(
        app,
        "hs-card.children",
        [
            {"id": CLICK, "property": "data", "value": {"id": building}},
            {"id": "hs-date", "property": "value", "value": index},
        ],
        [{"id": "hs-state", "property": "data", "value": {"lang": "en", "first": "2022-04-01", "days": 3}}],
    )


def _kpis(app: dash.Dash) -> dict:
    filters = ["hs-filter-district", "hs-filter-subdistrict", "hs-filter-grid", "hs-filter-compound"]
    inputs = [
        {"id": "hs-date", "property": "value", "value": 0},
        {"id": "hs-refresh", "property": "n_intervals"},
    ]
    return _body(
        app, "hs-kpis.children", inputs + [{"id": f, "property": "value", "value": None} for f in filters]
    )


def _b01(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b01'")).scalar_one()


def test_the_wall_gets_its_own_callback_and_router(city_app: dash.Dash, wall: FlaskClient) -> None:
    assert wall.get("/wall").status_code == 200
    assert wall.post(CALLBACK, json=_wall_refresh(city_app)).status_code == 200
    router = {
        "output": "..._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/wall"},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    router["output"] = router["output"].removeprefix(".")
    assert wall.post(CALLBACK, json=router).status_code == 200
    assert wall.get("/tiles/house-status.json").status_code == 200
    assert wall.get("/tiles/version").status_code == 200


def test_the_wall_gets_no_other_pages_callbacks_nor_the_apis(
    city_app: dash.Dash, wall: FlaskClient, commander: FlaskClient, city_engine: Engine
) -> None:
    b01 = _b01(city_engine)
    card, kpis = _card(city_app, b01), _kpis(city_app)
    assert commander.post(CALLBACK, json=card).status_code == 200  # the same requests are fine for others
    assert wall.post(CALLBACK, json=card).status_code == 403
    assert wall.post(CALLBACK, json=kpis).status_code == 403
    # The wall's own callback with another page's input smuggled in.
    smuggled = _wall_refresh(city_app)
    smuggled["state"].append({"id": "hs-filter-grid", "property": "value", "value": "G1"})
    assert wall.post(CALLBACK, json=smuggled).status_code == 403
    assert wall.get(f"/api/risk/simulate?lon={LON}&lat={LAT}&date=2022-04-04").status_code == 403
    assert wall.get("/api/risk/areas?date=2022-04-04").status_code == 403
    assert wall.get(f"/api/buildings/{b01}/contacts").status_code == 403
    assert wall.get("/print/atlas.pdf?grids=G1").status_code == 403


JUNK_SUITES = [
    "/_dash-component-suites/nope/x.js",
    "/_dash-component-suites/dash/deps/%00.js",
    "/_dash-component-suites/dash/dcc/nope.v9_9_9m1.js",
    "/_dash-component-suites/dash/..%2F..%2Fdash.py",
    "/_dash-component-suites/dash_core_components/dash_core_components.js",
]


@pytest.mark.parametrize("path", JUNK_SUITES)
def test_junk_under_the_component_suites_is_404_without_a_traceback(
    city_app: dash.Dash, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    anonymous = FlaskClient(city_app.server, city_app.server.response_class)
    with caplog.at_level(logging.ERROR):
        assert anonymous.get(path).status_code == 404
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


@pytest.mark.parametrize(
    ("make", "who"),
    [
        (lambda app: _card(app, "abc"), "commander"),
        (lambda app: _card(app, {"$gt": 1}), "commander"),
        (lambda app: _card(app, 1, index="yesterday"), "commander"),
        (lambda app: _card(app, 1, index=True), "commander"),
        (lambda app: _wall_refresh(app, rotation="x"), "wall"),
        (lambda app: _wall_refresh(app, rotation=[1]), "commander"),
    ],
    ids=[
        "card-id-text",
        "card-id-object",
        "slider-text",
        "slider-bool",
        "wall-rotation-text",
        "rotation-list",
    ],
)
def test_non_integer_callback_inputs_are_400_without_a_traceback(
    city_app: dash.Dash,
    wall: FlaskClient,
    commander: FlaskClient,
    make: object,
    who: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = wall if who == "wall" else commander
    with caplog.at_level(logging.ERROR):
        response = client.post(CALLBACK, json=make(city_app))  # type: ignore[operator]
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


def test_a_callback_request_that_is_not_json_is_400(commander: FlaskClient) -> None:
    response = commander.post(CALLBACK, data=b"{not json", content_type="application/json")
    assert response.status_code == 400
