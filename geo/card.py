"""What a click on a building shows (its card): where it is, its households by status on a date
(``geo.status.rule``), its responsibility chain as levels, roles and scopes, never people, and for
each household isolated that day its 居家隔离索引图 (``geo.loops.guide``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.devices.kpis import HouseholdDevices, household_devices
from geo.devices.rules import default_rules
from geo.errors import NotFound
from geo.loops.guide import IsolatedHousehold, isolated_households
from geo.responsibility.rule import chain_reach
from geo.scope import UNRESTRICTED, Scope
from geo.status.rule import household_statuses, status_params
from geo.vocab import CHAIN_LEVEL_CODES, REQUIRED_CHAIN_LEVELS, STATUS_CODES


@dataclass(frozen=True)
class ChainLink:
    """One level of a building's responsibility chain: the level, the role and where it is assigned.

    Deliberately no person: a card names roles, never people."""

    level: str
    role: str | None
    scope_type: str


@dataclass(frozen=True)
class BuildingCard:
    """What a click on a building shows."""

    id: int
    name: str | None
    address: str | None
    compound: str | None
    grid: str | None
    subdistrict: str | None
    households: dict[str, int]
    vulnerable: int
    chain: tuple[ChainLink, ...]
    missing_levels: tuple[str, ...] = field(default=())
    isolated: tuple[IsolatedHousehold, ...] = field(default=())
    """Households of the building in home isolation on the card's date, each with its step guide."""
    devices: tuple[tuple[int, str | None, HouseholdDevices], ...] = field(default=())
    """Households with home-isolation devices: (household id, unit label, its devices and alerts)."""


def building_card(
    conn: Connection,
    building_id: int,
    *,
    date: dt.date,
    scope: Scope = UNRESTRICTED,
    heartbeat_h: float | None = None,
) -> BuildingCard:
    """The card of building ``building_id`` (its internal id, as in the tiles) on ``date``.

    Raises
    ------
    NotFound
        when no building has that id, or it lies outside ``scope`` (the same answer: a scoped
        user learns nothing of buildings beyond their area).
    """
    row = conn.execute(
        text(f"""
        SELECT b.id, b.name, b.address, c.name AS compound, g.name AS grid, u.name AS subdistrict,
               (SELECT count(*) FROM households h WHERE h.building_id = b.id
                AND (h.elderly_alone OR h.disabled)) AS vulnerable
        FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN grids g ON g.id = b.grid_id
        LEFT JOIN admin_units u ON u.id = b.subdistrict_id WHERE b.id = :id AND {scope.buildings("b")}"""),
        {"id": int(building_id)} | scope.params,
    ).one_or_none()
    if row is None:
        raise NotFound(f"no building has id {building_id}")
    counts = dict.fromkeys(STATUS_CODES, 0)
    statuses = f"SELECT status, count(*) FROM ({household_statuses('b.id = :id')}) x GROUP BY 1"
    params = {"id": int(building_id)} | status_params(date)
    for status, n in conn.execute(text(statuses), params):
        counts[status] = int(n)
    chain = tuple(
        ChainLink(level, role, scope_type)
        for level, role, scope_type in conn.execute(
            text(f"""
            SELECT level, role, scope_type FROM (
                SELECT DISTINCT level, role, scope_type FROM ({chain_reach("b.id = :id")}) r) x
            ORDER BY array_position(CAST(:levels AS text[]), level::text), role, scope_type"""),
            {"id": int(building_id), "levels": list(CHAIN_LEVEL_CODES)},
        )
    )
    heartbeat = default_rules().offline.heartbeat_h if heartbeat_h is None else heartbeat_h
    fitted = conn.execute(
        text("""SELECT DISTINCT h.id, h.unit_label FROM households h JOIN devices d ON d.household_id = h.id
                WHERE h.building_id = :id ORDER BY h.id"""),
        {"id": int(building_id)},
    ).all()
    devices = tuple(
        (int(h), label, household_devices(conn, int(h), heartbeat_h=heartbeat)) for h, label in fitted
    )
    present = {link.level for link in chain}
    missing = tuple(level for level in REQUIRED_CHAIN_LEVELS if level not in present)
    return BuildingCard(
        id=row.id,
        name=row.name,
        address=row.address,
        compound=row.compound,
        grid=row.grid,
        subdistrict=row.subdistrict,
        households=counts,
        vulnerable=int(row.vulnerable),
        chain=chain,
        missing_levels=missing,
        isolated=tuple(isolated_households(conn, date=date, scope=scope, building_id=int(building_id))),
        devices=devices,
    )
