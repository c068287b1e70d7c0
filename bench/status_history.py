"""Status-history benchmark: a 10-day house-status file of 36,104 households loaded by ``battlemap load``.

``python -m bench.status_history [--households N] [--days D] [--seed S] [--database URL] [--keep]``
creates a scratch database beside the one ``--database`` names (postgis and the battlemap schema),
loads N/12 building squares and N households (12 a building, ids ``B<k>/<unit>``), writes a status
CSV of N x D rows (each household one row a day for D consecutive days from 2022-04-20, a seeded
random status, one row in ten with an explicit end the next day) to bench/out/, and loads it three
times through the ordinary pipeline, each in one transaction:

1. the file into an empty history (every stretch closed by the next in time: ``lead()``);
2. the same file again (nothing may change);
3. a correction file: the same ``valid_from`` with another status for a tenth of the rows.

It prints seconds and rows/s of each; the goal of issue 11 is under 60 s for the first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

import numpy as np

from bench.etl import base_url, create_scratch, drop_scratch, scratch_url

OUT = Path(__file__).resolve().parent / "out"
DEFAULT_HOUSEHOLDS = 36_104
DEFAULT_DAYS = 10
DEFAULT_SEED = 20220428
PER_BUILDING = 12
FIRST_DAY = dt.date(2022, 4, 20)
GOAL_SECONDS = 60.0


def write_inputs(households: int, days: int, seed: int) -> tuple[Path, Path, Path, Path]:
    """The buildings GeoJSON, households CSV, status CSV and correction CSV (seeded, reused)."""
    import json

    import pandas as pd

    from geo.vocab import STATUS_CODES

    OUT.mkdir(parents=True, exist_ok=True)
    stem = f"status_{households}_{days}_{seed}"
    paths = tuple(
        OUT / f"{stem}_{part}" for part in ("buildings.geojson", "households.csv", "status.csv", "fix.csv")
    )
    if all(p.exists() for p in paths):
        return paths  # type: ignore[return-value]
    rng = np.random.default_rng(seed)
    buildings = -(-households // PER_BUILDING)
    side = int(np.ceil(np.sqrt(buildings)))
    features = []
    for b in range(buildings):
        x, y = 121.50 + (b % side) * 0.0006, 31.20 + (b // side) * 0.0006
        ring = [[x, y], [x + 0.0004, y], [x + 0.0004, y + 0.0004], [x, y + 0.0004], [x, y]]
        features.append(
            {
                "type": "Feature",
                "properties": {"id": f"B{b}"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    paths[0].write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    building = [f"B{h // PER_BUILDING}" for h in range(households)]
    unit = [f"{h % PER_BUILDING // 4 + 1}-{h % 4 + 1:02d}" for h in range(households)]
    ids = [f"{b}/{u}" for b, u in zip(building, unit, strict=True)]
    pd.DataFrame({"id": ids, "building": building, "unit": unit}).to_csv(paths[1], index=False)
    statuses = np.array(STATUS_CODES)[rng.integers(0, len(STATUS_CODES), households * days)]
    starts = np.tile([FIRST_DAY + dt.timedelta(days=d) for d in range(days)], households)
    ends = np.where(rng.random(households * days) < 0.1, starts + dt.timedelta(days=1), None)
    frame = pd.DataFrame(
        {
            "household": np.repeat(ids, days),
            "status": statuses,
            "valid_from": starts,
            "valid_to": ends,
        }
    )
    frame.to_csv(paths[2], index=False)
    fix = frame.iloc[::10].copy()
    fix["status"] = np.where(fix["status"] == "confirmed", "normal", "confirmed")
    fix.to_csv(paths[3], index=False)
    return paths  # type: ignore[return-value]


def run(url: str, paths: tuple[Path, Path, Path, Path]) -> list[tuple[str, int, float]]:
    """Load buildings and households, then time the three status loads; returns (label, rows, s)."""
    from sqlalchemy import create_engine

    from etl import pipeline
    from etl.jobs.base import LoadOptions

    quiet = LoadOptions(progress=False)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            pipeline.load(conn, "buildings", paths[0], options=quiet)
            pipeline.load(conn, "households", paths[1], options=quiet)
        timings = []
        for label, path in (
            ("first load", paths[2]),
            ("same file again", paths[2]),
            ("corrections", paths[3]),
        ):
            started = time.perf_counter()
            with engine.begin() as conn:
                report = pipeline.load(conn, "status", path, options=quiet)
            seconds = time.perf_counter() - started
            timings.append((label, report.rows_read, seconds))
            print(
                f"  {label:<16} {report.rows_read:>9,} rows  {seconds:7.2f} s  "
                f"{report.rows_read / seconds:>9,.0f} rows/s"
                f"  (new {report.inserted:,}, corrected {report.updated:,}, rejected {report.rejected:,})",
                flush=True,
            )
        return timings
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.status_history", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--households", type=int, default=DEFAULT_HOUSEHOLDS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", default=None, help="the server to use (default DATABASE_URL)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)

    paths = write_inputs(args.households, args.days, args.seed)
    url = scratch_url(base_url(args.database), f"battlemap_bench_status_{os.getpid()}")
    create_scratch(url)
    print(f"status history: {args.households:,} households x {args.days} days ({paths[2].name})")
    try:
        timings = run(url, paths)
    finally:
        if not args.keep:
            drop_scratch(url)
    first = timings[0][2]
    print(
        f"first load {first:.1f} s, goal under {GOAL_SECONDS:.0f} s: "
        f"{'met' if first < GOAL_SECONDS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
