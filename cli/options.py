"""Click option parsers shared by several commands."""

from __future__ import annotations

import click


def bbox_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    """MINX,MINY,MAXX,MAXY in WGS84 degrees, with min < max and within lon/lat ranges."""
    if value is None:
        return None
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or parts[0] >= parts[2] or parts[1] >= parts[3]:
        raise click.BadParameter(f"expected MINX,MINY,MAXX,MAXY with min < max, got {value!r}")
    if not (parts[0] >= -180 and parts[2] <= 180 and parts[1] >= -90 and parts[3] <= 90):
        raise click.BadParameter(f"longitudes must lie in -180..180 and latitudes in -90..90, got {value!r}")
    return parts


def place_kind_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--kind``: a place kind (code or alias), as the places loader reads one."""
    if value is None:
        return None
    from etl.jobs.places import parse_kind

    try:
        return str(parse_kind(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
