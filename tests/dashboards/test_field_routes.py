"""The field page's routes: ``/field`` behind the sign-in (a page: no session goes to /login, the wall
to its own page), its service worker public static code, the places its items name (the area kept, no
personal data), and the isolation guide on a building's card (with its print link for roles that may
print)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import dash
import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from dashboards._building_card import card
from dashboards._guide_card import guide_section
from geo.auth import Principal
from geo.card import building_card
from geo.settings import Settings
from tests.auth_support import token_for
from tests.fixtures import small_city as city


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


def _client(app: dash.Dash, token: str | None) -> FlaskClient:
    client = FlaskClient(app.server, app.server.response_class, use_cookies=True)
    if token:
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _ids(engine: Engine, table: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: int(i) for s, i in conn.execute(text(f"SELECT source_id, id FROM {table}"))}


def test_the_page_needs_a_sign_in_and_carries_no_data(city_app: dash.Dash, city_engine: Engine) -> None:
    anonymous = _client(city_app, None)
    answer = anonymous.get("/field")
    assert answer.status_code == 302 and "/login?next=/field" in answer.headers["Location"]
    worker = _client(city_app, token_for(city_engine, "fr-worker", role="worker", grids=["G1"]))
    page = worker.get("/field?lang=en")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    config = json.loads(
        re.search(r'<script id="fd-config" type="application/json">(.*?)</script>', html, re.S)[1]
    )
    assert config["lang"] == "en" and config["role"] == "worker" and config["acts"] is True
    assert config["strings"]["field_report"] == "Report a problem here"
    assert "/assets/field/field.js" in html and "/assets/vendor/maplibre-gl.js" in html
    assert city.CONTACT_NAME not in html and city.CONTACT_PHONE not in html
    wall = _client(city_app, token_for(city_engine, "fr-wall", role="wall"))
    assert wall.get("/field").headers["Location"].endswith("/wall")


def test_the_service_worker_is_public_code_scoped_to_the_page(city_app: dash.Dash) -> None:
    answer = _client(city_app, None).get("/field-sw.js")
    assert answer.status_code == 200 and answer.mimetype == "text/javascript"
    assert (
        answer.headers["Service-Worker-Allowed"] == "/field" and answer.headers["Cache-Control"] == "no-cache"
    )
    assert b"Idempotency-Key" in answer.data or b"caches.open" in answer.data


def test_the_field_scripts_stay_off_the_dash_pages(city_app: dash.Dash, city_engine: Engine) -> None:
    commander = _client(city_app, token_for(city_engine, "fr-commander"))
    home = commander.get("/").get_data(as_text=True)
    assert "battlemap_map.js" in home and "/assets/field/" not in home
    script = commander.get("/assets/field/field.js")
    assert script.status_code == 200  # served when asked for, by the field page
    script.close()


def test_places_name_the_items_within_the_area(city_app: dash.Dash, city_engine: Engine) -> None:
    buildings, households = _ids(city_engine, "buildings"), _ids(city_engine, "households")
    worker = _client(city_app, token_for(city_engine, "fr-worker", role="worker", grids=["G1"]))
    query = (
        f"buildings={buildings['b09']},{buildings['b03']}"
        f"&households={households['h-b09-1']},{households['h-b03-1']}"
    )
    answer = worker.get(f"/api/v1/field/places?{query}")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["buildings"] == [
        {
            "id": buildings["b09"],
            "name": "9号楼",
            "address": "东方路9号",
            "compound": "东方小区",
            "grid": "G1",
        }
    ]
    assert body["households"] == [
        {
            "id": households["h-b09-1"],
            "building_id": buildings["b09"],
            "unit_label": "101室",
            "status": "home_isolation",
        }
    ]
    bad = worker.get("/api/v1/field/places?buildings=1;DROP")
    assert bad.status_code == 422 and bad.get_json()["field"] == "buildings"
    wall = _client(city_app, token_for(city_engine, "fr-wall", role="wall"))
    assert wall.get(f"/api/v1/field/places?{query}").status_code == 403


def _text(component: object) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _hrefs(component: object) -> list[str]:
    found = []
    if isinstance(component, list | tuple):
        for c in component:
            found += _hrefs(c)
    elif component is not None and not isinstance(component, str):
        href = getattr(component, "href", None)
        if href:
            found.append(href)
        found += _hrefs(getattr(component, "children", None))
    return found


@pytest.mark.parametrize(("role", "prints"), [("commander", True), ("worker", False)])
def test_the_card_shows_the_isolation_guide(city_engine: Engine, role: str, prints: bool) -> None:
    buildings, households = _ids(city_engine, "buildings"), _ids(city_engine, "households")
    with city_engine.connect() as conn:
        found = building_card(conn, buildings["b09"], date=city.LAST_DAY)
        plain = building_card(conn, buildings["b10"], date=city.LAST_DAY)
    assert [h.household_id for h in found.isolated] == [households["h-b09-1"]] and plain.isolated == ()
    server = flask.Flask(__name__)
    with server.test_request_context("/"):
        flask.g.principal = Principal(user_id=1, name="t", role=role)
        shown = card(found, "zh")
        assert guide_section(plain.isolated, "zh") == []
    words = _text(shown)
    for expected in (
        "居家隔离索引图",
        "101室",
        "隔离起始 2022年4月2日",
        "操作内容",
        "防护标准",
        "社区卫生服务中心",
        "未建事项",
    ):
        assert expected in words, expected
    link = f"/print/isolation-guide.pdf?household={households['h-b09-1']}"
    assert (link in _hrefs(shown)) is prints
    assert ("/print/isolation-guide.pdf?grid=G1" in _hrefs(shown)) is prints
