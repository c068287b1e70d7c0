"""The whole demo in order: the real sample, then the simulated parts, each through the ordinary pipeline.

Everything runs in the caller's connection and transaction (``battlemap demo load`` wraps it in
one), and a second run reports every row unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from tempfile import gettempdir

import pandas as pd
from sqlalchemy import Connection, text

from etl import pipeline
from etl.demo import campaign, devices, flows, generator, grids, key_places, loops, risk, services
from etl.demo.sample import load_sample
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from etl.report import LoadReport
from geo.settings import Settings
from geo.vocab import SIMULATED_SOURCE

# The tables the demo fills, in the order the summary lists them.
DEMO_TABLES: tuple[str, ...] = (
    "admin_units",
    "grids",
    "compounds",
    "buildings",
    "households",
    "house_status",
    "places",
    "basemap_features",
    "addresses",
    "cases",
    "people",
    "responsibilities",
    "risk_areas",
    "transfers",
    "gate_events",
    "devices",
    "campaign_targets",
    "campaign_reports",
)


def run_demo(conn: Connection, *, settings: Settings) -> list[LoadReport]:
    """Load the real sample and the simulated parts; returns every step's report."""
    return list(iter_demo(conn, settings=settings))


def iter_demo(conn: Connection, *, settings: Settings) -> Iterator[LoadReport]:
    """:func:`run_demo`, yielding each report as its step completes."""
    yield from load_sample(conn, settings.demo.sample_dir, settings=settings.etl)
    yield from load_simulated(conn, settings=settings)
    yield loops.load_loops(conn, seed=settings.demo.seed)  # closed-loop work on the simulated statuses
    yield risk.load_risk_areas(conn)  # risk areas inside the statuses' period (the sample's are later)
    yield from campaign.load_campaign(conn, settings=settings)  # the vaccination board's campaign


def load_simulated(conn: Connection, *, settings: Settings) -> Iterator[LoadReport]:
    """Generate and load grids, households, house status, responsibility, then the movement flows
    (simulated places, transfer legs, gate counts: ``etl.demo.flows``), in that order.

    Each step reads what the previous ones loaded (households need the buildings' grids, statuses
    the households), so the frames are built one at a time. Generated rows must load without a
    single reject (``strict``): a reject here is a generator bug, not a data problem.
    """
    seed = settings.demo.seed
    events: pd.DataFrame | None = None

    def statuses() -> pd.DataFrame:
        nonlocal events
        events = generator.case_events(conn)
        return generator.status_frame(conn, seed=seed, events=events)

    steps: tuple[tuple[str, Callable[[], pd.DataFrame]], ...] = (
        ("grids", lambda: grids.grids_frame(conn)),
        ("households", lambda: generator.households_frame(conn, seed=seed)),
        ("status", statuses),
        ("responsibility", lambda: generator.responsibility_frame(conn, seed=seed)),
        # Movement flows: simulated places first (the legs and counts name them), then the legs,
        # then the gate counts (whose returnee arrivals agree with the legs).
        ("places", lambda: flows.places_frame(conn, sample_dir=settings.demo.sample_dir)),
        (
            "transfers",
            lambda: flows.transfers_frame(conn, seed=seed, deadline_hours=settings.flows.deadline_hours),
        ),
        ("gate-events", lambda: flows.gate_events_frame(conn, seed=seed)),
        # Key places (重点场所): shops, office buildings, firms, key-industry sites, as in Lujiazui.
        ("key-places", lambda: key_places.key_places_frame(conn, seed=seed)),
        # The service guide's multilingual registration and service points (etl.demo.services).
        ("service-points", lambda: services.places_frame(conn)),
        # Door sensors and thermometers of the households isolated today (active now).
        ("devices", lambda: devices.devices_frame(conn)),
    )
    for kind, build in steps:
        frame = build()
        report = _load(conn, kind, frame, settings=settings)
        report.notes["simulated"] = _describe(kind, frame, events)
        yield report


def _load(conn: Connection, kind: str, frame: pd.DataFrame, *, settings: Settings) -> LoadReport:
    name = f"{SIMULATED_SOURCE}-{kind}"
    if frame.empty:
        return LoadReport(kind=kind, path=name, notes={"nothing generated": "no buildings are loaded"})
    options = LoadOptions(
        source=SIMULATED_SOURCE,
        progress=False,
        strict=True,
        rejects_path=Path(gettempdir()) / "battlemap-demo-rejects" / f"{name}.rejects.csv",
    )
    job = _JOBS.get(kind, kind)
    return pipeline.load(conn, job, FrameSource(frame, name=name), options=options, settings=settings.etl)


# Steps loaded by another step's job (the key places are places).
_JOBS = {"key-places": "places", "service-points": "places"}


def _describe(kind: str, frame: pd.DataFrame, events: pd.DataFrame | None) -> str:
    """One line saying what the generator made, printed under the step's report."""
    if frame.empty:
        return "nothing"
    if kind == "grids":
        return (
            f"{len(frame)} grids in {frame['unit'].nunique()} sub-districts "
            f"({grids.CELL_M:.0f} m squares over land with buildings, slivers merged)"
        )
    if kind == "households":
        return f"{len(frame):,} households in {frame['building'].nunique():,} buildings"
    if kind == "status" and events is not None:
        cases, nearest = int(events["cases"].sum()), int(events["nearest"].sum())
        how = f", {nearest:,} of them attributed to the nearest building" if nearest else ""
        counts = ", ".join(f"{status} {n:,}" for status, n in frame["status"].value_counts().items())
        return f"from {cases:,} cases at {events['building'].nunique()} buildings{how}; {counts}"
    if kind == "responsibility":
        levels = frame.groupby("level")["person"].nunique()
        return f"{frame['person'].nunique():,} people: " + ", ".join(f"{k} {v:,}" for k, v in levels.items())
    if kind == "key-places":
        industries = frame["subcategory"].value_counts().sort_index()
        kinds = ", ".join(f"{k} {n:,}" for k, n in frame["kind"].value_counts().sort_index().items())
        return f"{kinds} (key industries: " + ", ".join(f"{k} {n:,}" for k, n in industries.items()) + ")"
    if kind in ("places", "service-points"):
        return ", ".join(f"{k} {n:,}" for k, n in frame["kind"].value_counts().sort_index().items())
    if kind == "transfers":
        return (
            f"{len(frame):,} legs in {frame['chain_id'].nunique():,} chains (inbound loops, returnees, "
            "hospital transfers; a few overdue and one chain with a deliberate gap)"
        )
    if kind == "devices":
        households = frame["household"].nunique()
        return f"{len(frame):,} devices (door sensors and thermometers) of {households:,} isolated households"
    if kind == "gate-events":
        return f"{len(frame):,} hourly counts at {frame['gate'].nunique():,} gates"
    return f"{len(frame):,} rows"


def table_counts(conn: Connection) -> list[tuple[str, int, int]]:
    """(table, rows, simulated rows) for every table the demo fills."""
    counts = []
    for table in DEMO_TABLES:
        total, simulated = conn.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE source = :s) FROM {table}"),
            {"s": SIMULATED_SOURCE},
        ).one()
        counts.append((table, int(total), int(simulated)))
    return counts


def address_match_rate(conn: Connection) -> tuple[int, int]:
    """(cases matched to the address gazetteer, cases with an address)."""
    matched, addressed = conn.execute(
        text("SELECT count(address_id), count(*) FILTER (WHERE address IS NOT NULL) FROM cases")
    ).one()
    return int(matched), int(addressed)
