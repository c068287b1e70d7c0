"""url keys: api_tokens get a kind (bearer or url-key) and the layers a URL key covers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_tokens", sa.Column("kind", sa.String(length=10), server_default="bearer", nullable=False)
    )
    op.add_column("api_tokens", sa.Column("layers", postgresql.ARRAY(sa.String(length=60)), nullable=True))
    op.create_check_constraint(op.f("ck_api_tokens_kind"), "api_tokens", "kind IN ('bearer', 'url-key')")
    op.create_check_constraint(
        op.f("ck_api_tokens_url_key_layers"),
        "api_tokens",
        "kind = 'bearer' OR (layers IS NOT NULL AND cardinality(layers) > 0)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_api_tokens_url_key_layers"), "api_tokens", type_="check")
    op.drop_constraint(op.f("ck_api_tokens_kind"), "api_tokens", type_="check")
    op.drop_column("api_tokens", "layers")
    op.drop_column("api_tokens", "kind")
