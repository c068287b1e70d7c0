"""Read replicas: hot standbys (PostgreSQL streaming replication) that serve the read side.

``DATABASE_URL`` is the primary and takes every write; ``BATTLEMAP_DATABASE_READ_URLS`` lists
standbys. ``geo.db.read_connection`` asks the primary engine's ``ReplicaSet`` (``attach``) for a
reader:

- a standby is in rotation while it answers and lags less than ``max_lag_s`` (a checker thread
  looks every ``check_interval_s``); one that fails a connection is taken out at once and the read
  goes to the primary in the same request, so a dead standby costs no failed request;
- read-your-writes: a request that carries the WAL position of its user's last write
  (``wanted_lsn``, set by the web app) is served by a standby only once that standby has replayed
  it, else by the primary, so a worker never sees their own change vanish;
- with no standby in rotation every read goes to the primary.

Standbys are named "standby 1", "standby 2"…: the health answer is public and never says where
a database is.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

wanted_lsn: contextvars.ContextVar[int | None] = contextvars.ContextVar("wanted_lsn", default=None)
"""The WAL position (bytes) this request's reads must see: its user's last write, if recent."""

_CURRENT_LSN = text("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
_STANDBY_STATE = text(
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
)


@dataclass
class Standby:
    """One standby and what the last check saw of it."""

    name: str
    engine: Engine
    healthy: bool = False
    replay_lsn: int = -1
    lag_s: float | None = None
    problem: str | None = "not checked yet"
    checked_at: float = field(default=0.0)


class ReplicaSet:
    """The primary's standbys, their health, and which one serves the next read."""

    def __init__(
        self, primary: Engine, standbys: list[Engine], *, max_lag_s: float, check_interval_s: float
    ) -> None:
        self.primary = primary
        self.standbys = [Standby(f"standby {i}", e) for i, e in enumerate(standbys, start=1)]
        self.max_lag_s = max_lag_s
        self.check_interval_s = check_interval_s
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- choosing ---------------------------------------------------------------------------

    def reader(self, min_lsn: int | None = None) -> Engine:
        """A standby in rotation that has replayed ``min_lsn`` (round robin), else the primary."""
        with self._lock:
            ready = [s for s in self.standbys if s.healthy and (min_lsn is None or s.replay_lsn >= min_lsn)]
            if not ready:
                return self.primary
            return ready[next(self._turn) % len(ready)].engine

    def failed(self, engine: Engine, exc: BaseException) -> None:
        """A standby's connection failed: out of rotation until a check finds it well again."""
        with self._lock:
            for standby in self.standbys:
                if standby.engine is engine and standby.healthy:
                    standby.healthy = False
                    standby.problem = f"a connection failed ({type(exc).__name__})"
                    log.warning("%s is out of rotation: %s", standby.name, standby.problem)

    # --- checking ---------------------------------------------------------------------------

    def check(self) -> None:
        """One round: the primary's WAL position, then each standby's replay position and lag."""
        try:
            with self.primary.connect() as conn:
                primary_lsn = int(conn.execute(_CURRENT_LSN).scalar_one())
        except (SQLAlchemyError, OSError):  # the primary down: standbys judged on their own lag
            primary_lsn = None
        for standby in self.standbys:
            self._check_one(standby, primary_lsn)

    def _check_one(self, standby: Standby, primary_lsn: int | None) -> None:
        healthy, problem, replay, lag = False, None, -1, None
        try:
            with standby.engine.connect() as conn:
                recovering, replay_lsn, since_replay = conn.execute(_STANDBY_STATE).one()
            if not recovering:
                problem = "not a standby (it is not in recovery)"
            else:
                replay = int(replay_lsn or 0)
                caught_up = primary_lsn is not None and replay >= primary_lsn
                lag = 0.0 if caught_up or since_replay is None else max(0.0, float(since_replay))
                healthy = lag <= self.max_lag_s
                problem = None if healthy else f"lags {lag:.1f} s (more than {self.max_lag_s:g} s)"
        except (SQLAlchemyError, OSError) as exc:  # out until a later check finds it well
            problem = f"does not answer ({type(exc).__name__})"
            log.debug("%s: the check failed: %s", standby.name, exc)
        with self._lock:
            was = standby.healthy
            standby.healthy, standby.problem, standby.replay_lsn, standby.lag_s = (
                healthy,
                problem,
                replay,
                lag,
            )
            standby.checked_at = time.time()
        if was != healthy:
            log.warning("%s is %s", standby.name, "back in rotation" if healthy else f"out: {problem}")

    def start(self) -> None:
        """Check now, then every ``check_interval_s`` in a daemon thread."""
        self.check()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="replica-checker", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.check_interval_s):
            self.check()

    def health(self) -> list[dict[str, object]]:
        """Each standby for ``/health``: in rotation or not, its lag in seconds, and why not."""
        with self._lock:
            return [
                {
                    "name": s.name,
                    "in_rotation": s.healthy,
                    "lag_s": None if s.lag_s is None else round(s.lag_s, 3),
                    "problem": s.problem,
                }
                for s in self.standbys
            ]


def primary_lsn(engine: Engine) -> int:
    """The primary's current WAL position (bytes): what a reader must have replayed to see a write."""
    with engine.connect() as conn:
        return int(conn.execute(_CURRENT_LSN).scalar_one())


_SETS: weakref.WeakKeyDictionary[Engine, ReplicaSet] = weakref.WeakKeyDictionary()


def attach(replicas: ReplicaSet) -> None:
    """Route ``read_connection(replicas.primary)`` through ``replicas``."""
    _SETS[replicas.primary] = replicas


def replicas_of(engine: Engine) -> ReplicaSet | None:
    return _SETS.get(engine)
