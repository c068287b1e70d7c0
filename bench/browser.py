"""The house-status page and the wall in headless Chromium, timed as a person sees them.

Shared by ``bench.tiles`` (the page drawn on the demo) and ``bench.city`` (drawn, panned and zoomed
on a whole synthetic city). Chromium here draws WebGL in software (SwiftShader), so every figure
comes with the number of frames MapLibre rendered meanwhile: seconds minus frames times a GPU's
frame time estimates what a wall with a graphics card would show.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WINDOW = (1920, 1080)
TIMEOUT_S = 120.0

# Counts MapLibre's repaints of the map under ``key`` from the moment it exists (polled by ``_idle``).
_HOOK = """
var e = window.battlemapMaps && window.battlemapMaps[arguments[0]];
if (e && !e.map.__benchHooked) {
  e.map.__benchHooked = true; window.__benchFrames = 0;
  e.map.on('render', function () { window.__benchFrames += 1; });
}
"""
_IDLE = (
    _HOOK
    + """
return !!e && e.map.loaded() && e.map.areTilesLoaded() && !e.map.isMoving()
  && document.querySelectorAll(arguments[1]).length > 0;
"""
)


@contextmanager
def served(database: str, *, port: int, log: Path, threads: int = 4) -> Iterator[str]:
    """``battlemap serve`` on ``database`` at 127.0.0.1:``port``; yields its root URL."""
    from bench.tiles import BATTLEMAP, start

    root = f"http://127.0.0.1:{port}"
    env = os.environ | {"DATABASE_URL": database, "BATTLEMAP_THREADS": str(threads)}
    command = [str(BATTLEMAP), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process: subprocess.Popen = start(command, env, f"{root}/health", log)
    try:
        yield root
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium at 1920x1080 with software WebGL, driven by selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--enable-unsafe-swiftshader",
        "--no-first-run",
    ]
    for flag in (*flags, f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={tempfile.mkdtemp()}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: Any, root: str, database: str) -> None:
    """Sign in as the benchmark's commander (``bench.tiles.bench_user``)."""
    from selenium.webdriver.common.by import By

    from bench.tiles import bench_user

    name, password, _ = bench_user(database)
    driver.get(f"{root}/login")
    driver.find_element(By.ID, "login-name").send_keys(name)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    while "/login" in driver.current_url:
        time.sleep(0.05)


def _wait(driver: Any, key: str, ready: str, what: str) -> float:
    """Seconds until the map ``key`` is idle with every tile loaded and ``ready`` is on the page."""
    t0 = time.perf_counter()
    while not driver.execute_script(_IDLE, key, ready):
        if time.perf_counter() - t0 > TIMEOUT_S:
            raise RuntimeError(f"{what} was not drawn within {TIMEOUT_S:.0f} s")
        time.sleep(0.02)
    return time.perf_counter() - t0


def _frames(driver: Any) -> int:
    return int(driver.execute_script("return window.__benchFrames || 0;"))


def _callbacks_s(driver: Any) -> float:
    """The longest Dash callback request of the page so far (its server-side work plus transfer)."""
    script = (
        "return Math.max(0, ...performance.getEntriesByType('resource')"
        ".filter(r => r.name.indexOf('_dash-update-component') >= 0).map(r => r.duration));"
    )
    return float(driver.execute_script(script)) / 1000


def draw(driver: Any, root: str, path: str, key: str, ready: str) -> dict[str, float]:
    """Navigate to ``path`` and time it until drawn: seconds, frames rendered, longest callback."""
    driver.get("about:blank")
    t0 = time.perf_counter()
    driver.get(root + path)
    _wait(driver, key, ready, path)
    return {"s": time.perf_counter() - t0, "frames": _frames(driver), "callback_s": _callbacks_s(driver)}


def move(driver: Any, key: str, script: str, what: str) -> dict[str, float]:
    """Run ``script`` on the map (``m``) without animation and time it until every tile is drawn."""
    before = _frames(driver)
    # A jump is not "moving" and its new tiles are asked on the next frame: wait for the map's own
    # ``idle`` (every tile of the new view loaded, nothing left to draw) instead of polling at once.
    arm = "window.__benchIdle = false; m.once('idle', function () { window.__benchIdle = true; });"
    t0 = time.perf_counter()
    driver.execute_script("var m = window.battlemapMaps[arguments[0]].map; " + arm + script, key)
    while not driver.execute_script("return window.__benchIdle === true;"):
        if time.perf_counter() - t0 > TIMEOUT_S:
            raise RuntimeError(f"{what} was not drawn within {TIMEOUT_S:.0f} s")
        time.sleep(0.02)
    return {"s": time.perf_counter() - t0, "frames": _frames(driver) - before}


def heap_mb(driver: Any) -> float:
    """The page's used JS heap (DevTools ``Performance.getMetrics``), after a garbage collection."""
    driver.execute_cdp_cmd("HeapProfiler.enable", {})
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    driver.execute_cdp_cmd("Performance.enable", {})
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    used = next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize")
    return float(used) / 2**20


HOUSE_STATUS = ("/house-status", "bm-map-hs", ".bm-kpi")
WALL = ("/wall", "bm-map-wall", ".bm-wall-kpis .bm-kpi")


def city_figures(database: str, *, port: int, screenshot: Path | None = None) -> dict[str, float]:
    """The house-status page on ``database``: drawn at its default view (cold: the server just
    started; then warm), panned by half a screen and zoomed in one level, each until every tile is
    loaded, with frames and the JS heap; and the wall drawn (its refresh callback timed apart).
    The pan is an eighth of the window: at the default view the whole city stays in sight (a half
    would move it off the screen and time empty tiles)."""
    path, key, ready = HOUSE_STATUS
    with served(database, port=port, log=OUT / "city_page.log") as root, chromium() as driver:
        sign_in(driver, root, database)
        cold = draw(driver, root, path, key, ready)
        warm = draw(driver, root, path, key, ready)
        pan = move(driver, key, f"m.panBy([{WINDOW[0] // 8}, 0], {{animate: false}});", "the pan")
        zoom = move(driver, key, "m.zoomIn({animate: false});", "the zoom")
        heap = heap_mb(driver)
        if screenshot is not None:
            driver.save_screenshot(str(screenshot))
        wall = draw(driver, root, *WALL)
    return {
        "drawn_cold_s": cold["s"],
        "drawn_warm_s": warm["s"],
        "drawn_frames": cold["frames"],
        "kpi_callback_s": cold["callback_s"],
        "pan_s": pan["s"],
        "pan_frames": pan["frames"],
        "zoom_s": zoom["s"],
        "zoom_frames": zoom["frames"],
        "heap_mb": heap,
        "wall_drawn_s": wall["s"],
        "wall_refresh_s": wall["callback_s"],
    }


def page_draw_seconds(database: str, *, runs: int = 3, port: int = 8873) -> list[float]:
    """Seconds from navigation to the house-status map fully drawn (style and every tile loaded, map
    idle) in headless Chromium, against ``database`` (the Lujiazui demo); the first run is cold."""
    path, key, ready = HOUSE_STATUS
    with served(database, port=port, log=OUT / "tiles_page.log") as root, chromium() as driver:
        sign_in(driver, root, database)
        seconds = [round(draw(driver, root, path, key, ready)["s"], 2) for _ in range(runs)]
        OUT.mkdir(exist_ok=True)
        driver.save_screenshot(str(OUT / "tiles_page.png"))
    return seconds
