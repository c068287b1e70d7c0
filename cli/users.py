"""``battlemap users add|list|disable|password|token|tokens|revoke``: who may sign in, and how (bearer
tokens, and URL keys for clients that cannot send headers: ``token NAME --kind url-key``).

Run on the machine that holds the database (the command line is trusted with it); every change
is audited as ``user_change`` by ``cli:<login>``. Passwords are read from a prompt or stdin, or
generated and printed once; tokens are printed once, on the last line, and kept only as a hash.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from cli import context
from etl.schema import upgrade
from geo import auth, credentials
from geo.audit import cli_actor, record


@click.group("users")
def users() -> None:
    """Accounts: commander (all), operator (own area), analyst (read-only, masked), wall, worker (grids)."""


def _password(password_stdin: bool, generate: bool) -> tuple[str, bool]:
    if generate:
        return auth.new_password(), True
    if password_stdin:
        # sys.stdin, not click.get_text_stream (deprecated in Click 8.5, an untyped attribute there)
        return sys.stdin.readline().rstrip("\r\n"), False
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
@click.option(
    "--kind",
    type=click.Choice(["bearer", "url-key"]),
    default="bearer",
    show_default=True,
    help="bearer: sent as a header; url-key: read-only, for the --layers given, sent as ?key= "
    "(QGIS, ArcGIS and tools that cannot send headers).",
)
@click.option(
    "--layers",
    "layers",
    multiple=True,
    help="url-key: the tile layers or OGC collections it opens (repeatable or comma-separated).",
)
@click.option("--days", type=int, default=None, help="url-key: days until it expires (required, 1 to 366).")
def token(name: str, kind: str, layers: tuple[str, ...], days: int | None) -> None:
    """Print a new bearer token (or with --kind url-key a URL key) for NAME on the last line."""
    if kind == "url-key":
        _url_key(name, [part.strip() for item in layers for part in item.split(",") if part.strip()], days)
        return
    if layers or days is not None:
        raise click.UsageError(
            "--layers and --days are for --kind url-key; a bearer token opens all the user may"
        )
    engine = context.engine()
    upgrade(engine)
    settings = context.settings().auth
    with engine.begin() as conn:
        issued = credentials.issue_token(conn, name, settings=settings)
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "token"})
    click.echo(f"token for {name}, valid {settings.token_days} days; send as Authorization: Bearer <token>")
    click.echo(issued)


def _url_key(name: str, layers: list[str], days: int | None) -> None:
    from geo.ogc.collections import COLLECTIONS
    from layers.tiles.registry import default_layers

    settings = context.settings()
    known = sorted(set(default_layers(settings).names()) | set(COLLECTIONS))
    unknown = [layer for layer in layers if layer not in known]
    if not layers or unknown:
        what = f"unknown layer {unknown[0]!r}" if unknown else "no --layers"
        raise click.UsageError(f"{what}: a URL key covers some of {', '.join(known)}")
    if days is None or not 1 <= days <= credentials.URL_KEY_MAX_DAYS:
        given = "" if days is None else f" (not {days})"
        raise click.UsageError(
            f"a URL key expires: give --days N{given}, 1 to {credentials.URL_KEY_MAX_DAYS}"
        )
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        issued = credentials.issue_url_key(conn, name, layers=layers, days=days)
        detail = {"op": "token", "kind": "url-key", "layers": sorted(set(layers)), "days": days}
        record(conn, cli_actor(), "user_change", target=name, detail=detail)
    click.echo(
        f"URL key for {name}, read-only, for {', '.join(sorted(set(layers)))}, valid {days} days; "
        "append ?key=<key> to the TileJSON, tile or OGC API URL (the README has the QGIS recipe)"
    )
    click.echo(issued)


@users.command("tokens")
@click.argument("name")
def tokens(name: str) -> None:
    """List NAME's bearer tokens: id, created, expires, last used, state (never the token itself)."""
    engine = context.engine()
    upgrade(engine)
    with engine.connect() as conn:
        found = credentials.list_tokens(conn, name)
    click.echo(f"{'id':>6} {'kind':8} {'created':16} {'expires':16} {'last used':16} {'state':8} layers")
    for item in found:
        state = "revoked" if item.revoked_at else "active"
        click.echo(
            f"{item.id:>6} {item.kind:8} {_when(item.created_at):16} {_when(item.expires_at):16} "
            f"{_when(item.last_used_at):16} {state:8} {', '.join(item.layers) or 'all'}"
        )


@users.command("revoke")
@click.argument("name")
@click.option("--token-id", type=int, help="The id of one token (`battlemap users tokens NAME`).")
@click.option("--all", "all_", is_flag=True, help="Every token of NAME.")
def revoke(name: str, token_id: int | None, all_: bool) -> None:
    """Revoke one of NAME's tokens (--token-id ID) or all of them (--all); they stop within seconds."""
    if (token_id is None) == (not all_):
        raise click.UsageError("give either --token-id ID or --all")
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        revoked = credentials.revoke_tokens(conn, name, token_id=token_id)
        record(conn, cli_actor(), "user_change", target=name, detail={"op": "revoke", "tokens": revoked})
    click.echo(f"revoked {len(revoked)} token(s) of {name}" + (f": {revoked}" if revoked else ""))


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
