"""risk_valid: stored risk zones are valid polygons (repaired, then checked)

Zones were stored as a collection of building footprints; footprints that touch or overlap made
invalid MultiPolygons, which GEOS refuses to intersect (an area-limited user's risk overlay then
failed on every later day). Repair what is stored (made valid, polygonal parts kept) and refuse
invalid geometry from now on.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-03 18:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, constraint name as the models' naming convention spells it)
_TABLES = (("risk_areas", "ck_risk_areas_valid_geom"), ("risk_area_zones", "ck_risk_area_zones_valid_geom"))
# Made valid with overlapping parts merged and only polygons kept (new zones: geo.risk.zones.valid_zone).
_REPAIR = """
UPDATE {table} SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom, 'method=structure'), 3))
WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)
"""


def upgrade() -> None:
    for table, name in _TABLES:
        op.execute(_REPAIR.format(table=table))
        op.create_check_constraint(name, table, "geom IS NULL OR ST_IsValid(geom)")


def downgrade() -> None:
    for table, name in _TABLES:
        op.drop_constraint(name, table, type_="check")
