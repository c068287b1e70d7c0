"""Vector-tile benchmark: battlemap's ``/tiles/buildings`` against tipg on the same PostGIS table.

``python -m bench.tiles [--rows N] [--seed S] [--database URL] [--keep] [--concurrency C]``
fills the ``buildings`` table of a scratch database (beside the one ``--database`` names) with
N seeded footprints from ``bench.etl.footprints`` (default 1,000,000 over Pudong, COPY, then
the GiST index and label points) plus the 500 m grid lattice of ``bench.etl``, starts both
servers as processes of their own (battlemap under waitress, tipg under uvicorn, each with 4
threads/1 worker), and fetches a fixed list of z13-z17 tiles around the densest point, twice:
cold (servers just started: nothing cached in either process) and warm (the same list again:
battlemap answers from its in-process cache, tipg asks PostGIS again; PostGIS's own buffers
are warm for both). It prints tiles/s and p50/p95 latency per server, pass and zoom. With
``--demo-database URL`` (a database holding ``battlemap demo load``) it first times the
house-status page in headless Chromium, from navigation to the map fully drawn (target: 2 s).

The two servers do not draw the same thing below building zoom: battlemap sends one aggregate
per grid at z13-z14 (``geo.tiles``), tipg sends footprints (up to its 10,000-feature limit),
so the z13-z14 figures compare the two designs, not the two SQL engines; z15-z17 carry the same
footprints. tipg is asked for ``properties=id`` only, battlemap sends its usual ids. tipg runs from
a virtual environment of its own under bench/out/ (made on first use with pip).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

from bench.etl import AREA, DEFAULT_SEED, base_url, create_scratch, drop_scratch, footprints, scratch_url, sql

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
DEFAULT_ROWS = 1_000_000
CENTRE = ((AREA[0] + AREA[2]) / 2, (AREA[1] + AREA[3]) / 2)
ZOOMS = (13, 14, 15, 16, 17)
SIDE = 3  # a SIDE x SIDE block of tiles per zoom around the centre
BLOCK = 100_000
BATTLEMAP = Path(sys.executable).with_name("battlemap")


def load_buildings(url: str, *, rows: int, seed: int) -> float:
    """COPY ``rows`` footprints into ``buildings`` (indexes dropped and rebuilt); returns seconds."""
    import psycopg
    import shapely

    started = time.perf_counter()
    u = make_url(url)
    host, port, user = u.host or "127.0.0.1", u.port or 5432, u.username or "postgres"
    dsn = f"host={host} port={port} dbname={u.database} user={user}"
    rng = np.random.default_rng(seed)
    with psycopg.connect(dsn, password=u.password, autocommit=True) as conn:
        conn.execute("TRUNCATE buildings CASCADE")
        with conn.cursor().copy("COPY buildings (source, source_id, geom) FROM STDIN") as copy:
            for start in range(0, rows, BLOCK):
                n = min(BLOCK, rows - start)
                multi = shapely.set_srid(shapely.multipolygons(np.asarray(footprints(rng, n))[:, None]), 4326)
                wkb = shapely.to_wkb(multi, hex=True, include_srid=True)
                buffer = io.StringIO()
                for i, hexwkb in enumerate(wkb, start=start + 1):
                    buffer.write(f"bench\tb{i}\t{hexwkb}\n")
                copy.write(buffer.getvalue())
        conn.execute("ANALYZE buildings")
    return time.perf_counter() - started


def load_grids(url: str) -> int:
    """The 500 m grid lattice of bench.etl, and every building assigned to its grid."""
    from bench.etl import write_grids

    OUT.mkdir(exist_ok=True)
    path = OUT / "tiles_grids.geojson"
    write_grids(path)
    subprocess.run(
        [str(BATTLEMAP), "load", "grids", str(path)],
        check=True,
        cwd=REPO,
        env=os.environ | {"DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    return int(sql(url, "SELECT count(*) FROM grids") or 0)


def tile_list(zooms: Sequence[int] = ZOOMS) -> list[tuple[int, int, int]]:
    """A fixed SIDE x SIDE block of tiles per zoom of ``zooms`` around CENTRE."""
    tiles = []
    for z in zooms:
        n = 2**z
        x = int((CENTRE[0] + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(CENTRE[1]))) / math.pi) / 2 * n)
        half = SIDE // 2
        tiles += [(z, x + dx, y + dy) for dx in range(-half, half + 1) for dy in range(-half, half + 1)]
    return tiles


def tipg_python() -> Path:
    """The interpreter of a virtual environment of tipg's own (bench/out/tipg-venv, made on first use):
    tipg brings orjson, which changes how Dash encodes JSON, so it stays out of the app's environment."""
    venv = OUT / "tipg-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg>=1.0", "uvicorn>=0.30"], check=True)
    return python


def start(command: list[str], env: dict[str, str], health: str, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"{command[0]} did not answer at {health} within 120 s; see {log}")


def bench_user(database: str) -> tuple[str, str, str]:
    """(name, password, bearer token) of the commander ``bench`` in ``database``: created when
    missing, a new password and token on every run (every endpoint needs a sign-in)."""
    from sqlalchemy import create_engine, text

    from geo import auth
    from geo.settings import AuthSettings

    settings = AuthSettings(_env_file=None)
    name, password = "bench", auth.new_password()
    engine = create_engine(database)
    try:
        with engine.begin() as conn:
            if conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).scalar():
                auth.set_password(conn, name, password, settings=settings)
            else:
                auth.add_user(conn, name, role="commander", password=password, settings=settings)
            token = auth.issue_token(conn, name, settings=settings)
    finally:
        engine.dispose()
    return name, password, token


def fetch_all(
    urls: list[str], concurrency: int, token: str, *, failed: list[str] | None = None
) -> tuple[float, list[float], int]:
    """Seconds for all, per-tile latencies (s), and total bytes (each request with ``token``).
    With ``failed`` an HTTP error is no exception: its URL is appended there, its latency kept."""

    def one(url: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                body = response.read()
        except urllib.error.HTTPError:
            if failed is None:
                raise
            failed.append(url)
            body = b""
        return time.perf_counter() - t0, len(body)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, urls))
    return time.perf_counter() - t0, [r[0] for r in results], sum(r[1] for r in results)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(name: str, seconds: float, latencies: list[float], size: int) -> dict[str, object]:
    return {
        "server": name,
        "tiles": len(latencies),
        "tiles_per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(_p95(latencies) * 1000, 1),
        "mb": round(size / 1e6, 2),
    }


Server = tuple[list[str], dict[str, str], str, str]
"""(command, environment, health URL, tile URL template with {z} {x} {y}) of one tile server."""


def servers(
    url: str, *, ports: tuple[int, int] = (8871, 8872), layers: Sequence[str] = ("buildings",)
) -> dict[str, Server]:
    """battlemap (one entry per tile layer in ``layers``, each a server of its own so that each
    starts cold, at ``ports[0]`` + its index: a port just closed lingers in TIME_WAIT and
    ``battlemap serve`` refuses it) and tipg at ``ports[1]``, on the ``buildings`` table of ``url``."""
    env = os.environ | {"DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    plain_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    ours, theirs = ports
    found: dict[str, Server] = {}
    for index, layer in enumerate(layers):
        name, port = ("battlemap" if layer == "buildings" else f"battlemap {layer}"), ours + index
        found[name] = (
            [str(BATTLEMAP), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env | {"BATTLEMAP_THREADS": "4"},
            f"http://127.0.0.1:{port}/health",
            f"http://127.0.0.1:{port}/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf",
        )
    tipg = [
        str(tipg_python()),
        "-m",
        "uvicorn",
        "tipg.main:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(theirs),
    ]
    found["tipg"] = (
        [*tipg, "--workers", "1"],
        env
        | {
            "DATABASE_URL": plain_url,  # asyncpg: no +psycopg
            "TIPG_DB_TABLES": '["public.buildings"]',
            "TIPG_DB_SCHEMAS": '["public"]',
        },
        f"http://127.0.0.1:{theirs}/healthz",
        f"http://127.0.0.1:{theirs}/collections/public.buildings/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"
        "?geom-column=geom&properties=id",
    )
    return found


def timed_passes(
    server: Server,
    tiles: list[tuple[int, int, int]],
    concurrency: int,
    token: str,
    name: str,
    *,
    failed: list[str] | None = None,
) -> Iterator[tuple[str, tuple[float, list[float], int]]]:
    """Start ``server``, fetch ``tiles`` twice (``cold``: the process just started, then ``warm``),
    yield each pass's ``fetch_all`` figures, and stop the server (``failed``: see ``fetch_all``)."""
    command, env, health, template = server
    process = start(command, env, health, OUT / f"tiles_{name.replace(' ', '_')}.log")
    try:
        urls = [template.format(z=z, x=x, y=y) for z, x, y in tiles]
        for run in ("cold", "warm"):
            yield run, fetch_all(urls, concurrency, token, failed=failed)
    finally:
        process.terminate()
        process.wait(30)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", default=None, help="a PostGIS URL; the scratch database goes beside it")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (and reuse it)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--demo-database",
        default=None,
        help="a database with the Lujiazui demo: also time the house-status page",
    )
    args = parser.parse_args(argv)
    if args.demo_database:
        from bench.browser import page_draw_seconds

        print(json.dumps({"house_status_page_drawn_s": page_draw_seconds(args.demo_database)}), flush=True)

    url = scratch_url(base_url(args.database), f"battlemap_bench_tiles_{args.rows}")
    OUT.mkdir(exist_ok=True)
    create_scratch(url)
    have = int(sql(url, "SELECT count(*) FROM buildings") or 0)
    if have != args.rows:
        print(f"loading {args.rows:,} footprints…", flush=True)
        print(f"  {load_buildings(url, rows=args.rows, seed=args.seed):.1f} s")
        print(f"  {load_grids(url):,} grids", flush=True)
        # What autovacuum does after a load: hint bits set, dead rows of the grid assignment gone,
        # statistics fresh; else the first server measured would pay for that and the second not.
        sql(url, "VACUUM (ANALYZE) buildings")
    # Both servers start from the same state: table and indexes in the OS page cache.
    sql(url, "CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    for relation in ("buildings", "idx_buildings_geom", "pk_buildings"):
        sql(url, f"SELECT pg_prewarm('{relation}', 'read')")
    tiles = tile_list()
    *_, token = bench_user(url)
    results: list[dict[str, object]] = []
    try:
        for name, server in servers(url).items():
            for run, (seconds, latencies, size) in timed_passes(server, tiles, args.concurrency, token, name):
                row = summary(name, seconds, latencies, size) | {"pass": run}
                for z in ZOOMS:
                    zoomed = sorted(t for t, (tz, _, _) in zip(latencies, tiles, strict=True) if tz == z)
                    row[f"z{z}_p50_ms"] = round(statistics.median(zoomed) * 1000, 1)
                # The issue's latency goal: p95 under 100 ms over the building zooms z15-z17.
                building_zooms = [t for t, (tz, _, _) in zip(latencies, tiles, strict=True) if tz >= 15]
                row["z15_17_p95_ms"] = round(_p95(building_zooms) * 1000, 1)
                results.append(row)
                print(json.dumps(row, ensure_ascii=False), flush=True)
    finally:
        if not args.keep:
            drop_scratch(url)
    (OUT / "tiles.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=1))
    print(table(results))


def table(results: list[dict[str, object]]) -> str:
    columns = [
        "server",
        "pass",
        "tiles",
        "tiles_per_s",
        "p50_ms",
        "p95_ms",
        "mb",
        *(f"z{z}_p50_ms" for z in ZOOMS),
        "z15_17_p95_ms",
    ]
    lines = [" | ".join(columns), " | ".join("---" for _ in columns)]
    lines += [" | ".join(str(r.get(c, "")) for c in columns) for r in results]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
