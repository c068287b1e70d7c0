"""status overview: per-day aggregates of the house-status map per grid, sub-district and city

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:40:00

- ``status_overview_spans``: each building's state by ``geo.status.rule`` as piecewise-constant spans
  (from ``valid_from`` to ``valid_to``, open when NULL; the first from ``-infinity``): its grid and
  sub-district, households, cases, vulnerable, worst status rank, households per status, and how many
  households changed status on the span's first day.
- ``status_overview``: DELTAS per level (``c`` city, ``s`` sub-district, ``g`` grid and sub-district
  pair), area and day; a figure on a day is the sum of its deltas up to that day. An open stretch
  therefore counts on every later day with nothing written when the day rolls over.
- ``status_overview_parts``: buildings per combination of the columns a scope selects by (grid,
  sub-district, district, committee; missing ones 0): whether a scope is whole areas is decided on
  this small table, never by counting a district's buildings.
- ``status_overview_pending``: the buildings whose spans are stale. Statement-level triggers on
  ``house_status``, ``households`` and ``buildings`` put the buildings a write touches there, in the
  writer's transaction, whoever writes; ``geo.status.overview.settle`` (called by the status write
  rule and by every load) folds them into the spans and deltas in the same transaction. Readers use
  the overview only when nothing is pending (else they take the live query), so a figure is never stale.
- Existing data: every building is pending and is settled here.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Fixed at this revision (``geo.vocab.STATUS_CODES``); a new status needs a migration adding its columns.
STATUS_CODES: tuple[str, ...] = (
    "confirmed",
    "asymptomatic",
    "close_contact",
    "secondary_contact",
    "sealed",
    "home_isolation",
    "health_monitoring",
    "returnee",
    "inbound",
    "normal",
    "vacant",
)

_PENDING = "INSERT INTO status_overview_pending (building_id) {select} ON CONFLICT DO NOTHING"

# What each table's rows say about which buildings they touch (``r``: a transition table's row).
_TOUCHED = {
    "house_status": (
        "SELECT coalesce(r.building_id, h.building_id) FROM {rows} r "
        "LEFT JOIN households h ON h.id = r.household_id WHERE coalesce(r.building_id, h.building_id) IS NOT NULL"
    ),
    "households": "SELECT r.building_id FROM {rows} r WHERE r.building_id IS NOT NULL",
    "buildings": "SELECT r.id FROM {rows} r",
}


def _function(table: str) -> str:
    touched = _TOUCHED[table]
    # Updates of buildings that move no building between areas touch nothing (geometry fixes, names).
    moved = (
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE (n.grid_id, n.subdistrict_id, n.district_id, n.committee_id) "
        "IS DISTINCT FROM (o.grid_id, o.subdistrict_id, o.district_id, o.committee_id)"
    )
    update = (
        _PENDING.format(select=moved)
        if table == "buildings"
        else _PENDING.format(
            select=touched.format(rows="old_rows") + " UNION " + touched.format(rows="new_rows")
        )
    )
    return f"""
CREATE FUNCTION status_overview_touch_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        {_PENDING.format(select="SELECT building_id FROM status_overview_spans")};
        {_PENDING.format(select="SELECT id FROM buildings")};
    ELSIF TG_OP = 'INSERT' THEN
        {_PENDING.format(select=touched.format(rows="new_rows"))};
    ELSIF TG_OP = 'DELETE' THEN
        {_PENDING.format(select=touched.format(rows="old_rows"))};
    ELSE
        {update};
    END IF;
    RETURN NULL;
END $$;
"""


_TRIGGERS = {
    "insert": "AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON {t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON {t} REFERENCING OLD TABLE AS old_rows",
    "truncate": "AFTER TRUNCATE ON {t}",
}


def upgrade() -> None:
    per_status = "".join(f", hh_{code} integer NOT NULL DEFAULT 0" for code in STATUS_CODES)
    per_status += "".join(f", b_{code} integer NOT NULL DEFAULT 0" for code in STATUS_CODES)
    op.execute(f"""
        CREATE TABLE status_overview (
            level char(1) NOT NULL CHECK (level IN ('c', 's', 'g')),
            grid_id integer NOT NULL, subdistrict_id integer NOT NULL, day date NOT NULL,
            buildings integer NOT NULL DEFAULT 0, households integer NOT NULL DEFAULT 0,
            cases integer NOT NULL DEFAULT 0, with_cases integer NOT NULL DEFAULT 0,
            vulnerable integer NOT NULL DEFAULT 0, changed integer NOT NULL DEFAULT 0{per_status},
            CONSTRAINT pk_status_overview PRIMARY KEY (level, grid_id, subdistrict_id, day))""")
    # Grid tiles read pairs by grid; sub-district tiles and KPIs by sub-district (the primary key).
    op.execute("CREATE INDEX ix_status_overview_grid ON status_overview (grid_id, day) WHERE level = 'g'")
    op.execute("""
        CREATE TABLE status_overview_spans (
            building_id bigint NOT NULL, valid_from date NOT NULL, valid_to date,
            grid_id integer, subdistrict_id integer, district_id integer, committee_id integer,
            households integer NOT NULL,
            cases integer NOT NULL, vulnerable boolean NOT NULL, rank smallint,
            by_status integer[] NOT NULL, changed integer NOT NULL,
            CONSTRAINT pk_status_overview_spans PRIMARY KEY (building_id, valid_from))""")
    op.execute("""
        CREATE TABLE status_overview_parts (
            grid_id integer NOT NULL, subdistrict_id integer NOT NULL, district_id integer NOT NULL,
            committee_id integer NOT NULL, buildings integer NOT NULL,
            CONSTRAINT pk_status_overview_parts PRIMARY KEY (grid_id, subdistrict_id, district_id, committee_id))""")
    op.execute("CREATE TABLE status_overview_pending (building_id bigint PRIMARY KEY)")
    for table in _TOUCHED:
        op.execute(_function(table))
        for event, clause in _TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER status_overview_{event} {clause.format(t=table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION status_overview_touch_{table}()"
            )
    op.execute("INSERT INTO status_overview_pending (building_id) SELECT id FROM buildings")
    from geo.status.overview import settle  # the one maintenance path, here for the existing rows

    settle(op.get_bind())


def downgrade() -> None:
    for table in _TOUCHED:
        for event in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS status_overview_{event} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS status_overview_touch_{table}()")
    for table in (
        "status_overview_pending",
        "status_overview_parts",
        "status_overview_spans",
        "status_overview",
    ):
        op.execute(f"DROP TABLE IF EXISTS {table}")
