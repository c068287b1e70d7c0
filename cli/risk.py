"""``battlemap risk declare|list|steps|done|lift``: risk areas from the command line.

``declare --at LON,LAT``: zones and counts around a case, stored unless --dry-run. ``list [--date D]``:
the areas active on a day with their SOP state. ``steps AREA_ID``: each SOP step done, due or overdue,
with its clock. ``done AREA_ID STEP``: record a step done. ``lift AREA_ID``: lift an area once its quiet
period is over (``--force`` before). Every command prints one JSON object (or array) on stdout; times
without a zone are China time (UTC+8).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from cli import context
from cli.edge import processing
from geo.audit import cli_actor
from geo.clock import china_today
from geo.db import read_connection
from geo.risk.declare import declare_and_store
from geo.risk.rules import load_rules
from geo.risk.store import area_clock, lift_risk_area, list_areas, record_step
from geo.risk.zones import declare_risk_area
from geo.vocab import CHINA_TZ


@click.group("risk")
def risk() -> None:
    """Risk areas (风险区域): the sealed, control and prevention zones around cases."""


def _point(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected LON,LAT (two numbers), got {value!r}") from None
    return lon, lat


def _output(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(f"the folder {str(value.parent)!r} does not exist")
    return value


@risk.command("declare")
@click.option("--at", "at", required=True, callback=_point, help="The case location LON,LAT.")
@click.option(
    "--crs",
    type=click.Choice(["wgs84", "gcj02", "bd09"], case_sensitive=False),
    default="wgs84",
    show_default=True,
    help="Coordinate system of --at (GCJ-02: Amap/Tencent, BD-09: Baidu).",
)
@click.option(
    "--date",
    "date_",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Day the household statuses are counted on; the area is declared then (now if it is today, "
    "else at 00:00 China time). Default: today.",
)
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Zone rules YAML (keys missing there keep the defaults of geo/risk/defaults/risk.yaml).",
)
@click.option("--dry-run", is_flag=True, help="Only compute and print; store nothing.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=_output,
    help="Write the zones as GeoJSON (one feature per zone, its counts as properties).",
)
def declare(
    at: tuple[float, float],
    crs: str,
    date_: dt.datetime | None,
    rules: Path | None,
    dry_run: bool,
    output: Path | None,
) -> None:
    """Declare (or with --dry-run only compute) a risk area for a case at --at.

    Prints one JSON object: {"zones": {"sealed": {...}, "control": {...}, "prevention": {...}}, ...}.
    """
    if rules is not None:
        processing(rules)
    zone_rules = load_rules(rules)
    day = date_.date() if date_ else china_today()
    engine = context.engine(create=False)
    try:
        with engine.begin() as conn:
            if dry_run:
                area, area_id, declared_at = (
                    declare_risk_area(conn, [at], crs=crs, date=day, rules=zone_rules),
                    None,
                    None,
                )
            else:
                declared = declare_and_store(
                    conn, [at], actor=cli_actor(), crs=crs, date=day, rules=zone_rules
                )
                area, area_id, declared_at = declared.area, declared.area_id, declared.declared_at
    finally:
        engine.dispose()
    if output is not None:
        output.write_text(json.dumps(area.to_geojson(), ensure_ascii=False), encoding="utf-8")
    summary = area.summary()
    summary["risk_area_id"] = area_id
    summary["dry_run"] = dry_run
    summary["declared_at"] = None if declared_at is None else declared_at.isoformat()
    click.echo(json.dumps(summary, ensure_ascii=False))


_TIME = click.DateTime(
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
)
_AT_HELP = "When (YYYY-MM-DDTHH:MM, China time; a bare date is its 00:00); default: now."


def _moment(value: dt.datetime | None) -> dt.datetime:
    return value.replace(tzinfo=CHINA_TZ) if value is not None else dt.datetime.now(CHINA_TZ)


def _clock_json(area_id: int, at: dt.datetime) -> str:
    engine = context.engine(create=False)
    try:
        with read_connection(engine) as conn:
            clock = area_clock(conn, area_id, at=at)
    finally:
        engine.dispose()
    return json.dumps({"risk_area_id": area_id, **clock.to_dict()}, ensure_ascii=False)


@risk.command("list")
@click.option(
    "--date",
    "date_",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Only the areas active on this day (declared before it ended, not lifted before it began), "
    "their clocks at its end; default: every stored area, clocks now.",
)
def list_(date_: dt.datetime | None) -> None:
    """Print the risk areas as a JSON array: id, name, level, state, lift_due_at, due and overdue steps."""
    engine = context.engine(create=False)
    try:
        with read_connection(engine) as conn:
            areas = list_areas(conn, on=date_.date() if date_ else None)
    finally:
        engine.dispose()
    click.echo(json.dumps(areas, ensure_ascii=False))


@risk.command("steps")
@click.argument("area_id", type=int)
@click.option("--at", "at", type=_TIME, help=_AT_HELP)
def steps(area_id: int, at: dt.datetime | None) -> None:
    """Print the SOP clock of AREA_ID: its state, the countdown to lifting and each step's state."""
    click.echo(_clock_json(area_id, _moment(at)))


@risk.command("done")
@click.argument("area_id", type=int)
@click.argument("step")
@click.option("--at", "at", type=_TIME, help=_AT_HELP)
@click.option("--note", help="What was done (no names or phone numbers).")
def done(area_id: int, step: str, at: dt.datetime | None, note: str | None) -> None:
    """Record that STEP (a code of the SOP, e.g. announce, daily_testing) was done for AREA_ID, then
    print the area's clock at that moment. A recurring step is recorded once per time done."""
    moment = _moment(at)
    engine = context.engine(create=False)
    try:
        with engine.begin() as conn:
            record_step(conn, area_id, step, done_at=moment, note=note)
    finally:
        engine.dispose()
    click.echo(_clock_json(area_id, moment))


@risk.command("lift")
@click.argument("area_id", type=int)
@click.option("--at", "at", type=_TIME, help=_AT_HELP)
@click.option("--force", is_flag=True, help="Lift even before the quiet period after the last case is over.")
def lift(area_id: int, at: dt.datetime | None, force: bool) -> None:
    """Lift AREA_ID (解除): refused before its quiet period is over unless --force; prints its clock."""
    moment = _moment(at)
    engine = context.engine(create=False)
    try:
        with engine.begin() as conn:
            lift_risk_area(conn, area_id, at=moment, early=force)
    finally:
        engine.dispose()
    click.echo(_clock_json(area_id, moment))
