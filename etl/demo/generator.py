"""The seeded demo generator: what the public data lacks, simulated from the real buildings and cases.

The real sample (etl/demo/sample.py) has sub-districts, OSM buildings and compounds, and the
published case addresses of Shanghai's spring 2022 wave, but no grids, households, house-status
history or responsibility chain. Each function here reads what is loaded and returns a frame
that the ordinary pipeline loads with ``source = 'simulated'``; nothing is written here.

Determinism: every random draw comes from ``numpy.random.default_rng`` seeded with the demo seed
and the stable key of the thing drawn for (a building's ``source_id``, a grid's code…), and rows
are read ``ORDER BY`` their keys, so a second run yields identical rows (the loads report them
unchanged) and adding one building does not reshuffle the others.

The model
---------
grids
    Every sub-district holding at least one loaded building is cut into ``CELL_M`` squares of a
    lattice aligned to its UTM zone, clipped to the sub-district. The lattice corners are
    projected to WGS84 before clipping, so neighbours share their edges exactly and the cells
    tile the sub-district with no overlap and no gap. Cells smaller than ``SLIVER_SHARE`` of a
    square are merged into the touching neighbour with the longest shared edge (the nearest cell
    when none touches). Numbered north to south, west to east: ``310115-033-G001``,
    ``陆家嘴街道第1网格``.
households
    Per building: floors as loaded (the loader derives them from height), else
    ``DEFAULT_FLOORS``; floor area = footprint (geography) x floors; the residential share is 1
    inside a compound, else ``TALL_SHARE`` for towers of ``TALL_FLOORS`` or more (Lujiazui's
    towers are offices) and ``LOW_SHARE`` below (the Bund's lane houses mix homes and shops).
    Households = clamp(round(area x floors x share / ``HOUSEHOLD_M2``), 1, ``MAX_HOUSEHOLDS``),
    labelled ``floor-room`` ("12-03"), 1-5 people, flags drawn at ``FLAG_SHARES``; a household
    flagged elderly-alone has one person.
status
    From the real cases matched to a building (``cases.building_id``; the loader snaps a case
    within 30 m): on each date with n cases there, n households are ``confirmed`` for 14 days
    then ``health_monitoring`` for 7; 1-3 other households are ``close_contact`` for 14 days then
    ``health_monitoring`` for 7 (Shanghai's "14+7"); the building is ``sealed`` until 14 days
    after its last case (building-level rows, overlapping stretches merged). A household never has
    two stretches at once, so "the status on day D" is one row; a small building whose households
    are all taken gets no more household rows that day (it stays sealed). Besides: ~3% of households are
    ``vacant`` from 2022-03-01 on (open-ended, and nothing else happens to them) and a few
    untouched ones get a ``returnee``, ``inbound`` (7 days, then 7 of home isolation and 7 of
    health monitoring) or ``home_isolation`` stretch. When fewer than ``MIN_CASE_BUILDINGS``
    buildings have a matched case, located cases in the gridded sub-districts are also attributed
    to the nearest building of their sub-district within ``FALLBACK_SNAP_M``.
responsibility
    The five levels of Pudong's chain plus the bottom rung: ``command_hq`` per district,
    ``leadership_member`` per sub-district, ``cadre`` per grid, ``area_secretary`` per compound
    (per grid for buildings outside compounds), ``social_worker`` per group of at most
    ``SOCIAL_WORKER_LIMIT`` buildings of a grid, ``building_leader`` per building and
    ``party_member`` for ``PARTY_SHARE`` of them. Deliberate gaps: ``LEADER_GAP_SHARE`` of the
    buildings have no building leader and ``CADRE_GAP_SHARE`` of the grids (at least one) no
    cadre; ``OVERLOADED_WORKERS`` social workers carry two groups, more than the limit. Names are
    drawn from common surnames and given-name characters and phones are masked ("139****0427",
    never a dialable number); both go in ``name``/``phone``, which the job keeps in
    ``person_contacts`` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo.vocab import CHAIN_LEVELS, term

DEFAULT_FLOORS = 3
TALL_FLOORS = 10
TALL_SHARE = 0.1
LOW_SHARE = 0.5
HOUSEHOLD_M2 = 90.0
MAX_HOUSEHOLDS = 1500
SIZE_WEIGHTS = (0.22, 0.30, 0.25, 0.15, 0.08)  # households of 1..5 people
FLAG_SHARES = {"elderly_alone": 0.06, "disabled": 0.02, "foreign_national": 0.03}
# Lujiazui's international compounds (涉外小区): the first named ones of the sub-district have this
# share of foreign-national households, above BATTLEMAP_INTERNATIONAL_SHARE's default.
INTERNATIONAL_COMPOUNDS = 3
INTERNATIONAL_FOREIGN_SHARE = 0.22

WAVE_START = dt.date(2022, 3, 1)
WAVE_END = dt.date(2022, 4, 20)
CASE_DAYS = 14
MONITOR_DAYS = 7
SEALED_DAYS = 14
VACANT_SHARE = 0.03
BASELINE_SHARES = {"returnee": 0.015, "inbound": 0.005, "home_isolation": 0.01}
MIN_CASE_BUILDINGS = 20
FALLBACK_SNAP_M = 300.0

SOCIAL_WORKER_LIMIT = 25
OVERLOADED_WORKERS = 2
LEADER_GAP_SHARE = 0.08
CADRE_GAP_SHARE = 0.03
PARTY_SHARE = 0.6

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严戴孔汤"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧建国红玉兰平刚桂文辉鹏飞霞峰琳晨雪婷浩宇欣怡佳俊海燕波"
)


def rng_for(seed: int, *keys: object) -> np.random.Generator:
    """A generator for one thing (a building, a grid…): same seed and keys, same draws."""
    digest = hashlib.blake2b("\x1f".join(map(str, keys)).encode(), digest_size=8).digest()
    return np.random.default_rng([seed, int.from_bytes(digest, "big")])


def international_compounds(conn: Connection) -> list[int]:
    """The ids of the compounds the demo makes international: the first ``INTERNATIONAL_COMPOUNDS``
    named compounds with buildings in 陆家嘴 (by id)."""
    return list(
        conn.execute(
            text("""
            SELECT c.id FROM compounds c JOIN admin_units u ON ST_Covers(u.geom, ST_PointOnSurface(c.geom))
            WHERE c.name IS NOT NULL AND u.name LIKE '陆家嘴%'
              AND EXISTS (SELECT 1 FROM buildings b WHERE b.compound_id = c.id)
            ORDER BY c.id LIMIT :n"""),
            {"n": INTERNATIONAL_COMPOUNDS},
        ).scalars()
    )


# --- grids


def households_frame(conn: Connection, *, seed: int) -> pd.DataFrame:
    """Simulated households of every loaded building (columns of the ``households`` kind)."""
    buildings = conn.execute(
        text("""
        SELECT source_id, floors, compound_id, ST_Area(geom::geography) AS area
        FROM buildings WHERE kind IS NULL OR kind <> 'building_part' ORDER BY source_id
    """)
    ).all()
    international = set(international_compounds(conn))
    sizes = np.arange(1, len(SIZE_WEIGHTS) + 1)
    rows: list[dict[str, object]] = []
    for building, floors, compound_id, area in buildings:
        in_compound = compound_id is not None
        shares = FLAG_SHARES | (
            {"foreign_national": INTERNATIONAL_FOREIGN_SHARE} if compound_id in international else {}
        )
        floors = int(floors) if floors else DEFAULT_FLOORS
        share = 1.0 if in_compound else TALL_SHARE if floors >= TALL_FLOORS else LOW_SHARE
        count = int(np.clip(round(area * floors * share / HOUSEHOLD_M2), 1, MAX_HOUSEHOLDS))
        rng = rng_for(seed, "households", building)
        per_floor = math.ceil(count / floors)
        size = rng.choice(sizes, size=count, p=SIZE_WEIGHTS)
        flags = {name: rng.random(count) < p for name, p in shares.items()}
        size[flags["elderly_alone"]] = 1
        for i in range(count):
            label = f"{i // per_floor + 1}-{i % per_floor + 1:02d}"
            rows.append(
                {
                    "id": f"sim-household:{building}:{label}",
                    "building": building,
                    "unit_label": label,
                    "size": int(size[i]),
                    **{name: bool(values[i]) for name, values in flags.items()},
                }
            )
    return pd.DataFrame(rows, columns=["id", "building", "unit_label", "size", *FLAG_SHARES])


# --- house status


def case_events(
    conn: Connection, *, min_buildings: int = MIN_CASE_BUILDINGS, snap_m: float = FALLBACK_SNAP_M
) -> pd.DataFrame:
    """Cases per building and day (columns building, reported_on, cases, nearest).

    The cases the loader matched to a building; when fewer than ``min_buildings`` buildings have
    one, also the located cases of the gridded sub-districts attributed to the nearest building of
    their sub-district within ``snap_m`` (counted in ``nearest``).
    """
    events = _read_events(
        conn,
        """
        SELECT b.source_id AS building, c.reported_on, count(*) AS cases, 0 AS nearest
        FROM cases c JOIN buildings b ON b.id = c.building_id
        GROUP BY b.source_id, c.reported_on
    """,
    )
    if events["building"].nunique() < min_buildings:
        nearest = _read_events(
            conn,
            """
            SELECT n.source_id AS building, c.reported_on, count(*) AS cases, count(*) AS nearest
            FROM admin_units u
            JOIN cases c ON ST_Intersects(u.geom, c.geom) AND c.building_id IS NULL
            CROSS JOIN LATERAL (
                SELECT b.source_id FROM buildings b
                WHERE b.subdistrict_id = u.id AND b.geom && ST_Expand(c.geom, :snap / 90000.0)
                  AND ST_DWithin(b.geom::geography, c.geom::geography, :snap)
                ORDER BY b.geom <-> c.geom, b.source_id LIMIT 1) n
            WHERE u.level = 'subdistrict' AND EXISTS (SELECT 1 FROM grids g WHERE g.unit_id = u.id)
            GROUP BY n.source_id, c.reported_on
        """,
            snap=snap_m,
        )
        events = pd.concat([events, nearest], ignore_index=True)
    events = events.groupby(["building", "reported_on"], as_index=False)[["cases", "nearest"]].sum()
    return events.sort_values(["building", "reported_on"], ignore_index=True)


def _read_events(conn: Connection, sql: str, **params: float) -> pd.DataFrame:
    frame = pd.read_sql(text(sql), conn, params=params)
    frame["reported_on"] = pd.to_datetime(frame["reported_on"]).dt.date
    return frame.astype({"cases": "int64", "nearest": "int64"})


def status_frame(conn: Connection, *, seed: int, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Simulated house-status history (columns of the ``status`` kind), from the cases per building."""
    events = case_events(conn) if events is None else events
    by_building = {
        b: list(zip(g["reported_on"], g["cases"], strict=True)) for b, g in events.groupby("building")
    }
    households = conn.execute(
        text("""
        SELECT b.source_id, h.source_id FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE h.source = 'simulated' ORDER BY b.source_id, h.source_id
    """)
    ).all()
    homes: dict[str, list[str]] = {}
    for building, household in households:
        homes.setdefault(building, []).append(household)
    rows: list[dict[str, object]] = []
    for building in sorted(homes):
        rng = rng_for(seed, "status", building)
        order = [homes[building][i] for i in rng.permutation(len(homes[building]))]
        vacant = rng.random(len(order)) < VACANT_SHARE
        rows += [
            _stretch(h, None, "vacant", WAVE_START, None) for h, v in zip(order, vacant, strict=True) if v
        ]
        occupied = [h for h, v in zip(order, vacant, strict=True) if not v]
        touched = _case_stretches(building, occupied, by_building.get(building, []), rng, rows)
        rows += _baseline(occupied, touched, rng)
    columns = ["id", "household", "building", "status", "valid_from", "valid_to"]
    return pd.DataFrame(rows, columns=columns)


def _stretch(
    household: str | None, building: str | None, status: str, start: dt.date, end: dt.date | None
) -> dict[str, object]:
    target = household or building
    return {
        "id": f"sim-status:{target}:{status}:{start.isoformat()}",
        "household": household,
        "building": building,
        "status": status,
        "valid_from": start.isoformat(),
        "valid_to": end.isoformat() if end else None,
    }


def _case_stretches(
    building: str,
    occupied: list[str],
    events: list[tuple[dt.date, int]],
    rng: np.random.Generator,
    rows: list[dict[str, object]],
) -> set[str]:
    """Confirmed households, their close contacts, and the building sealed; returns the households touched."""
    free_from: dict[str, dt.date] = {}
    never = dt.date.max
    days = dt.timedelta
    sealed: list[list[dt.date]] = []
    for day, cases in events:
        free = [h for h in occupied if free_from.get(h, dt.date.min) <= day]
        contacts = int(rng.integers(1, 4))
        for i, household in enumerate(free[: int(cases) + contacts]):
            status = "confirmed" if i < cases else "close_contact"
            end = day + days(CASE_DAYS)
            rows.append(_stretch(household, None, status, day, end))
            rows.append(_stretch(household, None, "health_monitoring", end, end + days(MONITOR_DAYS)))
            free_from[household] = never if status == "confirmed" else end + days(MONITOR_DAYS)
        until = day + days(SEALED_DAYS)
        if sealed and day <= sealed[-1][1]:
            sealed[-1][1] = max(sealed[-1][1], until)
        else:
            sealed.append([day, until])
    rows += [_stretch(None, building, "sealed", start, end) for start, end in sealed]
    return set(free_from)


def _baseline(occupied: list[str], touched: set[str], rng: np.random.Generator) -> list[dict[str, object]]:
    """A few returnee, inbound and home-isolation stretches among households the cases left alone."""
    rows: list[dict[str, object]] = []
    days = dt.timedelta
    span = (WAVE_END - WAVE_START).days
    draws = rng.random(len(occupied))
    starts = rng.integers(0, span, size=len(occupied))
    thresholds = np.cumsum(list(BASELINE_SHARES.values()))
    for household, draw, offset in zip(occupied, draws, starts, strict=True):
        if household in touched or draw >= thresholds[-1]:
            continue
        status = list(BASELINE_SHARES)[int(np.searchsorted(thresholds, draw, side="right"))]
        start = WAVE_START + days(int(offset))
        if status == "inbound":
            rows.append(_stretch(household, None, "inbound", start, start + days(7)))
            rows.append(_stretch(household, None, "home_isolation", start + days(7), start + days(14)))
            rows.append(_stretch(household, None, "health_monitoring", start + days(14), start + days(21)))
        else:
            rows.append(_stretch(household, None, status, start, start + days(14)))
    return rows


# --- responsibility


def responsibility_frame(conn: Connection, *, seed: int) -> pd.DataFrame:
    """The simulated responsibility chain (columns of the ``responsibility`` kind)."""
    grids = conn.execute(
        text("""
        SELECT g.code, u.code AS subdistrict, d.code AS district FROM grids g
        JOIN admin_units u ON u.id = g.unit_id LEFT JOIN admin_units d ON d.id = u.parent_id
        WHERE g.source = 'simulated' ORDER BY g.code
    """)
    ).all()
    buildings = conn.execute(
        text("""
        SELECT b.source_id, g.code AS grid, c.source_id AS compound FROM buildings b
        LEFT JOIN grids g ON g.id = b.grid_id LEFT JOIN compounds c ON c.id = b.compound_id
        WHERE b.kind IS NULL OR b.kind <> 'building_part'
        ORDER BY ST_Y(b.label_point) DESC, ST_X(b.label_point), b.source_id
    """)
    ).all()
    chain = _Chain(seed)
    for district in sorted({d for _, _, d in grids if d}):
        chain.assign("command_hq", "unit", district)
    for subdistrict in sorted({s for _, s, _ in grids}):
        chain.assign("leadership_member", "unit", subdistrict)
    grid_codes = [code for code, _, _ in grids]
    in_grid: dict[str, list[str]] = {code: [] for code in grid_codes}
    for building, grid, _ in buildings:
        if grid in in_grid:
            in_grid[grid].append(building)
    peopled = [code for code in grid_codes if in_grid[code]]
    gaps = _pick(rng_for(seed, "cadre gaps"), peopled, max(1, round(CADRE_GAP_SHARE * len(peopled))))
    for code in grid_codes:
        if code not in gaps:
            chain.assign("cadre", "grid", code)
    compounds = sorted({c for _, _, c in buildings if c})
    for compound in compounds:
        chain.assign("area_secretary", "compound", compound)
    for code in sorted({g for _, g, c in buildings if g in in_grid and not c}):
        chain.assign("area_secretary", "grid", code)
    crowded = [code for code in peopled if len(in_grid[code]) > SOCIAL_WORKER_LIMIT]
    overloaded = _pick(rng_for(seed, "overloaded"), crowded, OVERLOADED_WORKERS)
    for code in peopled:
        for group in _groups(in_grid[code], SOCIAL_WORKER_LIMIT, overload=code in overloaded):
            person = chain.person("social_worker", code, group[0])
            for building in group:
                chain.assign("social_worker", "building", building, person=person)
    for building, _, _ in sorted(buildings):
        rng = rng_for(seed, "building chain", building)
        leader_gap, party = rng.random(2)
        if leader_gap >= LEADER_GAP_SHARE:
            chain.assign("building_leader", "building", building)
        if party < PARTY_SHARE:
            chain.assign("party_member", "building", building)
    return pd.DataFrame(
        chain.rows, columns=["id", "person", "level", "role", "scope_type", "scope", "name", "phone"]
    )


def _pick(rng: np.random.Generator, items: list[str], count: int) -> set[str]:
    if not items:
        return set()
    return {items[i] for i in rng.choice(len(items), size=min(count, len(items)), replace=False)}


def _groups(buildings: list[str], limit: int, *, overload: bool) -> Iterable[list[str]]:
    """Balanced groups of at most ``limit`` buildings; an overloaded worker first takes twice as many."""
    if overload:
        yield buildings[: 2 * limit]
        buildings = buildings[2 * limit :]
    if not buildings:
        return
    count = math.ceil(len(buildings) / limit)
    for part in np.array_split(np.array(buildings, dtype=object), count):
        yield list(part)


class _Chain:
    """Accumulates people and assignments; a person is drawn once per (level, scope)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rows: list[dict[str, object]] = []
        self.contacts: dict[str, tuple[str, str]] = {}

    def person(self, level: str, *scope: str) -> str:
        key = hashlib.blake2b("\x1f".join((level, *scope)).encode(), digest_size=5).hexdigest()
        code = f"sim-{level.replace('_', '-')}-{key}"
        if code not in self.contacts:
            rng = rng_for(self.seed, "person", code)
            name = SURNAMES[rng.integers(len(SURNAMES))] + "".join(
                GIVEN[i] for i in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))
            )
            self.contacts[code] = (name, f"139****{int(rng.integers(10_000)):04d}")
        return code

    def assign(self, level: str, scope_type: str, scope: str, *, person: str | None = None) -> None:
        person = person or self.person(level, scope_type, scope)
        name, phone = self.contacts[person]
        self.rows.append(
            {
                "id": f"sim-responsibility:{level}:{scope_type}:{scope}:{person}",
                "person": person,
                "level": level,
                "role": term(CHAIN_LEVELS, level).zh,
                "scope_type": scope_type,
                "scope": scope,
                "name": name,
                "phone": phone,
            }
        )
