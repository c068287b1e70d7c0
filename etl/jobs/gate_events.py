"""Hourly gate counts (动线管理): how many registrations, temperature checks, deliveries… a gate saw.

A row is ``gate, hour, kind, count``: the gate named by place id or name (it must be a compound
gate or a checkpoint), the start of the hour, one of ``geo.vocab.GATE_EVENT_KINDS`` (or its
Chinese name) and a whole count >= 0. A count is identified by its gate, hour and kind, so a
corrected file replaces the counts it repeats; the same gate, hour and kind twice in one file
is rejected rather than summed or guessed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from etl.columns import as_code, as_non_negative_int
from etl.jobs.base import Field, Job, LoadOptions
from etl.jobs.place_refs import reject_repeats, resolve_places
from etl.jobs.risk_areas import as_datetime
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.vocab import GATE_EVENT_KIND_CODES, GATE_EVENT_KINDS

GATE_KINDS: tuple[str, ...] = ("compound_gate", "checkpoint")
KIND_ALIASES = (
    {t.zh: t.code for t in GATE_EVENT_KINDS}
    | {t.en.lower(): t.code for t in GATE_EVENT_KINDS}
    | {
        "登记人数": "registration",
        "测温人数": "temperature_check",
        "体温异常人数": "abnormal_temperature",
        "发热": "abnormal_temperature",
        "配送": "delivery",
        "快递": "delivery",
        "返沪": "returnee_arrival",
        "returnee": "returnee_arrival",
    }
)


def as_hour(value: object) -> dt.datetime | None:
    """The start of an hour (China time when no zone is given); a time inside an hour is refused."""
    parsed = as_datetime(value)
    if parsed is None:
        return None
    if (parsed.minute, parsed.second, parsed.microsecond) != (0, 0, 0):
        raise ValueError("expected the start of an hour, e.g. 2022-04-15 11:00 (counts are per hour)")
    return parsed


class GateEventJob(Job):
    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        resolve_places(conn, stage, report, ref_column="gate", id_column="place_id", kinds=GATE_KINDS)
        conn.execute(
            text(
                f"UPDATE {quote(stage)} SET source_id = 'gate-events:' || place_id || ':' "
                "|| to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24\"Z\"') || ':' || kind"
            )
        )
        reject_repeats(conn, stage, report, field="gate", what="count (same gate, hour and kind)")


JOB = GateEventJob(
    kind="gate-events",
    table="gate_events",
    fields=(
        Field(
            "gate",
            ("gate", "gate_id", "place", "place_id", "门", "大门", "卡口"),
            required=True,
            target=False,
        ),
        Field("hour", ("hour", "time", "datetime", "时段", "时间"), as_hour, "timestamptz", required=True),
        Field(
            "kind",
            ("kind", "event", "event_kind", "type", "类型", "事项"),
            as_code(GATE_EVENT_KIND_CODES, KIND_ALIASES),
            required=True,
        ),
        Field(
            "count", ("count", "n", "number", "人数", "数量"), as_non_negative_int, "integer", required=True
        ),
    ),
    identity=("gate", "hour", "kind"),
    keep_repeats=True,
    id_candidates=(),
    extra_stage_columns=(StageColumn("place_id", "integer"),),
)
