"""The campaign board's committees in headless Chromium (the tiny campaign world: 甲街道 with two
committees, 乙镇 reporting for itself): a click on a sub-district lists its committees with the
board's numbers, the one missing today's report marked, and the roll-up row above them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine

from app import create_app
from dashboards._campaign_views import figure
from geo.campaign.board import board
from geo.settings import Settings
from tests.campaign_world import DAY, NAME, campaign_world
from tests.e2e.harness import chromium, serving
from tests.e2e.support import console_errors, wait_for

__all__ = ["campaign_world"]
REQUESTS: list[str] = []
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_site(campaign_world: tuple[str, list[Path]]) -> Iterator[str]:
    with serving(
        create_app(Settings(_env_file=None, database={"url": campaign_world[0]})), REQUESTS
    ) as served:
        yield served


@pytest.fixture(scope="module")
def world_chrome(world_site: str) -> Iterator[webdriver.Chrome]:
    with chromium(world_site) as driver:
        yield driver


def test_a_click_lists_the_committees(
    world_chrome: webdriver.Chrome, world_site: str, campaign_world: tuple[str, list[Path]]
) -> None:
    engine = create_engine(campaign_world[0])
    try:
        with engine.connect() as conn:
            expected = {r.code: r for r in board(conn, NAME, day=DAY, unit="SD-A")}
    finally:
        engine.dispose()
    world_chrome.set_window_size(1920, 1080)
    console_errors(world_chrome)
    world_chrome.get(f"{world_site}/campaign?date={DAY.isoformat()}")
    rows = wait_for(
        lambda: (
            len(world_chrome.find_elements(By.CSS_SELECTOR, "#cp-table tbody tr")) == 2
            and world_chrome.find_elements(By.CSS_SELECTOR, "#cp-table tbody tr")
        ),
        timeout=40,
        message="the two sub-districts",
    )
    row = next(r for r in rows if r.get_attribute("data-unit") == "SD-A")
    assert row.find_element(By.CSS_SELECTOR, "td[data-col='vaccinated']").text == figure(
        expected["SD-A"].vaccinated, "zh"
    )
    assert row.find_elements(By.CSS_SELECTOR, "[data-flag='missing']"), "a committee has not reported"
    row.click()
    committees = wait_for(
        lambda: world_chrome.find_elements(By.CSS_SELECTOR, "#cp-committees tbody tr"),
        message="committee rows",
    )
    assert [c.get_attribute("data-unit") for c in committees] == ["CM-A1", "CM-A2"]
    for committee in committees:
        want = expected[committee.get_attribute("data-unit")]
        cells = {
            c.get_attribute("data-col"): c.text
            for c in committee.find_elements(By.CSS_SELECTOR, "td[data-col]")
        }
        assert cells["vaccinated"] == figure(want.vaccinated, "zh") and cells["avg_7d"] == figure(
            want.avg_7d, "zh"
        )
        assert bool(committee.find_elements(By.CSS_SELECTOR, "[data-flag='missing']")) == want.missing
    assert world_chrome.find_element(By.ID, "cp-detail-title").text == "甲街道"
    world_chrome.save_screenshot(
        str(Path(__file__).resolve().parents[2] / "artifacts" / "campaign" / "committees.png")
    )
    assert not [e for e in console_errors(world_chrome) if "favicon" not in e["message"]]
