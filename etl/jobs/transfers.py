"""Closed-loop transfer legs (闭环转运): a group moved from one place to another, in a chain.

A row is one leg: ``chain_id, from_place, to_place, departed_at, arrived_at, head_count,
vehicle`` (+ optional ``planned_at, status``). Places are named by id or by name. No person is
named: a chain id and a head count only. A leg is identified by its chain and its two places,
so loading a later file with the arrival times updates the legs in place.

Rejected with a reason: places that do not exist (or are ambiguous), the same place at both
ends, arrival before departure, negative or fractional head counts, a status that contradicts
the times, and a leg repeated in the file. A chain whose legs do not connect (a leg arrives
at A, the next leaves from B) is loaded but flagged: a warning names it, and the flow map lists
it as a gap instead of drawing it as a closed loop.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code, as_non_negative_int
from etl.jobs.base import Field, Job, LoadOptions
from etl.jobs.place_refs import reject_repeats, resolve_places, take
from etl.jobs.risk_areas import as_datetime
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.flows.chains import chain_gaps
from geo.vocab import LEG_STATUS_CODES, LEG_STATUSES

STATUS_ALIASES = (
    {t.zh: t.code for t in LEG_STATUSES}
    | {t.en.lower(): t.code for t in LEG_STATUSES}
    | {
        "in transit": "in_transit",
        "handed over": "handed_over",
        "交接": "handed_over",
        "已到达": "handed_over",
    }
)


def _china(column: str) -> str:
    """SQL showing a staged time as China time in a reject (the zone a file without one is read in)."""
    return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || '+08:00'"


# Cross-field checks, in order: (SQL condition over the stage, field, value SQL, reason).
_CHECKS: tuple[tuple[str, str, str, str], ...] = (
    ("from_place_id = to_place_id", "to_place", "to_place", "the leg starts and ends at the same place"),
    (
        "planned_at IS NULL AND departed_at IS NULL",
        "departed_at",
        "''",
        "a leg needs a departure time (departed_at) or a planned time (planned_at)",
    ),
    (
        "arrived_at IS NOT NULL AND departed_at IS NULL",
        "arrived_at",
        "arrived_at",
        "arrived_at is set but departed_at is empty",
    ),
    (
        "arrived_at < departed_at",
        "arrived_at",
        f"{_china('arrived_at')} || ' < departed ' || {_china('departed_at')}",
        "arrives before it departs (check the dates and the time zone)",
    ),
    (
        "status = 'handed_over' AND arrived_at IS NULL",
        "status",
        "status",
        "status handed_over needs arrived_at (when the group was handed over)",
    ),
    (
        "status IN ('planned', 'in_transit', 'overdue') AND arrived_at IS NOT NULL",
        "status",
        "status",
        "the leg has arrived_at, so its status cannot be planned, in_transit or overdue",
    ),
    (
        "status = 'planned' AND departed_at IS NOT NULL",
        "status",
        "status",
        "the leg has departed_at, so its status cannot be planned",
    ),
)


class TransferJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        """A missing status follows from the times: arrived -> handed over, departed -> in transit."""
        implied = [
            "handed_over" if pd.notna(arrived) else "in_transit" if pd.notna(departed) else "planned"
            for departed, arrived in zip(frame["departed_at"], frame["arrived_at"], strict=True)
        ]
        frame["status"] = frame["status"].where(
            frame["status"].notna(), pd.Series(implied, index=frame.index)
        )
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        resolve_places(conn, stage, report, ref_column="from_place", id_column="from_place_id")
        resolve_places(conn, stage, report, ref_column="to_place", id_column="to_place_id")
        for condition, field, value, reason in _CHECKS:
            for row, found in take(conn, stage, condition, value):
                report.reject(row, field, found, reason)
        # A leg is its chain and its two places, whatever the file called them.
        conn.execute(
            text(
                f"UPDATE {s} SET source_id = "
                "'transfers:' || chain_id || ':' || from_place_id || ':' || to_place_id"
            )
        )
        reject_repeats(
            conn, stage, report, field="chain_id", what="leg (same chain, from place and to place)"
        )
        conn.execute(
            text(f"""
            WITH legs AS (
                SELECT source_id, chain_id, coalesce(departed_at, planned_at) AS t FROM {s}
                UNION ALL
                SELECT t.source_id, t.chain_id, coalesce(t.departed_at, t.planned_at) FROM transfers t
                WHERE t.chain_id IN (SELECT chain_id FROM {s})
                  AND NOT EXISTS (SELECT 1 FROM {s} x WHERE x.source_id = t.source_id)
            ), numbered AS (
                SELECT source_id, row_number() OVER (PARTITION BY chain_id ORDER BY t, source_id) AS n
                FROM legs
            )
            UPDATE {s} x SET leg_no = n.n FROM numbered n WHERE n.source_id = x.source_id
        """)
        )

    def after_load(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        """Renumber the stored legs of the chains loaded (a new leg may come first), then flag gaps."""
        chains = [c for (c,) in conn.execute(text(f"SELECT DISTINCT chain_id FROM {quote(stage)}"))]
        conn.execute(
            text("""
            UPDATE transfers t SET leg_no = n.n FROM (
                SELECT id, row_number() OVER (
                    PARTITION BY chain_id ORDER BY coalesce(departed_at, planned_at), source_id) AS n
                FROM transfers WHERE chain_id = ANY(CAST(:chains AS text[]))
            ) n WHERE n.id = t.id AND t.leg_no <> n.n
        """),
            {"chains": chains},
        )
        gaps = chain_gaps(conn, chains=chains)
        if gaps:
            shown = "; ".join(g.reason for g in gaps[:5])
            report.warnings.append(
                f"{len(gaps)} chains have a gap (a leg does not leave from where the previous one arrived); "
                f"they are flagged on the flow map: {shown}{' …' if len(gaps) > 5 else ''}"
            )
        report.notes["chains"] = len(chains)


JOB = TransferJob(
    kind="transfers",
    table="transfers",
    fields=(
        Field("chain_id", ("chain_id", "chain", "loop_id", "闭环编号", "链条编号"), required=True),
        Field("from_place", ("from_place", "from", "origin", "起点"), required=True, target=False),
        Field("to_place", ("to_place", "to", "destination", "终点"), required=True, target=False),
        Field("planned_at", ("planned_at", "planned", "计划时间"), as_datetime, "timestamptz"),
        Field(
            "departed_at", ("departed_at", "departed", "departure", "出发时间"), as_datetime, "timestamptz"
        ),
        Field(
            "arrived_at",
            ("arrived_at", "arrived", "arrival", "到达时间", "交接时间"),
            as_datetime,
            "timestamptz",
        ),
        Field(
            "head_count",
            ("head_count", "headcount", "people", "count", "人数"),
            as_non_negative_int,
            "integer",
            required=True,
        ),
        Field("vehicle", ("vehicle", "vehicle_id", "车辆", "车牌")),
        Field("status", ("status", "leg_status", "状态"), as_code(LEG_STATUS_CODES, STATUS_ALIASES)),
    ),
    identity=("chain_id", "from_place", "to_place"),
    keep_repeats=True,
    id_candidates=(),
    extra_stage_columns=(
        StageColumn("from_place_id", "integer"),
        StageColumn("to_place_id", "integer"),
        StageColumn("leg_no", "smallint"),
    ),
    derivable=("status",),
)
