"""``battlemap --help`` imports no command: heavy modules load only when their command runs.

The group's table (``cli.main.COMMANDS``) gives each command's place and one-line help; these tests
keep it true to the commands themselves. The speed figure lives in the README, not in a timed test:
here the proof is what ``--help`` imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli.lazy import load_command
from cli.main import COMMANDS
from tests.fixtures.databases import sibling_url, throwaway_database

REPO = Path(__file__).resolve().parents[2]
BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
HEAVY = (
    "geopandas",
    "pandas",
    "shapely",
    "dash",
    "flask",
    "reportlab",
    "sqlalchemy",
    "pyproj",
    "etl",
    "layers",
)
JSON_LOGS = {"BATTLEMAP_LOG_FORMAT": "json", "BATTLEMAP_LOG_LEVEL": "info"}
PROBE = """
import json, sys
from cli.main import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def test_top_level_help_imports_no_heavy_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Commands:" in done.stdout and "serve" in done.stdout
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert sorted(loaded & set(HEAVY)) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_table_gives_each_command_its_own_name_and_help(name: str) -> None:
    target, help_line = COMMANDS[name]
    command = load_command(target)
    assert command.name == name
    assert command.get_short_help_str(limit=10**6) == help_line


def test_a_command_runs_and_its_logs_follow_the_log_settings(tmp_path: Path, database_url: str) -> None:
    """``battlemap load`` through the console script, JSON logs asked: its summary record on stderr."""
    places = tmp_path / "places.csv"
    places.write_text("id,name,kind,lon,lat\np1,浦东机场,airport,121.805,31.143\n", encoding="utf-8")
    with throwaway_database(sibling_url(database_url, "logs")) as url:  # the load commits
        env = {**os.environ, "DATABASE_URL": url, **JSON_LOGS}
        done = subprocess.run(
            [BATTLEMAP, "load", "places", str(places)], env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    loads = [r for r in records if r["logger"] == "etl.pipeline"]
    assert len(loads) == 1 and loads[0]["load"]["kind"] == "places"
    assert loads[0]["load"]["file"] == "places.csv" and loads[0]["load"]["rows_read"] == 1
