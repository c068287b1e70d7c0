"""Engines, transactions and making sure the PostGIS database exists.

Installing and starting a server is the setup script's job (scripts/setup_postgis.sh);
here we only connect, create the database and the postgis extension when missing, and
say exactly what to do when that is impossible.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from psycopg import errors as pg_errors
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from geo.errors import DatabaseUnavailable
from geo.settings import DatabaseSettings

_INSTALL_HINT = (
    "start a PostgreSQL server with PostGIS (Debian/Ubuntu: `sudo make setup`, which installs "
    "postgresql and postgresql-<version>-postgis-3; conda: `conda env create -f environment.yml`), "
    "or set DATABASE_URL to a PostGIS database"
)


def make_engine(settings: DatabaseSettings, **kwargs: object) -> Engine:
    """An engine for the configured database; ``pool_pre_ping`` so walls survive restarts."""
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": settings.pool_size, "future": True}
    if settings.statement_timeout_ms:
        options["connect_args"] = {"options": f"-c statement_timeout={settings.statement_timeout_ms}"}
    options.update(kwargs)
    return create_engine(settings.sqlalchemy_url, **options)


# The first ST_Transform in a backend loads PostGIS's projection data (PROJ: tens of ms); both
# directions the tiles use (tile envelopes to WGS84, footprints to Web Mercator).
_PROJ_WARM_UP = text("SELECT ST_Transform(ST_Transform(ST_TileEnvelope(0, 0, 0), 4326), 3857)")


def warm_pool(engine: Engine, connections: int) -> int:
    """Open up to ``connections`` pooled connections at once and load PROJ in each; returns how many.

    A map view asks for some twenty tiles at once. On a fresh server every worker thread would
    otherwise pay connection setup and PROJ's start-up inside the first viewer's tile requests;
    ``battlemap serve`` pays it before it listens. Connections beyond the pool's size are not kept.
    """
    held: list[Connection] = []
    try:
        for _ in range(connections):
            conn = engine.connect()
            held.append(conn)
            conn.execute(_PROJ_WARM_UP)
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
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A read-only connection for the read side (pages, exports).

    Raises
    ------
    DatabaseUnavailable
        when the server does not answer, or the schema is missing (with the fix).
    """
    try:
        with engine.connect() as conn:
            conn.execution_options(postgresql_readonly=True)
            yield conn
    except OperationalError as exc:
        raise DatabaseUnavailable(f"database does not answer: {_first_line(exc)}") from exc
    except ProgrammingError as exc:
        if not isinstance(exc.orig, pg_errors.UndefinedTable):
            raise
        raise DatabaseUnavailable(
            f"the battlemap schema is missing ({_first_line(exc)}); run `battlemap db init`"
        ) from exc


def check_connection(engine: Engine) -> str:
    """The PostGIS version string; raises DatabaseUnavailable when the database does not answer."""
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT postgis_lib_version()")).scalar())
    except (OperationalError, ProgrammingError) as exc:
        raise DatabaseUnavailable(f"database does not answer: {_first_line(exc)}") from exc


def _identifier(name: str) -> str:
    if not name.replace("_", "").replace("-", "").isalnum():
        raise DatabaseUnavailable(f"database name {name!r} must be letters, digits, '_' or '-'")
    return name


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]
