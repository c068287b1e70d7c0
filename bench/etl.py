"""ETL benchmark: N synthetic Shanghai footprints loaded by ogr2ogr, geopandas and ``battlemap load``.

``python -m bench.etl [--rows N] [--seed S] [--database URL] [--keep] [--repeat R]`` writes N
seeded building footprints (rotated rectangles and L-shapes of 10-60 m over Pudong) to a
GeoPackage under bench/out/, creates a scratch database beside the one ``--database`` names
(postgis, the battlemap schema and a 500 m grid lattice, so grid assignment has work to do),
then loads the same file three ways, each as its own process so its peak RSS can be measured:

1. ``ogr2ogr -f PostgreSQL`` with ``PG_USE_COPY=YES`` and a GiST index (the baseline);
2. ``geopandas.read_file`` + ``GeoDataFrame.to_postgis(chunksize=...)``, GiST index after;
3. ``battlemap load buildings``: validation, CRS handling, upsert into the real ``buildings``
   table with all its indexes, and grid/compound/admin assignment.

It prints seconds, rows/s, peak RSS, the CPU seconds of the client process and of the Postgres
backends serving it (the machine is shared: CPU tells work from waiting), and each method's
speed relative to ogr2ogr (>1 is faster). With ``--repeat R`` every method runs R times, in a
rotated order each round, and the medians are reported. The scratch database is dropped at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"

DEFAULT_ROWS = 1_000_000
DEFAULT_SEED = 20220406
# Pudong, from the Huangpu to the coast: dense enough that every 500 m grid holds hundreds of buildings.
AREA = (121.45, 31.10, 121.75, 31.35)
GRID_M = 500.0
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians((AREA[1] + AREA[3]) / 2))
ROADS = (
    "张杨路", "世纪大道", "浦东南路", "东方路", "杨高路", "源深路", "崂山路", "潍坊路", "峨山路", "浦建路",
    "成山路", "德州路", "上南路", "锦绣路", "芳甸路", "张江路", "川沙路", "金桥路", "罗山路", "龙阳路",
)  # fmt: skip
METHODS = ("ogr2ogr", "geopandas", "battlemap")
LABELS = {
    "ogr2ogr": "ogr2ogr (PG_USE_COPY)",
    "geopandas": "geopandas to_postgis",
    "battlemap": "battlemap load buildings",
}
GEOPANDAS_CHUNK = 50_000


# --- the input


def footprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` footprints: rotated rectangles (75 %) and L-shapes (25 %) of 10-60 m a side."""
    import shapely

    lon = rng.uniform(AREA[0], AREA[2], n)
    lat = rng.uniform(AREA[1], AREA[3], n)
    hw = rng.uniform(10, 60, n) / 2
    hd = rng.uniform(10, 60, n) / 2
    angle = rng.uniform(0, np.pi, n)
    notch_w = 2 * hw * rng.uniform(0.3, 0.6, n)
    notch_d = 2 * hd * rng.uniform(0.3, 0.6, n)
    l_shaped = rng.random(n) < 0.25

    rect_x = np.stack([-hw, hw, hw, -hw, -hw], axis=1)
    rect_y = np.stack([-hd, -hd, hd, hd, -hd], axis=1)
    ell_x = np.stack([-hw, hw, hw, hw - notch_w, hw - notch_w, -hw, -hw], axis=1)
    ell_y = np.stack([-hd, -hd, hd - notch_d, hd - notch_d, hd, hd, -hd], axis=1)

    def polygons(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
        cos, sin = np.cos(angle[mask])[:, None], np.sin(angle[mask])[:, None]
        xs = lon[mask][:, None] + (x[mask] * cos - y[mask] * sin) / M_PER_DEG_LON
        ys = lat[mask][:, None] + (x[mask] * sin + y[mask] * cos) / M_PER_DEG_LAT
        return shapely.polygons(np.stack([xs, ys], axis=-1))

    out = np.empty(n, dtype=object)
    out[~l_shaped] = polygons(rect_x, rect_y, ~l_shaped)
    out[l_shaped] = polygons(ell_x, ell_y, l_shaped)
    return out


def write_buildings(path: Path, *, rows: int, seed: int, block: int = 250_000) -> None:
    """Write the footprints GeoPackage (layer ``buildings``: id, name, height), block by block."""
    import geopandas as gpd
    import pyogrio

    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial.gpkg")
    partial.unlink(missing_ok=True)
    for start in range(0, rows, block):
        n = min(block, rows - start)
        road = rng.integers(0, len(ROADS), n)
        number = rng.integers(1, 3000, n)
        named = rng.random(n) < 0.6
        names = [f"{ROADS[r]}{k}号" if ok else None for r, k, ok in zip(road, number, named, strict=True)]
        height = np.clip(np.round(rng.lognormal(np.log(18), 0.6, n), 1), 3.0, 250.0)
        height[rng.random(n) < 0.1] = np.nan
        frame = gpd.GeoDataFrame(
            {"id": np.arange(start + 1, start + n + 1, dtype=np.int64), "name": names, "height": height},
            geometry=footprints(rng, n),
            crs="EPSG:4326",
        )
        pyogrio.write_dataframe(frame, partial, layer="buildings", driver="GPKG", append=start > 0)
    partial.rename(path)


def write_grids(path: Path) -> int:
    """A 500 m lattice of grid squares covering the area, as GeoJSON; returns how many."""
    step_x, step_y = GRID_M / M_PER_DEG_LON, GRID_M / M_PER_DEG_LAT
    nx = int(np.ceil((AREA[2] - AREA[0]) / step_x))
    ny = int(np.ceil((AREA[3] - AREA[1]) / step_y))
    features = []
    for j in range(ny):
        for i in range(nx):
            x0, y0 = AREA[0] + i * step_x, AREA[1] + j * step_y
            x1, y1 = x0 + step_x, y0 + step_y
            ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
            code = f"PD{j:03d}{i:03d}"
            features.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": f"网格{code}"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                }
            )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return len(features)


# --- the database


def base_url(database: str | None) -> str:
    from geo.settings import DatabaseSettings

    return DatabaseSettings(url=database).url if database else DatabaseSettings().url


def scratch_url(base: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=name).render_as_string(hide_password=False)


def create_scratch(url: str) -> None:
    """The scratch database with postgis and the battlemap schema at head."""
    from sqlalchemy import create_engine

    from etl.schema import upgrade
    from geo.db import ensure_database
    from geo.settings import DatabaseSettings

    ensure_database(DatabaseSettings(_env_file=None, url=url))
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()


def drop_scratch(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sql(url: str, statement: str) -> object:
    """Run one statement in autocommit; returns the first column of the first row, if any."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def ogr_connection(url: str) -> tuple[str, dict[str, str]]:
    """``PG:`` connection string for GDAL, and the environment carrying the password."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {"dbname": u.database, "host": u.host, "port": u.port, "user": u.username}
    env = {"PGPASSWORD": u.password} if u.password else {}
    return "PG:" + " ".join(f"{k}={v}" for k, v in parts.items() if v), env


# --- the methods


@dataclass
class Run:
    """One timed run: wall seconds, peak RSS of the client process, CPU seconds of client and server."""

    seconds: float
    peak_rss_mb: float
    client_cpu: float
    server_cpu: float | None


@dataclass
class Result:
    method: str
    rows: int
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    def median_of(self, attribute: str) -> float | None:
        values = [getattr(r, attribute) for r in self.runs]
        return None if None in values else statistics.median(values)


class ServerCpu:
    """CPU seconds used by the Postgres backends serving one database while a command runs.

    Backends name their database in their process title, so /proc tells which they are; they
    are polled every 0.1 s (a backend's last moments before it exits can be missed). Only for
    a server on this machine: ``total`` is None for any other.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        u = make_url(url)
        self._needle = f" {u.database} "
        self.local = (u.host or "localhost") in ("localhost", "127.0.0.1", "::1") and Path("/proc").is_dir()
        self._start: dict[int, float] = {}
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ServerCpu:
        if self.local:
            self._start = self._sample()
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.local:
            self._stop.set()
            self._thread.join()
            self._seen.update(self._sample())

    @property
    def total(self) -> float | None:
        if not self.local:
            return None
        return sum(cpu - self._start.get(pid, 0.0) for pid, cpu in self._seen.items())

    def _poll(self) -> None:
        while not self._stop.wait(0.1):
            self._seen.update(self._sample())

    def _sample(self) -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        leaders = set(self._seen) | set(self._start)
        found: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                title = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if not title.startswith("postgres") or "autovacuum" in title:
                    continue
                leader = title.rsplit("parallel worker for PID ", 1)
                ours = self._needle in title + " " or (len(leader) == 2 and int(leader[1]) in leaders)
                if ours:
                    stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                    found[int(entry.name)] = (int(stat[11]) + int(stat[12])) / tick
            except (OSError, ValueError):
                continue
        return found


def measure(command: Sequence[str], *, url: str, log: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command``: its wall seconds, peak RSS and CPU (wait4's rusage), and the server's CPU."""
    with log.open("ab") as out, ServerCpu(url) as server:
        out.write(f"\n$ {' '.join(command)}\n".encode())
        out.flush()
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env={**os.environ, **(env or {})}
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[0]} … failed with exit code {process.returncode}; see {log}")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, server.total)


def run_method(method: str, gpkg: Path, url: str, log: Path) -> Run:
    sql(url, "CHECKPOINT")  # the previous run's dirty pages are not flushed on this one's clock
    if method == "ogr2ogr":
        connection, env = ogr_connection(url)
        command = ["ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", connection, str(gpkg)]
        command += ["buildings", "-nln", "ogr_buildings", "-overwrite"]
        command += ["-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=GIST"]
        return measure(command, url=url, log=log, env=env)
    if method == "geopandas":
        return measure([sys.executable, "-m", "bench.etl", "_geopandas", str(gpkg), url], url=url, log=log)
    if method == "battlemap":
        sql(url, "TRUNCATE buildings CASCADE")
        command = [*battlemap_load(), "buildings", str(gpkg), "--no-progress"]
        command += ["--rejects", str(OUT / "bench.rejects.csv")]
        return measure(command, url=url, log=log, env={"DATABASE_URL": url})
    raise ValueError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")


@cache
def battlemap_load() -> list[str]:
    """``battlemap load`` as a command: the console entry point, or its click command when the
    entry point cannot be imported (a half-finished ``cli`` module in a working tree)."""
    probe = subprocess.run([sys.executable, "-c", "import cli.main"], cwd=REPO, capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "cli.main", "load"]
    print("note: `import cli.main` fails here; timing its `load` command (cli.load) instead")
    return [sys.executable, "-c", "from cli.load import load; load.main(prog_name='battlemap load')"]


def geopandas_load(path: str, url: str, table: str = "gpd_buildings") -> None:
    """Method 2, run in its own process: read the whole file, COPY it in chunks, index after."""
    import geopandas as gpd
    from sqlalchemy import create_engine, text

    frame = gpd.read_file(path, layer="buildings").rename_geometry("geom")
    engine = create_engine(url)
    frame.iloc[:0].to_postgis(table, engine, if_exists="replace", index=False)
    with engine.begin() as conn:
        for (name,) in conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table}
        ):
            conn.execute(text(f'DROP INDEX "{name}"'))
    frame.to_postgis(table, engine, if_exists="append", index=False, chunksize=GEOPANDAS_CHUNK)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE INDEX "{table}_geom_idx" ON "{table}" USING gist (geom)'))
    engine.dispose()


def loaded_rows(method: str, url: str) -> int:
    table = {"ogr2ogr": "ogr_buildings", "geopandas": "gpd_buildings", "battlemap": "buildings"}[method]
    return int(sql(url, f"SELECT count(*) FROM {table}"))  # type: ignore[arg-type]


# --- the report


def table(results: dict[str, Result]) -> str:
    """The report: medians over the runs; ``vs ogr2ogr`` is ogr2ogr's wall time over the method's."""
    baseline = results.get("ogr2ogr")
    header = (
        f"{'method':<26} {'rows':>10} {'seconds':>9} {'rows/s':>9} {'peak RSS MB':>12} "
        f"{'client CPU s':>13} {'server CPU s':>13} {'vs ogr2ogr':>11}"
    )
    lines = [header, "-" * len(header)]
    for method, r in results.items():
        ratio = f"{baseline.median / r.median:>10.2f}x" if baseline else f"{'-':>11}"
        server = r.median_of("server_cpu")
        lines.append(
            f"{LABELS[method]:<26} {r.rows:>10,} {r.median:>9.1f} {r.rows / r.median:>9,.0f} "
            f"{max(x.peak_rss_mb for x in r.runs):>12,.0f} {r.median_of('client_cpu'):>13.1f} "
            f"{'-' if server is None else f'{server:.1f}':>13} {ratio}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_geopandas"]:
        geopandas_load(*argv[1:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.etl", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="footprints (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of the footprints")
    parser.add_argument("--database", help="PostGIS URL whose server hosts the scratch database")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each method (median reported)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset to run")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in METHODS:
            parser.error(f"--methods: {m!r} is not one of {', '.join(METHODS)}")

    OUT.mkdir(parents=True, exist_ok=True)
    gpkg = OUT / f"buildings_{args.rows}_{args.seed}.gpkg"
    if not gpkg.exists():
        started = time.perf_counter()
        write_buildings(gpkg, rows=args.rows, seed=args.seed)
        print(f"wrote {args.rows:,} footprints to {gpkg} in {time.perf_counter() - started:.1f}s")
    else:
        print(f"reusing {gpkg}")
    grids = OUT / "grids_500m.geojson"
    n_grids = write_grids(grids)

    url = scratch_url(base_url(args.database), f"battlemap_bench_{os.getpid()}")
    log = OUT / "bench.log"
    log.write_text("")
    create_scratch(url)
    try:
        command = [*battlemap_load(), "grids", str(grids), "--no-progress"]
        measure(command, url=url, log=log, env={"DATABASE_URL": url})
        print(f"scratch database {url.rsplit('/', 1)[-1]}: schema at head, {n_grids:,} grids of {GRID_M:g} m")
        results = {m: Result(m, args.rows) for m in methods}
        for round_no in range(args.repeat):
            order = methods[round_no % len(methods) :] + methods[: round_no % len(methods)]
            for method in order:
                run = run_method(method, gpkg, url, log)
                rows = loaded_rows(method, url)
                if rows != args.rows:
                    raise SystemExit(f"{method} loaded {rows:,} rows, expected {args.rows:,}; see {log}")
                results[method].runs.append(run)
                print(
                    f"  round {round_no + 1}: {LABELS[method]:<26} {run.seconds:8.1f}s "
                    f"{run.peak_rss_mb:8,.0f} MB  (load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        if "battlemap" in methods:
            assigned = sql(url, "SELECT count(grid_id) FROM buildings")
            print(f"battlemap assigned {assigned:,} of {args.rows:,} buildings to a grid")
        print()
        print(table(results))
    finally:
        if args.keep:
            print(f"kept the scratch database: {url}")
        else:
            drop_scratch(url)


if __name__ == "__main__":
    main()
