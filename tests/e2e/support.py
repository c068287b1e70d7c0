"""What the browser tests share: a TCP proxy to cut the database, the requests the app served, waits,
console errors and screenshots (artifacts/e2e/, git-ignored)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from tests.auth_support import PASSWORD
from tests.fixtures import small_city as city
from tests.tcp_proxy import TcpProxy

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
# Every path (with its query) the app served, in order: MapLibre fetches tiles from a worker,
# out of the page's performance timeline, so the server is where requests are seen.
REQUESTS: list[str] = []
WALL_REFRESH_SECONDS = 5
WALL_ROTATE_SECONDS = 6
BUILDING_LIMIT = 4  # sim-L1 and sim-L2 answer for 5 buildings each
T = TypeVar("T")
HOUSE_STATUS_MAP = "bm-map-hs"
__all__ = ["TcpProxy"]


def console_errors(driver: webdriver.Chrome) -> list[dict]:
    """The browser's SEVERE log entries since the last call."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def wait_for(
    predicate: Callable[[], T], *, timeout: float = 15, interval: float = 0.2, message: str = "condition"
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail with ``message`` after ``timeout``.

    An element Dash re-rendered between finding and reading it counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def screenshot(driver: webdriver.Chrome, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def map_idle(browser: webdriver.Chrome, container: str = HOUSE_STATUS_MAP) -> bool:
    return bool(
        browser.execute_script(
            "var e = window.battlemapMaps && window.battlemapMaps[arguments[0]];"
            "return !!e && e.map.loaded() && e.map.areTilesLoaded() && !e.map.isMoving();",
            container,
        )
    )


def colour_at(
    browser: webdriver.Chrome, building: str, container: str = HOUSE_STATUS_MAP
) -> tuple[int, int, int]:
    """The screen colour at a fixture building's centre (a screenshot, not the map's own state)."""
    x, y = browser.execute_script(
        "var m = window.battlemapMaps[arguments[0]].map, r = m.getCanvas().getBoundingClientRect();"
        "var p = m.project(arguments[1]); return [r.left + p.x, r.top + p.y];",
        container,
        list(city.centre(building)),
    )
    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    ratio = image.width / browser.execute_script("return window.innerWidth")
    return image.getpixel((round(x * ratio), round(y * ratio)))


def click_building(browser: webdriver.Chrome, building: str, container: str = HOUSE_STATUS_MAP) -> None:
    """A real mouse click on a fixture building's centre."""
    canvas = browser.find_element(By.CSS_SELECTOR, f"#{container} canvas")
    x, y = browser.execute_script(
        "var p = window.battlemapMaps[arguments[0]].map.project(arguments[1]); return [p.x, p.y];",
        container,
        list(city.centre(building)),
    )
    rect = canvas.rect
    webdriver.ActionChains(browser).move_to_element_with_offset(
        canvas, round(x - rect["width"] / 2), round(y - rect["height"] / 2)
    ).click().perform()


def rendered_ids(browser: webdriver.Chrome, layer: str, container: str = HOUSE_STATUS_MAP) -> set[int]:
    """Feature ids MapLibre has drawn in one style layer (what is on screen, not what is loaded)."""
    ids = browser.execute_script(
        "return window.battlemapMaps[arguments[0]].map.queryRenderedFeatures({layers: [arguments[1]]})"
        ".map(function (f) { return f.id; });",
        container,
        layer,
    )
    return {int(i) for i in ids if i is not None}


def close(actual: tuple[int, int, int], expected: str, tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, rgb(expected), strict=True))


E2E_USER = "e2e-commander"


def sign_in(driver: webdriver.Chrome, server_url: str, name: str, password: str = PASSWORD) -> None:
    """Sign ``driver`` in through the sign-in form, as a person would (the session cookie follows)."""
    driver.get(f"{server_url}/login")
    driver.find_element(By.ID, "login-name").send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    deadline = time.monotonic() + 20
    while "/login" in driver.current_url and time.monotonic() < deadline:
        time.sleep(0.1)
    if "/login" in driver.current_url:
        raise AssertionError(f"signing in as {name} failed")
