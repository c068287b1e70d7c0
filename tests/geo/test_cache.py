"""The computed-answer caches (geo.cache): in process (LRU) and in the real Redis (shared, TTL),
and a Redis that does not answer is a miss, never a failure."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
import redis

from geo.cache import MemoryCache, RedisCache, make_cache
from geo.settings import CacheSettings

REDIS_URL = os.environ.get("BATTLEMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _settings(url: str | None = REDIS_URL, **fields: object) -> CacheSettings:
    return CacheSettings(_env_file=None, redis_url=url, redis_prefix=f"test-{uuid.uuid4().hex[:8]}", **fields)


def test_memory_cache_keeps_the_last_entries() -> None:
    cache = MemoryCache(2)
    cache.put("a", b"1")
    cache.put("b", b"2")
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.put("c", b"3")
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (b"1", None, b"3", 2)


def test_without_a_redis_url_each_process_keeps_its_own() -> None:
    assert isinstance(make_cache(_settings(None), purpose="tiles", max_entries=4), MemoryCache)


def test_redis_cache_shares_values_between_instances_with_a_ttl() -> None:
    settings = _settings(redis_ttl_s=120)
    one, other = (make_cache(settings, purpose="tiles", max_entries=4) for _ in range(2))
    assert isinstance(one, RedisCache)
    key = ("db", "house-status", 16, 1, 2, ("v", 7))
    assert other.get(key) is None
    one.put(key, b"\x1a\x00tile")
    assert other.get(key) == b"\x1a\x00tile"
    client = redis.Redis.from_url(REDIS_URL)
    (name,) = client.keys(f"{settings.redis_prefix}:tiles:*")
    assert 0 < client.ttl(name) <= 120
    client.delete(name)


def test_a_redis_that_does_not_answer_is_a_miss(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = make_cache(_settings(f"redis://127.0.0.1:{port}/0"), purpose="kpis", max_entries=4)
    cache.put("k", b"v")
    assert cache.get("k") is None
    warnings = [r for r in caplog.records if "does not answer" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not per call
