"""key places: a place's subcategory (the industry of a key-industry site)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 02:30:00

The key places a sub-district counts (沿街商户, 商务楼宇, 企业, 重点行业点位) are place kinds
(``geo.vocab.PLACE_KINDS``); a key-industry site also says which industry (``KEY_INDUSTRIES``:
catering, wet market, construction site…), checked by the loader like the kind.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE places ADD COLUMN subcategory varchar(40)")
    op.execute("CREATE INDEX ix_places_kind_subcategory ON places (kind, subcategory)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_places_kind_subcategory")
    op.execute("ALTER TABLE places DROP COLUMN IF EXISTS subcategory")
