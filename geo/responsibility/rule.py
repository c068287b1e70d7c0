"""THE rule "who answers for a building": a responsibility reaches building ``b`` when it is assigned
to the building itself, its compound, its grid or one of its admin units (district, sub-district,
committee); a chain level is covered when a responsibility at that level reaches it.

:data:`REACH` states the rule once; the SQL forms below are generated from it. The map tiles, the
building card, gaps per grid, atlases, contacts, risk counts and the analysts' gaps all use them,
so the map and the printed atlas count the same gaps.
"""

from __future__ import annotations

from geo.vocab import REQUIRED_CHAIN_LEVELS

REACH: tuple[tuple[str, str], ...] = (
    ("building", "id"),
    ("compound", "compound_id"),
    ("grid", "grid_id"),
    ("unit", "district_id"),
    ("unit", "subdistrict_id"),
    ("unit", "committee_id"),
)
"""(``scope_type`` of a responsibility, the column of ``buildings`` its ``scope_id`` must equal)."""


def reaches(r: str = "r", b: str = "b") -> str:
    """A predicate: responsibility ``r`` reaches building ``b``."""
    return "(" + " OR ".join(f"({r}.scope_type = '{t}' AND {r}.scope_id = {b}.{c})" for t, c in REACH) + ")"


def building_scopes(b: str = "b") -> str:
    """A join adding, per building ``b``, one row ``sc(scope_type, scope_id)`` per scope that reaches it
    (``scope_id`` NULL where it has none): joined to ``responsibilities`` on both columns it uses
    their index, where :func:`reaches` is a filter."""
    values = ", ".join(f"('{t}', {b}.{c})" for t, c in REACH)
    return f"CROSS JOIN LATERAL (VALUES {values}) AS sc(scope_type, scope_id)"


def chain_reach(where: str) -> str:
    """SELECT of ``building_id, grid_id, person_id, level, role, scope_type``: every responsibility
    reaching a building ``b`` matching ``where``, once per building."""
    return f"""
    SELECT DISTINCT b.id AS building_id, b.grid_id, r.person_id, r.level, r.role, r.scope_type
    FROM buildings b {building_scopes("b")}
    JOIN responsibilities r ON r.scope_type = sc.scope_type AND r.scope_id = sc.scope_id
    WHERE {where}"""


CHAIN_JOIN = f"""
    CROSS JOIN LATERAL (
        SELECT cardinality(CAST(:required AS text[]))
                   - count(DISTINCT r.level) FILTER (WHERE r.level = ANY(CAST(:required AS text[]))) AS gaps,
               min(p.code) FILTER (WHERE r.level = 'building_leader') AS leader
        FROM responsibilities r JOIN people p ON p.id = r.person_id
        WHERE {reaches("r", "b")}
    ) ch"""
"""Joins giving building ``b`` its number of required chain levels nobody answers for
(``ch.gaps``) and its building leader's person code (``ch.leader``, the lowest when several)."""


def chain_params() -> dict[str, object]:
    """The bound parameters ``CHAIN_JOIN`` needs."""
    return {"required": list(REQUIRED_CHAIN_LEVELS)}
