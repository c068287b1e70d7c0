"""Households (户): dwelling units of a building, with flags for vulnerable groups. No personal data.

Without an id column a household is known by (building source id, unit label). One that moves to
another building keeps its unit label: a new (building, label) whose label belongs to exactly one
stored household the file no longer lists (in another building) is that household moved, not a new
one. Its row is updated (its status history stays with it) and the move is reported; where the label
fits several, nothing is guessed: the rows load as new and the report says so.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.columns import as_bool, as_non_negative_int
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote, take_unresolved


class HouseholdJob(Job):
    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        conn.execute(
            text(f"UPDATE {s} h SET building_id = b.id FROM buildings b WHERE b.source_id = h.building")
        )
        for row in take_unresolved(conn, stage, "building_id IS NULL"):
            report.reject(row, "building", "", "no loaded building has this id (load the buildings first)")
        _follow_moves(conn, stage, report)


# Ids the loader made from (building, unit label): households of files without an id column.
_DERIVED_ID = "households:%"


def _follow_moves(conn: Connection, stage: str, report: LoadReport) -> None:
    """Give each household that moved building the id its new (building, label) makes, so the upsert
    updates it; report the moves and the labels that fit several stored households."""
    s = quote(stage)
    pairs = conn.execute(
        text(f"""
        WITH fresh AS (
            SELECT x.row_no, x.source_id, x.unit_label, x.building_id, x.building FROM {s} x
            WHERE x.source_id LIKE :derived AND x.unit_label IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM households h WHERE h.source_id = x.source_id)
        ), absent AS (
            SELECT h.id, h.unit_label, h.building_id FROM households h
            WHERE h.source_id LIKE :derived AND h.unit_label IN (SELECT unit_label FROM fresh)
              AND NOT EXISTS (SELECT 1 FROM {s} x WHERE x.source_id = h.source_id)
        ), pairs AS (
            SELECT f.row_no, f.source_id, a.id, b.source_id AS old_building, f.building AS new_building,
                   count(*) OVER (PARTITION BY f.row_no) = 1 AND count(*) OVER (PARTITION BY a.id) = 1
                       AS moved
            FROM fresh f JOIN absent a ON a.unit_label = f.unit_label AND a.building_id <> f.building_id
            JOIN buildings b ON b.id = a.building_id
        ), renamed AS (
            UPDATE households h SET source_id = p.source_id FROM pairs p WHERE p.moved AND h.id = p.id
            RETURNING h.id
        )
        SELECT row_no, old_building, new_building, moved FROM pairs ORDER BY row_no"""),
        {"derived": _DERIVED_ID},
    ).all()
    moves = [p for p in pairs if p.moved]
    if moves:
        shown = ", ".join(f"row {p.row_no}: {p.old_building} -> {p.new_building}" for p in moves[:5])
        report.notes["households moved to another building"] = len(moves)
        report.warnings.append(
            f"{len(moves)} households no longer listed in their building reappear with the same unit "
            f"label in another: updated as moved ({shown}{' …' if len(moves) > 5 else ''})"
        )
    unsure = sorted({p.row_no for p in pairs if not p.moved})
    if unsure:
        rows = ", ".join(map(str, unsure[:5])) + (" …" if len(unsure) > 5 else "")
        report.warnings.append(
            f"{len(unsure)} new households (rows {rows}) share a unit label with several households "
            "this file no longer lists in other buildings: loaded as new; an id column would say "
            "which moved"
        )


JOB = HouseholdJob(
    kind="households",
    table="households",
    fields=(
        Field(
            "building",
            ("building", "building_id", "building_ref", "building_source_id", "楼栋"),
            required=True,
            target=False,
        ),
        Field("unit_label", ("unit_label", "unit", "room", "门牌", "室号")),
        Field("size", ("size", "persons", "members", "人数"), as_non_negative_int, "smallint"),
        Field("elderly_alone", ("elderly_alone", "独居老人"), as_bool, "boolean"),
        Field("disabled", ("disabled", "残障"), as_bool, "boolean"),
        Field("foreign_national", ("foreign_national", "foreign", "外籍"), as_bool, "boolean"),
    ),
    identity=("building", "unit_label"),
    id_candidates=("id", "household_id", "source_id"),
    extra_stage_columns=(StageColumn("building_id", "bigint"),),
)
