"""The seeded vaccination-campaign demo (疫苗接种): targets and daily counts for Pudong's 36 sub-districts,
simulated (no public per-unit counts exist) and stored with ``source = 'simulated'``.

The model
---------
targets
    20 % of each sub-district's resident population (``ELIGIBLE_SHARE``, a simulated eligible
    share). 陆家嘴街道's population is the field report's (常住人口约12万, 48,728 households); the
    other 35 share the rest of Pudong's 2020 census population (5,681,512) by land area, an urban
    sub-district (街道) weighted ``URBAN_DENSITY`` times a town (镇): a simulation, not a published
    figure per sub-district (see data/SOURCES.md).
daily counts
    From ``START`` to ``LAST_DAY``, each unit vaccinates at its own pace: on track units at 1.15 to
    1.45 times the straight-line rate, the two ``LAGGING`` units at about half of it, with day-to-day
    noise; organised and booked run ahead of vaccinated. Three files arrive as in the field: the
    daily files (with ``MISSING`` unit-days left out), a late file bringing two of the missing days a
    few days later, and a corrected file replacing two units' counts of one day (the earlier counts
    stay in ``campaign_reports``). One unit has not reported ``LAST_DAY`` at all (shown as missing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from tempfile import gettempdir

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from etl import pipeline
from etl.demo.generator import rng_for
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from etl.report import LoadReport
from geo import audit
from geo.campaign.store import add_campaign
from geo.settings import Settings
from geo.vocab import SIMULATED_SOURCE

CAMPAIGN = "浦东新区加强针接种(模拟)"
PUDONG = "310115"
START = dt.date(2022, 3, 7)
LAST_DAY = dt.date(2022, 4, 20)  # the last day of the case data (data/SOURCES.md)
DEADLINE = dt.date(2022, 5, 31)
PUDONG_POPULATION = 5_681_512  # 2020 census, Shanghai Statistics Bureau
LUJIAZUI = ("310115-033", 120_000)  # the field report: 常住人口约12万
ELIGIBLE_SHARE = 0.20
URBAN_DENSITY = 10.0  # a 街道 (urban sub-district) is weighted as ten times as dense as a 镇 (town)
LAGGING = ("310115-005", "310115-036")  # 书院镇, 高行镇
MISSING = (("310115-010", dt.date(2022, 4, 12)), ("310115-021", dt.date(2022, 4, 14)),
           ("310115-027", LAST_DAY))  # fmt: skip
LATE = 2  # the first LATE missing unit-days come in the late file
CORRECTED = (("310115-018", dt.date(2022, 4, 18)), ("310115-030", dt.date(2022, 4, 18)))


def pudong_units(conn: Connection) -> pd.DataFrame:
    """Pudong's sub-districts with their land area in km² (in their local UTM zone)."""
    rows = conn.execute(
        text(f"""
        SELECT code, name, ST_Area(geom::geography) / 1e6 AS km2 FROM admin_units
        WHERE level = 'subdistrict' AND code LIKE '{PUDONG}-%' ORDER BY code""")
    ).all()
    return pd.DataFrame(rows, columns=["code", "name", "km2"])


def targets_frame(units: pd.DataFrame) -> pd.DataFrame:
    """``unit, target, population`` per sub-district (see the module docstring)."""
    code, known = LUJIAZUI
    others = units[units["code"] != code]
    population = pd.Series(0.0, index=units.index)
    population[units["code"] == code] = known
    weight = others["km2"] * others["name"].str.endswith("街道").map({True: URBAN_DENSITY, False: 1.0})
    population[others.index] = (PUDONG_POPULATION - known) * weight / weight.sum()
    return pd.DataFrame(
        {
            "unit": units["code"],
            "population": population.round().astype(int),
            "target": (population * ELIGIBLE_SHARE).round().astype(int),
        }
    )


def daily_frame(targets: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """Every simulated unit-day (before files are cut): ``unit, date, organised, booked, vaccinated``."""
    span = (DEADLINE - START).days + 1
    days = pd.date_range(START, LAST_DAY).date
    rows = []
    for unit, target in zip(targets["unit"], targets["target"], strict=True):
        rng = rng_for(seed, "campaign", unit)
        pace = rng.uniform(0.45, 0.55) if unit in LAGGING else rng.uniform(1.15, 1.45)
        rate = target / span * pace
        vaccinated = np.maximum(rng.normal(rate, rate * 0.12, len(days)).round(), 0).astype(int)
        booked = (vaccinated * rng.uniform(1.05, 1.15, len(days))).round().astype(int)
        organised = (booked * rng.uniform(1.05, 1.2, len(days))).round().astype(int)
        for i, day in enumerate(days):
            rows.append((unit, day, int(organised[i]), int(booked[i]), int(vaccinated[i])))
    return pd.DataFrame(rows, columns=["unit", "date", "organised", "booked", "vaccinated"])


def files(daily: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The files as they arrive: daily (missing unit-days left out), late, corrected."""
    key = list(zip(daily["unit"], daily["date"], strict=True))
    missing = [k in MISSING for k in key]
    late = [k in MISSING[:LATE] for k in key]
    first = daily[~pd.Series(missing, index=daily.index)]
    late_file = daily[pd.Series(late, index=daily.index)]
    corrected = daily[pd.Series([k in CORRECTED for k in key], index=daily.index)].copy()
    # The first file under-counted these days; the correction doubles the day's vaccinated.
    first = first.copy()
    wrong = pd.Series(
        [k in CORRECTED for k in zip(first["unit"], first["date"], strict=True)], index=first.index
    )
    first.loc[wrong, "vaccinated"] = first.loc[wrong, "vaccinated"] // 2
    return [("daily", first), ("late", late_file), ("corrected", corrected)]


def load_campaign(conn: Connection, *, settings: Settings) -> Iterator[LoadReport]:
    """Create the demo campaign and load its three files (once: a second run finds it and reports
    every row unchanged)."""
    units = pudong_units(conn)
    if units.empty:
        yield LoadReport(kind="vaccination", path=f"{SIMULATED_SOURCE}-vaccination",
                         notes={"nothing generated": "no Pudong sub-districts are loaded"})  # fmt: skip
        return
    targets = targets_frame(units)
    demo_files = files(daily_frame(targets, seed=settings.demo.seed))
    if conn.execute(text("SELECT 1 FROM campaigns WHERE name = :n"), {"n": CAMPAIGN}).first():
        # Loaded already: the files again would re-append the corrected days' first counts.
        for name, frame in demo_files:
            yield LoadReport(
                kind="vaccination", path=f"{SIMULATED_SOURCE}-vaccination-{name}", rows_read=len(frame),
                unchanged=len(frame), notes={"unchanged": f"{CAMPAIGN} is loaded already"},
            )  # fmt: skip
        return
    ids: dict[str, int] = dict(conn.execute(text("SELECT code, id FROM admin_units WHERE code = ANY(:c)"),
                            {"c": list(targets["unit"])}).all())  # fmt: skip
    add_campaign(
        conn, CAMPAIGN, start=START, deadline=DEADLINE, dose="booster", source=SIMULATED_SOURCE,
        targets=[(int(ids[u]), int(t)) for u, t in zip(targets["unit"], targets["target"], strict=True)],
        actor=audit.Actor(name="demo", role="cli"),
    )  # fmt: skip
    for name, frame in demo_files:
        source = FrameSource(frame.assign(campaign=CAMPAIGN), name=f"{SIMULATED_SOURCE}-vaccination-{name}")
        options = LoadOptions(
            source=SIMULATED_SOURCE, progress=False, strict=True,
            rejects_path=Path(gettempdir()) / "battlemap-demo-rejects" / f"vaccination-{name}.rejects.csv",
        )  # fmt: skip
        report = pipeline.load(conn, "vaccination", source, options=options, settings=settings.etl)
        report.notes["simulated"] = f"{name} file: {len(frame):,} unit-days of {CAMPAIGN}"
        yield report
