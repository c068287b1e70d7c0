"""``battlemap campaign add|list|board``: vaccination campaigns (疫苗接种) from the command line.

The board prints ``geo.campaign.board.board`` as a table or as JSON (rows with the keys of
``geo.campaign.board.JSON_FIELDS``: a contract). Counts only, never persons.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from cli import context
from etl.campaign_targets import read_targets
from etl.schema import upgrade
from geo.campaign.board import BoardRow, board
from geo.campaign.store import add_campaign, default_day, get_campaign, list_campaigns
from geo.clock import china_today
from geo.vocab import DOSE_CODES

_DATE = click.DateTime(["%Y-%m-%d"])


@click.group("campaign")
def campaign() -> None:
    """Vaccination campaigns (疫苗接种): targets, daily counts and the board.

    The board's words are the field report's: 任务总量 (target), 剩余任务量 (remaining), 日均任务量
    (daily needed).
    """


@campaign.command("add")
@click.argument("name")
@click.option("--deadline", type=_DATE, required=True, help="The last day of the campaign (YYYY-MM-DD).")
@click.option(
    "--targets",
    "targets_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="CSV or XLSX with a unit (code or name) and a target (任务总量) per row.",
)
@click.option("--start", type=_DATE, help="The first day (default: today in China).")
@click.option("--dose", type=click.Choice(DOSE_CODES), default="any", show_default=True, help="The dose.")
@click.option("--source", help="Provenance stored with the campaign (default: the targets file's name).")
def add(
    name: str,
    deadline: dt.datetime,
    targets_path: Path,
    start: dt.datetime | None,
    dose: str,
    source: str | None,
) -> None:
    """Create campaign NAME with its targets, in one transaction (nothing is written on any problem)."""
    engine = context.engine()
    upgrade(engine)
    try:
        with engine.begin() as conn:
            targets = read_targets(conn, targets_path, settings=context.settings().etl)
            created = add_campaign(
                conn,
                name,
                deadline=deadline.date(),
                start=start.date() if start else china_today(),
                targets=targets,
                dose=dose,
                source=source or targets_path.name,
            )
    finally:
        engine.dispose()
    click.echo(
        f"campaign {created.name!r} ({created.dose}) {created.start} to {created.deadline}: "
        f"{len(targets)} unit targets, {sum(t for _, t in targets):,} in all"
    )


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def list_(as_json: bool) -> None:
    """List the campaigns: name, dose, start, deadline, source."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            campaigns = list_campaigns(conn)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([c.to_json() for c in campaigns], ensure_ascii=False, indent=2))
        return
    click.echo(f"{'name':30} {'dose':8} {'start':10} {'deadline':10} source")
    for c in campaigns:
        click.echo(f"{c.name:30} {c.dose:8} {c.start} {c.deadline} {c.source}")


@campaign.command("board")
@click.argument("name")
@click.option(
    "--date", "date_", type=_DATE, help="The day (default: the last reported day, not after today)."
)
@click.option("--unit", help="A sub-district (its row and its committees') or a committee, by code or name.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as a JSON list.")
def board_command(name: str, date_: dt.datetime | None, unit: str | None, as_json: bool) -> None:
    """Print campaign NAME's board: per unit target, organised, booked, vaccinated, remaining, days left,
    daily needed, the 7-day average and whether it is behind (the same figures as the /campaign page)."""
    engine = context.engine(create=False)
    try:
        with engine.connect() as conn:
            found = get_campaign(conn, name)
            day = date_.date() if date_ else default_day(conn, found, china_today())
            rows = board(conn, found, day=day, unit=unit)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=2))
        return
    click.echo(f"{found.name} · {day} · deadline {found.deadline}")
    click.echo(_table(rows))


def _table(rows: list[BoardRow]) -> str:
    head = (
        f"{'unit':16} {'任务总量 target':>15} {'organised':>10} {'booked':>10} {'vaccinated':>10} "
        f"{'剩余 remaining':>14} {'days':>5} {'日均 needed':>11} {'avg_7d':>9}  flag"
    )
    lines = [head]
    for r in rows:
        needed = "-" if r.daily_needed is None else f"{r.daily_needed:,.1f}"
        avg = "?" if r.avg_7d is None else f"{r.avg_7d:,.1f}"
        flag = ("BEHIND " if r.behind else "") + (f"missing {r.missing_units}" if r.missing else "")
        lines.append(
            f"{r.unit:16} {r.target:>15,} {r.organised:>10,} {r.booked:>10,} {r.vaccinated:>10,} "
            f"{r.remaining:>14,} {r.days_left:>5} {needed:>11} {avg:>9}  {flag.strip()}"
        )
    return "\n".join(lines)
