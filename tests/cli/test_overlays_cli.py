"""`battlemap overlays list|approve|delete` as a person runs them: what is published, approval for the
wall, deletion, audited; an unknown name is one clear line and exit 4, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from sqlalchemy import create_engine, text

from layers import notebook
from tests.auth_support import token_on
from tests.fixtures.databases import sibling_url, throwaway_database

BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))


@pytest.fixture(scope="module")
def overlays_url(database_url: str) -> Iterator[str]:
    with throwaway_database(sibling_url(database_url, "overlays_cli")) as url:
        yield url


def _run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [BATTLEMAP, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_overlays_are_listed_approved_and_deleted(overlays_url: str) -> None:
    assert "no overlays are published" in _run("overlays", "list", url=overlays_url).stdout
    token = token_on(overlays_url, "cli-analyst", role="analyst")
    engine = create_engine(overlays_url)
    try:
        sites = gpd.GeoDataFrame(
            {"label": ["a", "b"]}, geometry=[Point(121.5, 31.24), Point(121.51, 31.25)], crs=4326
        )
        notebook.publish(
            sites, name="cli_sites", token=token, style="#1B9E77", share_with="operator", source=engine
        )
        listed = _run("overlays", "list", url=overlays_url)
        assert listed.returncode == 0, listed.stderr
        row = next(line for line in listed.stdout.splitlines() if line.startswith("cli_sites\t"))
        assert row.split("\t")[1:2] + row.split("\t")[3:7] == [
            "cli-analyst",
            "2",
            "point",
            "#1b9e77",
            "operator",
        ]
        assert row.endswith("not approved")

        approved = _run("overlays", "approve", "cli_sites", url=overlays_url)
        assert approved.returncode == 0, approved.stderr
        assert "approved by " in _run("overlays", "list", url=overlays_url).stdout

        unknown = _run("overlays", "approve", "nonesuch", url=overlays_url)
        assert unknown.returncode == 4
        assert (
            unknown.stderr.strip()
            == "error: no overlay is named 'nonesuch'; `battlemap overlays list` shows them"
        )

        deleted = _run("overlays", "delete", "cli_sites", url=overlays_url)
        assert deleted.returncode == 0 and "overlay cli_sites is deleted" in deleted.stdout
        assert "no overlays are published" in _run("overlays", "list", url=overlays_url).stdout
        with engine.connect() as conn:
            actions = conn.execute(
                text("SELECT action FROM audit_log WHERE target = 'overlay:cli_sites' ORDER BY id")
            ).scalars()
            assert list(actions) == ["overlay_publish", "overlay_approve", "overlay_delete"]
    finally:
        engine.dispose()
