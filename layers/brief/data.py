"""What a daily brief (日报) says, gathered in one call (``gather_brief``) into one typed object.

Every figure comes from the function the pages and the API call for the same day and area, never
from a rule stated again: households by status and the change since the day before from
``geo.status.kpis.kpis`` (the house-status map's KPI strip), risk areas with their SOP clocks from
``geo.risk.store.zones_geojson`` (``GET /api/risk/areas``), closed-loop work from
``geo.loops.engine.counts`` / ``list_items`` (``GET /api/v1/loops/counts`` and ``?state=overdue``),
transfers from ``geo.flows.chains.flow_kpis`` / ``overdue_chains`` (the flow map's strip and list).
Tests compare this object with those functions and routes, and with the PDF's text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection

from geo.audit import Actor
from geo.brief import BriefUnit, OverviewMap, building_labels, overview_map, resolve_unit
from geo.campaign.summary import CampaignSummary, campaign_summary
from geo.clock import china_now
from geo.contacts import building_contacts
from geo.errors import InvalidParameter
from geo.flows.chains import FlowKpis, OverdueChain, flow_kpis, overdue_chains
from geo.loops.engine import LoopActor, counts, list_items
from geo.loops.kinds import default_kinds
from geo.risk.rules import default_sop
from geo.risk.store import zones_geojson
from geo.scope import UNRESTRICTED, Scope
from geo.settings import FlowSettings
from geo.status.kpis import Kpis, kpis
from geo.status.read import status_known_on
from geo.vocab import CHINA_TZ

LIST_LIMIT = 12
"""Rows a brief lists of overdue loop items and of overdue transfer chains (the rest are counted)."""

EARLIEST = dt.date(2000, 1, 1)
PUBLISHED = "published"


@dataclass(frozen=True)
class Headline:
    """One headline figure: today's value and, where the pages give one, the day before's."""

    code: str
    zh: str
    value: int
    previous: int | None = None
    measure: str = "户"

    @property
    def change(self) -> int | None:
        return None if self.previous is None else self.value - self.previous


@dataclass(frozen=True)
class RiskAreaLine:
    """A risk area active on the day, with its SOP clock at the day's end (``/api/risk/areas``)."""

    id: int
    name: str
    level: str
    source: str
    state: str
    change: str
    """``new`` (declared that day), ``lifted`` (lifted that day) or ``ongoing``."""
    declared_at: dt.datetime
    lifted_at: dt.datetime | None
    days_to_lift: int
    due: tuple[str, ...]
    overdue: tuple[str, ...]
    households: int
    """Households of its zones (declared areas; their part in the brief's area)."""


@dataclass(frozen=True)
class RiskSummary:
    areas: tuple[RiskAreaLine, ...]
    previous_active: int
    """Areas active on the day before (the change of the headline)."""
    zones: tuple[tuple[str, BaseGeometry], ...] = ()
    """(zone, WGS84 geometry) of the declared areas' zones and (``published``, its polygon or point)
    of published areas matched to the map, for the overview map."""

    @property
    def active(self) -> int:
        return sum(1 for a in self.areas if a.state != "lifted")

    @property
    def new(self) -> tuple[RiskAreaLine, ...]:
        return tuple(a for a in self.areas if a.change == "new")

    @property
    def lifted(self) -> tuple[RiskAreaLine, ...]:
        return tuple(a for a in self.areas if a.change == "lifted")


@dataclass(frozen=True)
class LoopKindLine:
    kind: str
    zh: str
    open: int
    overdue: int
    closed_today: int


@dataclass(frozen=True)
class OverdueLoop:
    """An overdue loop item as the brief lists it: where, what is late, who answers (masked unless
    internal)."""

    id: int
    kind_zh: str
    step_zh: str
    grid: str | None
    place: str
    assignee_code: str | None
    assignee_level: str | None
    due_at: dt.datetime
    hours_over: float
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class LoopSummary:
    at: dt.datetime
    kinds: tuple[LoopKindLine, ...]
    overdue: tuple[OverdueLoop, ...]
    """The first ``LIST_LIMIT`` overdue items, most urgent first (as the API lists them)."""

    @property
    def overdue_total(self) -> int:
        return sum(k.overdue for k in self.kinds)

    @property
    def open_total(self) -> int:
        return sum(k.open for k in self.kinds)

    @property
    def closed_today_total(self) -> int:
        return sum(k.closed_today for k in self.kinds)


@dataclass(frozen=True)
class TransferSummary:
    at: dt.datetime
    window_hours: float
    deadline_hours: float
    kpis: FlowKpis
    overdue: tuple[OverdueChain, ...]
    """The first ``LIST_LIMIT`` overdue chains, most late first."""


@dataclass(frozen=True)
class Brief:
    """Everything one brief prints, for one day and one area."""

    date: dt.date
    printed_at: dt.datetime
    title: str
    unit: BriefUnit | None
    scope: Scope
    internal: bool
    status_known: bool
    status: Kpis
    previous: Kpis
    risk: RiskSummary
    loops: LoopSummary
    transfers: TransferSummary
    overview: OverviewMap
    campaign: CampaignSummary | None = None
    """The vaccination board of the day (its flagged units), when a campaign runs then."""

    @property
    def headlines(self) -> tuple[Headline, ...]:
        s, p = self.status.households, self.previous.households
        return (
            *(
                Headline(code, zh, s[code], p[code])
                for code, zh in (
                    ("confirmed", "确诊"),
                    ("asymptomatic", "无症状感染者"),
                    ("close_contact", "密接"),
                    ("secondary_contact", "次密接"),
                    ("sealed", "封控户"),
                    ("home_isolation", "居家隔离"),
                )
            ),
            Headline(
                "buildings_with_cases",
                "涉阳楼栋",
                self.status.buildings_with_cases,
                self.previous.buildings_with_cases,
                "栋",
            ),
            Headline("risk_areas", "生效风险区域", self.risk.active, self.risk.previous_active, "个"),
            Headline("loops_overdue", "超时闭环事项", self.loops.overdue_total, None, "件"),
            Headline("transfers_overdue", "超时转运链", self.transfers.kpis.overdue_chains, None, "条"),
        )


def gather_brief(
    conn: Connection,
    *,
    date: dt.date,
    unit: str | None = None,
    scope: Scope = UNRESTRICTED,
    internal: bool = False,
    role: str = "cli",
    actor: Actor | None = None,
    flows: FlowSettings | None = None,
    now: dt.datetime | None = None,
) -> Brief:
    """Read everything the brief of ``unit`` (a district or sub-district; None: all of ``scope``) on
    ``date`` prints.

    Parameters
    ----------
    scope
        the reader's area: an operator's brief is of their area only (``geo.scope``).
    internal
        contacts of who answers for overdue items unmasked; masked (``张*``, ``139****0427``) otherwise.
    role, actor
        who reads (closed-loop items are read with their role and area).
    flows
        the transfer deadline and window (``FlowSettings``), as the flow map uses them.
    now
        the printing moment (default: ``geo.clock.china_now``). Closed-loop items are as of now (their
        state is the current one); transfers as of the end of ``date`` (now, for today).

    Raises
    ------
    InvalidParameter
        for a date in the future or before 2000.
    NotFound
        for an unknown unit, or one outside ``scope``.
    """
    now = (now or china_now()).astimezone(CHINA_TZ)
    today = now.date()
    if date > today:
        raise InvalidParameter(
            f"date was {date.isoformat()} but is in the future: today is {today.isoformat()}"
        )
    if date < EARLIEST:
        raise InvalidParameter(
            f"date was {date.isoformat()} but is expected on or after {EARLIEST.isoformat()}"
        )
    flows = flows or FlowSettings(_env_file=None)
    found: BriefUnit | None = None
    area = scope
    if unit is not None:
        found, area = resolve_unit(conn, unit, scope=scope)
    day_end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0, 0), CHINA_TZ) - dt.timedelta(
        seconds=1
    )
    clock = min(now, day_end)
    return Brief(
        date=date,
        printed_at=now,
        title=found.name if found else ("本辖区" if scope.restricted else "全部辖区"),
        unit=found,
        scope=area,
        internal=internal,
        status_known=status_known_on(conn, date),
        status=kpis(conn, date=date, scope=area),
        previous=kpis(conn, date=date - dt.timedelta(days=1), scope=area),
        risk=_risk(conn, date, area),
        loops=_loops(conn, area, now, internal=internal, role=role, actor=actor),
        transfers=_transfers(conn, area, clock, flows),
        overview=overview_map(conn, date=date, scope=area, unit=found),
        campaign=campaign_summary(
            conn, day=date, scope=area, unit=found.code if found and found.level == "subdistrict" else None
        ),
    )


def _risk(conn: Connection, date: dt.date, scope: Scope) -> RiskSummary:
    today = zones_geojson(conn, on=date, scope=scope)
    before = zones_geojson(conn, on=date - dt.timedelta(days=1), scope=scope)
    areas: dict[int, dict] = {}
    households: dict[int, int] = {}
    zones = []
    for feature in today["features"]:
        props = feature["properties"]
        if feature["geometry"] is not None:  # a published area matched to the map: drawn as sealed
            zones.append((str(props.get("zone") or PUBLISHED), shape(feature["geometry"])))
        areas.setdefault(props["risk_area_id"], props)
        households[props["risk_area_id"]] = households.get(props["risk_area_id"], 0) + int(
            (props.get("counts") or {}).get("households", 0)
        )
    lines = []
    for area_id, props in areas.items():
        sop = props["sop"]
        declared = dt.datetime.fromisoformat(sop["declared_at"])
        lifted = dt.datetime.fromisoformat(sop["lifted_at"]) if sop["lifted_at"] else None
        change = (
            "lifted"
            if lifted is not None and lifted.date() == date
            else "new"
            if declared.date() == date
            else "ongoing"
        )
        lines.append(
            RiskAreaLine(
                id=int(area_id),
                name=str(props["name"]),
                level=str(props["level"]),
                source=str(props["source"]),
                state=sop["state"],
                change=change,
                declared_at=declared,
                lifted_at=lifted,
                days_to_lift=int(sop["days_to_lift"]),
                due=tuple(sop["due"]),
                overdue=tuple(sop["overdue"]),
                households=households.get(area_id, 0),
            )
        )
    order = {"new": 0, "lifted": 1, "ongoing": 2}
    lines.sort(key=lambda a: (order[a.change], -len(a.overdue), a.declared_at, a.id))
    previous = {
        f["properties"]["risk_area_id"]
        for f in before["features"]
        if f["properties"]["sop"]["state"] != "lifted"
    }
    return RiskSummary(tuple(lines), len(previous), tuple(zones))


def step_names() -> dict[str, str]:
    """The Chinese name of each SOP step code (``geo.risk.rules``)."""
    return {s.code: s.zh for s in default_sop().steps}


def _loops(
    conn: Connection, scope: Scope, at: dt.datetime, *, internal: bool, role: str, actor: Actor | None
) -> LoopSummary:
    kinds = default_kinds()
    per_kind: dict[str, list[int]] = {}
    for c in counts(conn, scope, at=at):
        totals = per_kind.setdefault(c.kind, [0, 0, 0])
        totals[0] += c.open
        totals[1] += c.overdue
        totals[2] += c.closed_today
    lines = tuple(
        LoopKindLine(code, kinds[code].zh if code in kinds else code, *per_kind.get(code, [0, 0, 0]))
        for code in (*kinds, *sorted(set(per_kind) - set(kinds)))
    )
    reader = LoopActor(role=role, audit=actor or Actor(name="brief", role=role), scope=scope)
    items = list_items(conn, reader, state="overdue", at=at, limit=LIST_LIMIT)
    places = building_labels(conn, [i.building_id for i in items])
    listed = []
    for item in items:
        kind = kinds.get(item.kind)
        step_zh = item.step or ""
        if kind is not None and item.step in kind.step_codes:
            step_zh = kind.step(item.step).zh
        deadlines = [d for d in (item.due_at, item.daily_due_at) if d is not None]
        due = min(deadlines) if deadlines else at
        name = phone = None
        if item.assignee_code is not None:
            contacts = building_contacts(
                conn, item.building_id, personal="full" if internal else "masked", scope=scope
            )
            mine = next((c for c in contacts if c.code == item.assignee_code), None)
            if mine is not None:
                name, phone = mine.name, mine.phone
        listed.append(
            OverdueLoop(
                id=item.id,
                kind_zh=kind.zh if kind else item.kind,
                step_zh=step_zh,
                grid=item.grid,
                place=places.get(item.building_id, f"#{item.building_id}"),
                assignee_code=item.assignee_code,
                assignee_level=item.assignee_level,
                due_at=due,
                hours_over=(at - due).total_seconds() / 3600,
                contact_name=name,
                contact_phone=phone,
            )
        )
    return LoopSummary(at, lines, tuple(listed))


def _transfers(conn: Connection, scope: Scope, at: dt.datetime, flows: FlowSettings) -> TransferSummary:
    figures = flow_kpis(
        conn, at=at, deadline_hours=flows.deadline_hours, window_hours=flows.window_hours, scope=scope
    )
    late = overdue_chains(conn, at=at, deadline_hours=flows.deadline_hours, scope=scope)
    return TransferSummary(
        at, float(flows.window_hours), float(flows.deadline_hours), figures, tuple(late[:LIST_LIMIT])
    )
