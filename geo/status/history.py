"""THE write rule of house status: a status history is non-overlapping stretches, each closed by the
next in time; a later load of the same ``valid_from`` is a correction.

Every write of ``house_status`` goes through :func:`record_statuses`: the status load job
(``etl/jobs/status.py``) with a staged file, the field API with one stretch. The rule, per household
(or per building, for whole-building statuses, a timeline of its own):

- A stretch is a status from ``valid_from`` on, with the end its source gave (kept as ``declared_to``)
  or none. An open stretch lasts until the next one in time starts (``lead()`` over the timeline);
  one with a given end lasts until that end. On each day, of the stretches begun and not ended, the
  one with the latest start holds. So stretches never overlap, each open one is closed by the next,
  and the result does not depend on the order files arrive in: a late file's older stretch is closed
  by the newer one already stored, and closes the one before it.
- A stretch starting inside another's given span wins for its span (e.g. a ``close_contact``
  fortnight inside a month of ``health_monitoring``); if it ends before the other, the other resumes
  until its own end: it is split, its later part stored as a row of its own that names its first
  part (``resumes``). A given end is always honoured; an open stretch never resumes.
- The same household (or building) and ``valid_from`` again, with another status or end, is a
  correction: it replaces the stored fact; the replaced row goes to ``house_status_history`` with who,
  when and why, and the change is audited (``geo.audit``, action ``status_change``). The same content
  again changes nothing. An id (``source_id``) loaded again for another household or date moves that
  record: the old row is replaced the same way.
- Two statuses for one target at one ``valid_from`` in the same input contradict each other: the
  loader rejects those rows (:func:`take_contradictions`); ``record_statuses`` refuses such input.

The database enforces the outcome: exclusion constraints (migration 0007) refuse any overlapping
stretch, whoever writes it. All of it is set-based SQL, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo import audit
from geo.errors import InvalidParameter
from geo.status import overview
from geo.vocab import STATUS_CODES

# Temporary tables of one call, dropped at its end (and with the transaction in any case).
_INPUT = "status_history_input"
_IN = "status_history_in"
_TARGETS = "status_history_targets"
_FACTS = "status_history_facts"
_PIECES = "status_history_pieces"

CORRECTED = "corrected: a later write gave another status or end for the same valid_from"
MOVED = "replaced: its id was written again for another household, building or valid_from"


@dataclass(frozen=True)
class Stretch:
    """One status stretch to record: for a household (``household_id``) or a whole building
    (``building_id``), exactly one of them; ``valid_to`` None means open until the next stretch."""

    status: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    household_id: int | None = None
    building_id: int | None = None
    # The record's id in its source; None: ``<source>:<household|building>-<id>:<valid_from>``.
    source_id: str | None = None


@dataclass(frozen=True)
class HistoryChange:
    """What a write did to the status history.

    ``inserted`` new stretches; ``corrected`` stored stretches replaced by another status or end for
    the same ``valid_from`` (kept in ``house_status_history``); ``moved`` stored rows replaced because
    their id came again for another target or date (kept too); ``closed`` other stored stretches whose
    end moved because a stretch arrived before or after them (closed, trimmed or reopened by the
    next in time); ``resumed`` parts written where a stretch resumes after a shorter one inside it;
    ``unchanged`` input stretches already stored exactly so.
    """

    inserted: int = 0
    corrected: int = 0
    moved: int = 0
    closed: int = 0
    resumed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.corrected or self.moved or self.closed or self.resumed)


def record_statuses(
    conn: Connection,
    rows: str | Sequence[Stretch],
    *,
    source: str,
    actor: audit.Actor | None = None,
    target: str | None = None,
) -> HistoryChange:
    """Write status stretches into the history by the rule of this module, in ``conn``'s transaction.

    Parameters
    ----------
    rows
        Either the name of a (temporary) table with columns ``source_id, household_id, building_id,
        status, valid_from, valid_to`` (the status loader's stage: one row per target and
        ``valid_from``, references resolved, see :func:`take_contradictions`), or stretches
        (:class:`Stretch`), e.g. the one a field report gives.
    source
        Where the stretches come from (a file name, ``field``): stored with each row written.
    actor
        Who writes, for the history of replaced rows and the audit log; None: the person at the
        command line (``geo.audit.cli_actor``).
    target
        What the audit row names (``load:<file>``, ``household:<id>``); None: ``source``.

    Returns
    -------
    HistoryChange
        The counts of what changed; nothing is written (and nothing audited) when nothing changes.
        Other writers of ``house_status`` wait until ``conn``'s transaction ends (a table lock that
        lets reads through), so concurrent writes never work from a stale history.

    Raises
    ------
    InvalidParameter
        for a stretch naming both or neither of household and building, an unknown status, an end
        on or before its start, or two stretches for one target at one ``valid_from``.
    """
    actor = actor or audit.cli_actor()
    # One writer of the history at a time (readers go on): each works out its rows from what the
    # other would otherwise be changing under it.
    conn.exec_driver_sql("LOCK TABLE house_status IN SHARE ROW EXCLUSIVE MODE")
    table = rows if isinstance(rows, str) else _stage_stretches(conn, rows, source)
    try:
        _check_input(conn, table)
        change = _apply(conn, table, source=source, actor=actor)
    finally:
        for temp in (_IN, _TARGETS, _FACTS, _PIECES) + (() if isinstance(rows, str) else (_INPUT,)):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}")
    # The overviews follow in the same transaction (the triggers marked what this write touched).
    overview.settle(conn)
    if change.changed:
        audit.record(
            conn,
            actor,
            "status_change",
            target=target or source,
            detail={
                "inserted": change.inserted,
                "corrected": change.corrected,
                "moved": change.moved,
                "closed": change.closed,
                "resumed": change.resumed,
            },
        )
    return change


def take_contradictions(conn: Connection, stage: str) -> tuple[list[tuple[int, int]], int]:
    """Remove from ``stage`` (with ``row_no``) the rows that give one target two statuses (or two
    ends) at one ``valid_from``; of rows that repeat each other exactly, keep the last.

    Returns the (row, other row it contradicts) of each removed contradiction, and how many exact
    repeats were dropped.
    """
    key = "household_id IS NOT NULL, coalesce(household_id, building_id), valid_from"
    repeated = f"SELECT {key} FROM {stage} GROUP BY {key} HAVING count(*) > 1"
    if conn.execute(text(f"SELECT EXISTS ({repeated})")).scalar_one() is False:
        return [], 0
    result = conn.execute(
        text(f"""
        WITH keyed AS (
            SELECT row_no,
                   min(row_no) OVER w AS first_row,
                   max(row_no) OVER w AS last_row,
                   min(status || '|' || coalesce(valid_to::text, '')) OVER w AS low,
                   max(status || '|' || coalesce(valid_to::text, '')) OVER w AS high
            FROM {stage} WHERE ({key}) IN ({repeated})
            WINDOW w AS (PARTITION BY household_id, building_id, valid_from)
        )
        DELETE FROM {stage} s USING keyed k
        WHERE s.row_no = k.row_no AND (k.low <> k.high OR s.row_no <> k.last_row)
        RETURNING s.row_no, k.low <> k.high AS contradicts,
                  CASE WHEN s.row_no = k.first_row THEN k.last_row ELSE k.first_row END AS other
    """)
    ).all()
    contradictions = sorted((int(row), int(other)) for row, contradicts, other in result if contradicts)
    return contradictions, sum(1 for _, contradicts, _ in result if not contradicts)


def _stage_stretches(conn: Connection, stretches: Sequence[Stretch], source: str) -> str:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_INPUT}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {_INPUT} (source_id text NOT NULL, household_id bigint, building_id bigint, "
        "status text, valid_from date NOT NULL, valid_to date) ON COMMIT DROP"
    )
    if stretches:
        conn.execute(
            text(
                f"INSERT INTO {_INPUT} VALUES (:source_id, :household_id, :building_id, :status, "
                ":valid_from, :valid_to)"
            ),
            [_stretch_params(s, source) for s in stretches],
        )
    return _INPUT


def _stretch_params(stretch: Stretch, source: str) -> dict[str, Any]:
    target = (
        f"household-{stretch.household_id}"
        if stretch.household_id is not None
        else f"building-{stretch.building_id}"
    )
    return {
        "source_id": stretch.source_id or f"{source}:{target}:{stretch.valid_from.isoformat()}",
        "household_id": stretch.household_id,
        "building_id": stretch.building_id,
        "status": stretch.status,
        "valid_from": stretch.valid_from,
        "valid_to": stretch.valid_to,
    }


def _check_input(conn: Connection, table: str) -> None:
    """Refuse input the rule cannot place, naming the first offending stretch."""
    problems = (
        ("(household_id IS NULL) = (building_id IS NULL)", "names both or neither of household and building"),
        ("status IS NULL OR NOT (status = ANY(CAST(:codes AS text[])))", "has an unknown status"),
        ("valid_to IS NOT NULL AND valid_to <= valid_from", "ends on or before it starts"),
    )
    for condition, reason in problems:
        bad = conn.execute(
            text(f"SELECT source_id, status, valid_from FROM {table} WHERE {condition} LIMIT 1"),
            {"codes": list(STATUS_CODES)},
        ).first()
        if bad is not None:
            raise InvalidParameter(
                f"status stretch {bad.source_id!r} ({bad.status!r} from {bad.valid_from}) {reason}: "
                f"expected one of household or building, a status of {', '.join(STATUS_CODES)} and "
                "valid_to after valid_from"
            )
    twice = conn.execute(
        text(f"""SELECT household_id, building_id, valid_from FROM {table}
                 GROUP BY 1, 2, 3 HAVING count(*) > 1 LIMIT 1""")
    ).first()
    if twice is not None:
        target = f"household {twice[0]}" if twice[0] is not None else f"building {twice[1]}"
        raise InvalidParameter(
            f"two status stretches for {target} from {twice[2]}: one stretch per valid_from "
            "(a later write of the same valid_from is the correction)"
        )


def _apply(conn: Connection, table: str, *, source: str, actor: audit.Actor) -> HistoryChange:
    params = {"source": source, "actor": actor.name, "corrected": CORRECTED, "moved": MOVED}
    _temp(
        conn,
        _IN,
        f"""SELECT source_id, household_id, building_id, household_id IS NOT NULL AS of_household,
                   coalesce(household_id, building_id) AS target, status, valid_from,
                   valid_to AS declared_to
            FROM {table}""",
    )
    moved = _replace_moved(conn, params)
    _temp(conn, _FACTS, _FACTS_SQL)
    corrected = conn.execute(
        text(f"""
        WITH old AS (SELECT h.* FROM house_status h JOIN {_FACTS} f ON f.id = h.id WHERE f.corrected)
        {_to_history("old", ":corrected")}"""),
        params,
    ).rowcount
    _temp(conn, _PIECES, _PIECES_SQL)
    # Parts that resume a stretch, no longer as they were: gone first, so nothing overlaps at any moment.
    conn.execute(
        text(f"""
        DELETE FROM house_status h USING {_FACTS} f
        WHERE h.resumes = f.id
          AND NOT EXISTS (SELECT 1 FROM {_PIECES} p WHERE NOT p.first AND p.fact_id = h.resumes
                          AND p.valid_from = h.valid_from AND p.valid_to IS NOT DISTINCT FROM h.valid_to
                          AND p.status = h.status AND p.declared_to IS NOT DISTINCT FROM h.declared_to)""")
    )
    # Stored stretches: shorter (or equal) spans first, then longer ones.
    closed = 0
    for growing in (False, True):
        closed += (
            conn.execute(
                text(f"""
                UPDATE house_status h SET status = p.status, declared_to = p.declared_to,
                       valid_to = p.valid_to,
                       source = CASE WHEN p.corrected THEN :source ELSE h.source END,
                       source_id = CASE WHEN p.corrected THEN p.row_id ELSE h.source_id END,
                       loaded_at = CASE WHEN p.corrected THEN now() ELSE h.loaded_at END
                FROM {_PIECES} p
                WHERE p.first AND p.fact_id = h.id
                  AND (p.corrected OR p.valid_to IS DISTINCT FROM h.valid_to)
                  AND (coalesce(p.valid_to, 'infinity') > coalesce(h.valid_to, 'infinity')) = :growing
                RETURNING p.corrected"""),
                {"source": source, "growing": growing},
            )
            .scalars()
            .all()
            .count(False)
        )
    inserted = conn.execute(
        text(f"""
        INSERT INTO house_status (household_id, building_id, status, valid_from, valid_to, declared_to,
                                  source, source_id)
        SELECT CASE WHEN of_household THEN target END, CASE WHEN NOT of_household THEN target END,
               status, valid_from, valid_to, declared_to, :source, row_id
        FROM {_PIECES} WHERE first AND fact_id IS NULL
        ORDER BY of_household, target, valid_from"""),
        {"source": source},
    ).rowcount
    resumed = _insert_resumed_parts(conn)
    unchanged = conn.execute(
        text(f"SELECT count(*) FROM {_FACTS} WHERE id IS NOT NULL AND input_id IS NOT NULL AND NOT corrected")
    ).scalar_one()
    return HistoryChange(
        inserted=inserted,
        corrected=corrected,
        moved=moved,
        closed=closed,
        resumed=resumed,
        unchanged=int(unchanged),
    )


def _insert_resumed_parts(conn: Connection) -> int:
    """Write the parts that resume a stretch and are not stored yet; returns how many."""
    if not conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {_PIECES} WHERE NOT first)")).scalar_one():
        return 0
    # A stretch first written just now is found by its timeline and start.
    conn.execute(
        text(f"""
        UPDATE {_PIECES} p SET fact_id = h.id FROM house_status h
        WHERE p.fact_id IS NULL AND NOT p.first AND h.resumes IS NULL AND h.valid_from = p.fact_from
          AND h.household_id = p.target AND p.of_household""")
    )
    conn.execute(
        text(f"""
        UPDATE {_PIECES} p SET fact_id = h.id FROM house_status h
        WHERE p.fact_id IS NULL AND NOT p.first AND h.resumes IS NULL AND h.valid_from = p.fact_from
          AND h.building_id = p.target AND NOT p.of_household""")
    )
    return conn.execute(
        text(f"""
        INSERT INTO house_status (household_id, building_id, status, valid_from, valid_to, declared_to,
                                  source, source_id, resumes)
        SELECT h.household_id, h.building_id, p.status, p.valid_from, p.valid_to, p.declared_to, h.source,
               h.source_id || '~' || p.valid_from, h.id
        FROM {_PIECES} p JOIN house_status h ON h.id = p.fact_id
        WHERE NOT p.first AND NOT EXISTS (
            SELECT 1 FROM house_status c WHERE c.resumes = h.id AND c.valid_from = p.valid_from)""")
    ).rowcount


def _temp(conn: Connection, name: str, select: str, *, index: str | None = None) -> None:
    """(Re)create the temporary table ``name`` from ``select``, with fresh statistics."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS {select}")
    if index:
        conn.exec_driver_sql(f"CREATE INDEX ON {name} ({index})")
    conn.exec_driver_sql(f"ANALYZE {name}")


def _replace_moved(conn: Connection, params: Mapping[str, object]) -> int:
    """Stored stretches whose id comes again for another target or start are replaced (kept in the
    history); their timelines are recomputed with the input's (``_TARGETS``). Returns how many."""
    moved = conn.execute(
        text(f"""
        WITH gone AS (
            DELETE FROM house_status h USING {_IN} i
            WHERE h.source_id = i.source_id AND h.resumes IS NULL
              AND (h.household_id IS DISTINCT FROM i.household_id
                   OR h.building_id IS DISTINCT FROM i.building_id OR h.valid_from <> i.valid_from)
            RETURNING h.*
        ), kept AS ({_to_history("gone", ":moved")} RETURNING household_id, building_id)
        SELECT household_id, building_id FROM kept"""),
        params,
    ).all()
    households = _bigints([h for h, _ in moved])
    buildings = _bigints([b for _, b in moved])
    _temp(
        conn,
        _TARGETS,
        f"""SELECT DISTINCT of_household, target FROM (
                SELECT of_household, target FROM {_IN}
                UNION ALL
                SELECT m.household_id IS NOT NULL, coalesce(m.household_id, m.building_id)
                FROM unnest({households}, {buildings}) AS m (household_id, building_id)
            ) t""",
    )
    return len(moved)


def _bigints(values: list[int | None]) -> str:
    """An SQL array literal of ids (ints from the database itself, never user input)."""
    return "ARRAY[" + ", ".join("NULL" if v is None else str(int(v)) for v in values) + "]::bigint[]"


# Every stretch as given (first parts) of the affected timelines once the input is applied, with
# ``ends``: its given end, else (open) the next start; and ``tangled``: whether some stretch of its
# timeline resumes after a shorter one inside it (a later stretch ends before an earlier one does and
# before the next starts), which only such timelines need the full cut below to work out.
_FACTS_SQL = f"""
    WITH stored AS (
        SELECT h.id, true AS of_household, h.household_id AS target, h.status, h.valid_from,
               h.declared_to, h.source_id
        FROM house_status h JOIN {_TARGETS} t ON t.of_household AND h.household_id = t.target
        WHERE h.resumes IS NULL
        UNION ALL
        SELECT h.id, false, h.building_id, h.status, h.valid_from, h.declared_to, h.source_id
        FROM house_status h JOIN {_TARGETS} t ON NOT t.of_household AND h.building_id = t.target
        WHERE h.resumes IS NULL
    ), facts AS (
        SELECT s.id, coalesce(s.of_household, i.of_household) AS of_household,
               coalesce(s.target, i.target) AS target, coalesce(s.valid_from, i.valid_from) AS valid_from,
               coalesce(i.status, s.status) AS status,
               CASE WHEN i.valid_from IS NULL THEN s.declared_to ELSE i.declared_to END AS declared_to,
               i.source_id AS input_id, coalesce(i.source_id, s.source_id) AS row_id,
               s.id IS NOT NULL AND i.source_id IS NOT NULL
                   AND (i.status, i.declared_to) IS DISTINCT FROM (s.status, s.declared_to) AS corrected
        FROM stored s
        FULL JOIN {_IN} i
          ON i.of_household = s.of_household AND i.target = s.target AND i.valid_from = s.valid_from
    ), timed AS (
        SELECT *, coalesce(declared_to, next_start) AS ends FROM (
            SELECT *, lead(valid_from) OVER (PARTITION BY of_household, target ORDER BY valid_from)
                          AS next_start
            FROM facts) f
    ), flagged AS (
        SELECT *, ends < coalesce(next_start, 'infinity')
                  AND max(coalesce(ends, 'infinity')) OVER (
                      PARTITION BY of_household, target ORDER BY valid_from
                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > ends AS interrupts
        FROM timed
    )
    SELECT *, bool_or(coalesce(interrupts, false)) OVER (PARTITION BY of_household, target) AS tangled
    FROM flagged"""

# The parts each stretch is stored as. On every day, of the stretches begun and not ended, the one
# with the latest start holds. Untangled timelines: each stretch until it ends or the next starts.
# Tangled ones: days cut at every start and end, each cut to its winner, consecutive cuts of one
# winner one part (gaps and islands).
_PIECES_SQL = f"""
    WITH bounds AS (
        SELECT of_household, target, valid_from AS at FROM {_FACTS} WHERE tangled
        UNION
        SELECT of_household, target, ends FROM {_FACTS} WHERE tangled AND ends IS NOT NULL
    ), cuts AS (
        SELECT of_household, target, at AS start,
               lead(at) OVER (PARTITION BY of_household, target ORDER BY at) AS stop,
               row_number() OVER (PARTITION BY of_household, target ORDER BY at) AS n
        FROM bounds
    ), won AS (
        SELECT DISTINCT ON (c.of_household, c.target, c.start) c.*, f.valid_from AS fact_from
        FROM cuts c JOIN {_FACTS} f ON f.of_household = c.of_household AND f.target = c.target
             AND f.valid_from <= c.start AND (f.ends IS NULL OR f.ends > c.start)
        ORDER BY c.of_household, c.target, c.start, f.valid_from DESC
    ), islands AS (
        SELECT of_household, target, fact_from, min(start) AS valid_from,
               nullif(max(coalesce(stop, 'infinity')), 'infinity') AS valid_to
        FROM (SELECT *, n - row_number() OVER (PARTITION BY of_household, target, fact_from
                                               ORDER BY start) AS island FROM won) w
        GROUP BY of_household, target, fact_from, island
    ), parts AS (
        SELECT of_household, target, valid_from AS fact_from, valid_from, least(ends, next_start) AS valid_to
        FROM {_FACTS} WHERE NOT tangled
        UNION ALL
        SELECT * FROM islands
    )
    SELECT p.of_household, p.target, p.fact_from, p.valid_from, p.valid_to,
           p.valid_from = p.fact_from AS first, f.id AS fact_id, f.status, f.declared_to, f.row_id,
           f.corrected
    FROM parts p JOIN {_FACTS} f
      ON f.of_household = p.of_household AND f.target = p.target AND f.valid_from = p.fact_from"""


def _to_history(rows: str, reason: str) -> str:
    """INSERT of the house_status rows ``rows`` (a CTE) into the history, as replaced by :actor."""
    return f"""
        INSERT INTO house_status_history (status_id, household_id, building_id, status, valid_from,
            valid_to, declared_to, source, source_id, loaded_at, replaced_by, reason, replacement_source)
        SELECT id, household_id, building_id, status, valid_from, valid_to, declared_to, source,
               source_id, loaded_at, :actor, {reason}, :source FROM {rows}"""
