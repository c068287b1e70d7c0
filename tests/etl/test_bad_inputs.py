"""Malformed inputs: every file in tests/fixtures/bad has one exact outcome, asserted here.

Either the load fails as a whole (an InputError naming the file and, where there is one, the
row and the field, with the reason and the fix) and writes nothing, or it loads what it can
with exact counts, and the rejects CSV beside the input lists each rejected row's number,
field, value and reason. A few cases also go through the real ``battlemap load`` command.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.errors import InputError, RejectLimitExceeded

BAD = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
BATTLEMAP = str(Path(sys.executable).with_name("battlemap"))
TABLES = {"buildings": "buildings", "places": "places"}

# (row, field, value, a substring of the reason) as the rejects CSV must list them.
RejectRow = tuple[int, str, str, str]

SWAPPED = "longitude and latitude look swapped (the point lies in China once they are exchanged)"
OUTSIDE_CHINA = "outside China (longitude 73.66..135.05, latitude 3.86..53.55)"


@dataclass(frozen=True)
class Fails:
    """The load raises ``error``: nothing is written, the exit code is ``exit_code``."""

    reason: str
    row: int | None = None
    field: str | None = None
    fix: str | None = None
    rejects: tuple[RejectRow, ...] = ()
    error: type[InputError] = InputError
    exit_code: int = 2


@dataclass(frozen=True)
class Loads:
    """The load succeeds with these exact counts and rejects."""

    inserted: int
    repaired: int = 0
    duplicates: int = 0
    rejects: tuple[RejectRow, ...] = ()


CASES = [
    # --- unreadable as a whole
    pytest.param(
        "truncated.geojson",
        "buildings",
        {},
        Fails("not valid JSON at line 46, column 6: Expecting value (is the file truncated?)"),
        id="truncated-json",
    ),
    pytest.param(
        "invalid_json.geojson",
        "buildings",
        {},
        Fails("not valid JSON at line 1, column 2: Expecting property name enclosed in double quotes"),
        id="invalid-json",
    ),
    pytest.param(
        "not_a_collection.geojson",
        "buildings",
        {},
        Fails("expected a GeoJSON FeatureCollection, found 'Feature'", field="type"),
        id="not-a-featurecollection",
    ),
    pytest.param(
        "empty.geojson", "buildings", {}, Fails("the file is empty (0 bytes)"), id="zero-byte-geojson"
    ),
    pytest.param("empty.csv", "places", {}, Fails("the file is empty (0 bytes)"), id="zero-byte-csv"),
    pytest.param("header_only.csv", "places", {}, Fails("the file has no rows"), id="csv-header-only"),
    pytest.param(
        "ragged.csv",
        "places",
        {},
        Fails("cannot be parsed: Error tokenizing data. C error: Expected 4 fields in line 4, saw 5", row=3),
        id="csv-ragged-row",
    ),
    pytest.param(
        "bad_encoding.csv",
        "places",
        {},
        Fails("text is neither UTF-8 nor GB18030/GBK", fix="save the file as UTF-8"),
        id="csv-neither-utf8-nor-gbk",
    ),
    pytest.param(
        "unsupported.dwg",
        "buildings",
        {},
        Fails("unsupported file type '.dwg'", fix="use GeoJSON, GeoPackage, Shapefile"),
        id="unsupported-format",
    ),
    pytest.param(
        "corrupt.gpkg",
        "buildings",
        {},
        Fails("cannot be read as a vector file: sqlite3_prepare_v2"),
        id="corrupt-geopackage",
    ),
    pytest.param(
        "no_shapefile.zip",
        "buildings",
        {},
        Fails("cannot be read as a vector file: '/vsizip/"),
        id="zip-without-shapefile",
    ),
    # --- coordinate systems
    pytest.param(
        "no_prj.shp",
        "buildings",
        {},
        Fails(
            "the file does not say its coordinate system (a Shapefile without .prj?)",
            fix="pass --crs wgs84, --crs gcj02, --crs bd09 or --crs EPSG:<code>",
        ),
        id="shapefile-without-prj",
    ),
    pytest.param("no_prj.shp", "buildings", {"crs": "wgs84"}, Loads(2), id="shapefile-without-prj-crs-given"),
    pytest.param(
        "unknown_crs.geojson",
        "buildings",
        {},
        Fails(
            "unknown CRS 'urn:ogc:def:crs:EPSG::999999' in the 'crs' member",
            field="crs",
            fix="pass --crs",
        ),
        id="unknown-crs-in-file",
    ),
    pytest.param(
        "coordinates_nan_empty.csv",
        "places",
        {"crs": "EPSG:999999"},
        Fails("unknown CRS 'EPSG:999999' given by --crs", field="--crs", fix="use wgs84, gcj02, bd09"),
        id="unknown-crs-option",
    ),
    # --- columns
    pytest.param(
        "no_coordinates.csv",
        "places",
        {},
        Fails(
            "no longitude column found (looked for lon, lng, long, longitude, x",
            field="longitude",
            fix="name the columns with --lon-col and --lat-col (or --wkt-col); "
            "the file's columns are: kind, name, address",
        ),
        id="csv-without-coordinate-columns",
    ),
    pytest.param(
        "swapped.csv",
        "places",
        {"lon_col": "经度"},
        Fails(
            "column '经度' given by --lon-col is not in the file",
            field="经度",
            fix="columns are: kind, name, lon, lat",
        ),
        id="lon-col-not-in-file",
    ),
    # --- geometry types and geometries
    pytest.param(
        "points_as_buildings.geojson",
        "buildings",
        {},
        Fails(
            "buildings need Polygon or MultiPolygon geometries, but all 3 rows are Point",
            field="geometry",
            fix="is this the right file for `battlemap load buildings`?",
        ),
        id="wrong-geometry-type",
    ),
    pytest.param("self_intersecting.geojson", "buildings", {}, Loads(3, repaired=1), id="self-intersecting"),
    pytest.param("unclosed_ring.geojson", "buildings", {}, Loads(3, repaired=1), id="unclosed-ring"),
    pytest.param(
        "unrepairable.geojson",
        "buildings",
        {},
        Loads(
            1,
            rejects=(
                (
                    2,
                    "geometry",
                    "Self-intersection[121.501 31.24]",
                    "invalid geometry that cannot be repaired as Polygon or MultiPolygon",
                ),
                (
                    3,
                    "geometry",
                    "[[[121.5, 31.24], [121.501, 31.24]]]",
                    "invalid Polygon geometry: A linearring requires at least 4 coordinates",
                ),
            ),
        ),
        id="unrepairable-polygons",
    ),
    pytest.param(
        "empty_geometries.geojson",
        "buildings",
        {},
        Loads(
            1,
            rejects=(
                (2, "geometry", "", "empty geometry"),
                (3, "geometry", "null", "the feature has no geometry"),
                (4, "type", "not a feature", "not a GeoJSON Feature"),
            ),
        ),
        id="empty-and-null-geometries",
    ),
    pytest.param(
        "nan_coordinates.geojson",
        "buildings",
        {},
        Loads(1, rejects=((2, "geometry", "", "NaN or infinite coordinate"),)),
        id="nan-coordinate-geojson",
    ),
    pytest.param(
        "coordinates_nan_empty.csv",
        "places",
        {},
        Loads(
            1,
            rejects=(
                (2, "lon", "", "empty coordinate"),
                (3, "lat", "NaN", "not a finite number"),
                (4, "lon", "东经121度", "not a finite number"),
            ),
        ),
        id="nan-and-empty-coordinates-csv",
    ),
    pytest.param(
        "all_rejected.geojson",
        "buildings",
        {},
        Fails(
            "none of the 2 rows can be loaded; first problem: the feature has no geometry",
            row=1,
            field="geometry",
            fix="see ",
            rejects=(
                (1, "geometry", "null", "the feature has no geometry"),
                (2, "geometry", "null", "the feature has no geometry"),
            ),
        ),
        id="every-row-rejected",
    ),
    pytest.param(
        "bad_attributes.csv",
        "buildings",
        {},
        Loads(
            1,
            rejects=(
                (2, "height", "tall", "not a number"),
                # A leading "-" is neutralised for spreadsheets (OWASP CSV injection).
                (3, "floors", "'-2", "expected a whole number >= 0"),
                (4, "wkt", "POLYGON ((121.5 31.24, 121.501", "not valid WKT"),
                (5, "wkt", "", "empty geometry"),
            ),
        ),
        id="bad-attributes-and-wkt",
    ),
    # --- positions
    pytest.param(
        "swapped.csv",
        "places",
        {},
        Fails(
            "longitude and latitude look swapped in 3 of 3 rows",
            field="lon",
            fix="pass --lon-col lat --lat-col lon",
            rejects=tuple((i, "lon/lat", f"31.240000 121.50{i}000", SWAPPED) for i in (1, 2, 3)),
        ),
        id="lat-lon-swapped",
    ),
    pytest.param(
        "swapped.csv",
        "places",
        {"lon_col": "lat", "lat_col": "lon"},
        Loads(3),
        id="lat-lon-swapped-fix-applied",
    ),
    pytest.param(
        "some_swapped.csv",
        "places",
        {},
        Loads(3, rejects=((4, "lon/lat", "31.240000 121.500000", SWAPPED),)),
        id="one-row-swapped",
    ),
    pytest.param(
        "outside_china.csv",
        "places",
        {},
        Loads(
            1,
            rejects=(
                (2, "lon/lat", "139.691700 35.689500", OUTSIDE_CHINA),
                (3, "lon/lat", "'-0.127600 51.507200", OUTSIDE_CHINA),
            ),
        ),
        id="outside-china",
    ),
    pytest.param(
        "outside_area.csv",
        "places",
        {"area": (121.3, 31.0, 121.9, 31.5)},
        Loads(
            1,
            rejects=(
                (2, "lon/lat", "116.397500 39.908700", "outside the declared area 121.3,31,121.9,31.5"),
            ),
        ),
        id="outside-declared-area",
    ),
    # --- values, encodings, duplicates
    pytest.param(
        "gbk.csv",
        "places",
        {},
        Loads(2, rejects=((2, "类型", "菜场", "expected one of compound_gate, checkpoint"),)),
        id="gbk-csv-unknown-kind",
    ),
    pytest.param(
        "missing_kind.xlsx",
        "places",
        {},
        Loads(2, rejects=((2, "kind", "", "required value is missing"),)),
        id="xlsx-required-value-missing",
    ),
    pytest.param("duplicate_ids.geojson", "buildings", {}, Loads(2, duplicates=1), id="duplicate-ids"),
    pytest.param(
        "coordinates_nan_empty.csv",
        "places",
        {"strict": True},
        Fails(
            "3 rows rejected and --strict was given; nothing was loaded",
            row=2,
            field="lon",
            error=RejectLimitExceeded,
            rejects=(
                (2, "lon", "", "empty coordinate"),
                (3, "lat", "NaN", "not a finite number"),
                (4, "lon", "东经121度", "not a finite number"),
            ),
        ),
        id="strict-with-rejects",
    ),
]


def _copy(name: str, target: Path) -> Path:
    """The fixture (with its sidecar files) in a scratch folder, so its rejects CSV lands there."""
    stem = name.split(".")[0]
    for part in BAD.iterdir():
        if part.name.split(".")[0] == stem:
            shutil.copy(part, target / part.name)
    return target / name


def _rejects_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "field", "value", "reason"]
    return rows[1:]


def _assert_rejects(path: Path, expected: tuple[RejectRow, ...]) -> None:
    """The rejects CSV beside the input lists exactly the expected rows (or does not exist)."""
    rejects = path.with_name(path.name + ".rejects.csv")
    if not expected:
        assert not rejects.exists()
        return
    rows = _rejects_csv(rejects)
    assert [(int(r), f, v) for r, f, v, _ in rows] == [(r, f, v) for r, f, v, _ in expected]
    for (*_, reason), (*_, wanted) in zip(rows, expected, strict=True):
        assert wanted in reason


def _count(conn: Connection, kind: str) -> int:
    return int(conn.execute(text(f"SELECT count(*) FROM {TABLES[kind]}")).scalar_one())


@pytest.mark.parametrize(("name", "kind", "options", "expected"), CASES)
def test_bad_input(
    conn: Connection, tmp_path: Path, name: str, kind: str, options: dict, expected: Fails | Loads
) -> None:
    path = _copy(name, tmp_path)
    before = _count(conn, kind)
    load_options = LoadOptions(progress=False, **options)
    if isinstance(expected, Fails):
        with pytest.raises(InputError) as caught:
            pipeline.load(conn, kind, path, options=load_options)
        error = caught.value
        message = str(error)
        assert type(error) is expected.error
        assert message.startswith(str(path))
        assert (error.row, error.field) == (expected.row, expected.field)
        if expected.row is not None:
            assert f"row {expected.row}" in message
        if expected.field is not None:
            assert f"field {expected.field!r}" in message
        assert expected.reason in error.reason
        if expected.fix is not None:
            assert error.fix is not None and expected.fix in error.fix
            assert f"fix: {error.fix}" in message
        assert error.exit_code == expected.exit_code
        assert _count(conn, kind) == before, "a failed load wrote rows"
    else:
        report = pipeline.load(conn, kind, path, options=load_options)
        counts = (report.inserted, report.updated, report.repaired, report.duplicates, report.rejected)
        assert counts == (expected.inserted, 0, expected.repaired, expected.duplicates, len(expected.rejects))
        assert report.rows_read == expected.inserted + expected.duplicates + len(expected.rejects)
        assert _count(conn, kind) == before + expected.inserted
        expected_path = str(path.with_name(path.name + ".rejects.csv")) if expected.rejects else None
        assert report.rejects_path == expected_path
    _assert_rejects(path, expected.rejects)


def test_fixture_folder_holds_at_least_twenty_malformed_inputs() -> None:
    inputs = {p.name.split(".")[0] for p in BAD.iterdir() if p.suffix != ".py"}
    assert len(inputs) >= 20
    used = {p.values[0].split(".")[0] for p in CASES}
    assert inputs == used, "every fixture has a case in CASES and every case a fixture"


def test_duplicate_ids_last_row_wins_and_is_reported(conn: Connection, tmp_path: Path) -> None:
    report = pipeline.load(conn, "buildings", _copy("duplicate_ids.geojson", tmp_path), options=LoadOptions())
    assert report.warnings == [
        "1 rows repeat an id that a later row has too; the later row wins: 'b1' (row 1)"
    ]
    rows = conn.execute(
        text("SELECT source_id, name, round(ST_X(ST_Centroid(geom))::numeric, 5) FROM buildings ORDER BY 1")
    ).all()
    assert [(s, n, float(x)) for s, n, x in rows] == [("b1", "新楼", 121.50225), ("b2", "二号楼", 121.50125)]


@pytest.mark.parametrize(
    ("name", "parts", "area_m2"),
    [
        ("self_intersecting.geojson", 2, 5_281),  # the bow-tie becomes its two triangles
        ("unclosed_ring.geojson", 1, 2_640),  # the ring is closed: the full 0.0005° square
    ],
)
def test_repaired_polygons_are_stored_valid(
    conn: Connection, tmp_path: Path, name: str, parts: int, area_m2: int
) -> None:
    pipeline.load(conn, "buildings", _copy(name, tmp_path), options=LoadOptions())
    valid, count, area = conn.execute(
        text(
            "SELECT ST_IsValid(geom), ST_NumGeometries(geom), ST_Area(geom::geography) "
            "FROM buildings WHERE source_id = 'b2'"
        )
    ).one()
    assert valid and count == parts
    assert area == pytest.approx(area_m2, rel=0.01)


# --- the real command, in subprocesses run side by side (each one spends seconds importing)

CLI_CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "every-row-rejected": ("all_rejected.geojson", "buildings", ()),
    "lat-lon-swapped": ("swapped.csv", "places", ()),
    "strict": ("coordinates_nan_empty.csv", "places", ("--strict",)),
}


@dataclass(frozen=True)
class CliRun:
    path: Path
    rejects: Path
    returncode: int
    stdout: str
    stderr: str
    loaded: int


@pytest.fixture(scope="module")
def cli_runs(
    database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, CliRun]]:
    """Run every CLI case at once against the test database (commits are real: cleaned up after)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    started = {}
    for key, (name, kind, flags) in CLI_CASES.items():
        folder = tmp_path_factory.mktemp(key)
        path = _copy(name, folder)
        rejects = folder / "out" / "rejects.csv"
        command = [BATTLEMAP, "load", kind, str(path), "--rejects", str(rejects), "--no-progress", *flags]
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        started[key] = (process, path, rejects)
    runs = {}
    try:
        for key, (process, path, rejects) in started.items():
            stdout, stderr = process.communicate(timeout=120)
            with engine.connect() as conn:
                loaded = conn.execute(
                    text(f"SELECT count(*) FROM {TABLES[CLI_CASES[key][1]]} WHERE source = :s"),
                    {"s": path.name},
                ).scalar_one()
            runs[key] = CliRun(path, rejects, process.returncode, stdout.decode(), stderr.decode(), loaded)
        yield runs
    finally:
        for process, _, _ in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        with engine.begin() as conn:
            for name, kind, _ in CLI_CASES.values():
                conn.execute(text(f"DELETE FROM {TABLES[kind]} WHERE source = :s"), {"s": name})


@pytest.mark.parametrize(
    ("key", "where", "reason", "rejects"),
    [
        ("every-row-rejected", ", row 1, field 'geometry': ", "none of the 2 rows can be loaded", 2),
        ("lat-lon-swapped", ", field 'lon': ", "fix: pass --lon-col lat --lat-col lon", 3),
        ("strict", ", row 2, field 'lon': ", "3 rows rejected and --strict was given; nothing was loaded", 3),
    ],
)
def test_cli_fails_naming_file_row_and_field(
    cli_runs: dict[str, CliRun], key: str, where: str, reason: str, rejects: int
) -> None:
    """Exit code 2, one line on stderr naming file, row and field; nothing committed; rejects at --rejects."""
    run = cli_runs[key]
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith(f"error: {run.path}{where}"), run.stderr
    assert reason in run.stderr
    assert run.stdout == ""
    assert run.loaded == 0, "nothing is written when the load fails"
    assert len(_rejects_csv(run.rejects)) == rejects
    assert not run.path.with_name(run.path.name + ".rejects.csv").exists(), "--rejects was ignored"
