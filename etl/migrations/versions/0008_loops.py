"""loops: closed-loop work items, their append-only transition log and photos; the worker role

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:40:00

An item's current state is never stored: it is the last row of its log (``geo.loops.store``), the row
whose ``seq`` is the item's ``version``. The version is the only thing of an item that changes: the
optimistic lock, moved on by each appended row (a second writer based on the same version gets 409,
nothing lost). Log and photos refuse UPDATE and DELETE.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ROLES_BEFORE = "'commander', 'operator', 'analyst', 'wall'"
_ROLES_AFTER = "'commander', 'operator', 'analyst', 'wall', 'worker'"

_TABLES = """
CREATE TABLE loop_items (
    id bigserial PRIMARY KEY,
    kind varchar(40) NOT NULL,
    target_type varchar(10) NOT NULL
        CONSTRAINT ck_loop_items_target_type CHECK (target_type IN ('household', 'building', 'compound', 'place')),
    target_id bigint NOT NULL,
    building_id bigint NOT NULL REFERENCES buildings (id),
    point geometry(Point, 4326),
    note text,
    assignee_person_id integer REFERENCES people (id) ON DELETE SET NULL,
    assignee_level varchar(30),
    created_by_user_id integer REFERENCES users (id) ON DELETE SET NULL,
    created_by_role varchar(20),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    source varchar(20) NOT NULL DEFAULT 'field',
    version integer NOT NULL DEFAULT 0 CONSTRAINT ck_loop_items_version CHECK (version >= 0),
    client_id varchar(200),
    body_hash varchar(64)
);
CREATE INDEX ix_loop_items_building_id ON loop_items (building_id);
CREATE INDEX ix_loop_items_kind ON loop_items (kind);
CREATE UNIQUE INDEX uq_loop_items_client ON loop_items (coalesce(created_by_user_id, 0), client_id)
    WHERE client_id IS NOT NULL;

CREATE TABLE loop_transitions (
    id bigserial PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES loop_items (id),
    seq integer NOT NULL CONSTRAINT ck_loop_transitions_seq CHECK (seq >= 1),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    observed_at timestamptz,
    action varchar(12) NOT NULL
        CONSTRAINT ck_loop_transitions_action CHECK (action IN ('open', 'complete', 'escalate', 'assign')),
    step varchar(40),
    from_state varchar(10),
    to_state varchar(10) NOT NULL CONSTRAINT ck_loop_transitions_to_state CHECK (to_state IN ('open', 'closed')),
    next_step varchar(40),
    assignee_person_id integer REFERENCES people (id) ON DELETE SET NULL,
    assignee_level varchar(30),
    due_at timestamptz,
    daily_due_at timestamptz,
    note text,
    reading double precision,
    checks jsonb,
    actor_user_id integer REFERENCES users (id) ON DELETE SET NULL,
    actor_role varchar(20),
    client_id varchar(200),
    body_hash varchar(64),
    CONSTRAINT uq_loop_transitions_item_seq UNIQUE (item_id, seq),
    CONSTRAINT uq_loop_transitions_item_client UNIQUE (item_id, client_id)
);
CREATE INDEX ix_loop_transitions_open_due ON loop_transitions ((least(due_at, daily_due_at))) WHERE to_state = 'open';

CREATE TABLE loop_photos (
    id bigserial PRIMARY KEY,
    transition_id bigint NOT NULL REFERENCES loop_transitions (id),
    content_type varchar(40) NOT NULL,
    bytes integer NOT NULL CONSTRAINT ck_loop_photos_bytes CHECK (bytes > 0 AND bytes <= 20971520),
    data bytea NOT NULL
);
CREATE INDEX ix_loop_photos_transition_id ON loop_photos (transition_id);

CREATE FUNCTION loop_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER loop_transitions_append_only BEFORE UPDATE OR DELETE ON loop_transitions
    FOR EACH ROW EXECUTE FUNCTION loop_log_append_only();
CREATE TRIGGER loop_photos_append_only BEFORE UPDATE OR DELETE ON loop_photos
    FOR EACH ROW EXECUTE FUNCTION loop_log_append_only();
"""


def upgrade() -> None:
    op.execute("ALTER TABLE users DROP CONSTRAINT ck_users_role")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT ck_users_role CHECK (role IN ({_ROLES_AFTER}))")
    op.execute(_TABLES)


def downgrade() -> None:
    op.execute("DROP TABLE loop_photos, loop_transitions, loop_items")
    op.execute("DROP FUNCTION loop_log_append_only()")
    op.execute("DELETE FROM users WHERE role = 'worker'")
    op.execute("ALTER TABLE users DROP CONSTRAINT ck_users_role")
    op.execute(f"ALTER TABLE users ADD CONSTRAINT ck_users_role CHECK (role IN ({_ROLES_BEFORE}))")
