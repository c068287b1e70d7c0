"""``battlemap load KIND PATH`` and ``battlemap qa``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cli import context
from cli.edge import processing
from cli.options import bbox_option, place_kind_option
from etl import pipeline
from etl.assign import qa_summary
from etl.jobs import KINDS
from etl.jobs.base import LoadOptions
from etl.overlaps import stored_overlaps


@click.command("load")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--crs", help="Coordinate system of the input: wgs84, gcj02, bd09 or EPSG:<code>.")
@click.option("--date", "date_", type=click.DateTime(["%Y-%m-%d"]), help="Date the rows are valid for.")
@click.option("--lon-col", help="Column holding longitudes (x).")
@click.option("--lat-col", help="Column holding latitudes (y).")
@click.option("--wkt-col", help="Column holding WKT geometries.")
@click.option("--id-col", help="Column holding the source's id (makes reloads update in place).")
@click.option("--name-col", help="Column holding names.")
@click.option("--layer", help="Layer of a multi-layer file (GeoPackage, a zip or folder of Shapefiles).")
@click.option(
    "--encoding", help="Text encoding of a CSV or Shapefile (e.g. gbk, gb18030, utf-8); default: detected."
)
@click.option(
    "--force", is_flag=True, help="admin only: load units even where they overlap units of their level."
)
@click.option("--level", help="admin only: level of every row (district, subdistrict, committee).")
@click.option(
    "--kind",
    "place_kind",
    callback=place_kind_option,
    help="places only: the kind of every row that names none (e.g. sampling_site, key_industry).",
)
@click.option("--area", callback=bbox_option, help="Reject rows outside MINX,MINY,MAXX,MAXY (WGS84).")
@click.option("--rejects", type=click.Path(path_type=Path), help="Where to write rejected rows (CSV).")
@click.option("--strict", is_flag=True, help="Load nothing if any row is rejected.")
@click.option(
    "--min-score",
    type=click.FloatRange(0, 100),
    default=80.0,
    show_default=True,
    help="cases, risk-areas: the lowest address-match score applied; lower ones go to the review file.",
)
@click.option(
    "--review",
    type=click.Path(path_type=Path),
    help="cases, risk-areas: where to list unmatched addresses with candidates (default PATH.unmatched.csv).",
)
@click.option(
    "--reviewed",
    type=click.Path(path_type=Path),
    help="cases, risk-areas: a review file with its 'choice' column filled in, applied to this load.",
)
@click.option("--source", help="Provenance label stored with the rows (default: the file name).")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on long files).")
def load(
    kind: str,
    path: Path,
    crs: str | None,
    date_: dt.datetime | None,
    lon_col: str | None,
    lat_col: str | None,
    wkt_col: str | None,
    id_col: str | None,
    name_col: str | None,
    layer: str | None,
    encoding: str | None,
    force: bool,
    level: str | None,
    place_kind: str | None,
    area: tuple[float, float, float, float] | None,
    rejects: Path | None,
    strict: bool,
    min_score: float,
    review: Path | None,
    reviewed: Path | None,
    source: str | None,
    progress: bool | None,
) -> None:
    """Load a file of KIND into PostGIS, in one transaction (all or nothing)."""
    processing(path)
    options = LoadOptions(
        crs=crs,
        date=date_.date() if date_ else None,
        lon_col=lon_col,
        lat_col=lat_col,
        wkt_col=wkt_col,
        id_col=id_col,
        name_col=name_col,
        layer=layer,
        encoding=encoding,
        force=force,
        level=level,
        place_kind=place_kind,
        area=area,
        rejects_path=rejects,
        strict=strict,
        min_score=min_score,
        review_path=review or path.with_name(path.name + ".unmatched.csv"),
        reviewed_path=reviewed,
        source=source,
        progress=progress,
    )
    engine = context.engine()
    try:
        with engine.begin() as conn:
            # A house-status change is audited where it is written (geo.status.history), by any path.
            report = pipeline.load(conn, kind, path, options=options, settings=context.settings().etl)
    finally:
        engine.dispose()  # closed also when the load fails
    click.echo(report.summary())
    if report.rejected:
        click.echo(f"warning: {report.rejected} rows rejected, listed in {report.rejects_path}", err=True)


@click.command("qa")
def qa() -> None:
    """Print the data-quality summary (buildings outside grids, overlapping grids and admin units)."""
    settings = context.settings().etl
    with context.engine().connect() as conn:
        for key, value in qa_summary(conn, settings=settings).items():
            click.echo(f"{key:45} {value:>10,}")
        for line in stored_overlaps(conn, share=settings.admin_overlap_share):
            click.echo(f"  {line}")
