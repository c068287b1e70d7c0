"""The bulk write of a load into an empty or nearly empty table: indexes and foreign keys built once.

A row-by-row upsert into ``buildings`` maintains ten indexes and up to five foreign-key checks per
row, and probes the unique index for every staged row (``ON CONFLICT``). Loading a city into an
empty table that way is five times slower than writing the bare rows. Here, inside the load's one
transaction (so a failure or ``kill -9`` rolls all of it back, indexes included):

1. the secondary indexes, unique constraints and outgoing foreign keys of the table are dropped
   (their definitions read from the catalog first);
2. the stored rows the stage changes are updated and the new rows inserted, in the spatial order
   of ``etl.staging.curve_key`` (set-based joins on ``source_id``, no per-row probes);
3. everything is created again under the same names: each index in one sorted build, each
   foreign key checked by one join of the whole table against the table it references.

The result, and what the load report counts, are exactly those of ``etl.staging.upsert``. The
cost: until the load commits, the table (and the tables its foreign keys reference) are locked
against readers, which is why only loads into tables that hold few rows compared with the file
take this path (``EtlSettings.bulk_min_rows`` and ``bulk_max_existing_share``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, Row, text

from etl.staging import Derived, quote, refresh_derived, reserve_ids, write_order
from geo.settings import EtlSettings


def worthwhile(conn: Connection, table: str, staged: int, settings: EtlSettings) -> bool:
    """True when a load of ``staged`` rows should take the bulk path into ``table``.

    The file must have at least ``bulk_min_rows`` rows and the table at most
    ``bulk_max_existing_share`` of that many (counted no further than that, so a large table
    is not scanned to find out).
    """
    if staged < settings.bulk_min_rows:
        return False
    limit = int(staged * settings.bulk_max_existing_share)
    existing = conn.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM {quote(table)} LIMIT :n) t"), {"n": limit + 1}
    ).scalar_one()
    return int(existing) <= limit


def store(
    conn: Connection,
    stage: str,
    table: str,
    columns: Sequence[str],
    *,
    source: str,
    geometry_sql: str | None = None,
    derived: Derived | None = None,
    spatial_order: bool = False,
    settings: EtlSettings,
) -> tuple[int, int]:
    """Update the changed rows and insert the new ones with indexes deferred; (inserted, updated).

    The same rule as ``etl.staging.upsert``: a row whose values are all unchanged is not
    touched; derived columns do not make a row count as changed but are brought up to date.
    New rows are written along the curve with ``spatial_order``, else in the order of the stage;
    their ids follow the file either way (``etl.staging.reserve_ids``).
    """
    targets = list(columns) + (["geom"] if geometry_sql else [])
    extra = list(derived.columns) if derived else []
    values = [f"s.{quote(c)}" for c in columns] + ([geometry_sql] if geometry_sql else [])
    values += [f"d.{quote(c)}" for c in extra]
    joined = f" LEFT JOIN {quote(derived.table)} d USING (row_no)" if derived else ""
    rows = f"{quote(stage)} s" + joined
    memory = f"{int(settings.bulk_index_memory_mb)}MB"
    with deferred_indexes(conn, table, memory=memory), _setting(conn, "work_mem", memory):
        existed = bool(conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")).scalar_one())
        updated = _update_changed(conn, table, rows, targets, extra, values, source=source) if existed else 0
        written = ", ".join(quote(c) for c in targets + extra)
        # Along the curve, ids are given in file order (reserve_ids); in file order, the default does it.
        order, ids = "ORDER BY s.row_no", ("", "")
        params: dict[str, object] = {"source": source}
        if spatial_order and geometry_sql:
            order, ids = write_order(geometry_sql), (", id", ", :base + s.row_no")
            params["base"] = reserve_ids(conn, stage, table)
        inserted = conn.execute(
            text(f"""
            INSERT INTO {quote(table)} ({written}, source, source_id{ids[0]})
            SELECT {", ".join(values)}, :source, s.source_id{ids[1]} FROM {rows}
            WHERE NOT EXISTS (SELECT 1 FROM {quote(table)} t WHERE t.source_id = s.source_id)
            {order}
        """),
            params,
        ).rowcount
        if derived and extra and existed:
            refresh_derived(conn, stage, table, derived)
    return int(inserted or 0), int(updated or 0)


def _update_changed(
    conn: Connection,
    table: str,
    rows: str,
    targets: list[str],
    extra: list[str],
    values: list[str],
    *,
    source: str,
) -> int:
    """UPDATE the stored rows whose staged values differ (one hash join); returns how many."""
    names = targets + extra
    staged = ", ".join(f"{value} AS {quote(name)}" for value, name in zip(values, names, strict=True))
    sets = ", ".join(f"{quote(c)} = x.{quote(c)}" for c in names)
    old = ", ".join(f"t.{quote(c)}" for c in targets)
    new = ", ".join(f"x.{quote(c)}" for c in targets)
    distinct = f"ROW({old}) IS DISTINCT FROM ROW({new})" if targets else "false"
    result = conn.execute(
        text(f"""
        UPDATE {quote(table)} t SET {sets}{"," if sets else ""} source = :source, loaded_at = now()
        FROM (SELECT s.source_id, {staged} FROM {rows}) x
        WHERE t.source_id = x.source_id AND {distinct}
    """),
        {"source": source},
    )
    return result.rowcount or 0


@contextmanager
def deferred_indexes(conn: Connection, table: str, *, memory: str) -> Iterator[None]:
    """Drop the secondary indexes, unique and foreign-key constraints of ``table``; create them again
    on leaving (not when the block raises: the rollback that follows restores them).

    The primary key stays (other tables' foreign keys hang on it), and so do constraints whose
    index another table's foreign key uses. Definitions come from the catalog, so what is made
    again is exactly what was there, under the same names.
    """
    constraints = conn.execute(
        text("""
        SELECT c.conname, c.contype, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.conrelid = CAST(:t AS regclass) AND c.contype IN ('u', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.confrelid = c.conrelid
                          AND r.conindid = c.conindid AND c.contype = 'u')
        ORDER BY c.contype DESC, c.conname
    """),
        {"t": quote(table)},
    ).all()
    indexes = conn.execute(
        text("""
        SELECT quote_ident(i.relname), pg_get_indexdef(x.indexrelid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = CAST(:t AS regclass) AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid
                          AND c.conrelid = x.indrelid)
        ORDER BY i.relname
    """),
        {"t": quote(table)},
    ).all()
    for name, _, _ in constraints:
        conn.exec_driver_sql(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _ in indexes:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    yield
    with _setting(conn, "maintenance_work_mem", memory):
        _create(conn, table, constraints, indexes)


def _create(conn: Connection, table: str, constraints: Sequence[Row], indexes: Sequence[Row]) -> None:
    # Unique constraints first (an index of their own), then the plain indexes, then the foreign
    # keys: each of those is one join of the table against the one it references.
    for name, kind, definition in constraints:
        if kind == "u":
            conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    for _, definition in indexes:
        conn.exec_driver_sql(definition)
    for name, kind, definition in constraints:
        if kind == "f":
            conn.exec_driver_sql(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


@contextmanager
def _setting(conn: Connection, name: str, value: str) -> Iterator[None]:
    """A server setting changed for the statements of the block only (the sorts of a bulk write)."""
    old = conn.execute(text("SELECT current_setting(:n)"), {"n": name}).scalar_one()
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    yield
    conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": old})
