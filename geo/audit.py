"""The audit log: who did what, when and from where, in an append-only table.

Audited: sign-ins and failed sign-ins, status changes, risk-area declarations, exports and
every view of personal data. A row names the action and its target (a building id, a unit
code, a file) but never the personal data itself, so the log can be read without widening
who has seen it. The table rejects UPDATE and DELETE (trigger of migration 0004).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from geo.errors import InvalidParameter

ACTIONS: tuple[str, ...] = (
    "login",
    "login_failed",
    "logout",
    "status_change",
    "risk_declare",
    "export",
    "view_personal",
    "user_change",
    "loop_open",
    "loop_step",
    "loop_escalate",
    "loop_assign",
    "campaign_change",
    "overlay_publish",
    "overlay_approve",
    "overlay_delete",
)
"""What is audited; ``record`` refuses anything else, so a typo cannot hide an action."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (with their role) or the operator of the machine (``cli:<login>``)."""

    name: str | None
    role: str | None = None
    ip: str | None = None


def cli_actor() -> Actor:
    """The person at the command line: trusted with the database, named by their OS login."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        login = "unknown"
    return Actor(name=f"cli:{login}", role="cli")


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: dt.datetime
    user_name: str | None
    role: str | None
    action: str
    target: str | None
    ip: str | None
    detail: dict[str, Any] | None


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one row (in ``conn``'s transaction: it commits with the action it audits), stamped with
    the wall-clock time (``clock_timestamp``, not the transaction's start).

    Raises
    ------
    InvalidParameter
        for an action not in ``ACTIONS``.
    """
    if action not in ACTIONS:
        raise InvalidParameter(f"audit action {action!r} is unknown: expected one of {', '.join(ACTIONS)}")
    conn.execute(
        text("""
        INSERT INTO audit_log (at, user_name, role, action, target, ip, detail)
        VALUES (clock_timestamp(), :user, :role, :action, :target, :ip, CAST(:detail AS jsonb))"""),
        {
            "user": actor.name,
            "role": actor.role,
            "action": action,
            "target": None if target is None else str(target)[:300],
            "ip": actor.ip,
            "detail": None if detail is None else _json(detail),
        },
    )


def record_now(
    engine: Engine,
    actor: Actor,
    action: str,
    *,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """``record`` in a transaction of its own, for reads (a view is audited even if nothing is written)."""
    with engine.begin() as conn:
        record(conn, actor, action, target=target, detail=detail)


def read_audit(
    conn: Connection,
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    limit: int = 10_000,
) -> list[AuditRow]:
    """Audit rows from ``since`` (and before ``until``), oldest first, optionally of one user or action."""
    if action is not None and action not in ACTIONS:
        raise InvalidParameter(f"audit action {action!r} is unknown: expected one of {', '.join(ACTIONS)}")
    rows = conn.execute(
        text("""
        SELECT id, at, user_name, role, action, target, ip, detail FROM audit_log
        WHERE at >= :since AND (CAST(:until AS timestamptz) IS NULL OR at < :until)
          AND (CAST(:user AS text) IS NULL OR user_name = :user)
          AND (CAST(:action AS text) IS NULL OR action = :action)
        ORDER BY at, id LIMIT :limit"""),
        {"since": since, "until": until, "user": user, "action": action, "limit": limit},
    )
    return [AuditRow(*row) for row in rows]


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
