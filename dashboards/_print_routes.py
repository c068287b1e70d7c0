"""HTTP route of the printed atlas: ``GET /print/atlas.pdf?unit=..|grids=..|all=1&layer=..&date=..&paper=..``.

The same sheets as ``battlemap export atlas``: a cover and one page per grid, as a PDF
download. Names and phones are always masked here; internal (unmasked) printing is only
offered by the command line, to people with access to the database itself.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

import flask
from sqlalchemy import Engine

from geo.db import read_connection
from geo.errors import InvalidParameter
from geo.settings import Settings
from layers.atlas import AtlasOptions, export_atlas

ATLAS_PATH = "/print/atlas.pdf"


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add ``GET /print/atlas.pdf`` to ``server`` (errors go through the app's BattlemapError handler)."""

    def atlas() -> flask.Response:
        args = flask.request.args
        unit, grids, all_grids = _selection(args)
        options = AtlasOptions(
            layer=args.get("layer", "house-status"),
            paper=args.get("paper", "A4").upper(),
            orientation=args.get("orientation", "auto"),
        )
        date = _date(args.get("date"))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "atlas.pdf"
            with read_connection(engine) as conn:
                layouts = export_atlas(
                    conn, path, unit=unit, grids=grids, all_grids=all_grids, date=date, options=options
                )
            body = path.read_bytes()
        name = _filename(unit or (grids[0] if grids else "all"), options.layer, date)
        response = flask.Response(body, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["X-Atlas-Pages"] = str(len(layouts))
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule(ATLAS_PATH, "print_atlas", atlas, methods=["GET"])


def _selection(args: Mapping[str, str]) -> tuple[str | None, list[str] | None, bool]:
    unit = args.get("unit") or None
    grids = [g for g in (args.get("grids") or "").split(",") if g.strip()] or None
    all_grids = args.get("all", "").lower() in ("1", "true", "yes")
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
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", what).strip("_") or "atlas"
    return f"atlas-{stem}-{layer}{'-' + date.isoformat() if date else ''}.pdf"
