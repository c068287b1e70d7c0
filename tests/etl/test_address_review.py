"""Case loads through the address matcher: counts by level, --min-score, and the review file."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.errors import InputError


def _load(conn: Connection, kind: str, frame: pd.DataFrame, **options: object) -> pipeline.LoadReport:
    source = FrameSource(frame, name=f"{kind}.test")
    return pipeline.load(conn, kind, source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


GAZETTEER = pd.DataFrame(
    {
        "district": ["浦东新区", "浦东新区", "闵行区"],
        "address": ["测试路1弄", "样板路20号", "莲安西路35弄"],
        "wgs84_lng": ["121.50025", "121.51", "121.40"],
        "wgs84_lat": ["31.23025", "31.24", "31.15"],
    }
)
CASES = pd.DataFrame(
    {
        "date": ["20220406"] * 9,
        "address": [
            "上海市 浦东 测试路一弄（近地铁站）",
            "样板路20号3楼",
            "莲安西路35弄12号",
            "样板路21号",
            '=HYPERLINK("http://x")',
            "北京市朝阳区建国路1号",
            "12345",
            "测" * 250,  # a 10,000-character cell is rejected by the column limit (300) before matching
            "样板路21号",
        ],
        "district": ["", "浦东新区", "闵行", "浦东新区", "浦东新区", "", "浦东新区", "浦东新区", "浦东新区"],
    }
)


def test_cases_report_levels_and_write_the_review_file(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "addresses", GAZETTEER)
    review = tmp_path / "cases.csv.unmatched.csv"
    report = _load(conn, "cases", CASES, review_path=review, rejects_path=tmp_path / "rejects.csv")
    assert report.inserted == 9 and report.rejected == 0
    assert report.notes["address match by level"] == (
        "33.3% matched (3 of 9, min score 80): exact 1, house_number 1, lane 1, unmatched 6"
    )
    assert report.notes["address match unmatched, most frequent"].startswith("浦东新区 样板路21号 ×2")
    located = conn.execute(
        text("SELECT address_level, address_score FROM cases WHERE address_id IS NOT NULL ORDER BY 2 DESC")
    ).all()
    assert [tuple(r) for r in located] == [("exact", 100.0), ("house_number", 95.0), ("lane", 90.0)]
    with review.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_address = {r["address"][:20]: r for r in rows}
    assert len(rows) == 5  # one line per distinct text: 样板路21号 twice
    # a low-confidence row: the road's nearest number, kept out, with the candidates to choose from
    near = by_address["样板路21号"]
    assert (near["level"], near["rows"], near["candidate_1"]) == ("road", "2", "样板路20号")
    assert "below the minimum" in near["reason"]
    formula = [r for r in rows if "HYPERLINK" in r["address"]]
    assert formula[0]["address"] == '\'=HYPERLINK("http://x")'  # never run as a formula
    assert "outside Shanghai" in by_address["北京市朝阳区建国路1号"]["reason"]
    assert "only numbers" in by_address["12345"]["reason"]
    assert "longer than 200" in by_address["测" * 20]["reason"]
    assert len(by_address["测" * 20]["address"]) == 200


def test_a_lower_min_score_applies_the_road_level(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "addresses", GAZETTEER)
    report = _load(conn, "cases", CASES[3:4], min_score=50.0, rejects_path=tmp_path / "rejects.csv")
    assert report.notes["address match by level"].startswith("100.0% matched (1 of 1, min score 50): road 1")


def _fill(review: Path, choices: dict[str, str]) -> Path:
    """The review file with its choice column filled in, as an operator would, by address text."""
    with review.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["choice"] = choices.get(row["address"], "")
    reviewed = review.with_name("reviewed.csv")
    with reviewed.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return reviewed


def test_a_reviewed_file_places_the_chosen_texts_on_the_next_load(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "addresses", GAZETTEER)
    review = tmp_path / "cases.csv.unmatched.csv"
    _load(conn, "cases", CASES, review_path=review, rejects_path=tmp_path / "rejects.csv")
    reviewed = _fill(review, {"样板路21号": "1", "12345": "测试路1弄", "北京市朝阳区建国路1号": "none"})
    conn.execute(text("DELETE FROM cases"))
    again = tmp_path / "again.unmatched.csv"
    report = _load(
        conn, "cases", CASES, review_path=again, reviewed_path=reviewed, rejects_path=tmp_path / "rejects.csv"
    )
    assert report.notes["address match review"] == (
        "3 choices from reviewed.csv applied: 2 placed, 1 confirmed as no such place"
    )
    # 样板路21号 (two rows) and 12345 now placed by the operator, whatever the minimum score
    assert report.notes["address match by level"] == (
        "66.7% matched (6 of 9, min score 80): reviewed 3, exact 1, house_number 1, lane 1, unmatched 3"
    )
    placed = dict(
        conn.execute(
            text("SELECT c.address, a.address FROM cases c JOIN addresses a ON a.id = c.address_id")
        ).all()
    )
    assert placed["样板路21号"] == "样板路20号" and placed["12345"] == "测试路1弄"
    with again.open(encoding="utf-8-sig", newline="") as handle:
        left = {r["address"] for r in csv.DictReader(handle)}
    # decided texts are not asked again; the undecided ones are
    assert left == {'\'=HYPERLINK("http://x")', "测" * 200}


def test_a_choice_naming_no_gazetteer_address_stops_the_load(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "addresses", GAZETTEER)
    review = tmp_path / "cases.csv.unmatched.csv"
    _load(conn, "cases", CASES, review_path=review, rejects_path=tmp_path / "rejects.csv")
    before = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    reviewed = _fill(review, {"12345": "不存在路9号", "样板路21号": "3"})
    with pytest.raises(InputError) as caught:
        _load(conn, "cases", CASES, reviewed_path=reviewed, rejects_path=tmp_path / "rejects.csv")
    message = str(caught.value)
    assert "reviewed.csv" in message and "field 'choice'" in message and "row " in message
    assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == before


def test_a_review_file_without_a_choice_column_is_refused(conn: Connection, tmp_path: Path) -> None:
    _load(conn, "addresses", GAZETTEER)
    bad = tmp_path / "old.csv"
    bad.write_text("row,district,address\n1,浦东新区,样板路21号\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"old.csv, field 'choice': the reviewed file has no choice column"):
        _load(conn, "cases", CASES[3:4], reviewed_path=bad, rejects_path=tmp_path / "rejects.csv")
