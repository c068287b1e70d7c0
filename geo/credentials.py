"""Bearer tokens, URL keys and browser sessions: issued, looked up, listed and ended, all in the database.

A URL key (``?key=bmk_…``) is for clients that cannot send an Authorization header (QGIS's vector
tiles, ArcGIS, simple tools): a row of ``api_tokens`` of kind ``url-key``, read-only, covering only
the layers it names (tile layers or OGC collections), expiring after the days it was given; it is
listed and revoked with the user's tokens.

Both are random secrets kept only as SHA-256 digests (a random secret needs no slow hash; a leaked
table gives nothing away). Sessions live in ``user_sessions`` rather than in the signed cookie
alone, so that signing out, a new password or disabling a user ends them in every process at
once, and enabling the user again revives none. Who the user is and what they may do is
``geo.auth``'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.settings import AuthSettings

TOKEN_PREFIX = "bm_"
URL_KEY_PREFIX = "bmk_"
URL_KEY_MAX_DAYS = 366


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(conn: Connection, name: str, *, settings: AuthSettings) -> str:
    """A new bearer token for ``name`` (shown once; only its hash is kept), valid ``token_days``."""
    row = conn.execute(text("SELECT id, disabled FROM users WHERE name = :n"), {"n": name}).one_or_none()
    if row is None:
        raise NotFound(f"no user is named {name!r}; `battlemap users list` shows them")
    if row.disabled:
        raise InvalidParameter(f"user {name!r} is disabled: no token is issued")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        text("""
        INSERT INTO api_tokens (user_id, token_hash, expires_at)
        VALUES (:u, :h, now() + make_interval(days => :days))"""),
        {"u": row.id, "h": _token_hash(token), "days": settings.token_days},
    )
    return token


def token_user(conn: Connection, token: str) -> int | None:
    """The id of the user a bearer token belongs to, unless it is unknown, expired or revoked
    (whether the user is enabled is ``geo.auth.principal``'s to say). Notes when the token was used
    (at most once a minute), so ``conn`` must be writable."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    found = _live(conn, token, "bearer")
    return None if found is None else found[0]


def _live(conn: Connection, secret: str, kind: str) -> tuple[int, tuple[str, ...]] | None:
    """(user id, layers) of the live credential ``secret`` of ``kind``; notes its use (once a minute)."""
    row = conn.execute(
        text("""
        SELECT t.id, t.user_id, t.layers FROM api_tokens t
        WHERE t.token_hash = :h AND t.kind = :kind AND t.revoked_at IS NULL
          AND (t.expires_at IS NULL OR t.expires_at > now())"""),
        {"h": _token_hash(secret), "kind": kind},
    ).one_or_none()
    if row is None:
        return None
    conn.execute(
        text("""
        UPDATE api_tokens SET last_used_at = now()
        WHERE id = :id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')"""),
        {"id": row.id},
    )
    return int(row.user_id), tuple(row.layers or ())


# --- URL keys ------------------------------------------------------------------------------------------


def issue_url_key(conn: Connection, name: str, *, layers: list[str], days: int) -> str:
    """A new URL key of ``name`` for ``layers`` (checked by the caller against the layers served),
    valid ``days`` (1 to ``URL_KEY_MAX_DAYS``); shown once, only its hash is kept.

    Raises
    ------
    NotFound
        for an unknown user.
    InvalidParameter
        for a disabled user, no layers, or days out of range.
    """
    row = conn.execute(text("SELECT id, disabled FROM users WHERE name = :n"), {"n": name}).one_or_none()
    if row is None:
        raise NotFound(f"no user is named {name!r}; `battlemap users list` shows them")
    if row.disabled:
        raise InvalidParameter(f"user {name!r} is disabled: no key is issued")
    if not layers:
        raise InvalidParameter("a URL key covers named layers only: give --layers (e.g. --layers buildings)")
    if not 1 <= days <= URL_KEY_MAX_DAYS:
        raise InvalidParameter(
            f"--days was {days} but is expected to be 1 to {URL_KEY_MAX_DAYS}: a URL key expires"
        )
    key = URL_KEY_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        text("""
        INSERT INTO api_tokens (user_id, token_hash, expires_at, kind, layers)
        VALUES (:u, :h, now() + make_interval(days => :days), 'url-key', :layers)"""),
        {"u": row.id, "h": _token_hash(key), "days": days, "layers": sorted(set(layers))},
    )
    return key


def url_key_user(conn: Connection, key: str) -> tuple[int, tuple[str, ...]] | None:
    """(user id, layers covered) of a live URL key; None when unknown, expired or revoked. Notes its
    use, so ``conn`` must be writable."""
    if not key.startswith(URL_KEY_PREFIX) or len(key) > 200:
        return None
    return _live(conn, key, "url-key")


# --- browser sessions --------------------------------------------------------------------------------


def start_session(conn: Connection, user_id: int, *, ip: str | None, settings: AuthSettings) -> str:
    """A new server-side session of ``user_id``: its random id (for the cookie; only a hash is kept),
    valid ``session_minutes`` unless ended sooner (sign-out, new password, disabled user)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(
        text("""
        INSERT INTO user_sessions (user_id, session_hash, expires_at, ip)
        VALUES (:u, :h, now() + make_interval(mins => :mins), :ip)"""),
        {"u": user_id, "h": _token_hash(session_id), "mins": settings.session_minutes, "ip": ip},
    )
    return session_id


def session_user(conn: Connection, session_id: str) -> int | None:
    """The id of the user of a live session: None once it expired or was ended."""
    if not session_id or len(session_id) > 200:
        return None
    user_id = conn.execute(
        text("""
        SELECT user_id FROM user_sessions
        WHERE session_hash = :h AND revoked_at IS NULL AND expires_at > now()"""),
        {"h": _token_hash(session_id)},
    ).scalar()
    return None if user_id is None else int(user_id)


def end_session(conn: Connection, session_id: str) -> None:
    """End one session (sign-out): its cookie, wherever it was copied to, no longer signs anyone in."""
    conn.execute(
        text("UPDATE user_sessions SET revoked_at = now() WHERE session_hash = :h AND revoked_at IS NULL"),
        {"h": _token_hash(session_id)},
    )


def revoke_credentials(conn: Connection, user_id: int) -> None:
    """End every session and token of ``user_id`` (new password, reset, disabled)."""
    for table in ("user_sessions", "api_tokens"):
        conn.execute(
            text(f"UPDATE {table} SET revoked_at = now() WHERE user_id = :u AND revoked_at IS NULL"),
            {"u": user_id},
        )


# --- tokens of a user -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """A bearer token or URL key as ``battlemap users tokens`` lists it: never the secret itself."""

    id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    kind: str = "bearer"
    layers: tuple[str, ...] = ()


def list_tokens(conn: Connection, name: str) -> list[TokenInfo]:
    """Every token of user ``name``, oldest first (revoked and expired ones too, marked so)."""
    user_id = _user_id(conn, name)
    rows = conn.execute(
        text("""
        SELECT id, created_at, expires_at, last_used_at, revoked_at, kind, layers FROM api_tokens
        WHERE user_id = :u ORDER BY created_at, id"""),
        {"u": user_id},
    )
    return [
        TokenInfo(row[0], row[1], row[2], row[3], row[4], kind=row[5], layers=tuple(row[6] or ()))
        for row in rows
    ]


def revoke_tokens(conn: Connection, name: str, *, token_id: int | None = None) -> list[int]:
    """Revoke token ``token_id`` of ``name``, or (None) all their live tokens; the ids revoked.

    Raises
    ------
    NotFound
        for an unknown user, or a token id that is not one of theirs.
    """
    user_id = _user_id(conn, name)
    done = conn.execute(
        text("""
        UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE user_id = :u AND (CAST(:t AS integer) IS NULL OR id = :t)
          AND (CAST(:t AS integer) IS NOT NULL OR revoked_at IS NULL)
        RETURNING id"""),
        {"u": user_id, "t": token_id},
    )
    ids = sorted(int(r.id) for r in done)
    if token_id is not None and not ids:
        raise NotFound(f"user {name!r} has no token {token_id}; `battlemap users tokens {name}` lists them")
    return ids


def _user_id(conn: Connection, name: str) -> int:
    user_id = conn.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).scalar()
    if user_id is None:
        raise NotFound(f"no user is named {name!r}; `battlemap users list` shows them")
    return int(user_id)
