"""Extract: read any supported input as a stream of chunks of rows.

Formats: GeoJSON (our own parser, so that every problem is tied to its feature number),
GeoPackage, Shapefile (also zipped), FlatGeobuf (through GDAL, streamed as Arrow batches),
CSV (UTF-8 with or without BOM, GB18030/GBK) and XLSX. Rows are numbered from 1 in file
order (a CSV's header line is not a row). Nothing here knows about the database.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from etl.files import (
    check_openable,
    check_zip,
    codec_name,
    expanded_size,
    open_binary,
    shapefile_encoding,
)
from etl.report import Reject
from geo.crs import CoordSystem, parse_crs
from geo.errors import InputError, UnknownCRSError
from geo.settings import EtlSettings

VECTOR_SUFFIXES = {".gpkg", ".shp", ".zip", ".fgb", ".gml", ".kml"}
GEOJSON_SUFFIXES = {".geojson", ".json"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}


@dataclass
class Chunk:
    """A slice of rows: attributes as text, geometries when the format has them.

    ``frame.index`` holds the 1-based row numbers; ``issues`` are rows the reader already
    found broken, ``repaired`` rows it had to mend (an unclosed ring closed).
    """

    frame: pd.DataFrame
    geometry: np.ndarray | None = None
    issues: list[Reject] = field(default_factory=list)
    repaired: set[int] = field(default_factory=set)


class SourceTable(Protocol):
    """What the pipeline needs of an input, whatever its format."""

    # Read-only, so that a source may know them as narrower types (total_rows an int, always).
    @property
    def path(self) -> Path: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def declared_crs(self) -> CoordSystem | None: ...
    @property
    def has_geometry(self) -> bool: ...
    @property
    def total_rows(self) -> int | None: ...
    # What the load report should say about how the file was read (its encoding, …).
    @property
    def notes(self) -> dict[str, str]: ...

    def chunks(self, size: int) -> Iterator[Chunk]: ...


def open_source(
    path: Path | str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    settings: EtlSettings | None = None,
) -> SourceTable:
    """Open an input file by its extension; raise InputError naming the file when it cannot be read.

    ``encoding`` (``--encoding``) forces the text encoding of a CSV or a Shapefile. FIFOs and
    devices are refused before anything opens them; zip and gzip files may expand to at most
    ``settings.max_decompressed_bytes``; GeoJSON above ``settings.geojson_stream_bytes`` is
    streamed through GDAL instead of being parsed whole.
    """
    path = Path(path)
    settings = settings or EtlSettings(_env_file=None)
    check_openable(path)
    suffixes = [s.lower() for s in path.suffixes]
    suffix = suffixes[-1] if suffixes else ""
    inner = suffixes[-2] if suffix == ".gz" and len(suffixes) > 1 else suffix
    if suffix in {".zip", ".xlsx", ".xlsm"}:  # an XLSX is a zip archive too
        check_zip(path, max_bytes=settings.max_decompressed_bytes)
    if inner in GEOJSON_SUFFIXES:
        if expanded_size(path) > settings.geojson_stream_bytes:
            return VectorSource(path, layer=layer, note="streamed through GDAL (a large GeoJSON)")
        return GeoJSONSource(path, max_bytes=settings.max_decompressed_bytes)
    if inner in TABLE_SUFFIXES:
        return TabularSource(path, encoding=encoding, max_bytes=settings.max_decompressed_bytes)
    if inner in VECTOR_SUFFIXES or path.is_dir():
        return VectorSource(path, layer=layer, encoding=encoding)
    raise InputError(
        path,
        f"unsupported file type {suffix or '(none)'!r}",
        fix="use GeoJSON, GeoPackage, Shapefile (.shp or .zip), FlatGeobuf, CSV or XLSX",
    )


class FrameSource:
    """An in-memory table (a GeoDataFrame or DataFrame) read like a file: the demo and tests use it."""

    def __init__(self, frame: pd.DataFrame, *, name: str, crs: CoordSystem | None = None) -> None:
        self.path = Path(name)
        self._frame = frame
        geometry_column = frame.geometry.name if hasattr(frame, "geometry") else None
        self._geometry_column = geometry_column
        self.columns = [str(c) for c in frame.columns if c != geometry_column]
        self.has_geometry = geometry_column is not None
        if crs is None and self.has_geometry and frame.crs is not None:
            crs = parse_crs(frame.crs.to_string())
        self.declared_crs = crs
        self.total_rows = len(frame)
        self.notes: dict[str, str] = {}

    def chunks(self, size: int) -> Iterator[Chunk]:
        for start in range(0, len(self._frame), size):
            part = self._frame.iloc[start : start + size]
            attributes = pd.DataFrame(part[self.columns]).astype(object)
            attributes.index = pd.RangeIndex(start + 1, start + 1 + len(part))
            geometry = np.asarray(part.geometry.values, dtype=object) if self._geometry_column else None
            yield Chunk(attributes.where(attributes.notna(), None), geometry)


class GeoJSONSource:
    """A GeoJSON FeatureCollection (optionally .gz), parsed by us so each feature keeps its number."""

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        self.path = path
        self.notes: dict[str, str] = {}
        try:
            with io.TextIOWrapper(open_binary(path, max_bytes=max_bytes), encoding="utf-8-sig") as handle:
                document = json.load(handle)
        except json.JSONDecodeError as exc:
            raise InputError(
                path,
                f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} "
                "(is the file truncated?)",
            ) from exc
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            raise InputError(path, f"cannot be read as UTF-8 GeoJSON: {exc}") from exc
        if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
            kind = document.get("type") if isinstance(document, dict) else type(document).__name__
            raise InputError(path, f"expected a GeoJSON FeatureCollection, found {kind!r}", field="type")
        features = document.get("features")
        if not isinstance(features, list):
            raise InputError(path, "the FeatureCollection has no 'features' list", field="features")
        self._features = features
        self.declared_crs = _geojson_crs(path, document)
        names: dict[str, None] = {}
        for feature in features[:1000]:
            if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
                names.update(dict.fromkeys(feature["properties"]))
        self.columns = list(names)
        self.has_geometry = True
        self.total_rows = len(features)

    def chunks(self, size: int) -> Iterator[Chunk]:
        for start in range(0, len(self._features), size):
            records: list[dict] = []
            geometries: list[object] = []
            chunk = Chunk(pd.DataFrame())
            for offset, feature in enumerate(self._features[start : start + size]):
                row = start + offset + 1
                if not isinstance(feature, dict) or feature.get("type") != "Feature":
                    chunk.issues.append(Reject(row, "type", str(feature)[:80], "not a GeoJSON Feature"))
                    records.append({})
                    geometries.append(None)
                    continue
                properties = feature.get("properties") or {}
                records.append(properties if isinstance(properties, dict) else {})
                geometries.append(_feature_geometry(feature.get("geometry"), row, chunk))
            frame = pd.DataFrame.from_records(records, columns=self.columns).astype(object)
            frame.index = pd.RangeIndex(start + 1, start + 1 + len(records))
            chunk.frame = frame.where(frame.notna(), None)
            chunk.geometry = np.array(geometries, dtype=object)
            yield chunk


def _geojson_crs(path: Path, document: dict) -> CoordSystem | None:
    """GeoJSON is WGS84 by RFC 7946; an old-style named ``crs`` member is honoured."""
    member = document.get("crs")
    if not member:
        return None
    name = (member.get("properties") or {}).get("name", "") if isinstance(member, dict) else ""
    if "CRS84" in name or name.endswith("4326"):
        return parse_crs("EPSG:4326")
    try:
        return parse_crs(name.split("EPSG::")[-1] if "EPSG::" in name else name)
    except UnknownCRSError as exc:
        raise InputError(
            path,
            f"unknown CRS {name!r} in the 'crs' member",
            field="crs",
            fix="pass --crs to say which it is",
        ) from exc


def _feature_geometry(geometry: object, row: int, chunk: Chunk) -> object:
    """A shapely geometry, or None with the reason recorded in ``chunk.issues``."""
    if geometry is None:
        return None  # whether a geometry is required is the job's to say (etl.pipeline)
    if not isinstance(geometry, dict):
        chunk.issues.append(Reject(row, "geometry", str(geometry)[:80], "geometry is not a JSON object"))
        return None
    if _close_rings(geometry):
        chunk.repaired.add(row)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        value = json.dumps(geometry.get("coordinates"), ensure_ascii=False)[:80]
        chunk.issues.append(Reject(row, "geometry", value, f"invalid {geometry.get('type')} geometry: {exc}"))
        return None


def _close_rings(geometry: dict) -> bool:
    """Close unclosed polygon rings in place; True when any was open (the row counts as repaired)."""
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    changed = False
    for polygon in polygons or []:
        if not isinstance(polygon, list):
            continue
        for ring in polygon:
            if isinstance(ring, list) and len(ring) >= 3 and ring[0] != ring[-1] and not _has_nan(ring):
                ring.append(ring[0])
                changed = True
    return changed


def _has_nan(ring: list) -> bool:
    return any(
        isinstance(v, float) and math.isnan(v) for point in ring if isinstance(point, list) for v in point
    )


class VectorSource:
    """A GDAL-readable vector file, streamed as Arrow record batches (bounded memory)."""

    def __init__(
        self, path: Path, *, layer: str | None = None, encoding: str | None = None, note: str | None = None
    ) -> None:
        import pyogrio

        self.path = path
        self.notes: dict[str, str] = {"read": note} if note else {}
        lower = path.suffix.lower()
        self._uri = (
            f"/vsizip/{path}" if lower == ".zip" else f"/vsigzip/{path}" if lower == ".gz" else str(path)
        )
        self._layer = self._choose_layer(layer)
        self._encoding: str | None = None
        choice = (
            shapefile_encoding(path, forced=encoding, layer=self._layer) if self._is_shapefile() else None
        )
        if choice is not None:
            self._encoding = choice.encoding
            self.notes["encoding"] = choice.note
        elif encoding:
            self._encoding = codec_name(encoding, path=path)
            self.notes["encoding"] = f"{self._encoding} (given by --encoding)"
        try:
            with warnings.catch_warnings():
                # GDAL's chatter on a broken file ("bad application_id") comes as RuntimeWarnings
                # before the error that says it all.
                warnings.simplefilter("ignore", RuntimeWarning)
                info = pyogrio.read_info(self._uri, layer=self._layer, encoding=self._encoding)
        except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
            raise InputError(path, f"cannot be read as a vector file: {_first_line(exc)}") from exc
        self.columns = [str(c) for c in info["fields"]]
        self._fid_column = info.get("fid_column") or None
        if self._fid_column and self._fid_column not in self.columns:
            self.columns.insert(0, self._fid_column)
        self.declared_crs = _vector_crs(path, info.get("crs"))
        self.has_geometry = bool(info.get("geometry_type"))
        self.total_rows = info.get("features") if info.get("features", -1) >= 0 else None

    def _choose_layer(self, layer: str | None) -> str | None:
        """The layer to read: ``--layer`` if the file has it; the only one; else ask for ``--layer``."""
        import pyogrio

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                names = [str(n) for n, _ in pyogrio.list_layers(self._uri)]
        except Exception as exc:  # as above: several types for one meaning, "unreadable"
            raise InputError(self.path, f"cannot be read as a vector file: {_first_line(exc)}") from exc
        if layer is not None:
            if layer not in names:
                raise InputError(
                    self.path,
                    f"has no layer {layer!r}",
                    field="--layer",
                    fix=f"its layers are: {', '.join(names) or '(none)'}",
                )
            return layer
        if len(names) > 1:
            raise InputError(
                self.path,
                f"holds {len(names)} layers: {', '.join(names)}",
                field="--layer",
                fix="pass --layer NAME to say which one to load",
            )
        return None

    def _is_shapefile(self) -> bool:
        lower = self.path.suffix.lower()
        return lower in {".shp", ".zip", ".dbf"} or self.path.is_dir()

    def chunks(self, size: int) -> Iterator[Chunk]:
        import pyogrio

        row = 0
        with pyogrio.raw.open_arrow(
            self._uri,
            layer=self._layer,
            batch_size=size,
            use_pyarrow=True,
            encoding=self._encoding,
            return_fids=bool(self._fid_column),
        ) as (meta, reader):
            geometry_name = meta.get("geometry_name") or "wkb_geometry"
            for batch in reader:
                names = list(batch.schema.names)
                wkb = (
                    batch.column(geometry_name).to_numpy(zero_copy_only=False)
                    if geometry_name in names
                    else None
                )
                columns = {n: _cells(batch.column(n)) for n in names if n != geometry_name}
                if self._fid_column and "OGC_FID" in columns:
                    columns[self._fid_column] = columns.pop("OGC_FID")
                index = pd.RangeIndex(row + 1, row + 1 + batch.num_rows)
                table = pd.DataFrame(columns, index=index, dtype=object)
                chunk = Chunk(table)
                if wkb is not None:
                    chunk.geometry = _from_wkb(wkb, table.index, chunk)
                row += len(table)
                yield chunk


def _cells(column: Any) -> np.ndarray:
    """An Arrow column as the cells of a chunk: Python objects, None where empty (NaN too).

    Text, floating point and null-free integer and boolean columns straight from Arrow, which is
    several times faster than through pandas; any other type (dates, times, integers with
    nulls, which pandas reads as floats) through pandas, as before, so every cell is the same.
    """
    import pyarrow as pa

    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.to_numpy(zero_copy_only=False)
    if pa.types.is_floating(kind):
        values = column.to_numpy(zero_copy_only=False)
        cells = values.astype(object)
        cells[np.isnan(values)] = None
        return cells
    if (pa.types.is_integer(kind) or pa.types.is_boolean(kind)) and column.null_count == 0:
        return column.to_numpy(zero_copy_only=False).astype(object)
    series = column.to_pandas(types_mapper=None).astype(object)
    return series.where(series.notna(), None).to_numpy(dtype=object)


def _from_wkb(wkb: np.ndarray, rows: pd.Index, chunk: Chunk) -> np.ndarray:
    geometry = shapely.from_wkb(wkb, on_invalid="ignore")
    broken = np.flatnonzero(pd.isna(geometry) & pd.notna(wkb))
    for i in broken:
        chunk.issues.append(Reject(int(rows[int(i)]), "geometry", "(binary)", "unreadable geometry"))
    return geometry


def _vector_crs(path: Path, crs: str | None) -> CoordSystem | None:
    if not crs:
        return None
    try:
        return parse_crs(crs)
    except UnknownCRSError as exc:
        raise InputError(path, f"the file's CRS {crs!r} is not supported", fix="pass --crs") from exc


class TabularSource:
    """CSV or XLSX: attributes only; coordinates come from lon/lat or WKT columns."""

    has_geometry = False
    declared_crs = None

    def __init__(self, path: Path, *, encoding: str | None = None, max_bytes: int = 1 << 62) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._excel = path.suffix.lower() in {".xlsx", ".xlsm"}
        self.notes: dict[str, str] = {}
        if self._excel:
            self._encoding = None
        elif encoding:
            self._encoding = codec_name(encoding, path=path)
            self.notes["encoding"] = f"{self._encoding} (given by --encoding)"
        else:
            self._encoding = detect_encoding(path, max_bytes=max_bytes)
            if self._encoding != "utf-8-sig":
                self.notes["encoding"] = f"{self._encoding} (the text is not UTF-8)"
        self.columns = [str(c).strip() for c in self._read(nrows=0).columns]
        if not self.columns:
            raise InputError(path, "no header row with column names")
        self.total_rows = None

    def _read(self, **kwargs: Any) -> pd.DataFrame:  # kwargs: pandas' read_csv / read_excel options
        try:
            if self._excel:
                return pd.read_excel(self.path, dtype=str, keep_default_na=False, **kwargs)
            separator = "\t" if self.path.suffix.lower() == ".tsv" else ","
            # Our own handle (gunzipped with a size cap), closed with the reader or at once.
            handle = open_binary(self.path, max_bytes=self._max_bytes)
            try:
                result = pd.read_csv(
                    handle, dtype=str, keep_default_na=False, encoding=self._encoding, sep=separator, **kwargs
                )
            except BaseException:
                handle.close()
                raise
            if "chunksize" not in kwargs:
                handle.close()
            else:
                self._handle = handle
            return result
        except pd.errors.EmptyDataError as exc:
            raise InputError(self.path, "the file has no header row") from exc
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
            raise InputError(self.path, f"cannot be parsed: {_first_line(exc)}") from exc

    def chunks(self, size: int) -> Iterator[Chunk]:
        if self._excel:
            yield from self._chunks(iter([self._read()]))
            return
        # The reader holds the file open: close it even when a row cannot be parsed.
        with self._read(chunksize=size) as reader:  # type: ignore[attr-defined]
            try:
                yield from self._chunks(reader)
            finally:
                self._handle.close()

    def _chunks(self, frames: Iterator[pd.DataFrame]) -> Iterator[Chunk]:
        row = 0
        try:
            for frame in frames:
                frame.columns = [str(c).strip() for c in frame.columns]
                frame = frame.astype(object)
                frame.index = pd.RangeIndex(row + 1, row + 1 + len(frame))
                row += len(frame)
                yield Chunk(frame.where(frame != "", None))
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            # The parser counts file lines from 1, the header included: line n is row n - 1.
            line = re.search(r"\bline (\d+)", str(exc))
            if line is None:
                reason, bad_row = f"cannot be parsed after row {row}: {_first_line(exc)}", row + 1
            else:
                reason, bad_row = f"cannot be parsed: {_first_line(exc)}", int(line.group(1)) - 1
            raise InputError(self.path, reason, row=bad_row) from exc


def detect_encoding(path: Path, *, sample_bytes: int = 1 << 20, max_bytes: int = 1 << 62) -> str:
    """``utf-8-sig`` when the start of the file decodes as UTF-8, else ``gb18030`` (a superset of GBK)."""
    with open_binary(path, max_bytes=max_bytes) as handle:
        sample = handle.read(sample_bytes)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < sample_bytes)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=len(sample) < sample_bytes)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(path, "text is neither UTF-8 nor GB18030/GBK", fix="save the file as UTF-8") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
