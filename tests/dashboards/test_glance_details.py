"""The small things of issue 16 that a person reads: search with 号, Chinese errors, no "确认发布"
for a read-only role, the lifting countdown's arithmetic, the remembered language, the simulated-data
rule, units on the strip and legend, and the print link that asks before printing every grid."""

from __future__ import annotations

from collections.abc import Iterator

import dash
import pytest
from sqlalchemy import Connection, create_engine, text

from dashboards import _risk_panel
from dashboards._i18n import LANGUAGE_COOKIE, error_text
from dashboards._print_link import print_link
from geo import loaded
from geo.errors import DatabaseUnavailable, Forbidden, NotFound
from geo.status.read import find_buildings


@pytest.fixture
def city_conn(small_city_url: str) -> Iterator[Connection]:
    """A connection whose changes are rolled back at the end of the test."""
    engine = create_engine(small_city_url)
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()
    engine.dispose()


def test_an_address_typed_with_its_hao_finds_the_building_stored_without(city_conn: Connection) -> None:
    city_conn.execute(text("UPDATE buildings SET address = '东方路11' WHERE address = '东方路11号'"))
    for typed in ("东方路11号", "东方路１１号", "上海市浦东新区东方路11号", "东方路11"):
        found = find_buildings(city_conn, typed)
        assert found and found[0].label == "东方路11", typed


@pytest.mark.parametrize(
    ("error", "zh"),
    [
        (DatabaseUnavailable("could not connect to server"), "数据库暂不可用，请稍后重试"),
        (Forbidden("role 'analyst' may not write"), "当前账号无权执行此操作"),
        (NotFound("building 9 not found"), "未找到所请求的对象（或不在您的管辖范围内）"),
    ],
)
def test_errors_read_in_chinese_on_a_chinese_page_and_as_themselves_in_english(
    error: Exception, zh: str
) -> None:
    assert error_text(error, "zh") == zh
    assert error_text(error, "en") == str(error)


def _texts(component: object) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif node is not None and hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return found


SUMMARY = {"zones": {}, "status_known": True}


def test_the_read_only_role_is_not_offered_to_declare() -> None:
    assert "确认发布" in _texts(_risk_panel.simulation_panel(SUMMARY, "zh", writes=True))
    shown = _texts(_risk_panel.simulation_panel(SUMMARY, "zh", writes=False))
    assert "确认发布" not in shown
    assert "清除模拟" in shown
    assert "当前账号为只读，不能发布风险区域" in shown


@pytest.mark.parametrize(
    ("hours", "zh"),
    [
        (312.0, "距可解封 13 天 0 小时（共 312 小时）"),  # was "14 天（312 小时）"
        (312.4, "距可解封 13 天 0 小时（共 312 小时）"),
        (335.6, "距可解封 14 天 0 小时（共 336 小时）"),
        (5.2, "距可解封 0 天 5 小时（共 5 小时）"),
    ],
)
def test_the_lifting_countdown_says_whole_days_and_the_hours_left(hours: float, zh: str) -> None:
    sop = {"state": "active", "hours_to_lift": hours, "days_to_lift": 99}
    assert _risk_panel._lift(sop, "zh") == zh


def test_the_language_named_in_a_url_is_remembered_for_a_url_typed_without(city_app: dash.Dash) -> None:
    client = city_app.server.test_client()
    first = client.get("/house-status?lang=en")
    assert f"{LANGUAGE_COOKIE}=en" in first.headers.get("Set-Cookie", "")
    # Dash draws a page from a callback: its layout reads the cookie the browser sends back.
    with city_app.server.test_request_context(
        "/_dash-update-component", headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}
    ):
        from dashboards._i18n import language

        assert language(None, "zh") == "en"
        assert language("zh", "zh") == "zh"
    with city_app.server.test_request_context("/"):
        assert language(None, "zh") == "zh"


def test_one_rule_says_whether_a_map_shows_simulated_data(city_conn: Connection) -> None:
    assert not loaded.shows_simulated(city_conn, ["house-status", "responsibility", "flows"])
    city_conn.execute(text("UPDATE grids SET source = 'simulated' WHERE id = (SELECT min(id) FROM grids)"))
    assert loaded.shows_simulated(city_conn, ["house-status"])
    assert loaded.shows_simulated(city_conn, ["responsibility"])
    assert not loaded.shows_simulated(city_conn, ["flows"])
    assert not loaded.shows_simulated(city_conn, ["basemap"])


def test_the_print_link_with_nothing_chosen_asks_naming_the_grids() -> None:
    link = print_link("p", "/print/atlas.pdf?all=1&layer=house-status", "zh", grids=151)
    assert link.to_plotly_json()["props"]["data-confirm"] == (
        "尚未选择网格或街镇：将打印全部 151 个网格（每格一页）。继续？"
    )
