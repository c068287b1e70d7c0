"""Campaign-board benchmark: 36 sub-districts and 1,007 committees over a 120-day campaign.

``python -m bench.campaign [--committees N] [--days D] [--repeat R] [--database URL] [--keep]``
fills a scratch database (beside the one ``--database`` names) with one district, 36 sub-districts
and N committees (default 1,007, Pudong's count; square polygons, only their ids matter), a campaign
with a target per committee (the sub-districts are their roll-ups) and D days (default 120) of
daily reports per committee, plus 2 % of unit-days corrected by a later row (append-only, so the
board has the latest-row rule to apply) and 1 % of unit-days missing. Then, warm (after one cold
call), R times each (default 20):

- ``board``: ``geo.campaign.board.board`` for the last day (36 rows; goal < 200 ms warm);
- ``board --unit``: one sub-district and its committees;
- ``flagged``: every level;
- ``cumulative``: the district line over the D days;
- one daily file of N rows through ``battlemap load vaccination``'s pipeline (once);

and, as the baseline in the same run, the same board worked out in pandas from every report row read
whole (latest row per unit-day, sums, the 7-day window): the "export it and compute it" way. It prints
one JSON line per measure (p50, p95, max in ms) and writes them to bench/out/campaign.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, create_engine, text

from bench.etl import base_url, create_scratch, drop_scratch, scratch_url
from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.campaign.board import board, flagged
from geo.campaign.series import cumulative
from geo.campaign.store import add_campaign, rebuild_current

OUT = Path(__file__).resolve().parent / "out"
SUBDISTRICTS = 36
START = dt.date(2022, 1, 3)
NAME = "bench"


def fill(conn: Connection, committees: int, days: int) -> None:
    """Units, the campaign and its reports (set-based inserts; the load path is timed apart)."""
    conn.execute(
        text("""
        INSERT INTO admin_units (code, name, level, geom, source, source_id)
        VALUES ('D', '浦东新区', 'district', ST_Multi(ST_MakeEnvelope(121, 31, 122, 32, 4326)),
                'bench', 'D')""")
    )
    conn.execute(
        text("""
        INSERT INTO admin_units (code, name, level, parent_id, geom, source, source_id)
        SELECT 'S' || lpad(i::text, 2, '0'), '街镇' || i, 'subdistrict',
               (SELECT id FROM admin_units WHERE code = 'D'),
               ST_Multi(ST_MakeEnvelope(121 + i * 0.02, 31, 121.02 + i * 0.02, 31.5, 4326)), 'bench', 'S' || i
        FROM generate_series(1, :s) i""").bindparams(s=SUBDISTRICTS)
    )
    conn.execute(
        text("""
        INSERT INTO admin_units (code, name, level, parent_id, geom, source, source_id)
        SELECT 'C' || lpad(i::text, 4, '0'), '居委' || i, 'committee',
               (SELECT id FROM admin_units WHERE code = 'S' || lpad((1 + i % :s)::text, 2, '0')),
               ST_Multi(ST_MakeEnvelope(121 + (1 + i % :s) * 0.02, 31 + i * 0.0004,
                                        121.01 + (1 + i % :s) * 0.02, 31.0004 + i * 0.0004, 4326)),
               'bench', 'C' || i
        FROM generate_series(1, :n) i"""),
        {"s": SUBDISTRICTS, "n": committees},
    )
    units = (
        conn.execute(text("SELECT id FROM admin_units WHERE level = 'committee' ORDER BY id")).scalars().all()
    )
    deadline = START + dt.timedelta(days=days - 1)
    campaign = add_campaign(
        conn, NAME, start=START, deadline=deadline, source="bench",
        targets=[(int(u), 2_000 + int(u) % 997) for u in units],
    )  # fmt: skip
    conn.execute(
        text("""
        INSERT INTO campaign_reports (campaign_id, unit_id, day, organised, booked, vaccinated, source)
        SELECT :c, t.unit_id, d::date, 30 + (t.unit_id + k) % 9, 25 + (t.unit_id + k) % 7,
               10 + (t.unit_id * 7 + k * 3) % 15, 'bench'
        FROM campaign_targets t CROSS JOIN generate_series(0, :days - 2) k
        CROSS JOIN LATERAL (SELECT CAST(:start AS date) + k AS d) x
        WHERE t.campaign_id = :c AND (t.unit_id * 31 + k * 17) % 100 <> 0
        ORDER BY t.unit_id, k"""),
        {"c": campaign.id, "days": days, "start": START},
    )
    conn.execute(
        text("""
        INSERT INTO campaign_reports (campaign_id, unit_id, day, organised, booked, vaccinated, source)
        SELECT campaign_id, unit_id, day, organised, booked, vaccinated + 1, 'bench-corrected'
        FROM campaign_reports
        WHERE campaign_id = :c AND (unit_id * 13 + day - CAST(:start AS date)) % 50 = 0"""),
        {"c": campaign.id, "start": START},
    )
    rebuild_current(conn, campaign.id)
    conn.execute(text("ANALYZE"))


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    call()  # cold
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, round(0.95 * len(samples)) - 1)], 1),
        "max_ms": round(samples[-1], 1),
    }


def pandas_board(conn: Connection, day: dt.date) -> pd.DataFrame:
    """The baseline: every report row read whole, the board computed in pandas."""
    reports = pd.read_sql_query(
        text("SELECT r.id, r.unit_id, r.day, r.organised, r.booked, r.vaccinated FROM campaign_reports r"),
        conn,
    )
    units = pd.read_sql_query(
        text(
            "SELECT t.unit_id, t.target, u.parent_id FROM campaign_targets t "
            "JOIN admin_units u ON u.id = t.unit_id"
        ),
        conn,
    )
    current = reports.sort_values("id").drop_duplicates(["unit_id", "day"], keep="last")  # the latest row
    current = current[current["day"] <= day]
    window = current[current["day"] > day - dt.timedelta(days=7)]
    frame = units.set_index("unit_id")
    frame[["organised", "booked", "vaccinated"]] = current.groupby("unit_id")[
        ["organised", "booked", "vaccinated"]
    ].sum()
    frame["avg_7d"] = window.groupby("unit_id")["vaccinated"].mean()
    rolled = frame.groupby("parent_id")[["target", "organised", "booked", "vaccinated", "avg_7d"]].sum()
    rolled["remaining"] = (rolled["target"] - rolled["vaccinated"]).clip(lower=0)
    return rolled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--committees", type=int, default=1_007)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = scratch_url(base_url(args.database), f"battlemap_bench_campaign_{args.committees}")
    create_scratch(url)
    engine = create_engine(url)
    results: list[dict[str, object]] = []
    try:
        started = time.perf_counter()
        with engine.begin() as conn:
            fill(conn, args.committees, args.days)
        filled = time.perf_counter() - started
        day = START + dt.timedelta(days=args.days - 2)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM campaign_reports")).scalar_one()
            results.append({"measure": "fill", "report_rows": rows, "seconds": round(filled, 1)})
            first = board(conn, NAME, day=day)
            assert len(first) == SUBDISTRICTS, len(first)
            unit = first[0].code
            results.append(
                {
                    "measure": "board",
                    "rows": len(first),
                    **timed(lambda: board(conn, NAME, day=day), args.repeat),
                }
            )
            results.append({"measure": "board --unit", "unit": unit,
                            **timed(lambda: board(conn, NAME, day=day, unit=unit), args.repeat)})  # fmt: skip
            results.append({"measure": "flagged", **timed(lambda: flagged(conn, NAME, day=day), args.repeat)})
            results.append({"measure": "cumulative (district)",
                            **timed(lambda: cumulative(conn, NAME, day=day), args.repeat)})  # fmt: skip
            baseline = pandas_board(conn, day)
            ours = {r.unit_id: r for r in first}
            assert all(int(baseline.loc[i, "vaccinated"]) == ours[i].vaccinated for i in ours), (
                "baseline agrees"
            )
            results.append({"measure": "baseline: pandas over every row",
                            **timed(lambda: pandas_board(conn, day), max(3, args.repeat // 4))})  # fmt: skip
        codes = pd.read_sql_query(text("SELECT code FROM admin_units WHERE level = 'committee'"), engine)
        frame = codes.rename(columns={"code": "unit"}).assign(
            date=str(day + dt.timedelta(days=1)), organised=30, booked=25, vaccinated=12, campaign=NAME
        )
        with engine.begin() as conn:
            started = time.perf_counter()
            report = pipeline.load(conn, "vaccination", FrameSource(frame, name="day.csv"),
                                   options=LoadOptions(progress=False, strict=True))  # fmt: skip
            results.append({"measure": "load one daily file", "rows": report.inserted,
                            "ms": round((time.perf_counter() - started) * 1000, 1)})  # fmt: skip
    finally:
        engine.dispose()
        if not args.keep:
            drop_scratch(url)
    OUT.mkdir(exist_ok=True)
    with (OUT / "campaign.json").open("w", encoding="utf-8") as handle:
        for result in results:
            line = json.dumps(result, ensure_ascii=False)
            print(line)
            handle.write(line + "\n")


if __name__ == "__main__":
    main()
