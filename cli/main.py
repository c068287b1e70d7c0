"""The ``battlemap`` command: one click group, one module per command family."""

from __future__ import annotations

import sys

import click

from cli import audit, db, demo, export, flows, load, loops, risk, serve, users
from geo.errors import BattlemapError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """battlemap: load, serve and export the epidemic-control battle map (挂图作战)."""


cli.add_command(db.db)
cli.add_command(load.load)
cli.add_command(load.qa)
cli.add_command(demo.demo)
cli.add_command(serve.serve)
cli.add_command(export.export)
cli.add_command(risk.risk)
cli.add_command(flows.flows)
cli.add_command(users.users)
cli.add_command(audit.audit)
cli.add_command(loops.loops_group)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: battlemap errors become one clear line on stderr and their exit code."""
    try:
        cli.main(args=argv, prog_name="battlemap", standalone_mode=False)
    except BattlemapError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
