"""Closed-loop work on the commander's side, in headless Chromium (issue 13), and the house-status map's
opening day and building card (issue 16, items 4 and 5).

Two problem reports are opened at fixture buildings no other browser test samples: b07's is three
hours old (its one-hour response is overdue), b08's is fresh. The map draws a dot on each (overdue in
its own colour, read from the screen), the loops panel and the wall show the API's counts, and steps
completed through the API show on the map and the wall within one refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, text

from geo.audit import Actor
from geo.clock import china_now
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.targets import Target
from layers.style import LOOP_OPEN_SWATCH, LOOP_OVERDUE_SWATCH, SELECTED_SWATCH, status_swatch
from tests.auth_support import token_for
from tests.e2e.support import (
    HOUSE_STATUS_MAP,
    WALL_REFRESH_SECONDS,
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

pytestmark = pytest.mark.slow

MARKERS = "loops-buildings"
SELECTED = "house-status-selected"
# On a phone the map is first and full width only with the narrow-screen layout (issue 16 item 1, built
# on another branch): until it is merged the 25 px map cannot be clicked.
PHONE = pytest.param(390, 844, marks=pytest.mark.xfail(reason="needs the narrow-screen layout (item 1)"))
SIZES = (PHONE, (1920, 1080), (3840, 2160))
ONE_REFRESH = WALL_REFRESH_SECONDS + 10  # a refresh, then the tiles and the repaint
CLI = LoopActor(role="cli", audit=Actor(name="cli:e2e", role="cli"))


@pytest.fixture(scope="module")
def items(e2e_database: str) -> Iterator[dict[str, int]]:
    """b07: an overdue problem report; b08: a fresh one (ids of the items and of the buildings)."""
    engine = create_engine(e2e_database)
    try:
        with engine.begin() as conn:
            ids = dict(conn.execute(text("SELECT source_id, id FROM buildings")).all())
            now = china_now()
            late, _ = loops.open_item(
                conn, CLI, kind="problem_report", target=Target("building", id=ids["b07"]),
                note="楼道堆物", at=now - dt.timedelta(hours=3),
            )  # fmt: skip
            fresh, _ = loops.open_item(
                conn, CLI, kind="problem_report", target=Target("building", id=ids["b08"]), note="门磁报警",
                at=now,
            )  # fmt: skip
        yield {"late": late.id, "fresh": fresh.id, "b07": ids["b07"], "b08": ids["b08"], "b02": ids["b02"]}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api(e2e_database: str, server_url: str) -> Iterator[dict[str, requests.Session]]:
    """Two commanders' bearer sessions (a revisit must be by someone else than the handler)."""
    engine = create_engine(e2e_database)
    sessions = {}
    try:
        for name in ("e2e-loops-a", "e2e-loops-b"):
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token_for(engine, name)}"
            sessions[name] = session
        yield sessions
    finally:
        engine.dispose()


def _step(session: requests.Session, server_url: str, item_id: int, step: str) -> None:
    current = session.get(f"{server_url}/api/v1/loops/{item_id}", timeout=20)
    assert current.status_code == 200, current.text
    done = session.post(
        f"{server_url}/api/v1/loops/{item_id}/steps/{step}",
        json={"note": "已处理"},
        headers={"If-Match": current.headers["ETag"]},
        timeout=20,
    )
    assert done.status_code == 200, done.text


def _api_counts(browser: webdriver.Chrome) -> list[dict]:
    """``/api/v1/loops/counts`` as the signed-in browser reads it (its own session, its own area)."""
    browser.set_script_timeout(20)
    body = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch('/api/v1/loops/counts', {credentials: 'same-origin'}).then(function (r) { return r.json(); })"
        ".then(done, function (e) { done({error: String(e)}); });"
    )
    assert "counts" in body, body
    return body["counts"]


def _totals(rows: list[dict], key: str | None = None, value: str | None = None) -> dict[str, int]:
    chosen = [r for r in rows if key is None or r[key] == value]
    return {f: sum(r[f] for r in chosen) for f in ("open", "overdue", "closed_today")}


def _panel(browser: webdriver.Chrome, attribute: str, value: str) -> dict[str, int]:
    cells = browser.find_elements(By.CSS_SELECTOR, f"#hs-loops td[data-{attribute}='{value}']")
    return {c.get_attribute("data-figure"): int(c.text.replace(",", "")) for c in cells}


def _marker(browser: webdriver.Chrome, building_id: int) -> dict | None:
    found = browser.execute_script(
        "var id = arguments[2];"
        "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures({layers: [arguments[1]]})"
        ".filter(function (f) { return f.id === id; }).map(function (f) { return f.properties; });",
        HOUSE_STATUS_MAP,
        MARKERS,
        building_id,
    )
    return found[0] if found else None


def _open(browser: webdriver.Chrome, url: str, width: int = 1400, height: int = 900) -> None:
    browser.set_window_size(width, height)
    browser.get(url)
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")


@pytest.fixture(autouse=True)
def _window_back(browser: webdriver.Chrome) -> Iterator[None]:
    yield
    browser.set_window_size(1400, 900)


def test_open_and_overdue_items_are_drawn_and_the_panel_shows_the_api_counts(
    browser: webdriver.Chrome, server_url: str, items: dict[str, int]
) -> None:
    console_errors(browser)
    _open(browser, f"{server_url}/house-status")
    assert rendered_ids(browser, MARKERS) >= {items["b07"], items["b08"]}
    assert _marker(browser, items["b07"]) == {"open": 1, "overdue": 1, "kinds": "problem_report"}
    assert _marker(browser, items["b08"])["overdue"] == 0  # type: ignore[index]
    assert close(colour_at(browser, "b07"), LOOP_OVERDUE_SWATCH.fill)
    assert close(colour_at(browser, "b08"), LOOP_OPEN_SWATCH.fill)
    legend = browser.find_element(By.ID, "hs-legend").text
    assert LOOP_OVERDUE_SWATCH.label_zh in legend and LOOP_OPEN_SWATCH.label_zh in legend
    counts = _api_counts(browser)
    assert _panel(browser, "kind", "all") == _totals(counts)
    assert _panel(browser, "kind", "problem_report") == _totals(counts, "kind", "problem_report")
    for grid in ("G1", "G2"):
        if any(r["grid"] == grid for r in counts):
            assert _panel(browser, "grid", grid) == _totals(counts, "grid", grid)
    assert _panel(browser, "grid", "G2")["overdue"] >= 1
    screenshot(browser, "loops-house-status")
    assert console_errors(browser) == []


def test_the_map_opens_on_the_latest_day_with_cases_and_offers_shortcuts(
    browser: webdriver.Chrome, server_url: str
) -> None:
    _open(browser, f"{server_url}/house-status")
    # The fixture's last day (04-04) has its confirmed household: the map opens there, with cases.
    assert browser.find_element(By.ID, "hs-date-label").text == "2022年4月4日"
    confirmed = browser.find_element(By.CSS_SELECTOR, ".bm-kpi[data-kpi=confirmed] .bm-kpi-value")
    assert int(confirmed.text) >= 1
    busiest = browser.find_element(By.ID, "hs-day-busiest")
    today = browser.find_element(By.ID, "hs-day-today")
    assert busiest.is_enabled() and "4月4日" in busiest.text
    # Today (Shanghai) is years after the fixture's history: the button says why it cannot be used.
    assert not today.is_enabled() and "2022年4月1日" in (today.get_attribute("title") or "")
    assert "2022年4月4日" in browser.find_element(By.ID, "hs-day-note").text
    browser.find_element(By.CSS_SELECTOR, "[role=slider]").send_keys("\ue012\ue012\ue012")  # 3 x left
    label = browser.find_element(By.ID, "hs-date-label")
    wait_for(lambda: label.text == "2022年4月1日", message="04-01")
    busiest.click()
    wait_for(lambda: label.text == "2022年4月4日", message="back to 04-04")
    # At z14 the grids are drawn as areas, opaque: G1's fill is exactly the confirmed colour (a
    # translucent one would mix with what lies beneath), and every area drawn has a status.
    browser.execute_script(
        "window.battlemapMaps[arguments[0]].map.jumpTo({center: arguments[1], zoom: 14});",
        HOUSE_STATUS_MAP,
        list(city.centre("b01")),
    )
    wait_for(lambda: map_idle(browser), message="the map at z14")
    wait_for(
        lambda: close(colour_at(browser, "b01"), status_swatch("confirmed").fill, 3), message="G1 opaque"
    )
    areas = browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map;"
        "var drawn = m.queryRenderedFeatures({layers: ['house-status-areas']});"
        "return drawn.map(function (f) { return f.properties; });",
        HOUSE_STATUS_MAP,
    )
    assert areas and all(a.get("status") and a.get("buildings", 0) > 0 for a in areas), areas
    screenshot(browser, "loops-house-status-z14")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_clicking_a_building_highlights_it_and_shows_its_card_in_view(
    browser: webdriver.Chrome, server_url: str, items: dict[str, int], width: int, height: int
) -> None:
    _open(browser, f"{server_url}/house-status", width, height)
    browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map; m.jumpTo({center: arguments[1], zoom: 18});",
        HOUSE_STATUS_MAP,
        list(city.centre("b02")),
    )
    wait_for(lambda: map_idle(browser), message="the map at b02")
    click_building(browser, "b02")
    card = wait_for(
        lambda: (
            (c := browser.find_element(By.ID, "hs-card-float")).is_displayed() and "2号楼" in c.text and c
        ),
        message="the card of 2号楼",
    )
    rect = browser.execute_script(
        "var r = arguments[0].getBoundingClientRect();"
        "return [r.left, r.top, r.right, r.bottom, window.innerWidth, window.innerHeight];",
        card,
    )
    left, top, right, bottom, view_w, view_h = rect
    assert 0 <= left < right <= view_w and 0 <= top < bottom <= view_h, rect
    wait_for(lambda: rendered_ids(browser, SELECTED) == {items["b02"]}, message="b02 outlined")
    # The outline is on screen: the footprint's south-west corner is drawn in the selection colour.
    west, south, _, _ = city.footprint("b02")
    corner = browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map, r = m.getCanvas().getBoundingClientRect();"
        "var p = m.project(arguments[1]); return [r.left + p.x, r.top + p.y];",
        HOUSE_STATUS_MAP,
        [west, south],
    )
    assert _pixel(browser, corner) is not None and close(_pixel(browser, corner), SELECTED_SWATCH.fill, 40)
    screenshot(browser, f"loops-card-{width}x{height}")
    browser.find_element(By.ID, "hs-card-close").click()
    wait_for(lambda: not browser.find_element(By.ID, "hs-card-float").is_displayed(), message="card closed")
    wait_for(lambda: rendered_ids(browser, SELECTED) == set(), message="the outline gone")


def _pixel(browser: webdriver.Chrome, xy: list[float]) -> tuple[int, int, int] | None:
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    ratio = image.width / browser.execute_script("return window.innerWidth")
    x, y = round(xy[0] * ratio), round(xy[1] * ratio)
    if not (0 <= x < image.width and 0 <= y < image.height):
        return None
    return image.getpixel((x, y))


def _wall_figure(browser: webdriver.Chrome, code: str) -> int | None:
    found = browser.find_elements(By.CSS_SELECTOR, f"#wall-loops [data-loops={code}] .bm-wall-loop-value")
    return int(found[0].text.replace(",", "")) if found and found[0].text else None


def test_steps_completed_through_the_api_show_on_the_map_and_the_wall_within_one_refresh(
    browser: webdriver.Chrome, server_url: str, items: dict[str, int], api: dict[str, requests.Session]
) -> None:
    _open(browser, f"{server_url}/house-status")
    before = _panel(browser, "kind", "all")
    _step(api["e2e-loops-a"], server_url, items["late"], "response")
    # The handling step is due in a day: b07 is no longer overdue, on the map and in the panel.
    wait_for(
        lambda: (_marker(browser, items["b07"]) or {}).get("overdue") == 0 and map_idle(browser),
        timeout=ONE_REFRESH,
        message="b07's dot no longer overdue",
    )
    wait_for(lambda: close(colour_at(browser, "b07"), LOOP_OPEN_SWATCH.fill), message="b07 drawn as open")
    wait_for(
        lambda: _panel(browser, "kind", "all")["overdue"] == before["overdue"] - 1,
        timeout=ONE_REFRESH,
        message="one overdue item less in the panel",
    )
    assert _panel(browser, "kind", "all") == _totals(_api_counts(browser))

    browser.set_window_size(1920, 1080)
    browser.get(f"{server_url}/wall")
    wait_for(lambda: _wall_figure(browser, "overdue") is not None, timeout=30, message="the wall's figures")
    counts = _totals(_api_counts(browser))
    assert (_wall_figure(browser, "overdue"), _wall_figure(browser, "closed_today")) == (
        counts["overdue"],
        counts["closed_today"],
    )
    block = browser.execute_script(
        "var r = document.getElementById('wall-loops').getBoundingClientRect();"
        "return [r.top, r.bottom, window.innerHeight, document.documentElement.scrollHeight];"
    )
    assert 0 <= block[0] < block[1] <= block[2] and block[3] <= block[2], block
    _step(api["e2e-loops-a"], server_url, items["late"], "handling")
    _step(api["e2e-loops-b"], server_url, items["late"], "revisit")
    wait_for(
        lambda: _wall_figure(browser, "closed_today") == counts["closed_today"] + 1,
        timeout=ONE_REFRESH,
        message="the closed item counted on the wall",
    )
    assert _wall_figure(browser, "open") == counts["open"] - 1
    screenshot(browser, "loops-wall-1920x1080")
    browser.set_window_size(1400, 900)
    _open(browser, f"{server_url}/house-status")
    assert items["b07"] not in rendered_ids(browser, MARKERS)
    assert items["b08"] in rendered_ids(browser, MARKERS)
