"""`battlemap risk declare`: one JSON object on stdout, the zones as GeoJSON, stored unless --dry-run."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from geo.crs import wgs84_to_gcj02
from geo.vocab import CHINA_TZ
from tests.risk_world import CASE, DECLARE_AUDIT_KEYS

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [BATTLEMAP, "risk", "declare", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _stored(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM risk_areas WHERE source = 'declared'")).scalar_one())
    engine.dispose()
    return n


def test_dry_run_prints_the_counts_and_writes_the_zones(risk_world_url: str, tmp_path: Path) -> None:
    before = _stored(risk_world_url)
    lon, lat = wgs84_to_gcj02(*CASE)
    out = tmp_path / "zones.geojson"
    done = _run(
        "--at", f"{lon},{lat}", "--crs", "gcj02", "--date", "2022-04-10", "--dry-run", "-o", str(out),
        url=risk_world_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # exactly one JSON object
    zones = summary["zones"]
    assert [zones[z]["buildings"] for z in ("sealed", "control", "prevention")] == [2, 4, 5]
    assert zones["sealed"]["households"] == 3 and zones["sealed"]["households_by_status"]["confirmed"] == 1
    assert summary["dry_run"] is True and summary["risk_area_id"] is None
    collection = json.loads(out.read_text(encoding="utf-8"))
    assert [f["properties"]["zone"] for f in collection["features"]] == ["sealed", "control", "prevention"]
    assert collection["features"][1]["properties"]["buildings"] == 4
    assert _stored(risk_world_url) == before


def test_declare_stores_the_area(risk_world_url: str) -> None:
    before = _stored(risk_world_url)
    done = _run("--at", f"{CASE[0]},{CASE[1]}", "--date", "2022-04-10", url=risk_world_url)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert isinstance(summary["risk_area_id"], int) and summary["declared_at"].startswith("2022-04-10T00:00")
    assert _stored(risk_world_url) == before + 1
    assert set(_audit_detail(risk_world_url, summary["risk_area_id"])) == DECLARE_AUDIT_KEYS


def test_declare_for_today_starts_now_as_on_the_map(risk_world_url: str) -> None:
    """``--date <today>`` declares the area now, not at 00:00 (the rule of geo.risk.declare)."""
    before = dt.datetime.now(CHINA_TZ)
    done = _run("--at", f"{CASE[0]},{CASE[1]}", "--date", before.date().isoformat(), url=risk_world_url)
    assert done.returncode == 0, done.stderr
    declared_at = dt.datetime.fromisoformat(json.loads(done.stdout)["declared_at"])
    assert before - dt.timedelta(seconds=1) <= declared_at <= dt.datetime.now(CHINA_TZ)


def _audit_detail(url: str, area_id: int) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        detail = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'risk_declare' AND target = :t"),
            {"t": f"risk_area:{area_id}"},
        ).scalar_one()
    engine.dispose()
    return detail


def test_bad_input_is_one_clear_line_and_a_non_zero_exit(risk_world_url: str, tmp_path: Path) -> None:
    outside = _run("--at", "116.40,39.90", "--dry-run", url=risk_world_url)
    assert outside.returncode == 2 and "no loaded building within 2000 m" in outside.stderr
    assert outside.stdout == ""
    rules = tmp_path / "rules.yaml"
    rules.write_text("prevention:\n  radius_m: -1\n", encoding="utf-8")
    bad_rules = _run("--at", f"{CASE[0]},{CASE[1]}", "--rules", str(rules), "--dry-run", url=risk_world_url)
    assert bad_rules.returncode == 2 and "prevention.radius_m" in bad_rules.stderr
    bad_crs = _run("--at", f"{CASE[0]},{CASE[1]}", "--crs", "mars", "--dry-run", url=risk_world_url)
    assert bad_crs.returncode == 2 and "mars" in bad_crs.stderr
    bad_point = _run("--at", "121.5", "--dry-run", url=risk_world_url)
    assert bad_point.returncode == 2 and "LON,LAT" in bad_point.stderr
