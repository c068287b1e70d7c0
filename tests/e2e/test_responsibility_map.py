"""The building-responsibility map in headless Chromium: grid colours, gaps, overloaded people, card."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from layers.style import GAP_SWATCH, categorical
from tests.e2e.support import (
    REQUESTS,
    click_building,
    close,
    colour_at,
    console_errors,
    map_idle,
    screenshot,
    wait_for,
)
from tests.fixtures import small_city as city

MAP = "bm-map-rs"

pytestmark = pytest.mark.slow


def test_buildings_are_coloured_by_grid_and_gaps_stand_out(
    browser: webdriver.Chrome, server_url: str
) -> None:
    console_errors(browser)
    REQUESTS.clear()
    browser.get(f"{server_url}/responsibility")
    wait_for(lambda: map_idle(browser, MAP), timeout=30, message="the map to load its tiles")
    assert any(path.startswith("/tiles/responsibility/") for path in REQUESTS)
    wait_for(
        lambda: (
            close(colour_at(browser, "b12", MAP), GAP_SWATCH.fill, tolerance=40)
            and close(colour_at(browser, "b06", MAP), categorical(1), tolerance=40)
        ),
        message="G2 buildings in the gap colour and G1 in grid 1's colour",
    )
    gaps = {
        row.get_attribute("data-grid"): row.text.split()[-1]
        for row in browser.find_elements(By.CSS_SELECTOR, "#rs-gaps tbody tr")
    }
    assert gaps == {"G2": "6", "G1": "0"}
    people = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#rs-overloaded tbody tr"), message="people"
    )
    assert [(p.get_attribute("data-person"), p.text.split()[-1]) for p in people] == [
        ("sim-L1", "5"),
        ("sim-L2", "5"),
    ]
    legend = browser.find_element(By.CLASS_NAME, "bm-legend").text
    assert "一网格" in legend and "二网格" in legend and f"{GAP_SWATCH.label_zh}\n6" in legend
    screenshot(browser, "responsibility")
    assert console_errors(browser) == []


def test_clicking_a_building_shows_its_chain_and_its_gap(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/responsibility")
    wait_for(lambda: map_idle(browser, MAP), timeout=30, message="the map to load its tiles")
    click_building(browser, "b12", MAP)
    wait_for(
        lambda: "12号楼" in browser.find_element(By.ID, "rs-card").text, message="the card of 12号楼 (G2)"
    )
    levels = [
        li.get_attribute("data-level")
        for li in browser.find_elements(By.CSS_SELECTOR, "#rs-card .bm-card-chain li")
    ]
    # G2 has no cadre and b12 no building leader: both are listed as missing, in the gap style.
    assert levels[:4] == ["command_hq", "leadership_member", "area_secretary", "social_worker"]
    missing = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#rs-card .bm-card-chain li.bm-gap")]
    assert len(missing) == 2 and any("干部" in m for m in missing) and any("楼组长" in m for m in missing)
    assert city.CONTACT_NAME not in browser.page_source and city.CONTACT_PHONE not in browser.page_source
    screenshot(browser, "responsibility-card")
    assert console_errors(browser) == []
