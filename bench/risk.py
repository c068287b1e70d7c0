"""Risk-area benchmark: zones and counts for one case, rings and counts for 1,000 cases, on 1M buildings.

``python -m bench.risk [--rows N] [--seed S] [--database URL] [--keep] [--repeat R]`` fills a scratch
database (beside the one ``--database`` names) with the N seeded footprints of ``bench.etl`` (over
Pudong, about 1,300 a km²) and one household per building, then times, in the same run:

1. ``declare_risk_area`` for one new case (sealed, control 500 m, prevention 2 km; counts), against
   the straightforward geopandas way: read the buildings around, project to UTM, buffer, ``sjoin``;
2. ``geo.risk.rings.ring_counts`` (500 m, 1 km, 3 km) for 1,000 case points, and the polygon way it
   replaces (``risk_rings`` + ``affected``: ring polygons intersected in PostGIS), against geopandas:
   read the buildings under the rings' extent, UTM buffers, ``sjoin``, innermost ring per building.

The targets are 200 ms and 5 s; every figure is a median of ``--repeat`` runs (default 3), the
first (cold) run reported apart. Both ways must agree on the number of buildings per zone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, create_engine, text

from bench.etl import (
    AREA,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    OUT,
    base_url,
    create_scratch,
    drop_scratch,
    ogr_connection,
    scratch_url,
    write_buildings,
)
from etl.staging import curve_key, label_point
from geo.crs import SHANGHAI_UTM
from geo.risk.rings import ring_counts
from geo.risk.rules import default_rules
from geo.risk.zones import declare_risk_area
from layers.notebook import affected, risk_rings

DAY = dt.date(2022, 4, 10)
RADII = (500.0, 1000.0, 3000.0)
TARGET_ONE_S = 0.200
TARGET_RINGS_S = 5.0


def fill(url: str, *, rows: int, seed: int, order: str = "spatial") -> None:
    """The footprints (ogr2ogr into a plain table, then into ``buildings``) and one household each.

    ``order="spatial"`` (the default) writes them along the curve ``battlemap load buildings``
    writes new buildings in (``etl.staging.curve_key``: the GeoHash of the label point), so the
    table is laid out as a load leaves it: neighbours share pages and nearby ids, so their
    households do too. ``"random"`` loads them as generated, scattered over the whole table (the
    worst case for every spatial query, each building read a page read: a table filled by some
    other writer, or by loads before the spatial order).
    """
    if order not in ("random", "spatial"):
        raise ValueError(f"`order` was {order!r} but is expected to be 'random' or 'spatial'")
    gpkg = OUT / f"buildings_{rows}_{seed}.gpkg"
    if not gpkg.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        write_buildings(gpkg, rows=rows, seed=seed)
    target, env = ogr_connection(url)
    subprocess.run(
        ["ogr2ogr", "-f", "PostgreSQL", target, str(gpkg), "buildings", "-nln", "raw_buildings",
         "-lco", "GEOMETRY_NAME=geom", "-lco", "FID=fid", "-lco", "SPATIAL_INDEX=NONE",
         "-nlt", "MULTIPOLYGON", "-overwrite"],
        check=True, env={**os.environ, **env},
    )  # fmt: skip
    engine = create_engine(url)
    with engine.begin() as conn:
        sort = f"ORDER BY {curve_key(label_point('ST_Multi(geom)'))}" if order == "spatial" else ""
        conn.execute(
            text(f"""
            INSERT INTO buildings (name, geom, source, source_id)
            SELECT name, ST_Multi(geom), 'bench', 'b' || fid FROM raw_buildings {sort}
        """)
        )
        conn.execute(text("DROP TABLE raw_buildings"))
        conn.execute(
            text("""
            INSERT INTO households (building_id, unit_label, size, elderly_alone, source, source_id)
            SELECT id, '1-01', 2, id % 17 = 0, 'bench', 'h' || id FROM buildings ORDER BY id
        """)
        )
        conn.execute(
            text("""
            INSERT INTO house_status (household_id, status, valid_from, valid_to, source, source_id)
            SELECT id, 'home_isolation', DATE '2022-04-01', DATE '2022-04-20', 'bench', 's' || id
            FROM households WHERE id % 50 = 0
        """)
        )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(cold seconds, median of the warm runs, last result)."""
    started = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        warm.append(time.perf_counter() - started)
    return cold, statistics.median(warm), result


def gpd_one_case(engine: Engine, lon: float, lat: float) -> dict[str, int]:
    """The straightforward way: buildings of the 2 km box, UTM buffers, sjoin, strictest zone."""
    deg = 2000 / 100_000
    buildings = gpd.read_postgis(
        text("SELECT id, geom FROM buildings WHERE geom && ST_MakeEnvelope(:a, :b, :c, :d, 4326)"),
        engine,
        geom_col="geom",
        params={"a": lon - deg * 1.2, "b": lat - deg, "c": lon + deg * 1.2, "d": lat + deg},
    ).to_crs(SHANGHAI_UTM)
    case = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs(SHANGHAI_UTM).iloc[0]
    sealed = (
        buildings[buildings.distance(case) <= 30].nsmallest(1, columns="id") if len(buildings) else buildings
    )
    zones = gpd.GeoDataFrame(
        {"rank": [2, 3]},
        geometry=[case.buffer(500, quad_segs=32), case.buffer(2000, quad_segs=32)],
        crs=SHANGHAI_UTM,
    )
    joined = gpd.sjoin(buildings, zones, predicate="intersects").groupby("id")["rank"].min()
    joined[joined.index.isin(sealed["id"])] = 1
    households = pd.read_sql(
        text("SELECT building_id, count(*) AS n FROM households WHERE building_id = ANY(:ids) GROUP BY 1"),
        engine,
        params={"ids": joined.index.tolist()},
    ).set_index("building_id")["n"]
    counts = (
        joined.to_frame()
        .join(households)
        .fillna(0)
        .groupby("rank")
        .agg(buildings=("n", "size"), households=("n", "sum"))
    )
    return {int(k): int(v) for k, v in counts["buildings"].items()}


def gpd_rings(engine: Engine, points: np.ndarray) -> dict[int, int]:
    """The straightforward way for many points: read under the extent, UTM buffers, sjoin, innermost ring."""
    pts = gpd.GeoSeries(shapely.points(points), crs="EPSG:4326").to_crs(SHANGHAI_UTM)
    rings = gpd.GeoDataFrame(
        {"rank": np.repeat(np.arange(1, len(RADII) + 1), len(pts))},
        geometry=np.concatenate([pts.buffer(r, quad_segs=32).to_numpy() for r in RADII]),
        crs=SHANGHAI_UTM,
    )
    minx, miny, maxx, maxy = rings.to_crs("EPSG:4326").total_bounds
    buildings = gpd.read_postgis(
        text("SELECT id, geom FROM buildings WHERE geom && ST_MakeEnvelope(:a, :b, :c, :d, 4326)"),
        engine,
        geom_col="geom",
        params={"a": minx, "b": miny, "c": maxx, "d": maxy},
    ).to_crs(SHANGHAI_UTM)
    joined = gpd.sjoin(buildings, rings, predicate="intersects").groupby("id")["rank"].min()
    return {int(k): int(v) for k, v in joined.value_counts().sort_index().items()}


def _load() -> str:
    """The 1, 5 and 15 minute load averages (and the CPUs), so figures can be read against them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.risk", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="footprints (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--points", type=int, default=1000, help="case points for the rings (default 1,000)")
    parser.add_argument("--database", help="URL of the database beside which the scratch one is made")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", help="URL of an already filled scratch database (skips filling)")
    parser.add_argument(
        "--order",
        choices=("random", "spatial"),
        default="spatial",
        help="load order of the footprints (default spatial, as `battlemap load` writes them; "
        "random: the worst case; see fill)",
    )
    args = parser.parse_args(argv)

    suffix = "" if args.order == "spatial" else f"_{args.order}"
    url = args.reuse or scratch_url(base_url(args.database), f"battlemap_bench_risk_{args.rows}{suffix}")
    if not args.reuse:
        create_scratch(url)
        started = time.perf_counter()
        fill(url, rows=args.rows, seed=args.seed, order=args.order)
        print(f"filled {args.rows:,} buildings and households in {time.perf_counter() - started:.1f}s")
    print(f"load average {_load()} at the start")
    engine = create_engine(url, pool_size=2)
    try:
        rng = np.random.default_rng(args.seed)
        lon, lat = (AREA[0] + AREA[2]) / 2, (AREA[1] + AREA[3]) / 2
        rules = default_rules()

        def ours_one() -> dict[str, int]:
            with engine.connect() as conn:
                area = declare_risk_area(conn, [(lon, lat)], rules=rules, date=DAY, geometry=False)
            return {z: c.buildings for z, c in area.counts.items()}

        def ours_one_geojson() -> dict[str, int]:
            with engine.connect() as conn:
                area = declare_risk_area(conn, [(lon, lat)], rules=rules, date=DAY)
                area.to_geojson()
            return {z: c.buildings for z, c in area.counts.items()}

        span = np.array([AREA[2] - AREA[0], AREA[3] - AREA[1]]) * 0.6
        centre = np.array([lon, lat])
        points = centre - span / 2 + rng.random((args.points, 2)) * span

        def ours_rings() -> dict[str, int]:
            with engine.connect() as conn:
                return ring_counts(conn, points, RADII, date=DAY).buildings()

        def polygon_rings() -> dict[str, int]:
            rings = risk_rings(points, radii_m=RADII)
            with engine.connect() as conn:
                return affected(conn, rings, date=DAY)["buildings"].to_dict()

        rows = []
        for name, fn, target in (
            ("one case: zones + counts (battlemap)", ours_one, TARGET_ONE_S),
            ("one case: + zone GeoJSON (battlemap)", ours_one_geojson, None),
            ("one case: geopandas UTM buffer + sjoin", lambda: gpd_one_case(engine, lon, lat), None),
            (f"{args.points:,} cases: rings + counts (battlemap)", ours_rings, TARGET_RINGS_S),
            (f"{args.points:,} cases: ring polygons + affected", polygon_rings, None),
            (
                f"{args.points:,} cases: geopandas UTM buffers + sjoin",
                lambda: gpd_rings(engine, points),
                None,
            ),
        ):
            cold, warm, result = timed(fn, args.repeat)
            rows.append((name, cold, warm, target, result))
            verdict = "" if target is None else ("  OK" if warm < target else f"  SLOWER than {target:g}s")
            print(
                f"{name:52} cold {cold:8.3f}s  median {warm:8.3f}s{verdict}  {result}  (load {_load()})",
                flush=True,
            )
        print(f"\nspeed-up one case: {rows[2][2] / rows[0][2]:.1f}x; rings: {rows[5][2] / rows[3][2]:.1f}x")
        print(f"load average {_load()} at the end (the machine may be shared: compare rows of one run)")
    finally:
        engine.dispose()
        if not args.keep and not args.reuse:
            drop_scratch(url)


if __name__ == "__main__":
    main()
