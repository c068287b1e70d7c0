"""status history: non-overlapping stretches enforced, corrections kept, data versions from triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:30:00

- ``house_status.declared_to``: the end a source gave (NULL: open until the next stretch); the stored
  ``valid_to`` is worked out from it and the other stretches (``geo.status.history``).
  ``house_status.resumes``: set on the part of a stretch that resumes after a later, shorter one
  ended inside it (the id of the stretch's first part).
- Existing overlaps are repaired set-based: of several rows of one household (or building) with the
  same ``valid_from`` the latest loaded stays (the others go to ``house_status_history``), and every
  stretch is closed by the next one in time (``lead()``); the ends so found are kept as given.
- Two exclusion constraints (btree_gist): no household, and no building, has two stretches valid on
  the same day, whatever writes them (loader, API, a DBA's script).
- ``house_status_history``: the rows a correction replaced, with who, when and why.
- Statement-level triggers bump ``data_versions`` after any INSERT, UPDATE, DELETE or TRUNCATE of the
  tables the maps read, so a write outside the loaders invalidates cached tiles too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The tables whose contents the maps, tiles, pages and walls show (everything but the auth tables,
# the audit log and the history of replaced statuses).
VERSIONED_TABLES: tuple[str, ...] = (
    "admin_units",
    "grids",
    "compounds",
    "buildings",
    "households",
    "house_status",
    "addresses",
    "cases",
    "people",
    "person_contacts",
    "responsibilities",
    "places",
    "basemap_features",
    "risk_areas",
    "risk_area_zones",
    "risk_area_buildings",
    "risk_area_steps",
    "transfers",
    "gate_events",
)

# A statement that changed no row (an upsert of an unchanged file) bumps nothing.
_BUMP_FUNCTION = """
CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        NULL;
    ELSIF NOT EXISTS (SELECT 1 FROM changed_rows) THEN
        RETURN NULL;
    END IF;
    INSERT INTO data_versions (table_name, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
    ON CONFLICT (table_name) DO UPDATE SET version = data_versions.version + 1, changed_at = now();
    RETURN NULL;
END $$;
"""

_TRIGGERS = {
    "insert": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS changed_rows",
    "update": "AFTER UPDATE ON {t} REFERENCING NEW TABLE AS changed_rows",
    "delete": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS changed_rows",
    "truncate": "AFTER TRUNCATE ON {t}",
}

_REPAIR = """
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY household_id, building_id, valid_from
                                  ORDER BY loaded_at DESC, id DESC) AS rank
    FROM house_status
), replaced AS (
    DELETE FROM house_status s USING ranked r WHERE s.id = r.id AND r.rank > 1 RETURNING s.*
)
INSERT INTO house_status_history (status_id, household_id, building_id, status, valid_from, valid_to,
                                  declared_to, source, source_id, loaded_at, replaced_by, reason)
SELECT id, household_id, building_id, status, valid_from, valid_to, valid_to, source, source_id,
       loaded_at, 'migration 0007', 'repair: another row of the same household or building had the '
       'same valid_from and was loaded later'
FROM replaced;

-- Each stretch closed by the next in time; the ends so found are kept as the ones given.
UPDATE house_status s SET valid_to = w.valid_to
FROM (SELECT id, least(valid_to, lead(valid_from) OVER (PARTITION BY household_id, building_id
                                                        ORDER BY valid_from)) AS valid_to
      FROM house_status) w
WHERE s.id = w.id AND s.valid_to IS DISTINCT FROM w.valid_to;
UPDATE house_status SET declared_to = valid_to WHERE valid_to IS NOT NULL;
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column("house_status", sa.Column("declared_to", sa.Date(), nullable=True))
    op.add_column("house_status", sa.Column("resumes", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_house_status_resumes_house_status"),
        "house_status",
        "house_status",
        ["resumes"],
        ["id"],
        ondelete="CASCADE",
    )
    # Partial: almost every row resumes nothing, and an index entry per NULL would cost every insert.
    op.create_index(
        op.f("ix_house_status_resumes"),
        "house_status",
        ["resumes"],
        unique=False,
        postgresql_where=sa.text("resumes IS NOT NULL"),
    )
    op.create_table(
        "house_status_history",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("status_id", sa.BigInteger(), nullable=False),
        sa.Column("household_id", sa.BigInteger(), nullable=True),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("declared_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("replaced_by", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("replacement_source", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_house_status_history")),
    )
    op.create_index(
        "ix_house_status_history_target",
        "house_status_history",
        ["household_id", "building_id", "valid_from"],
        unique=False,
    )
    op.execute(_REPAIR)
    for column in ("household_id", "building_id"):
        op.execute(f"""
            ALTER TABLE house_status ADD CONSTRAINT ex_house_status_{column}_period
            EXCLUDE USING gist ({column} WITH =, daterange(valid_from, valid_to) WITH &&)
            WHERE ({column} IS NOT NULL)""")
    op.execute(_BUMP_FUNCTION)
    for table in VERSIONED_TABLES:
        for event, clause in _TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER data_version_{event} {clause.format(t=table)} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
            )


def downgrade() -> None:
    for table in VERSIONED_TABLES:
        for event in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_data_version()")
    for column in ("household_id", "building_id"):
        op.execute(f"ALTER TABLE house_status DROP CONSTRAINT IF EXISTS ex_house_status_{column}_period")
    op.drop_index("ix_house_status_history_target", table_name="house_status_history")
    op.drop_table("house_status_history")
    op.drop_index(op.f("ix_house_status_resumes"), table_name="house_status")
    op.drop_constraint(op.f("fk_house_status_resumes_house_status"), "house_status", type_="foreignkey")
    op.drop_column("house_status", "resumes")
    op.drop_column("house_status", "declared_to")
