"""The multilingual service guide (/services) in headless Chromium: an international compound of the
small city with its foreign-national households counted, its registration point with its languages
and hours, the notices in the point's languages, and the point and the compound drawn from the
``services`` tiles in their legend colours, at a phone, a desktop and a wall size."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import geopandas as gpd
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from shapely.geometry import Point
from sqlalchemy import create_engine, text

from geo.services.notices import read_notices
from geo.settings import ServiceSettings
from layers.style import INTERNATIONAL_SWATCH, REGISTRATION_SWATCH
from tests.e2e.support import console_errors, map_idle, rgb, screenshot, wait_for
from tests.fixtures import small_city as city

MAP = "bm-map-sv"
POINT = (city.centre("b01")[0] + city.STEP / 2, city.centre("b01")[1])
_DRAWN = (
    "var m = window.battlemapMaps[arguments[0]].map;"
    "return [m.queryRenderedFeatures({layers: ['services-points']}).map(function (f) {"
    "  return [f.properties.kind, f.properties.languages, f.properties.opening_hours]; }),"
    " m.queryRenderedFeatures({layers: ['services-compounds']}).map(function (f) {"
    "  return [f.properties.name, f.properties.international, f.properties.foreign_households]; })];"
)
_AT = (
    "var m = window.battlemapMaps[arguments[0]].map, r = m.getCanvas().getBoundingClientRect();"
    "var p = m.project(arguments[1]); return [r.left + p.x, r.top + p.y];"
)

pytestmark = pytest.mark.slow


@pytest.fixture
def international(e2e_database: str) -> Iterator[tuple[int, int]]:
    """Two buildings' households of 东方小区 flagged foreign-national and a multilingual registration
    point loaded through the places job; (foreign, households) of the compound. Undone afterwards."""
    frame = gpd.GeoDataFrame(
        {"id": ["e2e-svc-reg"], "kind": ["登记处"], "name": ["东方小区多语种登记处"],
         "languages": ["zh, en, ja, ko, it"], "opening_hours": ["Mo-Fr 09:00-17:00; Sa 09:00-12:00"]},
        geometry=[Point(*POINT)], crs="EPSG:4326",
    )  # fmt: skip
    engine = create_engine(e2e_database)
    try:
        city._load(engine, "places", frame)
        with engine.begin() as conn:
            conn.execute(
                text("""UPDATE households SET foreign_national = true WHERE building_id IN
                        (SELECT id FROM buildings WHERE source_id IN ('b01', 'b02'))""")
            )
            counts = conn.execute(
                text("""SELECT count(*) FILTER (WHERE h.foreign_national), count(*) FROM households h
                        JOIN buildings b ON b.id = h.building_id JOIN compounds c ON c.id = b.compound_id""")
            ).one()
            conn.execute(text("UPDATE data_versions SET version = version + 1"))
        yield int(counts[0]), int(counts[1])
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM places WHERE source_id = 'e2e-svc-reg'"))
            conn.execute(text("UPDATE households SET foreign_national = false"))
            conn.execute(text("UPDATE data_versions SET version = version + 1"))
        engine.dispose()


def _screen_colour(browser: webdriver.Chrome, lonlat: tuple[float, float]) -> tuple[int, int, int]:
    x, y = browser.execute_script(_AT, MAP, list(lonlat))
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    ratio = image.width / browser.execute_script("return window.innerWidth;")
    return image.getpixel((int(x * ratio), int(y * ratio)))  # type: ignore[return-value]


def _near(a: tuple[int, int, int], b: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_the_service_guide_shows_points_languages_counts_and_notices(
    browser: webdriver.Chrome, server_url: str, international: tuple[int, int]
) -> None:
    foreign, households = international
    notices = ServiceSettings(_env_file=None).notices_dir
    console_errors(browser)
    for width, height, name in ((1920, 1080, "desktop"), (3840, 2160, "wall"), (390, 844, "phone")):
        browser.set_window_size(width, height)
        browser.get(f"{server_url}/services")
        wait_for(lambda: map_idle(browser, MAP), timeout=30, message="the service map to load its tiles")
        section = browser.find_element(By.CSS_SELECTOR, ".bm-sv-compound[data-international='true']")
        assert section.get_attribute("data-foreign") == str(foreign)
        assert section.get_attribute("data-households") == str(households)
        assert f"外籍住户 {foreign} / {households} 户（{foreign / households:.0%}）" in section.text
        assert "东方小区" in section.find_element(By.TAG_NAME, "h3").text
        kpi = browser.find_element(By.CSS_SELECTOR, "[data-kpi='foreign'] .bm-kpi-value").text
        assert kpi == str(foreign)
        point = section.find_element(By.CSS_SELECTOR, ".bm-sv-point[data-kind='registration_point']")
        assert point.get_attribute("data-languages") == "zh,en,ja,ko,it"
        langs = point.find_element(By.CSS_SELECTOR, ".bm-sv-langs").text
        for word in ("中文", "English", "日本語", "한국어", "Italiano"):
            assert word in langs
        assert "Mo-Fr 09:00-17:00; Sa 09:00-12:00" in point.find_element(By.CSS_SELECTOR, ".bm-sv-hours").text
        # the notices, one block per language of the point, each in its language once opened
        codes = [d.get_attribute("data-notices") for d in point.find_elements(By.CSS_SELECTOR, "details")]
        assert codes == ["zh", "en", "ja", "ko", "it"]
        for code in ("ja", "ko", "en"):
            block = point.find_element(By.CSS_SELECTOR, f"details[data-notices='{code}']")
            browser.execute_script("arguments[0].open = true; arguments[0].scrollIntoView();", block)
            expected = read_notices(notices / f"{code}.yaml")
            shown = block.text
            assert expected.sections["key_persons"].lines[0] in shown
            assert expected.sections["health"].title in shown
            browser.execute_script("arguments[0].open = false;", block)
        # the map: the point and the compound from the tiles, the point in its legend colour
        points, compounds = wait_for(
            lambda: (d := browser.execute_script(_DRAWN, MAP)) and d[0] and d[1] and d,
            message="the point and the compound drawn from the services tiles",
        )
        assert ["registration_point", "zh,en,ja,ko,it", "Mo-Fr 09:00-17:00; Sa 09:00-12:00"] in points
        assert ["东方小区", True, foreign] in compounds
        assert _near(_screen_colour(browser, POINT), rgb(REGISTRATION_SWATCH.fill))
        legend = browser.find_elements(By.CSS_SELECTOR, ".bm-services-side .bm-legend .bm-swatch")
        background = legend[0].value_of_css_property("background-color")
        assert tuple(int(v) for v in re.findall(r"\d+", background)[:3]) == rgb(INTERNATIONAL_SWATCH.fill)
        screenshot(browser, f"services-{name}")
        html = browser.page_source
        assert city.CONTACT_NAME not in html and city.CONTACT_PHONE not in html
    browser.set_window_size(1920, 1080)
    errors = console_errors(browser)
    assert errors == [], [e["message"][:600] for e in errors]


def test_the_house_status_map_draws_the_registration_points_on_top(
    browser: webdriver.Chrome, server_url: str, international: tuple[int, int]
) -> None:
    console_errors(browser)
    browser.get(f"{server_url}/house-status")
    wait_for(
        lambda: map_idle(browser, "bm-map-hs"), timeout=30, message="the house-status map to load its tiles"
    )
    drawn = wait_for(
        lambda: browser.execute_script(
            "return window.battlemapMaps['bm-map-hs'].map"
            ".queryRenderedFeatures({layers: ['services-points']})"
            ".map(function (f) { return f.properties.languages; });"
        ),
        message="the registration point drawn over the house-status map",
    )
    assert drawn == ["zh,en,ja,ko,it"]
    x, y = browser.execute_script(_AT, "bm-map-hs", list(POINT))
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    ratio = image.width / browser.execute_script("return window.innerWidth;")
    assert _near(image.getpixel((int(x * ratio), int(y * ratio))), rgb(REGISTRATION_SWATCH.fill))  # type: ignore[arg-type]
    screenshot(browser, "services-on-house-status")
    errors = console_errors(browser)
    assert errors == [], [e["message"][:600] for e in errors]
