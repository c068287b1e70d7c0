"""Zones from cases (geo.risk): true metres, whole buildings, the strictest zone, counts, bad input."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pyproj import Geod
from sqlalchemy import Connection

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.errors import ConfigError, InvalidParameter, OutsideLoadedArea, UnknownCRSError
from geo.risk.rules import MAX_RADIUS_M, default_rules, default_sop, load_rules, load_sop
from geo.risk.zones import CaseLocation, declare_risk_area
from tests.risk_world import CASE, DATE, EXPECTED_ZONE, build_world, offset


@pytest.fixture
def world(conn: Connection) -> dict[str, int]:
    return build_world(conn)


def _zones(area, ids: dict[str, int]) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    by_id = dict(zip(area.buildings()["id"], area.buildings()["zone"], strict=True))
    return {name: by_id.get(ids[name]) for name in EXPECTED_ZONE}


def test_every_building_lands_in_its_zone_measured_in_true_metres(
    conn: Connection, world: dict[str, int]
) -> None:
    area = declare_risk_area(conn, [CASE], date=DATE)
    assert _zones(area, world) == EXPECTED_ZONE
    rules = dict(zip(area.buildings()["id"], area.buildings()["rule"], strict=True))
    assert rules[world["case"]] == "sealed:case_building"
    assert rules[world["comp"]] == "sealed:compound"
    assert rules[world["in_ne"]] == "control:radius"
    assert rules[world["prev"]] == "prevention:radius"


def test_distances_agree_with_pyproj_geod_within_half_a_percent(
    conn: Connection, world: dict[str, int]
) -> None:
    area = declare_risk_area(conn, [CASE], date=DATE)
    distances = dict(zip(area.buildings()["id"], area.buildings()["distance_m"], strict=True))
    geod = Geod(ellps="WGS84")
    for name, (azimuth, edge_m) in {"prev": (270, 1500.0), "in_ne": (45, 498.5), "out_n": (0, 501.5)}.items():
        # the nearest point of each square lies edge_m along the azimuth (tests/risk_world.py)
        x, y = offset(*CASE, azimuth, edge_m)
        _, _, truth = geod.inv(*CASE, x, y)
        assert abs(distances[world[name]] - truth) / truth < 0.005, name
        assert abs(distances[world[name]] - edge_m) < 0.5, name  # in fact to well under a metre


def test_counts_per_zone_count_each_building_once(conn: Connection, world: dict[str, int]) -> None:
    area = declare_risk_area(conn, [CASE], date=DATE)
    sealed, control, prevention = (area.counts[z] for z in ("sealed", "control", "prevention"))
    assert (sealed.buildings, control.buildings, prevention.buildings) == (2, 4, 5)
    assert sealed.households == 3 and sealed.households_by_status == {"confirmed": 1, "sealed": 2}
    assert (sealed.elderly_alone, sealed.disabled, sealed.vulnerable) == (1, 1, 2)
    assert control.households_by_status == {"normal": 2} and control.elderly_alone == 1
    assert prevention.households_by_status == {"vacant": 1}
    assert sealed.places_by_kind == {"sampling_site": 1}
    assert control.places_by_kind == {"shop": 1}
    assert prevention.places_by_kind == {"school": 1}  # the hospital lies in the next sub-district
    codes = {z: {p["code"] for p in area.counts[z].responsible} for z in ("sealed", "control", "prevention")}
    assert codes == {
        "sealed": {"P-LEADER-CASE", "P-CADRE-G1", "P-HQ-A"},
        "control": set(),
        "prevention": {"P-LEADER-PREV"},
    }
    assert sealed.people_by_level == {"building_leader": 1, "cadre": 1, "command_hq": 1}
    assert all(set(p) == {"code", "level"} for z in area.counts.values() for p in z.responsible)
    assert not area.assignments.duplicated(["target", "id"]).any()


def test_the_zones_are_whole_footprints_in_wgs84(conn: Connection, world: dict[str, int]) -> None:
    area = declare_risk_area(conn, [CASE], date=DATE)
    collection = area.to_geojson()
    assert [f["properties"]["zone"] for f in collection["features"]] == ["sealed", "control", "prevention"]
    sealed = area.geometries["sealed"]
    assert sealed is not None and len(sealed.geoms) == 2  # two whole buildings, not a circle
    assert collection["features"][0]["properties"]["buildings"] == 2
    minx, miny, maxx, maxy = area.geometries["prevention"].bounds
    assert 121.4 < minx < maxx < 121.6 and 31.2 < miny < maxy < 31.3


def test_two_cases_take_the_strictest_zone(conn: Connection, world: dict[str, int]) -> None:
    second = offset(*CASE, 270, 1800.0)  # 300 m from the edge of "prev"
    area = declare_risk_area(conn, [CASE, second], date=DATE)
    zones = _zones(area, world)
    assert zones["prev"] == "control" and zones["case"] == "sealed"
    row = area.buildings().set_index("id").loc[world["prev"]]
    assert row["rule"] == "control:radius" and row["case"] == 1
    assert sum(c.buildings for c in area.counts.values()) == len(area.buildings())


def test_adjoining_grids_rule(conn: Connection, world: dict[str, int]) -> None:
    rules = load_rules(control={"adjoining_grids": True})
    area = declare_risk_area(conn, [CASE], date=DATE, rules=rules)
    row = area.buildings().set_index("id").loc[world["g2"]]
    assert (row["zone"], row["rule"]) == ("control", "control:grid")


def test_compound_rule_can_be_switched_off(conn: Connection, world: dict[str, int]) -> None:
    rules = load_rules(sealed={"whole_compound": False, "same_lane": False})
    assert _zones(declare_risk_area(conn, [CASE], date=DATE, rules=rules), world)["comp"] == "control"


def test_a_lane_address_seals_the_lane(conn: Connection, world: dict[str, int]) -> None:
    rules = load_rules(sealed={"whole_compound": False})
    area = declare_risk_area(conn, [CaseLocation(*CASE, "上海市测试区测试路1弄5号")], date=DATE, rules=rules)
    row = area.buildings().set_index("id").loc[world["comp"]]
    assert row["rule"] == "sealed:lane"


@pytest.mark.parametrize("crs, convert", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_offset_crs_input_gives_the_same_zones(conn: Connection, world: dict[str, int], crs, convert) -> None:  # type: ignore[no-untyped-def]
    area = declare_risk_area(conn, [convert(*CASE)], crs=crs, date=DATE)
    assert _zones(area, world) == EXPECTED_ZONE


def test_a_date_without_status_data_is_labelled_not_counted_as_normal(
    conn: Connection, world: dict[str, int]
) -> None:
    area = declare_risk_area(conn, [CASE], date=dt.date(2023, 1, 1))
    assert not area.status_known and "no house-status data on 2023-01-01" in area.notes[0]
    assert area.counts["sealed"].households_by_status == {"unknown": 3}
    assert area.summary()["status_known"] is False


@pytest.mark.parametrize(
    "cases, error, words",
    [
        ([], InvalidParameter, "no case locations"),
        ([(math.nan, 31.24)], InvalidParameter, "finite"),
        ([(31.24, 121.50)], InvalidParameter, "axes swapped"),
        ([(116.40, 39.90)], OutsideLoadedArea, "no loaded building within 2000 m"),
        ([CASE, (116.40, 39.90)], OutsideLoadedArea, "1 of 2 case points"),
        (["here"], InvalidParameter, "expected a (lon, lat) pair"),
    ],
)
def test_bad_cases_are_clear_errors(conn: Connection, world: dict[str, int], cases, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        declare_risk_area(conn, cases, date=DATE)


def test_unknown_crs_is_a_clear_error(conn: Connection, world: dict[str, int]) -> None:
    with pytest.raises(UnknownCRSError, match="no-such-crs"):
        declare_risk_area(conn, [CASE], crs="no-such-crs", date=DATE)
    with pytest.raises(InvalidParameter, match="cannot be converted from"):
        declare_risk_area(conn, [CASE], crs="IAU_2015:49900", date=DATE)  # Mars


def test_nothing_loaded_says_so(conn: Connection) -> None:
    with pytest.raises(OutsideLoadedArea, match="no buildings are loaded"):
        declare_risk_area(conn, [CASE], date=DATE)


def test_shipped_rules_and_sop() -> None:
    rules = default_rules()
    assert (rules.sealed.snap_m, rules.control.radius_m, rules.prevention.radius_m) == (30, 500, 2000)
    assert rules.prevention.clip_to_subdistrict and rules.sealed.whole_compound
    sop = default_sop()
    assert [s.code for s in sop.steps][:3] == ["announce", "seal_gates", "first_testing"]
    assert sop.step("announce").due_h == 2 and sop.step("daily_testing").every_h == 24
    assert sop.lift.quiet_days == 14


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"control": {"radius_m": -5}}, "control.radius_m"),
        ({"prevention": {"radius_m": 0}}, "prevention.radius_m"),
        ({"prevention": {"radius_m": MAX_RADIUS_M + 1}}, "prevention.radius_m"),
        ({"control": {"radius_m": 3000}}, "must not exceed prevention.radius_m"),
        ({"control": {"radius": 500}}, "control.radius"),
    ],
)
def test_bad_rules_name_the_key_and_value(overrides, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=words):
        load_rules(**overrides)


def test_rules_and_sop_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.yaml"
    path.write_text("control:\n  radius_m: 300\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.control.radius_m == 300 and rules.prevention.radius_m == 2000
    path.write_text("control: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rules(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_rules(tmp_path / "missing.yaml")
    sop = tmp_path / "sop.yaml"
    sop.write_text("steps:\n  - {code: a, zh: 甲, en: A, due_h: 1}\n  - {code: a, zh: 乙, en: B, due_h: 2}\n")
    with pytest.raises(ConfigError, match="unique"):
        load_sop(sop)
