"""``battlemap export features KIND [--bbox ...] [--date D] -o FILE.geojson|FILE.gpkg``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cli import context
from cli.options import bbox_option
from geo.db import read_connection
from geo.export import FORMATS, driver_for, export_features
from geo.queries import DATED_KINDS, FEATURE_KINDS


@click.group("export")
def export() -> None:
    """Write loaded data back out (WGS84, never with personal fields)."""


def _output(_ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    try:
        driver_for(value)
    except ValueError:
        raise click.BadParameter(
            f"{str(value)!r} must end in {', '.join(FORMATS)} (GeoJSON or GeoPackage)"
        ) from None
    if not value.parent.is_dir():
        raise click.BadParameter(f"the folder {str(value.parent)!r} does not exist")
    return value


@export.command("features")
@click.argument("kind", metavar="KIND", type=click.Choice(FEATURE_KINDS))
@click.option(
    "--bbox", callback=bbox_option, help="Only features meeting MINX,MINY,MAXX,MAXY (WGS84 lon/lat)."
)
@click.option(
    "--date",
    "date_",
    type=click.DateTime(["%Y-%m-%d"]),
    help=f"For {', '.join(DATED_KINDS)}: household status on, statuses valid on, or cases reported on D.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output,
    help="FILE.geojson (RFC 7946) or FILE.gpkg; replaced if it exists.",
)
def features(
    kind: str, bbox: tuple[float, float, float, float] | None, date_: dt.datetime | None, output: Path
) -> None:
    """Write the loaded features of KIND to a file, with the columns `battlemap load KIND` reads back."""
    if date_ is not None and kind not in DATED_KINDS:
        raise click.BadParameter(
            f"{kind} have no date; --date applies to {', '.join(DATED_KINDS)}", param_hint="--date"
        )
    engine = context.engine(create=False)
    try:
        with read_connection(engine) as conn:
            count = export_features(conn, kind, output, bbox=bbox, date=date_.date() if date_ else None)
    finally:
        engine.dispose()
    click.echo(f"wrote {count:,} {kind} to {output}")
    if count == 0:
        click.echo("warning: nothing matched; the file has no features", err=True)
