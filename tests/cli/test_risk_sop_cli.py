"""`battlemap risk list|steps|done|lift`: the SOP of a stored area from the command line, as JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from geo.vocab import CHINA_TZ
from tests.risk_world import CASE

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, "risk", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def area_id(risk_world_url: str) -> int:
    """An area declared at 2022-05-02 00:00 China time (after the other tests' dates, alone that day)."""
    done = _run("declare", "--at", f"{CASE[0]},{CASE[1]}", "--date", "2022-05-02", url=risk_world_url)
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["risk_area_id"])


def _steps(area: int, at: str, url: str) -> dict:
    done = _run("steps", str(area), "--at", at, url=url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_steps_are_due_then_overdue_then_done(area_id: int, risk_world_url: str) -> None:
    early = _steps(area_id, "2022-05-02T01:00", risk_world_url)
    assert early["risk_area_id"] == area_id and early["state"] == "active"
    states = {s["code"]: s["state"] for s in early["steps"]}
    assert states == {"announce": "due", "seal_gates": "due", "first_testing": "due", "daily_testing": "due"}
    assert early["steps"][0]["hours_left"] == 1.0  # announce is due 2 h after the declaration
    late = _steps(area_id, "2022-05-02T03:00", risk_world_url)
    assert late["overdue"] == ["announce"]

    done = _run("done", str(area_id), "announce", "--at", "2022-05-02T03:30", url=risk_world_url)
    assert done.returncode == 0, done.stderr
    clock = json.loads(done.stdout)
    assert {s["code"]: s["state"] for s in clock["steps"]}["announce"] == "done"
    assert "announce" not in clock["overdue"] and clock["at"].startswith("2022-05-02T03:30:00+08:00")


def test_list_shows_the_areas_of_a_day_with_their_state(area_id: int, risk_world_url: str) -> None:
    done = _run("list", "--date", "2022-05-02", url=risk_world_url)
    assert done.returncode == 0, done.stderr
    areas = {a["id"]: a for a in json.loads(done.stdout)}
    mine = areas[area_id]
    assert mine["state"] == "active" and mine["lifted_at"] is None
    assert mine["lift_due_at"].startswith("2022-05-16T00:00:00+08:00")  # 14 quiet days
    assert "seal_gates" in mine["overdue"]  # 6 h after the declaration, read at the end of the day
    before = _run("list", "--date", "2022-05-01", url=risk_world_url)
    assert area_id not in {a["id"] for a in json.loads(before.stdout)}


def test_lift_is_refused_before_the_quiet_period_then_lifts(area_id: int, risk_world_url: str) -> None:
    early = _run("lift", str(area_id), "--at", "2022-05-10", url=risk_world_url)
    assert early.returncode == 2 and "not due to lift before 2022-05-16" in early.stderr
    lifted = _run("lift", str(area_id), "--at", "2022-05-16T09:00", url=risk_world_url)
    assert lifted.returncode == 0, lifted.stderr
    assert json.loads(lifted.stdout)["state"] == "lifted"
    engine = create_engine(risk_world_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT lifted_at FROM risk_areas WHERE id = :a"), {"a": area_id}).scalar()
    engine.dispose()
    assert stored == dt.datetime(2022, 5, 16, 9, tzinfo=CHINA_TZ)
    again = _run("lift", str(area_id), "--at", "2022-05-17", url=risk_world_url)
    assert again.returncode == 2 and "already lifted" in again.stderr
    after = json.loads(_run("list", "--date", "2022-05-17", url=risk_world_url).stdout)
    assert area_id not in {a["id"] for a in after}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("steps", "999999"), "no risk area with id 999999"),
        (("done", "999999", "announce"), "no risk area with id 999999"),
        (("steps", "1", "--at", "yesterday"), "yesterday"),
    ],
)
def test_bad_input_is_one_clear_line(risk_world_url: str, args: tuple[str, ...], words: str) -> None:
    done = _run(*args, url=risk_world_url)
    assert done.returncode != 0 and words in done.stderr and done.stdout == ""


def test_an_unknown_step_names_the_known_ones(area_id: int, risk_world_url: str) -> None:
    done = _run("done", str(area_id), "dance", url=risk_world_url)
    assert done.returncode == 2 and "'dance'" in done.stderr and "announce" in done.stderr
