"""Overview benchmark: low-zoom house-status tiles, KPIs and 20 walls, live path against the
precomputed overviews (``geo.status.overview``), in the same run on the same database.

``python -m bench.overview [--buildings N] [--seed S] [--database URL] [--keep]`` makes a scratch
database beside the one ``--database`` names (postgis, the battlemap schema) and writes a synthetic
city into it with SQL (``build_city``): N buildings on a lattice over Pudong, 36 sub-districts of
one district, a grid per ~300 buildings, two households a building (5 % elderly living alone), a
status stretch for 15 % of the households over 30 days (half open-ended) and a sealed fortnight
for 1 % of the buildings. The triggers mark every building pending; the initial settle is timed.

``measure(engine_url, ...)`` (also what ``bench.city`` calls, on any battlemap database) then
times, cold in the sense that no tile or KPI cache is in front (PostGIS's buffers are warm for
both paths, the live one first):

- each house-status tile at z10-z12 (sub-districts) and z13-z14 (grids) around the city's centre:
  the live SQL over buildings (``geo.tiles.live_area_status_sql``) and ``house_status_tile``;
- the KPIs of the city, of its largest district, sub-district and grid: ``live_kpis`` and ``kpis``;
- 20 walls of one scope refreshing their KPIs at once (20 threads, a pool of 20): before, each
  computes live (a burst of misses, as the per-version cache alone gave); after, through
  ``PageContext.kpis`` (the overview, and one computation shared by the 20).

Printed with the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence

from bench.etl import base_url, create_scratch, drop_scratch, scratch_url

FIRST_DAY = dt.date(2022, 4, 1)
DAYS = 30
AREA = (121.45, 31.10, 121.75, 31.35)
SUBDISTRICT_SIDE = 6
PER_GRID = 300
WALLS = 20


def build_city(url: str, *, buildings: int, seed: int = 20220401) -> dict[str, float]:
    """Write the synthetic city into the (empty) battlemap database ``url``; returns seconds per step."""
    from sqlalchemy import create_engine, text

    from geo.status.overview import settle

    side = math.ceil(math.sqrt(buildings))
    gside = max(1, math.ceil(math.sqrt(buildings / PER_GRID)))
    west, south, east, north = AREA
    dx, dy = (east - west) / side, (north - south) / side
    params = {
        "n": buildings, "side": side, "gside": gside, "ss": SUBDISTRICT_SIDE, "w": west, "s": south,
        "dx": dx, "dy": dy, "gw": (east - west) / gside, "gh": (north - south) / gside,
        "sw": (east - west) / SUBDISTRICT_SIDE, "sh": (north - south) / SUBDISTRICT_SIDE,
        "fw": dx * 0.6, "fh": dy * 0.6, "first": FIRST_DAY, "days": DAYS, "seed": (seed % 1000) / 1000,
    }  # fmt: skip
    rect = "ST_Multi(ST_MakeEnvelope({x}, {y}, {x} + {w}, {y} + {h}, 4326))"
    steps = {
        "units": f"""
            SELECT setseed(:seed);
            INSERT INTO admin_units (id, code, name, level, source, source_id, geom)
            VALUES (1, 'd1', 'District', 'district', 'bench', 'd1',
                    {rect.format(x=":w", y=":s", w=":dx * :side", h=":dy * :side")});
            INSERT INTO admin_units (id, code, name, level, parent_id, source, source_id, geom)
            SELECT 100 + i, 's' || i, 'Sub-district ' || i, 'subdistrict', 1, 'bench', 's' || i,
                   {rect.format(x=":w + (i % :ss) * :sw", y=":s + (i / :ss) * :sh", w=":sw", h=":sh")}
            FROM generate_series(0, :ss * :ss - 1) i;
            INSERT INTO grids (id, code, name, source, source_id, geom)
            SELECT 1 + i, 'g' || i, 'Grid ' || i, 'bench', 'g' || i,
                   {rect.format(x=":w + (i % :gside) * :gw", y=":s + (i / :gside) * :gh", w=":gw", h=":gh")}
            FROM generate_series(0, :gside * :gside - 1) i""",
        "buildings": f"""
            INSERT INTO buildings (id, source, source_id, district_id, subdistrict_id, grid_id, geom)
            SELECT k + 1, 'bench', 'b' || k, 1,
                   100 + floor((k % :side) * :dx / :sw)::int + floor((k / :side) * :dy / :sh)::int * :ss,
                   1 + floor((k % :side) * :dx / :gw)::int + floor((k / :side) * :dy / :gh)::int * :gside,
                   {rect.format(x=":w + (k % :side) * :dx", y=":s + (k / :side) * :dy", w=":fw", h=":fh")}
            FROM generate_series(0, :n - 1) k""",
        "households": """
            INSERT INTO households (id, building_id, source, source_id, elderly_alone)
            SELECT k, (k + 1) / 2, 'bench', 'h' || k, random() < 0.05 FROM generate_series(1, 2 * :n) k""",
        "statuses": """
            INSERT INTO house_status
                (household_id, status, valid_from, valid_to, declared_to, source, source_id)
            SELECT id, (ARRAY['confirmed','asymptomatic','close_contact','secondary_contact','home_isolation',
                              'health_monitoring','returnee','inbound'])[1 + floor(random() * 8)::int],
                   f, t, t, 'bench', 'hs' || id
            FROM (SELECT id, :first + floor(random() * :days)::int AS f,
                         CASE WHEN random() < 0.5 THEN NULL ELSE 1 + floor(random() * 14)::int END AS len
                  FROM households WHERE random() < 0.15) x
            CROSS JOIN LATERAL (SELECT f + len AS t) e;
            INSERT INTO house_status
                (building_id, status, valid_from, valid_to, declared_to, source, source_id)
            SELECT id, 'sealed', f, f + 14, f + 14, 'bench', 'bs' || id
            FROM (SELECT id, :first + floor(random() * :days)::int AS f
                  FROM buildings WHERE random() < 0.01) x;
            ANALYZE""",
    }
    seconds: dict[str, float] = {}
    engine = create_engine(url)
    try:
        for name, sql in steps.items():
            started = time.perf_counter()
            with engine.begin() as conn:
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(text(statement), params)
            seconds[name] = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as conn:
            settle(conn)
        seconds["settle (initial build)"] = time.perf_counter() - started
        # What autovacuum does after any large load: the initial settle emptied the pending list of
        # every building, and until its dead rows are gone each reader's "anything pending?" scans them.
        started = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(
                text("VACUUM ANALYZE status_overview_pending, status_overview, status_overview_parts")
            )
        seconds["vacuum"] = time.perf_counter() - started
    finally:
        engine.dispose()
    return seconds


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"n": len(ordered), "p50_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure(engine_url: str, *, date: dt.date | None = None, walls: int = WALLS, tiles: int = 6) -> dict:
    """Live path against the overview on the battlemap database ``engine_url`` (which must hold a
    city): low-zoom tile, KPI and wall timings, as a JSON-ready dict (milliseconds)."""
    from sqlalchemy import create_engine, text

    from geo.scope import UNRESTRICTED, Scope
    from geo.status.kpis import live_kpis
    from geo.status.overview import settle
    from geo.status.read import status_dates
    from geo.status.rule import status_params
    from geo.tiles import TileAddress, house_status_tile, live_area_status_sql, render_tile

    engine = create_engine(engine_url, pool_size=walls, max_overflow=0)
    out: dict = {"loadavg": os.getloadavg()}
    try:
        with engine.begin() as conn:
            out["settle_s"] = _timed(lambda: settle(conn))
            date = date or (status_dates(conn) or (dt.date.today(),) * 2)[1]
            west, south, east, north = conn.execute(
                text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                     "(SELECT ST_Extent(geom) AS e FROM buildings) x")
            ).one()  # fmt: skip
            largest = "(SELECT {c} FROM buildings GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)"
            district, sub, grid = conn.execute(
                text(
                    "SELECT "
                    + ", ".join(largest.format(c=c) for c in ("district_id", "subdistrict_id", "grid_id"))
                )
            ).one()
        out["date"] = date.isoformat()
        centre = ((west + east) / 2, (south + north) / 2)
        tiles_out: dict[str, dict] = {}
        for band, zooms in (("z10-12", (10, 11, 12)), ("z13-14", (13, 14))):
            addrs = [a for z in zooms for a in _tiles_around(TileAddress, centre, z, tiles)]
            live, over = [], []
            with engine.begin() as conn:
                for addr in addrs:
                    params = addr.params | status_params(date)
                    live.append(
                        _timed(lambda a=addr, p=params: render_tile(conn, live_area_status_sql(a), p))
                    )
                    over.append(_timed(lambda a=addr: house_status_tile(conn, a, date=date)))
            tiles_out[band] = {"live": _percentiles(live), "overview": _percentiles(over)}
        out["tiles"] = tiles_out
        scopes = {
            "city": UNRESTRICTED,
            "district": Scope(unit_ids=frozenset({int(district)}), restricted=True) if district else None,
            "subdistrict": Scope(unit_ids=frozenset({int(sub)}), restricted=True) if sub else None,
            "grid": Scope(grid_ids=frozenset({int(grid)}), restricted=True) if grid else None,
        }
        kpi_out: dict[str, dict] = {}
        with engine.begin() as conn:
            for name, scope in scopes.items():
                if scope is None:
                    continue
                if name == "district":  # a district's scope holds its sub-districts (geo.scope.load_scope)
                    subs = conn.execute(
                        text("SELECT id FROM admin_units WHERE parent_id = :d"), {"d": district}
                    )
                    scope = Scope(unit_ids=frozenset({int(district), *(int(i) for i in subs.scalars())}),
                                  restricted=True)  # fmt: skip
                kpi_out[name] = _kpi_timings(conn, date, scope)
        out["kpis"] = kpi_out
        out["walls"] = {
            "live": _walls(engine, walls, lambda conn: live_kpis(conn, date=date)),
            "overview": _walls_shared(engine_url, engine, walls, date),
        }
    finally:
        engine.dispose()
    return out


def _kpi_timings(conn: object, date: dt.date, scope: object) -> dict[str, object]:
    from geo.status.kpis import kpis, live_kpis

    started = time.perf_counter()
    live = live_kpis(conn, date=date, scope=scope)  # type: ignore[arg-type]
    live_s = time.perf_counter() - started
    started = time.perf_counter()
    over = kpis(conn, date=date, scope=scope)  # type: ignore[arg-type]
    over_s = time.perf_counter() - started
    return {"live_ms": live_s * 1000, "overview_ms": over_s * 1000, "equal": live == over}


def _tiles_around(tile_address: type, centre: tuple[float, float], z: int, count: int) -> list:
    n = 2**z
    lon, lat = centre
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    ring = [(x + i, y + j) for i in (0, -1, 1) for j in (0, -1, 1)]
    return [tile_address(z, tx, ty) for tx, ty in ring[:count] if 0 <= tx < n and 0 <= ty < n]


def _walls(engine: object, walls: int, work: Callable) -> dict[str, float]:
    """``walls`` threads starting ``work`` at once; per-wall latency and the burst's wall time."""
    start, latencies = threading.Barrier(walls), []

    def wall() -> None:
        start.wait(timeout=60)
        started = time.perf_counter()
        with engine.connect() as conn:  # type: ignore[attr-defined]
            work(conn)
        latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    threads = [threading.Thread(target=wall) for _ in range(walls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return _percentiles(latencies) | {"burst_s": time.perf_counter() - began}


def _walls_shared(url: str, engine: object, walls: int, date: dt.date) -> dict[str, float]:
    from dashboards._context import PageContext
    from geo.scope import UNRESTRICTED
    from geo.settings import Settings

    context = PageContext(Settings(_env_file=None, database={"url": url}), engine)  # type: ignore[arg-type]
    return _walls(engine, walls, lambda conn: context.kpis(conn, date=date, scope=UNRESTRICTED))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overview", description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20220401)
    parser.add_argument("--database", default=None, help="the server to use (default DATABASE_URL)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    url = scratch_url(base_url(args.database), f"battlemap_bench_overview_{os.getpid()}")
    create_scratch(url)
    try:
        print(f"building a city of {args.buildings:,} buildings (load average {os.getloadavg()})", flush=True)
        built = build_city(url, buildings=args.buildings, seed=args.seed)
        print(json.dumps({"build_s": built}, indent=1), flush=True)
        print(json.dumps(measure(url), indent=1, default=str), flush=True)
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            drop_scratch(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
