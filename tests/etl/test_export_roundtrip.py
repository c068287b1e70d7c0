"""`battlemap export features`: load -> export -> load into a clean database gives the same rows.

The CLI reads committed data, so this module works in a database of its own (made and
dropped here), emptied before each test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, text

from cli import context
from cli.export import export
from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.features import FEATURE_COLUMNS
from geo.models import Base
from tests.fixtures.databases import sibling_url, throwaway_database

FORMATS = (".geojson", ".gpkg")
SECRETS = ("王小明", "赵六", "13812345678", "13987654321", "310115198001011234", "31011519850505432X")


@pytest.fixture(scope="module")
def export_url(database_url: str) -> Iterator[str]:
    with throwaway_database(sibling_url(database_url, "export")) as url:
        yield url


@pytest.fixture
def db(export_url: str) -> Iterator[Engine]:
    """An engine on the export database, emptied first."""
    engine = create_engine(export_url)
    _empty(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    # The audit log refuses TRUNCATE (append-only); nothing in it matters here.
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables if t.name != "audit_log")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def _ring(x: float, y: float, *, clockwise: bool = False) -> list[list[float]]:
    ring = [[x, y], [x + 0.0004, y], [x + 0.0004, y + 0.0003], [x, y + 0.0003], [x, y]]
    return ring[::-1] if clockwise else ring


def _feature(properties: dict, ring: list[list[float]]) -> dict:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def _write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


@pytest.fixture
def source_files(tmp_path: Path) -> dict[str, Path]:
    """Small input files: 2 grids, 4 buildings (one wound clockwise), 5 households."""
    src = tmp_path / "src"
    src.mkdir()
    grid_a = [[121.500, 31.230], [121.510, 31.230], [121.510, 31.240], [121.500, 31.240], [121.500, 31.230]]
    grid_b = [[121.510, 31.230], [121.520, 31.230], [121.520, 31.240], [121.510, 31.240], [121.510, 31.230]]
    grids = [
        _feature({"code": "LJZ-01", "name": "陆家嘴一网格"}, grid_a),
        _feature({"code": "LJZ-02", "name": "陆家嘴二网格"}, grid_b),
    ]
    buildings = [
        _feature(
            {
                "id": "way/1",
                "name": "一号楼",
                "address": "东方路573弄1号",
                "height": 31.5,
                "kind": "apartments",
            },
            _ring(121.50123456789012, 31.23187654321098),
        ),
        _feature(
            {"id": "way/2", "name": "二号楼", "address": None, "height": None, "floors": 6},
            _ring(121.5043, 31.2341, clockwise=True),
        ),
        _feature({"id": "way/3", "name": None, "height": 90, "kind": "office"}, _ring(121.5151, 31.2352)),
        _feature({"id": "way/4", "name": "外滩楼"}, _ring(121.530, 31.250)),
    ]
    households = pd.DataFrame(
        {
            "id": ["H1", "H2", "H3", "H4", "H5"],
            "building": ["way/1", "way/1", "way/2", "way/3", "way/4"],
            "unit": ["1-101", "1-102", "201", None, "3A"],
            "size": ["3", "1", None, "2", "4"],
            "elderly_alone": ["0", "1", "0", "0", "0"],
            "disabled": ["0", "0", "是", "0", "0"],
            "foreign": ["0", "0", "0", "1", "0"],
        }
    )
    households.to_csv(src / "households.csv", index=False)
    return {
        "grids": _write_geojson(src / "grids.geojson", grids),
        "buildings": _write_geojson(src / "buildings.geojson", buildings),
        "households": src / "households.csv",
    }


def _load(engine: Engine, kind: str, path: Path, **options: object) -> pipeline.LoadReport:
    with engine.begin() as conn:
        return pipeline.load(conn, kind, path, options=LoadOptions(progress=False, **options))  # type: ignore[arg-type]


def _load_all(engine: Engine, files: dict[str, Path]) -> dict[str, pipeline.LoadReport]:
    return {kind: _load(engine, kind, files[kind]) for kind in ("grids", "buildings", "households")}


def _battlemap(url: str, *args: str) -> Result:
    """Run ``battlemap export ...`` in-process against ``url`` (cached settings are cleared around it)."""
    context.settings.cache_clear()
    try:
        return CliRunner().invoke(export, list(args), env={"DATABASE_URL": url}, catch_exceptions=False)
    finally:
        context.settings.cache_clear()


def _export(url: str, kind: str, path: Path, *options: str) -> Path:
    result = _battlemap(url, "features", kind, *options, "-o", str(path))
    assert result.exit_code == 0, result.output
    assert f"to {path}" in result.output
    return path


_SNAPSHOTS = {
    "grids": "SELECT source_id, code, name, ST_AsBinary(geom) FROM grids ORDER BY 1",
    "buildings": """
        SELECT b.source_id, b.name, b.address, b.height_m, b.floors, b.kind, g.code, ST_AsBinary(b.geom)
        FROM buildings b LEFT JOIN grids g ON g.id = b.grid_id ORDER BY 1""",
    "households": """
        SELECT h.source_id, b.source_id, h.unit_label, h.size, h.elderly_alone, h.disabled, h.foreign_national
        FROM households h JOIN buildings b ON b.id = h.building_id ORDER BY 1""",
}


def _snapshot(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {kind: [tuple(row) for row in conn.execute(text(sql))] for kind, sql in _SNAPSHOTS.items()}


def _assert_same_rows(
    before: dict[str, list[tuple]], after: dict[str, list[tuple]], *, same_order: bool
) -> None:
    for kind, rows in before.items():
        assert len(after[kind]) == len(rows), kind
        for old, new in zip(rows, after[kind], strict=True):
            if kind == "households":
                assert new == old
                continue
            assert new[:-1] == old[:-1], kind
            a, b = shapely.from_wkb(bytes(old[-1])), shapely.from_wkb(bytes(new[-1]))
            if not same_order:  # RFC 7946 winds exterior rings counter-clockwise
                a, b = shapely.normalize(a), shapely.normalize(b)
            assert a.equals_exact(b, 1e-9), (kind, old[0], a.wkt, b.wkt)


@pytest.mark.parametrize("suffix", FORMATS)
def test_load_export_load_reproduces_the_rows(
    db: Engine, export_url: str, source_files: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    loaded = _load_all(db, source_files)
    assert [loaded[k].inserted for k in ("grids", "buildings", "households")] == [2, 4, 5]
    before = _snapshot(db)
    assert before["buildings"][1][1:-1] == ("二号楼", None, None, 6, None, "LJZ-01")

    exported = {
        k: _export(export_url, k, tmp_path / f"{k}{suffix}") for k in ("grids", "buildings", "households")
    }
    _empty(db)
    reloaded = _load_all(db, exported)
    assert {k: (r.inserted, r.rejected) for k, r in reloaded.items()} == {
        "grids": (2, 0),
        "buildings": (4, 0),
        "households": (5, 0),
    }
    after = _snapshot(db)
    _assert_same_rows(before, after, same_order=True)
    # A clockwise input ring is stored counter-clockwise, so GeoJSON (RFC 7946) round-trips it exactly.
    ring = shapely.from_wkb(bytes(after["buildings"][1][-1])).geoms[0].exterior
    assert ring.is_ccw

    # The exported ids are the source ids: loading the file again updates in place and changes nothing.
    again = _load(db, "buildings", exported["buildings"])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


@pytest.mark.parametrize("suffix", FORMATS)
def test_exported_files_are_wgs84_with_the_whitelisted_columns(
    db: Engine, export_url: str, source_files: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    _load_all(db, source_files)
    path = _export(export_url, "households", tmp_path / f"households{suffix}")
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:4326" and info["features"] == 5
    # Without --date, households go out without a status.
    assert list(info["fields"]) == [c for c in FEATURE_COLUMNS["households"] if c != "status"]
    frame = pyogrio.read_dataframe(path)
    assert frame.geometry.geom_type.unique().tolist() == ["Point"]
    if suffix == ".geojson":
        document = json.loads(path.read_text(encoding="utf-8"))
        assert "crs" not in document  # RFC 7946: WGS84 is implied
        first = document["features"][0]
        assert first["properties"]["id"] == "H1" and first["properties"]["elderly_alone"] is False


def test_bbox_limits_the_export(
    db: Engine, export_url: str, source_files: dict[str, Path], tmp_path: Path
) -> None:
    _load_all(db, source_files)
    box = "121.500,31.230,121.510,31.240"
    buildings = pyogrio.read_dataframe(_export(export_url, "buildings", tmp_path / "b.gpkg", "--bbox", box))
    assert sorted(buildings["id"]) == ["way/1", "way/2"]
    households = pyogrio.read_dataframe(
        _export(export_url, "households", tmp_path / "h.geojson", "--bbox", box)
    )
    assert sorted(households["id"]) == ["H1", "H2", "H3"]
    nothing = _battlemap(export_url, "features", "grids", "--bbox", "0,0,1,1", "-o", str(tmp_path / "n.gpkg"))
    assert nothing.exit_code == 0 and "wrote 0 grids" in nothing.output


def test_households_with_a_date_carry_their_status(
    db: Engine, export_url: str, source_files: dict[str, Path], tmp_path: Path
) -> None:
    _load_all(db, source_files)
    statuses = tmp_path / "status.csv"
    pd.DataFrame(
        {
            "household": ["H1", None],
            "building": [None, "way/3"],
            "status": ["确诊", "封控"],
            "valid_from": ["2022-04-06", "2022-04-02"],
            "valid_to": ["2022-04-20", None],
        }
    ).to_csv(statuses, index=False)
    _load(db, "status", statuses)
    path = _export(export_url, "households", tmp_path / "h.geojson", "--date", "2022-04-06")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["id"]: f["properties"]["status"] for f in features} == {
        "H1": "confirmed",
        "H2": "normal",
        "H3": "normal",
        "H4": "sealed",
        "H5": "normal",
    }
    status = pyogrio.read_dataframe(
        _export(export_url, "status", tmp_path / "s.gpkg", "--date", "2022-04-01")
    )
    assert status["status"].tolist() == []
    status = pyogrio.read_dataframe(
        _export(export_url, "status", tmp_path / "s.gpkg", "--date", "2022-04-19")
    )
    assert sorted(status["status"]) == ["confirmed", "sealed"]
    assert dt.date.fromisoformat(status.set_index("status").loc["confirmed", "valid_to"]) == dt.date(
        2022, 4, 20
    )


@pytest.mark.parametrize("suffix", FORMATS)
def test_exports_never_carry_personal_fields(
    db: Engine, export_url: str, source_files: dict[str, Path], tmp_path: Path, suffix: str
) -> None:
    _load_all(db, source_files)
    responsibility = tmp_path / "responsibility.csv"
    pd.DataFrame(
        {
            "person": ["P-001", "P-002"],
            "level": ["楼组长", "cadre"],
            "scope_type": ["楼栋", "网格"],
            "scope": ["way/1", "LJZ-01"],
            "role": ["楼长", "网格干部"],
            "姓名": SECRETS[:2],
            "电话": SECRETS[2:4],
            "身份证号": SECRETS[4:],
        }
    ).to_csv(responsibility, index=False)
    assert _load(db, "responsibility", responsibility).inserted == 2
    with db.connect() as conn:  # the secrets are in the database, so the test below can fail
        stored = conn.execute(text("SELECT name, phone, id_number FROM person_contacts ORDER BY 1")).all()
    assert sorted(v for row in stored for v in row) == sorted(SECRETS)

    for kind in ("responsibility", "buildings", "households", "grids"):
        path = _export(export_url, kind, tmp_path / f"{kind}{suffix}")
        raw = path.read_bytes()
        for secret in SECRETS:
            escaped = json.dumps(secret).strip('"').encode()
            assert secret.encode() not in raw and escaped not in raw, (kind, secret)
        if kind == "responsibility":
            assert not {"name", "phone", "id_number", "contact_name"} & set(pyogrio.read_info(path)["fields"])
    people = pyogrio.read_dataframe(tmp_path / f"responsibility{suffix}")
    assert sorted(zip(people["person"], people["scope_type"], people["scope"], strict=True)) == [
        ("P-001", "building", "way/1"),
        ("P-002", "grid", "LJZ-01"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["buildings", "-o", "x.shp"], "must end in .geojson, .json, .gpkg"),
        (["buildings", "--bbox", "121.6,31.2,121.5,31.3", "-o", "x.gpkg"], "MINX,MINY,MAXX,MAXY"),
        (
            ["buildings", "--date", "2022-04-06", "-o", "x.gpkg"],
            "--date applies to households, cases, status",
        ),
        (["streets", "-o", "x.gpkg"], "'streets' is not one of"),
        (["buildings", "-o", "no/such/dir/x.gpkg"], "does not exist"),
    ],
)
def test_bad_options_are_usage_errors(export_url: str, tmp_path: Path, args: list[str], message: str) -> None:
    args = [str(tmp_path / a) if a.startswith(("x.", "no/")) else a for a in args]
    result = _battlemap(export_url, "features", *args)
    assert result.exit_code == 2
    assert message in result.output
