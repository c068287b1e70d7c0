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
def users() -> None:
    """Create one demo user per role (the operator limited to 陆家嘴街道) and print their passwords.

    Running it again keeps the users and prints new passwords.
    """
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        created = ensure_demo_users(conn, settings=context.settings().auth)
    click.echo("\ndemo users (sign in at /login; passwords are new on every run):")
    click.echo(f"{'name':16} {'role':10} {'password':18} area")
    for user, password in created:
        click.echo(f"{user.name:16} {user.role:10} {password:18} {', '.join(user.units) or 'all'}")


@demo.command("devices")
@click.option("--count", type=click.IntRange(min=1), help="Only the first N demo devices (default: all).")
@click.option(
    "--minutes", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="How long to publish."
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0.1, max=600),
    default=1.0,
    show_default=True,
    help="Messages a minute per device.",
)
@click.option("--url", help="The broker, mqtt://host[:port]; default BATTLEMAP_MQTT_URL.")
def devices(count: int | None, minutes: float, rate: float, url: str | None) -> None:
    """Publish realistic streams for the demo's simulated devices (diurnal temperatures, a few fevers,
    deliveries, a door left open, a device falling silent) to the MQTT broker, QoS 1."""
    from etl.demo.devices import demo_devices, publisher, stream

    settings = context.settings()
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            found = demo_devices(conn)
    finally:
        engine.dispose()
    if not found:
        raise click.ClickException("no simulated devices: run `battlemap demo load` first")
    chosen = found[:count] if count else found
    publish, close = publisher(url or settings.devices.url)
    click.echo(f"publishing for {len(chosen)} devices, {rate:g} a minute each, for {minutes:g} min")
    try:
        counts = stream(chosen, minutes=minutes, rate=rate, publish=publish, seed=settings.demo.seed)
    finally:
        close()
    click.echo("published: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
