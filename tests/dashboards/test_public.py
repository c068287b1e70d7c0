"""The public aggregate view: counts per sub-district and grid, never a count below 5, and no
suppressed count recoverable by subtracting the shown ones from the sub-district's total, on any
day nor by comparing days (checked independently of ``geo.public``'s own rules)."""

from __future__ import annotations

import datetime as dt
import random

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from geo.public import MEASURES, MIN_COUNT, SUPPRESSED, _rows, hidden_over_time
from geo.settings import Settings


def _counts(households: int, cases: int = 0, controlled: int = 0) -> dict[str, int]:
    return dict(zip(MEASURES, (households, cases, controlled), strict=True))


def _shown(cell: int | str) -> bool:
    return cell != SUPPRESSED


@pytest.mark.parametrize(
    ("grids", "outside", "expected_grids", "expected_total"),
    [
        # One small grid: hidden, and the smallest shown grid too, or 12 - 8 would give it away.
        ([("G1", 8), ("G2", 4)], 0, [SUPPRESSED, SUPPRESSED], 12),
        ([("G1", 8), ("G2", 9), ("G3", 3)], 0, [SUPPRESSED, 9, SUPPRESSED], 20),
        # Two small grids: their sum is known, not which holds what.
        ([("G1", 9), ("G2", 2), ("G3", 3)], 0, [9, SUPPRESSED, SUPPRESSED], 14),
        # Households in no grid are an unseen part too.
        ([("G1", 8), ("G2", 9)], 2, [SUPPRESSED, 9], 19),
        # Nothing small: everything shown.
        ([("G1", 8), ("G2", 9)], 0, [8, 9], 17),
        # A single small grid and nothing else to hide: the total goes.
        ([("G1", 3)], 0, [SUPPRESSED], SUPPRESSED),
        # Three households in no grid: 9 - 6 would give them away, so the grid is hidden too.
        ([("G1", 6)], 3, [SUPPRESSED], 9),
    ],
)
def test_small_counts_are_suppressed_so_that_none_can_be_worked_out(
    grids: list[tuple[str, int]], outside: int, expected_grids: list, expected_total: int | str
) -> None:
    parts = [(code, _counts(n)) for code, n in grids] + ([(None, _counts(outside))] if outside else [])
    day = {"陆家嘴街道": parts}
    rows = _rows("陆家嘴街道", parts, hidden_over_time([day]))
    assert rows[0].grid is None and rows[0].counts["households"] == expected_total
    assert [r.counts["households"] for r in rows[1:]] == expected_grids
    for row in rows:
        for cell in row.counts.values():
            assert cell == SUPPRESSED or cell >= MIN_COUNT


def _every_cell(body: dict) -> list[int | str]:
    return [row[m] for row in body["rows"] for m in MEASURES]


def test_the_public_view_needs_no_sign_in_and_never_shows_a_count_below_5(city_app: dash.Dash) -> None:
    client = FlaskClient(city_app.server, city_app.server.response_class)
    body = client.get("/public?format=json").json
    assert body["date"] == "2022-04-04" and body["min_count"] == MIN_COUNT
    assert [(r["subdistrict"], r["grid"]) for r in body["rows"]] == [
        ("陆家嘴街道", None),
        ("陆家嘴街道", "G1"),
        ("陆家嘴街道", "G2"),
    ]
    # 36 households, 18 per grid; one case household (G1); five under control, all in G1.
    assert [r["households"] for r in body["rows"]] == [36, 18, 18]
    assert [r["case_households"] for r in body["rows"]] == [SUPPRESSED] * 3
    # Five under control on this day, but fewer than five on earlier days of the history: hidden on
    # every day, so that no date shows what another hides.
    assert [r["controlled_households"] for r in body["rows"]] == [SUPPRESSED] * 3
    for cell in _every_cell(body):
        assert cell == SUPPRESSED or (isinstance(cell, int) and cell >= MIN_COUNT)
    page = client.get("/public").get_data(as_text=True)
    assert "&lt;5" in page and "G1" in page and "东方路" not in page  # no building, no address


def test_the_public_view_rejects_unknown_parameters(city_app: dash.Dash) -> None:
    client = FlaskClient(city_app.server, city_app.server.response_class)
    assert client.get("/public?grid=G1").status_code == 400
    assert client.get("/public?format=csv").status_code == 400
    assert client.get("/public?date=2022-13-01").status_code == 400


# --- over time: an independent check of what a reader can work out -----------------------------------

Published = dict[tuple[str, str | None, str], int | str]
"""One day's public cells: (sub-district, grid or None for the total, measure) -> count or "<5"."""


def _derivable(days: list[Published], outside: list[dict[tuple[str, str], int]]) -> list[str]:
    """What a reader learns that they should not, given the published days and the true number of
    households in no grid (per sub-district and measure: assumed known to the reader when zero).

    - on one day, the sub-district equation (total = grids + no grid) with a single unknown gives it;
    - across days, a cell shown on one date and hidden on another can be carried over by a reader
      who assumes it did not change; so no cell may be hidden on one day and shown on another.
    """
    problems = []
    for d, (cells, no_grid) in enumerate(zip(days, outside, strict=True)):
        for (subdistrict, grid, measure), value in cells.items():
            if value != SUPPRESSED and value < MIN_COUNT:
                problems.append(f"day {d}: {subdistrict}/{grid}/{measure} shows {value}")
            if grid is not None:
                continue
            parts = [k for k in cells if k[0] == subdistrict and k[2] == measure and k[1] is not None]
            unknown = [k for k in [(subdistrict, None, measure), *parts] if cells[k] == SUPPRESSED]
            small_outside = 0 < no_grid.get((subdistrict, measure), 0) < MIN_COUNT
            if no_grid.get((subdistrict, measure), 0):
                unknown.append((subdistrict, "(no grid)", measure))
            if len(unknown) == 1 and (unknown[0][1] != "(no grid)" or small_outside):
                problems.append(f"day {d}: {unknown[0]} = total - shown parts")
    for key in {k for cells in days for k in cells}:
        states = {cells.get(key) == SUPPRESSED for cells in days if key in cells}
        if states == {True, False}:
            problems.append(f"{key} is hidden on some days and shown on others")
    return problems


def _published(rows: list) -> Published:
    return {(r.subdistrict, r.grid, m): r.counts[m] for r in rows for m in MEASURES}


def test_no_hidden_cell_can_be_worked_out_on_any_day_of_a_random_history() -> None:
    rng = random.Random(20220406)
    days: list[dict] = []
    grids = {f"S{s}": [f"S{s}-G{g}" for g in range(rng.randint(1, 5))] for s in range(12)}
    households = {g: rng.choice([0, 2, 4, 5, 8, 20, 60]) for gs in grids.values() for g in gs}
    no_grid = {s: rng.choice([0, 0, 2, 7]) for s in grids}
    for _ in range(30):
        day = {}
        for s, codes in grids.items():
            parts = []
            for code in [*codes, None]:
                n = households[code] if code else no_grid[s]
                cases = rng.randint(0, min(n, 6))
                parts.append((code, _counts(n, cases, rng.randint(0, n - cases))))
            day[s] = parts
        days.append(day)
    hidden = hidden_over_time(days)
    published = [_published([r for s, parts in day.items() for r in _rows(s, parts, hidden)]) for day in days]
    outside = [
        {
            (s, m): next((c[m] for code, c in parts if code is None), 0)
            for s, parts in day.items()
            for m in MEASURES
        }
        for day in days
    ]
    assert _derivable(published, outside) == []
    assert sum(v == SUPPRESSED for cells in published for v in cells.values()) > 0


def test_the_old_per_day_rule_would_fail_the_check() -> None:
    """The check is not vacuous: hiding per day (a grid below 5 on day 1 only) is caught."""
    day1 = {"S": [("G1", _counts(8, 3)), ("G2", _counts(9, 6)), ("G3", _counts(10, 7))]}
    day2 = {"S": [("G1", _counts(8, 6)), ("G2", _counts(9, 6)), ("G3", _counts(10, 7))]}
    per_day = [_published(_rows("S", d["S"], hidden_over_time([d]))) for d in (day1, day2)]
    assert any("hidden on some days" in p for p in _derivable(per_day, [{}, {}]))
    together = hidden_over_time([day1, day2])
    consistent = [_published(_rows("S", d["S"], together)) for d in (day1, day2)]
    assert _derivable(consistent, [{}, {}]) == []


def test_no_hidden_cell_can_be_worked_out_over_the_whole_history_served(
    city_app: dash.Dash, city_settings: Settings
) -> None:
    engine = create_engine(city_settings.database.url)
    with engine.connect() as conn:
        first, last = conn.execute(
            text("SELECT min(valid_from), max(greatest(valid_from, valid_to - 1)) FROM house_status")
        ).one()
        in_no_grid = conn.execute(
            text(
                "SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id "
                "WHERE b.grid_id IS NULL"
            )
        ).scalar_one()
    engine.dispose()
    assert in_no_grid == 0  # so the reader may be assumed to know the no-grid part is empty
    client = FlaskClient(city_app.server, city_app.server.response_class)
    published = []
    for i in range((last - first).days + 1):
        day = first + dt.timedelta(days=i)
        body = client.get(f"/public?format=json&date={day}").json
        assert body["date"] == day.isoformat()
        published.append({(r["subdistrict"], r["grid"], m): r[m] for r in body["rows"] for m in MEASURES})
    assert len(published) >= 4
    assert _derivable(published, [{} for _ in published]) == []
    after = client.get(f"/public?format=json&date={last + dt.timedelta(days=1)}")
    assert after.status_code == 400 and "cover" in after.json["error"]
