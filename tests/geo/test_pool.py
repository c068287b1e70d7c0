"""geo.db: the pool a server warms before it listens."""

from __future__ import annotations

from geo.db import make_engine, warm_pool
from geo.settings import Settings


def test_warm_pool_leaves_that_many_connections_open(settings: Settings) -> None:
    engine = make_engine(settings.database, pool_size=3)
    try:
        assert warm_pool(engine, 3) == 3
        assert engine.pool.checkedin() == 3  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_warm_pool_does_not_keep_connections_beyond_the_pool(settings: Settings) -> None:
    engine = make_engine(settings.database, pool_size=2)
    try:
        assert warm_pool(engine, 4) == 4
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
    finally:
        engine.dispose()
