"""The audit log: one row per audited action, readable by time, user and action, and append-only."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from geo import auth
from geo.audit import Actor, read_audit, record
from geo.errors import InvalidParameter, TooManyAttempts
from geo.settings import AuthSettings

SETTINGS = AuthSettings(_env_file=None, max_failures=3)
PASSWORD = "a long enough password"


def _since(conn: Connection) -> dt.datetime:
    return conn.execute(text("SELECT now()")).scalar_one()


def test_each_record_is_one_row_read_back_in_order(conn: Connection) -> None:
    since = _since(conn)
    record(conn, Actor("ann", "analyst", "10.1.1.1"), "export", target="atlas:G1", detail={"pages": 2})
    record(conn, Actor("cli:root", "cli"), "status_change", target="load:status.csv")
    rows = read_audit(conn, since=since)
    assert [(r.user_name, r.action, r.target) for r in rows] == [
        ("ann", "export", "atlas:G1"),
        ("cli:root", "status_change", "load:status.csv"),
    ]
    assert rows[0].detail == {"pages": 2} and rows[0].ip == "10.1.1.1"
    assert [r.action for r in read_audit(conn, since=since, user="ann")] == ["export"]
    assert [r.user_name for r in read_audit(conn, since=since, action="status_change")] == ["cli:root"]
    with pytest.raises(InvalidParameter, match="audit action 'exprot' is unknown"):
        record(conn, Actor("ann"), "exprot")


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'export'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
)
def test_the_log_is_append_only(conn: Connection, statement: str) -> None:
    record(conn, Actor("ann"), "login", target="ann")
    with pytest.raises(DBAPIError, match="append-only"), conn.begin_nested():
        conn.execute(text(statement))


def test_sign_ins_are_audited_and_throttled(conn: Connection) -> None:
    auth.add_user(conn, "dora", role="analyst", password=PASSWORD, settings=SETTINGS)
    since = _since(conn)
    assert auth.authenticate(conn, "dora", "wrong", ip="10.2.2.2", settings=SETTINGS) is None
    assert auth.authenticate(conn, "nobody", "wrong", ip="10.2.2.2", settings=SETTINGS) is None
    found = auth.authenticate(conn, "dora", PASSWORD, ip="10.2.2.2", settings=SETTINGS)
    assert found is not None and found.role == "analyst" and not found.scope.restricted
    rows = read_audit(conn, since=since)
    assert [(r.action, r.target) for r in rows] == [
        ("login_failed", "dora"),
        ("login_failed", "(unknown name)"),  # a mistyped password in the name field is not kept
        ("login", "dora"),
    ]
    for _ in range(SETTINGS.max_failures):
        assert auth.authenticate(conn, "dora", "wrong", ip="10.2.2.3", settings=SETTINGS) is None
    with pytest.raises(TooManyAttempts) as caught:
        auth.authenticate(conn, "dora", PASSWORD, ip="10.2.2.3", settings=SETTINGS)
    assert 0 < caught.value.retry_after <= SETTINGS.lockout_minutes * 60 + 1


def test_the_throttle_answers_unknown_names_as_it_answers_known_ones(conn: Connection) -> None:
    auth.add_user(conn, "fred", role="analyst", password=PASSWORD, settings=SETTINGS)
    answers = {}
    for name in ("fred", "no-such-user"):
        for i in range(SETTINGS.max_failures):
            # From a new address each time: only the per-name count can pause it.
            ip = f"10.3.{len(answers)}.{i}"
            assert auth.authenticate(conn, name, "wrong", ip=ip, settings=SETTINGS) is None
        with pytest.raises(TooManyAttempts) as caught:
            auth.authenticate(conn, name, "wrong", ip="10.3.9.9", settings=SETTINGS)
        answers[name] = (type(caught.value), str(caught.value).split(" in ")[0])
    assert answers["fred"] == answers["no-such-user"]
    stored = conn.execute(text("SELECT count(*) FROM audit_log WHERE target LIKE '%no-such-user%'"))
    assert stored.scalar_one() == 0  # the unknown name itself is never stored


def test_users_are_created_with_checked_roles_areas_and_passwords(conn: Connection) -> None:
    with pytest.raises(InvalidParameter, match="too short"):
        auth.add_user(conn, "x", role="analyst", password="short", settings=SETTINGS)
    with pytest.raises(InvalidParameter, match="role was 'admin'"):
        auth.add_user(conn, "x", role="admin", password=PASSWORD, settings=SETTINGS)
    with pytest.raises(InvalidParameter, match="must be given an area"):
        auth.add_user(conn, "x", role="operator", password=PASSWORD, settings=SETTINGS)
    auth.add_user(conn, "y", role="analyst", password=PASSWORD, settings=SETTINGS)
    with pytest.raises(InvalidParameter, match="exists already"):
        auth.add_user(conn, "y", role="analyst", password=PASSWORD, settings=SETTINGS)
    stored = conn.execute(text("SELECT password_hash FROM users WHERE name = 'y'")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    token = auth.issue_token(conn, "y", settings=SETTINGS)
    kept = conn.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    assert token not in kept and len(kept) == 1
    assert auth.principal_for_token(conn, token).name == "y"
    auth.disable_user(conn, "y")
    assert auth.principal_for_token(conn, token) is None
