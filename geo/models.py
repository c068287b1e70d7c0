"""The PostGIS data model: SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns.

Every geometry is stored in EPSG:4326 with a GiST index. Every loaded row carries
``source`` (where it came from: a file name, ``osm``, ``simulated``) and ``source_id``
(its id in that source), unique per table, which makes loads idempotent upserts.
Personal data (names, phones, ID numbers) lives only in ``person_contacts``.
"""

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
    MetaData,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from geo.vocab import (
    ADMIN_LEVEL_CODES,
    CHAIN_LEVEL_CODES,
    GATE_EVENT_KIND_CODES,
    LEG_STATUS_CODES,
    RESPONSIBILITY_SCOPES,
    RISK_LEVELS,
    STATUS_CODES,
    ZONE_KINDS,
)

SRID = 4326

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, codes: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(c) for c in codes)})"


def _geom(kind: str) -> Geometry:
    # GeoAlchemy2 creates the GiST index itself (spatial_index=True).
    return Geometry(geometry_type=kind, srid=SRID, spatial_index=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SourcedMixin:
    """Provenance shared by every loaded table."""

    source: Mapped[str] = mapped_column(String(200))
    source_id: Mapped[str] = mapped_column(String(200), unique=True)
    loaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class AdminUnit(SourcedMixin, Base):
    """District -> sub-district/town (街镇) -> residential committee/village (居村)."""

    __tablename__ = "admin_units"
    __table_args__ = (CheckConstraint(_in("level", ADMIN_LEVEL_CODES), name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_units.id", ondelete="SET NULL"), index=True
    )
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class Grid(SourcedMixin, Base):
    """A grid (网格), the unit of daily management, inside one admin unit."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class Compound(SourcedMixin, Base):
    """A gated residential estate (小区 / 弄)."""

    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)


class Building(SourcedMixin, Base):
    """A building footprint (楼栋), assigned to its grid, compound and admin units after each load."""

    __tablename__ = "buildings"

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
    geom = mapped_column(_geom("MULTIPOLYGON"), nullable=False)
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
        CheckConstraint(_in("status", STATUS_CODES), name="status"),
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
    geom = mapped_column(_geom("POINT"), nullable=False)


class Case(SourcedMixin, Base):
    """A reported case location. Addresses only, no personal identifiers."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reported_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(60), index=True)
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
        CheckConstraint(_in("level", CHAIN_LEVEL_CODES), name="level"),
        CheckConstraint(_in("scope_type", RESPONSIBILITY_SCOPES), name="scope_type"),
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
    compound_id: Mapped[int | None] = mapped_column(
        ForeignKey("compounds.id", ondelete="SET NULL"), index=True
    )
    geom = mapped_column(_geom("POINT"), nullable=False)


class BasemapFeature(SourcedMixin, Base):
    """Roads, water and land use drawn as the offline basemap."""

    __tablename__ = "basemap_features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str | None] = mapped_column(String(60))
    name: Mapped[str | None] = mapped_column(String(300))
    geom = mapped_column(_geom("GEOMETRY"), nullable=False)


class DataVersion(Base):
    """One row per table, bumped by every load: caches and walls know what changed and when."""

    __tablename__ = "data_versions"

    table_name: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


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
        CheckConstraint(_in("level", RISK_LEVEL_CODES), name="level"),
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
        CheckConstraint(_in("zone", ZONE_CODES), name="zone"),
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
    __table_args__ = (CheckConstraint(_in("zone", ZONE_CODES), name="zone"),)

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


class Transfer(SourcedMixin, Base):
    """One leg of a closed-loop transfer (闭环转运): a group moved from one place to another.

    Legs sharing a ``chain_id`` form a chain (airport -> vehicle -> quarantine site -> home); no
    person is named, only the head count. ``status`` is what the loader was told; whether an open
    leg is overdue is decided against a clock when asked, not stored.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        CheckConstraint(_in("status", LEG_STATUS_CODES), name="status"),
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
        CheckConstraint(_in("kind", GATE_EVENT_KIND_CODES), name="kind"),
        CheckConstraint("count >= 0", name="count"),
        UniqueConstraint("place_id", "hour", "kind"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    hour: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    count: Mapped[int] = mapped_column(Integer)


# --- who may see what (migration 0004) --------------------------------------------------------------

USER_ROLES: tuple[str, ...] = ("commander", "operator", "analyst", "wall", "worker")  # worker: 0008
USER_SCOPE_TYPES: tuple[str, ...] = ("unit", "grid")


class User(Base):
    """A person or display that signs in; the password is kept only as an argon2 hash."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    disabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UserScope(Base):
    """An admin unit (with everything below it) or a grid a user may see; none = everything."""

    __tablename__ = "user_scopes"
    __table_args__ = (CheckConstraint(_in("scope_type", USER_SCOPE_TYPES), name="scope_type"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ApiToken(Base):
    """A bearer token of a machine client; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A browser sign-in, kept in the database so that signing out, a new password or disabling
    the user ends it in every process; the cookie holds a random id, only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """One audited action; a trigger makes the table append-only (UPDATE and DELETE fail)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_target_at", "action", "target", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    user_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(300))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSONB)


__all__ = [
    "SRID",
    "Address",
    "AdminUnit",
    "ApiToken",
    "AuditEntry",
    "Base",
    "BasemapFeature",
    "Building",
    "Case",
    "Compound",
    "DataVersion",
    "GateEvent",
    "Grid",
    "HouseStatus",
    "HouseStatusHistory",
    "Household",
    "Person",
    "PersonContact",
    "Place",
    "Responsibility",
    "RiskAreaBuilding",
    "RiskAreaRecord",
    "RiskAreaStep",
    "RiskAreaZone",
    "Transfer",
    "UniqueConstraint",
    "User",
    "UserScope",
    "UserSession",
]
