"""Read at a glance (issue 16), in headless Chromium at the sizes people use: a phone (390×844), the
wall at 1080p (1920×1080) and 4K (3840×2160). What is asserted is what a person sees: the map's width,
the header's height, nothing to scroll on the wall, the home page's map links on its first screen,
units beside every count, the "simulated data" badge. Screenshots go to artifacts/glance-a/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, text

from tests.e2e.support import console_errors, map_idle, wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "glance-a"
PHONE, WALL_1080, WALL_4K = (390, 844), (1920, 1080), (3840, 2160)
MAP_PAGES = (("/house-status", "hs"), ("/responsibility", "rs"), ("/flows", "fl"))

pytestmark = pytest.mark.slow


def _viewport(browser: webdriver.Chrome, size: tuple[int, int]) -> None:
    """Make the page's viewport (not the window) exactly ``size``, as the device would (CSS pixels)."""
    width, height = size
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [width, height]


def _shot(browser: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.save_screenshot(str(ARTIFACTS / f"e2e-{name}-{width}x{height}.png"))


def _text(browser: webdriver.Chrome, element_id: str) -> str:
    found = browser.find_elements(By.ID, element_id)  # none until Dash has drawn the page
    return found[0].text if found else ""


def _rect(browser: webdriver.Chrome, selector: str) -> dict:
    return browser.execute_script(
        "var r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return {left: r.left, top: r.top, width: r.width, height: r.height,"
        " bottom: r.bottom, right: r.right};",
        selector,
    )


@pytest.fixture(scope="module", autouse=True)
def window_back(session_browser: webdriver.Chrome, server_url: str) -> Iterator[None]:
    """The session's browser goes back to its usual window and Chinese when this module is done."""
    yield
    session_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    session_browser.get(f"{server_url}/?lang=zh")


@pytest.fixture
def simulated_grid(e2e_database: str) -> Iterator[None]:
    """One grid of the fixture city stored as simulated (as the demo's are), for the test only."""
    engine = create_engine(e2e_database)
    try:
        with engine.begin() as conn:
            grid, source = conn.execute(text("SELECT id, source FROM grids ORDER BY id LIMIT 1")).one()
            conn.execute(text("UPDATE grids SET source = 'simulated' WHERE id = :g"), {"g": grid})
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE grids SET source = :s WHERE id = :g"), {"s": source, "g": grid})
        engine.dispose()


@pytest.mark.parametrize(("path", "name"), MAP_PAGES)
def test_on_a_phone_the_map_comes_first_full_width_under_a_one_line_header(
    browser: webdriver.Chrome, server_url: str, path: str, name: str
) -> None:
    _viewport(browser, PHONE)
    browser.get(f"{server_url}{path}")
    wait_for(lambda: map_idle(browser, f"bm-map-{name}"), timeout=30, message=f"the map of {path}")
    header = _rect(browser, "#map-header")
    canvas = _rect(browser, f"#bm-map-{name} canvas")
    side = _rect(browser, ".bm-side")
    assert header["height"] <= 64, header
    assert canvas["width"] >= 0.9 * PHONE[0], canvas
    assert canvas["height"] >= 240, canvas
    # The side panel is a bottom sheet: below the map, as wide as the screen, scrolling on its own.
    assert side["top"] >= canvas["bottom"] - 1 and side["width"] >= 0.95 * PHONE[0], side
    assert side["bottom"] <= PHONE[1] + 1, side
    assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    # The links fold behind the menu button and open from it.
    nav = browser.find_element(By.CSS_SELECTOR, "#map-header .bm-nav")
    assert not nav.is_displayed()
    _shot(browser, f"phone{path.replace('/', '-')}")
    browser.find_element(By.ID, "map-menu").click()
    wait_for(nav.is_displayed, message="the menu to open")
    assert "首页" in nav.text and "大屏" in nav.text
    _shot(browser, f"phone{path.replace('/', '-')}-menu")
    browser.find_element(By.ID, "map-menu").click()
    wait_for(lambda: not nav.is_displayed(), message="the menu to close")


_SCROLLABLE = """
return Array.prototype.filter.call(document.querySelectorAll(arguments[0] + ' *'), function (e) {
  var style = getComputedStyle(e);
  var scrolls = /(auto|scroll)/.test(style.overflowY + style.overflowX);
  return scrolls && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
}).map(function (e) { return e.tagName + '.' + e.className; });
"""


@pytest.mark.parametrize("size", [WALL_1080, WALL_4K], ids=["1080p", "4k"])
def test_the_wall_needs_no_scrolling_and_shows_what_changed(
    browser: webdriver.Chrome, server_url: str, size: tuple[int, int]
) -> None:
    _viewport(browser, size)
    console_errors(browser)
    browser.get(f"{server_url}/wall")
    wait_for(
        lambda: _text(browser, "wall-title") and map_idle(browser, "bm-map-wall"),
        timeout=30,
        message="the wall's first map",
    )
    wait_for(lambda: _text(browser, "wall-changed"), message="the recent changes")
    height = size[1]
    assert browser.execute_script("return document.documentElement.scrollHeight") <= height
    assert browser.execute_script(_SCROLLABLE, ".bm-wall") == []
    side = _rect(browser, ".bm-wall-side")
    changed = _rect(browser, "#wall-changed h3")
    assert changed["bottom"] <= side["bottom"] <= height, (changed, side)
    for selector in ("#wall-kpis", "#wall-legend", "#wall-changed h3"):
        assert _rect(browser, selector)["bottom"] <= height, selector
    # The wall's legend counts buildings and the strip households: both say so.
    assert "楼栋" in browser.find_element(By.CSS_SELECTOR, "#wall-legend h3").text
    labels = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#wall-kpis .bm-kpi-label")]
    # (the wall rotates: the responsibility map's strip counts buildings and people)
    assert labels and all(label.endswith(("· 户", "· 栋", "· 人")) for label in labels), labels
    assert "栋" in browser.find_element(By.CSS_SELECTOR, "#wall-changed h3").text
    wait_for(lambda: map_idle(browser, "bm-map-wall"), message="the wall's map (it rotates)")
    _shot(browser, "wall")
    assert console_errors(browser) == []


@pytest.mark.parametrize("size", [PHONE, WALL_1080], ids=["phone", "1080p"])
def test_the_home_page_opens_on_its_maps(
    browser: webdriver.Chrome, server_url: str, size: tuple[int, int]
) -> None:
    _viewport(browser, size)
    browser.get(f"{server_url}/")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, ".bm-map-card"), message="the map cards")
    for layer in ("house-status", "responsibility", "flows"):
        wait_for(lambda layer=layer: map_idle(browser, f"bm-map-home-{layer}"), timeout=30, message=layer)
    cards = browser.find_elements(By.CSS_SELECTOR, ".bm-map-card")
    assert [c.get_attribute("data-map") for c in cards] == ["house-status", "responsibility", "flows"]
    for card in cards:
        title = card.find_element(By.CSS_SELECTOR, ".bm-map-card-title")
        bottom = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", title)
        assert bottom <= size[1], (card.get_attribute("data-map"), bottom)
        assert card.find_element(By.CSS_SELECTOR, ".bm-headline-value").text.replace(",", "").isdigit()
    links = [c.find_element(By.CSS_SELECTOR, "a").get_attribute("href") for c in cards]
    assert [link.split("?")[0].removeprefix(server_url) for link in links] == [
        "/house-status",
        "/responsibility",
        "/flows",
    ]
    # The loaded-data table comes after the maps.
    assert _rect(browser, "#home-counts")["top"] > _rect(browser, "#home-maps")["bottom"]
    _shot(browser, "home")


def test_counts_say_what_they_count_and_the_slider_has_no_bare_number_box(
    browser: webdriver.Chrome, server_url: str
) -> None:
    _viewport(browser, WALL_1080)
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#hs-kpis .bm-kpi"), message="the KPI strip")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#hs-legend h3"), message="the legend")
    total = browser.find_element(By.CSS_SELECTOR, ".bm-kpi[data-kpi='total'] .bm-kpi-label").text
    confirmed = browser.find_element(By.CSS_SELECTOR, ".bm-kpi[data-kpi='confirmed'] .bm-kpi-label").text
    assert total == "总户数 · 户" and confirmed == "确诊 · 户"
    assert browser.find_element(By.CSS_SELECTOR, "#hs-legend h3").text == "图例（楼栋数）"
    assert "数字为楼栋数" in browser.find_element(By.CSS_SELECTOR, "#hs-legend .bm-legend-note").text
    assert browser.find_elements(By.CSS_SELECTOR, ".bm-controls input[type='number']") == []
    browser.get(f"{server_url}/flows")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#fl-legend h3"), message="the flow legend")
    assert browser.find_element(By.CSS_SELECTOR, "#fl-legend h3").text == "图例（段数）"
    assert browser.find_elements(By.CSS_SELECTOR, ".bm-controls input[type='number']") == []


def test_pages_that_draw_simulated_rows_say_so(
    browser: webdriver.Chrome, server_url: str, simulated_grid: None
) -> None:
    _viewport(browser, WALL_1080)
    for path in ("/house-status", "/responsibility"):
        browser.get(f"{server_url}{path}")
        badge = wait_for(
            lambda: browser.find_elements(By.ID, "simulated-badge"), message=f"the badge on {path}"
        )
        assert badge[0].is_displayed() and badge[0].text == "模拟数据"
    browser.get(f"{server_url}/flows")  # transfers and gate counts: none simulated in the fixture
    wait_for(lambda: browser.find_elements(By.ID, "map-header"), message="the flows header")
    assert browser.find_elements(By.ID, "simulated-badge") == []
    browser.get(f"{server_url}/wall")
    badge = wait_for(lambda: browser.find_elements(By.ID, "wall-simulated-badge"), message="the wall's badge")
    assert badge[0].text == "模拟数据"
    _shot(browser, "wall-simulated")


def test_without_simulated_rows_no_badge(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: browser.find_elements(By.ID, "map-header"), message="the header")
    assert browser.find_elements(By.ID, "simulated-badge") == []


def _header(browser: webdriver.Chrome) -> str:
    found = browser.find_elements(By.ID, "map-header")
    return (found[0].get_attribute("textContent") or "") if found else ""


def test_the_language_chosen_stays_for_a_typed_url(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: "首页" in _header(browser), message="the Chinese header")
    browser.find_element(By.LINK_TEXT, "English").click()
    wait_for(lambda: "Home" in _header(browser), message="the English header")
    browser.get(f"{server_url}/responsibility")  # typed, no ?lang=
    wait_for(lambda: _header(browser), message="the header")
    assert "Building-responsibility map" in _header(browser)
    browser.get(f"{server_url}/?lang=zh")
    browser.get(f"{server_url}/flows")
    wait_for(lambda: _header(browser), message="the header")
    assert "首页" in _header(browser)
