"""Matching free-text addresses to the gazetteer: exact on parts first, then a ranked fuzzy fallback.

Every answer says how it was found (its ``level``) and how far it can be trusted (``score``,
0..100), so a load applies only what reaches ``--min-score`` and lists the rest for review with
their best candidates:

- ``exact`` (100, 98 when only the 号 of a road number differs): the same address;
- ``house_number`` (95, 85): the same road, lane and number, the list naming a building, floor,
  room or a note more (95), or 号 where the gazetteer has 弄 and back (85);
- ``lane`` (90, 85): the lane of an address in a lane ("莲安西路35弄12号" -> "莲安西路35弄");
- ``village`` (80): the village (…村) of a village address;
- ``road`` (60): only the road is known; the gazetteer address with the nearest number;
- ``township`` (70): only the town or sub-district (街道/镇) is named (risk areas).

A road or compound the gazetteer does not spell that way is first tried in the spellings lists use
for it (``geo.address.normalise``: "张杨2281弄" for 张杨路2281弄, "莲安西35弄", "川周路" for 川周公路,
"世纪道", "振东苑小区" for 振东苑), the score multiplied by the abbreviation's trust, and only when
one gazetteer place answers; then it is looked up among the district's roads with rapidfuzz; the
score is then scaled by the similarity, so a near-miss ("中山南路" for "中山北路")
stays below the default minimum and goes to review rather than to a wrong place. Numbers are
never fuzzy: 35弄 is not 53弄.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from geo.address.normalise import canonical_district, clean_text, match_key, name_spellings, split_district
from geo.address.parse import AddressParts, parse

LEVELS = ("exact", "house_number", "lane", "road", "village", "township")
DEFAULT_MIN_SCORE = 80.0
MAX_ADDRESS_CHARS = 200
FUZZY_ROAD_CUTOFF = 70.0

_OTHER_PLACE = re.compile(
    r"^(?:中国)?(?:(?:北京|天津|重庆)市|(?:香港|澳门)(?:特别行政区)?(?![东西南北中]?路)|台湾省?|"
    r"[\u4e00-\u9fff]{2,3}(?:省|自治区)|"
    r"(?!上海)[\u4e00-\u9fff]{2,3}市(?=[\u4e00-\u9fff]{1,4}(?:区|县|市)))"
)
_HAN = re.compile(r"[\u3400-\u9fff]")
_ALLOWED = re.compile(
    r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffefA-Za-z0-9\s\-#·,，。.、;；:：\"'“”‘’()\[\]【】<>《》—_/\\~～]"
)
_TOWN_SUFFIXES = ("街道", "镇", "乡")
_DIGITS = re.compile(r"\d+")
_PARTIAL = ("road", "village")
"""Levels that locate less than the address: a spelling of its name may locate all of it."""


@dataclass(frozen=True)
class Entry:
    """One gazetteer address as the matcher knows it."""

    id: int
    district: str
    address: str
    key: str
    township: str | None = None


@dataclass(frozen=True)
class Match:
    """The outcome for one address: the entry (or None), level, score, best candidates, reason."""

    address_id: int | None
    level: str | None
    score: float
    key: str = ""
    candidates: tuple[tuple[str, float], ...] = ()
    reason: str = ""

    def accepted(self, min_score: float) -> bool:
        return self.address_id is not None and self.score >= min_score


@dataclass
class _District:
    by_key: dict[str, int] = field(default_factory=dict)
    by_place: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    # Places also named by entries with a building, floor or note ("板泉路1821号工地生活区").
    by_place_any: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    by_lane: dict[tuple[str, str], int] = field(default_factory=dict)
    by_road: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    by_village: dict[str, int] = field(default_factory=dict)
    towns: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    keys: list[str] = field(default_factory=list)
    roads: list[str] = field(default_factory=list)


class Matcher:
    """An in-memory index of the gazetteer, one per load (34,975 addresses index in about a second)."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self._districts: dict[str, _District] = defaultdict(_District)
        self.entries: dict[int, Entry] = {}
        for entry in sorted(entries, key=lambda e: e.id):
            self._add(entry)
        for index in self._districts.values():
            index.keys = list(index.by_key)
            index.roads = list(index.by_road)
            for numbers in index.by_road.values():
                numbers.sort()

    def _add(self, entry: Entry) -> None:
        if not entry.key:
            return
        self.entries[entry.id] = entry
        index = self._districts[entry.district]
        index.by_key.setdefault(entry.key, entry.id)
        parts = parse(entry.key)
        if not parts.detail:
            index.by_place.setdefault(parts.place, entry.id)
        index.by_place_any.setdefault(parts.place, entry.id)
        if parts.lane:
            index.by_lane.setdefault((parts.road, parts.lane), entry.id)
        number = parts.lane or parts.number
        if parts.road and number:
            index.by_road[parts.road].append((_first_number(number), entry.id))
        if parts.village:
            index.by_village.setdefault(parts.village, entry.id)
            if entry.key == parts.village:
                index.by_village[parts.village] = entry.id
        if entry.township:
            town = entry.township
            index.towns[town].append(entry.id)
            for suffix in _TOWN_SUFFIXES:
                if town.endswith(suffix) and len(town) - len(suffix) >= 2:
                    index.towns[town[: -len(suffix)]].append(entry.id)

    def match(self, address: str | None, district: str | None = None) -> Match:
        """The best gazetteer entry for one address (never raises: bad input gets a reason)."""
        problem = input_problem(address)
        if problem:
            return Match(None, None, 0.0, reason=problem)
        assert address is not None
        district = canonical_district(district)
        if district is None:
            district, _ = split_district(address)
            district = canonical_district(district)
        if district is None:
            return Match(None, None, 0.0, reason="no district: neither the row nor the address names one")
        index = self._districts.get(district)
        if index is None:
            return Match(None, None, 0.0, reason=f"district {district!r} is not in the gazetteer")
        key = match_key(address, district=district)
        if not key:
            return Match(None, None, 0.0, reason="nothing left of the address once normalised")
        bare = self._without_town(index, key)
        tries = [key] + ([bare] if bare and bare != key else [])
        found = None
        for text in tries:
            found = found or self._exact(index, text)
        if found is None or found[1] in _PARTIAL:
            # "小湾村第二新村小区" is the 新村 (spelled 小湾村第二新村), not only the village it lies in.
            for text in tries:
                spelled = self._abbreviated(index, text)
                if spelled is not None and (found is None or spelled[2] > found[2]):
                    found = spelled
                    break
        for text in tries:
            found = found or self._fuzzy(index, text)
        if found is not None:
            return Match(found[0], found[1], found[2], key)
        candidates = self.candidates(district, key)
        reason = "no gazetteer address close enough" if not candidates else "no match on the address's parts"
        return Match(None, None, 0.0, key, candidates, reason)

    def lookup(self, district: str, address: str) -> int | None:
        """The gazetteer entry spelled ``address`` in ``district`` (as normalised), if any."""
        index = self._districts.get(district)
        key = match_key(address, district=district)
        return None if index is None or not key else index.by_key.get(key)

    def candidates(self, district: str, key: str, limit: int = 3) -> tuple[tuple[str, float], ...]:
        """The gazetteer addresses most like the key (rapidfuzz ratio), for an operator to choose from."""
        index = self._districts.get(district)
        if index is None or not key:
            return ()
        best = process.extract(key, index.keys, scorer=fuzz.ratio, limit=limit, score_cutoff=40)
        return tuple((self.entries[index.by_key[k]].address, round(s, 1)) for k, s, _ in best)

    def township_entries(self, district: str, text: str) -> tuple[list[str], list[int]]:
        """The towns or sub-districts a text names ("高境镇、大场镇除…以外的其他区域"), their addresses."""
        index = self._districts.get(district)
        if index is None:
            return [], []
        named = [t for t in sorted(index.towns, key=len, reverse=True) if t in text and len(t) >= 2]
        towns: list[str] = []
        for town in named:
            if not any(town in longer for longer in towns):
                towns.append(town)
        ids = sorted({i for t in towns for i in index.towns[t]})
        return towns, ids

    def _without_town(self, index: _District, key: str) -> str | None:
        for town in sorted(index.towns, key=len, reverse=True):
            if key.startswith(town) and len(key) > len(town):
                return key[len(town) :]
        return None

    def _exact(self, index: _District, key: str) -> tuple[int, str, float] | None:
        if key in index.by_key:
            return index.by_key[key], "exact", 100.0
        return _locate(index, parse(key))

    def _abbreviated(self, index: _District, key: str) -> tuple[int, str, float] | None:
        """The key with its road or compound name as the gazetteer spells it (``name_spellings``):
        the deepest answer above the road level, if only one place gives it."""
        parts = parse(key)
        name = parts.road
        if not name or name in index.by_road or name in index.by_village:
            return None
        found: list[tuple[int, str, float, float]] = []  # id, level, score, score before the trust
        for spelled, trust in name_spellings(name):
            located = self._exact(index, spelled + key[len(name) :])
            if located is not None and located[1] != "road":
                found.append((*located[:2], round(located[2] * trust, 1), located[2]))
        if not found:
            return None
        deepest = max(f[3] for f in found)
        if len({self.entries[f[0]].key for f in found if f[3] == deepest}) > 1:
            return None  # two places fit as well ("沪南" for 沪南路 and 沪南公路): for review, never a guess
        best = max((f for f in found if f[3] == deepest), key=lambda f: f[2])
        return best[0], best[1], best[2]

    def _fuzzy(self, index: _District, key: str) -> tuple[int, str, float] | None:
        parts = parse(key)
        if parts.road and parts.road not in index.by_road and parts.road not in index.by_village:
            best = process.extractOne(
                parts.road, index.roads, scorer=fuzz.ratio, score_cutoff=FUZZY_ROAD_CUTOFF
            )
            if best is not None:
                road, similarity, _ = best
                found = _locate(index, _with_road(parts, road), exact_place=True)
                if found is not None:
                    return found[0], found[1], round(found[2] * similarity / 100, 1)
        return _fuzzy_whole(index, key)


def _locate(
    index: _District, parts: AddressParts, *, exact_place: bool = False
) -> tuple[int, str, float] | None:
    """The gazetteer entry for the parts, deepest level first."""
    place = parts.place
    if place in index.by_place and (parts.road or parts.lane):
        level, score = ("house_number", 95.0) if parts.detail else ("exact", 98.0)
        return index.by_place[place], level, score
    road, lane, sublane, number = place
    if exact_place and not (lane or number):
        return None
    if lane and number:
        if (road, lane, sublane, "") in index.by_place:
            return index.by_place[(road, lane, sublane, "")], "lane", 90.0
        if (road, lane) in index.by_lane:
            return index.by_lane[(road, lane)], "lane", 85.0
    if number and not lane and (road, number, "", "") in index.by_place:
        return index.by_place[(road, number, "", "")], "house_number", 85.0
    if lane and not number:
        if (road, "", "", lane) in index.by_place:
            return index.by_place[(road, "", "", lane)], "house_number", 85.0
        if (road, lane) in index.by_lane:
            return index.by_lane[(road, lane)], "lane", 85.0
    if place in index.by_place_any and (number or lane):
        return index.by_place_any[place], "house_number", 85.0
    village = parts.village
    if village and village in index.by_village and not (lane or number):
        return index.by_village[village], "village", 80.0
    numbers = index.by_road.get(road)
    if numbers:
        wanted = _first_number(lane or number) if (lane or number) else numbers[len(numbers) // 2][0]
        at = min(bisect_left(numbers, (wanted, -1)), len(numbers) - 1)
        if at > 0 and abs(numbers[at - 1][0] - wanted) <= abs(numbers[at][0] - wanted):
            at -= 1
        return numbers[at][1], "road", 60.0
    if village and village in index.by_village:
        return index.by_village[village], "village", 70.0
    return None


def _fuzzy_whole(index: _District, key: str) -> tuple[int, str, float] | None:
    """A near spelling of the whole key with the same numbers (typos in names, never in numbers)."""
    digits = _DIGITS.findall(key)
    for candidate, similarity, _ in process.extract(
        key, index.keys, scorer=fuzz.ratio, limit=5, score_cutoff=75
    ):
        if _DIGITS.findall(candidate) != digits:
            continue
        level = "house_number" if digits else ("village" if "村" in candidate else "road")
        return index.by_key[candidate], level, round(similarity * 0.95, 1)
    return None


def _with_road(parts: AddressParts, road: str) -> AddressParts:
    return AddressParts(
        road,
        parts.lane,
        parts.sublane,
        parts.number,
        parts.building,
        parts.unit,
        parts.floor,
        parts.room,
        parts.rest,
    )


def _first_number(text: str) -> int:
    found = _DIGITS.search(text)
    return int(found.group(0)) if found else 0


def input_problem(address: str | None) -> str:
    """Why an address cannot be matched at all ('' when it can be tried)."""
    if address is None or not str(address).strip():
        return "empty address"
    text = str(address)
    if len(text) > MAX_ADDRESS_CHARS:
        return f"address longer than {MAX_ADDRESS_CHARS} characters ({len(text):,})"
    cleaned = clean_text(text)
    if _OTHER_PLACE.match(cleaned):
        return "names a place outside Shanghai"
    if not _HAN.search(cleaned):
        if any(c.isalpha() for c in cleaned):
            return "no Chinese place name (only Latin or other letters)"
        return "no street or place name (only numbers or punctuation)"
    strange = sorted({c for c in cleaned if not _ALLOWED.match(c)})
    if strange:
        return "mixed scripts: characters outside Chinese, Latin and digits (" + "".join(strange[:5]) + ")"
    return ""
