"""The ``battlemap`` command: one click group, one module per command family, imported per command."""

from __future__ import annotations

import sys

import click

from cli.edge import RunState, traceback_text, unexpected_error_line
from cli.lazy import LazyGroup
from geo.errors import BattlemapError

# name -> (where the command lives, its one-line help for `battlemap --help`; a test keeps them equal)
COMMANDS: dict[str, tuple[str, str]] = {
    "alerts": (
        "cli.devices:alerts",
        "Device alerts (fever, missed readings, door, offline, battery): items of the isolation_alert loop.",
    ),
    "audit": (
        "cli.audit:audit",
        "List audited actions since WHEN, oldest first: time, user, role, action, target, address, detail.",
    ),
    "brief": (
        "cli.brief:brief",
        "Print the daily situation brief (日报) of a day: one to three A4 pages for leaders.",
    ),
    "campaign": (
        "cli.campaign:campaign",
        "Vaccination campaigns (疫苗接种): targets, daily counts and the board.",
    ),
    "db": ("cli.db:db", "Create, upgrade and inspect the PostGIS schema."),
    "demo": (
        "cli.demo:demo",
        "The demo data: the real sample (data/sample) and the simulated parts it lacks.",
    ),
    "devices": ("cli.devices:devices", "Home-isolation devices: door sensors and thermometers (技防)."),
    "export": ("cli.export:export", "Write loaded data back out (WGS84, never with personal fields)."),
    "flows": ("cli.flows:flows", "Movement flows (动线) and closed-loop transfers (闭环转运)."),
    "ingest": ("cli.devices:ingest", "Long-lived ingesters of live data (MQTT devices)."),
    "load": ("cli.load:load", "Load a file of KIND into PostGIS, in one transaction (all or nothing)."),
    "loops": (
        "cli.loops:loops_group",
        "Closed-loop work: home isolation, inspections, problem reports (闭环管理).",
    ),
    "national": (
        "cli.national:national",
        "The national roll-up: per-day counts per sub-district, published and subscribed by replication.",
    ),
    "notices": (
        "cli.notices:notices",
        "The multilingual service guide's notices (涉外服务指引图): one YAML file per language.",
    ),
    "places": (
        "cli.places:places",
        "Places: counts per grid of the key places (shops, office buildings, firms, key industries).",
    ),
    "qa": (
        "cli.load:qa",
        "Print the data-quality summary (buildings outside grids, overlapping grids and admin units).",
    ),
    "risk": (
        "cli.risk:risk",
        "Risk areas (风险区域): the sealed, control and prevention zones around cases.",
    ),
    "serve": (
        "cli.serve:serve",
        "Start the web app (the pages and GET /health).",
    ),
    "users": (
        "cli.users:users",
        "Accounts: commander (all), operator (own area), analyst (read-only, masked), wall, worker (grids).",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Print the traceback of an unexpected failure.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """battlemap: load, serve and export the epidemic-control battle map (挂图作战)."""
    ctx.ensure_object(RunState).debug = debug
    configure_cli_logging()


def configure_cli_logging() -> None:
    """Logging for the command about to run (``BATTLEMAP_LOG_LEVEL``, ``BATTLEMAP_LOG_FORMAT``)."""
    from cli import context
    from geo.logs import configure_logging

    configure_logging(context.settings().log)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: every error becomes one clear line on stderr and a non-zero exit.

    Battlemap errors say what to fix; anything else is unexpected: one line naming the file
    being processed, and the traceback only under ``--debug``.
    """
    state = RunState()
    try:
        cli.main(args=argv, prog_name="battlemap", standalone_mode=False, obj=state)
    except BattlemapError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # the one catch-all: the CLI edge
        if state.debug:
            click.echo(traceback_text(exc), err=True, nl=False)
        click.echo(unexpected_error_line(exc, state), err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
