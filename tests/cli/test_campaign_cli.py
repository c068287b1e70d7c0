"""The real commands: `battlemap campaign add|list|board` and `battlemap load vaccination`, with the JSON
contract of the board (the keys the brief, scripts and the page rely on) and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from geo.campaign.board import board
from tests.campaign_world import DAY, NAME, _admin, daily_files
from tests.fixtures.databases import sibling_url, throwaway_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
CONTRACT = ("unit", "target", "organised", "booked", "vaccinated", "remaining", "days_left", "daily_needed",
            "avg_7d", "behind")  # fmt: skip


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def cli_db(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("campaign-cli")
    with throwaway_database(sibling_url(database_url, "campaign_cli")) as url:
        engine = create_engine(url)
        try:
            _admin(engine)
        finally:
            engine.dispose()
        (folder / "targets.csv").write_text(
            "unit,任务总量\nCM-A1,1000\n二居委,2000\nSD-B,3000\n", encoding="utf-8"
        )
        done = _run("campaign", "add", NAME, "--start", "2022-04-01", "--deadline", "2022-04-30",
                    "--dose", "booster", "--targets", str(folder / "targets.csv"), url=url)  # fmt: skip
        assert done.returncode == 0, done.stderr
        for n, frame in enumerate(daily_files()):
            path = folder / f"day-{n}.csv"
            frame.to_csv(path, index=False)
            done = _run("load", "vaccination", str(path), "--no-progress", url=url)
            assert done.returncode == 0, done.stderr
        yield url, folder


def test_board_json_contract_equals_the_function(cli_db: tuple[str, Path]) -> None:
    url, _ = cli_db
    done = _run("campaign", "board", NAME, "--date", DAY.isoformat(), "--json", url=url)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["code"] for r in rows] == ["SD-A", "SD-B"]
    for row in rows:
        assert set(CONTRACT) <= set(row)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            expected = [r.to_json() for r in board(conn, NAME, day=DAY)]
    finally:
        engine.dispose()
    assert rows == expected
    unit = json.loads(_run("campaign", "board", NAME, "--date", DAY.isoformat(), "--unit", "SD-A", "--json",
                           url=url).stdout)  # fmt: skip
    assert [r["unit"] for r in unit] == ["甲街道", "一居委", "二居委"]


def test_list_and_table(cli_db: tuple[str, Path]) -> None:
    url, _ = cli_db
    listed = json.loads(_run("campaign", "list", "--json", url=url).stdout)
    assert [(c["name"], c["dose"], c["start"], c["deadline"]) for c in listed] == [
        (NAME, "booster", "2022-04-01", "2022-04-30")
    ]
    table = _run("campaign", "board", NAME, "--date", DAY.isoformat(), url=url)
    assert table.returncode == 0 and "任务总量" in table.stdout and "甲街道" in table.stdout


def test_errors_are_one_line(cli_db: tuple[str, Path]) -> None:
    url, folder = cli_db
    done = _run("campaign", "board", "nothing", url=url)
    assert done.returncode == 4 and done.stderr.startswith("error: no campaign 'nothing'")
    assert "Traceback" not in done.stderr
    (folder / "bad_targets.csv").write_text("unit,target\n甲,10\nSD-B,x\n", encoding="utf-8")
    done = _run("campaign", "add", "other", "--deadline", "2022-05-01", "--targets",
                str(folder / "bad_targets.csv"), url=url)  # fmt: skip
    assert done.returncode == 2 and "bad_targets.csv, row 1, field 'unit'" in done.stderr, done.stderr
    assert "nearest: 甲街道 (SD-A)" in done.stderr and "row 2 'target'" in done.stderr
    assert "Traceback" not in done.stderr
    listed = json.loads(_run("campaign", "list", "--json", url=url).stdout)
    assert len(listed) == 1  # nothing half-written
