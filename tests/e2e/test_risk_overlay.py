"""The risk overlay of the house-status map in headless Chromium: simulate a case at a clicked building,
see its zones and counts, declare it, and find the stored area drawn with its SOP clock after a reload.

The declared areas are deleted afterwards, so the other browser tests see the map without zones.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, text

from dashboards import _ids as ids
from geo.audit import Actor
from geo.db import read_connection
from geo.risk.declare import declare_and_store
from geo.risk.whatif import case_at_building, simulate_at_building
from geo.vocab import CHINA_TZ
from layers.risk_overlay import AREAS_SOURCE, SIMULATED_SOURCE
from tests.e2e.support import click_building, console_errors, map_idle, screenshot, wait_for
from tests.fixtures import small_city as city
from tests.risk_world import DECLARE_AUDIT_KEYS

MAP = "bm-map-hs"

pytestmark = pytest.mark.slow


@pytest.fixture
def declared_areas_removed(e2e_database: str) -> Iterator[None]:
    engine = create_engine(e2e_database)
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM risk_areas WHERE source = 'declared'"))
    engine.dispose()


def _expected(e2e_database: str, building: str) -> dict[str, dict[str, int]]:
    """The zones' counts the engine gives for a case at ``building`` on the fixture's last day."""
    engine = create_engine(e2e_database)
    try:
        with read_connection(engine) as conn:
            building_id = conn.execute(
                text("SELECT id FROM buildings WHERE source_id = :s"), {"s": building}
            ).scalar_one()
            area = simulate_at_building(conn, building_id, date=city.LAST_DAY)
    finally:
        engine.dispose()
    return area.summary()["zones"]


def _table(browser: webdriver.Chrome, panel: str) -> dict[str, dict[str, int]]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{panel} tr[data-zone]")
    return {
        row.get_attribute("data-zone"): {
            cell.get_attribute("data-count"): int(cell.text.replace(",", ""))
            for cell in row.find_elements(By.CSS_SELECTOR, "td[data-count]")
        }
        for row in rows
    }


def _buttons(browser: webdriver.Chrome, kind: str) -> list:
    """The buttons of a pattern-matching id type (Dash renders the id as its JSON)."""
    return browser.find_elements(By.CSS_SELECTOR, f'button[id*=\'"type":"{kind}"\']')


def _drawn(browser: webdriver.Chrome, layer: str) -> int:
    return int(
        browser.execute_script(
            "var m = window.battlemapMaps[arguments[0]].map, l = arguments[1];"
            "return m.getLayer(l) ? m.queryRenderedFeatures({layers: [l]}).length : -1;",
            MAP,
            layer,
        )
    )


def test_simulate_a_case_then_declare_it(
    browser: webdriver.Chrome, server_url: str, e2e_database: str, declared_areas_removed: None
) -> None:
    expected = _expected(e2e_database, "b06")
    assert expected["sealed"]["buildings"] >= 1  # the fixture puts buildings in zones at all
    console_errors(browser)
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
    assert _drawn(browser, f"{SIMULATED_SOURCE}-fill") == 0 and _drawn(browser, f"{AREAS_SOURCE}-line") == 0
    assert "当日无生效的风险区域" in browser.find_element(By.ID, ids.HS_RISK_AREAS).text

    click_building(browser, "b06")
    button = wait_for(lambda: _buttons(browser, ids.HS_SIMULATE), message="the card's simulate button")[0]
    assert button.text == "模拟此处病例"
    started = time.monotonic()
    button.click()
    wait_for(lambda: _table(browser, ids.HS_RISK_SIM), timeout=10, message="the simulated counts")
    wait_for(lambda: _drawn(browser, f"{SIMULATED_SOURCE}-fill") > 0, message="the simulated zones drawn")
    elapsed = time.monotonic() - started
    # The panel is drawn again at each refresh: read it whole or again (a stale row is "not yet").
    shown = wait_for(lambda: _table(browser, ids.HS_RISK_SIM), message="the simulated counts read")
    assert shown == {
        zone: {c: counts[c] for c in ("buildings", "households", "vulnerable", "key_places")}
        for zone, counts in expected.items()
    }
    assert "模拟病例（未保存）" in browser.find_element(By.ID, ids.HS_RISK_SIM).text
    assert _drawn(browser, f"{AREAS_SOURCE}-line") == 0  # nothing stored yet
    screenshot(browser, "risk-simulated")
    print(f"simulate -> zones drawn and counted in the browser: {elapsed:.2f} s")
    assert elapsed < 5.0  # about 1 s on an idle machine (the server side is held to 1 s in test_risk_routes)

    _buttons(browser, ids.HS_DECLARE)[0].click()
    note = wait_for(
        lambda: "已发布风险区域" in (t := browser.find_element(By.ID, ids.HS_RISK_SIM).text) and t,
        message="the declaration confirmed",
    )
    area_id = note.split("#")[1].strip()
    wait_for(lambda: _drawn(browser, f"{AREAS_SOURCE}-line") > 0, message="the stored zones drawn")
    engine = create_engine(e2e_database)
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'risk_declare' AND target = :t"),
            {"t": f"risk_area:{area_id}"},
        ).scalar_one()
    engine.dispose()
    assert set(audited) == DECLARE_AUDIT_KEYS  # the panel audits as the CLI and the HTTP API do
    assert _drawn(browser, f"{SIMULATED_SOURCE}-fill") == 0

    browser.get(f"{server_url}/house-status")  # a fresh page: the stored area comes from the database
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load again")
    block = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, f'#{ids.HS_RISK_AREAS} [data-area="{area_id}"]'),
        message="the stored area in the side panel",
    )[0]
    wait_for(lambda: _drawn(browser, f"{AREAS_SOURCE}-fill") > 0, message="the stored zones drawn")
    assert _table(browser, ids.HS_RISK_AREAS)["sealed"]["buildings"] == expected["sealed"]["buildings"]
    states = {
        li.get_attribute("data-step"): li.get_attribute("data-state")
        for li in block.find_elements(By.CSS_SELECTOR, "li[data-step]")
    }
    # Declared at 00:00 on the fixture's last day, read at its end: the 2 h announcement is overdue.
    assert states["announce"] == "overdue" and set(states.values()) <= {"done", "due", "overdue"}
    assert "距可解封 13 天" in block.text or "距可解封 14 天" in block.text
    screenshot(browser, "risk-stored")
    assert console_errors(browser) == []


def test_the_print_action_downloads_the_atlas_of_the_current_selection(
    browser: webdriver.Chrome, server_url: str
) -> None:
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
    wanted = f"/print/atlas.pdf?all=1&layer=house-status&date={city.LAST_DAY}"
    href = wait_for(
        lambda: (h := browser.find_element(By.ID, ids.HS_PRINT).get_attribute("href")).endswith(wanted) and h,
        message="the print link of the whole map on the last day",
    )
    link = browser.find_element(By.ID, ids.HS_PRINT)
    assert link.text == "打印 PDF" and link.get_attribute("download") is not None
    # What a click downloads, fetched by the page itself (its cookies, its origin).
    kind, head = browser.execute_async_script(
        "var done = arguments[1]; fetch(arguments[0]).then(function (r) {"
        "  return r.arrayBuffer().then(function (b) {"
        "    var head = String.fromCharCode.apply(null, new Uint8Array(b.slice(0, 5)));"
        "    done([r.headers.get('content-type'), head]);"
        "  }); });",
        href,
    )
    assert kind == "application/pdf" and head == "%PDF-"


FAR = (121.58, 31.30)  # about 8 km north-east of the fixture: never on its map


def _declare_near_and_far(e2e_database: str) -> tuple[int, int]:
    """An area declared at b06 on the fixture's last day (the one declare path), and a published area
    known only by a point far away, active the same day: (near id, far id)."""
    engine = create_engine(e2e_database)
    try:
        with engine.begin() as conn:
            building = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b06'")).scalar_one()
            near = declare_and_store(
                conn,
                [case_at_building(conn, building)],
                actor=Actor(name="e2e", role="cli"),
                date=city.LAST_DAY,
                name="近处风险区",
            ).area_id
            far = conn.execute(
                text("""
                INSERT INTO risk_areas (name, level, declared_at, match_kind, point, source, source_id)
                VALUES ('远处风险区', 'medium', :at, 'exact', ST_SetSRID(ST_MakePoint(:x, :y), 4326),
                        'declared', 'e2e-far')
                RETURNING id"""),
                {"at": dt.datetime.combine(city.LAST_DAY, dt.time(0), CHINA_TZ), "x": FAR[0], "y": FAR[1]},
            ).scalar_one()
    finally:
        engine.dispose()
    return int(near), int(far)


def _centre(browser: webdriver.Chrome) -> tuple[float, float]:
    lng, lat = browser.execute_script(
        "var c = window.battlemapMaps[arguments[0]].map.getCenter(); return [c.lng, c.lat];", MAP
    )
    return float(lng), float(lat)


def test_zones_have_boundaries_and_the_panel_keeps_to_the_map(
    browser: webdriver.Chrome, server_url: str, e2e_database: str, declared_areas_removed: None
) -> None:
    near, far = _declare_near_and_far(e2e_database)
    console_errors(browser)
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
    # Each zone is drawn as on the printed atlas: its buildings filled, one boundary with a halo.
    wait_for(lambda: _drawn(browser, f"{AREAS_SOURCE}-line") > 0, message="the zones' boundaries drawn")
    parts = browser.execute_script(
        "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures({layers: [arguments[1]]})"
        ".map(function (f) { return [f.properties.part, f.properties.zone]; });",
        MAP,
        f"{AREAS_SOURCE}-line",
    )
    assert {p for p, _ in parts} == {"boundary"} and {"sealed", "control"} <= {z for _, z in parts}
    assert _drawn(browser, f"{AREAS_SOURCE}-halo") > 0 and _drawn(browser, f"{AREAS_SOURCE}-fill") > 0
    # The panel: the near area as a block with its counts and clocks, the far one only in the list
    # of areas outside the map.
    panel = f"#{ids.HS_RISK_AREAS}"
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, f'{panel} .bm-risk-area[data-area="{near}"]'),
        message="the near area's block",
    )
    assert not browser.find_elements(By.CSS_SELECTOR, f'{panel} .bm-risk-area[data-area="{far}"]')
    outside = browser.find_element(By.CSS_SELECTOR, f"{panel} .bm-risk-more")
    assert "地图范围外另有 1 个" in outside.text
    screenshot(browser, "risk-panel-in-extent")
    outside.find_element(By.TAG_NAME, "summary").click()
    outside.find_element(By.CSS_SELECTOR, f'li[data-area="{far}"] button').click()
    wait_for(
        lambda: map_idle(browser) and math.dist(_centre(browser), FAR) < 0.005,
        timeout=20,
        message="the map flown to the far area",
    )
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, f'{panel} .bm-risk-area[data-area="{far}"]'),
        message="the far area's block, now that it is on the map",
    )
    assert not browser.find_elements(By.CSS_SELECTOR, f'{panel} .bm-risk-area[data-area="{near}"]')
    # And back: the near area's own button flies to it.
    more = browser.find_element(By.CSS_SELECTOR, f"{panel} .bm-risk-more")
    more.find_element(By.TAG_NAME, "summary").click()
    more.find_element(By.CSS_SELECTOR, f'li[data-area="{near}"] button').click()
    wait_for(
        lambda: map_idle(browser) and math.dist(_centre(browser), city.centre("b06")) < 0.003,
        timeout=20,
        message="the map flown back to the near area",
    )
    screenshot(browser, "risk-panel-flown-back")
    assert console_errors(browser) == []
