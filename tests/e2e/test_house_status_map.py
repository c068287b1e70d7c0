"""The house-status map in headless Chromium: tiles drawn, colours by status, card, date control, search."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import create_engine, text

from layers.style import status_swatch
from tests.e2e.support import (
    REQUESTS,
    click_building,
    close,
    colour_at,
    console_errors,
    map_idle,
    rendered_ids,
    screenshot,
    wait_for,
)
from tests.fixtures import small_city as city

MAP = "bm-map-hs"

pytestmark = pytest.mark.slow


def _open(browser: webdriver.Chrome, url: str) -> None:
    browser.get(url)
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")


def _tile_requests(layer: str) -> list[str]:
    return [path for path in REQUESTS if path.startswith(f"/tiles/{layer}/")]


def test_the_page_draws_every_building_in_its_status_colour(
    browser: webdriver.Chrome, server_url: str
) -> None:
    console_errors(browser)
    REQUESTS.clear()
    _open(browser, f"{server_url}/house-status")
    assert _tile_requests("house-status") and _tile_requests("basemap")
    assert all("date=2022-04-04" in url for url in _tile_requests("house-status"))
    expected = {
        "b01": "confirmed",
        "b05": "sealed",
        "b09": "home_isolation",
        "b12": "normal",
        "b03": "normal",
    }
    wait_for(
        lambda: all(close(colour_at(browser, b), status_swatch(s).fill) for b, s in expected.items()),
        message="the buildings in their status colours",
    )
    legend = browser.find_element(By.CLASS_NAME, "bm-legend").text
    assert "确诊" in legend and "独居老人/残障" in legend
    kpis = {
        e.get_attribute("data-kpi"): e.text.split("\n")[0]
        for e in browser.find_elements(By.CLASS_NAME, "bm-kpi")
    }
    assert kpis == {
        "total": "36", "confirmed": "1", "close_contact": "1", "sealed": "3", "home_isolation": "1",
        "normal": "30", "changed": "0", "case-buildings": "1",
    }  # fmt: skip
    screenshot(browser, "house-status")
    assert console_errors(browser) == []


def test_clicking_a_building_opens_its_card(browser: webdriver.Chrome, server_url: str) -> None:
    _open(browser, f"{server_url}/house-status")
    click_building(browser, "b01")
    card = wait_for(
        lambda: "1号楼" in (text := browser.find_element(By.CLASS_NAME, "bm-card").text) and text,
        message="the card of 1号楼",
    )
    statuses = {
        li.get_attribute("data-status"): li.text.split()[-1]
        for li in browser.find_elements(By.CSS_SELECTOR, ".bm-card-statuses li")
    }
    assert statuses == {"confirmed": "1", "close_contact": "1", "normal": "1"}
    assert "东方路1号" in card and "东方小区" in card and "一网格" in card
    levels = [
        li.get_attribute("data-level") for li in browser.find_elements(By.CSS_SELECTOR, ".bm-card-chain li")
    ]
    assert levels == [
        "command_hq",
        "leadership_member",
        "cadre",
        "area_secretary",
        "social_worker",
        "building_leader",
    ]
    assert city.CONTACT_NAME not in browser.page_source and city.CONTACT_PHONE not in browser.page_source
    screenshot(browser, "house-status-card")
    assert console_errors(browser) == []


def test_the_date_control_changes_the_colours(browser: webdriver.Chrome, server_url: str) -> None:
    _open(browser, f"{server_url}/house-status")
    assert close(colour_at(browser, "b01"), status_swatch("confirmed").fill)
    handle = browser.find_element(By.CSS_SELECTOR, "[role=slider]")
    handle.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
    wait_for(
        lambda: browser.find_element(By.ID, "hs-date-label").text == "2022年4月2日", message="2022年4月2日"
    )
    wait_for(
        lambda: map_idle(browser) and close(colour_at(browser, "b01"), status_swatch("normal").fill),
        message="b01 back to normal on 2022-04-02",
    )
    assert close(colour_at(browser, "b05"), status_swatch("sealed").fill)
    assert any("date=2022-04-02" in url for url in _tile_requests("house-status"))
    screenshot(browser, "house-status-2022-04-02")
    assert console_errors(browser) == []


def test_search_flies_to_the_building_and_opens_its_card(browser: webdriver.Chrome, server_url: str) -> None:
    _open(browser, f"{server_url}/house-status?lang=en")
    box = browser.find_element(By.ID, "hs-search")
    box.send_keys("东方路12号", Keys.ENTER)
    wait_for(
        lambda: "12号楼" in browser.find_element(By.CLASS_NAME, "bm-card").text, message="the card of 12号楼"
    )
    wait_for(lambda: map_idle(browser), message="the map to settle")
    centre = browser.execute_script(
        "var c = window.battlemapMaps[arguments[0]].map.getCenter(); return [c.lng, c.lat]", MAP
    )
    assert centre == pytest.approx(list(city.centre("b12")), abs=2e-4)
    assert "Households by status" in browser.find_element(By.CLASS_NAME, "bm-card").text
    assert "Confirmed" in browser.find_element(By.CLASS_NAME, "bm-legend").text
    assert console_errors(browser) == []


def test_the_play_button_steps_through_the_days(browser: webdriver.Chrome, server_url: str) -> None:
    _open(browser, f"{server_url}/house-status")
    play = browser.find_element(By.ID, "hs-play")
    assert play.text == "▶ 播放"
    play.click()
    label = browser.find_element(By.ID, "hs-date-label")
    seen = {label.text}
    wait_for(
        lambda: seen.add(label.text) or len(seen) >= 3, timeout=10, message="three days shown while playing"
    )
    assert seen <= {"2022年4月1日", "2022年4月2日", "2022年4月3日", "2022年4月4日"}
    assert play.text == "⏸ 暂停"
    play.click()
    wait_for(lambda: play.text == "▶ 播放", message="the pause")
    assert console_errors(browser) == []


def _choose(browser: webdriver.Chrome, dropdown_id: str, label: str) -> None:
    """Pick ``label`` in a Dash dropdown the way a user does: open it, type, press Enter."""
    browser.find_element(By.ID, dropdown_id).click()
    typed = wait_for(
        lambda: browser.switch_to.active_element.tag_name == "input" and browser.switch_to.active_element,
        message=f"the search box of {dropdown_id}",
    )
    typed.send_keys(label)
    wait_for(
        lambda: any(label in o.text for o in browser.find_elements(By.CSS_SELECTOR, "[role=option]")),
        message=f"{label} among the options",
    )
    typed.send_keys(Keys.ENTER)


def test_a_grid_filter_narrows_the_map_and_the_kpis_and_flies_there(
    browser: webdriver.Chrome, server_url: str, e2e_database: str
) -> None:
    _open(browser, f"{server_url}/house-status")
    _choose(browser, "hs-filter-grid", "二网格")

    def kpi(code: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, f".bm-kpi[data-kpi='{code}']").text.split("\n")[0]

    # G2 holds six buildings of three households: 18 households, b05's sealed building is in G1.
    wait_for(lambda: kpi("total") == "18", message="the KPIs of grid G2 only")
    assert not browser.find_elements(By.CSS_SELECTOR, ".bm-kpi[data-kpi='confirmed']")
    g2 = _building_ids(e2e_database, city.G2)
    wait_for(
        lambda: map_idle(browser) and rendered_ids(browser, "house-status-fill") == g2,
        message="G2's buildings drawn and none of G1's",
    )
    west, south, east, north = browser.execute_script(
        "var b = window.battlemapMaps[arguments[0]].map.getBounds();"
        "return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];",
        MAP,
    )
    for building in city.G2:  # flown to the grid: all of it in view
        lon, lat = city.centre(building)
        assert west < lon < east and south < lat < north
    assert close(colour_at(browser, "b12"), status_swatch("normal").fill)
    screenshot(browser, "house-status-grid-G2")
    assert console_errors(browser) == []


def _building_ids(database: str, source_ids: list[str]) -> set[int]:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id FROM buildings WHERE source_id = ANY(:s)"), {"s": source_ids})
            return {int(r[0]) for r in rows}
    finally:
        engine.dispose()


def test_the_card_shows_who_to_call_only_when_asked_and_audits_it(
    browser: webdriver.Chrome, server_url: str, e2e_database: str
) -> None:
    _open(browser, f"{server_url}/house-status")
    click_building(browser, "b01")
    button = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, ".bm-card button[id*='bm-contacts-button']"),
        message="the card's contacts button",
    )[0]
    assert city.CONTACT_NAME not in browser.page_source  # opening a card reads no contacts
    before = _personal_views(e2e_database)
    button.click()
    table = wait_for(
        lambda: (found := browser.find_elements(By.CSS_SELECTOR, ".bm-contacts-table")) and found[0].text,
        message="the contacts of 1号楼",
    )
    assert city.CONTACT_NAME in table and city.CONTACT_PHONE in table  # the e2e user is a commander
    assert _personal_views(e2e_database) == before + 1
    assert console_errors(browser) == []


def _personal_views(database: str) -> int:
    engine = create_engine(database)
    try:
        with engine.connect() as conn:
            views = "SELECT count(*) FROM audit_log WHERE action = 'view_personal'"
            return conn.execute(text(views)).scalar_one()
    finally:
        engine.dispose()
