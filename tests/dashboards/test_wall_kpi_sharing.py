"""Walls share their KPIs: twenty walls of one scope refreshing at the same moment make one KPI
computation (the others wait for it and read its result); another scope or a new data version
makes its own; and what they all show is the live figure."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from dashboards import _context
from geo.db import make_engine
from geo.scope import UNRESTRICTED, Scope
from geo.settings import Settings
from geo.status.kpis import Kpis, kpis, live_kpis
from tests.fixtures import small_city as city

WALLS = 20


@pytest.fixture
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(city_settings.database)
    yield engine
    engine.dispose()


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every KPI computation the page context starts, slowed so that the walls overlap."""
    seen: list[tuple] = []

    def counted(conn, **kwargs) -> Kpis:  # type: ignore[no-untyped-def]
        seen.append((kwargs["date"], kwargs["scope"].key))
        time.sleep(0.2)
        return kpis(conn, **kwargs)

    monkeypatch.setattr(_context, "kpis", counted)
    return seen


def _walls(context: _context.PageContext, engine: Engine, scope: Scope) -> list[Kpis]:
    results: list[Kpis] = []
    start = threading.Barrier(WALLS)

    def wall() -> None:
        start.wait(timeout=30)  # all at once (the pool hands out its connections as they come back)
        with engine.connect() as conn:
            results.append(context.kpis(conn, date=city.LAST_DAY, scope=scope))

    threads = [threading.Thread(target=wall) for _ in range(WALLS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_twenty_walls_of_one_scope_make_one_computation(
    city_settings: Settings, city_engine: Engine, computations: list[tuple]
) -> None:
    context = _context.PageContext(city_settings, city_engine)
    shown = _walls(context, city_engine, UNRESTRICTED)
    assert len(computations) == 1
    with city_engine.connect() as conn:
        live = live_kpis(conn, date=city.LAST_DAY)
    assert len(shown) == WALLS and all(figures == live for figures in shown)
    assert live.households["confirmed"] == 1 and live.total == 36

    with city_engine.connect() as conn:
        grid = int(conn.execute(text("SELECT min(id) FROM grids")).scalar_one())
    _walls(context, city_engine, Scope(grid_ids=frozenset({grid}), restricted=True))
    assert len(computations) == 2  # another scope: one more, shared again by its twenty walls


def test_a_new_data_version_is_computed_once_more(
    city_settings: Settings, city_engine: Engine, computations: list[tuple]
) -> None:
    context = _context.PageContext(city_settings, city_engine)
    _walls(context, city_engine, UNRESTRICTED)
    with city_engine.begin() as conn:  # a write that changes nothing the KPIs count still bumps the version
        conn.execute(text("UPDATE grids SET name = name || '' WHERE id = (SELECT min(id) FROM grids)"))
    _walls(context, city_engine, UNRESTRICTED)
    assert len(computations) == 2
