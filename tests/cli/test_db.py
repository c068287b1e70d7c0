"""`battlemap db init` creates the database with PostGIS and the schema, and is idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


@pytest.fixture
def fresh_url(database_url: str) -> Iterator[str]:
    url = make_url(database_url).set(database=f"{make_url(database_url).database}_init")
    yield url.render_as_string(hide_password=False)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120)


def test_db_init_creates_then_reports_up_to_date(fresh_url: str) -> None:
    first = _run("db", "init", url=fresh_url)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty to" in first.stdout
    second = _run("db", "init", url=fresh_url)
    assert second.returncode == 0 and "up to date" in second.stdout
    status = _run("db", "status", url=fresh_url)
    assert status.returncode == 0 and status.stdout.startswith("postgis 3")
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        tables = set(
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
        )
    engine.dispose()
    assert {"buildings", "households", "house_status", "person_contacts", "grids", "admin_units"} <= tables


def test_unreachable_database_says_what_to_do() -> None:
    result = _run("db", "init", url="postgresql://postgres@127.0.0.1:1/nowhere")
    assert result.returncode == 3
    assert "cannot reach PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:1/nowhere" in result.stderr
    assert "postgis" in result.stderr.lower()
