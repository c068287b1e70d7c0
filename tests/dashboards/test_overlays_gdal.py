"""GDAL's OAPIF driver reads an overlay published from a notebook: listed among the collections of the
user it is shared with, its features copied with their properties and count."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import create_engine

from geo.audit import cli_actor
from geo.overlays.registry import delete_overlay, find_overlay
from layers import notebook
from tests.auth_support import token_on
from tests.fixtures import small_city as city

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/ogrinfo").exists(), reason="gdal-bin (scripts/setup_os.sh)"
)
NAME = "gdal_sites"


@pytest.fixture(scope="module")
def overlay(small_city_url: str) -> Iterator[str]:
    engine = create_engine(small_city_url)
    token = token_on(small_city_url, "gdal-analyst", role="analyst")
    sites = gpd.GeoDataFrame(
        {"label": ["gate", "tent", "van"], "capacity": [10, 25, 4]},
        geometry=[Point(city.centre(b)) for b in ("b01", "b06", "b12")],
        crs="EPSG:4326",
    ).to_crs(32651)  # published in UTM 51N: stored and served in WGS84
    notebook.publish(sites, name=NAME, token=token, style="#1b9e77", source=engine)
    try:
        yield f"overlay:{NAME}"
    finally:
        with engine.begin() as conn:
            if find_overlay(conn, NAME) is not None:
                delete_overlay(conn, NAME, cli_actor())
        engine.dispose()


@pytest.fixture(scope="module")
def analyst_env(small_city_url: str) -> dict[str, str]:
    token = token_on(small_city_url, "gdal-analyst", role="analyst")
    return os.environ | {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}", "CPL_DEBUG": "OFF"}


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_gdal_lists_and_copies_the_overlay(
    live_city: str, overlay: str, analyst_env: dict[str, str], tmp_path: Path
) -> None:
    listed = _run(["ogrinfo", "-ro", "-q", f"OAPIF:{live_city}/ogc"], analyst_env)
    assert f": {overlay}" in listed, listed
    summary = _run(
        ["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_city}/ogc/collections/{overlay}"], analyst_env
    )
    assert "Feature Count: 3" in summary and "capacity" in summary, summary
    out = tmp_path / "sites.gpkg"
    _run(
        ["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_city}/ogc/collections/{overlay}", "-nln", "sites"],
        analyst_env,
    )
    frame = pyogrio.read_dataframe(out, layer="sites").sort_values("capacity")
    assert list(frame["label"]) == ["van", "gate", "tent"]
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
    x, y = city.centre("b06")
    tent = frame[frame["label"] == "tent"].geometry.iloc[0]
    assert (tent.x, tent.y) == pytest.approx((x, y), abs=1e-7)
