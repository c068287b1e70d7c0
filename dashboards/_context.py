"""What pages need from the running app: its settings, its engine, and summaries cached per data version.

The KPIs go through the app's shared cache (``geo.cache``: Redis when configured), so every wall and
map of the same scope, day and data version shares one computation, across processes too; within a
process, walls refreshing at the same moment wait for the one computation already under way instead
of each starting its own (a burst of 20 walls is one query, not 20 queued on the pool).

``app.create_app`` puts one ``PageContext`` on the Flask server (``server.extensions``);
pages reach it with ``current()`` while serving a request, so nothing here is global.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field

import flask
import pandas as pd
from sqlalchemy import Connection, Engine

from geo import loaded
from geo.areas import Filters
from geo.cache import Cache, DatabaseNamespace, make_cache
from geo.db import read_connection
from geo.scope import Scope
from geo.settings import Settings
from geo.status.kpis import Kpis, kpis

KPI_CACHE_ENTRIES = 256

EXTENSION = "battlemap"


@dataclass(frozen=True)
class LoadedSummary:
    """What the home page shows: counts per sub-district, other tables' totals, and the data state."""

    counts: pd.DataFrame
    totals: pd.DataFrame
    state: loaded.DataState


@dataclass
class PageContext:
    settings: Settings
    engine: Engine
    _summary: LoadedSummary | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _kpi_cache: Cache = field(init=False, repr=False)
    _database: DatabaseNamespace = field(default_factory=DatabaseNamespace, repr=False)
    _computing: dict[Hashable, threading.Lock] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._kpi_cache = make_cache(self.settings.cache, purpose="kpis", max_entries=KPI_CACHE_ENTRIES)

    def kpis(self, conn: Connection, *, date: dt.date, scope: Scope, filters: Filters | None = None) -> Kpis:
        """``geo.status.kpis.kpis``, computed once per database, data version, day, filters and scope."""
        chosen = tuple(sorted((filters or {}).items()))
        key = (self._database.of(conn), loaded.data_state(conn), date, chosen, scope.key)
        cached = self._kpi_cache.get(key)
        if cached is not None:
            return Kpis.from_json(cached)
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        try:
            with computing:  # one computation per key at a time; the others find its result
                cached = self._kpi_cache.get(key)
                if cached is not None:
                    return Kpis.from_json(cached)
                figures = kpis(conn, date=date, filters=filters, scope=scope)
                self._kpi_cache.put(key, figures.to_json())
                return figures
        finally:
            with self._lock:
                self._computing.pop(key, None)

    def loaded_summary(self) -> LoadedSummary:
        """The loaded counts, recomputed only when a load has changed the data since the last call.

        Raises
        ------
        DatabaseUnavailable
            when the database does not answer (pages show it as an alert).
        """
        with self._lock, read_connection(self.engine) as conn:
            state = loaded.data_state(conn)
            if self._summary is None or self._summary.state != state:
                self._summary = LoadedSummary(
                    counts=loaded.loaded_counts_by_subdistrict(conn),
                    totals=loaded.loaded_totals(conn),
                    state=state,
                )
            return self._summary


def current() -> PageContext:
    """The context of the app serving the current request."""
    return flask.current_app.extensions[EXTENSION]
