"""Opening hours of a registration or service point, in a small subset of OSM's ``opening_hours``:

``24/7``; or rules separated by ``;``, each ``[days ]HH:MM-HH:MM[,HH:MM-HH:MM…]`` where days are
``Mo Tu We Th Fr Sa Su``, single or ranges, comma-separated (``Mo-Fr 09:00-17:00; Sa 09:00-12:00``).
A rule without days is every day. Times run from 00:00 to 24:00 and a range ends after it starts.
"""

from __future__ import annotations

import re

DAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ALWAYS = "24/7"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d|24:00"
_RANGE = re.compile(rf"({_TIME})\s*[-–~]\s*({_TIME})")
_DAY_PART = re.compile(r"(Mo|Tu|We|Th|Fr|Sa|Su)(?:\s*-\s*(Mo|Tu|We|Th|Fr|Sa|Su))?", re.IGNORECASE)
_EXAMPLE = "08:00-20:00, or Mo-Fr 09:00-17:00; Sa 09:00-12:00, or 24/7"


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _days(text: str) -> str:
    parts = []
    for part in text.split(","):
        found = _DAY_PART.fullmatch(part.strip())
        if found is None:
            raise ValueError(f"{part.strip()!r} is not a day or day range (days are {' '.join(DAYS)})")
        first, last = (d.title() if d else None for d in found.groups())
        parts.append(f"{first}-{last}" if last else str(first))
    return ",".join(parts)


def _ranges(text: str) -> str:
    ranges = []
    for part in text.split(","):
        found = _RANGE.fullmatch(part.strip())
        if found is None:
            raise ValueError(f"{part.strip()!r} is not a time range like 09:00-17:00")
        start, end = found.groups()
        if _minutes(end) <= _minutes(start):
            raise ValueError(f"{part.strip()!r} ends before it starts")
        ranges.append(f"{start}-{end}")
    return ",".join(ranges)


def parse_hours(value: str) -> str:
    """The opening hours of a cell, written the one canonical way (``Mo-Fr 09:00-17:00; Sa 09:00-12:00``).

    Raises
    ------
    ValueError
        naming the part that cannot be read and showing the expected form.
    """
    text = value.strip()
    if text == ALWAYS:
        return ALWAYS
    rules = []
    for rule in (r.strip() for r in text.split(";")):
        if not rule:
            continue
        found = re.match(r"^([A-Za-z][A-Za-z,\s-]*?)\s+(?=\d)", rule)
        try:
            if found:
                rules.append(f"{_days(found.group(1))} {_ranges(rule[found.end() :])}")
            else:
                rules.append(_ranges(rule))
        except ValueError as exc:
            raise ValueError(f"{exc}; expected opening hours like {_EXAMPLE}") from None
    if not rules:
        raise ValueError(f"no opening hours given; expected {_EXAMPLE}")
    return "; ".join(rules)
