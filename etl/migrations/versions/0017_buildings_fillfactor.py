"""buildings fillfactor 90: an update stays on its page, so loads keep the table in spatial order

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:00:00

Loads write new buildings along the GeoHash curve of their label points (``etl.staging.curve_key``),
so that a tile's, a grid's or a zone's buildings share heap pages. An update writes a new row
version: with every page full it lands at the end of the table, and each reload that changes a
building scatters it away from its neighbours. A tenth of each page is now left free when pages
are written, so the new version of an updated building stays on its page (and, when no indexed
column changes, is a HOT update that touches no index). Applies to pages written from now on.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FILLFACTOR = 90


def upgrade() -> None:
    op.execute(f"ALTER TABLE buildings SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    op.execute("ALTER TABLE buildings RESET (fillfactor)")
