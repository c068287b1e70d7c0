"""The campaign board (geo.campaign.board) against an independent pandas computation from the loaded
files: sums to date, remaining, days left, daily needed, the 7-day average over reported days only
(missing is never zero), behind, the roll-up of committees, and corrections that replace (audited)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, create_engine, text

from geo.campaign.board import board, flagged, missing_units, ranking, totals
from geo.campaign.series import cumulative, funnel
from geo.campaign.store import get_campaign, rebuild_current, report_versions
from geo.campaign.summary import campaign_summary
from geo.errors import NotFound
from geo.scope import Scope
from tests.campaign_world import DAY, DEADLINE, NAME, START, TARGETS, UNITS, campaign_world

__all__ = ["campaign_world"]
CODES = {name: code for code, name in UNITS.items()}


@pytest.fixture(scope="module")
def wconn(campaign_world: tuple[str, list[Path]]) -> Iterator[Connection]:
    engine = create_engine(campaign_world[0])
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def expected_board(paths: list[Path], day: dt.date) -> pd.DataFrame:
    """The board recomputed from the files alone: a later file's unit+date replaces an earlier one."""
    frames = []
    for order, path in enumerate(paths):
        frame = pd.read_csv(path, parse_dates=["date"])
        frame["order"] = order
        frames.append(frame)
    every = pd.concat(frames)
    every["unit"] = every["unit"].map(lambda u: CODES.get(u, u))
    every["date"] = every["date"].dt.date
    current = every.sort_values("order").drop_duplicates(["unit", "date"], keep="last")
    current = current[current["date"] <= day]
    window = current[current["date"] > day - dt.timedelta(days=7)]
    out = pd.DataFrame({"target": pd.Series(TARGETS)})
    out[["organised", "booked", "vaccinated"]] = current.groupby("unit")[
        ["organised", "booked", "vaccinated"]
    ].sum()
    out["avg_7d"] = window.groupby("unit")["vaccinated"].mean()  # mean over the reported days only
    out["missing"] = ~out.index.isin(current.loc[current["date"] == day, "unit"])
    out["remaining"] = (out["target"] - out["vaccinated"]).clip(lower=0)
    out["days_left"] = (DEADLINE - day).days
    out["daily_needed"] = out["remaining"] / out["days_left"]
    out["behind"] = out["avg_7d"] < out["daily_needed"]
    return out


def test_committee_rows_match_pandas(wconn: Connection, campaign_world: tuple[str, list[Path]]) -> None:
    expected = expected_board(campaign_world[1], DAY)
    rows = {r.code: r for r in board(wconn, NAME, day=DAY, unit="SD-A")}
    rows |= {r.code: r for r in board(wconn, NAME, day=DAY, unit="SD-B")}
    for code in TARGETS:
        row, want = rows[code], expected.loc[code]
        assert (row.target, row.organised, row.booked, row.vaccinated, row.remaining, row.days_left) == (
            want.target,
            want.organised,
            want.booked,
            want.vaccinated,
            want.remaining,
            want.days_left,
        ), code
        assert row.daily_needed == pytest.approx(want.daily_needed)
        assert row.avg_7d == pytest.approx(want.avg_7d)
        assert row.behind == bool(want.behind)
        assert row.missing == bool(want.missing)


def test_missing_days_are_not_zero(wconn: Connection) -> None:
    """CM-A2 reported days 1-4 and the late day 6 only: its average in the window of day 10
    (days 4-10) rests on days 4 and 6, (20 + 22) / 2, not (20 + 22) / 7."""
    a2 = next(r for r in board(wconn, NAME, day=DAY, unit="CM-A2"))
    assert a2.reported_7d == 2
    assert a2.avg_7d == pytest.approx(21.0)
    assert a2.missing
    assert [r.code for r in missing_units(wconn, NAME, day=DAY)] == ["CM-A2"]
    # A week with no report at all: unknown, not 0, and so neither behind nor on track.
    later = next(r for r in board(wconn, NAME, day=dt.date(2022, 4, 14), unit="CM-A2"))
    assert later.avg_7d is None and later.behind is None and later.reported_7d == 0


def test_rollup_of_committees(wconn: Connection) -> None:
    rows = board(wconn, NAME, day=DAY)
    assert [r.code for r in rows] == ["SD-A", "SD-B"]
    a, *committees = board(wconn, NAME, day=DAY, unit="甲街道")
    assert [c.code for c in committees] == ["CM-A1", "CM-A2"]
    assert a.code == "SD-A" and a.units == 2 and a.target == 3_000
    assert a.vaccinated == sum(c.vaccinated for c in committees)
    assert a.avg_7d == pytest.approx(sum(c.avg_7d for c in committees if c.avg_7d is not None))
    assert a.missing and a.missing_units == 1


def test_flagged_are_the_behind_units(wconn: Connection, campaign_world: tuple[str, list[Path]]) -> None:
    expected = expected_board(campaign_world[1], DAY)
    behind = set(expected.index[expected["behind"]])
    assert behind, "the fixture has a unit behind"
    got = {r.code for r in flagged(wconn, NAME, day=DAY, levels=("committee", "subdistrict"))}
    rows = {r.code: r for r in board(wconn, NAME, day=DAY)}
    assert got == behind | {c for c, r in rows.items() if r.behind}
    assert next(r.row.code for r in ranking(board(wconn, NAME, day=DAY))) in {"SD-A", "SD-B"}


def test_correction_replaces_and_keeps_the_old_row(wconn: Connection) -> None:
    campaign = get_campaign(wconn, NAME)
    unit = wconn.execute(text("SELECT id FROM admin_units WHERE code = 'SD-B'")).scalar_one()
    versions = report_versions(wconn, campaign, unit, START + dt.timedelta(days=7))
    assert [v.vaccinated for v in versions] == [114, 130]
    assert versions[0].source == "vaccination-0.csv" and versions[1].source == "vaccination-2.csv"
    audited = wconn.execute(
        text(
            "SELECT detail FROM audit_log "
            "WHERE action = 'campaign_change' AND target = 'load:vaccination-2.csv'"
        )
    ).scalar_one()
    assert audited == {"inserted": 0, "corrected": 1}


def test_series_ends_at_the_board(wconn: Connection) -> None:
    points = cumulative(wconn, NAME, day=DAY, unit="SD-A")
    assert points[0].day == START and points[-1].day == DAY
    assert points[-1].vaccinated == board(wconn, NAME, day=DAY, unit="SD-A")[0].vaccinated
    span = (DEADLINE - START).days + 1
    assert points[-1].planned == pytest.approx(3_000 * 10 / span)
    district = cumulative(wconn, NAME, day=DAY)
    assert district[-1].vaccinated == sum(r.vaccinated for r in board(wconn, NAME, day=DAY))
    row = board(wconn, NAME, day=DAY, unit="SD-B")[0]
    assert [s.count for s in funnel(row)] == [row.organised, row.booked, row.vaccinated]


def test_scope_keeps_to_the_operator_units(wconn: Connection) -> None:
    ids = {
        code: wconn.execute(text("SELECT id FROM admin_units WHERE code = :c"), {"c": code}).scalar_one()
        for code in ("SD-A", "CM-A1", "CM-A2")
    }
    scope = Scope(unit_ids=frozenset(ids.values()), restricted=True)
    assert [r.code for r in board(wconn, NAME, day=DAY, scope=scope)] == ["SD-A"]


def test_unknown_unit_names_the_nearest(wconn: Connection) -> None:
    with pytest.raises(NotFound, match="甲街道"):
        board(wconn, NAME, day=DAY, unit="甲街")


def test_derived_current_equals_the_log(wconn: Connection) -> None:
    """campaign_current (running totals) is what the append-only log gives, rebuilt from scratch."""
    derived = wconn.execute(text("SELECT * FROM campaign_current ORDER BY unit_id, day")).all()
    transaction = wconn.begin_nested() if wconn.in_transaction() else wconn.begin()
    try:
        rebuild_current(wconn, get_campaign(wconn, NAME).id)
        assert wconn.execute(text("SELECT * FROM campaign_current ORDER BY unit_id, day")).all() == derived
    finally:
        transaction.rollback()


def test_summary_for_the_brief_is_the_board(wconn: Connection) -> None:
    summary = campaign_summary(wconn, day=DAY)
    assert summary is not None and summary.campaign.name == NAME
    rows = board(wconn, NAME, day=DAY)
    assert summary.rows == rows
    assert summary.total == totals(rows, summary.campaign, DAY)
    assert summary.flagged == flagged(wconn, NAME, day=DAY)
    assert [r.code for r in summary.missing] == ["CM-A2"]
    one = campaign_summary(wconn, day=DAY, unit="SD-B")
    assert one is not None and one.total.code == "SD-B" and one.missing == []
    assert campaign_summary(wconn, day=START - dt.timedelta(days=1)) is None
