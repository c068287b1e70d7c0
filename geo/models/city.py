"""The city and its people: units, grids, compounds, buildings, households, house status, addresses,
cases, the responsibility chain (contacts kept apart), places, the basemap and the data versions."""

from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geo.models.base import SRID, Base, SourcedMixin, geometry, in_codes
from geo.vocab import (
    ADMIN_LEVEL_CODES,
    CHAIN_LEVEL_CODES,
    RESPONSIBILITY_SCOPES,
    STATUS_CODES,
)


class AdminUnit(SourcedMixin, Base):
    """District -> sub-district/town (街镇) -> residential committee/village (居村)."""

    __tablename__ = "admin_units"
    __table_args__ = (CheckConstraint(in_codes("level", ADMIN_LEVEL_CODES), name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL"), index=True
    )
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)


class Grid(SourcedMixin, Base):
    """A grid (网格), the unit of daily management, inside one admin unit."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)


class Compound(SourcedMixin, Base):
    """A gated residential estate (小区 / 弄)."""

    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)


class Building(SourcedMixin, Base):
    """A building footprint (楼栋), assigned to its grid, compound and admin units after each load."""

    __tablename__ = "buildings"
    # Pages keep a tenth free, so that an updated building stays beside its neighbours (0017).
    __table_args__ = ({"postgresql_with": {"fillfactor": 90}},)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(300), index=True)
    height_m: Mapped[float | None] = mapped_column(Float)
    floors: Mapped[int | None] = mapped_column(SmallInteger)
    kind: Mapped[str | None] = mapped_column(String(60))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), index=True)
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compounds.id", ondelete="SET NULL"), index=True
    )
    subdistrict_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL"), index=True
    )
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL"), index=True
    )
    committee_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL"), index=True
    )
    geom = mapped_column(geometry("MULTIPOLYGON"), nullable=False)
    # A point always inside the footprint: assignment, labels and low-zoom aggregates use it.
    label_point = mapped_column(
        Geometry(geometry_type="POINT", srid=SRID, spatial_index=True),
        Computed("ST_PointOnSurface(geom)", persisted=True),
    )


class Household(SourcedMixin, Base):
    """A dwelling unit in a building. No names or ID numbers: only flags."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"), index=True)
    unit_label: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None] = mapped_column(SmallInteger)
    elderly_alone: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    foreign_national: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class HouseStatus(SourcedMixin, Base):
    """One stretch of a status for a household or a whole building: [valid_from, valid_to)."""

    __tablename__ = "house_status"
    __table_args__ = (
        CheckConstraint(in_codes("status", STATUS_CODES), name="status"),
        CheckConstraint("(household_id IS NULL) <> (building_id IS NULL)", name="one_target"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="period"),
        Index("ix_house_status_period", "valid_from", "valid_to"),
        Index("ix_house_status_resumes", "resumes", postgresql_where=text("resumes IS NOT NULL")),
        # No two stretches of one household, or of one building, valid on the same day (0007).
        *(
            ExcludeConstraint(
                (column, "="),
                (func.daterange(text("valid_from"), text("valid_to")), "&&"),
                using="gist",
                where=text(f"{column} IS NOT NULL"),
                name=f"ex_house_status_{column}_period",
            )
            for column in ("household_id", "building_id")
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    # The end the source gave (NULL: open until the next stretch); ``valid_to`` is worked out from
    # it and the next stretch in time by ``geo.status.history``.
    declared_to: Mapped[dt.date | None] = mapped_column(Date)
    # On the part of a stretch that resumes after a later, shorter one ended inside it: the id of the
    # stretch's first part (the row that holds what the source gave).
    resumes: Mapped[int | None] = mapped_column(ForeignKey("house_status.id", ondelete="CASCADE"))


class HouseStatusHistory(Base):
    """A status row a later load or a field report replaced (a correction), kept with who, when and why."""

    __tablename__ = "house_status_history"
    __table_args__ = (Index("ix_house_status_history_target", "household_id", "building_id", "valid_from"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status_id: Mapped[int] = mapped_column(BigInteger)
    household_id: Mapped[int | None] = mapped_column(BigInteger)
    building_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    declared_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    replaced_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(200))
    replacement_source: Mapped[str | None] = mapped_column(String(200))


class Address(SourcedMixin, Base):
    """A geocoded address: the offline gazetteer that case lists and risk areas are matched against."""

    __tablename__ = "addresses"
    __table_args__ = (Index("ix_addresses_match", "district", "match_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(300))
    match_key: Mapped[str] = mapped_column(String(300))
    township: Mapped[str | None] = mapped_column(String(100))
    geom = mapped_column(geometry("POINT"), nullable=False)


class Case(SourcedMixin, Base):
    """A reported case location. Addresses only, no personal identifiers."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reported_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(60), index=True)
    # How the address was matched (geo.address.match: level, score 0..100); migration 0010.
    address_level: Mapped[str | None] = mapped_column(String(20))
    address_score: Mapped[float | None] = mapped_column(Float)
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("addresses.id", ondelete="SET NULL"), index=True
    )
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="SET NULL"), index=True
    )
    # NULL when the address could not be located; such cases are counted as unmatched, not dropped.
    geom = mapped_column(Geometry(geometry_type="POINT", srid=SRID, spatial_index=True), nullable=True)


class Person(SourcedMixin, Base):
    """A responsible person, known to the map only by role and an opaque code."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str | None] = mapped_column(String(100))


class PersonContact(Base):
    """Names, phones and ID numbers, apart from everything else; never exported or tiled."""

    __tablename__ = "person_contacts"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str | None] = mapped_column(String(40))


class Responsibility(SourcedMixin, Base):
    """Who answers for a building, compound, grid or unit, at which level of the chain."""

    __tablename__ = "responsibilities"
    __table_args__ = (
        CheckConstraint(in_codes("level", CHAIN_LEVEL_CODES), name="level"),
        CheckConstraint(in_codes("scope_type", RESPONSIBILITY_SCOPES), name="scope_type"),
        Index("ix_responsibilities_scope", "scope_type", "scope_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(30))
    role: Mapped[str | None] = mapped_column(String(100))
    scope_type: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int] = mapped_column(BigInteger)


class Place(SourcedMixin, Base):
    """A point of interest for operations: gates, checkpoints, sampling and quarantine sites, hospitals…"""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str | None] = mapped_column(String(300))
    # The industry of a key-industry site (geo.vocab.KEY_INDUSTRIES); migration 0010.
    subcategory: Mapped[str | None] = mapped_column(String(40))
    # A registration or service point's languages (ISO 639-1 codes) and opening hours; migration 0016.
    languages: Mapped[list[str] | None] = mapped_column(ARRAY(String(8)))
    opening_hours: Mapped[str | None] = mapped_column(String(200))
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compounds.id", ondelete="SET NULL"), index=True
    )
    geom = mapped_column(geometry("POINT"), nullable=False)


class BasemapFeature(SourcedMixin, Base):
    """Roads, water and land use drawn as the offline basemap."""

    __tablename__ = "basemap_features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str | None] = mapped_column(String(300))
    geom = mapped_column(geometry("GEOMETRY"), nullable=False)


class DataVersion(Base):
    """One row per table, bumped by every load: caches and walls know what changed and when."""

    __tablename__ = "data_versions"

    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
