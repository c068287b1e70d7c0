"""The key places (重点场所) on the house-status map in headless Chromium: the dots drawn in their
kind's colour over the buildings, the toggle that hides them, the legend and the counts per grid,
and the simulated risk zones' key places in the zone panel.

The key places (tests/fixtures/key_places.py) are loaded for these tests and deleted afterwards, so
the other browser tests see the small city as it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, text

from dashboards import _ids as ids
from geo.db import read_connection
from geo.risk.whatif import simulate_at_building
from layers.style import KEY_PLACE_SWATCHES, status_swatch
from tests.e2e.support import click_building, close, colour_at, console_errors, map_idle, screenshot, wait_for
from tests.fixtures import small_city as city
from tests.fixtures.key_places import G1_KEY_PLACES, G2_KEY_PLACES, load_key_places

pytestmark = pytest.mark.slow
SIZES = ((390, 844), (1920, 1080), (3840, 2160))
SHOP = next(s for s in KEY_PLACE_SWATCHES if s.code == "street_shop")


@pytest.fixture(scope="module")
def key_places_loaded(e2e_database: str) -> Iterator[None]:
    engine = create_engine(e2e_database)
    with engine.begin() as conn:
        load_key_places(conn)
    yield
    with engine.begin() as conn:  # the trigger bumps data_versions: no tile of these stays cached
        conn.execute(text("DELETE FROM places WHERE source_id LIKE 'kp-%'"))
    engine.dispose()


def _open(browser: webdriver.Chrome, url: str) -> None:
    browser.get(url)
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")


def _grid_counts(browser: webdriver.Chrome) -> dict[str, int]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{ids.HS_KEY_PLACES} tr[data-grid]")
    return {
        row.get_attribute("data-grid"): int(
            row.find_element(By.CSS_SELECTOR, 'td[data-count="key_places"]').text
        )
        for row in rows
    }


def _zone_cells(browser: webdriver.Chrome) -> dict[str, int]:
    cells = browser.find_elements(By.CSS_SELECTOR, f'#{ids.HS_RISK_SIM} td[data-count="key_places"]')
    return {
        c.find_element(By.XPATH, "..").get_attribute("data-zone"): int(c.text.replace(",", "")) for c in cells
    }


def test_key_places_are_drawn_counted_per_grid_and_toggled(
    browser: webdriver.Chrome, server_url: str, key_places_loaded: None
) -> None:
    console_errors(browser)
    _open(browser, f"{server_url}/house-status")
    # A street shop lies at b01's centre: its dot is drawn over the building's confirmed red.
    wait_for(lambda: close(colour_at(browser, "b01"), SHOP.fill), message="the shop's dot at b01")
    panel = browser.find_element(By.ID, ids.HS_KEY_PLACES)
    assert "重点场所" in panel.text and "沿街商户" in panel.text
    legend = {
        li.get_attribute("data-code"): li.text.split("\n")[-1]
        for li in panel.find_elements(By.CSS_SELECTOR, "li[data-code]")
    }
    assert legend == {"street_shop": "5", "office_building": "3", "firm": "2", "key_industry": "3"}
    assert _grid_counts(browser) == {"G1": G1_KEY_PLACES, "G2": G2_KEY_PLACES}
    screenshot(browser, "key-places")

    toggle = panel.find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    assert toggle.is_selected()
    toggle.click()
    confirmed = status_swatch("confirmed").fill
    wait_for(lambda: close(colour_at(browser, "b01"), confirmed), message="b01 in its status once hidden")
    toggle.click()
    wait_for(lambda: close(colour_at(browser, "b01"), SHOP.fill), message="the dot back")

    for width, height in SIZES:
        browser.set_window_size(width, height)
        time.sleep(0.5)
        wait_for(lambda: map_idle(browser), timeout=30, message=f"the map at {width}x{height}")
        panel = browser.find_element(By.ID, ids.HS_KEY_PLACES)
        browser.execute_script("arguments[0].scrollIntoView()", panel)
        assert panel.is_displayed() and panel.rect["width"] <= width
        screenshot(browser, f"key-places-{width}x{height}")
    assert console_errors(browser) == []


def test_low_zoom_draws_one_cluster_in_the_dominant_kind(
    browser: webdriver.Chrome, server_url: str, key_places_loaded: None
) -> None:
    _open(browser, f"{server_url}/house-status")
    browser.execute_script(
        "window.battlemapMaps[arguments[0]].map.jumpTo({center: arguments[1], zoom: 12});",
        "bm-map-hs",
        list(city.centre("b06")),
    )
    wait_for(lambda: map_idle(browser), timeout=30, message="the map at zoom 12")
    drawn = browser.execute_script(
        "var m = window.battlemapMaps['bm-map-hs'].map;"
        "return m.queryRenderedFeatures({layers: ['key-places-clusters']})"
        ".map(function (f) { return [f.properties.count, f.properties.kind]; });"
    )
    assert sum(count for count, _ in drawn) == G1_KEY_PLACES + G2_KEY_PLACES
    assert {kind for _, kind in drawn} <= {"street_shop", "office_building", "firm", "key_industry"}
    screenshot(browser, "key-places-clusters")


def test_the_zone_panel_counts_the_key_places_of_a_simulated_case(
    browser: webdriver.Chrome, server_url: str, e2e_database: str, key_places_loaded: None
) -> None:
    engine = create_engine(e2e_database)
    try:
        with read_connection(engine) as conn:
            b06 = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b06'")).scalar_one()
            expected = simulate_at_building(conn, b06, date=city.LAST_DAY).summary()["zones"]
    finally:
        engine.dispose()
    assert expected["sealed"]["key_places"] == G1_KEY_PLACES  # the compound holds G1's key places
    _open(browser, f"{server_url}/house-status")
    click_building(browser, "b06")
    button = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, f'button[id*=\'"type":"{ids.HS_SIMULATE}"\']'),
        message="the card's simulate button",
    )[0]
    button.click()
    expected_cells = {zone: counts["key_places"] for zone, counts in expected.items()}
    # The panel is drawn again at each refresh: read it whole, else again (a stale cell is "not yet").
    wait_for(lambda: _zone_cells(browser) == expected_cells, message="the zones' key places in the panel")
    title = wait_for(
        lambda: browser.find_element(
            By.CSS_SELECTOR, f'#{ids.HS_RISK_SIM} tr[data-zone="sealed"] td[data-count="key_places"]'
        ).get_attribute("title"),
        message="the sealed zone's tooltip",
    )
    assert "沿街商户 5" in title and "餐饮 2" in title
    assert "重点场所" in browser.find_element(By.ID, ids.HS_RISK_SIM).text
    browser.execute_script("arguments[0].scrollIntoView()", browser.find_element(By.ID, ids.HS_RISK_SIM))
    screenshot(browser, "key-places-risk")
    browser.find_elements(By.CSS_SELECTOR, f'button[id*=\'"type":"{ids.HS_SIM_CLEAR}"\']')[0].click()
