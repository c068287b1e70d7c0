"""CORS in a real browser: a MapLibre page served from another origin (a second local port) draws the
buildings tiles, fetched with a bearer token (so every request is preflighted), when its origin is in
BATTLEMAP_CORS_ORIGINS, and is refused (nothing drawn) when it is not."""

from __future__ import annotations

import functools
import io
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

from app import create_app
from geo.settings import Settings
from tests.auth_support import token_on
from tests.e2e.harness import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS
from tests.e2e.support import screenshot, wait_for
from tests.fixtures import small_city as city
from tests.fixtures.clusters import free_port

API_PORT, ALLOWED_PORT, REFUSED_PORT = (free_port() for _ in range(3))
ALLOWED = f"http://127.0.0.1:{ALLOWED_PORT}"
VENDOR = Path(__file__).resolve().parents[2] / "dashboards" / "assets" / "vendor"
FILL = (214, 39, 40)  # the page's own building colour, #d62728
PAGE = """<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="maplibre-gl.css">
<style>html,body,#map{margin:0;width:100%;height:100%}</style></head><body><div id="map"></div>
<script src="maplibre-gl.js"></script><script>
const q = new URLSearchParams(location.search);
window.result = {errors: [], features: null, idle: false};
const map = new maplibregl.Map({
  container: "map", center: [CENTRE], zoom: 17, attributionControl: false,
  style: {version: 8, sources: {b: {type: "vector", url: q.get("api") + "/tiles/buildings.json"}},
          layers: [{id: "bg", type: "background", paint: {"background-color": "#ffffff"}},
                   {id: "b", type: "fill", source: "b", "source-layer": "buildings",
                    paint: {"fill-color": "#d62728"}}]},
  transformRequest: (url) => ({url: url, headers: {Authorization: "Bearer " + q.get("token")}}),
});
map.on("error", (e) => window.result.errors.push(String((e.error && e.error.message) || e)));
map.on("idle", () => {
  window.result.idle = true;
  window.result.features = map.querySourceFeatures("b", {sourceLayer: "buildings"}).length;
});
</script></body></html>"""


def _static(port: int, root: Path) -> ThreadingHTTPServer:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def sites(e2e_database: str) -> Iterator[tuple[str, str]]:
    """The app (CORS allowed for ALLOWED only) and the same page served from two origins."""
    settings = Settings(_env_file=None, database={"url": e2e_database}, app={"cors_origins": [ALLOWED]})
    app = create_app(settings)
    api = make_server("127.0.0.1", API_PORT, app.server, threaded=True)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    root = Path(tempfile.mkdtemp(prefix="battlemap-cors-"))
    for name in ("maplibre-gl.js", "maplibre-gl.css"):
        shutil.copy(VENDOR / name, root / name)
    (root / "index.html").write_text(
        PAGE.replace("CENTRE", "{:f}, {:f}".format(*city.centre("b06"))), encoding="utf-8"
    )
    pages = [_static(ALLOWED_PORT, root), _static(REFUSED_PORT, root)]
    token = token_on(e2e_database, "cors-page-commander")
    try:
        yield f"http://127.0.0.1:{API_PORT}", token
    finally:
        for server in pages:
            server.shutdown()
            server.server_close()
        api.shutdown()
        api.server_close()
        app.server.extensions["battlemap"].engine.dispose()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def page_browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium that never signed in anywhere: the page's token is all it has."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='battlemap-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()


def _red_share(driver: webdriver.Chrome) -> float:
    pixels = np.asarray(Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB"), dtype=np.int16)
    red = (np.abs(pixels - np.array(FILL, dtype=np.int16)) < 30).all(axis=2)
    return float(red.mean())


def _open(driver: webdriver.Chrome, origin: str, api: str, token: str) -> dict:
    driver.get(f"{origin}/index.html?api={api}&token={token}")
    return wait_for(
        lambda: (r := driver.execute_script("return window.result")) and (r["idle"] or r["errors"]) and r,
        timeout=30,
        message="the map to settle or fail",
    )


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1920, 1080), (3840, 2160)])
def test_an_allowed_origin_draws_the_tiles(
    sites: tuple[str, str], page_browser: webdriver.Chrome, width: int, height: int
) -> None:
    api, token = sites
    page_browser.set_window_size(width, height)
    result = _open(page_browser, ALLOWED, api, token)
    wait_for(
        lambda: page_browser.execute_script("return window.result.features"), timeout=30, message="features"
    )
    assert page_browser.execute_script("return window.result.errors") == []
    screenshot(page_browser, f"cors-allowed-{width}x{height}")
    assert result is not None and _red_share(page_browser) > 0.01


def test_another_origin_is_refused(sites: tuple[str, str], page_browser: webdriver.Chrome) -> None:
    api, token = sites
    page_browser.set_window_size(1920, 1080)
    result = _open(page_browser, f"http://127.0.0.1:{REFUSED_PORT}", api, token)
    assert result["errors"], result
    assert not result["features"]
    screenshot(page_browser, "cors-refused-1920x1080")
    assert _red_share(page_browser) == 0


FETCH_ITEMS = """
const [api, token, done] = arguments;
fetch(api + "/ogc/collections/buildings/items?limit=100", {headers: {Authorization: "Bearer " + token}})
  .then((r) => r.json()).then((page) => done({ids: page.features.map((f) => f.id)}))
  .catch((e) => done({error: String(e)}));
"""


@pytest.mark.parametrize("port", [ALLOWED_PORT, REFUSED_PORT])
def test_the_ogc_api_is_readable_from_the_allowed_origin_only(
    sites: tuple[str, str], page_browser: webdriver.Chrome, port: int
) -> None:
    api, token = sites
    page_browser.get(f"http://127.0.0.1:{port}/index.html?api={api}&token={token}")
    for _ in range(3):  # each a preflight and a read (or a refusal)
        got = page_browser.execute_async_script(FETCH_ITEMS, api, token)
        if port == ALLOWED_PORT:
            assert got == {"ids": city.BUILDINGS}
        else:
            assert "Failed to fetch" in got["error"]
