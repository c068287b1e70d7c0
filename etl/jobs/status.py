"""House-status history (房态): a status for a household or a whole building from a date on.

The file's stretches are written by THE write rule of ``geo.status.history`` (each closed by the next
in time, a same-``valid_from`` load a correction), so "the status on date D" is always one row.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code, as_date
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import Derived, StageColumn, quote, take_unresolved
from geo.status.history import record_statuses, take_contradictions
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
        contradictions, repeats = take_contradictions(conn, s)
        for row, other in contradictions:
            report.reject(
                row,
                "status",
                "",
                f"row {other} gives the same household (or building) another status or end from the "
                "same valid_from: which one is meant? (a correction belongs in a later file)",
            )
        if repeats:
            report.duplicates += repeats
            report.warnings.append(
                f"{repeats} rows repeat another row's household, valid_from, status and end: loaded once"
            )

    def store(
        self,
        conn: Connection,
        stage: str,
        report: LoadReport,
        options: LoadOptions,
        *,
        source: str,
        derived: Derived | None = None,
    ) -> tuple[int, int]:
        """The history's write rule; corrections count as updated, the stored stretches it closed or
        trimmed (and the rows replaced because their id came again) are noted."""
        change = record_statuses(conn, quote(stage), source=source, target=f"load:{source}")
        if change.closed:
            report.notes["earlier statuses closed"] = change.closed
        if change.corrected:
            report.notes["corrected (replaced rows kept in house_status_history)"] = change.corrected
        if change.moved:
            report.notes["ids loaded again for another household or date (old rows kept in history)"] = (
                change.moved
            )
        return change.inserted, change.corrected


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
