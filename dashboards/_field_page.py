"""The grid worker's phone page, ``GET /field``: plain HTML (no Dash) whose script
(``assets/field/field.js``) reads and writes through the REST API (``/api/v1``), so it works offline:
a service worker (``GET /field-sw.js``, ``assets/field/sw.js``) keeps the page, its assets and the last
answers, and actions taken offline wait in IndexedDB (``assets/field/queue.js``), each with the
client-made id it sends as ``Idempotency-Key``, until the network returns.

The page carries no data of its own: the user's name and role, the UI's words and where the map's
tiles are. Signing in is the app's (``dashboards._auth``: the page is a page endpoint, so a browser
without a session goes to ``/login``; the wall is sent to its own page).
"""

from __future__ import annotations

import json
from pathlib import Path

import flask
from markupsafe import Markup, escape
from sqlalchemy import Engine

from dashboards import _formats as fmt
from dashboards._auth import current_principal
from dashboards._i18n import LANGUAGE_NAMES, LANGUAGES, TITLE, language, strings, t
from dashboards._map import BASEMAP_SOURCE, map_spec
from dashboards._tiles_routes import tile_layers
from geo.areas import data_bounds
from geo.db import read_connection
from geo.loops.engine import OPEN_ROLES
from geo.settings import Settings
from geo.vocab import CHAIN_LEVELS, STATUS_CODES

FIELD_PATH, WORKER_PATH = "/field", "/field-sw.js"
FIELD_ENDPOINT, WORKER_ENDPOINT = "field_page", "field_service_worker"
ASSETS = Path(__file__).resolve().parent / "assets" / "field"
LAYER = "house-status"
_KEYS = ("field_", "check_", "guide_", "state_", "nav_home")


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add ``/field`` (signed in) and ``/field-sw.js`` (static code, public) to ``server``."""

    def page() -> tuple[str, int, dict[str, str]]:
        lang = language(flask.request.args.get("lang"), settings.app.language)
        found = current_principal()
        layers = tile_layers()
        with read_connection(engine) as conn:
            bounds = data_bounds(conn, scope=found.scope)
        spec = map_spec(
            "field",
            overlay=layers.get(LAYER),
            basemap=layers.get("basemap"),
            bounds=bounds,
            map_settings=settings.map,
            interactive=True,
        )
        config = {
            "lang": lang,
            "locale": fmt.LOCALES[lang].replace("_Hans", "").replace("_", "-"),
            "role": found.role,
            "userId": found.user_id,
            "acts": found.role in OPEN_ROLES,
            "photoMaxBytes": settings.loops.photo_max_bytes,
            "strings": strings(_KEYS, lang),
            "levels": {level.code: level.name(lang) for level in CHAIN_LEVELS},
            "statuses": list(STATUS_CODES),
            "map": {"style": spec["style"], "tiles": spec["tiles"], "bounds": spec["bounds"],
                    "layer": LAYER, "basemap": BASEMAP_SOURCE, "tileParams": spec["tileParams"],
                    "raster": spec["raster"]},
        }  # fmt: skip
        return _html(lang, found.name, config), 200, {"Content-Type": "text/html; charset=utf-8"}

    def service_worker() -> flask.Response:
        response = flask.Response((ASSETS / "sw.js").read_bytes(), mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Service-Worker-Allowed"] = FIELD_PATH
        return response

    server.add_url_rule(FIELD_PATH, FIELD_ENDPOINT, page, methods=["GET"])
    server.add_url_rule(WORKER_PATH, WORKER_ENDPOINT, service_worker, methods=["GET"])


def _html(lang: str, user: str, config: dict) -> str:
    words = config["strings"]
    switch = " | ".join(
        f"<strong>{LANGUAGE_NAMES[c]}</strong>"
        if c == lang
        else f'<a href="{FIELD_PATH}?lang={c}">{LANGUAGE_NAMES[c]}</a>'
        for c in LANGUAGES
    )
    # JSON inside <script>: "<" escaped so no text can close the element.
    data = Markup(json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"))
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#b42318">
<title>{escape(words["field_title"])} · battlemap</title>
<link rel="stylesheet" href="/assets/vendor/maplibre-gl.css">
<link rel="stylesheet" href="/assets/field/field.css">
</head>
<body class="fd-body">
<header class="fd-header">
  <div class="fd-brand">{escape(TITLE)}</div>
  <div id="fd-net" class="fd-net" data-state="online"></div>
  <nav class="fd-nav"><a href="/?lang={lang}">{escape(words["nav_home"])}</a> · {switch}</nav>
  <form class="fd-user" method="POST" action="/logout"><span>{escape(user)}</span>
    <button type="submit">{escape(t("sign_out", lang))}</button></form>
</header>
<main class="fd-main">
  <section class="fd-map-wrap"><div id="fd-map" class="fd-map"></div>
    <div class="fd-map-actions">
      <button id="fd-report" class="fd-button fd-primary" type="button">
        {escape(words["field_report"])}</button>
      <button id="fd-report-tap" class="fd-button" type="button">{escape(words["field_report_tap"])}</button>
    </div>
  </section>
  <section class="fd-panel">
    <div id="fd-report-form" class="fd-report" hidden></div>
    <div id="fd-list-view">
      <h2 class="fd-h2">{escape(words["field_items"])} <span id="fd-count" class="fd-count"></span></h2>
      <ol id="fd-items" class="fd-items"></ol>
    </div>
    <article id="fd-card" class="fd-card" hidden></article>
    <section class="fd-queue-wrap"><h3 class="fd-h3">{escape(words["field_queue"])}</h3>
      <ol id="fd-queue" class="fd-queue"></ol></section>
  </section>
</main>
<script id="fd-config" type="application/json">{data}</script>
<script src="/assets/vendor/maplibre-gl.js"></script>
<script src="/assets/field/queue.js"></script>
<script src="/assets/field/field.js"></script>
</body></html>"""
