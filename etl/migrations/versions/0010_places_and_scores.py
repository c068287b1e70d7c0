"""key places and match scores: a place's subcategory; how cases and risk areas were located

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 02:30:00

The key places a sub-district counts (沿街商户, 商务楼宇, 企业, 重点行业点位) are place kinds
(``geo.vocab.PLACE_KINDS``); a key-industry site also says which industry (``KEY_INDUSTRIES``:
catering, wet market, construction site…), checked by the loader like the kind.

Cases keep the level and score of their address match (``address_level``, ``address_score``) and
risk areas the score of theirs (``match_score``, beside ``match_kind``), so that a located row says
how far it can be trusted (``geo.address.match``).
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE places ADD COLUMN subcategory varchar(40)")
    op.execute("CREATE INDEX ix_places_kind_subcategory ON places (kind, subcategory)")
    op.execute("ALTER TABLE cases ADD COLUMN address_level varchar(20), ADD COLUMN address_score real")
    op.execute("ALTER TABLE risk_areas ADD COLUMN match_score real")


def downgrade() -> None:
    op.execute("ALTER TABLE risk_areas DROP COLUMN IF EXISTS match_score")
    op.execute("ALTER TABLE cases DROP COLUMN IF EXISTS address_level, DROP COLUMN IF EXISTS address_score")
    op.execute("DROP INDEX IF EXISTS ix_places_kind_subcategory")
    op.execute("ALTER TABLE places DROP COLUMN IF EXISTS subcategory")
