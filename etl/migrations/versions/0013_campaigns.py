"""campaigns: the vaccination campaign board (疫苗接种管理闭环): campaigns, targets per unit, daily reports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 01:50:00

- ``campaigns``: a name, a dose (first, second, booster or any), a start and a deadline, a source.
- ``campaign_targets``: the task total (任务总量) per admin unit (sub-district or committee) of a
  campaign; a sub-district with committee targets gets the sum of its committees (``geo.campaign``).
- ``campaign_reports``: the daily counts per unit and day (organised, booked, vaccinated that day),
  append-only: a later file for the same campaign, unit and day appends a row that replaces the
  earlier one for every read (the current value is the latest row, ``geo.campaign.store``); the
  earlier row stays, with its file and load time. UPDATE and DELETE are refused by trigger.
- ``campaign_current``: derived from the log by the write rule (the current row of each unit and
  day, with running totals), so the board reads a row per unit instead of the whole history.
- Statement-level triggers bump ``data_versions`` (the function of migration 0007).
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES: tuple[str, ...] = ("campaigns", "campaign_targets", "campaign_reports")

_TRIGGERS = {
    "insert": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS changed_rows",
    "update": "AFTER UPDATE ON {t} REFERENCING NEW TABLE AS changed_rows",
    "delete": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS changed_rows",
    "truncate": "AFTER TRUNCATE ON {t}",
}

_SQL = """
CREATE TABLE campaigns (
    id serial PRIMARY KEY,
    name varchar(200) NOT NULL CONSTRAINT uq_campaigns_name UNIQUE,
    dose varchar(20) NOT NULL DEFAULT 'any'
        CONSTRAINT ck_campaigns_dose CHECK (dose IN ('first', 'second', 'booster', 'any')),
    start_date date NOT NULL,
    deadline date NOT NULL,
    source varchar(200) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_campaigns_period CHECK (deadline >= start_date)
);

CREATE TABLE campaign_targets (
    id bigserial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id integer NOT NULL REFERENCES admin_units (id) ON DELETE CASCADE,
    target integer NOT NULL CONSTRAINT ck_campaign_targets_target CHECK (target >= 0),
    source varchar(200) NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_campaign_targets_campaign_unit UNIQUE (campaign_id, unit_id)
);

CREATE TABLE campaign_reports (
    id bigserial PRIMARY KEY,
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id integer NOT NULL REFERENCES admin_units (id) ON DELETE CASCADE,
    day date NOT NULL,
    organised integer NOT NULL CONSTRAINT ck_campaign_reports_organised CHECK (organised >= 0),
    booked integer NOT NULL CONSTRAINT ck_campaign_reports_booked CHECK (booked >= 0),
    vaccinated integer NOT NULL CONSTRAINT ck_campaign_reports_vaccinated CHECK (vaccinated >= 0),
    source varchar(200) NOT NULL,
    source_row integer,
    loaded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    loaded_by varchar(100)
);
-- The current value of (campaign, unit, day) is its latest row: this index answers it.
CREATE INDEX ix_campaign_reports_current ON campaign_reports (campaign_id, unit_id, day, id DESC);

-- Derived, never written but by geo.campaign.store (rebuilt from the log for the days a write
-- changes): the current counts of each unit and day with the running totals to that day, so that a
-- board reads one row per unit (its latest day) and the 7 days before, not the whole log.
CREATE TABLE campaign_current (
    campaign_id integer NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    unit_id integer NOT NULL REFERENCES admin_units (id) ON DELETE CASCADE,
    day date NOT NULL,
    report_id bigint NOT NULL,
    organised integer NOT NULL,
    booked integer NOT NULL,
    vaccinated integer NOT NULL,
    cum_organised bigint NOT NULL,
    cum_booked bigint NOT NULL,
    cum_vaccinated bigint NOT NULL,
    CONSTRAINT pk_campaign_current PRIMARY KEY (campaign_id, unit_id, day)
);

CREATE FUNCTION campaign_reports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'campaign_reports is append-only (a correction is a later row): % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER campaign_reports_append_only BEFORE UPDATE OR DELETE ON campaign_reports
    FOR EACH ROW EXECUTE FUNCTION campaign_reports_append_only();
"""


def upgrade() -> None:
    op.execute(_SQL)
    for table in TABLES:
        for event, clause in _TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER data_version_{event} {clause.format(t=table)} "
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version()"
            )


def downgrade() -> None:
    op.execute("DROP TABLE campaign_current, campaign_reports, campaign_targets, campaigns")
    op.execute("DROP FUNCTION campaign_reports_append_only()")
