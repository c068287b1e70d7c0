"""Load: a temporary staging table filled by COPY, then one upsert into the target table.

All of it runs inside the caller's transaction, so a failure or a killed process leaves
the previous data exactly as it was, and the staging table vanishes with the transaction.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo.models import SRID


@dataclass(frozen=True)
class StageColumn:
    name: str
    sql_type: str


def quote(name: str) -> str:
    """A double-quoted SQL identifier (our names are code-defined, never user input)."""
    return '"' + name.replace('"', '""') + '"'


def create_stage(conn: Connection, stage: str, columns: Sequence[StageColumn], *, geometry: bool) -> None:
    definitions = ["row_no integer NOT NULL", "source_id text NOT NULL"]
    definitions += [f"{quote(c.name)} {c.sql_type}" for c in columns]
    if geometry:
        definitions.append("geom geometry")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(stage)}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {quote(stage)} ({', '.join(definitions)}) ON COMMIT DROP")


def copy_into_stage(conn: Connection, stage: str, frame: pd.DataFrame, geometry: np.ndarray | None) -> None:
    """COPY one chunk (row_no, source_id, fields…[, geom as EWKB hex]) in CSV form."""
    if frame.empty:
        return
    frame = frame.copy()
    columns = list(frame.columns)
    if geometry is not None:
        with_srid = shapely.set_srid(geometry.astype(object), SRID)
        frame["geom"] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
        columns.append("geom")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="")
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        sql = f"COPY {quote(stage)} ({', '.join(quote(c) for c in columns)}) FROM STDIN (FORMAT csv)"
        with cursor.copy(sql) as copy:
            copy.write(buffer.getvalue())


def drop_duplicates(conn: Connection, stage: str) -> list[tuple[int, str]]:
    """Keep the last row of each source_id; return (row, source_id) of the rows dropped."""
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


def take_unresolved(conn: Connection, stage: str, condition: str) -> list[tuple[int, object]]:
    """Delete the staged rows matching ``condition`` (e.g. an unknown reference); return their rows."""
    result = conn.execute(text(f"DELETE FROM {quote(stage)} WHERE {condition} RETURNING row_no"))
    return sorted(int(row) for (row,) in result)  # type: ignore[misc]


def upsert(
    conn: Connection,
    stage: str,
    table: str,
    columns: Sequence[str],
    *,
    source: str,
    geometry_sql: str | None = None,
) -> tuple[int, int]:
    """Insert new rows and update changed ones by source_id; returns (inserted, updated).

    Rows whose values are all unchanged are not touched (no new ``loaded_at``, no version
    bump), which is what makes loading the same file twice change nothing.
    """
    targets = list(columns) + (["geom"] if geometry_sql else [])
    selects = [quote(c) for c in columns] + ([geometry_sql] if geometry_sql else [])
    compared = ", ".join(f"t.{quote(c)}" for c in targets)
    excluded = ", ".join(f"EXCLUDED.{quote(c)}" for c in targets)
    updates = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in targets)
    # A one-column comparison must not be a ROW() of one, which Postgres reads as a plain value anyway.
    distinct = f"({compared}) IS DISTINCT FROM ({excluded})" if targets else "false"
    sql = f"""
        WITH up AS (
            INSERT INTO {quote(table)} AS t ({", ".join(quote(c) for c in targets)}, source, source_id)
            SELECT {", ".join(selects)}, :source, source_id FROM {quote(stage)}
            ON CONFLICT (source_id) DO UPDATE SET {updates}{"," if updates else ""} source = EXCLUDED.source,
                loaded_at = now()
            WHERE {distinct}
            RETURNING (xmax = 0) AS inserted
        )
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up
    """
    inserted, updated = conn.execute(text(sql), {"source": source}).one()
    return int(inserted), int(updated)


def bump_version(conn: Connection, table: str) -> None:
    """Tell caches and walls that ``table`` changed."""
    conn.execute(
        text("""
            INSERT INTO data_versions (table_name, version, changed_at) VALUES (:t, 1, now())
            ON CONFLICT (table_name) DO UPDATE SET version = data_versions.version + 1, changed_at = now()
        """),
        {"t": table},
    )


def stage_count(conn: Connection, stage: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {quote(stage)}")).scalar_one())
