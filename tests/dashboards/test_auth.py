"""Sign-in on every route: enumerated from the app, so a new route without protection fails here;
sessions, cookie flags, expiry, CSRF, throttling, tokens and the wall's single page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from dashboards._auth import _PRINCIPAL_CACHE_SECONDS, PAGE_ENDPOINTS, PUBLIC_ENDPOINTS, SESSION_ISSUED
from geo import auth
from geo.settings import Settings
from tests.auth_support import AUTH, PASSWORD, ensure_user, token_for

# What may answer without a sign-in, and nothing else: adding to it means editing this test.
EXPECTED_PUBLIC = {
    "health",
    "public",
    "login",
    "static",
    "_dash_assets.static",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_favicon.ico",
    "field_service_worker",
}
ORIGIN = "http://localhost"


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


def anonymous(app: dash.Dash, *, ip: str = "127.0.0.1") -> FlaskClient:
    """A client with no credential at all (the app's default test client sends a token)."""
    client = FlaskClient(app.server, app.server.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def bearer(app: dash.Dash, token: str) -> FlaskClient:
    client = anonymous(app)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _concrete(rule: str) -> str:
    """A path matching ``rule``: integers for ``<int:...>``, a plausible word elsewhere."""
    path = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<[^>]+>", "house-status", path)


def _routes(app: dash.Dash) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.server.url_map.iter_rules():
        for method in sorted(rule.methods - {"OPTIONS", "HEAD"}):
            found.append((rule.endpoint, method, _concrete(rule.rule)))
    return found


def test_the_public_endpoints_are_exactly_the_expected_ones() -> None:
    assert set(PUBLIC_ENDPOINTS) == EXPECTED_PUBLIC


def test_every_route_without_a_sign_in_is_refused_or_sent_to_sign_in(city_app: dash.Dash) -> None:
    routes = _routes(city_app)
    assert len(routes) >= 15  # pages, Dash internals, tiles, prints, risk, contacts, login, public
    checked = 0
    for endpoint, method, path in routes:
        if endpoint in EXPECTED_PUBLIC:
            continue
        response = anonymous(city_app).open(path, method=method, json={} if method == "POST" else None)
        checked += 1
        if endpoint in PAGE_ENDPOINTS and method == "GET":
            assert response.status_code == 302, (endpoint, path, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (endpoint, path)
        else:
            assert response.status_code == 401, (endpoint, method, path, response.status_code)
            expected = {
                "status": "error",
                "error": response.json["error"],
                "request_id": response.headers["X-Request-ID"],
            }
            if path.startswith("/ogc"):  # the OGC API's error shape beside the usual one
                expected |= {"code": "Unauthorized", "description": response.json["error"]}
            assert response.json == expected
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert checked >= 12


def test_a_route_added_later_is_guarded_too(city_app: dash.Dash) -> None:
    """The guard protects by default: a route nobody listed is refused, not left open."""
    server = city_app.server
    if "late_route" not in server.view_functions:
        # Flask refuses new routes once an app has served requests; add it the way Flask would.
        server.url_map.add(server.url_rule_class("/late", endpoint="late_route", methods=["GET"]))
        server.view_functions["late_route"] = lambda: "late data"
    assert anonymous(city_app).get("/late").status_code == 401
    assert city_app.server.test_client().get("/late").get_data(as_text=True) == "late data"


def test_health_and_public_answer_without_a_sign_in(city_app: dash.Dash) -> None:
    assert anonymous(city_app).get("/health").status_code == 200
    assert anonymous(city_app).get("/public").status_code == 200
    page = anonymous(city_app).get("/login")
    assert page.status_code == 200 and 'name="csrf"' in page.get_data(as_text=True)


def _csrf(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]


def _audit_count(engine: Engine, action: str, target: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = :a AND target = :t"),
            {"a": action, "t": target},
        ).scalar_one()


def test_signing_in_sets_a_guarded_session_and_is_audited(city_app: dash.Dash, city_engine: Engine) -> None:
    ensure_user(city_engine, "ann", role="analyst")
    client = anonymous(city_app, ip="10.0.0.1")
    before = _audit_count(city_engine, "login", "ann")
    response = client.post("/login", data={"csrf": _csrf(client), "name": "ann", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "battlemap_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http here; over https (or cookie_secure) it is set
    assert _audit_count(city_engine, "login", "ann") == before + 1
    assert client.get("/tiles/version").status_code == 200
    assert client.get("/house-status").status_code == 200


def test_a_secure_request_gets_a_secure_cookie(city_app: dash.Dash, city_engine: Engine) -> None:
    ensure_user(city_engine, "sec", role="analyst")
    client = anonymous(city_app, ip="10.0.0.2")
    page = client.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf" value="([^"]+)"', page.get_data(as_text=True))[1]
    form = {"csrf": token, "name": "sec", "password": PASSWORD}
    response = client.post("/login", data=form, base_url="https://localhost")
    assert response.status_code == 302 and "Secure" in response.headers["Set-Cookie"]


def test_a_wrong_password_or_a_stale_form_is_refused_and_failures_are_audited(
    city_app: dash.Dash, city_engine: Engine
) -> None:
    ensure_user(city_engine, "bob", role="analyst")
    client = anonymous(city_app, ip="10.0.0.3")
    stale = client.post("/login", data={"csrf": "forged", "name": "bob", "password": PASSWORD})
    assert stale.status_code == 400
    before = _audit_count(city_engine, "login_failed", "bob")
    wrong = client.post("/login", data={"csrf": _csrf(client), "name": "bob", "password": "nope"})
    assert wrong.status_code == 401 and "nope" not in wrong.get_data(as_text=True)
    assert _audit_count(city_engine, "login_failed", "bob") == before + 1
    assert client.get("/tiles/version").status_code == 401


def test_repeated_failures_slow_the_name_down(city_app: dash.Dash, city_engine: Engine) -> None:
    ensure_user(city_engine, "eve", role="analyst")
    client = anonymous(city_app, ip="10.0.0.4")
    for _ in range(city_app.server.extensions["battlemap.auth"].max_failures):
        failed = client.post("/login", data={"csrf": _csrf(client), "name": "eve", "password": "guess"})
        assert failed.status_code == 401
    # Even the right password waits now: guessing cannot go on at full speed.
    right = client.post("/login", data={"csrf": _csrf(client), "name": "eve", "password": PASSWORD})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


def test_an_expired_session_must_sign_in_again(city_app: dash.Dash, city_engine: Engine) -> None:
    ensure_user(city_engine, "old", role="analyst")
    client = anonymous(city_app, ip="10.0.0.5")
    client.post("/login", data={"csrf": _csrf(client), "name": "old", "password": PASSWORD})
    assert client.get("/tiles/version").status_code == 200
    lifetime = city_app.server.extensions["battlemap.auth"].session_minutes * 60
    with client.session_transaction() as session:
        session[SESSION_ISSUED] = int(time.time()) - lifetime - 1
    assert client.get("/tiles/version").status_code == 401


def test_state_changes_with_the_cookie_must_come_from_this_site(
    city_app: dash.Dash, city_engine: Engine
) -> None:
    ensure_user(city_engine, "cat", role="commander")
    client = anonymous(city_app, ip="10.0.0.6")
    client.post("/login", data={"csrf": _csrf(client), "name": "cat", "password": PASSWORD})
    assert client.post("/logout").status_code == 403  # no Origin, no Referer
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get("/tiles/version").status_code == 200  # still signed in
    out = client.post("/logout", headers={"Origin": ORIGIN})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/tiles/version").status_code == 401


def test_bearer_tokens_work_on_every_kind_of_endpoint_until_the_user_is_disabled(
    city_app: dash.Dash, city_engine: Engine
) -> None:
    token = token_for(city_engine, "script", role="analyst")
    client = bearer(city_app, token)
    assert client.get("/tiles/house-status.json").status_code == 200
    assert client.get("/tiles/version").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert bearer(city_app, token + "x").get("/tiles/version").status_code == 401
    assert bearer(city_app, "not-a-token").get("/tiles/version").status_code == 401
    later = token_for(city_engine, "script")
    with city_engine.begin() as conn:
        conn.execute(text("UPDATE users SET disabled = true WHERE name = 'script'"))
    assert bearer(city_app, later).get("/tiles/version").status_code == 401


def test_the_wall_account_sees_the_wall_only(city_app: dash.Dash, city_engine: Engine) -> None:
    client = bearer(city_app, token_for(city_engine, "wall-1", role="wall"))
    assert client.get("/wall").status_code == 200
    moved = client.get("/house-status")
    assert moved.status_code == 302 and moved.headers["Location"] == "/wall"
    assert client.get("/print/atlas.pdf?all=1").status_code == 403
    assert client.get("/api/buildings/1/contacts").status_code == 403
    router = {
        "output": "_pages_content.children",
        "outputs": [],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/responsibility"}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    assert client.post("/_dash-update-component", json=router).status_code == 403


def _signed_in(app: dash.Dash, engine: Engine, name: str, ip: str) -> FlaskClient:
    ensure_user(engine, name, role="analyst")
    client = anonymous(app, ip=ip)
    response = client.post("/login", data={"csrf": _csrf(client), "name": name, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _copy(app: dash.Dash, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("battlemap_session")
    assert cookie is not None
    thief = anonymous(app, ip="10.66.0.1")
    thief.set_cookie("battlemap_session", cookie.value)
    return thief


def test_signing_out_ends_the_session_on_the_server(city_app: dash.Dash, city_engine: Engine) -> None:
    client = _signed_in(city_app, city_engine, "leaver", "10.0.1.1")
    other_browser = _signed_in(city_app, city_engine, "leaver", "10.0.1.2")
    copied = _copy(city_app, client)
    assert copied.get("/tiles/version").status_code == 200
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 302
    assert copied.get("/tiles/version").status_code == 401  # the copied cookie is dead too
    assert other_browser.get("/tiles/version").status_code == 200  # the user's other sign-in is not


@pytest.mark.parametrize("disable_first", [False, True], ids=["reset", "disable-then-enable"])
def test_a_new_password_ends_every_session_and_token_and_enabling_revives_none(
    city_app: dash.Dash, city_engine: Engine, disable_first: bool
) -> None:
    name = f"reset-{int(disable_first)}"
    client = _signed_in(city_app, city_engine, name, "10.0.2.1")
    copied = _copy(city_app, client)
    token = token_for(city_engine, name)
    assert bearer(city_app, token).get("/tiles/version").status_code == 200
    with city_engine.begin() as conn:
        if disable_first:
            auth.disable_user(conn, name)
        auth.set_password(conn, name, "a brand new password", settings=AUTH)  # enables again
    time.sleep(_PRINCIPAL_CACHE_SECONDS + 0.1)  # another process's view of it: the cache has expired
    assert client.get("/tiles/version").status_code == 401
    assert copied.get("/tiles/version").status_code == 401
    assert bearer(city_app, token).get("/tiles/version").status_code == 401


@pytest.mark.parametrize(
    "next_path",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "/%5Cevil.example",
        "/%5C/evil.example",
        "//evil.example",
        "///evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "%20//evil.example",
        "/%00/evil.example",
    ],
)
def test_next_leads_back_into_this_site_only(
    city_app: dash.Dash, city_engine: Engine, next_path: str
) -> None:
    ensure_user(city_engine, "nexter", role="analyst")
    client = anonymous(city_app, ip="10.0.3.1")
    form = {"csrf": _csrf(client), "name": "nexter", "password": PASSWORD}
    response = client.post(f"/login?next={next_path}", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/", response.headers["Location"]


def test_next_keeps_a_plain_path_of_this_site(city_app: dash.Dash, city_engine: Engine) -> None:
    ensure_user(city_engine, "nexter", role="analyst")
    client = anonymous(city_app, ip="10.0.3.2")
    form = {"csrf": _csrf(client), "name": "nexter", "password": PASSWORD}
    response = client.post("/login?next=/house-status%3Fdate%3D2022-04-04", data=form)
    assert response.headers["Location"] == "/house-status?date=2022-04-04"
