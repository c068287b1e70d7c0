"""Personal data (names, phones, ID numbers): which columns hold it, and how it is masked.

Personal data lives in ``person_contacts`` only and never leaves the database in tiles, GeoJSON,
logs or error messages; the few reads that show it (contacts, internal atlases) mask it with the
functions here unless the asker may see it whole.
"""

from __future__ import annotations

PERSONAL_FIELDS: frozenset[str] = frozenset({"contact_name", "phone", "mobile", "id_number", "person_id"})
"""Columns that hold personal data anywhere in the schema; no feature whitelist may name one."""


def mask_name(name: str | None) -> str | None:
    """The first character and one ``*`` per other character: ``张三丰`` -> ``张**``."""
    if not name:
        return name
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """The first three and last four characters: ``13912340427`` -> ``139****0427``; short ones all ``*``."""
    if not phone:
        return phone
    compact = "".join(c for c in phone if not c.isspace() and c != "-")
    if len(compact) < 8:
        return "*" * len(compact)
    return f"{compact[:3]}{'*' * (len(compact) - 7)}{compact[-4:]}"
