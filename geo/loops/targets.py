"""What a loop item belongs to: a household, a building, a compound or a place (or a tapped point),
resolved to the building that puts it on the map, inside an area and under a responsibility chain.

A target outside the asker's area answers ``NotFound`` exactly like a missing one, so ids cannot be
probed. A point is dispatched to the building under it, else the nearest within ``NEAR_M`` metres.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.errors import NotFound, Unprocessable
from geo.scope import Scope, covers_point

NEAR_M = 100.0


@dataclass(frozen=True)
class Target:
    """One of: ``kind`` household|building|compound|place with ``id``, or ``kind='point'`` with lon/lat."""

    kind: str
    id: int | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True)
class Resolved:
    target_type: str
    target_id: int
    building_id: int
    lon: float | None = None
    lat: float | None = None


_BUILDING_OF = {
    "household": "SELECT h.building_id FROM households h JOIN buildings b ON b.id = h.building_id "
    "WHERE h.id = :id AND {scope}",
    "building": "SELECT b.id FROM buildings b WHERE b.id = :id AND {scope}",
    "compound": "SELECT b.id FROM buildings b WHERE b.compound_id = :id AND {scope} ORDER BY b.id LIMIT 1",
}
_NEAREST = """
    SELECT b.id FROM buildings b
    WHERE ST_DWithin(b.geom::geography, {point}::geography, :near) AND {scope}
    ORDER BY ST_Contains(b.geom, {point}) DESC, b.geom <-> {point}, b.id LIMIT 1"""


def resolve(conn: Connection, target: Target, scope: Scope, *, allowed: tuple[str, ...]) -> Resolved:
    """The building ``target`` lies in (within ``scope``).

    Raises
    ------
    Unprocessable
        when the kind of loop does not take this kind of target, or no building is near a point/place.
    NotFound
        when the target is missing or outside ``scope``.
    """
    target_type = "building" if target.kind == "point" else target.kind
    if target_type not in allowed:
        raise Unprocessable(
            f"this kind of loop belongs to a {' or '.join(allowed)}, not a {target_type}",
            field=f"{target.kind}_id" if target.kind != "point" else "lon",
        )
    if target.kind == "point":
        return _point(conn, float(target.lon), float(target.lat), scope)  # type: ignore[arg-type]
    if target.kind == "place":
        return _place(conn, int(target.id), scope)  # type: ignore[arg-type]
    sql = _BUILDING_OF[target.kind].format(scope=scope.buildings("b"))
    building = conn.execute(text(sql), {"id": int(target.id)} | scope.params).scalar()  # type: ignore[arg-type]
    if building is None:
        raise NotFound(f"{target.kind} {target.id} does not exist (or lies outside your area)")
    return Resolved(target.kind, int(target.id), int(building))  # type: ignore[arg-type]


def _place(conn: Connection, place_id: int, scope: Scope) -> Resolved:
    where = scope.covers("p.geom")
    row = conn.execute(
        text(f"SELECT ST_X(p.geom), ST_Y(p.geom) FROM places p WHERE p.id = :id AND {where}"),
        {"id": place_id} | scope.params,
    ).first()
    if row is None:
        raise NotFound(f"place {place_id} does not exist (or lies outside your area)")
    building = _nearest(conn, row[0], row[1], scope)
    if building is None:
        raise Unprocessable(f"no building lies within {NEAR_M:.0f} m of place {place_id}", field="place_id")
    return Resolved("place", place_id, building, float(row[0]), float(row[1]))


def _point(conn: Connection, lon: float, lat: float, scope: Scope) -> Resolved:
    if not covers_point(conn, scope, lon, lat):
        raise NotFound("that point lies outside your area")
    building = _nearest(conn, lon, lat, scope)
    if building is None:
        raise Unprocessable(f"no building of your area lies within {NEAR_M:.0f} m of that point", field="lon")
    return Resolved("building", building, building, lon, lat)


def _nearest(conn: Connection, lon: float, lat: float, scope: Scope) -> int | None:
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    sql = _NEAREST.format(point=point, scope=scope.buildings("b"))
    found = conn.execute(text(sql), {"lon": lon, "lat": lat, "near": NEAR_M} | scope.params).scalar()
    return None if found is None else int(found)
