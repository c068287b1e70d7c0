"""``battlemap risk declare --at LON,LAT ...``: zones and counts around a case, stored unless --dry-run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from cli import context
from geo.risk import CHINA_TZ, declare_risk_area
from geo.risk_areas import save_risk_area
from geo.risk_rules import load_rules


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
    help="Day the household statuses are counted on (and the area declared at 00:00 China time); "
    "default: now.",
)
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Zone rules YAML (keys missing there keep the defaults of geo/rules/risk.yaml).",
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
    zone_rules = load_rules(rules)
    now = dt.datetime.now(CHINA_TZ)
    day = date_.date() if date_ else now.date()
    declared_at = dt.datetime.combine(day, dt.time(0, 0), CHINA_TZ) if date_ else now
    engine = context.engine(create=False)
    try:
        with engine.begin() as conn:
            area = declare_risk_area(conn, [at], crs=crs, date=day, rules=zone_rules)
            area_id = None if dry_run else save_risk_area(conn, area, declared_at=declared_at)
    finally:
        engine.dispose()
    if output is not None:
        output.write_text(json.dumps(area.to_geojson(), ensure_ascii=False), encoding="utf-8")
    summary = area.summary()
    summary["risk_area_id"] = area_id
    summary["dry_run"] = dry_run
    summary["declared_at"] = None if dry_run else declared_at.isoformat()
    click.echo(json.dumps(summary, ensure_ascii=False))
