"""overlays: analysts' GeoDataFrames published from a notebook as named map overlays (issue 19, part 5)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:30:00

- ``overlays``: the registry, one row per published overlay: its name (unique: it is the OGC collection
  ``overlay:<name>`` and the tile source), its author (a user), when, the author's note on where it
  comes from (provenance), its style (a colour), whom it is shared with (roles and user names), who
  approved it for the wall and when, its geometry family, feature count, bounds, the properties it
  carries and the table holding its features.
- The features themselves live in a table per overlay in a schema per author (``overlays_u<user id>``),
  created by ``geo.overlays.publish`` (names quoted as identifiers); deleting an overlay drops its table.
- Statement-level triggers bump ``data_versions`` (the function of migration 0007), so a publish,
  an approval or a delete shows on the next tile request.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_TRIGGERS = {
    "insert": "AFTER INSERT ON overlays REFERENCING NEW TABLE AS changed_rows",
    "update": "AFTER UPDATE ON overlays REFERENCING NEW TABLE AS changed_rows",
    "delete": "AFTER DELETE ON overlays REFERENCING OLD TABLE AS changed_rows",
    "truncate": "AFTER TRUNCATE ON overlays",
}

_SQL = """
CREATE TABLE overlays (
    id serial PRIMARY KEY,
    name varchar(48) NOT NULL CONSTRAINT uq_overlays_name UNIQUE
        CONSTRAINT ck_overlays_name CHECK (name ~ '^[a-z][a-z0-9_]{0,47}$'),
    author_id integer NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    source text NOT NULL,
    colour varchar(7) NOT NULL CONSTRAINT ck_overlays_colour CHECK (colour ~ '^#[0-9a-f]{6}$'),
    share_roles text[] NOT NULL DEFAULT '{}',
    share_users text[] NOT NULL DEFAULT '{}',
    approved_by varchar(100),
    approved_at timestamptz,
    geometry_type varchar(20) NOT NULL
        CONSTRAINT ck_overlays_geometry_type CHECK (geometry_type IN ('point', 'line', 'polygon')),
    feature_count integer NOT NULL CONSTRAINT ck_overlays_feature_count CHECK (feature_count > 0),
    bbox double precision[4] NOT NULL,
    properties text[] NOT NULL DEFAULT '{}',
    table_schema varchar(63) NOT NULL,
    table_name varchar(63) NOT NULL,
    CONSTRAINT ck_overlays_approval CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
CREATE INDEX ix_overlays_author ON overlays (author_id);
"""


def upgrade() -> None:
    op.execute(_SQL)
    for event, clause in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER data_version_{event} {clause} FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
        )


def downgrade() -> None:
    op.execute("""
    DO $$ DECLARE r record; BEGIN
        FOR r IN SELECT DISTINCT table_schema FROM overlays LOOP
            EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.table_schema);
        END LOOP;
    END $$""")
    op.execute("DROP TABLE overlays")
