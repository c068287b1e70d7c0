"""OGC API items benchmark: paging every building through ``/ogc/collections/buildings/items``.

``python -m bench.ogc [--rows N] [--seed S] [--database URL] [--limits 1000,10000] [--keep]`` fills
the ``buildings`` table of a scratch database (beside the one ``--database`` names) with N seeded
footprints (``bench.tiles.load_buildings``: default 1,000,000 over Pudong), then, for each page size,
starts ``battlemap serve`` afresh (port 8186, 4 threads) and follows the ``next`` links from the first
page to the last as a client would (reading each page whole, parsing its tail for the count and the
next link). It prints
features/s, MB/s and the server's peak RSS above its RSS when idle (``VmHWM`` - ``VmRSS`` before the
first request, from /proc): flat when it does not grow with the page size.

Baselines, in the same run and on the same table: ``ogr2ogr -f GeoJSON`` from PostGIS to a file (GDAL's
C writer: what a bulk export costs), and the unstreamed Python way (``geo.features.read_features`` of
every building, then ``GeoDataFrame.to_json``), each in a process of its own with its peak RSS
(``wait4``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.etl import DEFAULT_SEED, base_url, create_scratch, drop_scratch, scratch_url, sql
from bench.tiles import BATTLEMAP, OUT, REPO, bench_user, load_buildings, start

PORT = 8186  # in the ogc worktree's range
DEFAULT_ROWS = 1_000_000
GPD_BASELINE = """
import sys, time
from sqlalchemy import create_engine
from geo.features import read_features
engine = create_engine(sys.argv[1])
t0 = time.perf_counter()
with engine.connect() as conn:
    frame = read_features(conn, "buildings")
body = frame.to_json()
print(len(frame), len(body), time.perf_counter() - t0)
"""


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def page_through(base: str, limit: int, token: str) -> tuple[int, int, int, float]:
    """(features, pages, bytes, seconds) of following the next links from the first page."""
    url: str | None = f"{base}/ogc/collections/buildings/items?limit={limit}"
    features = pages = size = 0
    t0 = time.perf_counter()
    while url:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            body = response.read()
        # The page's tail (after the features) holds its count and links: a streaming client
        # reads it without parsing the features.
        tail = body[body.rindex(b'],"numberReturned":') + 2 :]
        page = json.loads(b"{" + tail)
        features += page["numberReturned"]
        pages += 1
        size += len(body)
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    return features, pages, size, time.perf_counter() - t0


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in MiB, stdout) of ``command`` run to its end."""
    t0 = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{command[0]} failed: {err[-2000:]}")
    return time.perf_counter() - t0, usage.ru_maxrss // 1024, out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", default=None, help="a PostGIS URL; the scratch database goes beside it")
    parser.add_argument("--limits", default="1000,10000", help="page sizes, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (and reuse it)")
    args = parser.parse_args(argv)
    limits = [int(v) for v in args.limits.split(",")]

    url = scratch_url(base_url(args.database), f"battlemap_bench_ogc_{args.rows}")
    OUT.mkdir(exist_ok=True)
    create_scratch(url)
    if int(sql(url, "SELECT count(*) FROM buildings") or 0) != args.rows:
        print(f"loading {args.rows:,} footprints…", flush=True)
        print(f"  {load_buildings(url, rows=args.rows, seed=args.seed):.1f} s", flush=True)
        sql(url, "VACUUM (ANALYZE) buildings")
    *_, token = bench_user(url)
    env = os.environ | {"DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    results: list[dict[str, object]] = []
    try:
        for limit in limits:
            log = OUT / f"ogc_serve_{limit}.log"
            server = start(
                [str(BATTLEMAP), "serve", "--host", "127.0.0.1", "--port", str(PORT)],
                env | {"BATTLEMAP_THREADS": "4", "BATTLEMAP_LOG_LEVEL": "WARNING"},
                f"http://127.0.0.1:{PORT}/health",
                log,
            )
            try:
                idle = _kib(server.pid, "VmRSS")
                features, pages, size, seconds = page_through(f"http://127.0.0.1:{PORT}", limit, token)
                peak = _kib(server.pid, "VmHWM")
            finally:
                server.terminate()
                server.wait(30)
            results.append(
                {
                    "method": f"battlemap /ogc items, limit={limit:,}",
                    "features": features,
                    "pages": pages,
                    "seconds": round(seconds, 2),
                    "features_per_s": round(features / seconds),
                    "mb_per_s": round(size / 1e6 / seconds, 1),
                    "server_peak_above_idle_mib": round((peak - idle) / 1024, 1),
                }
            )
            print(json.dumps(results[-1]), flush=True)
        plain = make_url(url)
        host, port, user = plain.host or "127.0.0.1", plain.port or 5432, plain.username or "postgres"
        pg = f"PG:host={host} port={port} dbname={plain.database} user={user}"
        target = OUT / "ogc_baseline.geojson"
        target.unlink(missing_ok=True)
        seconds, rss, _ = timed_process(
            [
                "ogr2ogr",
                "-f",
                "GeoJSON",
                str(target),
                pg,
                "-sql",
                "SELECT source_id AS id, name, floors, geom FROM buildings",
            ],
            env,
        )
        results.append(
            {
                "method": "baseline: ogr2ogr PostGIS -> GeoJSON file",
                "features": args.rows,
                "seconds": round(seconds, 2),
                "features_per_s": round(args.rows / seconds),
                "mb_per_s": round(target.stat().st_size / 1e6 / seconds, 1),
                "client_peak_rss_mib": rss,
            }
        )
        print(json.dumps(results[-1]), flush=True)
        target.unlink(missing_ok=True)
        seconds, rss, out = timed_process([sys.executable, "-c", GPD_BASELINE, url], env)
        n, size, _ = out.split()
        results.append(
            {
                "method": "baseline: read_features + GeoDataFrame.to_json (unstreamed)",
                "features": int(n),
                "seconds": round(seconds, 2),
                "features_per_s": round(int(n) / seconds),
                "mb_per_s": round(int(size) / 1e6 / seconds, 1),
                "client_peak_rss_mib": rss,
            }
        )
        print(json.dumps(results[-1]), flush=True)
    finally:
        if not args.keep:
            drop_scratch(url)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"load average {os.getloadavg()[0]:.1f}; this process's max RSS {own} MiB")
    for row in results:
        print(" | ".join(f"{k}={v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
