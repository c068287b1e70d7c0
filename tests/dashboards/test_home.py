"""The app shell and the home page: /health, the page through Dash's router, its table and badges.

The app reads committed data with its own engine, so this module works in a database of its
own (made and dropped here), emptied and reloaded per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dash
import flask
import geopandas as gpd
import pandas as pd
import pytest
from dash.development.base_component import Component
from shapely.geometry import Point, box
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from dashboards import _ids as ids
from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.auth import Principal
from geo.models import Base
from geo.settings import Settings
from geo.vocab import SIMULATED_SOURCE
from tests.auth_support import sign_in_clients, token_on
from tests.fixtures.databases import sibling_url, throwaway_database

MakeApp = Callable[..., dash.Dash]
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
OSM = "© OpenStreetMap contributors (ODbL)"


@pytest.fixture(scope="module")
def home_url(database_url: str) -> Iterator[str]:
    with throwaway_database(sibling_url(database_url, "home")) as url:
        yield url


@pytest.fixture
def home_engine(home_url: str) -> Iterator[Engine]:
    """An engine on the module's database, emptied first."""
    engine = create_engine(home_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables if t.name != 'audit_log')} "
                "RESTART IDENTITY CASCADE"
            )
        )
        # The TRUNCATE bumped the data versions (trigger of migration 0007); a new database has none.
        conn.execute(text("DELETE FROM data_versions"))
    yield engine
    engine.dispose()


def _load(engine: Engine, kind: str, frame: pd.DataFrame, **options: object) -> None:
    with engine.begin() as conn:
        source = FrameSource(frame, name=f"{kind}.test")
        pipeline.load(conn, kind, source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


def _geo(rows: dict[str, list], geometry: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")


@pytest.fixture
def loaded(home_engine: Engine) -> Engine:
    """陆家嘴街道 with 3 buildings (1 simulated) and 2 simulated households, an empty 潍坊新村街道,
    飞地街道 outside the district with 1 building, and 1 case outside every sub-district."""
    _load(
        home_engine,
        "admin",
        _geo({"code": ["310115"], "name": ["浦东新区"]}, [box(121.4, 31.1, 121.7, 31.3)]),
        level="district",
    )
    subdistricts = {
        "code": ["LJZ", "WF", "FD"],
        "name": ["陆家嘴街道", "潍坊新村街道", "飞地街道"],
        "name_en": ["Lujiazui", None, None],
    }
    _load(
        home_engine,
        "admin",
        _geo(
            subdistricts,
            [box(121.4, 31.1, 121.5, 31.3), box(121.5, 31.1, 121.6, 31.3), box(121.75, 31.1, 121.78, 31.3)],
        ),
        level="subdistrict",
    )
    buildings = {"id": ["b1", "b2"], "name": ["一号楼", "二号楼"]}
    _load(
        home_engine,
        "buildings",
        _geo(buildings, [box(121.45, 31.2, 121.4505, 31.2005), box(121.46, 31.2, 121.4605, 31.2005)]),
    )
    _load(
        home_engine,
        "buildings",
        _geo({"id": ["b3"]}, [box(121.47, 31.2, 121.4705, 31.2005)]),
        source=SIMULATED_SOURCE,
    )
    _load(home_engine, "buildings", _geo({"id": ["b4"]}, [box(121.76, 31.2, 121.7605, 31.2005)]))
    households = pd.DataFrame({"id": ["h1", "h2"], "building": ["b1", "b3"]})
    _load(home_engine, "households", households, source=SIMULATED_SOURCE)
    _load(home_engine, "cases", _geo({"id": ["k1"], "date": ["2022-04-06"]}, [Point(121.8, 31.2)]))
    return home_engine


def _settings(url: str, **app: object) -> Settings:
    return Settings(_env_file=None, database={"url": url}, app=app)


@pytest.fixture
def make_app() -> Iterator[MakeApp]:
    """``create_app`` for a database URL (and app settings); the apps' engines are disposed after the test."""
    engines: list[Engine] = []

    def make(url: str, **app: object) -> dash.Dash:
        created = create_app(_settings(url, **app))
        if make_url(url).database not in ("postgres", "nowhere"):  # those have no users table
            sign_in_clients(created.server, token_on(url))
        engines.append(created.server.extensions["battlemap"].engine)
        return created

    yield make
    for engine in engines:
        engine.dispose()


def _page(app: dash.Dash, **query: str) -> Component:
    """The home page's layout as Dash's router renders it for ``/?query``."""
    with app.server.test_request_context("/"):
        flask.g.principal = Principal(0, "test-commander", "commander")  # what the guard puts there
        return dash.page_registry["dashboards.home"]["layout"](**query)


def _walk(component: object) -> Iterator[Component]:
    if isinstance(component, Component):
        yield component
        yield from _walk(getattr(component, "children", None))
    elif isinstance(component, (list, tuple)):
        for child in component:
            yield from _walk(child)


def _by_id(root: Component, component_id: str) -> Component | None:
    return next((c for c in _walk(root) if getattr(c, "id", None) == component_id), None)


def _text(component: object) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, Component):
        return _text(getattr(component, "children", None))
    if isinstance(component, (list, tuple)):
        return "".join(_text(c) for c in component)
    return "" if component is None else str(component)


def _rows(table: Component, section: str) -> list[list[str]]:
    part = next(c for c in _walk(table) if type(c).__name__ == section)
    return [[_text(cell) for cell in row.children] for row in _walk(part) if type(row).__name__ == "Tr"]


def test_health_answers_with_the_postgis_version(make_app: MakeApp, loaded: Engine, home_url: str) -> None:
    response = make_app(home_url).server.test_client().get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["postgis"].startswith("3.")


def test_health_is_503_when_the_database_does_not_answer(make_app: MakeApp) -> None:
    response = make_app(UNREACHABLE).server.test_client().get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "error" and "database does not answer" in response.json["error"]


def test_index_serves_the_dash_shell_with_title_and_styles(
    make_app: MakeApp, loaded: Engine, home_url: str
) -> None:
    response = make_app(home_url).server.test_client().get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>挂图作战 battlemap</title>" in html and "battlemap.css" in html
    assert "_dash-renderer" in html or "dash_renderer" in html


@pytest.mark.parametrize(
    ("search", "expected", "absent"),
    [
        ("", ["已加载数据（按街镇）", "陆家嘴街道", "模拟数据", "数据更新于", OSM], ["What is loaded"]),
        (
            "?lang=en",
            ["What is loaded, by sub-district", "Lujiazui", "simulated", "Data as of", OSM],
            ["已加载数据"],
        ),
    ],
)
def test_the_router_renders_the_page_in_either_language(
    make_app: MakeApp, loaded: Engine, home_url: str, search: str, expected: list[str], absent: list[str]
) -> None:
    client = make_app(home_url).server.test_client()
    router = next(
        d for d in client.get("/_dash-dependencies").json if "_pages_content.children" in d["output"]
    )
    body = {
        "output": router["output"],
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/"},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    content = response.get_data(as_text=True).encode().decode("unicode_escape")
    for text_ in expected:
        assert text_ in content, text_
    for text_ in absent:
        assert text_ not in content, text_


def test_table_lists_subdistricts_with_data_totals_and_simulated_badges(
    make_app: MakeApp, loaded: Engine, home_url: str
) -> None:
    page = _page(make_app(home_url))
    table = _by_id(page, ids.HOME_COUNTS)
    assert table is not None
    assert _rows(table, "Thead") == [["区", "街镇", "楼栋", "网格", "小区", "户", "病例点位", "场所"]]
    # 潍坊新村街道 has no data: not listed; 飞地街道 has no district; the case outside gets its own row.
    assert _rows(table, "Tbody") == [
        ["浦东新区", "陆家嘴街道", "3模拟数据 1", "–", "–", "2模拟数据", "–", "–"],
        ["", "飞地街道", "1", "–", "–", "–", "–", "–"],
        ["", "未落入已加载街镇", "–", "–", "–", "–", "1", "–"],
    ]
    assert _rows(table, "Tfoot") == [["合计", "4模拟数据 1", "–", "–", "2模拟数据", "1", "–"]]
    badges = [c for c in _walk(table) if getattr(c, "className", None) == "bm-badge"]
    assert len(badges) == 4 and badges[0].title == "1 条为模拟数据"
    assert "模拟生成" in _text(page)
    assert _text(_by_id(page, ids.HOME_AS_OF)).startswith("数据更新于 20")
    assert _text(_by_id(page, ids.HOME_TOTALS)) == "行政区划 4"
    assert _text(_by_id(page, ids.HOME_FOOTER)) == OSM


def test_language_comes_from_the_query_then_the_settings(
    make_app: MakeApp, loaded: Engine, home_url: str
) -> None:
    english_app = make_app(home_url, language="en")
    assert _page(english_app).lang == "en"
    assert _page(english_app, lang="zh").lang == "zh"
    assert _page(english_app, lang="fr").lang == "en"
    table = _by_id(_page(english_app), ids.HOME_COUNTS)
    assert _rows(table, "Tbody")[0][:3] == ["浦东新区", "Lujiazui", "3simulated 1"]
    switch = _by_id(_page(english_app), ids.HOME_LANGUAGE)
    # plain links: the server remembers the choice in a cookie (a URL typed later keeps it)
    links = [c.href for c in _walk(switch) if isinstance(c, dash.html.A)]
    assert links == ["/?lang=zh", "/?lang=ja", "/?lang=ko"]


def test_an_empty_database_says_how_to_load(make_app: MakeApp, home_engine: Engine, home_url: str) -> None:
    page = _page(make_app(home_url))
    assert _by_id(page, ids.HOME_COUNTS) is None
    assert _text(_by_id(page, ids.HOME_AS_OF)) == "尚未加载任何数据"
    assert "battlemap demo load" in _text(page)


@pytest.mark.parametrize(
    ("url", "message"),
    # in Chinese (the English message is the tooltip), with the command that fixes it
    [(UNREACHABLE, "请稍后重试"), ("postgres", "battlemap db init")],
)
def test_database_problems_show_as_an_alert(make_app: MakeApp, home_url: str, url: str, message: str) -> None:
    if url == "postgres":  # a server that answers, in a database without the schema
        url = make_url(home_url).set(database="postgres").render_as_string(hide_password=False)
    page = _page(make_app(url))
    alert = _by_id(page, ids.HOME_ALERT)
    assert alert is not None and alert.role == "alert"
    assert "数据库暂不可用" in _text(alert) and message in _text(alert)
    assert _by_id(page, ids.HOME_COUNTS) is None and _text(_by_id(page, ids.HOME_FOOTER)) == OSM


def test_counts_are_recomputed_only_after_a_load(make_app: MakeApp, loaded: Engine, home_url: str) -> None:
    app = make_app(home_url)
    context = app.server.extensions["battlemap"]
    first = context.loaded_summary()
    assert context.loaded_summary() is first
    _load(loaded, "places", _geo({"kind": ["hospital"], "name": ["东方医院"]}, [Point(121.455, 31.21)]))
    second = context.loaded_summary()
    assert second is not first and second.state.version == first.state.version + 1
    assert second.counts["places"].tolist() == [1, 0, 0]
