"""Risk areas (风险区域) from the published history: level, district, area name, first and last seen.

The published names are free text with no coordinates ("北蔡镇鹏飞路411弄6号", "陆家嘴街道崂山五村小区").
Each is matched offline, like case addresses: the town prefix (…街道/…镇) is dropped and the rest is
tried against the address gazetteer on (district, key) as a whole, then cut to its lane (…弄), its
number (…号) and without a trailing 小区; failing that, against the names of loaded compounds. A
matched point takes the polygon of the compound containing it, else of the building within
``BUILDING_SNAP_M``. Unmatched areas are loaded without a geometry and listed, never dropped; the
report gives the match rate. ``lifted_at`` is the last time the area was seen on the list.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pandas as pd
from sqlalchemy import Connection, text

from etl.columns import as_code, as_non_negative_int, as_text
from etl.jobs.addresses import (
    StagedMatch,
    apply_review,
    load_matcher,
    match_staged,
    report_matches,
    store_matches,
)
from etl.jobs.base import Field, Job, LoadOptions
from etl.report import LoadReport
from etl.staging import StageColumn, quote
from geo.address import match_key, split_district
from geo.address.match import Matcher
from geo.vocab import CHINA_TZ, RISK_LEVELS

BUILDING_SNAP_M = 30.0
UNNAMED = "（未列明地区）"
RISK_LEVEL_CODES = tuple(t.code for t in RISK_LEVELS)
LEVEL_ALIASES = {t.zh: t.code for t in RISK_LEVELS} | {"高": "high", "中": "medium", "低": "low"}

_TOWN = re.compile(r"^(?:[^\d弄号]{1,8}?街道|[^\d路弄号村]{1,8}?(?:新镇|新区|园区|镇|乡))")
_LANE = re.compile(r"^(.+?\d+弄)")
_NUMBER = re.compile(r"^(.+?\d+号)")
_VILLAGE = re.compile(r"^([^\d路弄号]{1,8}?村)")
_PAREN = re.compile(r"[（(][^）)]*[）)]")
_HOUR = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2})时$")


def as_datetime(value: object) -> dt.datetime | None:
    """A time, China time (UTC+8) when the text names no zone: ISO 8601, or '2022-04-15 11时'."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
    text_value = as_text(value)
    if text_value is None:
        return None
    hour = _HOUR.match(text_value)
    if hour:
        text_value = f"{hour.group(1)}T{int(hour.group(2)):02d}:00"
    try:
        parsed = dt.datetime.fromisoformat(text_value)
    except ValueError:
        raise ValueError("expected a time like 2022-04-15T11:00:00+08:00 or 2022-04-15 11时") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)


# How far a location found outside the address matcher is trusted (0..100, as the matcher's scores):
# the middle of a lane's numbered addresses, a loaded compound named in the area, a whole town.
PLACED_SCORES = {"lane": 85.0, "compound": 90.0, "township": 70.0}


def _best_of_keys(matcher: Matcher, staged: StagedMatch) -> StagedMatch:
    """The best match over the name's candidate keys (whole, without its town, cut to lane or number)."""
    best = staged.match
    if staged.match.level == "exact" or not staged.address:
        return staged
    whole = match_key(staged.address, district=staged.district)
    for kind, key in candidate_keys(staged.address, staged.district):
        if kind != "address":  # lanes and villages: the matcher cuts the parts itself, with their level
            continue
        found = matcher.match(key, staged.district)
        if found.level == "exact" and not whole.endswith(key):  # a cut name: the place, not the address
            found = replace(found, level="house_number", score=95.0)
        if found.address_id is not None and found.score > best.score:
            best = found
    return StagedMatch(staged.district, staged.address, staged.rows, best)


def _locate_townships(conn: Connection, stage: str, matcher: Matcher) -> None:
    """Areas still unlocated that name towns or sub-districts ("高境镇、大场镇除…以外的其他区域"):
    the middle of the towns' gazetteer addresses, level ``township``."""
    s = quote(stage)
    left = conn.execute(text(f"SELECT row_no, district, name FROM {s} WHERE match_kind IS NULL")).all()
    for row in left:
        if not row.district or not row.name:
            continue
        towns, ids = matcher.township_entries(row.district, row.name)
        if not ids:
            continue
        conn.execute(
            text(f"""
            UPDATE {s} SET match_kind = 'township', match_key = :towns, match_score = :score,
                           point = (SELECT ST_Centroid(ST_Collect(geom)) FROM addresses WHERE id = ANY(:ids))
            WHERE row_no = :row
        """),
            {
                "towns": "、".join(towns)[:300],
                "ids": ids,
                "row": row.row_no,
                "score": PLACED_SCORES["township"],
            },
        )


def candidate_keys(name: str | None, district: str | None) -> list[tuple[str, str]]:
    """(kind, key) pairs to try in order: the whole name, without its town, then cut to lane or number."""
    if not name:
        return []
    whole = match_key(name, district=district)
    rest = _TOWN.sub("", whole, count=1)
    bare = _TOWN.sub("", match_key(_PAREN.sub("", name), district=district), count=1)
    keys: list[tuple[str, str]] = [("address", whole), ("address", rest), ("address", bare)]
    for suffix in ("小区", "区域", "公寓"):
        if bare.endswith(suffix) and len(bare) > len(suffix) + 1:
            keys.append(("address", bare[: -len(suffix)]))
    for kind, pattern in (("lane", _LANE), ("address", _NUMBER), ("village", _VILLAGE)):
        found = pattern.match(bare)
        if found:
            keys.append((kind, found.group(1)))
            if kind == "village" and rest != whole:  # the gazetteer names some villages with their town
                keys.append((kind, whole[: len(whole) - len(rest)] + found.group(1)))
    seen: set[str] = set()
    return [(k, v) for k, v in keys if v and not (v in seen or seen.add(v))]  # type: ignore[func-returns-value]


class RiskAreaJob(Job):
    def derive(self, frame: pd.DataFrame, options: LoadOptions) -> pd.DataFrame:
        districts: list[str | None] = []
        names: list[str] = []
        keys: list[str | None] = []
        for name, district in zip(frame["name"], frame["district"], strict=True):
            if district is None and name:
                district, name = split_district(name)
            if not name and district:  # a district listed with no area named: kept, never matched
                districts.append(district)
                names.append(f"{district}{UNNAMED}")
                keys.append(None)
                continue
            districts.append(district)
            names.append(name)
            keys.append("|".join(f"{k}={v}" for k, v in candidate_keys(name, district)) or None)
        frame["district"] = pd.Series(districts, index=frame.index, dtype=object)
        frame["name"] = pd.Series(names, index=frame.index, dtype=object)
        frame["match_keys"] = pd.Series(keys, index=frame.index, dtype=object)
        return frame

    def resolve(self, conn: Connection, stage: str, report: LoadReport, options: LoadOptions) -> None:
        s = quote(stage)
        matcher = load_matcher(conn)
        matches = [_best_of_keys(matcher, m) for m in match_staged(conn, stage, matcher, name_column="name")]
        matches = apply_review(matches, report, options, matcher, label="risk-area address match")
        matched = store_matches(conn, stage, matches, options.min_score)
        conn.execute(
            text(f"""
            UPDATE {s} s SET address_id = m.address_id, match_key = a.match_key, match_kind = m.level,
                             match_score = m.score, point = a.geom
            FROM {matched} m JOIN addresses a ON a.id = m.address_id WHERE s.row_no = m.row_no
        """)
        )
        # A lane no gazetteer entry names by itself: the middle of the lane's numbered addresses.
        conn.execute(
            text(f"""
            UPDATE {s} s SET match_key = m.key, match_kind = 'lane', match_score = :score, point = m.geom
            FROM (
                SELECT s2.row_no, l.key, ST_Centroid(ST_Collect(a.geom)) AS geom
                FROM {s} s2
                CROSS JOIN LATERAL (
                    SELECT split_part(item, '=', 2) AS key
                    FROM unnest(string_to_array(s2.match_keys, '|')) item
                    WHERE split_part(item, '=', 1) = 'lane' LIMIT 1) l
                JOIN addresses a ON a.district = s2.district AND starts_with(a.match_key, l.key)
                WHERE s2.match_kind IS NULL
                GROUP BY s2.row_no, l.key
            ) m
            WHERE s.row_no = m.row_no
        """),
            {"score": PLACED_SCORES["lane"]},
        )
        # Names of loaded compounds (at least 3 characters) inside the area's district.
        conn.execute(
            text(f"""
            UPDATE {s} s SET compound_id = m.cid, match_kind = 'compound', match_key = m.name,
                             match_score = :score, point = ST_PointOnSurface(m.geom)
            FROM (
                SELECT DISTINCT ON (s2.row_no) s2.row_no, k.id AS cid, k.name, k.geom
                FROM {s} s2 JOIN compounds k ON char_length(k.name) >= 3 AND strpos(s2.name, k.name) > 0
                JOIN admin_units d ON d.level = 'district' AND d.name = s2.district
                 AND ST_Intersects(d.geom, ST_PointOnSurface(k.geom))
                WHERE s2.match_kind IS NULL
                ORDER BY s2.row_no, char_length(k.name) DESC, k.id
            ) m
            WHERE s.row_no = m.row_no
        """),
            {"score": PLACED_SCORES["compound"]},
        )
        _locate_townships(conn, stage, matcher)
        conn.execute(
            text(f"""
            UPDATE {s} s SET compound_id = (
                SELECT k.id FROM compounds k WHERE ST_Intersects(k.geom, s.point)
                ORDER BY ST_Area(k.geom), k.id LIMIT 1)
            WHERE s.point IS NOT NULL AND s.compound_id IS NULL
        """)
        )
        conn.execute(
            text(f"""
            UPDATE {s} s SET building_id = (
                SELECT b.id FROM buildings b
                WHERE b.geom && ST_Expand(s.point, 0.001)
                  AND ST_DWithin(b.geom::geography, s.point::geography, :snap)
                ORDER BY ST_Distance(b.geom::geography, s.point::geography), b.id LIMIT 1)
            WHERE s.point IS NOT NULL AND s.compound_id IS NULL
        """),
            {"snap": BUILDING_SNAP_M},
        )
        conn.execute(
            text(f"""
            UPDATE {s} s SET geom = COALESCE(
                (SELECT k.geom FROM compounds k WHERE k.id = s.compound_id),
                (SELECT b.geom FROM buildings b WHERE b.id = s.building_id))
            WHERE s.compound_id IS NOT NULL OR s.building_id IS NOT NULL
        """)
        )
        total, matched, on_map = conn.execute(
            text(f"SELECT count(*), count(match_kind), count(geom) FROM {s}")
        ).one()
        kinds = conn.execute(
            text(
                f"SELECT match_kind, count(*) FROM {s} WHERE match_kind IS NOT NULL "
                "GROUP BY 1 ORDER BY 2 DESC"
            )
        ).all()
        unmatched = conn.execute(
            text(f"SELECT district, name FROM {s} WHERE match_kind IS NULL ORDER BY row_no")
        ).all()
        if total:
            by_kind = ", ".join(f"{kind} {n:,}" for kind, n in kinds)
            report.notes["risk-area match rate"] = (
                f"{matched / total:.1%} ({matched:,} of {total:,}: {by_kind or 'none'}); "
                f"{on_map:,} on a loaded compound or building"
            )
        left = {row for (row,) in conn.execute(text(f"SELECT row_no FROM {s} WHERE match_kind IS NULL"))}
        report_matches(
            [m for m in matches if m.rows[0] in left or m.match.accepted(options.min_score)],
            report,
            options,
            matcher,
            label="risk-area address match",
        )
        if unmatched:
            shown = "; ".join(f"{d or '?'} {n}" for d, n in unmatched[:10])
            report.notes["unmatched"] = (
                f"{len(unmatched):,} names kept without a location (match_kind NULL): "
                f"{shown}{' …' if len(unmatched) > 10 else ''}"
            )


JOB = RiskAreaJob(
    kind="risk-areas",
    table="risk_areas",
    fields=(
        Field(
            "level",
            ("level", "risk_level", "风险等级", "等级"),
            as_code(RISK_LEVEL_CODES, LEVEL_ALIASES),
            required=True,
        ),
        Field("district", ("district", "county", "区")),
        Field(
            "name", ("community", "name", "area", "area_name", "地区", "小区"), required=True, option="name"
        ),
        Field(
            "declared_at",
            ("first_seen", "first_seen_end_update_time", "declared_at", "start", "开始时间"),
            as_datetime,
            "timestamptz",
            required=True,
        ),
        Field(
            "lifted_at",
            ("last_seen", "last_seen_end_update_time", "lifted_at", "end", "结束时间"),
            as_datetime,
            "timestamptz",
        ),
        Field("n_snapshots", ("n_snapshots", "snapshots"), as_non_negative_int, "integer"),
        Field("match_key", ()),
        Field("match_keys", (), target=False),
    ),
    geometry=None,
    identity=("level", "district", "name", "declared_at"),
    extra_stage_columns=(
        StageColumn("match_kind", "text"),
        StageColumn("match_score", "real"),
        StageColumn("address_id", "integer"),
        StageColumn("compound_id", "integer"),
        StageColumn("building_id", "bigint"),
        StageColumn("point", "geometry(Point, 4326)"),
        StageColumn("geom", "geometry(MultiPolygon, 4326)"),
    ),
)
