"""The building card in headless Chromium shows a household's home-isolation devices: online or
offline, the last temperature, the last door event, and its alert history (an open fever alert)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine

from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.devices import alerts, store
from geo.devices.rules import default_rules
from geo.loops.kinds import default_kinds
from geo.vocab import CHINA_TZ
from tests.e2e.support import click_building, console_errors, map_idle, screenshot, wait_for
from tests.fixtures.small_city import FIRST_DAY

pytestmark = pytest.mark.slow
DEVICES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures" / "devices"
SIZES = ((390, 844), (1920, 1080), (3840, 2160))


@pytest.fixture(scope="module")
def fitted(e2e_database: str) -> Iterator[None]:
    """The devices of tests/fixtures/devices/good.csv, a reading of 38.4 °C and a door opening on b09;
    the alerts they raise are resolved afterwards, so the browser tests after these find the city's
    loop items (and the map's loop markers) as they were."""
    engine = create_engine(e2e_database)
    now = dt.datetime.now(CHINA_TZ).replace(microsecond=0)
    with engine.begin() as conn:
        pipeline.load(conn, "devices", DEVICES / "good.csv", options=LoadOptions(progress=False))
        found = store.devices_by_code(conn)
        t, d = found["T-b09-1"], found["D-b09-1"]
        rows = [
            (t.id, 1, now - dt.timedelta(minutes=3), "temperature", 38.4),
            (d.id, 1, now.replace(hour=8, minute=5, second=0), "door_open", None),
        ]
        _, new = store.insert_events(conn, rows, fever_c=37.3)
        alerts.on_events(conn, new, {x.id: x for x in found.values()}, default_rules(), heard=[t.id, d.id])
    assert FIRST_DAY  # the city's own days; the devices speak today
    try:
        yield
    finally:
        with engine.begin() as conn:
            households = [found["T-b09-1"].household_id]
            for alert in alerts.open_alerts(conn, households).values():
                for _ in range(len(default_kinds()["isolation_alert"].steps)):  # every step, then closed
                    alerts.resolve(conn, alert, "browser test over")
        engine.dispose()


def test_the_card_lists_devices_readings_and_alerts(
    fitted: None, browser: webdriver.Chrome, server_url: str
) -> None:
    browser.set_window_size(1920, 1080)
    browser.get(f"{server_url}/house-status")
    wait_for(lambda: map_idle(browser), timeout=30, message="the map to load its tiles")
    console_errors(browser)  # the sign-in page's and the first load's entries: this test is about the card
    click_building(browser, "b09")
    wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, ".bm-card-devices li"), message="the card's devices"
    )
    devices = {
        li.get_attribute("data-device"): li.text
        for li in browser.find_elements(By.CSS_SELECTOR, ".bm-card-devices li")
    }
    assert set(devices) == {"T-b09-1", "D-b09-1"}
    assert "38.4 °C" in devices["T-b09-1"] and "在线" in devices["T-b09-1"]
    assert "开门" in devices["D-b09-1"]
    alerts_ = [li.text for li in browser.find_elements(By.CSS_SELECTOR, ".bm-card-alerts li")]
    assert len(alerts_) == 1 and "发热" in alerts_[0] and "待处置" in alerts_[0]
    assert console_errors(browser) == []
    for width, height in SIZES:
        browser.set_window_size(width, height)
        browser.execute_script("document.querySelector('.bm-card-devices').scrollIntoView({block: 'center'})")
        screenshot(browser, f"device-card-{width}x{height}")
