"""``battlemap flows overdue [--at DATETIME]``: closed-loop transfer chains past their deadline, as JSON."""

from __future__ import annotations

import datetime as dt
import json

import click

from cli import context
from geo.errors import InvalidParameter
from geo.flows.chains import latest_time, overdue_chains, parse_clock
from geo.vocab import CHINA_TZ


@click.group("flows")
def flows() -> None:
    """Movement flows (动线) and closed-loop transfers (闭环转运)."""


def _at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_clock(value)
    except InvalidParameter as exc:
        raise click.BadParameter(str(exc)) from None


@flows.command("overdue")
@click.option(
    "--at",
    "at",
    callback=_at,
    help="The clock: ISO 8601 or 'YYYY-MM-DD HH:MM' (China time when no zone is given); "
    "default: the latest time in the transfer data.",
)
@click.option(
    "--deadline-hours",
    type=click.FloatRange(min=0, min_open=True),
    help="Hours a leg may take to be handed over (default: BATTLEMAP_FLOWS_DEADLINE_HOURS).",
)
def overdue(at: dt.datetime | None, deadline_hours: float | None) -> None:
    """Print the open chains past their deadline at the clock, most overdue first, as a JSON list.

    Each entry names the chain, the leg it is stuck on (from, to, state, vehicle), when that leg
    was due and by how many hours it is late, and whether the chain has a gap. Nothing personal:
    chain ids, places, counts and times only.
    """
    settings = context.settings()
    hours = deadline_hours if deadline_hours is not None else settings.flows.deadline_hours
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            clock = at or latest_time(conn)
            chains = [] if clock is None else overdue_chains(conn, at=clock, deadline_hours=hours)
    finally:
        engine.dispose()
    click.echo(json.dumps([_local(c.to_json()) for c in chains], ensure_ascii=False, indent=2))


def _local(entry: dict[str, object]) -> dict[str, object]:
    """Times in China time (+08:00), as the operators read them."""
    for key in ("started_at", "due_at"):
        entry[key] = dt.datetime.fromisoformat(str(entry[key])).astimezone(CHINA_TZ).isoformat()
    return entry
