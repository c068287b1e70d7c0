"""The shipped demo extract in data/sample: counts, size budget, manifest, and a byte-identical rebuild."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"
SCRIPT = REPO / "data" / "build_sample.py"
SHARED = REPO.parent / "shared" / "data"
SIZE_LIMIT = 4_000_000  # bytes: a clone must stay small

EXPECTED_ROWS = {
    "districts_gcj02.geojson": 16,
    "subdistricts.geojson.gz": 214,
    "buildings_lujiazui.geojson.gz": 1450,
    "case_addresses_geocoded.csv.gz": 34975,
    "case_addresses_daily.csv.gz": 107498,
    "risk_areas_shanghai.csv.gz": 1787,
}
OTHER_FILES = ("compounds_lujiazui.geojson.gz", "pois_lujiazui.geojson.gz", "basemap_lujiazui.geojson.gz")
ALL_FILES = sorted([*EXPECTED_ROWS, *OTHER_FILES])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _gdal_path(path: Path) -> str:
    """GDAL reads gzipped GeoJSON only through /vsigzip/."""
    return f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)


def _count(path: Path) -> int:
    if ".geojson" in path.name:
        return int(pyogrio.read_info(_gdal_path(path))["features"])
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((SAMPLE / "MANIFEST.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def subdistricts() -> pd.DataFrame:
    return pyogrio.read_dataframe(_gdal_path(SAMPLE / "subdistricts.geojson.gz"))


def test_manifest_lists_every_file(manifest: dict[str, Any]) -> None:
    on_disk = {p.name for p in SAMPLE.iterdir() if p.is_file()} - {"MANIFEST.json"}
    assert on_disk == set(manifest["files"])


@pytest.mark.parametrize("name", ALL_FILES)
def test_manifest_matches_file(manifest: dict[str, Any], name: str) -> None:
    path = SAMPLE / name
    entry = manifest["files"][name]
    assert _count(path) == entry["rows"], f"{name}: manifest says {entry['rows']} rows"
    assert path.stat().st_size == entry["bytes"], f"{name}: manifest says {entry['bytes']} bytes"
    assert _sha256(path) == entry["sha256"], f"{name}: sha256 differs from MANIFEST.json; rerun the build"


@pytest.mark.parametrize(("name", "rows"), sorted(EXPECTED_ROWS.items()))
def test_expected_counts(name: str, rows: int) -> None:
    assert _count(SAMPLE / name) == rows


def test_total_size_within_budget() -> None:
    total = sum(p.stat().st_size for p in SAMPLE.iterdir() if p.is_file())
    assert total < SIZE_LIMIT, f"data/sample is {total:,} bytes; the limit is {SIZE_LIMIT:,}"


def test_no_file_reuses_a_source_basename(manifest: dict[str, Any]) -> None:
    """A repo hook flags shipped files named like a shared source; the names must stay distinct."""
    sources = {Path(s["path"]).name for entry in manifest["files"].values() for s in entry["sources"]}
    assert not sources & {p.name for p in SAMPLE.iterdir()}


def test_subdistricts_content(subdistricts: pd.DataFrame) -> None:
    assert (subdistricts["district"] == "浦东新区").sum() == 36
    assert subdistricts["district"].nunique() == 16
    assert "陆家嘴街道" in set(subdistricts["name"])
    assert subdistricts["code"].is_unique
    assert subdistricts["code"].str.fullmatch(r"3101\d\d-\d{3}").all()
    assert subdistricts.geometry.is_valid.all()
    assert list(subdistricts.columns) == ["code", "name", "district", "name_en", "geometry"]


def test_subdistrict_codes_start_with_their_district_code(subdistricts: pd.DataFrame) -> None:
    districts = pyogrio.read_dataframe(SAMPLE / "districts_gcj02.geojson")
    by_name = dict(zip(districts["name"], districts["code"], strict=True))
    assert (subdistricts["code"].str[:6] == subdistricts["district"].map(by_name)).all()


def test_rebuild_is_byte_identical(manifest: dict[str, Any], tmp_path: Path) -> None:
    """A rebuild from ../shared/data reproduces every shipped file exactly: the extract is not hand-made."""
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}; this test needs it to rebuild the sample")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(SHARED), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"build_sample.py failed:\n{proc.stderr}"
    rebuilt = json.loads((tmp_path / "MANIFEST.json").read_text(encoding="utf-8"))
    assert set(rebuilt["files"]) == set(manifest["files"])
    for name, entry in manifest["files"].items():
        new = rebuilt["files"][name]
        assert new["content_sha256"] == entry["content_sha256"], f"{name}: rebuilt content differs"
        assert new["sha256"] == entry["sha256"], (
            f"{name}: same content, different gzip bytes (zlib {rebuilt['built_with']['zlib']} "
            f"here, {manifest['built_with']['zlib']} in MANIFEST.json)"
        )
        assert _sha256(tmp_path / name) == entry["sha256"]
