"""The roll-up's transport: a publication on each city's primary, a subscription per city on the
national database (PostgreSQL logical replication; nothing home-made). The tables are the same on
both sides (migration 0009), every row keyed by its city, so any number of cities share them.

A city's primary needs ``wal_level = logical``; the national database's role needs the right to
create subscriptions (a superuser, or ``pg_create_subscription`` from PostgreSQL 16). A city that
goes offline keeps its slot on its own server; when it returns, its subscription resumes from
there by itself.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from geo.errors import ConfigError, InvalidParameter
from geo.rollup.compute import CITY_CODE

PUBLICATION = "battlemap_rollup"
TABLES = ("rollup_cities", "rollup_units", "rollup_days")


def publish(conn: Connection) -> bool:
    """Create the publication of the roll-up tables on this (city) database; False if it existed."""
    level = conn.execute(text("SHOW wal_level")).scalar_one()
    if level != "logical":
        raise ConfigError(
            f"this server's wal_level is {level!r}: logical replication needs 'logical' "
            "(ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)"
        )
    if conn.execute(text("SELECT 1 FROM pg_publication WHERE pubname = :p"), {"p": PUBLICATION}).scalar():
        return False
    conn.execute(text(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE {', '.join(TABLES)}"))
    return True


def subscription_name(city: str) -> str:
    if not re.fullmatch(CITY_CODE, city):
        raise InvalidParameter(f"city code {city!r} must be lower-case letters, digits or _ (e.g. shanghai)")
    return f"battlemap_{city}"


def conninfo(url: str) -> str:
    """A libpq connection string for a SQLAlchemy URL (what CREATE SUBSCRIPTION takes)."""
    parsed = make_url(url)
    parts = {
        "host": parsed.host,
        "port": parsed.port,
        "dbname": parsed.database,
        "user": parsed.username,
        "password": parsed.password,
    }
    quoted = ("'" + str(v).replace("\\", "\\\\").replace("'", "\\'") + "'" for v in parts.values())
    return " ".join(f"{k}={q}" for (k, v), q in zip(parts.items(), quoted, strict=True) if v is not None)


def subscribe(conn: Connection, city: str, url: str) -> None:
    """Subscribe this (national) database to ``city``'s publication at ``url`` (copying what it has).

    ``conn`` must be in autocommit: CREATE SUBSCRIPTION makes a slot on the city's server and
    cannot run inside a transaction.
    """
    name = subscription_name(city)
    literal = conninfo(url).replace("'", "''")
    conn.execute(text(f"CREATE SUBSCRIPTION {name} CONNECTION '{literal}' PUBLICATION {PUBLICATION}"))


def unsubscribe(conn: Connection, city: str) -> None:
    """Drop the city's subscription (and its slot on the city's server); its rows stay until deleted."""
    conn.execute(text(f"DROP SUBSCRIPTION IF EXISTS {subscription_name(city)}"))
