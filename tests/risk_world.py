"""A tiny known world for the risk-area tests: buildings placed at exact geodesic distances from a case.

Everything is laid out with ``pyproj.Geod`` (WGS84) around ``CASE`` (121.50, 31.24), so a zone that
measured in degrees, or on a sphere off by more than 0.5%, would put a building on the wrong side of a
boundary. ``build_world(conn)`` inserts it (in the caller's transaction); the ``risk_world_url``
fixture commits it to a database of its own for the CLI, HTTP and notebook tests.

Layout (metres from CASE; "edge" = the nearest edge of a 10 m square):
  sub-district A (110000-001) spans 121.47..121.51 E; B (110000-002) 121.51..121.56 E.
  compound K: a 200 m square centred on CASE.
  grids: G1 ±300 m around CASE, G2 east of it (300..900 m), G3 far west (not adjoining).
  buildings: case (holds CASE), comp (60 m N, in K), near (200 m E), ring edges at 498.5 / 501.5 m
  N, NE and E (in / out of the 500 m control zone), g2 (edge 800 m E, in G2), prev (edge 1500 m W),
  prev_out (edge 2001.5 m W: outside), clip (edge 1500 m E, in B: clipped away), far (3 km W).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, box
from sqlalchemy import Connection, create_engine, text

from etl.assign import assign_buildings
from tests.fixtures.databases import sibling_url, throwaway_database

GEOD = Geod(ellps="WGS84")
CASE = (121.50, 31.24)
DATE = dt.date(2022, 4, 10)
HALF = 5.0  # half the side of a test building, metres
# The detail of every ``risk_declare`` audit row, whichever path declared (CLI, HTTP, the map's panel).
DECLARE_AUDIT_KEYS = frozenset({"lon", "lat", "cases", "date", "declared_at", "level"})

# name -> (azimuth, distance of the nearest edge in metres); azimuth 0 = north, 90 = east, 270 = west.
EDGE_BUILDINGS: dict[str, tuple[float, float]] = {
    "near": (90, 200.0),
    "in_n": (0, 498.5),
    "out_n": (0, 501.5),
    "in_ne": (45, 498.5),
    "out_ne": (45, 501.5),
    "in_e": (90, 498.5),
    "out_e": (90, 501.5),
    "g2": (90, 800.0),
    "prev": (270, 1500.0),
    "prev_out": (270, 2001.5),
    "clip": (90, 1500.0),
    "far": (270, 3000.0),
}
EXPECTED_ZONE: dict[str, str | None] = {
    "case": "sealed",
    "comp": "sealed",
    "near": "control",
    "in_n": "control",
    "in_ne": "control",
    "in_e": "control",
    "out_n": "prevention",
    "out_ne": "prevention",
    "out_e": "prevention",
    "g2": "prevention",
    "prev": "prevention",
    "prev_out": None,
    "clip": None,
    "far": None,
}


def offset(lon: float, lat: float, azimuth: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, azimuth, metres)
    return float(x), float(y)


def square(lon: float, lat: float, half_m: float) -> Polygon:
    """A square of side 2*half_m metres centred on (lon, lat), edges along meridians and parallels."""
    west, _ = offset(lon, lat, 270, half_m)
    east, _ = offset(lon, lat, 90, half_m)
    _, south = offset(lon, lat, 180, half_m)
    _, north = offset(lon, lat, 0, half_m)
    return box(west, south, east, north)


def edge_square(azimuth: float, edge_m: float) -> Polygon:
    """A 10 m square whose nearest point to CASE is ``edge_m`` away along ``azimuth``.

    Along a meridian or parallel the nearest point is the middle of the near edge; at 45° it is the
    near corner, so the centre lies a further half-diagonal away.
    """
    centre_m = edge_m + (HALF * 2**0.5 if azimuth % 90 else HALF)
    return square(*offset(*CASE, azimuth, centre_m), HALF)


def _wkt(geom: object) -> str:
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    return geom.wkt  # type: ignore[attr-defined]


def build_world(conn: Connection) -> dict[str, int]:
    """Insert the world; returns the database ids of the named buildings (and 'K' for the compound)."""
    ids: dict[str, int] = {}

    def insert(sql: str, **params: object) -> int:
        return int(conn.execute(text(sql + " RETURNING id"), params).scalar_one())

    def unit(code: str, name: str, west: float, east: float) -> int:
        return insert(
            "INSERT INTO admin_units (code, name, level, geom, source, source_id) VALUES "
            "(:code, :name, 'subdistrict', ST_GeomFromText(:g, 4326), 'risk-world', :code)",
            code=code,
            name=name,
            g=_wkt(box(west, 31.20, east, 31.28)),
        )

    unit_a = unit("110000-001", "甲街道", 121.47, 121.51)
    unit("110000-002", "乙街道", 121.51, 121.56)
    ids["unit_a"] = unit_a
    compound = square(*CASE, 100.0)
    ids["K"] = insert(
        "INSERT INTO compounds (name, geom, source, source_id) VALUES "
        "('测试小区', ST_GeomFromText(:g, 4326), 'risk-world', 'K')",
        g=_wkt(compound),
    )
    g1 = square(*CASE, 300.0)
    g2 = box(g1.bounds[2], g1.bounds[1], offset(*CASE, 90, 900.0)[0], g1.bounds[3])
    g3 = square(*offset(*CASE, 270, 1500.0), 300.0)
    for code, geom in (("G1", g1), ("G2", g2), ("G3", g3)):
        ids[code] = insert(
            "INSERT INTO grids (code, name, unit_id, geom, source, source_id) VALUES "
            "(:c, :c, :u, ST_GeomFromText(:g, 4326), 'risk-world', :c)",
            c=code,
            u=unit_a,
            g=_wkt(geom),
        )
    footprints = {"case": square(*CASE, HALF), "comp": square(*offset(*CASE, 0, 60.0), HALF)}
    footprints |= {name: edge_square(az, d) for name, (az, d) in EDGE_BUILDINGS.items()}
    for name, geom in footprints.items():
        ids[name] = insert(
            "INSERT INTO buildings (name, address, geom, source, source_id) VALUES "
            "(:n, :a, ST_GeomFromText(:g, 4326), 'risk-world', :n)",
            n=name,
            a="测试路1弄" if name in ("case", "comp") else None,
            g=_wkt(geom),
        )
    assign_buildings(conn)

    def household(building: str, label: str, *, elderly: bool = False, disabled: bool = False) -> int:
        return insert(
            "INSERT INTO households (building_id, unit_label, size, elderly_alone, disabled, source, "
            "source_id) VALUES (:b, :l, 1, :e, :d, 'risk-world', :sid)",
            b=ids[building],
            l=label,
            e=elderly,
            d=disabled,
            sid=f"{building}-{label}",
        )

    def status(status: str, *, household: int | None = None, building: str | None = None) -> None:
        conn.execute(
            text(
                "INSERT INTO house_status (household_id, building_id, status, valid_from, valid_to, "
                "source, source_id) VALUES (:h, :b, :s, '2022-04-01', '2022-04-15', 'risk-world', :sid)"
            ),
            {
                "h": household,
                "b": ids[building] if building else None,
                "s": status,
                "sid": f"{status}-{household}-{building}",
            },
        )

    confirmed = household("case", "1-01")
    household("case", "1-02", elderly=True)
    household("case", "1-03", disabled=True)
    status("confirmed", household=confirmed)
    status("sealed", building="case")
    household("near", "1-01")
    household("near", "1-02", elderly=True)
    vacant = household("prev", "1-01")
    status("vacant", household=vacant)
    household("far", "1-01", elderly=True)

    def place(kind: str, name: str, at: tuple[float, float]) -> None:
        insert(
            "INSERT INTO places (kind, name, geom, source, source_id) VALUES "
            "(:k, :n, ST_SetSRID(ST_MakePoint(:x, :y), 4326), 'risk-world', :n)",
            k=kind,
            n=name,
            x=at[0],
            y=at[1],
        )

    place("sampling_site", "采样点", offset(*CASE, 180, 50.0))  # in K, in no building
    place("shop", "商店", offset(*CASE, 180, 300.0))
    place("school", "学校", offset(*CASE, 270, 1000.0))
    place("hospital", "医院", offset(*CASE, 90, 1200.0))  # in sub-district B: clipped away

    def person(code: str, level: str, scope_type: str, scope_id: int) -> None:
        pid = insert(
            "INSERT INTO people (code, title, source, source_id) VALUES (:c, :l, 'risk-world', :c)",
            c=code,
            l=level,
        )
        conn.execute(
            text(
                "INSERT INTO responsibilities (person_id, level, scope_type, scope_id, source, source_id) "
                "VALUES (:p, :l, :st, :sid, 'risk-world', :c)"
            ),
            {"p": pid, "l": level, "st": scope_type, "sid": scope_id, "c": f"r-{code}"},
        )

    person("P-LEADER-CASE", "building_leader", "building", ids["case"])
    person("P-CADRE-G1", "cadre", "grid", ids["G1"])
    person("P-HQ-A", "command_hq", "unit", unit_a)
    person("P-LEADER-PREV", "building_leader", "building", ids["prev"])
    conn.execute(
        text(
            "INSERT INTO cases (reported_on, kind, address, district, geom, building_id, source, source_id) "
            "VALUES (:d, 'confirmed', '测试路1弄', '测试区', ST_SetSRID(ST_MakePoint(:x, :y), 4326), :b, "
            "'risk-world', 'case-1'), "
            "(:d, 'confirmed', NULL, '测试区', ST_SetSRID(ST_MakePoint(:x2, :y2), 4326), NULL, "
            "'risk-world', 'case-2')"
        ),
        {
            "d": DATE,
            "x": CASE[0],
            "y": CASE[1],
            "b": ids["case"],
            "x2": offset(*CASE, 270, 1800.0)[0],
            "y2": offset(*CASE, 270, 1800.0)[1],
        },
    )
    return ids


def case_point() -> Point:
    return Point(CASE)


@pytest.fixture(scope="session")
def risk_world_url(database_url: str) -> Iterator[str]:
    """A database of its own holding the committed risk world (for subprocesses: CLI, notebooks)."""
    with throwaway_database(sibling_url(database_url, "risk")) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            build_world(conn)
        engine.dispose()
        yield url
