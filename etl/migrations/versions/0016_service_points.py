"""service points: the languages and opening hours of a registration or service point

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-04 18:30:00

The multilingual service guide (涉外服务指引图) shows where an international compound's
registration points (登记处) are, which languages each serves (``languages``: ISO 639-1 codes
such as zh, en, ja, ko, it) and when it is open (``opening_hours``: ``08:00-20:00`` or
``Mo-Fr 09:00-17:00; Sa 09:00-12:00``), both checked by the places loader
(``geo.services.languages``, ``geo.services.hours``). Whether a compound is international is
derived from its households' ``foreign_national`` flags and ``BATTLEMAP_INTERNATIONAL_SHARE``,
not stored.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE places ADD COLUMN languages varchar(8)[], ADD COLUMN opening_hours varchar(200)")


def downgrade() -> None:
    op.execute("ALTER TABLE places DROP COLUMN IF EXISTS languages, DROP COLUMN IF EXISTS opening_hours")
