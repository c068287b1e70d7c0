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


_PERSONAL_WORDS: frozenset[str] = frozenset(
    {"name", "names", "contact", "phone", "mobile", "tel", "telephone", "cell", "person", "people",
     "idcard", "passport", "surname", "firstname", "lastname", "fullname", "owner", "resident", "email"}
)  # fmt: skip
_PERSONAL_PHRASES: tuple[str, ...] = (
    "id_number", "id_no", "id_card", "idnumber", "姓名", "名字", "电话", "手机", "联系", "身份证", "证件",
    "户主", "居民", "人员",
)  # fmt: skip


def looks_personal(column: str) -> bool:
    """Whether a column's name suggests it holds personal data: one of ``PERSONAL_FIELDS``, a word
    such as ``name``, ``phone`` or ``owner`` (split on ``_``, ``-``, spaces and camel case), or a
    Chinese term (姓名, 电话, 身份证…). Used where data arrives from outside the schema (a notebook's
    overlay), so a ``name`` column is refused even when it holds place names: rename it (``label``)."""
    lowered = column.strip().lower()
    if lowered in PERSONAL_FIELDS or any(phrase in lowered for phrase in _PERSONAL_PHRASES):
        return True
    spaced = "".join(f" {c}" if c.isupper() else c for c in column.strip())
    words = {w for w in "".join(c if c.isalnum() else " " for c in spaced.lower()).split() if w}
    return bool(words & _PERSONAL_WORDS)
