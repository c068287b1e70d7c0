"""The ``battlemap`` command: one click group, one module per command family."""

from __future__ import annotations

import sys

import click

from cli import audit, db, demo, export, flows, load, loops, risk, serve, users
from cli.edge import RunState, traceback_text, unexpected_error_line
from geo.errors import BattlemapError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Print the traceback of an unexpected failure.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """battlemap: load, serve and export the epidemic-control battle map (挂图作战)."""
    ctx.ensure_object(RunState).debug = debug


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
