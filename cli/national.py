"""``battlemap national refresh|publish|subscribe|unsubscribe|status``: the national roll-up.

A city refreshes its per-day counts per sub-district (``refresh``, once with the whole history, then
periodically: ``--every``) and publishes them (``publish``, once); the national database subscribes
to each city (``subscribe CITY URL``) and serves ``/national``. Counts only: nothing here names a
person or a building.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import click

from cli import context
from geo.clock import china_today
from geo.rollup import replication
from geo.rollup.compute import refresh as refresh_rollup
from geo.rollup.read import cities


@click.group()
def national() -> None:
    """The national roll-up: per-day counts per sub-district, published and subscribed by replication."""


@national.command("refresh")
@click.option("--city", help="This city's code (default: BATTLEMAP_ROLLUP_CITY_CODE).")
@click.option("--name", help="This city's name (default: BATTLEMAP_ROLLUP_CITY_NAME).")
@click.option(
    "--today-only", is_flag=True, help="Only today's figures (a periodic refresh); default: all days."
)
@click.option(
    "--every",
    type=click.FloatRange(min=5),
    help="Keep refreshing today's figures every SECONDS (Ctrl+C stops).",
)
def refresh(city: str | None, name: str | None, today_only: bool, every: float | None) -> None:
    """Recompute this city's roll-up (counts per sub-district and day) from its loaded data."""
    settings = context.settings().rollup
    city, name = city or settings.city_code, name or settings.city_name
    engine = context.engine()
    try:
        days = [china_today()] if today_only else None
        while True:
            with engine.begin() as conn:
                done = refresh_rollup(conn, city=city, name=name, days=days)
            click.echo(
                f"{city}: {done.units} sub-districts, {done.days} days, {done.rows_changed} rows changed"
            )
            if every is None:
                return
            days = [china_today()]
            time.sleep(every)
    finally:
        engine.dispose()


@national.command("publish")
def publish() -> None:
    """Publish this city's roll-up tables for logical replication (once; needs wal_level=logical)."""
    engine = context.engine()
    try:
        with engine.begin() as conn:
            made = replication.publish(conn)
    finally:
        engine.dispose()
    click.echo(f"publication {replication.PUBLICATION} " + ("created" if made else "exists already"))


@national.command("subscribe")
@click.argument("city")
@click.argument("url")
def subscribe(city: str, url: str) -> None:
    """Subscribe this (national) database to CITY's roll-up at URL (its primary, a PostgreSQL URL)."""
    engine = context.engine()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            replication.subscribe(conn, city, url)
    finally:
        engine.dispose()
    click.echo(f"subscribed to {city}: its figures arrive here as they change")


@national.command("unsubscribe")
@click.argument("city")
def unsubscribe(city: str) -> None:
    """Drop the subscription to CITY (its rows stay)."""
    engine = context.engine()
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            replication.unsubscribe(conn, city)
    finally:
        engine.dispose()
    click.echo(f"unsubscribed from {city}")


@national.command("status")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The day (default: today in China).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per city.")
def status(day: dt.datetime | None, as_json: bool) -> None:
    """Each city here: its latest figures, last refresh, and whether it is stale."""
    settings = context.settings()
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            found = cities(
                conn, day=day.date() if day else china_today(), stale_after_s=settings.rollup.stale_after_s
            )
    finally:
        engine.dispose()
    for c in found:
        row = {
            "city": c.code,
            "name": c.name,
            "day": c.day.isoformat() if c.day else None,
            "refreshed_at": c.refreshed_at.isoformat(),
            "units": c.units,
            "households": c.households,
            "not_normal": c.not_normal,
            "cases": c.cases,
            "risk_areas": c.risk_areas,
            "loops_open": c.loops_open,
            "loops_overdue": c.loops_overdue,
            "connected": c.connected,
            "stale": c.stale,
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(" ".join(f"{k}={v}" for k, v in row.items()))
