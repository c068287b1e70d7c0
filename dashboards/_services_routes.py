"""``GET /print/service-guide.pdf?compound=ID``: the printed 涉外服务指引图 of one compound (one A4
sheet, ``layers.atlas.services_guide``). Signed in, a role that may export, the compound in the user's
area; audited as an ``export``. It holds counts of flags and place attributes, never a person, so
there is no internal variant."""

from __future__ import annotations

import tempfile
from pathlib import Path

import flask
from sqlalchemy import Engine

from dashboards._auth import client_ip, current_principal
from dashboards._print_routes import pdf_attachment
from geo.errors import InvalidParameter
from geo.settings import Settings
from layers.atlas.services_guide import print_service_guide

GUIDE_PATH = "/print/service-guide.pdf"


def _compound(value: str | None) -> int:
    if not value or not value.isdigit() or not 1 <= int(value) < 2**31:
        raise InvalidParameter(f"compound was {value!r} but is expected to be a compound id (a number)")
    return int(value)


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add the guide's route to ``server`` (errors go through the app's BattlemapError handler)."""

    def service_guide() -> flask.Response:
        args = flask.request.args
        unknown = set(args) - {"compound"}
        if unknown:
            raise InvalidParameter(f"{GUIDE_PATH} takes no parameter {sorted(unknown)}; it accepts compound")
        found = current_principal()
        found.require_exports()
        compound = _compound(args.get("compound"))
        name = f"compound-{compound}-service-guide.pdf"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            pages = print_service_guide(
                engine,
                compound,
                path,
                actor=found.actor(client_ip()),
                settings=settings.services,
                scope=found.scope,
            )
            body = path.read_bytes()
        return pdf_attachment(body, name, {"X-Guide-Pages": pages})

    server.add_url_rule(GUIDE_PATH, "print_service_guide", service_guide, methods=["GET"])
