"""The vaccination campaign board (/campaign) in headless Chromium on the demo campaign (Pudong's 36
sub-districts, simulated counts): the table shows the board's numbers, the two lagging sub-districts
carry the behind colour of ``layers.style`` on screen and are outlined on the map, a click shows a
sub-district's funnel and cumulative line, and the page is shot at phone, desktop and 4K sizes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine

from app import create_app
from dashboards._campaign_views import figure
from etl import pipeline
from etl.demo.campaign import CAMPAIGN, LAGGING, LAST_DAY, load_campaign
from etl.demo.sample import STEPS, sample_path
from etl.jobs.base import LoadOptions
from geo.campaign.board import board
from geo.settings import Settings
from layers.style import BEHIND_SWATCH
from tests.e2e.harness import chromium, serving
from tests.e2e.support import console_errors, map_idle, rgb, wait_for
from tests.fixtures.databases import sibling_url, throwaway_database

MAP = "bm-map-cp"
REQUESTS: list[str] = []
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "campaign"
SIZES = ((390, 844), (1920, 1080), (3840, 2160))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def campaign_url(database_url: str) -> Iterator[str]:
    """Pudong's units (the real sample) and the demo campaign, loaded as `battlemap demo load` does."""
    with throwaway_database(sibling_url(database_url, "campaign_e2e")) as url:
        settings = Settings(_env_file=None, database={"url": url})
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                for step in STEPS[:2]:  # districts and sub-districts
                    options = LoadOptions(**{**step.options.__dict__, "progress": False})
                    pipeline.load(
                        conn, step.kind, sample_path(settings.demo.sample_dir, step.file), options=options
                    )
                list(load_campaign(conn, settings=settings))
        finally:
            engine.dispose()
        yield url


@pytest.fixture(scope="module")
def expected(campaign_url: str) -> dict:
    engine = create_engine(campaign_url)
    try:
        with engine.connect() as conn:
            return {r.code: r for r in board(conn, CAMPAIGN, day=LAST_DAY)}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def site(campaign_url: str) -> Iterator[str]:
    # The wall of this server shows the campaign entry only.
    settings = Settings(_env_file=None, database={"url": campaign_url}, map={"wall_playlist": ["campaign"]})
    with serving(create_app(settings), REQUESTS) as served:
        yield served


@pytest.fixture(scope="module")
def chrome(site: str) -> Iterator[webdriver.Chrome]:
    with chromium(site) as driver:
        yield driver


def _rows(browser: webdriver.Chrome) -> list:
    return browser.find_elements(By.CSS_SELECTOR, "#cp-table tbody tr")


def _pixel(browser: webdriver.Chrome, element: object) -> tuple[int, int, int]:
    """The screen colour at the middle of ``element``'s left part (a screenshot, not the DOM's style)."""
    rect = browser.execute_script(
        "var r = arguments[0].getBoundingClientRect(); return [r.left + 3, r.top + r.height / 2];", element
    )
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    ratio = image.width / browser.execute_script("return window.innerWidth")
    return image.getpixel((round(rect[0] * ratio), round(rect[1] * ratio)))


def _close(actual: tuple[int, int, int], expected: str, tolerance: int = 14) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, rgb(expected), strict=True))


def test_board_numbers_and_flags_on_screen(chrome: webdriver.Chrome, site: str, expected: dict) -> None:
    chrome.set_window_size(1920, 1080)
    console_errors(chrome)
    chrome.get(f"{site}/campaign")
    rows = wait_for(lambda: len(_rows(chrome)) == 36 and _rows(chrome), timeout=40, message="36 board rows")
    assert len(expected) == 36
    for row in rows:
        code = row.get_attribute("data-unit")
        want = expected[code]
        cells = {
            c.get_attribute("data-col"): c.text for c in row.find_elements(By.CSS_SELECTOR, "td[data-col]")
        }
        for name in (
            "target",
            "organised",
            "booked",
            "vaccinated",
            "remaining",
            "days_left",
            "daily_needed",
            "avg_7d",
        ):
            assert cells[name] == figure(getattr(want, name), "zh"), (code, name)
    behind = [r.get_attribute("data-unit") for r in rows if "bm-behind" in (r.get_attribute("class") or "")]
    assert sorted(behind) == sorted(LAGGING)
    chip = rows[[r.get_attribute("data-unit") for r in rows].index(LAGGING[0])].find_element(
        By.CSS_SELECTOR, "[data-flag='behind']"
    )
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", chip)
    assert _close(_pixel(chrome, chip), BEHIND_SWATCH.fill), "the behind chip is drawn in the behind colour"
    assert chrome.find_element(By.CSS_SELECTOR, "[data-kpi='behind'] .bm-kpi-value").text == "2"
    assert (
        "任务总量" in chrome.page_source
        and "剩余任务量" in chrome.page_source
        and "日均任务量" in chrome.page_source
    )

    wait_for(lambda: map_idle(chrome, MAP), timeout=40, message="the choropleth to load")
    outlined = chrome.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map;"
        "return m.queryRenderedFeatures({layers: ['campaign-behind']})"
        ".map(function (f) { return f.properties.code; });",
        MAP,
    )
    assert set(outlined) == set(LAGGING)
    assert not [e for e in console_errors(chrome) if "favicon" not in e["message"]]


def test_click_shows_the_funnel_and_the_line(chrome: webdriver.Chrome, site: str, expected: dict) -> None:
    chrome.set_window_size(1920, 1080)
    chrome.get(f"{site}/campaign")
    wait_for(lambda: len(_rows(chrome)) == 36, timeout=40, message="36 board rows")
    row = next(r for r in _rows(chrome) if r.get_attribute("data-unit") == LAGGING[0])
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    row.click()
    name = expected[LAGGING[0]].unit
    wait_for(lambda: chrome.find_element(By.ID, "cp-detail-title").text == name, message="the unit's detail")
    vaccinated = f"{expected[LAGGING[0]].vaccinated:,}"
    wait_for(lambda: vaccinated in chrome.find_element(By.ID, "cp-funnel").text, message="the unit's funnel")
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#cp-series .scatterlayer .trace")) == 2


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_screenshots(chrome: webdriver.Chrome, site: str, size: tuple[int, int]) -> None:
    width, height = size
    chrome.set_window_size(width, height)
    chrome.get(f"{site}/campaign")
    wait_for(lambda: len(_rows(chrome)) == 36, timeout=40, message="36 board rows")
    wait_for(lambda: map_idle(chrome, MAP), timeout=40, message="the choropleth to load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / f"campaign-{width}x{height}.png"))
    wide = chrome.execute_script(
        "return Array.from(document.querySelectorAll('body *')).filter(function (e) {"
        " return e.getBoundingClientRect().right > window.innerWidth + 1"
        " && !e.closest('.bm-cp-table-wrap'); })"
        ".slice(0, 5).map(function (e) { return e.tagName + '.' + e.className; });"
    )
    assert wide == [], "the page does not scroll sideways (the table scrolls in its own box)"
    row = next(r for r in _rows(chrome) if r.get_attribute("data-unit") == LAGGING[1])
    chrome.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    chrome.save_screenshot(str(ARTIFACTS / f"campaign-{width}x{height}-flagged.png"))


def test_wall_entry_outlines_and_lists_the_flagged(
    chrome: webdriver.Chrome, site: str, expected: dict
) -> None:
    chrome.set_window_size(1920, 1080)
    chrome.get(f"{site}/wall")
    wait_for(
        lambda: (
            "疫苗接种挂图" in " ".join(e.text for e in chrome.find_elements(By.ID, "wall-title"))
            and map_idle(chrome, "bm-map-wall")
        ),
        timeout=40,
        message="the wall's campaign map",
    )
    listed = [e.get_attribute("data-unit") for e in chrome.find_elements(By.CSS_SELECTOR, "#wall-legend li")]
    assert sorted(listed) == sorted(LAGGING)
    kpi = chrome.find_element(By.CSS_SELECTOR, "#wall-kpis [data-kpi='behind'] .bm-kpi-value")
    assert kpi.text == "2"
    outlined = wait_for(
        lambda: chrome.execute_script(
            "var m = window.battlemapMaps[arguments[0]].map;"
            "return m.queryRenderedFeatures({layers: ['campaign-behind']})"
            ".map(function (f) { return f.properties.code; });",
            "bm-map-wall",
        ),
        message="behind outlines on the wall",
    )
    assert set(outlined) == set(LAGGING)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chrome.save_screenshot(str(ARTIFACTS / "wall-campaign-1920x1080.png"))
