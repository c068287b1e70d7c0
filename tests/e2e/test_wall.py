"""The wall display in headless Chromium: rotates, keeps the last picture with a "stale since" badge
while the database is cut (through the test's TCP proxy), and recovers by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, text

from layers.style import BASEMAP
from tests.e2e.support import (
    WALL_REFRESH_SECONDS,
    WALL_ROTATE_SECONDS,
    TcpProxy,
    close,
    colour_at,
    console_errors,
    map_idle,
    rendered_ids,
    screenshot,
    wait_for,
)

MAP = "bm-map-wall"

pytestmark = pytest.mark.slow


def _title(browser: webdriver.Chrome) -> str:
    found = browser.find_elements(By.ID, "wall-title")  # none until Dash has drawn the page
    return found[0].text if found else ""


def _badge(browser: webdriver.Chrome) -> str | None:
    badge = browser.find_element(By.ID, "wall-stale")
    return badge.text if badge.is_displayed() else None


def test_the_wall_rotates_goes_stale_without_the_database_and_recovers(
    browser: webdriver.Chrome, server_url: str, db_proxy: TcpProxy
) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/wall")
    wait_for(
        lambda: "房态图" in _title(browser) and map_idle(browser, MAP),
        timeout=30,
        message="the wall's first map",
    )
    assert "2022年4月4日" in _title(browser)
    assert browser.find_element(By.ID, "wall-as-of").text.startswith("数据更新于 20")
    clock = browser.find_element(By.ID, "wall-clock").text
    wait_for(lambda: browser.find_element(By.ID, "wall-clock").text != clock, message="the clock to tick")
    assert not close(colour_at(browser, "b01", MAP), BASEMAP["dark_background"], tolerance=20)
    screenshot(browser, "wall-house-status")
    wait_for(
        lambda: "楼组包干图" in _title(browser) and map_idle(browser, MAP),
        timeout=WALL_ROTATE_SECONDS * 2 + 10,
        message="the wall to rotate to the responsibility map",
    )
    screenshot(browser, "wall-responsibility")
    picture = colour_at(browser, "b12", MAP)
    assert _badge(browser) is None

    db_proxy.cut()
    try:
        badge = wait_for(lambda: _badge(browser), timeout=WALL_REFRESH_SECONDS * 3, message="the stale badge")
        assert badge.startswith("数据连接中断 · 画面停留于 ")
        # The last good picture stays: same map, same colours, no rotation while stale.
        wait_for(lambda: map_idle(browser, MAP), message="the map to settle")
        assert close(colour_at(browser, "b12", MAP), "#{:02x}{:02x}{:02x}".format(*picture), tolerance=8)
        assert "楼组包干图" in _title(browser)
        screenshot(browser, "wall-stale")
    finally:
        db_proxy.restore()
    wait_for(
        lambda: _badge(browser) is None, timeout=WALL_REFRESH_SECONDS * 3 + 5, message="the wall to recover"
    )
    wait_for(lambda: map_idle(browser, MAP), message="the map after recovery")
    screenshot(browser, "wall-recovered")
    assert console_errors(browser) == []


@pytest.fixture
def fresh_status_change(e2e_database: str) -> Iterator[int]:
    """A status row loaded just now for a household of b11, the fixture's own rows aged by a day (the
    city was loaded seconds ago); all undone afterwards. Yields b11's id."""
    engine = create_engine(e2e_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE house_status SET loaded_at = loaded_at - interval '1 day'"))
            building = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b11'")).scalar_one()
            conn.execute(
                text("""
                INSERT INTO house_status (household_id, status, valid_from, source, source_id)
                SELECT id, 'health_monitoring', DATE '2022-04-04', 'e2e', 'e2e-wall-change'
                FROM households WHERE building_id = :building ORDER BY id LIMIT 1"""),
                {"building": building},
            )
        yield building
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM house_status WHERE source_id = 'e2e-wall-change'"))
            conn.execute(text("UPDATE house_status SET loaded_at = loaded_at + interval '1 day'"))
        engine.dispose()


def test_the_wall_outlines_what_changed_recently(
    browser: webdriver.Chrome, server_url: str, fresh_status_change: int
) -> None:
    browser.get(f"{server_url}/wall")
    wait_for(lambda: map_idle(browser, MAP) and _title(browser), timeout=30, message="the wall's first map")
    panel = wait_for(
        lambda: (text := browser.find_element(By.ID, "wall-changed").text) and "东方路11号" in text and text,
        timeout=WALL_REFRESH_SECONDS * 3,
        message="b11 listed among the recent changes",
    )
    assert panel.startswith("近 30 分钟房态变化楼栋 · 1")
    layer = browser.execute_script("return window.battlemapMaps[arguments[0]].spec.highlightLayer", MAP)
    wait_for(
        lambda: map_idle(browser, MAP) and rendered_ids(browser, layer, MAP) == {fresh_status_change},
        message="b11, and only b11, outlined in the change colour",
    )
    screenshot(browser, "wall-changed")
    assert console_errors(browser) == []
