"""Print-and-audit is written once (``layers.atlas.publish.print_atlas``): the CLI and the web route
leave audit rows of the same shape, with the same target and detail for the same print."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import flask
import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, text

from dashboards import _print_routes
from geo.db import make_engine
from geo.settings import Settings
from tests.auth_support import guard_bare_server, token_for

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
QUERY = {"grids": "G2", "layer": "responsibility", "date": "2022-04-03", "paper": "A3", "internal": "1"}
CLI_ARGS = (
    "--grids",
    "G2",
    "--layer",
    "responsibility",
    "--date",
    "2022-04-03",
    "--paper",
    "A3",
    "--internal",
)
DOWNLOAD = "atlas-G2-responsibility-2022-04-03.pdf"


@pytest.fixture
def web(atlas_url: str) -> Iterator[flask.testing.FlaskClient]:
    settings = Settings(_env_file=None, database={"url": atlas_url})
    engine = make_engine(settings.database)
    server = flask.Flask(__name__)
    _print_routes.register(server, engine, settings)
    guard_bare_server(server, engine, settings, token_for(engine, "print-commander"))
    yield server.test_client()
    engine.dispose()


def _rows(engine: Engine, since: int) -> list[dict]:
    sql = text(
        "SELECT user_name, role, action, target, detail FROM audit_log "
        "WHERE id > :since AND target LIKE 'atlas:%' ORDER BY id"
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sql, {"since": since})]


def _last_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()


@pytest.mark.slow
def test_cli_and_web_prints_leave_the_same_audit_rows(
    web: flask.testing.FlaskClient, atlas_engine: Engine, atlas_url: str, tmp_path: Path
) -> None:
    start = _last_id(atlas_engine)
    response = web.get("/print/atlas.pdf", query_string=QUERY)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert DOWNLOAD in response.headers["Content-Disposition"]
    cli = subprocess.run(
        [BATTLEMAP, "export", "atlas", *CLI_ARGS, "-o", str(tmp_path / DOWNLOAD)],
        env={**os.environ, "DATABASE_URL": atlas_url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert cli.returncode == 0, cli.stderr
    web_rows, cli_rows = (
        [r for r in _rows(atlas_engine, start) if (r["role"] == "cli") == from_cli]
        for from_cli in (False, True)
    )
    assert [r["action"] for r in web_rows] == [r["action"] for r in cli_rows] == ["export", "view_personal"]
    strip = [{k: v for k, v in r.items() if k not in ("user_name", "role")} for r in web_rows]
    assert strip == [{k: v for k, v in r.items() if k not in ("user_name", "role")} for r in cli_rows]
    assert web_rows[0]["target"] == "atlas:G2" and web_rows[0]["role"] == "commander"
    # The PDF says who printed it (never reportlab's "anonymous"): the signed-in user, the CLI's login.
    assert PdfReader(io.BytesIO(response.data)).metadata.author == "print-commander"
    assert PdfReader(tmp_path / DOWNLOAD).metadata.author == cli_rows[0]["user_name"]
    assert web_rows[0]["detail"] == {
        "file": DOWNLOAD,
        "format": "pdf",
        "layer": "responsibility",
        "paper": "A3",
        "date": "2022-04-03",
        "pages": 2,
        "internal": True,
    }
