"""Closed-loop benchmark: a grid worker's item list, and field clients completing steps, on loopback.

``python -m bench.loops [--buildings N] [--items M] [--clients C] [--seconds S] [--database URL] [--keep]``
fills a scratch database (beside the one ``--database`` names) with N seeded footprints and the 500 m
grid lattice (``bench.tiles``: 1,000,000 over Pudong by default), a responsibility chain per grid, and
M open problem-report items (default 100,000) spread over the buildings, assigned with the
responsibility rule (``geo.responsibility.rule.answerer_join``) in one set-based insert. Then it starts
``battlemap serve`` (waitress) and measures

- the worker list: ``GET /api/v1/loops`` as a worker bound to the busiest grid (p50 / p95, target
  p95 < 100 ms), and the commander's overdue list;
- the house-status tile after a field status change: fresh on the next request (ETag and bytes);
- field clients: C threads (default 200) for S seconds (default 60), each completing the steps of its
  own items (``response`` then ``handling``, with ``If-Match`` and an ``Idempotency-Key``) over
  HTTP: requests, errors (anything but 200), p50 / p95 (target: zero errors, p95 < 300 ms).

It prints one JSON line per measure and writes them to bench/out/loops.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence

from sqlalchemy import create_engine, text

from bench.etl import DEFAULT_SEED, base_url, create_scratch, drop_scratch, scratch_url, sql
from bench.tiles import BATTLEMAP, OUT, load_buildings, load_grids, start
from geo.responsibility.rule import answerer_join

PORT = 8873
CHAIN = (  # one person per grid and level: the bench's responsibility chain
    ("building_leader", "BL"),
    ("social_worker", "SW"),
    ("area_secretary", "AS"),
    ("cadre", "CA"),
)


def fill_chain(url: str) -> int:
    """People and responsibilities: for each grid, one person per level of ``CHAIN``."""
    statements = ["TRUNCATE responsibilities, people CASCADE"]
    for level, tag in CHAIN:
        statements.append(f"""
            INSERT INTO people (source, source_id, code)
            SELECT 'bench', 'p-{tag}-' || g.code, '{tag}-' || g.code FROM grids g""")
        statements.append(f"""
            INSERT INTO responsibilities (source, source_id, person_id, level, scope_type, scope_id)
            SELECT 'bench', 'r-{tag}-' || g.code, p.id, '{level}', 'grid', g.id
            FROM grids g JOIN people p ON p.source_id = 'p-{tag}-' || g.code""")
    for statement in statements:
        sql(url, statement)
    return int(sql(url, "SELECT count(*) FROM people") or 0)


def fill_items(url: str, *, items: int, seed: int) -> float:
    """``items`` open problem reports on random buildings (with a grid), assigned to each building's
    building leader by the responsibility rule, in one statement; returns seconds."""
    started = time.perf_counter()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE loop_photos, loop_transitions, loop_items RESTART IDENTITY CASCADE"))
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
        conn.execute(
            text(f"""
            WITH picked AS (
                SELECT b.id FROM buildings b WHERE b.grid_id IS NOT NULL ORDER BY random() LIMIT :n),
            assigned AS (
                SELECT b.id AS building_id, ans.person_id FROM picked pk JOIN buildings b ON b.id = pk.id
                {answerer_join("b", "'building_leader'")}),
            items AS (
                INSERT INTO loop_items (kind, target_type, target_id, building_id, note, assignee_person_id,
                                        assignee_level, created_by_role, created_at, source, version)
                SELECT 'problem_report', 'building', building_id, building_id, 'bench', person_id,
                       'building_leader', 'cli', now() - random() * interval '3 hours', 'simulated', 1
                FROM assigned RETURNING id, assignee_person_id, created_at)
            INSERT INTO loop_transitions (item_id, seq, at, action, to_state, next_step, assignee_person_id,
                                          assignee_level, due_at, actor_role)
            SELECT id, 1, created_at, 'open', 'open', 'response', assignee_person_id, 'building_leader',
                   created_at + interval '1 hour', 'cli'
            FROM items"""),
            {"n": items},
        )
    engine.dispose()
    sql(url, "ANALYZE loop_items")
    sql(url, "ANALYZE loop_transitions")
    return time.perf_counter() - started


def users(url: str) -> dict[str, object]:
    """A commander and a worker bound to the grid with the most items: their tokens, and the items."""
    from geo import auth
    from geo.settings import AuthSettings

    settings = AuthSettings(_env_file=None)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE name IN ('bench-commander', 'bench-worker')"))
        busiest = conn.execute(
            text("""SELECT g.code, count(*) FROM loop_items i JOIN buildings b ON b.id = i.building_id
                    JOIN grids g ON g.id = b.grid_id GROUP BY g.code ORDER BY count(*) DESC LIMIT 1""")
        ).one()
        for name, role, grids in (
            ("bench-commander", "commander", None),
            ("bench-worker", "worker", [busiest[0]]),
        ):
            auth.add_user(conn, name, role=role, password=auth.new_password(), grids=grids, settings=settings)
        tokens = {
            name: auth.issue_token(conn, name, settings=settings)
            for name in ("bench-commander", "bench-worker")
        }
        ids = [int(i) for (i,) in conn.execute(text("SELECT id FROM loop_items ORDER BY id"))]
    engine.dispose()
    return {"tokens": tokens, "grid": busiest[0], "grid_items": int(busiest[1]), "ids": ids}


def call(
    method: str, url: str, token: str, body: dict | None = None, headers: dict | None = None
) -> tuple[int, float, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read() or b"{}")
            return response.status, time.perf_counter() - started, payload
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, {}
    except OSError:
        return 0, time.perf_counter() - started, {}


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def list_latency(base: str, token: str, path: str, runs: int) -> dict[str, object]:
    latencies, statuses, count = [], set(), 0
    for _ in range(runs):
        status, seconds, body = call("GET", base + path, token)
        latencies.append(seconds)
        statuses.add(status)
        count = int(body.get("count", 0))
    return {"path": path, "runs": runs, "items": count, "statuses": sorted(statuses),
            "p50_ms": _ms(latencies, 0.5), "p95_ms": _ms(latencies, 0.95)}  # fmt: skip


def field_clients(
    base: str, token: str, ids: list[int], *, clients: int, seconds: float
) -> dict[str, object]:
    """``clients`` threads, each completing response + handling on its own slice of ``ids``."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(mine: list[int]) -> None:
        for item in mine:
            version = 1
            for step, body in (("response", {}), ("handling", {"note": "已处置"})):
                if time.monotonic() > stop:
                    return
                headers = {"If-Match": f'"{version}"', "Idempotency-Key": uuid.uuid4().hex}
                status, took, answer = call(
                    "POST", f"{base}/api/v1/loops/{item}/steps/{step}", token, body, headers
                )
                with lock:
                    latencies.append(took)
                    if status != 200:
                        errors.append(status)
                version = int(answer.get("version", version + 1))

    threads = [threading.Thread(target=client, args=(ids[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies),
            "requests_per_s": round(len(latencies) / elapsed, 1), "errors": len(errors),
            "error_statuses": sorted(set(errors)), "p50_ms": _ms(latencies, 0.5),
            "p95_ms": _ms(latencies, 0.95),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 1) if latencies else None}  # fmt: skip


def tile_after_field_status(url: str, base: str, token: str) -> dict[str, object]:
    """A household in the first building with an item; its z17 house-status tile, a field status
    change (``POST /api/v1/households/{id}/status``), the same tile again: fresh when it differs."""
    import math

    engine = create_engine(url)
    with engine.begin() as conn:
        building, lon, lat = conn.execute(
            text("""SELECT b.id, ST_X(b.label_point), ST_Y(b.label_point) FROM loop_items i
                    JOIN buildings b ON b.id = i.building_id ORDER BY i.id LIMIT 1""")
        ).one()
        household = conn.execute(
            text("""INSERT INTO households (source, source_id, building_id) VALUES ('bench', :s, :b)
                    ON CONFLICT (source_id) DO UPDATE SET building_id = excluded.building_id RETURNING id"""),
            {"s": f"bench-h-{building}", "b": building},
        ).scalar_one()
    engine.dispose()
    z = 17
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    tile = f"{base}/tiles/house-status/{z}/{x}/{y}.pbf"

    def fetch() -> tuple[int, str, bytes]:
        request = urllib.request.Request(tile, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("ETag", ""), response.read()

    _, before_tag, before = fetch()
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    status, took, _ = call(
        "POST",
        f"{base}/api/v1/households/{household}/status",
        token,
        {"status": "close_contact", "valid_from": today},
    )
    started = time.perf_counter()
    _, after_tag, after = fetch()
    return {"status_post": status, "status_post_ms": round(took * 1000, 1), "tile": f"{z}/{x}/{y}",
            "fresh_on_next_request": before_tag != after_tag and before != after,
            "tile_ms": round((time.perf_counter() - started) * 1000, 1)}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loops", description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=1_000_000, help="footprints (default 1,000,000)")
    parser.add_argument("--items", type=int, default=100_000, help="open loop items (default 100,000)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent field clients (default 200)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the clients run (default 60)")
    parser.add_argument("--runs", type=int, default=50, help="requests per list measure (default 50)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads of the server (default 8)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", help="a PostGIS URL; the scratch database goes beside it")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (and reuse its city)")
    args = parser.parse_args(argv)

    url = scratch_url(base_url(args.database), f"battlemap_bench_loops_{args.buildings}")
    OUT.mkdir(exist_ok=True)
    create_scratch(url)
    results: list[dict[str, object]] = []

    def emit(row: dict[str, object]) -> None:
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    try:
        if int(sql(url, "SELECT count(*) FROM buildings") or 0) != args.buildings:
            emit(
                {
                    "measure": "load_buildings",
                    "seconds": round(load_buildings(url, rows=args.buildings, seed=args.seed), 1),
                }
            )
            emit({"measure": "load_grids", "grids": load_grids(url)})
            sql(url, "VACUUM (ANALYZE) buildings")
        emit({"measure": "chain", "people": fill_chain(url)})
        emit(
            {
                "measure": "fill_items",
                "items": args.items,
                "seconds": round(fill_items(url, items=args.items, seed=args.seed), 1),
            }
        )
        who = users(url)
        tokens: dict[str, str] = who["tokens"]  # type: ignore[assignment]
        env = os.environ | {"DATABASE_URL": url, "BATTLEMAP_THREADS": str(args.threads)}
        base = f"http://127.0.0.1:{PORT}"
        command = [str(BATTLEMAP), "serve", "--host", "127.0.0.1", "--port", str(PORT)]
        process = start(command, env, f"{base}/health", OUT / "loops_server.log")
        try:
            call("GET", f"{base}/api/v1/loops", tokens["bench-worker"])  # warm the pool and the caches
            row = list_latency(base, tokens["bench-worker"], "/api/v1/loops?state=open", args.runs)
            emit({"measure": "worker_list", "grid": who["grid"], "grid_items": who["grid_items"]} | row)
            row = list_latency(
                base, tokens["bench-commander"], "/api/v1/loops?state=overdue&limit=500", args.runs
            )
            emit({"measure": "commander_overdue_list"} | row)
            row = field_clients(
                base, tokens["bench-commander"], who["ids"], clients=args.clients, seconds=args.seconds
            )  # type: ignore[arg-type]
            emit({"measure": "field_clients"} | row)
            emit(
                {"measure": "tile_after_field_status"}
                | tile_after_field_status(url, base, tokens["bench-commander"])
            )
        finally:
            process.terminate()
            process.wait(30)
    finally:
        if not args.keep:
            drop_scratch(url)
    (OUT / "loops.json").write_text(
        json.dumps({"buildings": args.buildings, "items": args.items, "results": results}, indent=1)
    )


if __name__ == "__main__":
    main()
