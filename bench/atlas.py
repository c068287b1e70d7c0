"""Atlas benchmark: the same A3 grid sheets printed by ``battlemap export atlas`` and by QGIS, side by side.

``python -m bench.atlas [--grids N] [--paper A3] [--date D] [--database URL] [--keep]`` makes a
scratch database beside the one ``--database`` names, loads the demo (``battlemap demo load``:
54 grids over the land with buildings of Lujiazui and the Bund, simulated households, statuses and
responsibilities) and takes the first N grids by code (142 by default, Lecheng's grid count: more
than the demo has, so every demo grid is printed; the figures are per sheet as well).

1. ``battlemap export atlas --grids ... --paper A3``: a cover plus one sheet per grid;
2. QGIS (``qgis_process run native:atlaslayouttopdf``, offscreen) on an equivalent print layout
   (``bench/qgis_atlas_project.py``, built beforehand and not timed) reading the same PostGIS
   through views that precompute each building's status on the date.

Each runs as its own process so its wall time and peak RSS are its own; the figures are printed
and written to ``bench/out/atlas.json``. The goal: faster than QGIS, under 60 s and 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
QGIS_PROCESS = "/usr/bin/qgis_process.bin"  # the Debian wrapper passes an option 3.22 rejects
SYSTEM_PYTHON = "/usr/bin/python3"  # the one with PyQGIS
DEFAULT_DATE = dt.date(2022, 4, 10)


def _run(
    cmd: list[str], *, env: dict[str, str] | None = None
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``cmd``; its wall seconds, its own peak RSS in MB, and the finished process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)
    done = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} … failed:\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, done


def _pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def _prepare(url: str, *, reuse: bool) -> None:
    """The scratch database with the schema and the demo (kept between runs with --keep)."""
    env = {**os.environ, "DATABASE_URL": url}
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": make_url(url).database}
        )
        exists = exists.scalar()
    engine.dispose()
    if exists and reuse:
        return
    subprocess.run([BATTLEMAP, "db", "init"], env=env, check=True, capture_output=True)
    subprocess.run([BATTLEMAP, "demo", "load"], env=env, check=True, capture_output=True)


def _tables(url: str, codes: list[str], date: dt.date) -> None:
    """What the QGIS layout reads, precomputed (not timed) into indexed tables in UTM 51N: chosen grids,
    all grids, buildings with their status on the date, roads, water and the masked people."""
    from geo.vocab import STATUS_CODES

    engine = create_engine(url)
    with engine.begin() as conn:
        for name in _TABLES:
            kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = :n"), {"n": name}).scalar()
            if kind is not None:
                conn.execute(text(f"DROP {'VIEW' if kind == 'v' else 'TABLE'} {name}"))
        codes_sql = ", ".join("'" + c.replace("'", "''") + "'" for c in codes)
        severity = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUS_CODES) + "]"
        on = f"s.valid_from <= DATE '{date}' AND (s.valid_to IS NULL OR s.valid_to > DATE '{date}')"
        conn.execute(
            text(f"""
            CREATE TABLE bench_atlas_grids AS SELECT g.id, g.code, g.name, u.name AS unit_name,
                ST_Transform(g.geom, 32651) AS geom
            FROM grids g LEFT JOIN admin_units u ON u.id = g.unit_id WHERE g.code IN ({codes_sql})""")
        )
        conn.execute(
            text(
                "CREATE TABLE bench_atlas_context AS SELECT id, code, ST_Transform(geom, 32651) AS geom "
                "FROM grids"
            )
        )
        conn.execute(
            text(f"""
            CREATE TABLE bench_atlas_buildings AS
            WITH hh AS (
                SELECT h.building_id, min(array_position({severity}, COALESCE(
                    (SELECT s.status FROM house_status s WHERE s.household_id = h.id AND {on}
                     ORDER BY array_position({severity}, s.status::text) LIMIT 1),
                    (SELECT s.status FROM house_status s WHERE s.building_id = h.building_id AND {on}
                     ORDER BY array_position({severity}, s.status::text) LIMIT 1), 'normal')::text)) AS r
                FROM households h GROUP BY h.building_id)
            SELECT b.id, b.grid_id, b.name, COALESCE(({severity})[hh.r], 'normal') AS status,
                   ST_Transform(b.geom, 32651) AS geom
            FROM buildings b LEFT JOIN hh ON hh.building_id = b.id""")
        )
        conn.execute(
            text(
                "CREATE TABLE bench_atlas_roads AS SELECT id, kind, ST_Transform(geom, 32651) AS geom "
                "FROM basemap_features WHERE layer = 'roads'"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE bench_atlas_water AS SELECT id, ST_Transform(geom, 32651) AS geom "
                "FROM basemap_features WHERE layer = 'water' AND GeometryType(geom) LIKE '%POLYGON'"
            )
        )
        conn.execute(
            text("""
            CREATE TABLE bench_atlas_people AS
            SELECT row_number() OVER () AS pid, b.grid_id, r.level, r.role,
                   left(c.name, 1) || '*' AS name, left(c.phone, 3) || '****' || right(c.phone, 4) AS phone
            FROM responsibilities r JOIN buildings b ON r.scope_type = 'building' AND r.scope_id = b.id
            LEFT JOIN person_contacts c ON c.person_id = r.person_id""")
        )
        for name in _TABLES:
            conn.execute(
                text(f"ALTER TABLE {name} ADD PRIMARY KEY ({'pid' if name.endswith('people') else 'id'})")
            )
            if not name.endswith("people"):
                conn.execute(text(f"CREATE INDEX ON {name} USING gist (geom)"))
            conn.execute(text(f"ANALYZE {name}"))
    engine.dispose()


_TABLES = (
    "bench_atlas_grids",
    "bench_atlas_context",
    "bench_atlas_buildings",
    "bench_atlas_roads",
    "bench_atlas_water",
    "bench_atlas_people",
)


def _qgis_project(url: str, paper: str, date: dt.date, project: Path) -> None:
    from layers.atlas.fonts import FONT_FILES
    from layers.atlas.layout import PAPERS
    from layers.style import BASEMAP, STATUS_SWATCHES

    parsed = make_url(url)
    w, h = PAPERS[paper]
    config = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "database": parsed.database,
        "user": parsed.username or "postgres",
        "password": parsed.password or "",
        "crs": "EPSG:32651",
        "grids_view": "bench_atlas_grids",
        "context_view": "bench_atlas_context",
        "buildings_view": "bench_atlas_buildings",
        "roads_view": "bench_atlas_roads",
        "water_view": "bench_atlas_water",
        "people_view": "bench_atlas_people",
        "statuses": [(s.code, s.label_zh, s.fill, s.outline) for s in STATUS_SWATCHES],
        "water": BASEMAP["water"],
        "font": "WenQuanYi Micro Hei" if Path(FONT_FILES[0][0]).exists() else "Sans",
        "page_mm": [w * 25.4 / 72, h * 25.4 / 72],
        "date": date.isoformat(),
        "project": str(project),
        "footer": "建筑、道路、水系 © OpenStreetMap contributors (ODbL) · 网格、住户、房态、包干为模拟数据",
    }
    config_path = project.with_suffix(".json")
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [SYSTEM_PYTHON, str(REPO / "bench" / "qgis_atlas_project.py"), str(config_path)],
        env=env,
        check=True,
        capture_output=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", type=int, default=142, help="how many grids (first by code)")
    parser.add_argument("--paper", default="A3", choices=("A4", "A3"))
    parser.add_argument("--date", type=dt.date.fromisoformat, default=DEFAULT_DATE)
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/battlemap"),
    )
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the scratch database")
    parser.add_argument("--skip-qgis", action="store_true")
    args = parser.parse_args(argv)
    url = make_url(args.database).set(database="battlemap_bench_atlas").render_as_string(hide_password=False)
    OUT.mkdir(exist_ok=True)
    started = time.perf_counter()
    _prepare(url, reuse=args.keep)
    print(f"scratch database ready in {time.perf_counter() - started:.0f} s", flush=True)
    engine = create_engine(url)
    with engine.connect() as conn:
        codes = list(
            conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT :n"), {"n": args.grids}).scalars()
        )
    engine.dispose()
    results: dict[str, dict[str, float]] = {}
    env = {**os.environ, "DATABASE_URL": url}
    ours = OUT / f"atlas_battlemap_{args.paper}.pdf"
    seconds, rss, _ = _run(
        [
            BATTLEMAP,
            "export",
            "atlas",
            "--grids",
            ",".join(codes),
            "--paper",
            args.paper,
            "--date",
            args.date.isoformat(),
            "-o",
            str(ours),
        ],
        env=env,
    )
    results["battlemap"] = {"seconds": seconds, "peak_rss_mb": rss, "pages": _pages(ours)}
    print(f"battlemap  {seconds:7.1f} s  {rss:7.0f} MB  {results['battlemap']['pages']} pages", flush=True)
    if not args.skip_qgis and shutil.which(QGIS_PROCESS):
        _tables(url, codes, args.date)
        project = OUT / "atlas_qgis.qgs"
        _qgis_project(url, args.paper, args.date, project)
        theirs = OUT / f"atlas_qgis_{args.paper}.pdf"
        qenv = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        seconds, rss, _ = _run(
            [
                QGIS_PROCESS,
                "run",
                "native:atlaslayouttopdf",
                f"--PROJECT_PATH={project}",
                "--LAYOUT=atlas",
                f"--OUTPUT={theirs}",
                "--DPI=300",
            ],
            env=qenv,
        )
        results["qgis"] = {"seconds": seconds, "peak_rss_mb": rss, "pages": _pages(theirs)}
        print(f"qgis       {seconds:7.1f} s  {rss:7.0f} MB  {results['qgis']['pages']} pages", flush=True)
        ratio = results["qgis"]["seconds"] / results["battlemap"]["seconds"]
        print(f"speed-up   {ratio:.1f}x (>1: battlemap faster)")
    (OUT / "atlas.json").write_text(
        json.dumps({"grids": len(codes), "paper": args.paper, **results}, indent=2)
    )
    if not args.keep:
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
