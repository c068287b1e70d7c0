"""Caches of computed answers (tiles, KPIs) shared by the app's threads, or by all its processes.

Every key names the data it was computed from: the database (``database_namespace``) and its data
version (``geo.loaded.DataState``), so a load makes the old entries unreachable at once, in every process,
without anything being deleted; they age out (LRU in process, TTL and Redis's own eviction there).

With ``BATTLEMAP_REDIS_URL`` set, a tile or KPI computed by one process is a hit for all of them
(``battlemap serve --workers N``). A cache never breaks an answer: when Redis does not answer, the
lookup is a miss and the value is computed, and the failure is logged once per outage.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Protocol

from sqlalchemy import Connection, text

from geo.settings import CacheSettings

log = logging.getLogger(__name__)


class Cache(Protocol):
    """Bytes by key; ``kind`` says whether the entries are shared between processes."""

    kind: str

    def get(self, key: Hashable) -> bytes | None: ...

    def put(self, key: Hashable, value: bytes) -> None: ...


class MemoryCache:
    """The last ``max_entries`` values of this process (LRU), safe across threads."""

    kind = "memory"

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)


class RedisCache:
    """Values in Redis under ``<prefix>:<purpose>:<digest of key>``, each with a TTL.

    Redis bounds the memory (``maxmemory`` with ``allkeys-lru``, as the setup configures the Redis
    it starts); the TTL bounds how long entries of an old data version linger where it does not.
    """

    kind = "redis"

    def __init__(self, settings: CacheSettings, *, purpose: str) -> None:
        import redis  # only processes configured for Redis load the client

        assert settings.redis_url is not None
        self._client = redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=settings.redis_timeout_s,
            socket_connect_timeout=settings.redis_timeout_s,
        )
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._prefix = f"{settings.redis_prefix}:{purpose}:"
        self._ttl = settings.redis_ttl_s
        self._down = False

    def _key(self, key: Hashable) -> str:
        return self._prefix + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()

    def get(self, key: Hashable) -> bytes | None:
        try:
            value = self._client.get(self._key(key))
        except self._errors as exc:
            self._failed(exc)
            return None
        self._recovered()
        return value if isinstance(value, bytes) else None

    def put(self, key: Hashable, value: bytes) -> None:
        try:
            self._client.set(self._key(key), value, ex=self._ttl)
        except self._errors as exc:
            self._failed(exc)
            return
        self._recovered()

    def _failed(self, exc: Exception) -> None:
        if not self._down:
            log.warning("the shared cache does not answer (%s); computing without it", type(exc).__name__)
        self._down = True

    def _recovered(self) -> None:
        if self._down:
            log.info("the shared cache answers again")
        self._down = False


class DatabaseNamespace:
    """Which database cached values come from: its server, name and oid (a dropped and re-created
    database of the same name gets a new oid, so its old entries are never hit). Asked once."""

    def __init__(self) -> None:
        self._name: str | None = None

    def of(self, conn: Connection) -> str:
        if self._name is None:
            row = conn.execute(
                text(
                    "SELECT coalesce(host(inet_server_addr()), 'local'), coalesce(inet_server_port(), 0), "
                    "current_database(), (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).one()
            self._name = f"{row[0]}:{row[1]}/{row[2]}#{row[3]}"
        return self._name


def make_cache(settings: CacheSettings, *, purpose: str, max_entries: int) -> Cache:
    """A Redis cache when ``settings.redis_url`` is set, else this process's own."""
    if settings.redis_url:
        return RedisCache(settings, purpose=purpose)
    return MemoryCache(max_entries)
