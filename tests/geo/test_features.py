"""The read side: whitelisted features per kind, bbox and date filters, status on a date, loaded counts."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box
from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url

from etl import pipeline
from etl.jobs import KINDS
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo import features, loaded, personal
from geo.db import read_connection
from geo.errors import DatabaseUnavailable, NotFound
from geo.vocab import SIMULATED_SOURCE

# Sub-district A (甲街道) west of 121.50, B (乙镇) east of it, C (丙镇) far east and empty.
A = (121.40, 31.10, 121.50, 31.30)
B = (121.50, 31.10, 121.60, 31.30)
C = (121.80, 31.10, 121.90, 31.30)
OUTSIDE_X = 121.70


def _load(conn: Connection, kind: str, frame: pd.DataFrame, **options: object) -> pipeline.LoadReport:
    source = FrameSource(frame, name=f"{kind}.test")
    return pipeline.load(conn, kind, source, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


def _geo(rows: dict[str, list], geometry: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometry, crs="EPSG:4326")


def _building(x: float, y: float = 31.20) -> Polygon:
    return box(x, y, x + 0.0005, y + 0.0005)


@pytest.fixture
def world(conn: Connection) -> Connection:
    """Two sub-districts with data, an empty third, and rows outside all of them; some simulated."""
    _load(
        conn,
        "admin",
        _geo({"code": ["D1"], "name": ["测试区"]}, [box(121.3, 31.0, 122.0, 31.4)]),
        level="district",
    )
    subdistricts = {
        "code": ["SA", "SB", "SC"],
        "name": ["甲街道", "乙镇", "丙镇"],
        "name_en": ["Jia Street", "Yi Town", None],
        "parent": ["D1", "D1", "D1"],
    }
    _load(conn, "admin", _geo(subdistricts, [box(*A), box(*B), box(*C)]), level="subdistrict")
    _load(conn, "grids", _geo({"code": ["G1"], "name": ["一网格"]}, [box(121.41, 31.11, 121.49, 31.29)]))
    grid_b = _geo({"code": ["G2"], "name": ["二网格"]}, [box(121.51, 31.11, 121.59, 31.29)])
    _load(conn, "grids", grid_b, source=SIMULATED_SOURCE)
    _load(conn, "compounds", _geo({"id": ["C1"], "name": ["甲小区"]}, [box(121.45, 31.15, 121.46, 31.25)]))
    real = {
        "id": ["b1", "b2", "b4", "b5"],
        "name": ["一号楼", "二号楼", "四号楼", "五号楼"],
        "height": [30.0, 12.5, None, 9],
    }
    _load(
        conn,
        "buildings",
        _geo(real, [_building(121.451), _building(121.452), _building(121.55), _building(OUTSIDE_X)]),
    )
    _load(conn, "buildings", _geo({"id": ["b3"]}, [_building(121.453)]), source=SIMULATED_SOURCE)
    households = {
        "id": ["h1", "h2"],
        "building": ["b1", "b1"],
        "unit": ["101", "102"],
        "elderly_alone": ["1", "0"],
        "size": ["2", None],
    }
    _load(conn, "households", pd.DataFrame(households), source=SIMULATED_SOURCE)
    _load(
        conn,
        "households",
        pd.DataFrame({"id": ["h3"], "building": ["b4"], "unit": ["201"], "foreign": ["是"]}),
    )
    cases = {
        "id": ["k1", "k2", "k3"],
        "date": ["2022-04-06", "2022-04-06", "2022-04-07"],
        "address": ["甲路1号", "甲路2号", "外路3号"],
        "lon": [121.42, 121.43, OUTSIDE_X],
        "lat": [31.2, 31.2, 31.2],
    }
    _load(conn, "cases", pd.DataFrame(cases))
    # An address the gazetteer does not know: loaded without a location.
    _load(conn, "cases", pd.DataFrame({"id": ["k4"], "date": ["2022-04-07"], "address": ["无坐标路4号"]}))
    _load(
        conn,
        "places",
        _geo({"kind": ["hospital"], "name": ["乙医院"]}, [Point(121.56, 31.2)]),
        source=SIMULATED_SOURCE,
    )
    return conn


def test_feature_kinds_are_the_load_kinds() -> None:
    assert features.FEATURE_KINDS == KINDS
    assert set(features.DATED_KINDS) == {"households", "cases", "status"}


def test_no_whitelist_names_a_personal_field() -> None:
    for kind, columns in features.FEATURE_COLUMNS.items():
        assert not personal.PERSONAL_FIELDS & set(columns), kind
        assert columns[0] == "id" and "source" in columns


def test_the_whitelist_guard_refuses_a_personal_column(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = features._KINDS["places"]
    leaky = features.KindSQL((*spec.columns, ("phone", "'13800000000'")), spec.from_, spec.geometry)
    monkeypatch.setitem(features._KINDS, "places", leaky)
    with pytest.raises(RuntimeError, match=r"personal fields \['phone'\]"):
        features.read_features(conn, "places")


def test_buildings_read_back_with_loader_columns_in_wgs84(world: Connection) -> None:
    frame = features.read_buildings(world)
    assert frame.crs.to_epsg() == 4326
    assert list(frame.columns) == [*features.FEATURE_COLUMNS["buildings"], "geometry"]
    assert frame["id"].tolist() == ["b1", "b2", "b3", "b4", "b5"]
    b2 = frame.set_index("id").loc["b2"]
    assert (b2["name"], b2["height_m"], b2["floors"], b2["source"]) == ("二号楼", 12.5, 4, "buildings.test")
    assert b2.geometry.equals_exact(MultiPolygon([_building(121.452)]), 1e-12)
    assert frame.set_index("id").loc["b3", "source"] == SIMULATED_SOURCE
    assert str(frame["floors"].dtype) == "Int64" and pd.isna(frame.set_index("id").loc["b3", "floors"])


def test_bbox_keeps_what_meets_the_box(world: Connection) -> None:
    assert features.read_buildings(world, bbox=A)["id"].tolist() == ["b1", "b2", "b3"]
    assert features.read_buildings(world, bbox=(121.4515, 31.0, 121.4522, 31.3))["id"].tolist() == [
        "b1",
        "b2",
    ]
    # Households are where their building's label point is.
    assert features.read_households(world, bbox=B)["id"].tolist() == ["h3"]
    assert features.read_features(world, "cases", bbox=(121.6, 31.0, 121.8, 31.4))["id"].tolist() == ["k3"]
    assert features.read_grids(world, bbox=C).empty


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((1, 2, 3), "four numbers"),
        ((121.5, 31.3, 121.4, 31.4), "min < max"),
        (("a", 1, 2, 3), "four numbers"),
    ],
)
def test_a_malformed_bbox_is_refused(conn: Connection, bbox: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        features.read_buildings(conn, bbox=bbox)


def test_unknown_kind_and_undated_kind(conn: Connection) -> None:
    with pytest.raises(NotFound, match="unknown kind 'streets'"):
        features.read_features(conn, "streets")
    with pytest.raises(ValueError, match="buildings have no date"):
        features.read_features(conn, "buildings", date=dt.date(2022, 4, 6))


def test_households_carry_flags_and_a_status_only_with_a_date(world: Connection) -> None:
    plain = features.read_households(world).set_index("id")
    assert "status" not in plain.columns
    assert plain.loc["h1", "building"] == "b1" and plain.loc["h1", "unit_label"] == "101"
    assert bool(plain.loc["h1", "elderly_alone"]) and not plain.loc["h2", "elderly_alone"]
    assert bool(plain.loc["h3", "foreign_national"])
    assert plain.loc["h1", "size"] == 2 and pd.isna(plain.loc["h2", "size"])
    label_point = world.exec_driver_sql("SELECT ST_AsText(label_point) FROM buildings WHERE source_id = 'b1'")
    assert plain.loc["h1"].geometry.equals_exact(shapely.from_wkt(label_point.scalar_one()), 0)
    dated = features.read_households(world, date=dt.date(2022, 4, 6))
    assert set(dated["status"]) == {"normal"}


@pytest.fixture
def statuses(world: Connection) -> Connection:
    _load(world, "households", pd.DataFrame({"id": ["h4", "h5"], "building": ["b4", "b1"]}))
    rows = {
        "household": ["h1", None, "h3", "h5", "h5"],
        "building": [None, "b4", None, None, None],
        "status": ["confirmed", "sealed", "home_isolation", "health_monitoring", "close_contact"],
        "valid_from": ["2022-04-01", "2022-04-05", "2022-04-06", "2022-04-01", "2022-04-03"],
        "valid_to": ["2022-04-10", None, None, "2022-04-30", "2022-04-08"],
    }
    assert _load(world, "status", pd.DataFrame(rows)).inserted == 5
    return world


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # h1 own row; h3 own row beats its building's; h4 gets its building's; h5 most severe of two.
        (
            "2022-04-06",
            {
                "h1": "confirmed",
                "h2": "normal",
                "h3": "home_isolation",
                "h4": "sealed",
                "h5": "close_contact",
            },
        ),
        # valid_to is exclusive: h1's confirmed has ended on the 10th.
        (
            "2022-04-10",
            {
                "h1": "normal",
                "h2": "normal",
                "h3": "home_isolation",
                "h4": "sealed",
                "h5": "health_monitoring",
            },
        ),
        # valid_from is inclusive; before it, nothing applies.
        (
            "2022-04-04",
            {"h1": "confirmed", "h2": "normal", "h3": "normal", "h4": "normal", "h5": "close_contact"},
        ),
        (
            "2022-04-05",
            {"h1": "confirmed", "h2": "normal", "h3": "sealed", "h4": "sealed", "h5": "close_contact"},
        ),
    ],
)
def test_household_status_on_a_date(statuses: Connection, day: str, expected: dict[str, str]) -> None:
    frame = features.read_households(statuses, date=dt.date.fromisoformat(day))
    assert dict(zip(frame["id"], frame["status"], strict=True)) == expected


def test_statuses_valid_on_a_date_and_cases_reported_on_it(statuses: Connection) -> None:
    valid = features.read_features(statuses, "status", date=dt.date(2022, 4, 9))
    assert sorted(
        zip(valid["household"].fillna("-"), valid["building"].fillna("-"), valid["status"], strict=True)
    ) == [
        ("-", "b4", "sealed"),
        ("h1", "-", "confirmed"),
        ("h3", "-", "home_isolation"),
        ("h5", "-", "health_monitoring"),
    ]
    assert valid.set_index("status").loc["confirmed", "valid_to"] == dt.date(2022, 4, 10)
    assert features.read_cases(statuses, date=dt.date(2022, 4, 7))["id"].tolist() == ["k3", "k4"]
    unlocated = features.read_cases(statuses).set_index("id").loc["k4"]
    assert unlocated.geometry is None and unlocated["address"] == "无坐标路4号"


def test_responsibility_reads_codes_and_scopes_never_contacts(world: Connection) -> None:
    rows = {
        "person": ["P1", "P2"],
        "level": ["楼组长", "cadre"],
        "scope_type": ["building", "grid"],
        "scope": ["b1", "G1"],
        "name": ["张三", "李四"],
        "phone": ["13800138000", "13900139000"],
        "id_number": ["310101199001011234", "31010119900101567X"],
    }
    _load(world, "responsibility", pd.DataFrame(rows))
    frame = features.read_features(world, "responsibility")
    assert list(frame.columns) == [*features.FEATURE_COLUMNS["responsibility"], "geometry"]
    assert sorted(zip(frame["person"], frame["level"], frame["scope_type"], frame["scope"], strict=True)) == [
        ("P1", "building_leader", "building", "b1"),
        ("P2", "cadre", "grid", "G1"),
    ]
    text = frame.drop(columns="geometry").to_csv()
    for secret in ("张三", "李四", "13800138000", "310101199001011234"):
        assert secret not in text
    assert frame.geometry.notna().all()


def test_loaded_counts_by_subdistrict(world: Connection) -> None:
    counts = loaded.loaded_counts_by_subdistrict(world)
    kinds = list(loaded.COUNTED_KINDS)
    assert counts["subdistrict"].tolist()[:2] == ["乙镇", "甲街道"]
    assert counts["district"].tolist()[:2] == ["测试区", "测试区"]
    assert counts.iloc[-1][["subdistrict_id", "district", "subdistrict"]].isna().all()
    assert counts["subdistrict_en"].tolist()[:2] == ["Yi Town", "Jia Street"]
    assert counts[kinds].to_numpy().tolist() == [
        # buildings, grids, compounds, households, cases, places
        [1, 1, 0, 1, 0, 1],  # 乙镇 (B)
        [3, 1, 1, 2, 2, 0],  # 甲街道 (A)
        [1, 0, 0, 0, 2, 0],  # outside every sub-district, and the case without a location
    ]
    assert counts[[f"{k}_simulated" for k in kinds]].to_numpy().tolist() == [
        [0, 1, 0, 0, 0, 1],
        [1, 0, 0, 2, 0, 0],
        [0, 0, 0, 0, 0, 0],
    ]


def test_loaded_counts_of_an_empty_database(conn: Connection) -> None:
    counts = loaded.loaded_counts_by_subdistrict(conn)
    assert counts.empty and "buildings_simulated" in counts.columns
    assert loaded.data_state(conn) == loaded.DataState(0, 0, None)
    totals = loaded.loaded_totals(conn)
    assert totals["table_name"].tolist() == list(loaded.TOTALLED_TABLES) and totals["n"].sum() == 0


def test_loaded_totals_and_data_state(world: Connection) -> None:
    totals = loaded.loaded_totals(world).set_index("table_name")
    assert totals.loc["admin_units", "n"] == 4 and totals.loc["addresses", "n"] == 0
    state = loaded.data_state(world)
    assert state.tables == 7 and state.version >= 7 and state.as_of is not None
    _load(world, "places", _geo({"kind": ["school"], "name": ["甲小学"]}, [Point(121.42, 31.21)]))
    assert loaded.data_state(world).version == state.version + 1


def test_connect_names_an_unreachable_server_and_a_missing_schema(database_url: str) -> None:
    nowhere = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with (
        pytest.raises(DatabaseUnavailable, match="database does not answer"),
        read_connection(nowhere) as conn,
    ):
        loaded.data_state(conn)
    bare = create_engine(make_url(database_url).set(database="postgres"))
    with pytest.raises(DatabaseUnavailable, match="run `battlemap db init`"), read_connection(bare) as conn:
        loaded.data_state(conn)
    bare.dispose()
