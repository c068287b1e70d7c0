"""``battlemap demo load``: the real Shanghai sample plus the seeded simulation, in one transaction."""

from __future__ import annotations

import time

import click

from cli import context
from etl.demo.run import address_match_rate, iter_demo, table_counts
from etl.demo.users import ensure_demo_users
from etl.schema import upgrade


@click.group("demo")
def demo() -> None:
    """The demo data: the real sample (data/sample) and the simulated parts it lacks."""


@demo.command("load")
def load() -> None:
    """Load the whole demo in one transaction (all or nothing); running it again changes nothing.

    Creates the database and the schema when missing. Grids, households, house statuses and
    the responsibility chain are simulated (seed: BATTLEMAP_DEMO_SEED) and stored with
    source 'simulated'.
    """
    settings = context.settings()
    engine = context.engine()
    upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        for report in iter_demo(conn, settings=settings):
            click.echo(report.summary())
        counts = table_counts(conn)
        matched, addressed = address_match_rate(conn)
    click.echo(f"\ndemo loaded in {time.perf_counter() - started:.1f} s (seed {settings.demo.seed})")
    click.echo(f"{'table':20} {'rows':>10} {'simulated':>10}")
    for table, rows, simulated in counts:
        click.echo(f"{table:20} {rows:>10,} {simulated:>10,}")
    rate = f"{matched / addressed:.1%}" if addressed else "n/a"
    click.echo(f"address match rate: {rate} ({matched:,} of {addressed:,} case addresses)")


@demo.command("users")
@click.option(
    "--reset-passwords", is_flag=True, help="Give the demo users that exist already new passwords (printed)."
)
def users(reset_passwords: bool) -> None:
    """Create one demo user per role (the operator limited to 陆家嘴街道) and print their passwords.

    Running it again keeps the users and their passwords (shown as "unchanged"); --reset-passwords
    gives them new ones.
    """
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        created = ensure_demo_users(conn, settings=context.settings().auth, reset_passwords=reset_passwords)
    click.echo("\ndemo users (sign in at /login):")
    click.echo(f"{'name':16} {'role':10} {'password':18} area")
    for user, password in created:
        shown = password or "(unchanged)"
        click.echo(f"{user.name:16} {user.role:10} {shown:18} {', '.join(user.units) or 'all'}")
    if any(password is None for _, password in created):
        click.echo("passwords kept from an earlier run: battlemap demo users --reset-passwords for new ones")
