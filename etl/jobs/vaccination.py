"""Daily vaccination counts (疫苗接种日报): per unit and day, how many were organised, booked and
vaccinated that day (当日新增), for a campaign. Aggregated counts only, never persons.

A row is ``unit, date, organised, booked, vaccinated`` and optionally ``campaign`` (its name) or
``dose`` (first, second, booster: the campaign of that dose running on the date). Without either, the
one campaign running on the date. The unit is a sub-district or committee code, or its name.

What is rejected (row, field and reason in the rejects CSV; the other rows load):

- a unit no code or name matches (with the nearest names), or a name two units share;
- a unit without a target in the campaign, or a sub-district whose committees have targets (its
  figures are their sum: the committees report);
- a negative or fractional count, a missing date or count;
- a date before the campaign's start or after its deadline, or after today (China time);
- two rows for the same campaign, unit and date with different counts (both rows: which is meant?
  a correction belongs in a later file). Rows repeating each other exactly load once (a warning).

What loads with a warning (reported per row): a contradiction of the funnel to date, cumulative
vaccinated > booked or booked > organised (the day's counts are increments, and a late file may
still bring the missing bookings), and vaccinated beyond the target.

A later file for the same campaign, unit and date is the correction: written by
``geo.campaign.store.record_reports`` (appended, the earlier row kept, audited).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.columns import as_code, as_date, as_non_negative_int
from etl.jobs.base import Field, Job, LoadOptions
from etl.jobs.place_refs import take
from etl.report import LoadReport
from etl.staging import Derived, StageColumn, quote
from geo.campaign.store import record_reports
from geo.campaign.units import resolve_units
from geo.clock import china_today
from geo.vocab import DOSE_CODES, DOSES

DOSE_ALIASES = {t.zh: t.code for t in DOSES} | {
    "1": "first",
    "2": "second",
    "3": "booster",
    "第1针": "first",
    "第2针": "second",
    "第3针": "booster",
}
_SHOWN = 5


class VaccinationJob(Job):
    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        self._resolve_campaigns(conn, stage, report)
        self._resolve_units(conn, stage, report)
        rolled = (
            f"EXISTS (SELECT 1 FROM campaign_targets t JOIN admin_units c ON c.id = t.unit_id "
            f"WHERE t.campaign_id = {s}.campaign_id AND c.parent_id = {s}.unit_id)"
        )
        for row, value in take(conn, stage, rolled, "unit"):
            report.reject(
                row,
                "unit",
                value,
                "this sub-district's figures are its committees' sum: report per committee",
            )
        for row, value in take(
            conn,
            stage,
            f"NOT EXISTS (SELECT 1 FROM campaign_targets t WHERE t.campaign_id = {s}.campaign_id "
            f"AND t.unit_id = {s}.unit_id)",
            "unit",
        ):
            report.reject(
                row, "unit", value, "this unit has no target in the campaign (battlemap campaign add)"
            )
        outside = (
            f"EXISTS (SELECT 1 FROM campaigns c WHERE c.id = {s}.campaign_id "
            f"AND NOT ({s}.day BETWEEN c.start_date AND c.deadline))"
        )
        period = (
            f"(SELECT c.start_date || ' to ' || c.deadline FROM campaigns c WHERE c.id = {s}.campaign_id)"
        )
        for row, value in take(conn, stage, outside, f"day || ' (campaign ' || {period} || ')'"):
            report.reject(row, "date", value, "the date lies outside the campaign")
        today = china_today()
        for row, value in take(conn, stage, f"{s}.day > DATE '{today.isoformat()}'", "day"):
            report.reject(row, "date", value, f"the date is after today ({today} in China)")
        self._repeats(conn, s, report)

    def _resolve_campaigns(self, conn: Connection, stage: str, report: LoadReport) -> None:
        s = quote(stage)
        conn.execute(text(f"UPDATE {s} x SET campaign_id = c.id FROM campaigns c WHERE c.name = x.campaign"))
        names = ", ".join(conn.execute(text("SELECT name FROM campaigns ORDER BY name")).scalars()) or "none"
        for row, value in take(conn, stage, "campaign IS NOT NULL AND campaign_id IS NULL", "campaign"):
            report.reject(row, "campaign", value, f"no such campaign; the campaigns are: {names}")
        # No campaign named: the campaign of the dose (or any) running on the date, when just one is;
        conn.execute(
            text(f"""
            UPDATE {s} x SET campaign_id = (
                SELECT min(c.id) FROM campaigns c
                WHERE x.day BETWEEN c.start_date AND c.deadline AND (x.dose IS NULL OR c.dose = x.dose)
                HAVING count(*) = 1)
            WHERE x.campaign_id IS NULL""")
        )
        # Else the one campaign there is (of the dose): its period check then names the date.
        conn.execute(
            text(f"""
            UPDATE {s} x SET campaign_id = (
                SELECT min(c.id) FROM campaigns c WHERE x.dose IS NULL OR c.dose = x.dose HAVING count(*) = 1)
            WHERE x.campaign_id IS NULL""")
        )
        for row, value in take(conn, stage, "campaign_id IS NULL", "concat_ws(' ', dose, day)"):
            report.reject(
                row,
                "campaign",
                value,
                f"no campaign, or more than one, runs on this date (for this dose): name it in a campaign "
                f"column (campaigns: {names})",
            )

    def _resolve_units(self, conn: Connection, stage: str, report: LoadReport) -> None:
        s = quote(stage)
        refs = [r for (r,) in conn.execute(text(f"SELECT DISTINCT unit FROM {s}"))]
        found = resolve_units(conn, refs)
        pairs = [(ref, r.unit.id) for ref, r in found.items() if r.unit is not None]
        if pairs:
            conn.execute(
                text(f"""
                UPDATE {s} x SET unit_id = m.id
                FROM unnest(CAST(:refs AS text[]), CAST(:ids AS integer[])) AS m (ref, id)
                WHERE x.unit = m.ref"""),
                {"refs": [p[0] for p in pairs], "ids": [p[1] for p in pairs]},
            )
        for row, value in take(conn, stage, "unit_id IS NULL", "unit"):
            report.reject(row, "unit", value, found[str(value)].message(str(value)))

    def _repeats(self, conn: Connection, s: str, report: LoadReport) -> None:
        result = conn.execute(
            text(f"""
            WITH keyed AS (
                SELECT row_no, min(row_no) OVER w AS first_row, max(row_no) OVER w AS last_row,
                       (min(organised) OVER w <> max(organised) OVER w
                        OR min(booked) OVER w <> max(booked) OVER w
                        OR min(vaccinated) OVER w <> max(vaccinated) OVER w) AS conflict
                FROM {s}
                WINDOW w AS (PARTITION BY campaign_id, unit_id, day)
            )
            DELETE FROM {s} x USING keyed k
            WHERE x.row_no = k.row_no AND k.first_row <> k.last_row
              AND (k.conflict OR x.row_no <> k.first_row)
            RETURNING x.row_no, x.unit, x.day, k.conflict,
                      CASE WHEN x.row_no = k.first_row THEN k.last_row ELSE k.first_row END AS other""")
        ).all()
        repeats = 0
        for row, unit, day, conflict, other in sorted(result):
            if conflict:
                report.reject(
                    int(row),
                    "date",
                    f"{unit} {day}",
                    f"row {other} gives other counts for the same unit and date: which is meant? "
                    "(a correction belongs in a later file)",
                )
            else:
                repeats += 1
        if repeats:
            report.duplicates += repeats
            report.warnings.append(
                f"{repeats} rows repeat another row exactly (unit, date, counts): loaded once"
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
        """The append-only write rule; a correction counts as updated (the earlier row is kept)."""
        change = record_reports(conn, quote(stage), source=source)
        self._warn_contradictions(conn, quote(stage), report)
        if change.corrected:
            report.notes["corrected (earlier counts kept in campaign_reports)"] = change.corrected
        return change.inserted, change.corrected

    def _warn_contradictions(self, conn: Connection, s: str, report: LoadReport) -> None:
        """Rows whose day's funnel to date (stored days and this file, as now current) contradicts itself."""
        rows = conn.execute(
            text(f"""
            SELECT x.row_no, c.cum_organised AS o, c.cum_booked AS b, c.cum_vaccinated AS v, t.target
            FROM {s} x
            JOIN campaign_current c
              ON c.campaign_id = x.campaign_id AND c.unit_id = x.unit_id AND c.day = x.day
            JOIN campaign_targets t ON t.campaign_id = x.campaign_id AND t.unit_id = x.unit_id
            WHERE c.cum_vaccinated > c.cum_booked OR c.cum_booked > c.cum_organised
               OR c.cum_vaccinated > t.target
            ORDER BY x.row_no""")
        ).all()
        if not rows:
            return
        shown = "; ".join(
            f"row {r.row_no}: " + ("vaccinated beyond the target" if r.v > r.target else "")
            + (f"to date vaccinated {r.v} > booked {r.b}" if r.v > r.b else "")
            + (f"to date booked {r.b} > organised {r.o}" if r.b > r.o and r.v <= r.b else "")
            for r in rows[:_SHOWN]
        )  # fmt: skip
        more = f" … and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
        report.warnings.append(
            f"{len(rows)} rows leave the funnel organised >= booked >= vaccinated (to date) contradicted or "
            f"pass the target; loaded, check the file: {shown}{more}"
        )


JOB = VaccinationJob(
    kind="vaccination",
    table="campaign_reports",
    fields=(
        Field(
            "unit",
            ("unit", "unit_code", "code", "subdistrict", "committee", "街镇", "居村", "单位"),
            required=True,
            target=False,
        ),
        Field("day", ("date", "day", "日期"), as_date, "date", required=True),
        Field(
            "organised",
            ("organised", "organized", "组织到人", "组织"),
            as_non_negative_int,
            "integer",
            required=True,
        ),
        Field("booked", ("booked", "预约到人", "预约"), as_non_negative_int, "integer", required=True),
        Field(
            "vaccinated",
            ("vaccinated", "接种到人", "接种", "已接种"),
            as_non_negative_int,
            "integer",
            required=True,
        ),
        Field("campaign", ("campaign", "campaign_name", "任务", "活动"), target=False),
        Field("dose", ("dose", "剂次", "针次"), as_code(DOSE_CODES, DOSE_ALIASES), target=False),
    ),
    identity=("unit", "day", "organised", "booked", "vaccinated", "campaign", "dose"),
    keep_repeats=True,
    id_candidates=(),
    extra_stage_columns=(StageColumn("campaign_id", "integer"), StageColumn("unit_id", "integer")),
)
