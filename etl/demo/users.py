"""Demo accounts, one per role, so that the demo shows what each role sees.

Idempotent: a second run keeps the users and their passwords (printed once, when created, by
``battlemap demo users``), unless asked to reset them (``--reset-passwords``: new random ones);
nothing here is a fixed or shared secret.
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


def ensure_demo_users(
    conn: Connection, *, settings: AuthSettings, reset_passwords: bool = False
) -> list[tuple[DemoUser, str | None]]:
    """Create the missing demo users (and, with ``reset_passwords``, give the others new passwords);
    returns each with its new password, or None for a user kept as it was."""
    created: list[tuple[DemoUser, str | None]] = []
    for user in DEMO_USERS:
        exists = conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": user.name}).scalar()
        if exists and not reset_passwords:
            created.append((user, None))
            continue
        password = auth.new_password()
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
