"""Load: a temporary staging table filled by COPY, then one upsert into the target table.

All of it runs inside the caller's transaction, so a failure or a killed process leaves
the previous data exactly as it was, and the staging table vanishes with the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely
from sqlalchemy import Connection, text

from geo.models import SRID

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class StageColumn:
    name: str
    sql_type: str


@dataclass(frozen=True)
class Derived:
    """Columns of the staged rows worked out from other tables (the grid a building lies in).

    ``table`` holds (row_no, *columns); a staged row missing from it has them all NULL.
    """

    table: str
    columns: tuple[str, ...]


def quote(name: str) -> str:
    """A double-quoted SQL identifier (our names are code-defined, never user input)."""
    return '"' + name.replace('"', '""') + '"'


# GeoHash digits of the spatial order key: 12 tell apart points about 4 cm apart.
CURVE_DIGITS = 12


def write_order(geometry_sql: str | None) -> str:
    """The ORDER BY of the staged rows ``s`` as a load writes them: along the curve (``curve_key``)."""
    return "ORDER BY s.curve" if geometry_sql else ""


def numbered(stage: str, table: str) -> str:
    """The staged rows as ``s``, each with the next id of ``table`` in file order (``s.new_id``).

    Ids follow the file, as they did before loads wrote along the curve, so a building's id
    still says where it came in the file while the heap follows the map (``write_order``).
    Postgres evaluates the volatile ``nextval`` after the inner sort. The bulk path, which holds
    the table alone, reserves a block instead (``reserve_ids``).
    """
    sequence = f"pg_get_serial_sequence('{quote(table)}', 'id')"
    return f"(SELECT s.*, nextval({sequence}) AS new_id FROM {quote(stage)} s ORDER BY s.row_no) s"


def reserve_ids(conn: Connection, stage: str, table: str) -> int:
    """Reserve one id of ``table`` per staged row number; a row's id is the result plus its ``row_no``.

    Only for a writer that holds ``table`` exclusively (the bulk path, whose dropped indexes lock
    it): nobody else can draw from the sequence between the ``nextval`` and the ``setval``. Ids
    follow the file (see ``numbered``) without a per-row ``nextval`` or a sort; rows that turn out
    to be stored already leave gaps, as serial ids may.
    """
    sequence = f"pg_get_serial_sequence('{quote(table)}', 'id')"
    return int(
        conn.execute(
            text(f"""
            SELECT setval({sequence}, nextval({sequence}) + m.n - 1) - m.n
            FROM (SELECT greatest(coalesce(max(row_no), 0), 1) AS n FROM {quote(stage)}) m
        """)
        ).scalar_one()
    )


def label_point(geometry_sql: str) -> str:
    """The point inside a footprint that ``buildings.label_point`` holds (its generated column)."""
    return f"ST_PointOnSurface({geometry_sql})"


def curve_key(point_sql: str) -> str:
    """The SQL sort key that loads write rows in: the GeoHash of their label point, compared bytewise.

    GeoHash is a Z-order curve over longitude and latitude, so rows close on the curve are close on
    the ground, and rows written in its order put a tile's, a grid's or a zone's buildings on a
    few shared heap pages (and give them neighbouring ids, which their households inherit). The
    binary collation makes text order the curve's order.
    """
    return f'ST_GeoHash({point_sql}, {CURVE_DIGITS}) COLLATE "C"'


def create_stage(
    conn: Connection,
    stage: str,
    columns: Sequence[StageColumn],
    *,
    geometry: bool,
    geometry_sql: str | None = None,
) -> None:
    """The temporary stage of a load (dropped at commit), with JIT compilation off for the load.

    With ``geometry_sql`` (the target's geometry from the staged ``geom``), the stage works out
    each row's label point ``pt`` (what ``buildings.label_point`` will hold) and its ``curve_key``
    while the rows are COPYed in: the server does it as generated columns, in the time it would
    otherwise wait for the client's next chunk, not after.

    Until ``analyze`` the planner guesses a stage's size, badly, and the statements that join and
    sort it cross the JIT threshold: compiling them cost 0.7 s each (measured on 200,000 rows),
    more than all their other work. JIT goes off for the rest of the load's transaction only.
    """
    conn.execute(text("SELECT set_config('jit', 'off', true)"))
    definitions = ["row_no integer NOT NULL", "source_id text NOT NULL"]
    definitions += [f"{quote(c.name)} {c.sql_type}" for c in columns]
    if geometry:
        definitions.append("geom geometry")
    if geometry and geometry_sql:
        point = label_point(geometry_sql)
        definitions.append(f"pt geometry GENERATED ALWAYS AS ({point}) STORED")
        definitions.append(f'curve text COLLATE "C" GENERATED ALWAYS AS ({curve_key(point)}) STORED')
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(stage)}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {quote(stage)} ({', '.join(definitions)}) ON COMMIT DROP")


def analyze(conn: Connection, stage: str) -> None:
    """Statistics of the filled stage, so that the resolve, assign and write statements get hash
    joins sized for its rows rather than merge joins over sorts of a guessed size."""
    # The join keys only: statistics of the geometries cost ten times more and no plan uses them.
    conn.exec_driver_sql(f"ANALYZE {quote(stage)} (row_no, source_id)")


def copy_into_stage(conn: Connection, stage: str, frame: pd.DataFrame, geometry: np.ndarray | None) -> None:
    """COPY one chunk (row_no, source_id, fields…[, geom as hex EWKB]) in CSV form."""
    if frame.empty:
        return
    columns = [str(c) for c in frame.columns]
    data = [frame[c] for c in frame.columns]
    if geometry is not None:
        columns.append("geom")
        data.append(pd.Series(_hex_ewkb(geometry), index=frame.index, dtype=object))
    body = _csv(columns, data)
    # psycopg's own connection (SQLAlchemy types driver_connection as any DB-API connection, or None)
    driver = cast("psycopg.Connection[Any]", conn.connection.driver_connection)
    with driver.cursor() as cursor:
        sql = f"COPY {quote(stage)} ({', '.join(quote(c) for c in columns)}) FROM STDIN (FORMAT csv)"
        with cursor.copy(sql) as copy:
            copy.write(body if driver.info.encoding == "utf-8" else body.decode())


def _hex_ewkb(geometry: np.ndarray) -> np.ndarray:
    """Geometries as ``SRID=4326;<hex WKB>``, which PostGIS reads exactly as hex EWKB (None stays None).

    Cheaper than stamping the SRID on every geometry and writing EWKB as hex with GEOS.
    """
    wkb = shapely.to_wkb(np.asarray(geometry, dtype=object))
    prefix = f"SRID={SRID};"
    return np.array([None if b is None else prefix + b.hex() for b in wkb], dtype=object)


# Arrow types whose CSV text Postgres reads exactly as it reads pandas' ``to_csv`` of the same values.
_ARROW_AS_IS = (pa.types.is_integer, pa.types.is_floating, pa.types.is_date32, pa.types.is_null)


def _csv(columns: list[str], data: list[pd.Series]) -> bytes:
    """The rows as CSV for COPY: NULL as an empty field, as ``DataFrame.to_csv(na_rep="")`` writes.

    Arrow's writer is an order of magnitude faster than pandas'; cells it cannot type (mixed or
    nested values, decimals, timestamps) fall back to pandas for the chunk.
    """
    try:
        arrays = [_arrow_column(values) for values in data]
        sink = pa.BufferOutputStream()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(pa.Table.from_arrays(arrays, names=columns), sink, options)
        return sink.getvalue().to_pybytes()
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        frame = pd.DataFrame(dict(zip(columns, data, strict=True)))
        return frame.to_csv(index=False, header=False, na_rep="").encode()


def _arrow_column(values: pd.Series) -> pa.Array:
    array = pa.array(values, from_pandas=True)  # NaN becomes null, as pandas writes it (empty)
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        # pandas writes "" unquoted, which COPY reads as NULL; Arrow would quote it.
        return pc.if_else(pc.equal(array, pa.scalar("", kind)), pa.scalar(None, kind), array)
    if pa.types.is_boolean(kind):
        return pc.if_else(array, "True", "False")
    if any(check(kind) for check in _ARROW_AS_IS):
        return array
    raise TypeError(f"no exact CSV text for Arrow type {kind}")


class StageWriter:
    """COPYs chunks into a stage from a background thread, one chunk behind the caller.

    The server parses and stores chunk n while Python validates chunk n+1 (two cores instead
    of one). The connection is used by one thread at a time: ``put`` waits for the previous
    chunk, and leaving the ``with`` block waits for the last one, also on error, so the
    caller's rollback never races a COPY. A failed COPY is raised from the next ``put`` or
    from the end of the block. It also keeps 64-bit hashes of the source ids, so that a load
    without repeated ids can skip the duplicate search.
    """

    def __init__(self, conn: Connection, stage: str) -> None:
        self._conn = conn
        self._stage = stage
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"copy-{stage}")
        self._pending: Future[None] | None = None
        self._hashes: list[np.ndarray] = []

    def __enter__(self) -> StageWriter:
        return self

    def put(self, frame: pd.DataFrame, geometry: np.ndarray | None) -> None:
        self._wait()
        if "source_id" in frame and len(frame):
            ids = frame["source_id"].tolist()
            self._hashes.append(np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)))
        self._pending = self._pool.submit(_copy_chunk, self._conn, self._stage, frame, geometry)

    @property
    def may_repeat(self) -> bool:
        """False when no two staged rows can share a source id (their hashes all differ)."""
        hashes = np.concatenate(self._hashes) if self._hashes else np.empty(0, dtype=np.int64)
        return len(np.unique(hashes)) < len(hashes)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            # The COPY of the previous chunk happened first: its error is the one to report.
            self._wait()
        finally:
            self._pool.shutdown(wait=True)


def _copy_chunk(conn: Connection, stage: str, frame: pd.DataFrame, geometry: np.ndarray | None) -> None:
    copy_into_stage(conn, stage, frame, geometry)  # looked up at call time (tests count the calls)


def drop_duplicates(conn: Connection, stage: str, *, may_repeat: bool = True) -> list[tuple[int, str]]:
    """Keep the last row of each source_id; return (row, source_id) of the rows dropped.

    ``may_repeat=False`` (see ``StageWriter.may_repeat``) says no id repeats: nothing to search.
    """
    if not may_repeat:
        return []
    result = conn.execute(
        text(f"""
        WITH ranked AS (
            SELECT row_no, row_number() OVER (PARTITION BY source_id ORDER BY row_no DESC) AS rank
            FROM {quote(stage)}
        )
        DELETE FROM {quote(stage)} s USING ranked r
        WHERE s.row_no = r.row_no AND r.rank > 1
        RETURNING s.row_no, s.source_id
    """)
    )
    return sorted((int(row), str(source_id)) for row, source_id in result)


def take_unresolved(conn: Connection, stage: str, condition: str) -> list[int]:
    """Delete the staged rows matching ``condition`` (e.g. an unknown reference); return their rows."""
    result = conn.execute(text(f"DELETE FROM {quote(stage)} WHERE {condition} RETURNING row_no"))
    return sorted(int(row) for (row,) in result)


def upsert(
    conn: Connection,
    stage: str,
    table: str,
    columns: Sequence[str],
    *,
    source: str,
    geometry_sql: str | None = None,
    derived: Derived | None = None,
    spatial_order: bool = False,
) -> tuple[int, int]:
    """Insert new rows and update changed ones by source_id; returns (inserted, updated).

    ``spatial_order`` (the stage was made with ``geometry_sql``): new rows are written along
    ``curve_key``, with their ids still in file order (``numbered``); else in the order of the stage.

    Rows whose values are all unchanged are not touched (no new ``loaded_at``, no version
    bump), which is what makes loading the same file twice change nothing. ``derived``
    columns are written with each new or changed row but do not make a row count as
    changed; an unchanged row only has them brought up to date.
    """
    targets = list(columns) + (["geom"] if geometry_sql else [])
    extra = list(derived.columns) if derived else []
    written = ", ".join(quote(c) for c in targets + extra)
    selects = [f"s.{quote(c)}" for c in columns] + ([geometry_sql] if geometry_sql else [])
    selects += [f"d.{quote(c)}" for c in extra]
    staged = numbered(stage, table) if spatial_order else f"{quote(stage)} s"
    rows = staged + (f" LEFT JOIN {quote(derived.table)} d USING (row_no)" if derived else "")
    identity, new_id = (", id", ", s.new_id") if spatial_order else ("", "")
    compared = ", ".join(f"t.{quote(c)}" for c in targets)
    excluded = ", ".join(f"EXCLUDED.{quote(c)}" for c in targets)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in targets + extra)
    # A one-column comparison must not be a ROW() of one, which Postgres reads as a plain value anyway.
    distinct = f"({compared}) IS DISTINCT FROM ({excluded})" if targets else "false"
    sql = f"""
        WITH up AS (
            INSERT INTO {quote(table)} AS t ({written}, source, source_id{identity})
            SELECT {", ".join(selects)}, :source, s.source_id{new_id} FROM {rows}
            {write_order(geometry_sql) if spatial_order else ""}
            ON CONFLICT (source_id) DO UPDATE SET {updates}{"," if updates else ""} source = EXCLUDED.source,
                loaded_at = now()
            WHERE {distinct}
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               (SELECT count(*) FROM {quote(stage)})
        FROM up
    """
    inserted, updated, staged = conn.execute(text(sql), {"source": source}).one()
    if derived and extra and inserted + updated < staged:
        refresh_derived(conn, stage, table, derived)
    return int(inserted), int(updated)


def refresh_derived(conn: Connection, stage: str, table: str, derived: Derived) -> None:
    """Bring the derived columns of the rows the upsert (or ``etl.bulk.store``) left alone up to date."""
    sets = ", ".join(f"{quote(c)} = x.{quote(c)}" for c in derived.columns)
    old = ", ".join(f"t.{quote(c)}" for c in derived.columns)
    new = ", ".join(f"x.{quote(c)}" for c in derived.columns)
    rows = f"{quote(stage)} s LEFT JOIN {quote(derived.table)} d USING (row_no)"
    conn.execute(
        text(f"""
        UPDATE {quote(table)} t SET {sets}
        FROM (SELECT s.source_id, d.* FROM {rows}) x
        WHERE t.source_id = x.source_id AND ROW({old}) IS DISTINCT FROM ROW({new})
    """)
    )


def stage_count(conn: Connection, stage: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {quote(stage)}")).scalar_one())
