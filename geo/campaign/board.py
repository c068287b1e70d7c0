"""THE board rule of a vaccination campaign on a day (挂图作战): per unit the task total (任务总量),
the funnel to date, what remains (剩余任务量), the daily number needed (日均任务量), the last 7 days'
average, and whether the unit is behind; committees rolled up into their sub-district.

Every reader (the /campaign page, the wall, ``battlemap campaign board``, the daily brief, the public
page) calls :func:`board` or :func:`flagged`; nothing else computes these figures.

Definitions, for a unit, campaign and day D (the board as at the end of D):

- ``organised``, ``booked``, ``vaccinated``: the sums of the unit's current daily reports from the
  start to D (``geo.campaign.store.CURRENT_REPORTS``: a corrected day counts once, as corrected; read
  as the running totals of its last reported day up to D).
- ``remaining`` = max(target - vaccinated, 0); ``remaining_share`` = remaining / target.
- ``days_left`` = the days after D up to and including the deadline (0 on and after it).
- ``daily_needed`` = remaining / days_left (None when no day is left).
- ``avg_7d``: the average of the new vaccinated over the days *reported* among the 7 days D-6..D
  (and not before the start). **A missing day is never a zero**: it is left out of the sum and of
  the count alike, so the average is the rate on the days we know; with no report in the window
  ``avg_7d`` is None (unknown), never 0. ``reported_7d`` says how many days it rests on.
- ``behind``: avg_7d < daily_needed; after the deadline: anything remaining; None when avg_7d is
  unknown (the unit is then shown as missing, not as on track or behind).
- ``missing``: no report for D itself (a late file may still come).

A sub-district with committee targets is their roll-up: target and counts are the sums; its
``avg_7d`` is the sum of its committees' averages, unknown (None) when any committee's is (a
committee that has not reported for a week is not assumed to vaccinate nobody); ``missing`` when any
committee has no report for D, ``missing_units`` how many.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, text

from geo.campaign.store import CURRENT_REPORTS, Campaign, get_campaign
from geo.campaign.units import unit_by_ref
from geo.scope import UNRESTRICTED, Scope

WINDOW_DAYS = 7

JSON_FIELDS: tuple[str, ...] = (
    "unit",
    "code",
    "level",
    "parent",
    "target",
    "organised",
    "booked",
    "vaccinated",
    "remaining",
    "remaining_share",
    "days_left",
    "daily_needed",
    "avg_7d",
    "reported_7d",
    "behind",
    "missing",
    "missing_units",
    "units",
)
"""The keys of :meth:`BoardRow.to_json`, in order: a contract of ``battlemap campaign board --json``."""


@dataclass(frozen=True)
class BoardRow:
    """One unit's line of the board; ``unit`` is its name, ``code`` its code, ``parent`` the code of
    the sub-district a committee belongs to, ``units`` how many reporting units it sums (1 for one)."""

    unit_id: int
    unit: str
    code: str
    level: str
    parent: str | None
    target: int
    organised: int
    booked: int
    vaccinated: int
    remaining: int
    remaining_share: float | None
    days_left: int
    daily_needed: float | None
    avg_7d: float | None
    reported_7d: int
    behind: bool | None
    missing: bool
    missing_units: int
    units: int

    @property
    def progress(self) -> float | None:
        """vaccinated / target (None for a zero target)."""
        return self.vaccinated / self.target if self.target else None

    def to_json(self) -> dict[str, object]:
        row = asdict(self)
        return {k: (round(row[k], 3) if isinstance(row[k], float) else row[k]) for k in JSON_FIELDS}


@dataclass(frozen=True)
class _Leaf:
    unit_id: int
    unit: str
    code: str
    level: str
    parent_id: int | None
    target: int
    organised: int
    booked: int
    vaccinated: int
    window_sum: int
    reported_7d: int
    reported_today: bool


# Per unit with a target: its running totals on its last reported day up to :day, and the new
# vaccinated of the days reported in the window (one index probe each: a board reads ~8 rows a unit).
_LEAVES = f"""
    SELECT u.id, u.name, u.code, u.level, u.parent_id, t.target,
           coalesce(last.cum_organised, 0) AS organised, coalesce(last.cum_booked, 0) AS booked,
           coalesce(last.cum_vaccinated, 0) AS vaccinated, coalesce(w.window_sum, 0) AS window_sum,
           coalesce(w.reported_7d, 0) AS reported_7d, coalesce(w.reported_today, false) AS reported_today
    FROM campaign_targets t JOIN admin_units u ON u.id = t.unit_id
    LEFT JOIN LATERAL (
        SELECT c.cum_organised, c.cum_booked, c.cum_vaccinated FROM ({CURRENT_REPORTS}) c
        WHERE c.unit_id = t.unit_id ORDER BY c.day DESC LIMIT 1) last ON true
    LEFT JOIN LATERAL (
        SELECT sum(c.vaccinated)::bigint AS window_sum, count(*) AS reported_7d,
               bool_or(c.day = :day) AS reported_today
        FROM ({CURRENT_REPORTS}) c
        WHERE c.unit_id = t.unit_id AND c.day > CAST(:day AS date) - {WINDOW_DAYS}) w ON true
    WHERE t.campaign_id = :campaign"""


def _leaves(conn: Connection, campaign: Campaign, day: dt.date) -> list[_Leaf]:
    rows = conn.execute(text(_LEAVES), {"campaign": campaign.id, "day": day}).all()
    return [
        _Leaf(int(r.id), r.name, r.code, r.level, r.parent_id, int(r.target), int(r.organised),
              int(r.booked), int(r.vaccinated), int(r.window_sum), int(r.reported_7d), bool(r.reported_today))
        for r in rows
    ]  # fmt: skip


def _parents(conn: Connection, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    if not ids:
        return {}
    rows = conn.execute(
        text("SELECT id, name, code, level FROM admin_units WHERE id = ANY(CAST(:ids AS integer[]))"),
        {"ids": sorted(ids)},
    ).all()
    return {int(r.id): (r.name, r.code, r.level) for r in rows}


def _visible(conn: Connection, scope: Scope, ids: set[int]) -> set[int]:
    if not scope.restricted or not ids:
        return ids
    rows = conn.execute(
        text(
            f"SELECT u.id FROM admin_units u WHERE u.id = ANY(CAST(:ids AS integer[])) AND {scope.units('u')}"
        ),
        {"ids": sorted(ids)} | scope.params,
    ).scalars()
    return {int(i) for i in rows}


def _days_left(campaign: Campaign, day: dt.date) -> int:
    return max((campaign.deadline - day).days, 0)


def _row(
    *,
    unit_id: int,
    unit: str,
    code: str,
    level: str,
    parent: str | None,
    target: int,
    organised: int,
    booked: int,
    vaccinated: int,
    avg_7d: float | None,
    reported_7d: int,
    missing_units: int,
    units: int,
    days_left: int,
) -> BoardRow:
    remaining = max(target - vaccinated, 0)
    daily_needed = remaining / days_left if days_left > 0 else None
    if days_left <= 0:
        behind: bool | None = remaining > 0
    elif remaining == 0:
        behind = False
    elif avg_7d is None or daily_needed is None:
        behind = None
    else:
        behind = avg_7d < daily_needed
    return BoardRow(
        unit_id=unit_id, unit=unit, code=code, level=level, parent=parent, target=target,
        organised=organised, booked=booked, vaccinated=vaccinated, remaining=remaining,
        remaining_share=remaining / target if target else None, days_left=days_left,
        daily_needed=daily_needed, avg_7d=avg_7d, reported_7d=reported_7d, behind=behind,
        missing=missing_units > 0, missing_units=missing_units, units=units,
    )  # fmt: skip


def _sum_known(values: list[float | None]) -> float | None:
    """The sum of ``values``, unknown (None) when any is: a unit without a pace is not a zero pace."""
    known = [v for v in values if v is not None]
    return None if len(known) < len(values) else sum(known)


def _all_rows(conn: Connection, campaign: Campaign, day: dt.date, scope: Scope) -> list[BoardRow]:
    """Every leaf row, and one roll-up row per sub-district of committees, in the scope."""
    leaves = _leaves(conn, campaign, day)
    visible = _visible(conn, scope, {leaf.unit_id for leaf in leaves})
    leaves = [leaf for leaf in leaves if leaf.unit_id in visible]
    days_left = _days_left(campaign, day)
    parent_ids = {leaf.parent_id for leaf in leaves if leaf.level == "committee" and leaf.parent_id}
    parents = _parents(conn, parent_ids)
    rows: list[BoardRow] = []
    groups: dict[int, list[BoardRow]] = {}
    for leaf in leaves:
        avg = leaf.window_sum / leaf.reported_7d if leaf.reported_7d else None
        parent = (
            parents[leaf.parent_id][1] if leaf.level == "committee" and leaf.parent_id in parents else None
        )
        row = _row(
            unit_id=leaf.unit_id, unit=leaf.unit, code=leaf.code, level=leaf.level, parent=parent,
            target=leaf.target, organised=leaf.organised, booked=leaf.booked, vaccinated=leaf.vaccinated,
            avg_7d=avg, reported_7d=leaf.reported_7d, missing_units=0 if leaf.reported_today else 1,
            units=1, days_left=days_left,
        )  # fmt: skip
        rows.append(row)
        if parent is not None and leaf.parent_id is not None:
            groups.setdefault(leaf.parent_id, []).append(row)
    for parent_id, members in groups.items():
        name, code, level = parents[parent_id]
        averages = [m.avg_7d for m in members]
        rows.append(
            _row(
                unit_id=parent_id, unit=name, code=code, level=level, parent=None,
                target=sum(m.target for m in members), organised=sum(m.organised for m in members),
                booked=sum(m.booked for m in members), vaccinated=sum(m.vaccinated for m in members),
                avg_7d=_sum_known(averages),
                reported_7d=min(m.reported_7d for m in members),
                missing_units=sum(m.missing_units for m in members), units=len(members), days_left=days_left,
            )
        )  # fmt: skip
    # A sub-district target given beside its committees' (equal by the store's rule) is the roll-up.
    rolled = set(groups)
    return sorted((r for r in rows if not (r.unit_id in rolled and r.units == 1)), key=lambda r: r.code)


def board(
    conn: Connection,
    campaign: Campaign | str | int,
    *,
    day: dt.date,
    scope: Scope = UNRESTRICTED,
    unit: str | None = None,
) -> list[BoardRow]:
    """The board of ``campaign`` as at the end of ``day``, within ``scope``.

    Parameters
    ----------
    unit
        None: one row per sub-district (committees rolled up), by code. A sub-district's code or
        name: its row followed by its committees' rows. A committee's: its row only.

    Raises
    ------
    NotFound
        for an unknown campaign or unit (with the nearest unit names).
    """
    campaign = get_campaign(conn, campaign)
    rows = _all_rows(conn, campaign, day, scope)
    if unit is None:
        return [r for r in rows if r.parent is None]
    found = unit_by_ref(conn, unit)
    own = [r for r in rows if r.unit_id == found.id]
    return own + [r for r in rows if r.parent == found.code]


def all_rows(
    conn: Connection, campaign: Campaign | str | int, *, day: dt.date, scope: Scope = UNRESTRICTED
) -> list[BoardRow]:
    """Every row of the board: sub-districts and the committees under them, by code."""
    return _all_rows(conn, get_campaign(conn, campaign), day, scope)


def flagged(
    conn: Connection,
    campaign: Campaign | str | int,
    *,
    day: dt.date,
    scope: Scope = UNRESTRICTED,
    unit: str | None = None,
    levels: tuple[str, ...] = ("subdistrict", "committee"),
) -> list[BoardRow]:
    """The units that will miss the deadline at their pace (``behind`` True), largest shortfall
    (daily_needed - avg_7d) first: what the daily brief and the wall list as flagged.

    ``unit`` (a sub-district) keeps to it and its committees; ``levels`` which rows count.
    """
    campaign = get_campaign(conn, campaign)
    if unit is None:
        rows = _all_rows(conn, campaign, day, scope)
    else:
        rows = board(conn, campaign, day=day, scope=scope, unit=unit)
    behind = [r for r in rows if r.behind and r.level in levels]
    return sorted(behind, key=lambda r: (-shortfall(r), r.code))


def shortfall(row: BoardRow) -> float:
    """How many a day the unit falls short: daily_needed - avg_7d (after the deadline: what remains)."""
    if row.daily_needed is None:
        return float(row.remaining)
    return row.daily_needed - (row.avg_7d or 0.0)


def missing_units(
    conn: Connection, campaign: Campaign | str | int, *, day: dt.date, scope: Scope = UNRESTRICTED
) -> list[BoardRow]:
    """The reporting units (no roll-ups) with no report for ``day``, by code."""
    rows = _all_rows(conn, get_campaign(conn, campaign), day, scope)
    return [r for r in rows if r.units == 1 and r.missing]


@dataclass(frozen=True)
class Ranked:
    rank: int
    row: BoardRow


def ranking(rows: list[BoardRow]) -> list[Ranked]:
    """Rows ranked by progress (vaccinated / target), best first; ties share a rank."""
    ordered = sorted(rows, key=lambda r: (-(r.progress or 0.0), r.code))
    ranked: list[Ranked] = []
    for i, row in enumerate(ordered):
        same = ranked and (ranked[-1].row.progress or 0.0) == (row.progress or 0.0)
        ranked.append(Ranked(ranked[-1].rank if same else i + 1, row))
    return ranked


def totals(rows: list[BoardRow], campaign: Campaign, day: dt.date) -> BoardRow:
    """The district line: the sum of ``rows`` (sub-districts) by the same rule as a roll-up."""
    averages = [r.avg_7d for r in rows]
    return _row(
        unit_id=0, unit="合计 Total", code="", level="district", parent=None,
        target=sum(r.target for r in rows), organised=sum(r.organised for r in rows),
        booked=sum(r.booked for r in rows), vaccinated=sum(r.vaccinated for r in rows),
        avg_7d=_sum_known(averages) if rows else None,
        reported_7d=min((r.reported_7d for r in rows), default=0),
        missing_units=sum(r.missing_units for r in rows), units=sum(r.units for r in rows),
        days_left=_days_left(campaign, day),
    )  # fmt: skip
