"""Starting what a browser test drives: the app served from a background thread, and a headless
Chromium from the OS packages, signed in through the sign-in form."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dash
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

from tests.auth_support import ensure_user
from tests.e2e.support import E2E_USER, sign_in

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WINDOW = (1400, 900)  # every browser test starts at this size (tests/e2e/conftest.py puts it back)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL in software: MapLibre needs it without a GPU
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)
# console.error with its arguments as JSON: Dash logs its errors as objects, which the browser log
# would show as just "Object".
READABLE_ERRORS = """
(function () {
  var error = console.error;
  console.error = function () {
    var text = Array.prototype.map.call(arguments, function (x) {
      try { return typeof x === "string" ? x : JSON.stringify(x); } catch (e) { return String(x); }
    });
    error.call(console, text.join(" "));
  };
})();
"""


@contextmanager
def serving(app: dash.Dash, requests: list[str]) -> Iterator[str]:
    """Serve ``app`` on a free port (with the e2e commander as a user), appending every path it
    answers, with its query, to ``requests``; yields the base URL."""
    ensure_user(app.server.extensions["battlemap"].engine, E2E_USER)
    wsgi = app.server.wsgi_app

    def recording(environ: dict, start_response: object) -> object:
        query = environ.get("QUERY_STRING")
        requests.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        return wsgi(environ, start_response)

    app.server.wsgi_app = recording  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.server.extensions["battlemap"].engine.dispose()


@contextmanager
def chromium(server_url: str, user: str = E2E_USER) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a profile of its own (so its own cookies), its console kept, signed in
    to ``server_url`` as ``user`` (the e2e commander unless told)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='battlemap-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(30)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": READABLE_ERRORS})
        sign_in(driver, server_url, user)
        yield driver
    finally:
        driver.quit()
