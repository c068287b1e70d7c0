"""The real commands: `battlemap load transfers|gate-events PATH [--rejects FILE]` and
`battlemap flows overdue [--at DATETIME]` printing the overdue chains as a JSON list."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.databases import sibling_url, throwaway_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
FLOWS = Path(__file__).resolve().parents[1] / "fixtures" / "flows"
CHINA = dt.timezone(dt.timedelta(hours=8))


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def flows_db(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A database loaded with the flow fixtures through the CLI; the rejects files beside it."""
    folder = tmp_path_factory.mktemp("flows-cli")
    with throwaway_database(sibling_url(database_url, "flows_cli")) as url:
        for kind, name, rejects in (
            ("places", "places.csv", None),
            ("transfers", "transfers.csv", None),
            ("transfers", "transfers_bad.csv", folder / "out" / "transfers.rejects.csv"),
            ("gate-events", "gate_events_bad.csv", folder / "gate.rejects.csv"),
        ):
            flags = ["--rejects", str(rejects)] if rejects else []
            done = _run("load", kind, str(FLOWS / name), "--no-progress", *flags, url=url)
            assert done.returncode == 0, done.stderr
        yield url, folder


def test_loads_report_rejects_into_the_file_named(flows_db: tuple[str, Path]) -> None:
    url, folder = flows_db
    with (folder / "out" / "transfers.rejects.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["row"]) for r in rows] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert rows[0]["value"] == "火星基地" and "no loaded place" in rows[0]["reason"]
    with (folder / "gate.rejects.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 7
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM transfers")).scalar_one() == 9  # 8 + B1
        assert conn.execute(text("SELECT count(*) FROM gate_events")).scalar_one() == 1
    engine.dispose()


def test_overdue_prints_the_late_chains_at_the_clock(flows_db: tuple[str, Path]) -> None:
    url, _ = flows_db
    done = _run("flows", "overdue", "--at", "2022-04-10 21:30", url=url)
    assert done.returncode == 0, done.stderr
    chains = json.loads(done.stdout)
    assert [(c["chain_id"], c["overdue_hours"], c["stuck_state"]) for c in chains] == [
        ("C2", 5.5, "in_transit"),
        ("C3", 0.5, "planned"),
    ]
    assert chains[0]["due_at"] == "2022-04-10T16:00:00+08:00"
    assert set(chains[0]) == {
        "chain_id", "legs", "head_count", "started_at", "stuck_leg", "stuck_from", "stuck_to",
        "stuck_state", "due_at", "overdue_hours", "vehicle", "gap",
    }  # fmt: skip
    # A longer deadline: nothing is late yet.
    assert (
        json.loads(
            _run(
                "flows", "overdue", "--at", "2022-04-10T21:30+08:00", "--deadline-hours", "12", url=url
            ).stdout
        )
        == []
    )


def test_the_default_clock_is_the_latest_time_in_the_data(flows_db: tuple[str, Path]) -> None:
    url, _ = flows_db
    done = _run("flows", "overdue", url=url)
    assert done.returncode == 0, done.stderr
    # The latest time is C5's arrival at 17:00: C2 (due 16:00) is one hour late.
    assert [(c["chain_id"], c["overdue_hours"]) for c in json.loads(done.stdout)] == [("C2", 1.0)]


def test_a_bad_clock_is_one_clear_line_and_a_non_zero_exit(flows_db: tuple[str, Path]) -> None:
    url, _ = flows_db
    done = _run("flows", "overdue", "--at", "yesterday", url=url)
    assert done.returncode == 2
    assert "expected a time like" in done.stderr and "'yesterday'" in done.stderr
    assert done.stdout == ""
