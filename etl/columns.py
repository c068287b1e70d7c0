"""Finding columns by their common names, and parsing cell values with a reason when they fail."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from geo.errors import InputError

LON_NAMES = (
    "lon",
    "lng",
    "long",
    "longitude",
    "x",
    "经度",
    "wgs84_lng",
    "wgs84_lon",
    "gcj02_lng",
    "gcj02_lon",
    "bd09_lng",
    "bd09_lon",
)
LAT_NAMES = ("lat", "latitude", "y", "纬度", "wgs84_lat", "gcj02_lat", "bd09_lat")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "shape", "wkt_geometry")


def _fold(name: str) -> str:
    return re.sub(r"[\s\-]", "_", name.strip().lower())


def find_column(
    columns: Sequence[str],
    candidates: Sequence[str],
    *,
    explicit: str | None = None,
    path: str | Path = "",
    option: str = "",
) -> str | None:
    """The first column whose folded name is among ``candidates``; ``explicit`` must exist if given."""
    if explicit:
        if explicit in columns:
            return explicit
        folded = {_fold(c): c for c in columns}
        if _fold(explicit) in folded:
            return folded[_fold(explicit)]
        raise InputError(
            path,
            f"column {explicit!r} given by {option} is not in the file",
            field=explicit,
            fix=f"columns are: {', '.join(columns)}",
        )
    folded = {_fold(c): c for c in columns}
    for candidate in candidates:
        if candidate in folded:
            return folded[candidate]
    return None


@dataclass(frozen=True)
class CoordinateColumns:
    """Where a table's coordinates are: lon/lat columns, or one WKT column."""

    lon: str | None = None
    lat: str | None = None
    wkt: str | None = None

    @property
    def implied_crs(self) -> str | None:
        """``gcj02_lng`` says GCJ-02, ``bd09_lng`` BD-09, ``wgs84_lng`` WGS84; plain names say nothing."""
        for prefix in ("gcj02", "bd09", "wgs84"):
            if self.lon and _fold(self.lon).startswith(prefix):
                return prefix
        return None


def find_coordinates(
    columns: Sequence[str],
    *,
    lon_col: str | None,
    lat_col: str | None,
    wkt_col: str | None,
    path: str | Path,
    preferred_crs: str | None = None,
) -> CoordinateColumns:
    """Resolve the coordinate columns of a table, or raise naming what was looked for.

    When both ``wgs84_*`` and ``gcj02_*`` pairs exist, the pair matching ``preferred_crs``
    (the ``--crs`` option) wins, else WGS84.
    """
    if wkt_col or (not lon_col and not lat_col and find_column(columns, WKT_NAMES)):
        return CoordinateColumns(
            wkt=find_column(columns, WKT_NAMES, explicit=wkt_col, path=path, option="--wkt-col")
        )
    order = list(LON_NAMES)
    lat_order = list(LAT_NAMES)
    if preferred_crs in ("gcj02", "bd09"):
        order = [n for n in order if n.startswith(preferred_crs)] + order
        lat_order = [n for n in lat_order if n.startswith(preferred_crs)] + lat_order
    elif not (lon_col or lat_col):
        order = [n for n in order if n.startswith("wgs84")] + order
        lat_order = [n for n in lat_order if n.startswith("wgs84")] + lat_order
    lon = find_column(columns, order, explicit=lon_col, path=path, option="--lon-col")
    lat = find_column(columns, lat_order, explicit=lat_col, path=path, option="--lat-col")
    if lon is None or lat is None:
        missing = "longitude" if lon is None else "latitude"
        raise InputError(
            path,
            f"no {missing} column found (looked for {', '.join(LON_NAMES if lon is None else LAT_NAMES)}, "
            f"or a WKT column named {', '.join(WKT_NAMES)})",
            field=missing,
            fix="name the columns with --lon-col and --lat-col (or --wkt-col); "
            f"the file's columns are: {', '.join(columns)}",
        )
    return CoordinateColumns(lon=lon, lat=lat)


# Cell parsers: return the parsed value, or raise ValueError whose text is the reject reason.
Parser = Callable[[object], object]


def as_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def as_float(value: object) -> float | None:
    """A number from a cell; commas follow the rule of ``_normalise_commas`` (never 30,5 -> 305)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    text = as_text(value)
    if text is None:
        return None
    match = re.fullmatch(r"(.*?)(?:\s*(?:m|米))?", text)
    number = _normalise_commas(match.group(1) if match else text)
    if not re.fullmatch(r"[-+]?\d+(?:\.\d*)?|[-+]?\.\d+", number):
        raise ValueError("not a number")
    return float(number)


_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


def _normalise_commas(text: str) -> str:
    """Commas in a number, by one rule (README "Loading data"):

    - groups of three digits with a decimal point after them, or several groups
      (``1,234.5``, ``1,234,567``) are thousands separators: removed;
    - one comma followed by exactly three digits and nothing else (``1,234``) could be either
      (1234, or 1.234 written with a decimal comma): rejected as ambiguous;
    - any other single comma between digits (``30,5``, ``12,25``) is a decimal comma: 30.5.
    """
    if "," not in text:
        return text
    if _THOUSANDS.fullmatch(text) and ("." in text or text.count(",") > 1):
        return text.replace(",", "")
    if _DECIMAL_COMMA.fullmatch(text):
        if len(text.rsplit(",", 1)[1]) == 3:
            raise ValueError(
                f"ambiguous number {text!r}: a thousands separator or a decimal comma? "
                f"write {text.replace(',', '')} or {text.replace(',', '.')}"
            )
        return text.replace(",", ".")
    raise ValueError("not a number")


def as_non_negative_int(value: object) -> int | None:
    number = as_float(value)
    if number is None:
        return None
    if number < 0 or number != int(number):
        raise ValueError("expected a whole number >= 0")
    return int(number)


_TRUE = {"1", "true", "t", "yes", "y", "是", "有", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "无", ""}


def as_bool(value: object) -> bool:
    text = (as_text(value) or "").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected yes/no (1/0, true/false, 是/否)")


def as_date(value: object) -> dt.date | None:
    text = as_text(value)
    if text is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text[:11].strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError("expected a date like 2022-04-06")


def as_code(vocabulary: Sequence[str], aliases: dict[str, str] | None = None) -> Parser:
    """A parser accepting the vocabulary's codes (and Chinese or other aliases) only."""
    lookup = {code: code for code in vocabulary}
    lookup.update({k.lower(): v for k, v in (aliases or {}).items()})

    def parse(value: object) -> str | None:
        text = as_text(value)
        if text is None:
            return None
        code = lookup.get(text) or lookup.get(text.lower()) or lookup.get(_fold(text))
        if code is None:
            raise ValueError(f"expected one of {', '.join(vocabulary)}")
        return code

    return parse
