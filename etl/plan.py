"""A load's plan: what is decided about an input before its rows are read (columns, id column,
coordinates or geometry, CRS, stage columns), and the whole-file evidence its chunks add up.

Part of the load funnel (``etl.pipeline``): kept apart so the funnel reads as its steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from etl.cells import column_length, text_limits
from etl.columns import CoordinateColumns, find_column, find_coordinates
from etl.jobs.base import Job, LoadOptions
from etl.readers import GeoJSONSource, SourceTable, TabularSource
from etl.staging import StageColumn
from geo.crs import WGS84_SYSTEM, CoordSystem, parse_crs
from geo.errors import InputError, UnknownCRSError


@dataclass
class Plan:
    """What was decided about an input before reading its rows, and what its rows showed."""

    columns: dict[str, str]
    id_column: str | None
    crs: CoordSystem
    coordinates: CoordinateColumns | None
    has_geometry: bool
    source: str
    stage_columns: list[StageColumn]
    # How often each content digest was seen (for kinds whose exact repeats are separate records).
    seen: dict[str, int] = field(default_factory=dict)
    # Whole-file geometry evidence, summed over chunks.
    swapped: int = 0
    wrong_type: int = 0
    found_types: set[str] = field(default_factory=set)
    flattened: int = 0
    # field name -> (length limit or None, "table.column" it is stored in), for text fields.
    text_limits: dict[str, tuple[int | None, str]] = field(default_factory=dict)
    source_id_limit: int | None = None


def plan_for(job: Job, table: SourceTable, options: LoadOptions) -> Plan:
    path = table.path
    columns: dict[str, str] = {}
    for f in job.fields:
        explicit = options.name_col if f.option == "name" else None
        found = find_column(table.columns, f.candidates, explicit=explicit, path=path, option="--name-col")
        if found is None and f.required and f.name not in job.derivable:
            raise InputError(
                path,
                f"required column {f.name!r} is missing (looked for {', '.join(f.candidates)})",
                field=f.name,
                fix=f"the file's columns are: {', '.join(table.columns) or '(none)'}",
            )
        if found is not None:
            columns[f.name] = found
    id_column = find_column(
        table.columns, job.id_candidates, explicit=options.id_col, path=path, option="--id-col"
    )

    coordinates = None
    has_geometry = False
    implied = None
    if job.geometry is not None:
        if table.has_geometry:
            has_geometry = True
        else:
            try:
                coordinates = find_coordinates(
                    table.columns,
                    lon_col=options.lon_col,
                    lat_col=options.lat_col,
                    wkt_col=options.wkt_col,
                    path=path,
                    preferred_crs=_crs_name(options, path),
                )
                has_geometry = True
                implied = coordinates.implied_crs
            except InputError:
                if job.geometry_required:
                    raise
    crs = _resolve_crs(table, options, implied) if has_geometry else WGS84_SYSTEM
    return Plan(
        columns=columns,
        id_column=id_column,
        crs=crs,
        coordinates=coordinates,
        has_geometry=has_geometry,
        source=options.source or path.name,
        stage_columns=[f.stage_column for f in job.fields] + list(job.extra_stage_columns),
        text_limits=text_limits(job),
        source_id_limit=column_length(job.table, "source_id"),
    )


def _crs_name(options: LoadOptions, path: Path) -> str | None:
    return _option_crs(options, path).name if options.crs else None


def _option_crs(options: LoadOptions, path: Path) -> CoordSystem:
    """The system --crs names; an unknown one is an InputError naming the file it was given for."""
    try:
        return parse_crs(options.crs)
    except UnknownCRSError as exc:
        raise InputError(
            path,
            f"unknown CRS {options.crs!r} given by --crs",
            field="--crs",
            fix="use wgs84, gcj02, bd09 or EPSG:<code> (e.g. EPSG:4326)",
        ) from exc


def _resolve_crs(table: SourceTable, options: LoadOptions, implied: str | None) -> CoordSystem:
    """--crs wins; then what the file declares; GeoJSON and plain tables default to WGS84."""
    if options.crs:
        return _option_crs(options, table.path)
    if table.declared_crs is not None:
        return table.declared_crs
    if implied:
        return parse_crs(implied)
    if (
        isinstance(table, (GeoJSONSource, TabularSource))
        or not isinstance(table.path, Path)
        or not table.path.exists()
    ):
        return WGS84_SYSTEM
    raise InputError(
        table.path,
        "the file does not say its coordinate system (a Shapefile without .prj?)",
        fix="pass --crs wgs84, --crs gcj02, --crs bd09 or --crs EPSG:<code>",
    )
