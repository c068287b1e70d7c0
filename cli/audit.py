"""``battlemap audit --since WHEN``: read the audit log (sign-ins, exports, views of personal data...)."""

from __future__ import annotations

import datetime as dt
import json
import re

import click

from cli import context
from etl.schema import upgrade
from geo.audit import ACTIONS, read_audit

_RELATIVE = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _when(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """An ISO date or date-time (local time unless it names a zone), or an age such as 30m, 12h, 7d."""
    if value is None:
        return None
    value = value.strip()
    relative = _RELATIVE.match(value)
    if relative:
        delta = dt.timedelta(**{_UNITS[relative[2]]: int(relative[1])})
        return dt.datetime.now(dt.UTC) - delta
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither a date (2022-04-06), a date-time (2022-04-06T08:00) nor an age (12h, 7d)"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()


@click.command("audit")
@click.option("--since", required=True, callback=_when, help="From: 2022-04-06, 2022-04-06T08:00, 12h or 7d.")
@click.option("--until", callback=_when, help="Before: same forms as --since.")
@click.option("--user", help="Only this user (``cli:<login>`` for the command line).")
@click.option("--action", type=click.Choice(ACTIONS), help="Only this action.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit(
    since: dt.datetime, until: dt.datetime | None, user: str | None, action: str | None, as_json: bool
) -> None:
    """List audited actions since WHEN, oldest first: time, user, role, action, target, address, detail."""
    engine = context.engine()
    upgrade(engine)
    with engine.connect() as conn:
        rows = read_audit(conn, since=since, until=until, user=user, action=action)
    for row in rows:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "at": row.at.isoformat(),
                        "user": row.user_name,
                        "role": row.role,
                        "action": row.action,
                        "target": row.target,
                        "ip": row.ip,
                        "detail": row.detail,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        detail = json.dumps(row.detail, ensure_ascii=False) if row.detail else ""
        at = row.at.astimezone().strftime("%Y-%m-%d %H:%M:%S%z")
        click.echo(
            f"{at}  {row.user_name or '-':16} {row.role or '-':10} {row.action:14} "
            f"{row.target or '-':24} {row.ip or '-':15} {detail}"
        )
    if not as_json:
        click.echo(f"{len(rows)} entries")
