"""Users, roles, passwords and bearer tokens: who is asking, and what their role lets them see.

Passwords are kept as argon2id hashes (argon2-cffi); bearer tokens and browser sessions are
``geo.credentials``'s. Roles:

- ``commander``: everything, personal data included.
- ``operator``: only the admin units / grids assigned (``geo.scope``), personal data in them.
- ``analyst``: everything, read-only, personal fields masked; may publish overlays of their own
  (``geo.overlays``), which the wall shows only once a commander approved them.
- ``wall``: the wall display only: no personal fields, no cards with names, no exports.
- ``worker``: a grid worker (网格员/楼组长) bound to grids: their grids' closed-loop items
  (``geo.loops``), masked personal fields, no exports; may not declare risk areas.

Sign-in failures are audited and, past ``AuthSettings.max_failures`` within
``lockout_minutes``, refused with ``TooManyAttempts`` until the window has passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass, replace
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, text

from geo.audit import Actor, record
from geo.credentials import TOKEN_PREFIX as TOKEN_PREFIX
from geo.credentials import issue_token as issue_token  # its home until 0005; kept for callers
from geo.credentials import revoke_credentials, session_user, token_user, url_key_user
from geo.errors import ConfigError, Forbidden, InvalidParameter, NotFound, TooManyAttempts
from geo.models import USER_ROLES
from geo.scope import UNRESTRICTED, Scope, covers_point, load_scope
from geo.settings import AuthSettings

_HASHER = PasswordHasher()
# Verified against when the name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class RolePolicy:
    """What a role may do; ``pages`` None = every page."""

    personal: Literal["full", "masked", "none"]
    exports: bool
    writes: bool
    """May change what the map holds (declare a risk area); analyst and wall are read-only."""
    pages: tuple[str, ...] | None = None
    scoped: bool = False
    """True when the role must be given an area (the operator)."""
    publish: bool = False
    """May publish their own GeoDataFrames as map overlays (``geo.overlays``): the one thing an analyst,
    otherwise read-only, may add; it changes nothing of what the map holds, and the wall shows it only
    once a role with ``approve`` has approved it."""
    approve: bool = False
    """May approve overlays for the wall and delete anyone's overlay (the commander)."""


POLICIES: dict[str, RolePolicy] = {
    "commander": RolePolicy(personal="full", exports=True, writes=True, publish=True, approve=True),
    "operator": RolePolicy(personal="full", exports=True, writes=True, scoped=True),
    "analyst": RolePolicy(personal="masked", exports=True, writes=False, publish=True),
    "wall": RolePolicy(personal="none", exports=False, writes=False, pages=("/wall",)),
    "worker": RolePolicy(personal="masked", exports=False, writes=False, scoped=True),
}
GRID_ONLY_ROLES: frozenset[str] = frozenset({"worker"})
"""Roles bound to grids, never to whole admin units."""
assert set(POLICIES) == set(USER_ROLES), "every role of the users table needs a policy"


@dataclass(frozen=True)
class Principal:
    """A signed-in user as the request handlers see them."""

    user_id: int
    name: str
    role: str
    scope: Scope = UNRESTRICTED
    key_layers: tuple[str, ...] | None = None
    """Signed in with a URL key: the layers it covers (read-only, nothing else); None otherwise."""

    @property
    def policy(self) -> RolePolicy:
        return POLICIES[self.role]

    def actor(self, ip: str | None = None) -> Actor:
        return Actor(name=self.name, role=self.role, ip=ip)

    def require_exports(self) -> None:
        """Raises Forbidden unless the role may export or print."""
        if not self.policy.exports:
            raise Forbidden(f"role {self.role!r} may not export or print")

    def require_write_at(self, conn: Connection, lon: float, lat: float) -> None:
        """Raises Forbidden unless the role may write and the WGS84 point lies in the user's area."""
        if not self.policy.writes:
            raise Forbidden(f"role {self.role!r} is read-only")
        if not covers_point(conn, self.scope, lon, lat):
            raise Forbidden("that place lies outside your area")

    def may_open(self, path: str) -> bool:
        """Whether the role may open the page at ``path``."""
        pages = self.policy.pages
        return pages is None or any(path == p or path.startswith(p + "/") for p in pages)


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    disabled: bool
    created_at: dt.datetime
    scope: tuple[str, ...]
    """The assigned units and grids, as ``unit:CODE name`` / ``grid:CODE``."""


# --- passwords ----------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def new_password() -> str:
    """A random password of 16 letters and digits (about 95 bits; nothing a shell or a form mangles)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16))


# --- users --------------------------------------------------------------------------------------------


def add_user(
    conn: Connection,
    name: str,
    *,
    role: str,
    password: str,
    units: list[str] | None = None,
    grids: list[str] | None = None,
    settings: AuthSettings,
) -> None:
    """Create user ``name``; ``units`` (names or codes) and ``grids`` (codes or names) scope them.

    Raises
    ------
    InvalidParameter
        for an unknown role, a short password, an existing name, an operator without an area,
        a commander with one, or an ambiguous unit name.
    NotFound
        for an unknown unit or grid.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidParameter("a user name must be 1 to 100 characters")
    if role not in POLICIES:
        raise InvalidParameter(f"role was {role!r} but is expected to be one of {', '.join(POLICIES)}")
    if len(password) < settings.min_password_length:
        raise InvalidParameter(
            f"the password is too short: use at least {settings.min_password_length} characters"
        )
    scopes = [("unit", i) for i in _unit_ids(conn, units or [])] + [
        ("grid", i) for i in _grid_ids(conn, grids or [])
    ]
    if POLICIES[role].scoped and not scopes:
        hint = "--grid CODE" if role in GRID_ONLY_ROLES else "--unit NAME|CODE or --grid CODE"
        raise InvalidParameter(f"a user of role {role} must be given an area: add {hint}")
    if role in GRID_ONLY_ROLES and units:
        raise InvalidParameter(f"a {role} is bound to grids: use --grid CODE (repeatable), not --unit")
    if role == "commander" and scopes:
        raise InvalidParameter("a commander sees everything: leave out --unit and --grid")
    exists = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).scalar()
    if exists:
        raise InvalidParameter(f"user {name!r} exists already; disable it or choose another name")
    user_id = conn.execute(
        text("INSERT INTO users (name, role, password_hash) VALUES (:n, :r, :h) RETURNING id"),
        {"n": name, "r": role, "h": hash_password(password)},
    ).scalar_one()
    for scope_type, scope_id in scopes:
        conn.execute(
            text("INSERT INTO user_scopes (user_id, scope_type, scope_id) VALUES (:u, :t, :i)"),
            {"u": user_id, "t": scope_type, "i": scope_id},
        )


def _unit_ids(conn: Connection, units: list[str]) -> list[int]:
    ids = []
    for unit in units:
        rows = conn.execute(
            text("SELECT id, code FROM admin_units WHERE code = :u OR name = :u ORDER BY code"),
            {"u": unit.strip()},
        ).all()
        if not rows:
            raise NotFound(f"unknown unit {unit!r}: give an admin unit's code or name, e.g. 陆家嘴街道")
        if len(rows) > 1:
            codes = ", ".join(r.code for r in rows)
            raise InvalidParameter(f"unit {unit!r} names {len(rows)} units ({codes}); give one code instead")
        ids.append(int(rows[0].id))
    return ids


def _grid_ids(conn: Connection, grids: list[str]) -> list[int]:
    ids = []
    for grid in grids:
        row = conn.execute(
            text("SELECT id FROM grids WHERE code = :g OR name = :g ORDER BY code LIMIT 1"),
            {"g": grid.strip()},
        ).one_or_none()
        if row is None:
            raise NotFound(f"unknown grid {grid!r}: give a loaded grid's code, e.g. 310115-033-G001")
        ids.append(int(row.id))
    return ids


def list_users(conn: Connection) -> list[UserInfo]:
    rows = conn.execute(
        text("""
        SELECT u.name, u.role, u.disabled, u.created_at,
               array_remove(array_agg(CASE s.scope_type
                   WHEN 'unit' THEN 'unit:' || coalesce(a.code, '?') || ' ' || coalesce(a.name, '')
                   WHEN 'grid' THEN 'grid:' || coalesce(g.code, '?') END
                   ORDER BY s.scope_type, s.scope_id), NULL)
        FROM users u LEFT JOIN user_scopes s ON s.user_id = u.id
        LEFT JOIN admin_units a ON s.scope_type = 'unit' AND a.id = s.scope_id
        LEFT JOIN grids g ON s.scope_type = 'grid' AND g.id = s.scope_id
        GROUP BY u.id ORDER BY u.name""")
    )
    return [UserInfo(r[0], r[1], bool(r[2]), r[3], tuple(r[4])) for r in rows]


def disable_user(conn: Connection, name: str) -> None:
    """Disable ``name`` and end all their sessions and tokens (enabling them again revives none)."""
    done = conn.execute(text("UPDATE users SET disabled = true WHERE name = :n RETURNING id"), {"n": name})
    row = done.first()
    if row is None:
        raise NotFound(f"no user is named {name!r}; `battlemap users list` shows them")
    revoke_credentials(conn, int(row.id))


def set_password(conn: Connection, name: str, password: str, *, settings: AuthSettings) -> None:
    """Replace ``name``'s password and enable them; every session and token they had ends (whoever
    knew the old password, or held what it opened, is out). ``make demo`` uses it too."""
    if len(password) < settings.min_password_length:
        raise InvalidParameter(
            f"the password is too short: use at least {settings.min_password_length} characters"
        )
    done = conn.execute(
        text("UPDATE users SET password_hash = :h, disabled = false WHERE name = :n RETURNING id"),
        {"n": name, "h": hash_password(password)},
    )
    row = done.first()
    if row is None:
        raise NotFound(f"no user is named {name!r}; `battlemap users list` shows them")
    revoke_credentials(conn, int(row.id))


# --- who is asking ------------------------------------------------------------------------------------


def principal(conn: Connection, user_id: int) -> Principal | None:
    """The enabled user ``user_id`` with their scope, or None (deleted or disabled)."""
    row = conn.execute(
        text("SELECT id, name, role FROM users WHERE id = :id AND NOT disabled"), {"id": int(user_id)}
    ).one_or_none()
    if row is None:
        return None
    return Principal(int(row.id), row.name, row.role, load_scope(conn, row.id))


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    """The user a bearer token belongs to, unless it is unknown, expired, revoked or its user
    disabled; notes the token's use (``conn`` must be writable)."""
    user_id = token_user(conn, token)
    return None if user_id is None else principal(conn, user_id)


def principal_for_url_key(conn: Connection, key: str) -> Principal | None:
    """The user a URL key belongs to, limited to the layers it covers (``key_layers``), unless it is
    unknown, expired, revoked or its user disabled; notes the key's use (``conn`` must be writable)."""
    found = url_key_user(conn, key)
    if found is None:
        return None
    user = principal(conn, found[0])
    return None if user is None else replace(user, key_layers=found[1])


def principal_for_session(conn: Connection, session_id: str) -> Principal | None:
    """The user of a live session: None once it expired, was ended or its user was disabled."""
    user_id = session_user(conn, session_id)
    return None if user_id is None else principal(conn, user_id)


def authenticate(
    conn: Connection, name: str, password: str, *, ip: str | None, settings: AuthSettings
) -> Principal | None:
    """Check ``name``'s password: the user, or None for an unknown name, a wrong password or a
    disabled user (the caller says the same for all three). Both outcomes are audited in ``conn``'s
    transaction, which the caller commits either way (a failure is returned, not raised, so that
    its audit row is not rolled back).

    Raises
    ------
    TooManyAttempts
        after ``max_failures`` failures of this name (or four times that from ``ip``) within
        ``lockout_minutes`` since its last sign-in: nothing is checked until the window passes.
    """
    name = name.strip()[:100]
    row = conn.execute(
        text("SELECT id, name, role, password_hash, disabled FROM users WHERE name = :n"), {"n": name}
    ).one_or_none()
    key = _name_key(name, settings)
    wait = _throttled(conn, name, key, ip, settings)
    if wait:
        raise TooManyAttempts(f"too many failed sign-ins: try again in {wait} s", retry_after=wait)
    ok = verify_password(row.password_hash if row else _DUMMY_HASH, password) and row is not None
    if not ok or row is None or row.disabled:
        # An unknown name is not stored (people type passwords into the name field), only its keyed
        # digest, so that it is throttled exactly like a known one and the two cannot be told apart.
        target = name if row is not None else "(unknown name)"
        actor = Actor(name=name if row is not None else None, ip=ip)
        record(conn, actor, "login_failed", target=target, detail={"name_key": key})
        return None
    found = Principal(int(row.id), row.name, row.role, load_scope(conn, row.id))
    record(conn, found.actor(ip), "login", target=row.name)
    return found


def _name_key(name: str, settings: AuthSettings) -> str:
    """A keyed digest of a sign-in name (HMAC-SHA256 with the session secret, else a per-process key):
    counts failures per name without storing names that may be mistyped passwords."""
    secret = settings.secret_key.get_secret_value().encode() if settings.secret_key else _PROCESS_KEY
    return hmac.new(secret, name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


_PROCESS_KEY = secrets.token_bytes(32)


def _throttled(conn: Connection, name: str, key: str, ip: str | None, settings: AuthSettings) -> int:
    """Seconds to wait before ``name`` (or ``ip``) may try again; 0 when they may now.

    Failures are counted per name digest, known or unknown name alike, since the name's last
    successful sign-in; so after ``max_failures`` an unknown name gets the same answer as a known one.
    """
    row = conn.execute(
        text("""
        WITH last_login AS (
            SELECT coalesce(max(at), '-infinity') AS at FROM audit_log
            WHERE action = 'login' AND target = :name),
        recent AS (
            SELECT f.at, f.detail ->> 'name_key' = :key AND f.at > (SELECT at FROM last_login) AS by_name,
                   f.ip = :ip AS by_ip
            FROM audit_log f
            WHERE f.action = 'login_failed' AND f.at > clock_timestamp() - make_interval(mins => :window)
              AND (f.detail ->> 'name_key' = :key OR f.ip = :ip))
        SELECT count(*) FILTER (WHERE by_name), max(at) FILTER (WHERE by_name),
               count(*) FILTER (WHERE by_ip), max(at) FILTER (WHERE by_ip), clock_timestamp()
        FROM recent"""),
        {"window": settings.lockout_minutes, "name": name, "key": key, "ip": ip},
    ).one()
    by_name, last_name, by_ip, last_ip, now = row
    window = dt.timedelta(minutes=settings.lockout_minutes)
    waits = []
    if by_name >= settings.max_failures:
        waits.append(last_name + window - now)
    if ip is not None and by_ip >= 4 * settings.max_failures:
        waits.append(last_ip + window - now)
    return max((int(w.total_seconds()) + 1 for w in waits), default=0)


def require_secret(settings: AuthSettings) -> str:
    """The session signing key: the configured one, else a random one for this process."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value()
        if len(key) < 16:
            raise ConfigError("BATTLEMAP_AUTH_SECRET_KEY is too short: use at least 16 random characters")
        return key
    return secrets.token_hex(32)
