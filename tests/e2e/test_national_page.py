"""The national overview (/national) in headless Chromium: the city's row with its figures, and its
sub-district drawn on the map from the ``national`` tiles, at a wall, a desktop and a phone size."""

from __future__ import annotations

import pytest
from selenium import webdriver
from sqlalchemy import create_engine

from dashboards import _formats as fmt
from geo.clock import china_today
from geo.rollup.compute import refresh
from geo.status.kpis import kpis
from tests.e2e.support import console_errors, map_idle, screenshot, wait_for

MAP = "bm-map-national"
# The city's row as the page shows it now (the table is redrawn on every refresh).
_ROW = (
    "var r = document.querySelector(\"#nat-cities tbody tr[data-city='e2e']\");"
    "return r && [r.dataset.stale, Array.from(r.cells).map(function (c) { return c.innerText; })];"
)
_DRAWN = (
    "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures({layers: ['national-fill']})"
    ".map(function (f) { return [f.properties.name, f.properties.households]; });"
)

pytestmark = pytest.mark.slow


def test_the_national_page_shows_the_city_and_its_sub_districts(
    browser: webdriver.Chrome, server_url: str, e2e_database: str
) -> None:
    engine = create_engine(e2e_database)
    try:
        with engine.begin() as conn:
            refresh(conn, city="e2e", name="测试市")
            figures = kpis(conn, date=china_today())
    finally:
        engine.dispose()
    console_errors(browser)
    for width, height, name in ((1920, 1080, "desktop"), (3840, 2160, "wall"), (390, 844, "phone")):
        browser.set_window_size(width, height)
        browser.get(f"{server_url}/national")
        wait_for(lambda: map_idle(browser, MAP), timeout=30, message="the national map to load its tiles")
        stale, cells = wait_for(lambda: browser.execute_script(_ROW), message="the city's row")
        assert cells[0].split()[:2] == ["测试市", "正常"] and stale == "false"
        not_normal = figures.total - figures.households["normal"]
        assert cells[1:4] == [fmt.day(china_today(), "zh"), f"{figures.total:,}", f"{not_normal:,}"]
        wait_for(
            lambda: ["陆家嘴街道", figures.total] in browser.execute_script(_DRAWN, MAP),
            message="the sub-district drawn from the national tiles",
        )
        screenshot(browser, f"national-{name}")
    browser.set_window_size(1920, 1080)
    errors = console_errors(browser)
    assert errors == [], [e["message"][:600] for e in errors]
