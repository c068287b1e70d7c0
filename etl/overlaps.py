"""Admin units of one level that overlap: each building belongs to one unit per level.

A new sub-district drawn over an existing one silently takes its buildings (and shrinks the
scope of its operators), so ``battlemap load admin`` refuses such a file without ``--force``,
and ``battlemap qa`` counts the overlapping pairs already stored. The share of an overlap is
the intersection's area over the smaller unit's area.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from etl.staging import quote


@dataclass(frozen=True)
class Overlap:
    """A staged unit (by its row) covering ``share`` of another unit of the same level."""

    row: int
    name: str
    level: str
    other: str
    other_row: int | None  # the other unit's row when it is in the same file, else None (stored)
    share: float

    def describe(self) -> str:
        where = f"row {self.other_row} of the same file" if self.other_row else "already loaded"
        return (
            f"{self.level} {self.name!r} overlaps {self.other!r} ({where}) over "
            f"{self.share:.0%} of the smaller unit's area"
        )


_SHARE = "ST_Area(ST_Intersection(a.geom, b.geom)) / NULLIF(LEAST(ST_Area(a.geom), ST_Area(b.geom)), 0)"


def staged_overlaps(conn: Connection, stage: str, *, share: float) -> list[Overlap]:
    """Overlaps of the staged units with stored units of their level (not themselves) and each other."""
    s = quote(stage)
    rows = conn.execute(
        text(f"""
        SELECT a.row_no, a.name, a.level, b.name, NULL::integer, {_SHARE} AS share
        FROM {s} a JOIN admin_units b
          ON b.level = a.level AND b.source_id <> a.source_id AND ST_Intersects(a.geom, b.geom)
        WHERE b.source_id NOT IN (SELECT source_id FROM {s})
        UNION ALL
        SELECT a.row_no, a.name, a.level, b.name, b.row_no, {_SHARE}
        FROM {s} a JOIN {s} b ON b.level = a.level AND b.row_no > a.row_no AND ST_Intersects(a.geom, b.geom)
    """)
    ).all()
    found = [Overlap(int(r[0]), r[1], r[2], r[3], r[4], float(r[5] or 0)) for r in rows]
    return sorted((o for o in found if o.share > share), key=lambda o: (o.row, -o.share))


_STORED_PAIRS = f"""
    SELECT a.level, a.name, b.name, {_SHARE} AS share FROM admin_units a JOIN admin_units b
      ON a.level = b.level AND a.id < b.id AND ST_Intersects(a.geom, b.geom)
"""


def stored_overlap_pairs(conn: Connection, *, share: float) -> int:
    """How many pairs of stored units of the same level overlap by more than ``share``."""
    return int(
        conn.execute(
            text(f"SELECT count(*) FROM ({_STORED_PAIRS}) p WHERE share > :share"), {"share": share}
        ).scalar_one()
    )


def stored_overlaps(conn: Connection, *, share: float, limit: int = 20) -> list[str]:
    """The largest overlapping pairs of stored units, described for ``battlemap qa``."""
    rows = conn.execute(
        text(f"SELECT * FROM ({_STORED_PAIRS}) p WHERE share > :share ORDER BY share DESC LIMIT :limit"),
        {"share": share, "limit": limit},
    ).all()
    return [f"{level} {a!r} and {b!r} overlap over {s:.0%} of the smaller one" for level, a, b, s in rows]
