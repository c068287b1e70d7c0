"""Stored risk areas: declaring (saving a computed ``RiskArea``), SOP steps done, lifting, and reading
the areas and zones active on any day, with their SOP clocks, for the map's overlay.

Writes run in the caller's transaction. Reads return WGS84. A day means China time (UTC+8): an area
is shown on day D when it was declared before D ended and not lifted before D began.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping
from sqlalchemy import Connection, text

from geo.crs import WGS84
from geo.errors import InvalidParameter, NotFound
from geo.risk.counts import count_zoned
from geo.risk.rules import Sop, default_sop
from geo.risk.sop import SopClock, aware, sop_clock
from geo.risk.zones import ZONES, RiskArea
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import Bbox, bbox_params, read_frame
from geo.status.read import status_known_on
from geo.vocab import CHINA_TZ, RISK_LEVELS

RISK_LEVEL_CODES: tuple[str, ...] = tuple(t.code for t in RISK_LEVELS)
DECLARED_SOURCE = "declared"


def save_risk_area(
    conn: Connection,
    area: RiskArea,
    *,
    declared_at: dt.datetime,
    name: str | None = None,
    level: str = "medium",
    source: str = DECLARED_SOURCE,
    source_id: str | None = None,
) -> int:
    """Store a computed risk area: the area, its three zones and every zoned building; returns its id."""
    if level not in RISK_LEVEL_CODES:
        raise InvalidParameter(f"`level` was {level!r} but is expected to be one of {RISK_LEVEL_CODES}")
    declared = aware(declared_at)
    first = area.cases[0]
    name = name or f"{first.address or f'{first.lon:.5f},{first.lat:.5f}'} ({declared:%Y-%m-%d %H:%M})"
    geometries = area.geometries  # valid MultiPolygons (geo.risk.zones.valid_zone); the database checks
    sealed = geometries.get("sealed")
    summary = area.summary()
    area_id = conn.execute(
        text("""
        INSERT INTO risk_areas (name, level, declared_at, last_case_at, match_kind, rules, counts,
                                point, geom, source, source_id)
        VALUES (:name, :level, :declared, :declared, 'declared', CAST(:rules AS jsonb),
                CAST(:counts AS jsonb),
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                ST_Multi(ST_GeomFromWKB(:geom, 4326)), :source, :sid)
        RETURNING id
    """),
        {
            "name": name,
            "level": level,
            "declared": declared,
            "rules": area.rules.model_dump_json(),
            "counts": json.dumps(summary["zones"], ensure_ascii=False),
            "lon": first.lon,
            "lat": first.lat,
            "geom": shapely.to_wkb(sealed) if sealed is not None else None,
            "source": source,
            "sid": source_id or f"{source}-{uuid.uuid4().hex[:16]}",
        },
    ).scalar_one()
    for zone, geom in geometries.items():
        conn.execute(
            text("""
            INSERT INTO risk_area_zones (risk_area_id, zone, counts, geom)
            VALUES (:a, :z, CAST(:c AS jsonb), ST_Multi(ST_GeomFromWKB(:g, 4326)))
        """),
            {
                "a": area_id,
                "z": zone,
                "c": json.dumps(summary["zones"][zone], ensure_ascii=False),
                "g": shapely.to_wkb(geom) if geom is not None else None,
            },
        )
    buildings = area.buildings()
    if not buildings.empty:
        conn.execute(
            text("""
            INSERT INTO risk_area_buildings (risk_area_id, building_id, zone, rule)
            SELECT :a, t.id, t.zone, t.rule
            FROM unnest(CAST(:ids AS bigint[]), CAST(:zones AS text[]), CAST(:rules AS text[]))
                 AS t(id, zone, rule)
        """),
            {
                "a": area_id,
                "ids": buildings["id"].tolist(),
                "zones": buildings["zone"].tolist(),
                "rules": buildings["rule"].tolist(),
            },
        )
    return int(area_id)


def _area_times(conn: Connection, area_id: int) -> dict[str, Any]:
    row = (
        conn.execute(
            text("SELECT id, declared_at, lifted_at, last_case_at FROM risk_areas WHERE id = :a"),
            {"a": area_id},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        raise NotFound(f"no risk area with id {area_id}")
    return dict(row)


def record_step(
    conn: Connection,
    area_id: int,
    step: str,
    *,
    done_at: dt.datetime,
    note: str | None = None,
    sop: Sop | None = None,
) -> None:
    """Record that an SOP step was done for an area (a recurring step: once per time done)."""
    sop = sop or default_sop()
    codes = [s.code for s in sop.steps]
    if step not in codes:
        raise InvalidParameter(f"`step` was {step!r} but is expected to be one of {codes}")
    times = _area_times(conn, area_id)
    if aware(done_at) < times["declared_at"]:
        raise InvalidParameter(
            f"step {step!r} done at {done_at} is before the area was declared ({times['declared_at']})"
        )
    conn.execute(
        text("INSERT INTO risk_area_steps (risk_area_id, step, done_at, note) VALUES (:a, :s, :d, :n)"),
        {"a": area_id, "s": step, "d": aware(done_at), "n": note},
    )


def record_case(conn: Connection, area_id: int, *, at: dt.datetime) -> None:
    """A new case in the area: the quiet period before lifting starts again from ``at``."""
    _area_times(conn, area_id)
    conn.execute(
        text("UPDATE risk_areas SET last_case_at = GREATEST(last_case_at, :t) WHERE id = :a"),
        {"a": area_id, "t": aware(at)},
    )


def lift_risk_area(
    conn: Connection, area_id: int, *, at: dt.datetime, early: bool = True, sop: Sop | None = None
) -> None:
    """Lift (lower) an area at ``at``.

    With ``early=False`` an area whose quiet period (``Sop.lift.quiet_days`` after its last case) has
    not run out by ``at`` is refused, as is one already lifted: the command line asks for ``--force``.
    """
    times = _area_times(conn, area_id)
    if aware(at) < times["declared_at"]:
        raise InvalidParameter(f"cannot lift at {at}: the area was declared at {times['declared_at']}")
    if not early:
        clock = area_clock(conn, area_id, at=aware(at), sop=sop)
        if times["lifted_at"] is not None:
            raise InvalidParameter(f"risk area {area_id} was already lifted at {times['lifted_at']}")
        if clock.state == "active":
            raise InvalidParameter(
                f"risk area {area_id} is not due to lift before {clock.lift_due_at.isoformat()} "
                f"(the quiet period after its last case); lifting at {aware(at).isoformat()} is early"
            )
    conn.execute(text("UPDATE risk_areas SET lifted_at = :t WHERE id = :a"), {"a": area_id, "t": aware(at)})


def area_clock(
    conn: Connection, area_id: int, *, at: dt.datetime | dt.date, sop: Sop | None = None
) -> SopClock:
    """The SOP clock of one stored area at ``at``."""
    times = _area_times(conn, area_id)
    done = conn.execute(
        text("SELECT step, done_at FROM risk_area_steps WHERE risk_area_id = :a ORDER BY done_at"),
        {"a": area_id},
    ).all()
    return sop_clock(
        declared_at=times["declared_at"],
        lifted_at=times["lifted_at"],
        last_case_at=times["last_case_at"],
        done=[(s, d) for s, d in done],
        at=at,
        sop=sop,
    )


def _clocks(
    conn: Connection, area_ids: list[int], *, at: dt.datetime | dt.date, sop: Sop | None
) -> dict[int, dict[str, Any]]:
    """The SOP clocks of many areas in two queries."""
    if not area_ids:
        return {}
    times = conn.execute(
        text("SELECT id, declared_at, lifted_at, last_case_at FROM risk_areas WHERE id = ANY(:ids)"),
        {"ids": area_ids},
    ).all()
    done: dict[int, list[tuple[str, dt.datetime]]] = {}
    for area_id, step, done_at in conn.execute(
        text("SELECT risk_area_id, step, done_at FROM risk_area_steps WHERE risk_area_id = ANY(:ids)"),
        {"ids": area_ids},
    ):
        done.setdefault(area_id, []).append((step, done_at))
    return {
        area_id: sop_clock(
            declared_at=declared,
            lifted_at=lifted,
            last_case_at=last_case,
            done=done.get(area_id, []),
            at=at,
            sop=sop,
        ).to_dict()
        for area_id, declared, lifted, last_case in times
    }


def list_areas(
    conn: Connection, *, on: dt.date | dt.datetime | None = None, sop: Sop | None = None
) -> list[dict[str, Any]]:
    """The areas active on day ``on`` (every stored area when None), each with its SOP clock then.

    The clock is read at ``on`` (a date: the end of that day in China), or now when ``on`` is None.
    """
    frame = read_risk_areas(conn, on=on)
    ids = [int(i) for i in frame["id"]] if len(frame) else []
    if on is None:
        at: dt.date | dt.datetime = dt.datetime.now(CHINA_TZ)
    else:
        at = on if isinstance(on, dt.datetime) else _day_bounds(on)[1] - dt.timedelta(seconds=1)
    clocks = _clocks(conn, ids, at=at, sop=sop)
    out = []
    row: Any  # a row of frame (itertuples): pandas-stubs type its fields as any scalar
    for row in frame.drop(columns="geometry").itertuples(index=False):
        clock = clocks[int(row.id)]
        out.append(
            {
                "id": int(row.id),
                "name": row.name,
                "level": row.level,
                "source": row.source,
                "declared_at": aware(row.declared_at).isoformat(),
                "lifted_at": None if pd.isna(row.lifted_at) else aware(row.lifted_at).isoformat(),
                "state": clock["state"],
                "lift_due_at": clock["lift_due_at"],
                "hours_to_lift": clock["hours_to_lift"],
                "due": clock["due"],
                "overdue": clock["overdue"],
            }
        )
    return out


def _day_bounds(day: dt.date | dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if isinstance(day, dt.datetime):
        moment = aware(day)
        return moment, moment
    start = dt.datetime.combine(day, dt.time(0, 0), CHINA_TZ)
    return start, start + dt.timedelta(days=1)


_ACTIVE = "r.declared_at < :day_end AND (r.lifted_at IS NULL OR r.lifted_at >= :day_start)"


def active_on(on: dt.date | dt.datetime, alias: str = "r") -> tuple[str, dict[str, object]]:
    """The predicate "risk area ``alias`` is active on day ``on``" (declared before its end, not lifted
    before its start; a datetime is one moment) and its bound parameters."""
    start, end = _day_bounds(on)
    return _ACTIVE.replace("r.", f"{alias}."), {"day_start": start, "day_end": end}


def read_risk_areas(
    conn: Connection,
    *,
    on: dt.date | dt.datetime | None = None,
    bbox: Bbox | None = None,
    matched_only: bool = False,
) -> gpd.GeoDataFrame:
    """Risk areas (declared and published) active on day ``on`` (all when None), in WGS84.

    The geometry is the area's polygon (the sealed zone, or the matched compound/building), else its
    point; unmatched published areas have none and are kept (``match_kind`` missing).
    """
    where: list[str] = []
    params: dict[str, object] = {}
    if on is not None:
        active, day = active_on(on)
        where.append(active)
        params.update(day)
    if bbox is not None:
        where.append("COALESCE(r.geom, r.point) && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)")
        params.update(bbox_params(bbox))
    if matched_only:
        where.append("r.match_kind IS NOT NULL")
    sql = f"""
        SELECT r.id, r.name, r.level, r.district, r.declared_at, r.lifted_at, r.last_case_at, r.n_snapshots,
               r.match_kind, r.source, ST_AsBinary(COALESCE(r.geom, r.point)) AS geometry
        FROM risk_areas r {"WHERE " + " AND ".join(where) if where else ""} ORDER BY r.declared_at, r.id
    """
    frame = read_frame(conn.execute(text(sql), params))
    wkb: np.ndarray | list[bytes] = frame.pop("geometry").to_numpy(dtype=object) if len(frame) else []
    geometry = [shapely.from_wkb(bytes(w)) if w is not None else None for w in wkb]
    # GeoSeries takes None for a missing geometry; types-geopandas does not say so
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)  # type: ignore[arg-type]


def zones_geojson(
    conn: Connection,
    *,
    on: dt.date | dt.datetime,
    bbox: Bbox | None = None,
    sop: Sop | None = None,
    scope: Scope = UNRESTRICTED,
) -> dict[str, Any]:
    """The overlay for day ``on``: a WGS84 FeatureCollection of the zones of the areas active then.

    Declared areas give one feature per zone (``zone``, ``counts``); published areas matched to the
    map give one feature (``zone`` None). Every feature carries ``risk_area_id``, ``name``, ``level``,
    ``source`` and ``sop``: the area's SOP clock at the end of that day (or at ``on`` if a time).
    Only zones meeting ``scope`` (``geo.scope``) come out, and for a restricted scope each declared
    zone's ``counts`` are of its buildings in that scope only.
    """
    start, end = _day_bounds(on)
    at = on if isinstance(on, dt.datetime) else end - dt.timedelta(seconds=1)
    params: dict[str, Any] = {"day_start": start, "day_end": end} | scope.params
    box = f"AND {scope.covers('COALESCE(z.geom, r.geom, r.point)')}" if scope.restricted else ""
    if bbox is not None:
        box += " AND COALESCE(z.geom, r.geom, r.point) && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
        params.update(bbox_params(bbox))
    rows = conn.execute(
        text(f"""
        SELECT r.id, r.name, r.level, r.source, r.district, z.zone, z.counts,
               ST_AsBinary(COALESCE(z.geom, r.geom, r.point)) AS g
        FROM risk_areas r LEFT JOIN risk_area_zones z ON z.risk_area_id = r.id
        WHERE {_ACTIVE} AND (z.id IS NOT NULL OR r.match_kind IS NOT NULL) {box}
        ORDER BY r.id, array_position(ARRAY['sealed', 'control', 'prevention'], z.zone)
    """),
        params,
    ).all()
    clocks = _clocks(conn, sorted({row[0] for row in rows}), at=at, sop=sop)
    if scope.restricted:  # the stored counts are the whole area's: count the scope's part again
        mine = _counts_within(conn, sorted({row[0] for row in rows if row[5]}), scope, day=start.date())
        counted = [(*row[:6], mine.get((row[0], row[5]), row[6]), row[7]) for row in rows]
    else:
        counted = [tuple(row) for row in rows]
    features = []
    for area_id, name, level, source, district, zone, counts, wkb in counted:
        geom = shapely.from_wkb(bytes(wkb)) if wkb is not None else None
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "risk_area_id": area_id,
                    "name": name,
                    "level": level,
                    "source": source,
                    "district": district,
                    "zone": zone,
                    "counts": counts,
                    "sop": clocks[area_id],
                },
                "geometry": mapping(geom) if geom is not None and not geom.is_empty else None,
            }
        )
    return {"type": "FeatureCollection", "features": features, "date": start.date().isoformat()}


PLACE_COUNTS = ("places", "places_by_kind", "key_places", "key_industries")
"""The counts of a zone that are of places (``geo.risk.counts.ZoneCounts``)."""


def _counts_within(
    conn: Connection, area_ids: list[int], scope: Scope, *, day: dt.date
) -> dict[tuple[int, str], dict[str, Any]]:
    """Per (declared area, zone): what its stored buildings inside ``scope`` hold on ``day``, counted as
    at declaration (``geo.risk.counts``). Places are not stored per area, so none are counted here."""
    if not area_ids:
        return {}
    rows = conn.execute(
        text(f"""
        SELECT rb.risk_area_id, rb.building_id, rb.zone, rb.rule
        FROM risk_area_buildings rb JOIN buildings b ON b.id = rb.building_id
        WHERE rb.risk_area_id = ANY(:ids) AND {scope.buildings("b")}"""),
        {"ids": area_ids} | scope.params,
    ).all()
    stored = pd.DataFrame([tuple(r) for r in rows], columns=["risk_area_id", "id", "zone", "rule"])
    stored = stored.assign(target="building", rank=stored["zone"].map({z: i for i, z in enumerate(ZONES, 1)}))
    stored = stored.astype({"id": "int64", "rank": "int64", "zone": "str", "rule": "str"})
    known = status_known_on(conn, day)
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for area_id in area_ids:
        frame = stored[stored["risk_area_id"] == area_id].drop(columns="risk_area_id")
        for zone, counts in count_zoned(conn, frame, date=day, status_known=known).items():
            # Places were not stored with the area: left out (shown as not counted), never as 0.
            out[(area_id, zone)] = {k: v for k, v in counts.to_dict().items() if k not in PLACE_COUNTS}
    return out


def zoned_buildings(conn: Connection, building_ids: list[int], *, on: dt.date) -> pd.DataFrame:
    """``building_id, zone, risk_area_id``: each of ``building_ids`` that a declared area active on day
    ``on`` zones, in the strictest zone any of them gives it (the latest declared area on a tie)."""
    start, end = _day_bounds(on)
    rows = conn.execute(
        text(f"""
        SELECT DISTINCT ON (rb.building_id) rb.building_id, rb.zone, rb.risk_area_id
        FROM risk_area_buildings rb JOIN risk_areas r ON r.id = rb.risk_area_id
        WHERE rb.building_id = ANY(:ids) AND {_ACTIVE}
        ORDER BY rb.building_id, array_position(ARRAY['sealed', 'control', 'prevention'], rb.zone::text),
                 r.declared_at DESC, r.id DESC
    """),
        {"ids": [int(i) for i in building_ids], "day_start": start, "day_end": end},
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["building_id", "zone", "risk_area_id"]).astype(
        {"building_id": "int64", "risk_area_id": "int64"}
    )


def zone_outlines(conn: Connection, *, on: dt.date, bbox: Bbox | None = None) -> gpd.GeoDataFrame:
    """``risk_area_id, zone, geometry``: the zones of the declared areas active on day ``on`` (WGS84),
    strictest first, for maps and printed sheets that outline them."""
    params: dict[str, Any] = dict(zip(("day_start", "day_end"), _day_bounds(on), strict=True))
    box = ""
    if bbox is not None:
        box = "AND z.geom && ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
        params.update(bbox_params(bbox))
    rows = conn.execute(
        text(f"""
        SELECT r.id, z.zone, ST_AsBinary(z.geom)
        FROM risk_areas r JOIN risk_area_zones z ON z.risk_area_id = r.id
        WHERE {_ACTIVE} AND z.geom IS NOT NULL {box}
        ORDER BY array_position(ARRAY['sealed', 'control', 'prevention'], z.zone::text), r.id
    """),
        params,
    ).all()
    return gpd.GeoDataFrame(
        {"risk_area_id": [int(r[0]) for r in rows], "zone": [r[1] for r in rows]},
        geometry=gpd.GeoSeries([shapely.from_wkb(bytes(r[2])) for r in rows], crs=WGS84),
        crs=WGS84,
    )
