"""The UI in Japanese and Korean in headless Chromium (issue 17): the home page, the house-status map,
the wall and the field page show their headings, KPI labels and legends in the language chosen, with
dates written as that language writes them; the choice is remembered for URLs typed later; the
switcher offers all four languages on the desktop and behind the phone's menu; and Kana and Hangul are
drawn with the CJK font of that region (Chromium reports the platform font behind each text node, so a
tofu box or a fallback to the Chinese forms fails). Screenshots go to artifacts/languages/."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from dashboards import _formats as fmt
from dashboards._i18n import LANGUAGE_NAMES, t
from layers.style import status_swatch
from tests.e2e.support import console_errors, map_idle, wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "languages"
SIZES = {"phone": (390, 844), "desktop": (1920, 1080), "4k": (3840, 2160)}
LAST_DAY = dt.date(2022, 4, 4)  # the small city's last day, with its confirmed household
FONTS = {"zh": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP", "ko": "Noto Sans CJK KR"}
TITLES = {"ja": "住戸状況図", "ko": "세대 현황도"}
# A moment as the language writes it (dashboards/_formats.moment): day, then a 24-hour clock.
MOMENTS = {"ja": r"\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}", "ko": r"\d{4}년 \d{1,2}월 \d{1,2}일 \d{2}:\d{2}"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def window_back(session_browser: webdriver.Chrome, server_url: str) -> Iterator[None]:
    """The session's browser goes back to its usual viewport and Chinese when this module is done."""
    yield
    session_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    session_browser.get(f"{server_url}/?lang=zh")


def _viewport(browser: webdriver.Chrome, size: tuple[int, int]) -> None:
    width, height = size
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _shot(browser: webdriver.Chrome, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    width, height = browser.execute_script("return [window.innerWidth, window.innerHeight]")
    browser.save_screenshot(str(ARTIFACTS / f"{name}-{width}x{height}.png"))


def _text(browser: webdriver.Chrome, selector: str) -> str:
    found = browser.find_elements(By.CSS_SELECTOR, selector)  # none until Dash has drawn the page
    return (found[0].get_attribute("textContent") or "") if found else ""


def _html_lang(browser: webdriver.Chrome) -> str:
    return str(browser.execute_script("return document.documentElement.lang"))


def _fonts(browser: webdriver.Chrome, selector: str) -> dict[str, int]:
    """The platform fonts Chromium drew the text of ``selector`` with, and how many glyphs each."""
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {f["familyName"]: f["glyphCount"] for f in fonts}


def _patient(check: Callable[[], bool]) -> Callable[[], bool]:
    """``check``, read as "not yet" while the renderer is too busy to answer (a 4K map drawn in
    software on a loaded machine can hold the page's thread longer than a script may wait)."""

    def patient() -> bool:
        try:
            return check()
        except TimeoutException:
            return False

    return patient


def _switch_offers_all_four(browser: webdriver.Chrome, selector: str, lang: str) -> None:
    switch = browser.find_element(By.CSS_SELECTOR, selector)
    assert switch.find_element(By.TAG_NAME, "strong").text == LANGUAGE_NAMES[lang]
    names = set(LANGUAGE_NAMES.values())
    links = {
        a.text: a.get_attribute("href") or ""
        for a in switch.find_elements(By.TAG_NAME, "a")
        if a.text in names
    }
    assert set(links) == names - {LANGUAGE_NAMES[lang]}
    assert all(re.search(r"[?&]lang=(zh|en|ja|ko)$", href) for href in links.values()), links


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_home_page(browser: webdriver.Chrome, server_url: str, lang: str) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/?lang={lang}")
    wait_for(lambda: t("loaded_heading", lang) in _text(browser, "body"), message="the home page")
    assert _html_lang(browser) == lang
    body = browser.find_element(By.TAG_NAME, "body").text
    for key in ("subtitle", "loaded_heading", "buildings", "households", "total", "maps_house_status"):
        assert t(key, lang) in body, key
    assert "陆家嘴街道" in body or "陆家嘴" in body  # place names stay Chinese
    as_of = browser.find_element(By.ID, "home-as-of").text
    assert as_of.startswith(t("as_of", lang)) and re.search(MOMENTS[lang], as_of), as_of
    _switch_offers_all_four(browser, "#home-language", lang)
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_house_status_map(browser: webdriver.Chrome, server_url: str, lang: str) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/house-status?lang={lang}")
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
    assert _html_lang(browser) == lang
    assert TITLES[lang] in _text(browser, "#map-header .bm-current")
    assert browser.title == f"{TITLES[lang]} · 挂图作战"  # the browser tab too
    assert browser.find_element(By.ID, "hs-date-label").text == fmt.day(LAST_DAY, lang)
    marks = browser.find_element(By.ID, "hs-date").get_attribute("textContent") or ""
    assert fmt.short_day(LAST_DAY, lang) in marks, marks
    kpis = browser.find_element(By.CSS_SELECTOR, ".bm-kpi[data-kpi=total] .bm-kpi-label").text
    assert kpis == t("kpi_households", lang)
    confirmed = browser.find_element(By.CSS_SELECTOR, ".bm-kpi[data-kpi=confirmed] .bm-kpi-label").text
    assert confirmed == t("kpi_status_households", lang, status=status_swatch("confirmed").label(lang))
    legend = browser.find_element(By.CLASS_NAME, "bm-legend").text
    assert t("legend_buildings", lang) in legend
    for status in ("confirmed", "sealed", "home_isolation", "normal"):
        assert status_swatch(status).label(lang) in legend, status
    _switch_offers_all_four(browser, "#map-header .bm-language", lang)
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_wall(browser: webdriver.Chrome, server_url: str, lang: str) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/wall?lang={lang}")
    wait_for(
        lambda: TITLES[lang] in _text(browser, "#wall-title"), timeout=30, message="the wall's first map"
    )
    assert _html_lang(browser) == lang
    assert fmt.day(LAST_DAY, lang) in _text(browser, "#wall-title")
    as_of = browser.find_element(By.ID, "wall-as-of").text
    assert as_of.startswith(t("as_of", lang)) and re.search(MOMENTS[lang], as_of), as_of
    # the clock ticks in the page's language (Intl in the browser): Korean writes 년/월/일 or dots
    clock = browser.find_element(By.ID, "wall-clock").text
    assert clock and (re.search(r"\d{4}/\d{1,2}/\d{1,2}", clock) if lang == "ja" else "." in clock), clock
    labels = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".bm-kpi-label"))
    assert t("kpi_households", lang) in labels, labels
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_field_page(browser: webdriver.Chrome, server_url: str, lang: str) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/field?lang={lang}")
    wait_for(lambda: _text(browser, ".fd-h2"), message="the field page")
    assert _html_lang(browser) == lang
    assert browser.find_element(By.CSS_SELECTOR, ".fd-h2").text.startswith(t("field_items", lang))
    assert browser.title.startswith(t("field_title", lang))
    assert browser.find_element(By.CSS_SELECTOR, ".fd-user button").text == t("sign_out", lang)
    assert t("field_report", lang) in browser.find_element(By.ID, "fd-report").text
    _switch_offers_all_four(browser, ".fd-nav", lang)
    assert console_errors(browser) == []


def test_the_choice_is_remembered_for_typed_urls(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: "首页" in _text(browser, "#map-header"), message="the Chinese header")
    browser.find_element(By.LINK_TEXT, "한국어").click()
    wait_for(lambda: "홈" in _text(browser, "#map-header"), message="the Korean header")
    browser.get(f"{server_url}/responsibility")  # typed, no ?lang=
    wait_for(lambda: _text(browser, "#map-header .bm-current"), message="the header")
    assert _text(browser, "#map-header .bm-current") == "동별 담당 현황도" and _html_lang(browser) == "ko"
    browser.get(f"{server_url}/field")
    wait_for(lambda: _text(browser, ".fd-h2"), message="the field page")
    assert _text(browser, ".fd-h2").startswith("내 업무")
    browser.get(f"{server_url}/?lang=ja")
    browser.get(f"{server_url}/wall")
    wait_for(lambda: "住戸状況図" in _text(browser, "#wall-title"), timeout=30, message="the Japanese wall")
    assert _html_lang(browser) == "ja"


@pytest.mark.parametrize("lang", ["zh", "ja", "ko"])
def test_kana_and_hangul_are_drawn_in_the_regional_cjk_font(
    browser: webdriver.Chrome, server_url: str, lang: str
) -> None:
    browser.get(f"{server_url}/house-status?lang={lang}")
    wait_for(lambda: _text(browser, ".bm-kpi[data-kpi=total] .bm-kpi-label"), message="the KPI strip")
    label = ".bm-kpi[data-kpi=total] .bm-kpi-label"
    text = _text(browser, label)
    fonts = _fonts(browser, label)
    # every CJK glyph from the region's Noto Sans CJK face (no tofu, no Chinese forms in a Japanese page)
    cjk = sum(1 for c in text if re.match(r"[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7a3]", c))
    assert fonts.get(FONTS[lang], 0) >= cjk > 0, (text, fonts)
    assert browser.find_element(By.CSS_SELECTOR, label).size["width"] > 0
    switch = _fonts(browser, "#map-header .bm-language")
    assert any(name.startswith("Noto Sans CJK") for name in switch), switch  # 中文 / 日本語 / 한국어


@pytest.mark.parametrize("lang", ["ja", "ko"])
def test_the_phone_menu_offers_every_language(browser: webdriver.Chrome, server_url: str, lang: str) -> None:
    _viewport(browser, SIZES["phone"])
    try:
        browser.get(f"{server_url}/house-status?lang={lang}")
        wait_for(lambda: map_idle(browser), timeout=30, message="the map")
        menu = browser.find_element(By.ID, "map-menu")
        assert menu.is_displayed()
        menu.click()
        wait_for(
            lambda: browser.find_element(By.CSS_SELECTOR, "#map-menu-items .bm-language").is_displayed(),
            message="the menu open",
        )
        _switch_offers_all_four(browser, "#map-menu-items .bm-language", lang)
        _shot(browser, f"house-status-menu-{lang}")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.mark.parametrize("lang", ["ja", "ko"])
@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots(browser: webdriver.Chrome, server_url: str, lang: str, size: str) -> None:
    """Every page at the three sizes in ``lang``, to look at; nothing may scroll sideways."""
    _viewport(browser, SIZES[size])
    try:
        for page, ready in (
            ("/", lambda: bool(_text(browser, "#home-counts"))),
            ("/house-status", lambda: map_idle(browser)),
            ("/wall", lambda: bool(_text(browser, "#wall-title"))),
            ("/field", lambda: bool(_text(browser, ".fd-h2"))),
        ):
            browser.get(f"{server_url}{page}?lang={lang}")
            wait_for(_patient(ready), timeout=120, message=f"{page} at {size}")
            if page == "/wall":
                wall = _patient(lambda: map_idle(browser, "bm-map-wall"))
                wait_for(wall, timeout=120, message="the wall's map")
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, (page, size, overflow)
            _shot(browser, f"{page.strip('/') or 'home'}-{lang}")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
