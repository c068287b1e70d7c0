"""``battlemap users add|list|disable|password|token``: who may sign in, with which role and area.

Run on the machine that holds the database (the command line is trusted with it); every change
is audited as ``user_change`` by ``cli:<login>``. Passwords are read from a prompt or stdin, or
generated and printed once; tokens are printed once, on the last line, and kept only as a hash.
"""

from __future__ import annotations

import click

from cli import context
from etl.schema import upgrade
from geo import auth
from geo.audit import cli_actor, record


@click.group("users")
def users() -> None:
    """Accounts: commander (all), operator (own area), analyst (read-only, masked), wall, worker (grids)."""


def _password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    if generate:
        return auth.new_password(), True
    if password_stdin:
        return click.get_text_stream("stdin").readline().rstrip("\r\n"), False
    return click.prompt("password", hide_input=True, confirmation_prompt=True), False


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(list(auth.POLICIES)), help="What the user may do.")
@click.option("--unit", "units", multiple=True, help="Admin unit (name or code) to see; repeatable.")
@click.option("--grid", "grids", multiple=True, help="Grid (code or name) the user may see; repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--generate-password", is_flag=True, help="Generate a random password and print it once.")
def add(
    name: str,
    role: str,
    units: tuple[str, ...],
    grids: tuple[str, ...],
    password_stdin: bool,
    generate_password: bool,
) -> None:
    """Create user NAME; an operator needs --unit or --grid, a worker --grid; others see all unless given."""
    password, generated = _password(password_stdin, generate_password)
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        auth.add_user(
            conn,
            name,
            role=role,
            password=password,
            units=list(units),
            grids=list(grids),
            settings=context.settings().auth,
        )
        area = {"units": list(units), "grids": list(grids)}
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "add", "role": role} | area)
    click.echo(f"added {name} ({role})")
    if generated:
        click.echo(f"password: {password}")


@users.command("list")
def list_() -> None:
    """Every user with role, area and whether disabled."""
    engine = context.engine()
    upgrade(engine)
    with engine.connect() as conn:
        found = auth.list_users(conn)
    click.echo(f"{'name':20} {'role':10} {'state':9} {'created':16} area")
    for user in found:
        state = "disabled" if user.disabled else "active"
        created = user.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{user.name:20} {user.role:10} {state:9} {created:16} {', '.join(user.scope) or 'all'}")


@users.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable NAME: their sessions and tokens stop working within seconds."""
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        auth.disable_user(conn, name)
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "disable"})
    click.echo(f"disabled {name}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--generate-password", is_flag=True, help="Generate a random password and print it once.")
def password(name: str, password_stdin: bool, generate_password: bool) -> None:
    """Set NAME's password (and enable them again)."""
    new, generated = _password(password_stdin, generate_password)
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        auth.set_password(conn, name, new, settings=context.settings().auth)
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "password"})
    click.echo(f"password of {name} set")
    if generated:
        click.echo(f"password: {new}")


@users.command("token")
@click.argument("name")
def token(name: str) -> None:
    """Print a new bearer token for NAME (last line), for scripts and QGIS: Authorization: Bearer <token>."""
    engine = context.engine()
    upgrade(engine)
    settings = context.settings().auth
    with engine.begin() as conn:
        issued = auth.issue_token(conn, name, settings=settings)
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "token"})
    click.echo(f"token for {name}, valid {settings.token_days} days; send as Authorization: Bearer <token>")
    click.echo(issued)
