"""Server-side sessions and revocable tokens: signing out, a new password or disabling a user ends
them for good (in every process: the state is in the database), and enabling again revives none."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection

from geo import auth, credentials
from geo.errors import NotFound
from geo.settings import AuthSettings

SETTINGS = AuthSettings(_env_file=None)
PASSWORD = "a long enough password"
NEW_PASSWORD = "another long password"


def _user(conn: Connection, name: str) -> auth.Principal:
    auth.add_user(conn, name, role="analyst", password=PASSWORD, settings=SETTINGS)
    found = auth.authenticate(conn, name, PASSWORD, ip=None, settings=SETTINGS)
    assert found is not None
    return found


def test_a_session_lives_until_it_is_ended(conn: Connection) -> None:
    found = _user(conn, "sess-a")
    first = credentials.start_session(conn, found.user_id, ip="10.9.0.1", settings=SETTINGS)
    second = credentials.start_session(conn, found.user_id, ip="10.9.0.2", settings=SETTINGS)
    assert auth.principal_for_session(conn, first) == found
    credentials.end_session(conn, first)
    assert auth.principal_for_session(conn, first) is None
    assert auth.principal_for_session(conn, second) == found  # another browser stays signed in
    assert auth.principal_for_session(conn, "made-up") is None


@pytest.mark.parametrize("change", ["password", "disable"])
def test_a_new_password_or_disabling_ends_every_session_and_token_for_good(
    conn: Connection, change: str
) -> None:
    found = _user(conn, f"sess-{change}")
    session = credentials.start_session(conn, found.user_id, ip=None, settings=SETTINGS)
    token = credentials.issue_token(conn, found.name, settings=SETTINGS)
    assert auth.principal_for_token(conn, token) == found
    if change == "disable":
        auth.disable_user(conn, found.name)
    auth.set_password(conn, found.name, NEW_PASSWORD, settings=SETTINGS)  # also enables again
    assert auth.principal(conn, found.user_id) is not None  # the user is active
    assert auth.principal_for_session(conn, session) is None
    assert auth.principal_for_token(conn, token) is None


def test_tokens_are_listed_without_the_token_and_revoked_one_or_all(conn: Connection) -> None:
    found = _user(conn, "tok-user")
    tokens = [credentials.issue_token(conn, found.name, settings=SETTINGS) for _ in range(3)]
    assert auth.principal_for_token(conn, tokens[0]) == found
    listed = credentials.list_tokens(conn, found.name)
    assert len(listed) == 3 and listed[0].last_used_at is not None and listed[1].last_used_at is None
    assert all(t.revoked_at is None and t.expires_at is not None for t in listed)
    assert credentials.revoke_tokens(conn, found.name, token_id=listed[1].id) == [listed[1].id]
    assert auth.principal_for_token(conn, tokens[1]) is None
    assert auth.principal_for_token(conn, tokens[2]) == found
    assert credentials.revoke_tokens(conn, found.name) == [listed[0].id, listed[2].id]
    assert all(auth.principal_for_token(conn, t) is None for t in tokens)
    with pytest.raises(NotFound, match="no token"):
        credentials.revoke_tokens(conn, found.name, token_id=listed[0].id + 1000)
    with pytest.raises(NotFound, match="no user"):
        credentials.list_tokens(conn, "nobody-here")
