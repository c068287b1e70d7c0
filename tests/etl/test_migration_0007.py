"""Migration 0007 repairs a status history written by the old loader (overlapping stretches, several
rows of one household from one day) before it adds the exclusion constraints, and goes back down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text

from etl.schema import alembic_config
from geo.db import ensure_database
from geo.settings import DatabaseSettings
from tests.fixtures.databases import drop_database, sibling_url

D = dt.date


@pytest.fixture
def before_0007(database_url: str) -> Iterator[Engine]:
    """A database of its own with the schema at revision 0006 (before the repair)."""
    url = sibling_url(database_url, "m0007")
    ensure_database(DatabaseSettings(_env_file=None, url=url))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(connection=conn), "0006")
        yield engine
    finally:
        engine.dispose()
        drop_database(url)


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(alembic_config(connection=conn), revision)


def test_the_old_overlaps_are_repaired_and_then_refused(before_0007: Engine) -> None:
    with before_0007.begin() as conn:
        conn.execute(
            text("""
            INSERT INTO buildings (id, geom, source, source_id)
            VALUES (1, ST_Multi(ST_MakeEnvelope(121.5, 31.2, 121.501, 31.201, 4326)), 't', 'B1');
            INSERT INTO households (id, building_id, source, source_id)
            VALUES (1, 1, 't', 'H1'), (2, 1, 't', 'H2');
            """)
        )
        rows = [
            # H1: the old loader left three open rows (and one of them twice, from a correction).
            (1, None, "normal", D(2022, 4, 22), None, "2022-04-01 10:00"),
            (1, None, "sealed", D(2022, 4, 15), None, "2022-04-01 11:00"),
            (1, None, "close_contact", D(2022, 4, 23), None, "2022-04-01 12:00"),
            (1, None, "normal", D(2022, 4, 23), None, "2022-04-01 13:00"),
            # H2: an explicit stretch overlapping the next.
            (2, None, "home_isolation", D(2022, 4, 1), D(2022, 4, 15), "2022-04-01 10:00"),
            (2, None, "confirmed", D(2022, 4, 5), D(2022, 4, 19), "2022-04-01 10:00"),
            # The building: two open rows.
            (None, 1, "sealed", D(2022, 4, 2), None, "2022-04-01 10:00"),
            (None, 1, "normal", D(2022, 4, 20), None, "2022-04-01 10:00"),
        ]
        for i, (household, building, status, start, end, loaded) in enumerate(rows):
            conn.execute(
                text("""INSERT INTO house_status (household_id, building_id, status, valid_from, valid_to,
                                                  source, source_id, loaded_at)
                        VALUES (:h, :b, :s, :f, :t, 'old.csv', :id, :at)"""),
                {
                    "h": household,
                    "b": building,
                    "s": status,
                    "f": start,
                    "t": end,
                    "id": f"r{i}",
                    "at": loaded,
                },
            )
    _migrate(before_0007, "0007")
    with before_0007.connect() as conn:
        stored = conn.execute(
            text("""SELECT household_id, building_id, status, valid_from, valid_to FROM house_status
                    ORDER BY household_id NULLS LAST, valid_from""")
        ).all()
        assert [tuple(r) for r in stored] == [
            (1, None, "sealed", D(2022, 4, 15), D(2022, 4, 22)),
            (1, None, "normal", D(2022, 4, 22), D(2022, 4, 23)),
            (1, None, "normal", D(2022, 4, 23), None),  # the later-loaded row of that day
            (2, None, "home_isolation", D(2022, 4, 1), D(2022, 4, 5)),
            (2, None, "confirmed", D(2022, 4, 5), D(2022, 4, 19)),
            (None, 1, "sealed", D(2022, 4, 2), D(2022, 4, 20)),
            (None, 1, "normal", D(2022, 4, 20), None),
        ]
        kept = conn.execute(text("SELECT status, reason FROM house_status_history")).one()
        assert kept.status == "close_contact" and kept.reason.startswith("repair")
        overlap = text("""INSERT INTO house_status (household_id, status, valid_from, source, source_id)
                          VALUES (2, 'sealed', '2022-04-10', 'dba', 'x')""")
        with pytest.raises(Exception, match="ex_house_status_household_id_period"):
            conn.execute(overlap)
    _migrate(before_0007, "0006", down=True)
    with before_0007.begin() as conn:
        conn.execute(overlap)  # back at 0006 nothing refuses it
