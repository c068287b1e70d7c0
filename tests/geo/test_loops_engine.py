"""The closed-loop engine on the small city: assignment along the chain, order, evidence, versions,
idempotency, escalation and area, each refusal writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text

from geo import auth
from geo.audit import Actor
from geo.errors import Conflict, Forbidden, InvalidTransition, NotFound, Unprocessable
from geo.loops import engine
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.targets import Target
from geo.scope import load_scope
from geo.vocab import CHINA_TZ
from tests.auth_support import AUTH, PASSWORD

T0 = dt.datetime(2022, 4, 5, 9, 0, tzinfo=CHINA_TZ)
CLI = LoopActor(role="cli", audit=Actor(name="cli:test", role="cli"))


def _id(conn: Connection, table: str, source_id: str) -> int:
    return int(
        conn.execute(text(f"SELECT id FROM {table} WHERE source_id = :s"), {"s": source_id}).scalar_one()
    )


def _user(conn: Connection, name: str, role: str, grids: list[str] | None = None) -> LoopActor:
    auth.add_user(conn, name, role=role, password=PASSWORD, grids=grids, settings=AUTH)
    user_id = int(conn.execute(text("SELECT id FROM users WHERE name = :n"), {"n": name}).scalar_one())
    return LoopActor(
        role=role, audit=Actor(name=name, role=role), user_id=user_id, scope=load_scope(conn, user_id)
    )


def _count(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_home_isolation_runs_in_order_with_one_reading_a_day(city_conn: Connection) -> None:
    household = _id(city_conn, "households", "h-b09-1")
    item, created = engine.open_item(
        city_conn, CLI, kind="home_isolation", target=Target("household", household), at=T0
    )
    assert created and item.state == "open" and item.step == "screening" and item.version == 1
    assert (item.assignee_code, item.assignee_level) == ("sim-SW", "social_worker")
    assert item.due_at == T0 + dt.timedelta(hours=12)

    with pytest.raises(InvalidTransition) as out_of_order:
        engine.complete_step(city_conn, CLI, item.id, "release", Submission(note="x"), at=T0)
    assert out_of_order.value.allowed == ("screening",)

    item, _ = engine.complete_step(city_conn, CLI, item.id, "screening", Submission(note="核实"), at=T0)
    checks = {"at_home": True, "notice_posted": True}
    item, _ = engine.complete_step(
        city_conn, CLI, item.id, "on_site_confirmation", Submission(note="在家", checks=checks), at=T0
    )
    assert (item.step, item.assignee_code, item.assignee_level) == (
        "daily_temperature",
        "sim-L2",
        "building_leader",
    )
    before = _count(city_conn, "loop_transitions")
    with pytest.raises(Unprocessable) as hot:
        engine.complete_step(city_conn, CLI, item.id, "daily_temperature", Submission(reading=80.0), at=T0)
    assert hot.value.field == "reading" and "80.0" in str(hot.value)
    assert _count(city_conn, "loop_transitions") == before
    item, _ = engine.complete_step(
        city_conn, CLI, item.id, "daily_temperature", Submission(reading=36.6), at=T0
    )
    with pytest.raises(InvalidTransition, match="once a day"):
        engine.complete_step(city_conn, CLI, item.id, "daily_temperature", Submission(reading=36.5), at=T0)
    assert item.step == "devices_volunteers"
    assert item.allowed_steps == ("devices_volunteers", "daily_temperature")
    # the next reading is due by the end of the following China day
    assert item.daily_due_at == dt.datetime(2022, 4, 7, 0, 0, tzinfo=CHINA_TZ)
    next_day = T0 + dt.timedelta(days=1)
    item, _ = engine.complete_step(
        city_conn, CLI, item.id, "daily_temperature", Submission(reading=36.8), at=next_day
    )
    checks = {"door_sensor_fitted": True, "volunteer_assigned": True}
    item, _ = engine.complete_step(
        city_conn, CLI, item.id, "devices_volunteers", Submission(checks=checks), at=next_day
    )
    item, _ = engine.complete_step(city_conn, CLI, item.id, "release", Submission(note="期满"), at=next_day)
    assert item.state == "closed" and item.step is None and item.allowed_steps == ()
    assert [e.action for e in item.log] == ["open"] + ["complete"] * 6
    with pytest.raises(InvalidTransition, match="closed"):
        engine.complete_step(
            city_conn, CLI, item.id, "daily_temperature", Submission(reading=36.6), at=next_day
        )


def test_a_gap_in_the_chain_goes_up_and_an_overdue_item_escalates(city_conn: Connection) -> None:
    b11 = _id(city_conn, "buildings", "b11")  # in G2: no building leader, no cadre
    item, _ = engine.open_item(
        city_conn, CLI, kind="problem_report", target=Target("building", b11), note="垃圾未清运", at=T0
    )
    assert (item.assignee_code, item.assignee_level) == ("sim-AS", "area_secretary")
    assert engine.escalate_overdue(city_conn, CLI, at=T0 + dt.timedelta(minutes=30)) == []
    late = T0 + dt.timedelta(hours=2)
    assert [i.id for i in engine.list_items(city_conn, CLI, state="overdue", at=late)] == [item.id]
    [escalated] = engine.escalate_overdue(city_conn, CLI, at=late)
    assert (escalated.assignee_code, escalated.assignee_level) == ("sim-LM", "leadership_member")
    assert escalated.log[-1].action == "escalate" and escalated.version == 2 and not escalated.overdue
    audited = city_conn.execute(
        text("SELECT count(*) FROM audit_log WHERE action = 'loop_escalate'")
    ).scalar()
    assert audited == 1


def test_the_verifier_is_not_the_rectifier(city_conn: Connection) -> None:
    compound = int(city_conn.execute(text("SELECT id FROM compounds LIMIT 1")).scalar_one())
    worker = _user(city_conn, "g1-worker", "worker", grids=["G1"])
    other = _user(city_conn, "g1-worker-2", "worker", grids=["G1"])
    item, _ = engine.open_item(
        city_conn, worker, kind="inspection", target=Target("compound", compound), at=T0
    )
    engine.complete_step(city_conn, worker, item.id, "rectification", Submission(note="已整改"), at=T0)
    engine.complete_step(city_conn, worker, item.id, "feedback", Submission(note="已反馈"), at=T0)
    done = Submission(note="复核", checks={"rectified": True})
    with pytest.raises(Forbidden, match="someone else"):
        engine.complete_step(city_conn, worker, item.id, "verification", done, at=T0)
    item, _ = engine.complete_step(city_conn, other, item.id, "verification", done, at=T0)
    assert item.state == "closed"


def test_area_version_and_idempotency(city_conn: Connection) -> None:
    worker = _user(city_conn, "g1-only", "worker", grids=["G1"])
    b03 = _id(city_conn, "buildings", "b03")  # in G2
    with pytest.raises(NotFound):
        engine.open_item(city_conn, worker, kind="problem_report", target=Target("building", b03))
    b01 = _id(city_conn, "buildings", "b01")
    target = Target("building", b01)
    first, created = engine.open_item(
        city_conn, worker, kind="problem_report", target=target, client_id="k1", body_hash="h1"
    )
    again, created_again = engine.open_item(
        city_conn, worker, kind="problem_report", target=target, client_id="k1", body_hash="h1"
    )
    assert created and not created_again and again.id == first.id
    with pytest.raises(Unprocessable) as other_body:
        engine.open_item(
            city_conn, worker, kind="problem_report", target=target, client_id="k1", body_hash="h2"
        )
    assert other_body.value.field == "Idempotency-Key"
    engine.complete_step(city_conn, worker, first.id, "response", Submission(), expected_version=1)
    with pytest.raises(Conflict) as stale:
        engine.complete_step(
            city_conn, worker, first.id, "handling", Submission(note="x"), expected_version=1
        )
    assert stale.value.current["version"] == 2 and stale.value.current["step"] == "handling"
    with pytest.raises(NotFound):
        engine.get_item(city_conn, _user(city_conn, "g2-only", "worker", grids=["G2"]), first.id)


def test_the_log_is_append_only(city_conn: Connection) -> None:
    b01 = _id(city_conn, "buildings", "b01")
    engine.open_item(city_conn, CLI, kind="problem_report", target=Target("building", b01))
    with pytest.raises(Exception, match="append-only"):
        city_conn.execute(text("UPDATE loop_transitions SET note = 'changed'"))


def test_a_list_offers_the_running_daily_step_too(city_conn: Connection) -> None:
    household = _id(city_conn, "households", "h-b09-2")
    item, _ = engine.open_item(
        city_conn, CLI, kind="home_isolation", target=Target("household", household), at=T0
    )
    engine.complete_step(city_conn, CLI, item.id, "screening", Submission(note="核实"), at=T0)
    checks = {"at_home": True, "notice_posted": True}
    engine.complete_step(
        city_conn, CLI, item.id, "on_site_confirmation", Submission(note="在家", checks=checks), at=T0
    )
    engine.complete_step(city_conn, CLI, item.id, "daily_temperature", Submission(reading=36.6), at=T0)
    [listed] = [i for i in engine.list_items(city_conn, CLI, kind="home_isolation", at=T0) if i.id == item.id]
    assert listed.allowed_steps == ("devices_volunteers", "daily_temperature")
