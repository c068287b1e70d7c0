"""A normalised address cut into its parts: road (or village), lane, number, building, floor, room.

Shanghai addresses nest: a road, a lane on it (…弄), a number in the lane or on the road (…号), then
a building (…号楼/栋/幢), a unit, a floor (…楼/层) and a room (…室). A list may write more or less of
this than the gazetteer does ("莲安西路35弄12号" for the gazetteer's "莲安西路35弄", "685号3楼" for
"685号"), so matching compares parts, not whole strings (geo.address.match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.address.normalise import BUILDING_WORDS

_BUILDING = "|".join(BUILDING_WORDS)
_PARTS = re.compile(
    r"^(?P<road>\D*)"
    r"(?:(?P<lane>\d+)弄(?:(?P<sublane>\d+)支弄)?)?"
    r"(?:(?P<number>\d+(?:-\d+)?)(?:号(?!楼)|$))?"
    r"(?:(?P<building>\d+|[a-z])(?:" + _BUILDING + r"|号(?=\d)))?"
    r"(?:(?P<unit>\d+)单元)?"
    r"(?:(?P<floor>-?\d+)(?:楼|层|f))?"
    r"(?:(?P<room>\d+)(?:室|房)?)?"
    r"(?P<rest>.*)$"
)
_VILLAGE = re.compile(r"^(\D{1,8}?村)")
_ROAD_END = re.compile(r"(?:路|街|大道|公路|大街|支路|弄|巷|道|里|坊|村)$")


@dataclass(frozen=True)
class AddressParts:
    """The parts of one normalised address; empty strings for parts it does not name."""

    road: str
    lane: str = ""
    sublane: str = ""
    number: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""
    rest: str = ""

    @property
    def place(self) -> tuple[str, str, str, str]:
        """Road, lane, sub-lane and number: what a gazetteer entry locates."""
        return self.road, self.lane, self.sublane, self.number

    @property
    def detail(self) -> bool:
        """Whether the address names more than the place (a building, floor, room or a note)."""
        return bool(self.building or self.unit or self.floor or self.room or self.rest)

    @property
    def village(self) -> str:
        """The village (…村) the address starts with, else ''."""
        found = _VILLAGE.match(self.road)
        return found.group(1) if found else ""


def parse(key: str) -> AddressParts:
    """The parts of a match key (geo.address.normalise.match_key).

    >>> parse("莲安西路35弄12号3楼").place
    ('莲安西路', '35', '', '12')
    >>> parse("世纪大道100") == parse("世纪大道100号")
    True
    """
    found = _PARTS.match(key)
    if found is None or (not found.group("road") and not found.group("lane")):
        return AddressParts(road=key)
    parts = {name: value or "" for name, value in found.groupdict().items()}
    bare_number = parts["number"] and not parts["lane"] and not parts["rest"] and not key.endswith("号")
    if bare_number and not _ROAD_END.search(parts["road"]):
        return AddressParts(road=key)  # "某某大厦100" is a name and a number, not a road number
    return AddressParts(**parts)
