"""Engines, transactions and making sure the PostGIS database exists.

Installing and starting a server is the setup script's job (scripts/setup_postgis.sh);
here we only connect, create the database and the postgis extension when missing, and
say exactly what to do when that is impossible.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import errors as pg_errors
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from geo.errors import DatabaseUnavailable, InvalidParameter
from geo.replicas import replicas_of, wanted_lsn
from geo.settings import DatabaseSettings

_INSTALL_HINT = (
    "start a PostgreSQL server with PostGIS (Debian/Ubuntu: `sudo make setup`, which installs "
    "postgresql and postgresql-<version>-postgis-3; conda: `conda env create -f environment.yml`), "
    "or set DATABASE_URL to a PostGIS database"
)


def make_engine(settings: DatabaseSettings, *, serving: bool = False, **kwargs: object) -> Engine:
    """An engine for the configured database; ``pool_pre_ping`` so walls survive restarts.

    Every engine gives up on a new connection after ``connect_timeout_s`` and, for
    ``retry_after_s`` after a failed attempt, fails new ones at once (``ConnectGate``): a hung
    server (a stopped postmaster accepts connections and never answers) then costs one timeout,
    not one per request, and the web server's threads stay free for what needs no database.
    ``serving=True`` (the web app) also bounds each statement (``statement_timeout_ms``, enforced by
    the server) and the wait for a pooled connection (``pool_timeout_s``); command-line loads and
    exports may run long statements and are not limited.
    """
    connect_args: dict[str, object] = {"connect_timeout": settings.connect_timeout_s}
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": settings.pool_size}
    if serving:
        options["pool_timeout"] = settings.pool_timeout_s
        if settings.statement_timeout_ms:
            connect_args["options"] = f"-c statement_timeout={settings.statement_timeout_ms}"
    options["connect_args"] = connect_args
    options.update(kwargs)
    engine = create_engine(settings.sqlalchemy_url, **options)
    gate = ConnectGate(settings.retry_after_s)
    gate.attach(engine)
    # /health opens a fresh connection each time: pooled ones may still work while the server
    # accepts no new ones (a stopped postmaster), and then the app cannot serve most requests.
    probe = create_engine(settings.sqlalchemy_url, poolclass=NullPool, connect_args=connect_args)
    gate.attach(probe)
    _PROBES[engine] = probe
    return engine


class ConnectGate:
    """Fails new connections at once for ``retry_after_s`` after one failed, then lets one try.

    Pooled connections that still work are not affected; only opening new ones is.
    """

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        self._failed_at: float | None = None
        self._lock = threading.Lock()

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "do_connect", self._connect)
        _GATES[engine] = self

    def closed_for(self) -> float:
        """Seconds until new connections are tried again (0: they are tried now)."""
        with self._lock:
            if self._failed_at is None:
                return 0.0
            return max(0.0, self._failed_at + self.retry_after_s - time.monotonic())

    def _connect(self, dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        wait = self.closed_for()
        if wait > 0:
            raise dialect.loaded_dbapi.OperationalError(
                f"a connection attempt failed a moment ago; retrying in {wait:.1f} s"
            )
        try:
            connection = dialect.connect(*cargs, **cparams)
        except Exception:
            with self._lock:
                self._failed_at = time.monotonic()
            raise
        with self._lock:
            self._failed_at = None
        return connection


_GATES: weakref.WeakKeyDictionary[Engine, ConnectGate] = weakref.WeakKeyDictionary()
_PROBES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


# The first ST_Transform in a backend loads PostGIS's projection data (PROJ: tens of ms); both
# directions the tiles use (tile envelopes to WGS84, footprints to Web Mercator).
_PROJ_WARM_UP = text("SELECT ST_Transform(ST_Transform(ST_TileEnvelope(0, 0, 0), 4326), 3857)")


def warm_pool(
    engine: Engine, connections: int, *, warm_up: Callable[[Connection], object] | None = None
) -> int:
    """Open up to ``connections`` pooled connections at once and load PROJ in each; returns how many.

    A map view asks for some twenty tiles at once. On a fresh server every worker thread would
    otherwise pay connection setup and PROJ's start-up inside the first viewer's tile requests;
    ``battlemap serve`` pays it before it listens. Connections beyond the pool's size are not kept.
    ``warm_up(conn)``, when given, runs in each too (``geo.tiles.warm_up``: the backend's catalog
    caches for the tile queries, some 25 ms of the first tile each connection would serve).
    """
    held: list[Connection] = []
    try:
        for _ in range(connections):
            conn = engine.connect()
            held.append(conn)
            conn.execute(_PROJ_WARM_UP)
            if warm_up is not None:
                # No schema yet: the app says so on every page; warming is only a head start.
                with contextlib.suppress(ProgrammingError):
                    warm_up(conn)
            conn.rollback()
    finally:
        for conn in held:
            conn.close()
    return len(held)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits on success, rolls back on any error."""
    with engine.begin() as conn:
        yield conn


def ensure_database(settings: DatabaseSettings) -> None:
    """Create the database and the postgis extension when missing.

    Raises
    ------
    DatabaseUnavailable
        when no server answers, or PostGIS is not installed on it, with what to do.
    """
    url = settings.sqlalchemy_url
    name = settings.database_name
    admin_url = url.set(database="postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{_identifier(name)}"'))
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot reach PostgreSQL at {url.render_as_string(hide_password=True)}: "
            f"{_first_line(exc)}; {_INSTALL_HINT}"
        ) from exc
    finally:
        admin.dispose()

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseUnavailable(
            f"database {name!r} has no PostGIS and it cannot be created: {_first_line(exc)}; {_INSTALL_HINT}"
        ) from exc
    finally:
        engine.dispose()


@contextmanager
def read_connection(engine: Engine, *, primary: bool = False) -> Iterator[Connection]:
    """A read-only connection for the read side (pages, tiles, exports).

    When ``engine`` has standbys (``geo.replicas``) the read goes to one in rotation that has
    replayed what this request must see, else to the primary; a standby that fails to connect is
    taken out and the same read goes to the primary. ``primary=True`` reads there always (sessions
    and tokens: a revocation must take effect at once).

    Raises
    ------
    DatabaseUnavailable
        when the server does not answer (in time), no pooled connection frees up, or the schema
        is missing (with the fix). The message never names the server's host or port: it may
        reach anonymous callers (``/health``, ``/public``).
    """
    try:
        with _reader_connect(engine, primary=primary) as conn:
            if conn.engine is engine:
                # A standby is read-only by itself, and must never be asked to "BEGIN READ WRITE",
                # which is what a connection that was once read-only asks once back in the pool.
                conn.execution_options(postgresql_readonly=True)
            yield conn
    except (OperationalError, PoolTimeout) as exc:
        raise DatabaseUnavailable(f"the database does not answer: {unavailable_reason(exc)}") from exc
    except ProgrammingError as exc:
        if not isinstance(exc.orig, pg_errors.UndefinedTable):
            raise
        raise DatabaseUnavailable("the battlemap schema is missing; run `battlemap db init`") from exc


def _reader_connect(engine: Engine, *, primary: bool) -> Connection:
    replicas = None if primary else replicas_of(engine)
    if replicas is None:
        return engine.connect()
    reader = replicas.reader(wanted_lsn.get())
    if reader is engine:
        return engine.connect()
    try:
        return reader.connect()
    except (OperationalError, PoolTimeout) as exc:
        replicas.failed(reader, exc)
        return engine.connect()


def check_connection(engine: Engine) -> str:
    """The PostGIS version string; raises DatabaseUnavailable when the database does not answer.

    It opens a fresh connection (not a pooled one, which may still work while the server accepts
    no new ones); while the engine's ``ConnectGate`` holds new connections back (one failed a
    moment ago), the answer is "unavailable" at once.
    """
    gate = _GATES.get(engine)
    wait = gate.closed_for() if gate is not None else 0.0
    if wait > 0:
        raise DatabaseUnavailable(
            f"the database does not answer: a connection attempt failed, retrying in {wait:.1f} s"
        )
    try:
        with _PROBES.get(engine, engine).connect() as conn:
            return str(conn.execute(text("SELECT postgis_lib_version()")).scalar())
    except (OperationalError, ProgrammingError, PoolTimeout) as exc:
        raise DatabaseUnavailable(f"the database does not answer: {unavailable_reason(exc)}") from exc


_REASONS: tuple[tuple[str, str], ...] = (
    ("timeout expired", "connecting timed out"),
    ("statement timeout", "a query ran past the statement timeout"),
    ("canceling statement", "a query was cancelled"),
    ("retrying in", "a connection attempt failed a moment ago"),
    ("connection refused", "the server refused the connection"),
    ("authentication failed", "the server refused the credentials"),
    ("does not exist", "the database or role does not exist"),
    ("could not translate host name", "the server's name does not resolve"),
    ("too many clients", "the server has no free connection slot"),
    ("the database system is", "the server is starting up or shutting down"),
)


def unavailable_reason(exc: BaseException) -> str:
    """Why the database did not answer, in words that name no host, port, user or database.

    psycopg's messages carry the server's address (``connection to server at "10.0.0.5", port
    5432 failed``); these reasons go to anonymous callers of ``/health`` and ``/public`` too.
    """
    if isinstance(exc, PoolTimeout):
        return "no pooled connection became free in time"
    message = str(getattr(exc, "orig", None) or exc).lower()
    for needle, reason in _REASONS:
        if needle in message:
            return reason
    return "the server did not answer"


def _identifier(name: str) -> str:
    if not name.replace("_", "").replace("-", "").isalnum():
        raise DatabaseUnavailable(f"database name {name!r} must be letters, digits, '_' or '-'")
    return name


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
READ_ONLY_TABLES = ("alembic_version", "spatial_ref_sys")
APPEND_ONLY_TABLES = ("audit_log",)


def grant_app_role(conn: Connection, name: str, *, password: str | None) -> bool:
    """Create (or bring up to date) ``name``, the login role the web app should connect as; True if new.

    Least privilege for the app: it is no superuser, owns nothing and may run no DDL; it may read
    every table, write the data tables (risk areas declared on the map, sessions, token use), only
    append to ``audit_log`` (no UPDATE, DELETE nor TRUNCATE: the triggers of migrations 0004/0005
    refuse them too, even to the owner) and only read the schema's own tables. Tables that later
    migrations create get the same rights (default privileges of the role running this, which
    should be the one that runs ``battlemap db init``); run it again after an upgrade anyway, it
    is idempotent. ``password`` None keeps an existing role's password.

    Raises
    ------
    InvalidParameter
        for a name that is not a plain lower-case identifier, or a password with a NUL byte.
    """
    if not _ROLE_NAME.match(name):
        raise InvalidParameter(f"role name {name!r} must be lower-case letters, digits and '_' (max 63)")
    if password is not None and "\x00" in password:
        raise InvalidParameter("the role's password may not contain a NUL byte")
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    if password is not None:
        # Utility statements take no bound parameters: a standard string literal, quotes doubled.
        options += " PASSWORD '" + password.replace("'", "''") + "'"
    conn.execute(text(f'{"ALTER" if exists else "CREATE"} ROLE "{name}" {options}'))
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    tables = conn.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).scalars()
    statements = [
        f'GRANT CONNECT ON DATABASE "{_identifier(database)}" TO "{name}"',
        f'GRANT USAGE ON SCHEMA public TO "{name}"',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{name}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{name}"',
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{name}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{name}"',
    ]
    for table in tables:
        if table in READ_ONLY_TABLES:
            rights = "SELECT"
        elif table in APPEND_ONLY_TABLES:
            rights = "SELECT, INSERT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        statements.append(f'GRANT {rights} ON TABLE public."{table}" TO "{name}"')
    for statement in statements:
        conn.execute(text(statement))
    return not exists
