"""Declared risk areas: the area, its zones, its buildings and the SOP steps done."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import SRID, Base, SourcedMixin, in_codes
from geo.vocab import (
    RISK_LEVELS,
    ZONE_KINDS,
)

RISK_LEVEL_CODES: tuple[str, ...] = tuple(t.code for t in RISK_LEVELS)
ZONE_CODES: tuple[str, ...] = tuple(t.code for t in ZONE_KINDS)


class RiskAreaRecord(SourcedMixin, Base):
    """A risk area (风险区域), declared here or loaded from the published history.

    Active from ``declared_at`` until ``lifted_at`` (open while NULL), so the map can show any past
    day. Published areas are matched to the address gazetteer, a compound or a building by name;
    ``match_kind`` says how (NULL: unmatched, kept and listed, never dropped).
    """

    __tablename__ = "risk_areas"
    __table_args__ = (
        CheckConstraint(in_codes("level", RISK_LEVEL_CODES), name="level"),
        CheckConstraint("lifted_at IS NULL OR lifted_at >= declared_at", name="period"),
        CheckConstraint("geom IS NULL OR ST_IsValid(geom)", name="valid_geom"),  # migration 0006
        Index("ix_risk_areas_period", "declared_at", "lifted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(10))
    district: Mapped[str | None] = mapped_column(String(60), index=True)
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_case_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    n_snapshots: Mapped[int | None] = mapped_column(Integer)
    match_kind: Mapped[str | None] = mapped_column(String(20))
    match_score: Mapped[float | None] = mapped_column(Float)  # 0..100, how far it is trusted (0010)
    match_key: Mapped[str | None] = mapped_column(String(300))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="SET NULL"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id", ondelete="SET NULL"))
    rules = mapped_column(JSONB)
    counts = mapped_column(JSONB)
    point = mapped_column(Geometry(geometry_type="POINT", srid=SRID, spatial_index=True), nullable=True)
    geom = mapped_column(Geometry(geometry_type="MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)


class RiskAreaZone(Base):
    """One zone of a declared risk area: its whole-building footprint and its counts at declaration."""

    __tablename__ = "risk_area_zones"
    __table_args__ = (
        CheckConstraint(in_codes("zone", ZONE_CODES), name="zone"),
        CheckConstraint("geom IS NULL OR ST_IsValid(geom)", name="valid_geom"),  # migration 0006
        UniqueConstraint("risk_area_id", "zone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_area_id: Mapped[int] = mapped_column(ForeignKey("risk_areas.id", ondelete="CASCADE"))
    zone: Mapped[str] = mapped_column(String(20))
    counts = mapped_column(JSONB)
    geom = mapped_column(Geometry(geometry_type="MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=True)


class RiskAreaBuilding(Base):
    """Which zone of a risk area a building is in, and the rule that put it there."""

    __tablename__ = "risk_area_buildings"
    __table_args__ = (CheckConstraint(in_codes("zone", ZONE_CODES), name="zone"),)

    risk_area_id: Mapped[int] = mapped_column(
        ForeignKey("risk_areas.id", ondelete="CASCADE"), primary_key=True
    )
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    zone: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(40))


class RiskAreaStep(Base):
    """A step of the response SOP done for a risk area (recurring steps have one row per time done)."""

    __tablename__ = "risk_area_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    risk_area_id: Mapped[int] = mapped_column(ForeignKey("risk_areas.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    done_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(String(300))
