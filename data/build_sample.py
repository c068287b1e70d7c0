"""Build the compact demo extract in ``data/sample`` from the public data in ``../shared/data``.

A clone of the repository has no ``../shared`` folder, so the demo runs from this extract alone. Every output
is derived (columns selected and renamed, geometry rounded or simplified, gzipped) and the build is
deterministic: stable row order, fixed coordinate precision and gzip with ``mtime=0``, so a rerun with the
same library versions (shapely/GEOS, zlib) gives byte-identical files. ``MANIFEST.json`` records each
output's count, size and sha256 so a test can prove that. Sources and licences: ``data/SOURCES.md``.

Usage: ``python data/build_sample.py [--shared DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import platform
import re
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping, shape

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "data" / "sample"

# Source files, relative to the shared data folder.
SRC_DISTRICTS = "shanghai-wenzhou-district-boundaries/echarts_shanghai_districts_gcj02.geojson"
SRC_TOWNSHIPS = "shanghai-township-boundaries/shanghai_townships_214.geojson"
SRC_OSM = "osm-lujiazui-bund-buildings"
SRC_BUILDINGS = f"{SRC_OSM}/buildings_merged.geojson"
SRC_LANDUSE = f"{SRC_OSM}/landuse.geojson"
SRC_POIS = f"{SRC_OSM}/pois.geojson"
SRC_CASES = "shanghai-covid-2022-case-addresses"
SRC_GEOCODED = f"{SRC_CASES}/stockard_geocoded_addresses_normalized.csv"
SRC_DAILY = f"{SRC_CASES}/stockard_daily_case_addresses_20220306_20220420.csv"
SRC_RISK = "china-covid-risk-areas/risklevelapi_risk_area_episodes_all_china.csv.gz"
# Basemap layers in drawing order (bottom first), so a renderer can paint features as they come.
BASEMAP_LAYERS: tuple[str, ...] = ("earth", "landuse", "water", "roads")

# 崇明区 is the one feature in the ECharts file without an `id`; its adcode has been 310151 since the
# county became a district in 2016 (before: 崇明县 310230).
MISSING_DISTRICT_CODES: dict[str, str] = {"崇明区": "310151"}

# Coverage simplification tolerance in degrees (Visvalingam-Whyatt: roughly the square root of the area of
# the triangles removed). 5e-5 deg moves no boundary by more than about 20 m, well below the ~100 m
# quantisation of the district layer, and keeps subdistricts.geojson.gz under 1 MB.
SUBDISTRICT_TOLERANCE = 5e-5
# Snap distance for coverage cleaning: one unit of the 6-decimal output grid, so that rounding the cleaned
# and simplified coverage cannot pull shared edges apart again.
SUBDISTRICT_SNAP = 1e-6

EXPECTED_SUBDISTRICTS = 214
EXPECTED_PUDONG_SUBDISTRICTS = 36
RISK_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{1,2})时$")


class SampleBuildError(RuntimeError):
    """A source file does not look the way the build expects; the message names file, value and fix."""


@dataclass(frozen=True)
class Output:
    """One built file: name, payload (already gzipped if the name ends in .gz), raw content and sources."""

    name: str
    rows: int
    payload: bytes
    sources: tuple[str, ...]
    content: bytes = field(repr=False)


# --------------------------------------------------------------------------------------------------
# small helpers


def _gzip(data: bytes) -> bytes:
    """Gzip without a file name and with mtime=0, so the bytes depend on the content only."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def _output(name: str, rows: int, content: bytes, sources: Iterable[str]) -> Output:
    payload = _gzip(content) if name.endswith(".gz") else content
    return Output(name=name, rows=rows, payload=payload, sources=tuple(sources), content=content)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_geojson(path: Path) -> list[dict[str, Any]]:
    """Read features with the json module: no driver quirks (pyogrio renames duplicate top-level ids)."""
    with path.open(encoding="utf-8") as f:
        return json.load(f)["features"]


def _round(geom: shapely.Geometry, ndigits: int) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.round(xy, ndigits))


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Repair a polygon and keep only its polygonal parts (make_valid can add stray lines or points)."""
    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = [
        p for part in shapely.get_parts(fixed) for p in shapely.get_parts(part) if p.geom_type == "Polygon"
    ]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _clean(geom: shapely.Geometry, ndigits: int) -> shapely.Geometry | None:
    """Round to the output grid and repair what rounding broke; None if the feature collapsed.

    Tile clipping leaves sub-centimetre line fragments that vanish at 6 decimals; they are dropped.
    Polygons are oriented counter-clockwise (RFC 7946 right-hand rule).
    """
    rounded = shapely.remove_repeated_points(_round(geom, ndigits))
    if rounded.geom_type in ("Polygon", "MultiPolygon"):
        rounded = _polygonal(rounded)
        if rounded.is_empty or rounded.area == 0:
            return None
        return shapely.orient_polygons(rounded)
    return rounded if rounded.is_valid and not rounded.is_empty else None


def _feature_collection(features: Iterable[tuple[dict[str, Any], shapely.Geometry]]) -> tuple[int, bytes]:
    """Serialise (properties, geometry) pairs as compact GeoJSON, one feature per line (diffable)."""
    lines = [
        json.dumps(
            {"type": "Feature", "properties": props, "geometry": mapping(geom)},
            ensure_ascii=False,
            separators=(",", ":"),
            allow_nan=False,
        )
        for props, geom in features
    ]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    return len(lines), text.encode("utf-8")


def _csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with LF line ends and shortest round-trip floats, independent of the platform."""
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


def _read_csv_text(path: Path) -> pd.DataFrame:
    """Read every column as text, empty cells as "", so nothing is reinterpreted before we decide to."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _float_or_none(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _expect(ok: bool, message: str) -> None:
    if not ok:
        raise SampleBuildError(message)


# --------------------------------------------------------------------------------------------------
# one function per output


def district_codes(shared: Path) -> dict[str, str]:
    """Map district name -> adcode from the ECharts file; subdistrict codes are built on these."""
    codes = {}
    for feat in _read_geojson(shared / SRC_DISTRICTS):
        name = feat["properties"]["name"]
        code = feat.get("id") or feat["properties"].get("id") or MISSING_DISTRICT_CODES.get(name)
        _expect(code is not None, f"{SRC_DISTRICTS}: district {name!r} has no id and no fallback adcode")
        codes[name] = str(code)
    return codes


def build_districts(shared: Path) -> Output:
    """16 district polygons, geometry untouched in GCJ-02 (values are exact multiples of 1/1024 degree).

    Validity is deliberately not repaired here: the loader converts GCJ-02 -> WGS84 first, and only a
    repair after that conversion guarantees valid polygons in PostGIS.
    """
    codes = district_codes(shared)
    feats = _read_geojson(shared / SRC_DISTRICTS)
    pairs = [
        ({"code": codes[f["properties"]["name"]], "name": f["properties"]["name"]}, shape(f["geometry"]))
        for f in feats
    ]
    pairs.sort(key=lambda pair: pair[0]["code"])
    n, content = _feature_collection(pairs)
    _expect(n == 16, f"{SRC_DISTRICTS}: expected 16 Shanghai districts, found {n}")
    return _output("districts_gcj02.geojson", n, content, [SRC_DISTRICTS])


def simplify_subdistricts(geoms: np.ndarray, *, tolerance: float) -> np.ndarray:
    """Simplify a polygon coverage so that shared edges stay shared, on a 6-decimal grid.

    The source is not a clean coverage (neighbours' edges have different vertices, slivers overlap by
    about 4,100 m² in all, 3 polygons self-intersect), and coverage_simplify needs one. So: round to the
    output grid, repair, clean the coverage (snap, resolve overlaps; gaps are kept), simplify, round again.
    """
    grid = np.array([_polygonal(g) for g in _round(geoms, 6)], dtype=object)
    cleaned = shapely.coverage_clean(grid, gap_width=0.0, snapping_distance=SUBDISTRICT_SNAP)
    simplified = _round(shapely.coverage_simplify(cleaned, tolerance), 6)
    simplified = np.array([shapely.orient_polygons(_polygonal(g)) for g in simplified], dtype=object)
    _expect(bool(shapely.is_valid(simplified).all()), "subdistricts: invalid polygons after simplification")
    _expect(
        not bool(shapely.is_empty(simplified).any()), "subdistricts: a polygon vanished in simplification"
    )
    _expect(bool(shapely.coverage_is_valid(simplified)), "subdistricts: shared edges no longer match")
    return simplified


def build_subdistricts(shared: Path, *, tolerance: float = SUBDISTRICT_TOLERANCE) -> Output:
    """214 township polygons (WGS84), coverage-simplified, with a derived stable code per district."""
    feats = _read_geojson(shared / SRC_TOWNSHIPS)
    codes = district_codes(shared)
    props = [f["properties"] for f in feats]
    unknown = sorted({p["AREA"] for p in props} - codes.keys())
    _expect(not unknown, f"{SRC_TOWNSHIPS}: AREA values {unknown} are not districts in {SRC_DISTRICTS}")
    geoms = simplify_subdistricts(
        np.array([shape(f["geometry"]) for f in feats], dtype=object), tolerance=tolerance
    )

    # Code = district adcode + 3-digit rank of the STREET name (code-point order) within the district.
    ranks: dict[int, str] = {}
    for area in sorted({p["AREA"] for p in props}):
        members = sorted(
            (i for i, p in enumerate(props) if p["AREA"] == area), key=lambda i: props[i]["STREET"]
        )
        for seq, i in enumerate(members, start=1):
            ranks[i] = f"{codes[area]}-{seq:03d}"
    _expect(len(set(ranks.values())) == len(props), f"{SRC_TOWNSHIPS}: duplicate (AREA, STREET) pairs")

    pairs = [
        ({"code": ranks[i], "name": p["STREET"], "district": p["AREA"], "name_en": p["NAME"]}, geoms[i])
        for i, p in enumerate(props)
    ]
    pairs.sort(key=lambda pair: pair[0]["code"])
    n, content = _feature_collection(pairs)
    n_pudong = sum(p["district"] == "浦东新区" for p, _ in pairs)
    _expect(
        n == EXPECTED_SUBDISTRICTS, f"{SRC_TOWNSHIPS}: expected {EXPECTED_SUBDISTRICTS} features, got {n}"
    )
    _expect(n_pudong == EXPECTED_PUDONG_SUBDISTRICTS, f"{SRC_TOWNSHIPS}: 浦东新区 has {n_pudong} townships")
    _expect(any(p["name"] == "陆家嘴街道" for p, _ in pairs), f"{SRC_TOWNSHIPS}: 陆家嘴街道 is missing")
    return _output("subdistricts.geojson.gz", n, content, [SRC_TOWNSHIPS])


def build_buildings(shared: Path) -> Output:
    """All 1,450 merged building / building_part footprints; heights become numbers (the source has text)."""
    pairs = []
    for f in _read_geojson(shared / SRC_BUILDINGS):
        p = f["properties"]
        geom = _clean(shape(f["geometry"]), 7)
        _expect(geom is not None, f"{SRC_BUILDINGS}: building {p['osm_way_id']} collapsed at 7 decimals")
        props = {
            "osm_id": p["osm_way_id"],
            "kind": p["kind"],
            "name": p["name"],
            "name_en": p["name_en"],
            "height": _float_or_none(p["height"]),
            "min_height": _float_or_none(p["min_height"]),
            "addr_street": p["addr_street"],
            "addr_housenumber": p["addr_housenumber"],
        }
        pairs.append((props, geom))
    n, content = _feature_collection(pairs)
    return _output("buildings_lujiazui.geojson.gz", n, content, [SRC_BUILDINGS])


def build_compounds(shared: Path) -> Output:
    """Residential compounds (小区): landuse kind=residential polygons, tile pieces merged by OSM id.

    The tile layer repeats a compound in every z16 tile it touches (plus a label point), so pieces are
    unioned per id, the way buildings_merged.geojson was made from the building layer.
    """
    pieces: dict[int, list[shapely.Geometry]] = {}
    names: dict[int, str | None] = {}
    for f in _read_geojson(shared / SRC_LANDUSE):
        p = f["properties"]
        if p.get("kind") != "residential" or f["geometry"]["type"] not in ("Polygon", "MultiPolygon"):
            continue
        pieces.setdefault(p["id"], []).append(shape(f["geometry"]))
        names[p["id"]] = names.get(p["id"]) or p.get("name")
    pairs = []
    for osm_id in sorted(pieces):
        geom = _clean(shapely.union_all(pieces[osm_id]), 7)
        _expect(geom is not None, f"{SRC_LANDUSE}: compound {osm_id} collapsed at 7 decimals")
        pairs.append(({"osm_id": osm_id, "name": names[osm_id], "kind": "residential"}, geom))
    n, content = _feature_collection(pairs)
    return _output("compounds_lujiazui.geojson.gz", n, content, [SRC_LANDUSE])


def build_pois(shared: Path) -> Output:
    """All POI points with id, kind and names only."""
    pairs = []
    for f in _read_geojson(shared / SRC_POIS):
        p = f["properties"]
        props = {
            "osm_id": p.get("id"),
            "kind": p.get("kind"),
            "name": p.get("name"),
            "name_en": p.get("name:en"),
        }
        pairs.append((props, _round(shape(f["geometry"]), 7)))
    n, content = _feature_collection(pairs)
    return _output("pois_lujiazui.geojson.gz", n, content, [SRC_POIS])


def build_basemap(shared: Path) -> Output:
    """Earth, landuse, water and roads in one offline basemap layer, 6 decimals (about 0.1 m)."""
    pairs = []
    for layer in BASEMAP_LAYERS:
        for f in _read_geojson(shared / SRC_OSM / f"{layer}.geojson"):
            geom = _clean(shape(f["geometry"]), 6)
            if geom is None:
                continue
            p = f["properties"]
            pairs.append(({"layer": layer, "kind": p.get("kind"), "name": p.get("name")}, geom))
    n, content = _feature_collection(pairs)
    sources = [f"{SRC_OSM}/{layer}.geojson" for layer in BASEMAP_LAYERS]
    return _output("basemap_lujiazui.geojson.gz", n, content, sources)


def build_geocoded(shared: Path) -> Output:
    """Unique case addresses with their Amap (GCJ-02) geocode; all rows kept, coordinates as plain floats."""
    df = _read_csv_text(shared / SRC_GEOCODED)
    for col in ("gcj02_lng", "gcj02_lat"):
        bad = df.loc[~df[col].str.fullmatch(r"\d+\.\d+"), col]
        _expect(
            bad.empty,
            f"{SRC_GEOCODED}: column {col}, rows {bad.index[:3].tolist()} hold {bad.head(3).tolist()}; "
            "expected plain decimal numbers",
        )
        df[col] = df[col].astype("float64")
    # Amap returns an empty JSON list when it has no township; the scrape kept the text "[]".
    df["township"] = df["township"].replace("[]", "")
    out = df[["district", "address", "township", "gcj02_lng", "gcj02_lat"]]
    return _output("case_addresses_geocoded.csv.gz", len(out), _csv_bytes(out), [SRC_GEOCODED])


def build_daily(shared: Path) -> Output:
    """Every (publication day, district, address) row, ISO dates; duplicates and blanks kept as published."""
    df = _read_csv_text(shared / SRC_DAILY)
    bad = df.loc[~df["date"].str.fullmatch(r"\d{8}"), "date"]
    _expect(bad.empty, f"{SRC_DAILY}: date {bad.head(1).tolist()} is not YYYYMMDD")
    df["date"] = df["date"].str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)
    out = df[["date", "district", "address"]]
    return _output("case_addresses_daily.csv.gz", len(out), _csv_bytes(out), [SRC_DAILY])


def _risk_time(value: str) -> str:
    """'2022-04-15 11时' (China time, hour precision, hour not zero-padded) -> '2022-04-15T11:00:00+08:00'."""
    m = RISK_TIME.match(value)
    _expect(m is not None, f"{SRC_RISK}: time {value!r} is not like '2022-04-15 11时'")
    day, hour = m.groups()
    return f"{day}T{int(hour):02d}:00:00+08:00"


def build_risk_areas(shared: Path) -> Output:
    """Shanghai medium/high/low-risk area episodes (no coordinates: communities are free text)."""
    df = _read_csv_text(shared / SRC_RISK)
    sh = df[df["province"] == "上海市"]
    out = pd.DataFrame(
        {
            "level": sh["level"],
            "district": sh["county"],
            "community": sh["community"],
            "first_seen": sh["first_seen_end_update_time"].map(_risk_time),
            "last_seen": sh["last_seen_end_update_time"].map(_risk_time),
            "n_snapshots": sh["n_snapshots"].astype("int64"),
        }
    )
    return _output("risk_areas_shanghai.csv.gz", len(out), _csv_bytes(out), [SRC_RISK])


BUILDERS: tuple[Callable[[Path], Output], ...] = (
    build_districts,
    build_subdistricts,
    build_buildings,
    build_compounds,
    build_pois,
    build_basemap,
    build_geocoded,
    build_daily,
    build_risk_areas,
)


# --------------------------------------------------------------------------------------------------
# manifest and command line


def manifest(outputs: Iterable[Output], shared: Path) -> dict[str, Any]:
    """Counts, sizes and hashes of every output, plus its sources and the library versions that made it.

    ``sha256`` is of the file; ``content_sha256`` of the uncompressed bytes, which tells a zlib difference
    apart from a data difference when a rebuild does not match.
    """
    source_hashes: dict[str, str] = {}
    files = {}
    for out in outputs:
        for src in out.sources:
            if src not in source_hashes:
                source_hashes[src] = _sha256((shared / src).read_bytes())
        files[out.name] = {
            "rows": out.rows,
            "bytes": len(out.payload),
            "sha256": _sha256(out.payload),
            "content_sha256": _sha256(out.content),
            "sources": [{"path": src, "sha256": source_hashes[src]} for src in out.sources],
        }
    return {
        "description": "Demo extract built by data/build_sample.py; sources and licences: data/SOURCES.md.",
        "shared_data": "../shared/data",
        "built_with": {
            "python": platform.python_version(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
        },
        "files": files,
    }


def build(shared: Path, out_dir: Path, *, echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Build every output into ``out_dir`` and write MANIFEST.json; returns the manifest."""
    if not shared.is_dir():
        raise SampleBuildError(f"shared data folder {shared} does not exist; pass --shared DIR")
    if shapely.geos_version < (3, 14, 0) or not hasattr(shapely, "coverage_clean"):
        raise SampleBuildError(
            f"shapely {shapely.__version__} with GEOS {shapely.geos_version_string} has no coverage_clean; "
            "install shapely>=2.2 (GEOS>=3.14)"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for builder in BUILDERS:
        out = builder(shared)
        (out_dir / out.name).write_bytes(out.payload)
        echo(f"{out.name:34s} {out.rows:>8,d} rows {len(out.payload):>10,d} bytes")
        outputs.append(out)
    result = manifest(outputs, shared)
    text = json.dumps(result, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    (out_dir / "MANIFEST.json").write_text(text, encoding="utf-8", newline="\n")
    total = sum(p.stat().st_size for p in out_dir.iterdir() if p.is_file())
    echo(f"{'MANIFEST.json':34s} {'':>8s}      {len(text.encode()):>10,d} bytes")
    echo(f"{'total':34s} {'':>8s}      {total:>10,d} bytes")
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="source data (default ../shared/data)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/sample)")
    args = parser.parse_args(argv)
    try:
        build(args.shared.resolve(), args.out.resolve())
    except SampleBuildError as exc:
        print(f"build_sample: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
