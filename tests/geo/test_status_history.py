"""THE write rule of house status (geo/status/history.py): non-overlapping stretches each closed by the
next in time, whatever order files arrive in; corrections replace and are kept; the database refuses
overlaps; any write bumps the data version.

The per-day test works out what the files imply with pandas alone and compares every day's counts
with what the map reads (``geo.status.rule``).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo import loaded
from geo.audit import Actor, read_audit
from geo.errors import InvalidParameter
from geo.status.history import Stretch, record_statuses
from geo.status.rule import household_statuses, status_params
from geo.vocab import STATUS_CODES

DAY0 = dt.date(2022, 4, 20)
HOUSEHOLDS = 120


def _load(conn: Connection, kind: str, frame: pd.DataFrame, name: str | None = None, **options: object):
    source = FrameSource(frame, name=name or f"{kind}.test")
    return pipeline.load(conn, kind, source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


@pytest.fixture
def homes(conn: Connection) -> list[str]:
    """Three buildings B0..B2 and HOUSEHOLDS households H000.. spread over them."""
    buildings = gpd.GeoDataFrame(
        {"id": [f"B{i}" for i in range(3)]},
        geometry=[box(121.5 + i * 0.001, 31.23, 121.5005 + i * 0.001, 31.2305) for i in range(3)],
        crs="EPSG:4326",
    )
    _load(conn, "buildings", buildings)
    ids = [f"H{i:03d}" for i in range(HOUSEHOLDS)]
    households = pd.DataFrame({"id": ids, "building": [f"B{i % 3}" for i in range(HOUSEHOLDS)]})
    _load(conn, "households", households)
    return ids


def _rows(conn: Connection, household: str) -> list[tuple[str, dt.date, dt.date | None]]:
    return [
        tuple(r)  # type: ignore[misc]
        for r in conn.execute(
            text("""SELECT s.status, s.valid_from, s.valid_to FROM house_status s
                    JOIN households h ON h.id = s.household_id WHERE h.source_id = :h
                    ORDER BY s.valid_from"""),
            {"h": household},
        )
    ]


def _status(household: str, status: str, day: dt.date, until: dt.date | None = None) -> dict:
    return {
        "household": household,
        "status": status,
        "valid_from": day.isoformat(),
        "valid_to": until.isoformat() if until else None,
    }


# --- the per-day counts the files imply


def _multi_day_file(rng: np.random.Generator, households: list[str]) -> pd.DataFrame:
    """Ten consecutive days per household, each day a random status; one row in ten with an explicit
    end the next day, one in twenty with one four days on (reaching over the next rows)."""
    statuses = np.array(STATUS_CODES)
    rows = []
    for h in households:
        for day in range(10):
            span = rng.choice([0, 1, 4], p=[0.85, 0.10, 0.05])
            until = DAY0 + dt.timedelta(days=day + int(span)) if span else None
            rows.append(_status(h, str(rng.choice(statuses)), DAY0 + dt.timedelta(days=day), until))
    return pd.DataFrame(rows)


def _expected_counts(files: list[pd.DataFrame], households: list[str], days: list[dt.date]) -> pd.DataFrame:
    """Per day and status, how many households the files imply, worked out with pandas only.

    Facts are (household, valid_from) -> (status, end); a later file's fact for the same key replaces
    the earlier one. A fact lasts until its end, or (open) until the household's next fact starts.
    On a day a household has, of the facts begun and not ended, the one with the latest start;
    without one it is normal.
    """
    facts = pd.concat([f.assign(order=i) for i, f in enumerate(files)], ignore_index=True)
    facts["valid_from"] = pd.to_datetime(facts["valid_from"])
    facts["valid_to"] = pd.to_datetime(facts["valid_to"])
    facts = facts.sort_values("order").drop_duplicates(["household", "valid_from"], keep="last")
    facts = facts.sort_values(["household", "valid_from"])
    facts["ends"] = facts["valid_to"].fillna(facts.groupby("household")["valid_from"].shift(-1))
    counts = []
    for day in days:
        stamp = pd.Timestamp(day)
        live = facts[(facts["valid_from"] <= stamp) & (facts["ends"].isna() | (facts["ends"] > stamp))]
        latest = live.sort_values("valid_from").drop_duplicates("household", keep="last")
        status = latest.set_index("household")["status"].reindex(households, fill_value="normal")
        counts.append(status.value_counts().rename_axis("status").reset_index(name="n").assign(day=day))
    return pd.concat(counts, ignore_index=True)


def _map_counts(conn: Connection, days: list[dt.date]) -> pd.DataFrame:
    """Per day and status, how many households the map counts (the read rule of geo.status.rule)."""
    counts = []
    for day in days:
        rows = conn.execute(
            text(f"SELECT status, count(*) FROM ({household_statuses()}) x GROUP BY status"),
            status_params(day),
        ).all()
        counts.append(pd.DataFrame(rows, columns=["status", "n"]).assign(day=day))
    return pd.concat(counts, ignore_index=True)


def _by_day(frame: pd.DataFrame) -> dict[tuple[dt.date, str], int]:
    return {(r.day, r.status): int(r.n) for r in frame.itertuples() if r.n}


def test_every_day_counts_what_the_files_imply(conn: Connection, homes: list[str]) -> None:
    rng = np.random.default_rng(11)
    multi = _multi_day_file(rng, homes)
    # A late file: older days for a third of the households, arriving after the newer file.
    late = pd.DataFrame(
        [
            _status(h, str(rng.choice(STATUS_CODES)), DAY0 - dt.timedelta(days=d))
            for h in homes[::3]
            for d in (1, 3)
        ]
    )
    # Corrections: the same valid_from again with another status (or another end) for a fifth.
    corrected = multi.iloc[::5].copy()
    corrected["status"] = np.where(corrected["status"] == "confirmed", "normal", "confirmed")
    corrected.loc[corrected.index[::4], "valid_to"] = None
    files = [multi, late, corrected]
    for i, frame in enumerate(files):
        report = _load(conn, "status", frame, name=f"status-{i}.csv")
        assert report.rejected == 0
    days = [DAY0 + dt.timedelta(days=d) for d in range(-4, 12)]
    expected = _by_day(_expected_counts(files, homes, days))
    assert _by_day(_map_counts(conn, days)) == expected
    # And no household has two stretches at once, on any day.
    overlaps = conn.execute(
        text("""SELECT count(*) FROM house_status a JOIN house_status b
                ON a.household_id = b.household_id AND a.id < b.id
                AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)""")
    ).scalar_one()
    assert overlaps == 0
    # Long given ends reach over later rows: those stretches resume after them (split in parts).
    assert conn.execute(text("SELECT count(*) FROM house_status WHERE resumes IS NOT NULL")).scalar_one() > 0
    assert conn.execute(text("SELECT count(*) FROM house_status_history")).scalar_one() == len(corrected)


def test_the_same_files_in_another_order_give_the_same_history(conn: Connection, homes: list[str]) -> None:
    rng = np.random.default_rng(5)
    multi = _multi_day_file(rng, homes[:30])
    halves = [multi.iloc[1::2], multi.iloc[::2]]
    for i, frame in enumerate(halves):
        _load(conn, "status", frame, name=f"half-{i}.csv")
    days = [DAY0 + dt.timedelta(days=d) for d in range(11)]
    assert _by_day(_map_counts(conn, days)) == _by_day(_expected_counts([multi], homes, days))


# --- the cases of the issue, one by one


def test_an_older_file_after_a_newer_one_is_closed_by_it(conn: Connection, homes: list[str]) -> None:
    _load(conn, "status", pd.DataFrame([_status("H001", "normal", dt.date(2022, 4, 22))]))
    report = _load(conn, "status", pd.DataFrame([_status("H001", "sealed", dt.date(2022, 4, 15))]))
    assert report.inserted == 1
    assert _rows(conn, "H001") == [
        ("sealed", dt.date(2022, 4, 15), dt.date(2022, 4, 22)),
        ("normal", dt.date(2022, 4, 22), None),
    ]


def test_a_same_day_correction_replaces_and_is_kept_and_audited(conn: Connection, homes: list[str]) -> None:
    since = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    _load(
        conn, "status", pd.DataFrame([_status("H002", "close_contact", dt.date(2022, 4, 23))]), name="a.csv"
    )
    report = _load(
        conn, "status", pd.DataFrame([_status("H002", "normal", dt.date(2022, 4, 23))]), name="b.csv"
    )
    assert (report.inserted, report.updated) == (0, 1)
    assert _rows(conn, "H002") == [("normal", dt.date(2022, 4, 23), None)]
    kept = conn.execute(
        text("SELECT status, valid_from, source, reason, replacement_source FROM house_status_history")
    ).one()
    assert kept[:3] == ("close_contact", dt.date(2022, 4, 23), "a.csv")
    assert kept.reason.startswith("corrected") and kept.replacement_source == "b.csv"
    audited = read_audit(conn, since=since, action="status_change")
    assert [(a.target, a.detail["corrected"]) for a in audited] == [("load:a.csv", 0), ("load:b.csv", 1)]


def test_loading_the_same_file_twice_changes_nothing(conn: Connection, homes: list[str]) -> None:
    frame = _multi_day_file(np.random.default_rng(3), homes[:10])
    _load(conn, "status", frame)
    before = conn.execute(
        text("SELECT md5(string_agg(s::text, '|' ORDER BY id)) FROM house_status s")
    ).scalar()
    version = loaded.data_state(conn).version
    report = _load(conn, "status", frame)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, len(frame))
    assert (
        conn.execute(text("SELECT md5(string_agg(s::text, '|' ORDER BY id)) FROM house_status s")).scalar()
        == before
    )
    assert loaded.data_state(conn).version == version


def test_an_explicit_end_is_honoured_and_a_later_stretch_inside_splits_it(
    conn: Connection, homes: list[str]
) -> None:
    def day(n: int) -> dt.date:
        return dt.date(2022, 4, 1) + dt.timedelta(days=n)

    _load(conn, "status", pd.DataFrame([_status("H003", "home_isolation", day(0), day(14))]))
    assert _rows(conn, "H003") == [("home_isolation", day(0), day(14))]
    _load(conn, "status", pd.DataFrame([_status("H003", "confirmed", day(5), day(8))]))
    # The later start wins for its span; the stretch it interrupts resumes until its own end.
    assert _rows(conn, "H003") == [
        ("home_isolation", day(0), day(5)),
        ("confirmed", day(5), day(8)),
        ("home_isolation", day(8), day(14)),
    ]
    resumed = conn.execute(
        text("""SELECT f.valid_from FROM house_status p JOIN house_status f ON f.id = p.resumes""")
    ).scalar_one()
    assert resumed == day(0)
    # An earlier, longer stretch arriving late holds where no later one does, until its given end.
    _load(conn, "status", pd.DataFrame([_status("H003", "sealed", day(-3), day(30))]))
    assert _rows(conn, "H003") == [
        ("sealed", day(-3), day(0)),
        ("home_isolation", day(0), day(5)),
        ("confirmed", day(5), day(8)),
        ("home_isolation", day(8), day(14)),
        ("sealed", day(14), day(30)),
    ]
    # A correction of the interrupted stretch's end moves the part that resumes it.
    _load(conn, "status", pd.DataFrame([_status("H003", "home_isolation", day(0), day(10))]))
    assert _rows(conn, "H003")[3:] == [("home_isolation", day(8), day(10)), ("sealed", day(10), day(30))]
    # An open stretch from a later day ends everything from then on.
    _load(conn, "status", pd.DataFrame([_status("H003", "normal", day(12))]))
    assert _rows(conn, "H003")[-2:] == [("sealed", day(10), day(12)), ("normal", day(12), None)]


def test_a_file_that_contradicts_itself_rejects_those_rows(
    conn: Connection, homes: list[str], tmp_path: Path
) -> None:
    d = dt.date(2022, 4, 10)
    frame = pd.DataFrame(
        [
            _status("H004", "confirmed", d),
            _status("H005", "sealed", d),
            _status("H004", "normal", d),
            _status("H006", "returnee", d),
            _status("H006", "returnee", d),  # an exact repeat: loaded once
            {"building": "B1", "status": "sealed", "valid_from": d.isoformat()},
            {"building": "B1", "status": "sealed", "valid_from": d.isoformat(), "valid_to": "2022-04-24"},
        ]
    )
    frame["id"] = [f"r{i}" for i in range(len(frame))]
    report = _load(conn, "status", frame, rejects_path=tmp_path / "rejects.csv")
    assert report.rejected == 4 and report.inserted == 2
    with (tmp_path / "rejects.csv").open(encoding="utf-8-sig") as handle:
        rejects = list(csv.DictReader(handle))
    assert [(r["row"], r["field"]) for r in rejects] == [
        ("1", "status"),
        ("3", "status"),
        ("6", "status"),
        ("7", "status"),
    ]
    assert "row 3 gives the same household" in rejects[0]["reason"]
    assert _rows(conn, "H004") == []
    assert len(_rows(conn, "H006")) == 1


def test_an_id_loaded_again_for_another_day_moves_the_record(conn: Connection, homes: list[str]) -> None:
    first = pd.DataFrame([_status("H007", "confirmed", dt.date(2022, 4, 1)) | {"id": "S1"}])
    _load(conn, "status", pd.DataFrame([_status("H007", "normal", dt.date(2022, 3, 20))]))
    _load(conn, "status", first)
    assert _rows(conn, "H007")[0][2] == dt.date(2022, 4, 1)
    _load(conn, "status", pd.DataFrame([_status("H008", "confirmed", dt.date(2022, 4, 1)) | {"id": "S1"}]))
    assert _rows(conn, "H007") == [("normal", dt.date(2022, 3, 20), None)]
    assert _rows(conn, "H008") == [("confirmed", dt.date(2022, 4, 1), None)]
    assert conn.execute(text("SELECT reason FROM house_status_history")).scalar_one().startswith("replaced")


def test_building_statuses_have_a_timeline_of_their_own(conn: Connection, homes: list[str]) -> None:
    frame = pd.DataFrame(
        [
            {"building": "B1", "status": "sealed", "valid_from": "2022-04-10"},
            {"building": "B1", "status": "normal", "valid_from": "2022-04-24"},
            {"building": "B1", "status": "sealed", "valid_from": "2022-04-02"},
        ]
    )
    _load(conn, "status", frame)
    rows = conn.execute(
        text("SELECT status, valid_from, valid_to FROM house_status WHERE building_id IS NOT NULL ORDER BY 2")
    ).all()
    assert [tuple(r) for r in rows] == [
        ("sealed", dt.date(2022, 4, 2), dt.date(2022, 4, 10)),
        ("sealed", dt.date(2022, 4, 10), dt.date(2022, 4, 24)),
        ("normal", dt.date(2022, 4, 24), None),
    ]


# --- one stretch, as the field API writes it


def test_one_field_stretch_goes_through_the_same_rule(conn: Connection, homes: list[str]) -> None:
    _load(conn, "status", pd.DataFrame([_status("H009", "close_contact", dt.date(2022, 4, 5))]))
    household = conn.execute(text("SELECT id FROM households WHERE source_id = 'H009'")).scalar_one()
    worker = Actor("field-worker", "operator")
    change = record_statuses(
        conn,
        [Stretch("confirmed", dt.date(2022, 4, 9), household_id=household)],
        source="field",
        actor=worker,
    )
    assert (change.inserted, change.closed) == (1, 1)
    assert _rows(conn, "H009") == [
        ("close_contact", dt.date(2022, 4, 5), dt.date(2022, 4, 9)),
        ("confirmed", dt.date(2022, 4, 9), None),
    ]
    again = record_statuses(
        conn,
        [Stretch("asymptomatic", dt.date(2022, 4, 9), household_id=household)],
        source="field",
        actor=worker,
    )
    assert again.corrected == 1
    assert conn.execute(text("SELECT replaced_by FROM house_status_history")).scalar_one() == "field-worker"
    with pytest.raises(InvalidParameter, match="unknown status"):
        record_statuses(
            conn, [Stretch("infected", dt.date(2022, 4, 9), household_id=household)], source="field"
        )
    with pytest.raises(InvalidParameter, match="names both or neither"):
        record_statuses(conn, [Stretch("confirmed", dt.date(2022, 4, 9))], source="field", actor=worker)
    with pytest.raises(InvalidParameter, match="two status stretches"):
        record_statuses(
            conn,
            [
                Stretch(s, dt.date(2022, 4, 9), household_id=household, source_id=s)
                for s in ("normal", "sealed")
            ],
            source="field",
            actor=worker,
        )


# --- enforced by the database


@pytest.mark.parametrize("column", ["household_id", "building_id"])
def test_the_database_refuses_an_overlapping_insert(conn: Connection, homes: list[str], column: str) -> None:
    target = conn.execute(text(f"SELECT min(id) FROM {column.removesuffix('_id') + 's'}")).scalar_one()
    insert = text(
        f"""INSERT INTO house_status ({column}, status, valid_from, valid_to, source, source_id)
            VALUES (:t, :s, :f, :u, 'dba', :id)"""
    )
    conn.execute(insert, {"t": target, "s": "sealed", "f": dt.date(2022, 4, 1), "u": None, "id": "x1"})
    # Adjacent is fine once the first is closed; overlapping is not.
    conn.execute(text("UPDATE house_status SET valid_to = '2022-04-10' WHERE source_id = 'x1'"))
    conn.execute(insert, {"t": target, "s": "normal", "f": dt.date(2022, 4, 10), "u": None, "id": "x2"})
    with pytest.raises(IntegrityError, match=f"ex_house_status_{column}_period"), conn.begin_nested():
        conn.execute(
            insert,
            {"t": target, "s": "confirmed", "f": dt.date(2022, 4, 5), "u": dt.date(2022, 4, 6), "id": "x3"},
        )


# --- any write path bumps the data version (tile ETags and caches key on it)


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM grids",
        "TRUNCATE grids CASCADE",
        "UPDATE households SET size = 3",
        "DELETE FROM house_status",
    ],
)
def test_a_dbas_write_bumps_the_data_version(conn: Connection, homes: list[str], statement: str) -> None:
    conn.execute(
        text("""INSERT INTO grids (code, name, geom, source, source_id) VALUES ('G1', 'g',
                ST_Multi(ST_MakeEnvelope(121.49, 31.22, 121.51, 31.24, 4326)), 'dba', 'G1')""")
    )
    _load(conn, "status", pd.DataFrame([_status("H010", "sealed", dt.date(2022, 4, 1))]))
    before = loaded.data_state(conn).version
    conn.execute(text(statement))
    assert loaded.data_state(conn).version > before


def test_a_statement_that_changes_no_row_bumps_nothing(conn: Connection, homes: list[str]) -> None:
    before = loaded.data_state(conn).version
    conn.execute(text("DELETE FROM grids WHERE false"))
    conn.execute(text("UPDATE households SET size = 3 WHERE false"))
    assert loaded.data_state(conn).version == before
