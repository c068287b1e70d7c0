"""Read replicas against a real primary and hot standby (tests/fixtures/clusters.py): reads go to
the standby, a reader who must see a write the standby has not replayed reads the primary, a dead
standby moves reads to the primary without a failed read, and it comes back when it is well."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from geo.db import read_connection
from geo.replicas import ReplicaSet, attach, primary_lsn, wanted_lsn
from tests.fixtures.clusters import Pair, primary_with_standby

pytestmark = pytest.mark.slow  # real server processes and clusters: the full lane only


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_with_standby() as made:
        yield made


@pytest.fixture
def replicas(pair: Pair) -> Iterator[ReplicaSet]:
    primary, standby = create_engine(pair.primary_url), create_engine(pair.standby_url, pool_pre_ping=True)
    made = ReplicaSet(primary, [standby], max_lag_s=60, check_interval_s=0.2)
    attach(made)
    made.start()
    yield made
    made.stop()
    primary.dispose()
    standby.dispose()


def _on_standby(engine: Engine) -> bool:
    with read_connection(engine) as conn:
        return bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one())


def _wait(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_reads_go_to_the_standby_and_writes_need_the_primary(replicas: ReplicaSet) -> None:
    assert replicas.health()[0]["in_rotation"] is True
    assert _on_standby(replicas.primary)
    assert not _on_standby_with(replicas.primary, primary=True)


def _on_standby_with(engine: Engine, *, primary: bool) -> bool:
    with read_connection(engine, primary=primary) as conn:
        return bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one())


def test_a_write_the_standby_has_not_replayed_is_read_on_the_primary(
    replicas: ReplicaSet, pair: Pair
) -> None:
    standby_admin = create_engine(pair.standby_url, isolation_level="AUTOCOMMIT")
    try:
        with standby_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        with replicas.primary.begin() as conn:
            conn.execute(text("UPDATE grids SET name = name || '′' WHERE code = 'G1'"))
        wrote = primary_lsn(replicas.primary)
        replicas.check()
        token = wanted_lsn.set(wrote)
        try:
            with read_connection(replicas.primary) as conn:  # the writer: the primary, sees it
                assert (
                    conn.execute(text("SELECT name FROM grids WHERE code = 'G1'")).scalar_one().endswith("′")
                )
        finally:
            wanted_lsn.reset(token)
        with read_connection(replicas.primary) as conn:  # anyone else: the paused standby, not yet
            assert (
                not conn.execute(text("SELECT name FROM grids WHERE code = 'G1'")).scalar_one().endswith("′")
            )
        with standby_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        token = wanted_lsn.set(wrote)
        try:  # once replayed, the writer is served by the standby again, within a second
            assert _wait(lambda: _on_standby(replicas.primary), 1.0)
        finally:
            wanted_lsn.reset(token)
    finally:
        with standby_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        standby_admin.dispose()


def test_a_dead_standby_moves_reads_to_the_primary_then_comes_back(replicas: ReplicaSet, pair: Pair) -> None:
    assert _on_standby(replicas.primary)
    pair.standby.stop(mode="immediate")
    try:
        for _ in range(20):  # not one failed read while it is down
            with read_connection(replicas.primary) as conn:
                assert conn.execute(text("SELECT count(*) FROM buildings")).scalar_one() == 12
        assert replicas.health()[0]["in_rotation"] is False
    finally:
        pair.standby.start()
    assert _wait(lambda: replicas.health()[0]["in_rotation"] is True)
    assert _wait(lambda: _on_standby(replicas.primary))


def test_a_lagging_standby_is_out_of_rotation(pair: Pair) -> None:
    primary, standby = create_engine(pair.primary_url), create_engine(pair.standby_url)
    strict = ReplicaSet(primary, [standby], max_lag_s=0.5, check_interval_s=60)
    admin = create_engine(pair.standby_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        time.sleep(1.0)
        with primary.begin() as conn:
            conn.execute(text("UPDATE grids SET name = name WHERE code = 'G2'"))
        strict.check()
        (state,) = strict.health()
        assert state["in_rotation"] is False and "lags" in str(state["problem"])
        assert strict.reader() is primary
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        for engine in (admin, primary, standby):
            engine.dispose()
