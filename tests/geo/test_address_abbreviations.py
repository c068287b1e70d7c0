"""Road-name abbreviations and compound aliases (geo.address.normalise.ROAD_ABBREVIATIONS,
COMPOUND_ALIASES, LANE_WORDS): the shortened spellings lists use find the gazetteer's address with a
lower score, an abbreviation two places fit goes to review, and a typo is still a typo."""

from __future__ import annotations

import pytest

from geo.address import match_key
from geo.address.match import DEFAULT_MIN_SCORE, Entry, Matcher
from geo.address.normalise import ROAD_ABBREVIATIONS, name_spellings

GAZETTEER = (
    ("浦东新区", "张杨路2281弄"),
    ("浦东新区", "川周公路4318弄"),
    ("浦东新区", "世纪大道100号"),
    ("浦东新区", "浦东南路1475弄"),
    ("浦东新区", "沪南路100号"),
    ("浦东新区", "沪南公路100号"),
    ("浦东新区", "振东苑"),
    ("浦东新区", "华建小区"),
    ("浦东新区", "沪东新村"),
    ("闵行区", "莲安西路35弄"),
    ("黄浦区", "南京东街10号"),
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(Entry(i, d, a, match_key(a, district=d)) for i, (d, a) in enumerate(GAZETTEER, start=1))


@pytest.mark.parametrize(
    ("district", "written", "expected", "level", "score"),
    [
        ("浦东新区", "张杨2281弄", "张杨路2281弄", "exact", 95.0),  # 路 left off
        ("闵行区", "莲安西35弄", "莲安西路35弄", "exact", 95.0),  # 西路 -> 西
        ("闵行区", "莲安西35弄8号", "莲安西路35弄", "lane", 85.5),  # …and a house in the lane
        ("浦东新区", "川周4318弄", "川周公路4318弄", "exact", 93.0),  # 公路 left off
        ("浦东新区", "川周路4318弄", "川周公路4318弄", "exact", 92.0),  # 公路 written 路
        ("浦东新区", "世纪道100号", "世纪大道100号", "exact", 95.0),  # 大道 written 道
        ("浦东新区", "浦东南1475弄", "浦东南路1475弄", "exact", 95.0),  # not the district 浦东 + 南…
        ("", "上海市浦东新区浦东南1475弄", "浦东南路1475弄", "exact", 95.0),
        ("浦东新区", "张杨路2281巷", "张杨路2281弄", "exact", 100.0),  # 巷 for 弄
        ("浦东新区", "张杨路2281衖", "张杨路2281弄", "exact", 100.0),  # 衖, the old character
        ("浦东新区", "振东苑小区", "振东苑", "exact", 95.0),  # 小区 added
        ("浦东新区", "沪东新村小区", "沪东新村", "exact", 95.0),
        ("浦东新区", "华建新村", "华建小区", "exact", 90.0),  # 小区 written 新村
        ("浦东新区", "振东苑3号楼", "振东苑", "house_number", 95.0),  # a building of the compound
    ],
)
def test_an_abbreviation_finds_the_gazetteers_spelling(
    matcher: Matcher, district: str, written: str, expected: str, level: str, score: float
) -> None:
    found = matcher.match(written, district or None)
    assert found.address_id is not None, found.reason
    assert matcher.entries[found.address_id].address == expected
    assert (found.level, found.score) == (level, score)
    assert found.accepted(DEFAULT_MIN_SCORE)


def test_an_abbreviation_two_roads_fit_goes_to_review(matcher: Matcher) -> None:
    # 沪南 could be 沪南路 or 沪南公路 (two roads): never a guess between them.
    found = matcher.match("沪南100号", "浦东新区")
    assert not found.accepted(DEFAULT_MIN_SCORE)
    review = {a for a, _ in matcher.candidates("浦东新区", found.key)}  # what the review file offers
    assert review >= {"沪南路100号", "沪南公路100号"}


def test_a_road_the_gazetteer_knows_is_not_expanded(matcher: Matcher) -> None:
    # 沪南路 exists: "沪南路100号" is that road's, never 沪南公路's.
    found = matcher.match("沪南路100号", "浦东新区")
    assert matcher.entries[found.address_id or -1].address == "沪南路100号" and found.score == 100.0


def test_a_typo_is_not_an_abbreviation(matcher: Matcher) -> None:
    # 张扬路 for 张杨路 is a typo: no abbreviation gives it; the fuzzy fallback finds it with the same
    # numbers, at a lower level and score than an abbreviation earns.
    assert all(s != "张杨路" for s, _ in name_spellings("张扬路"))
    found = matcher.match("张扬路2281弄", "浦东新区")
    assert matcher.entries[found.address_id or -1].address == "张杨路2281弄"
    assert found.level == "house_number" and found.score < matcher.match("张杨2281弄", "浦东新区").score


def test_every_abbreviation_is_trusted_less_than_the_spelling_itself() -> None:
    assert all(0.8 <= trust < 1.0 for _, _, trust in ROAD_ABBREVIATIONS)
    assert name_spellings("张杨")[0] == ("张杨路", 0.95)
    assert name_spellings("张杨路") == [("张杨公路", 0.92), ("张杨大道", 0.9)]  # no "张杨路路"
