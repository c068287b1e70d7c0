"""THE write rule of house status: a status history is non-overlapping stretches, each closed by the
next in time; a later load of the same ``valid_from`` is a correction.

Every write of ``house_status`` goes through :func:`record_statuses`: the status load job
(``etl/jobs/status.py``) with a staged file, the field API with one stretch. The rule, per household
(or per building, for whole-building statuses, a timeline of its own):

- A stretch is a *fact*: a status from ``valid_from`` on, ending at the ``valid_to`` its source gave
  (kept as ``declared_to``) or open. The stored ``valid_to`` is the earlier of that end and the next
  fact's ``valid_from`` (``lead()`` over the timeline), so stretches never overlap and the result does
  not depend on the order files arrive in: a late file's older stretch is closed by the newer one
  already stored, and closes the one before it.
- A stretch starting inside another's given span trims that one at its start: the later start wins
  from there on, and the trimmed stretch does not resume after the later one ends (the days after are
  whatever the rule gives without it: the building's status, else normal). A file that means the old
  status to resume says so with a row.
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo import audit
from geo.errors import InvalidParameter
from geo.vocab import STATUS_CODES

# Temporary tables of one call, dropped at its end (and with the transaction in any case).
_INPUT = "status_history_input"
_IN = "status_history_in"
_FINAL = "status_history_final"

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
    next in time); ``unchanged`` input stretches already stored exactly so.
    """

    inserted: int = 0
    corrected: int = 0
    moved: int = 0
    closed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.corrected or self.moved or self.closed)


def record_statuses(
    conn: Connection,
    rows: str | Sequence[Stretch],
    *,
    source: str,
    actor: audit.Actor | None = None,
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

    Returns
    -------
    HistoryChange
        The counts of what changed; nothing is written (and nothing audited) when nothing changes.

    Raises
    ------
    InvalidParameter
        for a stretch naming both or neither of household and building, an unknown status, an end
        on or before its start, or two stretches for one target at one ``valid_from``.
    """
    actor = actor or audit.cli_actor()
    table = rows if isinstance(rows, str) else _stage_stretches(conn, rows, source)
    try:
        _check_input(conn, table)
        change = _apply(conn, table, source=source, actor=actor)
    finally:
        for temp in (_IN, _FINAL) + (() if isinstance(rows, str) else (_INPUT,)):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}")
    if change.changed:
        audit.record(
            conn,
            actor,
            "status_change",
            target=source,
            detail={
                "inserted": change.inserted,
                "corrected": change.corrected,
                "moved": change.moved,
                "closed": change.closed,
            },
        )
    return change


def take_contradictions(conn: Connection, stage: str) -> tuple[list[tuple[int, int]], int]:
    """Remove from ``stage`` (with ``row_no``) the rows that give one target two statuses (or two
    ends) at one ``valid_from``; of rows that repeat each other exactly, keep the last.

    Returns the (row, other row it contradicts) of each removed contradiction, and how many exact
    repeats were dropped.
    """
    result = conn.execute(
        text(f"""
        WITH keyed AS (
            SELECT row_no,
                   min(row_no) OVER w AS first_row,
                   max(row_no) OVER w AS last_row,
                   min(status || '|' || coalesce(valid_to::text, '')) OVER w AS low,
                   max(status || '|' || coalesce(valid_to::text, '')) OVER w AS high
            FROM {stage}
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
        ("NOT (status = ANY(CAST(:codes AS text[])))", "has an unknown status"),
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
    # The input, keyed by timeline (a household's, or a building's) and start.
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_IN}")
    conn.exec_driver_sql(f"""
        CREATE TEMP TABLE {_IN} ON COMMIT DROP AS
        SELECT source_id, household_id, building_id, household_id IS NOT NULL AS of_household,
               coalesce(household_id, building_id) AS target, status, valid_from, valid_to AS declared_to
        FROM {table}""")
    conn.exec_driver_sql(f"CREATE INDEX ON {_IN} (source_id)")
    conn.exec_driver_sql(f"ANALYZE {_IN}")
    # Stored rows whose id comes again for another target or start: replaced (kept in the history).
    moved = conn.execute(
        text(f"""
        WITH gone AS (
            DELETE FROM house_status h USING {_IN} i
            WHERE h.source_id = i.source_id
              AND (h.household_id IS DISTINCT FROM i.household_id
                   OR h.building_id IS DISTINCT FROM i.building_id OR h.valid_from <> i.valid_from)
            RETURNING h.*
        ), kept AS ({_to_history("gone", ":moved")} RETURNING household_id, building_id)
        SELECT household_id, building_id FROM kept"""),
        params,
    ).all()
    if moved:
        # Their timelines lose a stretch: the one before it is closed anew by the next.
        conn.execute(
            text(f"""
            INSERT INTO {_IN} (source_id, household_id, building_id, of_household, target, valid_from)
            SELECT DISTINCT NULL::text, m.household_id, m.building_id, m.household_id IS NOT NULL,
                   coalesce(m.household_id, m.building_id), NULL::date
            FROM (SELECT CAST(unnest(CAST(:households AS bigint[])) AS bigint) AS household_id,
                         CAST(unnest(CAST(:buildings AS bigint[])) AS bigint) AS building_id) m"""),
            {"households": [h for h, _ in moved], "buildings": [b for _, b in moved]},
        )
    # Every fact of the affected timelines once the input is applied, and its end by the rule.
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_FINAL}")
    conn.exec_driver_sql(f"""
        CREATE TEMP TABLE {_FINAL} ON COMMIT DROP AS
        WITH targets AS (SELECT DISTINCT of_household, target FROM {_IN}),
        stored AS (
            SELECT h.id, true AS of_household, h.household_id AS target, h.status, h.valid_from,
                   h.valid_to, h.declared_to
            FROM house_status h JOIN targets t ON t.of_household AND h.household_id = t.target
            UNION ALL
            SELECT h.id, false, h.building_id, h.status, h.valid_from, h.valid_to, h.declared_to
            FROM house_status h JOIN targets t ON NOT t.of_household AND h.building_id = t.target
        ),
        facts AS (
            SELECT s.id, coalesce(s.of_household, i.of_household) AS of_household,
                   coalesce(s.target, i.target) AS target, coalesce(s.valid_from, i.valid_from) AS valid_from,
                   coalesce(i.status, s.status) AS status,
                   CASE WHEN i.valid_from IS NULL THEN s.declared_to ELSE i.declared_to END AS declared_to,
                   s.valid_to AS old_valid_to, s.status AS old_status, s.declared_to AS old_declared_to,
                   i.source_id
            FROM stored s
            FULL JOIN (SELECT * FROM {_IN} WHERE valid_from IS NOT NULL) i
              ON i.of_household = s.of_household AND i.target = s.target AND i.valid_from = s.valid_from
        )
        SELECT *, least(declared_to, lead(valid_from) OVER (PARTITION BY of_household, target
                                                            ORDER BY valid_from)) AS valid_to,
               id IS NOT NULL AND source_id IS NOT NULL
                   AND (status, declared_to) IS DISTINCT FROM (old_status, old_declared_to) AS corrected
        FROM facts""")
    conn.exec_driver_sql(f"ANALYZE {_FINAL}")
    corrected = conn.execute(
        text(f"""
        WITH old AS (SELECT h.* FROM house_status h JOIN {_FINAL} f ON f.id = h.id WHERE f.corrected)
        {_to_history("old", ":corrected")}"""),
        params,
    ).rowcount
    # Shorter (or equal) spans first, then longer ones, so no two rows overlap at any moment.
    closed = 0
    for growing in (False, True):
        closed += (
            conn.execute(
                text(f"""
            UPDATE house_status h SET status = f.status, declared_to = f.declared_to, valid_to = f.valid_to,
                   source = CASE WHEN f.corrected THEN :source ELSE h.source END,
                   source_id = CASE WHEN f.corrected THEN f.source_id ELSE h.source_id END,
                   loaded_at = CASE WHEN f.corrected THEN now() ELSE h.loaded_at END
            FROM {_FINAL} f
            WHERE f.id = h.id AND (f.corrected OR f.valid_to IS DISTINCT FROM f.old_valid_to)
              AND (coalesce(f.valid_to, 'infinity') > coalesce(f.old_valid_to, 'infinity')) = :growing
            RETURNING f.corrected"""),
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
               status, valid_from, valid_to, declared_to, :source, source_id
        FROM {_FINAL} WHERE id IS NULL"""),
        {"source": source},
    ).rowcount
    unchanged = conn.execute(
        text(f"""SELECT count(*) FROM {_FINAL} WHERE id IS NOT NULL AND source_id IS NOT NULL
                 AND NOT corrected""")
    ).scalar_one()
    return HistoryChange(
        inserted=inserted, corrected=corrected, moved=len(moved), closed=closed, unchanged=int(unchanged)
    )


def _to_history(rows: str, reason: str) -> str:
    """INSERT of the house_status rows ``rows`` (a CTE) into the history, as replaced by :actor."""
    return f"""
        INSERT INTO house_status_history (status_id, household_id, building_id, status, valid_from,
            valid_to, declared_to, source, source_id, loaded_at, replaced_by, reason, replacement_source)
        SELECT id, household_id, building_id, status, valid_from, valid_to, declared_to, source,
               source_id, loaded_at, :actor, {reason}, :source FROM {rows}"""
