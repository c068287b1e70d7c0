"""Print a brief and audit it, in one place: ``battlemap brief`` and ``GET /print/brief.pdf`` both call
``print_brief``, so the pages and the audit rows they leave are the same (as the atlas's are).

Who may print is checked by the caller; this prints what it is asked within ``scope``, then appends the
``export`` row (and, for an internal print with contacts unmasked, a ``view_personal`` row) in one
transaction of its own. A refused request (bad date, unknown unit) prints and audits nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from geo.audit import Actor, record
from geo.db import read_connection
from geo.scope import UNRESTRICTED, Scope
from geo.settings import FlowSettings
from layers.brief.data import Brief, gather_brief
from layers.brief.render import write_pdf
from layers.brief.sections import SECTIONS


@dataclass(frozen=True)
class BriefRequest:
    """What to print: the day, the district or sub-district (None: the reader's whole area)."""

    date: dt.date
    unit: str | None = None
    internal: bool = False

    @property
    def target(self) -> str:
        """The audit target: ``brief:<unit>`` or ``brief:all``."""
        return f"brief:{self.unit or 'all'}"


def print_brief(
    engine: Engine,
    request: BriefRequest,
    output: Path,
    *,
    actor: Actor,
    scope: Scope = UNRESTRICTED,
    flows: FlowSettings | None = None,
    now: dt.datetime | None = None,
) -> tuple[Brief, int]:
    """Print ``request`` to the PDF ``output`` and audit it for ``actor``; the brief and its page count.

    Raises
    ------
    InvalidParameter, NotFound
        for a bad date or unit: nothing is written or audited.
    """
    with read_connection(engine) as conn:
        brief = gather_brief(
            conn,
            date=request.date,
            unit=request.unit,
            scope=scope,
            internal=request.internal,
            role=actor.role or "cli",
            actor=actor,
            flows=flows,
            now=now,
        )
    pages = write_pdf(brief, Path(output), SECTIONS)
    with engine.begin() as conn:
        record(conn, actor, "export", target=request.target, detail=audit_detail(request, output, pages))
        if request.internal:
            record(conn, actor, "view_personal", target=request.target)
    return brief, pages


def audit_detail(request: BriefRequest, output: Path, pages: int) -> dict[str, Any]:
    """The ``detail`` of a brief's ``export`` row, the same keys whoever printed."""
    return {
        "file": Path(output).name,
        "format": "pdf",
        "kind": "brief",
        "date": request.date.isoformat(),
        "unit": request.unit,
        "pages": pages,
        "internal": request.internal,
    }
