"""The seeded movement-flow demo (动线 and 闭环转运): no public transfer records exist, so they are
simulated from real places and the real case dates, and loaded with ``source = 'simulated'``.

Like ``etl.demo.generator``, each function reads what is loaded and returns a frame for the
ordinary pipeline; every draw comes from ``rng_for(seed, key)`` so a second run is identical.

The model
---------
places
    Pudong International Airport and Hongqiao railway station at their real coordinates; the
    first ``QUARANTINE_SITES`` named hotels of the OSM sample designated as quarantine sites; and
    for each named compound (up to ``PATH_COMPOUNDS``) a gate where its outline comes closest to
    a road (unless OSM already has one inside it), with a registration point, a temperature check
    point and a delivery drop point on the way from the gate to the compound's inner point.
transfers
    The clock is ``CLOCK_HOUR`` China time on the last day with published cases. Inbound loops
    (airport -> designated vehicle -> quarantine site, then 14 days later quarantine site -> home
    compound gate for home isolation) start over the ``DAYS`` days before the clock and 14 days
    earlier; returnees go Hongqiao -> home gate; a few people go from a gate to a hospital.
    ``OVERDUE`` legs are still in transit (or never left) longer than the default deadline, one
    leg is cancelled, and one chain deliberately has a gap (its second leg leaves from another
    hotel) so that the map shows how a broken loop is flagged.
gate events
    Per compound gate and hour over the ``DAYS`` days: registrations and deliveries follow a
    day/night profile, temperature checks exceed registrations (residents going out), about
    0.3 % of checks are abnormal, and returnee arrivals are exactly the returnee legs handed over
    at that gate in that hour.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from etl.demo.generator import rng_for
from geo.vocab import CHINA_TZ

PUDONG_AIRPORT = ("sim-place-pvg", "airport", "浦东国际机场", 121.8053, 31.1443)
HONGQIAO_STATION = ("sim-place-hongqiao", "railway_station", "上海虹桥站", 121.3204, 31.1940)
QUARANTINE_SITES = 4
PATH_COMPOUNDS = 6
# Fractions of the way from a gate to its compound's inner point where the stations stand.
STATIONS = (
    ("registration_point", "登记点", 0.3),
    ("temperature_point", "测温点", 0.55),
    ("delivery_point", "物资投放点", 0.85),
)
CLOCK_HOUR = 18
DAYS = 3
INBOUND, RETURNEES, HOSPITAL = 24, 16, 3
OVERDUE = 3
GAP_CHAIN = "SIM-IN-007"  # leg 2 leaves from another hotel than leg 1 arrived at
CLOCK_CHAIN = "SIM-RT-001"  # leaves at the clock itself, so that the data's latest time is the clock
QUARANTINE_DAYS = 14
# Hourly weights of the day (0..23) for registrations and deliveries.
_DAY = np.array([1, 0, 0, 0, 0, 1, 3, 6, 8, 7, 6, 6, 7, 6, 5, 5, 6, 7, 8, 7, 5, 4, 3, 2], dtype=float)
_DELIVERY = np.array([0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 9, 9, 6, 4, 4, 5, 8, 9, 7, 4, 2, 1, 0, 0], dtype=float)


def demo_clock(conn: Connection) -> dt.datetime | None:
    """``CLOCK_HOUR`` China time on the last day with a published case (None without cases)."""
    day = conn.execute(text("SELECT max(reported_on) FROM cases")).scalar_one()
    return None if day is None else dt.datetime.combine(day, dt.time(CLOCK_HOUR), CHINA_TZ)


def places_frame(conn: Connection, *, sample_dir: Path) -> gpd.GeoDataFrame:
    """Airport, station, quarantine hotels, and gates and stations of the named compounds."""
    rows = [
        {"id": sid, "kind": kind, "name": name, "geometry": Point(lon, lat)}
        for sid, kind, name, lon, lat in (PUDONG_AIRPORT, HONGQIAO_STATION)
    ]
    rows += _quarantine_sites(sample_dir)
    rows += _compound_stations(conn)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _quarantine_sites(sample_dir: Path) -> list[dict[str, object]]:
    path = sample_dir / "pois_lujiazui.geojson.gz"
    pois = gpd.read_file(f"/vsigzip/{path}")
    hotels = pois[(pois["kind"] == "hotel") & pois["name"].notna()].sort_values("osm_id")
    return [
        {
            "id": f"sim-quarantine-{h.osm_id}",
            "kind": "quarantine_site",
            "name": h.name,
            "geometry": h.geometry,
        }
        for h in hotels.head(QUARANTINE_SITES).itertuples()
    ]


def _compound_stations(conn: Connection) -> list[dict[str, object]]:
    """A gate per named compound (OSM's own when one lies in it), and the stations behind it."""
    found = conn.execute(
        text("""
        WITH c AS (
            SELECT id, name, geom, ST_PointOnSurface(geom) AS inner_point FROM compounds
            WHERE name IS NOT NULL ORDER BY id LIMIT :n
        ), g AS (
            SELECT c.id, c.name, c.inner_point, c.geom,
                   (SELECT p.geom FROM places p WHERE p.kind = 'compound_gate' AND p.compound_id = c.id
                      AND p.source <> 'simulated'
                    ORDER BY p.id LIMIT 1) AS osm_gate,
                   (SELECT ST_ClosestPoint(ST_Boundary(c.geom), r.geom) FROM basemap_features r
                    WHERE r.layer = 'roads' ORDER BY r.geom <-> c.geom LIMIT 1) AS road_gate
            FROM c
        )
        SELECT id, name, ST_X(gate) AS gx, ST_Y(gate) AS gy, osm_gate IS NOT NULL AS from_osm,
               ST_X(inner_point) AS ix, ST_Y(inner_point) AS iy, ST_AsBinary(geom) AS wkb
        FROM (SELECT g.*, coalesce(g.osm_gate, g.road_gate,
                                   ST_PointN(ST_ExteriorRing(ST_GeometryN(g.geom, 1)), 1)) AS gate FROM g) x
        ORDER BY id
    """),
        {"n": PATH_COMPOUNDS},
    ).all()
    rows: list[dict[str, object]] = []
    for r in found:
        area = _shape(r.wkb)
        gate = np.array([r.gx, r.gy])
        inner = np.array([r.ix, r.iy])
        if not r.from_osm:
            # Two per cent of the way in, so that the gate lies inside the outline it was cut from.
            nudged = Point(*(gate + 0.02 * (inner - gate)))
            if not area.covers(nudged):
                continue
            rows.append(
                {
                    "id": f"sim-gate-{r.id}",
                    "kind": "compound_gate",
                    "name": f"{r.name}大门",
                    "geometry": nudged,
                }
            )
        for kind, label, share in STATIONS:
            point = Point(*(gate + share * (inner - gate)))
            if area.covers(point):
                rows.append(
                    {"id": f"sim-{kind}-{r.id}", "kind": kind, "name": f"{r.name}{label}", "geometry": point}
                )
    return rows


def _shape(wkb: bytes) -> BaseGeometry:
    import shapely

    return shapely.from_wkb(bytes(wkb))


def _places(conn: Connection, kinds: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        conn.execute(
            text(
                "SELECT id, kind, name, compound_id, source_id FROM places "
                "WHERE kind = ANY(CAST(:k AS text[])) "
                "AND (kind <> 'compound_gate' OR compound_id IS NOT NULL) ORDER BY id"
            ),
            {"k": list(kinds)},
        ).all(),
        columns=["id", "kind", "name", "compound_id", "source_id"],
    )


def transfers_frame(conn: Connection, *, seed: int, deadline_hours: float) -> pd.DataFrame:
    """Inbound loops, returnees and hospital transfers up to the demo clock (see the module doc)."""
    clock = demo_clock(conn)
    places = _places(conn, ("airport", "railway_station", "quarantine_site", "hospital", "compound_gate"))
    airport, station = _one(places, PUDONG_AIRPORT), _one(places, HONGQIAO_STATION)
    hotels = places[places["kind"] == "quarantine_site"]["id"].astype(str).tolist()
    gates = places[places["kind"] == "compound_gate"]["id"].astype(str).tolist()
    hospitals = places[places["kind"] == "hospital"]["id"].astype(str).tolist()
    if clock is None or airport is None or station is None or not hotels or not gates:
        return pd.DataFrame()
    rows: list[dict[str, object]] = []
    for n in range(1, INBOUND + 1):
        rng = rng_for(seed, "inbound", n)
        chain, heads = f"SIM-IN-{n:03d}", int(rng.integers(1, 5))
        hotel, home = hotels[int(rng.integers(len(hotels)))], gates[int(rng.integers(len(gates)))]
        released = _hours_before(clock, rng, 0.5, DAYS * 24)
        landed = _hours_before(released, rng, QUARANTINE_DAYS * 24 - 6, QUARANTINE_DAYS * 24 + 6)
        rows.append(_leg(chain, airport, hotel, landed, landed + _minutes(rng, 50, 110), heads, rng))
        if chain == GAP_CHAIN and len(hotels) > 1:  # the deliberate gap
            hotel = hotels[(hotels.index(hotel) + 1) % len(hotels)]
        rows.append(_leg(chain, hotel, home, released, released + _minutes(rng, 25, 70), heads, rng))
    for n in range(1, RETURNEES + 1):
        rng, chain = rng_for(seed, "returnee", n), f"SIM-RT-{n:03d}"
        departed = clock if chain == CLOCK_CHAIN else _hours_before(clock, rng, 1, DAYS * 24)
        home = gates[int(rng.integers(len(gates)))]
        rows.append(
            _leg(
                chain,
                station,
                home,
                departed,
                departed + _minutes(rng, 40, 90),
                int(rng.integers(1, 4)),
                rng,
            )
        )
    for n in range(1, min(HOSPITAL, len(hospitals) * HOSPITAL) + 1):
        rng = rng_for(seed, "hospital", n)
        departed = _hours_before(clock, rng, 1, DAYS * 24)
        origin, hospital = gates[int(rng.integers(len(gates)))], hospitals[int(rng.integers(len(hospitals)))]
        rows.append(
            _leg(f"SIM-HS-{n:03d}", origin, hospital, departed, departed + _minutes(rng, 20, 45), 1, rng)
        )
    _open_ends(rows, clock, seed=seed, deadline_hours=deadline_hours)
    return pd.DataFrame(rows)


def _leg(
    chain: str,
    origin: str,
    to: str,
    departed: dt.datetime,
    arrived: dt.datetime,
    heads: int,
    rng: np.random.Generator,
) -> dict[str, object]:
    return {
        "chain_id": chain,
        "from_place": origin,
        "to_place": to,
        "planned_at": departed - dt.timedelta(minutes=int(rng.integers(10, 60))),
        "departed_at": departed,
        "arrived_at": arrived,
        "head_count": heads,
        "vehicle": f"转运专车{int(rng.integers(1, 40)):02d}",
        "status": None,
    }


def _minutes(rng: np.random.Generator, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(minutes=int(rng.integers(low, high)))


def _open_ends(
    rows: list[dict[str, object]], clock: dt.datetime, *, seed: int, deadline_hours: float
) -> None:
    """Legs not handed over by the clock: recent ones in transit, ``OVERDUE`` late, one cancelled."""
    for row in rows:
        if row["arrived_at"] > clock:  # type: ignore[operator]
            row["arrived_at"] = None
    rng = rng_for(seed, "overdue")
    # The last leg of each chain may stay open (nothing follows it); not the gap's, not the clock's.
    last = {str(r["chain_id"]): r for r in rows}
    candidates = [r for chain, r in last.items() if chain.startswith(("SIM-RT", "SIM-IN"))]
    candidates = [r for r in candidates if r["chain_id"] not in (GAP_CHAIN, CLOCK_CHAIN)]
    late = [candidates[i] for i in rng.choice(len(candidates), size=OVERDUE + 2, replace=False)]
    for k, row in enumerate(late):
        if k == OVERDUE + 1:
            row.update(status="cancelled", departed_at=None, arrived_at=None, vehicle=None)
            continue
        departed = _hours_before(clock, rng, deadline_hours + 1.5, deadline_hours + 9)
        row.update(planned_at=departed - dt.timedelta(minutes=30), departed_at=departed, arrived_at=None)
        if k == OVERDUE:  # due, never left
            row.update(departed_at=None, vehicle=None)


def _one(places: pd.DataFrame, spec: tuple[str, str, str, float, float]) -> str | None:
    """The id of the simulated place ``spec`` (else the first loaded place of its kind)."""
    found = places[places["source_id"] == spec[0]]
    if found.empty:
        found = places[places["kind"] == spec[1]]
    return None if found.empty else str(found["id"].iloc[0])


def _hours_before(clock: dt.datetime, rng: np.random.Generator, low: float, high: float) -> dt.datetime:
    """A whole minute between ``low`` and ``high`` hours before the clock."""
    return clock - dt.timedelta(minutes=int(rng.integers(round(low * 60), round(high * 60))))


def gate_events_frame(conn: Connection, *, seed: int) -> pd.DataFrame:
    """Hourly counts per compound gate over ``DAYS`` days before the demo clock (see the module doc)."""
    clock = demo_clock(conn)
    gates = _places(conn, ("compound_gate",))
    if clock is None or gates.empty:
        return pd.DataFrame()
    arrivals = _returnee_arrivals(conn)
    hours = [clock - dt.timedelta(hours=h) for h in range(DAYS * 24, 0, -1)]
    rows: list[dict[str, object]] = []
    for gate in gates["id"]:
        rng = rng_for(seed, "gate events", int(gate))
        size = float(rng.uniform(0.6, 1.6))
        for hour in hours:
            local = hour.astimezone(CHINA_TZ).hour
            registration = int(rng.poisson(_DAY[local] * size))
            checks = registration + int(rng.poisson(_DAY[local] * 2.5 * size))
            counts = {
                "registration": registration,
                "temperature_check": checks,
                "abnormal_temperature": int(rng.binomial(checks, 0.003)),
                "delivery": int(rng.poisson(_DELIVERY[local] * size)),
                "returnee_arrival": arrivals.get((int(gate), hour), 0),
            }
            rows += [
                {"gate": str(gate), "hour": hour, "kind": kind, "count": n} for kind, n in counts.items() if n
            ]
    return pd.DataFrame(rows)


def _returnee_arrivals(conn: Connection) -> dict[tuple[int, dt.datetime], int]:
    """Head counts of the returnee legs handed over per (gate, hour): the gate counts agree with them."""
    found = conn.execute(
        text("""
        SELECT to_place_id, date_trunc('hour', arrived_at) AS hour, sum(head_count)::int
        FROM transfers WHERE chain_id LIKE 'SIM-RT-%' AND arrived_at IS NOT NULL GROUP BY 1, 2
    """)
    ).all()
    return {(int(gate), hour): n for gate, hour, n in found}
