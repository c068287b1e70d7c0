"""Real clients of the OGC API: GDAL's OAPIF driver lists the collections, ogr2ogr copies a bbox of
buildings into a GeoPackage with the right count, and GDAL reads the OGC vector tiles."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyogrio
import pytest

from tests.auth_support import token_on
from tests.fixtures import small_city as city

pytestmark = pytest.mark.skipif(
    not Path("/usr/bin/ogrinfo").exists(), reason="gdal-bin (scripts/setup_os.sh)"
)


@pytest.fixture(scope="module")
def gdal_env(small_city_url: str) -> dict[str, str]:
    token = token_on(small_city_url, "gdal-commander")
    return os.environ | {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}", "CPL_DEBUG": "OFF"}


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_ogrinfo_lists_the_collections(live_city: str, gdal_env: dict[str, str]) -> None:
    out = _run(["ogrinfo", "-ro", "-q", f"OAPIF:{live_city}/ogc"], gdal_env)
    for name in ("buildings", "grids", "risk-areas", "transfers"):
        assert f": {name}" in out, out


def test_ogrinfo_reads_the_buildings_with_their_count(live_city: str, gdal_env: dict[str, str]) -> None:
    out = _run(["ogrinfo", "-ro", "-so", "-al", f"OAPIF:{live_city}/ogc/collections/buildings"], gdal_env)
    assert f"Feature Count: {len(city.BUILDINGS)}" in out, out
    assert "floors" in out


def test_ogr2ogr_copies_a_bbox_of_buildings_into_a_geopackage(
    live_city: str, gdal_env: dict[str, str], tmp_path: Path
) -> None:
    """G1 (the two western columns) by a box around them: six buildings, paged two at a time."""
    west, south, _, _ = city.footprint("b01")
    _, _, east, north = city.footprint("b10")
    out = tmp_path / "g1.gpkg"
    _run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            str(out),
            f"OAPIF:{live_city}/ogc/collections/buildings",
            "-oo",
            "PAGE_SIZE=2",
            "-spat",
            str(west - 1e-5),
            str(south - 1e-5),
            str(east + 1e-5),
            str(north + 1e-5),
            "-nln",
            "buildings",
        ],
        gdal_env,
    )
    frame = pyogrio.read_dataframe(out, layer="buildings")
    assert sorted(frame["id"]) == city.G1
    assert frame.crs is not None and frame.crs.to_epsg() == 4326
