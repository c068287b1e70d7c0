"""Cases: reported case locations (addresses only, never persons).

Rows with coordinates are placed as given; rows with only an address are matched offline
to the address gazetteer (geo.address.match: exact on parts, then fuzzy within the district);
a match below ``--min-score`` is not applied and listed in the review file. Unmatched rows are loaded
without a point and counted, never dropped. Each located case is tied to the building
that contains it, or the nearest within ``BUILDING_SNAP_M`` metres.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code, as_date
from etl.jobs.addresses import apply_review, load_matcher, match_staged, report_matches, store_matches
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.address import canonical_district, match_key, split_district
from geo.vocab import CASE_KIND_CODES, CASE_KINDS

BUILDING_SNAP_M = 30.0
# Degrees that span more than BUILDING_SNAP_M everywhere in China (30 m is 0.00046° of longitude
# at 53.6°N, its northern tip): the search box around a case.
_SNAP_BOX_DEGREES = 0.001
CASE_ALIASES = {t.zh: t.code for t in CASE_KINDS} | {
    "确诊": "confirmed",
    "无症状": "asymptomatic",
    "阳性": "confirmed",
}


class CaseJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        if options.date is not None:
            frame["reported_on"] = frame["reported_on"].where(frame["reported_on"].notna(), options.date)
        frame["kind"] = frame["kind"].where(frame["kind"].notna(), "reported_address")
        # A case list names an address once per case: each distinct (address, district) is keyed once.
        keyed: dict[tuple[object, object], tuple[object, object]] = {}
        districts, keys = [], []
        for pair in zip(frame["address"], frame["district"], strict=True):
            if pair not in keyed:
                keyed[pair] = _district_and_key(*pair)
            district, key = keyed[pair]
            districts.append(district)
            keys.append(key)
        frame["district"] = pd.Series(districts, index=frame.index, dtype=object)
        frame["match_key"] = pd.Series(keys, index=frame.index, dtype=object)
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        matcher = load_matcher(conn)
        matches = apply_review(
            match_staged(conn, stage, matcher), report, options, matcher, label="address match"
        )
        matched = store_matches(conn, stage, matches, options.min_score)
        conn.execute(
            text(f"""
            UPDATE {s} c SET address_id = m.address_id, address_level = m.level, address_score = m.score,
                             geom = COALESCE(c.geom, a.geom)
            FROM {matched} m JOIN addresses a ON a.id = m.address_id WHERE c.row_no = m.row_no
        """)
        )
        # The box lets the GiST index find the candidates; the geography distance decides.
        conn.execute(
            text(f"""
            UPDATE {s} c SET building_id = (
                SELECT b.id FROM buildings b
                WHERE b.geom && ST_Expand(c.geom, :box)
                  AND ST_DWithin(b.geom::geography, c.geom::geography, :snap)
                ORDER BY b.geom <-> c.geom, b.id LIMIT 1)
            WHERE c.geom IS NOT NULL
              AND EXISTS (SELECT 1 FROM buildings b WHERE b.geom && ST_Expand(c.geom, :box))
        """),
            {"snap": BUILDING_SNAP_M, "box": _SNAP_BOX_DEGREES},
        )
        located, total = conn.execute(text(f"SELECT count(geom), count(*) FROM {s}")).one()
        matched_rows, addressed = report_matches(
            [m for m in matches if m.address is not None], report, options, matcher, label="address match"
        )
        if addressed:
            report.notes["address match rate"] = (
                f"{matched_rows / addressed:.1%} ({matched_rows:,} of {addressed:,})"
            )
        report.notes["located"] = f"{located:,} of {total:,} (the rest are kept without a point)"

    def geometry_sql(self) -> str | None:
        return "geom"


def _district_and_key(address: str | None, district: str | None) -> tuple[str | None, str | None]:
    """The district (from the address when the row has none) and the address's match key."""
    district = canonical_district(district)
    if district is None and address:
        district, _ = split_district(address)
    return district, match_key(address, district=district) or None


JOB = CaseJob(
    kind="cases",
    table="cases",
    fields=(
        Field(
            "reported_on",
            ("reported_on", "date", "report_date", "日期", "通报日期"),
            as_date,
            "date",
            required=True,
        ),
        Field("kind", ("kind", "case_kind", "type", "类型"), as_code(CASE_KIND_CODES, CASE_ALIASES)),
        Field("address", ("address", "address_with_district", "地址", "居住地")),
        Field("district", ("district", "区")),
        Field("match_key", (), target=False),
    ),
    geometry=("Point",),
    geometry_required=False,
    identity=("reported_on", "kind", "district", "address"),
    keep_repeats=True,
    extra_stage_columns=(
        StageColumn("address_id", "integer"),
        StageColumn("address_level", "text"),
        StageColumn("address_score", "real"),
        StageColumn("building_id", "bigint"),
    ),
    derivable=("reported_on",),
)
