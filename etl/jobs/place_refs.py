"""Resolving the places a row names (by id, source id or name) for the movement-flow loads.

Transfers and gate events name places the way an operator writes them: the ``places.id`` the
map shows, the source's own id (an OSM id), or the place's name. A name shared by several
places is ambiguous and rejected (with the ids to use instead), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from etl.report import LoadReport
from etl.staging import quote
from geo.vocab import PLACE_KINDS

_KIND_NAMES = {t.code: t.en.lower() for t in PLACE_KINDS}
_MAX_INT = 2_147_483_647


@dataclass(frozen=True)
class _Match:
    place_id: int | None
    reason: str | None = None


def resolve_places(
    conn: Connection,
    stage: str,
    report: LoadReport,
    *,
    ref_column: str,
    id_column: str,
    kinds: tuple[str, ...] | None = None,
) -> None:
    """Fill ``id_column`` of the staged rows from the place named in ``ref_column``; reject the rest.

    ``kinds`` limits which kinds of place may be named (a gate count must name a gate).
    """
    s = quote(stage)
    refs = [r for (r,) in conn.execute(text(f"SELECT DISTINCT {quote(ref_column)} FROM {s}"))]
    matches = _match(conn, [str(r) for r in refs if r is not None], kinds)
    known = {ref: m.place_id for ref, m in matches.items() if m.place_id is not None}
    if known:
        conn.execute(
            text(f"""
            UPDATE {s} x SET {quote(id_column)} = m.id
            FROM unnest(CAST(:refs AS text[]), CAST(:ids AS integer[])) AS m(ref, id)
            WHERE x.{quote(ref_column)} = m.ref
        """),
            {"refs": list(known), "ids": list(known.values())},
        )
    unresolved = conn.execute(
        text(f"DELETE FROM {s} WHERE {quote(id_column)} IS NULL RETURNING row_no, {quote(ref_column)}")
    ).all()
    for row, ref in sorted(unresolved, key=lambda r: r[0]):
        match = matches.get(str(ref)) if ref is not None else None
        reason = match.reason if match is not None and match.reason else "required value is missing"
        report.reject(int(row), ref_column, ref, reason)


def _match(conn: Connection, refs: list[str], kinds: tuple[str, ...] | None) -> dict[str, _Match]:
    """Each reference's place: an id wins over a source id, which wins over a name."""
    if not refs:
        return {}
    ids = [int(r) for r in refs if r.isdigit() and int(r) <= _MAX_INT]
    rows = conn.execute(
        text("""
        SELECT id, source_id, name, kind FROM places
        WHERE id = ANY(CAST(:ids AS integer[])) OR source_id = ANY(CAST(:refs AS text[]))
           OR name = ANY(CAST(:refs AS text[]))
        ORDER BY id
    """),
        {"ids": ids, "refs": refs},
    ).all()
    by_id = {str(r.id): r for r in rows}
    by_source = {r.source_id: r for r in rows}
    by_name: dict[str, list] = {}
    for r in rows:
        if r.name is not None:
            by_name.setdefault(r.name, []).append(r)
    out: dict[str, _Match] = {}
    for ref in refs:
        if ref in by_id:
            found = [by_id[ref]]
        elif ref in by_source:
            found = [by_source[ref]]
        else:
            found = by_name.get(ref, [])
        if not found:
            out[ref] = _Match(
                None, "no loaded place has this id or name (load it with `battlemap load places`)"
            )
        elif len(found) > 1:
            shown = ", ".join(str(r.id) for r in found[:5])
            out[ref] = _Match(
                None, f"{len(found)} places have this name (ids {shown}); name the place by its id"
            )
        elif kinds is not None and found[0].kind not in kinds:
            wanted = " or ".join(_KIND_NAMES.get(k, k) for k in kinds)
            have = _KIND_NAMES.get(found[0].kind, found[0].kind)
            out[ref] = _Match(None, f"place {found[0].id} is a {have}, not a {wanted}")
        else:
            out[ref] = _Match(int(found[0].id))
    return out


def take(conn: Connection, stage: str, condition: str, value_sql: str) -> list[tuple[int, object]]:
    """Delete the staged rows matching ``condition``; return (row, offending value) sorted by row.

    ``condition`` and ``value_sql`` are code-defined SQL over the stage's columns, never input.
    """
    result = conn.execute(
        text(f"DELETE FROM {quote(stage)} WHERE {condition} RETURNING row_no, ({value_sql})::text")
    )
    return sorted((int(row), value) for row, value in result)


def reject_repeats(conn: Connection, stage: str, report: LoadReport, *, field: str, what: str) -> None:
    """Reject every staged row whose (canonical) source id an earlier row of the file already has."""
    s = quote(stage)
    result = conn.execute(
        text(f"""
        WITH ranked AS (
            SELECT row_no, source_id, first_value(row_no) OVER w AS first_row, row_number() OVER w AS n
            FROM {s} WINDOW w AS (PARTITION BY source_id ORDER BY row_no)
        )
        DELETE FROM {s} x USING ranked r WHERE x.row_no = r.row_no AND r.n > 1
        RETURNING x.row_no, x.{quote(field)}, r.first_row
    """)
    ).all()
    for row, value, first in sorted(result, key=lambda r: r[0]):
        report.reject(int(row), field, value, f"duplicate {what}: the same as row {first}")
