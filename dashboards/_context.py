"""What pages need from the running app: its settings, its engine, and summaries cached per data version.

``app.create_app`` puts one ``PageContext`` on the Flask server (``server.extensions``);
pages reach it with ``current()`` while serving a request, so nothing here is global.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import flask
import pandas as pd
from sqlalchemy import Engine

from geo import loaded
from geo.db import read_connection
from geo.settings import Settings

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
