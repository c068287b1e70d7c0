"""The README's QGIS recipe with PyQGIS headless (Debian's python3-qgis, QT_QPA_PLATFORM=offscreen): a
URL key, the OGC API - Features layer and the vector tile layer, each rendered to a non-blank PNG."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from geo import credentials
from tests.auth_support import ensure_user
from tests.fixtures import small_city as city

SCRIPT = Path(__file__).with_name("pyqgis_render.py")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "qgis"
HAS_QGIS = (
    subprocess.run(
        ["/usr/bin/python3", "-c", "import qgis.core"], capture_output=True, check=False
    ).returncode
    == 0
)


@pytest.mark.skipif(not HAS_QGIS, reason="python3-qgis (scripts/setup_os.sh)")
def test_qgis_draws_the_features_and_the_tiles_with_a_url_key(
    live_city: str, small_city_url: str, tmp_path: Path
) -> None:
    engine = create_engine(small_city_url)
    try:
        ensure_user(engine, "qgis-reader", role="analyst")
        with engine.begin() as conn:
            key = credentials.issue_url_key(conn, "qgis-reader", layers=["buildings"], days=1)
    finally:
        engine.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    done = subprocess.run(
        ["/usr/bin/python3", str(SCRIPT), live_city, key, str(ARTIFACTS)],
        env=env | {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["features"]["valid"], result
    assert result["features"]["features"] == len(city.BUILDINGS)  # every page, through the next links
    assert result["features"]["painted"] > 0.02, result
    assert result["tiles"]["valid"], result
    assert result["tiles"]["painted"] > 0.02, result
