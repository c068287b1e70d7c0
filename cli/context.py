"""What every command needs: settings built once, and an engine on a database that exists."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine

from geo.db import ensure_database, make_engine
from geo.settings import Settings


@cache
def settings() -> Settings:
    return Settings()


def engine(*, create: bool = True) -> Engine:
    """An engine on the configured database, created (with PostGIS) when missing."""
    if create:
        ensure_database(settings().database)
    return make_engine(settings().database)
