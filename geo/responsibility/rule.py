"""THE rule "who answers for a building": a chain level is covered for building ``b`` when someone at
that level is assigned to the building itself, its compound, its grid or one of its admin units
(district, sub-district, committee). The map tiles, the building card, gaps, atlases and contacts
all build their SQL from here.
"""

from __future__ import annotations

from geo.vocab import REQUIRED_CHAIN_LEVELS

CHAIN_JOIN = """
    CROSS JOIN LATERAL (
        SELECT cardinality(CAST(:required AS text[]))
                   - count(DISTINCT r.level) FILTER (WHERE r.level = ANY(CAST(:required AS text[]))) AS gaps,
               min(p.code) FILTER (WHERE r.level = 'building_leader') AS leader
        FROM responsibilities r JOIN people p ON p.id = r.person_id
        WHERE (r.scope_type = 'building' AND r.scope_id = b.id)
           OR (r.scope_type = 'compound' AND r.scope_id = b.compound_id)
           OR (r.scope_type = 'grid' AND r.scope_id = b.grid_id)
           OR (r.scope_type = 'unit' AND r.scope_id IN (b.district_id, b.subdistrict_id, b.committee_id))
    ) ch"""
"""Joins giving building ``b`` its number of required chain levels nobody answers for
(``ch.gaps``) and its building leader's person code (``ch.leader``, the lowest when several).
A level is covered by an assignment on the building, its compound, its grid or any of its
admin units."""


def chain_params() -> dict[str, object]:
    """The bound parameters ``CHAIN_JOIN`` needs."""
    return {"required": list(REQUIRED_CHAIN_LEVELS)}
