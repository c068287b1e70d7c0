"""`battlemap brief --date D [--unit U] [--internal] [-o brief.pdf]`: the daily situation brief (日报)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cli import context
from cli.edge import processing
from geo.audit import cli_actor
from layers.brief import BriefRequest, print_brief


def _date(_ctx: click.Context, _param: click.Parameter, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: expected YYYY-MM-DD, e.g. 2022-04-10") from None


def _output(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is None:
        return None
    if value.suffix.lower() != ".pdf":
        raise click.BadParameter(f"{str(value)!r} must end in .pdf")
    if not value.parent.is_dir():
        raise click.BadParameter(f"the folder {str(value.parent)!r} does not exist")
    return value


@click.command("brief")
@click.option("--date", "date_", required=True, callback=_date, help="The day of the brief (YYYY-MM-DD).")
@click.option(
    "--unit", help="A district or sub-district, by name or code (e.g. 陆家嘴街道); default: every area."
)
@click.option(
    "--internal",
    is_flag=True,
    help="Internal printing: contacts' names and phones unmasked (default: masked).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output,
    help="FILE.pdf (default: brief-<unit>-<date>.pdf here); replaced if it exists.",
)
def brief(date_: dt.date, unit: str | None, internal: bool, output: Path | None) -> None:
    """Print the daily situation brief (日报) of a day: one to three A4 pages for leaders.

    Headline figures and their change since the day before, house status, new and lifted risk areas
    with their SOP state, overdue loop items and transfers, and an overview map; of your area only.
    """
    output = output or Path(f"brief-{unit or 'all'}-{date_.isoformat()}.pdf")
    processing(output)
    request = BriefRequest(date=date_, unit=unit, internal=internal)
    engine = context.engine(create=False)
    try:
        printed, pages = print_brief(
            engine, request, output, actor=cli_actor(), flows=context.settings().flows
        )
    finally:
        engine.dispose()
    click.echo(f"wrote {pages} pages ({printed.title}, {date_.isoformat()}, A4) to {output}")
    if internal:
        click.echo(
            "note: internal printing: names and phones are unmasked; do not pass the brief on", err=True
        )
