"""The campaign in one call, for the daily brief (日报) and the wall: the campaign a reader means, its
district line, the flagged (behind) units and the units that did not report, on a day and scope.

The figures are ``geo.campaign.board``'s (``board``, ``totals``, ``flagged``, ``missing_units``), so
they equal the /campaign page's for the same campaign, day and scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from geo.campaign.board import BoardRow, board, flagged, missing_units, totals
from geo.campaign.store import Campaign, get_campaign, latest_campaign
from geo.scope import UNRESTRICTED, Scope


@dataclass(frozen=True)
class CampaignSummary:
    """``rows``: the board's rows (sub-districts, or ``unit`` and its committees); ``total``: their
    district line (``unit`` given: that unit's own row); ``flagged``: behind units of every level,
    largest shortfall first; ``missing``: reporting units without a report for ``day``."""

    campaign: Campaign
    day: dt.date
    rows: list[BoardRow]
    total: BoardRow
    flagged: list[BoardRow]
    missing: list[BoardRow]


def campaign_summary(
    conn: Connection,
    *,
    day: dt.date,
    scope: Scope = UNRESTRICTED,
    unit: str | None = None,
    campaign: Campaign | str | int | None = None,
) -> CampaignSummary | None:
    """The summary of ``campaign`` (default: the one with the latest deadline, as the page opens on)
    on ``day``; None when there is no campaign, or ``day`` is before its start.

    ``unit``: a sub-district (code or name): its row, its committees, and the flagged and missing
    among them.
    """
    found = get_campaign(conn, campaign) if campaign is not None else latest_campaign(conn)
    if found is None or day < found.start:
        return None
    rows = board(conn, found, day=day, scope=scope, unit=unit)
    if unit is None:
        total = totals(rows, found, day)
        missing = missing_units(conn, found, day=day, scope=scope)
    else:
        total = rows[0] if rows else totals([], found, day)
        codes = {r.code for r in rows}
        missing = [r for r in missing_units(conn, found, day=day, scope=scope) if r.code in codes]
    behind = flagged(conn, found, day=day, scope=scope, unit=unit)
    return CampaignSummary(found, day, rows, total, behind, missing)
