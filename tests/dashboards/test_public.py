"""The public aggregate view: counts per sub-district and grid, never a count below 5, and no
suppressed count recoverable by subtracting the shown ones from the sub-district's total."""

from __future__ import annotations

import dash
import pytest
from flask.testing import FlaskClient

from geo.public import MEASURES, MIN_COUNT, SUPPRESSED, _suppressed


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
    rows = _suppressed("陆家嘴街道", parts)
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
    assert [r["controlled_households"] for r in body["rows"]] == [5, 5, SUPPRESSED]
    for cell in _every_cell(body):
        assert cell == SUPPRESSED or (isinstance(cell, int) and cell >= MIN_COUNT)
    page = client.get("/public").get_data(as_text=True)
    assert "&lt;5" in page and "G1" in page and "东方路" not in page  # no building, no address


def test_the_public_view_rejects_unknown_parameters(city_app: dash.Dash) -> None:
    client = FlaskClient(city_app.server, city_app.server.response_class)
    assert client.get("/public?grid=G1").status_code == 400
    assert client.get("/public?format=csv").status_code == 400
    assert client.get("/public?date=2022-13-01").status_code == 400
