"""The closed-loop routes of the REST API (``/api/v1``), thin over ``geo.loops.engine``:

- ``GET /api/v1/loops?kind=&state=open|overdue|closed&grid=``: items of the signed-in user's area.
- ``POST /api/v1/loops``: open an item (``Idempotency-Key`` makes a retry answer the same item).
- ``GET /api/v1/loops/{id}``: one item with its log; ``ETag`` is its version.
- ``POST /api/v1/loops/{id}/steps/{step}``: complete a step (``If-Match``: 409 when stale).
- ``POST /api/v1/loops/{id}/assign``: hand an item to another person (commanders, operators).
- ``GET /api/v1/loops/counts``: open / overdue / closed today per kind and grid (the wall too).
- ``GET /api/v1/loop-kinds``: the kinds, their steps, evidence and guides.

A target or item outside the user's area answers 404 like a missing one. Writes are one transaction
each: a refused request writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import flask
from spectree import SpecTree
from sqlalchemy import Engine

from dashboards._api import API_PREFIX, api_errors, responses, validated
from dashboards._api_models import (
    AssignBody,
    CountsOut,
    ItemDetailOut,
    ItemListOut,
    KindsOut,
    ListQuery,
    OpenItemBody,
    StepBody,
    WriteHeaders,
)
from dashboards._auth import client_ip, current_principal
from geo.clock import china_now
from geo.db import read_connection
from geo.errors import Forbidden
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission, decode_photo
from geo.loops.kinds import default_kinds
from geo.loops.targets import Target
from geo.settings import Settings

TAGS = ["loops"]


def _actor() -> LoopActor:
    found = current_principal()
    return LoopActor(
        role=found.role, audit=found.actor(client_ip()), user_id=found.user_id, scope=found.scope
    )


def _hash(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _version(headers: WriteHeaders) -> int | None:
    if headers.if_match is None:
        return None
    return int(headers.if_match.removeprefix("W/").strip('"'))


def _item_response(body: dict[str, Any], status: int = 200, *, replayed: bool = False) -> flask.Response:
    response = flask.jsonify(body)
    response.status_code = status
    response.headers["ETag"] = f'"{body["version"]}"'
    response.headers["Cache-Control"] = "no-store"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _target(body: OpenItemBody) -> Target:
    for name in ("building_id", "household_id", "compound_id", "place_id"):
        value = getattr(body, name)
        if value is not None:
            return Target(name.removesuffix("_id"), id=value)
    return Target("point", lon=body.lon, lat=body.lat)


def register(server: flask.Flask, api: SpecTree, engine: Engine, settings: Settings) -> None:
    """Add the loop routes to ``server``, validated and documented by ``api``."""

    @api.validate(query=ListQuery, resp=responses(HTTP_200=ItemListOut), tags=TAGS)
    @api_errors
    def list_loops() -> Any:
        """Items of your area, overdue first, then by the next deadline."""
        query: ListQuery = validated(ListQuery, "query")
        at = china_now()
        limit = min(query.limit, settings.loops.list_limit)
        with read_connection(engine) as conn:
            items = loops.list_items(
                conn, _actor(), kind=query.kind, state=query.state, grid=query.grid, at=at, limit=limit
            )
        return {"at": at.isoformat(), "count": len(items), "items": [i.to_dict() for i in items]}

    @api.validate(json=OpenItemBody, headers=WriteHeaders, resp=responses(HTTP_201=ItemDetailOut), tags=TAGS)
    @api_errors
    def open_loop() -> Any:
        """Open an item on one target; a replayed ``Idempotency-Key`` with the same body answers the
        same item (a different body: 422)."""
        body: OpenItemBody = validated(OpenItemBody, "json")
        headers: WriteHeaders = validated(WriteHeaders, "headers")
        digest = _hash("open", body.model_dump(mode="json", exclude_none=True))
        with engine.begin() as conn:
            item, created = loops.open_item(
                conn,
                _actor(),
                kind=body.kind,
                target=_target(body),
                note=body.note,
                client_id=headers.idempotency_key,
                body_hash=digest if headers.idempotency_key else None,
            )
        return _item_response(item.to_dict(), 201, replayed=not created)

    @api.validate(resp=responses(HTTP_200=ItemDetailOut), tags=TAGS)
    @api_errors
    def get_loop(item_id: int) -> Any:
        """One item with its transition log."""
        with read_connection(engine) as conn:
            return _item_response(loops.get_item(conn, _actor(), item_id).to_dict())

    @api.validate(json=StepBody, headers=WriteHeaders, resp=responses(HTTP_200=ItemDetailOut), tags=TAGS)
    @api_errors
    def complete_step(item_id: int, step: str) -> Any:
        """Complete ``step`` with its evidence; out of order, or a stale ``If-Match``: 409."""
        body: StepBody = validated(StepBody, "json")
        headers: WriteHeaders = validated(WriteHeaders, "headers")
        photo = None
        if body.photo is not None:
            photo = decode_photo(
                body.photo.content_type, body.photo.data_base64, max_bytes=settings.loops.photo_max_bytes
            )
        sent = Submission(
            note=body.note,
            reading=body.reading,
            checks=dict(body.checks),
            photo=photo,
            observed_at=body.observed_at,
        )
        digest = _hash("step", step, body.model_dump(mode="json", exclude_none=True))
        with engine.begin() as conn:
            item, done = loops.complete_step(
                conn,
                _actor(),
                item_id,
                step,
                sent,
                expected_version=_version(headers),
                client_id=headers.idempotency_key,
                body_hash=digest if headers.idempotency_key else None,
            )
        return _item_response(item.to_dict(), replayed=not done)

    @api.validate(json=AssignBody, headers=WriteHeaders, resp=responses(HTTP_200=ItemDetailOut), tags=TAGS)
    @api_errors
    def assign_loop(item_id: int) -> Any:
        """Hand an item to the person ``person_code`` at ``level`` (commanders and operators)."""
        body: AssignBody = validated(AssignBody, "json")
        headers: WriteHeaders = validated(WriteHeaders, "headers")
        with engine.begin() as conn:
            item = loops.reassign(
                conn,
                _actor(),
                item_id,
                person_code=body.person_code,
                level=body.level,
                expected_version=_version(headers),
            )
        return _item_response(item.to_dict())

    @api.validate(resp=responses(HTTP_200=CountsOut), tags=TAGS)
    @api_errors
    def loop_counts() -> Any:
        """Open, overdue and closed-today items per kind and grid, in your area (the wall too)."""
        at = china_now()
        with read_connection(engine) as conn:
            found = loops.counts(conn, current_principal().scope, at=at)
        return {
            "at": at.isoformat(),
            "counts": [
                {
                    "kind": c.kind,
                    "grid": c.grid,
                    "open": c.open,
                    "overdue": c.overdue,
                    "closed_today": c.closed_today,
                }
                for c in found
            ],
        }

    @api.validate(resp=responses(HTTP_200=KindsOut), tags=TAGS)
    @api_errors
    def loop_kinds() -> Any:
        """Every loop kind: targets, steps in order, level, department, SLA, evidence and guide."""
        if current_principal().role == "wall":
            raise Forbidden("role 'wall' sees counts only")
        kinds = [
            k.model_dump(mode="json", include={"code", "zh", "en", "ja", "ko", "targets", "steps"})
            for k in default_kinds().values()
        ]
        for kind in kinds:
            for step in kind["steps"]:
                step.pop("roles", None)
        return {"kinds": kinds}

    prefix = API_PREFIX
    server.add_url_rule(f"{prefix}/loops", "api_loops_list", list_loops, methods=["GET"])
    server.add_url_rule(f"{prefix}/loops", "api_loops_open", open_loop, methods=["POST"])
    server.add_url_rule(f"{prefix}/loops/counts", "api_loops_counts", loop_counts, methods=["GET"])
    server.add_url_rule(f"{prefix}/loops/<int(min=1):item_id>", "api_loops_get", get_loop, methods=["GET"])
    server.add_url_rule(
        f"{prefix}/loops/<int(min=1):item_id>/steps/<step>", "api_loops_step", complete_step, methods=["POST"]
    )
    server.add_url_rule(
        f"{prefix}/loops/<int(min=1):item_id>/assign", "api_loops_assign", assign_loop, methods=["POST"]
    )
    server.add_url_rule(f"{prefix}/loop-kinds", "api_loop_kinds", loop_kinds, methods=["GET"])
