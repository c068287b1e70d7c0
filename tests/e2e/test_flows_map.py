"""The movement-flow map (动线管理图) in headless Chromium on the demo data (real sample + simulated flows).

The closed-loop view draws the transfer legs (lines and arrowheads), lists exactly the chains
``geo.flows.overdue_chains`` finds at the data's clock and counts them in the KPI strip, and a
click on a chain shows its legs and handover times. The compound view flies to a compound and
draws its inside path (gate -> registration -> temperature check -> delivery drop) with the
hourly gate counts beside it. The demo database, the server and the browser are this module's
own (the session's browser is signed in to another server).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine

from app import create_app
from etl.demo.run import run_demo
from geo.flows import chains
from geo.settings import Settings
from layers.style import LEG_SWATCHES
from tests.e2e.harness import chromium, serving
from tests.e2e.support import console_errors, map_idle, screenshot, wait_for
from tests.fixtures.databases import sibling_url, throwaway_database

MAP = "bm-map-fl"
LINE_LAYERS = ("flows-od", "flows-legs", "flows-legs-dashed")
REQUESTS: list[str] = []
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_url(database_url: str) -> Iterator[str]:
    """A database holding the whole demo, loaded the way `battlemap demo load` loads it."""
    with throwaway_database(sibling_url(database_url, "flows_demo")) as url:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                run_demo(conn, settings=Settings(_env_file=None, database={"url": url}))
        finally:
            engine.dispose()
        yield url


@pytest.fixture(scope="module")
def expected(demo_url: str) -> dict:
    """What the page must show at its default clock (the data's latest time, deadline as configured)."""
    settings = Settings(_env_file=None, database={"url": demo_url})
    engine = create_engine(demo_url)
    try:
        with engine.connect() as conn:
            at = chains.latest_time(conn)
            assert at is not None
            hours = settings.flows.deadline_hours
            overdue = chains.overdue_chains(conn, at=at, deadline_hours=hours)
            compounds = chains.compounds_with_gates(conn)
            counts = chains.gate_hourly_counts(
                conn, compounds[0].id, at=at, window_hours=settings.flows.window_hours
            )
    finally:
        engine.dispose()
    return {"at": at, "overdue": overdue, "compound": compounds[0], "gate_rows": len(counts)}


@pytest.fixture(scope="module")
def flows_url(demo_url: str) -> Iterator[str]:
    with serving(create_app(Settings(_env_file=None, database={"url": demo_url})), REQUESTS) as served:
        yield served


@pytest.fixture(scope="module")
def chrome(flows_url: str) -> Iterator[webdriver.Chrome]:
    """A Chromium of this module's own (its own cookies), signed in to this module's server."""
    with chromium(flows_url) as driver:
        yield driver


def _rendered(browser: webdriver.Chrome, layers: tuple[str, ...]) -> list[dict]:
    """Properties of the features MapLibre has drawn in these style layers (on screen, not loaded)."""
    return browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map;"
        "var ls = arguments[1].filter(function (l) { return m.getLayer(l); });"
        "return m.queryRenderedFeatures({layers: ls}).map(function (f) { return f.properties; });",
        MAP,
        list(layers),
    )


def _open(browser: webdriver.Chrome, url: str) -> None:
    REQUESTS.clear()
    console_errors(browser)
    browser.get(url)
    wait_for(lambda: map_idle(browser, MAP), timeout=40, message="the flow map to load its tiles")


def test_closed_loops_draw_lines_and_list_the_overdue_chains(
    chrome: webdriver.Chrome, flows_url: str, expected: dict
) -> None:
    _open(chrome, f"{flows_url}/flows")
    tiles = [unquote(p) for p in REQUESTS if p.startswith("/tiles/flows/")]
    clock = expected["at"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert tiles and all(f"at={clock}" in p and "hours=24" in p for p in tiles)
    lines = wait_for(lambda: _rendered(chrome, LINE_LAYERS), timeout=20, message="flow lines on screen")
    statuses = {f["status"] for f in lines}
    assert statuses <= {s.code for s in LEG_SWATCHES} and "overdue" in statuses
    assert _rendered(chrome, ("flows-arrows",)), "every line has an arrowhead"

    overdue = [c.chain_id for c in expected["overdue"]]
    assert overdue, "the demo has overdue chains at its clock"
    rows = wait_for(
        lambda: chrome.find_elements(By.CSS_SELECTOR, "#fl-overdue tbody tr"), message="the overdue list"
    )
    assert [r.get_attribute("data-chain") for r in rows] == overdue
    kpi = chrome.find_element(By.CSS_SELECTOR, "[data-kpi='overdue'] .bm-kpi-value")
    assert kpi.text == str(len(overdue))

    first = expected["overdue"][0]
    rows[0].find_element(By.TAG_NAME, "button").click()
    legs = wait_for(
        lambda: chrome.find_elements(By.CSS_SELECTOR, "#fl-card .bm-chain-legs tbody tr"),
        message="the chain's legs in the card",
    )
    assert first.chain_id in chrome.find_element(By.ID, "fl-card").text
    assert len(legs) == first.legs
    assert legs[first.stuck_leg - 1].get_attribute("data-state") == "overdue"
    assert first.stuck_to in legs[first.stuck_leg - 1].text
    screenshot(chrome, "flows-loops")
    assert console_errors(chrome) == []


def test_compound_view_draws_the_inside_path_with_hourly_gate_counts(
    chrome: webdriver.Chrome, flows_url: str, expected: dict
) -> None:
    _open(chrome, f"{flows_url}/flows?view=compound")
    wait_for(
        lambda: (
            chrome.execute_script(f"return window.battlemapMaps['{MAP}'].map.getZoom()") >= 15
            and map_idle(chrome, MAP)
        ),
        timeout=30,
        message="the map to fly to the compound",
    )
    paths = wait_for(lambda: _rendered(chrome, ("flows-paths",)), timeout=20, message="the inside path")
    assert {(p["from_kind"], p["to_kind"]) for p in paths if p["compound"] == expected["compound"].id} == {
        ("compound_gate", "registration_point"),
        ("registration_point", "temperature_point"),
        ("temperature_point", "delivery_point"),
    }
    assert chrome.find_element(By.ID, "fl-loops-panel").get_attribute("hidden") is not None
    rows = wait_for(
        lambda: chrome.find_elements(By.CSS_SELECTOR, "#fl-compound-panel tbody tr"), message="gate counts"
    )
    assert len(rows) == expected["gate_rows"] > 0
    screenshot(chrome, "flows-compound")
    assert console_errors(chrome) == []


def test_playback_moves_the_window(chrome: webdriver.Chrome, flows_url: str) -> None:
    _open(chrome, f"{flows_url}/flows?lang=en")
    label = chrome.find_element(By.ID, "fl-at-label").text
    REQUESTS.clear()
    chrome.find_element(By.ID, "fl-play").click()
    wait_for(lambda: chrome.find_element(By.ID, "fl-at-label").text != label, message="the clock to move")
    chrome.find_element(By.ID, "fl-play").click()
    wait_for(lambda: chrome.find_element(By.ID, "fl-play").text == "▶ Play", message="the button to say Play")
    wait_for(
        lambda: any(p.startswith("/tiles/flows/") and "at=" in p for p in REQUESTS),
        message="tiles of the moved window",
    )
