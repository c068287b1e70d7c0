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
from typing import Any

from sqlalchemy import Engine

from geo.audit import Actor, record
from geo.db import read_connection
from geo.scope import UNRESTRICTED, Scope
from layers.atlas import SheetLayout, export_atlas
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
