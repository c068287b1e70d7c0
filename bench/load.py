"""Load benchmark of "running a city": field clients and walls against 1 and 2 app processes, with
and without a hot standby, on loopback.

``python -m bench.load [--buildings N] [--items M] [--clients C] [--walls W] [--seconds S]
[--think T] [--wall-every R] [--threads K] [--configs ...] [--keep]``

Everything runs on a PostgreSQL cluster of its own (``geo.clusters``: initdb on a free loopback
port, replication allowed) so that a standby can be made of it: N seeded footprints (default
100,000) with the 500 m grid lattice and a responsibility chain (``bench.tiles``, ``bench.loops``),
M open problem-report items (default 20,000), and the benchmark's users. Then, per configuration:

- ``1p``: ``battlemap serve`` (waitress, one process);
- ``2p``: ``battlemap serve --workers 2`` (gunicorn) sharing the machine's Redis;
- ``2p+standby``: the same, reading from a streaming standby (``BATTLEMAP_DATABASE_READ_URLS``).

C field clients (default 2,000) each, every T seconds (default 10, jittered), list their items,
complete a step of one (``If-Match``, ``Idempotency-Key``) or change a household's status; W walls
(default 200) each, every R seconds (default 30), ask ``/tiles/version``, the loop counts and the
four overview tiles of their view. For S seconds (default 60). Printed per configuration: requests/s,
p50/p95/p99 per endpoint, errors (goal: none), the most database connections seen (bounded by the
pool settings) and the server processes' RSS over time (goal: flat); one JSON line per measure,
all of them in bench/out/load.json. The baseline is the first configuration, measured in the same
run: every other one is printed as ratios against it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.etl import create_scratch
from bench.loops import call, fill_chain, fill_items
from bench.tiles import BATTLEMAP, OUT, load_buildings, load_grids, start

CONFIGS = ("1p", "2p", "2p+standby")
REDIS_URL = os.environ.get("BATTLEMAP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CENTRE = (121.60, 31.22)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": math.nan, "p95_ms": math.nan, "p99_ms": math.nan}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99)}


class Recorder:
    """Latencies and errors per endpoint, from every client thread."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[int]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(self, endpoint: str, status: int, seconds: float, ok: tuple[int, ...] = (200,)) -> None:
        with self._lock:
            self.latencies[endpoint].append(seconds)
            if status not in ok:
                self.errors[endpoint].append(status)


def _tile_paths() -> list[str]:
    z = 12
    n = 2**z
    x = int((CENTRE[0] + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(CENTRE[1]))) / math.pi) / 2 * n)
    return [f"/tiles/house-status/{z}/{x + dx}/{y + dy}.pbf" for dx in (0, 1) for dy in (0, 1)]


def users(url: str, clients: int) -> dict[str, object]:
    """A commander, a wall account and one worker per busy grid: tokens, items, households."""
    from geo import auth
    from geo.settings import AuthSettings

    settings = AuthSettings(_env_file=None)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE name LIKE 'load-%'"))
        grids = conn.execute(
            text("""SELECT g.code, array_agg(i.id ORDER BY i.id) FROM loop_items i
                    JOIN buildings b ON b.id = i.building_id JOIN grids g ON g.id = b.grid_id
                    GROUP BY g.code ORDER BY count(*) DESC LIMIT 50""")
        ).all()
        tokens = {}
        for name, role, grid in (("load-commander", "commander", None), ("load-wall", "wall", None)):
            auth.add_user(conn, name, role=role, password=auth.new_password(), grids=grid, settings=settings)
            tokens[name] = auth.issue_token(conn, name, settings=settings)
        workers = []
        for code, ids in grids:
            name = f"load-worker-{code}"
            auth.add_user(
                conn, name, role="worker", password=auth.new_password(), grids=[code], settings=settings
            )
            workers.append((auth.issue_token(conn, name, settings=settings), [int(i) for i in ids]))
        conn.execute(
            text("""INSERT INTO households (source, source_id, building_id)
                    SELECT 'bench', 'load-h-' || i.building_id, i.building_id FROM loop_items i
                    ON CONFLICT (source_id) DO NOTHING""")
        )
        households = [
            int(h) for (h,) in conn.execute(text("SELECT id FROM households WHERE source = 'bench'"))
        ]
    engine.dispose()
    return {"tokens": tokens, "workers": workers, "households": households[: max(clients, 1)]}


def field_client(
    base: str,
    token: str,
    items: list[int],
    households: list[int],
    record: Recorder,
    stop: float,
    think: float,
) -> None:
    """List my items, then complete a step of one or change a household's status; then wait."""
    rng = random.Random()
    versions: dict[int, int] = {}
    time.sleep(rng.uniform(0, think))
    while time.monotonic() < stop:
        status, took, _ = call("GET", f"{base}/api/v1/loops?state=open&limit=50", token)
        record.add("GET /api/v1/loops", status, took)
        if rng.random() < 0.7 and items:
            item = rng.choice(items)
            version = versions.get(item, 1)
            headers = {"If-Match": f'"{version}"', "Idempotency-Key": uuid.uuid4().hex}
            status, took, answer = call(
                "POST", f"{base}/api/v1/loops/{item}/steps/response", token, {}, headers
            )
            # 409: another client (or this one, earlier) moved the item on: a correct answer, not an error
            record.add("POST step", status, took, ok=(200, 409))
            versions[item] = int(answer.get("version", version + 1))
        elif households:
            body = {"status": rng.choice(["home_isolation", "health_monitoring", "normal"])}
            status, took, _ = call(
                "POST", f"{base}/api/v1/households/{rng.choice(households)}/status", token, body
            )
            record.add("POST status", status, took, ok=(201, 404))  # 404: a household outside my grid
        time.sleep(rng.uniform(0.5, 1.5) * think)


def wall(base: str, token: str, record: Recorder, stop: float, every: float) -> None:
    rng = random.Random()
    time.sleep(rng.uniform(0, every))
    while time.monotonic() < stop:
        for endpoint, path in (
            ("GET /tiles/version", "/tiles/version"),
            ("GET loop counts", "/api/v1/loops/counts"),
        ):
            status, took, _ = call("GET", base + path, token)
            record.add(endpoint, status, took)
        for path in _tile_paths():
            status, took, _ = _get_bytes(base + path, token)
            record.add("GET overview tile", status, took)
        time.sleep(every)


def _get_bytes(url: str, token: str) -> tuple[int, float, bytes]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, time.perf_counter() - started, response.read()
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, b""
    except OSError:
        return 0, time.perf_counter() - started, b""


def _rss_mb(root: int) -> float:
    """RSS of a process and its children (MB), from /proc."""
    total, pids = 0, [root]
    children = Path(f"/proc/{root}/task/{root}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def run_config(
    name: str, *, url: str, standby_url: str | None, people: dict[str, object], args: argparse.Namespace
) -> dict[str, object]:
    port = free_port()
    env = os.environ | {"DATABASE_URL": url, "BATTLEMAP_THREADS": str(args.threads)}
    command = [str(BATTLEMAP), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if name.startswith("2p"):
        command += ["--workers", "2"]
        env |= {"BATTLEMAP_REDIS_URL": REDIS_URL, "BATTLEMAP_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"}
    if standby_url and name.endswith("standby"):
        env["BATTLEMAP_DATABASE_READ_URLS"] = standby_url
    base = f"http://127.0.0.1:{port}"
    process = start(command, env, f"{base}/health", OUT / f"load_{name}.log")
    record, samples = Recorder(), []
    tokens: dict[str, str] = people["tokens"]  # type: ignore[assignment]
    workers: list[tuple[str, list[int]]] = people["workers"]  # type: ignore[assignment]
    households: list[int] = people["households"]  # type: ignore[assignment]
    try:
        stop = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=field_client,
                args=(
                    base,
                    *workers[n % len(workers)],
                    households[n :: args.clients],
                    record,
                    stop,
                    args.think,
                ),
                daemon=True,
            )
            for n in range(args.clients)
        ]
        threads += [
            threading.Thread(
                target=wall, args=(base, tokens["load-wall"], record, stop, args.wall_every), daemon=True
            )
            for _ in range(args.walls)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        engine = create_engine(url)
        while time.monotonic() < stop:
            with engine.connect() as conn:
                connections = conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                ).scalar_one()
            samples.append({"t": round(time.perf_counter() - started), "rss_mb": _rss_mb(process.pid),
                            "connections": int(connections) - 1})  # fmt: skip
            time.sleep(5)
        engine.dispose()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)
    requests = sum(len(v) for v in record.latencies.values())
    endpoints = {
        endpoint: {"requests": len(v), "errors": len(record.errors[endpoint])} | _percentiles(v)
        for endpoint, v in sorted(record.latencies.items())
    }
    rss = [s["rss_mb"] for s in samples]
    return {
        "config": name,
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1),
        "errors": sum(len(v) for v in record.errors.values()),
        "error_statuses": sorted({s for v in record.errors.values() for s in v}),
        "max_db_connections": max((s["connections"] for s in samples), default=0),
        "rss_mb_first_last_max": [rss[0], rss[-1], max(rss)] if rss else [],
        "endpoints": endpoints,
        "samples": samples,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=2_000, help="field clients (default 2,000)")
    parser.add_argument("--walls", type=int, default=200, help="walls (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=10.0, help="seconds between a client's actions")
    parser.add_argument("--wall-every", type=float, default=30.0, help="seconds between a wall's refreshes")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process")
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--keep", action="store_true", help="keep the scratch clusters (printed)")
    args = parser.parse_args(argv)

    from geo.clusters import create_primary, create_standby

    OUT.mkdir(exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="battlemap-load-"))
    base.chmod(0o755)
    primary = create_primary(base / "primary", free_port())
    standby = None
    results: list[dict[str, object]] = []
    try:
        url = primary.url_of("load")
        create_scratch(url)
        seconds = load_buildings(url, rows=args.buildings, seed=20221204)
        print(json.dumps({"measure": "setup", "buildings": args.buildings, "load_s": round(seconds, 1),
                          "grids": load_grids(url), "people": fill_chain(url)}), flush=True)  # fmt: skip
        fill_items(url, items=args.items, seed=20221204)
        people = users(url, args.clients)
        if "2p+standby" in args.configs:
            standby = create_standby("127.0.0.1", primary.port, base / "standby", free_port())
        for name in args.configs:
            row = run_config(
                name, url=url, standby_url=standby and standby.url_of("load"), people=people, args=args
            )
            if results:
                first = results[0]
                row["vs_" + str(first["config"])] = {
                    "requests_per_s": round(float(row["requests_per_s"]) / float(first["requests_per_s"]), 2)
                }
            results.append(row)
            print(
                json.dumps({k: v for k, v in row.items() if k != "samples"}, ensure_ascii=False),
                flush=True,
            )
    finally:
        if standby is not None and not args.keep:
            standby.remove()
        if not args.keep:
            primary.remove()
            shutil.rmtree(base, ignore_errors=True)
    (OUT / "load.json").write_text(
        json.dumps({"args": vars(args), "results": results}, indent=1, default=str)
    )


if __name__ == "__main__":
    main()
