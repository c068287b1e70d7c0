"""`battlemap export features KIND ... -o FILE.geojson|gpkg` and `battlemap export atlas ... -o FILE.pdf`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cli import context
from cli.edge import processing
from cli.options import bbox_option
from geo.audit import cli_actor, record_now
from geo.db import read_connection
from geo.export import FORMATS, driver_for, export_features
from geo.features import DATED_KINDS, FEATURE_KINDS
from layers.atlas import FORMATS as ATLAS_FORMATS
from layers.atlas import ORIENTATIONS, PAPERS, THEMES, AtlasOptions
from layers.atlas.publish import AtlasRequest, print_atlas


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
    processing(output)
    if date_ is not None and kind not in DATED_KINDS:
        raise click.BadParameter(
            f"{kind} have no date; --date applies to {', '.join(DATED_KINDS)}", param_hint="--date"
        )
    engine = context.engine(create=False)
    try:
        with read_connection(engine) as conn:
            count = export_features(conn, kind, output, bbox=bbox, date=date_.date() if date_ else None)
        record_now(engine, cli_actor(), "export", target=f"features:{kind}", detail={"file": output.name})
    finally:
        engine.dispose()
    click.echo(f"wrote {count:,} {kind} to {output}")
    if count == 0:
        click.echo("warning: nothing matched; the file has no features", err=True)


def _grid_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    codes = [v.strip() for v in value.split(",") if v.strip()]
    if not codes:
        raise click.BadParameter(f"expected grid codes separated by commas, got {value!r}")
    return codes


@export.command("atlas")
@click.option("--unit", help="An admin unit's name or code (e.g. 陆家嘴街道 or 310115-033): its grids.")
@click.option("--grids", "grids", callback=_grid_list, help="Grid codes (or names), separated by commas.")
@click.option("--all", "all_grids", is_flag=True, help="Every loaded grid.")
@click.option(
    "--layer",
    type=click.Choice(tuple(THEMES)),
    default="house-status",
    show_default=True,
    help="What colours the buildings.",
)
@click.option(
    "--date",
    "date_",
    type=click.DateTime(["%Y-%m-%d"]),
    help="House-status day (default: the latest day a status started).",
)
@click.option("--paper", type=click.Choice(tuple(PAPERS)), default="A4", show_default=True)
@click.option(
    "--orientation",
    type=click.Choice(ORIENTATIONS),
    default="auto",
    show_default=True,
    help="auto: landscape for wide grids.",
)
@click.option("--dpi", type=click.IntRange(50, 1200), default=300, show_default=True, help="PNG resolution.")
@click.option(
    "--format", "fmt", type=click.Choice(ATLAS_FORMATS), help="pdf (default for FILE.pdf) or png (DIR/)."
)
@click.option(
    "--internal", is_flag=True, help="Internal printing: names and phones unmasked (default: masked)."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="FILE.pdf, or a folder for --format png.",
)
def atlas(
    unit: str | None,
    grids: list[str] | None,
    all_grids: bool,
    layer: str,
    date_: dt.datetime | None,
    paper: str,
    orientation: str,
    dpi: int,
    fmt: str | None,
    internal: bool,
    output: Path,
) -> None:
    """Print map sheets: a cover with the overview and index, then one sheet per grid (PDF or PNGs)."""
    processing(output)
    if sum((unit is not None, grids is not None, all_grids)) != 1:
        raise click.UsageError("choose the grids with exactly one of --unit, --grids or --all")
    fmt = fmt or ("pdf" if output.suffix.lower() == ".pdf" else "png" if not output.suffix else None)
    if fmt is None:
        raise click.BadParameter(
            f"{str(output)!r} must end in .pdf, or be a folder with --format png", param_hint="-o"
        )
    if fmt == "pdf" and output.suffix.lower() != ".pdf":
        raise click.BadParameter(f"{str(output)!r} must end in .pdf for --format pdf", param_hint="-o")
    parent = output if fmt == "png" and output.is_dir() else output.parent
    if not parent.is_dir():
        raise click.BadParameter(f"the folder {str(parent)!r} does not exist", param_hint="-o")
    request = AtlasRequest(
        unit=unit,
        grids=tuple(grids) if grids is not None else None,
        all_grids=all_grids,
        date=date_.date() if date_ else None,
        internal=internal,
        fmt=fmt,
        options=AtlasOptions(layer=layer, paper=paper, orientation=orientation, dpi=dpi),
    )
    engine = context.engine(create=False)
    try:
        layouts = print_atlas(engine, request, output, actor=cli_actor())
    finally:
        engine.dispose()
    click.echo(f"wrote {len(layouts)} pages ({len(layouts) - 1} grids + cover, {paper}) to {output}")
    if internal:
        click.echo(
            "note: internal printing: names and phones are unmasked; do not pass the sheets on", err=True
        )
