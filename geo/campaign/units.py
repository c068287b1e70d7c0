"""Which admin unit a campaign file means: a sub-district or committee named by code or by name, and
the nearest names (rapidfuzz) when it names none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, text

from geo.errors import NotFound

CAMPAIGN_LEVELS: tuple[str, ...] = ("subdistrict", "committee")
"""The levels a campaign target or report may name (``geo.vocab.ADMIN_LEVELS``)."""


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class Resolved:
    """What one reference names: a unit, or why not (unknown or ambiguous) with the nearest names."""

    unit: Unit | None
    reason: str | None = None
    suggestions: tuple[str, ...] = ()

    def message(self, ref: str) -> str:
        """The reject reason a person reads, e.g.
        ``unknown unit '陆家嘴': nearest 陆家嘴街道 (310115-033)``."""
        hint = f"; nearest: {', '.join(self.suggestions)}" if self.suggestions else ""
        return f"{self.reason or 'unknown unit'} {ref!r}{hint}"


def campaign_units(conn: Connection) -> list[Unit]:
    """Every sub-district and committee, by code."""
    rows = conn.execute(
        text(
            "SELECT id, code, name, level, parent_id FROM admin_units "
            "WHERE level = ANY(CAST(:levels AS text[])) ORDER BY code"
        ),
        {"levels": list(CAMPAIGN_LEVELS)},
    ).all()
    return [Unit(int(r.id), r.code, r.name, r.level, r.parent_id) for r in rows]


def resolve_units(conn: Connection, refs: Iterable[str], *, limit: int = 3) -> dict[str, Resolved]:
    """Each distinct reference (a unit code, else a unit name) resolved against the stored units.

    A name two units share (committees of different sub-districts may) is ambiguous: the file must
    give the code. An unknown reference comes with up to ``limit`` nearest names (with their codes).
    """
    units = campaign_units(conn)
    by_code = {u.code: u for u in units}
    by_name: dict[str, list[Unit]] = {}
    for u in units:
        by_name.setdefault(u.name, []).append(u)
    labels = {f"{u.name} ({u.code})": u for u in units}
    names = list(labels)
    out: dict[str, Resolved] = {}
    for ref in dict.fromkeys(refs):
        key = ref.strip()
        if key in by_code:
            out[ref] = Resolved(by_code[key])
        elif len(by_name.get(key, [])) == 1:
            out[ref] = Resolved(by_name[key][0])
        elif key in by_name:
            codes = tuple(f"{u.name} ({u.code})" for u in by_name[key])
            out[ref] = Resolved(None, "ambiguous unit name (give the code)", codes)
        else:
            found = process.extract(key, names, scorer=fuzz.WRatio, limit=limit) if names else []
            out[ref] = Resolved(None, "unknown unit", tuple(label for label, _score, _i in found))
    return out


def unit_by_ref(conn: Connection, ref: str) -> Unit:
    """The one unit ``ref`` (code or name) names.

    Raises
    ------
    NotFound
        naming the reference and the nearest names.
    """
    found = resolve_units(conn, [ref])[ref]
    if found.unit is None:
        raise NotFound(found.message(ref))
    return found.unit
