"""Hostile and odd files (issue 11 §2): each gets a per-row reject or one clear InputError, never a traceback.

The inputs are written in ``tmp_path`` by the real writers (pyogrio for Shapefiles, zipfile,
gzip), so each test states its own file next to its outcome.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import Connection, text

from etl import pipeline
from etl.assign import qa_summary
from etl.cells import column_length
from etl.columns import as_float, as_non_negative_int
from etl.jobs.base import LoadOptions
from etl.readers import VectorSource, open_source
from geo.errors import InputError, InputTooLarge, OverlappingUnits, UnsafeOutputPath
from geo.settings import EtlSettings

X0, Y0 = 121.5000, 31.2400
OPTIONS = LoadOptions(progress=False)


def _square(i: int, d: float = 0.0005) -> list[list[float]]:
    x = X0 + i * 0.001
    return [[x, Y0], [x + d, Y0], [x + d, Y0 + d], [x, Y0 + d], [x, Y0]]


def _geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def _building(i: int, **properties: object) -> dict:
    return {
        "type": "Feature",
        "properties": {"id": f"b{i}", **properties},
        "geometry": {"type": "Polygon", "coordinates": [_square(i)]},
    }


def _rejects(path: Path) -> list[list[str]]:
    with path.with_name(path.name + ".rejects.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def _footprints(names: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(len(names))], "name": names},
        geometry=[Polygon(_square(i)) for i in range(len(names))],
        crs="EPSG:4326",
    )


# --- 1. 3-D coordinates


def test_z_coordinates_are_dropped_and_reported(conn: Connection, tmp_path: Path) -> None:
    features = [_building(i) for i in range(3)]
    for feature in features[:2]:
        feature["geometry"]["coordinates"] = [
            [[x, y, 12.5] for x, y in _square(int(feature["properties"]["id"][1:]))]
        ]
    path = _geojson(tmp_path / "z.geojson", features)
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.inserted == 3 and report.rejected == 0
    assert report.notes["3-D coordinates"] == "Z dropped from 2 rows (stored in 2-D)"
    assert conn.execute(text("SELECT DISTINCT ST_NDims(geom) FROM buildings")).scalars().all() == [2]


def test_z_coordinates_of_a_shapefile_are_dropped(conn: Connection, tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"id": ["s1", "s2"]},
        geometry=[Polygon([(x, y, 30.0) for x, y in _square(i)]) for i in range(2)],
        crs="EPSG:4326",
    )
    path = tmp_path / "z.shp"
    pyogrio.write_dataframe(frame, path)
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.inserted == 2
    assert report.notes["3-D coordinates"] == "Z dropped from 2 rows (stored in 2-D)"


# --- 2. NUL bytes and 3. over-long text


def test_nul_byte_rejects_the_row_naming_the_field(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_text(
        "id,kind,name,lon,lat\n"
        "p1,checkpoint,卡口一,121.5,31.24\n"
        "p2,checkpoint,卡口\x00二,121.501,31.24\n"
        "p\x003,checkpoint,卡口三,121.502,31.24\n",
        encoding="utf-8",
    )
    report = pipeline.load(conn, "places", path, options=OPTIONS)
    assert report.inserted == 1
    rows = _rejects(path)
    assert [(r[0], r[1], r[2]) for r in rows] == [("2", "name", "卡口\\x00二"), ("3", "id", "p\\x003")]
    assert all("contains a NUL byte" in r[3] for r in rows)


def test_over_long_text_is_rejected_with_the_limit_from_the_model(conn: Connection, tmp_path: Path) -> None:
    limit = column_length("buildings", "name")
    assert limit == 300
    path = _geojson(
        tmp_path / "long.geojson", [_building(1, name="楼" * 20_000), _building(2, name="二号楼")]
    )
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.inserted == 1
    [(row, field, value, reason)] = _rejects(path)
    assert (row, field) == ("1", "name")
    assert len(value) <= 200
    assert reason == "20,000 characters, longer than the 300 that buildings.name holds"


def test_over_long_id_is_rejected(conn: Connection, tmp_path: Path) -> None:
    feature = _building(1)
    feature["properties"]["id"] = "x" * 201
    path = _geojson(tmp_path / "long_id.geojson", [feature, _building(2)])
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.inserted == 1
    [(row, field, _, reason)] = _rejects(path)
    assert (row, field, reason) == (
        "1",
        "id",
        "201 characters, longer than the 200 that buildings.source_id holds",
    )


def test_personal_values_are_masked_in_rejects_and_messages(conn: Connection, tmp_path: Path) -> None:
    name = "张" * 150  # person_contacts.name holds 100
    path = tmp_path / "people.csv"
    path.write_text(
        "person,level,scope_type,scope,name,phone\n"
        f"P1,楼长,building,nowhere,{name},13800138000\n"
        "P2,楼长,building,nowhere,李四,=1+1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        pipeline.load(conn, "responsibility", path, options=OPTIONS)
    assert name not in str(caught.value)
    rows = _rejects(path)
    assert rows[0][:3] == ["1", "name", "(personal data hidden, 150 characters)"]
    assert "longer than the 100 that person_contacts.name holds" in rows[0][3]
    written = path.with_name(path.name + ".rejects.csv").read_text(encoding="utf-8-sig")
    assert name not in written and "13800138000" not in written and "李四" not in written


# --- 5. decimal commas


@pytest.mark.parametrize(
    ("cell", "number"),
    [("30,5", 30.5), ("12,25 m", 12.25), ("1,234,567", 1_234_567.0), ("1,234.5", 1234.5), ("-3,5", -3.5)],
)
def test_commas_in_numbers_follow_one_rule(cell: str, number: float) -> None:
    assert as_float(cell) == number


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("1,234", "ambiguous number '1,234': a thousands separator or a decimal comma? write 1234 or 1.234"),
        ("1,2,3", "not a number"),
        ("1.234,5", "not a number"),
    ],
)
def test_ambiguous_commas_are_rejected(cell: str, reason: str) -> None:
    with pytest.raises(ValueError, match="^" + reason.replace("?", r"\?").replace(".", r"\.") + "$"):
        as_float(cell)


def test_decimal_comma_is_never_multiplied(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "heights.csv"
    path.write_text(
        'id,height,floors,wkt\nb1,"30,5",10,"' + Polygon(_square(1)).wkt + '"\n'
        'b2,30,"10,2","' + Polygon(_square(2)).wkt + '"\n'
        'b3,"1,234",3,"' + Polygon(_square(3)).wkt + '"\n',
        encoding="utf-8",
    )
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.inserted == 1
    assert conn.execute(text("SELECT height_m, floors FROM buildings")).one() == (30.5, 10)
    assert [(r[0], r[1], r[3]) for r in _rejects(path)] == [
        ("2", "floors", "expected a whole number >= 0"),
        (
            "3",
            "height",
            "ambiguous number '1,234': a thousands separator or a decimal comma? write 1234 or 1.234",
        ),
    ]
    with pytest.raises(ValueError):
        as_non_negative_int("10,2")


# --- 4. Shapefile encodings


def _gbk_shapefile(folder: Path, cpg: str | None) -> Path:
    path = folder / "gbk.shp"
    pyogrio.write_dataframe(_footprints(["陆家嘴一号楼", "浦东二号楼"]), path, encoding="GBK")
    if cpg is None:
        path.with_suffix(".cpg").unlink()
    else:
        path.with_suffix(".cpg").write_text(cpg)
    return path


@pytest.mark.parametrize(
    ("cpg", "forced", "note"),
    [
        ("UTF-8", None, "gb18030 (the file declares utf-8, but its text is gb18030)"),
        (None, None, "gb18030 (the file declares no encoding, but its text is gb18030)"),
        ("GBK", None, "gbk (as the file declares)"),
        ("UTF-8", "GBK", "gbk (given by --encoding)"),
    ],
    ids=["cpg-says-utf8", "no-cpg", "cpg-says-gbk", "forced"],
)
def test_gbk_shapefile_is_read_with_the_encoding_its_text_has(
    conn: Connection, tmp_path: Path, cpg: str | None, forced: str | None, note: str
) -> None:
    path = _gbk_shapefile(tmp_path, cpg)
    report = pipeline.load(conn, "buildings", path, options=LoadOptions(progress=False, encoding=forced))
    assert report.notes["encoding"] == note
    names = conn.execute(text("SELECT name FROM buildings ORDER BY source_id")).scalars().all()
    assert names == ["陆家嘴一号楼", "浦东二号楼"]


def test_zipped_gbk_shapefile_whose_cpg_says_utf8(conn: Connection, tmp_path: Path) -> None:
    shp = _gbk_shapefile(tmp_path, "UTF-8")
    archive = tmp_path / "gbk.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("gbk.*"):
            if part != archive:
                z.write(part, part.name)
    shp.unlink()
    report = pipeline.load(conn, "buildings", archive, options=OPTIONS)
    assert report.inserted == 2
    assert "gb18030" in report.notes["encoding"]


def test_unknown_forced_encoding_names_the_option(tmp_path: Path) -> None:
    path = _gbk_shapefile(tmp_path, "GBK")
    with pytest.raises(InputError) as caught:
        open_source(path, encoding="klingon")
    assert (caught.value.field, caught.value.reason) == ("--encoding", "unknown text encoding 'klingon'")


def test_gbk_csv_with_forced_encoding(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,kind,name,lon,lat\np1,checkpoint,卡口,121.5,31.24\n".encode("gbk"))
    report = pipeline.load(conn, "places", path, options=LoadOptions(progress=False, encoding="gbk"))
    assert report.notes["encoding"] == "gbk (given by --encoding)"
    assert conn.execute(text("SELECT name FROM places")).scalar_one() == "卡口"


# --- 7. the rejects CSV


def test_rejects_csv_neutralises_formulas(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "formulas.csv"
    path.write_text(
        "id,kind,name,lon,lat\n"
        "p1,checkpoint,ok,121.5,31.24\n"
        'p2,=HYPERLINK("http://evil"),x,121.5,31.24\n'
        "p3,@SUM(A1),x,121.5,31.24\n"
        "p4,+1,x,121.5,31.24\n",
        encoding="utf-8",
    )
    pipeline.load(conn, "places", path, options=OPTIONS)
    values = [r[2] for r in _rejects(path)]
    assert values == ['\'=HYPERLINK("http://evil")', "'@SUM(A1)", "'+1"]


def test_rejects_path_that_is_a_symlink_is_refused(conn: Connection, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    link = tmp_path / "rejects.csv"
    link.symlink_to(victim)
    path = tmp_path / "places.csv"
    path.write_text("id,kind,lon,lat\np1,checkpoint,121.5,31.24\np2,nonsense,121.5,31.24\n")
    with pytest.raises(UnsafeOutputPath) as caught:
        pipeline.load(conn, "places", path, options=LoadOptions(progress=False, rejects_path=link))
    assert caught.value.reason == "the rejects path is a symbolic link; it is not followed"
    assert caught.value.field == "--rejects"
    assert victim.read_text() == "precious"
    assert conn.execute(text("SELECT count(*) FROM places")).scalar_one() == 0


# --- 8. admin units overlapping units of their level


def _units(path: Path, *units: tuple[str, str, tuple[float, float, float, float]]) -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": "subdistrict"},
            "geometry": box(*bounds).__geo_interface__,
        }
        for code, name, bounds in units
    ]
    return _geojson(path, features)


LUJIAZUI = ("310115-005", "陆家嘴街道", (121.50, 31.23, 121.52, 31.25))


def test_overlapping_admin_unit_is_refused_without_force(conn: Connection, tmp_path: Path) -> None:
    pipeline.load(conn, "admin", _units(tmp_path / "a.geojson", LUJIAZUI), options=OPTIONS)
    new = _units(
        tmp_path / "b.geojson",
        ("310115-901", "新街道", (121.51, 31.23, 121.53, 31.25)),
        ("310115-902", "远处街道", (121.60, 31.23, 121.61, 31.24)),
    )
    with pytest.raises(OverlappingUnits) as caught:
        pipeline.load(conn, "admin", new, options=OPTIONS)
    error = caught.value
    assert (error.path, error.row, error.field) == (str(new), 1, "geometry")
    assert error.reason.startswith(
        "subdistrict '新街道' overlaps '陆家嘴街道' (already loaded) over 50% of the smaller unit's area"
    )
    assert "--force" in (error.fix or "")
    assert conn.execute(text("SELECT count(*) FROM admin_units")).scalar_one() == 1

    report = pipeline.load(conn, "admin", new, options=LoadOptions(progress=False, force=True))
    assert report.inserted == 2
    assert "loaded anyway" in report.warnings[-1]
    assert qa_summary(conn)["overlapping_admin_unit_pairs"] == 1


def test_reloading_the_same_units_is_no_overlap(conn: Connection, tmp_path: Path) -> None:
    path = _units(
        tmp_path / "a.geojson", LUJIAZUI, ("310115-006", "潍坊新村街道", (121.52, 31.23, 121.54, 31.25))
    )
    pipeline.load(conn, "admin", path, options=OPTIONS)
    report = pipeline.load(conn, "admin", path, options=OPTIONS)
    assert report.unchanged == 2
    assert qa_summary(conn)["overlapping_admin_unit_pairs"] == 0


def test_units_overlapping_each_other_in_one_file(conn: Connection, tmp_path: Path) -> None:
    path = _units(
        tmp_path / "a.geojson", LUJIAZUI, ("310115-901", "重影街道", (121.50, 31.23, 121.52, 31.25))
    )
    with pytest.raises(InputError, match=r"overlaps '重影街道' \(row 2 of the same file\) over 100%"):
        pipeline.load(conn, "admin", path, options=OPTIONS)


# --- 9. the rest of a real user's disk


@pytest.mark.timeout(20)
def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\), not a regular file"):
        open_source(fifo)


@pytest.mark.timeout(20)
def test_device_is_refused_without_hanging() -> None:
    with pytest.raises(InputError, match="is a character device, not a regular file"):
        open_source("/dev/zero")


def test_directory_without_vector_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read as a vector file"):
        open_source(tmp_path)


def test_wrong_extension_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "places.geojson"
    path.write_text("id,kind,lon,lat\np1,checkpoint,121.5,31.24\n")
    with pytest.raises(InputError, match="not valid JSON at line 1"):
        open_source(path)


def _zip_of_layers(folder: Path, names: list[str]) -> Path:
    archive = folder / "layers.zip"
    for name in names:
        pyogrio.write_dataframe(_footprints(["楼"]), folder / f"{name}.shp")
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            if part.stem in names:
                z.write(part, part.name)
    return archive


def test_archive_with_several_layers_asks_for_layer(conn: Connection, tmp_path: Path) -> None:
    archive = _zip_of_layers(tmp_path, ["east", "west"])
    with pytest.raises(InputError) as caught:
        open_source(archive)
    assert (caught.value.reason, caught.value.field) == ("holds 2 layers: east, west", "--layer")
    with pytest.raises(InputError) as caught:
        open_source(archive, layer="north")
    assert caught.value.reason == "has no layer 'north'"
    assert caught.value.fix == "its layers are: east, west"
    report = pipeline.load(conn, "buildings", archive, options=LoadOptions(progress=False, layer="west"))
    assert report.inserted == 1


def test_zip_bomb_is_refused_by_its_expanded_size(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("bomb.shp", b"\0" * 20_000_000)
    assert archive.stat().st_size < 100_000
    settings = EtlSettings(_env_file=None, max_decompressed_bytes=10_000_000)
    with pytest.raises(InputTooLarge, match="expands to 20,000,000 bytes, more than the 10,000,000 allowed"):
        open_source(archive, settings=settings)


def test_gzip_bomb_stops_at_the_cap(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b"id,kind,lon,lat\n")
        handle.write(b"p,checkpoint,121.5,31.24\n" * 1_000_000)
    settings = EtlSettings(_env_file=None, max_decompressed_bytes=2_000_000)
    with pytest.raises(InputTooLarge, match="expands to more than the 2,000,000 bytes allowed"):
        pipeline.load(conn, "places", path, options=OPTIONS, settings=settings)
    assert conn.execute(text("SELECT count(*) FROM places")).scalar_one() == 0


def test_large_geojson_is_streamed_through_gdal(conn: Connection, tmp_path: Path) -> None:
    path = _geojson(tmp_path / "big.geojson", [_building(i, name=f"楼{i}") for i in range(5)])
    settings = EtlSettings(_env_file=None, geojson_stream_bytes=100, chunk_rows=100)
    assert isinstance(open_source(path, settings=settings), VectorSource)
    report = pipeline.load(conn, "buildings", path, options=OPTIONS, settings=settings)
    assert report.inserted == 5
    assert report.notes["read"] == "streamed through GDAL (a large GeoJSON)"


def test_gzipped_geojson_is_streamed_by_its_unzipped_size(conn: Connection, tmp_path: Path) -> None:
    plain = _geojson(tmp_path / "big.geojson", [_building(i, name=f"楼{i}") for i in range(50)])
    path = tmp_path / "big.geojson.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()
    unzipped = len(gzip.decompress(path.read_bytes()))
    assert path.stat().st_size < unzipped // 2
    settings = EtlSettings(_env_file=None, geojson_stream_bytes=path.stat().st_size + 1)
    report = pipeline.load(conn, "buildings", path, options=OPTIONS, settings=settings)
    assert report.inserted == 50
    assert report.notes["read"] == "streamed through GDAL (a large GeoJSON)"


@pytest.mark.timeout(20)
def test_rejects_path_that_is_a_fifo_is_refused(conn: Connection, tmp_path: Path) -> None:
    fifo = tmp_path / "rejects.csv"
    os.mkfifo(fifo)
    path = tmp_path / "places.csv"
    path.write_text("id,kind,lon,lat\np1,checkpoint,121.5,31.24\np2,nonsense,121.5,31.24\n")
    with pytest.raises(UnsafeOutputPath, match="the rejects path exists and is not a regular file"):
        pipeline.load(conn, "places", path, options=LoadOptions(progress=False, rejects_path=fifo))


def test_gzipped_geojson_bomb_stops_at_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "bomb.geojson.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(b'{"type": "FeatureCollection", "features": [' + b" " * 5_000_000 + b"]}")
    settings = EtlSettings(_env_file=None, max_decompressed_bytes=1_000_000)
    with pytest.raises(InputTooLarge, match="expands to more than the 1,000,000 bytes allowed"):
        open_source(path, settings=settings)


def test_gbk_field_names_count_too(conn: Connection, tmp_path: Path) -> None:
    """Attribute values in ASCII but a column named in GBK: the names decide the encoding as well."""
    frame = gpd.GeoDataFrame({"id": ["s1"], "名称": ["A1"]}, geometry=[Polygon(_square(1))], crs="EPSG:4326")
    path = tmp_path / "names.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    report = pipeline.load(conn, "buildings", path, options=OPTIONS)
    assert report.notes["encoding"] == "gb18030 (the file declares utf-8, but its text is gb18030)"
    assert conn.execute(text("SELECT name FROM buildings")).scalar_one() == "A1"
