"""Overlays published from a notebook in the browser: the wall shows one only once a commander approved
it (`battlemap overlays approve`), its colour drawn over the building it covers after approval and
absent before, on a 1920x1080 and a 3840x2160 wall; on the house-status map it is listed and drawn
when ticked (390x844, 1920x1080, 3840x2160)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from shapely.geometry import box
from sqlalchemy import create_engine, text

from geo.audit import cli_actor
from geo.overlays.registry import delete_overlay, find_overlay
from layers import notebook
from layers.tiles.overlays import FILL_OPACITY
from tests.auth_support import token_on
from tests.e2e.support import (
    HOUSE_STATUS_MAP,
    WALL_REFRESH_SECONDS,
    WALL_ROTATE_SECONDS,
    close,
    colour_at,
    console_errors,
    map_idle,
    rgb,
    screenshot,
    wait_for,
)
from tests.fixtures import small_city as city

pytestmark = pytest.mark.slow

MAP = "bm-map-wall"
NAME = "wall_check"
COLOUR = "#ffd600"
BUILDING = "b06"
TITLES = ("房态图", "楼组包干图")  # the wall's playlist: house status, responsibility
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(e2e_database: str) -> Iterator[str]:
    engine = create_engine(e2e_database)
    token = token_on(e2e_database, "e2e-analyst", role="analyst")
    frame = gpd.GeoDataFrame({"kind": ["check"]}, geometry=[box(*city.footprint(BUILDING))], crs="EPSG:4326")
    notebook.publish(frame, name=NAME, token=token, style=COLOUR, source=engine)
    try:
        yield NAME
    finally:
        with engine.begin() as conn:
            if find_overlay(conn, NAME) is not None:
                delete_overlay(conn, NAME, cli_actor())
        engine.dispose()


def _house_status_overlay_shown(browser: webdriver.Chrome) -> bool:
    return bool(
        browser.execute_script(
            "var e = window.battlemapMaps[arguments[0]], l = e && e.map.getLayer(arguments[1]);"
            "return !!l && e.map.getLayoutProperty(arguments[1], 'visibility') === 'visible';",
            HOUSE_STATUS_MAP,
            f"overlay-{NAME}-fill",
        )
    )


def test_the_house_status_map_lists_the_overlay_and_draws_it_when_ticked(
    browser: webdriver.Chrome, server_url: str, e2e_database: str, published: str
) -> None:
    console_errors(browser)
    for size, label in (((1920, 1080), "1920"), ((390, 844), "390"), ((3840, 2160), "3840")):
        browser.set_window_size(*size)
        browser.get(f"{server_url}/house-status")
        wait_for(lambda: map_idle(browser, HOUSE_STATUS_MAP), timeout=30, message="the map to load its tiles")
        panel = browser.find_element(By.CSS_SELECTOR, ".bm-overlays-panel")
        assert "发布的图层" in panel.text and published in panel.text and "e2e-analyst 发布" in panel.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", panel)
        browser.execute_script(
            "window.battlemapMaps[arguments[0]].map.jumpTo({center: arguments[1], zoom: 17})",
            HOUSE_STATUS_MAP,
            list(city.centre(BUILDING)),
        )
        wait_for(lambda: map_idle(browser, HOUSE_STATUS_MAP), message="the map to settle")
        under = colour_at(browser, BUILDING, HOUSE_STATUS_MAP)
        assert not _house_status_overlay_shown(browser)
        assert not close(under, _blend(under), tolerance=20)
        panel.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
        wait_for(
            lambda: _house_status_overlay_shown(browser) and map_idle(browser, HOUSE_STATUS_MAP),
            message="the ticked overlay to be drawn",
        )
        drawn = colour_at(browser, BUILDING, HOUSE_STATUS_MAP)
        assert close(drawn, _blend(under), tolerance=14), (drawn, _blend(under))
        screenshot(browser, f"house-status-overlay-{label}")
    # the commander approves it for the wall from the map (audited as theirs)
    button = browser.find_element(By.CSS_SELECTOR, ".bm-overlays-approve button")
    assert button.text == f"批准上大屏: {published}"
    button.click()
    wait_for(lambda: button.text.startswith("✓"), message="the approval")
    assert button.text == f"✓ {published}: e2e-commander" and not button.is_enabled()
    engine = create_engine(e2e_database)
    try:
        with engine.connect() as conn:
            assert find_overlay(conn, published).approved_by == "e2e-commander"  # type: ignore[union-attr]
            actions = conn.execute(
                text("SELECT user_name FROM audit_log WHERE action = 'overlay_approve' AND target = :t"),
                {"t": f"overlay:{published}"},
            ).scalars()
            assert list(actions)[-1:] == ["e2e-commander"]
    finally:
        engine.dispose()
    assert console_errors(browser) == []


def _title(browser: webdriver.Chrome) -> str:
    found = browser.find_elements(By.ID, "wall-title")
    return next((t for t in TITLES if found and t in found[0].text), "")


def _has_overlay(browser: webdriver.Chrome) -> bool:
    return bool(
        browser.execute_script(
            "var e = window.battlemapMaps[arguments[0]]; return !!e && !!e.map.getLayer(arguments[1]);",
            MAP,
            f"overlay-{NAME}-fill",
        )
    )


def _blend(under: tuple[int, int, int]) -> str:
    over = rgb(COLOUR)
    mixed = [round(FILL_OPACITY * o + (1 - FILL_OPACITY) * u) for o, u in zip(over, under, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*mixed)


def _drawn(browser: webdriver.Chrome) -> bool:
    """The wall's map has drawn its layer and the overlay (when present): their sources are loaded and
    the map is still (the basemap may still be loading: a 4K software-rendered map of a loaded machine
    can take longer than one rotation to load every tile)."""
    return bool(
        browser.execute_script(
            "var e = window.battlemapMaps[arguments[0]]; if (!e || e.map.isMoving()) return false;"
            "var m = e.map, s = Object.keys(e.spec.tiles).filter(function (k) { return k !== 'basemap'; });"
            "return m.isStyleLoaded() && s.every(function (k) { return m.isSourceLoaded(k); });",
            MAP,
        )
    )


def _settled(browser: webdriver.Chrome, title: str, *, overlay: bool) -> bool:
    return _title(browser) == title and _has_overlay(browser) == overlay and _drawn(browser)


def _sample(browser: webdriver.Chrome, *, overlay: bool) -> tuple[str, tuple[int, int, int]] | None:
    """(title, colour at the building) of a settled wall map, or None while it rotates or loads: the
    map must have settled before the screenshot and still be the same map after it (the playlist moves
    on by itself, replacing the map)."""
    title = next((t for t in TITLES if _settled(browser, t, overlay=overlay)), None)
    if title is None:
        return None
    browser.execute_script("window.battlemapMaps[arguments[0]].map._sampled = true", MAP)
    colour = colour_at(browser, BUILDING, MAP)
    same = browser.execute_script("return !!window.battlemapMaps[arguments[0]].map._sampled", MAP)
    return (title, colour) if same and _title(browser) == title else None


def test_the_wall_shows_a_published_overlay_only_after_approval(
    browser: webdriver.Chrome, server_url: str, e2e_database: str, published: str
) -> None:
    browser.set_window_size(1920, 1080)
    browser.get(f"{server_url}/wall")
    before: dict[str, tuple[int, int, int]] = {}
    for title in TITLES:  # both maps of the playlist, unapproved: the overlay is not drawn
        found = wait_for(
            lambda t=title: (s := _sample(browser, overlay=False)) and s[0] == t and s,
            timeout=WALL_ROTATE_SECONDS * 3 + 20,
            message=f"the wall's {title} without the overlay",
        )
        before[title] = found[1]
        assert not browser.find_elements(By.CSS_SELECTOR, ".bm-wall-overlays")
        assert not close(before[title], _blend(before[title]), tolerance=20)
    screenshot(browser, "wall-overlay-before-1920")

    env = os.environ | {"DATABASE_URL": e2e_database, "BATTLEMAP_DATABASE_URL": e2e_database}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "battlemap"), "overlays", "approve", published],
        env=env, capture_output=True, text=True, timeout=60, check=False, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"overlay {published} is approved for the wall" in done.stdout

    for size, label in (((1920, 1080), "1920"), ((3840, 2160), "3840")):
        browser.set_window_size(*size)
        title, drawn = wait_for(
            lambda: _sample(browser, overlay=True),
            timeout=WALL_REFRESH_SECONDS * 3 + WALL_ROTATE_SECONDS * 6 + 20,
            message="the wall to draw the approved overlay",
        )
        assert close(drawn, _blend(before[title]), tolerance=14), (title, drawn, _blend(before[title]))
        key = browser.find_element(By.CSS_SELECTOR, ".bm-wall-overlays").text
        assert "发布的图层" in key and f"{published} · e2e-analyst 发布" in key
        screenshot(browser, f"wall-overlay-approved-{label}")
