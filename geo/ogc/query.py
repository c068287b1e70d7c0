"""The query of an items request, read and checked once: ``items_query(collection, args)``.

Every parameter is described in ``PARAMETERS`` (the OpenAPI document is built from it), and every bad
value raises ``InvalidParameter`` naming the parameter, so that the answer says what to fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from geo.crs.uris import BD09_URI, CRS84, GCJ02_URI, OGC_CRS, OgcCrs, bbox_to_wgs84, parse_ogc_crs
from geo.errors import InvalidParameter
from geo.ogc.collections import Collection
from geo.sqlutil import Bbox
from geo.vocab import CHINA_TZ

_OFFSET_NOTE = (
    f"{GCJ02_URI} (GCJ-02, AMap/Tencent) and {BD09_URI} (BD-09, Baidu) are the Chinese offset datums "
    "under battlemap's own names: not EPSG codes, longitude first."
)
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Parameter:
    """One query parameter of the items endpoint, as the OpenAPI document shows it."""

    name: str
    description: str
    schema: dict


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "limit",
        f"Features per page (1 to {MAX_LIMIT:,}; a larger value is taken as {MAX_LIMIT:,}).",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    Parameter(
        "bbox",
        "minx,miny,maxx,maxy (in bbox-crs, CRS84 by default): features whose geometry meets the box.",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    Parameter(
        "bbox-crs",
        f"The CRS of bbox (a URI). {_OFFSET_NOTE}",
        {"type": "string", "enum": list(OGC_CRS)},
    ),
    Parameter(
        "crs",
        f"The CRS of the geometries returned (a URI). {_OFFSET_NOTE}",
        {"type": "string", "enum": list(OGC_CRS)},
    ),
    Parameter(
        "datetime",
        "A day (2022-04-03) or an instant (2022-04-03T10:00:00+08:00, taken as its day in China): "
        "statuses and risk areas as on that day, cases reported on it. Intervals are not supported.",
        {"type": "string"},
    ),
    Parameter(
        "properties",
        "Comma-separated property names: only these are returned.",
        {"type": "array", "items": {"type": "string"}},
    ),
    Parameter(
        "cursor", "Where the page starts (from a next link; opaque).", {"type": "integer", "minimum": 0}
    ),
)
_PROTOCOL = frozenset({p.name for p in PARAMETERS} | {"f", "key"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ItemsQuery:
    """A checked items request: everything in WGS84, ready for ``geo.ogc.items``."""

    collection: Collection
    limit: int = DEFAULT_LIMIT
    bbox: Bbox | None = None
    day: dt.date | None = None
    crs: OgcCrs = CRS84
    properties: tuple[str, ...] = ()
    """The properties returned, in the collection's order."""
    filters: dict[str, str] = field(default_factory=dict)
    """property -> value: only features whose property equals it (as text)."""
    after: int = 0


def items_query(collection: Collection, args: Mapping[str, str]) -> ItemsQuery:
    """The checked query of ``args`` (a request's query string) on ``collection``.

    Raises
    ------
    InvalidParameter
        naming the parameter: a bad limit, bbox, bbox-crs, crs, datetime (or one on a collection
        without days), an unknown property, or an unknown parameter.
    """
    day = parse_datetime(args.get("datetime"))
    if day is not None and collection.dated is None:
        raise InvalidParameter(
            f"{collection.id} have no days: datetime applies to buildings, cases and risk-areas only",
            parameter="datetime",
        )
    known = collection.properties
    if day is None and collection.dated == "status":  # a status is a status on a day
        known = tuple(name for name in known if name != "status")
    unknown = [name for name in args if name not in _PROTOCOL and name not in known]
    if unknown:
        raise InvalidParameter(
            f"unknown parameter {unknown[0][:60]!r}: {collection.id} takes "
            f"{', '.join(sorted(_PROTOCOL - {'key'}))} and its properties ({', '.join(known)}) as filters",
            parameter=unknown[0][:60],
        )
    fmt = args.get("f", "json")
    if fmt not in ("json", "geojson"):
        raise InvalidParameter(f"f was {fmt[:40]!r} but is expected to be json", parameter="f")
    bbox_crs = parse_ogc_crs(args.get("bbox-crs"), parameter="bbox-crs")
    selected = _properties(args.get("properties"), known)
    filters = {name: value for name, value in args.items() if name in known}
    return ItemsQuery(
        collection=collection,
        limit=parse_limit(args.get("limit")),
        bbox=None if args.get("bbox") is None else parse_bbox(args["bbox"], bbox_crs),
        day=day,
        crs=parse_ogc_crs(args.get("crs"), parameter="crs"),
        properties=selected,
        filters=filters,
        after=_cursor(args.get("cursor")),
    )


def parse_limit(value: str | None) -> int:
    """``limit``: an integer of at least 1; above ``MAX_LIMIT`` it is taken as ``MAX_LIMIT`` (as OGC
    API - Features requires: never an error)."""
    if value is None:
        return DEFAULT_LIMIT
    if not re.fullmatch(r"\+?\d{1,12}", value.strip()) or int(value) < 1:
        raise InvalidParameter(
            f"limit was {value[:40]!r} but is expected to be a whole number from 1 to {MAX_LIMIT}",
            parameter="limit",
        )
    return min(int(value), MAX_LIMIT)


def parse_bbox(value: str, crs: OgcCrs = CRS84) -> Bbox:
    """``bbox``: four (or six, with heights) numbers in ``crs``, lower corner first; WGS84 out."""
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(
            f"bbox was {value[:80]!r} but is expected to be minx,miny,maxx,maxy (four numbers)",
            parameter="bbox",
        )
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    box = (numbers[0], numbers[1], numbers[2], numbers[3])
    if not (box[0] < box[2] and box[1] < box[3]):
        raise InvalidParameter(
            f"bbox was {value[:80]!r}: its minimum must be below its maximum on both axes", parameter="bbox"
        )
    west, south, east, north = bbox_to_wgs84(box, crs)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidParameter(
            f"bbox was {value[:80]!r}: outside the world in {crs.uri} (is bbox-crs right?)", parameter="bbox"
        )
    return (west, south, east, north)


def parse_datetime(value: str | None) -> dt.date | None:
    """``datetime``: a day, or an instant taken as its day in China (UTC+8); None when missing."""
    if value is None or value == "":
        return None
    text = value.strip()
    problem = f"datetime was {text[:60]!r} but is expected to be a day (2022-04-03) or an instant"
    if "/" in text:
        raise InvalidParameter(f"{problem}; intervals are not supported", parameter="datetime")
    try:
        if _DATE.match(text):
            return dt.date.fromisoformat(text)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidParameter(problem, parameter="datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(CHINA_TZ).date()


def _properties(value: str | None, known: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return known
    asked = [name.strip() for name in value.split(",") if name.strip()]
    wrong = [name for name in asked if name not in known]
    if wrong:
        raise InvalidParameter(
            f"properties names {wrong[0][:60]!r}, which is not a property here; "
            f"choose from {', '.join(known)}",
            parameter="properties",
        )
    return tuple(name for name in known if name in asked)


def _cursor(value: str | None) -> int:
    if value is None:
        return 0
    if not re.fullmatch(r"\d{1,18}", value):
        raise InvalidParameter(f"cursor was {value[:40]!r}: use the next link as given", parameter="cursor")
    return int(value)
