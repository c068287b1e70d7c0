"""Reads of the movement-flow map (动线管理图): transfer chains against a clock, and gate counts.

A leg's state is worked out at a clock time ``at`` (never stored): cancelled; handed over once
it has arrived; overdue when it departed (or was due) more than ``deadline_hours`` before ``at``
and is still not handed over; in transit once departed; planned before that. A chain is open
while any leg is not handed over or cancelled, overdue when any leg is overdue, and has a gap
when a leg does not leave from where the previous one arrived. Only chain ids, places, times,
head counts and vehicles are read: transfers hold no personal data.

Every read takes a ``scope`` (``geo.scope``): a user limited to an area sees the legs with an end
in it, and the gates and compounds in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import pandas as pd
from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CHINA_TZ, GATE_EVENT_KIND_CODES

LEG_STATE_SQL = """CASE
    WHEN {t}.status = 'cancelled' THEN 'cancelled'
    WHEN {t}.arrived_at IS NOT NULL AND {t}.arrived_at <= :at THEN 'handed_over'
    WHEN coalesce({t}.departed_at, {t}.planned_at) + make_interval(secs => :deadline * 3600) < :at
        THEN 'overdue'
    WHEN {t}.status = 'overdue' AND coalesce({t}.departed_at, {t}.planned_at) <= :at THEN 'overdue'
    WHEN {t}.departed_at IS NOT NULL AND {t}.departed_at <= :at THEN 'in_transit'
    ELSE 'planned'
END"""
"""A leg ``{t}``'s state at ``:at`` with ``:deadline`` hours to be handed over (bound parameters)."""

LEG_START_SQL = "coalesce({t}.departed_at, {t}.planned_at)"
ACTIVE_SQL = (
    "tstzrange(coalesce({t}.departed_at, {t}.planned_at), "
    "greatest(coalesce({t}.departed_at, {t}.planned_at), "
    "coalesce({t}.arrived_at, 'infinity'::timestamptz)), '[]')"
)
"""When leg ``{t}`` is active: from departure (or plan) to arrival (open while not arrived). The
GiST index ``ix_transfers_active`` (migration 0003) is on exactly this expression."""
IN_WINDOW_SQL = ACTIVE_SQL + " && tstzrange(:since, :at, '[]')"
"""Legs active at some time in the window [:since, :at]: started by its end, not arrived before its start."""

GAPS_SQL = """
    SELECT chain_id, leg_no, to_name, to_place_id, next_from_name, next_from_id FROM (
        SELECT t.chain_id, t.leg_no, t.to_place_id, tp.name AS to_name,
               lead(t.from_place_id) OVER w AS next_from_id, lead(fp.name) OVER w AS next_from_name
        FROM {legs} t JOIN places tp ON tp.id = t.to_place_id JOIN places fp ON fp.id = t.from_place_id
        WHERE t.status <> 'cancelled' {where}
        WINDOW w AS (PARTITION BY t.chain_id ORDER BY t.leg_no)
    ) x WHERE next_from_id IS NOT NULL AND next_from_id <> to_place_id
    ORDER BY chain_id, leg_no"""


def legs_from(scope: Scope) -> str:
    """The transfer legs ``scope`` may see, as a FROM item: a leg with either end in its area."""
    if not scope.restricted:
        return "transfers"
    ends = "SELECT 1 FROM places sp WHERE sp.id IN (x.from_place_id, x.to_place_id) AND " + scope.covers(
        "sp.geom"
    )
    return f"(SELECT * FROM transfers x WHERE EXISTS ({ends}))"


@dataclass(frozen=True)
class ChainGap:
    """A chain whose leg ``after_leg`` arrives somewhere the next leg does not leave from."""

    chain_id: str
    after_leg: int
    arrived_at_place: str
    next_leaves_from: str

    @property
    def reason(self) -> str:
        return (
            f"chain {self.chain_id}: leg {self.after_leg} arrives at {self.arrived_at_place} "
            f"but leg {self.after_leg + 1} leaves from {self.next_leaves_from}"
        )


@dataclass(frozen=True)
class OverdueChain:
    """An open chain past its deadline at the clock, with the leg it is stuck on."""

    chain_id: str
    legs: int
    head_count: int
    started_at: dt.datetime
    stuck_leg: int
    stuck_from: str
    stuck_to: str
    stuck_state: str
    due_at: dt.datetime
    overdue_hours: float
    vehicle: str | None
    gap: bool

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["started_at"] = self.started_at.isoformat()
        out["due_at"] = self.due_at.isoformat()
        out["overdue_hours"] = round(self.overdue_hours, 2)
        return out


@dataclass(frozen=True)
class Leg:
    """One leg of a chain as the chain card shows it."""

    id: int
    leg_no: int
    from_place: str
    to_place: str
    planned_at: dt.datetime | None
    departed_at: dt.datetime | None
    arrived_at: dt.datetime | None
    head_count: int
    vehicle: str | None
    state: str


@dataclass(frozen=True)
class FlowKpis:
    """The KPI strip of the flow map at a clock over a window."""

    chains: int
    open_chains: int
    overdue_chains: int
    gap_chains: int
    in_transit_people: int
    handed_over_legs: int
    leg_states: dict[str, int]
    """Legs active in the window by their state at the clock (the legend's counts)."""


def _place_label(name: str | None, place_id: int) -> str:
    return name or f"#{place_id}"


def parse_clock(value: str) -> dt.datetime:
    """A clock from ISO 8601 or '2022-04-15 11:00'; China time (UTC+8) when it names no zone."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidParameter(
            f"expected a time like 2022-04-15T11:00:00+08:00 or 2022-04-15 11:00, got {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)


def clock_params(at: dt.datetime, *, deadline_hours: float, window_hours: float | None = None) -> dict:
    """The bound parameters of ``LEG_STATE_SQL`` and ``IN_WINDOW_SQL``."""
    if at.tzinfo is None:
        raise InvalidParameter(f"the clock {at.isoformat()} has no time zone; give one, e.g. +08:00")
    if deadline_hours <= 0:
        raise InvalidParameter(f"the deadline was {deadline_hours} hours but must be more than 0")
    params: dict[str, object] = {"at": at, "deadline": float(deadline_hours)}
    if window_hours is not None:
        params["since"] = at - dt.timedelta(hours=window_hours)
    return params


def latest_time(conn: Connection, *, scope: Scope = UNRESTRICTED) -> dt.datetime | None:
    """The latest time the transfers mention (the default clock: the data's own 'now')."""
    return conn.execute(
        text(f"SELECT max(greatest(planned_at, departed_at, arrived_at)) FROM {legs_from(scope)} t"),
        scope.params,
    ).scalar_one()


def time_span(conn: Connection, *, scope: Scope = UNRESTRICTED) -> tuple[dt.datetime, dt.datetime] | None:
    """(first, last) time of the transfers and gate events, or None when there are none."""
    first, last = conn.execute(
        text(f"""
        SELECT min(t), max(t) FROM (
            SELECT least(planned_at, departed_at, arrived_at) AS t FROM {legs_from(scope)} l
            UNION ALL SELECT greatest(planned_at, departed_at, arrived_at) FROM {legs_from(scope)} l
            UNION ALL SELECT e.hour FROM gate_events e JOIN places g ON g.id = e.place_id
            WHERE {scope.covers("g.geom")}
        ) x"""),
        scope.params,
    ).one()
    return None if first is None else (first, last)


def chain_gaps(
    conn: Connection, *, chains: list[str] | None = None, scope: Scope = UNRESTRICTED
) -> list[ChainGap]:
    """Chains whose consecutive (non-cancelled) legs do not connect, optionally among ``chains``."""
    where = "AND t.chain_id = ANY(CAST(:chains AS text[]))" if chains is not None else ""
    sql = GAPS_SQL.format(where=where, legs=legs_from(scope))
    rows = conn.execute(text(sql), {"chains": chains or []} | scope.params).all()
    return [
        ChainGap(
            r.chain_id,
            int(r.leg_no),
            _place_label(r.to_name, r.to_place_id),
            _place_label(r.next_from_name, r.next_from_id),
        )
        for r in rows
    ]


def overdue_chains(
    conn: Connection, *, at: dt.datetime, deadline_hours: float, scope: Scope = UNRESTRICTED
) -> list[OverdueChain]:
    """Open chains with a leg not handed over within ``deadline_hours`` at clock ``at``, most late first."""
    params = clock_params(at, deadline_hours=deadline_hours) | scope.params
    legs = legs_from(scope)
    rows = conn.execute(
        text(f"""
        WITH legs AS (
            SELECT t.*, {LEG_STATE_SQL.format(t="t")} AS state, {LEG_START_SQL.format(t="t")} AS start
            FROM {legs} t WHERE t.chain_id IN (
                SELECT o.chain_id FROM {legs} o
                WHERE {ACTIVE_SQL.format(t="o")} && tstzrange(:at, :at, '[]') AND o.status <> 'cancelled')
        ), chains AS (
            SELECT chain_id, count(*) AS legs, max(head_count) AS head_count, min(start) AS started_at
            FROM legs GROUP BY chain_id
        ), stuck AS (
            SELECT DISTINCT ON (chain_id) * FROM legs WHERE state = 'overdue' ORDER BY chain_id, leg_no
        )
        SELECT c.chain_id, c.legs, c.head_count, c.started_at, s.leg_no, s.vehicle, s.from_place_id,
               s.to_place_id, fp.name AS from_name, tp.name AS to_name,
               CASE WHEN s.departed_at IS NOT NULL AND s.departed_at <= :at THEN 'in_transit'
                    ELSE 'planned' END
                   AS stuck_state,
               s.start + make_interval(secs => :deadline * 3600) AS due_at
        FROM chains c JOIN stuck s USING (chain_id)
        JOIN places fp ON fp.id = s.from_place_id JOIN places tp ON tp.id = s.to_place_id
    """),
        params,
    ).all()
    gaps = {g.chain_id for g in chain_gaps(conn, chains=[r.chain_id for r in rows], scope=scope)}
    out = [
        OverdueChain(
            chain_id=r.chain_id,
            legs=int(r.legs),
            head_count=int(r.head_count),
            started_at=r.started_at,
            stuck_leg=int(r.leg_no),
            stuck_from=_place_label(r.from_name, r.from_place_id),
            stuck_to=_place_label(r.to_name, r.to_place_id),
            stuck_state=r.stuck_state,
            due_at=r.due_at,
            overdue_hours=(at - r.due_at).total_seconds() / 3600,
            vehicle=r.vehicle,
            gap=r.chain_id in gaps,
        )
        for r in rows
    ]
    return sorted(out, key=lambda c: (-c.overdue_hours, c.chain_id))


def chain_legs(
    conn: Connection, chain_id: str, *, at: dt.datetime, deadline_hours: float, scope: Scope = UNRESTRICTED
) -> list[Leg]:
    """The legs of one chain in order, each with its state at ``at``.

    Raises
    ------
    NotFound
        when no leg has this chain id.
    """
    params = clock_params(at, deadline_hours=deadline_hours) | {"chain": chain_id} | scope.params
    rows = conn.execute(
        text(f"""
        SELECT t.id, t.leg_no, t.from_place_id, t.to_place_id, fp.name AS from_name, tp.name AS to_name,
               t.planned_at, t.departed_at, t.arrived_at, t.head_count, t.vehicle,
               {LEG_STATE_SQL.format(t="t")} AS state
        FROM {legs_from(scope)} t JOIN places fp ON fp.id = t.from_place_id
        JOIN places tp ON tp.id = t.to_place_id
        WHERE t.chain_id = :chain ORDER BY t.leg_no
    """),
        params,
    ).all()
    if not rows:
        raise NotFound(f"no transfer chain {chain_id!r} is loaded")
    return [
        Leg(
            id=int(r.id),
            leg_no=int(r.leg_no),
            from_place=_place_label(r.from_name, r.from_place_id),
            to_place=_place_label(r.to_name, r.to_place_id),
            planned_at=r.planned_at,
            departed_at=r.departed_at,
            arrived_at=r.arrived_at,
            head_count=int(r.head_count),
            vehicle=r.vehicle,
            state=r.state,
        )
        for r in rows
    ]


def flow_kpis(
    conn: Connection,
    *,
    at: dt.datetime,
    deadline_hours: float,
    window_hours: float,
    scope: Scope = UNRESTRICTED,
) -> FlowKpis:
    """Chains active in the window, open and overdue at ``at``, with a gap; people in transit."""
    params = clock_params(at, deadline_hours=deadline_hours, window_hours=window_hours) | scope.params
    legs = legs_from(scope)
    row = conn.execute(
        text(f"""
        WITH legs AS (
            SELECT t.chain_id, t.head_count, t.departed_at, t.arrived_at,
                   {LEG_STATE_SQL.format(t="t")} AS state
            FROM {legs} t WHERE t.chain_id IN (
                SELECT w.chain_id FROM {legs} w WHERE {IN_WINDOW_SQL.format(t="w")})
        ), chains AS (
            SELECT chain_id, bool_or(state IN ('planned', 'in_transit', 'overdue')) AS open,
                   bool_or(state = 'overdue') AS overdue
            FROM legs GROUP BY chain_id
        )
        SELECT (SELECT count(*) FROM chains), (SELECT count(*) FILTER (WHERE open) FROM chains),
               (SELECT count(*) FILTER (WHERE overdue) FROM chains),
               (SELECT coalesce(sum(head_count), 0) FROM legs
                WHERE state IN ('in_transit', 'overdue') AND departed_at <= :at),
               (SELECT count(*) FROM legs WHERE state = 'handed_over' AND arrived_at >= :since),
               (SELECT array_agg(DISTINCT chain_id) FROM chains)
    """),
        params,
    ).one()
    chains = list(row[5] or [])
    gaps = {g.chain_id for g in chain_gaps(conn, chains=chains, scope=scope)} if chains else set()
    states = conn.execute(
        text(f"""
        SELECT {LEG_STATE_SQL.format(t="t")} AS state, count(*) FROM {legs} t
        WHERE {IN_WINDOW_SQL.format(t="t")} GROUP BY 1
    """),
        params,
    ).all()
    return FlowKpis(
        chains=int(row[0]),
        open_chains=int(row[1]),
        overdue_chains=int(row[2]),
        gap_chains=len(gaps),
        in_transit_people=int(row[3]),
        handed_over_legs=int(row[4]),
        leg_states={state: int(n) for state, n in states},
    )


def _bounds(conn: Connection, sql: str, params: dict) -> tuple[float, float, float, float] | None:
    row = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(geom) AS e FROM ({sql}) g) x"
        ),
        params,
    ).one()
    return None if row[0] is None else tuple(float(v) for v in row)  # type: ignore[return-value]


def flow_bounds(conn: Connection, *, scope: Scope = UNRESTRICTED) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the places the transfers connect, or None without transfers."""
    legs = legs_from(scope)
    return _bounds(
        conn,
        f"SELECT p.geom FROM places p WHERE p.id IN "
        f"(SELECT from_place_id FROM {legs} a UNION SELECT to_place_id FROM {legs} b)",
        scope.params,
    )


def chain_bounds(
    conn: Connection, chain_id: str, *, scope: Scope = UNRESTRICTED
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the places one chain passes through."""
    return _bounds(
        conn,
        f"SELECT p.geom FROM places p JOIN {legs_from(scope)} t ON p.id IN (t.from_place_id, t.to_place_id) "
        "WHERE t.chain_id = :chain",
        {"chain": chain_id} | scope.params,
    )


@dataclass(frozen=True)
class CompoundOption:
    id: int
    name: str
    gates: int


def compounds_with_gates(conn: Connection, *, scope: Scope = UNRESTRICTED) -> list[CompoundOption]:
    """Compounds that have at least one gate, busiest first (by gate events), for the 动线 view."""
    rows = conn.execute(
        text(f"""
        SELECT c.id, c.name, count(DISTINCT p.id) AS gates,
               (SELECT coalesce(sum(e.count), 0) FROM gate_events e JOIN places g ON g.id = e.place_id
                WHERE g.compound_id = c.id) AS events
        FROM compounds c JOIN places p ON p.compound_id = c.id AND p.kind = 'compound_gate'
        WHERE {scope.compounds("c")}
        GROUP BY c.id, c.name ORDER BY events DESC, c.id
    """),
        scope.params,
    ).all()
    return [CompoundOption(int(r.id), r.name or f"#{r.id}", int(r.gates)) for r in rows]


def compound_bounds(
    conn: Connection, compound_id: int, *, scope: Scope = UNRESTRICTED
) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a compound, to fly the map to it."""
    row = conn.execute(
        text(
            "SELECT ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom) FROM compounds c "
            f"WHERE c.id = :id AND {scope.compounds('c')}"
        ),
        {"id": compound_id} | scope.params,
    ).one_or_none()
    if row is None:
        raise NotFound(f"no compound with id {compound_id} is loaded")
    return tuple(float(v) for v in row)  # type: ignore[return-value]


def gate_hourly_counts(
    conn: Connection, compound_id: int, *, at: dt.datetime, window_hours: float, scope: Scope = UNRESTRICTED
) -> pd.DataFrame:
    """One row per gate of the compound and hour in the window, one column per event kind (zeros kept)."""
    rows = conn.execute(
        text(f"""
        SELECT g.id AS gate_id, coalesce(g.name, '#' || g.id) AS gate, e.hour, e.kind, e.count
        FROM places g JOIN gate_events e ON e.place_id = g.id
        WHERE g.compound_id = :compound AND g.kind = 'compound_gate' AND e.hour >= :since AND e.hour < :at
          AND {scope.covers("g.geom")}
        ORDER BY g.id, e.hour
    """),
        {"compound": compound_id, "at": at, "since": at - dt.timedelta(hours=window_hours)} | scope.params,
    ).all()
    frame = pd.DataFrame(rows, columns=["gate_id", "gate", "hour", "kind", "count"])
    wide = frame.pivot_table(
        index=["gate_id", "gate", "hour"], columns="kind", values="count", aggfunc="sum", fill_value=0
    )
    wide = wide.reindex(columns=list(GATE_EVENT_KIND_CODES), fill_value=0).reset_index()
    wide.columns.name = None
    return wide.astype({code: "int64" for code in GATE_EVENT_KIND_CODES})
