"""Read functions for analysts (the notebook API, layers/notebook.py): units, responsibility gaps,
a compound's status history, and counts inside arbitrary zones or rings.

Like ``geo.features``: bound parameters only, WGS84 out, never a name or phone (people appear by
code and chain level only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.responsibility.gaps import buildings_with_gaps
from geo.risk.counts import ZoneCounts, count_zoned
from geo.sqlutil import Bbox
from geo.status.read import status_known_on
from geo.status.rule import household_statuses
from geo.vocab import STATUS_CODES


def unit_geometry(conn: Connection, unit: str) -> BaseGeometry:
    """The polygon of an admin unit or grid named by its code or name (``310115-033``, ``陆家嘴街道``).

    Raises
    ------
    NotFound
        naming the unit and how to list the loaded ones.
    """
    row = conn.execute(
        text("""
        SELECT ST_AsBinary(geom) FROM (
            SELECT geom, 0 AS o, id FROM admin_units WHERE code = :u OR name = :u
            UNION ALL SELECT geom, 1, id FROM grids WHERE code = :u OR name = :u) x
        ORDER BY o, id LIMIT 1
    """),
        {"u": unit},
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(
            f"no admin unit or grid has the code or name {unit!r}; "
            "see `battlemap export features admin` or read_grids() for the loaded ones"
        )
    return shapely.from_wkb(bytes(row))


def responsibility_gaps(conn: Connection, *, bbox: Bbox | None = None) -> gpd.GeoDataFrame:
    """Buildings missing a required level of the responsibility chain (包干缺位): see
    :func:`geo.responsibility.gaps.buildings_with_gaps`."""
    return buildings_with_gaps(conn, bbox=bbox)


def status_history(conn: Connection, *, compound: str | int, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Households of a compound by status, day by day from ``start`` to ``end`` (inclusive).

    ``compound`` is its database id or its name. Returns a frame indexed by date with one column
    per status (most severe first) that occurs, zeros filled.
    """
    if end < start:
        raise InvalidParameter(f"end ({end}) is before start ({start})")
    if (end - start).days > 366:
        raise InvalidParameter(f"{start}..{end} is more than a year; ask for a shorter period")
    ids = (
        conn.execute(
            text("SELECT id FROM compounds WHERE CAST(id AS text) = :c OR name = :c ORDER BY id"),
            {"c": str(compound)},
        )
        .scalars()
        .all()
    )
    if not ids:
        raise NotFound(f"no compound has the id or name {compound!r}")
    statuses = household_statuses("b.compound_id = ANY(:ids)", on="d.day::date", lookup=True)
    rows = conn.execute(
        text(f"""
        SELECT d.day::date AS date, x.status, count(*) AS n
        FROM generate_series(CAST(:start AS date), CAST(:end AS date), interval '1 day') AS d(day)
        CROSS JOIN LATERAL ({statuses}) x
        GROUP BY 1, 2
    """),
        {"start": start, "end": end, "ids": list(ids), "severity": list(STATUS_CODES)},
    ).all()
    days = pd.date_range(start, end, freq="D").date
    if not rows:
        return pd.DataFrame(index=pd.Index(days, name="date"))
    long = pd.DataFrame([tuple(r) for r in rows], columns=["date", "status", "n"])
    wide = long.pivot_table(index="date", columns="status", values="n", aggfunc="sum", fill_value=0)
    order = [s for s in STATUS_CODES if s in wide.columns]
    return wide.reindex(index=days, columns=order, fill_value=0).rename_axis("date").astype("int64")


def counts_in_polygons(
    conn: Connection, polygons: Sequence[shapely.Geometry], labels: Sequence[str], *, date: dt.date
) -> tuple[pd.DataFrame, dict[str, ZoneCounts], bool]:
    """Whole buildings and places meeting each polygon, each in the first label (the strictest) it meets.

    Labels rank by first appearance; polygons sharing a label are merged. Returns the assignment
    frame, the counts per label and whether house-status data covers ``date``.
    """
    if len(polygons) != len(labels):
        raise InvalidParameter(f"{len(polygons)} polygons but {len(labels)} labels")
    order = list(dict.fromkeys(labels))
    ranks = {label: i for i, label in enumerate(order, start=1)}
    merged = []
    for label in order:
        parts = [g for g, lab in zip(polygons, labels, strict=True) if lab == label and g is not None]
        merged.append(shapely.union_all(parts) if parts else shapely.Polygon())
    rows = conn.execute(
        text("""
        WITH z AS (
            SELECT t.rank::int AS rank, ST_Subdivide(ST_MakeValid(ST_GeomFromWKB(t.wkb, 4326)), 128) AS geom
            FROM unnest(CAST(:wkbs AS bytea[]), CAST(:ranks AS int[])) AS t(wkb, rank)
        ), b AS (
            SELECT DISTINCT ON (b.id) 'building' AS target, b.id, z.rank
            FROM z JOIN buildings b ON b.geom && z.geom AND ST_Intersects(b.geom, z.geom)
            ORDER BY b.id, z.rank
        ), p AS (
            SELECT DISTINCT ON (p.id) 'place' AS target, p.id, z.rank
            FROM z JOIN places p ON p.geom && z.geom AND ST_Intersects(p.geom, z.geom) ORDER BY p.id, z.rank
        )
        SELECT * FROM b UNION ALL SELECT * FROM p
    """),
        {"wkbs": [shapely.to_wkb(g) for g in merged], "ranks": list(range(1, len(merged) + 1))},
    ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["target", "id", "rank"]).astype(
        {"id": "int64", "rank": "int64"}
    )
    frame["zone"] = frame["rank"].map({r: label for label, r in ranks.items()})
    known = status_known_on(conn, date)
    labels_by_rank = {r: label for label, r in ranks.items()}
    return frame, count_zoned(conn, frame, date=date, status_known=known, labels=labels_by_rank), known
