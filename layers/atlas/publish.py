"""Print an atlas and audit it, in one place: ``battlemap export atlas`` and ``GET /print/atlas.pdf``
both call ``print_atlas``, so the sheets and the audit rows they leave are the same.

Who may print what (the web route's roles and areas) is checked by the caller; this module prints
exactly what it is asked, within ``scope``, then appends the ``export`` row (and, for an internal
print with names and phones unmasked, a ``view_personal`` row) in one transaction of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine

from geo.audit import Actor, record
from geo.clock import china_now
from geo.contacts import building_contacts
from geo.db import read_connection
from geo.errors import InvalidParameter, NotFound
from geo.loops.guide import isolated_households
from geo.scope import UNRESTRICTED, Scope
from layers.atlas import SheetLayout, export_atlas
from layers.atlas.isolation import GuidePage, write_isolation_guide
from layers.atlas.render import AtlasOptions


@dataclass(frozen=True)
class AtlasRequest:
    """What to print: exactly one of ``unit``, ``grids`` or ``all_grids``, and how."""

    unit: str | None = None
    grids: tuple[str, ...] | None = None
    all_grids: bool = False
    date: dt.date | None = None
    internal: bool = False
    fmt: str = "pdf"
    options: AtlasOptions = field(default_factory=AtlasOptions)

    @property
    def target(self) -> str:
        """The audit target: ``atlas:<unit>``, ``atlas:<grid,grid>`` or ``atlas:all``."""
        return f"atlas:{self.unit or ','.join(self.grids or ()) or 'all'}"


def print_atlas(
    engine: Engine, request: AtlasRequest, output: Path, *, actor: Actor, scope: Scope = UNRESTRICTED
) -> list[SheetLayout]:
    """Print ``request`` to ``output`` (a PDF file, or a folder for PNGs) and audit it for ``actor``.

    Returns
    -------
    list of SheetLayout
        the cover's then each grid sheet's geometry, in page order.

    Raises
    ------
    InvalidParameter, NotFound
        for a bad choice of grids, layer, paper, orientation or format: nothing is printed or audited.
    """
    with read_connection(engine) as conn:
        layouts = export_atlas(
            conn,
            output,
            unit=request.unit,
            grids=list(request.grids) if request.grids is not None else None,
            all_grids=request.all_grids,
            date=request.date,
            internal=request.internal,
            fmt=request.fmt,
            options=request.options,
            scope=scope,
            author=actor.name,
        )
    with engine.begin() as conn:
        record(conn, actor, "export", target=request.target, detail=audit_detail(request, output, layouts))
        if request.internal:
            record(conn, actor, "view_personal", target=request.target)
    return layouts


def audit_detail(request: AtlasRequest, output: Path, layouts: list[SheetLayout]) -> dict[str, Any]:
    """The ``detail`` of a print's ``export`` row, the same keys whoever printed."""
    return {
        "file": Path(output).name,
        "format": request.fmt,
        "layer": request.options.layer,
        "paper": request.options.paper,
        "date": request.date.isoformat() if request.date else None,
        "pages": len(layouts),
        "internal": request.internal,
    }


@dataclass(frozen=True)
class GuideRequest:
    """What isolation guide to print: one household, or every isolated household of a grid."""

    household_id: int | None = None
    grid: str | None = None
    date: dt.date | None = None
    internal: bool = False

    @property
    def target(self) -> str:
        """The audit target: ``isolation-guide:household:<id>`` or ``isolation-guide:grid:<code>``."""
        what = f"household:{self.household_id}" if self.household_id is not None else f"grid:{self.grid}"
        return f"isolation-guide:{what}"


def print_isolation_guide(
    engine: Engine, request: GuideRequest, output: Path, *, actor: Actor, scope: Scope = UNRESTRICTED
) -> int:
    """Print the 居家隔离索引图 of ``request`` (one A4 page per isolated household, contacts masked
    unless ``internal``) to the PDF ``output`` and audit it like an atlas; the page count.

    Raises
    ------
    InvalidParameter
        neither or both of a household and a grid.
    NotFound
        nobody isolated there on the day (or the household / grid lies outside ``scope``).
    """
    if (request.household_id is None) == (request.grid is None):
        raise InvalidParameter("choose exactly one of household=ID or grid=CODE")
    now = china_now()
    day = request.date or now.date()
    personal: Literal["full", "masked"] = "full" if request.internal else "masked"
    with read_connection(engine) as conn:
        households = isolated_households(
            conn, date=day, scope=scope, household_id=request.household_id, grid=request.grid, at=now
        )
        if not households:
            where = (
                f"household {request.household_id}"
                if request.household_id is not None
                else f"grid {request.grid!r}"
            )
            raise NotFound(f"{where}: no household in home isolation on {day.isoformat()} in your area")
        contacts: dict[int, list] = {}
        for household in households:
            if household.building_id not in contacts:
                contacts[household.building_id] = building_contacts(
                    conn, household.building_id, personal=personal, scope=scope
                )
    pages = [GuidePage(h, contacts[h.building_id]) for h in households]
    count = write_isolation_guide(
        pages, output, internal=request.internal, printed=now.astimezone(dt.UTC), today=day
    )
    detail = {
        "file": Path(output).name,
        "format": "pdf",
        "layer": "isolation-guide",
        "paper": "A4",
        "date": day.isoformat(),
        "pages": count,
        "internal": request.internal,
    }
    with engine.begin() as conn:
        record(conn, actor, "export", target=request.target, detail=detail)
        if request.internal:
            record(conn, actor, "view_personal", target=request.target)
    return count
