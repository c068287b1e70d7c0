"""The real commands: `battlemap loops list|overdue|escalate` and `battlemap users add --role worker`
on the small city, with items opened through the engine at known clocks."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from geo.audit import Actor
from geo.loops import engine as loops
from geo.loops.engine import LoopActor
from geo.loops.evidence import Submission
from geo.loops.targets import Target
from geo.vocab import CHINA_TZ
from tests.fixtures.small_city import small_city_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
T0 = dt.datetime(2022, 4, 5, 9, 0, tzinfo=CHINA_TZ)


def _run(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin
    )


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[tuple[str, dict[str, int]]]:
    """The small city with a problem report in G1 (answered) and one in G2 (not), both at T0."""
    with small_city_database(database_url, "loopscli") as url:
        engine = create_engine(url)
        actor = LoopActor(role="cli", audit=Actor(name="cli:test", role="cli"))
        with engine.begin() as conn:
            ids = {
                b: int(
                    conn.execute(text("SELECT id FROM buildings WHERE source_id = :b"), {"b": b}).scalar_one()
                )
                for b in ("b01", "b11")
            }
            g1, _ = loops.open_item(
                conn, actor, kind="problem_report", target=Target("building", ids["b01"]), at=T0
            )
            loops.complete_step(conn, actor, g1.id, "response", Submission(), at=T0 + dt.timedelta(minutes=5))
            g2, _ = loops.open_item(
                conn, actor, kind="problem_report", target=Target("building", ids["b11"]), at=T0
            )
        engine.dispose()
        yield url, {"g1": g1.id, "g2": g2.id}


def test_list_filters_and_prints_json(city: tuple[str, dict[str, int]]) -> None:
    url, items = city
    done = _run("loops", "list", "--grid", "G2", "--json", url=url)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert [i["id"] for i in listed] == [items["g2"]]
    assert listed[0]["assignee"] == {"code": "sim-AS", "level": "area_secretary"}  # G2: no building leader
    table = _run("loops", "list", "--kind", "problem_report", url=url)
    assert table.returncode == 0 and "2 items" in table.stdout
    bad = _run("loops", "list", "--kind", "census", url=url)
    assert bad.returncode != 0 and "census" in bad.stderr and "Traceback" not in bad.stderr


def test_overdue_at_a_clock_and_escalate(city: tuple[str, dict[str, int]]) -> None:
    url, items = city
    early = _run("loops", "overdue", "--at", "2022-04-05 09:30", "--json", url=url)
    assert early.returncode == 0 and json.loads(early.stdout) == []
    late = _run("loops", "overdue", "--at", "2022-04-05 10:30", "--json", url=url)
    assert [i["id"] for i in json.loads(late.stdout)] == [items["g2"]]  # G1's report was answered in time
    escalated = _run("loops", "escalate", "--at", "2022-04-05 10:30", "--json", url=url)
    assert escalated.returncode == 0, escalated.stderr
    [item] = json.loads(escalated.stdout)
    assert item["id"] == items["g2"] and item["assignee"]["level"] == "leadership_member"  # no cadre in G2
    again = _run("loops", "overdue", "--at", "2022-04-05 10:30", "--json", url=url)
    assert json.loads(again.stdout) == []
    bad = _run("loops", "overdue", "--at", "yesterday", url=url)
    assert bad.returncode != 0 and "yesterday" in bad.stderr


def test_users_add_worker_needs_grids(city: tuple[str, dict[str, int]]) -> None:
    url, _ = city
    added = _run(
        "users", "add", "g1-worker", "--role", "worker", "--grid", "G1", "--generate-password", url=url
    )
    assert added.returncode == 0, added.stderr
    unit = _run(
        "users", "add", "u-worker", "--role", "worker", "--unit", "LJZ", "--generate-password", url=url
    )
    assert unit.returncode != 0 and "--grid" in unit.stderr
    none = _run("users", "add", "n-worker", "--role", "worker", "--generate-password", url=url)
    assert none.returncode != 0 and "--grid" in none.stderr
