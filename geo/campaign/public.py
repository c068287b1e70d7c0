"""The public campaign figures: sub-district totals of the board (counts, never persons), small counts
suppressed.

The figures are the board's own sub-district rows (``geo.campaign.board.board``). When any count of a
row is below ``geo.public.MIN_COUNT`` (zero included: 0 cannot be told from 3), or between 1 and
``MIN_COUNT - 1`` people remain (the few unvaccinated of a tiny unit), the whole row is shown as
``"<5"``: its counts are tied (remaining = target - vaccinated, vaccinated <= booked <= organised in
the usual case), so hiding one cell alone would be undone by subtraction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection

from geo.campaign.board import board
from geo.campaign.store import Campaign
from geo.public import MIN_COUNT, SUPPRESSED, Cell

PUBLIC_MEASURES: tuple[str, ...] = ("target", "organised", "booked", "vaccinated", "remaining")


@dataclass(frozen=True)
class PublicCampaignRow:
    subdistrict: str
    counts: dict[str, Cell]


def public_campaign(conn: Connection, campaign: Campaign, *, day: dt.date) -> list[PublicCampaignRow]:
    """One row per sub-district (by code) with the cells of ``PUBLIC_MEASURES``, small ones hidden."""
    out: list[PublicCampaignRow] = []
    for row in board(conn, campaign, day=day):
        values = {m: int(getattr(row, m)) for m in PUBLIC_MEASURES}
        hidden: set[str] = set()
        # A few left unvaccinated in a unit could be singled out; none left (all done) cannot.
        small_remaining = 0 < values["remaining"] < MIN_COUNT
        if small_remaining or min(values[m] for m in PUBLIC_MEASURES if m != "remaining") < MIN_COUNT:
            hidden = set(PUBLIC_MEASURES)
        counts: dict[str, Cell] = {m: SUPPRESSED if m in hidden else v for m, v in values.items()}
        out.append(PublicCampaignRow(row.unit, counts))
    return out
