"""Who to call about a building: the names and phones of its responsibility chain, by role.

Besides the internal atlas, the only read of ``person_contacts`` on the read side. The caller
says how much the asker may see (``full``, ``masked``); this module never decides who asks and
never logs what it reads. Views of unmasked contacts are audited by the caller (``geo.audit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.personal import mask_name, mask_phone
from geo.responsibility.rule import chain_reach
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CHAIN_LEVEL_CODES


@dataclass(frozen=True)
class Contact:
    """One person answering for the building at one level of its chain."""

    level: str
    role: str | None
    scope_type: str
    code: str
    name: str | None
    phone: str | None


def building_contacts(
    conn: Connection,
    building_id: int,
    *,
    personal: Literal["full", "masked"],
    scope: Scope = UNRESTRICTED,
) -> list[Contact]:
    """The chain of building ``building_id`` (its own, compound's, grid's and units' people), with
    names and phones unmasked only for ``personal="full"``.

    Raises
    ------
    NotFound
        when no building of ``scope`` has that id (outside the area looks the same as missing).
    InvalidParameter
        for any other ``personal`` (a role that sees no personal data must not get here).
    """
    if personal not in ("full", "masked"):
        raise InvalidParameter(f"personal was {personal!r} but is expected to be full or masked")
    params = {"id": int(building_id), "levels": list(CHAIN_LEVEL_CODES)} | scope.params
    exists = conn.execute(
        text(f"SELECT 1 FROM buildings b WHERE b.id = :id AND {scope.buildings('b')}"), params
    ).scalar()
    if not exists:
        raise NotFound(f"no building has id {building_id}")
    rows = conn.execute(
        text(f"""
        SELECT r.level, r.role, r.scope_type, p.code, c.name, c.phone
        FROM ({chain_reach("b.id = :id")}) r
        JOIN people p ON p.id = r.person_id
        LEFT JOIN person_contacts c ON c.person_id = r.person_id
        ORDER BY array_position(CAST(:levels AS text[]), r.level::text), p.code"""),
        params,
    )
    contacts = [Contact(*row) for row in rows]
    if personal == "masked":
        contacts = [
            Contact(c.level, c.role, c.scope_type, c.code, mask_name(c.name), mask_phone(c.phone))
            for c in contacts
        ]
    return contacts
