"""Address keys: the same place written differently gets the same key."""

from __future__ import annotations

import pytest

from geo.address import canonical_district, match_key, split_district
from geo.address.match import DEFAULT_MIN_SCORE, Entry, Matcher
from geo.address.normalise import chinese_number
from geo.address.parse import parse


@pytest.mark.parametrize(
    ("address", "district", "key"),
    [
        ("张东路2281弄", "浦东新区", "张东路2281弄"),
        ("上海市浦东新区张东路２２８１弄", "浦东新区", "张东路2281弄"),
        ("浦东新区 张东路 2281 弄", "浦东新区", "张东路2281弄"),
        ("上海市浦东新区张东路2281弄", None, "张东路2281弄"),
        ("（东方路）573弄", "浦东新区", "东方路573弄"),
        ("ABC大厦", None, "abc大厦"),
        ("", "浦东新区", ""),
        (None, None, ""),
    ],
)
def test_match_key(address: str | None, district: str | None, key: str) -> None:
    assert match_key(address, district=district) == key


def test_split_district() -> None:
    assert split_district("浦东新区白杨路199弄") == ("浦东新区", "白杨路199弄")
    assert split_district("上海市黄浦区南京东路1号") == ("黄浦区", "南京东路1号")
    assert split_district("白杨路199弄") == (None, "白杨路199弄")


@pytest.mark.parametrize(
    ("address", "district", "key"),
    [
        # short district names, and a road that starts like one
        ("浦东张东路2281弄", None, "张东路2281弄"),
        ("浦东 张东路2281弄", "浦东", "张东路2281弄"),
        ("浦东南路1000号", "浦东新区", "浦东南路1000号"),
        ("长宁路1600弄", "长宁区", "长宁路1600弄"),
        ("长宁区长宁路1600弄", None, "长宁路1600弄"),
        ("闸北 共和新路100号", "静安区", "共和新路100号"),
        # Chinese and full-width numerals
        ("莲安西路三十五弄", "闵行区", "莲安西路35弄"),
        ("张东路二千二百八十一弄", "浦东新区", "张东路2281弄"),
        ("龙吴路四百零一弄", "徐汇区", "龙吴路401弄"),
        ("莲安西路三五弄十二号", "闵行区", "莲安西路35弄12号"),
        ("控江七村", "杨浦区", "控江七村"),
        ("中山北一路1200号", "虹口区", "中山北一路1200号"),
        ("四平路６３９号", "虹口区", "四平路639号"),
        # the city prefix, with spaces
        ("上海市 浦东新区 张东路 2281 弄", None, "张东路2281弄"),
        ("上海 徐汇区 漕溪北路1200号", None, "漕溪北路1200号"),
        ("中国上海市黄浦区南京东路1号", None, "南京东路1号"),
        # bracketed notes dropped; a bracket that starts the address is its road
        ("石门二路100号（近石门一路）", "静安区", "石门二路100号"),
        ("东方路573弄(3号门进)", "浦东新区", "东方路573弄"),
        ("爱辉路721号【已封控】", "宝山区", "爱辉路721号"),
        ("（东方路）573弄", "浦东新区", "东方路573弄"),
        # dashes of every width
        ("蟠中路南侧38—01", "青浦区", "蟠中路南侧38-01"),
    ],
)
def test_match_key_of_real_spellings(address: str, district: str | None, key: str) -> None:
    assert match_key(address, district=district) == key


@pytest.mark.parametrize(
    ("key", "place", "detail"),
    [
        ("莲安西路35弄12号", ("莲安西路", "35", "", "12"), False),
        ("莲安西路35弄", ("莲安西路", "35", "", ""), False),
        ("中山北路685号3楼", ("中山北路", "", "", "685"), True),
        ("世纪大道100", ("世纪大道", "", "", "100"), False),
        ("世纪大道100号", ("世纪大道", "", "", "100"), False),
        ("浦东大道1819弄2栋303室", ("浦东大道", "1819", "", ""), True),
        ("众仁路388弄27号楼502室", ("众仁路", "388", "", ""), True),
        ("长阳路1080弄3支弄5号", ("长阳路", "1080", "3", "5"), False),
        ("板泉路1821号工地生活区", ("板泉路", "", "", "1821"), True),
        ("八灶村唐家宅", ("八灶村唐家宅", "", "", ""), False),
        ("某某大厦100", ("某某大厦100", "", "", ""), False),
    ],
)
def test_parse_cuts_the_parts(key: str, place: tuple[str, str, str, str], detail: bool) -> None:
    parts = parse(key)
    assert parts.place == place
    assert parts.detail is detail


def test_parts_name_building_floor_and_room() -> None:
    parts = parse("莲安西路35弄12号3楼")
    assert (parts.number, parts.floor) == ("12", "3")
    parts = parse("浦东大道1819弄2栋303室")
    assert (parts.building, parts.room) == ("2", "303")
    assert parse("八灶村唐家宅").village == "八灶村"


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("三十五", 35),
        ("十", 10),
        ("十二", 12),
        ("一百零五", 105),
        ("二千二百八十一", 2281),
        ("二〇八", 208),
        ("两百", 200),
    ],
)
def test_chinese_number(numeral: str, value: int) -> None:
    assert chinese_number(numeral) == value


def test_canonical_district() -> None:
    assert canonical_district("浦东") == "浦东新区"
    assert canonical_district("上海市 黄浦区") == "黄浦区"
    assert canonical_district("卢湾区") == "黄浦区"
    assert canonical_district("朝阳区") == "朝阳区"
    assert canonical_district("") is None


GAZETTEER = [
    ("浦东新区", "张东路2281弄", "张江镇"),
    ("浦东新区", "世纪大道100号", "陆家嘴街道"),
    ("浦东新区", "浦东南路1000号", "陆家嘴街道"),
    ("浦东新区", "八灶村唐家宅", "川沙新镇"),
    ("闵行区", "莲安西路35弄", "古美路街道"),
    ("虹口区", "中山北路685号", "凉城新村街道"),
    ("虹口区", "中山南路685号", "凉城新村街道"),
    ("静安区", "石门二路100号", "南京西路街道"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(
        Entry(i, d, a, match_key(a, district=d), t) for i, (d, a, t) in enumerate(GAZETTEER, start=1)
    )


@pytest.mark.parametrize(
    ("address", "district", "expected", "level"),
    [
        ("张东路2281弄", "浦东新区", "张东路2281弄", "exact"),
        ("上海市 浦东 张东路二千二百八十一弄（近金科路）", None, "张东路2281弄", "exact"),
        ("张江镇张东路2281弄", "浦东新区", "张东路2281弄", "exact"),
        ("世纪大道100", "浦东新区", "世纪大道100号", "exact"),
        ("世纪大道100号5楼", "浦东", "世纪大道100号", "house_number"),
        ("中山北路685号3楼", "虹口区", "中山北路685号", "house_number"),
        ("莲安西路35弄12号", "闵行区", "莲安西路35弄", "lane"),
        ("莲安西路三十五弄12号301室", "闵行区", "莲安西路35弄", "lane"),
        ("八灶村", "浦东新区", "八灶村唐家宅", "village"),
        ("石门二路100号（近石门一路）", "静安区", "石门二路100号", "exact"),
    ],
)
def test_matcher_levels(
    matcher: Matcher, address: str, district: str | None, expected: str, level: str
) -> None:
    found = matcher.match(address, district)
    assert found.address_id is not None and matcher.entries[found.address_id].address == expected
    assert found.level == level and found.accepted(DEFAULT_MIN_SCORE)


def test_a_near_miss_road_stays_below_the_minimum(matcher: Matcher) -> None:
    # 中山东路 is neither 中山北路 nor 中山南路: found fuzzily, but not trusted
    found = matcher.match("中山东路685号", "虹口区")
    assert not found.accepted(DEFAULT_MIN_SCORE)
    # a number the road does not have: the road only, low score, never the wrong house
    found = matcher.match("张东路2218弄", "浦东新区")
    assert found.level == "road" and not found.accepted(DEFAULT_MIN_SCORE)


@pytest.mark.parametrize(
    ("address", "district", "reason"),
    [
        ("", "浦东新区", "empty address"),
        (None, "浦东新区", "empty address"),
        ("   ", "浦东新区", "empty address"),
        ("12345", "浦东新区", "only numbers"),
        ("#12-3", "浦东新区", "only numbers"),
        ("北京市朝阳区建国路1号", None, "outside Shanghai"),
        ("浙江省杭州市西湖区文三路1号", "浦东新区", "outside Shanghai"),
        ("杭州市西湖区文三路1号", None, "outside Shanghai"),
        ("张" * 10_000, "浦东新区", "longer than 200"),
        ("Century Avenue 100", "浦东新区", "no Chinese place name"),
        ("世纪大道100号Квартира", "浦东新区", "mixed scripts"),
        ("세기대로100", "浦东新区", "no Chinese place name"),
        ("张东路2281弄", None, "no district"),
        ("文三路1号", "西湖区", "not in the gazetteer"),
        ("不存在路9号", "浦东新区", "no "),
    ],
)
def test_bad_input_gets_a_reason(
    matcher: Matcher, address: str | None, district: str | None, reason: str
) -> None:
    found = matcher.match(address, district)
    assert found.address_id is None and reason in found.reason


def test_roads_named_after_other_cities_are_shanghai_roads(matcher: Matcher) -> None:
    assert matcher.match("天津路179弄", "黄浦区").reason != "names a place outside Shanghai"
    assert matcher.match("北京东路360弄", "黄浦区").reason != "names a place outside Shanghai"
