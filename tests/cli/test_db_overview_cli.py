"""`battlemap db overview [--rebuild]`: rows written with SQL leave their buildings pending (every
reader takes the live path); the command settles them, and the overview's KPIs equal the live ones."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from geo.scope import UNRESTRICTED
from geo.status.kpis import kpis, live_kpis
from geo.status.overview import PENDING
from geo.status.overview_read import coverage
from tests.fixtures.small_city import small_city_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


@pytest.fixture(scope="module")
def city_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "overview_cli") as url:
        yield url


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [BATTLEMAP, "db", "overview", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_sql_writes_are_settled_by_the_command(city_url: str) -> None:
    engine = create_engine(city_url)
    try:
        with engine.begin() as conn:
            day = conn.execute(text("SELECT max(valid_from) FROM house_status")).scalar_one()
            written = conn.execute(
                text("""INSERT INTO house_status (household_id, status, valid_from, source, source_id)
                        SELECT h.id, 'sealed', :day, 'sql', 'sql-' || h.id FROM households h
                        WHERE NOT EXISTS (SELECT 1 FROM house_status s WHERE s.household_id = h.id)
                        ORDER BY h.id LIMIT 3"""),
                {"day": day},
            ).rowcount
            assert written == 3
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {PENDING}")).scalar_one() > 0
            assert coverage(conn, UNRESTRICTED) is None  # pending: the live path answers

        done = _run(city_url)
        assert done.returncode == 0, done.stderr
        assert "buildings settled" in done.stdout

        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {PENDING}")).scalar_one() == 0
            assert coverage(conn, UNRESTRICTED) is not None
            assert kpis(conn, date=day, scope=UNRESTRICTED) == live_kpis(conn, date=day, scope=UNRESTRICTED)

        again = _run(city_url, "--rebuild")
        assert again.returncode == 0, again.stderr
        assert "recomputed" in again.stdout
        with engine.connect() as conn:
            assert kpis(conn, date=day, scope=UNRESTRICTED) == live_kpis(conn, date=day, scope=UNRESTRICTED)
    finally:
        engine.dispose()
