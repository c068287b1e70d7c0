"""The web edge's one error handler and its logs: request ids, one access line per request, no
personal data in the log of a whole sequence of requests that reads names and phones.

The log is captured as production writes it: ``geo.logs.configure_logging`` at DEBUG, into a buffer.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import dash
import flask
import pytest
from sqlalchemy import create_engine, text

from dashboards._access_log import REDACTED, logged_path
from geo.db import make_engine
from geo.errors import NotFound
from geo.logs import configure_logging
from geo.settings import LogSettings, Settings
from tests.auth_support import guard_bare_server, token_for
from tests.fixtures import small_city as city


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """Everything the process logs while the test runs, formatted as the server writes it."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging(LogSettings(_env_file=None, level="DEBUG"), stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    handler = configure_logging(LogSettings(_env_file=None, level="INFO", format="json"), stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="module")
def bare(small_city_url: str) -> Iterator[flask.Flask]:
    """A bare app with the production edges and two routes that fail: on purpose and by surprise."""
    settings = Settings(_env_file=None, database={"url": small_city_url})
    engine = make_engine(settings.database)
    server = flask.Flask(__name__)

    def missing() -> None:
        raise NotFound("no building 'b99': expected one of b01..b12")

    def broken() -> None:
        raise RuntimeError("boom: 张三丰 13800138000")  # what a careless message might carry

    server.add_url_rule("/missing", "missing", missing)
    server.add_url_rule("/broken", "broken", broken)
    guard_bare_server(server, engine, settings, token_for(engine, "test-commander"))
    yield server
    engine.dispose()


def _access_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if " dashboards._access_log " in line]


def test_a_battlemap_error_is_its_status_and_the_one_body_with_the_request_id(bare: flask.Flask) -> None:
    response = bare.test_client().get("/missing")
    assert response.status_code == 404
    assert response.json == {
        "status": "error",
        "error": "no building 'b99': expected one of b01..b12",
        "request_id": response.headers["X-Request-ID"],
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_an_unexpected_error_is_a_500_with_a_request_id_and_one_traceback_in_the_log(
    bare: flask.Flask, server_log: io.StringIO
) -> None:
    response = bare.test_client().get("/broken?token=abc")
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.json["request_id"] == request_id and response.json["status"] == "error"
    assert "boom" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(
        as_text=True
    )
    log = server_log.getvalue()
    assert log.count("Traceback (most recent call last)") == 1
    assert f"[{request_id}] unexpected RuntimeError on GET /broken" in log
    assert "token=abc" not in log


def test_one_access_line_per_request_with_id_status_duration_user_and_role(
    bare: flask.Flask, server_log: io.StringIO
) -> None:
    client = bare.test_client()
    ok = client.get("/missing?date=2022-04-04&api_key=s3cret", headers={"X-Request-ID": "trace-0001-abc"})
    anonymous = bare.test_client()
    anonymous.environ_base.pop("HTTP_AUTHORIZATION")
    refused = anonymous.get("/missing")
    assert ok.headers["X-Request-ID"] == "trace-0001-abc"
    assert refused.status_code == 401 and refused.json["request_id"] == refused.headers["X-Request-ID"]
    lines = _access_lines(server_log.getvalue())
    assert len(lines) == 2
    first, second = lines
    assert "[trace-0001-abc] GET /missing?date=2022-04-04&api_key=REDACTED 404 " in first
    assert "ms user=" in first and "role=commander" in first and "s3cret" not in first
    assert f"[{refused.headers['X-Request-ID']}] GET /missing 401 " in second
    assert "user=None role=None" in second


def test_a_given_request_id_must_be_a_plain_token() -> None:
    assert logged_path("/x", "") == "/x"
    assert logged_path("/x", "token=a&password=b&Secret=c&key=d&bbox=1,2,3,4") == (
        f"/x?token={REDACTED}&password={REDACTED}&Secret={REDACTED}&key={REDACTED}&bbox=1,2,3,4"
    )


def test_json_lines_carry_the_request_fields(bare: flask.Flask, json_log: io.StringIO) -> None:
    response = bare.test_client().get("/missing")
    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    access = [r for r in records if r["logger"] == "dashboards._access_log"]
    assert len(access) == 1
    assert access[0]["request_id"] == response.headers["X-Request-ID"]
    assert access[0]["http"]["status"] == 404 and access[0]["http"]["role"] == "commander"
    assert access[0]["http"]["duration_ms"] >= 0 and access[0]["level"] == "INFO"


def test_the_log_of_a_session_that_reads_contacts_holds_no_personal_data(
    city_app: dash.Dash, small_city_url: str, server_log: io.StringIO
) -> None:
    engine = create_engine(small_city_url)
    try:
        with engine.connect() as conn:
            personal = {
                str(value)
                for row in conn.execute(text("SELECT name, phone, id_number FROM person_contacts"))
                for value in row
                if value
            }
            ids = dict(conn.execute(text("SELECT source_id, id FROM buildings")).all())
    finally:
        engine.dispose()
    assert {city.CONTACT_NAME, city.CONTACT_PHONE} <= personal
    client = city_app.server.test_client()
    paths = [
        "/health",
        "/",
        "/house-status",
        "/tiles/house-status.json?date=2022-04-04",
        "/tiles/house-status/16/54889/26778.pbf?date=2022-04-04",
        *(f"/api/buildings/{ids[b]}/contacts" for b in ("b01", "b06", "b12")),
        "/api/buildings/999999/contacts",
        "/print/atlas.pdf?grids=nonesuch",
        "/public?format=json",
    ]
    answers = {path: client.get(path) for path in paths}
    body = answers[f"/api/buildings/{ids['b01']}/contacts"]
    assert body.status_code == 200  # names and phones were read and sent
    assert {(c["name"], c["phone"]) for c in body.json["contacts"]} == {
        (city.CONTACT_NAME, city.CONTACT_PHONE)
    }
    log = server_log.getvalue()
    assert len(_access_lines(log)) == len(paths)
    forms = personal | {json.dumps(value)[1:-1] for value in personal}  # also \\u-escaped
    leaked = sorted(value for value in forms if value in log)
    assert leaked == [], "personal data in the server log"
    token = client.environ_base["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    assert token not in log
