"""What part of the city a user may see: a ``Scope`` and the one SQL predicate it becomes.

An operator is assigned admin units (with everything below them) and/or grids. That
assignment is enforced in the database, not in the browser: every read, tile and export that
can be scoped takes a ``Scope`` and adds ``scope.buildings("b")`` (or the grid, unit or spatial
variant) to its WHERE clause, with ``scope.params`` bound. Ids travel only as bound integer
arrays, never as SQL text. ``UNRESTRICTED`` (no assignment) adds ``true`` and no parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

UNITS_PARAM = "scope_units"
GRIDS_PARAM = "scope_grids"
_UNITS = f"CAST(:{UNITS_PARAM} AS integer[])"
_GRIDS = f"CAST(:{GRIDS_PARAM} AS integer[])"


@dataclass(frozen=True)
class Scope:
    """The admin units (descendants included) and grids a user may see; ``restricted=False`` = all.

    A restricted scope with no ids sees nothing (a unit that was deleted does not widen it).
    """

    unit_ids: frozenset[int] = field(default_factory=frozenset)
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    restricted: bool = False

    @property
    def key(self) -> tuple:
        """A hashable identity, for cache keys and ETags (tiles differ per scope)."""
        if not self.restricted:
            return ("all",)
        return ("units", tuple(sorted(self.unit_ids)), "grids", tuple(sorted(self.grid_ids)))

    @property
    def params(self) -> dict[str, list[int]]:
        """The bound parameters the predicates below need (none when unrestricted)."""
        if not self.restricted:
            return {}
        return {UNITS_PARAM: sorted(self.unit_ids), GRIDS_PARAM: sorted(self.grid_ids)}

    def buildings(self, b: str = "b") -> str:
        """Buildings ``b`` in the scope: in one of its units (at any level) or one of its grids."""
        if not self.restricted:
            return "true"
        return (
            f"({b}.subdistrict_id = ANY({_UNITS}) OR {b}.district_id = ANY({_UNITS}) "
            f"OR {b}.committee_id = ANY({_UNITS}) OR {b}.grid_id = ANY({_GRIDS}))"
        )

    def building_ids(self) -> str:
        """A subquery of the ids of the buildings in the scope."""
        return f"(SELECT sb.id FROM buildings sb WHERE {self.buildings('sb')})"

    def grids(self, g: str = "g") -> str:
        """Grids ``g`` in the scope: assigned, or lying in an assigned unit."""
        if not self.restricted:
            return "true"
        return f"({g}.id = ANY({_GRIDS}) OR {g}.unit_id = ANY({_UNITS}))"

    def units(self, u: str = "u") -> str:
        """Admin units ``u`` in the scope (assigned ones and those below them)."""
        if not self.restricted:
            return "true"
        return f"{u}.id = ANY({_UNITS})"

    def compounds(self, c: str = "c") -> str:
        """Compounds ``c`` holding a building of the scope."""
        if not self.restricted:
            return "true"
        return f"{c}.id IN (SELECT sb.compound_id FROM buildings sb WHERE {self.buildings('sb')})"

    def covers(self, geom: str) -> str:
        """Rows whose geometry ``geom`` meets an assigned unit or grid (for points such as places)."""
        if not self.restricted:
            return "true"
        units = f"SELECT 1 FROM admin_units su WHERE su.id = ANY({_UNITS}) AND ST_Intersects(su.geom, {geom})"
        grids = f"SELECT 1 FROM grids sg WHERE sg.id = ANY({_GRIDS}) AND ST_Intersects(sg.geom, {geom})"
        return f"(EXISTS ({units}) OR EXISTS ({grids}))"


def covers_point(conn: Connection, scope: Scope, lon: float, lat: float) -> bool:
    """Whether the WGS84 point (lon, lat) lies in ``scope`` (always, when unrestricted)."""
    if not scope.restricted:
        return True
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    sql = f"SELECT {scope.covers(point)}"
    return bool(conn.execute(text(sql), {"lon": float(lon), "lat": float(lat)} | scope.params).scalar())


UNRESTRICTED = Scope()
NOTHING = Scope(restricted=True)


def load_scope(conn: Connection, user_id: int) -> Scope:
    """The scope of user ``user_id``: their assigned units with every unit below them, and their grids.

    A user without assignments is unrestricted; whether that is allowed for their role is
    decided when the user is created (``geo.auth``).
    """
    rows = conn.execute(
        text("""
        WITH RECURSIVE tree AS (
            SELECT scope_id AS id FROM user_scopes WHERE user_id = :u AND scope_type = 'unit'
            UNION SELECT a.id FROM admin_units a JOIN tree t ON a.parent_id = t.id)
        SELECT 'unit' AS kind, id FROM tree
        UNION ALL SELECT 'grid', scope_id FROM user_scopes WHERE user_id = :u AND scope_type = 'grid'
        UNION ALL SELECT 'assigned', count(*) FROM user_scopes WHERE user_id = :u"""),
        {"u": int(user_id)},
    ).all()
    assigned = next(int(n) for kind, n in rows if kind == "assigned")
    if not assigned:
        return UNRESTRICTED
    units = frozenset(int(i) for kind, i in rows if kind == "unit")
    grids = frozenset(int(i) for kind, i in rows if kind == "grid")
    return Scope(unit_ids=units, grid_ids=grids, restricted=True)
