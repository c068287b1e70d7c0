"""The PostGIS data model: SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns.

Every geometry is stored in EPSG:4326 with a GiST index. Every loaded row carries
``source`` (where it came from: a file name, ``osm``, ``simulated``) and ``source_id``
(its id in that source), unique per table, which makes loads idempotent upserts.
Personal data (names, phones, ID numbers) lives only in ``person_contacts``.
"""

from geo.models.auth import USER_ROLES, USER_SCOPE_TYPES, ApiToken, AuditEntry, User, UserScope, UserSession
from geo.models.base import SRID, Base
from geo.models.city import (
    Address,
    AdminUnit,
    BasemapFeature,
    Building,
    Case,
    Compound,
    DataVersion,
    Grid,
    Household,
    HouseStatus,
    HouseStatusHistory,
    Person,
    PersonContact,
    Place,
    Responsibility,
)
from geo.models.flows import GateEvent, Transfer
from geo.models.risk import RiskAreaBuilding, RiskAreaRecord, RiskAreaStep, RiskAreaZone

__all__ = [
    "SRID",
    "USER_ROLES",
    "USER_SCOPE_TYPES",
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
    "User",
    "UserScope",
    "UserSession",
]
