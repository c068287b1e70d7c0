"""Transfer chains against a frozen clock: leg states, overdue chains, gaps, KPIs and gate counts.

On tests/fixtures/flows (China time): C2 left Hongqiao at 10:00 and has not arrived; C3 is
planned for 15:00 and has not left; with a 6-hour deadline C2 is overdue from 16:00 and C3
from 21:00. C4 has a gap; C6 is cancelled and never overdue.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.flows import chains
from geo.scope import NOTHING, Scope

CHINA = dt.timezone(dt.timedelta(hours=8))
DEADLINE = 6.0


def at(hour: int, minute: int = 0, day: int = 10) -> dt.datetime:
    return dt.datetime(2022, 4, day, hour, minute, tzinfo=CHINA)


def _overdue(conn: Connection, clock: dt.datetime, deadline: float = DEADLINE) -> list[tuple[str, float]]:
    return [
        (c.chain_id, round(c.overdue_hours, 2))
        for c in chains.overdue_chains(conn, at=clock, deadline_hours=deadline)
    ]


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (at(9, 59), []),
        (at(15, 59), []),
        (at(16, 1), [("C2", 0.02)]),
        (at(21, 30), [("C2", 5.5), ("C3", 0.5)]),
        (at(9, 0, day=11), [("C2", 17.0), ("C3", 12.0)]),
    ],
)
def test_an_open_leg_past_the_deadline_makes_its_chain_overdue(
    flows_db: Connection, clock: dt.datetime, expected: list
) -> None:
    assert _overdue(flows_db, clock) == expected


def test_an_overdue_chain_names_the_leg_it_is_stuck_on(flows_db: Connection) -> None:
    c2, c3 = chains.overdue_chains(flows_db, at=at(21, 30), deadline_hours=DEADLINE)
    assert (c2.stuck_leg, c2.stuck_from, c2.stuck_to, c2.stuck_state, c2.vehicle) == (
        1, "上海虹桥站", "梅一小区北门", "in_transit", "沪B-001"
    )  # fmt: skip
    assert (c2.head_count, c2.legs, c2.gap) == (2, 1, False)
    assert c2.started_at == at(10) and c2.due_at == at(16)
    assert (c3.stuck_state, c3.due_at) == ("planned", at(21))
    as_json = c2.to_json()
    assert as_json["overdue_hours"] == 5.5 and dt.datetime.fromisoformat(str(as_json["due_at"])) == at(16)


def test_a_longer_deadline_and_an_arrival_clear_the_flag(flows_db: Connection) -> None:
    assert _overdue(flows_db, at(21, 30), deadline=12) == []
    flows_db.execute(
        text("UPDATE transfers SET arrived_at = :t, status = 'handed_over' WHERE chain_id = 'C2'"),
        {"t": at(17)},
    )
    assert _overdue(flows_db, at(21, 30)) == [("C3", 0.5)]
    # Before the arrival the leg was still open, so the chain was overdue then.
    assert _overdue(flows_db, at(16, 30)) == [("C2", 0.5)]


def test_a_status_given_as_overdue_is_believed_once_the_leg_has_started(flows_db: Connection) -> None:
    flows_db.execute(text("UPDATE transfers SET status = 'overdue' WHERE chain_id = 'C3'"))
    assert _overdue(flows_db, at(14, 59)) == []
    assert [c.chain_id for c in chains.overdue_chains(flows_db, at=at(15, 30), deadline_hours=DEADLINE)] == [
        "C3"
    ]


def test_leg_states_follow_the_clock(flows_db: Connection) -> None:
    def states(clock: dt.datetime) -> list[str]:
        return [leg.state for leg in chains.chain_legs(flows_db, "C1", at=clock, deadline_hours=DEADLINE)]

    assert states(at(7)) == ["planned", "planned"]
    assert states(at(9)) == ["in_transit", "planned"]
    assert states(at(12, 10)) == ["handed_over", "in_transit"]
    assert states(at(13)) == ["handed_over", "handed_over"]
    legs = chains.chain_legs(flows_db, "C1", at=at(13), deadline_hours=DEADLINE)
    assert [(leg.from_place, leg.to_place, leg.arrived_at) for leg in legs] == [
        ("浦东国际机场", "隔离酒店A", at(9, 30)),
        ("隔离酒店A", "梅一小区北门", at(12, 40)),
    ]
    assert [leg.state for leg in chains.chain_legs(flows_db, "C6", at=at(13), deadline_hours=DEADLINE)] == [
        "cancelled"
    ]
    with pytest.raises(NotFound, match="no transfer chain 'nope'"):
        chains.chain_legs(flows_db, "nope", at=at(13), deadline_hours=DEADLINE)


def test_a_chain_whose_legs_do_not_connect_is_a_gap(flows_db: Connection) -> None:
    gaps = chains.chain_gaps(flows_db)
    assert [(g.chain_id, g.after_leg) for g in gaps] == [("C4", 1)]
    assert gaps[0].reason == "chain C4: leg 1 arrives at 隔离酒店A but leg 2 leaves from 上海虹桥站"
    assert chains.chain_gaps(flows_db, chains=["C1", "C2"]) == []


def test_kpis_count_chains_in_the_window_at_the_clock(flows_db: Connection) -> None:
    figures = chains.flow_kpis(flows_db, at=at(16, 30), deadline_hours=DEADLINE, window_hours=24)
    assert (figures.chains, figures.open_chains, figures.overdue_chains, figures.gap_chains) == (6, 3, 1, 1)
    assert figures.in_transit_people == 2 + 5  # C2 (overdue, on the road) and C5 (left at 16:00)
    assert figures.handed_over_legs == 4  # C1 x2, C4 x2
    assert figures.leg_states == {
        "handed_over": 4,
        "overdue": 1,
        "planned": 1,
        "in_transit": 1,
        "cancelled": 1,
    }
    narrow = chains.flow_kpis(flows_db, at=at(16, 30), deadline_hours=DEADLINE, window_hours=1)
    assert narrow.chains == 4  # C2, C3 and C6 not closed, C5 on the road; C1 and C4 done before
    assert (
        chains.flow_kpis(flows_db, at=at(17, 30), deadline_hours=DEADLINE, window_hours=24).open_chains == 2
    )


def test_the_default_clock_is_the_latest_time_in_the_data(flows_db: Connection) -> None:
    assert chains.latest_time(flows_db) == at(17)
    assert chains.time_span(flows_db) == (at(8), at(17))


def test_gate_counts_come_per_gate_and_hour_with_every_kind(flows_db: Connection) -> None:
    gate = flows_db.execute(text("SELECT id FROM places WHERE source_id = 'P-GATE-1'")).scalar_one()
    flows_db.execute(text("UPDATE places SET compound_id = NULL"))
    assert chains.gate_hourly_counts(flows_db, 0, at=at(12), window_hours=24).empty
    flows_db.execute(
        text("""
        INSERT INTO compounds (name, geom, source, source_id)
        VALUES ('梅一小区', ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(121.5185, 31.2400), 4326), 0.001)),
                't', 'c1')
    """)
    )
    compound = flows_db.execute(text("SELECT id FROM compounds WHERE source_id = 'c1'")).scalar_one()
    flows_db.execute(text("UPDATE places SET compound_id = :c WHERE id = :g"), {"c": compound, "g": gate})
    counts = chains.gate_hourly_counts(flows_db, compound, at=at(12), window_hours=24)
    assert counts.to_dict("records") == [
        {"gate_id": gate, "gate": "梅一小区北门", "hour": at(8), "registration": 12, "temperature_check": 30,
         "abnormal_temperature": 1, "delivery": 0, "returnee_arrival": 0},
        {"gate_id": gate, "gate": "梅一小区北门", "hour": at(9), "registration": 0, "temperature_check": 0,
         "abnormal_temperature": 0, "delivery": 7, "returnee_arrival": 2},
    ]  # fmt: skip
    assert chains.gate_hourly_counts(flows_db, compound, at=at(9), window_hours=1)["hour"].tolist() == [at(8)]
    assert [c.name for c in chains.compounds_with_gates(flows_db)] == ["梅一小区"]


def test_a_clock_without_a_zone_or_a_bad_deadline_is_refused(flows_db: Connection) -> None:
    with pytest.raises(InvalidParameter, match="has no time zone"):
        chains.overdue_chains(flows_db, at=dt.datetime(2022, 4, 10, 12), deadline_hours=DEADLINE)
    with pytest.raises(InvalidParameter, match="must be more than 0"):
        chains.overdue_chains(flows_db, at=at(12), deadline_hours=0)


def test_a_user_limited_to_an_area_sees_the_legs_with_an_end_in_it(
    flows_db: Connection, lujiazui: Scope
) -> None:
    # C6 runs from the airport to the hospital, both outside: the only chain it cannot see.
    figures = chains.flow_kpis(
        flows_db, at=at(16, 30), deadline_hours=DEADLINE, window_hours=24, scope=lujiazui
    )
    assert figures.chains == 5 and "cancelled" not in figures.leg_states
    assert [
        c.chain_id
        for c in chains.overdue_chains(flows_db, at=at(21, 30), deadline_hours=DEADLINE, scope=lujiazui)
    ] == [
        "C2",
        "C3",
    ]
    with pytest.raises(NotFound):
        chains.chain_legs(flows_db, "C6", at=at(13), deadline_hours=DEADLINE, scope=lujiazui)
    assert chains.overdue_chains(flows_db, at=at(21, 30), deadline_hours=DEADLINE, scope=NOTHING) == []
    assert (
        chains.latest_time(flows_db, scope=NOTHING) is None
        and chains.flow_bounds(flows_db, scope=NOTHING) is None
    )
