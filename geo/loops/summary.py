"""Loop work as the commander's map, panel and wall read it: the counts of ``engine.counts`` summed
per kind and per grid, and the version that keys the loop markers' tiles.

Every figure here is a sum of ``engine.counts`` rows, the same rows ``/api/v1/loops/counts`` answers
with, so the panel, the wall and the API can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from geo.clock import china_now
from geo.loops import store
from geo.loops.engine import Count, counts
from geo.scope import Scope

MINUTES_KEPT = 10**8
"""Minutes since the epoch are kept modulo this in ``map_version`` (about 190 years)."""


@dataclass(frozen=True)
class Totals:
    """Open, overdue and closed-today items of one kind, one grid, or all."""

    key: str | None
    open: int = 0
    overdue: int = 0
    closed_today: int = 0
    name: str | None = None
    """A grid's name (its code is ``key``)."""

    @property
    def any(self) -> bool:
        return bool(self.open or self.overdue or self.closed_today)


@dataclass(frozen=True)
class LoopSummary:
    at: dt.datetime
    total: Totals
    by_kind: tuple[Totals, ...]
    """Per loop kind, in ``kinds`` order (every kind, even without items)."""
    by_grid: tuple[Totals, ...]
    """Per grid with any item, most overdue first, then most open (``None``: outside every grid)."""


def _sum(key: str | None, rows: Iterable[Count], *, name: str | None = None) -> Totals:
    rows = list(rows)
    return Totals(
        key,
        open=sum(r.open for r in rows),
        overdue=sum(r.overdue for r in rows),
        closed_today=sum(r.closed_today for r in rows),
        name=name,
    )


def summary(
    conn: Connection, scope: Scope, *, kinds: Iterable[str], at: dt.datetime | None = None
) -> LoopSummary:
    """``engine.counts`` of ``scope`` at ``at`` summed per kind (``kinds`` in order), per grid and in
    all."""
    at = at or china_now()
    rows = counts(conn, scope, at=at)
    by_kind = tuple(_sum(k, (r for r in rows if r.kind == k)) for k in kinds)
    names = {r.grid: r.grid_name for r in rows}
    grids = sorted(names, key=lambda g: (g is None, g or ""))
    by_grid = [_sum(g, (r for r in rows if r.grid == g), name=names[g]) for g in grids]
    by_grid.sort(key=lambda t: (-t.overdue, -t.open, t.key is None, t.key or ""))
    return LoopSummary(at, _sum(None, rows), by_kind, tuple(t for t in by_grid if t.any))


def map_version(conn: Connection, *, at: dt.datetime | None = None) -> int:
    """What the loop markers at ``at`` depend on, as one number: the newest log row and the minute
    (a deadline passing makes an item overdue without any row being written)."""
    at = at or china_now()
    minute = int(at.timestamp() // 60) % MINUTES_KEPT
    return store.log_version(conn) * MINUTES_KEPT + minute
