"""rollups: per-day counts per sub-district, what a city publishes to the national roll-up

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 02:00:00

Three tables, counts only (never persons or buildings), keyed by the city's code so that the
national database holds every city's rows in the same tables:

- ``rollup_cities``: one row per city, ``refreshed_at`` moved on by every refresh (the heartbeat
  a national page reads staleness from);
- ``rollup_units``: the city's sub-districts with a simplified outline;
- ``rollup_days``: per sub-district and day, households by status, cases, active risk areas and
  open/overdue loop items (as seen on that day's refresh; NULL for a day no refresh saw).

They reach the national database by PostgreSQL logical replication (``geo.rollup.publish``). Rows
applied by replication fire no statement trigger, so a row trigger enabled ALWAYS bumps
``data_versions`` on both sides: cached national tiles follow the replicated changes.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("rollup_cities", "rollup_units", "rollup_days")

_DDL = """
CREATE TABLE rollup_cities (
    city_code varchar(20) PRIMARY KEY CONSTRAINT ck_rollup_cities_code CHECK (city_code ~ '^[a-z0-9_]+$'),
    name varchar(100) NOT NULL,
    refreshed_at timestamptz NOT NULL
);
CREATE TABLE rollup_units (
    city_code varchar(20) NOT NULL REFERENCES rollup_cities ON DELETE CASCADE,
    unit_id integer NOT NULL,
    district varchar(200),
    name varchar(200) NOT NULL,
    geom geometry(MultiPolygon, 4326),
    PRIMARY KEY (city_code, unit_id)
);
CREATE INDEX ix_rollup_units_geom ON rollup_units USING gist (geom);
CREATE TABLE rollup_days (
    city_code varchar(20) NOT NULL,
    unit_id integer NOT NULL,
    day date NOT NULL,
    households integer NOT NULL,
    by_status jsonb NOT NULL,
    cases integer NOT NULL,
    risk_areas integer NOT NULL,
    loops_open integer,
    loops_overdue integer,
    PRIMARY KEY (city_code, unit_id, day),
    FOREIGN KEY (city_code, unit_id) REFERENCES rollup_units ON DELETE CASCADE
);
CREATE FUNCTION bump_rollup_version() RETURNS trigger LANGUAGE plpgsql
-- The replication apply worker runs with an empty search_path: keep the schema's.
SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO data_versions (table_name, version, changed_at) VALUES (TG_TABLE_NAME, 1, now())
    ON CONFLICT (table_name) DO UPDATE SET version = data_versions.version + 1, changed_at = now();
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(_DDL)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bump_rollup_version()"
        )
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_version")


def downgrade() -> None:
    op.execute("DROP PUBLICATION IF EXISTS battlemap_rollup")
    for table in reversed(TABLES):
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_rollup_version()")
