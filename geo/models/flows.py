"""Movement flows: transfer legs of closed-loop chains and counts at gates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import Base, SourcedMixin, in_codes
from geo.vocab import (
    GATE_EVENT_KIND_CODES,
    LEG_STATUS_CODES,
)


class Transfer(SourcedMixin, Base):
    """One leg of a closed-loop transfer (闭环转运): a group moved from one place to another.

    Legs sharing a ``chain_id`` form a chain (airport -> vehicle -> quarantine site -> home); no
    person is named, only the head count. ``status`` is what the loader was told; whether an open
    leg is overdue is decided against a clock when asked, not stored.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(in_codes("status", LEG_STATUS_CODES), name="status"),
        CheckConstraint("head_count >= 0", name="head_count"),
        CheckConstraint(
            "arrived_at IS NULL OR departed_at IS NULL OR arrived_at >= departed_at", name="period"
        ),
        CheckConstraint("from_place_id <> to_place_id", name="distinct_places"),
        Index("ix_transfers_chain", "chain_id", "leg_no"),
        # When a leg is active (geo.flows.chains.ACTIVE_SQL): the flow map reads legs by time window.
        Index(
            "ix_transfers_active",
            text(
                "tstzrange(coalesce(departed_at, planned_at), greatest(coalesce(departed_at, planned_at), "
                "coalesce(arrived_at, 'infinity'::timestamptz)), '[]')"
            ),
            postgresql_using="gist",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100))
    leg_no: Mapped[int] = mapped_column(SmallInteger)
    from_place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    to_place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="RESTRICT"), index=True)
    planned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    departed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    head_count: Mapped[int] = mapped_column(Integer)
    vehicle: Mapped[str | None] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20))


class GateEvent(SourcedMixin, Base):
    """How many of one kind of event a gate saw in one hour (registrations, checks, deliveries…)."""

    __tablename__ = "gate_events"
    __table_args__ = (
        CheckConstraint(in_codes("kind", GATE_EVENT_KIND_CODES), name="kind"),
        CheckConstraint("count >= 0", name="count"),
        UniqueConstraint("place_id", "hour", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    count: Mapped[int] = mapped_column(Integer)


# --- who may see what (migration 0004) --------------------------------------------------------------
