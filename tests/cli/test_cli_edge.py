"""The CLI's outer edge: an unexpected failure is one line naming the file; the traceback only under --debug.

And the load flags of issue 11 §2 through the real command: ``--force`` for overlapping admin
units, ``--encoding`` to force a text encoding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import Engine, create_engine, text

from cli import context
from cli.main import main
from etl import pipeline
from tests.fixtures.databases import sibling_url, throwaway_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    context.settings.cache_clear()
    yield
    context.settings.cache_clear()


def _explode(*_args: object, **_kwargs: object) -> None:
    raise ZeroDivisionError("float division by zero\nsecond line with details")


def _places(tmp_path: Path) -> Path:
    path = tmp_path / "places.csv"
    path.write_text("id,kind,lon,lat\np1,checkpoint,121.5,31.24\n")
    return path


def test_unexpected_error_is_one_line_naming_the_file(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline, "load", _explode)
    path = _places(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["load", "places", str(path), "--no-progress"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: {path}: unexpected failure: ZeroDivisionError: float division by zero "
        "(run `battlemap --debug ...` for the traceback)"
    ]
    assert "Traceback" not in err


def test_debug_shows_the_traceback(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline, "load", _explode)
    path = _places(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["--debug", "load", "places", str(path), "--no-progress"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _explode" in err
    assert (
        err.splitlines()[-1]
        == f"error: {path}: unexpected failure: ZeroDivisionError: float division by zero"
    )


# --- the real command


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120)


def _units(path: Path, *units: tuple[str, str, tuple[float, float, float, float]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": "subdistrict"},
            "geometry": box(*bounds).__geo_interface__,
        }
        for code, name, bounds in units
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


@pytest.fixture
def committed_db(database_url: str) -> Iterator[tuple[str, Engine]]:
    """A database of its own for the tests whose CLI loads commit (the session's stays empty)."""
    with throwaway_database(sibling_url(database_url, "cliedge")) as url:
        engine = create_engine(url)
        try:
            yield url, engine
        finally:
            engine.dispose()


def test_load_admin_overlap_needs_force(committed_db: tuple[str, Engine], tmp_path: Path) -> None:
    database_url, engine = committed_db
    first = _units(tmp_path / "lujiazui.geojson", ("cli-005", "陆家嘴街道", (121.50, 31.23, 121.52, 31.25)))
    second = _units(tmp_path / "new.geojson", ("cli-901", "新街道", (121.51, 31.23, 121.53, 31.25)))
    assert _run("load", "admin", str(first), "--no-progress", url=database_url).returncode == 0
    refused = _run("load", "admin", str(second), "--no-progress", url=database_url)
    assert refused.returncode == 2
    where = f"error: {second}, row 1, field 'geometry': "
    assert refused.stderr.startswith(where + "subdistrict '新街道' overlaps '陆家嘴街道' (already loaded)")
    assert len(refused.stderr.splitlines()) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM admin_units WHERE code = 'cli-901'")).scalar_one() == 0
    forced = _run("load", "admin", str(second), "--force", "--no-progress", url=database_url)
    assert forced.returncode == 0, forced.stderr
    assert "loaded anyway" in forced.stdout
    qa = _run("qa", url=database_url)
    assert any(line.split() == ["overlapping_admin_unit_pairs", "1"] for line in qa.stdout.splitlines())
    assert (
        "  subdistrict '陆家嘴街道' and '新街道' overlap over 50% of the smaller one"
        in qa.stdout.splitlines()
    )


def test_load_with_forced_encoding(committed_db: tuple[str, Engine], tmp_path: Path) -> None:
    database_url, engine = committed_db
    path = tmp_path / "gbk_places.csv"
    path.write_bytes("id,kind,name,lon,lat\ncli-p1,checkpoint,卡口,121.5,31.24\n".encode("gbk"))
    result = _run("load", "places", str(path), "--encoding", "gbk", "--no-progress", url=database_url)
    assert result.returncode == 0, result.stderr
    assert "encoding: gbk (given by --encoding)" in result.stdout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM places WHERE source_id = 'cli-p1'")).scalar_one() == "卡口"
