"""The building-responsibility map in headless Chromium: gaps by their most senior missing level (the
only strong colours), quiet complete buildings, grids told apart by outline, tint and name below
building zoom, leaders' codes that show all their buildings, a legend that fits the screen, the card."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By

from layers.style import COMPLETE_SWATCH, GAP_LEVEL_SWATCHES, GRID_TINTS
from tests.e2e.support import (
    REQUESTS,
    click_building,
    close,
    console_errors,
    map_idle,
    screenshot,
    wait_for,
)
from tests.fixtures import small_city as city

MAP = "bm-map-rs"
CADRE_GAP = next(s for s in GAP_LEVEL_SWATCHES if s.code == "cadre")  # every G2 building lacks a cadre
SIZES = ((390, 844), (1920, 1080), (3840, 2160))

pytestmark = pytest.mark.slow


@pytest.fixture
def viewport(browser: webdriver.Chrome) -> Iterator[object]:
    """Set the page's viewport to (width, height) for one test, back to the window's after it."""

    def set_size(width: int, height: int) -> None:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    yield set_size
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _open(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/responsibility")
    wait_for(lambda: map_idle(browser, MAP), timeout=30, message="the map to load its tiles")


def _jump(browser: webdriver.Chrome, zoom: float, centre: tuple[float, float]) -> None:
    browser.execute_script(
        "window.battlemapMaps[arguments[0]].map.jumpTo({zoom: arguments[1], center: arguments[2]});",
        MAP,
        zoom,
        list(centre),
    )
    wait_for(lambda: map_idle(browser, MAP), timeout=30, message=f"the map at zoom {zoom}")


def _city_centre() -> tuple[float, float]:
    (w, s, _, _), (_, _, e, n) = city.footprint("b01"), city.footprint("b12")
    return ((w + e) / 2, (s + n) / 2)


def _screen(browser: webdriver.Chrome) -> tuple[Image.Image, float]:
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    return image, image.width / browser.execute_script("return window.innerWidth")


def _project(browser: webdriver.Chrome, lon: float, lat: float) -> tuple[float, float]:
    x, y = browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map, r = m.getCanvas().getBoundingClientRect();"
        "var p = m.project(arguments[1]); return [r.left + p.x, r.top + p.y];",
        MAP,
        [lon, lat],
    )
    return float(x), float(y)


def _fill_of(browser: webdriver.Chrome, building: str) -> tuple[int, int, int]:
    """The screen colour inside a building's footprint, off its centre (where its leader's code is)."""
    w, s, e, n = city.footprint(building)
    x, y = _project(browser, w + (e - w) * 0.2, s + (n - s) * 0.2)
    image, ratio = _screen(browser)
    return image.getpixel((round(x * ratio), round(y * ratio)))


def test_gaps_are_the_only_strong_colours_and_complete_buildings_are_quiet(
    browser: webdriver.Chrome, server_url: str
) -> None:
    console_errors(browser)
    REQUESTS.clear()
    _open(browser, server_url)
    assert any(path.startswith("/tiles/responsibility/") for path in REQUESTS)
    wait_for(
        lambda: (
            close(_fill_of(browser, "b12"), CADRE_GAP.fill, tolerance=30)
            and close(_fill_of(browser, "b06"), COMPLETE_SWATCH.fill, tolerance=30)
        ),
        message="G2 buildings in the cadre-gap colour and the complete G1 buildings quiet grey",
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
    # The legend: one row per required level (most senior first) and the complete row, counted in
    # buildings; no row per grid.
    rows = browser.find_elements(By.CSS_SELECTOR, "#rs-legend li")
    counts = {r.get_attribute("data-code"): r.find_element(By.CLASS_NAME, "bm-legend-count").text
              for r in rows}  # fmt: skip
    assert list(counts) == [s.code for s in GAP_LEVEL_SWATCHES] + ["complete"]
    assert counts["cadre"] == "6" and counts["complete"] == "6" and counts["building_leader"] == "0"
    assert "一网格" not in browser.find_element(By.ID, "rs-legend").text
    screenshot(browser, "responsibility")
    assert console_errors(browser) == []


def test_below_building_zoom_grids_are_told_apart_and_the_gap_colour_marks_only_gaps(
    browser: webdriver.Chrome, server_url: str
) -> None:
    _open(browser, server_url)
    _jump(browser, 14.2, _city_centre())
    areas = browser.execute_script(
        "return window.battlemapMaps[arguments[0]].map"
        ".queryRenderedFeatures({layers: ['responsibility-areas']})"
        ".map(function (f) { return [f.id, f.properties.name, f.properties.gap_buildings]; });",
        MAP,
    )
    assert {(name, gaps) for _, name, gaps in areas} == {("一网格", 0), ("二网格", 6)}
    assert len({i for i, _, _ in areas}) == 2, "each grid is its own feature, with its own id"
    labels = browser.execute_script(
        "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures("
        "{layers: ['responsibility-grid-labels']}).map(function (f) { return f.properties.name; });",
        MAP,
    )
    assert sorted(set(labels)) == ["一网格", "二网格"], "both grids are named on the map"
    image, ratio = _screen(browser)
    # Inside each grid, away from its buildings (the southern margin of the fixture), the fill is
    # one of the quiet tints, and the two grids' tints differ.
    (w, s, _, _), (_, _, e, _) = city.footprint("b01"), city.footprint("b12")
    south = s - 0.0012
    tints = []
    for lon in (w + 0.0002, e - 0.0002):
        x, y = _project(browser, lon, south)
        colour = image.getpixel((round(x * ratio), round(y * ratio)))
        assert any(close(colour, tint, tolerance=24) for tint in GRID_TINTS), colour
        tints.append(colour)
    assert tints[0] != tints[1], "neighbouring grids are told apart by their tint"
    # Every pixel of the map in a gap colour lies on a dot of a building with a gap (G2), none elsewhere.
    gap_points = [_project(browser, *city.centre(b)) for b in city.GAP_BUILDINGS]
    found = 0
    left, top, right, bottom = (
        round(v * ratio)
        for v in browser.execute_script(
            "var r = window.battlemapMaps[arguments[0]].map.getCanvas().getBoundingClientRect();"
            "return [r.left, r.top, r.right, r.bottom];",
            MAP,
        )
    )
    for py in range(top, bottom, 2):
        for px in range(left, right, 2):
            colour = image.getpixel((px, py))
            if any(close(colour, s.fill, tolerance=16) for s in GAP_LEVEL_SWATCHES):
                cx, cy = px / ratio, py / ratio
                nearest = min(math.dist((cx, cy), p) for p in gap_points)
                assert nearest < 10, f"a gap colour at ({cx:.0f}, {cy:.0f}), {nearest:.0f} px from any gap"
                found += 1
    assert found > 10, "the gap dots are drawn"
    assert any(close(image.getpixel((round(x * ratio), round(y * ratio))), CADRE_GAP.fill, 30)
               for x, y in gap_points)  # fmt: skip
    screenshot(browser, "responsibility-z14")


def test_the_legend_fits_the_screen(browser: webdriver.Chrome, server_url: str, viewport: object) -> None:
    for width, height in SIZES:
        viewport(width, height)  # type: ignore[operator]
        _open(browser, server_url)
        legend = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#rs-legend li"), message="legend")
        bottom = browser.execute_script(
            "return document.getElementById('rs-legend').getBoundingClientRect().bottom;"
        )
        if width >= 1920:
            assert bottom <= height, f"the legend ends at {bottom:.0f} px, below the {height} px screen"
        assert len(legend) == len(GAP_LEVEL_SWATCHES) + 1
        screenshot(browser, f"responsibility-{width}x{height}")


def test_clicking_a_leaders_code_shows_all_their_buildings(
    browser: webdriver.Chrome, server_url: str
) -> None:
    _open(browser, server_url)
    _jump(browser, 18, city.centre("b01"))
    wait_for(
        lambda: (
            "sim-L1"
            in browser.execute_script(
                "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures("
                "{layers: ['responsibility-leader-labels']})"
                ".map(function (f) { return f.properties.leader; });",
                MAP,
            )
        ),
        message="sim-L1's code drawn on b01",
    )
    before = browser.execute_script("return window.battlemapMaps[arguments[0]].map.getZoom();", MAP)
    click_building(browser, "b01", MAP)
    card = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#rs-card .bm-person-buildings li"),
        message="sim-L1's buildings listed",
    )
    assert "sim-L1" in browser.find_element(By.ID, "rs-card").text
    assert len(card) == len(city.LEADERS["sim-L1"])
    wait_for(lambda: map_idle(browser, MAP), message="the fly to sim-L1's buildings")
    after = browser.execute_script("return window.battlemapMaps[arguments[0]].map.getZoom();", MAP)
    assert after < before, "the map zoomed out to show all five buildings"
    highlighted = browser.execute_script(
        "return window.battlemapMaps[arguments[0]].map.getFilter('responsibility-highlight');", MAP
    )
    assert len(highlighted[2][1]) == len(city.LEADERS["sim-L1"])
    for b in city.LEADERS["sim-L1"]:
        x, y = _project(browser, *city.centre(b))
        assert 0 <= x <= browser.execute_script("return window.innerWidth") and y >= 0, b
    # The same from the table of people carrying many buildings.
    browser.find_element(By.CSS_SELECTOR, "#rs-overloaded button").click()
    wait_for(lambda: "sim-L1" in browser.find_element(By.ID, "rs-card").text, message="the table's code")
    assert city.CONTACT_NAME not in browser.page_source and city.CONTACT_PHONE not in browser.page_source
    screenshot(browser, "responsibility-person")


def test_clicking_a_building_shows_its_chain_and_its_gap(browser: webdriver.Chrome, server_url: str) -> None:
    _open(browser, server_url)
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
