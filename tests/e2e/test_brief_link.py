"""The house-status map's daily-brief action: a link to ``/print/brief.pdf`` of the chosen day and
district or sub-district, visible at phone, desktop and wall sizes, that downloads the brief PDF."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboards import _ids as ids
from tests.e2e.support import console_errors, map_idle, screenshot, wait_for
from tests.fixtures import small_city as city

SIZES = ((390, 844), (1920, 1080), (3840, 2160))


def _query(browser: webdriver.Chrome) -> dict[str, list[str]]:
    href = browser.find_element(By.ID, ids.HS_BRIEF).get_attribute("href") or ""
    return parse_qs(urlparse(href).query) if "/print/brief.pdf" in href else {}


def _fetch(browser: webdriver.Chrome, href: str) -> tuple[str, str, str]:
    """What a click downloads, fetched by the page itself (its cookies, its origin)."""
    return tuple(  # type: ignore[return-value]
        browser.execute_async_script(
            "var done = arguments[1]; fetch(arguments[0]).then(function (r) {"
            "  return r.arrayBuffer().then(function (b) {"
            "    var head = String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 5)));"
            "    done([r.headers.get('content-type'), head, r.headers.get('X-Brief-Pages')]);"
            "  }); });",
            href,
        )
    )


def test_the_brief_link_follows_the_day_and_unit_and_downloads_the_brief(
    browser: webdriver.Chrome, server_url: str
) -> None:
    try:
        browser.set_window_size(1920, 1080)
        browser.get(f"{server_url}/house-status")
        wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
        day = {"date": [city.LAST_DAY.isoformat()]}
        wait_for(lambda: _query(browser) == day, message="the day's brief link")
        link = browser.find_element(By.ID, ids.HS_BRIEF)
        assert link.text == "日报 PDF" and link.get_attribute("download") is not None
        # choose the sub-district: the link names it (by code)
        browser.find_element(By.ID, f"{ids.HS_FILTER}-subdistrict").click()
        box = browser.switch_to.active_element  # the open list's search box
        box.send_keys("陆家嘴街道")
        box.send_keys(Keys.ENTER)
        wait_for(lambda: _query(browser).get("unit") == ["LJZ"], message="the brief link of 陆家嘴街道")
        assert _query(browser)["date"] == [city.LAST_DAY.isoformat()]
        kind, head, pages = _fetch(browser, link.get_attribute("href") or "")
        assert kind == "application/pdf" and head == "%PDF-" and pages == "1"
        for width, height in SIZES:
            browser.set_window_size(width, height)
            link = browser.find_element(By.ID, ids.HS_BRIEF)
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
            rect = link.rect
            assert link.is_displayed() and rect["width"] > 0
            assert rect["x"] >= 0 and rect["x"] + rect["width"] <= browser.execute_script("return innerWidth")
            screenshot(browser, f"brief-link-{width}x{height}")
        assert console_errors(browser) == []
    finally:
        browser.set_window_size(1400, 900)
