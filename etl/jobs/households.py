"""Households (户): dwelling units of a building, with flags for vulnerable groups. No personal data."""

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
