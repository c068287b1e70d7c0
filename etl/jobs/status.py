"""House-status history (房态): a status for a household or a whole building from a date on.

A new status ends the open one it follows, so "the status on date D" is always one row.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code, as_date
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote, take_unresolved
from geo.vocab import HOUSE_STATUSES, STATUS_CODES

STATUS_ALIASES = (
    {t.zh: t.code for t in HOUSE_STATUSES}
    | {t.en.lower(): t.code for t in HOUSE_STATUSES}
    | {
        "阳性": "confirmed",
        "确诊病例": "confirmed",
        "无症状": "asymptomatic",
        "密切接触者": "close_contact",
        "次密切接触者": "secondary_contact",
        "健康监测": "health_monitoring",
        "入境": "inbound",
    }
)


class StatusJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        if options.date is not None:
            frame["valid_from"] = frame["valid_from"].where(frame["valid_from"].notna(), options.date)
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        conn.execute(
            text(f"UPDATE {s} x SET household_id = h.id FROM households h WHERE h.source_id = x.household")
        )
        conn.execute(
            text(
                f"UPDATE {s} x SET building_id = b.id FROM buildings b "
                "WHERE x.household IS NULL AND b.source_id = x.building"
            )
        )
        for row in take_unresolved(conn, stage, "household_id IS NULL AND building_id IS NULL"):
            report.reject(row, "household", "", "names no loaded household or building")
        for row in take_unresolved(conn, stage, "valid_to IS NOT NULL AND valid_to <= valid_from"):
            report.reject(row, "valid_to", "", "ends on or before it starts")

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        closed = conn.execute(
            text(f"""
            UPDATE house_status old SET valid_to = next.valid_from
            FROM (SELECT h.id, h.household_id, h.building_id, h.valid_from FROM house_status h
                  JOIN {quote(stage)} s ON s.source_id = h.source_id) next
            WHERE old.valid_to IS NULL AND old.id <> next.id AND old.valid_from < next.valid_from
              AND (old.household_id = next.household_id OR old.building_id = next.building_id)
        """)
        ).rowcount
        if closed:
            report.notes["earlier statuses closed"] = closed


JOB = StatusJob(
    kind="status",
    table="house_status",
    fields=(
        Field("household", ("household", "household_id", "household_ref", "户"), target=False),
        Field("building", ("building", "building_id", "building_ref", "楼栋"), target=False),
        Field(
            "status",
            ("status", "house_status", "房态", "状态"),
            as_code(STATUS_CODES, STATUS_ALIASES),
            required=True,
        ),
        Field("valid_from", ("valid_from", "date", "from", "start", "日期"), as_date, "date", required=True),
        Field("valid_to", ("valid_to", "until", "end", "结束"), as_date, "date"),
    ),
    identity=("household", "building", "status", "valid_from"),
    id_candidates=("id", "status_id", "source_id"),
    extra_stage_columns=(StageColumn("household_id", "bigint"), StageColumn("building_id", "bigint")),
    derivable=("valid_from",),
)
