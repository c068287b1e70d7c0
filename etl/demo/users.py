"""Demo accounts, one per role, so that the demo shows what each role sees.

Idempotent: a second run keeps the users and gives them new random passwords (printed once by
``battlemap demo users``); nothing here is a fixed or shared secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo import auth
from geo.audit import cli_actor, record
from geo.settings import AuthSettings

DEMO_OPERATOR_UNIT = "陆家嘴街道"


@dataclass(frozen=True)
class DemoUser:
    name: str
    role: str
    units: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo-commander", "commander"),
    DemoUser("demo-operator", "operator", (DEMO_OPERATOR_UNIT,)),
    DemoUser("demo-analyst", "analyst"),
    DemoUser("demo-wall", "wall"),
)


def ensure_demo_users(conn: Connection, *, settings: AuthSettings) -> list[tuple[DemoUser, str]]:
    """Create the demo users (or reset their passwords); returns each with its new password."""
    created = []
    for user in DEMO_USERS:
        password = auth.new_password()
        exists = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": user.name}).scalar()
        if exists:
            auth.set_password(conn, user.name, password, settings=settings)
            op = "password"
        else:
            auth.add_user(
                conn, user.name, role=user.role, password=password, units=list(user.units), settings=settings
            )
            op = "add"
        record(conn, cli_actor(), "user_change", target=user.name, detail={"op": op, "demo": True})
        created.append((user, password))
    return created
