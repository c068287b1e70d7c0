"""THE rule "who answers for a building": a responsibility reaches building ``b`` when it is assigned
to the building itself, its compound, its grid or one of its admin units (district, sub-district,
committee); a chain level is covered when a responsibility at that level reaches it.

:data:`REACH` states the rule once; the SQL forms below are generated from it. The map tiles, the
building card, gaps per grid, atlases, contacts, risk counts and the analysts' gaps all use them,
so the map and the printed atlas count the same gaps.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo.vocab import CHAIN_LEVEL_CODES, REQUIRED_CHAIN_LEVELS

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
        SELECT x.gaps, x.leader,
               (SELECT min(u.o) - 1 FROM unnest(CAST(:required AS text[])) WITH ORDINALITY u(l, o)
                WHERE NOT u.l = ANY(x.levels))::int AS first_gap
        FROM (
            SELECT cardinality(CAST(:required AS text[]))
                       - count(DISTINCT r.level) FILTER (WHERE r.level = ANY(CAST(:required AS text[])))
                       AS gaps,
                   min(p.code) FILTER (WHERE r.level = 'building_leader') AS leader,
                   coalesce(array_agg(DISTINCT r.level), ARRAY[]::text[]) AS levels
            FROM responsibilities r JOIN people p ON p.id = r.person_id
            WHERE {reaches("r", "b")}
        ) x
    ) ch"""
"""Joins giving building ``b`` its number of required chain levels nobody answers for
(``ch.gaps``), the most senior of them (``ch.first_gap``: its index in ``REQUIRED_CHAIN_LEVELS``,
NULL when none is missing) and its building leader's person code (``ch.leader``, the lowest when
several)."""


def chain_params() -> dict[str, object]:
    """The bound parameters ``CHAIN_JOIN`` needs."""
    return {"required": list(REQUIRED_CHAIN_LEVELS)}


# Escalation goes one rung up, read bottom-up:
# 社工/楼长/党员/志愿者 -> 居民区书记 -> 机关干部 -> 班子领导 -> 指挥部.
_BOTTOM_RUNG = ("social_worker", "building_leader", "party_member", "volunteer")


def level_above(level: str) -> str | None:
    """The chain level one rung above ``level`` (the bottom rung shares one), None above command HQ."""
    if level not in CHAIN_LEVEL_CODES:
        raise ValueError(f"chain level {level!r} is unknown: expected one of {', '.join(CHAIN_LEVEL_CODES)}")
    if level in _BOTTOM_RUNG:
        return "area_secretary"
    rank = CHAIN_LEVEL_CODES.index(level)
    return CHAIN_LEVEL_CODES[rank - 1] if rank > 0 else None


def answerer_join(b: str = "b", level: str = ":level", alias: str = "ans") -> str:
    """A lateral join giving building ``b`` the one person who answers for it at chain level ``level``
    (an SQL expression): ``alias.person_id``, ``alias.person_code``, NULL when nobody does. The most
    specific assignment wins (building, then compound, grid, unit), then the lowest person code."""
    return f"""
    LEFT JOIN LATERAL (
        SELECT p.id AS person_id, p.code AS person_code
        FROM responsibilities r JOIN people p ON p.id = r.person_id
        WHERE r.level = {level} AND {reaches("r", b)}
        ORDER BY CASE r.scope_type WHEN 'building' THEN 0 WHEN 'compound' THEN 1
                                   WHEN 'grid' THEN 2 ELSE 3 END, p.code
        LIMIT 1
    ) {alias} ON true"""


def who_answers(conn: Connection, building_id: int, level: str) -> tuple[int, str] | None:
    """(person id, person code) of whoever answers for building ``building_id`` at ``level``, or None
    (a gap). Closed-loop work assigns and escalates its items with this."""
    row = conn.execute(
        text(f"SELECT ans.person_id, ans.person_code FROM buildings b {answerer_join()} WHERE b.id = :b"),
        {"b": int(building_id), "level": level},
    ).one_or_none()
    if row is None or row.person_id is None:
        return None
    return int(row.person_id), str(row.person_code)
