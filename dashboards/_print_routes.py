"""HTTP routes of printing: ``GET /print/atlas.pdf?unit=..|grids=..|all=1&layer=..&date=..&paper=..``, the
daily brief ``GET /print/brief.pdf?date=..[&unit=..][&internal=1]`` and the 居家隔离索引图
``GET /print/isolation-guide.pdf?household=ID|grid=CODE[&date=..][&internal=1]`` (one A4 page per
isolated household).

The same sheets as ``battlemap export atlas``: a cover and one page per grid, as a PDF
download, of the signed-in user's area only (an operator's ``all=1`` is all of *their* grids).
Names and phones are masked unless ``internal=1`` is asked by a role allowed to see them
(commander, operator); every print is audited (``export``), an internal one also as
``view_personal``. The wall display may not print. The brief is the same sign-in, scope, masking and
audit: an operator's brief is of their area only.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import flask
from sqlalchemy import Engine

from dashboards._auth import client_ip, current_principal
from geo.errors import Forbidden, InvalidParameter
from geo.settings import Settings
from layers.atlas import AtlasOptions
from layers.atlas.publish import AtlasRequest, GuideRequest, print_atlas, print_isolation_guide
from layers.brief import BriefRequest, print_brief

ATLAS_PATH = "/print/atlas.pdf"
BRIEF_PATH = "/print/brief.pdf"
GUIDE_PATH = "/print/isolation-guide.pdf"


def pdf_attachment(body: bytes, name: str, headers: dict[str, int]) -> flask.Response:
    """A printed PDF as a download named ``name``, never cached (it may hold a scope's data), with
    ``headers`` (its page count, e.g. ``X-Atlas-Pages``) for scripts that check it."""
    response = flask.Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    for header, value in headers.items():
        response.headers[header] = str(value)
    return response


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add ``GET /print/atlas.pdf`` to ``server`` (errors go through the app's BattlemapError handler)."""

    def atlas() -> flask.Response:
        args = flask.request.args
        found = current_principal()
        found.require_exports()
        internal = _flag(args.get("internal"))
        if internal and found.policy.personal != "full":
            raise Forbidden(f"role {found.role!r} may not print names and phones (internal printing)")
        unit, grids, all_grids = _selection(args)
        request = AtlasRequest(
            unit=unit,
            grids=tuple(grids) if grids is not None else None,
            all_grids=all_grids,
            date=_date(args.get("date")),
            internal=internal,
            options=AtlasOptions(
                layer=args.get("layer", "house-status"),
                paper=args.get("paper", "A4").upper(),
                orientation=args.get("orientation", "auto"),
            ),
        )
        name = _filename(unit or (grids[0] if grids else "all"), request.options.layer, request.date)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name  # the audit row names the file the user receives
            layouts = print_atlas(engine, request, path, actor=found.actor(client_ip()), scope=found.scope)
            body = path.read_bytes()
        return pdf_attachment(body, name, {"X-Atlas-Pages": len(layouts)})

    def brief() -> flask.Response:
        args = flask.request.args
        found = current_principal()
        found.require_exports()
        internal = _flag(args.get("internal"))
        if internal and found.policy.personal != "full":
            raise Forbidden(f"role {found.role!r} may not print names and phones (internal printing)")
        date = _date(args.get("date"))
        if date is None:
            raise InvalidParameter("date is required: give date=YYYY-MM-DD, e.g. 2022-04-10")
        request = BriefRequest(date=date, unit=args.get("unit") or None, internal=internal)
        name = f"brief-{_stem(request.unit or 'all', 'unit')}-{date.isoformat()}.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            _, pages = print_brief(
                engine, request, path, actor=found.actor(client_ip()), scope=found.scope, flows=settings.flows
            )
            body = path.read_bytes()
        return pdf_attachment(body, name, {"X-Brief-Pages": pages})

    server.add_url_rule(ATLAS_PATH, "print_atlas", atlas, methods=["GET"])

    def isolation_guide() -> flask.Response:
        args = flask.request.args
        unknown = set(args) - {"household", "grid", "date", "internal"}
        if unknown:
            raise InvalidParameter(
                f"{GUIDE_PATH} takes no parameter {sorted(unknown)}; "
                "it accepts household, grid, date, internal"
            )
        found = current_principal()
        found.require_exports()
        internal = _flag(args.get("internal"))
        if internal and found.policy.personal != "full":
            raise Forbidden(f"role {found.role!r} may not print names and phones (internal printing)")
        request = GuideRequest(
            household_id=_household(args.get("household")),
            grid=(args.get("grid") or "").strip() or None,
            date=_date(args.get("date")),
            internal=internal,
        )
        what = f"household-{request.household_id}" if request.household_id is not None else request.grid
        day = f"-{request.date.isoformat()}" if request.date else ""
        name = f"{_stem(what or 'guide', 'guide')}-isolation-guide{day}.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            pages = print_isolation_guide(
                engine, request, path, actor=found.actor(client_ip()), scope=found.scope
            )
            body = path.read_bytes()
        return pdf_attachment(body, name, {"X-Guide-Pages": pages})

    server.add_url_rule(BRIEF_PATH, "print_brief", brief, methods=["GET"])
    server.add_url_rule(GUIDE_PATH, "print_isolation_guide", isolation_guide, methods=["GET"])


def _household(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) < 2**63:
        raise InvalidParameter(f"household was {value!r} but is expected to be a household id (a number)")
    return int(value)


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _selection(args: Mapping[str, str]) -> tuple[str | None, list[str] | None, bool]:
    unit = args.get("unit") or None
    grids = [g for g in (args.get("grids") or "").split(",") if g.strip()] or None
    all_grids = _flag(args.get("all"))
    if sum((unit is not None, grids is not None, all_grids)) != 1:
        raise InvalidParameter(
            "choose the grids with exactly one of unit=NAME|CODE, grids=CODE,CODE or all=1"
        )
    return unit, grids, all_grids


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"date was {value!r} but is expected as YYYY-MM-DD, e.g. 2022-04-10") from None


def _filename(what: str, layer: str, date: dt.date | None) -> str:
    """An ASCII file name (header-safe) for the download."""
    return f"atlas-{_stem(what, 'atlas')}-{layer}{'-' + date.isoformat() if date else ''}.pdf"


def _stem(what: str, default: str) -> str:
    """An ASCII, header-safe piece of a file name (``default`` for a name with no ASCII in it)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", what).strip("_") or default
