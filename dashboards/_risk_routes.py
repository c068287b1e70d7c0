"""HTTP routes of the risk overlay: what the house-status map draws over its buildings.

``GET /api/risk/simulate?lon=..&lat=..[&date=YYYY-MM-DD][&crs=wgs84|gcj02|bd09]``: the "what if a case
were here" zones, computed and not stored: a WGS84 FeatureCollection, one feature per zone with its
``zone`` and counts as properties (rules per building in ``properties.rules``), plus ``summary``.

``GET /api/risk/areas?date=YYYY-MM-DD[&bbox=minx,miny,maxx,maxy]``: the zones of the risk areas
active that day (declared and published), each with its SOP clock (``properties.sop``).

``POST /api/risk/areas`` with ``lon``, ``lat`` (and optionally ``date``, ``crs``, ``level``, ``name``)
as form fields or JSON: the simulation confirmed; the zones are computed again and stored in one
transaction (201 with ``risk_area_id`` and the summary).

Signed-in users only (``dashboards._auth``): an area-limited user simulates and declares only at
points of their area and sees only risk areas meeting it; analyst and wall accounts may not
declare. Every declaration is audited (``risk_declare``).

Thin: parameters in, ``geo.risk.zones`` / ``geo.risk.declare`` / ``geo.risk.store`` out. Errors go
through the app's one handler (``dashboards._errors``): JSON with the status of ``geo.errors.STATUS_CODES``.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import flask
from sqlalchemy import Engine

from dashboards._auth import client_ip, current_principal
from geo.clock import china_today
from geo.crs import parse_crs, to_wgs84_xy
from geo.db import read_connection
from geo.errors import Forbidden, InvalidParameter
from geo.risk.declare import declare_and_store
from geo.risk.store import zones_geojson
from geo.risk.zones import declare_risk_area
from geo.scope import covers_point
from geo.settings import Settings

SIMULATE_PATH = "/api/risk/simulate"
AREAS_PATH = "/api/risk/areas"
_CRS = ("wgs84", "gcj02", "bd09")


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add the risk routes to ``server``."""

    def simulate() -> Any:
        args = flask.request.args
        lon, lat = _number(args, "lon"), _number(args, "lat")
        crs = args.get("crs", "wgs84").lower()
        if crs not in _CRS:
            raise InvalidParameter(f"`crs` was {crs!r} but is expected to be one of {', '.join(_CRS)}")
        day = _date(args.get("date"))
        found = current_principal()
        with read_connection(engine) as conn:
            if not covers_point(conn, found.scope, *_wgs84(lon, lat, crs)):
                raise Forbidden("that place lies outside your area")
            area = declare_risk_area(conn, [(lon, lat)], crs=crs, date=day, scope=found.scope)
        collection = area.to_geojson()
        collection["summary"] = area.summary()
        return _json(collection)

    def areas() -> Any:
        args = flask.request.args
        day = _date(args.get("date"))
        bbox = _bbox(args.get("bbox"))
        with read_connection(engine) as conn:
            return _json(zones_geojson(conn, on=day, bbox=bbox, scope=current_principal().scope))

    def declare() -> Any:
        args = flask.request.get_json(silent=True) or flask.request.form
        lon, lat = _number(args, "lon"), _number(args, "lat")
        crs = str(args.get("crs", "wgs84")).lower()
        if crs not in _CRS:
            raise InvalidParameter(f"`crs` was {crs!r} but is expected to be one of {', '.join(_CRS)}")
        day = _date(args.get("date"))
        found = current_principal()
        with engine.begin() as conn:
            found.require_write_at(conn, *_wgs84(lon, lat, crs))
            declared = declare_and_store(
                conn,
                [(lon, lat)],
                actor=found.actor(client_ip()),
                crs=crs,
                date=day,
                level=str(args.get("level", "medium")),
                name=args.get("name"),
                scope=found.scope,
            )
        response = _json(declared.summary())
        response.status_code = 201
        return response

    server.add_url_rule(SIMULATE_PATH, "risk_simulate", simulate, methods=["GET"])
    server.add_url_rule(AREAS_PATH, "risk_areas", areas, methods=["GET"])
    server.add_url_rule(AREAS_PATH, "risk_declare", declare, methods=["POST"])


def _wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    x, y = to_wgs84_xy([lon], [lat], parse_crs(crs))
    return float(x[0]), float(y[0])


def _json(body: dict[str, Any]) -> flask.Response:
    response = flask.jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def _number(args: Any, name: str) -> float:
    raw = args.get(name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(f"`{name}` was {raw!r} but is expected to be a number of degrees") from None
    if not math.isfinite(value):
        raise InvalidParameter(f"`{name}` was {raw!r} but is expected to be a finite number")
    return value


def _date(raw: str | None) -> dt.date:
    if not raw:
        return china_today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(f"`date` was {raw!r} but is expected to be YYYY-MM-DD") from None


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in raw.split(","))
    except ValueError:
        raise InvalidParameter(f"`bbox` was {raw!r} but is expected to be minx,miny,maxx,maxy") from None
    return minx, miny, maxx, maxy
