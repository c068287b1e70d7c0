"""The printed 居家隔离索引图 (``GET /print/isolation-guide.pdf``): one A4 page per isolated household,
contacts masked unless an internal print by a role allowed to, audited like the atlas, the area kept."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, text

from dashboards import _print_routes
from geo.db import make_engine
from geo.settings import Settings
from tests.auth_support import bearer_client_class, guard_bare_server, token_for
from tests.fixtures.small_city import CONTACT_NAME, CONTACT_PHONE, small_city_database

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "field"
GUIDE = "/print/isolation-guide.pdf"


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[tuple[flask.Flask, Engine]]:
    with small_city_database(database_url, "guideprint") as url:
        settings = Settings(_env_file=None, database={"url": url})
        engine = make_engine(settings.database)
        server = flask.Flask(__name__)
        _print_routes.register(server, engine, settings)
        guard_bare_server(server, engine, settings, token_for(engine, "guide-commander"))
        yield server, engine
        engine.dispose()


def _client(city: tuple[flask.Flask, Engine], name: str, **user: object) -> flask.testing.FlaskClient:
    server, engine = city
    server.test_client_class = bearer_client_class(token_for(engine, name, **user))
    return server.test_client()


def _household(engine: Engine, source_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT id FROM households WHERE source_id = :s"), {"s": source_id}
            ).scalar_one()
        )


def _text(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def _audit(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT user_name, action, target FROM audit_log "
                    "WHERE target LIKE 'isolation-guide:%' ORDER BY id"
                )
            )
        ]  # type: ignore[misc]


def test_one_a4_page_per_isolated_household_masked(city: tuple[flask.Flask, Engine]) -> None:
    _, engine = city
    household = _household(engine, "h-b09-1")
    analyst = _client(city, "guide-analyst", role="analyst")
    answer = analyst.get(f"{GUIDE}?household={household}")
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["X-Guide-Pages"] == "1"
    assert f'filename="household-{household}-isolation-guide.pdf"' in answer.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(answer.data))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    words = _text(answer.data)
    for expected in (
        "居家隔离索引图",
        "操作内容",
        "责任部门",
        "工作要求",
        "防护标准",
        "注意事项",
        "社区卫生服务中心",
        "101室",
    ):
        assert expected in words, expected
    assert CONTACT_NAME not in words and CONTACT_PHONE not in words and "张**" in words
    assert _audit(engine)[-1] == ("guide-analyst", "export", f"isolation-guide:household:{household}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "isolation-guide-masked.pdf"
    pdf.write_bytes(answer.data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(pdf), str(ARTIFACTS / "isolation-guide-masked")], check=True
    )


def test_internal_prints_names_for_a_commander_only_and_is_audited(city: tuple[flask.Flask, Engine]) -> None:
    _, engine = city
    household = _household(engine, "h-b09-1")
    commander = _client(city, "guide-commander")
    answer = commander.get(f"{GUIDE}?grid=G1&internal=1")
    assert answer.status_code == 200 and answer.headers["X-Guide-Pages"] == "1"
    words = _text(answer.data)
    assert CONTACT_NAME in words and CONTACT_PHONE in words
    assert _audit(engine)[-2:] == [
        ("guide-commander", "export", "isolation-guide:grid:G1"),
        ("guide-commander", "view_personal", "isolation-guide:grid:G1"),
    ]
    analyst = _client(city, "guide-analyst", role="analyst")
    assert analyst.get(f"{GUIDE}?household={household}&internal=1").status_code == 403


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("grid=G2", 404, "no household in home isolation"),
        ("", 400, "exactly one of household=ID or grid=CODE"),
        ("household=abc", 400, "household was 'abc'"),
        ("household=1&grid=G1", 400, "exactly one"),
        ("household=1&paper=A3", 400, "takes no parameter ['paper']"),
        ("grid=G1&date=04-05", 400, "YYYY-MM-DD"),
    ],
)
def test_bad_requests_are_named(
    city: tuple[flask.Flask, Engine], query: str, status: int, words: str
) -> None:
    before = len(_audit(city[1]))
    answer = _client(city, "guide-commander").get(f"{GUIDE}?{query}")
    assert answer.status_code == status and words in answer.get_json()["error"]
    assert len(_audit(city[1])) == before


def test_the_area_and_the_role_limit_printing(city: tuple[flask.Flask, Engine]) -> None:
    _, engine = city
    household = _household(engine, "h-b09-1")
    g2 = _client(city, "guide-operator-g2", role="operator", grids=["G2"])
    assert g2.get(f"{GUIDE}?household={household}").status_code == 404
    worker = _client(city, "guide-worker-g1", role="worker", grids=["G1"])
    assert worker.get(f"{GUIDE}?household={household}").status_code == 403


def test_the_page_uses_the_embedded_cjk_font(city: tuple[flask.Flask, Engine]) -> None:
    _, engine = city
    body = _client(city, "guide-commander").get(f"{GUIDE}?household={_household(engine, 'h-b09-1')}").data
    fonts = {
        str(f["/BaseFont"])
        for page in PdfReader(io.BytesIO(body)).pages
        for f in page["/Resources"]["/Font"].values()  # type: ignore[index, union-attr]
        if "/BaseFont" in f.get_object()
    }
    assert fonts and all("+" in f for f in fonts)  # subset-embedded (a tag before the name)
