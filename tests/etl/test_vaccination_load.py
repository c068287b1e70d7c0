"""``battlemap load vaccination``: bad rows rejected with file, row and field (unknown units with the
nearest names, negative counts, dates outside the campaign, conflicting repeats, a rolled-up
sub-district), contradictions loaded with a warning, nothing half-written, reloads change nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, text

from etl import pipeline
from etl.campaign_targets import read_targets
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.errors import InputError
from tests.campaign_world import NAME, START, campaign_world

__all__ = ["campaign_world"]


@pytest.fixture
def tconn(campaign_world: tuple[str, list[Path]]) -> Iterator[Connection]:
    engine = create_engine(campaign_world[0])
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()
    engine.dispose()


def _load(conn: Connection, rows: list[tuple], tmp_path: Path, **extra: object):
    frame = pd.DataFrame(rows, columns=["unit", "date", "organised", "booked", "vaccinated"])
    for key, value in extra.items():
        frame[key] = value
    return pipeline.load(
        conn, "vaccination", FrameSource(frame, name="bad.csv"),
        options=LoadOptions(progress=False, rejects_path=tmp_path / "bad.rejects.csv"),
    )  # fmt: skip


def _reports(conn: Connection) -> int:
    return int(conn.execute(text("SELECT count(*) FROM campaign_reports")).scalar_one())


def test_bad_rows_are_rejected_with_row_field_and_reason(tconn: Connection, tmp_path: Path) -> None:
    day = str(START + dt.timedelta(days=12))
    rows = [
        ("CM-A1", day, 10, 5, 5),  # 1 good
        ("一居", day, 10, 5, 5),  # 2 unknown: nearest 一居委
        ("CM-A2", day, -3, 5, 5),  # 3 negative
        ("CM-A2", "2022-06-01", 10, 5, 5),  # 4 after the deadline
        ("SD-A", day, 10, 5, 5),  # 5 a rolled-up sub-district
        ("SD-B", day, 10, 5, 5),  # 6 and 7 conflict
        ("SD-B", day, 11, 5, 5),
        ("CM-A2", day, 10, 5, 5),  # 8 and 9 repeat exactly: loaded once
        ("CM-A2", day, 10, 5, 5),
    ]
    before = _reports(tconn)
    report = _load(tconn, rows, tmp_path)
    reasons = {r.row: (r.field, r.reason) for r in report.rejects}
    assert set(reasons) == {2, 3, 4, 5, 6, 7}
    assert reasons[2][0] == "unit" and "nearest" in reasons[2][1] and "一居委 (CM-A1)" in reasons[2][1]
    assert reasons[3] == ("organised", "expected a whole number >= 0")
    assert reasons[4][0] == "date" and "outside the campaign" in reasons[4][1]
    assert "committees" in reasons[5][1]
    assert "row 7" in reasons[6][1] and "row 6" in reasons[7][1]
    assert report.duplicates == 1 and any("loaded once" in w for w in report.warnings)
    assert _reports(tconn) == before + 2
    written = pd.read_csv(tmp_path / "bad.rejects.csv")
    assert {"row", "field", "value", "reason"} <= set(written.columns)


def test_funnel_contradiction_loads_with_a_warning(tconn: Connection, tmp_path: Path) -> None:
    day = str(START + dt.timedelta(days=12))
    report = _load(tconn, [("CM-A1", day, 0, 0, 900)], tmp_path)
    assert report.rejected == 0 and report.inserted == 1
    assert any("vaccinated" in w and "row 1" in w for w in report.warnings), report.warnings


def test_a_file_of_bad_rows_writes_nothing(tconn: Connection, tmp_path: Path) -> None:
    before = _reports(tconn)
    with pytest.raises(InputError, match=r"bad.csv.*row 1.*unit"):
        _load(tconn, [("nowhere", str(START), 1, 1, 1)], tmp_path)
    assert _reports(tconn) == before


def test_reloading_a_file_changes_nothing(tconn: Connection, campaign_world: tuple[str, list[Path]]) -> None:
    before = _reports(tconn)
    report = pipeline.load(tconn, "vaccination", campaign_world[1][0], options=LoadOptions(progress=False))
    # The first file again: the corrected day differs from it now, so only that day is "corrected"
    # back; every other row is unchanged.
    assert report.inserted == 0 and report.updated == 1
    assert _reports(tconn) == before + 1
    again = pipeline.load(tconn, "vaccination", campaign_world[1][0], options=LoadOptions(progress=False))
    assert (again.inserted, again.updated) == (0, 0) and _reports(tconn) == before + 1


def test_campaign_by_dose_and_unknown_campaign(tconn: Connection, tmp_path: Path) -> None:
    day = str(START + dt.timedelta(days=13))
    report = _load(
        tconn, [("CM-A1", day, 3, 2, 1), ("CM-A2", day, 3, 2, 1)], tmp_path, dose=["加强针", "第一针"]
    )
    assert report.inserted == 1
    assert [r.field for r in report.rejects] == ["campaign"]
    with pytest.raises(InputError, match=f"no such campaign; the campaigns are: {NAME}"):
        _load(tconn, [("CM-A1", day, 3, 2, 1)], tmp_path, campaign="没有这个")


def test_targets_file_problems_are_listed(tconn: Connection) -> None:
    frame = pd.DataFrame({"unit": ["CM-A1", "一居", "CM-A1", "SD-B"], "target": [10, 5, 3, -1]})
    with pytest.raises(InputError) as caught:
        read_targets(tconn, FrameSource(frame, name="targets.csv"))
    message = str(caught.value)
    assert message.startswith("targets.csv, row 2, field 'unit': 3 problems, nothing was written")
    assert "nearest" in message and "row 3" in message and "row 4 'target'" in message
    assert NAME  # the world's campaign is untouched


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_csv_and_xlsx_load_alike_and_bump_the_data_version(
    tconn: Connection, tmp_path: Path, suffix: str
) -> None:
    day = START + dt.timedelta(days=14)
    frame = pd.DataFrame(
        {"居村": ["CM-A1", "二居委"], "日期": [day.isoformat()] * 2, "组织到人": [9, 8], "预约到人": [7, 6],
         "接种到人": [5, 4], "剂次": ["加强针", "加强针"]}
    )  # fmt: skip
    path = tmp_path / f"day{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_excel(path, index=False)

    def version() -> int:
        found = tconn.execute(text("SELECT version FROM data_versions WHERE table_name = 'campaign_reports'"))
        return int(found.scalar() or 0)

    before = version()
    report = pipeline.load(tconn, "vaccination", path, options=LoadOptions(progress=False))
    assert (report.inserted, report.rejected) == (2, 0)
    assert version() == before + 1
    again = pipeline.load(tconn, "vaccination", path, options=LoadOptions(progress=False))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2) and version() == before + 1
