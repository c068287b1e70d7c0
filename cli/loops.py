"""``battlemap loops list|overdue|escalate``: closed-loop work items (闭环管理) from the command line.

Ids, kinds, grids, steps, person codes and times only: nothing personal. Times print in China time.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from cli import context
from etl.schema import upgrade
from geo.audit import cli_actor
from geo.errors import InvalidParameter
from geo.flows.chains import parse_clock
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.kinds import default_kinds
from geo.loops.views import ItemView
from geo.vocab import CHINA_TZ

STATES = ("open", "overdue", "closed")


def _actor() -> LoopActor:
    return LoopActor(role="cli", audit=cli_actor())


def _at(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_clock(value)
    except InvalidParameter as exc:
        raise click.BadParameter(str(exc)) from None


def _kind(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value not in default_kinds():
        raise click.BadParameter(
            f"{value!r} is not a loop kind: expected one of {', '.join(sorted(default_kinds()))}"
        )
    return value


AT_HELP = "The clock: ISO 8601 or 'YYYY-MM-DD HH:MM' (China time when no zone is given); default: now."


@click.group("loops")
def loops_group() -> None:
    """Closed-loop work: home isolation, inspections, problem reports (闭环管理)."""


def _local(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def _echo(items: list[ItemView], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'id':>7} {'kind':15} {'grid':16} {'state':8} {'step':22} {'due':16} assignee")
    for i in items:
        state = "overdue" if i.overdue else i.state
        due = min((d for d in (i.due_at, i.daily_due_at) if d is not None), default=None)
        who = f"{i.assignee_code or '(gap)'} ({i.assignee_level})" if i.state == "open" else "-"
        click.echo(
            f"{i.id:>7} {i.kind:15} {i.grid or '-':16} {state:8} {i.step or '-':22} {_local(due):16} {who}"
        )
    click.echo(f"{len(items)} items")


@loops_group.command("list")
@click.option(
    "--kind", callback=_kind, help="Only this loop kind (home_isolation, inspection, problem_report)."
)
@click.option(
    "--state", type=click.Choice(STATES), help="open, overdue (open and past a deadline) or closed."
)
@click.option("--grid", help="Only items in this grid (code).")
@click.option("--at", "at", callback=_at, help=AT_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_(
    kind: str | None, state: str | None, grid: str | None, at: dt.datetime | None, limit: int, as_json: bool
) -> None:
    """Loop items, overdue first, then by their next deadline."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            items = loops.list_items(conn, _actor(), kind=kind, state=state, grid=grid, at=at, limit=limit)
    finally:
        engine.dispose()
    _echo(items, as_json)


@loops_group.command("overdue")
@click.option("--at", "at", callback=_at, help=AT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def overdue(at: dt.datetime | None, as_json: bool) -> None:
    """Open items past a deadline at the clock, longest overdue first."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            items = loops.list_items(conn, _actor(), state="overdue", at=at, limit=100_000)
    finally:
        engine.dispose()
    _echo(items, as_json)


@loops_group.command("escalate")
@click.option("--at", "at", callback=_at, help=AT_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the escalated items as a JSON list.")
def escalate(at: dt.datetime | None, as_json: bool) -> None:
    """Escalate every overdue item one rung up the responsibility chain (audited; run it from cron)."""
    engine = context.engine()
    upgrade(engine)
    try:
        with engine.begin() as conn:
            items = loops.escalate_overdue(conn, _actor(), at=at)
    finally:
        engine.dispose()
    _echo(items, as_json)
