"""`battlemap load transfers` and `battlemap load gate-events`: exact counts, exact rejects, reloads.

The fixtures in tests/fixtures/flows name places (places.csv) by name, by source id and, for the
ambiguous name 大门 (two gates), not at all. transfers.csv holds six chains: C1 closed (airport ->
hotel A -> home gate), C2 in transit since 10:00, C3 planned for 15:00, C4 with a gap (leg 2
leaves from Hongqiao, not hotel A), C5 handed over, C6 cancelled. Times are China time.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from etl.report import LoadReport
from geo.errors import InputError, RejectLimitExceeded

FLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "flows"
CHINA = dt.timezone(dt.timedelta(hours=8))

# (row, field, a substring of the reason), as the rejects CSV lists them.
TRANSFER_REJECTS = [
    (2, "from_place", "no loaded place has this id or name"),
    (3, "arrived_at", "arrives before it departs"),
    (4, "head_count", "expected a whole number >= 0"),
    (5, "chain_id", "duplicate leg (same chain, from place and to place): the same as row 1"),
    (6, "to_place", "the leg starts and ends at the same place"),
    (7, "to_place", "2 places have this name"),
    (8, "status", "status handed_over needs arrived_at"),
    (9, "departed_at", "expected a time like"),
    (10, "departed_at", "a leg needs a departure time (departed_at) or a planned time (planned_at)"),
]
GATE_REJECTS = [
    (2, "gate", "is a hospital, not a compound gate or checkpoint"),
    (3, "hour", "expected the start of an hour"),
    (4, "kind", "expected one of registration, temperature_check"),
    (5, "count", "expected a whole number >= 0"),
    (6, "gate", "duplicate count (same gate, hour and kind): the same as row 1"),
    (7, "gate", "2 places have this name"),
    (8, "gate", "no loaded place has this id or name"),
]


def _load(
    conn: Connection, kind: str, source: Path | FrameSource, tmp_path: Path, **options: object
) -> LoadReport:
    name = source.name if isinstance(source, Path) else source.path.name
    opts = LoadOptions(progress=False, rejects_path=tmp_path / f"{name}.rejects.csv", **options)  # type: ignore[arg-type]
    return pipeline.load(conn, kind, source, options=opts)


@pytest.fixture
def places(conn: Connection, tmp_path: Path) -> dict[str, int]:
    """The flow places loaded; their ids by source id."""
    _load(conn, "places", FLOWS / "places.csv", tmp_path)
    return {sid: pid for sid, pid in conn.execute(text("SELECT source_id, id FROM places"))}


def _legs(conn: Connection) -> dict[tuple[str, int], dict]:
    rows = conn.execute(text("SELECT * FROM transfers ORDER BY chain_id, leg_no")).mappings().all()
    return {(r["chain_id"], r["leg_no"]): dict(r) for r in rows}


def _rejects(report: LoadReport) -> list[tuple[int, str, str]]:
    return sorted((r.row, r.field, r.reason) for r in report.rejects)


def _matches(found: list[tuple[int, str, str]], expected: list[tuple[int, str, str]]) -> bool:
    return len(found) == len(expected) and all(
        (row, field) == (erow, efield) and substring in reason
        for (row, field, reason), (erow, efield, substring) in zip(found, expected, strict=True)
    )


def test_transfers_load_with_statuses_leg_numbers_and_places_resolved(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    report = _load(conn, "transfers", FLOWS / "transfers.csv", tmp_path)
    assert (report.rows_read, report.inserted, report.rejected) == (8, 8, 0)
    legs = _legs(conn)
    assert sorted(legs) == [
        ("C1", 1), ("C1", 2), ("C2", 1), ("C3", 1), ("C4", 1), ("C4", 2), ("C5", 1), ("C6", 1)
    ]  # fmt: skip
    assert {k: v["status"] for k, v in legs.items()} == {
        ("C1", 1): "handed_over", ("C1", 2): "handed_over", ("C2", 1): "in_transit", ("C3", 1): "planned",
        ("C4", 1): "handed_over", ("C4", 2): "handed_over", ("C5", 1): "handed_over", ("C6", 1): "cancelled",
    }  # fmt: skip
    first = legs[("C1", 1)]
    assert (first["from_place_id"], first["to_place_id"]) == (places["P-PVG"], places["P-HOTEL-A"])
    assert legs[("C1", 2)]["from_place_id"] == places["P-HOTEL-A"]  # named by source id
    assert first["departed_at"] == dt.datetime(2022, 4, 10, 8, 0, tzinfo=CHINA)
    assert first["source_id"] == f"transfers:C1:{places['P-PVG']}:{places['P-HOTEL-A']}"
    assert legs[("C3", 1)]["planned_at"] == dt.datetime(2022, 4, 10, 15, 0, tzinfo=CHINA)
    assert len(report.warnings) == 1
    assert "chain C4: leg 1 arrives at 隔离酒店A but leg 2 leaves from 上海虹桥站" in report.warnings[0]
    assert report.rejects_path is None


def test_transfers_load_from_xlsx_as_from_csv(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    sheet = tmp_path / "transfers.xlsx"
    pd.read_csv(FLOWS / "transfers.csv", dtype=str, keep_default_na=False).to_excel(sheet, index=False)
    report = _load(conn, "transfers", sheet, tmp_path)
    assert (report.rows_read, report.inserted, report.rejected) == (8, 8, 0)
    legs = _legs(conn)
    assert legs[("C1", 1)]["departed_at"] == dt.datetime(2022, 4, 10, 8, 0, tzinfo=CHINA)
    assert {k: v["status"] for k, v in legs.items()}[("C6", 1)] == "cancelled"


def test_loading_the_same_legs_again_changes_nothing_and_later_times_update_in_place(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    _load(conn, "transfers", FLOWS / "transfers.csv", tmp_path)
    again = _load(conn, "transfers", FLOWS / "transfers.csv", tmp_path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 8)
    # The leg of C2 arrives: a file naming it by other names (ids) updates it, with its status.
    arrival = pd.DataFrame(
        {
            "chain_id": ["C2"],
            "from_place": [str(places["P-SHHQ"])],
            "to_place": ["P-GATE-1"],
            "departed_at": ["2022-04-10 10:00"],
            "arrived_at": ["2022-04-10T19:30:00+08:00"],
            "head_count": ["2"],
        }
    )
    report = _load(conn, "transfers", FrameSource(arrival, name="arrival.csv"), tmp_path)
    assert (report.inserted, report.updated) == (0, 1)
    leg = _legs(conn)[("C2", 1)]
    assert leg["status"] == "handed_over" and leg["arrived_at"] == dt.datetime(
        2022, 4, 10, 19, 30, tzinfo=CHINA
    )
    assert conn.execute(text("SELECT count(*) FROM transfers")).scalar_one() == 8


def test_a_leg_loaded_before_the_others_is_renumbered(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    second = pd.DataFrame(
        {"chain_id": ["L"], "from_place": ["P-HOTEL-A"], "to_place": ["P-GATE-1"],
         "departed_at": ["2022-04-11 12:00"], "arrived_at": [""], "head_count": ["1"]}
    )  # fmt: skip
    first = second.assign(from_place="P-PVG", to_place="P-HOTEL-A", departed_at="2022-04-11 08:00")
    _load(conn, "transfers", FrameSource(second, name="second.csv"), tmp_path)
    _load(conn, "transfers", FrameSource(first, name="first.csv"), tmp_path)
    legs = _legs(conn)
    assert legs[("L", 1)]["from_place_id"] == places["P-PVG"]
    assert legs[("L", 2)]["from_place_id"] == places["P-HOTEL-A"]


def test_bad_transfers_are_rejected_with_a_reason_and_the_good_row_loads(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    report = _load(conn, "transfers", FLOWS / "transfers_bad.csv", tmp_path)
    assert (report.rows_read, report.inserted, report.rejected) == (10, 1, 9)
    assert _matches(_rejects(report), TRANSFER_REJECTS), _rejects(report)
    assert list(_legs(conn)) == [("B1", 1)]
    with open(report.rejects_path or "", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["row"]), r["field"]) for r in rows] == [(r, f) for r, f, _ in TRANSFER_REJECTS]
    values = {int(r["row"]): r["value"] for r in rows}
    # A leading "-" gets a quote so that a spreadsheet does not read it as a formula (OWASP).
    assert values[2] == "火星基地" and values[4] == "'-2" and values[7] == "大门"
    assert values[3] == "2022-04-10 09:00+08:00 < departed 2022-04-10 10:00+08:00"


def test_strict_loads_nothing_when_any_leg_is_bad(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    with pytest.raises(RejectLimitExceeded, match="9 rows rejected and --strict was given"):
        _load(conn, "transfers", FLOWS / "transfers_bad.csv", tmp_path, strict=True)
    assert _legs(conn) == {}


def test_a_file_of_only_unknown_places_is_an_error_and_lists_every_row(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {"chain_id": ["X", "Y"], "from_place": ["nowhere", "P-PVG"], "to_place": ["P-PVG", "elsewhere"],
         "departed_at": ["2022-04-10 08:00"] * 2, "arrived_at": [""] * 2, "head_count": ["1"] * 2}
    )  # fmt: skip
    with pytest.raises(InputError, match="none of the 2 rows can be loaded") as raised:
        _load(conn, "transfers", FrameSource(frame, name="nowhere.csv"), tmp_path)
    assert (raised.value.row, raised.value.field) == (1, "from_place")
    with (tmp_path / "nowhere.csv.rejects.csv").open(encoding="utf-8-sig") as rejects:
        assert [(r["row"], r["field"], r["value"]) for r in csv.DictReader(rejects)] == [
            ("1", "from_place", "nowhere"),
            ("2", "to_place", "elsewhere"),
        ]
    assert _legs(conn) == {}


def test_gate_events_load_per_gate_hour_and_kind(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    report = _load(conn, "gate-events", FLOWS / "gate_events.csv", tmp_path)
    assert (report.rows_read, report.inserted, report.rejected) == (6, 6, 0)
    rows = conn.execute(
        text("SELECT place_id, hour, kind, count FROM gate_events ORDER BY place_id, hour, kind")
    )
    at8, at9 = (dt.datetime(2022, 4, 10, h, 0, tzinfo=CHINA) for h in (8, 9))
    gate1, gate2 = places["P-GATE-1"], places["P-GATE-2"]
    assert [tuple(r) for r in rows] == [
        (gate1, at8, "abnormal_temperature", 1), (gate1, at8, "registration", 12),
        (gate1, at8, "temperature_check", 30), (gate1, at9, "delivery", 7),
        (gate1, at9, "returnee_arrival", 2), (gate2, at8, "registration", 4),
    ]  # fmt: skip
    again = _load(conn, "gate-events", FLOWS / "gate_events.csv", tmp_path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)


def test_bad_gate_events_are_rejected_with_a_reason(
    conn: Connection, places: dict[str, int], tmp_path: Path
) -> None:
    report = _load(conn, "gate-events", FLOWS / "gate_events_bad.csv", tmp_path)
    assert (report.rows_read, report.loaded, report.rejected) == (8, 1, 7)
    assert _matches(_rejects(report), GATE_REJECTS), _rejects(report)
    assert conn.execute(text("SELECT count(*) FROM gate_events")).scalar_one() == 1
