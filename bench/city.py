"""City-scale benchmark: every cost of running one city, at 100k, 1M (and 5M) buildings, and how it grows.

``python -m bench.city [--buildings 100000,1000000,5000000] [--seed S] [--database URL] [--repeat R]
[--concurrency C] [--no-browser] [--keep]`` builds, per size, a seeded synthetic city in a scratch
database (beside the one ``--database`` names): the footprints of ``bench.etl`` over Pudong loaded
by the real ``battlemap load buildings`` (alternated in the same run with ``ogr2ogr``, the
baseline, ``--repeat`` times each), the 500 m grid lattice, 2.5 households a building and a status
history (``bench.city_fill``). Then it times, on that one database:

- vector tiles, cold (server just started) and warm, p50/p95 per zoom band (z10-12, z13-14,
  z15-17): battlemap's ``buildings`` against tipg on the same table, and ``house-status``;
- one case's zones and counts, and the rings of 1,000 cases (``bench.risk``'s calls);
- the KPI strip (``geo.status.kpis``, what the page's callback asks), cold and warm;
- the house-status page in headless Chromium (``bench.browser``): drawn at its default view, a
  pan and a zoom until every tile is loaded, the frames drawn, the JS heap, and the wall.

It prints one table per size, then every figure side by side with its growth ratio between sizes
next to the ratio of the sizes, and names the figures that grow faster than the city.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.etl import (
    AREA,
    OUT,
    base_url,
    battlemap_load,
    create_scratch,
    drop_scratch,
    measure,
    run_method,
    scratch_url,
    sql,
    write_buildings,
    write_grids,
)

DEFAULT_SIZES = (100_000, 1_000_000)
DEFAULT_SEED = 20220406
BANDS = ((10, 12), (13, 14), (15, 17))
PORTS = (18301, 18310, 18320)
"""battlemap's tile servers (18301, 18302), tipg, the page's server: in this benchmark's range."""
SUPERLINEAR = 1.25
"""A figure whose growth ratio exceeds the size ratio by this factor is called faster than linear
(the rest is noise on a shared machine)."""


@dataclass
class Row:
    """One figure of one size: ours, and the baseline's when there is one (``ogr2ogr``, tipg)."""

    name: str
    value: float
    baseline: float | None = None
    unit: str = "s"


@dataclass
class SizeReport:
    buildings: int
    households: int = 0
    status_rows: int = 0
    rows: list[Row] = field(default_factory=list)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def add(self, name: str, value: float, baseline: float | None = None, unit: str = "s") -> None:
        self.rows.append(Row(name, value, baseline, unit))
        print(
            f"  {name}: {value:,.3f}{'' if baseline is None else f' (baseline {baseline:,.3f})'}", flush=True
        )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def p50_p95(values: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank) in milliseconds."""
    from bench.tiles import _p95

    return statistics.median(values) * 1000, _p95(list(values)) * 1000


def band_figures(
    tiles: Sequence[tuple[int, int, int]], latencies: Sequence[float]
) -> dict[str, tuple[float, float]]:
    """(p50, p95) ms per zoom band of ``BANDS`` from one pass's per-tile latencies."""
    out = {}
    for low, high in BANDS:
        chosen = [t for t, (z, _, _) in zip(latencies, tiles, strict=True) if low <= z <= high]
        if chosen:
            out[f"z{low}-{high}"] = p50_p95(chosen)
    return out


# --- the steps of one size


def write_admin(path: Path, *, side: int = 4) -> None:
    """One district over the whole area and ``side`` x ``side`` sub-districts, as GeoJSON: what the
    house-status page draws below grid zoom (its default view of a whole city)."""
    west, south, east, north = AREA
    dx, dy = (east - west) / side, (north - south) / side

    def feature(
        code: str, name: str, level: str, box: tuple[float, float, float, float], **more: str
    ) -> dict:
        x0, y0, x1, y1 = box
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        return {
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": level, **more},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    features = [feature("PD", "浦东新区", "district", AREA)]
    for j in range(side):
        for i in range(side):
            box = (west + i * dx, south + j * dy, west + (i + 1) * dx, south + (j + 1) * dy)
            features.append(feature(f"PD{j}{i}", f"街镇{j}{i}", "subdistrict", box, parent="PD"))
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))


def load(report: SizeReport, url: str, *, seed: int, repeat: int) -> None:
    """The footprints by ``ogr2ogr`` and by ``battlemap load buildings``, alternated; medians."""
    gpkg = OUT / f"buildings_{report.buildings}_{seed}.gpkg"
    if not gpkg.exists():
        started = time.perf_counter()
        write_buildings(gpkg, rows=report.buildings, seed=seed)
        print(f"  wrote {gpkg.name} in {time.perf_counter() - started:.1f} s", flush=True)
    log = OUT / "city.log"
    grids, admin = OUT / "grids_500m.geojson", OUT / "city_admin.geojson"
    write_grids(grids)
    write_admin(admin)
    for kind, path in (("admin", admin), ("grids", grids)):  # before the buildings: assigned on load
        measure(
            [*battlemap_load(), kind, str(path), "--no-progress"], url=url, log=log, env={"DATABASE_URL": url}
        )
    runs: dict[str, list] = {"ogr2ogr": [], "battlemap": []}
    for round_no in range(repeat):
        order = ("ogr2ogr", "battlemap") if round_no % 2 == 0 else ("battlemap", "ogr2ogr")
        for method in order:
            runs[method].append(run_method(method, gpkg, url, log))
            print(
                f"  {method} round {round_no + 1}: {runs[method][-1].seconds:.1f} s (load {load_average()})"
            )
    sql(url, "DROP TABLE IF EXISTS ogr_buildings")
    loaded = int(sql(url, "SELECT count(*) FROM buildings") or 0)  # type: ignore[call-overload]
    if loaded != report.buildings:
        raise SystemExit(f"battlemap loaded {loaded:,} buildings, expected {report.buildings:,}; see {log}")
    ours, theirs = runs["battlemap"], runs["ogr2ogr"]
    report.add("load buildings s (vs ogr2ogr)", statistics.median(r.seconds for r in ours),
               statistics.median(r.seconds for r in theirs))  # fmt: skip
    report.add("load peak RSS MB (vs ogr2ogr)", max(r.peak_rss_mb for r in ours),
               max(r.peak_rss_mb for r in theirs), unit="MB")  # fmt: skip


def same_start(url: str) -> None:
    """The same database state for every server's cold pass: nothing dirty to write out, and the
    shared buffers holding what reading the footprints and their index through them leaves there,
    whatever the server before touched (else the second server finds the first one's pages)."""
    sql(url, "CHECKPOINT")
    for relation in ("households", "house_status", "buildings", "idx_buildings_geom"):
        sql(url, f"SELECT pg_prewarm('{relation}', 'buffer')")


def tiles(report: SizeReport, url: str, *, concurrency: int, date: dt.date) -> None:
    """Cold and warm passes per server over z10-z17; p50/p95 per band, battlemap against tipg.
    House-status tiles are asked for ``date``, as the page asks them."""
    from bench.tiles import bench_user, servers, tile_list, timed_passes

    addresses = tile_list(range(BANDS[0][0], BANDS[-1][1] + 1))
    *_, token = bench_user(url)
    figures: dict[str, dict[str, dict[str, tuple[float, float]]]] = {}
    chosen = servers(url, ports=PORTS[:2], layers=("buildings", "house-status"))
    command, env, health, template = chosen["battlemap house-status"]
    chosen["battlemap house-status"] = (command, env, health, f"{template}?date={date.isoformat()}")
    for name, server in chosen.items():
        same_start(url)
        failed: list[str] = []  # a tile past the statement timeout is a 503: counted, its time kept
        for run, (_, latencies, _) in timed_passes(
            server, addresses, concurrency, token, f"city_{name}", failed=failed
        ):
            figures.setdefault(name, {})[run] = band_figures(addresses, latencies)
        report.add(f"tiles {name.removeprefix('battlemap ')} failed (HTTP 5xx)", len(failed), unit="tiles")
    for run in ("cold", "warm"):
        for band in figures["battlemap"][run]:
            for i, stat in enumerate(("p50", "p95")):
                ours, theirs = figures["battlemap"][run][band][i], figures["tipg"][run][band][i]
                report.add(f"tiles buildings {band} {run} {stat} ms (vs tipg)", ours, theirs, unit="ms")
    for run in ("cold", "warm"):
        for band, pair in figures["battlemap house-status"][run].items():
            for i, stat in enumerate(("p50", "p95")):
                report.add(f"tiles house-status {band} {run} {stat} ms", pair[i], unit="ms")


def queries(report: SizeReport, url: str, *, seed: int, date: dt.date) -> None:
    """One case's zones and counts, 1,000 cases' rings, the KPIs: cold, then the median of three."""
    import numpy as np
    from sqlalchemy import create_engine

    from bench.risk import RADII, timed
    from geo.risk.rings import ring_counts
    from geo.risk.rules import default_rules
    from geo.risk.zones import declare_risk_area
    from geo.status.kpis import kpis

    engine = create_engine(url, pool_size=2)
    lon, lat = (AREA[0] + AREA[2]) / 2, (AREA[1] + AREA[3]) / 2
    span = np.array([AREA[2] - AREA[0], AREA[3] - AREA[1]]) * 0.6
    points = np.array([lon, lat]) - span / 2 + np.random.default_rng(seed).random((1000, 2)) * span
    rules = default_rules()

    def one_case() -> object:
        with engine.connect() as conn:
            return declare_risk_area(conn, [(lon, lat)], rules=rules, date=date, geometry=False)

    def rings() -> object:
        with engine.connect() as conn:
            return ring_counts(conn, points, RADII, date=date)

    def strip() -> object:
        with engine.connect() as conn:
            return kpis(conn, date=date)

    steps: tuple[tuple[str, Callable[[], object]], ...] = (
        ("one case: zones + counts", one_case),
        ("1,000 cases: rings + counts", rings),
        ("KPIs (house-status strip)", strip),
    )
    try:
        for name, fn in steps:
            cold, warm, _ = timed(fn, 3)
            report.add(f"{name} cold s", cold)
            report.add(f"{name} warm s", warm)
    finally:
        engine.dispose()


def browser(report: SizeReport, url: str) -> None:
    from bench.browser import TIMEOUT_S, city_figures

    try:
        figures = city_figures(url, port=PORTS[2], screenshot=OUT / f"city_{report.buildings}.png")
    except RuntimeError as exc:  # not drawn within the browser's timeout: that is the figure
        print(f"  page: {exc}", flush=True)
        report.add("page not drawn within s", TIMEOUT_S)
        return
    units = {"frames": "frames", "heap_mb": "MB"}
    for name, value in figures.items():
        unit = next((u for k, u in units.items() if name.endswith(k)), "s")
        report.add(f"page {name}", value, unit=unit)


def one_size(buildings: int, args: argparse.Namespace) -> SizeReport:
    from bench.city_fill import fill, last_day

    report = SizeReport(buildings)
    url = scratch_url(base_url(args.database), f"battlemap_bench_city_{buildings}")
    print(f"\n== {buildings:,} buildings: scratch database {url.rsplit('/', 1)[-1]} (load {load_average()})")
    drop_scratch(url)
    create_scratch(url)
    try:
        load(report, url, seed=args.seed, repeat=args.repeat)
        started = time.perf_counter()
        report.households, report.status_rows = fill(url, seed=args.seed)
        print(f"  {report.households:,} households, {report.status_rows:,} status rows "
              f"in {time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        sql(url, "CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        for relation in ("buildings", "idx_buildings_geom", "households", "house_status"):
            sql(url, f"SELECT pg_prewarm('{relation}', 'read')")  # the OS page cache, for everyone
        day = last_day(url)
        tiles(report, url, concurrency=args.concurrency, date=day)
        queries(report, url, seed=args.seed, date=day)
        if args.browser:
            browser(report, url)
        report.load_average = os.getloadavg()
    finally:
        if not args.keep:
            drop_scratch(url)
    return report


# --- the report


def size_table(report: SizeReport) -> str:
    """One size's figures: ours, the baseline's and baseline over ours (above 1: we are faster)."""
    header = f"{'figure':<52} {'battlemap':>11} {'baseline':>11} {'base/ours':>9}"
    one, five, fifteen = report.load_average
    lines = [
        f"{report.buildings:,} buildings, {report.households:,} households, "
        f"{report.status_rows:,} status rows (load average {one:.2f} {five:.2f} {fifteen:.2f} at the end)",
        header,
        "-" * len(header),
    ]
    for row in report.rows:
        baseline = "" if row.baseline is None else f"{row.baseline:,.3f}"
        ratio = "" if row.baseline is None or not row.value else f"{row.baseline / row.value:.2f}"
        lines.append(f"{row.name:<52} {row.value:>11,.3f} {baseline:>11} {ratio:>9}")
    return "\n".join(lines)


def growth(reports: Sequence[SizeReport]) -> list[tuple[str, list[float], list[float], bool]]:
    """Per figure present at every size: its values, its ratio from each size to the next, and
    whether any of them exceeds the size ratio by ``SUPERLINEAR`` (frames and heap included)."""
    names = [r.name for r in reports[0].rows]
    out = []
    for name in names:
        values = [next((r.value for r in report.rows if r.name == name), float("nan")) for report in reports]
        ratios = [b / a if a else float("nan") for a, b in itertools.pairwise(values)]
        sizes = [b.buildings / a.buildings for a, b in itertools.pairwise(reports)]
        faster = any(g > s * SUPERLINEAR for g, s in zip(ratios, sizes, strict=True))
        out.append((name, values, ratios, faster))
    return out


def growth_table(reports: Sequence[SizeReport]) -> str:
    sizes = [r.buildings for r in reports]
    steps = [f"x{b / a:g} size" for a, b in itertools.pairwise(sizes)]
    header = (
        f"{'figure':<52} " + " ".join(f"{s:>11,}" for s in sizes) + " " + " ".join(f"{s:>11}" for s in steps)
    )
    lines = [header, "-" * len(header)]
    for name, values, ratios, faster in growth(reports):
        cells = (
            " ".join(f"{v:>11,.3f}" for v in values)
            + " "
            + " ".join(f"{'x' + format(g, '.2f'):>11}" for g in ratios)
        )
        lines.append(f"{name:<52} {cells}{'  FASTER than linear' if faster else ''}")
    return "\n".join(lines)


def closing_note(reports: Sequence[SizeReport]) -> str:
    if len(reports) < 2:
        return "one size only: no growth to read (give --buildings 100000,1000000)"
    faster = [name for name, _, _, f in growth(reports) if f]
    if not faster:
        return "no figure grows faster than the number of buildings."
    return (
        f"faster than linear (growth > {SUPERLINEAR:g} x the size ratio): "
        + "; ".join(faster)
        + ". Why: see bench/README.md, section bench.city."
    )


def saved(report: SizeReport) -> dict:
    return {"buildings": report.buildings, "households": report.households, "status_rows": report.status_rows,
            "load_average": report.load_average, "rows": [vars(x) for x in report.rows]}  # fmt: skip


def earlier(path: Path) -> list[SizeReport]:
    """The sizes of an earlier run's ``city.json`` (``--add-to``), as reports."""
    out = []
    for entry in json.loads(path.read_text()):
        report = SizeReport(entry["buildings"], entry.get("households", 0), entry.get("status_rows", 0))
        report.rows = [Row(**row) for row in entry["rows"]]
        report.load_average = tuple(entry.get("load_average", (0.0, 0.0, 0.0)))  # type: ignore[assignment]
        out.append(report)
    return out


def parse_sizes(text: str) -> list[int]:
    """``100000,1000000`` -> [100000, 1000000]; sizes must be positive and increasing."""
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--buildings was {text!r} but is expected to be comma-separated integers, e.g. 100000,1000000"
        ) from None
    if not sizes or any(s <= 0 for s in sizes) or sizes != sorted(set(sizes)):
        raise argparse.ArgumentTypeError(
            f"--buildings was {text!r} but is expected to be positive sizes in increasing order"
        )
    return sizes


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.city", description=__doc__.splitlines()[0])
    sizes_help = "comma-separated city sizes (default 100000,1000000; 5000000 optional)"
    parser.add_argument("--buildings", type=parse_sizes, default=list(DEFAULT_SIZES), help=sizes_help)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--database", help="PostGIS URL whose server hosts the scratch databases")
    parser.add_argument("--repeat", type=int, default=1, help="load runs of each method (median reported)")
    parser.add_argument("--concurrency", type=int, default=4, help="tile requests in flight")
    parser.add_argument("--no-browser", dest="browser", action="store_false", help="skip Chromium")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--add-to", type=Path, help="a city.json of an earlier run: its sizes join the growth table"
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"bench.city: sizes {', '.join(f'{s:,}' for s in args.buildings)}; load average {load_average()}")
    reports = earlier(args.add_to) if args.add_to else []
    reports = [r for r in reports if r.buildings not in args.buildings]
    for size in args.buildings:  # each size's table as soon as it is done: 1M and 5M take long
        reports.append(one_size(size, args))
        print()
        print(size_table(reports[-1]), flush=True)
        (OUT / "city.json").write_text(
            json.dumps(
                [{"buildings": r.buildings, "rows": [vars(x) for x in r.rows]} for r in reports], indent=1
            )
        )
    reports.sort(key=lambda r: r.buildings)
    if len(reports) > 1:
        print()
        print(growth_table(reports))
    print()
    print(closing_note(reports))
    print(f"load average {load_average()} at the end (the machine is shared: compare rows of one run)")


if __name__ == "__main__":
    main()
