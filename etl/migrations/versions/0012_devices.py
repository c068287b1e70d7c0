"""devices: home-isolation door sensors and thermometers, their append-only events, dead letters,
daily roll-ups and alerts (items of the ``isolation_alert`` loop)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 01:40:00

- ``devices``: one row per registered device (``source_id`` is the vendor's device id, the topic
  level of ``battlemap/devices/<id>/events``), its type and household, installed/removed dates.
- ``device_events``: append-only, one row per (device, seq): a duplicate delivery is ignored by the
  unique key, an out-of-order one is stored and read in its place (ordered by seq). UPDATE is refused;
  DELETE only by the roll-up (``SET LOCAL battlemap.rollup = 'on'``), after the row is in
  ``device_daily``.
- ``device_dead_letters``: what the ingester could not store, with the reason, the topic and the
  size; never the payload (it may carry anything), only a message naming the field that was wrong.
- ``device_alerts``: one per alert, bound to the loop item it opened (its state is the item's);
  ``device_alert_events`` keeps a copy of each triggering event (it outlives the raw roll-up).
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TABLES = """
CREATE TABLE devices (
    id bigserial PRIMARY KEY,
    source_id varchar(200) NOT NULL CONSTRAINT uq_devices_source_id UNIQUE,
    type varchar(20) NOT NULL CONSTRAINT ck_devices_type CHECK (type IN ('door_sensor', 'thermometer')),
    household_id bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    installed_on date NOT NULL,
    removed_on date,
    source varchar(200) NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_devices_period CHECK (removed_on IS NULL OR removed_on >= installed_on)
);
CREATE INDEX ix_devices_household_id ON devices (household_id);

CREATE TABLE device_events (
    id bigserial PRIMARY KEY,
    device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    seq bigint NOT NULL CONSTRAINT ck_device_events_seq CHECK (seq >= 0),
    ts timestamptz NOT NULL,
    type varchar(12) NOT NULL
        CONSTRAINT ck_device_events_type CHECK (type IN ('door_open', 'door_close', 'temperature', 'heartbeat', 'battery')),
    value double precision,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    source varchar(20) NOT NULL DEFAULT 'device',
    CONSTRAINT uq_device_events_device_seq UNIQUE (device_id, seq)
);
CREATE INDEX ix_device_events_device_ts ON device_events (device_id, ts DESC);
CREATE INDEX ix_device_events_ts ON device_events (ts);

CREATE FUNCTION device_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('battlemap.rollup', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % is not allowed (old events go through the roll-up)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER device_events_append_only BEFORE UPDATE OR DELETE ON device_events
    FOR EACH ROW EXECUTE FUNCTION device_events_append_only();

CREATE TABLE device_dead_letters (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    reason varchar(30) NOT NULL
        CONSTRAINT ck_device_dead_letters_reason CHECK (reason IN ('too_large', 'not_json', 'bad_field', 'unknown_device', 'future_ts', 'bad_topic', 'removed_device')),
    topic varchar(200) NOT NULL,
    size integer NOT NULL,
    detail varchar(200)
);
CREATE INDEX ix_device_dead_letters_received_at ON device_dead_letters (received_at);

CREATE TABLE device_daily (
    device_id bigint NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    day date NOT NULL,
    type varchar(12) NOT NULL,
    events integer NOT NULL,
    min_value double precision,
    max_value double precision,
    avg_value double precision,
    first_ts timestamptz NOT NULL,
    last_ts timestamptz NOT NULL,
    CONSTRAINT pk_device_daily PRIMARY KEY (device_id, day, type)
);

CREATE TABLE device_alerts (
    id bigserial PRIMARY KEY,
    kind varchar(20) NOT NULL
        CONSTRAINT ck_device_alerts_kind CHECK (kind IN ('fever', 'missed_reading', 'door', 'offline', 'battery')),
    household_id bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    device_id bigint REFERENCES devices (id) ON DELETE SET NULL,
    loop_item_id bigint NOT NULL REFERENCES loop_items (id) CONSTRAINT uq_device_alerts_item UNIQUE,
    opened_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL,
    triggers integer NOT NULL DEFAULT 1
);
CREATE INDEX ix_device_alerts_household_kind ON device_alerts (household_id, kind);

CREATE TABLE device_alert_events (
    id bigserial PRIMARY KEY,
    alert_id bigint NOT NULL REFERENCES device_alerts (id) ON DELETE CASCADE,
    device_id bigint REFERENCES devices (id) ON DELETE SET NULL,
    seq bigint,
    ts timestamptz NOT NULL,
    type varchar(12),
    value double precision,
    note varchar(200)
);
CREATE INDEX ix_device_alert_events_alert_id ON device_alert_events (alert_id);
"""


def upgrade() -> None:
    op.execute(_TABLES)


def downgrade() -> None:
    op.execute(
        "DROP TABLE device_alert_events, device_alerts, device_daily, device_dead_letters, device_events, devices"
    )
    op.execute("DROP FUNCTION device_events_append_only()")
