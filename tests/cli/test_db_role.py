"""`battlemap db role create NAME`: the app runs as a login role that cannot rewrite history.

The role made by the command signs users in and serves tiles, but UPDATE, DELETE and TRUNCATE of
``audit_log`` are refused to it by privileges (and by triggers to everyone), and it runs no DDL.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from app import create_app
from geo.settings import Settings
from tests.auth_support import PASSWORD, ensure_user
from tests.fixtures.small_city import small_city_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
ROLE = f"bm_app_test_{os.getpid()}"
TILE = "/tiles/house-status/17/109781/53561.pbf?date=2022-04-04"


@pytest.fixture(scope="module")
def owner_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "role") as url:
        yield url
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{ROLE}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{ROLE}"'))
        engine.dispose()


def _create_role(owner_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": owner_url}
    return subprocess.run(
        [BATTLEMAP, "db", "role", "create", ROLE, "--generate-password"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def app_url(owner_url: str) -> str:
    made = _create_role(owner_url)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip().splitlines()[-1]
    assert make_url(url).username == ROLE and make_url(url).password
    again = _create_role(owner_url)  # idempotent: rights brought up to date, a new password
    assert again.returncode == 0 and "updated" in again.stdout, again.stderr
    return again.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'export'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TABLE buildings",
        "CREATE TABLE sneaky (id int)",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_the_app_role_cannot_rewrite_the_audit_log_nor_the_schema(app_url: str, statement: str) -> None:
    engine = create_engine(app_url)
    try:
        with (
            engine.connect() as conn,
            pytest.raises(ProgrammingError, match=r"permission denied|must be owner"),
        ):
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_the_app_runs_as_that_role(owner_url: str, app_url: str) -> None:
    owner = create_engine(owner_url)
    ensure_user(owner, "role-user", role="analyst")
    app = create_app(Settings(_env_file=None, database={"url": app_url}))
    try:
        client = FlaskClient(app.server, app.server.response_class, use_cookies=True)
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        signed = client.post("/login", data={"csrf": csrf, "name": "role-user", "password": PASSWORD})
        assert signed.status_code == 302, signed.get_data(as_text=True)
        assert client.get(TILE).status_code == 200
        assert client.get("/health").status_code == 200
        out = client.post("/logout", headers={"Origin": "http://localhost"})
        assert out.status_code == 302
    finally:
        app.server.extensions["battlemap"].engine.dispose()
    with owner.connect() as conn:
        actions = conn.execute(
            text("SELECT action FROM audit_log WHERE target = 'role-user' ORDER BY id")
        ).scalars()
        assert list(actions) == ["login", "logout"]
        current = conn.execute(
            text("SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = :r"), {"r": ROLE}
        )
        assert current.one() == (False, False)
    owner.dispose()


def test_a_bad_role_name_is_refused(owner_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": owner_url}
    run = subprocess.run(
        [BATTLEMAP, "db", "role", "create", 'x"; DROP TABLE users; --', "--generate-password"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0 and "role name" in run.stderr
