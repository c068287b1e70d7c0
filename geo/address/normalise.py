"""Address text reduced to a comparable key: the spellings people type for one Shanghai address.

Published case lists and risk-area lists name places as free text ("浦东新区 张东路2281弄",
"上海市浦东新区张东路２２８１弄", "浦东 张东路二千二百八十一弄（近金科路）"). Both sides of a match
(the gazetteer and the list) are reduced by the same ``match_key``, so the rules live here once:
NFKC (full-width digits and letters), the city and district prefix (long or short name) dropped,
Chinese numerals before 弄/号/栋/楼/室… written in digits, bracketed notes dropped, spaces and
punctuation removed, Latin letters lower-cased.
"""

from __future__ import annotations

import re
import unicodedata

# The 16 districts of Shanghai and the names people still write for them (short names, and the
# districts merged since: 南汇 into 浦东 in 2009, 卢湾 into 黄浦 in 2011, 闸北 into 静安 in 2015).
DISTRICTS = (
    "黄浦区",
    "徐汇区",
    "长宁区",
    "静安区",
    "普陀区",
    "虹口区",
    "杨浦区",
    "闵行区",
    "宝山区",
    "嘉定区",
    "浦东新区",
    "金山区",
    "松江区",
    "青浦区",
    "奉贤区",
    "崇明区",
)
DISTRICT_ALIASES: dict[str, str] = (
    {d: d for d in DISTRICTS}
    | {d.removesuffix("新区").removesuffix("区"): d for d in DISTRICTS}
    | {"浦东区": "浦东新区", "崇明县": "崇明区", "南汇区": "浦东新区", "南汇": "浦东新区"}
    | {"卢湾区": "黄浦区", "卢湾": "黄浦区", "闸北区": "静安区", "闸北": "静安区"}
)
# Longest first, so that 浦东新区 is tried before 浦东.
_DISTRICT_NAMES = sorted(DISTRICT_ALIASES, key=len, reverse=True)
# A short district name that is the start of a road ("浦东南路", "长宁路", "宝山路") is not a prefix,
# nor when the road is written without its 路 ("浦东南2281弄" for 浦东南路2281弄).
_ROAD_AFTER_SHORT_NAME = re.compile(
    r"^(?:[东南西北中]?(?:路|街|大道|道|公路|支路|大街|大桥|江|港|河|湖)|[东南西北中](?=\d+(?:弄|号)))"
)
_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{1,5}(?:新区|区|县)")
_CITY = re.compile(r"^(?:中国)?上海(?:市)?")
_SPACE = re.compile(r"\s+")
# A note in brackets after the address ("（近石门一路）", "(东门)"); a bracket at the start is kept
# as text: "（东方路）573弄" is how some lists write the road.
_NOTE = re.compile(r"(?<=.)[（(【\[][^）)】\]]*[）)】\]]")
_NOISE = re.compile(r"[\s\u3000·,，。.、;；:：\"'“”‘’()（）\[\]【】<>《》—_/\\]+")
_DASHES = re.compile(r"[\-－~～—–]+")
_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# Chinese numerals that count lanes, numbers, buildings, floors and rooms; a numeral before 村,
# 路 or a name ("控江七村", "中山北一路", "四平路") is part of the name and stays.
_CN_NUMBER = re.compile(r"[〇零一二两三四五六七八九十百千]+(?=(?:支弄|弄|号|栋|幢|座|单元|楼|层|室))")


# --- Abbreviations and other words for the same thing (the matcher tries them, geo.address.match) ---
# Each entry: (how a list ends the road or compound name, how the gazetteer ends it, trust). Tried
# only for a name the gazetteer does not know, and only when one gazetteer place answers (an
# abbreviation that fits two roads goes to review); the match's score is multiplied by the trust.
ROAD_ABBREVIATIONS: tuple[tuple[str, str, float], ...] = (
    # The generic word of a road left off, as lists and people write it: "张杨2281弄" (张杨路),
    # "莲安西35弄" (莲安西路: 东路/西路/南路/北路/中路 shortened to the direction), "川周4318弄" (川周公路),
    # "世纪100号" (世纪大道).
    ("", "路", 0.95),
    ("", "公路", 0.93),
    ("", "大道", 0.93),
    # 公路 written 路 ("川周路" for 川周公路, the suburbs' highways), 大道 written 道 ("世纪道") or 路.
    ("路", "公路", 0.92),
    ("道", "大道", 0.95),
    ("路", "大道", 0.9),
    ("大街", "街", 0.95),
    ("街", "路", 0.85),
)
COMPOUND_ALIASES: tuple[tuple[str, str, float], ...] = (
    # A compound's name with 小区 added or swapped: "振东苑小区" (振东苑), "沪东新村小区" (沪东新村),
    # "华建新村" (华建小区), "爱华公寓小区" (爱华公寓), and the other way.
    ("小区", "", 0.95),
    ("", "小区", 0.92),
    ("新村", "小区", 0.9),
    ("小区", "新村", 0.9),
    ("小区", "公寓", 0.88),
    ("小区", "花园", 0.88),
    ("小区", "苑", 0.88),
)
BUILDING_WORDS: tuple[str, ...] = ("号楼", "栋", "幢", "座")
"""Words for one building of a lane or compound ("12号楼", "12栋", "12幢", "A座"): one part
(``geo.address.parse``)."""
LANE_WORDS: dict[str, str] = {"巷": "弄", "衖": "弄"}
"""Other words for a numbered lane: "35巷", and 衖, the old Shanghai character for 弄 ("35衖")."""
_ROAD_WORDS = ("公路", "大道", "大街", "支路", "路", "街", "道")
_LANE_WORD = re.compile(r"(?<=\d)[" + "".join(LANE_WORDS) + "]")


def chinese_number(numeral: str) -> int | None:
    """'三十五' -> 35, '二〇八' -> 208 (digit by digit), '十' -> 10; None for text that is no numeral.

    >>> chinese_number("一千二百零五")
    1205
    """
    if not numeral or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in numeral):
        return None
    if not any(c in _CN_UNITS for c in numeral):  # 二〇八: written digit by digit
        return int("".join(str(_CN_DIGITS[c]) for c in numeral))
    total, digit = 0, None
    for char in numeral:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[char]
            digit = None
    return total + (digit or 0)


def canonical_district(name: str | None) -> str | None:
    """'浦东' -> '浦东新区', '上海市 黄浦区' -> '黄浦区'; a name that is no Shanghai district is kept."""
    if not name:
        return None
    text = _CITY.sub("", _SPACE.sub("", unicodedata.normalize("NFKC", name)))
    return DISTRICT_ALIASES.get(text, text or None)


def _with_digits(text: str) -> str:
    return _CN_NUMBER.sub(lambda m: str(chinese_number(m.group(0)) or m.group(0)), text)


def _drop_district(text: str, district: str | None) -> str:
    """The text without the leading district name: the row's own, or any Shanghai district's."""
    for name in _DISTRICT_NAMES:
        if not text.startswith(name):
            continue
        rest = text[len(name) :]
        full = DISTRICT_ALIASES[name]
        if district and full != district:
            continue
        if name != full and _ROAD_AFTER_SHORT_NAME.match(rest):
            continue
        return rest
    if not district:
        return _DISTRICT.sub("", text, count=1)
    return text


def clean_text(address: str) -> str:
    """NFKC, no spaces, no city prefix, bracketed notes dropped: the text the parts are read from."""
    text = _SPACE.sub("", unicodedata.normalize("NFKC", address))
    text = _CITY.sub("", text)
    return _NOTE.sub("", text)


def match_key(address: str | None, *, district: str | None = None) -> str:
    """A normalised key: equal for two spellings of one address.

    >>> match_key("上海市浦东新区张东路２２８１弄", district="浦东新区")
    '张东路2281弄'
    >>> match_key("上海市 浦东 张东路二千二百八十一弄（近金科路）", district="浦东新区")
    '张东路2281弄'
    """
    if not address:
        return ""
    district = canonical_district(district)
    text = _drop_district(clean_text(address), district)
    text = _with_digits(text)
    text = _LANE_WORD.sub(lambda m: LANE_WORDS[m.group(0)], text)
    text = _DASHES.sub("-", text)
    return _NOISE.sub("", text).strip("-").lower()


def split_district(address: str) -> tuple[str | None, str]:
    """("浦东新区白杨路199弄") -> ("浦东新区", "白杨路199弄"); the district is None when absent."""
    text = clean_text(address)
    for name in _DISTRICT_NAMES:
        rest = text[len(name) :]
        if text.startswith(name) and (
            name == DISTRICT_ALIASES[name] or not _ROAD_AFTER_SHORT_NAME.match(rest)
        ):
            return DISTRICT_ALIASES[name], rest
    found = _DISTRICT.match(text)
    if not found:
        return None, text
    return found.group(0), text[found.end() :]


def name_spellings(name: str) -> list[tuple[str, float]]:
    """The spellings the gazetteer may use for a road or compound ``name`` a list wrote, with their
    trust (``ROAD_ABBREVIATIONS``, ``COMPOUND_ALIASES``): "张杨" -> [("张杨路", 0.95), ("张杨公路", 0.93), …].

    >>> name_spellings("世纪道")[0]
    ('世纪大道', 0.95)
    """
    out: list[tuple[str, float]] = []
    ends_as_road = name.endswith(_ROAD_WORDS)
    for typed, written, trust in (*ROAD_ABBREVIATIONS, *COMPOUND_ALIASES):
        if typed == "" and (ends_as_road or name.endswith(("小区", "新村", "村"))):
            continue  # a whole word is added only to a name that has none
        if not name.endswith(typed):
            continue
        stem = name[: len(name) - len(typed)] if typed else name
        if len(stem) < 2:
            continue
        if written and stem.endswith(written):
            continue  # "振东苑小区" is not "振东苑苑"
        spelled = stem + written
        if spelled != name and all(spelled != s for s, _ in out):
            out.append((spelled, trust))
    return out
